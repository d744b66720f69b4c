//! The operations pages: `GET /health-check` (the server, its state store and JVM worker) and `GET /metrics`.

use std::time::Duration;

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};

use super::body::{self, ResponseBody};
use super::state::State;

/// `GET /metrics`: the Prometheus text exposition.
pub fn metrics(state: &State) -> Response<ResponseBody> {
    let mut r = Response::new(body::full(state.metrics.render(&state.site_views())));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// `GET /health-check`: 200 while the server runs and its state store answers (503 otherwise, so that a load
/// balancer stops sending requests that could not be logged), with the generation of every application's
/// configuration.
pub async fn health(state: &State, request_id: &str) -> Response<ResponseBody> {
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
