//! Running `<xml-from-database>` against PostgreSQL, SQLite or MySQL/MariaDB.
//!
//! The result is `<T><row><COL>value</COL>…</row>…</T>` (`<T/>` without rows):
//!
//! * **Element names** are the result columns' names, made XML-safe the way JSON keys are
//!   (`crate::convert::json_to_xml`): a first character not in `[A-Za-z_]` and any later character not in
//!   `[A-Za-z0-9._-]` becomes `_hhhh_` (hex of the UTF-16 unit), so `2nd value` → `_0032_nd_0020_value`.
//!   An empty name becomes `_`.
//! * **Values** as text: NULL and the empty string give an empty element; integers plainly; decimals exactly as
//!   the database sends them; floating point numbers in the shortest form that reads back to the same value,
//!   using the exponent style of the database (`1e+20` PostgreSQL, `1e20` MySQL, `1.0e+20` SQLite); booleans
//!   `true`/`false`; dates `2024-01-31`, times `13:45:00.5`, timestamps ISO 8601 `2024-01-31T13:45:00.5`
//!   (PostgreSQL `timestamptz` in UTC with `Z`), PostgreSQL intervals as ISO 8601 durations (`P1Y2M3DT4H5M6S`);
//!   binary data in base64. Characters XML 1.0 does not allow become U+FFFD; a carriage return is written
//!   `&#13;` so that it survives parsing.
//! * **Per database**: PostgreSQL renders `uuid`, `json`/`jsonb`, `inet`/`cidr`, `bit`, enums and domains too;
//!   other types (arrays, ranges, geometric, `money`, composite) are a failure that asks for a cast to text in
//!   the SQL (`SELECT tags::text …`). MySQL/MariaDB: `TINYINT(1)` (what `BOOLEAN` is) and `BIT(1)` are booleans,
//!   as Connector/J reads them; other `BIT(n)` as an unsigned integer. SQLite: a column declared `BOOLEAN`/`BOOL`
//!   holding 0/1 gives `false`/`true`; everything else as stored (SQLite keeps dates as the text you stored).
//!
//! **Parameters** are never spliced into the SQL: every `<param>` is expanded (a plain-text pattern) and bound to
//! its `?` as a string.
//! * PostgreSQL: the statement is prepared with the parameter types left to the server, and each value is sent in
//!   text format, so the server parses it as it would parse a quoted literal in that position: `WHERE id = ?`
//!   works for an integer column (a value that is not a number fails the request), `WHERE name = ?` for text.
//!   Where the server cannot infer a type (`SELECT ?`, `? IS NULL`) the statement is prepared again with every
//!   parameter typed `text`. An explicit `CAST(? AS integer)` / `?::integer` always works.
//!   (The PostgreSQL JDBC driver sends `setString` values as `varchar`, so there `WHERE id = ?` needs the cast.)
//! * SQLite: bound as TEXT; SQLite's type affinity converts it for comparisons with INTEGER/REAL columns.
//! * MySQL/MariaDB: server-side prepared statements, values bound as strings (the server converts them).
//!
//! **Safety and limits**: connections are read-only (PostgreSQL `default_transaction_read_only`, MySQL
//! `SET SESSION TRANSACTION READ ONLY`, SQLite opened read-only) and nothing is ever committed; one statement per
//! query (the drivers refuse several); a statement may run [`STATEMENT_TIMEOUT`] (PostgreSQL
//! `statement_timeout`, MariaDB `max_statement_time`, MySQL `max_execution_time`, SQLite a progress handler);
//! more than [`MAX_ROWS`] rows is a failure. Every failure is [`Failure::hidden`]: the client sees only
//! "An internal error occurred"; the log gets the database's message and the target without password.
//!
//! **Connections** are pooled per JDBC URL for the life of the process: PostgreSQL via tokio-postgres (up to
//! [`POOL_SIZE`] connections through `crate::store::pg_pool`, waiting at most 30 s for a free one, prepared
//! statements cached per connection), SQLite via rusqlite on the blocking
//! pool, MySQL/MariaDB via the synchronous `mysql` crate's pool on the blocking pool. TLS is not spoken (the
//! configuration rejects URLs that require it).
//!
//! Files: `common` (limits, the per-target pool registry), `output` (the `<T>` document), `format` (numbers, dates
//! and times as text), `postgres` + `pg_value`, `sqlite`, `mysql` (one per database).

mod common;
pub(crate) mod format;
mod mysql;
mod output;
mod pg_value;
mod postgres;
mod sqlite;

use std::time::Instant;

use super::failure::Failure;
use crate::config::model::database::{DatabaseQuery, Target};
use common::OVERALL_TIMEOUT;

pub use common::{MAX_ROWS, POOL_SIZE, STATEMENT_TIMEOUT};
pub use output::element_name;

/// Runs the query with the expanded `<param>`s bound to its `?`s and returns the `<T>` element.
pub async fn run(
    query: &DatabaseQuery,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    unknown_empty: bool,
) -> Result<String, Failure> {
    let mut values = Vec::with_capacity(query.params.len());
    for p in &query.params {
        let known: Vec<(&str, Option<String>)> = p.names().map(|n| (n, lookup(n))).collect();
        let get = |name: &str| {
            known
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.as_deref())
        };
        let v = p
            .expand(&get, unknown_empty)
            .map_err(|e| Failure::internal(e.to_string()))?;
        values.push(v);
    }
    let started = Instant::now();
    let outcome = tokio::time::timeout(OVERALL_TIMEOUT, async {
        match &*query.target {
            Target::Postgres(t) => postgres::run(query, t, &values).await,
            Target::Sqlite(path) => sqlite::run(query, path.clone(), values.clone()).await,
            Target::MySql(t) => mysql::run(query, t, values.clone()).await,
        }
    })
    .await;
    let result = match outcome {
        Ok(r) => r,
        Err(_) => Err(format!(
            "gave no result within {} s",
            OVERALL_TIMEOUT.as_secs()
        )),
    };
    result.map_err(|e| {
        Failure::hidden(format!(
            "<xml-from-database> on {} failed after {} ms: {e}",
            query.target.describe(),
            started.elapsed().as_millis()
        ))
    })
}
