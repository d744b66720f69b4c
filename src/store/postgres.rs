//! The PostgreSQL backend, for several engine processes sharing one database: a connection pool
//! ([`super::pg_pool`]), the schema migrated under an advisory lock (two instances may start at once), and the number lock as
//! `SELECT … FOR UPDATE` on a row per (application, environment) held by the request's open transaction.

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config};

use super::format::redact;
use super::migrations::{self, POSTGRES};
use super::model::{
    BoxFuture, Expired, LogEntry, LogQuery, NumberKind, ShortLink, Store, StoreError, Tx, Writes,
};
use super::pg_pool::{Lease, PgPool};
use super::sql::{self, Arg};

/// Connections at most (requests holding a number lock keep one each until they commit).
const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a free connection before it fails.
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Key of the advisory lock that serialises schema migrations.
const MIGRATION_LOCK: i64 = 0x656e_6470_6f69_6e74; // "endpoint"

/// Where the applied versions are recorded, one row per migration (the first releases wrote one row, `1`).
const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS endpoints_schema (version INTEGER NOT NULL)";

/// The PostgreSQL store.
pub struct PgStore {
    pool: Arc<PgPool>,
    url: String,
}

impl PgStore {
    /// Connects, then creates or migrates the schema (under an advisory lock).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Postgres(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("endpoints");
        }
        let store = PgStore {
            pool: Arc::new(PgPool::new(config, POOL_SIZE, WAIT_TIMEOUT)?),
            url: redact(url),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let c = conn.client();
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let result = apply_migrations(c).await;
        c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        conn.release();
        result
    }
}

/// Applies the migrations the database has not seen, each in a transaction that also records its version.
async fn apply_migrations(c: &Client) -> Result<(), StoreError> {
    c.batch_execute(VERSION_TABLE).await?;
    let row = c
        .query_opt("SELECT max(version) FROM endpoints_schema", &[])
        .await?;
    let version: Option<i32> = row.and_then(|r| r.get(0));
    let pending =
        migrations::pending(POSTGRES, version.map_or(0, i64::from)).map_err(|latest| {
            StoreError::Other(format!(
                "the database has schema version {}, newer than this engine's {latest}",
                version.unwrap_or_default()
            ))
        })?;
    for m in pending {
        c.batch_execute("BEGIN").await?;
        let applied = async {
            c.batch_execute(m.sql).await?;
            let v = m.version as i32;
            c.execute("INSERT INTO endpoints_schema (version) VALUES ($1)", &[&v])
                .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match applied {
            Ok(()) => c.batch_execute("COMMIT").await?,
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK").await;
                return Err(StoreError::Other(format!(
                    "schema migration {} ({}) failed: {e}",
                    m.version, m.name
                )));
            }
        }
    }
    Ok(())
}

struct PgTx {
    pool: Arc<PgPool>,
    application: String,
    environment: String,
    /// The open transaction holding the number lock.
    conn: Option<Lease>,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Roll back and return the connection; without a runtime the connection is just closed (which rolls back).
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    if conn.client().batch_execute("ROLLBACK").await.is_ok() {
                        conn.release();
                    }
                });
            }
        }
    }
}

impl Tx for PgTx {
    fn next_number(
        &mut self,
        kind: NumberKind,
        range: Option<(i64, i64)>,
    ) -> BoxFuture<'_, Result<i64, StoreError>> {
        Box::pin(async move {
            if self.conn.is_none() {
                let conn = self.pool.get().await?;
                let c = conn.client();
                c.execute(
                    "INSERT INTO endpoints_number_lock (application, environment) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&self.application, &self.environment],
                )
                .await?;
                c.batch_execute("BEGIN").await?;
                c.execute(
                    "SELECT 1 FROM endpoints_number_lock WHERE application = $1 AND environment = $2 FOR UPDATE",
                    &[&self.application, &self.environment],
                )
                .await?;
                self.conn = Some(conn);
            }
            let c = self.conn.as_ref().expect("just set").client();
            let row = match range {
                None => {
                    c.query_one(
                        &sql::max_number(kind, false),
                        &[&self.application, &self.environment],
                    )
                    .await?
                }
                Some((start, end)) => {
                    c.query_one(
                        &sql::max_number(kind, true),
                        &[&self.application, &self.environment, &start, &end],
                    )
                    .await?
                }
            };
            let max: Option<i64> = row.get(0);
            Ok(max.unwrap_or(0) + 1)
        })
    }

    fn commit(mut self: Box<Self>, writes: Writes) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let conn = match self.conn.take() {
                Some(c) => c,
                None => {
                    let c = self.pool.get().await?;
                    c.client().batch_execute("BEGIN").await?;
                    c
                }
            };
            let result = write(conn.client(), &writes).await;
            finish(conn, result).await
        })
    }
}

/// Ends the transaction open on `conn`: COMMIT after success, else ROLLBACK; the connection goes back to the pool
/// only if that worked (otherwise it is closed).
async fn finish<T>(conn: Lease, result: Result<T, StoreError>) -> Result<T, StoreError> {
    match result {
        Ok(x) => {
            conn.client().batch_execute("COMMIT").await?;
            conn.release();
            Ok(x)
        }
        Err(e) => {
            if conn.client().batch_execute("ROLLBACK").await.is_ok() {
                conn.release();
            }
            Err(e)
        }
    }
}

async fn write(c: &Client, w: &Writes) -> Result<(), StoreError> {
    let e = &w.entry;
    let status = i32::from(e.status_code);
    let failed_status = e.http_request_failed_status_code.map(i32::from);
    c.execute(
        sql::INSERT_LOG,
        &[
            &e.request_id,
            &e.application,
            &e.environment,
            &e.endpoint,
            &e.datetime_ms,
            &status,
            &e.user_agent,
            &e.exception_message,
            &e.http_request_failed_url,
            &failed_status,
            &e.xslt_parameter_error_message,
            &e.numbers[0],
            &e.numbers[1],
            &e.numbers[2],
            &e.parameter_transformation_input,
            &e.parameter_transformation_output,
            &e.request_content_type,
            &e.request_body,
        ],
    )
    .await?;
    if e.numbers.iter().any(Option::is_some) {
        c.execute(
            sql::INSERT_NUMBERS,
            &[
                &e.request_id,
                &e.application,
                &e.environment,
                &e.datetime_ms,
                &e.numbers[0],
                &e.numbers[1],
                &e.numbers[2],
            ],
        )
        .await?;
    }
    for (k, v) in &e.captures {
        c.execute(sql::INSERT_CAPTURE, &[&e.request_id, k, v])
            .await?;
    }
    for l in &w.short_links {
        c.execute(
            sql::INSERT_SHORT_LINK,
            &[
                &l.code,
                &l.application,
                &l.environment,
                &l.endpoint,
                &l.created_ms,
                &l.expires_ms,
            ],
        )
        .await?;
        for (i, (n, v)) in l.parameters.iter().enumerate() {
            let position = i as i32;
            c.execute(
                sql::INSERT_SHORT_LINK_PARAMETER,
                &[&l.code, &position, n, v],
            )
            .await?;
        }
    }
    Ok(())
}

/// A request-log query argument as PostgreSQL binds it.
fn to_sql(arg: &Arg) -> &(dyn ToSql + Sync) {
    match arg {
        Arg::Text(s) => s,
        Arg::Int(n) => n,
        Arg::Long(n) => n,
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgresql"
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.url)
    }

    fn begin(&self, application: &str, environment: &str) -> Box<dyn Tx> {
        Box::new(PgTx {
            pool: self.pool.clone(),
            application: application.to_string(),
            environment: environment.to_string(),
            conn: None,
        })
    }

    fn short_link(
        &self,
        code: &str,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<Option<ShortLink>, StoreError>> {
        let code = code.to_string();
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let c = conn.client();
            let Some(row) = c
                .query_opt(sql::SELECT_SHORT_LINK, &[&code, &now_ms])
                .await?
            else {
                conn.release();
                return Ok(None);
            };
            let parameters = c
                .query(sql::SELECT_SHORT_LINK_PARAMETERS, &[&code])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            conn.release();
            Ok(Some(ShortLink {
                code,
                application: row.get(0),
                environment: row.get(1),
                endpoint: row.get(2),
                created_ms: row.get(3),
                expires_ms: row.get(4),
                parameters,
            }))
        })
    }

    fn entries(&self, q: LogQuery) -> BoxFuture<'_, Result<Vec<LogEntry>, StoreError>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let c = conn.client();
            let (sql, args) = sql::log_query(&q, "request_id");
            let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(to_sql).collect();
            let rows = c.query(&sql, &args).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let status: i32 = r.get(8);
                let failed: Option<i32> = r.get(12);
                let mut e = LogEntry {
                    request_id: r.get(0),
                    application: r.get(1),
                    environment: r.get(2),
                    endpoint: r.get(3),
                    datetime_ms: r.get(4),
                    numbers: [r.get(5), r.get(6), r.get(7)],
                    status_code: status as u16,
                    user_agent: r.get(9),
                    exception_message: r.get(10),
                    http_request_failed_url: r.get(11),
                    http_request_failed_status_code: failed.map(|s| s as u16),
                    xslt_parameter_error_message: r.get(13),
                    ..Default::default()
                };
                if q.details {
                    e.parameter_transformation_input = r.get(14);
                    e.parameter_transformation_output = r.get(15);
                    e.request_content_type = r.get(16);
                    e.request_body = r.get(17);
                }
                out.push(e);
            }
            if q.details {
                for e in &mut out {
                    e.captures = c
                        .query(sql::SELECT_CAPTURES, &[&e.request_id])
                        .await?
                        .iter()
                        .map(|r| (r.get(0), r.get(1)))
                        .collect();
                    e.captures.sort_by_key(|(k, _)| k.to_lowercase());
                }
            }
            conn.release();
            Ok(out)
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            conn.client().simple_query("SELECT 1").await?;
            conn.release();
            Ok(())
        })
    }

    fn expire(
        &self,
        log_before_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<Expired, StoreError>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let c = conn.client();
            c.batch_execute("BEGIN").await?;
            let result = async {
                c.execute(sql::EXPIRE_CAPTURES, &[&log_before_ms]).await?;
                let log_entries = c.execute(sql::EXPIRE_LOG, &[&log_before_ms]).await?;
                c.execute(sql::EXPIRE_SHORT_LINK_PARAMETERS, &[&now_ms])
                    .await?;
                let short_links = c.execute(sql::EXPIRE_SHORT_LINKS, &[&now_ms]).await?;
                Ok::<_, StoreError>(Expired {
                    log_entries,
                    short_links,
                })
            }
            .await;
            finish(conn, result).await
        })
    }
}
