//! Parses the JDBC URLs of `<xml-from-database>`: PostgreSQL, SQLite and MySQL/MariaDB, with their properties.
//! Percent-encoded user, password and database names are decoded, as the JDBC drivers do.

use std::path::Path;

use crate::config::model::database::{DatabaseKind, NetTarget, Target};

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
    let warnings = Vec::new();
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
    let mut props = Properties {
        target: t,
        schema: None,
        user_options: None,
        warnings,
    };
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        apply_property(kind, k.as_ref(), v.into_owned(), &mut props)?;
    }
    let Properties {
        target: mut t,
        schema,
        user_options,
        warnings,
    } = props;
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

/// What the properties of a URL set, as they are read.
struct Properties {
    target: NetTarget,
    schema: Option<String>,
    user_options: Option<String>,
    warnings: Vec<String>,
}

/// One `key=value` property of a PostgreSQL or MySQL/MariaDB URL.
fn apply_property(
    kind: DatabaseKind,
    key: &str,
    v: String,
    p: &mut Properties,
) -> Result<(), String> {
    let tls_error = |setting: String| {
        Err(format!(
            "JDBC URL property {setting} asks for TLS, which this engine does not support for {} connections; connect over a trusted network or a local tunnel instead",
            kind.name()
        ))
    };
    match (kind, key) {
        (_, "user") => p.target.user = Some(v),
        (_, "password") => p.target.password = Some(v),
        (DatabaseKind::Postgres, "connectTimeout" | "loginTimeout") => {
            let secs: u64 = v
                .parse()
                .map_err(|_| format!("JDBC URL property {key}='{v}' is not a number of seconds"))?;
            if secs > 0 {
                p.target.connect_timeout = Some(std::time::Duration::from_secs(secs));
            }
        }
        (DatabaseKind::MySql, "connectTimeout") => {
            let ms: u64 = v.parse().map_err(|_| {
                format!("JDBC URL property connectTimeout='{v}' is not a number of milliseconds")
            })?;
            if ms > 0 {
                p.target.connect_timeout = Some(std::time::Duration::from_millis(ms));
            }
        }
        (DatabaseKind::Postgres, "ApplicationName") => p.target.application_name = Some(v),
        (DatabaseKind::Postgres, "currentSchema") => p.schema = Some(v),
        (DatabaseKind::Postgres, "options") => p.user_options = Some(v),
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
        _ => p.warnings.push(format!(
            "JDBC URL property '{key}' is not used by this engine and is ignored"
        )),
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

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
}
