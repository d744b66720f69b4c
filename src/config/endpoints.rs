//! `endpoints.xml`: the endpoint-folder hierarchy, parameters and their inheritance, `<include-in-hash>`,
//! `<success>`/`<error>` actions and the whole-file checks (unique names, forward targets and cycles).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::StatusCode;
use roxmltree::Node;

use super::condition::{Condition, Operator, OPERATOR_ATTRIBUTES};
use super::data_source::{self, Compiler, DataSource, Dirs, Transformer};
use super::error::{Diagnostics, Pos};
use super::model::{
    Action, Endpoint, ErrorResponse, Forward, Origin, Parameter, ParameterTransformation, Redirect,
    StaticResponse, Success, TransformationResponse, ERROR_SCOPE,
};
use super::static_file::{self, StaticFile};
use super::task::{self, Task};
use super::template::{Scope, Template};
use super::xml;

/// What a success/error parser needs from the rest of the application.
pub struct Context<'a> {
    pub file: Arc<PathBuf>,
    pub static_dir: &'a Path,
    pub static_cache: HashMap<String, Arc<StaticFile>>,
    pub static_budget: u64,
    pub data_sources: &'a [DataSource],
    pub transformers: &'a [Transformer],
    pub email: Option<&'a super::email::EmailSendingConfig>,
    pub email_path: &'a Path,
    pub ooxml_cache: HashMap<String, Arc<super::ooxml::OoxmlTemplate>>,
    pub ooxml_dir: &'a Path,
    pub compiler: &'a mut Compiler,
    pub dirs: &'a Dirs<'a>,
}

fn is_valid_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether a name can appear in a URL path segment (`[\w-]+`).
pub fn is_url_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// Paths the server answers itself; an endpoint of the same name is reachable only as `/{application}/{name}`.
pub const RESERVED_PATHS: [&str; 2] = ["health-check", "metrics"];

/// An endpoint found in phase one, before its body is compiled.
struct Found<'a, 'i> {
    node: Node<'a, 'i>,
    name: String,
    parameters: Vec<Parameter>,
    separator: String,
    authentication: Option<super::auth::Authentication>,
}

const UNSUPPORTED_ACTIONS: [&str; 0] = [];
const ACTION_PRIORITY: [&str; 6] = [
    "response-from-static",
    "response-from-url",
    "response-transformation",
    "ooxml-parameter-expansion",
    "redirect-to",
    "forward-to-endpoint",
];

/// Parses `endpoints.xml`. Endpoints are returned in document order.
pub fn parse(text: &str, ctx: &mut Context, diags: &mut Diagnostics) -> Vec<Endpoint> {
    let file = ctx.file.clone();
    let Some(doc) = xml::parse(&file, text, diags) else {
        return Vec::new();
    };
    let root = doc.root_element();
    if xml::name(root) != "endpoint-folder" {
        diags.error(
            &file,
            xml::pos(root),
            format!(
                "Root element must be <endpoint-folder>, found <{}>",
                xml::name(root)
            ),
        );
        return Vec::new();
    }
    let mut found = Vec::new();
    collect_folder(&file, root, &[], "||", None, &mut found, diags);

    // Unique names across the whole file.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, f) in found.iter().enumerate() {
        if let Some(&first) = by_name.get(&f.name) {
            let first_pos = xml::pos(found[first].node);
            diags.error(
                &file,
                xml::attr_pos(f.node, "name"),
                format!(
                    "More than one <endpoint name='{}'> (the first is at line {})",
                    f.name, first_pos.line
                ),
            );
        } else {
            by_name.insert(f.name.clone(), i);
        }
    }

    let mut endpoints = Vec::with_capacity(found.len());
    for f in &found {
        endpoints.push(compile_endpoint(f, &by_name, ctx, diags));
    }
    if check_forward_cycles(&file, &found, &endpoints, diags) {
        check_capture_keys(&file, &found, &endpoints, diags);
    }
    endpoints
}

/// Request-log capture keys must be unique along every forward chain (§1.5); different branches may share a key.
fn check_capture_keys(
    file: &Path,
    found: &[Found],
    endpoints: &[Endpoint],
    diags: &mut Diagnostics,
) {
    fn keys(e: &Endpoint) -> Vec<&str> {
        e.tasks
            .iter()
            .filter_map(|t| match &t.kind {
                super::task::TaskKind::Capture(c) => Some(c.key.as_str()),
                _ => None,
            })
            .collect()
    }
    let mut reported: std::collections::HashSet<(String, Vec<usize>)> = Default::default();
    // Depth-first along forwards (acyclic: checked before); `path` holds the endpoints of the chain so far.
    fn walk<'e>(
        n: usize,
        endpoints: &'e [Endpoint],
        path: &mut Vec<usize>,
        seen: &mut Vec<(&'e str, usize)>,
        out: &mut Vec<(String, Vec<usize>)>,
    ) {
        path.push(n);
        let mut added = 0;
        for k in keys(&endpoints[n]) {
            if let Some(&(_, first)) = seen.iter().find(|(s, _)| *s == k) {
                let start = path.iter().position(|&p| p == first).unwrap_or(0);
                let mut chain: Vec<usize> = path[start..].to_vec();
                chain.dedup();
                out.push((k.to_string(), chain));
            } else {
                seen.push((k, n));
                added += 1;
            }
        }
        for s in &endpoints[n].successes {
            if let Action::Forward(f) = &s.action {
                walk(f.target_index, endpoints, path, seen, out);
            }
        }
        seen.truncate(seen.len() - added);
        path.pop();
    }
    for n in 0..endpoints.len() {
        let mut out = Vec::new();
        walk(n, endpoints, &mut Vec::new(), &mut Vec::new(), &mut out);
        for (key, chain) in out {
            if !reported.insert((key.clone(), chain.clone())) {
                continue;
            }
            let names: Vec<String> = chain
                .iter()
                .map(|&e| format!("'{}'", endpoints[e].name))
                .collect();
            diags.error(
                file,
                xml::pos(found[chain[0]].node),
                format!(
                    "Request Log Expression Capture Key '{key}' appears multiple times across endpoints {}",
                    names.join(" -> ")
                ),
            );
        }
    }
}

/// The `<authentication>` child of `node`, else `inherited`.
fn authentication_of(
    file: &Path,
    node: Node,
    inherited: Option<&super::auth::Authentication>,
    diags: &mut Diagnostics,
) -> Option<super::auth::Authentication> {
    let mut found = xml::elements(node).filter(|c| xml::name(*c) == "authentication");
    match (found.next(), found.next()) {
        (Some(_), Some(second)) => {
            diags.error(file, xml::pos(second), "more than one <authentication>");
            inherited.cloned()
        }
        (Some(a), None) => super::auth::parse(file, a, diags),
        (None, _) => inherited.cloned(),
    }
}

#[allow(clippy::too_many_arguments)]
fn collect_folder<'a, 'i>(
    file: &Path,
    folder: Node<'a, 'i>,
    inherited: &[Parameter],
    inherited_separator: &str,
    inherited_auth: Option<&super::auth::Authentication>,
    out: &mut Vec<Found<'a, 'i>>,
    diags: &mut Diagnostics,
) {
    let auth = authentication_of(file, folder, inherited_auth, diags);
    xml::check_attributes(file, folder, &["multiple-value-separator"], diags);
    let separator = folder
        .attribute("multiple-value-separator")
        .unwrap_or(inherited_separator)
        .to_string();
    let params = merge_parameters(file, folder, inherited, diags);
    for child in xml::elements(folder) {
        match xml::name(child) {
            "parameter" => {}
            "endpoint-folder" => collect_folder(file, child, &params, &separator, auth.as_ref(), out, diags),
            "authentication" => {}
            "endpoint" => {
                xml::check_attributes(file, child, &["name", "multiple-value-separator"], diags);
                let Some(name) = child.attribute("name") else {
                    diags.error(file, xml::pos(child), "<endpoint> is missing the attribute 'name'");
                    continue;
                };
                if RESERVED_PATHS.contains(&name) {
                    diags.warning(
                        file,
                        xml::attr_pos(child, "name"),
                        format!(
                            "endpoint name '{name}' is shadowed by the server's /{name}: reach it as /<application>/{name}"
                        ),
                    );
                }
                if !is_url_name(name) {
                    diags.warning(
                        file,
                        xml::attr_pos(child, "name"),
                        format!(
                            "endpoint name '{name}' cannot be reached by URL: only letters, digits, '_' and '-' can"
                        ),
                    );
                }
                let separator = child
                    .attribute("multiple-value-separator")
                    .unwrap_or(&separator)
                    .to_string();
                let mut parameters = merge_parameters(file, child, &params, diags);
                parameters.sort_by(|a, b| a.name.cmp(&b.name));
                let authentication = authentication_of(file, child, auth.as_ref(), diags);
                out.push(Found {
                    node: child,
                    name: name.to_string(),
                    parameters,
                    separator,
                    authentication,
                });
            }
            other => diags.error(
                file,
                xml::pos(child),
                format!(
                    "Unexpected element <{other}> in <endpoint-folder>; expected <parameter>, <endpoint-folder> or <endpoint>"
                ),
            ),
        }
    }
}

/// The node's own `<parameter>` children laid over the inherited ones (a redeclaration replaces entirely).
fn merge_parameters(
    file: &Path,
    node: Node,
    inherited: &[Parameter],
    diags: &mut Diagnostics,
) -> Vec<Parameter> {
    let mut params = inherited.to_vec();
    for p in xml::elements(node).filter(|c| xml::name(*c) == "parameter") {
        xml::check_attributes(file, p, &["name", "default-value"], diags);
        if let Some(c) = xml::elements(p).next() {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "<parameter> may not contain elements, found <{}>",
                    xml::name(c)
                ),
            );
        }
        let Some(name) = p.attribute("name") else {
            diags.error(
                file,
                xml::pos(p),
                "<parameter> is missing the attribute 'name'",
            );
            continue;
        };
        if !is_valid_parameter_name(name) {
            diags.error(
                file,
                xml::attr_pos(p, "name"),
                format!(
                    "Parameter name '{name}' invalid: only letters, digits, '_', '.' and '-' are allowed"
                ),
            );
            continue;
        }
        if name == "request-id" {
            diags.error(
                file,
                xml::attr_pos(p, "name"),
                "Parameter name 'request-id' is reserved: ${request-id} is the id of the request",
            );
            continue;
        }
        let param = Parameter {
            name: name.to_string(),
            default: p.attribute("default-value").map(str::to_string),
        };
        match params.iter_mut().find(|q| q.name == name) {
            Some(existing) => *existing = param,
            None => params.push(param),
        }
    }
    params
}

fn compile_endpoint(
    f: &Found,
    by_name: &HashMap<String, usize>,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Endpoint {
    let file = ctx.file.clone();
    let node = f.node;
    let mut success_scope = Scope::new(f.parameters.iter().map(|p| p.name.clone()));
    success_scope = Scope::new(
        success_scope
            .names()
            .iter()
            .cloned()
            .chain(std::iter::once("request-id".to_string())),
    );
    let error_scope = Scope::new(ERROR_SCOPE);

    let mut include_in_hash = Vec::new();
    let mut successes = Vec::new();
    let mut error = None;
    let mut parameter_transformation = None;
    let mut n_pt = 0;
    let base_names: Vec<String> = success_scope.names().to_vec();
    let scope_with =
        |inputs: &[String]| Scope::new(base_names.iter().cloned().chain(inputs.iter().cloned()));
    // Tasks first: <success>es refer to them.
    let mut tasks: Vec<Task> = Vec::new();
    let mut declared: Vec<task::Declared> = Vec::new();
    for (task_index, child) in xml::elements(node)
        .filter(|c| xml::name(*c) == "task")
        .enumerate()
    {
        if let Some((t, d)) = task::parse_task(&file, child, task_index, &scope_with, ctx, diags) {
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
        tasks[i].depends_on =
            task::resolve_dependencies(&file, &label, &declared[i], &tasks, diags);
    }
    task::check_cycles(&file, &tasks, diags);
    let (mut n_hash, mut n_error, mut n_success) = (0, 0, 0);
    for child in xml::elements(node) {
        match xml::name(child) {
            "parameter" => {}
            "authentication" => {} // read with the folders
            "parameter-transformation" => {
                n_pt += 1;
                if n_pt > 1 {
                    diags.error(&file, xml::pos(child), format!("<endpoint name='{}'> has more than one <parameter-transformation>", f.name));
                    continue;
                }
                parameter_transformation = parse_parameter_transformation(&file, child, ctx, diags);
            }
            "task" => {} // parsed above
            "include-in-hash" => {
                n_hash += 1;
                if n_hash > 1 {
                    diags.error(
                        &file,
                        xml::pos(child),
                        format!("<endpoint name='{}'> has more than one <include-in-hash>", f.name),
                    );
                    continue;
                }
                xml::check_attributes(&file, child, &[], diags);
                for p in xml::elements(child) {
                    if xml::name(p) != "parameter" {
                        diags.error(
                            &file,
                            xml::pos(p),
                            format!(
                                "Unexpected element <{}> in <include-in-hash>; expected <parameter name='…'/>",
                                xml::name(p)
                            ),
                        );
                        continue;
                    }
                    xml::check_attributes(&file, p, &["name"], diags);
                    let Some(name) = p.attribute("name") else {
                        diags.error(&file, xml::pos(p), "<parameter> in <include-in-hash> is missing the attribute 'name'");
                        continue;
                    };
                    match f.parameters.iter().position(|q| q.name == name) {
                        Some(i) => include_in_hash.push(i),
                        None => diags.error(
                            &file,
                            xml::attr_pos(p, "name"),
                            format!(
                                "Endpoint has <include-in-hash> parameter '{name}' but this endpoint does not have a parameter of that name"
                            ),
                        ),
                    }
                }
            }
            "success" => {
                let idx = n_success;
                n_success += 1;
                let decl = task::declared(&file, child, diags);
                let inputs: Vec<String> = decl.inputs.iter().map(|(n, _)| n.clone()).collect();
                let scope = scope_with(&inputs);
                let condition = parse_condition(&file, child, &scope, diags);
                let status = parse_status(&file, child, false, diags);
                let action = parse_action(child, &scope, false, by_name, ctx, diags, &f.name, idx);
                let participant = match child.attribute("if") {
                    Some(c) => format!("<success if='{c}'>"),
                    None => "<success>".to_string(),
                };
                let depends_on = task::resolve_dependencies(&file, &participant, &decl, &tasks, diags);
                if let Some(action) = action {
                    if let (Action::Redirect(_), Some(s)) = (&action, status) {
                        if !is_redirect_status(s) {
                            diags.error(&file, xml::attr_pos(child, "status"), format!("status=\"{}\" on a redirect must be one of 301, 302, 303, 307, 308", s.as_u16()));
                        }
                    }
                    if matches!(action, Action::Empty) && (!decl.after.is_empty() || !decl.inputs.is_empty()) {
                        diags.error(&file, xml::pos(child), format!("<endpoint name='{}'> <success> #{}: an empty <success> cannot wait for tasks (<after>, <input-intermediate-value>)", f.name, idx + 1));
                    }
                    successes.push(Success {
                        condition,
                        status,
                        action,
                        origin: Origin { file: file.clone(), pos: xml::pos(child) },
                        depends_on,
                        inputs,
                    });
                }
            }
            "error" => {
                n_error += 1;
                if n_error > 1 {
                    diags.error(
                        &file,
                        xml::pos(child),
                        format!("<endpoint name='{}'> has more than one <error>", f.name),
                    );
                    continue;
                }
                let condition = parse_condition(&file, child, &error_scope, diags);
                let status = parse_status(&file, child, true, diags);
                if let Some(action) = parse_action(child, &error_scope, true, by_name, ctx, diags, &f.name, 0) {
                    error = Some(ErrorResponse { condition, status, action });
                }
            }
            other => diags.error(
                &file,
                xml::pos(child),
                format!(
                    "Unexpected element <{other}> in <endpoint name='{}'>; expected <parameter>, <include-in-hash>, <success> or <error>",
                    f.name
                ),
            ),
        }
    }
    if successes.last().is_none_or(|s| s.condition.is_some()) {
        successes.push(Success {
            condition: None,
            status: None,
            action: Action::Empty,
            origin: Origin {
                file: file.clone(),
                pos: xml::pos(node),
            },
            depends_on: Vec::new(),
            inputs: Vec::new(),
        });
    }
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
    }
}

fn parse_parameter_transformation(
    file: &Path,
    node: Node,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<ParameterTransformation> {
    xml::check_attributes(file, node, &["xslt"], diags);
    let Some(x) = node.attribute("xslt") else {
        diags.error(
            file,
            xml::pos(node),
            "<parameter-transformation> is missing the attribute 'xslt'",
        );
        return None;
    };
    let path = ctx.dirs.config_dir.join("parameter-xslt").join(x);
    let mut commands = Vec::new();
    let mut ok = true;
    for c in xml::elements(node) {
        match data_source::parse_command(file, c, ctx.dirs, ctx.compiler, diags) {
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

/// Checks every placeholder of the transformer's data source against `scope`.
pub(crate) fn check_data_source_patterns(
    file: &Path,
    pos: Pos,
    what: &str,
    transformer: &Transformer,
    ctx: &Context,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> bool {
    let ds = &ctx.data_sources[transformer.data_source];
    let mut ok = true;
    for cmd in &ds.commands {
        for p in cmd.patterns() {
            if let Err(e) = p.check(scope) {
                diags.error(
                    file,
                    pos,
                    format!(
                        "{what}: transformer '{}' uses data source '{}' whose <{}> ({}:{}:{}) has an error: {e}",
                        transformer.name,
                        ds.name,
                        cmd.tag,
                        ds.file.display(),
                        cmd.pos.line,
                        cmd.pos.column
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}

fn is_redirect_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn parse_status(
    file: &Path,
    node: Node,
    is_error: bool,
    diags: &mut Diagnostics,
) -> Option<StatusCode> {
    let value = node.attribute("status")?;
    let code = value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|c| (200..=599).contains(c));
    match code.and_then(|c| StatusCode::from_u16(c).ok()) {
        Some(s) => Some(s),
        None => {
            diags.error(
                file,
                xml::attr_pos(node, "status"),
                format!(
                    "status=\"{value}\" on <{}> is not an HTTP status code from 200 to 599",
                    if is_error { "error" } else { "success" }
                ),
            );
            None
        }
    }
}

/// `if="…"` plus one operator attribute; `None` when there is no `if`.
pub fn parse_condition(
    file: &Path,
    node: Node,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    let if_value = node.attribute("if")?;
    let tag = xml::name(node);
    let present: Vec<&str> = OPERATOR_ATTRIBUTES
        .iter()
        .copied()
        .filter(|a| node.has_attribute(*a))
        .collect();
    let Some(&op_name) = present.first() else {
        diags.error(
            file,
            xml::attr_pos(node, "if"),
            format!("<{tag}>: 'if' attribute found, but second attribute not found, expected one of: 'equals', 'notequals', 'isempty', 'hasmultiple', 'gt', 'ge', 'lt', 'le'"),
        );
        return None;
    };
    if present.len() > 1 {
        diags.warning(
            file,
            xml::attr_pos(node, present[1]),
            format!(
                "<{tag}> has several condition operators ({}); only '{op_name}' is used",
                present.join(", ")
            ),
        );
    }
    let op_value = node.attribute(op_name).unwrap_or("");
    let compile =
        |text: &str, attr: &str, diags: &mut Diagnostics| match Template::compile(text, scope) {
            Ok(t) => Some(t),
            Err(e) => {
                diags.error(
                    file,
                    xml::attr_pos(node, attr),
                    format!("<{tag}> {attr}=\"…\": {e}"),
                );
                None
            }
        };
    let left = compile(if_value, "if", diags)?;
    let boolean = |diags: &mut Diagnostics| match op_value {
        "true" => Some(true),
        "false" => Some(false),
        other => {
            diags.error(
                file,
                xml::attr_pos(node, op_name),
                format!("Condition {op_name} must be {op_name}='true' or {op_name}='false', not {op_name}='{other}'"),
            );
            None
        }
    };
    let (operator, right) = match op_name {
        "isempty" => (Operator::IsEmpty(boolean(diags)?), None),
        "hasmultiple" => (Operator::HasMultiple(boolean(diags)?), None),
        other => {
            let op = match other {
                "equals" => Operator::Equals,
                "notequals" => Operator::NotEquals,
                "gt" => Operator::Gt,
                "ge" => Operator::Ge,
                "lt" => Operator::Lt,
                _ => Operator::Le,
            };
            (op, Some(compile(op_value, op_name, diags)?))
        }
    };
    Some(Condition {
        left,
        operator,
        right,
    })
}

#[allow(clippy::too_many_arguments)]
fn parse_action(
    node: Node,
    scope: &Scope,
    is_error: bool,
    by_name: &HashMap<String, usize>,
    ctx: &mut Context,
    diags: &mut Diagnostics,
    endpoint: &str,
    index: usize,
) -> Option<Action> {
    let file = ctx.file.clone();
    let file = file.as_path();
    let tag = if is_error {
        "<error>".to_string()
    } else {
        format!("<success> #{}", index + 1)
    };
    let mut allowed_attrs = vec!["if", "status"];
    allowed_attrs.extend(OPERATOR_ATTRIBUTES);
    xml::check_attributes(file, node, &allowed_attrs, diags);

    let children: Vec<Node> = xml::elements(node).collect();
    let kind = ACTION_PRIORITY
        .iter()
        .copied()
        .find(|k| children.iter().any(|c| xml::name(*c) == *k));
    let allowed: &[&str] = match kind {
        None => &[],
        Some("redirect-to") => &["redirect-to", "redirect-prefix-whitelist-entry"],
        Some(k) => std::slice::from_ref(ACTION_PRIORITY.iter().find(|x| **x == k).unwrap()),
    };
    let mut ok = true;
    let mut seen_kind = 0;
    for c in &children {
        let n = xml::name(*c);
        if Some(n) == kind {
            seen_kind += 1;
            if seen_kind > 1 {
                diags.error(
                    file,
                    xml::pos(*c),
                    format!("<endpoint name='{endpoint}'> {tag}: more than one <{n}>"),
                );
                ok = false;
            }
            continue;
        }
        if allowed.contains(&n)
            || (!is_error && kind.is_some() && matches!(n, "after" | "input-intermediate-value"))
        {
            continue;
        }
        ok = false;
        let msg = match n {
            "input-intermediate-value" if is_error => format!(
                "<endpoint name='{endpoint}'> {tag}: <input-intermediate-value> may only be used in <success>"
            ),
            "after" if is_error => format!(
                "<endpoint name='{endpoint}'> {tag}: <after> may only be used in <success>"
            ),
            "after" | "input-intermediate-value" => format!(
                "<endpoint name='{endpoint}'> {tag}: an empty <success> cannot wait for tasks (<{n}>)"
            ),
            _ => match kind {
                None => format!(
                    "<endpoint name='{endpoint}'> {tag}: Unexpected element <{n}>; expected one of <response-from-static>, <redirect-to>, <forward-to-endpoint>"
                ),
                Some(k) => format!(
                    "<endpoint name='{endpoint}'> {tag}: Unexpected element <{n}> beside <{k}>; expected only {}",
                    allowed.iter().map(|a| format!("<{a}>")).collect::<Vec<_>>().join(", ")
                ),
            },
        };
        diags.error(file, xml::pos(*c), msg);
    }
    let Some(kind) = kind else {
        return ok.then_some(Action::Empty);
    };
    let el = *children.iter().find(|c| xml::name(**c) == kind).unwrap();
    if UNSUPPORTED_ACTIONS.contains(&kind) {
        diags.error(
            file,
            xml::pos(el),
            format!("<endpoint name='{endpoint}'> {tag}: <{kind}> is not supported yet (transformations and documents arrive in a later release)"),
        );
        return None;
    }
    let template =
        |text: &str, what: &str, pos: Pos, diags: &mut Diagnostics| match Template::compile(
            text, scope,
        ) {
            Ok(t) => Some(t),
            Err(e) => {
                diags.error(
                    file,
                    pos,
                    format!("<endpoint name='{endpoint}'> {tag}: {what}: {e}"),
                );
                None
            }
        };
    let action = match kind {
        "ooxml-parameter-expansion" => {
            xml::check_attributes(file, el, &["source", "download-filename"], diags);
            if is_error {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> <error>: HTTP standard does not allow downloads to be triggered from error status codes"));
                return None;
            }
            if let Some(c) = xml::elements(el).next() {
                diags.error(
                    file,
                    xml::pos(c),
                    format!(
                        "<ooxml-parameter-expansion> may not contain elements, found <{}>",
                        xml::name(c)
                    ),
                );
                return None;
            }
            let Some(source) = el.attribute("source") else {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> {tag}: <ooxml-parameter-expansion> is missing the attribute 'source'"));
                return None;
            };
            let Some(download) = el.attribute("download-filename") else {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> {tag}: <ooxml-parameter-expansion> needs a 'download-filename'"));
                return None;
            };
            let download_filename = template(
                download,
                "<ooxml-parameter-expansion download-filename>",
                xml::attr_pos(el, "download-filename"),
                diags,
            )?;
            let template = match ctx.ooxml_cache.get(source) {
                Some(t) => t.clone(),
                None => match super::ooxml::load(ctx.ooxml_dir, source) {
                    Ok(t) => {
                        let t = Arc::new(t);
                        ctx.ooxml_cache.insert(source.to_string(), t.clone());
                        t
                    }
                    Err(e) => {
                        diags.error(
                            file,
                            xml::attr_pos(el, "source"),
                            format!("<endpoint name='{endpoint}'> {tag}: {e}"),
                        );
                        return None;
                    }
                },
            };
            for (part, pattern) in &template.parts {
                if let Err(e) = pattern.check(scope) {
                    diags.error(
                        file,
                        xml::attr_pos(el, "source"),
                        format!("<endpoint name='{endpoint}'> {tag}: template '{source}', part '{part}' contains ${{{}}} but it is not available; {}", e.name, e.available),
                    );
                    ok = false;
                }
            }
            Action::Ooxml(super::model::OoxmlResponse {
                template,
                download_filename,
            })
        }
        "response-from-url" => {
            let mut allowed = vec!["download-filename", "ignore-if-error"];
            allowed.extend(task::HTTP_OPTION_ATTRIBUTES);
            xml::check_attributes(file, el, &allowed, diags);
            let options = task::parse_http_options(file, el, diags)?;
            let download_filename =
                parse_download_filename(file, el, is_error, endpoint, &tag, scope, diags, &mut ok);
            let http_xslt = ctx.dirs.config_dir.join("http-xslt");
            let compiler = &mut *ctx.compiler;
            let mut compile = |p: &Path, from: &Path, pos: Pos, d: &mut Diagnostics| {
                compiler.compile(p, from, pos, d)
            };
            let mut sctx = super::http_spec::SpecContext {
                http_xslt_dir: &http_xslt,
                compile: &mut compile,
            };
            let spec = super::http_spec::parse(file, el, &[], &mut sctx, diags)?;
            for p in spec.patterns() {
                if let Err(e) = p.check(scope) {
                    diags.error(
                        file,
                        xml::pos(el),
                        format!("<endpoint name='{endpoint}'> {tag}: <response-from-url>: {e}"),
                    );
                    ok = false;
                }
            }
            Action::Url(Box::new(super::model::UrlResponse {
                spec,
                options,
                ignore_if_error: el
                    .attribute("ignore-if-error")
                    .and_then(xml::parse_bool)
                    .unwrap_or(false),
                download_filename,
            }))
        }
        "response-transformation" => {
            xml::check_attributes(file, el, &["name", "download-filename"], diags);
            let Some(name) = el.attribute("name") else {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> {tag}: <response-transformation> is missing the attribute 'name'"));
                return None;
            };
            let Some(transformer) = ctx.transformers.iter().position(|t| t.name == name) else {
                diags.error(
                    file,
                    xml::attr_pos(el, "name"),
                    format!(
                        "<endpoint name='{endpoint}'> {tag}: Transformer name='{name}' not found"
                    ),
                );
                return None;
            };
            let download_filename =
                parse_download_filename(file, el, is_error, endpoint, &tag, scope, diags, &mut ok);
            ok &= check_data_source_patterns(
                file,
                xml::attr_pos(el, "name"),
                &format!("<endpoint name='{endpoint}'> {tag}"),
                &ctx.transformers[transformer],
                ctx,
                scope,
                diags,
            );
            Action::Transformation(TransformationResponse {
                transformer,
                download_filename,
            })
        }
        "response-from-static" => {
            xml::check_attributes(file, el, &["filename", "download-filename"], diags);
            if let Some(c) = xml::elements(el).next() {
                diags.error(
                    file,
                    xml::pos(c),
                    format!(
                        "<response-from-static> may not contain elements, found <{}>",
                        xml::name(c)
                    ),
                );
                ok = false;
            }
            let download_filename =
                parse_download_filename(file, el, is_error, endpoint, &tag, scope, diags, &mut ok);
            let Some(filename) = el.attribute("filename") else {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> {tag}: <response-from-static> is missing the attribute 'filename'"));
                return None;
            };
            let static_file = match ctx.static_cache.get(filename) {
                Some(f) => f.clone(),
                None => {
                    match static_file::resolve(ctx.static_dir, filename, &mut ctx.static_budget) {
                        Ok(f) => {
                            let f = Arc::new(f);
                            ctx.static_cache.insert(filename.to_string(), f.clone());
                            f
                        }
                        Err(e) => {
                            diags.error(
                                file,
                                xml::attr_pos(el, "filename"),
                                format!("<endpoint name='{endpoint}'> {tag}: {e}"),
                            );
                            return None;
                        }
                    }
                }
            };
            Action::Static(StaticResponse {
                file: static_file,
                download_filename,
            })
        }
        "redirect-to" => {
            xml::check_attributes(file, el, &[], diags);
            let raw = xml::text_content(el);
            let url_text = raw.trim();
            let url = template(url_text, "<redirect-to>", xml::text_pos(el), diags)?;
            let mut whitelist = Vec::new();
            for w in children
                .iter()
                .filter(|c| xml::name(**c) == "redirect-prefix-whitelist-entry")
            {
                let entry = xml::text_content(*w).trim().to_string();
                if entry.is_empty() {
                    diags.error(
                        file,
                        xml::pos(*w),
                        "<redirect-prefix-whitelist-entry> is empty",
                    );
                    ok = false;
                    continue;
                }
                if let Some(rest) = entry.split_once("://").map(|(_, r)| r) {
                    if !rest.contains('/') {
                        diags.warning(file, xml::pos(*w), format!(
                            "<redirect-prefix-whitelist-entry>{entry}</…> has no '/' after the host, so it also allows '{entry}.evil.example'; end it with '/'"
                        ));
                    }
                }
                whitelist.push(entry);
            }
            if !url.has_placeholders() && !has_scheme(url_text) {
                diags.error(file, xml::text_pos(el), format!(
                    "<endpoint name='{endpoint}'> {tag}: <redirect-to> '{url_text}' is not an absolute URL (it needs a scheme such as https://)"
                ));
                ok = false;
            } else if whitelist.is_empty() && !has_scheme_and_host(url.literal_prefix()) {
                diags.warning(file, xml::text_pos(el), format!(
                    "<endpoint name='{endpoint}'> {tag}: <redirect-to> '{url_text}' takes its host from a parameter and has no <redirect-prefix-whitelist-entry>: anyone can use it to redirect elsewhere (open redirect)"
                ));
            }
            Action::Redirect(Redirect { url, whitelist })
        }
        "forward-to-endpoint" => {
            if is_error {
                diags.error(file, xml::pos(el), format!(
                    "<endpoint name='{endpoint}'> <error>: <forward-to-endpoint> was used in <error>, may only be used in <success>"
                ));
                return None;
            }
            xml::check_attributes(file, el, &["endpoint-name"], diags);
            let Some(target) = el.attribute("endpoint-name") else {
                diags.error(file, xml::pos(el), format!("<endpoint name='{endpoint}'> {tag}: <forward-to-endpoint> is missing the attribute 'endpoint-name'"));
                return None;
            };
            let Some(&target_index) = by_name.get(target) else {
                diags.error(file, xml::attr_pos(el, "endpoint-name"), format!(
                    "<endpoint name='{endpoint}'> has <forward-to-endpoint> to '{target}', but there is no endpoint called '{target}'"
                ));
                return None;
            };
            let mut inputs = Vec::new();
            let mut any = false;
            for ip in xml::elements(el) {
                if xml::name(ip) != "input-parameter" {
                    diags.error(file, xml::pos(ip), format!("Unexpected element <{}> in <forward-to-endpoint>; expected <input-parameter name='…'>", xml::name(ip)));
                    ok = false;
                    continue;
                }
                any = true;
                xml::check_attributes(file, ip, &["name"], diags);
                let Some(name) = ip.attribute("name") else {
                    diags.error(
                        file,
                        xml::pos(ip),
                        "<input-parameter> is missing the attribute 'name'",
                    );
                    ok = false;
                    continue;
                };
                match template(
                    &xml::text_content(ip),
                    &format!("<input-parameter name='{name}'>"),
                    xml::text_pos(ip),
                    diags,
                ) {
                    Some(t) => inputs.push((name.to_string(), t)),
                    None => ok = false,
                }
            }
            Action::Forward(Forward {
                target: target.to_string(),
                target_index,
                input_parameters: any.then_some(inputs),
            })
        }
        _ => unreachable!("unsupported kinds returned above"),
    };
    ok.then_some(action)
}

/// `download-filename="…"`: a template in `<success>`, forbidden in `<error>`.
#[allow(clippy::too_many_arguments)]
fn parse_download_filename(
    file: &Path,
    el: Node,
    is_error: bool,
    endpoint: &str,
    tag: &str,
    scope: &Scope,
    diags: &mut Diagnostics,
    ok: &mut bool,
) -> Option<Template> {
    let d = el.attribute("download-filename")?;
    let pos = xml::attr_pos(el, "download-filename");
    if is_error {
        diags.error(
            file,
            pos,
            format!("<endpoint name='{endpoint}'> <error>: HTTP standard does not allow downloads to be triggered from error status codes"),
        );
        *ok = false;
        return None;
    }
    match Template::compile(d, scope) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.error(
                file,
                pos,
                format!(
                    "<endpoint name='{endpoint}'> {tag}: <{}> download-filename: {e}",
                    xml::name(el)
                ),
            );
            *ok = false;
            None
        }
    }
}

fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `https://host/` or `mailto:x` fully literal up to the path.
fn has_scheme_and_host(prefix: &str) -> bool {
    if !has_scheme(prefix) {
        return false;
    }
    match prefix.split_once("://") {
        Some((_, rest)) => rest.contains('/'),
        None => true,
    }
}

/// Reports forward cycles; true if there are none.
fn check_forward_cycles(
    file: &Path,
    found: &[Found],
    endpoints: &[Endpoint],
    diags: &mut Diagnostics,
) -> bool {
    // Edges from every <success> forward.
    let edges: Vec<Vec<usize>> = endpoints
        .iter()
        .map(|e| {
            e.successes
                .iter()
                .filter_map(|s| match &s.action {
                    Action::Forward(f) => Some(f.target_index),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; endpoints.len()];
    let mut reported: Vec<Vec<usize>> = Vec::new();
    fn dfs(
        n: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        cycles: &mut Vec<Vec<usize>>,
    ) {
        state[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let start = stack.iter().position(|&x| x == m).unwrap();
                cycles.push(stack[start..].to_vec());
            } else if state[m] == 0 {
                dfs(m, edges, state, stack, cycles);
            }
        }
        stack.pop();
        state[n] = 2;
    }
    let mut cycles = Vec::new();
    for n in 0..endpoints.len() {
        if state[n] == 0 {
            dfs(n, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    for cycle in cycles {
        // Report each cycle once, starting at its first endpoint in document order.
        let min_pos = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, &e)| e)
            .map(|(i, _)| i)
            .unwrap();
        let mut rotated = cycle[min_pos..].to_vec();
        rotated.extend_from_slice(&cycle[..min_pos]);
        if reported.contains(&rotated) {
            continue;
        }
        let mut names: Vec<String> = rotated
            .iter()
            .map(|&e| format!("'{}'", endpoints[e].name))
            .collect();
        names.push(format!("'{}'", endpoints[rotated[0]].name));
        let first = &found[rotated[0]];
        let pos = xml::elements(first.node)
            .filter(|c| xml::name(*c) == "success")
            .flat_map(xml::elements)
            .find(|c| xml::name(*c) == "forward-to-endpoint")
            .map(xml::pos)
            .unwrap_or_else(|| xml::pos(first.node));
        diags.error(
            file,
            pos,
            format!(
                "Circular references in <forward-to-endpoint> chain: {}",
                names.join(" -> ")
            ),
        );
        reported.push(rotated);
    }
    reported.is_empty()
}
