//! The HTTP front door: hyper (HTTP/1.1 keep-alive and h2c on one port), routing `/{application}/{endpoint}` and
//! `/{endpoint}`, CORS, limits and timeouts, static file serving, the access log and graceful shutdown.

pub mod body;
pub mod connections;
pub mod metrics;
pub mod request_id;
pub mod site;
pub mod static_http;
pub mod watch;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::path::Path;
use std::sync::atomic::Ordering;

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW,
    CONNECTION, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, ORIGIN, VARY,
};
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::config::{Application, LoadOptions};
use crate::engine::{self, Environment, Failure, ResponseBody as EngineBody, Settings};
use crate::request::{self, InputError, Limits};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use body::ResponseBody;
use metrics::Metrics;
use site::Site;

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
                == crate::config::settings::SettingSource::ServerFlag,
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

    fn site_views(&self) -> Vec<metrics::SiteView<'_>> {
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

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long a connection closed for being idle may take to say goodbye (HTTP/2 GOAWAY) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Accepts connections until `shutdown` completes, then lets in-flight requests finish (up to `grace`).
///
/// Every connection is bounded: its first request must start within the header timeout from accept, an idle one
/// is closed after the idle timeout, and at most `max_connections` are open (see [`connections`]).
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let limits = &state.limits;
    let (header_timeout, idle_timeout) = (limits.header_timeout, limits.idle_timeout);
    let check = header_timeout.min(idle_timeout);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        .max_buf_size(256 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024)
        // A peer that stops answering pings is gone, also while a request of its is running.
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let builder = Arc::new(builder);
    let open = Arc::new(connections::Connections::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors: make room and back off instead of spinning.
                        let no_files = matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
                        if no_files {
                            open.shed_one();
                        }
                        tracing::warn!(error = %e, open = open.len(), "accept failed");
                        tokio::time::sleep(Duration::from_millis(if no_files { 20 } else { 50 })).await;
                        continue;
                    }
                };
                let Some((id, tracked)) = open.admit() else {
                    tracing::debug!(peer = %peer, "connection refused: every open connection is busy");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let t = tracked.clone();
                let service = service_fn(move |req| {
                    let guard = t.request();
                    let answer = handle(state.clone(), peer, req);
                    async move {
                        let r = answer.await;
                        drop(guard);
                        r
                    }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let open = open.clone();
                let mut stopping = stopping.clone();
                tokio::spawn(async move {
                    let mut conn = std::pin::pin!(conn);
                    // Set once the connection has been asked to close: after it, it is dropped.
                    let mut closing: Option<tokio::time::Instant> = None;
                    loop {
                        // Requests do not wake this task (that would cost on every request): it looks again at
                        // least every `check`, so a deadline that moved earlier is kept to within that.
                        let next_look = tokio::time::Instant::now() + check;
                        let wake = closing.unwrap_or_else(|| {
                            tracked
                                .deadline(header_timeout, idle_timeout)
                                .map_or(next_look, |d| d.min(next_look))
                        });
                        tokio::select! {
                            r = conn.as_mut() => {
                                if let Err(e) = r {
                                    tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                                }
                                break;
                            }
                            () = tracked.shed.notified() => {
                                tracing::debug!(peer = %peer, "idle connection closed to make room");
                                break;
                            }
                            _ = stopping.changed(), if closing.is_none() => {
                                conn.as_mut().graceful_shutdown();
                                closing = Some(tokio::time::Instant::now() + grace);
                            }
                            () = tokio::time::sleep_until(wake) => {
                                if closing.is_some() {
                                    break;
                                }
                                let due = tracked.deadline(header_timeout, idle_timeout);
                                if due.is_some_and(|d| d <= tokio::time::Instant::now()) {
                                    tracing::debug!(peer = %peer, "idle connection closed");
                                    conn.as_mut().graceful_shutdown();
                                    closing = Some(tokio::time::Instant::now() + CLOSE_GRACE);
                                }
                            }
                        }
                    }
                    open.remove(id);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async {
        while !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("graceful shutdown timed out; closing remaining connections");
    }
    Ok(())
}

/// What the access log and the metrics need to know about a response.
struct Outcome {
    endpoint: Option<String>,
    bytes: u64,
    /// Whether an endpoint's counters already counted the response.
    counted: bool,
    /// The request had no `hash` and was accepted because its application accepts a missing hash.
    hash_absent_accepted: bool,
}

impl Outcome {
    fn none() -> Outcome {
        Outcome {
            endpoint: None,
            bytes: 0,
            counted: false,
            hash_absent_accepted: false,
        }
    }
}

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let started = Instant::now();
    let request_id = request_id::new();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let origin = req.headers().get(ORIGIN).filter(|o| !o.is_empty()).cloned();

    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let (mut response, outcome) = match (&method, path.as_str()) {
        (&Method::GET | &Method::HEAD, "/health-check") => {
            (health(&state, &request_id).await, Outcome::none())
        }
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let mut r = Response::new(body::full(state.metrics.render(&state.site_views())));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            (r, Outcome::none())
        }
        (&Method::OPTIONS, _) => (preflight(&req), Outcome::none()),
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/shortlink/") => {
            short_link(&state, peer, req, &request_id).await
        }
        (&Method::GET | &Method::HEAD | &Method::POST, _) => {
            endpoint_request(&state, peer, req, &request_id).await
        }
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST, OPTIONS"));
            (r, Outcome::none())
        }
    };
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    if !outcome.counted {
        state.metrics.unrouted.count(status);
    }
    state.metrics.latency.observe(started.elapsed());
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
    if let Some(o) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, o);
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
    tracing::info!(
        target: "endpoints::access",
        method = %method,
        path = %path,
        endpoint = outcome.endpoint.as_deref().unwrap_or("-"),
        status,
        bytes = outcome.bytes,
        duration_us = started.elapsed().as_micros() as u64,
        request_id = %request_id,
        // Only on requests accepted without a hash (the missing-hash switch).
        hash = outcome
            .hash_absent_accepted
            .then_some(tracing::field::display("absent-accepted")),
    );
    Ok(response)
}

/// `GET /health-check`: 200 while the server runs and its state store answers (503 otherwise, so that a load
/// balancer stops sending requests that could not be logged), with the generation of every application's
/// configuration.
async fn health(state: &State, request_id: &str) -> Response<ResponseBody> {
    let store_ok = match tokio::time::timeout(Duration::from_secs(5), state.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(request_id, error = %e, "health check: the state store does not answer");
            false
        }
        Err(_) => {
            tracing::error!(
                request_id,
                "health check: the state store did not answer within 5 s"
            );
            false
        }
    };
    let apps: Vec<serde_json::Value> = state
        .sites
        .iter()
        .map(|s| {
            let loaded = s.current.load();
            let errors = s.last_errors.lock().map(|e| e.len()).unwrap_or(0);
            serde_json::json!({
                "application": s.name,
                "environment": s.environment.as_str(),
                "generation": loaded.generation,
                "endpoints": loaded.app.endpoints.len(),
                "last_reload_failed": errors > 0,
                "last_reload_errors": errors,
            })
        })
        .collect();
    // The JVM worker counts only while a loaded application uses it.
    let jvm = crate::jvm::status().filter(|_| crate::jvm::global().in_use());
    let jvm_ok = match &jvm {
        None => true,
        Some(_) => match crate::jvm::global().ping(Duration::from_secs(5)).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(request_id, error = %e, "health check: the JVM worker does not answer");
                false
            }
        },
    };
    let status = match (store_ok, jvm_ok) {
        (true, true) => "ok",
        (false, _) => "state store unavailable",
        (true, false) => "JVM worker unavailable",
    };
    let mut body = serde_json::json!({
        "status": status,
        "state": state.store.backend(),
        "applications": apps,
    });
    if let Some(j) = crate::jvm::status().filter(|_| jvm.is_some()) {
        body["jvm"] = serde_json::json!({
            "state": j.state,
            "pid": j.pid,
            "worker": j.description,
            "in_flight": j.in_flight,
            "calls": j.calls,
            "errors": j.errors,
            "timeouts": j.timeouts,
            "restarts": j.restarts,
        });
    }
    let body = body.to_string();
    let mut r = Response::new(body::full(body));
    if !(store_ok && jvm_ok) {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn text(status: StatusCode, message: &str) -> Response<ResponseBody> {
    let mut body = String::with_capacity(message.len() + 1);
    body.push_str(message);
    body.push('\n');
    let mut r = Response::new(body::full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// CORS preflight, as the reference answers it: 204, the request's header names allowed, the method echoed.
fn preflight(req: &Request<Incoming>) -> Response<ResponseBody> {
    let mut r = Response::new(body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let mut names: Vec<&str> = Vec::new();
    for name in req.headers().keys() {
        if !names.contains(&name.as_str()) {
            names.push(name.as_str());
        }
    }
    if let Ok(v) = HeaderValue::from_str(&names.join(", ")) {
        r.headers_mut().insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    r.headers_mut().insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("OPTIONS"),
    );
    r
}

/// Splits `/{application}/{endpoint}` or `/{endpoint}`; each segment must be `[\w-]+`.
pub fn route(path: &str) -> Option<(Option<&str>, &str)> {
    let rest = path.strip_prefix('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match rest.split_once('/') {
        None if ok(rest) => Some((None, rest)),
        Some((a, e)) if ok(a) && ok(e) => Some((Some(a), e)),
        _ => None,
    }
}

fn shorten(s: &str) -> String {
    if s.len() <= 200 {
        s.to_string()
    } else {
        let mut end = 200;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

async fn endpoint_request(
    state: &State,
    peer: SocketAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> (Response<ResponseBody>, Outcome) {
    let none = |r| (r, Outcome::none());
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let Some((app_name, endpoint_name)) = route(path) else {
        return none(text(
            StatusCode::BAD_REQUEST,
            &format!(
                "Request invalid: Cannot understand URL '{}', should be /<application>/<endpoint>",
                shorten(path)
            ),
        ));
    };
    let limits = &state.limits;
    let ip = Some(peer.ip());
    // The query string is parsed once; its parameters start the request's input when the body has been read.
    let query = request::query_input(&parts, ip, limits.max_fields);
    // The environment chooses the configuration, so it is taken from the query string before the body is read.
    let query_environment = match &query {
        Ok(q) => q.first("environment").map(std::borrow::Cow::Borrowed),
        // Too many fields (answered below, by the endpoint's counters): still find the environment.
        Err(_) => parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(n, _)| n == "environment")
                .map(|(_, v)| v)
        }),
    };
    let site_environment = match query_environment.as_deref() {
        None => Environment::Live,
        Some(v) => match Environment::parse(v) {
            Some(e) => e,
            None => {
                return none(text(
                    StatusCode::NOT_FOUND,
                    &format!("Environment '{}' not found", shorten(v)),
                ))
            }
        },
    };
    let Some(site) = state.site(app_name, site_environment) else {
        let message = match app_name {
            Some(a) => format!("Application '{a}' not found"),
            None => "Several applications are served: use /<application>/<endpoint>".to_string(),
        };
        return none(text(StatusCode::NOT_FOUND, &message));
    };
    let loaded = site.current.load();
    let app = &loaded.app;
    let Some((index, endpoint)) = app.endpoint(endpoint_name) else {
        return none(text(
            StatusCode::NOT_FOUND,
            &format!("Endpoint '{endpoint_name}' not found in this application"),
        ));
    };
    let counters = &loaded.counters[index];
    let outcome = |bytes| Outcome {
        endpoint: Some(endpoint.name.clone()),
        bytes,
        counted: true,
        hash_absent_accepted: false,
    };

    let accepts_raw_body = endpoint.parameter_transformation.is_some();
    // Kept whole when a signature covers it (here, or in the endpoint of the same name in another environment,
    // which a form body may choose), or when debug capture (asked for in the query string) may store it.
    let needs_body =
        |e: &crate::config::Endpoint| e.authentication.as_ref().is_some_and(|a| a.needs_body());
    let keep_body = needs_body(endpoint)
        || state.sites.iter().any(|s| {
            s.name == site.name
                && !Arc::ptr_eq(s, site)
                && s.current
                    .load()
                    .app
                    .endpoint(endpoint_name)
                    .is_some_and(|(_, e)| needs_body(e))
        })
        || query.as_ref().is_ok_and(|q| q.debug || q.verbose);
    let no_body = http_body::Body::is_end_stream(&body);
    let read = async {
        let input = query?;
        if keep_body {
            // A signature covers the exact bytes: read them first, then parse from memory.
            let bytes = request::collect(body, limits.max_body_bytes).await?;
            let mut input = request::read_body(
                &parts,
                http_body_util::Full::new(bytes.clone()),
                limits,
                accepts_raw_body,
                input,
            )
            .await?;
            input.signed_body = Some(bytes);
            Ok(input)
        } else {
            request::read_body(&parts, body, limits, accepts_raw_body, input).await
        }
    };
    // Without a body there is nothing to wait for (and no timer to set).
    let read = if no_body {
        Ok(read.await)
    } else {
        tokio::time::timeout(state.limits.body_timeout, read).await
    };
    let (input, input_failure) = match read {
        Err(_) => {
            let mut r = text(
                StatusCode::REQUEST_TIMEOUT,
                "Request body was not received in time",
            );
            r.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            counters.count(r.status().as_u16());
            return (r, outcome(0));
        }
        Ok(Ok(input)) => (input, None),
        Ok(Err(e)) => match e {
            InputError::TooLarge(_)
            | InputError::TooManyFields(_)
            | InputError::FieldTooLarge(..)
            | InputError::FieldNameTooLarge(_)
            | InputError::Limit(_) => {
                let mut r = text(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string());
                r.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
                counters.count(r.status().as_u16());
                return (r, outcome(0));
            }
            e if e.is_bad_request() => (
                request::from_query(&parts, Some(peer.ip())),
                Some(Failure::bad_request(e.to_string())),
            ),
            e => (
                request::from_query(&parts, Some(peer.ip())),
                Some(Failure::hidden(e.to_string())),
            ),
        },
    };
    // One environment for the configuration and the hash alike: as sent, the query string first, then the form.
    // When only the form names it, the configuration chosen before the body was read is chosen again.
    let environment = match input.first("environment") {
        None => Environment::Live,
        Some(v) => match Environment::parse(v) {
            Some(e) => e,
            None => {
                return none(text(
                    StatusCode::NOT_FOUND,
                    &format!("Environment '{}' not found", shorten(v)),
                ))
            }
        },
    };
    let other;
    let (app, index, counters) = match state.site(app_name, environment) {
        Some(s) if environment != site_environment && !Arc::ptr_eq(s, site) => {
            other = s.current.load();
            match other.app.endpoint(endpoint_name) {
                Some((i, _)) => (&other.app, i, &other.counters[i]),
                None => {
                    return none(text(
                        StatusCode::NOT_FOUND,
                        &format!("Endpoint '{endpoint_name}' not found in this application"),
                    ))
                }
            }
        }
        _ => (app, index, counters),
    };
    let call = Prepared {
        app,
        index,
        environment,
        input_failure,
        skip_authentication: false,
    };
    let now = state.settings.clock.now_ms();
    let (resp, bytes, hash_absent_accepted) =
        call.run(state, &input, now, request_id, &parts).await;
    drop(input); // uploaded temporary files are removed here
    counters.count(resp.status().as_u16());
    let mut o = outcome(bytes);
    o.hash_absent_accepted = hash_absent_accepted;
    (resp, o)
}

/// An endpoint about to run for one request (from its URL or from a short link).
struct Prepared<'a> {
    app: &'a Application,
    index: usize,
    environment: Environment,
    input_failure: Option<Failure>,
    skip_authentication: bool,
}

impl Prepared<'_> {
    /// Runs the endpoint (its request-log entry committed) and turns the result into HTTP.
    async fn run(
        self,
        state: &State,
        input: &request::RequestInput,
        started_ms: i64,
        request_id: &str,
        parts: &http::request::Parts,
    ) -> (Response<ResponseBody>, u64, bool) {
        let journal = engine::journal::Journal::new(
            &state.store,
            &self.app.name,
            self.environment,
            started_ms,
            &state.settings,
        );
        let hash_absent_accepted = std::sync::atomic::AtomicBool::new(false);
        let result = engine::execute(engine::Call {
            app: self.app,
            endpoint: &self.app.endpoints[self.index],
            environment: self.environment,
            input,
            input_failure: self.input_failure,
            request_id,
            settings: &state.settings,
            outbox: Default::default(),
            journal,
            skip_authentication: self.skip_authentication,
            hash_absent_accepted: &hash_absent_accepted,
        })
        .await;
        let (response, bytes) = to_http(result, parts, request_id).await;
        (response, bytes, hash_absent_accepted.into_inner())
    }
}

/// `GET /shortlink/{code}` (§10.4): runs the stored endpoint with the stored parameters, without the hash check.
async fn short_link(
    state: &State,
    peer: SocketAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> (Response<ResponseBody>, Outcome) {
    let none = |r| (r, Outcome::none());
    let path = req.uri().path();
    let code = &path["/shortlink/".len()..];
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !word(code) {
        return none(text(
            StatusCode::BAD_REQUEST,
            &format!("Request invalid: URL '{}' malformed", shorten(path)),
        ));
    }
    let now = state.settings.clock.now_ms();
    let link = match state.store.short_link(code, now).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return none(text(
                StatusCode::NOT_FOUND,
                &format!("Code '{}' not found", shorten(code)),
            ))
        }
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot read a short link");
            return none(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("An internal error occurred (request id {request_id})"),
            ));
        }
    };
    let environment = Environment::parse(&link.environment).unwrap_or(Environment::Live);
    let site = state
        .sites
        .iter()
        .find(|s| s.name == link.application && s.environment == environment)
        .or_else(|| {
            state
                .sites
                .iter()
                .find(|s| s.name == link.application && s.environment == Environment::Live)
        });
    let Some(site) = site else {
        return none(text(StatusCode::BAD_REQUEST, "Application specified in short link not found or not published on the environment specified in this short link"));
    };
    let loaded = site.current.load();
    let app = &loaded.app;
    let Some((index, endpoint)) = app.endpoint(&link.endpoint) else {
        return none(text(
            StatusCode::BAD_REQUEST,
            "Endpoint specified in this short link not found in the application",
        ));
    };
    let (parts, _body) = req.into_parts();
    let mut input = request::from_query(&parts, Some(peer.ip()));
    // Only debug/verbose come from the short link's own query; the parameters are the stored ones.
    input.params = link.parameters;
    let call = Prepared {
        app,
        index,
        environment,
        input_failure: None,
        skip_authentication: true,
    };
    let (resp, bytes, _) = call.run(state, &input, now, request_id, &parts).await;
    let counters = &loaded.counters[index];
    counters.count(resp.status().as_u16());
    (
        resp,
        Outcome {
            endpoint: Some(endpoint.name.clone()),
            bytes,
            counted: true,
            hash_absent_accepted: false,
        },
    )
}

async fn to_http(
    r: engine::Response,
    parts: &http::request::Parts,
    request_id: &str,
) -> (Response<ResponseBody>, u64) {
    let head = parts.method == Method::HEAD;
    let mut builder = Response::builder().status(r.status);
    if let Some(ct) = &r.content_type {
        builder = builder.header(CONTENT_TYPE, ct);
    }
    if let Some(name) = &r.download_filename {
        // The name was checked to be a file name (no control characters, no '/' or '\\').
        builder = builder.header(CONTENT_DISPOSITION, engine::content_disposition(name));
    }
    if let Some(loc) = &r.location {
        builder = builder.header(LOCATION, loc);
    }
    if let Some(challenge) = r.www_authenticate {
        builder = builder.header(http::header::WWW_AUTHENTICATE, challenge);
    }
    let (body, len) = match r.body {
        EngineBody::Empty => (body::empty(), 0),
        EngineBody::Bytes(b) => {
            let n = b.len() as u64;
            if head {
                builder = builder.header(CONTENT_LENGTH, n);
                (body::empty(), 0)
            } else {
                (body::full(b), n)
            }
        }
        EngineBody::Upstream(resp) => {
            if head {
                (body::empty(), 0)
            } else {
                use futures_util::TryStreamExt;
                let stream = resp
                    .bytes_stream()
                    .map_ok(http_body::Frame::data)
                    .map_err(std::io::Error::other);
                (
                    http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(stream)),
                    0,
                )
            }
        }
        EngineBody::Static(file) => {
            let conditional =
                r.success && r.status == StatusCode::OK && (parts.method == Method::GET || head);
            match static_http::serve(&file, &parts.method, &parts.headers, conditional).await {
                Ok(served) => {
                    if served.status != StatusCode::OK {
                        builder = builder.status(served.status);
                    }
                    if let Some(h) = builder.headers_mut() {
                        h.extend(served.headers);
                        if served.status == StatusCode::NOT_MODIFIED
                            || served.status == StatusCode::RANGE_NOT_SATISFIABLE
                        {
                            h.remove(CONTENT_DISPOSITION);
                            if served.status == StatusCode::NOT_MODIFIED {
                                h.remove(CONTENT_TYPE);
                            }
                        }
                    }
                    (served.body, served.len)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Gone, or replaced by a link or something else than a regular file since the load.
                    tracing::warn!(request_id, file = %file.path.display(), error = %e, "static file not served");
                    return (text(StatusCode::NOT_FOUND, "File not found"), 0);
                }
                Err(e) => {
                    tracing::error!(request_id, file = %file.path.display(), error = %e, "cannot read static file");
                    return (
                        text(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            &format!("An internal error occurred (request id {request_id})"),
                        ),
                        0,
                    );
                }
            }
        }
    };
    match builder.body(body) {
        Ok(resp) => (resp, len),
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot build response");
            (
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("An internal error occurred (request id {request_id})"),
                ),
                0,
            )
        }
    }
}

/// A server running in the background (for tests and embedding): its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Binds `addr` (port 0 for an ephemeral port) and serves `state` on the current runtime.
    pub async fn start(addr: SocketAddr, state: Arc<State>) -> std::io::Result<Running> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let task = tokio::spawn(async move {
            serve(
                listener,
                st,
                async {
                    let _ = rx.await;
                },
                Duration::from_secs(10),
            )
            .await
        });
        Ok(Running {
            addr,
            state,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// Stops accepting and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if let Err(e) = self.state.store.close().await {
            tracing::error!(error = %e, "cannot write the last request-log entries");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn routes() {
        assert_eq!(route("/app/plain"), Some((Some("app"), "plain")));
        assert_eq!(route("/plain"), Some((None, "plain")));
        assert_eq!(route("/app"), Some((None, "app")));
        assert_eq!(route("/app/helloworld/"), None);
        assert_eq!(route("/app/hello.world"), None);
        assert_eq!(route("/"), None);
        assert_eq!(route("/a/b/c"), None);
        assert_eq!(route("/%2e%2e/etc"), None);
        assert_eq!(route("/../etc/passwd"), None);
    }
}
