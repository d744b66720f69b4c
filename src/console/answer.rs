//! The console's answers: the body type, the security headers every answer carries, and small builders for pages,
//! redirects and refusals; plus [`Form`], a request's fields.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Response, StatusCode};
use maud::Markup;

use super::pages;
pub use crate::server::body::ResponseBody;
use crate::server::body::{self};

pub type Answer = Response<ResponseBody>;

/// The policy of every console page: the console's own stylesheet, script and frames only; forms post to the
/// console; no other site may frame it.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// The policy of a response body shown inside a try-it result's frame: a sandbox (an origin of its own, no
/// script, no forms, no top-level navigation), its own styles and images allowed, nothing fetched from elsewhere;
/// only the console may frame it.
const FRAMED_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline' 'self'; \
                          img-src 'self' data:; font-src data:; frame-ancestors 'self'";

/// The headers every console answer carries. A response body shown inside the console's own frame
/// ([`framed`]) keeps its sandbox policy and may be framed by the console.
pub fn secure(mut r: Answer) -> Answer {
    let h = r.headers_mut();
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Within the console only: a browser then sends its Origin with forms (with `no-referrer` it sends `null`).
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Marks `r` as content for the console's sandboxed frame.
pub fn framed(mut r: Answer) -> Answer {
    let h = r.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(FRAMED_CSP),
    );
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    r
}

pub fn bytes(status: StatusCode, content_type: &'static str, content: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(body::full(content));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub fn html(status: StatusCode, markup: Markup, cookie: Option<&str>) -> Answer {
    let mut r = bytes(status, "text/html; charset=utf-8", markup.into_string());
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(SET_COOKIE, c);
    }
    r
}

pub fn see_other(to: &str, cookie: Option<&str>) -> Answer {
    let mut r = html(StatusCode::SEE_OTHER, pages::message("Moved", to), cookie);
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

pub fn refused(status: StatusCode, text: &str) -> Answer {
    let title = status.canonical_reason().unwrap_or("Refused");
    html(status, pages::message(title, text), None)
}

/// A request's fields (a form body or the query string), in order.
#[derive(Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
}
