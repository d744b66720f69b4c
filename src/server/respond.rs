//! Building HTTP responses: the engine's [`engine::Response`] turned into hyper's (static files, upstream streams,
//! `HEAD`), a refused request's [`Failure`] as plain text, and the [`Outcome`] the access log and metrics get.

use http::header::{CONNECTION, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method, Response, StatusCode};

use super::body::{self, ResponseBody};
use super::static_http;
use crate::engine::{self, Environment, Failure, ResponseBody as EngineBody};

/// What the access log and the metrics need to know about a response.
#[derive(Default)]
pub struct Outcome {
    /// The application and environment whose endpoint answered.
    pub application: Option<String>,
    pub environment: Option<&'static str>,
    pub endpoint: Option<String>,
    /// Body bytes, when the response body's size is not known in advance (a stream from an upstream server).
    pub bytes: u64,
    /// Whether an endpoint's counters already counted the response.
    pub counted: bool,
    /// The request had no `hash` and was accepted because its application accepts a missing hash.
    pub hash_absent_accepted: bool,
    /// Why the request failed (the failure's public message), when it did.
    pub failure: Option<String>,
}

impl Outcome {
    /// A response no endpoint answered (counted as unrouted).
    pub fn none() -> Outcome {
        Outcome::default()
    }

    /// A response of the endpoint `endpoint` of `application` in `environment`, already counted by its counters.
    pub fn endpoint(
        application: &str,
        environment: Environment,
        endpoint: &str,
        bytes: u64,
    ) -> Outcome {
        Outcome {
            application: Some(application.to_string()),
            environment: Some(environment.as_str()),
            endpoint: Some(endpoint.to_string()),
            bytes,
            counted: true,
            ..Outcome::default()
        }
    }

    /// The same, failed for `failure`.
    pub fn failed(mut self, failure: &Failure) -> Outcome {
        self.failure = Some(failure.message.clone());
        self
    }
}

/// A feature's answer to a request, with what the access log and metrics need to know about it.
pub type Answer = (Response<ResponseBody>, Outcome);

/// A request refused before any endpoint took it: counted as unrouted.
pub fn unrouted(failure: Failure, request_id: &str) -> Answer {
    (
        refuse(&failure, request_id),
        Outcome::none().failed(&failure),
    )
}

/// The plain-text answer to a failure: its status and public message (see [`Failure::public`]), and
/// `Connection: close` when the rest of the request is not read.
pub fn refuse(failure: &Failure, request_id: &str) -> Response<ResponseBody> {
    let (status, message) = failure.public(request_id);
    let mut r = text(status, &message);
    if failure.closes_connection() {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
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

/// The engine's response as HTTP, with the number of its body bytes.
pub async fn to_http(
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
                // Streamed as it arrives: its length is what the upstream server declared, if it did.
                let declared = resp.content_length().unwrap_or(0);
                let stream = resp
                    .bytes_stream()
                    .map_ok(http_body::Frame::data)
                    .map_err(std::io::Error::other);
                (
                    http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(stream)),
                    declared,
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
                    return (refuse(&Failure::file_not_found(), request_id), 0);
                }
                Err(e) => {
                    tracing::error!(request_id, file = %file.path.display(), error = %e, "cannot read static file");
                    return (refuse(&Failure::hidden(e.to_string()), request_id), 0);
                }
            }
        }
    };
    match builder.body(body) {
        Ok(resp) => (resp, len),
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot build response");
            (refuse(&Failure::hidden(e.to_string()), request_id), 0)
        }
    }
}
