//! The store's vocabulary: the [`Store`] and [`Tx`] traits every backend implements, what a request writes
//! ([`Writes`]: a [`LogEntry`] and [`ShortLink`]s), what the log is asked ([`LogQuery`]), on-demand number kinds
//! and their periods, and [`StoreError`].

use std::future::Future;
use std::pin::Pin;

use super::pg_pool::PoolError;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What went wrong in the store; the text is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("{0}")]
    Other(String),
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Connect(e) => e.into(),
            e => StoreError::Other(e.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        })
    }
}

/// The three kinds of `<on-demand-incrementing-number type="…">`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Perpetual,
    Year,
    Month,
}

impl NumberKind {
    pub fn parse(s: &str) -> Option<NumberKind> {
        match s {
            "perpetual" => Some(NumberKind::Perpetual),
            "year" => Some(NumberKind::Year),
            "month" => Some(NumberKind::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Perpetual => "perpetual",
            NumberKind::Year => "year",
            NumberKind::Month => "month",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The column of `request_numbers` holding this kind.
    pub(crate) fn column(self) -> &'static str {
        match self {
            NumberKind::Perpetual => "perpetual_number",
            NumberKind::Year => "year_number",
            NumberKind::Month => "month_number",
        }
    }
}

/// The calendar year or month containing `now_ms` in `tz`, as `[start, end)` in Unix milliseconds.
pub fn period(kind: NumberKind, now_ms: i64, tz: &jiff::tz::TimeZone) -> Option<(i64, i64)> {
    use jiff::ToSpan;
    let date = jiff::Timestamp::from_millisecond(now_ms)
        .ok()?
        .to_zoned_datetime(tz.clone())
        .date();
    let (first, next) = match kind {
        NumberKind::Perpetual => return None,
        NumberKind::Year => {
            let f = date.first_of_year();
            (f, f.checked_add(1.year()).ok()?)
        }
        NumberKind::Month => {
            let f = date.first_of_month();
            (f, f.checked_add(1.month()).ok()?)
        }
    };
    let start = first
        .to_zoned_datetime(tz.clone())
        .ok()?
        .timestamp()
        .as_millisecond();
    let end = next
        .to_zoned_datetime(tz.clone())
        .ok()?
        .timestamp()
        .as_millisecond();
    Some((start, end))
}

/// One request-log entry: the never-expiring ids and numbers, the expiring details, and the captures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEntry {
    pub request_id: String,
    pub application: String,
    pub environment: String,
    /// The endpoint named in the URL (a forward chain is logged once, under its first endpoint).
    pub endpoint: String,
    /// Start of the request, Unix milliseconds.
    pub datetime_ms: i64,
    /// `[perpetual, year, month]`, each only if fetched during the request.
    pub numbers: [Option<i64>; 3],
    pub status_code: u16,
    pub user_agent: String,
    pub exception_message: Option<String>,
    pub http_request_failed_url: Option<String>,
    pub http_request_failed_status_code: Option<u16>,
    pub xslt_parameter_error_message: Option<String>,
    pub parameter_transformation_input: Option<String>,
    pub parameter_transformation_output: Option<String>,
    pub request_content_type: Option<String>,
    pub request_body: Option<Vec<u8>>,
    /// `RequestLogExpressionCaptureTask` captures, sorted by lower-cased key when read back.
    pub captures: Vec<(String, String)>,
}

/// A short link created by `CreateShortLinkToEndpointTask`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortLink {
    pub code: String,
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub parameters: Vec<(String, String)>,
}

/// Everything one request writes.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    pub entry: LogEntry,
    pub short_links: Vec<ShortLink>,
}

/// Which log entries to read (newest first, at most `limit`).
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub application: Option<String>,
    pub environment: Option<String>,
    pub endpoint: Option<String>,
    /// Inclusive status range.
    pub status: Option<(u16, u16)>,
    pub since_ms: Option<i64>,
    pub request_id: Option<String>,
    pub limit: usize,
    /// Also read the captures and the debug documents (PT input/output, request body).
    pub details: bool,
}

/// What retention removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    pub log_entries: u64,
    pub short_links: u64,
}

/// One request's transaction. Dropping it without [`Tx::commit`] rolls back (and releases the number lock).
pub trait Tx: Send {
    /// The next number of `kind` (`range`: the current year or month for those kinds). The first call takes the
    /// (application, environment) lock, held until commit or drop.
    fn next_number(
        &mut self,
        kind: NumberKind,
        range: Option<(i64, i64)>,
    ) -> BoxFuture<'_, Result<i64, StoreError>>;

    /// Writes everything of the request in one transaction.
    fn commit(self: Box<Self>, writes: Writes) -> BoxFuture<'static, Result<(), StoreError>>;

    /// Like [`Tx::commit`], for small writes that hold no number and no short link (nothing the client may use at
    /// once; the engine sends debug documents through [`Tx::commit`]):
    /// a backend may queue them and write them shortly after the response, together with others (the SQLite
    /// backend does; [`Store::entries`] and [`Store::close`] still see them). An error here means the writes could
    /// not even be queued.
    fn commit_behind(
        self: Box<Self>,
        writes: Writes,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        self.commit(writes)
    }
}

/// The engine's state store.
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgresql`.
    fn backend(&self) -> &'static str;

    /// Where the state lives, for the start-up log (no password).
    fn describe(&self) -> String;

    /// A new request transaction; does no I/O until a number is fetched or it commits.
    fn begin(&self, application: &str, environment: &str) -> Box<dyn Tx>;

    /// [`Tx::commit_behind`] for a request that fetched no number: the same writes, without a transaction object
    /// first (the SQLite backend queues them straight away).
    fn commit_behind(&self, writes: Writes) -> BoxFuture<'static, Result<(), StoreError>> {
        let e = &writes.entry;
        let tx = self.begin(&e.application, &e.environment);
        tx.commit_behind(writes)
    }

    /// The short link `code`, if it exists and has not expired at `now_ms`.
    fn short_link(
        &self,
        code: &str,
        now_ms: i64,
    ) -> BoxFuture<'_, Result<Option<ShortLink>, StoreError>>;

    /// Log entries matching `query`, newest first.
    fn entries(&self, query: LogQuery) -> BoxFuture<'_, Result<Vec<LogEntry>, StoreError>>;

    /// Checks that the store answers (a round trip to the database), for `/health-check`.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Deletes log entries (and their captures) that started before `log_before_ms`, and short links expired at
    /// `now_ms`. Numbers are kept.
    fn expire(&self, log_before_ms: i64, now_ms: i64)
        -> BoxFuture<'_, Result<Expired, StoreError>>;

    /// Writes whatever [`Tx::commit_behind`] queued and waits for it: call once no request runs any more.
    fn close(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Twelve characters from the 53 symbols the reference uses (A–Z a–z 0–9 without O 0 I l 1 S 5 2 Z).
pub fn short_link_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnopqrstuvwxyz346789";
    debug_assert_eq!(ALPHABET.len(), 53);
    let mut code = String::with_capacity(12);
    while code.len() < 12 {
        for b in *uuid::Uuid::new_v4().as_bytes() {
            // 212 = 4 × 53: unbiased
            if b < 212 && code.len() < 12 {
                code.push(ALPHABET[usize::from(b % 53)] as char);
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_time_zone() {
        // 2018-12-31 23:30 UTC is 2019-01-01 00:30 in Vienna.
        let now = jiff::Timestamp::from_second(1_546_299_000)
            .unwrap()
            .as_millisecond();
        let utc = jiff::tz::TimeZone::UTC;
        let vienna = jiff::tz::TimeZone::get("Europe/Vienna").unwrap();
        let (s, e) = period(NumberKind::Year, now, &utc).unwrap();
        assert_eq!(s, 1_514_764_800_000); // 2018-01-01T00:00Z
        assert_eq!(e, 1_546_300_800_000); // 2019-01-01T00:00Z
        let (s, _) = period(NumberKind::Year, now, &vienna).unwrap();
        assert_eq!(s, 1_546_297_200_000); // 2019-01-01T00:00+01:00
        let (s, e) = period(NumberKind::Month, now, &utc).unwrap();
        assert_eq!((s, e), (1_543_622_400_000, 1_546_300_800_000)); // December 2018
        assert_eq!(period(NumberKind::Perpetual, now, &utc), None);
    }

    #[test]
    fn codes_use_the_53_symbols() {
        for _ in 0..200 {
            let c = short_link_code();
            assert_eq!(c.len(), 12);
            assert!(c.chars().all(|ch| ch.is_ascii_alphanumeric()));
            assert!(
                !c.contains(['O', '0', 'I', 'l', '1', 'S', '5', '2', 'Z']),
                "{c}"
            );
        }
    }
}
