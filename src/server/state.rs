//! What a running server shares between connections: the served sites, limits, settings, metrics and the state
//! store, and the one lookup from an application name and environment to the site that answers it.

use std::path::Path;
use std::sync::Arc;

use super::metrics::{self, Metrics};
use super::site::{self, Site};
use crate::config::{Application, LoadOptions};
use crate::engine::timings::Traces;
use crate::engine::{Environment, Settings};
use crate::request::{Limits, TrustedProxies};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// Everything a running server shares between connections.
pub struct State {
    /// The served applications (each environment of an application is a site of its own). Each one's
    /// configuration is swapped atomically on reload; a request keeps the one it started with.
    pub sites: Vec<Arc<Site>>,
    pub limits: Limits,
    pub settings: Settings,
    pub metrics: Metrics,
    /// Request log, numbers and short links.
    pub store: Arc<dyn Store>,
    /// The proxies whose `Forwarded`/`X-Forwarded-For` name the client (`--trusted-proxy`; none by default).
    pub trusted_proxies: TrustedProxies,
    /// The step timings of recent requests, for the console; off (nothing measured) unless turned on with
    /// [`Traces::new`] before serving, as `serve --console` does.
    pub traces: Traces,
}

impl State {
    /// A state without applications, keeping its state in a new temporary SQLite file (tests, embedding); add
    /// applications with [`State::add`].
    pub fn empty(limits: Limits, settings: Settings) -> State {
        let store = SqliteStore::temporary().expect("cannot create a temporary SQLite state store");
        State::with_store(limits, settings, Arc::new(store))
    }

    /// A state without applications, keeping its state in `store`.
    pub fn with_store(limits: Limits, settings: Settings, store: Arc<dyn Store>) -> State {
        State {
            sites: Vec::new(),
            limits,
            settings,
            metrics: Metrics::default(),
            store,
            trusted_proxies: TrustedProxies::default(),
            traces: Traces::disabled(),
        }
    }

    /// One application, served as `live` (and, without a preview site, also as `preview`).
    pub fn new(app: Application, limits: Limits, settings: Settings) -> State {
        let mut state = State::empty(limits, settings);
        let dir = app.layout.root.clone();
        let options = LoadOptions {
            name: Some(app.name.clone()),
            hash_check: state.settings.check_hash,
            // Reloads keep what the server said about a missing hash.
            accept_missing_hash: app.settings.missing_hash_source
                == crate::config::model::settings::SettingSource::ServerFlag,
            // A scheme named by the file wins again on reload; one from the server is kept.
            hash_scheme: app.settings.hash_scheme,
            ..LoadOptions::default()
        };
        state.add(app, &dir, Environment::Live, options);
        state
    }

    pub fn add(
        &mut self,
        app: Application,
        dir: &Path,
        environment: Environment,
        options: LoadOptions,
    ) {
        let site = Site::new(app, dir, environment, options, &self.metrics);
        self.sites.push(Arc::new(site));
    }

    /// The site answering `/{application}/…` (or `/…` when one application is served) in `environment`. Without a
    /// site of its own, `preview` is served by the `live` configuration (only the hash differs).
    pub fn site(&self, application: Option<&str>, environment: Environment) -> Option<&Arc<Site>> {
        let name = match application {
            Some(a) => a,
            None => {
                let mut live = self
                    .sites
                    .iter()
                    .filter(|s| s.environment == Environment::Live);
                match (live.next(), live.next()) {
                    (Some(only), None) => only.name.as_str(),
                    _ => return None,
                }
            }
        };
        let mut candidates = self.sites.iter().filter(|s| s.name == name);
        let exact = candidates.clone().find(|s| s.environment == environment);
        exact.or_else(|| candidates.find(|s| s.environment == Environment::Live))
    }

    /// The sites serving `site`'s application in its other environments.
    pub fn other_environments<'a>(
        &'a self,
        site: &'a Arc<Site>,
    ) -> impl Iterator<Item = &'a Arc<Site>> {
        self.sites
            .iter()
            .filter(move |s| s.name == site.name && !Arc::ptr_eq(s, site))
    }

    /// The first application's current configuration.
    pub fn app(&self) -> Arc<site::Loaded> {
        self.sites[0].current.load_full()
    }

    /// Reloads every application (SIGHUP). Blocking: call it off the async workers.
    pub fn reload_all(&self) {
        for s in &self.sites {
            s.reload(&self.metrics);
        }
    }

    /// The names of the served applications, each once, in the order served.
    pub fn application_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in &self.sites {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        names
    }

    /// The sites as `/metrics` reports them.
    pub(super) fn site_views(&self) -> Vec<metrics::SiteView<'_>> {
        self.sites
            .iter()
            .map(|s| metrics::SiteView {
                application: &s.name,
                environment: s.environment.as_str(),
                reloads: &s.reloads,
            })
            .collect()
    }
}
