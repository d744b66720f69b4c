//! One request to one endpoint ([`Call`]): what the flow, the parameter transformation and the request log read.

use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use ::http::StatusCode;

use super::failure::{Failure, FailureKind};
use super::journal::Journal;
use super::settings::{Environment, Settings};
use super::task::Outbox;
use crate::config::{Application, Endpoint};
use crate::request::RequestInput;

/// One request to one endpoint.
pub struct Call<'a> {
    pub app: &'a Application,
    pub endpoint: &'a Endpoint,
    pub environment: Environment,
    pub input: &'a RequestInput,
    /// A failure found while reading the input that the endpoint's `<error>` should answer.
    pub input_failure: Option<Failure>,
    pub request_id: &'a str,
    pub settings: &'a Settings,
    /// E-mails built by tasks; sent only when the request succeeds.
    pub outbox: Outbox,
    /// Numbers, captures and short links of the success flow; committed with the request-log entry.
    pub journal: Journal,
    /// A short link runs its endpoint without the hash or `<authentication>` check.
    pub skip_authentication: bool,
    /// Set when the request carried no `hash` and was accepted because the application accepts a missing hash
    /// (`engine-settings.xml` or `--accept-missing-hash`); the access log marks such requests.
    pub hash_absent_accepted: &'a AtomicBool,
    /// Set to the failure's public message when the request ends in the error flow (for the access log).
    pub failure_reason: &'a OnceLock<String>,
}

impl Call<'_> {
    /// Whether this request's debug documents are recorded: `debug=true` where the application allows it, or
    /// `verbose=true` on a request that failed; never for a request that failed authentication (hash or
    /// `<authentication>`): whoever cannot authenticate gets nothing stored at their request.
    pub fn record_debug(&self, status: StatusCode, failure: Option<&Failure>) -> bool {
        if failure.is_some_and(|f| f.kind == FailureKind::Unauthorized) {
            return false;
        }
        (self.settings.debug_allowed && self.input.debug)
            || (self.input.verbose && status.as_u16() >= 400)
    }

    /// Whether the parameter transformation's documents may be wanted by [`Call::record_debug`].
    pub fn may_record_debug(&self) -> bool {
        (self.settings.debug_allowed && self.input.debug) || self.input.verbose
    }
}
