//! The SQLite writer thread: takes the queued operations, writes all queued requests in one transaction (group
//! commit; a failing batch is retried one request per transaction so that only the bad one is refused), runs
//! retention, and answers barriers once everything before them is written.

use std::sync::{mpsc, LazyLock};

use rusqlite::types::ToSql;
use rusqlite::{params, Connection};
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use crate::store::model::{Expired, LogEntry, StoreError, Writes};
use crate::store::sql::{self, sqlite as lite};

/// How many request-log rows one insert statement takes: a batch goes in groups of 32, 16, 8, 4, 2 and 1 rows
/// (six statements in the cache), so that a statement's own work (its cache lookup, reset and cursors) is paid once
/// a group, not once a row.
const LOG_GROUPS: [usize; 6] = [32, 16, 8, 4, 2, 1];
/// Values of one request-log row.
const LOG_COLUMNS: usize = 18;
/// Values of a plain row: the first columns, up to `user_agent`; every later column of such a row is NULL, which
/// SQLite stores for a column an insert does not name, so those are not bound one by one.
const PLAIN_COLUMNS: usize = 7;

/// The insert statements in SQLite's placeholder syntax, made once: every request-log row uses them, and the
/// statement cache is looked up by this text.
struct Inserts {
    /// The request-log insert for each of [`LOG_GROUPS`].
    log_rows: Vec<String>,
    /// The same for plain rows ([`PLAIN_COLUMNS`]).
    plain_rows: Vec<String>,
    numbers: String,
    capture: String,
    short_link: String,
    short_link_parameter: String,
}

/// [`sql::INSERT_LOG`] with `rows` rows of values, of its first `columns` columns.
fn insert_log_rows_sql(rows: usize, columns: usize) -> String {
    let head = &sql::INSERT_LOG[..sql::INSERT_LOG.find(" VALUES").expect("an INSERT … VALUES")];
    let (table, names) = head.split_once('(').expect("a column list");
    let names: Vec<&str> = names
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect();
    let names = names[..columns].join(", ");
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!("{table}({names}) VALUES {}", vec![row; rows].join(", "))
}

static INSERTS: LazyLock<Inserts> = LazyLock::new(|| Inserts {
    log_rows: LOG_GROUPS
        .iter()
        .map(|&n| insert_log_rows_sql(n, LOG_COLUMNS))
        .collect(),
    plain_rows: LOG_GROUPS
        .iter()
        .map(|&n| insert_log_rows_sql(n, PLAIN_COLUMNS))
        .collect(),
    numbers: lite(sql::INSERT_NUMBERS).into_owned(),
    capture: lite(sql::INSERT_CAPTURE).into_owned(),
    short_link: lite(sql::INSERT_SHORT_LINK).into_owned(),
    short_link_parameter: lite(sql::INSERT_SHORT_LINK_PARAMETER).into_owned(),
});

/// Operations the writer takes from its queue at once (a queued batch of rows written behind counts as one).
const BATCH: usize = 512;

pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

pub(super) enum Op {
    Write(Box<Writes>, Reply<()>),
    /// Rows written behind: nobody waits for them; each holds its room in the queue until written.
    Behind(Vec<(Box<Writes>, OwnedSemaphorePermit)>),
    Expire(i64, i64, Reply<Expired>),
    /// Answered once everything queued before it is written.
    Barrier(Reply<()>),
}

/// Who learns that a row was written.
pub(super) enum Done {
    Reply(Reply<()>),
    Behind(OwnedSemaphorePermit),
}

pub(super) fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Op>) {
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
    let together = write_in_transaction(conn, writes.iter().map(|(w, _)| &**w));
    match together {
        Ok(()) => {
            for (w, done) in writes {
                done.report(&w.entry.request_id, Ok(()));
            }
        }
        Err(_) if writes.len() > 1 => {
            for (w, done) in writes {
                let result = write_in_transaction(conn, [&*w]);
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

fn write_in_transaction<'a>(
    conn: &mut Connection,
    writes: impl IntoIterator<Item = &'a Writes>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let writes: Vec<&Writes> = writes.into_iter().collect();
    insert_log_rows(&tx, &writes)?;
    for w in writes {
        write_related(&tx, w)?;
    }
    tx.commit()?;
    Ok(())
}

/// Whether every column of `e` after the first [`PLAIN_COLUMNS`] is NULL (a request with no failure, numbers,
/// debug documents or body, as most are).
fn plain(e: &LogEntry) -> bool {
    e.exception_message.is_none()
        && e.http_request_failed_url.is_none()
        && e.http_request_failed_status_code.is_none()
        && e.xslt_parameter_error_message.is_none()
        && e.numbers.iter().all(Option::is_none)
        && e.parameter_transformation_input.is_none()
        && e.parameter_transformation_output.is_none()
        && e.request_content_type.is_none()
        && e.request_body.is_none()
}

/// The request-log rows of `writes`, in order: each run of plain or other rows in groups of [`LOG_GROUPS`] rows a
/// statement.
fn insert_log_rows(conn: &Connection, writes: &[&Writes]) -> Result<(), StoreError> {
    let mut rest = writes;
    while let Some(first) = rest.first() {
        let kind = plain(&first.entry);
        let run = rest
            .iter()
            .position(|w| plain(&w.entry) != kind)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(run);
        insert_run(conn, run, kind)?;
        rest = tail;
    }
    Ok(())
}

/// Rows all plain, or all not, in groups of [`LOG_GROUPS`].
fn insert_run(conn: &Connection, writes: &[&Writes], plain: bool) -> Result<(), StoreError> {
    let (statements, columns) = if plain {
        (&INSERTS.plain_rows, PLAIN_COLUMNS)
    } else {
        (&INSERTS.log_rows, LOG_COLUMNS)
    };
    let mut rest = writes;
    while !rest.is_empty() {
        let (g, &n) = LOG_GROUPS
            .iter()
            .enumerate()
            .find(|(_, &n)| n <= rest.len())
            .expect("groups end with one row");
        let (group, tail) = rest.split_at(n);
        let mut s = conn.prepare_cached(&statements[g])?;
        for (r, w) in group.iter().enumerate() {
            let e = &w.entry;
            let values: [&dyn ToSql; LOG_COLUMNS] = [
                &e.request_id,
                &e.application,
                &e.environment,
                &e.endpoint,
                &e.datetime_ms,
                &e.status_code,
                &e.user_agent,
                &e.exception_message,
                &e.http_request_failed_url,
                &e.http_request_failed_status_code,
                &e.xslt_parameter_error_message,
                &e.numbers[0],
                &e.numbers[1],
                &e.numbers[2],
                &e.parameter_transformation_input,
                &e.parameter_transformation_output,
                &e.request_content_type,
                &e.request_body,
            ];
            for (c, v) in values.into_iter().take(columns).enumerate() {
                s.raw_bind_parameter(r * columns + c + 1, v)?;
            }
        }
        s.raw_execute()?;
        rest = tail;
    }
    Ok(())
}

/// What belongs to a request-log row besides it: its numbers, captures and short links.
fn write_related(conn: &Connection, w: &Writes) -> Result<(), StoreError> {
    let e = &w.entry;
    if e.numbers.iter().any(Option::is_some) {
        conn.prepare_cached(&INSERTS.numbers)?.execute(params![
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
        let mut s = conn.prepare_cached(&INSERTS.capture)?;
        for (k, v) in &e.captures {
            s.execute(params![e.request_id, k, v])?;
        }
    }
    for l in &w.short_links {
        conn.prepare_cached(&INSERTS.short_link)?.execute(params![
            l.code,
            l.application,
            l.environment,
            l.endpoint,
            l.created_ms,
            l.expires_ms
        ])?;
        let mut s = conn.prepare_cached(&INSERTS.short_link_parameter)?;
        for (i, (n, v)) in l.parameters.iter().enumerate() {
            s.execute(params![l.code, i as i64, n, v])?;
        }
    }
    Ok(())
}

fn expire(conn: &Connection, before: i64, now: i64) -> Result<Expired, StoreError> {
    conn.execute(&lite(sql::EXPIRE_CAPTURES), [before])?;
    let log_entries = conn.execute(&lite(sql::EXPIRE_LOG), [before])?;
    conn.execute(&lite(sql::EXPIRE_SHORT_LINK_PARAMETERS), [now])?;
    let short_links = conn.execute(&lite(sql::EXPIRE_SHORT_LINKS), [now])?;
    Ok(Expired {
        log_entries: log_entries as u64,
        short_links: short_links as u64,
    })
}
