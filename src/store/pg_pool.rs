//! The PostgreSQL connection pool, shared by the state store (`crate::store::postgres`) and `<xml-from-database>`
//! (`crate::engine::database`): `deadpool-postgres` without TLS, connections made on demand up to a fixed number,
//! a bounded wait for a free one, and leases that go back to the pool only when released explicitly — a lease
//! dropped on an error path (perhaps inside an open transaction) closes its connection instead.

use std::time::Duration;

use deadpool_postgres::{
    ClientWrapper, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime,
};
use tokio_postgres::{Client, Config, NoTls};

/// Why no connection was handed out.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every connection stayed in use for the whole wait.
    #[error("no PostgreSQL connection became free within {wait:?} (all {size} in use)")]
    Busy { wait: Duration, size: usize },
    /// Connecting failed (the message of `tokio-postgres`, which never contains the password).
    #[error("{0}")]
    Connect(tokio_postgres::Error),
    #[error("{0}")]
    Other(String),
}

/// A pool of connections for one `tokio_postgres::Config`.
pub struct PgPool {
    pool: Pool,
    size: usize,
    wait: Duration,
}

impl PgPool {
    /// At most `size` connections (made with `config`, which carries the connect timeout); a caller waits at most
    /// `wait` for one to become free.
    pub fn new(config: Config, size: usize, wait: Duration) -> Result<PgPool, PoolError> {
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection whose task has ended (server gone, or the runtime that ran it shut down) is dropped.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size)
            .wait_timeout(Some(wait))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| PoolError::Other(e.to_string()))?;
        Ok(PgPool { pool, size, wait })
    }

    /// An idle connection, or a new one while fewer than `size` exist, or else the first one released within
    /// the wait.
    pub async fn get(&self) -> Result<Lease, PoolError> {
        use deadpool_postgres::PoolError as E;
        match self.pool.get().await {
            Ok(object) => Ok(Lease(Some(object))),
            Err(E::Timeout(deadpool_postgres::TimeoutType::Wait)) => Err(PoolError::Busy {
                wait: self.wait,
                size: self.size,
            }),
            Err(E::Backend(e)) => Err(PoolError::Connect(e)),
            Err(e) => Err(PoolError::Other(e.to_string())),
        }
    }
}

/// A connection checked out of the pool: back by [`Lease::release`], otherwise closed when dropped.
pub struct Lease(Option<Object>);

impl Lease {
    pub fn client(&self) -> &Client {
        self.wrapper()
    }

    /// The client with its per-connection statement cache.
    pub fn wrapper(&self) -> &ClientWrapper {
        self.0.as_ref().expect("connection present until released")
    }

    /// Returns the connection to the pool for the next caller.
    pub fn release(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            // Detached from the pool, so the connection closes (rolling back whatever it had open).
            drop(Object::take(object));
        }
    }
}
