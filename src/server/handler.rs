//! One request, as a pipeline: a request id, dispatch by method and path (operations pages, CORS preflight, short
//! links, endpoints), then the request id and CORS headers, the metrics and the access log.

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
use super::{cors, endpoint, health, request_id, short_link};
use crate::engine::Failure;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let started = Instant::now();
    let request_id = request_id::new();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let origin = cors::origin(req.headers());

    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let (mut response, outcome) = match (&method, path.as_str()) {
        (&Method::GET | &Method::HEAD, "/health-check") => {
            (health::health(&state, &request_id).await, Outcome::none())
        }
        (&Method::GET | &Method::HEAD, "/metrics") => (health::metrics(&state), Outcome::none()),
        (&Method::OPTIONS, _) => (cors::preflight(&req), Outcome::none()),
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/shortlink/") => {
            short_link::short_link(&state, peer, req, &request_id).await
        }
        (&Method::GET | &Method::HEAD | &Method::POST, _) => {
            endpoint::endpoint_request(&state, peer, req, &request_id).await
        }
        _ => {
            let mut r = refuse(&Failure::method_not_allowed(), &request_id);
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
    cors::allow_origin(headers, origin);
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
