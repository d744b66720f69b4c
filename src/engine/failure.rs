//! Why a request failed, and the one place where a failure becomes an HTTP status and the text a client sees.
//!
//! Two families of failures: those of an endpoint's run (answered by the endpoint's `<error>`), and those of the
//! front door, refused before an endpoint runs or when its answer cannot be sent (URL not understood,
//! application/environment/endpoint not found, body too slow or too large, internal errors of the server). Both
//! are a [`Failure`]; [`Failure::public`] turns either into status and message.

use http::StatusCode;

use crate::request::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request itself is wrong (missing parameter, bad body, redirect target not allowed): 400.
    BadRequest,
    /// Hash missing or wrong: 401.
    Unauthorized,
    /// Something went wrong on our side or in the configuration's use: 500.
    Internal,
    /// No application, environment, endpoint, short link or file of that name: 404.
    NotFound,
    /// A method the server does not answer: 405.
    MethodNotAllowed,
    /// The request body did not arrive in time: 408 (the connection is closed).
    RequestTimeout,
    /// The request is over one of the limits: 413 (the connection is closed).
    PayloadTooLarge,
}

/// What an internal failure whose cause is hidden tells the client (followed by the request id).
const INTERNAL_ERROR: &str = "An internal error occurred";

/// A failure of the success flow. `message` is safe to show (it becomes `${internal-error-text}`); `detail`
/// goes to the log only.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    pub detail: Option<String>,
    /// The text of a parameter transformation's `<error>`, when that caused the failure.
    pub parameter_transformation_error: Option<String>,
    /// When an outgoing HTTP request failed: its URL (without query) and status, if one came back.
    pub http_failure: Option<Box<(String, Option<u16>)>>,
    /// The challenge sent with a 401, for `<authentication>` methods that have one.
    pub www_authenticate: Option<&'static str>,
}

impl Failure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            detail: None,
            parameter_transformation_error: None,
            http_failure: None,
            www_authenticate: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(FailureKind::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Unauthorized, message)
    }

    /// An internal failure whose `message` is safe to show.
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Internal, message)
    }

    /// An internal failure whose cause must not reach the client: it is logged with the request id.
    pub fn hidden(detail: impl Into<String>) -> Failure {
        Failure {
            detail: Some(detail.into()),
            ..Failure::new(FailureKind::Internal, INTERNAL_ERROR)
        }
    }

    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure::new(FailureKind::NotFound, message)
    }

    pub fn with_http_failure(mut self, url: String, status: Option<u16>) -> Failure {
        self.http_failure = Some(Box::new((url, status)));
        self
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            FailureKind::BadRequest => StatusCode::BAD_REQUEST,
            FailureKind::Unauthorized => StatusCode::UNAUTHORIZED,
            FailureKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            FailureKind::NotFound => StatusCode::NOT_FOUND,
            FailureKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            FailureKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            FailureKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The status and the text the client is given. An internal failure whose cause is hidden names the request
    /// id, so that its log lines can be found.
    pub fn public(&self, request_id: &str) -> (StatusCode, String) {
        let message = if self.kind == FailureKind::Internal && self.detail.is_some() {
            format!("{} (request id {request_id})", self.message)
        } else {
            self.message.clone()
        };
        (self.status(), message)
    }

    /// The short outcome of a failed step in the console's step timings: the remote status of an outgoing HTTP
    /// request, or else the status this failure answers with. Never a message, URL or detail.
    pub fn step_outcome(&self) -> String {
        match self.http_failure.as_deref() {
            Some((_, status)) => remote_outcome(*status),
            None => {
                let s = self.status();
                format!(
                    "failed: {} {}",
                    s.as_u16(),
                    s.canonical_reason().unwrap_or("")
                )
            }
        }
    }

    /// Whether the connection is closed after the answer (the rest of the request is not read).
    pub fn closes_connection(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::RequestTimeout | FailureKind::PayloadTooLarge
        )
    }
}

/// The short outcome of an outgoing HTTP request that failed with `status` (`None`: no answer came), for the
/// console's step timings; see [`Failure::step_outcome`].
pub fn remote_outcome(status: Option<u16>) -> String {
    match status {
        Some(status) => format!("failed: HTTP {status} from the remote server"),
        None => "failed: no answer from the remote server".to_string(),
    }
}

/// The front door's failures: refused before an endpoint runs.
impl Failure {
    /// A path that is not `/{application}/{endpoint}` or `/{endpoint}`.
    pub fn url_not_understood(path: &str) -> Failure {
        Failure::bad_request(format!(
            "Request invalid: Cannot understand URL '{}', should be /<application>/<endpoint>",
            shorten(path)
        ))
    }

    /// No served application of that name; without a name, several are served and the URL must name one.
    pub fn application_not_found(application: Option<&str>) -> Failure {
        Failure::not_found(match application {
            Some(a) => format!("Application '{a}' not found"),
            None => "Several applications are served: use /<application>/<endpoint>".to_string(),
        })
    }

    /// The request names an environment that is neither `live` nor `preview`.
    pub fn environment_not_found(environment: &str) -> Failure {
        Failure::not_found(format!("Environment '{}' not found", shorten(environment)))
    }

    pub fn endpoint_not_found(endpoint: &str) -> Failure {
        Failure::not_found(format!(
            "Endpoint '{endpoint}' not found in this application"
        ))
    }

    pub fn method_not_allowed() -> Failure {
        Failure::new(FailureKind::MethodNotAllowed, "Method not allowed")
    }

    /// The body did not arrive within the body timeout.
    pub fn body_timeout() -> Failure {
        Failure::new(
            FailureKind::RequestTimeout,
            "Request body was not received in time",
        )
    }

    /// A failure while reading the request's input: over a limit (413, answered at once), the client's fault (400)
    /// or ours (500), the last two answered by the endpoint's `<error>`.
    pub fn from_input(e: &InputError) -> Failure {
        match e {
            InputError::TooLarge(_)
            | InputError::TooManyFields(_)
            | InputError::FieldTooLarge(..)
            | InputError::FieldNameTooLarge(_)
            | InputError::Limit(_) => Failure::new(FailureKind::PayloadTooLarge, e.to_string()),
            e if e.is_bad_request() => Failure::bad_request(e.to_string()),
            e => Failure::hidden(e.to_string()),
        }
    }

    /// `/shortlink/{code}` with a code that is not a word.
    pub fn short_link_malformed(path: &str) -> Failure {
        Failure::bad_request(format!(
            "Request invalid: URL '{}' malformed",
            shorten(path)
        ))
    }

    pub fn short_link_not_found(code: &str) -> Failure {
        Failure::not_found(format!("Code '{}' not found", shorten(code)))
    }

    /// The short link's application is not served (in its environment or `live`).
    pub fn short_link_application_not_found() -> Failure {
        Failure::bad_request("Application specified in short link not found or not published on the environment specified in this short link")
    }

    pub fn short_link_endpoint_not_found() -> Failure {
        Failure::bad_request("Endpoint specified in this short link not found in the application")
    }

    /// A static file gone (or replaced by something else than a regular file) since the load.
    pub fn file_not_found() -> Failure {
        Failure::not_found("File not found")
    }
}

/// `s` cut to 200 bytes (on a character boundary, marked with `…`), for echoing client input in a message.
fn shorten(s: &str) -> String {
    let cut = cut(s, 200);
    if cut.len() == s.len() {
        s.to_string()
    } else {
        format!("{cut}…")
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_failures_name_the_request_id() {
        let (status, text) = Failure::hidden("disk on fire").public("r-1");
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(text, "An internal error occurred (request id r-1)");
        let (status, text) = Failure::internal("shown as is").public("r-1");
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, "shown as is")
        );
    }

    #[test]
    fn front_door_statuses() {
        assert_eq!(
            Failure::url_not_understood("/a/b/c").status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            Failure::environment_not_found("x").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            Failure::body_timeout().status(),
            StatusCode::REQUEST_TIMEOUT
        );
        assert!(Failure::body_timeout().closes_connection());
        let too_large = Failure::from_input(&InputError::TooLarge(10));
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(too_large.closes_connection());
        assert_eq!(
            Failure::from_input(&InputError::Body("x".into())).kind,
            FailureKind::BadRequest
        );
        assert!(!Failure::method_not_allowed().closes_connection());
    }

    #[test]
    fn long_input_is_shortened_on_a_character_boundary() {
        let long = "é".repeat(150);
        let message = Failure::environment_not_found(&long).message;
        assert!(message.ends_with("…' not found"));
        assert_eq!(
            message.len(),
            "Environment '".len() + 200 + "…' not found".len()
        );
    }
}
