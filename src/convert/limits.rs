//! Budgets on the XML that a request body becomes (an XML body as sent, a JSON body converted, an uploaded XML
//! file), checked in one linear pass before anything builds a tree of it.
//!
//! Why: a tree costs ~100–200 bytes per node in libxml2 (an 8 MB JSON array of 4 Mi zeros made a 1 GB tree), and
//! both roxmltree and libxml2 2.9 look for a duplicate attribute by comparing each attribute of an element with
//! every earlier one, so one element with 200,000 attributes (3 MB) takes them minutes. With at most
//! [`Budget::max_attributes`] per element that check is bounded by `max_attributes` comparisons per attribute.
//!
//! [`check_xml`] counts what a parser would build (elements, attributes, text, comments, processing instructions)
//! and the nesting depth, and stops at the first limit exceeded. It follows XML's grammar only as far as needed
//! to count; where the text is not well-formed it stops counting and leaves the error to the parser, which fails
//! at that point or earlier, so the parser never sees more than was counted.

use std::ops::Range;

/// Limits on the XML made from one request body. Every one has a `serve` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most nodes: elements, attributes, text runs, comments and processing instructions together (for a JSON
    /// body: every value and every key). `--max-body-nodes`.
    pub max_nodes: usize,
    /// Most attributes on one element. `--max-body-attributes`.
    pub max_attributes: usize,
    /// Deepest nesting of elements (for a JSON body: of arrays and objects). `--max-body-depth`.
    pub max_depth: usize,
    /// Largest XML text, in bytes: an XML body's root element, or the XML a JSON body is converted to (element
    /// names repeat, so it can be larger than the JSON). `--max-body-xml-bytes`.
    pub max_bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_nodes: 250_000,
            max_attributes: 256,
            max_depth: 128,
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Which limit a body exceeded; the message names the flag that sets it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "request body has more than {0} XML nodes (elements, attributes, text; --max-body-nodes)"
    )]
    Nodes(usize),
    #[error("an element of the request body has more than {0} attributes (--max-body-attributes)")]
    Attributes(usize),
    #[error("request body is nested deeper than {0} levels (--max-body-depth)")]
    Depth(usize),
    #[error("request body makes more than {0} bytes of XML (--max-body-xml-bytes)")]
    Bytes(usize),
}

/// Counts the nodes, attributes per element and depth of the XML `text` (one pass, no allocation) and fails at
/// the first limit exceeded.
pub fn check_xml(text: &str, budget: &Budget) -> Result<(), BudgetError> {
    let b = text.as_bytes();
    if b.len() > budget.max_bytes {
        return Err(BudgetError::Bytes(budget.max_bytes));
    }
    let mut nodes = 0usize;
    let mut depth = 0usize;
    let count = |n: &mut usize| {
        *n += 1;
        if *n > budget.max_nodes {
            Err(BudgetError::Nodes(budget.max_nodes))
        } else {
            Ok(())
        }
    };
    let find = |from: usize, pat: &[u8]| -> Option<usize> {
        b.get(from..)?
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p)
    };
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            // A run of text (character and entity references do not add nodes).
            count(&mut nodes)?;
            i = b[i..]
                .iter()
                .position(|&c| c == b'<')
                .map_or(b.len(), |p| i + p);
            continue;
        }
        let rest = &b[i..];
        let (end, add) = if rest.starts_with(b"<!--") {
            (find(i + 4, b"-->").map(|e| e + 3), true)
        } else if rest.starts_with(b"<![CDATA[") {
            (find(i + 9, b"]]>").map(|e| e + 3), true)
        } else if rest.starts_with(b"<?") {
            (find(i + 2, b"?>").map(|e| e + 2), true)
        } else if rest.starts_with(b"<!") {
            // A DOCTYPE (refused by every caller's parser) or not XML: the parser stops here.
            return Ok(());
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            (find(i + 2, b">").map(|e| e + 1), false)
        } else {
            // A start tag: its name, then attributes until `>` or `/>`.
            count(&mut nodes)?;
            if depth + 1 > budget.max_depth {
                return Err(BudgetError::Depth(budget.max_depth));
            }
            i += 1;
            while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'>' | b'/' | b'<') {
                i += 1;
            }
            let mut attributes = 0usize;
            loop {
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                match b.get(i) {
                    None => return Ok(()),
                    Some(b'>') => {
                        depth += 1;
                        i += 1;
                        break;
                    }
                    Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                        i += 2;
                        break;
                    }
                    Some(_) => {}
                }
                let name_start = i;
                while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'=' | b'>' | b'/' | b'<') {
                    i += 1;
                }
                if i == name_start {
                    return Ok(());
                }
                attributes += 1;
                if attributes > budget.max_attributes {
                    return Err(BudgetError::Attributes(budget.max_attributes));
                }
                count(&mut nodes)?;
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                if b.get(i) != Some(&b'=') {
                    return Ok(());
                }
                i += 1;
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                let quote = match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => q,
                    _ => return Ok(()),
                };
                match b[i + 1..].iter().position(|&c| c == quote) {
                    Some(p) => i = i + 1 + p + 1,
                    None => return Ok(()),
                }
            }
            continue;
        };
        match end {
            Some(e) => i = e,
            None => return Ok(()),
        }
        if add {
            count(&mut nodes)?;
        }
    }
    Ok(())
}

/// Why an XML body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlBodyError {
    #[error(transparent)]
    Limit(#[from] BudgetError),
    /// The body has a DOCTYPE (refused: no entities, no external loads).
    #[error("DOCTYPE declarations are not allowed")]
    Doctype,
    /// Not well-formed: the parser's message with its position.
    #[error("{0}")]
    Syntax(String),
}

/// Checks `text` (an XML document, byte-order mark already removed) against `budget`, then parses it (DOCTYPEs
/// refused) and returns the byte range of its root element.
pub fn xml_root_within(text: &str, budget: &Budget) -> Result<Range<usize>, XmlBodyError> {
    check_xml(text, budget)?;
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            // What was counted above, plus the document node: a backstop should the count ever fall short.
            nodes_limit: u32::try_from(budget.max_nodes.saturating_add(1)).unwrap_or(u32::MAX),
            ..Default::default()
        },
    )
    .map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlBodyError::Doctype,
        roxmltree::Error::NodesLimitReached => BudgetError::Nodes(budget.max_nodes).into(),
        e => XmlBodyError::Syntax(e.to_string()),
    })?;
    Ok(doc.root_element().range())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(nodes: usize, attributes: usize, depth: usize) -> Budget {
        Budget {
            max_nodes: nodes,
            max_attributes: attributes,
            max_depth: depth,
            max_bytes: 1 << 20,
        }
    }

    fn attributes(n: usize) -> String {
        let mut s = String::from("<r");
        for i in 0..n {
            s.push_str(&format!(" a{i}=\"{}\"", i % 10));
        }
        s.push_str("/>");
        s
    }

    #[test]
    fn counts_what_a_parser_builds() {
        // <r>, a, text, <!--c-->, <?p?>, <b/>, CDATA, text after: 8 nodes.
        let xml = "<r a='1'>t<!--c--><?p x?><b/><![CDATA[<x>]]>u</r>";
        assert_eq!(check_xml(xml, &budget(8, 10, 10)), Ok(()));
        assert_eq!(
            check_xml(xml, &budget(7, 10, 10)),
            Err(BudgetError::Nodes(7))
        );
        // Markup inside comments, CDATA and attribute values is not counted.
        let quiet = "<r a='<b c=\"1\">'><!-- <x y='1'/> --><![CDATA[<z/>]]></r>";
        assert_eq!(check_xml(quiet, &budget(5, 1, 1)), Ok(()));
    }

    #[test]
    fn attributes_per_element() {
        assert_eq!(check_xml(&attributes(3), &budget(100, 3, 5)), Ok(()));
        assert_eq!(
            check_xml(&attributes(4), &budget(100, 3, 5)),
            Err(BudgetError::Attributes(3))
        );
        // Per element, not per document.
        let two = "<r><a x='1' y='2'/><b x='1' y=\"2\"></b></r>";
        assert_eq!(check_xml(two, &budget(100, 2, 5)), Ok(()));
    }

    #[test]
    fn depth() {
        let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert_eq!(check_xml(&deep(5), &budget(100, 1, 5)), Ok(()));
        assert_eq!(
            check_xml(&deep(6), &budget(100, 1, 5)),
            Err(BudgetError::Depth(5))
        );
        // Siblings do not add depth; an empty element counts at its own level.
        assert_eq!(
            check_xml("<a><b/><b/><b></b></a>", &budget(100, 1, 2)),
            Ok(())
        );
        assert_eq!(
            check_xml("<a><b><c/></b></a>", &budget(100, 1, 2)),
            Err(BudgetError::Depth(2))
        );
    }

    #[test]
    fn bytes() {
        let b = Budget {
            max_bytes: 10,
            ..Budget::default()
        };
        assert_eq!(check_xml("<r>123456</r>", &b), Err(BudgetError::Bytes(10)));
        assert_eq!(check_xml("<r>123</r>", &b), Ok(()));
    }

    #[test]
    fn malformed_text_is_left_to_the_parser() {
        for bad in [
            "<r a='1",
            "<r a=1/>",
            "<r =''/>",
            "<r a/>",
            "<!-- x",
            "<![CDATA[",
            "<?x",
            "</r",
            "<!DOCTYPE r><r/>",
            "<",
        ] {
            assert_eq!(check_xml(bad, &Budget::default()), Ok(()), "{bad}");
            assert!(
                xml_root_within(bad, &Budget::default()).is_err(),
                "{bad} parsed"
            );
        }
    }

    #[test]
    fn root_range_and_errors() {
        let text = "<?xml version=\"1.0\"?>\n<!-- c --><order id=\"7\"><i>x</i></order>\n";
        let range = xml_root_within(text, &Budget::default()).unwrap();
        assert_eq!(&text[range], "<order id=\"7\"><i>x</i></order>");
        assert_eq!(
            xml_root_within(
                "<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>",
                &Budget::default()
            ),
            Err(XmlBodyError::Doctype)
        );
        assert!(matches!(
            xml_root_within("<order>", &Budget::default()),
            Err(XmlBodyError::Syntax(_))
        ));
        assert_eq!(
            xml_root_within(&attributes(300), &Budget::default()),
            Err(XmlBodyError::Limit(BudgetError::Attributes(256)))
        );
    }

    #[test]
    fn an_attribute_bomb_is_refused_in_linear_time() {
        let bomb = attributes(200_000);
        let started = std::time::Instant::now();
        let b = Budget {
            max_attributes: usize::MAX,
            max_nodes: usize::MAX,
            max_bytes: usize::MAX,
            ..Budget::default()
        };
        assert_eq!(check_xml(&bomb, &b), Ok(()));
        assert_eq!(
            check_xml(&bomb, &Budget::default()),
            Err(BudgetError::Attributes(256))
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
