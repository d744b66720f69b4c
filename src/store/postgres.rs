//! The PostgreSQL backend, for several engine processes sharing one database: a small connection pool, the schema
//! created under an advisory lock (two instances may start at once), and the number lock as
//! `SELECT … FOR UPDATE` on a row per (application, environment) held by the request's open transaction.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls};

use super::{
    BoxFuture, Expired, LogEntry, LogQuery, NumberKind, ShortLink, Store, StoreError, Tx, Writes,
};

/// Connections at most (requests holding a number lock keep one each until they commit).
const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Key of the advisory lock that serialises schema migrations.
const MIGRATION_LOCK: i64 = 0x656e_6470_6f69_6e74; // "endpoint"

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS endpoints_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints_number_lock (
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    PRIMARY KEY (application, environment)
);
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    datetime_ms BIGINT NOT NULL,
    status_code INTEGER NOT NULL,
    user_agent TEXT NOT NULL,
    exception_message TEXT,
    http_request_failed_url TEXT,
    http_request_failed_status_code INTEGER,
    xslt_parameter_error_message TEXT,
    perpetual_number BIGINT,
    year_number BIGINT,
    month_number BIGINT,
    parameter_transformation_input TEXT,
    parameter_transformation_output TEXT,
    request_content_type TEXT,
    request_body BYTEA
);
CREATE INDEX IF NOT EXISTS request_log_time ON request_log (datetime_ms);
CREATE INDEX IF NOT EXISTS request_log_app_time ON request_log (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_numbers (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    datetime_ms BIGINT NOT NULL,
    perpetual_number BIGINT,
    year_number BIGINT,
    month_number BIGINT,
    UNIQUE (application, environment, perpetual_number)
);
CREATE INDEX IF NOT EXISTS request_numbers_time ON request_numbers (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_log_expression_capture (
    request_id TEXT NOT NULL REFERENCES request_log (request_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, key)
);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint (
    code TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS short_link_expiry ON short_link_to_endpoint (expires_ms);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint_parameter (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
";

const VERSION: i32 = 1;

struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
}

/// A pooled connection; back to the pool by [`Conn::release`], otherwise closed.
struct Conn {
    client: Option<Client>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("connection present until released")
    }

    fn release(mut self) {
        if let Some(c) = self.client.take() {
            if !c.is_closed() {
                self.pool
                    .idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(c);
            }
        }
    }
}

impl Pool {
    async fn get(self: &Arc<Self>) -> Result<Conn, StoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        loop {
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match idle {
                Some(c) if c.is_closed() => continue,
                Some(c) => {
                    return Ok(Conn {
                        client: Some(c),
                        pool: self.clone(),
                        _permit: permit,
                    })
                }
                None => break,
            }
        }
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL state connection ended");
            }
        });
        Ok(Conn {
            client: Some(client),
            pool: self.clone(),
            _permit: permit,
        })
    }
}

/// The PostgreSQL store.
pub struct PgStore {
    pool: Arc<Pool>,
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
            pool: Arc::new(Pool {
                config,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(POOL_SIZE)),
            }),
            url: super::redact(url),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let c = conn.client();
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let result = async {
            c.batch_execute(SCHEMA).await?;
            let row = c
                .query_opt("SELECT max(version) FROM endpoints_schema", &[])
                .await?;
            let version: Option<i32> = row.and_then(|r| r.get(0));
            match version {
                None => {
                    c.execute(
                        "INSERT INTO endpoints_schema (version) VALUES ($1)",
                        &[&VERSION],
                    )
                    .await?;
                }
                Some(v) if v > VERSION => {
                    return Err(StoreError::Other(format!(
                        "the database has schema version {v}, newer than this engine's {VERSION}"
                    )))
                }
                Some(_) => {}
            }
            Ok(())
        }
        .await;
        c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        conn.release();
        result
    }
}

struct PgTx {
    pool: Arc<Pool>,
    application: String,
    environment: String,
    /// The open transaction holding the number lock.
    conn: Option<Conn>,
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
            let col = kind.column();
            let row = match range {
                None => {
                    c.query_one(
                        &format!("SELECT max({col}) FROM request_numbers WHERE application = $1 AND environment = $2"),
                        &[&self.application, &self.environment],
                    )
                    .await?
                }
                Some((start, end)) => {
                    c.query_one(
                        &format!(
                            "SELECT max({col}) FROM request_numbers WHERE application = $1 AND environment = $2 \
                             AND datetime_ms >= $3 AND datetime_ms < $4"
                        ),
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
            match write(conn.client(), &writes).await {
                Ok(()) => {
                    conn.client().batch_execute("COMMIT").await?;
                    conn.release();
                    Ok(())
                }
                Err(e) => {
                    if conn.client().batch_execute("ROLLBACK").await.is_ok() {
                        conn.release();
                    }
                    Err(e)
                }
            }
        })
    }
}

async fn write(c: &Client, w: &Writes) -> Result<(), StoreError> {
    let e = &w.entry;
    let status = i32::from(e.status_code);
    let failed_status = e.http_request_failed_status_code.map(i32::from);
    c.execute(
        "INSERT INTO request_log (request_id, application, environment, endpoint, datetime_ms, status_code, \
         user_agent, exception_message, http_request_failed_url, http_request_failed_status_code, \
         xslt_parameter_error_message, perpetual_number, year_number, month_number, \
         parameter_transformation_input, parameter_transformation_output, request_content_type, request_body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
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
            "INSERT INTO request_numbers (request_id, application, environment, datetime_ms, \
             perpetual_number, year_number, month_number) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        c.execute(
            "INSERT INTO request_log_expression_capture (request_id, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (request_id, key) DO UPDATE SET value = EXCLUDED.value",
            &[&e.request_id, k, v],
        )
        .await?;
    }
    for l in &w.short_links {
        c.execute(
            "INSERT INTO short_link_to_endpoint (code, application, environment, endpoint, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&l.code, &l.application, &l.environment, &l.endpoint, &l.created_ms, &l.expires_ms],
        )
        .await?;
        for (i, (n, v)) in l.parameters.iter().enumerate() {
            let position = i as i32;
            c.execute(
                "INSERT INTO short_link_to_endpoint_parameter (code, position, name, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code, name) DO UPDATE SET value = EXCLUDED.value",
                &[&l.code, &position, n, v],
            )
            .await?;
        }
    }
    Ok(())
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
                .query_opt(
                    "SELECT application, environment, endpoint, created_ms, expires_ms \
                     FROM short_link_to_endpoint WHERE code = $1 AND expires_ms > $2",
                    &[&code, &now_ms],
                )
                .await?
            else {
                conn.release();
                return Ok(None);
            };
            let parameters = c
                .query(
                    "SELECT name, value FROM short_link_to_endpoint_parameter WHERE code = $1 ORDER BY position",
                    &[&code],
                )
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
            let mut sql = String::from(
                "SELECT request_id, application, environment, endpoint, datetime_ms, \
                 perpetual_number, year_number, month_number, status_code, user_agent, exception_message, \
                 http_request_failed_url, http_request_failed_status_code, xslt_parameter_error_message",
            );
            if q.details {
                sql.push_str(", parameter_transformation_input, parameter_transformation_output, request_content_type, request_body");
            }
            sql.push_str(" FROM request_log WHERE TRUE");
            let status = q.status.map(|(lo, hi)| (i32::from(lo), i32::from(hi)));
            let limit = q.limit.min(i64::MAX as usize) as i64;
            let mut args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
            if let Some(a) = &q.application {
                args.push(a);
                sql.push_str(&format!(" AND application = ${}", args.len()));
            }
            if let Some(e) = &q.environment {
                args.push(e);
                sql.push_str(&format!(" AND environment = ${}", args.len()));
            }
            if let Some(e) = &q.endpoint {
                args.push(e);
                sql.push_str(&format!(" AND endpoint = ${}", args.len()));
            }
            if let Some((lo, hi)) = &status {
                args.push(lo);
                sql.push_str(&format!(" AND status_code >= ${}", args.len()));
                args.push(hi);
                sql.push_str(&format!(" AND status_code <= ${}", args.len()));
            }
            if let Some(s) = &q.since_ms {
                args.push(s);
                sql.push_str(&format!(" AND datetime_ms >= ${}", args.len()));
            }
            if let Some(r) = &q.request_id {
                args.push(r);
                sql.push_str(&format!(" AND request_id = ${}", args.len()));
            }
            args.push(&limit);
            sql.push_str(&format!(
                " ORDER BY datetime_ms DESC, request_id DESC LIMIT ${}",
                args.len()
            ));
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
                        .query(
                            "SELECT key, value FROM request_log_expression_capture WHERE request_id = $1",
                            &[&e.request_id],
                        )
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
                c.execute(
                    "DELETE FROM request_log_expression_capture WHERE request_id IN \
                     (SELECT request_id FROM request_log WHERE datetime_ms < $1)",
                    &[&log_before_ms],
                )
                .await?;
                let log_entries = c
                    .execute(
                        "DELETE FROM request_log WHERE datetime_ms < $1",
                        &[&log_before_ms],
                    )
                    .await?;
                c.execute(
                    "DELETE FROM short_link_to_endpoint_parameter WHERE code IN \
                     (SELECT code FROM short_link_to_endpoint WHERE expires_ms <= $1)",
                    &[&now_ms],
                )
                .await?;
                let short_links = c
                    .execute(
                        "DELETE FROM short_link_to_endpoint WHERE expires_ms <= $1",
                        &[&now_ms],
                    )
                    .await?;
                Ok::<_, StoreError>(Expired {
                    log_entries,
                    short_links,
                })
            }
            .await;
            match result {
                Ok(x) => {
                    c.batch_execute("COMMIT").await?;
                    conn.release();
                    Ok(x)
                }
                Err(e) => {
                    if c.batch_execute("ROLLBACK").await.is_ok() {
                        conn.release();
                    }
                    Err(e)
                }
            }
        })
    }
}
