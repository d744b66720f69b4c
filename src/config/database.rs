//! `<xml-from-database tag="T"?>` (behaviour spec §8.2): the JDBC URL, the SQL and its `<param>`s, checked at load.
//!
//! ```xml
//! <xml-from-database tag="customers">
//!   <jdbc-connection-string from-environment-variable="CRM_DB"/>   <!-- or: a JDBC URL as text -->
//!   <sql>SELECT id, name FROM customer WHERE country = ? AND name LIKE ?</sql>
//!   <param>${country}</param>
//!   <param>${prefix}%</param>
//! </xml-from-database>
//! ```
//!
//! Supported JDBC URLs (anything else is a load error naming these):
//!
//! * `jdbc:postgresql://host[:port][,host2[:port2]…][/database][?user=u&password=p&…]`, also
//!   `jdbc:postgresql:database` and `user:password@host`. Properties used: `user`, `password`, `connectTimeout`
//!   (seconds), `ApplicationName`, `currentSchema`, `options`, `sslmode`/`ssl` (only plain TCP is spoken: a
//!   setting that requires TLS is a load error). Other properties are ignored with a warning.
//! * `jdbc:sqlite:PATH` — a relative path is relative to the application's configuration directory; a
//!   `?…` suffix is ignored. The file is opened read-only when the query runs; a missing file is a warning.
//! * `jdbc:mysql://…` and `jdbc:mariadb://…` — one host, `[user[:password]@]host[:port][/database][?…]`;
//!   properties `user`, `password`, `connectTimeout` (milliseconds); a setting that requires TLS (`useSSL=true`,
//!   `requireSSL=true`, `sslMode=REQUIRED`/`VERIFY_*`/`trust`/`verify-*`) is a load error.
//!
//! Percent-encoded characters in user, password and database are decoded, as the JDBC drivers do.
//!
//! Differences from the reference:
//! * The reference connects and runs the SQL once at load with every `?` bound to NULL, so the database must be
//!   reachable at load. Here the URL is only parsed at load and the number of `?` is compared with the number of
//!   `<param>`s (what the reference's load-time run would have reported); the database is first contacted by a
//!   request, so an application loads (and `endpoints check` runs) without its databases.
//! * PostgreSQL: `?` is translated into `$1, $2, …` outside string literals, quoted identifiers, dollar quotes and
//!   comments; `??` stands for a literal `?` (the JSONB operators `?`, `?|`, `?&`), as in the PostgreSQL JDBC
//!   driver. How values are bound: see `crate::engine::database`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roxmltree::Node;

use super::error::{Diagnostics, Pos};
use super::template::Pattern;
use super::xml;

/// The element name of the output when `tag` is not given.
pub const DEFAULT_TAG: &str = "xml-from-database";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
    MySql,
}

impl DatabaseKind {
    pub fn name(self) -> &'static str {
        match self {
            DatabaseKind::Postgres => "PostgreSQL",
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::MySql => "MySQL/MariaDB",
        }
    }
}

/// Where the JDBC URL came from. The URL itself is resolved at load (see [`DatabaseQuery::target`]).
#[derive(Clone, PartialEq, Eq)]
pub enum ConnectionSource {
    /// The URL written in the configuration.
    Inline(String),
    /// `from-environment-variable="VAR"`: the variable's name.
    EnvVar(String),
}

impl fmt::Debug for ConnectionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The URL may carry a password.
            ConnectionSource::Inline(url) => f
                .debug_tuple("Inline")
                .field(&format_args!("{}", redact_url(url)))
                .finish(),
            ConnectionSource::EnvVar(v) => f.debug_tuple("EnvVar").field(v).finish(),
        }
    }
}

/// A parsed JDBC URL, everything a driver needs to connect.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    Postgres(NetTarget),
    Sqlite(PathBuf),
    MySql(NetTarget),
}

/// Host, credentials and settings of a PostgreSQL or MySQL/MariaDB URL.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NetTarget {
    /// At least one; PostgreSQL may list several (tried in order).
    pub hosts: Vec<(String, u16)>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub connect_timeout: Option<std::time::Duration>,
    /// PostgreSQL only: `ApplicationName`.
    pub application_name: Option<String>,
    /// PostgreSQL only: `options` plus `-c search_path=…` for `currentSchema`.
    pub options: Option<String>,
}

impl fmt::Debug for NetTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetTarget")
            .field("hosts", &self.hosts)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("connect_timeout", &self.connect_timeout)
            .field("application_name", &self.application_name)
            .field("options", &self.options)
            .finish()
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Postgres(t) => f.debug_tuple("Postgres").field(t).finish(),
            Target::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Target::MySql(t) => f.debug_tuple("MySql").field(t).finish(),
        }
    }
}

impl Target {
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Target::Postgres(_) => DatabaseKind::Postgres,
            Target::Sqlite(_) => DatabaseKind::Sqlite,
            Target::MySql(_) => DatabaseKind::MySql,
        }
    }

    /// A description for logs: kind, host(s) or file, database and user, never the password.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(p) => format!("SQLite {}", p.display()),
            Target::Postgres(t) | Target::MySql(t) => {
                let hosts: Vec<String> = t.hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect();
                format!(
                    "{} {}/{} as {}",
                    self.kind().name(),
                    hosts.join(","),
                    t.database.as_deref().unwrap_or(""),
                    t.user.as_deref().unwrap_or("(default user)")
                )
            }
        }
    }
}

/// One `<xml-from-database>` command.
#[derive(Clone)]
pub struct DatabaseQuery {
    pub connection: ConnectionSource,
    /// The SQL as written (never expanded).
    pub sql: String,
    /// `<param>` values in order, bound to the `?`s.
    pub params: Vec<Pattern>,
    /// The output element's name.
    pub tag: String,
    pub kind: DatabaseKind,
    /// The resolved, parsed URL (an environment variable is read once, at load).
    pub target: Arc<Target>,
    /// Identifies the connection pool: the resolved URL (never shown anywhere).
    pub pool_key: Arc<str>,
    /// The SQL sent to the database: for PostgreSQL with `?` translated into `$n`; else as written.
    pub prepared_sql: String,
}

impl fmt::Debug for DatabaseQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseQuery")
            .field("connection", &self.connection)
            .field("sql", &self.sql)
            .field("params", &self.params)
            .field("tag", &self.tag)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl DatabaseQuery {
    /// Every pattern whose placeholders come from the context (the `<param>`s).
    pub fn patterns(&self) -> Vec<&Pattern> {
        self.params.iter().collect()
    }
}

/// The JDBC URL with any password removed (for messages).
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    // `user:password@` in the authority.
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@') {
            let userinfo = &out[start..start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(start + colon + 1..start + at, "***");
            }
        }
    }
    // `password=…` in the query string.
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let redacted: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", redacted.join("&"));
    }
    out
}

/// The passwords of a JDBC URL as written in it (before percent-decoding): what [`redact_url`] removes.
fn raw_passwords(url: &str) -> Vec<String> {
    let redacted = redact_url(url);
    let mut out = Vec::new();
    // Both strings agree up to the first difference; each `***` in `redacted` stands for one password.
    let (mut u, mut r) = (url, redacted.as_str());
    while let Some(i) = r.find("***") {
        let (Some(head), Some(rest)) = (u.get(..i), r.get(i + 3..)) else {
            break;
        };
        if !r.starts_with(head) {
            break;
        }
        // The password ends where the rest of the redacted text resumes (at '@' or '&' or the end).
        let after = &u[i..];
        let end = match rest.chars().next() {
            Some(c) => after.find(c).unwrap_or(after.len()),
            None => after.len(),
        };
        out.push(after[..end].to_string());
        u = &after[end..];
        r = rest;
    }
    out
}

/// Parses an `<xml-from-database>` element. `<post-process>` children are left to the caller.
pub fn parse_database_query(
    file: &Path,
    node: Node,
    config_dir: &Path,
    diags: &mut Diagnostics,
) -> Option<DatabaseQuery> {
    let element = xml::name(node).to_string();
    xml::check_attributes(file, node, &["tag"], diags);
    let mut ok = true;
    let tag = match node.attribute("tag") {
        Some(t) if is_xml_name(t) => t.to_string(),
        Some(t) => {
            diags.error(
                file,
                xml::attr_pos(node, "tag"),
                format!("<{element} tag='{t}'>: '{t}' is not a valid XML element name"),
            );
            ok = false;
            DEFAULT_TAG.to_string()
        }
        None => DEFAULT_TAG.to_string(),
    };
    let mut connection: Option<(ConnectionSource, String, Pos)> = None;
    let mut sql: Option<(String, Pos)> = None;
    let mut params = Vec::new();
    let mut seen_connection = false;
    for c in xml::elements(node) {
        match xml::name(c) {
            "post-process" => {}
            "jdbc-connection-string" => {
                if seen_connection {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{element}> has more than one <jdbc-connection-string>"),
                    );
                    ok = false;
                    continue;
                }
                seen_connection = true;
                xml::check_attributes(file, c, &["from-environment-variable"], diags);
                match c.attribute("from-environment-variable") {
                    Some(var) => match std::env::var(var) {
                        Ok(url) => {
                            connection = Some((
                                ConnectionSource::EnvVar(var.to_string()),
                                url.trim().to_string(),
                                xml::attr_pos(c, "from-environment-variable"),
                            ))
                        }
                        Err(std::env::VarError::NotPresent) => {
                            diags.error(
                                file,
                                xml::attr_pos(c, "from-environment-variable"),
                                format!("JDBC URL specified to come from environment variable '{var}' but this environment variable is not set"),
                            );
                            ok = false;
                        }
                        Err(std::env::VarError::NotUnicode(_)) => {
                            diags.error(
                                file,
                                xml::attr_pos(c, "from-environment-variable"),
                                format!("JDBC URL specified to come from environment variable '{var}' but its value is not valid Unicode"),
                            );
                            ok = false;
                        }
                    },
                    None => {
                        let url = xml::text_content(c).trim().to_string();
                        if url.is_empty() {
                            diags.error(
                                file,
                                xml::pos(c),
                                "<jdbc-connection-string> is empty: write the JDBC URL as its text, or name an environment variable with from-environment-variable=\"VAR\"",
                            );
                            ok = false;
                        } else {
                            connection = Some((
                                ConnectionSource::Inline(url.clone()),
                                url,
                                xml::text_pos(c),
                            ));
                        }
                    }
                }
            }
            "sql" => {
                xml::check_attributes(file, c, &[], diags);
                if sql.is_some() {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{element}> has more than one <sql>"),
                    );
                    ok = false;
                    continue;
                }
                let text = xml::text_content(c);
                if text.trim().is_empty() {
                    diags.error(file, xml::pos(c), "<sql> is empty");
                    ok = false;
                }
                sql = Some((text, xml::text_pos(c)));
            }
            "param" => {
                xml::check_attributes(file, c, &[], diags);
                params.push(Pattern::plain(&xml::text_content(c)));
            }
            other => {
                diags.error(
                    file,
                    xml::pos(c),
                    format!("Unexpected element <{other}> in <{element}>; expected <jdbc-connection-string>, <sql>, <param> or <post-process>"),
                );
                ok = false;
            }
        }
    }
    if !seen_connection {
        diags.error(
            file,
            xml::pos(node),
            format!("<{element}> is missing the element <jdbc-connection-string>"),
        );
        ok = false;
    }
    let Some((sql, sql_pos)) = sql else {
        diags.error(
            file,
            xml::pos(node),
            format!("<{element}> is missing the element <sql>"),
        );
        return None;
    };
    let (connection, url, url_pos) = connection?;
    let target = match parse_jdbc_url(&url, config_dir) {
        Ok((target, warnings)) => {
            if let Target::Postgres(t) | Target::MySql(t) = &target {
                if let Some(p) = &t.password {
                    // As written in the URL (maybe percent-encoded) and as sent to the server.
                    diags.secret(p);
                    for part in raw_passwords(&url) {
                        diags.secret(&part);
                    }
                }
            }
            for w in warnings {
                diags.warning(file, url_pos, w);
            }
            target
        }
        Err(e) => {
            diags.error(file, url_pos, e);
            return None;
        }
    };
    let kind = target.kind();
    if let Target::Sqlite(path) = &target {
        if !path.is_file() {
            diags.warning(
                file,
                url_pos,
                format!(
                    "SQLite database file '{}' does not exist (yet); queries fail until it does",
                    path.display()
                ),
            );
        }
    }
    let dialect = match kind {
        DatabaseKind::Postgres => Dialect::Postgres,
        DatabaseKind::Sqlite => Dialect::Sqlite,
        DatabaseKind::MySql => Dialect::MySql,
    };
    let (prepared_sql, count) = scan_placeholders(&sql, dialect);
    if count != params.len() {
        diags.error(
            file,
            sql_pos,
            format!(
                "<sql> has {count} '?' placeholder{} but <{element}> has {} <param> element{}",
                if count == 1 { "" } else { "s" },
                params.len(),
                if params.len() == 1 { "" } else { "s" },
            ),
        );
        ok = false;
    }
    let prepared_sql = if kind == DatabaseKind::Postgres {
        prepared_sql
    } else {
        sql.clone()
    };
    ok.then(|| DatabaseQuery {
        connection,
        sql,
        params,
        tag,
        kind,
        target: Arc::new(target),
        pool_key: Arc::from(url.as_str()),
        prepared_sql,
    })
}

fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

const SUPPORTED: &str =
    "supported are jdbc:postgresql://…, jdbc:sqlite:…, jdbc:mysql://… and jdbc:mariadb://…";

/// Parses a JDBC URL; `Ok` carries warnings (ignored properties). Errors never contain the password.
pub fn parse_jdbc_url(url: &str, config_dir: &Path) -> Result<(Target, Vec<String>), String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = strip_prefix_ci(url, &lower, "jdbc:postgresql:") {
        let (t, w) = parse_net(rest, 5432, DatabaseKind::Postgres)?;
        Ok((Target::Postgres(t), w))
    } else if let Some(rest) = strip_prefix_ci(url, &lower, "jdbc:sqlite:") {
        let path = rest.split('?').next().unwrap_or("");
        let path = path.strip_prefix("file:").unwrap_or(path);
        if path.is_empty() {
            return Err("JDBC URL 'jdbc:sqlite:' names no database file".to_string());
        }
        let mut w = Vec::new();
        if rest.contains('?') {
            w.push("the '?…' part of a jdbc:sqlite: URL is ignored".to_string());
        }
        let p = Path::new(path);
        let full = if p.is_absolute() || path == ":memory:" {
            p.to_path_buf()
        } else {
            config_dir.join(p)
        };
        Ok((Target::Sqlite(full), w))
    } else if let Some(rest) = strip_prefix_ci(url, &lower, "jdbc:mysql:")
        .or_else(|| strip_prefix_ci(url, &lower, "jdbc:mariadb:"))
    {
        let (t, w) = parse_net(rest, 3306, DatabaseKind::MySql)?;
        Ok((Target::MySql(t), w))
    } else {
        // Name only the scheme: the rest may hold a password.
        let scheme: String = match url
            .find(':')
            .and_then(|i| url[i + 1..].find(':').map(|j| i + 1 + j))
        {
            Some(end) if url[..end].to_ascii_lowercase().starts_with("jdbc:") => {
                url[..=end].to_string()
            }
            _ => url.chars().take_while(|c| *c != ':' && *c != '/').collect(),
        };
        Err(format!(
            "JDBC URL '{scheme}…' is not supported; {SUPPORTED}"
        ))
    }
}

fn strip_prefix_ci<'a>(url: &'a str, lower: &str, prefix: &str) -> Option<&'a str> {
    lower.starts_with(prefix).then(|| &url[prefix.len()..])
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `//[user[:password]@]hosts[/database][?props]` or (PostgreSQL) `database[?props]`.
fn parse_net(
    rest: &str,
    default_port: u16,
    kind: DatabaseKind,
) -> Result<(NetTarget, Vec<String>), String> {
    let scheme = match kind {
        DatabaseKind::Postgres => "jdbc:postgresql:",
        _ => "jdbc:mysql:",
    };
    let mut t = NetTarget::default();
    let mut warnings = Vec::new();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (authority, database) = if let Some(after) = main.strip_prefix("//") {
        match after.split_once('/') {
            Some((a, d)) => (a, d),
            None => (after, ""),
        }
    } else if kind == DatabaseKind::Postgres {
        ("", main.strip_prefix('/').unwrap_or(main))
    } else {
        return Err(format!("JDBC URL '{scheme}…' must continue with '//host'"));
    };
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = userinfo {
        match u.split_once(':') {
            Some((user, pass)) => {
                t.user = Some(decode(user));
                t.password = Some(decode(pass));
            }
            None => t.user = Some(decode(u)),
        }
    }
    if hosts.is_empty() {
        t.hosts.push(("localhost".to_string(), default_port));
    } else {
        for h in hosts.split(',') {
            t.hosts.push(parse_host(h, default_port, scheme)?);
        }
    }
    if kind == DatabaseKind::MySql && t.hosts.len() > 1 {
        return Err(format!(
            "JDBC URL '{scheme}//…' lists several hosts; only one is supported"
        ));
    }
    if !database.is_empty() {
        t.database = Some(decode(database));
    }
    let mut schema = None;
    let mut user_options = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let key = k.as_ref();
        let v = v.into_owned();
        let tls_error = |setting: String| {
            Err(format!(
                "JDBC URL property {setting} asks for TLS, which this engine does not support for {} connections; connect over a trusted network or a local tunnel instead",
                kind.name()
            ))
        };
        match (kind, key) {
            (_, "user") => t.user = Some(v),
            (_, "password") => t.password = Some(v),
            (DatabaseKind::Postgres, "connectTimeout" | "loginTimeout") => {
                let secs: u64 = v.parse().map_err(|_| {
                    format!("JDBC URL property {key}='{v}' is not a number of seconds")
                })?;
                if secs > 0 {
                    t.connect_timeout = Some(std::time::Duration::from_secs(secs));
                }
            }
            (DatabaseKind::MySql, "connectTimeout") => {
                let ms: u64 = v.parse().map_err(|_| {
                    format!(
                        "JDBC URL property connectTimeout='{v}' is not a number of milliseconds"
                    )
                })?;
                if ms > 0 {
                    t.connect_timeout = Some(std::time::Duration::from_millis(ms));
                }
            }
            (DatabaseKind::Postgres, "ApplicationName") => t.application_name = Some(v),
            (DatabaseKind::Postgres, "currentSchema") => schema = Some(v),
            (DatabaseKind::Postgres, "options") => user_options = Some(v),
            (DatabaseKind::Postgres, "sslmode") => {
                if !matches!(v.as_str(), "disable" | "allow" | "prefer") {
                    return tls_error(format!("sslmode={v}"));
                }
            }
            (DatabaseKind::Postgres, "ssl") => {
                if v.is_empty() || v.eq_ignore_ascii_case("true") {
                    return tls_error("ssl=true".to_string());
                }
            }
            (DatabaseKind::MySql, "useSSL" | "useSsl" | "requireSSL" | "ssl") => {
                if v.eq_ignore_ascii_case("true") {
                    return tls_error(format!("{key}=true"));
                }
            }
            (DatabaseKind::MySql, "sslMode" | "sslmode") => {
                if !(v.eq_ignore_ascii_case("disabled")
                    || v.eq_ignore_ascii_case("disable")
                    || v.eq_ignore_ascii_case("preferred"))
                {
                    return tls_error(format!("{key}={v}"));
                }
            }
            // Common settings that make no difference here.
            (
                DatabaseKind::Postgres,
                "socketTimeout" | "tcpKeepAlive" | "prepareThreshold" | "stringtype",
            )
            | (
                DatabaseKind::MySql,
                "useUnicode"
                | "characterEncoding"
                | "serverTimezone"
                | "allowPublicKeyRetrieval"
                | "zeroDateTimeBehavior"
                | "autoReconnect"
                | "socketTimeout"
                | "useLegacyDatetimeCode"
                | "permitMysqlScheme"
                | "tinyInt1isBit",
            ) => {}
            _ => warnings.push(format!(
                "JDBC URL property '{key}' is not used by this engine and is ignored"
            )),
        }
    }
    if kind == DatabaseKind::Postgres {
        let mut options = user_options.unwrap_or_default();
        if let Some(s) = schema {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str("-c search_path=");
            options.push_str(&s.replace(' ', "\\ "));
        }
        if !options.is_empty() {
            t.options = Some(options);
        }
    }
    Ok((t, warnings))
}

fn parse_host(h: &str, default_port: u16, scheme: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = h.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!(
                "JDBC URL '{scheme}//…' has an unclosed '[' in its host"
            ));
        };
        (host, after.strip_prefix(':'))
    } else {
        match h.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (h, None),
        }
    };
    if host.is_empty() {
        return Err(format!("JDBC URL '{scheme}//…' has an empty host name"));
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("JDBC URL '{scheme}//…' has an invalid port '{p}'"))?,
    };
    Ok((host.to_string(), port))
}

/// SQL lexical rules for finding `?` placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
    MySql,
}

/// Finds the `?` placeholders outside string literals, quoted identifiers and comments. Returns the SQL with
/// placeholders rewritten for PostgreSQL (`?` → `$1, $2, …`, `??` → `?`; other dialects: unchanged) and the
/// number of placeholders.
pub fn scan_placeholders(sql: &str, dialect: Dialect) -> (String, usize) {
    let pg = dialect == Dialect::Postgres;
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut count = 0;
    let mut i = 0;
    // Start of the text not yet copied to `out`.
    let mut copied = 0;
    let ident_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 || c == b'$';
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                // PostgreSQL E'…' strings and MySQL strings know backslash escapes.
                let backslash = match dialect {
                    Dialect::MySql => true,
                    Dialect::Postgres => {
                        i > 0
                            && (b[i - 1] == b'e' || b[i - 1] == b'E')
                            && (i < 2 || !ident_byte(b[i - 2]))
                    }
                    Dialect::Sqlite => false,
                };
                i = skip_quoted(b, i, b'\'', backslash);
            }
            b'"' => i = skip_quoted(b, i, b'"', dialect == Dialect::MySql),
            b'`' if dialect != Dialect::Postgres => i = skip_quoted(b, i, b'`', false),
            b'[' if dialect == Dialect::Sqlite => {
                i = b[i + 1..]
                    .iter()
                    .position(|&x| x == b']')
                    .map_or(b.len(), |p| i + 1 + p + 1);
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && (dialect != Dialect::MySql
                    || b.get(i + 2)
                        .is_none_or(|x| x.is_ascii_whitespace() || x.is_ascii_control())) =>
            {
                i = skip_line(b, i);
            }
            b'#' if dialect == Dialect::MySql => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // PostgreSQL block comments nest.
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else if pg && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if pg && (i == 0 || !ident_byte(b[i - 1])) => {
                // Dollar quoting: $tag$ … $tag$ (tag: identifier without '$', possibly empty).
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if b[e] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                        let delim = &sql[i..=e];
                        i = match sql[e + 1..].find(delim) {
                            Some(p) => e + 1 + p + delim.len(),
                            None => b.len(),
                        };
                    }
                    _ => i += 1,
                }
            }
            b'?' => {
                if pg && b.get(i + 1) == Some(&b'?') {
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    i += 2;
                    copied = i;
                } else {
                    count += 1;
                    if pg {
                        out.push_str(&sql[copied..i]);
                        out.push('$');
                        out.push_str(&count.to_string());
                        copied = i + 1;
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    (out, count)
}

/// Index after the literal starting at `start` (a quote `q`; a doubled quote is an escaped one).
fn skip_quoted(b: &[u8], start: usize, q: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn skip_line(b: &[u8], start: usize) -> usize {
    b[start..]
        .iter()
        .position(|&x| x == b'\n')
        .map_or(b.len(), |p| start + p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> (String, usize) {
        scan_placeholders(sql, Dialect::Postgres)
    }

    #[test]
    fn postgres_placeholders() {
        assert_eq!(
            pg("SELECT * FROM t WHERE a = ? AND b = ?"),
            ("SELECT * FROM t WHERE a = $1 AND b = $2".into(), 2)
        );
        assert_eq!(
            pg("SELECT '?', \"?\", ?"),
            ("SELECT '?', \"?\", $1".into(), 1)
        );
        assert_eq!(
            pg("SELECT 'it''s ?' || ? -- ? here\n, ?"),
            ("SELECT 'it''s ?' || $1 -- ? here\n, $2".into(), 2)
        );
        assert_eq!(
            pg("SELECT /* ? /* nested ? */ still ? */ ?"),
            ("SELECT /* ? /* nested ? */ still ? */ $1".into(), 1)
        );
        assert_eq!(
            pg("SELECT $$ ? $$, $a$ ? $$ ? $a$, ?"),
            ("SELECT $$ ? $$, $a$ ? $$ ? $a$, $1".into(), 1)
        );
        assert_eq!(pg("SELECT E'\\' ?', ?"), ("SELECT E'\\' ?', $1".into(), 1));
        // Without E, a backslash is an ordinary character.
        assert_eq!(pg("SELECT '\\', ?"), ("SELECT '\\', $1".into(), 1));
        assert_eq!(
            pg("SELECT j ?? 'k', j ??| ?"),
            ("SELECT j ? 'k', j ?| $1".into(), 1)
        );
        // Identifiers containing '$' and positional parameters are not dollar quotes.
        assert_eq!(pg("SELECT a$b$, ?"), ("SELECT a$b$, $1".into(), 1));
        assert_eq!(pg("SELECT $1 ?"), ("SELECT $1 $1".into(), 1));
        assert_eq!(
            pg("SELECT 'unterminated ?"),
            ("SELECT 'unterminated ?".into(), 0)
        );
        assert_eq!(pg("SELECT ?::int, ü?"), ("SELECT $1::int, ü$2".into(), 2));
    }

    #[test]
    fn mysql_and_sqlite_placeholders() {
        let my = |s| scan_placeholders(s, Dialect::MySql).1;
        assert_eq!(my("SELECT 'a\\' ?', ?"), 1);
        assert_eq!(my("SELECT `?`, \"\\\" ?\", ? # ?\n"), 1);
        assert_eq!(my("SELECT 1--?\n"), 1);
        assert_eq!(my("SELECT 1 -- ?\n"), 0);
        let lite = |s| scan_placeholders(s, Dialect::Sqlite);
        assert_eq!(
            lite("SELECT [?], `?`, '\\', ? -- ?"),
            ("SELECT [?], `?`, '\\', ? -- ?".into(), 1)
        );
        assert_eq!(lite("SELECT ??").1, 2);
    }

    #[test]
    fn jdbc_urls() {
        let dir = Path::new("/app");
        let (t, w) = parse_jdbc_url(
            "jdbc:postgresql://db.example:5433/shop?user=u%20x&password=p%26w&ApplicationName=x&currentSchema=s&foo=1",
            dir,
        )
        .unwrap();
        let Target::Postgres(n) = t else { panic!() };
        assert_eq!(n.hosts, vec![("db.example".to_string(), 5433)]);
        assert_eq!(n.database.as_deref(), Some("shop"));
        assert_eq!(n.user.as_deref(), Some("u x"));
        assert_eq!(n.password.as_deref(), Some("p&w"));
        assert_eq!(n.options.as_deref(), Some("-c search_path=s"));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("'foo'"));
        assert!(!format!("{n:?}").contains("p&w"));

        let (t, _) = parse_jdbc_url("jdbc:postgresql:shop", dir).unwrap();
        let Target::Postgres(n) = t else { panic!() };
        assert_eq!(n.hosts, vec![("localhost".to_string(), 5432)]);
        assert_eq!(n.database.as_deref(), Some("shop"));

        let (t, _) = parse_jdbc_url("jdbc:postgresql://[::1],h2:7/x", dir).unwrap();
        let Target::Postgres(n) = t else { panic!() };
        assert_eq!(
            n.hosts,
            vec![("::1".to_string(), 5432), ("h2".to_string(), 7)]
        );

        let (t, _) = parse_jdbc_url("jdbc:mariadb://root:s%40cret@127.0.0.1/test", dir).unwrap();
        let Target::MySql(n) = t else { panic!() };
        assert_eq!(n.hosts, vec![("127.0.0.1".to_string(), 3306)]);
        assert_eq!(n.user.as_deref(), Some("root"));
        assert_eq!(n.password.as_deref(), Some("s@cret"));
        assert_eq!(n.database.as_deref(), Some("test"));

        let (t, _) = parse_jdbc_url("jdbc:sqlite:data/x.db", dir).unwrap();
        assert_eq!(t, Target::Sqlite(PathBuf::from("/app/data/x.db")));
        let (t, _) = parse_jdbc_url("jdbc:sqlite:/var/x.db", dir).unwrap();
        assert_eq!(t, Target::Sqlite(PathBuf::from("/var/x.db")));

        let e = parse_jdbc_url("jdbc:oracle:thin:scott/tiger@host:1521:orcl", dir).unwrap_err();
        assert!(
            e.starts_with("JDBC URL 'jdbc:oracle:…' is not supported"),
            "{e}"
        );
        assert!(!e.contains("tiger"));
        assert!(parse_jdbc_url("jdbc:postgresql://h:99999/x", dir).is_err());
        assert!(parse_jdbc_url("jdbc:postgresql://h/x?sslmode=require", dir).is_err());
        assert!(parse_jdbc_url("jdbc:postgresql://h/x?sslmode=disable", dir).is_ok());
        assert!(parse_jdbc_url("jdbc:mysql://h/x?useSSL=true", dir).is_err());
        assert!(parse_jdbc_url("jdbc:mysql://a,b/x", dir).is_err());
        assert!(parse_jdbc_url("jdbc:mysql:x", dir).is_err());
    }

    #[test]
    fn raw_passwords_are_found() {
        assert_eq!(
            raw_passwords("jdbc:mysql://u:s%40cret@h/db?password=x%26y&user=u"),
            ["s%40cret", "x%26y"]
        );
        assert_eq!(
            raw_passwords("jdbc:postgresql://h/db"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("jdbc:mysql://u:secret@h/db?password=x&user=u"),
            "jdbc:mysql://u:***@h/db?password=***&user=u"
        );
        assert_eq!(redact_url("jdbc:sqlite:/x.db"), "jdbc:sqlite:/x.db");
    }
}
