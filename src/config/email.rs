//! E-mail: `email-sending-configuration.xml` (how mail leaves the engine) and the `endpoints.task.EmailTask`
//! task (what one task sends), both read and checked at load (§9.3).
//!
//! The sending configuration is shared by every endpoint, so its values are name-based [`Pattern`]s; whoever
//! loads the application checks their placeholders against the scope of every EmailTask ([`EmailSendingConfig::patterns`]).
//! An EmailTask belongs to one endpoint, so its values are slot-bound [`Template`]s compiled against the task's scope.

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::condition::{Condition, CONDITION_ATTRIBUTES};
use super::data_source::Transformer;
use super::endpoints::parse_condition;
use super::error::{Diagnostics, Pos};
use super::static_file::{self, StaticFile};
use super::template::{Pattern, Scope, Template};
use super::xml;

/// The file name, in the configuration directory.
pub const EMAIL_CONFIG_FILE: &str = "email-sending-configuration.xml";

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

const CONFIG_CHILDREN: [&str; 6] = [
    "mx-address",
    "server",
    "username",
    "password",
    "port",
    "header",
];

/// Headers the engine writes itself; configuring them would contradict the message or its envelope.
const ENGINE_HEADERS: [&str; 11] = [
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "sender",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Parses `email-sending-configuration.xml` (§9.3). Every problem is reported with its position; `None` when the
/// file cannot be used.
pub fn load_email_config(path: &Path, diags: &mut Diagnostics) -> Option<EmailSendingConfig> {
    let text = xml::read_text(path, diags)?;
    let doc = xml::parse(path, &text, diags)?;
    let root = doc.root_element();
    if xml::name(root) != "email-sending-configuration" {
        diags.error(
            path,
            xml::pos(root),
            format!(
                "Root element must be <email-sending-configuration>, found <{}>",
                xml::name(root)
            ),
        );
        return None;
    }
    xml::check_attributes(path, root, &[], diags);
    let mut ok = true;
    let mut single: [Option<(Pattern, Pos)>; 5] = Default::default();
    let mut headers: Vec<(String, Pattern)> = Vec::new();
    for c in xml::elements(root) {
        let tag = xml::name(c);
        let Some(index) = CONFIG_CHILDREN.iter().position(|t| *t == tag) else {
            diags.error(
                path,
                xml::pos(c),
                format!(
                    "Unexpected element <{tag}> in <email-sending-configuration>; expected one of {}",
                    CONFIG_CHILDREN
                        .iter()
                        .map(|t| format!("<{t}>"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
            continue;
        };
        if let Some(e) = xml::elements(c).next() {
            diags.error(
                path,
                xml::pos(e),
                format!("<{tag}> may only contain text, found <{}>", xml::name(e)),
            );
            ok = false;
            continue;
        }
        if tag == "header" {
            xml::check_attributes(path, c, &["name"], diags);
            let Some(name) = c.attribute("name") else {
                diags.error(
                    path,
                    xml::pos(c),
                    "<header> is missing the attribute 'name'",
                );
                ok = false;
                continue;
            };
            if lettre::message::header::HeaderName::new_from_ascii(name.to_string()).is_err()
                || name.bytes().any(|b| b.is_ascii_control())
            {
                diags.error(
                    path,
                    xml::attr_pos(c, "name"),
                    format!("<header name='{name}'>: not a valid e-mail header name (printable ASCII without ':' or spaces, at most 76 characters)"),
                );
                ok = false;
                continue;
            }
            if ENGINE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                diags.error(
                    path,
                    xml::attr_pos(c, "name"),
                    format!("<header name='{name}'>: this header is written by the engine and cannot be configured"),
                );
                ok = false;
                continue;
            }
            let value = Pattern::plain(xml::text_content(c).trim());
            if let Some(i) = headers
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                diags.warning(
                    path,
                    xml::pos(c),
                    format!("<header name='{name}'> appears more than once; the last one is used"),
                );
                headers.remove(i);
            }
            headers.push((name.to_string(), value));
            continue;
        }
        xml::check_attributes(path, c, &[], diags);
        if let Some((_, first)) = &single[index] {
            diags.error(
                path,
                xml::pos(c),
                format!(
                    "More than one <{tag}> in <email-sending-configuration> (the first is at line {})",
                    first.line
                ),
            );
            ok = false;
            continue;
        }
        // Values are not trimmed (as in the reference), but surrounding white space is almost always a mistake.
        let value = xml::text_content(c);
        if value.trim() != value {
            diags.warning(
                path,
                xml::pos(c),
                format!("<{tag}> has white space around it, which is part of the value"),
            );
        }
        if tag == "port" && !value.contains("${") && value.parse::<u16>().is_err() {
            diags.error(
                path,
                xml::text_pos(c),
                format!("<port>: '{value}' is not a port number (an integer from 0 to 65535)"),
            );
            ok = false;
        }
        single[index] = Some((Pattern::plain(&value), xml::pos(c)));
    }
    if let Some((p, _)) = &single[3] {
        diags.secret(p.source());
    }
    let [mx_address, server, username, password, port] = single.map(|o| o.map(|(p, _)| p));
    if server.is_none() && mx_address.is_none() {
        diags.error(
            path,
            xml::pos(root),
            "One of either <server> or <mx-address> must be specified",
        );
        ok = false;
    }
    if mx_address.is_some() {
        for (what, present) in [
            ("<server>", server.is_some()),
            ("<port>", port.is_some()),
            ("<username>", username.is_some()),
            ("<password>", password.is_some()),
        ] {
            if present {
                diags.warning(
                    path,
                    xml::pos(root),
                    format!("{what} is ignored because <mx-address> is given (mail goes to the MX host, port 25, without authentication)"),
                );
            }
        }
    } else if username.is_some() != password.is_some() {
        diags.warning(
            path,
            xml::pos(root),
            "Only one of <username> and <password> is given: mail is sent without STARTTLS and without authentication",
        );
    }
    ok.then_some(EmailSendingConfig {
        mx_address,
        server,
        port,
        username,
        password,
        headers,
    })
}

/// One attachment of an EmailTask, in document order; each with an optional condition evaluated when the task
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
        /// Index into [`super::Application::transformers`].
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
    /// `<body-transformation>`s (indices into [`super::Application::transformers`]), one or more, in order: the
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

/// Children the caller handles.
const TASK_COMMON_CHILDREN: [&str; 2] = ["after", "input-intermediate-value"];
const TASK_CHILDREN: [&str; 10] = [
    "after",
    "input-intermediate-value",
    "from",
    "to",
    "subject",
    "body-transformation",
    "attachment-static",
    "attachment-transformation",
    "attachment-ooxml-parameter-expansion",
    "attachments-from-request-file-uploads",
];

/// Parses the children of a `<task class="endpoints.task.EmailTask">` element (§9.3). The task's own attributes
/// and its `<after>` / `<input-intermediate-value>` children are the caller's. Every template and condition is
/// compiled against `scope` (the endpoint's parameters, `request-id`, then the task's input intermediate values).
#[allow(clippy::too_many_arguments)]
pub fn parse_email_task(
    file: &Path,
    node: Node,
    scope: &Scope,
    transformers: &[Transformer],
    static_dir: &Path,
    static_budget: &mut u64,
    ooxml_dir: &Path,
    diags: &mut Diagnostics,
) -> Option<EmailTask> {
    let mut ok = true;
    let mut from: Option<(Option<Template>, Pos)> = None;
    let mut subject: Option<(Option<Template>, Pos)> = None;
    let mut to = Vec::new();
    let mut any_to = false;
    let mut bodies = Vec::new();
    let mut any_body = false;
    let mut attachments = Vec::new();

    // A template from an element's trimmed text; `None` (reported) on an unknown placeholder.
    let text_template = |c: Node, diags: &mut Diagnostics| -> Option<Template> {
        xml::check_attributes(file, c, &[], diags);
        if let Some(e) = xml::elements(c).next() {
            diags.error(
                file,
                xml::pos(e),
                format!(
                    "<{}> may only contain text, found <{}>",
                    xml::name(c),
                    xml::name(e)
                ),
            );
            return None;
        }
        let text = xml::text_content(c);
        match Template::compile(text.trim(), scope) {
            Ok(t) => Some(t),
            Err(e) => {
                diags.error(file, xml::text_pos(c), format!("<{}>: {e}", xml::name(c)));
                None
            }
        }
    };
    let transformer = |c: Node, diags: &mut Diagnostics| -> Option<usize> {
        let tag = xml::name(c);
        let Some(name) = c.attribute("name") else {
            diags.error(
                file,
                xml::pos(c),
                format!("<{tag}> is missing the attribute 'name'"),
            );
            return None;
        };
        let found = transformers.iter().position(|t| t.name == name);
        if found.is_none() {
            diags.error(
                file,
                xml::attr_pos(c, "name"),
                format!("<{tag}>: Referenced transformation '{name}' not found"),
            );
        }
        found
    };
    let condition = |c: Node, diags: &mut Diagnostics| -> Result<Option<Condition>, ()> {
        if !c.has_attribute("if") {
            for a in &CONDITION_ATTRIBUTES[1..] {
                if c.has_attribute(*a) {
                    diags.warning(
                        file,
                        xml::attr_pos(c, a),
                        format!(
                            "<{}> has '{a}' but no 'if': the attribute is ignored and the element is unconditional",
                            xml::name(c)
                        ),
                    );
                }
            }
            return Ok(None);
        }
        parse_condition(file, c, scope, diags).map(Some).ok_or(())
    };
    let with_condition = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = extra.to_vec();
        v.extend_from_slice(&CONDITION_ATTRIBUTES);
        v
    };

    for c in xml::elements(node) {
        let tag = xml::name(c);
        match tag {
            t if TASK_COMMON_CHILDREN.contains(&t) => {}
            "from" | "subject" => {
                let slot = if tag == "from" {
                    &mut from
                } else {
                    &mut subject
                };
                if let Some((_, first)) = slot {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!(
                            "More than one <{tag}> in EmailTask (the first is at line {})",
                            first.line
                        ),
                    );
                    ok = false;
                    continue;
                }
                let t = text_template(c, diags);
                ok &= t.is_some();
                *slot = Some((t, xml::pos(c)));
            }
            "to" => {
                any_to = true;
                match text_template(c, diags) {
                    Some(t) => {
                        if !t.has_placeholders() && t.source().is_empty() {
                            diags.error(file, xml::pos(c), "<to> is empty");
                            ok = false;
                        }
                        to.push(t)
                    }
                    None => ok = false,
                }
            }
            "body-transformation" => {
                any_body = true;
                xml::check_attributes(file, c, &["name"], diags);
                match transformer(c, diags) {
                    Some(t) => bodies.push(t),
                    None => ok = false,
                }
            }
            "attachment-static" => {
                xml::check_attributes(file, c, &with_condition(&["filename"]), diags);
                let cond = condition(c, diags);
                let Some(filename) = c.attribute("filename") else {
                    diags.error(
                        file,
                        xml::pos(c),
                        "<attachment-static> is missing the attribute 'filename'",
                    );
                    ok = false;
                    continue;
                };
                match static_file::resolve(static_dir, filename, static_budget) {
                    Ok(f) => match cond {
                        Ok(condition) => attachments.push(Attachment::Static {
                            file: Arc::new(f),
                            condition,
                        }),
                        Err(()) => ok = false,
                    },
                    Err(e) => {
                        diags.error(
                            file,
                            xml::attr_pos(c, "filename"),
                            format!("<attachment-static>: {e}"),
                        );
                        ok = false;
                    }
                }
            }
            "attachment-transformation" => {
                xml::check_attributes(file, c, &with_condition(&["name", "filename"]), diags);
                let cond = condition(c, diags);
                let t = transformer(c, diags);
                let filename = match c.attribute("filename") {
                    None => {
                        diags.error(
                            file,
                            xml::pos(c),
                            "<attachment-transformation> is missing the attribute 'filename'",
                        );
                        None
                    }
                    Some(f) => match Template::compile(f, scope) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            diags.error(
                                file,
                                xml::attr_pos(c, "filename"),
                                format!("<attachment-transformation> filename: {e}"),
                            );
                            None
                        }
                    },
                };
                match (t, filename, cond) {
                    (Some(transformer), Some(filename), Ok(condition)) => {
                        attachments.push(Attachment::Transformation {
                            transformer,
                            filename,
                            condition,
                        })
                    }
                    _ => ok = false,
                }
            }
            "attachments-from-request-file-uploads" => {
                xml::check_attributes(file, c, &CONDITION_ATTRIBUTES, diags);
                match condition(c, diags) {
                    Ok(condition) => attachments.push(Attachment::Uploads { condition }),
                    Err(()) => ok = false,
                }
            }
            "attachment-ooxml-parameter-expansion" => {
                xml::check_attributes(file, c, &with_condition(&["source", "filename"]), diags);
                let cond = condition(c, diags);
                let (Some(source), Some(f)) = (c.attribute("source"), c.attribute("filename"))
                else {
                    diags.error(file, xml::pos(c), "<attachment-ooxml-parameter-expansion> needs the attributes 'source' and 'filename'");
                    ok = false;
                    continue;
                };
                let template = match super::ooxml::load(ooxml_dir, source) {
                    Ok(t) => Arc::new(t),
                    Err(e) => {
                        diags.error(
                            file,
                            xml::attr_pos(c, "source"),
                            format!("<attachment-ooxml-parameter-expansion>: {e}"),
                        );
                        ok = false;
                        continue;
                    }
                };
                for (part, pattern) in &template.parts {
                    if let Err(e) = pattern.check(scope) {
                        diags.error(
                            file,
                            xml::attr_pos(c, "source"),
                            format!("<attachment-ooxml-parameter-expansion>: template '{source}', part '{part}' contains ${{{}}} but it is not available; {}", e.name, e.available),
                        );
                        ok = false;
                    }
                }
                let filename = match Template::compile(f, scope) {
                    Ok(t) => t,
                    Err(e) => {
                        diags.error(
                            file,
                            xml::attr_pos(c, "filename"),
                            format!("<attachment-ooxml-parameter-expansion> filename: {e}"),
                        );
                        ok = false;
                        continue;
                    }
                };
                match cond {
                    Ok(condition) => attachments.push(Attachment::Ooxml {
                        template,
                        filename,
                        condition,
                    }),
                    Err(()) => ok = false,
                }
            }
            other => {
                diags.error(
                    file,
                    xml::pos(c),
                    format!(
                        "Unexpected element <{other}> in EmailTask; expected one of {}",
                        TASK_CHILDREN
                            .iter()
                            .map(|t| format!("<{t}>"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    for (what, slot) in [("from", &from), ("subject", &subject)] {
        if slot.is_none() {
            diags.error(
                file,
                xml::pos(node),
                format!("EmailTask: <{what}> is missing"),
            );
            ok = false;
        }
    }
    if !any_to {
        diags.error(
            file,
            xml::pos(node),
            "At least one <to> must be present, otherwise no emails would be sent, and the task would be pointless",
        );
        ok = false;
    }
    if !any_body {
        diags.error(file, xml::pos(node), "<body-transformation> is missing");
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(EmailTask {
        from: from?.0?,
        to,
        subject: subject?.0?,
        bodies,
        attachments,
    })
}
