//! Parses `endpoints.xml`: the endpoint-folder hierarchy, parameters and their inheritance, `<authentication>`,
//! then compiles every endpoint ([`super::endpoint`]) and runs the whole-file checks (unique names, forward
//! targets and cycles).

use std::collections::HashMap;
use std::path::Path;

use roxmltree::Node;

use super::context::Context;
use super::endpoint::{compile_endpoint, Found};
use super::forward_graph::{check_capture_keys, check_forward_cycles};
use super::suggest::{did_you_mean_element, elements_or};
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::application::{Endpoint, Parameter};
use crate::config::model::auth::Authentication;

/// The children of `<endpoint-folder>`.
const FOLDER_CHILDREN: [&str; 4] = ["parameter", "endpoint-folder", "endpoint", "authentication"];

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

/// Parses `endpoints.xml` (the context's file). Endpoints are returned in document order.
pub fn parse(ctx: &mut Context, diags: &mut Diagnostics) -> Vec<Endpoint> {
    let file = ctx.file.clone();
    xml::with_root(&file, "endpoint-folder", diags, |root, diags| {
        let mut found = Vec::new();
        collect_folder(&file, root, &[], "||", None, &mut found, diags);
        compile(&file, &found, ctx, diags)
    })
    .unwrap_or_default()
}

/// Compiles the endpoints found, after checking their names are unique across the whole file.
fn compile(
    file: &Path,
    found: &[Found],
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Vec<Endpoint> {
    // Unique names across the whole file.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, f) in found.iter().enumerate() {
        if let Some(&first) = by_name.get(&f.name) {
            let first_pos = xml::pos(found[first].node);
            diags.error(
                file,
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
    for f in found {
        endpoints.push(compile_endpoint(f, &by_name, ctx, diags));
    }
    if check_forward_cycles(file, found, &endpoints, diags) {
        check_capture_keys(file, found, &endpoints, diags);
    }
    endpoints
}

/// The `<authentication>` child of `node`, else `inherited`.
fn authentication_of(
    file: &Path,
    node: Node,
    inherited: Option<&Authentication>,
    diags: &mut Diagnostics,
) -> Option<Authentication> {
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
    inherited_auth: Option<&Authentication>,
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
        let child_name = xml::name(child);
        if !FOLDER_CHILDREN.contains(&child_name) {
            diags.error(
                file,
                xml::pos(child),
                format!(
                    "Unexpected element <{child_name}> in <endpoint-folder>; expected {}{}",
                    elements_or(&FOLDER_CHILDREN),
                    did_you_mean_element(child_name, &FOLDER_CHILDREN)
                ),
            );
            continue;
        }
        match child_name {
            "parameter" | "authentication" => {}
            "endpoint-folder" => {
                collect_folder(file, child, &params, &separator, auth.as_ref(), out, diags)
            }
            "endpoint" => {
                xml::check_attributes(file, child, &["name", "multiple-value-separator"], diags);
                let Some(name) = child.attribute("name") else {
                    diags.error(
                        file,
                        xml::pos(child),
                        "<endpoint> is missing the attribute 'name'",
                    );
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
            _ => unreachable!("every name in FOLDER_CHILDREN has an arm"),
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
