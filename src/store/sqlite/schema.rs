//! Opening a SQLite connection to the state file and bringing its schema to the current version.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::store::migrations::{self, SQLITE};
use crate::store::model::StoreError;

/// A connection with the settings every one of ours uses.
pub(super) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Applies the migrations the file has not seen (`PRAGMA user_version`), each in a transaction that also records
/// its version; refuses a file newer than this engine.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let pending = migrations::pending(SQLITE, version).map_err(|latest| {
        StoreError::Other(format!(
            "'{}' has schema version {version}, newer than this engine's {latest}",
            path.display()
        ))
    })?;
    for m in pending {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
    }
    Ok(())
}
