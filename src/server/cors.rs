//! CORS, as the reference answers it: preflight requests, and the request's `Origin` allowed on every response.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

use super::body::{self, ResponseBody};

/// The request's `Origin`, unless empty: echoed by [`allow_origin`].
pub fn origin(headers: &HeaderMap) -> Option<HeaderValue> {
    headers.get(ORIGIN).filter(|o| !o.is_empty()).cloned()
}

/// Allows the request's origin (any response varies with it).
pub fn allow_origin(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    if let Some(o) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, o);
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}

/// CORS preflight, as the reference answers it: 204, the request's header names allowed, the method echoed.
pub fn preflight<B>(req: &Request<B>) -> Response<ResponseBody> {
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
