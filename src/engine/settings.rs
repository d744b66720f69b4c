//! The engine's shared settings: the [`Environment`] a request runs in, the [`Clock`], which requests are logged
//! ([`RequestLogMode`]), how request hashes are computed ([`HashScheme`]) and the engine-wide [`Settings`] from the
//! command line and environment.

pub use crate::config::model::settings::HashScheme;
use std::sync::Arc;

/// `live` (default) or `preview`; part of the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Live,
    Preview,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Preview => "preview",
        }
    }

    pub fn parse(s: &str) -> Option<Environment> {
        match s {
            "live" => Some(Environment::Live),
            "preview" => Some(Environment::Preview),
            _ => None,
        }
    }
}

/// The current time in Unix milliseconds; replaceable so that tests can move time (month rollover, expiry).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(|| jiff::Timestamp::now().as_millisecond()))
    }

    pub fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Which requests get a request-log entry. Requests that fetched a number, created a short link, captured a value
/// or recorded debug documents are always written (their state lives there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestLogMode {
    /// Every request (the reference's behaviour).
    #[default]
    All,
    /// Requests answered with a status of 400 or more.
    Failures,
    /// Only the requests that carry state.
    Off,
}

impl RequestLogMode {
    pub fn parse(s: &str) -> Option<RequestLogMode> {
        match s {
            "all" => Some(RequestLogMode::All),
            "failures" => Some(RequestLogMode::Failures),
            "off" => Some(RequestLogMode::Off),
            _ => None,
        }
    }
}

/// Engine-wide switches (from the command line and environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENDPOINTS_CHECK_HASH` / `--no-hash-check`.
    pub check_hash: bool,
    /// `ENDPOINTS_DISPLAY_EXPECTED_HASH`: put the expected hash into the 401 message (never on a live system).
    pub display_expected_hash: bool,
    /// `--debug-allowed` / `ENDPOINTS_DEBUG_ALLOWED`: `debug=true` records the request's debug documents.
    pub debug_allowed: bool,
    /// `--timezone` / `ENDPOINTS_TIMEZONE`: the time zone of the year and month of on-demand numbers.
    pub timezone: jiff::tz::TimeZone,
    /// `--base-url` / `ENDPOINTS_BASE_URL`, ending in `/`: short links are `{base_url}shortlink/{code}`.
    pub base_url: String,
    pub clock: Clock,
    /// `--request-log` / `ENDPOINTS_REQUEST_LOG`.
    pub request_log: RequestLogMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            check_hash: true,
            display_expected_hash: false,
            debug_allowed: false,
            timezone: jiff::tz::TimeZone::UTC,
            base_url: "http://127.0.0.1:8080/".to_string(),
            clock: Clock::system(),
            request_log: RequestLogMode::All,
        }
    }
}
