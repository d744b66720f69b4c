//! The XML parsing used for request bodies: `data_source::root_element_source` (the same parse as the parameter
//! transformation's request body, DOCTYPEs refused) and XML → JSON. Any input either fails cleanly or gives the
//! root element's exact source text (which parses again, to the same root name) or valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

use endpoints::convert::xml_to_json;
use endpoints::engine::data_source::root_element_source;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(root) = root_element_source(text) {
            assert!(root.starts_with('<'), "{root:?}");
            let first = roxmltree::Document::parse(text.strip_prefix('\u{feff}').unwrap_or(text))
                .expect("accepted once");
            // The root alone may lack namespace declarations of its ancestors: there are none (it is the root).
            let again = roxmltree::Document::parse(root)
                .unwrap_or_else(|e| panic!("the root's source does not parse ({e}): {root:?}"));
            assert_eq!(
                first.root_element().tag_name().name(),
                again.root_element().tag_name().name()
            );
        }
    }
    if let Ok(json) = xml_to_json(data) {
        serde_json::from_str::<serde_json::Value>(&json)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    }
});
