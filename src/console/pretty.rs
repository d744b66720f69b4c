//! Response bodies made readable for the try-it page: JSON and XML indented. Both return `None` when the text is
//! not what its content type says, and the page shows it as it came.

use crate::convert::escape::{escape_into, Escape};

/// Most elements and attributes an XML body may have to be indented (a bigger one is shown as it came).
const MAX_XML_NODES: u32 = 200_000;

/// `text` as JSON indented by two spaces, members in their order.
pub fn json(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&v).ok()
}

/// `text` as XML indented by two spaces: one element a line; an element holding only text keeps it on its line;
/// whitespace-only text between elements is dropped, other text is trimmed onto a line of its own. Namespace
/// declarations are written where they are declared. No DTD is accepted.
pub fn xml(text: &str) -> Option<String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).ok()?;
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for n in doc.root().children() {
        node(n, 0, &mut out);
    }
    Some(out)
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// `prefix:local` of an element or attribute name.
fn qualified(prefix: Option<&str>, local: &str, out: &mut String) {
    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
        out.push_str(p);
        out.push(':');
    }
    out.push_str(local);
}

fn node(n: roxmltree::Node<'_, '_>, depth: usize, out: &mut String) {
    match n.node_type() {
        roxmltree::NodeType::Element => element(n, depth, out),
        roxmltree::NodeType::Text => {
            let t = n.text().unwrap_or("").trim();
            if !t.is_empty() {
                indent(depth, out);
                escape_into(t, Escape::Attribute, out);
                out.push('\n');
            }
        }
        roxmltree::NodeType::Comment => {
            indent(depth, out);
            out.push_str("<!--");
            out.push_str(n.text().unwrap_or(""));
            out.push_str("-->\n");
        }
        roxmltree::NodeType::PI => {
            if let Some(pi) = n.pi() {
                indent(depth, out);
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(v) = pi.value {
                    out.push(' ');
                    out.push_str(v);
                }
                out.push_str("?>\n");
            }
        }
        roxmltree::NodeType::Root => {}
    }
}

fn element(n: roxmltree::Node<'_, '_>, depth: usize, out: &mut String) {
    let name = n.tag_name();
    let prefix = name.namespace().and_then(|ns| n.lookup_prefix(ns));
    indent(depth, out);
    out.push('<');
    qualified(prefix, name.name(), out);
    // The declarations this element adds to its parent's.
    let inherited: Vec<(Option<&str>, &str)> = n
        .parent_element()
        .map(|p| p.namespaces().map(|ns| (ns.name(), ns.uri())).collect())
        .unwrap_or_default();
    for ns in n.namespaces() {
        if inherited.contains(&(ns.name(), ns.uri())) {
            continue;
        }
        out.push_str(" xmlns");
        if let Some(p) = ns.name() {
            out.push(':');
            out.push_str(p);
        }
        out.push_str("=\"");
        escape_into(ns.uri(), Escape::Attribute, out);
        out.push('"');
    }
    for a in n.attributes() {
        out.push(' ');
        let prefix = a.namespace().and_then(|ns| n.lookup_prefix(ns));
        qualified(prefix, a.name(), out);
        out.push_str("=\"");
        escape_into(a.value(), Escape::Attribute, out);
        out.push('"');
    }
    let children: Vec<_> = n
        .children()
        .filter(|c| !(c.is_text() && c.text().unwrap_or("").trim().is_empty()))
        .collect();
    match children.as_slice() {
        [] => out.push_str("/>\n"),
        [only] if only.is_text() => {
            out.push('>');
            escape_into(only.text().unwrap_or(""), Escape::Attribute, out);
            close(prefix, name.name(), out);
        }
        _ => {
            out.push_str(">\n");
            for c in children {
                node(c, depth + 1, out);
            }
            indent(depth, out);
            close(prefix, name.name(), out);
        }
    }
}

fn close(prefix: Option<&str>, local: &str, out: &mut String) {
    out.push_str("</");
    qualified(prefix, local, out);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_indented_with_its_namespaces() {
        let got = xml(r#"<?xml version="1.0"?><a xmlns="urn:x" xmlns:p="urn:p"><b p:k="1 &amp; 2">t</b><!--c--><c><p:d/></c></a>"#)
            .unwrap();
        assert_eq!(
            got,
            "<a xmlns=\"urn:x\" xmlns:p=\"urn:p\">\n  <b p:k=\"1 &amp; 2\">t</b>\n  <!--c-->\n  <c>\n    <p:d/>\n  </c>\n</a>\n"
        );
    }

    #[test]
    fn not_xml_or_a_dtd_is_refused() {
        assert!(xml("{\"a\":1}").is_none());
        assert!(xml("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>").is_none());
    }

    #[test]
    fn json_keeps_member_order() {
        assert_eq!(
            json(r#"{"b":1,"a":[true]}"#).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}"
        );
        assert!(json("<a/>").is_none());
    }
}
