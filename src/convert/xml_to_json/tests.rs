//! Tests of [`super`].

use super::*;

fn json(xml: &str) -> String {
    xml_to_json(xml.as_bytes()).unwrap()
}

fn err(xml: &str) -> XmlToJsonError {
    xml_to_json(xml.as_bytes()).unwrap_err()
}

// --- examples of the reference's documented behaviour ---

#[test]
fn tv40_content_is_not_special() {
    assert_eq!(
        json("<foo><content>The content äöü</content></foo>"),
        r#"{"foo": {"content": "The content äöü"}}"#
    );
}

#[test]
fn tv40_attributes_repeats_text() {
    assert_eq!(
        json(r#"<r a="1"><b>x</b><b>007</b>t</r>"#),
        "{\"r\": {\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    \"007\"\n  ],\n  \"_content\": \"t\"\n}}"
    );
}

#[test]
fn with_xml_declaration_and_trailing_newline() {
    assert_eq!(
        json("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>1</a>\n"),
        r#"{"a": 1}"#
    );
}

// --- element shapes ---

#[test]
fn empty_elements() {
    assert_eq!(json("<a/>"), r#"{"a": ""}"#);
    assert_eq!(json("<a></a>"), r#"{"a": ""}"#);
    assert_eq!(json("<a>  \n\t </a>"), r#"{"a": ""}"#);
    assert_eq!(json("<a><!-- c --><?pi x?></a>"), r#"{"a": ""}"#);
    assert_eq!(
        json("<r><a/><a/></r>"),
        "{\"r\": {\"a\": [\n  \"\",\n  \"\"\n]}}"
    );
}

#[test]
fn text_only_elements() {
    assert_eq!(json("<a>x</a>"), r#"{"a": "x"}"#);
    assert_eq!(json("<a>  x y  </a>"), r#"{"a": "x y"}"#);
    assert_eq!(json("<a>&lt;&amp;&#65;</a>"), r#"{"a": "<&A"}"#);
    assert_eq!(json("<r><a>x</a></r>"), r#"{"r": {"a": "x"}}"#);
}

#[test]
fn attributes() {
    assert_eq!(json(r#"<a x="1"/>"#), r#"{"a": {"x": 1}}"#);
    assert_eq!(json(r#"<a x="1"></a>"#), r#"{"a": {"x": 1}}"#);
    assert_eq!(
        json(r#"<a x="1">t</a>"#),
        "{\"a\": {\n  \"x\": 1,\n  \"_content\": \"t\"\n}}"
    );
    assert_eq!(
        json(r#"<a x="" y=" 1" z="1 "/>"#),
        "{\"a\": {\n  \"x\": \"\",\n  \"y\": \" 1\",\n  \"z\": \"1 \"\n}}"
    );
    assert_eq!(
        json("<a x='it&apos;s &quot;q&quot; &lt;'/>"),
        r#"{"a": {"x": "it's \"q\" <"}}"#
    );
    // An attribute and a child of the same name accumulate; the attribute comes first.
    assert_eq!(
        json(r#"<r a="1"><a>2</a></r>"#),
        "{\"r\": {\"a\": [\n  1,\n  2\n]}}"
    );
    // Attribute order is document order.
    assert_eq!(
        json(r#"<r z="1" a="2" m="3"/>"#),
        "{\"r\": {\n  \"z\": 1,\n  \"a\": 2,\n  \"m\": 3\n}}"
    );
    // `>` inside an attribute value does not end the start tag.
    assert_eq!(
        json(r#"<r a="x>y" b='"/>'/>"#),
        "{\"r\": {\n  \"a\": \"x>y\",\n  \"b\": \"\\\"/>\"\n}}"
    );
    assert_eq!(
        json("<r\n  a = \"1\"\n  b\t=\t'2' />"),
        "{\"r\": {\n  \"a\": 1,\n  \"b\": 2\n}}"
    );
}

#[test]
fn content_attribute_quirk() {
    assert_eq!(json(r#"<a _content="1"/>"#), r#"{"a": {"_content": 1}}"#);
    assert_eq!(json(r#"<a _content="1"></a>"#), r#"{"a": 1}"#);
    // The unwrapped value is an array, which accumulate wraps once more.
    assert_eq!(
        json(r#"<a _content="1">2</a>"#),
        "{\"a\": [[\n  1,\n  2\n]]}"
    );
}

#[test]
fn repeated_children_and_order() {
    assert_eq!(
        json("<r><b>1</b><c>2</c><b>3</b><b>4</b></r>"),
        "{\"r\": {\n  \"b\": [\n    1,\n    3,\n    4\n  ],\n  \"c\": 2\n}}"
    );
    assert_eq!(
        json("<r><z/><a/><m/></r>"),
        "{\"r\": {\n  \"z\": \"\",\n  \"a\": \"\",\n  \"m\": \"\"\n}}"
    );
}

#[test]
fn text_chunks() {
    // Text around a child element: `_content` collects the chunks.
    assert_eq!(
        json("<r>a<b/>c</r>"),
        "{\"r\": {\n  \"_content\": [\n    \"a\",\n    \"c\"\n  ],\n  \"b\": \"\"\n}}"
    );
    // Text-only element with several chunks is an array; as a member it is wrapped once more (org.json).
    assert_eq!(
        json("<a>x<!-- c -->y</a>"),
        "{\"a\": [[\n  \"x\",\n  \"y\"\n]]}"
    );
    assert_eq!(
        json("<r><a>x<?p?>y</a></r>"),
        "{\"r\": {\"a\": [[\n  \"x\",\n  \"y\"\n]]}}"
    );
    assert_eq!(
        json("<r><a>x<!---->y</a><a>z</a></r>"),
        "{\"r\": {\"a\": [\n  [\n    \"x\",\n    \"y\"\n  ],\n  \"z\"\n]}}"
    );
    // Whitespace-only chunks are ignored.
    assert_eq!(
        json("<r>\n  <b>1</b>\n  <c>2</c>\n</r>"),
        "{\"r\": {\n  \"b\": 1,\n  \"c\": 2\n}}"
    );
}

#[test]
fn cdata_is_text() {
    assert_eq!(json("<a><![CDATA[<x> & y]]></a>"), r#"{"a": "<x> & y"}"#);
    assert_eq!(json("<a>1<![CDATA[2]]>3</a>"), r#"{"a": 123}"#);
}

#[test]
fn prefixes_and_namespace_declarations() {
    assert_eq!(
        json(r#"<p:r xmlns:p="urn:p" xmlns="urn:d" p:a="1" b="2"><p:c>x</p:c><d>y</d></p:r>"#),
        "{\"p:r\": {\n  \"xmlns:p\": \"urn:p\",\n  \"xmlns\": \"urn:d\",\n  \"p:a\": 1,\n  \"b\": 2,\n  \"p:c\": \"x\",\n  \"d\": \"y\"\n}}"
    );
    // Declarations keep their place among the attributes.
    assert_eq!(
        json(r#"<r a="1" xmlns:q="urn:q" q:b="2"/>"#),
        "{\"r\": {\n  \"a\": 1,\n  \"xmlns:q\": \"urn:q\",\n  \"q:b\": 2\n}}"
    );
    assert_eq!(
        json(r#"<r xmlns="urn:a"><c xmlns=""/></r>"#),
        "{\"r\": {\n  \"xmlns\": \"urn:a\",\n  \"c\": {\"xmlns\": \"\"}\n}}"
    );
    // A redeclared prefix gives the inner URI.
    assert_eq!(
        json(r#"<p:r xmlns:p="urn:1"><p:c xmlns:p="urn:2"/></p:r>"#),
        "{\"p:r\": {\n  \"xmlns:p\": \"urn:1\",\n  \"p:c\": {\"xmlns:p\": \"urn:2\"}\n}}"
    );
    assert_eq!(
        json(r#"<r xml:lang="de"/>"#),
        r#"{"r": {"xml:lang": "de"}}"#
    );
}

// --- coercion ---

#[test]
fn coercion() {
    assert_eq!(coerce("true"), Value::Bool(true));
    assert_eq!(coerce("TRUE"), Value::Bool(true));
    assert_eq!(coerce("tRuE"), Value::Bool(true));
    assert_eq!(coerce("False"), Value::Bool(false));
    assert_eq!(coerce("fal\u{17F}e"), Value::Bool(false));
    assert_eq!(coerce("NULL"), Value::Null);
    assert_eq!(coerce("nul"), Value::String("nul"));
    assert_eq!(coerce("truee"), Value::String("truee"));
    assert_eq!(coerce(""), Value::String(""));
    for n in [
        "0",
        "-0",
        "1",
        "-1",
        "1.50",
        "0.5",
        "-0.0",
        "1e3",
        "1E+3",
        "1.5e-7",
        "123456789012345678901234567890",
    ] {
        assert_eq!(coerce(n), Value::Number(n), "{n}");
    }
    for s in [
        "007",
        "-007",
        "00",
        "00.5",
        "1.",
        ".5",
        "+1",
        "1e",
        "1.5d",
        "0x10",
        "1 ",
        " 1",
        "-",
        "NaN",
        "-Infinity",
        "1,5",
        "१",
    ] {
        assert_eq!(coerce(s), Value::String(s), "{s}");
    }
}

#[test]
fn coercion_in_documents() {
    assert_eq!(
        json("<r><a>TRUE</a><b>null</b><c>1.50</c><d>007</d><e>-5</e><f>abc</f></r>"),
        "{\"r\": {\n  \"a\": true,\n  \"b\": null,\n  \"c\": 1.50,\n  \"d\": \"007\",\n  \"e\": -5,\n  \"f\": \"abc\"\n}}"
    );
    assert_eq!(
        json(r#"<r a="false" b="Null" c="2e2"/>"#),
        "{\"r\": {\n  \"a\": false,\n  \"b\": null,\n  \"c\": 2e2\n}}"
    );
    assert_eq!(json("<a>\n  42\n</a>"), r#"{"a": 42}"#);
    assert_eq!(json("<a>null</a>"), r#"{"a": null}"#);
}

#[test]
fn java_trimming() {
    assert_eq!(java_trim("  x  "), "x");
    assert_eq!(java_trim("\u{3000}\u{2003} x\u{3000}"), "x\u{3000}");
    assert_eq!(java_trim("\u{A0}x\u{A0}"), "\u{A0}x\u{A0}");
    assert_eq!(java_trim("\u{2007}x"), "\u{2007}x");
    assert_eq!(java_trim("\u{2028}\u{205F}"), "");
    assert_eq!(json("<a>\u{3000}5</a>"), r#"{"a": 5}"#);
    assert_eq!(json("<a>\u{A0}</a>"), "{\"a\": \"\u{A0}\"}");
}

// --- printing ---

#[test]
fn printing_nested_single_member_containers() {
    // org.json writes a single member on the parent's line and indents from the parent's level.
    assert_eq!(
        json("<a><b><c>1</c><d>2</d></b></a>"),
        "{\"a\": {\"b\": {\n  \"c\": 1,\n  \"d\": 2\n}}}"
    );
    assert_eq!(
        json("<a><x>1</x><b><c>1</c><d>2</d></b></a>"),
        "{\"a\": {\n  \"x\": 1,\n  \"b\": {\n    \"c\": 1,\n    \"d\": 2\n  }\n}}"
    );
    assert_eq!(
        json("<a><i><c>1</c><d>2</d></i><i>3</i></a>"),
        "{\"a\": {\"i\": [\n  {\n    \"c\": 1,\n    \"d\": 2\n  },\n  3\n]}}"
    );
}

#[test]
fn string_escaping() {
    assert_eq!(json(r#"<a>"q" \ / </a>"#), r#"{"a": "\"q\" \\ /"}"#);
    assert_eq!(json("<a>x&#9;y&#10;z&#13;w</a>"), r#"{"a": "x\ty\nz\rw"}"#);
    assert_eq!(
        json("<a>äöü € – 😀 \u{85}</a>"),
        "{\"a\": \"äöü € – 😀 \u{85}\"}"
    );
    let mut out = String::new();
    quote("\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}", &mut out);
    assert_eq!(out, r#""\u0000\u0001\b\f\u001f"#.to_string() + "\u{7F}\"");
    // Keys are quoted the same way.
    assert_eq!(json(r#"<a b="&quot;"/>"#), r#"{"a": {"b": "\""}}"#);
}

// --- input handling ---

#[test]
fn encodings() {
    assert_eq!(
        xml_to_json(b"\xEF\xBB\xBF<a>\xC3\xA4</a>").unwrap(),
        "{\"a\": \"ä\"}"
    );
    assert_eq!(
        xml_to_json(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE4</a>").unwrap(),
        "{\"a\": \"ä\"}"
    );
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("<a>ä</a>".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(xml_to_json(&utf16le).unwrap(), "{\"a\": \"ä\"}");
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain("<a>ä</a>".encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_eq!(xml_to_json(&utf16be).unwrap(), "{\"a\": \"ä\"}");
    assert!(matches!(
        xml_to_json(b"<a>\xE4</a>"),
        Err(XmlToJsonError::Encoding(_))
    ));
    assert!(matches!(
        xml_to_json(b"<?xml version='1.0' encoding='Shift_JIS'?><a/>"),
        Err(XmlToJsonError::Encoding(e)) if e.contains("Shift_JIS") || e.contains("shift_jis")
    ));
    assert_eq!(
        json("<?xml version='1.0' encoding='utf-8'?><a/>"),
        r#"{"a": ""}"#
    );
}

#[test]
fn doctype_without_internal_subset_is_skipped() {
    assert_eq!(json("<!DOCTYPE a><a/>"), r#"{"a": ""}"#);
    assert_eq!(
        json("<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE html SYSTEM \"about:legacy-compat\">\n<html>1</html>"),
        r#"{"html": 1}"#
    );
    assert_eq!(
        json("<!DOCTYPE a PUBLIC '-//x//y' \"a>b[c.dtd\"><a>1</a>"),
        r#"{"a": 1}"#
    );
    assert_eq!(external_doctype("<a/>"), None);
    assert_eq!(external_doctype(" <!DOCTYPE a>"), Some(1..13));
    assert_eq!(external_doctype("<!DOCTYPE a [ ]>"), None);
    assert_eq!(external_doctype("<!DOCTYPE a"), None);
    assert_eq!(external_doctype("<?x"), None);
    // Entities from an external DTD are not available.
    assert!(matches!(
        err("<!DOCTYPE a SYSTEM \"a.dtd\"><a>&x;</a>"),
        XmlToJsonError::Xml(_)
    ));
}

#[test]
fn invalid_documents() {
    assert!(matches!(err("<a>"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a>&unknown;</a>"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a></b>"), XmlToJsonError::Xml(_)));
    let e = err("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>");
    assert!(
        matches!(e, XmlToJsonError::Xml(roxmltree::Error::DtdDetected)),
        "{e:?}"
    );
    let e = err("<!DOCTYPE a SYSTEM \"x>[\" []><a/>");
    assert!(
        matches!(e, XmlToJsonError::Xml(roxmltree::Error::DtdDetected)),
        "{e:?}"
    );
    assert!(err("<a>").to_string().starts_with("not valid XML: "));
}

// --- several top-level elements (XSLT output without a single root) ---

#[test]
fn top_level_elements_become_members() {
    assert_eq!(
        json("<status>success</status><download-link>https://x/y</download-link>"),
        "{\n  \"status\": \"success\",\n  \"download-link\": \"https://x/y\"\n}"
    );
    // As written by libxslt: declaration, elements, newline.
    assert_eq!(
        json("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>success</status><n>5</n>\n"),
        "{\n  \"status\": \"success\",\n  \"n\": 5\n}"
    );
    // Children, attributes and coercion as for any element.
    assert_eq!(
        json(r#"<a x="1"><b>true</b></a><c/>"#),
        "{\n  \"a\": {\n    \"x\": 1,\n    \"b\": true\n  },\n  \"c\": \"\"\n}"
    );
    // One element followed by comments and processing instructions is still a document.
    assert_eq!(json("<a>1</a><!-- c --><?p?>"), r#"{"a": 1}"#);
}

#[test]
fn repeated_top_level_names_make_an_array() {
    assert_eq!(
        json("<a>1</a><b/><a>2</a><a>x</a>"),
        "{\n  \"a\": [\n    1,\n    2,\n    \"x\"\n  ],\n  \"b\": \"\"\n}"
    );
    assert_eq!(json("<a/><a/>"), "{\"a\": [\n  \"\",\n  \"\"\n]}");
}

#[test]
fn top_level_text_is_skipped() {
    assert_eq!(
        json("x <a>1</a> y <b>2</b> z"),
        "{\n  \"a\": 1,\n  \"b\": 2\n}"
    );
    assert_eq!(json("<a>1</a>tail"), r#"{"a": 1}"#);
    assert_eq!(json("&amp; <a>1</a>"), r#"{"a": 1}"#);
    // No element at all: an empty object.
    assert_eq!(json(""), "{}");
    assert_eq!(json("  \n"), "{}");
    assert_eq!(json("success"), "{}");
    assert_eq!(json("<?xml version=\"1.0\"?>\n"), "{}");
    assert_eq!(json("<!-- only a comment -->"), "{}");
}

#[test]
fn broken_fragments_are_errors() {
    assert!(matches!(err("<a/><b>"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a/></b>"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a/>&unknown;"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a/><p:b/>"), XmlToJsonError::Xml(_)));
    assert!(matches!(err("<a/><fragment>"), XmlToJsonError::Xml(_)));
    // With an XML declaration the position is the one in the output.
    let e = err("<?xml version=\"1.0\"?><a/><b>&x;</b>").to_string();
    assert!(e.contains("1:29"), "{e}");
    let e = err("<?xml version=\"1.0\"?>\n<a/>\n<b>&x;</b>").to_string();
    assert!(e.contains("3:4"), "{e}");
}

#[test]
fn fragment_wrapper_keeps_positions() {
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    let w = wrap_fragment(&format!("{decl}<a/>"));
    assert_eq!(w.len(), decl.len() + "<a/>".len() + "</fragment>".len());
    assert!(w.starts_with("<fragment> "));
    assert!(w.ends_with("<a/></fragment>"));
    assert_eq!(wrap_fragment("<a/>"), "<fragment><a/></fragment>");
    // `<?xml-stylesheet …?>` is a processing instruction, not the declaration.
    assert_eq!(
        wrap_fragment("<?xml-stylesheet href=\"a\"?><a/>"),
        "<fragment><?xml-stylesheet href=\"a\"?><a/></fragment>"
    );
}

#[test]
fn fragment_depth_limit() {
    let ok = format!(
        "<x/>{}{}",
        "<a>".repeat(MAX_DEPTH),
        "</a>".repeat(MAX_DEPTH)
    );
    assert!(xml_to_json(ok.as_bytes()).is_ok());
    let deep = format!(
        "<x/>{}{}",
        "<a>".repeat(MAX_DEPTH + 1),
        "</a>".repeat(MAX_DEPTH + 1)
    );
    assert!(matches!(
        xml_to_json(deep.as_bytes()),
        Err(XmlToJsonError::TooDeep { .. })
    ));
}

#[test]
fn large_fragments_stay_linear() {
    // 100,000 top-level elements: half with distinct names, half repeating one name.
    let mut xml = String::from("<?xml version=\"1.0\"?>");
    for i in 0..50_000 {
        xml.push_str(&format!("<e{i}>{i}</e{i}><r>{i}</r>"));
    }
    let started = std::time::Instant::now();
    let out = json(&xml);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.len(), 50_001);
    assert_eq!(o["e49999"], 49999);
    assert_eq!(o["r"].as_array().unwrap().len(), 50_000);
}

#[test]
fn depth_limit() {
    let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
    assert!(xml_to_json(ok.as_bytes()).is_ok());
    let deep = format!(
        "{}{}",
        "<a>".repeat(MAX_DEPTH + 1),
        "</a>".repeat(MAX_DEPTH + 1)
    );
    let e = xml_to_json(deep.as_bytes()).unwrap_err();
    assert_eq!(
        e,
        XmlToJsonError::TooDeep {
            pos: roxmltree::TextPos::new(1, 3 * MAX_DEPTH as u32 + 1)
        }
    );
    let hostile = "<a>".repeat(50_000) + &"</a>".repeat(50_000);
    assert!(matches!(
        xml_to_json(hostile.as_bytes()),
        Err(XmlToJsonError::TooDeep { .. })
    ));
}

#[test]
fn many_distinct_children_use_the_index() {
    let mut xml = String::from("<r>");
    for i in 0..100 {
        xml.push_str(&format!("<e{i}>{i}</e{i}><e{i}>x</e{i}>"));
    }
    xml.push_str("</r>");
    let out = json(&xml);
    assert!(out.contains("\"e99\": [\n    99,\n    \"x\"\n  ]"), "{out}");
    assert!(out.starts_with("{\"r\": {\n  \"e0\": ["));
}

#[test]
fn output_parses_as_json() {
    let out = json(
        r#"<p:r xmlns:p="urn:p" a="1.50"><b>x<!--c-->"y"</b><b/><c d="true">t<e/>u</c></p:r>"#,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        r#"{"p:r": {"xmlns:p": "urn:p", "a": 1.50, "b": [["x", "\"y\""], ""],
            "c": {"d": true, "_content": ["t", "u"], "e": ""}}}"#,
    )
    .unwrap();
    assert_eq!(v, expected);
    assert_eq!(v["p:r"]["a"].to_string(), "1.50");
    let keys: Vec<&String> = v["p:r"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["xmlns:p", "a", "b", "c"]);
    let keys: Vec<&String> = v["p:r"]["c"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["d", "_content", "e"]);
}
