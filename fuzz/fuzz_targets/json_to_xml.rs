//! JSON → XML (request bodies of JSON endpoints): any input either fails cleanly or gives well-formed XML with the
//! requested root element; the children-only form agrees with it.
#![no_main]

use libfuzzer_sys::fuzz_target;

use endpoints::convert::{json_to_xml, json_to_xml_children, sanitize_key};

fuzz_target!(|data: &[u8]| {
    if let Ok(xml) = json_to_xml(data, "json") {
        let doc = roxmltree::Document::parse(&xml)
            .unwrap_or_else(|e| panic!("not well-formed ({e}): {xml}"));
        assert_eq!(doc.root_element().tag_name().name(), "json");
        let children =
            json_to_xml_children(data, "json").expect("children after a whole conversion");
        let wrapped = format!("<json>{children}</json>");
        roxmltree::Document::parse(&wrapped)
            .unwrap_or_else(|e| panic!("children not well-formed ({e}): {wrapped}"));
    }
    // Keys become element names: whatever the key, the result is a name XML accepts. (An empty key is refused
    // before it is sanitised, by the converter and by the database's column names.)
    let key: Vec<u16> = String::from_utf8_lossy(data)
        .encode_utf16()
        .take(200)
        .collect();
    if key.is_empty() {
        return;
    }
    let name = sanitize_key(&key);
    let element = format!("<{name}/>");
    roxmltree::Document::parse(&element)
        .unwrap_or_else(|e| panic!("sanitised key {name:?} is not an XML name ({e})"));
});
