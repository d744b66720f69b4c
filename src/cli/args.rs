//! The command line's arguments (clap), shared by the commands, and the options they turn into.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use endpoints::config::LoadOptions;
use endpoints::convert::Budget;
use endpoints::engine::hash;
use endpoints::request::Limits;

use super::common::env_var;

/// `endpoints hash [APP_DIR] ENDPOINT [NAME=VALUE ...]`.
#[derive(Args, Clone)]
pub struct HashArgs {
    /// [APP_DIR] ENDPOINT [NAME=VALUE ...]
    #[arg(required = true, num_args = 1..)]
    pub args: Vec<String>,
    /// live or preview.
    #[arg(long, default_value = "live")]
    pub environment: String,
    /// Print the hash under every secret key, not only the first.
    #[arg(long)]
    pub all_keys: bool,
    #[command(flatten)]
    pub scheme: HashSchemeArg,
}

/// `--hash-scheme`, the same for the server and for `endpoints hash`.
#[derive(Args, Clone)]
pub struct HashSchemeArg {
    /// How request hashes are computed in every application whose engine-settings.xml names no <hash-scheme>:
    /// openendpoints (the reference's format, the default) or hmac-sha256 (binds every value unambiguously).
    #[arg(
        long,
        value_name = "SCHEME",
        default_value = "openendpoints",
        env = "ENDPOINTS_HASH_SCHEME"
    )]
    pub hash_scheme: hash::Scheme,
}

/// Where the engine keeps its state (request log, numbers, short links).
#[derive(Args, Clone)]
pub struct StoreArgs {
    /// PostgreSQL URL (postgres://user:password@host:5432/db) to share state between several instances.
    /// Default: the SQLite file endpoints.db in --data-dir.
    #[arg(long, value_name = "URL", env = "ENDPOINTS_DATABASE_URL")]
    pub database: Option<String>,
    /// Directory of the SQLite state file endpoints.db (created on first start). Default: endpoints-data/NAME
    /// below the working directory, NAME being the application's name (with --apps DIR, the name of DIR); `log`
    /// reads the only one there, or the one of --application when there are several.
    #[arg(long, value_name = "DIR", env = "ENDPOINTS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct LogArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this application.
    #[arg(long)]
    pub application: Option<String>,
    /// Only this environment (live or preview).
    #[arg(long)]
    pub environment: Option<String>,
    /// Only this endpoint (as named in the URL).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Only this status (404) or class (4xx).
    #[arg(long)]
    pub status: Option<String>,
    /// Only entries younger than this: 90s, 15m, 1h, 2d.
    #[arg(long)]
    pub since: Option<String>,
    /// Only the entry with this request id.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Most entries printed.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print one entry with everything stored for it (captures, parameter-transformation documents, body).
    #[arg(long, value_name = "REQUEST_ID")]
    pub show: Option<String>,
}

#[derive(Args, Clone)]
pub struct AppArgs {
    /// Application name for /{application}/{endpoint} URLs (default: the directory's name).
    #[arg(long, env = "ENDPOINTS_APPLICATION_NAME")]
    pub name: Option<String>,
    /// Do not check request hashes (trusted deployments only); security.xml may then be absent.
    #[arg(long)]
    pub no_hash_check: bool,
    /// Which engine runs stylesheets: auto (version 1.0 on libxslt, 2.0 and up on Saxon-HE) or saxon (every
    /// stylesheet on Saxon-HE, as OpenEndpoints does).
    #[arg(
        long,
        value_name = "ENGINE",
        default_value = "auto",
        env = "ENDPOINTS_XSLT_ENGINE"
    )]
    pub xslt_engine: endpoints::stylesheet::XsltEngine,
    /// Largest heap of the JVM worker (Saxon-HE, Apache FOP), as java's -Xmx: e.g. 512m, 1g.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "512m",
        env = "ENDPOINTS_JVM_MAX_HEAP"
    )]
    pub jvm_max_heap: String,
    /// Threads of the JVM worker (default: the number of cores).
    #[arg(long, value_name = "N", env = "ENDPOINTS_JVM_THREADS")]
    pub jvm_threads: Option<usize>,
    /// Seconds a transformation or PDF rendering in the JVM worker may take.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        env = "ENDPOINTS_JVM_CALL_TIMEOUT"
    )]
    pub jvm_call_timeout: u64,
    /// Accept requests that carry no hash at all, as OpenEndpoints does (a wrong hash is still refused), in every
    /// application whose engine-settings.xml does not say otherwise. For integrations that call without a hash.
    #[arg(long, env = "ENDPOINTS_ACCEPT_MISSING_HASH")]
    pub accept_missing_hash: bool,
    #[command(flatten)]
    pub scheme: HashSchemeArg,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// The application directory.
    #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
    pub app_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ENDPOINTS_LISTEN")]
    pub listen: SocketAddr,
    /// Serve the console (applications, endpoints, hash calculator) on this address, e.g. 127.0.0.1:9090. Off
    /// by default. A non-loopback address requires ENDPOINTS_CONSOLE_TOKEN.
    #[arg(long, value_name = "ADDR", env = "ENDPOINTS_CONSOLE")]
    pub console: Option<SocketAddr>,
    #[command(flatten)]
    pub app: AppArgs,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: u64,
    /// Most parameters and uploaded files in one request.
    #[arg(long, default_value_t = Limits::default().max_fields)]
    pub max_fields: usize,
    /// Largest single form field (not file) in bytes.
    #[arg(long, default_value_t = Limits::default().max_field_bytes)]
    pub max_field_bytes: usize,
    /// Seconds allowed for the request line and headers.
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs())]
    pub header_timeout: u64,
    /// Seconds allowed for reading the request body.
    #[arg(long, default_value_t = Limits::default().body_timeout.as_secs())]
    pub body_timeout: u64,
    /// Seconds an open connection may go without a request in flight before it is closed.
    #[arg(long, default_value_t = Limits::default().idle_timeout.as_secs())]
    pub idle_timeout: u64,
    /// Most connections open at once; beyond it the oldest idle one is closed for a new one. Default: the open
    /// files limit less an eighth of it (at least 64) kept for everything else.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Most XML nodes (elements, attributes, text) made from an XML or JSON body or an uploaded XML file (for
    /// JSON: values and keys).
    #[arg(long, default_value_t = Budget::default().max_nodes)]
    pub max_body_nodes: usize,
    /// Most attributes on one element of an XML body or uploaded XML file.
    #[arg(long, default_value_t = Budget::default().max_attributes)]
    pub max_body_attributes: usize,
    /// Deepest nesting of elements of an XML body (of arrays and objects of a JSON body); at most 250.
    #[arg(long, default_value_t = Budget::default().max_depth as u16, value_parser = clap::value_parser!(u16).range(1..=250))]
    pub max_body_depth: u16,
    /// Largest XML made from a body, in bytes (an XML body's root element; a JSON body converted).
    #[arg(long, default_value_t = Budget::default().max_bytes)]
    pub max_body_xml_bytes: usize,
    /// Directory for uploaded files while a request runs (default: the system's temporary directory).
    #[arg(long, env = "ENDPOINTS_UPLOAD_DIR")]
    pub upload_dir: Option<PathBuf>,
    /// A request's uploaded files stay in memory while together within this many bytes (the rest go to
    /// --upload-dir); 0 writes every upload to a file.
    #[arg(long, default_value_t = Limits::default().upload_memory_bytes)]
    pub upload_memory_bytes: usize,
    /// Serve every subdirectory of DIR as an application at /{application}/{endpoint} (instead of APP_DIR).
    #[arg(long, value_name = "DIR", env = "ENDPOINTS_APPS")]
    pub apps: Option<PathBuf>,
    /// Serve a second copy of the application(s) as the `preview` environment: preview=DIR (with --apps, DIR holds
    /// one subdirectory per application).
    #[arg(long, value_name = "preview=DIR")]
    pub environment_dir: Vec<String>,
    /// Do not watch the files (reload only on SIGHUP).
    #[arg(long)]
    pub no_watch: bool,
    /// Seconds that requests in flight may take to finish after SIGTERM/SIGINT.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30,
        env = "ENDPOINTS_SHUTDOWN_TIMEOUT"
    )]
    pub shutdown_timeout: u64,
    /// Believe Forwarded / X-Forwarded-For only from these proxies (CIDR ranges or addresses; repeat the flag or
    /// separate with commas): the client is the rightmost forwarded address outside them. Without it the TCP peer
    /// is the client.
    #[arg(
        long,
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = endpoints::request::parse_cidr,
        env = "ENDPOINTS_TRUSTED_PROXIES"
    )]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// Log format: text or json (one JSON object per line).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Public URL of this server, ending in / (short links are BASE_URL/shortlink/CODE).
    /// Default: http://LISTEN/.
    #[arg(long, value_name = "URL", env = "ENDPOINTS_BASE_URL")]
    pub base_url: Option<String>,
    /// Time zone of the years and months of on-demand numbers (IANA name, e.g. Europe/Vienna).
    #[arg(long, value_name = "TZ", env = "ENDPOINTS_TIMEZONE")]
    pub timezone: Option<String>,
    /// Let `debug=true` requests store their parameter-transformation documents and body in the request log.
    #[arg(long, env = "ENDPOINTS_DEBUG_ALLOWED")]
    pub debug_allowed: bool,
    /// Which requests are written to the request log: all, failures (status >= 400) or off. Requests that fetched
    /// a number, created a short link, captured a value or recorded debug documents are always written.
    #[arg(long, value_name = "MODE", default_value = "all", value_parser = ["all", "failures", "off"],
          env = "ENDPOINTS_REQUEST_LOG")]
    pub request_log: String,
    /// Days that request-log entries are kept (numbers are kept forever).
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 32,
        env = "ENDPOINTS_LOG_RETENTION_DAYS"
    )]
    pub log_retention_days: u32,
}

/// `ENDPOINTS_CHECK_HASH`: checking is on unless the variable is set to something other than `true`.
pub fn hash_check_enabled(flag_off: bool) -> bool {
    if flag_off {
        return false;
    }
    env_var("ENDPOINTS_CHECK_HASH").is_none_or(|v| v.eq_ignore_ascii_case("true"))
}

/// Also configures the JVM worker (started only if an application needs it).
pub fn load_options(app: &AppArgs) -> LoadOptions {
    let defaults = endpoints::jvm::Options::default();
    endpoints::jvm::configure(endpoints::jvm::Options {
        max_heap: app.jvm_max_heap.clone(),
        threads: app.jvm_threads.unwrap_or(defaults.threads).max(1),
        call_timeout: Duration::from_secs(app.jvm_call_timeout.max(1)),
        ..defaults
    });
    LoadOptions {
        name: app.name.clone(),
        hash_check: hash_check_enabled(app.no_hash_check),
        xslt_engine: app.xslt_engine,
        accept_missing_hash: app.accept_missing_hash,
        hash_scheme: app.scheme.hash_scheme,
    }
}
