//! Why a request failed, and the one place where a failure becomes an HTTP status.

use http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request itself is wrong (missing parameter, bad body, redirect target not allowed): 400.
    BadRequest,
    /// Hash missing or wrong: 401.
    Unauthorized,
    /// Something went wrong on our side or in the configuration's use: 500.
    Internal,
}

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
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::BadRequest,
            message: message.into(),
            detail: None,
            parameter_transformation_error: None,
            http_failure: None,
            www_authenticate: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Unauthorized,
            message: message.into(),
            detail: None,
            parameter_transformation_error: None,
            http_failure: None,
            www_authenticate: None,
        }
    }

    /// An internal failure whose `message` is safe to show.
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Internal,
            message: message.into(),
            detail: None,
            parameter_transformation_error: None,
            http_failure: None,
            www_authenticate: None,
        }
    }

    /// An internal failure whose cause must not reach the client: it is logged with the request id.
    pub fn hidden(detail: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Internal,
            message: "An internal error occurred".to_string(),
            detail: Some(detail.into()),
            parameter_transformation_error: None,
            http_failure: None,
            www_authenticate: None,
        }
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
        }
    }
}
