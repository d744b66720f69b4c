//! Executing one endpoint for one request: hash check → parameters → the first `<success>` whose condition holds
//! (following `<forward-to-endpoint>` chains) → a [`Response`]; any failure → the endpoint's `<error>`.

pub mod failure;
pub mod hash;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use crate::config::static_file::StaticFile;
use crate::config::{Action, Application, Endpoint};
use crate::request::{BodyKind, RequestInput};
pub use failure::{Failure, FailureKind};

/// `live` (default) or `preview`; part of the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Live,
    Preview,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Preview => "preview",
        }
    }

    pub fn parse(s: &str) -> Option<Environment> {
        match s {
            "live" => Some(Environment::Live),
            "preview" => Some(Environment::Preview),
            _ => None,
        }
    }
}

/// Engine-wide switches (from the command line and environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENDPOINTS_CHECK_HASH` / `--no-hash-check`.
    pub check_hash: bool,
    /// `ENDPOINTS_DISPLAY_EXPECTED_HASH`: put the expected hash into the 401 message (never on a live system).
    pub display_expected_hash: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            check_hash: true,
            display_expected_hash: false,
        }
    }
}

#[derive(Debug)]
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    Static(Arc<StaticFile>),
}

/// What to send back; the server turns it into HTTP (conditional and range requests for static files included).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub download_filename: Option<String>,
    pub location: Option<String>,
    pub body: ResponseBody,
    /// Whether this is the endpoint's success response (conditional GET and ranges apply only then).
    pub success: bool,
}

impl Response {
    fn empty(status: StatusCode) -> Response {
        Response {
            status,
            content_type: None,
            download_filename: None,
            location: None,
            body: ResponseBody::Empty,
            success: true,
        }
    }

    /// A short `text/plain` message: servlet-level errors and errors without an `<error>` configuration.
    pub fn text(status: StatusCode, message: &str) -> Response {
        let mut body = String::with_capacity(message.len() + 1);
        body.push_str(message);
        body.push('\n');
        Response {
            status,
            content_type: Some(HeaderValue::from_static("text/plain; charset=utf-8")),
            download_filename: None,
            location: None,
            body: ResponseBody::Bytes(Bytes::from(body)),
            success: false,
        }
    }
}

/// One request to one endpoint.
pub struct Call<'a> {
    pub app: &'a Application,
    pub endpoint: usize,
    pub environment: Environment,
    pub input: &'a RequestInput,
    /// A failure found while reading the input that the endpoint's `<error>` should answer.
    pub input_failure: Option<Failure>,
    pub request_id: &'a str,
    pub settings: &'a Settings,
}

/// Runs the endpoint; never fails: failures are answered by the endpoint's `<error>`.
pub async fn execute(call: Call<'_>) -> Response {
    match run(&call) {
        Ok(r) => r,
        Err(f) => error_response(
            call.app,
            &call.app.endpoints[call.endpoint],
            &f,
            call.request_id,
        ),
    }
}

fn run(call: &Call) -> Result<Response, Failure> {
    if let Some(f) = &call.input_failure {
        return Err(f.clone());
    }
    let app = call.app;
    let endpoint = &app.endpoints[call.endpoint];
    let input = call.input;

    // Authentication first: without a parameter transformation the hash depends only on request values.
    if call.settings.check_hash {
        check_hash(endpoint, call, &app.secret_keys)?;
    }
    match input.body_kind() {
        BodyKind::None | BodyKind::Form | BodyKind::Multipart => {}
        BodyKind::Xml | BodyKind::Json => {
            return Err(Failure::bad_request(format!(
                "Endpoint does not have <parameter-transformation> defined, therefore cannot accept XML or JSON request with Content-Type '{}'",
                input.content_type.as_deref().unwrap_or("")
            )))
        }
        BodyKind::Other => {
            return Err(Failure::bad_request(format!(
                "Unexpected Content Type '{}': Must either be a GET request, or a POST request from a <form>, or POST request with XML or JSON body",
                input.content_type.as_deref().unwrap_or("")
            )))
        }
    }

    let mut current = endpoint;
    let mut values = resolve_parameters(current, &input.params, call.request_id)?;
    // Forward chains are acyclic (checked at load), so this ends; the bound is a second guard.
    for _ in 0..=app.endpoints.len() {
        let success = current
            .successes
            .iter()
            .find(|s| {
                s.condition
                    .as_ref()
                    .is_none_or(|c| c.evaluate(&values, &current.separator))
            })
            .expect("the last <success> is unconditional");
        let status = success.status;
        match &success.action {
            Action::Forward(f) => {
                let pairs: Vec<(String, String)> = match &f.input_parameters {
                    Some(list) => list
                        .iter()
                        .map(|(n, t)| (n.clone(), t.expand(&values)))
                        .collect(),
                    None => current
                        .parameters
                        .iter()
                        .map(|p| p.name.clone())
                        .chain(std::iter::once("request-id".to_string()))
                        .zip(values.iter().cloned())
                        .collect(),
                };
                current = &app.endpoints[f.target_index];
                values = resolve_parameters(current, &pairs, call.request_id)?;
            }
            action => return render(action, status, &values, StatusCode::OK),
        }
    }
    Err(Failure::hidden("forward chain did not end"))
}

fn check_hash(endpoint: &Endpoint, call: &Call, keys: &[Box<str>]) -> Result<(), Failure> {
    let Some(supplied) = call.input.first("hash") else {
        return Err(Failure::unauthorized("Hash missing"));
    };
    let mut included: Vec<String> = Vec::with_capacity(endpoint.include_in_hash.len());
    for &i in &endpoint.include_in_hash {
        let p = &endpoint.parameters[i];
        match joined_value(&call.input.params, &p.name, &endpoint.separator)
            .or_else(|| p.default.clone())
        {
            Some(v) => included.push(v),
            // The client cannot have hashed a value it did not send.
            None => return Err(Failure::unauthorized("Hash wrong")),
        }
    }
    if hash::matches(supplied, &endpoint.name, &included, call.environment, keys) {
        return Ok(());
    }
    if call.settings.display_expected_hash {
        if let Some(k) = keys.first() {
            let expected = hash::compute(&endpoint.name, &included, call.environment, k);
            return Err(Failure::unauthorized(format!(
                "Expected hash '{expected}' (won't be displayed on live system)"
            )));
        }
    }
    Err(Failure::unauthorized("Hash wrong"))
}

/// All values of `name` joined with the separator, or `None` if the request has none.
fn joined_value(pairs: &[(String, String)], name: &str, separator: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (n, v) in pairs {
        if n == name {
            match &mut out {
                None => out = Some(v.clone()),
                Some(s) => {
                    s.push_str(separator);
                    s.push_str(v);
                }
            }
        }
    }
    out
}

/// The final values of the endpoint's parameters (in `endpoint.parameters` order) followed by the request id.
fn resolve_parameters(
    endpoint: &Endpoint,
    pairs: &[(String, String)],
    request_id: &str,
) -> Result<Vec<String>, Failure> {
    let mut values = Vec::with_capacity(endpoint.parameters.len() + 1);
    for p in &endpoint.parameters {
        match joined_value(pairs, &p.name, &endpoint.separator).or_else(|| p.default.clone()) {
            Some(v) => values.push(v),
            None => {
                return Err(Failure::bad_request(format!(
                "<endpoint name='{}'>: Parameter '{}' did not have a supplied value, nor a default",
                endpoint.name, p.name
            )))
            }
        }
    }
    values.push(request_id.to_string());
    Ok(values)
}

fn valid_download_filename(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn render(
    action: &Action,
    status: Option<StatusCode>,
    values: &[String],
    default_status: StatusCode,
) -> Result<Response, Failure> {
    match action {
        Action::Empty => Ok(Response::empty(status.unwrap_or(default_status))),
        Action::Static(s) => {
            let download_filename = match &s.download_filename {
                Some(t) => {
                    let name = t.expand(values);
                    if !valid_download_filename(&name) {
                        return Err(Failure::internal(format!("Filename '{name}' invalid")));
                    }
                    Some(name)
                }
                None => None,
            };
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(s.file.content_type.clone()),
                download_filename,
                location: None,
                body: ResponseBody::Static(s.file.clone()),
                success: true,
            })
        }
        Action::Redirect(r) => {
            let url = r.url.expand(values);
            if !r.whitelist.is_empty() && !r.whitelist.iter().any(|w| url.starts_with(w.as_str())) {
                return Err(Failure::bad_request(format!(
                    "Redirect URL '{url}' is not in whitelist"
                )));
            }
            if !is_absolute_url(&url) || HeaderValue::from_str(&url).is_err() {
                return Err(Failure::internal(format!(
                    "Redirect URL '{url}' is not an absolute URL"
                )));
            }
            let mut resp = Response::empty(status.unwrap_or(StatusCode::FOUND));
            resp.location = Some(url);
            Ok(resp)
        }
        Action::Forward(_) => Err(Failure::hidden(
            "<forward-to-endpoint> cannot be rendered here",
        )),
    }
}

fn is_absolute_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let s = scheme.to_ascii_lowercase();
    match s.as_str() {
        "http" | "https" | "ftp" => rest.starts_with("//") && rest.len() > 2,
        _ => !rest.is_empty(),
    }
}

/// The error flow: the endpoint's `<error>` rendered with `${internal-error-text}`,
/// `${parameter-transformation-error-text}` and `${request-id}`; without one, a short plain-text reason.
pub fn error_response(
    app: &Application,
    endpoint: &Endpoint,
    failure: &Failure,
    request_id: &str,
) -> Response {
    let _ = app;
    if let Some(detail) = &failure.detail {
        tracing::error!(request_id, endpoint = %endpoint.name, detail = %detail, "request failed");
    } else {
        tracing::debug!(request_id, endpoint = %endpoint.name, message = %failure.message, "request failed");
    }
    let status = failure.status();
    let public = if failure.kind == FailureKind::Internal && failure.detail.is_some() {
        format!("{} (request id {request_id})", failure.message)
    } else {
        failure.message.clone()
    };
    let Some(error) = &endpoint.error else {
        return Response::text(status, &public);
    };
    let status = error.status.unwrap_or(status);
    let values = [
        failure.message.clone(),
        failure
            .parameter_transformation_error
            .clone()
            .unwrap_or_default(),
        request_id.to_string(),
    ];
    if let Some(c) = &error.condition {
        if !c.evaluate(&values, &endpoint.separator) {
            return Response::text(status, &public);
        }
    }
    if matches!(error.action, Action::Empty) {
        return Response::text(status, &public);
    }
    let redirect_status = match error.status {
        Some(s) if s.is_redirection() => s,
        _ => StatusCode::FOUND,
    };
    let rendered = match &error.action {
        Action::Redirect(_) => render(&error.action, Some(redirect_status), &values, status),
        other => render(other, Some(status), &values, status),
    };
    match rendered {
        Ok(mut r) => {
            r.success = false;
            r
        }
        Err(f) => {
            tracing::error!(request_id, endpoint = %endpoint.name, error = %f.message, "rendering <error> failed");
            Response::text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("An internal error occurred (request id {request_id})"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls() {
        assert!(is_absolute_url("https://shop.example/thanks?id=7"));
        assert!(is_absolute_url("mailto:a@b.example"));
        assert!(!is_absolute_url("/relative"));
        assert!(!is_absolute_url("https:"));
        assert!(!is_absolute_url("https://"));
        assert!(!is_absolute_url("relative/path"));
        assert!(!is_absolute_url("1http://x"));
    }

    #[test]
    fn download_filenames() {
        assert!(valid_download_filename("invoice-123.pdf"));
        assert!(!valid_download_filename("invoice-1 2.pdf"));
        assert!(!valid_download_filename("ä.pdf"));
        assert!(!valid_download_filename(""));
        assert!(!valid_download_filename("a/b.pdf"));
    }

    #[test]
    fn joins_multi_values() {
        let pairs = vec![
            ("t".to_string(), "y".to_string()),
            ("u".to_string(), "1".to_string()),
            ("t".to_string(), "x".to_string()),
        ];
        assert_eq!(joined_value(&pairs, "t", "||").as_deref(), Some("y||x"));
        assert_eq!(joined_value(&pairs, "t", ",").as_deref(), Some("y,x"));
        assert_eq!(joined_value(&pairs, "v", ","), None);
    }
}
