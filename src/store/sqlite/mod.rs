//! The SQLite backend: one file (WAL), one writer thread that commits the requests queued meanwhile together
//! (group commit, one savepoint per request so that one bad request cannot spoil the others), one reader
//! connection, and the number locks as in-process mutexes — so one engine process per file, enforced by an
//! exclusive lock on `<file>.lock`.
//!
//! Writes that hold no number and no short link ([`Tx::commit_behind`](crate::store::Tx::commit_behind): the plain request-log rows) do not wait for
//! their transaction: they are queued and handed to the writer every [`BEHIND_DELAY`] (or [`BEHIND_BATCH`] rows),
//! so that under load one transaction carries hundreds of rows and the writer is woken a hundred times a second,
//! not once per request. At most [`BEHIND_QUEUE`] rows wait; beyond that a request waits for room (back-pressure,
//! nothing dropped). Reading the log ([`Store::entries`](crate::store::Store::entries)) and [`Store::close`](crate::store::Store::close) first write what is queued.
//!
//! Files: `store` (the store, its queue and locks), `writer` (the writer thread), `read` (queries on the reader
//! connection), `schema` (connections and migrations).

mod read;
mod schema;
mod store;
#[cfg(test)]
mod tests;
mod writer;

pub use store::{SqliteStore, BEHIND_BATCH, BEHIND_DELAY, BEHIND_QUEUE};
