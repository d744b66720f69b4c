//! The SQLite store itself: opening the file (one serving process per file), the writer thread's queue and the
//! rows written behind, the reader connection, and the per-(application, environment) number locks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{oneshot, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::read;
use super::schema::{connect, migrate};
use super::writer::{writer_loop, Op};
use crate::store::model::{
    BoxFuture, Expired, LogEntry, LogQuery, NumberKind, ShortLink, Store, StoreError, Tx, Writes,
};

/// How long a row written behind may wait before it is handed to the writer.
pub const BEHIND_DELAY: Duration = Duration::from_millis(50);
/// Rows written behind that are handed to the writer at once, without waiting for [`BEHIND_DELAY`].
pub const BEHIND_BATCH: usize = 1024;
/// Rows written behind that may wait (queued or being written) before requests wait for room.
pub const BEHIND_QUEUE: usize = 16 * 1024;

/// (application, environment): the scope of the number lock.
type LockKey = (String, String);

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
                    "the state file '{}' is locked: it is in use by another engine process (another `endpoints serve` started with the same state file). Stop that server, or give this one a state file of its own with --data-dir DIR (several instances that share their state use --database postgres://… instead)",
                    path.display()
                )));
            }
            Some(f)
        } else {
            None
        };
        let mut writer_conn = connect(path)?;
        writer_conn.pragma_update(None, "journal_mode", "WAL")?;
        writer_conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints (copying the write-ahead log back into the file) every 8,000 pages (32 MiB) rather than
        // SQLite's 1,000: request-log rows arrive in small groups all the time, and fewer, larger checkpoints copy
        // each page once for many groups.
        writer_conn.pragma_update(None, "wal_autocheckpoint", 8000)?;
        migrate(&mut writer_conn, path)?;
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
                .read(move |conn| read::max_number(conn, &app, &env, kind, range))
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

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn describe(&self) -> String {
        format!("SQLite file {}", self.inner.path.display())
    }

    fn commit_behind(&self, writes: Writes) -> BoxFuture<'static, Result<(), StoreError>> {
        let inner = self.inner.clone();
        Box::pin(async move { inner.append(writes).await })
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
        Box::pin(
            self.inner
                .read(move |conn| read::short_link(conn, &code, now_ms)),
        )
    }

    fn entries(&self, query: LogQuery) -> BoxFuture<'_, Result<Vec<LogEntry>, StoreError>> {
        Box::pin(async move {
            self.inner.settle().await?;
            self.inner
                .read(move |conn| read::entries(conn, &query))
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
