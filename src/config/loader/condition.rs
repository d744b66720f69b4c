//! Parses conditions (`if="${x}"` plus one operator attribute) on `<success>`, `<error>`, `<task>` and e-mail
//! attachments.

use std::path::Path;

use roxmltree::Node;

use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::condition::{
    Condition, Operator, CONDITION_ATTRIBUTES, OPERATOR_ATTRIBUTES,
};
use crate::config::model::template::{Scope, Template};

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
            format!(
                "<{tag}>: 'if' attribute found, but second attribute not found, expected one of: {}",
                OPERATOR_ATTRIBUTES
                    .iter()
                    .map(|a| format!("'{a}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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

/// A condition that may be absent: operator attributes without `if` are reported as ignored. `Err` when the
/// condition is broken (reported).
pub(crate) fn parse_optional_condition(
    file: &Path,
    c: Node,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> Result<Option<Condition>, ()> {
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
}

/// The attributes of an element that may carry a condition, `extra` first.
pub fn with_condition_attributes(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = extra.to_vec();
    v.extend_from_slice(&CONDITION_ATTRIBUTES);
    v
}
