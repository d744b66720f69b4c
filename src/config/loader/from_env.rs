//! A value written in the configuration or read from an environment variable at load (`token="…"` or
//! `token-from-environment-variable="VAR"`; `<secret-key>…</secret-key>` or `<secret-key
//! from-environment-variable="VAR"/>`), so that secrets need not live in the application's files. Messages name
//! the variable, never its value.

use std::path::Path;

use roxmltree::Node;

use super::xml;
use crate::config::error::{Diagnostics, Pos};

/// Where the value written directly stands.
pub enum Inline<'a> {
    /// In this attribute.
    Attribute(&'a str),
    /// As the element's text.
    Text,
}

/// How one element gives its value.
pub struct Source<'a> {
    /// How messages name the element: `<bearer>`, `<task id='save'/>`.
    pub label: &'a str,
    pub inline: Inline<'a>,
    /// The attribute naming the environment variable.
    pub env_attr: &'a str,
    /// How to write the value directly, for messages: `token="…"`, `the key as text`.
    pub example: &'a str,
}

/// The value of `node` as `source` describes it; `None` after reporting when it is given both ways, neither
/// way (reported at `missing_pos`), or from a variable that is not set, empty or not Unicode.
pub fn value(
    file: &Path,
    node: Node,
    source: &Source,
    missing_pos: Pos,
    diags: &mut Diagnostics,
) -> Option<String> {
    let Source {
        label,
        env_attr,
        example,
        ..
    } = source;
    let inline = match source.inline {
        Inline::Attribute(a) => node.attribute(a).map(str::to_string),
        Inline::Text => Some(xml::text_content(node)).filter(|t| !t.is_empty()),
    };
    match (inline, node.attribute(*env_attr)) {
        (Some(v), None) => Some(v),
        (None, Some(var)) => {
            let problem = match std::env::var(var) {
                Ok(v) if !v.is_empty() => return Some(v),
                Ok(_) => "is empty",
                Err(std::env::VarError::NotPresent) => "is not set",
                Err(std::env::VarError::NotUnicode(_)) => "is not valid Unicode",
            };
            diags.error(
                file,
                xml::attr_pos(node, env_attr),
                format!("{label}: environment variable '{var}' {problem}"),
            );
            None
        }
        (Some(_), Some(_)) => {
            diags.error(
                file,
                xml::pos(node),
                format!("{label}: give either {example} or {env_attr}=\"VAR\", not both"),
            );
            None
        }
        (None, None) => {
            diags.error(
                file,
                missing_pos,
                format!("{label} needs {example} or {env_attr}=\"VAR\""),
            );
            None
        }
    }
}
