//! Reading the SQLite state on the reader connection: the highest on-demand number, a short link, and request-log
//! entries.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::model::{LogEntry, LogQuery, NumberKind, ShortLink, StoreError};
use crate::store::sql::{self, sqlite as lite, Arg};

/// The highest number of `kind` so far (0 if none), within `range` for the year and month kinds.
pub(super) fn max_number(
    conn: &Connection,
    app: &str,
    env: &str,
    kind: NumberKind,
    range: Option<(i64, i64)>,
) -> Result<i64, StoreError> {
    let max: Option<i64> = match range {
        None => conn
            .prepare_cached(&lite(&sql::max_number(kind, false)))?
            .query_row(params![app, env], |r| r.get(0))?,
        Some((start, end)) => conn
            .prepare_cached(&lite(&sql::max_number(kind, true)))?
            .query_row(params![app, env, start, end], |r| r.get(0))?,
    };
    Ok(max.unwrap_or(0))
}

/// The short link `code` with its parameters, if it has not expired at `now_ms`.
pub(super) fn short_link(
    conn: &Connection,
    code: &str,
    now_ms: i64,
) -> Result<Option<ShortLink>, StoreError> {
    let link = conn
        .prepare_cached(&lite(sql::SELECT_SHORT_LINK))?
        .query_row(params![code, now_ms], |r| {
            Ok(ShortLink {
                code: code.to_string(),
                application: r.get(0)?,
                environment: r.get(1)?,
                endpoint: r.get(2)?,
                created_ms: r.get(3)?,
                expires_ms: r.get(4)?,
                parameters: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut link) = link else {
        return Ok(None);
    };
    let mut s = conn.prepare_cached(&lite(sql::SELECT_SHORT_LINK_PARAMETERS))?;
    link.parameters = s
        .query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Some(link))
}

/// Log entries matching `q`, newest first.
pub(super) fn entries(conn: &Connection, q: &LogQuery) -> Result<Vec<LogEntry>, StoreError> {
    let (sql, args) = sql::log_query(q, "rowid");
    let args = args.into_iter().map(|a| match a {
        Arg::Text(s) => rusqlite::types::Value::from(s),
        Arg::Int(n) => n.into(),
        Arg::Long(n) => n.into(),
    });
    let mut stmt = conn.prepare(&lite(&sql))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut e = LogEntry {
            request_id: r.get(0)?,
            application: r.get(1)?,
            environment: r.get(2)?,
            endpoint: r.get(3)?,
            datetime_ms: r.get(4)?,
            numbers: [r.get(5)?, r.get(6)?, r.get(7)?],
            status_code: r.get(8)?,
            user_agent: r.get(9)?,
            exception_message: r.get(10)?,
            http_request_failed_url: r.get(11)?,
            http_request_failed_status_code: r.get(12)?,
            xslt_parameter_error_message: r.get(13)?,
            ..Default::default()
        };
        if q.details {
            e.parameter_transformation_input = r.get(14)?;
            e.parameter_transformation_output = r.get(15)?;
            e.request_content_type = r.get(16)?;
            e.request_body = r.get(17)?;
        }
        out.push(e);
    }
    if q.details {
        let mut s = conn.prepare_cached(&lite(sql::SELECT_CAPTURES))?;
        for e in &mut out {
            e.captures = s
                .query_map([&e.request_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            e.captures.sort_by_key(|(k, _)| k.to_lowercase());
        }
    }
    Ok(out)
}
