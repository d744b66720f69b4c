//! Positioned reading of configuration XML (roxmltree, no DTDs, no entity expansion beyond the five predefined).

use std::path::Path;

use roxmltree::{Document, Node, ParsingOptions};

use super::suggest::{did_you_mean_attribute, did_you_mean_element};
use crate::config::error::{Diagnostics, Pos};

/// The largest configuration file we read.
pub const MAX_CONFIG_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a file as UTF-8 text, reporting a problem as a diagnostic on that file.
pub fn read_text(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_CONFIG_FILE_BYTES => {
            diags.error(
                path,
                Pos::default(),
                format!("file is larger than {MAX_CONFIG_FILE_BYTES} bytes"),
            );
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            diags.error(path, Pos::default(), format!("cannot read file: {e}"));
            return None;
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                let (line, column) = line_col(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
                diags.error(path, Pos { line, column }, "file is not valid UTF-8");
                None
            }
        },
        Err(e) => {
            diags.error(path, Pos::default(), format!("cannot read file: {e}"));
            None
        }
    }
}

fn line_col(prefix: &[u8]) -> (u32, u32) {
    let line = prefix.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let col = prefix.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
    (line, col)
}

/// Parses configuration XML; a DOCTYPE is refused.
pub fn parse<'i>(path: &Path, text: &'i str, diags: &mut Diagnostics) -> Option<Document<'i>> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 5_000_000,
        ..ParsingOptions::default()
    };
    // Strip a UTF-8 byte-order mark, which roxmltree does not accept.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match Document::parse_with_options(text, opts) {
        Ok(doc) => Some(doc),
        Err(e) => {
            let p = e.pos();
            let msg = match e {
                roxmltree::Error::DtdDetected => {
                    "DOCTYPE declarations are not allowed in configuration files".to_string()
                }
                other => {
                    let text = other.to_string();
                    let suffix = format!(" at {}:{}", p.row, p.col);
                    format!(
                        "malformed XML: {}",
                        text.strip_suffix(&suffix).unwrap_or(&text)
                    )
                }
            };
            diags.error(
                path,
                Pos {
                    line: p.row,
                    column: p.col,
                },
                msg,
            );
            None
        }
    }
}

pub fn pos(node: Node) -> Pos {
    let p = node.document().text_pos_at(node.range().start);
    Pos {
        line: p.row,
        column: p.col,
    }
}

/// Position of attribute `name` on `node`, or of the element if the attribute is absent.
pub fn attr_pos(node: Node, name: &str) -> Pos {
    match node.attribute_node(name) {
        Some(a) => {
            let p = node.document().text_pos_at(a.range().start);
            Pos {
                line: p.row,
                column: p.col,
            }
        }
        None => pos(node),
    }
}

/// Position of the first non-whitespace text inside `node`, or of the element.
pub fn text_pos(node: Node) -> Pos {
    for child in node.children() {
        if child.is_text() && !child.text().unwrap_or("").trim().is_empty() {
            return pos(child);
        }
    }
    pos(node)
}

pub fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|c| c.is_element())
}

pub fn name<'a>(node: Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// The concatenated text of all descendant text nodes.
pub fn text_content(node: Node) -> String {
    let mut s = String::new();
    for d in node.descendants() {
        if d.is_text() {
            s.push_str(d.text().unwrap_or(""));
        }
    }
    s
}

/// Warns about attributes that are not in `allowed` (namespaced attributes such as `xsi:*` are ignored).
pub fn check_attributes(path: &Path, node: Node, allowed: &[&str], diags: &mut Diagnostics) {
    for a in node.attributes() {
        if a.namespace().is_some() {
            continue;
        }
        if !allowed.contains(&a.name()) {
            let p = node.document().text_pos_at(a.range().start);
            let expected = if allowed.is_empty() {
                "it takes no attributes".to_string()
            } else {
                format!("expected one of: {}", allowed.join(", "))
            };
            diags.warning(
                path,
                Pos {
                    line: p.row,
                    column: p.col,
                },
                format!(
                    "unknown attribute '{}' on <{}> is ignored; {}{}",
                    a.name(),
                    name(node),
                    expected,
                    did_you_mean_attribute(a.name(), allowed)
                ),
            );
        }
    }
}

/// `"true"` / `"false"` (case-insensitive, as the reference reads booleans).
pub fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Reads and parses `path`, handing its root element to `f`; `None` (reported) when the file cannot be read or is
/// not well-formed.
pub fn with_document<T>(
    path: &Path,
    diags: &mut Diagnostics,
    f: impl FnOnce(Node, &mut Diagnostics) -> T,
) -> Option<T> {
    let text = read_text(path, diags)?;
    let doc = parse(path, &text, diags)?;
    Some(f(doc.root_element(), diags))
}

/// [`with_document`] for a file whose root element must be `<root>`: another root is reported (`Root element
/// must be <root>, found <other>`) and `f` is not called.
pub fn with_root<T>(
    path: &Path,
    root: &str,
    diags: &mut Diagnostics,
    f: impl FnOnce(Node, &mut Diagnostics) -> T,
) -> Option<T> {
    with_document(path, diags, |r, diags| {
        if name(r) != root {
            diags.error(
                path,
                pos(r),
                format!(
                    "Root element must be <{root}>, found <{}>{}",
                    name(r),
                    did_you_mean_element(name(r), &[root])
                ),
            );
            return None;
        }
        Some(f(r, diags))
    })
    .flatten()
}

/// The attribute `attr`, or `None` reported as `<tag> is missing the attribute 'attr'` at the element.
pub fn required_attribute<'a>(
    path: &Path,
    node: Node<'a, '_>,
    attr: &str,
    diags: &mut Diagnostics,
) -> Option<&'a str> {
    let value = node.attribute(attr);
    if value.is_none() {
        diags.error(
            path,
            pos(node),
            format!("<{}> is missing the attribute '{attr}'", name(node)),
        );
    }
    value
}

/// A boolean attribute ([`parse_bool`]); `default` when absent or not a boolean.
pub fn bool_attribute(node: Node, attr: &str, default: bool) -> bool {
    node.attribute(attr).and_then(parse_bool).unwrap_or(default)
}

/// Reports the first child element of an element that may hold none: `<tag> {says}, found <child>`. True when
/// there is none.
pub fn no_child_elements(path: &Path, node: Node, says: &str, diags: &mut Diagnostics) -> bool {
    match elements(node).next() {
        Some(c) => {
            diags.error(
                path,
                pos(c),
                format!("<{}> {says}, found <{}>", name(node), name(c)),
            );
            false
        }
        None => true,
    }
}

/// A whole number attribute: `None` when absent, `Some(Err(value))` when it is not a whole number from `min` to
/// `max` (white space around it is allowed).
pub fn number_attribute<'a>(
    node: Node<'a, '_>,
    attr: &str,
    min: u64,
    max: u64,
) -> Option<Result<u64, &'a str>> {
    let v = node.attribute(attr)?;
    Some(match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(v),
    })
}
