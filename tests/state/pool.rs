//! The PostgreSQL connection pool shared by the state store and `<xml-from-database>`: a caller that finds every
//! connection in use gives up after the pool's wait with a clear error, and gets a connection once one is released.

use std::time::{Duration, Instant};

use endpoints::store::pg_pool::{PgPool, PoolError};

use crate::{pg_url, unavailable};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pool_gives_up_after_its_wait() {
    let config: tokio_postgres::Config = pg_url().parse().unwrap();
    let pool = PgPool::new(config, 1, Duration::from_millis(300)).unwrap();
    let first = match tokio::time::timeout(Duration::from_secs(10), pool.get()).await {
        Ok(Ok(lease)) => lease,
        Ok(Err(e)) => return unavailable(&e),
        Err(_) => return unavailable(&"connecting timed out"),
    };
    let started = Instant::now();
    let err = match pool.get().await {
        Ok(_) => panic!("a second connection from a pool of one"),
        Err(e) => e,
    };
    assert!(matches!(err, PoolError::Busy { .. }), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(
        err.to_string(),
        "no PostgreSQL connection became free within 300ms (all 1 in use)"
    );
    first.release();
    let again = pool.get().await.unwrap();
    again.client().simple_query("SELECT 1").await.unwrap();
}
