//! The SQL both backends run, written once with PostgreSQL's `$n` placeholders (the SQLite backend turns them into
//! `?n` with [`sqlite`]), and the request-log query built from a [`LogQuery`].

use std::borrow::Cow;

use super::model::{LogQuery, NumberKind};

pub const INSERT_LOG: &str = "INSERT INTO request_log (request_id, application, environment, endpoint, \
     datetime_ms, status_code, user_agent, exception_message, http_request_failed_url, \
     http_request_failed_status_code, xslt_parameter_error_message, perpetual_number, year_number, month_number, \
     parameter_transformation_input, parameter_transformation_output, request_content_type, request_body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

pub const INSERT_NUMBERS: &str =
    "INSERT INTO request_numbers (request_id, application, environment, \
     datetime_ms, perpetual_number, year_number, month_number) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// A later capture of the same key wins.
pub const INSERT_CAPTURE: &str =
    "INSERT INTO request_log_expression_capture (request_id, key, value) VALUES ($1, $2, $3) \
     ON CONFLICT (request_id, key) DO UPDATE SET value = EXCLUDED.value";

pub const INSERT_SHORT_LINK: &str =
    "INSERT INTO short_link_to_endpoint (code, application, environment, \
     endpoint, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)";

/// A repeated name keeps its first position and takes the last value.
pub const INSERT_SHORT_LINK_PARAMETER: &str =
    "INSERT INTO short_link_to_endpoint_parameter (code, position, name, value) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (code, name) DO UPDATE SET value = EXCLUDED.value";

pub const SELECT_SHORT_LINK: &str =
    "SELECT application, environment, endpoint, created_ms, expires_ms \
     FROM short_link_to_endpoint WHERE code = $1 AND expires_ms > $2";

pub const SELECT_SHORT_LINK_PARAMETERS: &str =
    "SELECT name, value FROM short_link_to_endpoint_parameter WHERE code = $1 ORDER BY position";

pub const SELECT_CAPTURES: &str =
    "SELECT key, value FROM request_log_expression_capture WHERE request_id = $1";

/// Retention, in this order: captures and entries started before `$1`, then parameters and links expired at `$1`.
pub const EXPIRE_CAPTURES: &str = "DELETE FROM request_log_expression_capture WHERE request_id IN \
     (SELECT request_id FROM request_log WHERE datetime_ms < $1)";
pub const EXPIRE_LOG: &str = "DELETE FROM request_log WHERE datetime_ms < $1";
pub const EXPIRE_SHORT_LINK_PARAMETERS: &str =
    "DELETE FROM short_link_to_endpoint_parameter WHERE code IN \
     (SELECT code FROM short_link_to_endpoint WHERE expires_ms <= $1)";
pub const EXPIRE_SHORT_LINKS: &str = "DELETE FROM short_link_to_endpoint WHERE expires_ms <= $1";

/// The highest number of `kind` of (`$1` application, `$2` environment), within [`$3`, `$4`) when `ranged`.
pub fn max_number(kind: NumberKind, ranged: bool) -> String {
    let mut sql = format!(
        "SELECT max({}) FROM request_numbers WHERE application = $1 AND environment = $2",
        kind.column()
    );
    if ranged {
        sql.push_str(" AND datetime_ms >= $3 AND datetime_ms < $4");
    }
    sql
}

/// `$n` placeholders as SQLite's `?n`.
pub fn sqlite(sql: &str) -> Cow<'_, str> {
    if sql.contains('$') {
        Cow::Owned(sql.replace('$', "?"))
    } else {
        Cow::Borrowed(sql)
    }
}

/// A value bound to the request-log query.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    /// An `INTEGER` column (status codes).
    Int(i32),
    /// A `BIGINT` column (times, the row limit).
    Long(i64),
}

/// The columns of [`log_query`]'s rows: 0-13 always, 14-17 with `details`.
const LOG_COLUMNS: &str = "SELECT request_id, application, environment, endpoint, datetime_ms, \
     perpetual_number, year_number, month_number, status_code, user_agent, exception_message, \
     http_request_failed_url, http_request_failed_status_code, xslt_parameter_error_message";
const LOG_DETAIL_COLUMNS: &str =
    ", parameter_transformation_input, parameter_transformation_output, \
     request_content_type, request_body";

/// The request-log entries matching `q`, newest first (`tie_break`: the backend's column for entries of the same
/// millisecond), with its arguments.
pub fn log_query(q: &LogQuery, tie_break: &str) -> (String, Vec<Arg>) {
    let mut sql = String::from(LOG_COLUMNS);
    if q.details {
        sql.push_str(LOG_DETAIL_COLUMNS);
    }
    sql.push_str(" FROM request_log WHERE TRUE");
    let mut args = Vec::new();
    let mut push = |clause: &str, arg: Arg, sql: &mut String| {
        args.push(arg);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(a) = &q.application {
        push(" AND application = ?", Arg::Text(a.clone()), &mut sql);
    }
    if let Some(e) = &q.environment {
        push(" AND environment = ?", Arg::Text(e.clone()), &mut sql);
    }
    if let Some(e) = &q.endpoint {
        push(" AND endpoint = ?", Arg::Text(e.clone()), &mut sql);
    }
    if let Some((lo, hi)) = q.status {
        push(" AND status_code >= ?", Arg::Int(i32::from(lo)), &mut sql);
        push(" AND status_code <= ?", Arg::Int(i32::from(hi)), &mut sql);
    }
    if let Some(s) = q.since_ms {
        push(" AND datetime_ms >= ?", Arg::Long(s), &mut sql);
    }
    if let Some(r) = &q.request_id {
        push(" AND request_id = ?", Arg::Text(r.clone()), &mut sql);
    }
    push(
        &format!(" ORDER BY datetime_ms DESC, {tie_break} DESC LIMIT ?"),
        Arg::Long(q.limit.min(i64::MAX as usize) as i64),
        &mut sql,
    );
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_query_numbers_its_arguments() {
        let q = LogQuery {
            application: Some("a".into()),
            status: Some((400, 499)),
            limit: 5,
            ..Default::default()
        };
        let (sql, args) = log_query(&q, "rowid");
        assert!(sql.ends_with(
            " WHERE TRUE AND application = $1 AND status_code >= $2 AND status_code <= $3 \
             ORDER BY datetime_ms DESC, rowid DESC LIMIT $4"
        ));
        assert_eq!(
            args,
            [
                Arg::Text("a".into()),
                Arg::Int(400),
                Arg::Int(499),
                Arg::Long(5)
            ]
        );
        assert_eq!(sqlite("a = $1 AND b = $12"), "a = ?1 AND b = ?12");
    }
}
