//! Text for people: the request log as `endpoints log` prints it, UTC times, and database URLs without password.

use super::model::LogEntry;

/// A database URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// `yyyy-MM-dd HH:mm:ss` in UTC.
pub fn utc_datetime(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => String::new(),
    }
}

/// One line of `endpoints log`: time (UTC), application/environment, endpoint, status, request id, numbers, message.
pub fn format_line(e: &LogEntry) -> String {
    let mut s = format!(
        "{}  {}/{}  {}  {}  {}",
        utc_datetime(e.datetime_ms),
        e.application,
        e.environment,
        e.endpoint,
        e.status_code,
        e.request_id
    );
    for (k, n) in ["#", "year#", "month#"].iter().zip(e.numbers) {
        if let Some(n) = n {
            s.push_str(&format!("  {k}{n}"));
        }
    }
    if let Some(m) = &e.exception_message {
        s.push_str("  ");
        s.push_str(&m.replace('\n', " "));
    }
    s
}

/// Everything stored for one entry (`endpoints log --show ID`).
pub fn format_entry(e: &LogEntry) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut field = |name: &str, v: &str| {
        let _ = writeln!(s, "{name:<34}{v}");
    };
    field("request-id", &e.request_id);
    field("application", &e.application);
    field("environment", &e.environment);
    field("endpoint", &e.endpoint);
    field("datetime-utc", &utc_datetime(e.datetime_ms));
    field("status-code", &e.status_code.to_string());
    field("user-agent", &e.user_agent);
    let opt = |v: &Option<String>| v.clone();
    for (name, v) in [
        ("exception-message", opt(&e.exception_message)),
        ("http-request-failed-url", opt(&e.http_request_failed_url)),
        (
            "http-request-failed-status-code",
            e.http_request_failed_status_code.map(|c| c.to_string()),
        ),
        (
            "xslt-parameter-error-message",
            opt(&e.xslt_parameter_error_message),
        ),
        ("perpetual-number", e.numbers[0].map(|n| n.to_string())),
        ("year-number", e.numbers[1].map(|n| n.to_string())),
        ("month-number", e.numbers[2].map(|n| n.to_string())),
        ("request-content-type", opt(&e.request_content_type)),
    ] {
        if let Some(v) = v {
            field(name, &v);
        }
    }
    for (k, v) in &e.captures {
        field(&format!("capture {k}"), v);
    }
    for (title, doc) in [
        (
            "parameter-transformation-input",
            &e.parameter_transformation_input,
        ),
        (
            "parameter-transformation-output",
            &e.parameter_transformation_output,
        ),
    ] {
        if let Some(d) = doc {
            let _ = writeln!(s, "\n--- {title} ---\n{d}");
        }
    }
    if let Some(b) = &e.request_body {
        match std::str::from_utf8(b) {
            Ok(t) => {
                let _ = writeln!(s, "\n--- request-body ({} bytes) ---\n{t}", b.len());
            }
            Err(_) => {
                use base64::Engine;
                let _ = writeln!(
                    s,
                    "\n--- request-body ({} bytes, base64) ---\n{}",
                    b.len(),
                    base64::engine::general_purpose::STANDARD.encode(b)
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@db.example:5432/x?sslmode=disable"),
            "postgres://u:***@db.example:5432/x?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://127.0.0.1/test"),
            "postgres://127.0.0.1/test"
        );
    }
}
