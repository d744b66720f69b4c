//! Counters for `GET /metrics` (Prometheus text format), the build's version and the process's own metrics. The
//! hot path only touches atomics: every endpoint's counters are attached to the loaded application once, at load,
//! and survive reloads because they are looked up by application, environment and endpoint name.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::histogram::{Histogram, BUCKETS};
use super::process_metrics::Process;

/// Status classes counted: 1xx … 5xx.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Requests answered by one endpoint, by status class.
#[derive(Debug, Default)]
pub struct EndpointCounters {
    by_class: [AtomicU64; 5],
}

impl EndpointCounters {
    pub fn count(&self, status: u16) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// Everything `/metrics` reports.
#[derive(Debug, Default)]
pub struct Metrics {
    endpoints: Mutex<HashMap<(String, String, String), Arc<EndpointCounters>>>,
    /// Requests that reached no endpoint (unknown path, application or endpoint; OPTIONS; 405), by status class.
    pub unrouted: EndpointCounters,
    pub latency: Histogram,
    pub in_flight: AtomicI64,
}

/// The request totals `/metrics` reports, read at one moment (the console's health page computes rates and
/// latencies from two of them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Requests answered, endpoints and unrouted together, by status class 1xx … 5xx.
    pub by_class: [u64; 5],
    /// The latency histogram's buckets (not cumulative), its count and its sum.
    pub latency_buckets: [u64; BUCKETS.len()],
    pub latency_count: u64,
    pub latency_sum_micros: u64,
    pub in_flight: i64,
}

/// Reload outcomes of one served application (kept on its site).
#[derive(Debug, Default)]
pub struct ReloadCounters {
    pub ok: AtomicU64,
    pub failed: AtomicU64,
    /// Unix time (seconds) of the last load that succeeded.
    pub last_good: AtomicU64,
    /// Increases with every successful load, starting at 1.
    pub generation: AtomicU64,
}

/// A site as `/metrics` sees it.
pub struct SiteView<'a> {
    pub application: &'a str,
    pub environment: &'a str,
    pub reloads: &'a ReloadCounters,
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// The counters of one endpoint (created on first use, kept across reloads).
    pub fn endpoint(
        &self,
        application: &str,
        environment: &str,
        endpoint: &str,
    ) -> Arc<EndpointCounters> {
        let mut map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((
            application.to_string(),
            environment.to_string(),
            endpoint.to_string(),
        ))
        .or_default()
        .clone()
    }

    /// The totals of every counter now.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        let map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        for c in map.values().map(|c| c.as_ref()).chain([&self.unrouted]) {
            for (sum, n) in t.by_class.iter_mut().zip(&c.by_class) {
                *sum += n.load(Ordering::Relaxed);
            }
        }
        drop(map);
        for (b, n) in t.latency_buckets.iter_mut().zip(&self.latency.buckets) {
            *b = n.load(Ordering::Relaxed);
        }
        t.latency_count = self.latency.count.load(Ordering::Relaxed);
        t.latency_sum_micros = self.latency.sum_micros.load(Ordering::Relaxed);
        t.in_flight = self.in_flight.load(Ordering::Relaxed);
        t
    }

    /// The Prometheus text exposition.
    pub fn render(&self, sites: &[SiteView]) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP endpoints_requests_total Requests answered, by application, environment, endpoint and status class.\n");
        out.push_str("# TYPE endpoints_requests_total counter\n");
        let map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<_> = map.keys().collect();
        keys.sort();
        for key in keys {
            let c = &map[key];
            for (i, class) in CLASSES.iter().enumerate() {
                let n = c.by_class[i].load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "endpoints_requests_total{{application=\"{}\",environment=\"{}\",endpoint=\"{}\",status=\"{class}\"}} {n}",
                        escape_label(&key.0),
                        escape_label(&key.1),
                        escape_label(&key.2)
                    );
                }
            }
        }
        drop(map);
        out.push_str("# HELP endpoints_unrouted_requests_total Requests that reached no endpoint, by status class.\n");
        out.push_str("# TYPE endpoints_unrouted_requests_total counter\n");
        for (i, class) in CLASSES.iter().enumerate() {
            let _ = writeln!(
                out,
                "endpoints_unrouted_requests_total{{status=\"{class}\"}} {}",
                self.unrouted.by_class[i].load(Ordering::Relaxed)
            );
        }
        render_histogram(
            &mut out,
            "endpoints_request_duration_seconds",
            "Time from the request's arrival to its response headers.",
            &self.latency,
        );
        out.push_str("# HELP endpoints_requests_in_flight Requests being answered now.\n");
        out.push_str("# TYPE endpoints_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "endpoints_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP endpoints_reloads_total Configuration loads after the first, by result.\n",
        );
        out.push_str("# TYPE endpoints_reloads_total counter\n");
        for s in sites {
            for (result, n) in [("ok", &s.reloads.ok), ("failed", &s.reloads.failed)] {
                let _ = writeln!(
                    out,
                    "endpoints_reloads_total{{application=\"{}\",environment=\"{}\",result=\"{result}\"}} {}",
                    escape_label(s.application),
                    s.environment,
                    n.load(Ordering::Relaxed)
                );
            }
        }
        render_site_gauge(
            &mut out,
            sites,
            "endpoints_last_good_load_timestamp_seconds",
            "When the running configuration was loaded.",
            |r| &r.last_good,
        );
        render_site_gauge(
            &mut out,
            sites,
            "endpoints_configuration_generation",
            "Number of the running configuration (1 = first load).",
            |r| &r.generation,
        );
        if let Some(j) = crate::jvm::status() {
            render_jvm(&mut out, &j);
        }
        out.push_str("# HELP endpoints_build_info The running version of endpoints (always 1).\n");
        out.push_str("# TYPE endpoints_build_info gauge\n");
        let _ = writeln!(
            out,
            "endpoints_build_info{{version=\"{}\"}} 1",
            escape_label(env!("CARGO_PKG_VERSION"))
        );
        Process::read().render(&mut out);
        out
    }
}

/// A gauge with one value per site, read from its reload counters.
fn render_site_gauge(
    out: &mut String,
    sites: &[SiteView],
    name: &str,
    help: &str,
    value: impl Fn(&ReloadCounters) -> &AtomicU64,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for s in sites {
        let _ = writeln!(
            out,
            "{name}{{application=\"{}\",environment=\"{}\"}} {}",
            escape_label(s.application),
            s.environment,
            value(s.reloads).load(Ordering::Relaxed)
        );
    }
}

/// The JVM worker's state and calls (only once something has needed it).
fn render_jvm(out: &mut String, j: &crate::jvm::Status) {
    out.push_str(
        "# HELP endpoints_jvm_up Whether the JVM worker (Saxon-HE, Apache FOP) is running.\n",
    );
    out.push_str("# TYPE endpoints_jvm_up gauge\n");
    let _ = writeln!(out, "endpoints_jvm_up {}", u8::from(j.state == "running"));
    for (name, help, v) in [
        (
            "endpoints_jvm_calls_total",
            "Transformations and PDF renderings sent to the JVM worker.",
            j.calls,
        ),
        (
            "endpoints_jvm_call_errors_total",
            "JVM worker calls that failed (XSLT or FOP errors, worker crashes).",
            j.errors,
        ),
        (
            "endpoints_jvm_call_timeouts_total",
            "JVM worker calls that ran out of time.",
            j.timeouts,
        ),
        (
            "endpoints_jvm_restarts_total",
            "Times the JVM worker was started again after it stopped.",
            j.restarts,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP endpoints_jvm_calls_in_flight JVM worker calls running now.\n# TYPE endpoints_jvm_calls_in_flight gauge\nendpoints_jvm_calls_in_flight {}",
        j.in_flight
    );
    render_histogram(
        out,
        "endpoints_jvm_call_duration_seconds",
        "Duration of JVM worker calls made by requests, waiting for a slot included.",
        crate::jvm::global().latency(),
    );
}

fn render_histogram(out: &mut String, name: &str, help: &str, h: &Histogram) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (i, le) in BUCKETS.iter().enumerate() {
        cumulative += h.buckets[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
    }
    let count = h.count.load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(
        out,
        "{name}_sum {}",
        h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(out, "{name}_count {count}");
}
