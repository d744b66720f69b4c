//! Compiles one `<endpoint>` found in `endpoints.xml`: its tasks, `<include-in-hash>`, `<parameter-transformation>`,
//! `<success>`es and `<error>` (the responses themselves are [`super::action`]'s).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use roxmltree::Node;

use super::action::{parse_action, parse_status, ActionSite};
use super::command::parse_command;
use super::condition::parse_condition;
use super::context::Context;
use super::suggest::{did_you_mean_element, elements_or};
use super::task::parse_task;
use super::task_graph::{check_cycles, declared, resolve_dependencies, Declared};
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::action::Action;
use crate::config::model::application::{
    Endpoint, ErrorResponse, Origin, Parameter, ParameterTransformation, Success, ERROR_SCOPE,
};
use crate::config::model::auth::Authentication;
use crate::config::model::redirect;
use crate::config::model::task::Task;
use crate::config::model::template::Scope;

/// The children of `<endpoint>`.
const ENDPOINT_CHILDREN: [&str; 7] = [
    "parameter",
    "authentication",
    "include-in-hash",
    "parameter-transformation",
    "task",
    "success",
    "error",
];

/// The child of `<include-in-hash>`.
const INCLUDE_IN_HASH_CHILDREN: [&str; 1] = ["parameter"];

/// An endpoint found in phase one, before its body is compiled.
pub struct Found<'a, 'i> {
    pub node: Node<'a, 'i>,
    pub name: String,
    pub parameters: Vec<Parameter>,
    pub separator: String,
    pub authentication: Option<Authentication>,
}

/// Compiles a found endpoint; `by_name` gives every endpoint's index (for `<forward-to-endpoint>`).
pub fn compile_endpoint(
    f: &Found,
    by_name: &HashMap<String, usize>,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Endpoint {
    let file = ctx.file.clone();
    let node = f.node;
    let base_names: Vec<String> = f
        .parameters
        .iter()
        .map(|p| p.name.clone())
        .chain(std::iter::once("request-id".to_string()))
        .collect();
    // The secrets' slots follow `request-id`; which of them the endpoint's templates bind is recorded.
    let secrets = secret_names(ctx);
    let bound = Arc::new(Mutex::new(BTreeSet::new()));
    let scope_with = |inputs: &[String]| Scope::with_secrets(&base_names, &secrets, inputs, &bound);
    // Tasks first: <success>es refer to them.
    let tasks = parse_tasks(f, &scope_with, ctx, diags);
    let mut include_in_hash = Vec::new();
    let mut successes = Vec::new();
    let mut error = None;
    let mut parameter_transformation = None;
    let (mut n_pt, mut n_hash, mut n_error, mut n_success) = (0, 0, 0, 0);
    let more_than_one = |what: &str, child: Node, diags: &mut Diagnostics| {
        diags.error(
            &file,
            xml::pos(child),
            format!("<endpoint name='{}'> has more than one <{what}>", f.name),
        );
    };
    for child in xml::elements(node) {
        let child_name = xml::name(child);
        if !ENDPOINT_CHILDREN.contains(&child_name) {
            diags.error(
                &file,
                xml::pos(child),
                format!(
                    "Unexpected element <{child_name}> in <endpoint name='{}'>; expected {}{}",
                    f.name,
                    elements_or(&ENDPOINT_CHILDREN),
                    did_you_mean_element(child_name, &ENDPOINT_CHILDREN)
                ),
            );
            continue;
        }
        match child_name {
            // Read with the folders, or above.
            "parameter" | "authentication" | "task" => {}
            "parameter-transformation" => {
                n_pt += 1;
                if n_pt > 1 {
                    more_than_one("parameter-transformation", child, diags);
                    continue;
                }
                parameter_transformation = parse_parameter_transformation(&file, child, ctx, diags);
            }
            "include-in-hash" => {
                n_hash += 1;
                if n_hash > 1 {
                    more_than_one("include-in-hash", child, diags);
                    continue;
                }
                parse_include_in_hash(&file, child, f, &mut include_in_hash, diags);
            }
            "success" => {
                let site = ActionSite {
                    endpoint: &f.name,
                    index: n_success,
                    is_error: false,
                    by_name,
                };
                n_success += 1;
                successes.extend(parse_success(child, &site, &scope_with, &tasks, ctx, diags));
            }
            "error" => {
                n_error += 1;
                if n_error > 1 {
                    more_than_one("error", child, diags);
                    continue;
                }
                error = parse_error(child, &f.name, by_name, &secrets, ctx, diags);
            }
            _ => unreachable!("every name in ENDPOINT_CHILDREN has an arm"),
        }
    }
    if successes.last().is_none_or(|s| s.condition.is_some()) {
        successes.push(implicit_success(&file, node));
    }
    let secrets_used = used_secrets(&bound, base_names.len());
    Endpoint {
        name: f.name.clone(),
        origin: Origin {
            file: file.clone(),
            pos: xml::pos(node),
        },
        parameters: f.parameters.clone(),
        separator: f.separator.clone(),
        authentication: f.authentication.clone(),
        include_in_hash,
        successes,
        error,
        parameter_transformation,
        tasks,
        secrets,
        secrets_used,
    }
}

/// The `secrets.xml` parameter names, each once, in the file's order.
fn secret_names(ctx: &Context) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for n in &ctx.secret_parameters {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// The secret slots recorded in `bound`, as indices into the secrets (whose slots start at `first`).
fn used_secrets(bound: &Mutex<BTreeSet<usize>>, first: usize) -> Vec<usize> {
    let bound = bound.lock().unwrap_or_else(|e| e.into_inner());
    bound.iter().map(|slot| slot - first).collect()
}

/// The implicit last `<success>` (when the last one has a condition): an empty answer.
fn implicit_success(file: &Arc<PathBuf>, node: Node) -> Success {
    Success {
        condition: None,
        status: None,
        action: Action::Empty,
        origin: Origin {
            file: file.clone(),
            pos: xml::pos(node),
        },
        depends_on: Vec::new(),
        inputs: Vec::new(),
    }
}

/// The endpoint's `<task>`s with their dependencies resolved; cycles are reported.
fn parse_tasks(
    f: &Found,
    scope_with: &dyn Fn(&[String]) -> Scope,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Vec<Task> {
    let file = ctx.file.clone();
    let mut tasks: Vec<Task> = Vec::new();
    let mut declared: Vec<Declared> = Vec::new();
    for (task_index, child) in xml::elements(f.node)
        .filter(|c| xml::name(*c) == "task")
        .enumerate()
    {
        if let Some((t, d)) = parse_task(&file, child, task_index, scope_with, ctx, diags) {
            for out in t.outputs() {
                if f.parameters.iter().any(|p| p.name == out) {
                    diags.error(&file, t.pos, format!("Task produces <output-intermediate-value name='{out}'> but there is already a <parameter name='{out}'> defined. Choose a different name for the output intermediate value"));
                }
            }
            tasks.push(t);
            declared.push(d);
        }
    }
    for i in 0..tasks.len() {
        let label = tasks[i].label.clone();
        tasks[i].depends_on = resolve_dependencies(&file, &label, &declared[i], &tasks, diags);
    }
    check_cycles(&file, &tasks, diags);
    tasks
}

/// `<include-in-hash><parameter name="…"/>…</include-in-hash>`: indices into the endpoint's parameters.
fn parse_include_in_hash(
    file: &Path,
    child: Node,
    f: &Found,
    include_in_hash: &mut Vec<usize>,
    diags: &mut Diagnostics,
) {
    xml::check_attributes(file, child, &[], diags);
    for p in xml::elements(child) {
        let name = xml::name(p);
        if !INCLUDE_IN_HASH_CHILDREN.contains(&name) {
            diags.error(
                file,
                xml::pos(p),
                format!(
                    "Unexpected element <{name}> in <include-in-hash>; expected <parameter name='…'/>{}",
                    did_you_mean_element(name, &INCLUDE_IN_HASH_CHILDREN)
                ),
            );
            continue;
        }
        xml::check_attributes(file, p, &["name"], diags);
        let Some(name) = p.attribute("name") else {
            diags.error(
                file,
                xml::pos(p),
                "<parameter> in <include-in-hash> is missing the attribute 'name'",
            );
            continue;
        };
        match f.parameters.iter().position(|q| q.name == name) {
            Some(i) => include_in_hash.push(i),
            None => diags.error(
                file,
                xml::attr_pos(p, "name"),
                format!(
                    "Endpoint has <include-in-hash> parameter '{name}' but this endpoint does not have a parameter of that name"
                ),
            ),
        }
    }
}

/// One `<success>`: its condition, status, the tasks it waits for and its response.
fn parse_success(
    child: Node,
    site: &ActionSite,
    scope_with: &dyn Fn(&[String]) -> Scope,
    tasks: &[Task],
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<Success> {
    let file = ctx.file.clone();
    let decl = declared(&file, child, diags);
    let inputs: Vec<String> = decl.inputs.iter().map(|(n, _)| n.clone()).collect();
    let scope = scope_with(&inputs);
    let condition = parse_condition(&file, child, &scope, diags);
    let status = parse_status(&file, child, false, diags);
    let action = parse_action(child, &scope, site, ctx, diags);
    let participant = match child.attribute("if") {
        Some(c) => format!("<success if='{c}'>"),
        None => "<success>".to_string(),
    };
    let depends_on = resolve_dependencies(&file, &participant, &decl, tasks, diags);
    let action = action?;
    if let (Action::Redirect(_), Some(s)) = (&action, status) {
        if let Err(e) = redirect::check_status(s) {
            diags.error(&file, xml::attr_pos(child, "status"), e.to_string());
        }
    }
    if matches!(action, Action::Empty) && (!decl.after.is_empty() || !decl.inputs.is_empty()) {
        diags.error(&file, xml::pos(child), format!("<endpoint name='{}'> <success> #{}: an empty <success> cannot wait for tasks (<after>, <input-intermediate-value>)", site.endpoint, site.index + 1));
    }
    Some(Success {
        condition,
        status,
        action,
        origin: Origin {
            file: file.clone(),
            pos: xml::pos(child),
        },
        depends_on,
        inputs,
    })
}

/// The `<error>`: its condition, status and response, in the error scope.
fn parse_error(
    child: Node,
    endpoint: &str,
    by_name: &HashMap<String, usize>,
    secrets: &[String],
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<ErrorResponse> {
    let file = ctx.file.clone();
    let names: Vec<String> = ERROR_SCOPE.iter().map(|n| n.to_string()).collect();
    let bound = Arc::new(Mutex::new(BTreeSet::new()));
    let scope = Scope::with_secrets(&names, secrets, &[], &bound);
    let condition = parse_condition(&file, child, &scope, diags);
    let status = parse_status(&file, child, true, diags);
    let site = ActionSite {
        endpoint,
        index: 0,
        is_error: true,
        by_name,
    };
    let action = parse_action(child, &scope, &site, ctx, diags)?;
    Some(ErrorResponse {
        condition,
        status,
        action,
        secrets_used: used_secrets(&bound, names.len()),
    })
}

/// `<parameter-transformation xslt="…">` with its data-source commands.
fn parse_parameter_transformation(
    file: &Path,
    node: Node,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<ParameterTransformation> {
    xml::check_attributes(file, node, &["xslt"], diags);
    let x = xml::required_attribute(file, node, "xslt", diags)?;
    let path = ctx.dirs.config_dir.join("parameter-xslt").join(x);
    let mut commands = Vec::new();
    let mut ok = true;
    for c in xml::elements(node) {
        match parse_command(file, c, ctx.dirs, ctx.compiler, diags) {
            Some(cmd) => commands.push(cmd),
            None => ok = false,
        }
    }
    if !path.is_file() {
        diags.error(
            file,
            xml::attr_pos(node, "xslt"),
            format!("XSLT file '{x}' not found in 'parameter-xslt'"),
        );
        return None;
    }
    let xslt = ctx
        .compiler
        .compile(&path, file, xml::attr_pos(node, "xslt"), diags)?;
    ok.then_some(ParameterTransformation { xslt, commands })
}
