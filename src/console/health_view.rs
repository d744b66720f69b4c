//! The health page: the state store and the JVM worker (as `/health-check` checks them), request rates by status
//! class and latency percentiles over the last minute and since the start (from the counters `/metrics` exposes),
//! and the process's memory and file descriptors.
//!
//! [`Rates`] samples the counters every [`SAMPLE_EVERY`] while the console runs, so that a page shows the last
//! minute's numbers without keeping anything per request.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use maud::{html, Markup};

use super::pages::{page_refreshing, Frame};
use crate::server::histogram::BUCKETS;
use crate::server::metrics::Totals;
use crate::server::process_metrics::Process;
use crate::server::State;

pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Samples kept: a minute's.
const SAMPLES: usize = 13;
/// How long the page waits for the state store and the JVM worker.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The counters at recent moments.
#[derive(Default)]
pub struct Rates {
    samples: Mutex<VecDeque<(Instant, Totals)>>,
}

impl Rates {
    pub fn sample(&self, state: &State) {
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() >= SAMPLES {
            s.pop_front();
        }
        s.push_back((Instant::now(), state.metrics.totals()));
    }

    /// The oldest sample kept (at most a minute old).
    fn oldest(&self) -> Option<(Instant, Totals)> {
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .cloned()
    }
}

/// `now - then`, counter by counter.
fn difference(now: &Totals, then: &Totals) -> Totals {
    let mut d = Totals::default();
    for i in 0..5 {
        d.by_class[i] = now.by_class[i].saturating_sub(then.by_class[i]);
    }
    for i in 0..BUCKETS.len() {
        d.latency_buckets[i] = now.latency_buckets[i].saturating_sub(then.latency_buckets[i]);
    }
    d.latency_count = now.latency_count.saturating_sub(then.latency_count);
    d.latency_sum_micros = now
        .latency_sum_micros
        .saturating_sub(then.latency_sum_micros);
    d
}

/// The latency below which a share `q` of the requests of `t` were answered, as the histogram knows it (a
/// bucket's upper bound), or `None` without requests.
pub fn percentile(t: &Totals, q: f64) -> Option<String> {
    if t.latency_count == 0 {
        return None;
    }
    let wanted = (q * t.latency_count as f64).ceil() as u64;
    let mut seen = 0;
    for (i, n) in t.latency_buckets.iter().enumerate() {
        seen += n;
        if seen >= wanted.max(1) {
            return Some(format!("≤ {}", seconds(BUCKETS[i])));
        }
    }
    Some(format!("> {}", seconds(BUCKETS[BUCKETS.len() - 1])))
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{} ms", s * 1000.0)
    } else {
        format!("{s} s")
    }
}

fn mib(b: Option<u64>) -> String {
    b.map_or("?".into(), |b| format!("{:.1} MiB", b as f64 / 1_048_576.0))
}

fn traffic(title: &str, t: &Totals, over: Option<Duration>) -> Markup {
    let rate = |n: u64| match over {
        Some(d) if d.as_secs_f64() > 0.0 => format!("{:.2}/s", n as f64 / d.as_secs_f64()),
        _ => n.to_string(),
    };
    let mean = (t.latency_count > 0).then(|| {
        format!(
            "{:.2} ms",
            t.latency_sum_micros as f64 / t.latency_count as f64 / 1000.0
        )
    });
    html! {
        section class="card" {
            h2 { (title) }
            table class="numbers" {
                thead { tr { th { "requests" } @for c in ["1xx", "2xx", "3xx", "4xx", "5xx"] { th { (c) } } } }
                tbody { tr {
                    td { (rate(t.by_class.iter().sum())) }
                    @for n in t.by_class { td { (rate(n)) } }
                } }
            }
            dl class="facts" {
                dt { "latency p50" } dd { (percentile(t, 0.5).unwrap_or_else(|| "–".into())) }
                dt { "p95" } dd { (percentile(t, 0.95).unwrap_or_else(|| "–".into())) }
                dt { "p99" } dd { (percentile(t, 0.99).unwrap_or_else(|| "–".into())) }
                dt { "mean" } dd { (mean.unwrap_or_else(|| "–".into())) }
            }
        }
    }
}

/// `GET /health`: the page (it reloads itself every ten seconds).
pub async fn health_page(state: &State, rates: &Rates, frame: &Frame<'_>) -> Markup {
    let store = match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "console: the state store does not answer");
            Err("does not answer (the server's log says why)")
        }
        Err(_) => Err("did not answer within 3 s"),
    };
    let jvm = crate::jvm::status().filter(|_| crate::jvm::global().in_use());
    let jvm_ping = match &jvm {
        None => None,
        Some(_) => Some(
            crate::jvm::global()
                .ping(PING_TIMEOUT)
                .await
                .map_err(|e| e.to_string()),
        ),
    };
    let now = state.metrics.totals();
    let window = rates
        .oldest()
        .map(|(at, then)| (at.elapsed(), difference(&now, &then)));
    let process = tokio::task::spawn_blocking(Process::read)
        .await
        .unwrap_or_default();
    let content = html! {
        h1 { "Health" }
        section class="card" {
            h2 { "Components" }
            dl class="facts" {
                dt { "state store" }
                dd id="store-state" {
                    code { (state.store.backend()) } " · "
                    @match &store { Ok(()) => span class="ok" { "answers" }, Err(e) => span class="bad" { (e) } }
                }
                dt { "JVM worker" }
                dd id="jvm-state" {
                    @match (&jvm, &jvm_ping) {
                        (Some(j), Some(p)) => {
                            (j.state)
                            @if let Some(pid) = j.pid { " · pid " (pid) }
                            " · " (j.calls) " calls, " (j.errors) " errors, " (j.timeouts) " timeouts, "
                            (j.restarts) " restarts · "
                            @match p { Ok(()) => span class="ok" { "answers" }, Err(e) => span class="bad" { (e) } }
                            @if let Some(f) = &j.last_failure { br; span class="muted" { "last failure: " (f) } }
                        }
                        _ => span class="muted" { "not used by any loaded application" },
                    }
                }
                dt { "requests in flight" } dd { (now.in_flight) }
                dt { "memory" } dd { (mib(process.resident_bytes)) " resident" }
                dt { "file descriptors" } dd {
                    (process.open_fds.map_or("?".into(), |n| n.to_string())) " of "
                    (process.max_fds.map_or("?".into(), |n| n.to_string()))
                }
                dt { "version" } dd { (env!("CARGO_PKG_VERSION")) }
            }
        }
        @match &window {
            Some((d, t)) if *d >= SAMPLE_EVERY => (traffic(&format!("Last {} s", d.as_secs()), t, Some(*d))),
            _ => p class="muted" { "Rates over the last minute appear after the console has run a few seconds." },
        }
        (traffic("Since the start", &now, None))
        p class="muted" { "The same counters as " code { "/metrics" } " on the server's port. This page reloads every 10 s." }
    };
    page_refreshing("Health", Some(frame), content, Some(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_buckets() {
        let mut t = Totals::default();
        assert_eq!(percentile(&t, 0.5), None);
        t.latency_buckets[0] = 90; // ≤ 0.5 ms
        t.latency_buckets[3] = 10; // ≤ 5 ms
        t.latency_count = 100;
        assert_eq!(percentile(&t, 0.5).unwrap(), "≤ 0.5 ms");
        assert_eq!(percentile(&t, 0.95).unwrap(), "≤ 5 ms");
        t.latency_count = 101; // one beyond the last bucket
        assert_eq!(percentile(&t, 1.0).unwrap(), "> 60 s");
    }
}
