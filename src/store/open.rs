//! Choosing and opening the backend from the `--database` URL or the SQLite file.

use std::sync::Arc;

use super::format::redact;
use super::model::{Store, StoreError};
use super::{postgres, sqlite};

/// Opens the store named by `database` (a `postgres://` / `postgresql://` URL) or else the SQLite file `sqlite_path`;
/// creates and migrates the schema.
pub async fn open(
    database: Option<&str>,
    sqlite_path: &std::path::Path,
) -> Result<Arc<dyn Store>, StoreError> {
    match database.filter(|d| !d.is_empty()) {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(postgres::PgStore::connect(url).await?))
        }
        Some(url) => match url.strip_prefix("sqlite:") {
            Some(path) => {
                let path = path.trim_start_matches("//").to_string();
                let store = tokio::task::spawn_blocking(move || {
                    sqlite::SqliteStore::open(std::path::Path::new(&path))
                })
                .await
                .map_err(|e| StoreError::Other(e.to_string()))??;
                Ok(Arc::new(store))
            }
            None => Err(StoreError::Other(format!(
                "database URL must start with postgres://, postgresql:// or sqlite: (got '{}')",
                redact(url)
            ))),
        },
        None => {
            let path = sqlite_path.to_path_buf();
            let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path))
                .await
                .map_err(|e| StoreError::Other(e.to_string()))??;
            Ok(Arc::new(store))
        }
    }
}
