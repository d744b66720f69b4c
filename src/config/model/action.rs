//! What a `<success>` or `<error>` answers with: the compiled response actions.

use std::sync::Arc;

use super::static_file::StaticFile;
use super::template::Template;

pub use super::redirect::Redirect;

#[derive(Debug)]
pub enum Action {
    Empty,
    Static(StaticResponse),
    Transformation(TransformationResponse),
    Url(Box<UrlResponse>),
    Ooxml(OoxmlResponse),
    Redirect(Redirect),
    Forward(Forward),
}

impl Action {
    /// Whether rendering it reads the request's data-source context (parameters for transformations, URL and
    /// OOXML templates); the others need only the expanded values.
    pub fn reads_data_sources(&self) -> bool {
        matches!(
            self,
            Action::Transformation(_) | Action::Url(_) | Action::Ooxml(_)
        )
    }
}

#[derive(Debug)]
pub struct StaticResponse {
    pub file: Arc<StaticFile>,
    pub download_filename: Option<Template>,
}

/// `<response-transformation name="…" download-filename="…"/>`.
#[derive(Debug)]
pub struct TransformationResponse {
    /// Index into [`Application::transformers`](super::application::Application::transformers).
    pub transformer: usize,
    pub download_filename: Option<Template>,
}

/// `<ooxml-parameter-expansion source="…" download-filename="…"/>`.
#[derive(Debug)]
pub struct OoxmlResponse {
    pub template: Arc<super::ooxml::OoxmlTemplate>,
    pub download_filename: Template,
}

/// `<response-from-url>`: the upstream body is streamed to the client.
#[derive(Debug)]
pub struct UrlResponse {
    pub spec: super::http_spec::HttpSpec,
    pub options: super::task::HttpOptions,
    pub ignore_if_error: bool,
    pub download_filename: Option<Template>,
}

#[derive(Debug)]
pub struct Forward {
    pub target: String,
    /// Index of the target in [`Application::endpoints`](super::application::Application::endpoints).
    pub target_index: usize,
    /// `None`: forward every parameter of the current context.
    pub input_parameters: Option<Vec<(String, Template)>>,
}
