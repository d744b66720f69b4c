//! What one request (one flow: success, or the error flow) records in the store: the on-demand numbers it fetched
//! (lazily, once per kind), its request-log captures, the short links it created and the parameter transformation's
//! documents for debug capture. [`Journal::commit`] writes all of it in one transaction; dropping the journal
//! instead rolls back and gives the numbers back.
//!
//! It also carries the request's step timings when the server keeps them ([`Journal::timed`], see
//! [`super::timings`]); those stay in memory and are never written to the store.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::FutureExt;

use super::failure::Failure;
use super::settings::{Environment, RequestLogMode, Settings};
use super::timings::{Recorder, StepKind};
use crate::store::{LogEntry, NumberKind, ShortLink, Store, StoreError, Tx, Writes};

struct Numbers {
    tx: TxState,
    values: [Option<i64>; 3],
}

/// The request's store transaction: begun on the first number (most requests fetch none, and their entry is
/// committed without one), ended by commit or rollback.
enum TxState {
    NotBegun,
    Open(Box<dyn Tx>),
    Ended,
}

pub struct Journal {
    store: Arc<dyn Store>,
    pub application: String,
    pub environment: Environment,
    /// Start of the request (Unix milliseconds): the instant that chooses the year and month of numbers.
    pub started_ms: i64,
    timezone: jiff::tz::TimeZone,
    /// Where short links point (ends in `/`).
    pub base_url: String,
    log_mode: RequestLogMode,
    numbers: tokio::sync::Mutex<Numbers>,
    captures: Mutex<Vec<(String, String)>>,
    short_links: Mutex<Vec<ShortLink>>,
    /// The first endpoint's parameter-transformation input and output, when debug capture may want them.
    pt: Mutex<(Option<String>, Option<String>)>,
    /// The `secrets.xml` values this request has fetched, by index into its parameters (one value per request,
    /// however often it is used).
    secrets: std::sync::OnceLock<Box<[std::sync::OnceLock<Arc<str>>]>>,
    /// Where this request's step timings go; `None` (nothing measured) unless the server keeps them.
    trace: Option<Arc<Recorder>>,
}

impl Journal {
    pub fn new(
        store: &Arc<dyn Store>,
        application: &str,
        environment: Environment,
        started_ms: i64,
        settings: &Settings,
    ) -> Journal {
        Journal {
            store: store.clone(),
            application: application.to_string(),
            environment,
            started_ms,
            timezone: settings.timezone.clone(),
            base_url: settings.base_url.clone(),
            log_mode: settings.request_log,
            numbers: tokio::sync::Mutex::new(Numbers {
                tx: TxState::NotBegun,
                values: [None; 3],
            }),
            captures: Mutex::new(Vec::new()),
            short_links: Mutex::new(Vec::new()),
            pt: Mutex::new((None, None)),
            secrets: std::sync::OnceLock::new(),
            trace: None,
        }
    }

    /// The value of secret parameter `i`, if this request has fetched it.
    pub fn secret(&self, i: usize) -> Option<&str> {
        self.secrets.get()?.get(i)?.get().map(|v| &**v)
    }

    /// Records the value of secret parameter `i` of `count` (the first value recorded stays).
    pub fn set_secret(&self, i: usize, count: usize, value: Arc<str>) {
        let slots = self
            .secrets
            .get_or_init(|| (0..count).map(|_| std::sync::OnceLock::new()).collect());
        if let Some(slot) = slots.get(i) {
            let _ = slot.set(value);
        }
    }

    /// The journal with the request's step timings going to `trace` (from [`super::timings::Traces::start`]).
    pub fn with_trace(mut self, trace: Option<Arc<Recorder>>) -> Journal {
        self.trace = trace;
        self
    }

    pub fn trace(&self) -> Option<&Arc<Recorder>> {
        self.trace.as_ref()
    }

    /// `work`, recorded as a step of `kind` named `name()` with its outcome when the request is traced. Untraced,
    /// it is `work` with a flag beside it: no time stamp, no allocation, no lock. (A wrapper rather than an `async
    /// fn`: an `async fn` awaiting a future it was given holds that future twice, which on the request path costs
    /// a copy of every enclosing future per request.)
    pub fn timed<'a, T: 'a>(
        &'a self,
        kind: StepKind,
        name: impl FnOnce() -> String + 'a,
        work: impl Future<Output = Result<T, Failure>> + 'a,
    ) -> impl Future<Output = Result<T, Failure>> + 'a {
        self.timed_noting(kind, name, work, || None)
    }

    /// [`Journal::timed`] for a step that may succeed although something in it failed (an HTTP task with
    /// `ignore-if-error`): after a success, `ignored()` may give that failure's short outcome, recorded instead of
    /// success.
    pub fn timed_noting<'a, T: 'a>(
        &'a self,
        kind: StepKind,
        name: impl FnOnce() -> String + 'a,
        work: impl Future<Output = Result<T, Failure>> + 'a,
        ignored: impl FnOnce() -> Option<String> + 'a,
    ) -> impl Future<Output = Result<T, Failure>> + 'a {
        let started = self.trace.is_some().then(Instant::now);
        work.inspect(move |result| {
            let (Some(trace), Some(started)) = (&self.trace, started) else {
                return;
            };
            let outcome = match result {
                Ok(_) => ignored().map_or(Ok(()), Err),
                Err(f) => Err(f.step_outcome()),
            };
            trace.record(kind, name(), started, outcome);
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The request's number of `kind`: fetched on first use (taking the application's number lock), then reused.
    pub async fn number(&self, kind: NumberKind) -> Result<i64, Failure> {
        let mut n = self.numbers.lock().await;
        if let Some(v) = n.values[kind.index()] {
            return Ok(v);
        }
        let range = crate::store::period(kind, self.started_ms, &self.timezone);
        if kind != NumberKind::Perpetual && range.is_none() {
            return Err(Failure::hidden("cannot compute the current year or month"));
        }
        if matches!(n.tx, TxState::NotBegun) {
            n.tx = TxState::Open(
                self.store
                    .begin(&self.application, self.environment.as_str()),
            );
        }
        let TxState::Open(tx) = &mut n.tx else {
            return Err(Failure::hidden("the request's transaction has ended"));
        };
        let v = tx
            .next_number(kind, range)
            .await
            .map_err(|e| store_failure("fetching an on-demand number", &e))?;
        n.values[kind.index()] = Some(v);
        Ok(v)
    }

    /// `RequestLogExpressionCaptureTask`: the same key again overwrites.
    pub fn capture(&self, key: &str, value: String) {
        let mut c = self.captures.lock().unwrap_or_else(|p| p.into_inner());
        match c.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => c.push((key.to_string(), value)),
        }
    }

    pub fn add_short_link(&self, link: ShortLink) {
        self.short_links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(link);
    }

    pub fn set_pt_input(&self, doc: String) {
        self.pt.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(doc);
    }

    pub fn set_pt_output(&self, doc: String) {
        self.pt.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(doc);
    }

    /// The parameter transformation's input and output recorded so far.
    pub fn take_pt(&self) -> (Option<String>, Option<String>) {
        std::mem::take(&mut *self.pt.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Rolls back: numbers are given back, captures and short links forgotten.
    pub async fn rollback(&self) {
        let mut n = self.numbers.lock().await;
        n.tx = TxState::Ended;
        n.values = [None; 3];
        self.captures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.short_links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Writes `entry` with this journal's numbers, captures and short links, in one transaction.
    pub async fn commit(&self, mut entry: LogEntry) -> Result<(), StoreError> {
        let (tx, numbers) = {
            let mut n = self.numbers.lock().await;
            (std::mem::replace(&mut n.tx, TxState::Ended), n.values)
        };
        // None: no number was fetched, so no transaction was begun.
        let tx = match tx {
            TxState::Open(tx) => Some(tx),
            TxState::NotBegun => None,
            TxState::Ended => {
                return Err(StoreError::Other(
                    "the request's transaction has ended".into(),
                ))
            }
        };
        entry.numbers = numbers;
        entry.captures =
            std::mem::take(&mut *self.captures.lock().unwrap_or_else(|p| p.into_inner()));
        let short_links =
            std::mem::take(&mut *self.short_links.lock().unwrap_or_else(|p| p.into_inner()));
        let carries_state = entry.numbers.iter().any(Option::is_some)
            || !entry.captures.is_empty()
            || !short_links.is_empty()
            || entry.parameter_transformation_input.is_some()
            || entry.request_body.is_some();
        let wanted = match self.log_mode {
            RequestLogMode::All => true,
            RequestLogMode::Failures => entry.status_code >= 400,
            RequestLogMode::Off => false,
        };
        if !carries_state && !wanted {
            return Ok(()); // nothing was written: dropping the transaction costs no I/O
        }
        // Nothing in it that the client could use at once, and small (debug documents and bodies can be megabytes:
        // they are not left waiting in a queue): the backend may write it after the response.
        let behind = entry.numbers.iter().all(Option::is_none)
            && short_links.is_empty()
            && entry.request_body.is_none()
            && entry.parameter_transformation_input.is_none()
            && entry.parameter_transformation_output.is_none();
        let writes = Writes { entry, short_links };
        match tx {
            Some(tx) if behind => tx.commit_behind(writes).await,
            Some(tx) => tx.commit(writes).await,
            None if behind => self.store.commit_behind(writes).await,
            None => {
                let tx = self
                    .store
                    .begin(&self.application, self.environment.as_str());
                tx.commit(writes).await
            }
        }
    }
}

/// A store failure as the request sees it: an internal error whose detail goes to the log only.
pub fn store_failure(doing: &str, e: &StoreError) -> Failure {
    Failure::hidden(format!("state store failed while {doing}: {e}"))
}
