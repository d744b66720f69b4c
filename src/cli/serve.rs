//! `endpoints serve`: settings from the arguments, the applications loaded, the state store opened, then the
//! server runs until SIGTERM/SIGINT (SIGHUP reloads; request-log retention runs every hour).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use endpoints::config::{self, LoadOptions};
use endpoints::convert::Budget;
use endpoints::engine::{Environment, Settings};
use endpoints::request::Limits;
use endpoints::server;

use super::args::{hash_check_enabled, load_options, ServeArgs, StoreArgs};
use super::common::{env_var, print_diagnostics, runtime};

pub fn serve(args: ServeArgs) -> ExitCode {
    // Large buffers (bodies, converted documents) are unmapped when freed instead of staying in glibc's arenas.
    endpoints::xslt::allocator::fix_mmap_threshold();
    // And the server's own, from mimalloc, as soon as they are free. First: before any other thread exists.
    endpoints::xslt::allocator::purge_freed_memory_at_once();
    // Dropped when `serve` returns, whichever way: the log lines still pending are written out then.
    let _log = endpoints::logging::init(args.log_format == "json");
    let hash_check = hash_check_enabled(args.app.no_hash_check);
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_fields: args.max_fields,
        max_field_bytes: args.max_field_bytes,
        header_timeout: Duration::from_secs(args.header_timeout.max(1)),
        body_timeout: Duration::from_secs(args.body_timeout.max(1)),
        upload_dir: args.upload_dir.clone(),
        upload_memory_bytes: args.upload_memory_bytes,
        body_xml: Budget {
            max_nodes: args.max_body_nodes,
            max_attributes: args.max_body_attributes,
            max_depth: usize::from(args.max_body_depth),
            max_bytes: args.max_body_xml_bytes,
        },
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        max_connections: args.max_connections.max(1),
    };
    let timezone_name = args
        .timezone
        .clone()
        .or_else(|| env_var("ENDPOINTS_SINGLE_APPLICATION_MODE_TIMEZONE_ID"))
        .unwrap_or_else(|| "UTC".to_string());
    let timezone = match jiff::tz::TimeZone::get(&timezone_name) {
        Ok(tz) => tz,
        Err(e) => {
            eprintln!("--timezone '{timezone_name}': {e}");
            return ExitCode::from(2);
        }
    };
    let mut base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}/", args.listen));
    if !base_url.ends_with('/') {
        base_url.push('/');
    }
    let settings = Settings {
        check_hash: hash_check,
        display_expected_hash: env_var("ENDPOINTS_DISPLAY_EXPECTED_HASH")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        debug_allowed: args.debug_allowed,
        timezone,
        base_url,
        clock: endpoints::engine::Clock::system(),
        request_log: endpoints::engine::RequestLogMode::parse(&args.request_log)
            .unwrap_or_default(),
    };
    let apps = match applications(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let console = match console_access(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(true) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // One state file per application (per --apps directory) by default: see data_dir.rs.
    let state_name = match (&args.apps, apps.first()) {
        (Some(root), _) => config::default_name(root),
        (None, Some((name, _, _))) => name.clone(),
        (None, None) => config::default_name(&args.app_dir),
    };
    let served: Vec<String> = apps.iter().map(|(name, _, _)| name.clone()).collect();
    let store = match runtime.block_on(open_store(&args.store, &state_name, &served)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the state store: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("state: {}", store.describe());
    let mut state = server::State::with_store(limits, settings, store);
    if args.console.is_some() {
        // The console shows recent requests' step timings: kept (in memory) only when it runs.
        state.traces =
            endpoints::engine::timings::Traces::new(endpoints::engine::timings::DEFAULT_CAPACITY);
    }
    state.trusted_proxies = endpoints::request::TrustedProxies::new(args.trusted_proxy.clone());
    if !state.trusted_proxies.is_empty() {
        let ranges: Vec<String> = args.trusted_proxy.iter().map(|r| r.to_string()).collect();
        tracing::info!(
            "client addresses from Forwarded/X-Forwarded-For of trusted proxies: {}",
            ranges.join(", ")
        );
    }
    let mut failed = false;
    let base_options = load_options(&args.app);
    for (name, dir, environment) in apps {
        let options = LoadOptions {
            name: Some(name.clone()),
            ..base_options.clone()
        };
        match config::load(&dir, &options) {
            Ok(app) => {
                print_diagnostics(&app.warnings);
                tracing::info!(
                    "loaded application '{}' ({}, {} endpoints) from {}",
                    name,
                    environment.as_str(),
                    app.endpoints.len(),
                    dir.display()
                );
                let accepting = app.accepting_missing_hash();
                if hash_check && !accepting.is_empty() {
                    server::site::log_missing_hash(&name, environment, &accepting);
                }
                state.add(app, &dir, environment, options);
            }
            Err(e) => {
                let n = print_diagnostics(&e.0);
                eprintln!("{n} error(s) in {}", dir.display());
                failed = true;
            }
        }
    }
    if failed {
        eprintln!("not serving: fix the errors above (endpoints check DIR lists them)");
        return ExitCode::FAILURE;
    }
    if !state.settings.check_hash {
        tracing::warn!(
            "hash checking is disabled: every endpoint accepts unauthenticated requests"
        );
    }
    let state = Arc::new(state);
    let _watching = (!args.no_watch).then(|| server::watch::Watching::start(state.clone()));
    let grace = Duration::from_secs(args.shutdown_timeout);
    let result = runtime.block_on(async move {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut s = stopping.clone();
            async move {
                let _ = s.wait_for(|v| *v).await;
            }
        };
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let endpoints_addr = listener.local_addr()?;
        let console = match (args.console, console) {
            (Some(addr), Some(access)) => {
                let console_listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| std::io::Error::new(e.kind(), format!("--console {addr}: {e}")))?;
                tracing::info!("console on http://{}", console_listener.local_addr()?);
                let st = state.clone();
                let done = stopped();
                Some(tokio::spawn(async move {
                    endpoints::console::serve(
                        console_listener,
                        st,
                        access,
                        endpoints_addr,
                        done,
                        grace,
                    )
                    .await
                }))
            }
            _ => None,
        };
        tracing::info!("serving on http://{endpoints_addr}");
        spawn_reload_on_hangup(state.clone());
        spawn_retention(state.clone(), args.log_retention_days);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let store = state.store.clone();
        server::serve(listener, state, stopped(), grace).await?;
        if let Some(c) = console {
            let _ = c.await;
        }
        tokio::task::spawn_blocking(endpoints::jvm::shutdown)
            .await
            .ok();
        // Request-log rows queued behind the last responses are written before the process ends.
        if let Err(e) = store.close().await {
            tracing::error!(error = %e, "cannot write the last request-log entries");
        }
        Ok::<(), std::io::Error>(())
    });
    // A transformation still running on the blocking pool is not waited for: it cannot be interrupted, and the
    // shutdown timeout has already passed for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot serve on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}

/// Shortest `ENDPOINTS_CONSOLE_TOKEN` accepted.
const MIN_CONSOLE_TOKEN: usize = 16;

/// The console's access rule, when `--console` is given: a non-loopback address requires
/// `ENDPOINTS_CONSOLE_TOKEN`; a token set is required on any address.
fn console_access(args: &ServeArgs) -> Result<Option<Arc<endpoints::console::Access>>, String> {
    let Some(addr) = args.console else {
        return Ok(None);
    };
    let token = env_var("ENDPOINTS_CONSOLE_TOKEN");
    match &token {
        Some(t) if t.chars().count() < MIN_CONSOLE_TOKEN => {
            return Err(format!(
                "ENDPOINTS_CONSOLE_TOKEN is too short: use at least {MIN_CONSOLE_TOKEN} random characters"
            ))
        }
        None if !addr.ip().is_loopback() => {
            return Err(format!(
                "--console {addr} is not a loopback address: set ENDPOINTS_CONSOLE_TOKEN (at least \
                 {MIN_CONSOLE_TOKEN} random characters) to require it, or listen on 127.0.0.1"
            ))
        }
        _ => {}
    }
    Ok(Some(Arc::new(endpoints::console::Access::new(token))))
}

/// The applications to serve: (name, directory, environment).
fn applications(args: &ServeArgs) -> Result<Vec<(String, PathBuf, Environment)>, String> {
    let mut preview_dir = None;
    for e in &args.environment_dir {
        match e.split_once('=') {
            Some(("preview", dir)) => preview_dir = Some(PathBuf::from(dir)),
            _ => return Err(format!("--environment-dir takes preview=DIR, not '{e}'")),
        }
    }
    let mut out = Vec::new();
    match &args.apps {
        Some(root) => {
            let mut names: Vec<String> = std::fs::read_dir(root)
                .map_err(|e| format!("cannot read {}: {e}", root.display()))?
                .flatten()
                .filter(|e| e.path().is_dir() && config::layout(&e.path()).is_ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(format!("{} has no application directories", root.display()));
            }
            for n in names {
                out.push((n.clone(), root.join(&n), Environment::Live));
                if let Some(p) = &preview_dir {
                    if p.join(&n).is_dir() {
                        out.push((n.clone(), p.join(&n), Environment::Preview));
                    }
                }
            }
        }
        None => {
            let name = args
                .app
                .name
                .clone()
                .unwrap_or_else(|| config::default_name(&args.app_dir));
            out.push((name.clone(), args.app_dir.clone(), Environment::Live));
            if let Some(p) = preview_dir {
                out.push((name, p, Environment::Preview));
            }
        }
    }
    Ok(out)
}

pub async fn open_store(
    args: &StoreArgs,
    name: &str,
    served: &[String],
) -> Result<Arc<dyn endpoints::store::Store>, endpoints::store::StoreError> {
    endpoints::store::open(
        args.database.as_deref(),
        &super::data_dir::for_serving(args.data_dir.as_deref(), name, served),
    )
    .await
}

/// Deletes request-log entries older than `days` (and expired short links) at start and then every hour.
fn spawn_retention(state: Arc<server::State>, days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = state.settings.clock.now_ms();
            let before = now - i64::from(days) * 86_400_000;
            match state.store.expire(before, now).await {
                Ok(x) if x.log_entries + x.short_links > 0 => tracing::info!(
                    "retention: removed {} request-log entries older than {days} days and {} expired short links",
                    x.log_entries,
                    x.short_links
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
    });
}

/// `kill -HUP` reloads every application.
fn spawn_reload_on_hangup(state: Arc<server::State>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading");
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || st.reload_all()).await;
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: finishing requests in flight");
}
