//! The engine's state: request log, gapless on-demand numbers, short links and debug captures.
//!
//! One [`Store`] trait with two backends: SQLite (a file, the default, one engine process per file) and PostgreSQL
//! (several engine processes share one database). The engine never knows which one it talks to.
//!
//! A request's writes are gathered in memory and written by [`Tx::commit`] in one transaction, before the response
//! is sent. Only the on-demand numbers need the database during the request: the first number a request fetches
//! takes the lock of its (application, environment) — an in-process mutex for SQLite, `SELECT … FOR UPDATE` on a lock
//! row for PostgreSQL — and keeps it until the request commits or is dropped (rolled back). So the numbers of
//! successful requests are exactly 1, 2, 3, … with no gap and no repeat, and a failed request gives its number back.
//!
//! Numbers are also written to `request_numbers`, which is never expired (the reference computes them from the expiring log and
//! can repeat them); retention deletes `request_log` rows, their captures and expired short links only.
//!
//! Files: `model` (the traits and what they carry), `open` (choosing the backend), `format` (text for people),
//! `migrations` (the versioned schema of each backend, SQL under `migrations/`), `sql` (the statements both backends
//! run), `pg_pool` (the PostgreSQL pool, also used by `<xml-from-database>`), `sqlite/` and `postgres` (the
//! backends).

mod format;
pub mod migrations;
mod model;
mod open;
pub mod pg_pool;
pub mod postgres;
mod sql;
pub mod sqlite;

pub use format::{format_entry, format_line, redact, utc_datetime};
pub use model::{
    period, short_link_code, BoxFuture, Expired, LogEntry, LogQuery, NumberKind, ShortLink, Store,
    StoreError, Tx, Writes,
};
pub use open::open;
