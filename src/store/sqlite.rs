//! The SQLite backend: one file (WAL), one writer thread that commits the requests queued meanwhile together
//! (group commit, one savepoint per request so that one bad request cannot spoil the others), one reader
//! connection, and the number locks as in-process mutexes — so one engine process per file, enforced by an
//! exclusive lock on `<file>.lock`.
//!
//! Writes that hold no number and no short link ([`Tx::commit_behind`]: the plain request-log rows) do not wait for
//! their transaction: they are queued and handed to the writer every [`BEHIND_DELAY`] (or [`BEHIND_BATCH`] rows),
//! so that under load one transaction carries hundreds of rows and the writer is woken a hundred times a second,
//! not once per request. At most [`BEHIND_QUEUE`] rows wait; beyond that a request waits for room (back-pressure,
//! nothing dropped). Reading the log ([`Store::entries`]) and [`Store::close`] first write what is queued.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{oneshot, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::{
    BoxFuture, Expired, LogEntry, LogQuery, NumberKind, ShortLink, Store, StoreError, Tx, Writes,
};

/// Operations the writer takes from its queue at once (a queued batch of rows written behind counts as one).
const BATCH: usize = 512;

/// How long a row written behind may wait before it is handed to the writer.
pub const BEHIND_DELAY: Duration = Duration::from_millis(10);
/// Rows written behind that are handed to the writer at once, without waiting for [`BEHIND_DELAY`].
pub const BEHIND_BATCH: usize = 1024;
/// Rows written behind that may wait (queued or being written) before requests wait for room.
pub const BEHIND_QUEUE: usize = 16 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    user_agent TEXT NOT NULL,
    exception_message TEXT,
    http_request_failed_url TEXT,
    http_request_failed_status_code INTEGER,
    xslt_parameter_error_message TEXT,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
    parameter_transformation_input TEXT,
    parameter_transformation_output TEXT,
    request_content_type TEXT,
    request_body BLOB
);
CREATE INDEX IF NOT EXISTS request_log_time ON request_log (datetime_ms);
CREATE INDEX IF NOT EXISTS request_log_app_time ON request_log (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_numbers (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
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
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS short_link_expiry ON short_link_to_endpoint (expires_ms);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint_parameter (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
";

/// The schema version this code writes (`PRAGMA user_version`).
const VERSION: i64 = 1;

/// (application, environment): the scope of the number lock.
type LockKey = (String, String);

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Op {
    Write(Box<Writes>, Reply<()>),
    /// Rows written behind: nobody waits for them; each holds its room in the queue until written.
    Behind(Vec<(Box<Writes>, OwnedSemaphorePermit)>),
    Expire(i64, i64, Reply<Expired>),
    /// Answered once everything queued before it is written.
    Barrier(Reply<()>),
}

/// Who learns that a row was written.
enum Done {
    Reply(Reply<()>),
    Behind(OwnedSemaphorePermit),
}

/// Rows written behind that have not been handed to the writer yet.
#[derive(Default)]
struct Behind {
    rows: Vec<(Box<Writes>, OwnedSemaphorePermit)>,
    /// A task will hand them over after [`BEHIND_DELAY`].
    scheduled: bool,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Option<mpsc::Sender<Op>>>,
    behind: Mutex<Behind>,
    room: Arc<Semaphore>,
    reader: Mutex<Connection>,
    locks: Mutex<HashMap<LockKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Held for the life of the store: one serving process per file.
    _lock_file: Option<std::fs::File>,
}

/// The SQLite store.
pub struct SqliteStore {
    inner: Arc<Inner>,
    /// Keeps a temporary store's directory alive.
    _temp: Option<tempfile::TempDir>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating and migrating) the store at `path` for a serving process. Blocking.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, true)
    }

    /// Opens an existing store to read it while a server may be running on it (the `log` command). Blocking.
    pub fn open_reader(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::Other(format!(
                "'{}' does not exist (no request has been logged yet, or the server keeps its state elsewhere: see --data-dir / --database)",
                path.display()
            )));
        }
        Self::open_with(path, false)
    }

    /// A store in a new temporary directory (tests, embedding).
    pub fn temporary() -> Result<SqliteStore, StoreError> {
        let dir = tempfile::Builder::new()
            .prefix("endpoints-state-")
            .tempdir()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut s = Self::open(&dir.path().join("endpoints.db"))?;
        s._temp = Some(dir);
        Ok(s)
    }

    fn open_with(path: &Path, serving: bool) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Other(format!("cannot create '{}': {e}", parent.display()))
            })?;
        }
        let lock_file = if serving {
            let lock_path = path.with_extension("db.lock");
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| {
                    StoreError::Other(format!("cannot open '{}': {e}", lock_path.display()))
                })?;
            if f.try_lock().is_err() {
                return Err(StoreError::Other(format!(
                    "'{}' is in use by another engine process; SQLite state belongs to one process (use --database postgres://… to share state between instances)",
                    path.display()
                )));
            }
            Some(f)
        } else {
            None
        };
        let writer_conn = connect(path)?;
        writer_conn.pragma_update(None, "journal_mode", "WAL")?;
        writer_conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = writer_conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > VERSION {
            return Err(StoreError::Other(format!(
                "'{}' has schema version {version}, newer than this engine's {VERSION}",
                path.display()
            )));
        }
        if serving || version < VERSION {
            writer_conn.execute_batch(SCHEMA)?;
            writer_conn.pragma_update(None, "user_version", VERSION)?;
        }
        let reader = connect(path)?;
        let (tx, rx) = mpsc::channel::<Op>();
        std::thread::Builder::new()
            .name("endpoints-sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(Some(tx)),
                behind: Mutex::new(Behind::default()),
                room: Arc::new(Semaphore::new(BEHIND_QUEUE)),
                reader: Mutex::new(reader),
                locks: Mutex::new(HashMap::new()),
                _lock_file: lock_file,
            }),
            _temp: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Hands over what waits to be written behind, then ends the writer thread once the queue is done.
        let _ = self.inner.flush();
        if let Ok(mut w) = self.inner.writer.lock() {
            w.take();
        }
    }
}

impl Inner {
    fn send(&self, op: Op) -> Result<(), StoreError> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match w.as_ref() {
            Some(s) => s
                .send(op)
                .map_err(|_| StoreError::Other("the SQLite writer has stopped".into())),
            None => Err(StoreError::Other("the store is closed".into())),
        }
    }

    /// Queues `writes` to be written behind (see the module documentation); waits only for room in the queue.
    async fn append(self: &Arc<Self>, writes: Writes) -> Result<(), StoreError> {
        let permit = self
            .room
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Other("the store is closed".into()))?;
        let (full, schedule) = {
            let mut b = self.behind.lock().unwrap_or_else(|p| p.into_inner());
            b.rows.push((Box::new(writes), permit));
            let full = b.rows.len() >= BEHIND_BATCH;
            let schedule = !full && !b.scheduled;
            b.scheduled |= schedule;
            (full, schedule)
        };
        if full {
            self.flush()?;
        } else if schedule {
            let inner = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(BEHIND_DELAY).await;
                if let Err(e) = inner.flush() {
                    tracing::error!(error = %e, "request-log rows could not be handed to the SQLite writer");
                }
            });
        }
        Ok(())
    }

    /// Hands the rows waiting to be written behind to the writer.
    fn flush(&self) -> Result<(), StoreError> {
        let rows = {
            let mut b = self.behind.lock().unwrap_or_else(|p| p.into_inner());
            b.scheduled = false;
            std::mem::take(&mut b.rows)
        };
        if rows.is_empty() {
            return Ok(());
        }
        self.send(Op::Behind(rows))
    }

    /// Waits until everything queued so far (also behind) is written.
    async fn settle(&self) -> Result<(), StoreError> {
        self.flush()?;
        let (reply, answer) = oneshot::channel();
        self.send(Op::Barrier(reply))?;
        answer
            .await
            .map_err(|_| StoreError::Other("the SQLite writer has stopped".into()))?
    }

    async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Op>) {
    while let Ok(first) = rx.recv() {
        let mut writes = Vec::new();
        let mut expires = Vec::new();
        let mut barriers = Vec::new();
        let mut push = |op: Op| match op {
            Op::Write(w, reply) => writes.push((w, Done::Reply(reply))),
            Op::Behind(rows) => writes.extend(rows.into_iter().map(|(w, p)| (w, Done::Behind(p)))),
            Op::Expire(before, now, reply) => expires.push((before, now, reply)),
            Op::Barrier(reply) => barriers.push(reply),
        };
        push(first);
        for _ in 1..BATCH {
            match rx.try_recv() {
                Ok(op) => push(op),
                Err(_) => break,
            }
        }
        if !writes.is_empty() {
            write_batch(&mut conn, writes);
        }
        for (before, now, reply) in expires {
            let result = (|| {
                let tx = conn.transaction()?;
                let x = expire(&tx, before, now)?;
                tx.commit()?;
                Ok(x)
            })();
            let _ = reply.send(result);
        }
        for reply in barriers {
            let _ = reply.send(Ok(()));
        }
    }
}

impl Done {
    fn report(self, request_id: &str, result: Result<(), StoreError>) {
        match self {
            Done::Reply(reply) => {
                let _ = reply.send(result);
            }
            Done::Behind(_room) => {
                if let Err(e) = result {
                    tracing::error!(request_id, error = %e, "cannot write the request-log entry");
                }
            }
        }
    }
}

/// Group commit: all queued requests in one transaction; if any of them fails, each is retried in a transaction
/// of its own so that only the failing one is refused.
fn write_batch(conn: &mut Connection, writes: Vec<(Box<Writes>, Done)>) {
    let together = (|| -> Result<(), StoreError> {
        let tx = conn.transaction()?;
        for (w, _) in &writes {
            write(&tx, w)?;
        }
        tx.commit()?;
        Ok(())
    })();
    match together {
        Ok(()) => {
            for (w, done) in writes {
                done.report(&w.entry.request_id, Ok(()));
            }
        }
        Err(_) if writes.len() > 1 => {
            for (w, done) in writes {
                let result = (|| -> Result<(), StoreError> {
                    let tx = conn.transaction()?;
                    write(&tx, &w)?;
                    tx.commit()?;
                    Ok(())
                })();
                done.report(&w.entry.request_id, result);
            }
        }
        Err(e) => {
            for (w, done) in writes {
                done.report(&w.entry.request_id, Err(StoreError::Other(e.to_string())));
            }
        }
    }
}

fn write(conn: &Connection, w: &Writes) -> Result<(), StoreError> {
    let e = &w.entry;
    conn.prepare_cached(
        "INSERT INTO request_log (request_id, application, environment, endpoint, datetime_ms, status_code, \
         user_agent, exception_message, http_request_failed_url, http_request_failed_status_code, \
         xslt_parameter_error_message, perpetual_number, year_number, month_number, \
         parameter_transformation_input, parameter_transformation_output, request_content_type, request_body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        e.request_id,
        e.application,
        e.environment,
        e.endpoint,
        e.datetime_ms,
        e.status_code,
        e.user_agent,
        e.exception_message,
        e.http_request_failed_url,
        e.http_request_failed_status_code,
        e.xslt_parameter_error_message,
        e.numbers[0],
        e.numbers[1],
        e.numbers[2],
        e.parameter_transformation_input,
        e.parameter_transformation_output,
        e.request_content_type,
        e.request_body
    ])?;
    if e.numbers.iter().any(Option::is_some) {
        conn.prepare_cached(
            "INSERT INTO request_numbers (request_id, application, environment, datetime_ms, \
             perpetual_number, year_number, month_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            e.request_id,
            e.application,
            e.environment,
            e.datetime_ms,
            e.numbers[0],
            e.numbers[1],
            e.numbers[2]
        ])?;
    }
    if !e.captures.is_empty() {
        let mut s = conn.prepare_cached(
            "INSERT OR REPLACE INTO request_log_expression_capture (request_id, key, value) VALUES (?1, ?2, ?3)",
        )?;
        for (k, v) in &e.captures {
            s.execute(params![e.request_id, k, v])?;
        }
    }
    for l in &w.short_links {
        conn.prepare_cached(
            "INSERT INTO short_link_to_endpoint (code, application, environment, endpoint, created_ms, expires_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            l.code,
            l.application,
            l.environment,
            l.endpoint,
            l.created_ms,
            l.expires_ms
        ])?;
        let mut s = conn.prepare_cached(
            "INSERT OR REPLACE INTO short_link_to_endpoint_parameter (code, name, value) VALUES (?1, ?2, ?3)",
        )?;
        for (n, v) in &l.parameters {
            s.execute(params![l.code, n, v])?;
        }
    }
    Ok(())
}

fn expire(conn: &Connection, before: i64, now: i64) -> Result<Expired, StoreError> {
    conn.execute(
        "DELETE FROM request_log_expression_capture WHERE request_id IN \
         (SELECT request_id FROM request_log WHERE datetime_ms < ?1)",
        [before],
    )?;
    let log_entries = conn.execute("DELETE FROM request_log WHERE datetime_ms < ?1", [before])?;
    conn.execute(
        "DELETE FROM short_link_to_endpoint_parameter WHERE code IN \
         (SELECT code FROM short_link_to_endpoint WHERE expires_ms <= ?1)",
        [now],
    )?;
    let short_links = conn.execute(
        "DELETE FROM short_link_to_endpoint WHERE expires_ms <= ?1",
        [now],
    )?;
    Ok(Expired {
        log_entries: log_entries as u64,
        short_links: short_links as u64,
    })
}

struct SqliteTx {
    inner: Arc<Inner>,
    key: (String, String),
    guard: Option<OwnedMutexGuard<()>>,
}

impl Tx for SqliteTx {
    fn next_number(
        &mut self,
        kind: NumberKind,
        range: Option<(i64, i64)>,
    ) -> BoxFuture<'_, Result<i64, StoreError>> {
        Box::pin(async move {
            if self.guard.is_none() {
                let lock = {
                    let mut locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
                    locks.entry(self.key.clone()).or_default().clone()
                };
                self.guard = Some(lock.lock_owned().await);
            }
            let (app, env) = self.key.clone();
            self.inner
                .read(move |conn| max_number(conn, &app, &env, kind, range))
                .await
                .map(|m| m + 1)
        })
    }

    fn commit(self: Box<Self>, writes: Writes) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            self.inner.send(Op::Write(Box::new(writes), reply))?;
            let result = answer
                .await
                .map_err(|_| StoreError::Other("the SQLite writer has stopped".into()))?;
            // The number lock (if any) is released only now, after the numbers are visible to the next request.
            drop(self);
            result
        })
    }

    fn commit_behind(
        self: Box<Self>,
        writes: Writes,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        if self.guard.is_some() {
            // Holds numbers after all: their lock must last until they are written.
            return self.commit(writes);
        }
        Box::pin(async move { self.inner.append(writes).await })
    }
}

fn max_number(
    conn: &Connection,
    app: &str,
    env: &str,
    kind: NumberKind,
    range: Option<(i64, i64)>,
) -> Result<i64, StoreError> {
    let col = kind.column();
    let max: Option<i64> = match range {
        None => conn
            .prepare_cached(&format!(
                "SELECT max({col}) FROM request_numbers WHERE application = ?1 AND environment = ?2"
            ))?
            .query_row(params![app, env], |r| r.get(0))?,
        Some((start, end)) => conn
            .prepare_cached(&format!(
                "SELECT max({col}) FROM request_numbers WHERE application = ?1 AND environment = ?2 \
                 AND datetime_ms >= ?3 AND datetime_ms < ?4"
            ))?
            .query_row(params![app, env, start, end], |r| r.get(0))?,
    };
    Ok(max.unwrap_or(0))
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn describe(&self) -> String {
        format!("SQLite file {}", self.inner.path.display())
    }

    fn begin(&self, application: &str, environment: &str) -> Box<dyn Tx> {
        Box::new(SqliteTx {
            inner: self.inner.clone(),
            key: (application.to_string(), environment.to_string()),
            guard: None,
        })
    }

    fn short_link(
        &self,
        code: &str,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<Option<ShortLink>, StoreError>> {
        let code = code.to_string();
        Box::pin(self.inner.read(move |conn| {
            let link = conn
                .prepare_cached(
                    "SELECT application, environment, endpoint, created_ms, expires_ms \
                     FROM short_link_to_endpoint WHERE code = ?1 AND expires_ms > ?2",
                )?
                .query_row(params![code, now_ms], |r| {
                    Ok(ShortLink {
                        code: code.clone(),
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
            let mut s = conn.prepare_cached(
                "SELECT name, value FROM short_link_to_endpoint_parameter WHERE code = ?1 ORDER BY rowid",
            )?;
            link.parameters = s
                .query_map([&code], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(Some(link))
        }))
    }

    fn entries(&self, query: LogQuery) -> BoxFuture<'_, Result<Vec<LogEntry>, StoreError>> {
        Box::pin(async move {
            self.inner.settle().await?;
            self.inner
                .read(move |conn| read_entries(conn, &query))
                .await
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.inner.read(|conn| {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(())
        }))
    }

    fn expire(
        &self,
        log_before_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<Expired, StoreError>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            self.inner.send(Op::Expire(log_before_ms, now_ms, reply))?;
            answer
                .await
                .map_err(|_| StoreError::Other("the SQLite writer has stopped".into()))?
        })
    }

    fn close(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.inner.settle())
    }
}

fn read_entries(conn: &Connection, q: &LogQuery) -> Result<Vec<LogEntry>, StoreError> {
    let mut sql = String::from(
        "SELECT request_id, application, environment, endpoint, datetime_ms, \
         perpetual_number, year_number, month_number, status_code, user_agent, exception_message, \
         http_request_failed_url, http_request_failed_status_code, xslt_parameter_error_message",
    );
    if q.details {
        sql.push_str(", parameter_transformation_input, parameter_transformation_output, request_content_type, request_body");
    }
    sql.push_str(" FROM request_log WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut push = |clause: &str, v: rusqlite::types::Value, sql: &mut String| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(a) = &q.application {
        push(" AND application = ?", a.clone().into(), &mut sql);
    }
    if let Some(e) = &q.environment {
        push(" AND environment = ?", e.clone().into(), &mut sql);
    }
    if let Some(e) = &q.endpoint {
        push(" AND endpoint = ?", e.clone().into(), &mut sql);
    }
    if let Some((lo, hi)) = q.status {
        push(" AND status_code >= ?", i64::from(lo).into(), &mut sql);
        push(" AND status_code <= ?", i64::from(hi).into(), &mut sql);
    }
    if let Some(s) = q.since_ms {
        push(" AND datetime_ms >= ?", s.into(), &mut sql);
    }
    if let Some(r) = &q.request_id {
        push(" AND request_id = ?", r.clone().into(), &mut sql);
    }
    push(
        " ORDER BY datetime_ms DESC, rowid DESC LIMIT ?",
        (q.limit.min(i64::MAX as usize) as i64).into(),
        &mut sql,
    );
    let mut stmt = conn.prepare(&sql)?;
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
        let mut s = conn.prepare_cached(
            "SELECT key, value FROM request_log_expression_capture WHERE request_id = ?1",
        )?;
        for e in &mut out {
            e.captures = s
                .query_map([&e.request_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            e.captures.sort_by_key(|(k, _)| k.to_lowercase());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(request_id: &str) -> Writes {
        Writes {
            entry: LogEntry {
                request_id: request_id.to_string(),
                application: "a".into(),
                environment: "live".into(),
                endpoint: "e".into(),
                datetime_ms: 1,
                status_code: 200,
                ..Default::default()
            },
            short_links: Vec::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_bad_request_does_not_spoil_its_batch() {
        let store = Arc::new(SqliteStore::temporary().unwrap());
        store
            .begin("a", "live")
            .commit(writes("dup"))
            .await
            .unwrap();
        let mut handles = Vec::new();
        for i in 0..40 {
            let store = store.clone();
            let id = if i == 17 {
                "dup".to_string()
            } else {
                format!("r{i}")
            };
            handles.push(tokio::spawn(async move {
                store.begin("a", "live").commit(writes(&id)).await
            }));
        }
        let mut failed = 0;
        for h in handles {
            if h.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 1);
        let all = store
            .entries(LogQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 40);
    }

    async fn count(store: &SqliteStore) -> usize {
        store
            .entries(LogQuery {
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_written_behind_are_read_back_and_survive_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endpoints.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .begin("a", "live")
            .commit(writes("dup"))
            .await
            .unwrap();
        // Queued, not yet written; reading the log writes them first. The duplicate fails alone.
        for i in 0..10 {
            let id = if i == 3 {
                "dup".into()
            } else {
                format!("b{i}")
            };
            store
                .begin("a", "live")
                .commit_behind(writes(&id))
                .await
                .unwrap();
        }
        assert_eq!(count(&store).await, 10);
        // More than one batch, then close: every row is in the file for the next process.
        for i in 0..(BEHIND_BATCH + 100) {
            store
                .begin("a", "live")
                .commit_behind(writes(&format!("c{i}")))
                .await
                .unwrap();
        }
        store.close().await.unwrap();
        drop(store);
        let reader = SqliteStore::open_reader(&path).unwrap();
        assert_eq!(count(&reader).await, 10 + BEHIND_BATCH + 100);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_written_behind_are_handed_over_without_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endpoints.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .begin("a", "live")
            .commit_behind(writes("one"))
            .await
            .unwrap();
        // Another process (the `log` command) sees the row once the delay has passed.
        let reader = SqliteStore::open_reader(&path).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while count(&reader).await == 0 {
            assert!(std::time::Instant::now() < deadline, "row never written");
            tokio::time::sleep(BEHIND_DELAY).await;
        }
        assert_eq!(count(&reader).await, 1);
    }
}
