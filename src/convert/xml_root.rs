//! The source text of a document's root element, for commands that embed a fetched or stored XML document in
//! their output (`<xml-from-url>`, `<xml-from-application>`, `<aws-s3-object>`).

/// Most nodes a document may have to be embedded.
const MAX_NODES: u32 = 5_000_000;

/// The source text of the root element, if `text` (a byte-order mark allowed) is a well-formed XML document
/// without a DTD.
pub fn root_element_source(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
            ..Default::default()
        },
    )
    .ok()?;
    let range = doc.root_element().range();
    Some(&text[range])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_element_without_prolog_or_dtd() {
        assert_eq!(
            root_element_source("\u{feff}<?xml version=\"1.0\"?><!--c--><a x=\"1\"><b/></a>"),
            Some("<a x=\"1\"><b/></a>")
        );
        assert_eq!(root_element_source("<!DOCTYPE a []><a/>"), None);
        assert_eq!(root_element_source("not xml"), None);
    }
}
