//! Parses a `<task class="endpoints.task.EmailTask">`: `<from>`, `<to>`s, `<subject>`, the
//! `<body-transformation>`s and the attachments, each compiled against the task's scope.

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::condition::{parse_optional_condition, with_condition_attributes};
use super::suggest::{did_you_mean_element, elements_comma};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::condition::CONDITION_ATTRIBUTES;
use crate::config::model::data_source::Transformer;
use crate::config::model::email::{Attachment, EmailTask};
use crate::config::model::static_file;
use crate::config::model::template::{Scope, Template};

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

/// What the children are compiled against.
struct Env<'a> {
    file: &'a Path,
    scope: &'a Scope,
    transformers: &'a [Transformer],
    static_dir: &'a Path,
    ooxml_dir: &'a Path,
}

/// The task as its children are read.
#[derive(Default)]
struct Parts {
    from: Option<(Option<Template>, Pos)>,
    subject: Option<(Option<Template>, Pos)>,
    to: Vec<Template>,
    any_to: bool,
    bodies: Vec<usize>,
    any_body: bool,
    attachments: Vec<Attachment>,
}

/// Parses the children of a `<task class="endpoints.task.EmailTask">` element. The task's own attributes
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
    let env = Env {
        file,
        scope,
        transformers,
        static_dir,
        ooxml_dir,
    };
    let mut p = Parts::default();
    let mut ok = true;
    for c in xml::elements(node) {
        let name = xml::name(c);
        if !TASK_CHILDREN.contains(&name) {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "Unexpected element <{name}> in EmailTask; expected one of {}{}",
                    elements_comma(&TASK_CHILDREN),
                    did_you_mean_element(name, &TASK_CHILDREN)
                ),
            );
            ok = false;
            continue;
        }
        ok &= match name {
            t if TASK_COMMON_CHILDREN.contains(&t) => true,
            "from" | "subject" => parse_single(&env, c, &mut p, diags),
            "to" => {
                p.any_to = true;
                match text_template(&env, c, diags) {
                    Some(t) => {
                        let empty = !t.has_placeholders() && t.source().is_empty();
                        if empty {
                            diags.error(file, xml::pos(c), "<to> is empty");
                        }
                        p.to.push(t);
                        !empty
                    }
                    None => false,
                }
            }
            "body-transformation" => {
                p.any_body = true;
                xml::check_attributes(file, c, &["name"], diags);
                transformer(&env, c, diags)
                    .map(|t| p.bodies.push(t))
                    .is_some()
            }
            "attachment-static" => attach_static(&env, c, static_budget, &mut p, diags),
            "attachment-transformation" => attach_transformation(&env, c, &mut p, diags),
            "attachments-from-request-file-uploads" => {
                xml::check_attributes(file, c, &CONDITION_ATTRIBUTES, diags);
                match parse_optional_condition(file, c, scope, diags) {
                    Ok(condition) => {
                        p.attachments.push(Attachment::Uploads { condition });
                        true
                    }
                    Err(()) => false,
                }
            }
            "attachment-ooxml-parameter-expansion" => attach_ooxml(&env, c, &mut p, diags),
            _ => unreachable!("every name in TASK_CHILDREN has an arm"),
        };
    }
    ok &= check_complete(file, node, &p, diags);
    if !ok {
        return None;
    }
    Some(EmailTask {
        from: p.from?.0?,
        to: p.to,
        subject: p.subject?.0?,
        bodies: p.bodies,
        attachments: p.attachments,
    })
}

/// Reports what is missing: `<from>`, `<subject>`, a `<to>`, a `<body-transformation>`.
fn check_complete(file: &Path, node: Node, p: &Parts, diags: &mut Diagnostics) -> bool {
    let mut ok = true;
    for (what, slot) in [("from", &p.from), ("subject", &p.subject)] {
        if slot.is_none() {
            diags.error(
                file,
                xml::pos(node),
                format!("EmailTask: <{what}> is missing"),
            );
            ok = false;
        }
    }
    if !p.any_to {
        diags.error(
            file,
            xml::pos(node),
            "At least one <to> must be present, otherwise no emails would be sent, and the task would be pointless",
        );
        ok = false;
    }
    if !p.any_body {
        diags.error(file, xml::pos(node), "<body-transformation> is missing");
        ok = false;
    }
    ok
}

/// `<from>` or `<subject>`: at most one of each.
fn parse_single(env: &Env, c: Node, p: &mut Parts, diags: &mut Diagnostics) -> bool {
    let tag = xml::name(c);
    let slot = if tag == "from" {
        &mut p.from
    } else {
        &mut p.subject
    };
    if let Some((_, first)) = slot {
        diags.error(
            env.file,
            xml::pos(c),
            format!(
                "More than one <{tag}> in EmailTask (the first is at line {})",
                first.line
            ),
        );
        return false;
    }
    let t = text_template(env, c, diags);
    let ok = t.is_some();
    *slot = Some((t, xml::pos(c)));
    ok
}

/// A template from an element's trimmed text; `None` (reported) on an unknown placeholder.
fn text_template(env: &Env, c: Node, diags: &mut Diagnostics) -> Option<Template> {
    xml::check_attributes(env.file, c, &[], diags);
    if !xml::no_child_elements(env.file, c, "may only contain text", diags) {
        return None;
    }
    let text = xml::text_content(c);
    match Template::compile(text.trim(), env.scope) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.error(
                env.file,
                xml::text_pos(c),
                format!("<{}>: {e}", xml::name(c)),
            );
            None
        }
    }
}

/// A template from attribute `attr`; `None` (reported as `<tag> attr: …`) on an unknown placeholder.
fn attribute_template(
    env: &Env,
    c: Node,
    attr: &str,
    value: &str,
    diags: &mut Diagnostics,
) -> Option<Template> {
    match Template::compile(value, env.scope) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.error(
                env.file,
                xml::attr_pos(c, attr),
                format!("<{}> {attr}: {e}", xml::name(c)),
            );
            None
        }
    }
}

/// The transformer named by `name="…"`, reported when absent or unknown.
fn transformer(env: &Env, c: Node, diags: &mut Diagnostics) -> Option<usize> {
    let tag = xml::name(c);
    let name = xml::required_attribute(env.file, c, "name", diags)?;
    let found = env.transformers.iter().position(|t| t.name == name);
    if found.is_none() {
        diags.error(
            env.file,
            xml::attr_pos(c, "name"),
            format!("<{tag}>: Referenced transformation '{name}' not found"),
        );
    }
    found
}

/// `<attachment-static filename="…"/>`.
fn attach_static(
    env: &Env,
    c: Node,
    static_budget: &mut u64,
    p: &mut Parts,
    diags: &mut Diagnostics,
) -> bool {
    let file = env.file;
    xml::check_attributes(file, c, &with_condition_attributes(&["filename"]), diags);
    let cond = parse_optional_condition(file, c, env.scope, diags);
    let Some(filename) = xml::required_attribute(file, c, "filename", diags) else {
        return false;
    };
    match static_file::resolve(env.static_dir, filename, static_budget) {
        Ok(f) => match cond {
            Ok(condition) => {
                p.attachments.push(Attachment::Static {
                    file: Arc::new(f),
                    condition,
                });
                true
            }
            Err(()) => false,
        },
        Err(e) => {
            diags.error(
                file,
                xml::attr_pos(c, "filename"),
                format!("<attachment-static>: {e}"),
            );
            false
        }
    }
}

/// `<attachment-transformation name="t" filename="pattern"/>`.
fn attach_transformation(env: &Env, c: Node, p: &mut Parts, diags: &mut Diagnostics) -> bool {
    let file = env.file;
    xml::check_attributes(
        file,
        c,
        &with_condition_attributes(&["name", "filename"]),
        diags,
    );
    let cond = parse_optional_condition(file, c, env.scope, diags);
    let t = transformer(env, c, diags);
    let filename = xml::required_attribute(file, c, "filename", diags)
        .and_then(|f| attribute_template(env, c, "filename", f, diags));
    match (t, filename, cond) {
        (Some(transformer), Some(filename), Ok(condition)) => {
            p.attachments.push(Attachment::Transformation {
                transformer,
                filename,
                condition,
            });
            true
        }
        _ => false,
    }
}

/// `<attachment-ooxml-parameter-expansion source="f" filename="pattern"/>`.
fn attach_ooxml(env: &Env, c: Node, p: &mut Parts, diags: &mut Diagnostics) -> bool {
    let file = env.file;
    xml::check_attributes(
        file,
        c,
        &with_condition_attributes(&["source", "filename"]),
        diags,
    );
    let cond = parse_optional_condition(file, c, env.scope, diags);
    let (Some(source), Some(f)) = (c.attribute("source"), c.attribute("filename")) else {
        diags.error(
            file,
            xml::pos(c),
            "<attachment-ooxml-parameter-expansion> needs the attributes 'source' and 'filename'",
        );
        return false;
    };
    let template = match super::ooxml::load(env.ooxml_dir, source) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            diags.error(
                file,
                xml::attr_pos(c, "source"),
                format!("<attachment-ooxml-parameter-expansion>: {e}"),
            );
            return false;
        }
    };
    let mut ok = super::ooxml::check_parts(&template, env.scope, |e| {
        diags.error(
            file,
            xml::attr_pos(c, "source"),
            format!("<attachment-ooxml-parameter-expansion>: {e}"),
        )
    });
    let Some(filename) = attribute_template(env, c, "filename", f, diags) else {
        return false;
    };
    match cond {
        Ok(condition) => p.attachments.push(Attachment::Ooxml {
            template,
            filename,
            condition,
        }),
        Err(()) => ok = false,
    }
    ok
}
