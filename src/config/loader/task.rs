//! Parses one `<task>`: the class decides the kind (HTTP request, e-mail, uploads saved, request-log capture,
//! short link), each read by its own function; the dependency graph is [`super::task_graph`]'s.

use std::path::Path;

use roxmltree::Node;

use super::condition::parse_condition;
use super::context::{check_data_source_patterns, Context};
use super::email_task::parse_email_task;
use super::from_env::{self, Inline, Source};
use super::suggest::did_you_mean_attribute;
use super::task_graph::{declared, ordinal, Declared};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::condition::OPERATOR_ATTRIBUTES;
use crate::config::model::task::{CaptureTask, SaveUploadsTask, ShortLinkTask, Task, TaskKind};
use crate::config::model::template::{Scope, Template};

const KNOWN_CLASSES: [&str; 5] = [
    "endpoints.task.HttpRequestTask",
    "endpoints.task.EmailTask",
    "endpoints.task.SaveUploadsTask",
    "endpoints.task.RequestLogExpressionCaptureTask",
    "endpoints.task.CreateShortLinkToEndpointTask",
];

/// The attributes of each kind besides `class`, `id` and the condition.
const CAPTURE_ATTRIBUTES: [&str; 2] = ["key", "value"];
const SHORT_LINK_ATTRIBUTES: [&str; 3] = [
    "destination-endpoint-name",
    "output-intermediate-value",
    "expires-in-minutes",
];
const SAVE_UPLOADS_ATTRIBUTES: [&str; 4] = [
    "base-directory",
    "base-directory-from-environment-variable",
    "directory",
    "metadata-file",
];

/// What every kind's parser gets: the task's label for messages, its position and its scope.
struct Head {
    label: String,
    pos: Pos,
    scope: Scope,
}

/// Parses one `<task>` (not yet resolved against the other participants). `scope_of` gives the scope for a set of
/// input intermediate values.
pub fn parse_task(
    file: &Path,
    node: Node,
    index: usize,
    scope_of: &dyn Fn(&[String]) -> Scope,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<(Task, Declared)> {
    let class = node.attribute("class").unwrap_or("");
    let id = node.attribute("id").map(str::to_string);
    let label = match &id {
        Some(i) => format!("<task id='{i}'/>"),
        None => ordinal(index + 1),
    };
    let pos = xml::pos(node);
    if class.is_empty() {
        diags.error(
            file,
            pos,
            format!("{label}: the attribute 'class' is missing"),
        );
        return None;
    }
    if !KNOWN_CLASSES.contains(&class) {
        diags.error(
            file,
            xml::attr_pos(node, "class"),
            format!(
                "{label}: unknown task class '{class}'; known are {}{}",
                KNOWN_CLASSES.join(", "),
                did_you_mean_attribute(class, &KNOWN_CLASSES)
            ),
        );
        return None;
    }
    if matches!(
        class,
        "endpoints.task.RequestLogExpressionCaptureTask"
            | "endpoints.task.CreateShortLinkToEndpointTask"
    ) {
        if let Some(c) = xml::elements(node).next() {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "{label}: <task class='{class}'> takes no child elements (found <{}>)",
                    xml::name(c)
                ),
            );
            return None;
        }
    }
    let decl = declared(file, node, diags);
    let inputs: Vec<String> = decl.inputs.iter().map(|(n, _)| n.clone()).collect();
    let scope = scope_of(&inputs);
    let condition = parse_condition(file, node, &scope, diags);
    let head = Head { label, pos, scope };
    let kind = match class {
        "endpoints.task.HttpRequestTask" => {
            super::http_task::parse(file, node, &head.label, pos, &head.scope, ctx, diags)
        }
        "endpoints.task.RequestLogExpressionCaptureTask" => parse_capture(file, node, &head, diags),
        "endpoints.task.CreateShortLinkToEndpointTask" => {
            parse_short_link(file, node, &head, diags)
        }
        "endpoints.task.SaveUploadsTask" => parse_save_uploads(file, node, &head, ctx, diags),
        _ => parse_email(file, node, &head, ctx, diags),
    }?;
    let task = Task {
        label: head.label,
        id,
        condition,
        depends_on: Vec::new(),
        inputs,
        kind,
        pos,
    };
    if task.condition.is_some() && !task.outputs().is_empty() {
        diags.error(file, pos, format!("{}: Task cannot be optional (if=x equals=x etc.), and also output intermediate values", task.label));
    }
    Some((task, decl))
}

/// Warns about attributes of the `<task>` other than `class`, `id`, the condition and `extra`.
pub(super) fn check_task_attributes(
    file: &Path,
    node: Node,
    extra: &[&str],
    diags: &mut Diagnostics,
) {
    let mut allowed = vec!["class", "id", "if"];
    allowed.extend(extra);
    allowed.extend(OPERATOR_ATTRIBUTES);
    xml::check_attributes(file, node, &allowed, diags);
}

/// A template from attribute `attr` (absent: empty), reported as `{label}: {attr}: …`.
fn attribute_template(
    file: &Path,
    node: Node,
    attr: &str,
    head: &Head,
    diags: &mut Diagnostics,
) -> Option<Template> {
    match Template::compile(node.attribute(attr).unwrap_or(""), &head.scope) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.error(
                file,
                xml::attr_pos(node, attr),
                format!("{}: {attr}: {e}", head.label),
            );
            None
        }
    }
}

/// `endpoints.task.RequestLogExpressionCaptureTask key="…" value="…"`.
fn parse_capture(
    file: &Path,
    node: Node,
    head: &Head,
    diags: &mut Diagnostics,
) -> Option<TaskKind> {
    let label = &head.label;
    check_task_attributes(file, node, &CAPTURE_ATTRIBUTES, diags);
    let (Some(key), Some(_)) = (node.attribute("key"), node.attribute("value")) else {
        diags.error(
            file,
            head.pos,
            format!("{label}: needs the attributes 'key' and 'value'"),
        );
        return None;
    };
    if key.contains("${") {
        diags.error(
            file,
            xml::attr_pos(node, "key"),
            format!("{label}: 'key' may not contain parameters such as ${{foo}}"),
        );
        return None;
    }
    let value = attribute_template(file, node, "value", head, diags)?;
    Some(TaskKind::Capture(CaptureTask {
        key: key.to_string(),
        value,
    }))
}

/// `endpoints.task.CreateShortLinkToEndpointTask destination-endpoint-name output-intermediate-value
/// expires-in-minutes`.
fn parse_short_link(
    file: &Path,
    node: Node,
    head: &Head,
    diags: &mut Diagnostics,
) -> Option<TaskKind> {
    let label = &head.label;
    check_task_attributes(file, node, &SHORT_LINK_ATTRIBUTES, diags);
    let (Some(destination), Some(output), Some(expires)) = (
        node.attribute("destination-endpoint-name"),
        node.attribute("output-intermediate-value"),
        node.attribute("expires-in-minutes"),
    ) else {
        diags.error(
            file,
            head.pos,
            format!("{label}: needs the attributes 'destination-endpoint-name', 'output-intermediate-value' and 'expires-in-minutes'"),
        );
        return None;
    };
    let Some(minutes) = expires
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=100 * 366 * 24 * 60).contains(m))
    else {
        diags.error(
            file,
            xml::attr_pos(node, "expires-in-minutes"),
            format!("{label}: expires-in-minutes='{expires}' must be a whole number of minutes (1 to 100 years)"),
        );
        return None;
    };
    Some(TaskKind::ShortLink(ShortLinkTask {
        destination: destination.to_string(),
        output: output.to_string(),
        expires_minutes: minutes,
    }))
}

/// `endpoints.task.SaveUploadsTask base-directory|base-directory-from-environment-variable directory
/// metadata-file`.
fn parse_save_uploads(
    file: &Path,
    node: Node,
    head: &Head,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> Option<TaskKind> {
    let label = &head.label;
    check_task_attributes(file, node, &SAVE_UPLOADS_ATTRIBUTES, diags);
    let source = Source {
        label,
        inline: Inline::Attribute("base-directory"),
        env_attr: "base-directory-from-environment-variable",
        example: "base-directory=\"…\"",
    };
    let base = from_env::value(file, node, &source, head.pos, diags)?;
    let base_path = Path::new(&base);
    let base_path = if base_path.is_absolute() {
        base_path.to_path_buf()
    } else {
        ctx.dirs.config_dir.join(base_path)
    };
    let Ok(base) = base_path.canonicalize().and_then(|p| {
        if p.is_dir() {
            Ok(p)
        } else {
            Err(std::io::ErrorKind::NotADirectory.into())
        }
    }) else {
        diags.error(
            file,
            head.pos,
            format!(
                "{label}: base directory '{}' does not exist",
                base_path.display()
            ),
        );
        return None;
    };
    let directory = attribute_template(file, node, "directory", head, diags)?;
    let metadata_file = node.attribute("metadata-file").map(str::to_string);
    if let Some(m) = &metadata_file {
        if m.is_empty() || m.contains(['/', '\\']) || m.starts_with('.') {
            diags.error(
                file,
                xml::attr_pos(node, "metadata-file"),
                format!("{label}: metadata-file must be a plain file name"),
            );
            return None;
        }
    }
    Some(TaskKind::SaveUploads(SaveUploadsTask {
        base,
        directory,
        metadata_file,
    }))
}

/// `endpoints.task.EmailTask`: the message (see [`parse_email_task`]), checked against the sending configuration
/// and the data sources of its transformers.
fn parse_email(
    file: &Path,
    node: Node,
    head: &Head,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<TaskKind> {
    let (label, pos, scope) = (&head.label, head.pos, &head.scope);
    check_task_attributes(file, node, &[], diags);
    let email = parse_email_task(
        file,
        node,
        scope,
        ctx.transformers,
        ctx.static_dir,
        &mut ctx.static_budget,
        ctx.ooxml_dir,
        diags,
    )?;
    match ctx.email {
        None => diags.error(
            ctx.email_path,
            Pos::default(),
            format!(
                "'email-sending-configuration.xml' missing: {label} in {} sends e-mail",
                file.display()
            ),
        ),
        Some(config) => {
            for (what, p) in config.described_patterns() {
                if let Err(e) = p.check(scope) {
                    diags.error(
                        file,
                        pos,
                        format!("{label}: email-sending-configuration.xml <{what}>: {e}"),
                    );
                }
            }
        }
    }
    let mut ok = true;
    for t in email.transformers() {
        ok &= check_data_source_patterns(file, pos, label, &ctx.transformers[t], ctx, scope, diags);
    }
    ok.then(|| TaskKind::Email(Box::new(email)))
}
