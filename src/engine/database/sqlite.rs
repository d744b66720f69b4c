//! `<xml-from-database>` on SQLite: read-only connections on the blocking pool (idle ones kept per file), a
//! progress handler as the statement timeout, values bound as TEXT, columns declared `BOOLEAN` read as booleans.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::common::{Registry, POOL_SIZE, STATEMENT_TIMEOUT};
use super::format::{format_f64, SQLITE_FLOAT};
use super::output::{base64, XmlOut};
use crate::config::model::database::DatabaseQuery;

type Idle = Mutex<Vec<Connection>>;

static POOLS: Registry<PathBuf, Idle> = Registry::new();

pub(super) async fn run(
    query: &DatabaseQuery,
    path: PathBuf,
    values: Vec<String>,
) -> Result<String, String> {
    let idle = POOLS.get_or_insert(&path, Idle::default);
    let sql = query.prepared_sql.clone();
    let tag = query.tag.clone();
    tokio::task::spawn_blocking(move || {
        let conn = idle.lock().ok().and_then(|mut v| v.pop());
        let mut conn = match conn {
            Some(c) => c,
            None => Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| format!("cannot open the database file: {e}"))?,
        };
        let _ = conn.busy_timeout(Duration::from_secs(5));
        let deadline = Instant::now() + STATEMENT_TIMEOUT;
        let _ = conn.progress_handler(10_000, Some(move || Instant::now() > deadline));
        let result = execute(&conn, &sql, &tag, &values);
        let _ = conn.progress_handler(0, None::<fn() -> bool>);
        if let Ok(mut idle) = idle.lock() {
            if idle.len() < POOL_SIZE {
                idle.push(conn);
            }
        }
        result
    })
    .await
    .map_err(|e| format!("the database task failed: {e}"))?
}

fn execute(conn: &Connection, sql: &str, tag: &str, values: &[String]) -> Result<String, String> {
    let err = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => format!(
            "the statement ran longer than {} s and was interrupted",
            STATEMENT_TIMEOUT.as_secs()
        ),
        _ => e.to_string(),
    };
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    if stmt.parameter_count() != values.len() {
        return Err(format!(
            "the statement has {} parameters but {} values are bound",
            stmt.parameter_count(),
            values.len()
        ));
    }
    let booleans: Vec<bool> = stmt
        .columns()
        .map(|c| {
            c.decl_type().is_some_and(|t| {
                t.eq_ignore_ascii_case("boolean") || t.eq_ignore_ascii_case("bool")
            })
        })
        .collect();
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let mut out = XmlOut::new(tag, names.iter().map(String::as_str));
    let mut rows = stmt
        .query(rusqlite::params_from_iter(values.iter()))
        .map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        out.start_row()?;
        for (i, boolean) in booleans.iter().enumerate() {
            let v = match row.get_ref(i).map_err(err)? {
                ValueRef::Null => None,
                ValueRef::Integer(0) if *boolean => Some("false".to_string()),
                ValueRef::Integer(1) if *boolean => Some("true".to_string()),
                ValueRef::Integer(n) => Some(n.to_string()),
                ValueRef::Real(f) => Some(format_f64(f, SQLITE_FLOAT)),
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Some(base64(b)),
            };
            out.cell(i, v.as_deref());
        }
        out.end_row();
    }
    Ok(out.finish())
}
