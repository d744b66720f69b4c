//! `<task>`s and the dependency graph of an endpoint's tasks and `<success>`es: `<after task-id>`,
//! `<input-intermediate-value>` / `<output-intermediate-value>`, and the load checks of the reference (§1.4).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use roxmltree::Node;

use super::condition::Condition;
use super::endpoints::{parse_condition, Context};
use super::error::{Diagnostics, Pos};
use super::http_spec::{self, HttpSpec, SpecContext};
use super::template::Scope;
use super::xml;
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

/// The attributes on the element that may carry [`HttpOptions`].
pub const HTTP_OPTION_ATTRIBUTES: [&str; 4] = [
    "timeout-ms",
    "retries",
    "retry-backoff-ms",
    "success-status",
];

pub fn parse_http_options(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<HttpOptions> {
    let mut o = HttpOptions::default();
    let mut ok = true;
    let mut number = |name: &str, min: u64, max: u64, diags: &mut Diagnostics| -> Option<u64> {
        let v = node.attribute(name)?;
        match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                diags.error(
                    file,
                    xml::attr_pos(node, name),
                    format!("{name}=\"{v}\" must be a whole number from {min} to {max}"),
                );
                ok = false;
                None
            }
        }
    };
    if let Some(t) = number("timeout-ms", 100, 600_000, diags) {
        o.timeout = Duration::from_millis(t);
    }
    if let Some(r) = number("retries", 0, 10, diags) {
        o.retries = r as u32;
    }
    if let Some(b) = number("retry-backoff-ms", 1, 30_000, diags) {
        o.backoff = Duration::from_millis(b);
    }
    if let Some(v) = node.attribute("success-status") {
        o.success_classes.clear();
        for part in v.split_whitespace() {
            let b = part.as_bytes();
            if b.len() == 3
                && b[0].is_ascii_digit()
                && (b[1..] == *b"xx" || b[1..] == *b"XX")
                && (b'1'..=b'5').contains(&b[0])
            {
                o.success_classes.push(u16::from(b[0] - b'0'));
            } else if let Some(code) = part.parse::<u16>().ok().filter(|c| (100..=599).contains(c))
            {
                o.success_codes.push(code);
            } else {
                diags.error(file, xml::attr_pos(node, "success-status"), format!("success-status: '{part}' is neither a status code (e.g. 201) nor a class (e.g. 2xx)"));
                ok = false;
            }
        }
        if o.success_codes.is_empty() && o.success_classes.is_empty() {
            diags.error(
                file,
                xml::attr_pos(node, "success-status"),
                "success-status is empty",
            );
            ok = false;
        }
    }
    ok.then_some(o)
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
    Email(Box<crate::config::email::EmailTask>),
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

/// `1st <task>`, `2nd <task>`, … as the reference names tasks without an id.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix} <task>")
}

/// What a participant (task or `<success>`) declared before the graph is resolved.
pub struct Declared {
    pub after: Vec<(String, Pos)>,
    pub inputs: Vec<(String, Pos)>,
}

/// `<after task-id>` and `<input-intermediate-value name>` children of a participant.
pub fn declared(file: &Path, node: Node, diags: &mut Diagnostics) -> Declared {
    let mut d = Declared {
        after: Vec::new(),
        inputs: Vec::new(),
    };
    for c in xml::elements(node) {
        match xml::name(c) {
            "after" => match c.attribute("task-id") {
                Some(t) => d.after.push((t.to_string(), xml::pos(c))),
                None => diags.error(
                    file,
                    xml::pos(c),
                    "<after> is missing the attribute 'task-id'",
                ),
            },
            "input-intermediate-value" => match c.attribute("name") {
                Some(n) => d.inputs.push((n.to_string(), xml::pos(c))),
                None => diags.error(
                    file,
                    xml::pos(c),
                    "<input-intermediate-value> is missing the attribute 'name'",
                ),
            },
            _ => {}
        }
    }
    d
}

/// Compiles an XPath expression into a stylesheet that writes its string value.
pub(crate) fn xpath_stylesheet(
    xpath: &str,
    sandbox: &crate::stylesheet::Sandbox,
) -> Result<Stylesheet, String> {
    let mut escaped = String::new();
    super::template::escape_xml(xpath, &mut escaped);
    let xsl = format!(
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"><xsl:output method=\"text\" encoding=\"UTF-8\"/><xsl:template match=\"/\"><xsl:value-of select=\"{escaped}\"/></xsl:template></xsl:stylesheet>"
    );
    let mut f = tempfile::Builder::new()
        .prefix("endpoints-xpath-")
        .suffix(".xsl")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut f, xsl.as_bytes()).map_err(|e| e.to_string())?;
    // The generated file itself may be read (only to compile it), besides what every stylesheet may read.
    let mut roots = sandbox.roots(None);
    roots.push(f.path().canonicalize().map_err(|e| e.to_string())?);
    Stylesheet::compile_sandboxed(f.path(), roots, sandbox.deny()).map_err(|e| {
        // The messages name the generated file; keep only what they say about the expression.
        e.messages
            .iter()
            .find_map(|m| {
                m.split_once("xsl:value-of : ")
                    .map(|(_, rest)| rest.to_string())
            })
            .or_else(|| e.messages.iter().find(|m| m.contains("XPath")).cloned())
            .unwrap_or_else(|| "invalid expression".to_string())
    })
}

const KNOWN_CLASSES: [&str; 5] = [
    "endpoints.task.HttpRequestTask",
    "endpoints.task.EmailTask",
    "endpoints.task.SaveUploadsTask",
    "endpoints.task.RequestLogExpressionCaptureTask",
    "endpoints.task.CreateShortLinkToEndpointTask",
];

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
                "{label}: unknown task class '{class}'; known are {}",
                KNOWN_CLASSES.join(", ")
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
    let kind = match class {
        "endpoints.task.HttpRequestTask" => {
            let mut allowed = vec!["class", "id", "if", "ignore-if-error"];
            allowed.extend(super::condition::OPERATOR_ATTRIBUTES);
            allowed.extend(HTTP_OPTION_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let options = parse_http_options(file, node, diags);
            let options_ok = options.is_some();
            let options = options.unwrap_or_default();
            let http_xslt = ctx.dirs.config_dir.join("http-xslt");
            let compiler = &mut *ctx.compiler;
            let mut compile = |p: &Path, from: &Path, pos: Pos, d: &mut Diagnostics| {
                compiler.compile(p, from, pos, d)
            };
            let mut sctx = SpecContext {
                http_xslt_dir: &http_xslt,
                compile: &mut compile,
            };
            let spec = http_spec::parse(
                file,
                node,
                &[
                    "after",
                    "input-intermediate-value",
                    "output-intermediate-value",
                ],
                &mut sctx,
                diags,
            )?;
            for p in spec.patterns() {
                if let Err(e) = p.check(&scope) {
                    diags.error(file, pos, format!("{label}: {e}"));
                }
            }
            if !options_ok {
                return None;
            }
            let ignore_if_error = node
                .attribute("ignore-if-error")
                .and_then(xml::parse_bool)
                .unwrap_or(false);
            let mut outputs = Vec::new();
            for o in xml::elements(node).filter(|c| xml::name(*c) == "output-intermediate-value") {
                let opos = xml::pos(o);
                let Some(name) = o.attribute("name") else {
                    diags.error(
                        file,
                        opos,
                        "<output-intermediate-value> is missing the attribute 'name'",
                    );
                    continue;
                };
                let selector = match (o.attribute("xpath"), o.attribute("jsonpath")) {
                    (None, None) => {
                        diags.error(
                            file,
                            opos,
                            "Either 'xpath' or 'jsonpath' attributes must be set",
                        );
                        continue;
                    }
                    (Some(_), Some(_)) => {
                        diags.error(
                            file,
                            opos,
                            "Only one of 'xpath' or 'jsonpath' attributes may be set",
                        );
                        continue;
                    }
                    (Some(x), None) => match xpath_stylesheet(x, &ctx.compiler.sandbox) {
                        Ok(s) => Selector::XPath(x.to_string(), Arc::new(s)),
                        Err(e) => {
                            diags.error(
                                file,
                                xml::attr_pos(o, "xpath"),
                                format!("xpath='{x}' is not a valid XPath expression: {e}"),
                            );
                            continue;
                        }
                    },
                    (None, Some(j)) => match serde_json_path::JsonPath::parse(j) {
                        Ok(p) => Selector::JsonPath(j.to_string(), Arc::new(p)),
                        Err(e) => {
                            diags.error(
                                file,
                                xml::attr_pos(o, "jsonpath"),
                                format!("jsonpath='{j}' is not a valid JSONPath: {e}"),
                            );
                            continue;
                        }
                    },
                };
                let regex = match o.attribute("regex") {
                    Some(r) => match regex::Regex::new(&format!("^(?:{r})$")) {
                        Ok(re) => Some((r.to_string(), re)),
                        Err(e) => {
                            let text = e.to_string();
                            let reason = text
                                .lines()
                                .last()
                                .unwrap_or("")
                                .trim_start_matches("error: ");
                            diags.error(
                                file,
                                xml::attr_pos(o, "regex"),
                                format!("regex='{r}' is not a valid regular expression: {reason}"),
                            );
                            continue;
                        }
                    },
                    None => None,
                };
                outputs.push(OutputValue {
                    name: name.to_string(),
                    selector,
                    regex,
                });
            }
            if ignore_if_error && !outputs.is_empty() {
                diags.error(file, pos, format!("{label}: HTTP task cannot ignore-if-error='true' and output intermediate values"));
                return None;
            }
            TaskKind::Http(HttpTask {
                spec,
                options,
                ignore_if_error,
                outputs,
            })
        }
        "endpoints.task.RequestLogExpressionCaptureTask" => {
            let mut allowed = vec!["class", "id", "if", "key", "value"];
            allowed.extend(super::condition::OPERATOR_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let (Some(key), Some(value)) = (node.attribute("key"), node.attribute("value")) else {
                diags.error(
                    file,
                    pos,
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
            let value = match super::template::Template::compile(value, &scope) {
                Ok(t) => t,
                Err(e) => {
                    diags.error(
                        file,
                        xml::attr_pos(node, "value"),
                        format!("{label}: value: {e}"),
                    );
                    return None;
                }
            };
            TaskKind::Capture(CaptureTask {
                key: key.to_string(),
                value,
            })
        }
        "endpoints.task.CreateShortLinkToEndpointTask" => {
            let mut allowed = vec![
                "class",
                "id",
                "if",
                "destination-endpoint-name",
                "output-intermediate-value",
                "expires-in-minutes",
            ];
            allowed.extend(super::condition::OPERATOR_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let (Some(destination), Some(output), Some(expires)) = (
                node.attribute("destination-endpoint-name"),
                node.attribute("output-intermediate-value"),
                node.attribute("expires-in-minutes"),
            ) else {
                diags.error(
                    file,
                    pos,
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
            TaskKind::ShortLink(ShortLinkTask {
                destination: destination.to_string(),
                output: output.to_string(),
                expires_minutes: minutes,
            })
        }
        "endpoints.task.SaveUploadsTask" => {
            let mut allowed = vec![
                "class",
                "id",
                "if",
                "base-directory",
                "base-directory-from-environment-variable",
                "directory",
                "metadata-file",
            ];
            allowed.extend(super::condition::OPERATOR_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let base = match (
                node.attribute("base-directory"),
                node.attribute("base-directory-from-environment-variable"),
            ) {
                (Some(b), None) => Some(b.to_string()),
                (None, Some(var)) => {
                    std::env::var(var)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .or_else(|| {
                            diags.error(
                                file,
                                xml::attr_pos(node, "base-directory-from-environment-variable"),
                                format!("{label}: environment variable '{var}' is not set"),
                            );
                            None
                        })
                }
                _ => {
                    diags.error(file, pos, format!("{label}: needs base-directory=\"…\" or base-directory-from-environment-variable=\"VAR\""));
                    None
                }
            }?;
            let base_path = std::path::Path::new(&base);
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
                    pos,
                    format!(
                        "{label}: base directory '{}' does not exist",
                        base_path.display()
                    ),
                );
                return None;
            };
            let directory = match super::template::Template::compile(
                node.attribute("directory").unwrap_or(""),
                &scope,
            ) {
                Ok(t) => t,
                Err(e) => {
                    diags.error(
                        file,
                        xml::attr_pos(node, "directory"),
                        format!("{label}: directory: {e}"),
                    );
                    return None;
                }
            };
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
            TaskKind::SaveUploads(SaveUploadsTask {
                base,
                directory,
                metadata_file,
            })
        }
        _ => {
            let mut allowed = vec!["class", "id", "if"];
            allowed.extend(super::condition::OPERATOR_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let email = crate::config::email::parse_email_task(
                file,
                node,
                &scope,
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
                        if let Err(e) = p.check(&scope) {
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
                ok &= super::endpoints::check_data_source_patterns(
                    file,
                    pos,
                    &label,
                    &ctx.transformers[t],
                    ctx,
                    &scope,
                    diags,
                );
            }
            if !ok {
                return None;
            }
            TaskKind::Email(Box::new(email))
        }
    };
    let task = Task {
        label,
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

/// Resolves `<after>` and inputs of a participant into task indices; reports unknown/duplicate ids and producers.
pub fn resolve_dependencies(
    file: &Path,
    participant: &str,
    decl: &Declared,
    tasks: &[Task],
    diags: &mut Diagnostics,
) -> Vec<usize> {
    let mut deps = Vec::new();
    for (id, pos) in &decl.after {
        let matching: Vec<usize> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.id.as_deref() == Some(id))
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [] => diags.error(
                file,
                *pos,
                format!("{participant}: <after task-id='{id}'/> but no task found with this ID"),
            ),
            [one] => deps.push(*one),
            _ => diags.error(
                file,
                *pos,
                format!("{participant}: Multiple tasks with same ID '{id}'"),
            ),
        }
    }
    for (name, pos) in &decl.inputs {
        let producers: Vec<usize> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.outputs().contains(&name.as_str()))
            .map(|(i, _)| i)
            .collect();
        match producers.as_slice() {
            [] => diags.error(
                file,
                *pos,
                format!("{participant}: No <task>s produce output intermediate value '{name}'"),
            ),
            [one] => deps.push(*one),
            _ => diags.error(
                file,
                *pos,
                format!(
                    "{participant}: Multiple <task>s produce output intermediate value '{name}'"
                ),
            ),
        }
    }
    deps.sort_unstable();
    deps.dedup();
    deps
}

/// Reports every cycle among the tasks, naming its members.
pub fn check_cycles(file: &Path, tasks: &[Task], diags: &mut Diagnostics) {
    let n = tasks.len();
    let mut state = vec![0u8; n];
    fn visit(
        i: usize,
        tasks: &[Task],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        state[i] = 1;
        stack.push(i);
        for &d in &tasks[i].depends_on {
            if state[d] == 1 {
                let start = stack.iter().position(|&x| x == d).unwrap();
                out.push(stack[start..].to_vec());
            } else if state[d] == 0 {
                visit(d, tasks, state, stack, out);
            }
        }
        stack.pop();
        state[i] = 2;
    }
    let mut cycles = Vec::new();
    for i in 0..n {
        if state[i] == 0 {
            visit(i, tasks, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    for c in cycles {
        let parts: Vec<String> = c
            .iter()
            .enumerate()
            .map(|(k, &t)| {
                let next = c[(k + 1) % c.len()];
                let how = match &tasks[next].id {
                    Some(id) => format!("<after task-id='{id}'/>"),
                    None => format!("a dependency on {}", tasks[next].label),
                };
                format!("{} has {how}", tasks[t].label)
            })
            .collect();
        diags.error(
            file,
            tasks[c[0]].pos,
            format!("Circular dependency found: {}", parts.join(", ")),
        );
    }
}
