//! Parses `<task class="endpoints.task.HttpRequestTask">`: the request, its options, and the
//! `<output-intermediate-value>`s taken from the response (XPath or JSONPath, optionally a regex).

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::context::Context;
use super::http_options::{parse_http_options, HTTP_OPTION_ATTRIBUTES};
use super::http_spec::{self, SpecContext};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::condition::OPERATOR_ATTRIBUTES;
use crate::config::model::task::{HttpTask, OutputValue, Selector, TaskKind};
use crate::config::model::template::Scope;
use crate::xslt::Stylesheet;

/// The HTTP task of `node` (`label` and `pos` name it in messages; its patterns are checked against `scope`).
pub fn parse(
    file: &Path,
    node: Node,
    label: &str,
    pos: Pos,
    scope: &Scope,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<TaskKind> {
    let mut allowed = vec!["class", "id", "if", "ignore-if-error"];
    allowed.extend(OPERATOR_ATTRIBUTES);
    allowed.extend(HTTP_OPTION_ATTRIBUTES);
    xml::check_attributes(file, node, &allowed, diags);
    let options = parse_http_options(file, node, diags);
    let options_ok = options.is_some();
    let options = options.unwrap_or_default();
    let http_xslt = ctx.dirs.config_dir.join("http-xslt");
    let mut sctx = SpecContext {
        http_xslt_dir: &http_xslt,
        compiler: ctx.compiler,
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
    let scope = &ctx.with_secrets(scope);
    for p in spec.patterns() {
        if let Err(e) = p.check(scope) {
            diags.error(file, pos, format!("{label}: {e}"));
        }
    }
    if !options_ok {
        return None;
    }
    let ignore_if_error = xml::bool_attribute(node, "ignore-if-error", false);
    let outputs: Vec<OutputValue> = xml::elements(node)
        .filter(|c| xml::name(*c) == "output-intermediate-value")
        .filter_map(|o| parse_output(file, o, &ctx.compiler.sandbox, diags))
        .collect();
    if ignore_if_error && !outputs.is_empty() {
        diags.error(
            file,
            pos,
            format!(
                "{label}: HTTP task cannot ignore-if-error='true' and output intermediate values"
            ),
        );
        return None;
    }
    Some(TaskKind::Http(HttpTask {
        spec,
        options,
        ignore_if_error,
        outputs,
    }))
}

/// `<output-intermediate-value name xpath|jsonpath regex?>`; `None` when broken (reported).
fn parse_output(
    file: &Path,
    o: Node,
    sandbox: &crate::stylesheet::Sandbox,
    diags: &mut Diagnostics,
) -> Option<OutputValue> {
    let opos = xml::pos(o);
    let name = xml::required_attribute(file, o, "name", diags)?;
    let selector = match (o.attribute("xpath"), o.attribute("jsonpath")) {
        (None, None) => {
            diags.error(
                file,
                opos,
                "Either 'xpath' or 'jsonpath' attributes must be set",
            );
            return None;
        }
        (Some(_), Some(_)) => {
            diags.error(
                file,
                opos,
                "Only one of 'xpath' or 'jsonpath' attributes may be set",
            );
            return None;
        }
        (Some(x), None) => match xpath_stylesheet(x, sandbox) {
            Ok(s) => Selector::XPath(x.to_string(), Arc::new(s)),
            Err(e) => {
                diags.error(
                    file,
                    xml::attr_pos(o, "xpath"),
                    format!("xpath='{x}' is not a valid XPath expression: {e}"),
                );
                return None;
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
                return None;
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
                return None;
            }
        },
        None => None,
    };
    Some(OutputValue {
        name: name.to_string(),
        selector,
        regex,
    })
}

/// Compiles an XPath expression into a stylesheet that writes its string value.
pub(crate) fn xpath_stylesheet(
    xpath: &str,
    sandbox: &crate::stylesheet::Sandbox,
) -> Result<Stylesheet, String> {
    let mut escaped = String::new();
    crate::convert::escape::escape_xml(xpath, &mut escaped);
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
