//! E-mail: `email-sending-configuration.xml` (how mail leaves the engine) and the `endpoints.task.EmailTask`
//! task (what one task sends), compiled.
//!
//! The sending configuration is shared by every endpoint, so its values are name-based [`Pattern`]s; whoever
//! loads the application checks their placeholders against the scope of every EmailTask ([`EmailSendingConfig::patterns`]).
//! An EmailTask belongs to one endpoint, so its values are slot-bound [`Template`]s compiled against the task's scope.

use std::sync::Arc;

use super::condition::Condition;
use super::static_file::StaticFile;
use super::template::{Pattern, Template};

/// `email-sending-configuration.xml`. Every value is a plain-text pattern expanded with the sending task's values.
#[derive(Debug, Clone)]
pub struct EmailSendingConfig {
    /// `<mx-address>`: deliver to the most preferred MX host of this domain, plain SMTP on port 25. Wins over
    /// `server`.
    pub mx_address: Option<Pattern>,
    /// `<server>`: the SMTP relay.
    pub server: Option<Pattern>,
    /// `<port>`; without `${…}` it is checked to be a port number at load.
    pub port: Option<Pattern>,
    /// `<username>` and `<password>`: only when both are present is the relay used with STARTTLS and AUTH
    /// (default port 587); otherwise plain SMTP (default port 25).
    pub username: Option<Pattern>,
    pub password: Option<Pattern>,
    /// `<header name="…">value</header>`, in document order (a later header of the same name replaces an
    /// earlier one, as in the reference). Values are trimmed.
    pub headers: Vec<(String, Pattern)>,
}

impl EmailSendingConfig {
    /// Every pattern, for checking its placeholders against the scope of each EmailTask.
    pub fn patterns(&self) -> Vec<&Pattern> {
        let mut v: Vec<&Pattern> = [
            &self.mx_address,
            &self.server,
            &self.port,
            &self.username,
            &self.password,
        ]
        .into_iter()
        .flatten()
        .collect();
        v.extend(self.headers.iter().map(|(_, p)| p));
        v
    }

    /// Each pattern with the element it came from (`<server>`, `<header name='X'>` …), for messages.
    pub fn described_patterns(&self) -> Vec<(String, &Pattern)> {
        let mut v = Vec::new();
        for (tag, p) in [
            ("mx-address", &self.mx_address),
            ("server", &self.server),
            ("port", &self.port),
            ("username", &self.username),
            ("password", &self.password),
        ] {
            if let Some(p) = p {
                v.push((format!("<{tag}>"), p));
            }
        }
        for (name, p) in &self.headers {
            v.push((format!("<header name='{name}'>"), p));
        }
        v
    }

    /// Whether sending uses STARTTLS and AUTH (both `<username>` and `<password>`, and no `<mx-address>`).
    pub fn authenticated(&self) -> bool {
        self.mx_address.is_none() && self.username.is_some() && self.password.is_some()
    }
}

/// runs.
#[derive(Debug)]
pub enum Attachment {
    /// `<attachment-static filename="…"/>`: MIME filename = the last path component.
    Static {
        file: Arc<StaticFile>,
        condition: Option<Condition>,
    },
    /// `<attachment-transformation name="t" filename="pattern"/>`.
    Transformation {
        /// Index into `Application::transformers`.
        transformer: usize,
        filename: Template,
        condition: Option<Condition>,
    },
    /// `<attachments-from-request-file-uploads/>`: every uploaded file of the request.
    Uploads { condition: Option<Condition> },
    /// `<attachment-ooxml-parameter-expansion source="f" filename="pattern"/>`.
    Ooxml {
        template: Arc<super::ooxml::OoxmlTemplate>,
        filename: Template,
        condition: Option<Condition>,
    },
}

impl Attachment {
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Attachment::Static { condition, .. }
            | Attachment::Transformation { condition, .. }
            | Attachment::Uploads { condition }
            | Attachment::Ooxml { condition, .. } => condition.as_ref(),
        }
    }
}

/// A `<task class="endpoints.task.EmailTask">`: one message per `<to>`, all with the same body.
#[derive(Debug)]
pub struct EmailTask {
    pub from: Template,
    /// One or more.
    pub to: Vec<Template>,
    pub subject: Template,
    /// `<body-transformation>`s (indices into `Application::transformers`), one or more, in order: the
    /// alternatives of the message body.
    pub bodies: Vec<usize>,
    pub attachments: Vec<Attachment>,
}

impl EmailTask {
    /// Every transformer the task runs (bodies, then attachments), for checking their data sources'
    /// placeholders against the task's scope.
    pub fn transformers(&self) -> Vec<usize> {
        let mut v = self.bodies.clone();
        for a in &self.attachments {
            if let Attachment::Transformation { transformer, .. } = a {
                v.push(*transformer);
            }
        }
        v
    }
}
