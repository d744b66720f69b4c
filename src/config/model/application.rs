//! The compiled, immutable form of an application and its endpoints: what the request path reads. The
//! responses a `<success>`/`<error>` gives are in [`super::action`], the other compiled parts beside them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use http::StatusCode;

use super::action::Action;
use super::condition::Condition;
use super::data_source::{Command, DataSource, Transformer};
use crate::config::error::{Diagnostic, Pos};

/// Where an application's files live.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The directory the user named.
    pub root: PathBuf,
    /// Holds `endpoints.xml`, `security.xml` and the XML/XSLT folders.
    pub config_dir: PathBuf,
    pub static_dir: PathBuf,
    pub ooxml_dir: PathBuf,
}

impl Layout {
    pub fn endpoints_xml(&self) -> PathBuf {
        self.config_dir.join("endpoints.xml")
    }
    pub fn security_xml(&self) -> PathBuf {
        self.config_dir.join("security.xml")
    }
}

/// One loaded application: every endpoint compiled, every reference resolved.
#[derive(Debug)]
pub struct Application {
    pub name: String,
    pub layout: Layout,
    /// In `endpoints.xml` document order.
    pub endpoints: Vec<Endpoint>,
    pub by_name: HashMap<Box<str>, usize>,
    pub data_sources: Vec<DataSource>,
    pub transformers: Vec<Transformer>,
    /// `email-sending-configuration.xml`, when present.
    pub email: Option<super::email::EmailSendingConfig>,
    /// The `<secret-key>`s of `security.xml`, in order (untrimmed, as the reference reads them).
    pub secret_keys: Vec<Box<str>>,
    /// Every secret the application holds (keys, passwords, tokens, signing secrets), to be removed from
    /// everything stored about a request.
    pub secrets: super::secrets::Secrets,
    /// `aws-s3-configuration.xml`, when present (its bucket was reachable at load).
    pub s3: Option<super::aws::S3Config>,
    /// `secrets.xml`, when present.
    pub aws_secrets: Option<Arc<super::aws::AwsSecrets>>,
    /// `engine-settings.xml`, with the server's `--accept-missing-hash` applied.
    pub settings: super::settings::AppSettings,
    pub warnings: Vec<Diagnostic>,
}

impl Application {
    pub fn endpoint(&self, name: &str) -> Option<(usize, &Endpoint)> {
        self.by_name.get(name).map(|&i| (i, &self.endpoints[i]))
    }

    /// The endpoints that accept a request without a `hash` (when hash checking is on): with
    /// [`MissingHash::Accept`](super::settings::MissingHash::Accept), every endpoint checked by the hash alone.
    /// Endpoints with `<authentication>` keep requiring one of their methods.
    pub fn accepting_missing_hash(&self) -> Vec<&str> {
        if self.settings.missing_hash != super::settings::MissingHash::Accept {
            return Vec::new();
        }
        self.endpoints
            .iter()
            .filter(|e| e.authentication.is_none())
            .map(|e| e.name.as_str())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    /// `None`: mandatory.
    pub default: Option<String>,
}

/// Where in the configuration something was declared, for messages.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<PathBuf>,
    pub pos: Pos,
}

#[derive(Debug)]
pub struct Endpoint {
    pub name: String,
    pub origin: Origin,
    /// Visible parameters (own and inherited; nearer declarations win), sorted by name. The success scope is
    /// these names in this order followed by `request-id`.
    pub parameters: Vec<Parameter>,
    pub separator: String,
    /// Indices into `parameters`, in the listed order (duplicates allowed).
    pub include_in_hash: Vec<usize>,
    /// Never empty; the last one is unconditional.
    pub successes: Vec<Success>,
    pub error: Option<ErrorResponse>,
    pub parameter_transformation: Option<ParameterTransformation>,
    pub tasks: Vec<super::task::Task>,
    /// `<authentication>` (nearest declaration); `None`: the hash.
    pub authentication: Option<super::auth::Authentication>,
    /// The `secrets.xml` parameters (each name once): their slots follow `request-id` in the success scope, before
    /// a participant's intermediate values. Empty without `secrets.xml`.
    pub secrets: Vec<String>,
    /// Indices into `secrets` of those the endpoint's own templates use (conditions, redirects, download file
    /// names, forwarded values, task fields …): fetched before the endpoint runs; the other slots stay empty.
    pub secrets_used: Vec<usize>,
}

/// `<parameter-transformation xslt="…">` with its data-source commands.
#[derive(Debug)]
pub struct ParameterTransformation {
    pub xslt: Arc<crate::stylesheet::Stylesheet>,
    pub commands: Vec<Command>,
}

impl Endpoint {
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.name == name)
    }
    /// Slot of `request-id` in the success scope.
    pub fn request_id_slot(&self) -> usize {
        self.parameters.len()
    }
}

#[derive(Debug)]
pub struct Success {
    pub condition: Option<Condition>,
    /// The `status="NNN"` extension.
    pub status: Option<StatusCode>,
    pub action: Action,
    pub origin: Origin,
    /// Tasks to wait for (`<after>` and the producers of `inputs`).
    pub depends_on: Vec<usize>,
    /// `<input-intermediate-value>`s: their slots follow the secrets in this success's scope.
    pub inputs: Vec<String>,
}

/// Error scope slots.
pub const ERROR_SCOPE: [&str; 3] = [
    "internal-error-text",
    "parameter-transformation-error-text",
    "request-id",
];

#[derive(Debug)]
pub struct ErrorResponse {
    pub condition: Option<Condition>,
    pub status: Option<StatusCode>,
    pub action: Action,
    /// Indices into the endpoint's `secrets` that this `<error>` uses; their slots follow [`ERROR_SCOPE`].
    pub secrets_used: Vec<usize>,
}
