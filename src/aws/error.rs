//! Why an AWS call failed.

/// Why an AWS call failed. The texts name the service, the bucket/key or secret and AWS's error code, never a
/// credential or a secret's value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("AWS credentials: {0}")]
    Credentials(String),
    #[error("{service} could not be reached: {message}")]
    Transport {
        service: &'static str,
        message: String,
    },
    #[error("{service} answered {status}{}{}", code_text(.code), message_text(.message))]
    Status {
        service: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

fn code_text(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(" {code}")
    }
}

fn message_text(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

impl AwsError {
    /// The HTTP status AWS answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AwsError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
