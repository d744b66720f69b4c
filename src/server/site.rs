//! A served application (one environment of it) and its reloads: load off the async workers, swap atomically,
//! keep the running configuration when a load fails.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use super::metrics::{EndpointCounters, Metrics, ReloadCounters};
use crate::config::{self, Application, Diagnostic, LoadOptions};
use crate::engine::Environment;

/// A loaded application with the counters of its endpoints (same index as `app.endpoints`).
pub struct Loaded {
    pub app: Application,
    pub counters: Vec<Arc<EndpointCounters>>,
    pub generation: u64,
}

/// One application directory served under one name and environment.
pub struct Site {
    pub name: String,
    pub environment: Environment,
    pub dir: PathBuf,
    pub options: LoadOptions,
    pub current: ArcSwap<Loaded>,
    pub reloads: ReloadCounters,
    /// The diagnostics of the last load that failed (cleared by a good one).
    pub last_errors: Mutex<Vec<Diagnostic>>,
    /// Serialises reloads of this site (watcher, SIGHUP).
    reload_lock: Mutex<()>,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn attach(
    app: Application,
    environment: Environment,
    metrics: &Metrics,
    generation: u64,
) -> Loaded {
    let counters = app
        .endpoints
        .iter()
        .map(|e| metrics.endpoint(&app.name, environment.as_str(), &e.name))
        .collect();
    Loaded {
        app,
        counters,
        generation,
    }
}

impl Site {
    /// A site for an application that has already been loaded.
    pub fn new(
        app: Application,
        dir: &Path,
        environment: Environment,
        options: LoadOptions,
        metrics: &Metrics,
    ) -> Site {
        let reloads = ReloadCounters::default();
        reloads.generation.store(1, Ordering::Relaxed);
        reloads.last_good.store(now_unix(), Ordering::Relaxed);
        Site {
            name: app.name.clone(),
            environment,
            dir: dir.to_path_buf(),
            options,
            current: ArcSwap::from_pointee(attach(app, environment, metrics, 1)),
            reloads,
            last_errors: Mutex::new(Vec::new()),
            reload_lock: Mutex::new(()),
        }
    }

    /// Loads the directory again (blocking: call it off the async workers). On success the new configuration is
    /// swapped in; requests in flight finish on the one they started with. On failure the running configuration
    /// stays and every error is logged. Returns whether the load succeeded.
    pub fn reload(&self, metrics: &Metrics) -> bool {
        let _guard = self.reload_lock.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let mut options = self.options.clone();
        options.name = Some(self.name.clone());
        match config::load(&self.dir, &options) {
            Ok(app) => {
                let generation = self.reloads.generation.fetch_add(1, Ordering::Relaxed) + 1;
                let endpoints = app.endpoints.len();
                let previous =
                    self.current
                        .swap(Arc::new(attach(app, self.environment, metrics, generation)));
                // Logged once the new configuration is in effect, so that whoever reads the log (an operator, a
                // test) never acts on a reload that has not happened yet.
                for w in &self.current.load().app.warnings {
                    tracing::warn!(target: "endpoints::reload", application = %self.name, "{w}");
                }
                if self.options.hash_check {
                    let current = self.current.load();
                    let accepting = current.app.accepting_missing_hash();
                    if previous.app.accepting_missing_hash() != accepting {
                        log_missing_hash(&self.name, self.environment, &accepting);
                    }
                }
                self.reloads.ok.fetch_add(1, Ordering::Relaxed);
                self.reloads.last_good.store(now_unix(), Ordering::Relaxed);
                self.last_errors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clear();
                tracing::info!(
                    target: "endpoints::reload",
                    application = %self.name,
                    environment = self.environment.as_str(),
                    generation,
                    endpoints,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "configuration reloaded"
                );
                true
            }
            Err(e) => {
                self.reloads.failed.fetch_add(1, Ordering::Relaxed);
                let errors: Vec<Diagnostic> =
                    e.0.into_iter()
                        .filter(|d| d.severity == config::Severity::Error)
                        .collect();
                for d in &errors {
                    tracing::error!(target: "endpoints::reload", application = %self.name, "{d}");
                }
                tracing::error!(
                    target: "endpoints::reload",
                    application = %self.name,
                    environment = self.environment.as_str(),
                    errors = errors.len(),
                    "configuration not reloaded: the running configuration stays"
                );
                *self.last_errors.lock().unwrap_or_else(|p| p.into_inner()) = errors;
                false
            }
        }
    }
}

/// Logs at WARN which endpoints of an application accept requests without a hash (at start, and after a reload that
/// changes them).
pub fn log_missing_hash(application: &str, environment: Environment, endpoints: &[&str]) {
    if endpoints.is_empty() {
        tracing::warn!(
            target: "endpoints::reload",
            application,
            environment = environment.as_str(),
            "requests without a hash are refused again by every endpoint"
        );
    } else {
        tracing::warn!(
            target: "endpoints::reload",
            application,
            environment = environment.as_str(),
            "requests without a hash are accepted unauthenticated (missing-hash accept) by {}; a wrong hash is still refused",
            config::missing_hash_list(endpoints)
        );
    }
}
