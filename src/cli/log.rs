//! `endpoints log`: reads the request log of a running or stopped server.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::args::LogArgs;
use super::common::runtime;

/// `endpoints log`: reads the request log of a running or stopped server.
pub fn log(args: LogArgs) -> ExitCode {
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
                let path = super::data_dir::for_reading(
                    args.store.data_dir.as_deref(),
                    args.application.as_deref(),
                )
                .map_err(endpoints::store::StoreError::Other)?;
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

/// An age such as `90s`, `15m`, `1h`, `2d` (jiff's friendly format; also `1h30m`) → milliseconds. Days are 24 hours.
fn parse_age(s: &str) -> Option<i64> {
    let span: jiff::Span = s.parse().ok()?;
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .ok()?;
    i64::try_from(duration.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("90s"), Some(90_000));
        assert_eq!(parse_age("15m"), Some(900_000));
        assert_eq!(parse_age("1h"), Some(3_600_000));
        assert_eq!(parse_age("2d"), Some(172_800_000));
        assert_eq!(parse_age("1h30m"), Some(5_400_000));
        assert_eq!(parse_age("5"), None);
        assert_eq!(parse_age("5x"), None);
        assert_eq!(parse_age("1 month"), None);
        assert_eq!(parse_age(""), None);
    }

    #[test]
    fn status_filters() {
        assert_eq!(parse_status_filter("404"), Some((404, 404)));
        assert_eq!(parse_status_filter("4xx"), Some((400, 499)));
        assert_eq!(parse_status_filter("5XX"), Some((500, 599)));
        assert_eq!(parse_status_filter("abc"), None);
    }
}
