//! `/{application}/{endpoint}` and `/{endpoint}`: route, choose the environment and the configuration, read the
//! input within the body timeout and the limits, run the endpoint, count its answer.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use http::header::CONTENT_TYPE;
use http::Request;
use hyper::body::Incoming;

use super::prepared::Prepared;
use super::respond::{refuse, unrouted, Answer, Outcome};
use super::route::route;
use super::state::State;
use crate::engine::{Environment, Failure};
use crate::request::{self, RequestInput};

/// The environment a request names, `live` when it names none.
fn named_environment(name: Option<&str>) -> Result<Environment, Failure> {
    match name {
        None => Ok(Environment::Live),
        Some(v) => Environment::parse(v).ok_or_else(|| Failure::environment_not_found(v)),
    }
}

/// The `environment` the query string names. When there are too many fields (answered later, by the endpoint's
/// counters) the raw query string is searched.
fn query_environment<'q>(
    query: &'q Result<RequestInput, request::InputError>,
    parts: &'q http::request::Parts,
) -> Option<Cow<'q, str>> {
    match query {
        Ok(q) => q.first("environment").map(Cow::Borrowed),
        Err(_) => parts.uri.query().and_then(|q| {
            request::urlencoded::pairs(q.as_bytes())
                .find(|(n, _)| n == "environment")
                .map(|(_, v)| v)
        }),
    }
}

pub async fn endpoint_request(
    state: &State,
    client: IpAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> Answer {
    let refused = |f: Failure| unrouted(f, request_id);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let Some((app_name, endpoint_name)) = route(path) else {
        return refused(Failure::url_not_understood(path));
    };
    let limits = &state.limits;
    let ip = Some(client);
    // The query string is parsed once; its parameters start the request's input when the body has been read.
    let query = request::query_input(&parts, ip, limits.max_fields);
    // The environment chooses the configuration, so it is taken from the query string before the body is read.
    // When the query string names it, that is final; otherwise a form body may name it (see below).
    let query_environment = query_environment(&query, &parts);
    let query_names_environment = query_environment.is_some();
    let site_environment = match named_environment(query_environment.as_deref()) {
        Ok(e) => e,
        Err(f) => return refused(f),
    };
    let Some(site) = state.site(app_name, site_environment) else {
        return refused(Failure::application_not_found(app_name));
    };
    let loaded = site.current.load();
    let app = &loaded.app;
    let Some((index, endpoint)) = app.endpoint(endpoint_name) else {
        return refused(Failure::endpoint_not_found(endpoint_name));
    };
    let counters = &loaded.counters[index];
    // A failure answered at once, counted by the endpoint's counters.
    let counted = |f: Failure| {
        let r = refuse(&f, request_id);
        counters.count(r.status().as_u16());
        let o = Outcome::endpoint(&app.name, site.environment, &endpoint.name, 0);
        (r, o.failed(&f))
    };

    let accepts_raw_body = endpoint.parameter_transformation.is_some();
    // Kept whole when a signature covers it (here, or in the endpoint of the same name in another environment,
    // which a form body may choose), or when debug capture (asked for in the query string) may store it.
    let needs_body =
        |e: &crate::config::Endpoint| e.authentication.as_ref().is_some_and(|a| a.needs_body());
    let keep_body = needs_body(endpoint)
        || state.other_environments(site).any(|s| {
            s.current
                .load()
                .app
                .endpoint(endpoint_name)
                .is_some_and(|(_, e)| needs_body(e))
        })
        || query.as_ref().is_ok_and(|q| q.debug || q.verbose);
    let no_body = http_body::Body::is_end_stream(&body);
    let parts_ref = &parts;
    let read = move |query: Result<RequestInput, request::InputError>| async move {
        let parts = parts_ref;
        let input = query?;
        if keep_body {
            // A signature covers the exact bytes: read them first, then parse from memory.
            let bytes = request::collect(body, limits.max_body_bytes).await?;
            let mut input = request::read_body(
                parts,
                http_body_util::Full::new(bytes.clone()),
                limits,
                accepts_raw_body,
                input,
            )
            .await?;
            input.signed_body = Some(bytes);
            Ok(input)
        } else {
            request::read_body(parts, body, limits, accepts_raw_body, input).await
        }
    };
    // Without a body and a content type (most GET requests) the query string is the whole input: the body reader
    // is not even started. Without a body there is nothing to wait for (and no timer to set). The reader is boxed:
    // kept inline, its state (kilobytes, for multipart) would be copied with this function's on every request.
    let read = if no_body && !keep_body && !parts.headers.contains_key(CONTENT_TYPE) {
        Ok(query)
    } else if no_body {
        Ok(Box::pin(read(query)).await)
    } else {
        Box::pin(tokio::time::timeout(state.limits.body_timeout, read(query))).await
    };
    let (input, input_failure) = match read {
        Err(_) => return counted(Failure::body_timeout()),
        Ok(Ok(input)) => (input, None),
        Ok(Err(e)) => {
            let failure = Failure::from_input(&e);
            if failure.closes_connection() {
                return counted(failure);
            }
            (request::from_query(&parts, ip), Some(failure))
        }
    };
    // One environment for the configuration and the hash alike. When only the form names it, the configuration
    // chosen before the body was read is chosen again.
    let environment = if query_names_environment {
        site_environment
    } else {
        match named_environment(input.first("environment")) {
            Ok(e) => e,
            Err(f) => return refused(f),
        }
    };
    let other;
    let (app, index, counters) = match state.site(app_name, environment) {
        Some(s) if environment != site_environment && !Arc::ptr_eq(s, site) => {
            other = s.current.load();
            match other.app.endpoint(endpoint_name) {
                Some((i, _)) => (&other.app, i, &other.counters[i]),
                None => return refused(Failure::endpoint_not_found(endpoint_name)),
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
    // Boxed for the same reason as the body reader.
    let ran = Box::pin(call.run(state, &input, now, request_id, &parts)).await;
    drop(input); // uploaded temporary files are removed here
    counters.count(ran.response.status().as_u16());
    let mut o = Outcome::endpoint(&app.name, environment, &endpoint.name, ran.bytes);
    o.hash_absent_accepted = ran.hash_absent_accepted;
    o.failure = ran.failure;
    (ran.response, o)
}
