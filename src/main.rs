//! The `endpoints` command line: `serve`, `check`, `hash`, `routes`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use endpoints::config::{self, LoadOptions, Severity};
use endpoints::convert::Budget;
use endpoints::engine::{hash, Environment, Settings};
use endpoints::request::Limits;
use endpoints::server;

#[derive(Parser)]
#[command(
    name = "endpoints",
    version,
    about = "A declarative endpoint engine for OpenEndpoints-style XML applications"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an application directory over HTTP (the default command).
    Serve(Box<ServeArgs>),
    /// Load an application and print every configuration problem as path:line:column: message.
    Check {
        /// The application directory.
        #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
        app_dir: PathBuf,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Print the hash a form or client must send: endpoints hash [APP_DIR] ENDPOINT [NAME=VALUE ...]
    Hash {
        /// [APP_DIR] ENDPOINT [NAME=VALUE ...]
        #[arg(required = true, num_args = 1..)]
        args: Vec<String>,
        /// live or preview.
        #[arg(long, default_value = "live")]
        environment: String,
        /// Print the hash under every secret key, not only the first.
        #[arg(long)]
        all_keys: bool,
        /// The hash scheme when the application's engine-settings.xml names none (as the server's --hash-scheme).
        #[arg(
            long,
            value_name = "SCHEME",
            default_value = "openendpoints",
            env = "ENDPOINTS_HASH_SCHEME"
        )]
        hash_scheme: hash::Scheme,
    },
    /// List the endpoints with their parameters.
    Routes {
        #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
        app_dir: PathBuf,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Print recent request-log entries (newest last), or one entry with its debug documents (--show ID).
    Log(LogArgs),
}

/// Where the engine keeps its state (request log, numbers, short links).
#[derive(Args, Clone)]
struct StoreArgs {
    /// PostgreSQL URL (postgres://user:password@host:5432/db) to share state between several instances.
    /// Default: the SQLite file endpoints.db in --data-dir.
    #[arg(long, value_name = "URL", env = "ENDPOINTS_DATABASE_URL")]
    database: Option<String>,
    /// Directory of the SQLite state file (created on first start).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "endpoints-data",
        env = "ENDPOINTS_DATA_DIR"
    )]
    data_dir: PathBuf,
}

#[derive(Args, Clone)]
struct LogArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this application.
    #[arg(long)]
    application: Option<String>,
    /// Only this environment (live or preview).
    #[arg(long)]
    environment: Option<String>,
    /// Only this endpoint (as named in the URL).
    #[arg(long)]
    endpoint: Option<String>,
    /// Only this status (404) or class (4xx).
    #[arg(long)]
    status: Option<String>,
    /// Only entries younger than this: 90s, 15m, 1h, 2d.
    #[arg(long)]
    since: Option<String>,
    /// Only the entry with this request id.
    #[arg(long)]
    request_id: Option<String>,
    /// Most entries printed.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print one entry with everything stored for it (captures, parameter-transformation documents, body).
    #[arg(long, value_name = "REQUEST_ID")]
    show: Option<String>,
}

#[derive(Args, Clone)]
struct AppArgs {
    /// Application name for /{application}/{endpoint} URLs (default: the directory's name).
    #[arg(long, env = "ENDPOINTS_APPLICATION_NAME")]
    name: Option<String>,
    /// Do not check request hashes (trusted deployments only); security.xml may then be absent.
    #[arg(long)]
    no_hash_check: bool,
    /// Which engine runs stylesheets: auto (version 1.0 on libxslt, 2.0 and up on Saxon-HE) or saxon (every
    /// stylesheet on Saxon-HE, as OpenEndpoints does).
    #[arg(
        long,
        value_name = "ENGINE",
        default_value = "auto",
        env = "ENDPOINTS_XSLT_ENGINE"
    )]
    xslt_engine: endpoints::stylesheet::XsltEngine,
    /// Largest heap of the JVM worker (Saxon-HE, Apache FOP), as java's -Xmx: e.g. 512m, 1g.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "512m",
        env = "ENDPOINTS_JVM_MAX_HEAP"
    )]
    jvm_max_heap: String,
    /// Threads of the JVM worker (default: the number of cores).
    #[arg(long, value_name = "N", env = "ENDPOINTS_JVM_THREADS")]
    jvm_threads: Option<usize>,
    /// Seconds a transformation or PDF rendering in the JVM worker may take.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        env = "ENDPOINTS_JVM_CALL_TIMEOUT"
    )]
    jvm_call_timeout: u64,
    /// Accept requests that carry no hash at all, as OpenEndpoints does (a wrong hash is still refused), in every
    /// application whose engine-settings.xml does not say otherwise. For integrations that call without a hash.
    #[arg(long, env = "ENDPOINTS_ACCEPT_MISSING_HASH")]
    accept_missing_hash: bool,
    /// How request hashes are computed in every application whose engine-settings.xml names no <hash-scheme>:
    /// openendpoints (the reference's format, the default) or hmac-sha256 (binds every value unambiguously).
    #[arg(
        long,
        value_name = "SCHEME",
        default_value = "openendpoints",
        env = "ENDPOINTS_HASH_SCHEME"
    )]
    hash_scheme: hash::Scheme,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// The application directory.
    #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
    app_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ENDPOINTS_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    app: AppArgs,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: u64,
    /// Most parameters and uploaded files in one request.
    #[arg(long, default_value_t = Limits::default().max_fields)]
    max_fields: usize,
    /// Largest single form field (not file) in bytes.
    #[arg(long, default_value_t = Limits::default().max_field_bytes)]
    max_field_bytes: usize,
    /// Seconds allowed for the request line and headers.
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout: u64,
    /// Seconds allowed for reading the request body.
    #[arg(long, default_value_t = Limits::default().body_timeout.as_secs())]
    body_timeout: u64,
    /// Seconds an open connection may go without a request in flight before it is closed.
    #[arg(long, default_value_t = Limits::default().idle_timeout.as_secs())]
    idle_timeout: u64,
    /// Most connections open at once; beyond it the oldest idle one is closed for a new one. Default: the open
    /// files limit less an eighth of it (at least 64) kept for everything else.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Most XML nodes (elements, attributes, text) made from an XML or JSON body or an uploaded XML file (for
    /// JSON: values and keys).
    #[arg(long, default_value_t = Budget::default().max_nodes)]
    max_body_nodes: usize,
    /// Most attributes on one element of an XML body or uploaded XML file.
    #[arg(long, default_value_t = Budget::default().max_attributes)]
    max_body_attributes: usize,
    /// Deepest nesting of elements of an XML body (of arrays and objects of a JSON body); at most 250.
    #[arg(long, default_value_t = Budget::default().max_depth as u16, value_parser = clap::value_parser!(u16).range(1..=250))]
    max_body_depth: u16,
    /// Largest XML made from a body, in bytes (an XML body's root element; a JSON body converted).
    #[arg(long, default_value_t = Budget::default().max_bytes)]
    max_body_xml_bytes: usize,
    /// Directory for uploaded files while a request runs (default: the system's temporary directory).
    #[arg(long, env = "ENDPOINTS_UPLOAD_DIR")]
    upload_dir: Option<PathBuf>,
    /// A request's uploaded files stay in memory while together within this many bytes (the rest go to
    /// --upload-dir); 0 writes every upload to a file.
    #[arg(long, default_value_t = Limits::default().upload_memory_bytes)]
    upload_memory_bytes: usize,
    /// Serve every subdirectory of DIR as an application at /{application}/{endpoint} (instead of APP_DIR).
    #[arg(long, value_name = "DIR", env = "ENDPOINTS_APPS")]
    apps: Option<PathBuf>,
    /// Serve a second copy of the application(s) as the `preview` environment: preview=DIR (with --apps, DIR holds
    /// one subdirectory per application).
    #[arg(long, value_name = "preview=DIR")]
    environment_dir: Vec<String>,
    /// Do not watch the files (reload only on SIGHUP).
    #[arg(long)]
    no_watch: bool,
    /// Seconds that requests in flight may take to finish after SIGTERM/SIGINT.
    #[arg(long, default_value_t = 30)]
    shutdown_timeout: u64,
    /// Log format: text or json (one JSON object per line).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(flatten)]
    store: StoreArgs,
    /// Public URL of this server, ending in / (short links are BASE_URL/shortlink/CODE).
    /// Default: http://LISTEN/.
    #[arg(long, value_name = "URL", env = "ENDPOINTS_BASE_URL")]
    base_url: Option<String>,
    /// Time zone of the years and months of on-demand numbers (IANA name, e.g. Europe/Vienna).
    #[arg(long, value_name = "TZ", env = "ENDPOINTS_TIMEZONE")]
    timezone: Option<String>,
    /// Let `debug=true` requests store their parameter-transformation documents and body in the request log.
    #[arg(long, env = "ENDPOINTS_DEBUG_ALLOWED")]
    debug_allowed: bool,
    /// Which requests are written to the request log: all, failures (status >= 400) or off. Requests that fetched
    /// a number, created a short link, captured a value or recorded debug documents are always written.
    #[arg(long, value_name = "MODE", default_value = "all", value_parser = ["all", "failures", "off"],
          env = "ENDPOINTS_REQUEST_LOG")]
    request_log: String,
    /// Days that request-log entries are kept (numbers are kept forever).
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 32,
        env = "ENDPOINTS_LOG_RETENTION_DAYS"
    )]
    log_retention_days: u32,
}

/// An environment variable that is set and not empty.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `ENDPOINTS_CHECK_HASH`: checking is on unless the variable is set to something other than `true`.
fn hash_check_enabled(flag_off: bool) -> bool {
    if flag_off {
        return false;
    }
    env_var("ENDPOINTS_CHECK_HASH").is_none_or(|v| v.eq_ignore_ascii_case("true"))
}

/// Also configures the JVM worker (started only if an application needs it).
fn load_options(app: &AppArgs) -> LoadOptions {
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
        hash_scheme: app.hash_scheme,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(c) => c,
        None => match Cli::parse_from(["endpoints", "serve"]).command {
            Some(c) => c,
            None => unreachable!("serve was given"),
        },
    };
    match command {
        Command::Serve(args) => serve(*args),
        Command::Check { app_dir, app } => check(&app_dir, &app),
        Command::Hash {
            args,
            environment,
            all_keys,
            hash_scheme,
        } => hash_command(args, &environment, all_keys, hash_scheme),
        Command::Routes { app_dir, app } => routes(&app_dir, &app),
        Command::Log(args) => log_command(args),
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ENDPOINTS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(false).init();
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// The applications to serve: (name, directory, environment).
fn applications(args: &ServeArgs) -> Result<Vec<(String, PathBuf, Environment)>, String> {
    let mut preview_dir = None;
    for e in &args.environment_dir {
        match e.split_once('=') {
            Some(("preview", dir)) => preview_dir = Some(PathBuf::from(dir)),
            _ => return Err(format!("--environment-dir takes preview=DIR, not '{e}'")),
        }
    }
    let mut out = Vec::new();
    match &args.apps {
        Some(root) => {
            let mut names: Vec<String> = std::fs::read_dir(root)
                .map_err(|e| format!("cannot read {}: {e}", root.display()))?
                .flatten()
                .filter(|e| e.path().is_dir() && config::layout(&e.path()).is_ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(format!("{} has no application directories", root.display()));
            }
            for n in names {
                out.push((n.clone(), root.join(&n), Environment::Live));
                if let Some(p) = &preview_dir {
                    if p.join(&n).is_dir() {
                        out.push((n.clone(), p.join(&n), Environment::Preview));
                    }
                }
            }
        }
        None => {
            let name = args
                .app
                .name
                .clone()
                .unwrap_or_else(|| config::default_name(&args.app_dir));
            out.push((name.clone(), args.app_dir.clone(), Environment::Live));
            if let Some(p) = preview_dir {
                out.push((name, p, Environment::Preview));
            }
        }
    }
    Ok(out)
}

fn print_diagnostics(diags: &[config::Diagnostic]) -> usize {
    let mut errors = 0;
    for d in diags {
        eprintln!("{d}");
        if d.severity == Severity::Error {
            errors += 1;
        }
    }
    errors
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format == "json");
    // Large buffers (bodies, converted documents) are unmapped when freed instead of staying in glibc's arenas.
    endpoints::xslt::allocator::fix_mmap_threshold();
    let hash_check = hash_check_enabled(args.app.no_hash_check);
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_fields: args.max_fields,
        max_field_bytes: args.max_field_bytes,
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        body_timeout: Duration::from_secs(args.body_timeout.max(1)),
        upload_dir: args.upload_dir.clone(),
        upload_memory_bytes: args.upload_memory_bytes,
        body_xml: Budget {
            max_nodes: args.max_body_nodes,
            max_attributes: args.max_body_attributes,
            max_depth: usize::from(args.max_body_depth),
            max_bytes: args.max_body_xml_bytes,
        },
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        max_connections: args.max_connections.max(1),
    };
    let timezone_name = args
        .timezone
        .clone()
        .or_else(|| env_var("ENDPOINTS_SINGLE_APPLICATION_MODE_TIMEZONE_ID"))
        .unwrap_or_else(|| "UTC".to_string());
    let timezone = match jiff::tz::TimeZone::get(&timezone_name) {
        Ok(tz) => tz,
        Err(e) => {
            eprintln!("--timezone '{timezone_name}': {e}");
            return ExitCode::from(2);
        }
    };
    let mut base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}/", args.listen));
    if !base_url.ends_with('/') {
        base_url.push('/');
    }
    let settings = Settings {
        check_hash: hash_check,
        display_expected_hash: env_var("ENDPOINTS_DISPLAY_EXPECTED_HASH")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        debug_allowed: args.debug_allowed,
        timezone,
        base_url,
        clock: endpoints::engine::Clock::system(),
        request_log: endpoints::engine::RequestLogMode::parse(&args.request_log)
            .unwrap_or_default(),
    };
    let apps = match applications(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(true) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let store = match runtime.block_on(open_store(&args.store)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the state store: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("state: {}", store.describe());
    let mut state = server::State::with_store(limits, settings, store);
    let mut failed = false;
    let base_options = load_options(&args.app);
    for (name, dir, environment) in apps {
        let options = LoadOptions {
            name: Some(name.clone()),
            ..base_options.clone()
        };
        match config::load(&dir, &options) {
            Ok(app) => {
                print_diagnostics(&app.warnings);
                tracing::info!(
                    "loaded application '{}' ({}, {} endpoints) from {}",
                    name,
                    environment.as_str(),
                    app.endpoints.len(),
                    dir.display()
                );
                let accepting = app.accepting_missing_hash();
                if hash_check && !accepting.is_empty() {
                    server::site::log_missing_hash(&name, environment, &accepting);
                }
                state.add(app, &dir, environment, options);
            }
            Err(e) => {
                let n = print_diagnostics(&e.0);
                eprintln!("{n} error(s) in {}", dir.display());
                failed = true;
            }
        }
    }
    if failed {
        eprintln!("not serving: fix the errors above (endpoints check DIR lists them)");
        return ExitCode::FAILURE;
    }
    if !state.settings.check_hash {
        tracing::warn!(
            "hash checking is disabled: every endpoint accepts unauthenticated requests"
        );
    }
    let state = Arc::new(state);
    let _watching = (!args.no_watch).then(|| server::watch::Watching::start(state.clone()));
    let grace = Duration::from_secs(args.shutdown_timeout);
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        spawn_reload_on_hangup(state.clone());
        spawn_retention(state.clone(), args.log_retention_days);
        let store = state.store.clone();
        server::serve(listener, state, shutdown_signal(), grace).await?;
        tokio::task::spawn_blocking(endpoints::jvm::shutdown)
            .await
            .ok();
        // Request-log rows queued behind the last responses are written before the process ends.
        if let Err(e) = store.close().await {
            tracing::error!(error = %e, "cannot write the last request-log entries");
        }
        Ok::<(), std::io::Error>(())
    });
    // A transformation still running on the blocking pool is not waited for: it cannot be interrupted, and the
    // shutdown timeout has already passed for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot serve on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}

/// The tokio runtime: one worker per core for serving, one thread for the `log` command.
fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("cannot start the runtime: {e}");
        ExitCode::FAILURE
    })
}

async fn open_store(
    args: &StoreArgs,
) -> Result<Arc<dyn endpoints::store::Store>, endpoints::store::StoreError> {
    endpoints::store::open(
        args.database.as_deref(),
        &args.data_dir.join("endpoints.db"),
    )
    .await
}

/// Deletes request-log entries older than `days` (and expired short links) at start and then every hour.
fn spawn_retention(state: Arc<server::State>, days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = state.settings.clock.now_ms();
            let before = now - i64::from(days) * 86_400_000;
            match state.store.expire(before, now).await {
                Ok(x) if x.log_entries + x.short_links > 0 => tracing::info!(
                    "retention: removed {} request-log entries older than {days} days and {} expired short links",
                    x.log_entries,
                    x.short_links
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
    });
}

/// `endpoints log`: reads the request log of a running or stopped server.
fn log_command(args: LogArgs) -> ExitCode {
    use endpoints::store::LogQuery;
    let runtime = match runtime(false) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let status = match args.status.as_deref().map(parse_status_filter) {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => {
            eprintln!("--status takes a status (404) or a class (4xx)");
            return ExitCode::from(2);
        }
    };
    let since_ms = match args.since.as_deref().map(parse_age) {
        None => None,
        Some(Some(ms)) => Some(endpoints::engine::Clock::system().now_ms() - ms),
        Some(None) => {
            eprintln!("--since takes an age such as 90s, 15m, 1h or 2d");
            return ExitCode::from(2);
        }
    };
    let details = args.show.is_some();
    let query = LogQuery {
        application: args.application.clone(),
        environment: args.environment.clone(),
        endpoint: args.endpoint.clone(),
        status,
        since_ms,
        request_id: args.show.clone().or(args.request_id.clone()),
        limit: if details { 1 } else { args.limit },
        details,
    };
    let result = runtime.block_on(async {
        let store: Arc<dyn endpoints::store::Store> = match args.store.database.as_deref() {
            Some(url) if !url.is_empty() => {
                endpoints::store::open(Some(url), Path::new("")).await?
            }
            _ => {
                let path = args.store.data_dir.join("endpoints.db");
                Arc::new(
                    tokio::task::spawn_blocking(move || {
                        endpoints::store::sqlite::SqliteStore::open_reader(&path)
                    })
                    .await
                    .map_err(|e| endpoints::store::StoreError::Other(e.to_string()))??,
                )
            }
        };
        store.entries(query).await
    });
    let entries = match result {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot read the request log: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(id) = &args.show {
        let Some(e) = entries.first() else {
            eprintln!("no request-log entry with request id '{id}'");
            return ExitCode::FAILURE;
        };
        print!("{}", endpoints::store::format_entry(e));
        return ExitCode::SUCCESS;
    }
    for e in entries.iter().rev() {
        println!("{}", endpoints::store::format_line(e));
    }
    ExitCode::SUCCESS
}

/// `404` → (404, 404); `4xx` → (400, 499).
fn parse_status_filter(s: &str) -> Option<(u16, u16)> {
    let b = s.as_bytes();
    if b.len() == 3 && b[0].is_ascii_digit() && b[1..].eq_ignore_ascii_case(b"xx") {
        let c = u16::from(b[0] - b'0') * 100;
        return Some((c, c + 99));
    }
    s.parse::<u16>().ok().map(|c| (c, c))
}

/// `90s`, `15m`, `1h`, `2d` → milliseconds.
fn parse_age(s: &str) -> Option<i64> {
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: i64 = n.parse().ok()?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

/// `kill -HUP` reloads every application.
fn spawn_reload_on_hangup(state: Arc<server::State>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading");
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || st.reload_all()).await;
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn check(dir: &Path, app: &AppArgs) -> ExitCode {
    let diags = config::check(dir, &load_options(app));
    let errors = print_diagnostics(&diags);
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        ExitCode::FAILURE
    } else {
        println!("{}: OK ({warnings} warning(s))", dir.display());
        ExitCode::SUCCESS
    }
}

fn hash_command(
    args: Vec<String>,
    environment: &str,
    all_keys: bool,
    hash_scheme: hash::Scheme,
) -> ExitCode {
    let Some(env) = Environment::parse(environment) else {
        eprintln!("--environment must be 'live' or 'preview', not '{environment}'");
        return ExitCode::from(2);
    };
    let mut rest: &[String] = &args;
    let mut dir = PathBuf::from(env_var("ENDPOINTS_APP_DIR").unwrap_or_else(|| ".".to_string()));
    if rest.len() >= 2 && !rest[0].contains('=') && config::layout(Path::new(&rest[0])).is_ok() {
        dir = PathBuf::from(&rest[0]);
        rest = &rest[1..];
    }
    let Some((endpoint_name, assignments)) = rest.split_first() else {
        eprintln!("usage: endpoints hash [APP_DIR] ENDPOINT [NAME=VALUE ...]");
        return ExitCode::from(2);
    };
    let options = LoadOptions {
        hash_scheme,
        ..LoadOptions::default()
    };
    let app = match config::load(&dir, &options) {
        Ok(a) => a,
        Err(e) => {
            print_diagnostics(&e.0);
            return ExitCode::FAILURE;
        }
    };
    let Some((_, endpoint)) = app.endpoint(endpoint_name) else {
        eprintln!("no endpoint '{endpoint_name}' in {}", dir.display());
        return ExitCode::FAILURE;
    };
    let mut given: Vec<(String, String)> = Vec::new();
    for a in assignments {
        let Some((n, v)) = a.split_once('=') else {
            eprintln!("'{a}' is not NAME=VALUE");
            return ExitCode::from(2);
        };
        given.push((n.to_string(), v.to_string()));
    }
    let included = match hash::included_values(endpoint, &given) {
        Ok(v) => v,
        Err(name) => {
            eprintln!(
                "parameter '{name}' is part of the hash and has no default: give {name}=VALUE"
            );
            return ExitCode::from(2);
        }
    };
    for (n, _) in &given {
        if !endpoint
            .include_in_hash
            .iter()
            .any(|&i| endpoint.parameters[i].name == *n)
        {
            eprintln!("note: '{n}' is not in <include-in-hash> of '{endpoint_name}' and does not change the hash");
        }
    }
    if app.secret_keys.is_empty() {
        eprintln!("security.xml has no <secret-key>");
        return ExitCode::FAILURE;
    }
    let keys = if all_keys {
        &app.secret_keys[..]
    } else {
        &app.secret_keys[..1]
    };
    for k in keys {
        println!(
            "{}",
            hash::compute_with(app.settings.hash_scheme, &endpoint.name, &included, env, k)
        );
    }
    ExitCode::SUCCESS
}

fn routes(dir: &Path, app_args: &AppArgs) -> ExitCode {
    let app = match config::load(dir, &load_options(app_args)) {
        Ok(a) => a,
        Err(e) => {
            print_diagnostics(&e.0);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "application '{}': /{}/<endpoint> and /<endpoint>",
        app.name, app.name
    );
    for e in &app.endpoints {
        println!("/{}", e.name);
        for (i, p) in e.parameters.iter().enumerate() {
            let hashed = if e.include_in_hash.contains(&i) {
                "  [in hash]"
            } else {
                ""
            };
            match &p.default {
                Some(d) => println!("    {} = {:?}{hashed}", p.name, d),
                None => println!("    {} (required){hashed}", p.name),
            }
        }
    }
    ExitCode::SUCCESS
}
