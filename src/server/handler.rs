//! One request, as a pipeline: a request id and the client's address, dispatch by method and path (operations
//! pages, the index page, CORS preflight, short links, endpoints), then the request id and CORS headers, the
//! metrics and the access log.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use http::header::ALLOW;
use http::{HeaderName, HeaderValue, Method, Request, Response};
use hyper::body::Incoming;

use super::body::ResponseBody;
use super::respond::{refuse, Outcome};
use super::state::State;
use super::{cors, endpoint, health, index, request_id, short_link};
use crate::engine::failure::{self, Failure};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let started = Instant::now();
    let request_id = request_id::new();
    let method = req.method().clone();
    // A clone of the URI shares its bytes (no copy), and outlives `req`, which the endpoint takes.
    let uri = req.uri().clone();
    let path = uri.path();
    let origin = cors::origin(req.headers());
    // Once per request: every use of the client's address (the parameter transformation's `<ip-address>`, the
    // access log) sees the same one.
    let client = state
        .trusted_proxies
        .client_address(peer.ip(), req.headers());

    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let (mut response, outcome) = match (&method, path) {
        (&Method::GET | &Method::HEAD, "/health-check") => {
            (health::health(&state, &request_id).await, Outcome::none())
        }
        (&Method::GET | &Method::HEAD, "/metrics") => (health::metrics(&state), Outcome::none()),
        (&Method::GET | &Method::HEAD, "/") => (index::page(&state), Outcome::none()),
        (&Method::OPTIONS, _) => (cors::preflight(&req), Outcome::none()),
        // Both boxed: they hold the engine's future, which is large, and hyper moves this function's future into
        // place for every request; with the engine behind a pointer that move copies a few hundred bytes, not
        // kilobytes.
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/shortlink/") => {
            Box::pin(short_link::short_link(&state, client, req, &request_id)).await
        }
        (&Method::GET | &Method::HEAD | &Method::POST, _) => {
            Box::pin(endpoint::endpoint_request(&state, client, req, &request_id)).await
        }
        _ => {
            let failure = Failure::method_not_allowed();
            let mut r = refuse(&failure, &request_id);
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST, OPTIONS"));
            (r, Outcome::none().failed(&failure))
        }
    };
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    if !outcome.counted {
        state.metrics.unrouted.count(status);
    }
    let elapsed = started.elapsed();
    state.metrics.latency.observe(elapsed);
    // Bytes of the body: known in advance for every body but a stream from an upstream server, whose declared
    // length the outcome carries. None for HEAD.
    let bytes = if method == Method::HEAD {
        0
    } else {
        http_body::Body::size_hint(response.body())
            .exact()
            .unwrap_or(outcome.bytes)
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
    cors::allow_origin(headers, origin);
    // Flat fields (one JSON object per line with `--log-format json`); those without a value are left out.
    tracing::info!(
        target: "endpoints::access",
        method = %method,
        path = %path,
        application = outcome.application.as_deref(),
        environment = outcome.environment,
        endpoint = outcome.endpoint.as_deref(),
        status,
        bytes,
        duration_ms = elapsed.as_micros() as f64 / 1000.0,
        client = %client,
        request_id = %request_id,
        failure = outcome
            .failure
            .as_deref()
            .map(|f| failure::cut(f, MAX_FAILURE_BYTES)),
        // Only on requests accepted without a hash (the missing-hash switch).
        hash = outcome
            .hash_absent_accepted
            .then_some(tracing::field::display("absent-accepted")),
    );
    Ok(response)
}

/// Most bytes of a failure's message in the access log.
const MAX_FAILURE_BYTES: usize = 500;
