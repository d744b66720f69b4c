//! `<xml-from-database>` on PostgreSQL: one pool per URL (the shared `deadpool-postgres` pool of
//! `crate::store::pg_pool`, read-only sessions with a statement timeout), statements prepared once per connection
//! with the parameter types left to the server (or all `text` where it cannot tell), values sent and bound as text.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use deadpool_postgres::ClientWrapper;
use futures_util::TryStreamExt;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Config, Statement};

use super::common::{Registry, CONNECT_TIMEOUT, POOL_SIZE, STATEMENT_TIMEOUT, WAIT_TIMEOUT};
use super::output::XmlOut;
use super::pg_value::value;
use crate::config::model::database::{DatabaseQuery, NetTarget};
use crate::store::pg_pool::{PgPool, PoolError};

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

struct Pool {
    connections: PgPool,
    /// Statements whose parameter types the server could not infer: prepared with every parameter `text`.
    text_typed: Mutex<HashSet<String>>,
}

static POOLS: Registry<Arc<str>, Pool> = Registry::new();

fn pool(key: &Arc<str>, t: &NetTarget) -> Result<Arc<Pool>, String> {
    POOLS.get_or_try_insert(key, || {
        Ok(Pool {
            connections: PgPool::new(config(t), POOL_SIZE, WAIT_TIMEOUT)
                .map_err(|e| e.to_string())?,
            text_typed: Mutex::new(HashSet::new()),
        })
    })
}

fn config(t: &NetTarget) -> Config {
    let mut c = Config::new();
    for (host, port) in &t.hosts {
        c.host(host);
        c.port(*port);
    }
    if let Some(u) = &t.user {
        c.user(u);
    }
    if let Some(p) = &t.password {
        c.password(p);
    }
    if let Some(d) = &t.database {
        c.dbname(d);
    }
    c.application_name(t.application_name.as_deref().unwrap_or("endpoints"));
    c.connect_timeout(t.connect_timeout.unwrap_or(CONNECT_TIMEOUT));
    let mut options = format!(
        "-c statement_timeout={} -c default_transaction_read_only=on",
        STATEMENT_TIMEOUT.as_millis()
    );
    if let Some(o) = &t.options {
        options.push(' ');
        options.push_str(o);
    }
    c.options(&options);
    c
}

/// The database's message with code, detail and hint.
fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str("; ");
                s.push_str(d);
            }
            if let Some(h) = db.hint() {
                s.push_str("; hint: ");
                s.push_str(h);
            }
            s
        }
        None => e.to_string(),
    }
}

/// A string sent in text format, for whatever type the server gave the parameter.
#[derive(Debug)]
struct TextParam<'a>(&'a str);

impl ToSql for TextParam<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// A column's value in binary format, `None` for NULL.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        _ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

impl Pool {
    fn text_typed(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.text_typed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn prepare(
    pool: &Pool,
    conn: &ClientWrapper,
    sql: &str,
    params: usize,
) -> Result<Statement, String> {
    if conn.statement_cache.size() >= STATEMENT_CACHE {
        conn.statement_cache.clear();
    }
    if !pool.text_typed().contains(sql) {
        match conn.prepare_cached(sql).await {
            Ok(s) => return Ok(s),
            // `SELECT ?`, `? IS NULL`: nothing tells the server the type, so make every parameter text.
            Err(e) if e.code() == Some(&SqlState::INDETERMINATE_DATATYPE) => {
                pool.text_typed().insert(sql.to_string());
            }
            Err(e) => return Err(error_text(&e)),
        }
    }
    conn.prepare_typed_cached(sql, &vec![Type::TEXT; params])
        .await
        .map_err(|e| error_text(&e))
}

/// Prepared again next time (the schema may have changed).
fn forget(pool: &Pool, conn: &ClientWrapper, sql: &str, params: usize) {
    conn.statement_cache.remove(sql, &[]);
    conn.statement_cache.remove(sql, &vec![Type::TEXT; params]);
    pool.text_typed().remove(sql);
}

pub(super) async fn run(
    query: &DatabaseQuery,
    target: &NetTarget,
    values: &[String],
) -> Result<String, String> {
    let pool = pool(&query.pool_key, target)?;
    let lease = pool.connections.get().await.map_err(|e| match e {
        PoolError::Connect(e) => format!("cannot connect: {}", error_text(&e)),
        e => e.to_string(),
    })?;
    let sql = query.prepared_sql.as_str();
    match execute(&pool, lease.wrapper(), sql, &query.tag, values).await {
        Ok(xml) => {
            lease.release();
            Ok(xml)
        }
        Err((message, reusable)) => {
            forget(&pool, lease.wrapper(), sql, values.len());
            if reusable {
                lease.release();
            }
            Err(message)
        }
    }
}

/// On failure: the message, and whether the connection may be reused (not while rows are still arriving).
async fn execute(
    pool: &Pool,
    conn: &ClientWrapper,
    sql: &str,
    tag: &str,
    values: &[String],
) -> Result<String, (String, bool)> {
    let stmt = prepare(pool, conn, sql, values.len())
        .await
        .map_err(|e| (e, true))?;
    if stmt.params().len() != values.len() {
        return Err((
            format!(
                "the statement has {} parameters but {} values are bound",
                stmt.params().len(),
                values.len()
            ),
            true,
        ));
    }
    let columns = stmt.columns();
    let mut out = XmlOut::new(tag, columns.iter().map(|c| c.name()));
    let params: Vec<TextParam> = values.iter().map(|v| TextParam(v)).collect();
    let stream = conn
        .query_raw(&stmt, params.iter().map(|p| p as &(dyn ToSql + Sync)))
        .await
        .map_err(|e| (error_text(&e), true))?;
    futures_util::pin_mut!(stream);
    while let Some(row) = stream
        .try_next()
        .await
        .map_err(|e| (error_text(&e), true))?
    {
        out.start_row().map_err(|e| (e, false))?;
        for (i, col) in columns.iter().enumerate() {
            let Raw(raw) = row
                .try_get::<_, Raw>(i)
                .map_err(|e| (e.to_string(), false))?;
            match raw {
                None => out.cell(i, None),
                Some(bytes) => {
                    let v = value(col.type_(), bytes).map_err(|e| {
                        (
                            format!("column '{}' (type {}): {e}", col.name(), col.type_()),
                            false,
                        )
                    })?;
                    out.cell(i, Some(&v));
                }
            }
        }
        out.end_row();
    }
    Ok(out.finish())
}
