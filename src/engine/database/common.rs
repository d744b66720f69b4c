//! What every driver of `<xml-from-database>` shares: the limits, and the process-wide registry that keeps one pool
//! per target.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long one statement may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// More rows than this is a failure.
pub const MAX_ROWS: usize = 10_000;
/// Connections per pool (PostgreSQL, MySQL); idle SQLite connections kept per file.
pub const POOL_SIZE: usize = 8;
/// Connecting when the URL sets no `connectTimeout`.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a query waits for a free PostgreSQL connection when all [`POOL_SIZE`] are in use.
pub(super) const WAIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Everything (waiting for a connection, connecting, running, reading) for one query.
pub(super) const OVERALL_TIMEOUT: Duration = Duration::from_secs(45);

/// One `V` per key for the life of the process (a `static`).
pub(super) struct Registry<K, V>(OnceLock<Mutex<HashMap<K, Arc<V>>>>);

impl<K: Eq + Hash + Clone, V> Registry<K, V> {
    pub(super) const fn new() -> Self {
        Registry(OnceLock::new())
    }

    /// The value of `key`, made by `make` the first time.
    pub(super) fn get_or_try_insert<E>(
        &self,
        key: &K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let mut map = self
            .0
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(v) = map.get(key) {
            return Ok(v.clone());
        }
        let v = Arc::new(make()?);
        map.insert(key.clone(), v.clone());
        Ok(v)
    }

    pub(super) fn get_or_insert(&self, key: &K, make: impl FnOnce() -> V) -> Arc<V> {
        match self.get_or_try_insert(key, || Ok::<V, std::convert::Infallible>(make())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}
