//! How the worker runs ([`Options`]), its timeouts and restart backoff, and the [`Status`] it reports.

use std::time::Duration;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-Xmx` of the JVM, e.g. `512m`.
    pub max_heap: String,
    /// Worker threads inside the JVM (default: the number of cores).
    pub threads: usize,
    /// Longest a transformation or PDF rendering may take.
    pub call_timeout: Duration,
    /// Calls in flight at once; further callers wait for a slot.
    pub max_in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            max_heap: "512m".into(),
            threads: cores,
            call_timeout: Duration::from_secs(60),
            max_in_flight: 64 * cores,
        }
    }
}

/// Compiling a stylesheet may take long the first time (a cold JVM).
pub(super) const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest the worker may take to say READY.
pub(super) const START_TIMEOUT: Duration = Duration::from_secs(60);
pub(super) const BACKOFF_MAX: Duration = Duration::from_secs(30);

pub(super) fn backoff(crashes: u32) -> Duration {
    let d = Duration::from_secs(1) * 2u32.saturating_pow(crashes.saturating_sub(1).min(5));
    d.min(BACKOFF_MAX)
}

/// A snapshot of the worker for health checks and metrics.
#[derive(Debug, Clone)]
pub struct Status {
    /// `running`, `starting`, `restarting`, `stopped` or `failed`.
    pub state: &'static str,
    pub pid: Option<u32>,
    pub description: String,
    pub in_flight: usize,
    pub calls: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub restarts: u64,
    pub last_failure: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_limit() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(40), BACKOFF_MAX);
    }
}
