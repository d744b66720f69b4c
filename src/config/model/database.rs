//! `<xml-from-database tag="T"?>`: the JDBC URL, the SQL and its `<param>`s, checked at load.
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
use std::path::PathBuf;
use std::sync::Arc;

use super::template::Pattern;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("jdbc:mysql://u:secret@h/db?password=x&user=u"),
            "jdbc:mysql://u:***@h/db?password=***&user=u"
        );
        assert_eq!(redact_url("jdbc:sqlite:/x.db"), "jdbc:sqlite:/x.db");
    }
}
