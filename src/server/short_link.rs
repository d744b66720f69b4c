//! `GET /shortlink/{code}`: runs the stored endpoint with the stored parameters, without the hash check.

use std::net::IpAddr;

use http::Request;
use hyper::body::Incoming;

use super::prepared::Prepared;
use super::respond::{unrouted, Answer, Outcome};
use super::state::State;
use crate::engine::{Environment, Failure};
use crate::request;

/// `GET /shortlink/{code}`: runs the stored endpoint with the stored parameters, without the hash check.
pub async fn short_link(
    state: &State,
    client: IpAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> Answer {
    let path = req.uri().path();
    let code = &path["/shortlink/".len()..];
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !word(code) {
        return unrouted(Failure::short_link_malformed(path), request_id);
    }
    let now = state.settings.clock.now_ms();
    let link = match state.store.short_link(code, now).await {
        Ok(Some(l)) => l,
        Ok(None) => return unrouted(Failure::short_link_not_found(code), request_id),
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot read a short link");
            return unrouted(Failure::hidden(e.to_string()), request_id);
        }
    };
    let environment = Environment::parse(&link.environment).unwrap_or(Environment::Live);
    let Some(site) = state.site(Some(&link.application), environment) else {
        return unrouted(Failure::short_link_application_not_found(), request_id);
    };
    let loaded = site.current.load();
    let app = &loaded.app;
    let Some((index, endpoint)) = app.endpoint(&link.endpoint) else {
        return unrouted(Failure::short_link_endpoint_not_found(), request_id);
    };
    let (parts, _body) = req.into_parts();
    let mut input = request::from_query(&parts, Some(client));
    // Only debug/verbose come from the short link's own query; the parameters are the stored ones.
    input.params = link.parameters;
    let call = Prepared {
        app,
        index,
        environment,
        input_failure: None,
        skip_authentication: true,
    };
    let ran = call.run(state, &input, now, request_id, &parts).await;
    loaded.counters[index].count(ran.response.status().as_u16());
    let mut o = Outcome::endpoint(&app.name, environment, &endpoint.name, ran.bytes);
    o.failure = ran.failure;
    (ran.response, o)
}
