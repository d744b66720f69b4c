//! The compiled `<task>`s of an endpoint (HTTP requests, e-mails, uploads saved, request-log captures, short
//! links) and the options of outgoing HTTP requests.

use std::sync::Arc;
use std::time::Duration;

use super::condition::Condition;
use super::http_spec::HttpSpec;
use crate::config::error::Pos;
use crate::xslt::Stylesheet;

/// When an HTTP request counts as successful, how long it may take, and how it is retried (our extensions on the
/// element holding an HTTP specification: `timeout-ms`, `retries`, `retry-backoff-ms`, `success-status`).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    /// Status codes (exact) and classes (`2` for `2xx`).
    pub success_codes: Vec<u16>,
    pub success_classes: Vec<u16>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_millis(30_000),
            retries: 0,
            backoff: Duration::from_millis(500),
            success_codes: Vec::new(),
            success_classes: vec![2],
        }
    }
}

impl HttpOptions {
    pub fn is_success(&self, status: u16) -> bool {
        self.success_codes.contains(&status) || self.success_classes.contains(&(status / 100))
    }
}

/// How an output intermediate value is taken from the response.
#[derive(Debug, Clone)]
pub enum Selector {
    /// An XPath 1.0 expression, compiled into `<xsl:value-of select="…"/>`.
    XPath(String, Arc<Stylesheet>),
    JsonPath(String, Arc<serde_json_path::JsonPath>),
}

#[derive(Debug, Clone)]
pub struct OutputValue {
    pub name: String,
    pub selector: Selector,
    /// Must match the whole value.
    pub regex: Option<(String, regex::Regex)>,
}

/// `endpoints.task.RequestLogExpressionCaptureTask`: `captures[key] = value` in the request log.
#[derive(Debug, Clone)]
pub struct CaptureTask {
    pub key: String,
    pub value: super::template::Template,
}

/// `endpoints.task.CreateShortLinkToEndpointTask`.
#[derive(Debug, Clone)]
pub struct ShortLinkTask {
    pub destination: String,
    pub output: String,
    pub expires_minutes: i64,
}

/// `endpoints.task.SaveUploadsTask` (an extension): the request's uploaded files, and optionally a metadata file
/// with its parameters, written into `directory` below `base-directory`.
#[derive(Debug, Clone)]
pub struct SaveUploadsTask {
    /// Canonical, existing directory everything goes below.
    pub base: std::path::PathBuf,
    /// Sub-directory below `base` (a pattern; may not climb out).
    pub directory: super::template::Template,
    /// File name of the metadata file (`<parameters>` XML), if wanted.
    pub metadata_file: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HttpTask {
    pub spec: HttpSpec,
    pub options: HttpOptions,
    pub ignore_if_error: bool,
    pub outputs: Vec<OutputValue>,
}

// A handful of tasks per endpoint, built once at load: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum TaskKind {
    Http(HttpTask),
    SaveUploads(SaveUploadsTask),
    Email(Box<super::email::EmailTask>),
    Capture(CaptureTask),
    ShortLink(ShortLinkTask),
}

#[derive(Debug)]
pub struct Task {
    pub label: String,
    pub id: Option<String>,
    pub condition: Option<Condition>,
    /// Indices of the tasks this one waits for (`<after>` and the producers of its inputs).
    pub depends_on: Vec<usize>,
    /// Input intermediate values, in scope order after the parameters and `request-id`.
    pub inputs: Vec<String>,
    pub kind: TaskKind,
    pub pos: Pos,
}

impl Task {
    pub fn outputs(&self) -> Vec<&str> {
        match &self.kind {
            TaskKind::Http(h) => h.outputs.iter().map(|o| o.name.as_str()).collect(),
            TaskKind::ShortLink(s) => vec![s.output.as_str()],
            TaskKind::Email(_) | TaskKind::SaveUploads(_) | TaskKind::Capture(_) => Vec::new(),
        }
    }
}
