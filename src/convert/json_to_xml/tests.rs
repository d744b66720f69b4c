//! Tests of [`super`]. Long because they are the conversion's examples, one per rule, and read best together.

use super::*;

fn children(json: &str) -> String {
    json_to_xml_children(json.as_bytes(), "json-request").unwrap()
}

fn full(json: &str, root: &str) -> String {
    json_to_xml(json.as_bytes(), root).unwrap()
}

fn err(json: &str) -> JsonToXmlError {
    json_to_xml(json.as_bytes(), "json-request").unwrap_err()
}

fn num(text: &str) -> String {
    java_number(text).text
}

// --- examples of the reference's documented behaviour ---

#[test]
fn spec_examples() {
    assert_eq!(children(r#"{"a":"x","n":1.50}"#), "<a>x</a><n>1.50</n>");
    assert_eq!(children(r#"{"b":[1,2]}"#), "<b>1</b><b>2</b>");
    assert_eq!(children(r#"{"e":"","z":null}"#), "<e/><z>null</z>");
    assert_eq!(children(r#"{"_content":"t","k":"v"}"#), "t<k>v</k>");
    assert_eq!(children(r#""s""#), "s");
    assert_eq!(children(r#"[{"a":1}]"#), "<a>1</a>");
    assert_eq!(err("[1,2]"), JsonToXmlError::TopLevelArray { elements: 2 });
}

#[test]
fn tv16_body() {
    let body =
        r#"{"name":"Martin","tags":["a","b"],"1st":"","addr":{"city":"Wien"},"n":1.50,"z":null}"#;
    assert_eq!(
        children(body),
        "<name>Martin</name><tags>a</tags><tags>b</tags><_0031_st/><addr><city>Wien</city></addr><n>1.50</n><z>null</z>"
    );
}

#[test]
fn tv39_key_sanitising_and_content_not_special() {
    assert_eq!(
        children("{\"1foo BA\\uFFFFr1\":1}"),
        "<_0031_foo_0020_BA_ffff_r1>1</_0031_foo_0020_BA_ffff_r1>"
    );
    assert_eq!(
        children("{\"1foo BA\u{FFFF}r1\":1}"),
        "<_0031_foo_0020_BA_ffff_r1>1</_0031_foo_0020_BA_ffff_r1>"
    );
    assert_eq!(
        full(r#"{"content":"äöü"}"#, "root"),
        "<root><content>äöü</content></root>"
    );
}

#[test]
fn tv41_response_root() {
    assert_eq!(
        full(r#"{ "output": "stuff" }"#, "response"),
        "<response><output>stuff</output></response>"
    );
}

// --- keys ---

#[test]
fn key_sanitising() {
    assert_eq!(
        sanitize_key(&"a:b".encode_utf16().collect::<Vec<_>>()),
        "a_003a_b"
    );
    assert_eq!(
        sanitize_key(&"_ok.a-b_9".encode_utf16().collect::<Vec<_>>()),
        "_ok.a-b_9"
    );
    assert_eq!(
        sanitize_key(&"9".encode_utf16().collect::<Vec<_>>()),
        "_0039_"
    );
    assert_eq!(
        sanitize_key(&"-a".encode_utf16().collect::<Vec<_>>()),
        "_002d_a"
    );
    assert_eq!(
        sanitize_key(&".a".encode_utf16().collect::<Vec<_>>()),
        "_002e_a"
    );
    assert_eq!(
        sanitize_key(&"a.9-".encode_utf16().collect::<Vec<_>>()),
        "a.9-"
    );
    assert_eq!(
        sanitize_key(&"äb".encode_utf16().collect::<Vec<_>>()),
        "_00e4_b"
    );
    assert_eq!(
        sanitize_key(&"bä".encode_utf16().collect::<Vec<_>>()),
        "b_00e4_"
    );
    assert_eq!(
        sanitize_key(&"a😀".encode_utf16().collect::<Vec<_>>()),
        "a_d83d__de00_"
    );
    assert_eq!(
        sanitize_key(&"😀".encode_utf16().collect::<Vec<_>>()),
        "_d83d__de00_"
    );
    assert_eq!(
        sanitize_key(&"x\u{1234}".encode_utf16().collect::<Vec<_>>()),
        "x_1234_"
    );
    assert_eq!(sanitize_key(&[]), "");
}

#[test]
fn keys_in_documents() {
    assert_eq!(children(r#"{"a b":1}"#), "<a_0020_b>1</a_0020_b>");
    assert_eq!(
        children(r#"{"xml:lang":"de"}"#),
        "<xml_003a_lang>de</xml_003a_lang>"
    );
    // An unpaired surrogate in a key is sanitised like any other code unit.
    assert_eq!(children(r#"{"\ud800x":1}"#), "<_d800_x>1</_d800_x>");
    assert_eq!(
        children(r#"{"\ud83d\ude00":1}"#),
        "<_d83d__de00_>1</_d83d__de00_>"
    );
    // Keys that sanitise to the same name both produce elements.
    assert_eq!(
        children(r#"{"a b":1,"a_0020_b":2}"#),
        "<a_0020_b>1</a_0020_b><a_0020_b>2</a_0020_b>"
    );
}

#[test]
fn empty_key() {
    assert_eq!(
        err(r#"{"":1}"#),
        JsonToXmlError::EmptyKey { line: 1, column: 2 }
    );
    assert_eq!(
        err(r#"{"":""}"#),
        JsonToXmlError::EmptyKey { line: 1, column: 2 }
    );
    assert_eq!(
        err(r#"{"":[1]}"#),
        JsonToXmlError::EmptyKey { line: 1, column: 2 }
    );
    assert_eq!(
        err(r#"{"":[[]]}"#),
        JsonToXmlError::EmptyKey { line: 1, column: 2 }
    );
    // Nothing is written for an empty array, so there is no element to name.
    assert_eq!(children(r#"{"":[],"a":1}"#), "<a>1</a>");
}

#[test]
fn duplicate_keys_rejected() {
    assert_eq!(
        err(r#"{"a":1,"a":2}"#),
        JsonToXmlError::DuplicateKey {
            key: "a".into(),
            line: 1,
            column: 8
        }
    );
    // Same key after unescaping.
    assert!(matches!(
        err(r#"{"a":1,"\u0061":2}"#),
        JsonToXmlError::DuplicateKey { .. }
    ));
    // Same key in different objects is fine.
    assert_eq!(children(r#"{"a":{"a":1}}"#), "<a><a>1</a></a>");
    assert_eq!(
        children(r#"{"x":[{"a":1},{"a":2}]}"#),
        "<x><a>1</a></x><x><a>2</a></x>"
    );
}

// --- structure ---

#[test]
fn member_order_is_document_order() {
    assert_eq!(
        children(r#"{"z":1,"a":2,"m":3}"#),
        "<z>1</z><a>2</a><m>3</m>"
    );
}

#[test]
fn objects() {
    assert_eq!(full("{}", "r"), "<r></r>");
    assert_eq!(children("{}"), "");
    assert_eq!(children(r#"{"o":{}}"#), "<o></o>");
    assert_eq!(
        children(r#"{"o":{"p":{"q":true}}}"#),
        "<o><p><q>true</q></p></o>"
    );
    assert_eq!(
        children(r#"{"t":true,"f":false}"#),
        "<t>true</t><f>false</f>"
    );
}

#[test]
fn arrays_in_objects() {
    assert_eq!(children(r#"{"a":[]}"#), "");
    assert_eq!(
        children(r#"{"a":[null,"",{},true]}"#),
        "<a>null</a><a/><a></a><a>true</a>"
    );
    assert_eq!(
        children(r#"{"a":[[1,2],3]}"#),
        "<a><array>1</array><array>2</array></a><a>3</a>"
    );
    assert_eq!(children(r#"{"a":[[]]}"#), "<a></a>");
    // Deeper arrays flatten into `array` siblings, as in org.json.
    assert_eq!(
        children(r#"{"a":[[1,[2,[3]]]]}"#),
        "<a><array>1</array><array>2</array><array>3</array></a>"
    );
    assert_eq!(
        children(r#"{"a":[[{"b":1}]]}"#),
        "<a><array><b>1</b></array></a>"
    );
    assert_eq!(children(r#"{"a":[[""]]}"#), "<a><array/></a>");
}

#[test]
fn content_key() {
    assert_eq!(children(r#"{"_content":["x","y"]}"#), "x\ny");
    assert_eq!(children(r#"{"k":"v","_content":"t"}"#), "<k>v</k>t");
    assert_eq!(children(r#"{"_content":1.50}"#), "1.50");
    assert_eq!(children(r#"{"_content":null}"#), "null");
    assert_eq!(children(r#"{"_content":""}"#), "");
    assert_eq!(children(r#"{"_content":[]}"#), "");
    assert_eq!(children(r#"{"_content":[1,null,true]}"#), "1\nnull\ntrue");
    assert_eq!(children(r#"{"_content":"a<b&c"}"#), "a&lt;b&amp;c");
    assert_eq!(
        children(r#"{"o":{"_content":"t","k":1}}"#),
        "<o>t<k>1</k></o>"
    );
    // Objects and arrays inside `_content` are written as compact JSON (org.json toString()).
    assert_eq!(
        children(r#"{"_content":{"a b":[1,"x"],"n":1.50,"e":1e3,"m":-0}}"#),
        r#"{"a_0020_b":[1,"x"],"n":1.5,"e":1E+3,"m":-0}"#
    );
    assert_eq!(children(r#"{"_content":[["</a>"]]}"#), r#"["&lt;\/a&gt;"]"#);
    assert_eq!(
        children(r#"{"_content":{"c":"\u0001\u2013é"}}"#),
        r#"{"c":"\u0001\u2013é"}"#
    );
    assert!(matches!(
        err(r#"{"_content":{"c":"\uffff"}}"#),
        JsonToXmlError::InvalidXmlChar { code: 0xFFFF, .. }
    ));
    // Only the exact key is special.
    assert_eq!(children(r#"{"_Content":"t"}"#), "<_Content>t</_Content>");
    assert_eq!(children(r#"{"content":"t"}"#), "<content>t</content>");
}

#[test]
fn top_level_values() {
    assert_eq!(children(r#""""#), "");
    assert_eq!(full(r#""""#, "json-request"), "<json-request/>");
    assert_eq!(children("null"), "null");
    assert_eq!(children("true"), "true");
    assert_eq!(children("-12"), "-12");
    assert_eq!(children("1e3"), "1E+3");
    assert_eq!(children(r#""a&b""#), "a&amp;b");
    assert_eq!(full(r#""s""#, "response"), "<response>s</response>");
}

#[test]
fn top_level_arrays() {
    assert_eq!(children(r#"[{"a":1}]"#), "<a>1</a>");
    assert_eq!(children("[1]"), "1");
    assert_eq!(children(r#"[""]"#), "");
    assert_eq!(children("[[7]]"), "7");
    assert_eq!(full("[[[7]]]", "r"), "<r>7</r>");
    assert_eq!(err("[]"), JsonToXmlError::TopLevelArray { elements: 0 });
    assert_eq!(err("[[]]"), JsonToXmlError::TopLevelArray { elements: 0 });
    assert_eq!(
        err("[[1,2]]"),
        JsonToXmlError::TopLevelArray { elements: 2 }
    );
    assert_eq!(
        err("[1,2,3]"),
        JsonToXmlError::TopLevelArray { elements: 3 }
    );
    assert!(err("[1,2]")
        .to_string()
        .contains("must have exactly one element"));
}

#[test]
fn text_escaping_and_xml_chars() {
    assert_eq!(
        children(r#"{"a":"<b>&amp;</b> \"q\" 'a'"}"#),
        "<a>&lt;b&gt;&amp;amp;&lt;/b&gt; \"q\" 'a'</a>"
    );
    assert_eq!(children(r#"{"a":"]]>"}"#), "<a>]]&gt;</a>");
    assert_eq!(children(r#"{"a":"tab\tnl\ncr\r"}"#), "<a>tab\tnl\ncr\r</a>");
    assert_eq!(
        children(r#"{"a":"😀 äöü \u00e9 \u0085"}"#),
        "<a>😀 äöü é \u{85}</a>"
    );
    assert_eq!(
        err(r#"{"a":"x\u0001"}"#),
        JsonToXmlError::InvalidXmlChar {
            code: 1,
            line: 1,
            column: 6
        }
    );
    assert!(matches!(
        err(r#"{"a":"\u0000"}"#),
        JsonToXmlError::InvalidXmlChar { code: 0, .. }
    ));
    assert!(matches!(
        err(r#"{"a":"\ufffe"}"#),
        JsonToXmlError::InvalidXmlChar { code: 0xFFFE, .. }
    ));
    assert!(matches!(
        err("{\"a\":\"\u{FFFF}\"}"),
        JsonToXmlError::InvalidXmlChar { code: 0xFFFF, .. }
    ));
    assert!(matches!(
        err(r#"{"_content":"\u001f"}"#),
        JsonToXmlError::InvalidXmlChar { code: 0x1F, .. }
    ));
    assert!(matches!(
        err(r#"["\u0002"]"#),
        JsonToXmlError::InvalidXmlChar { code: 2, .. }
    ));
    let e = err(r#"{"a":"\u0001"}"#).to_string();
    assert!(e.starts_with("not valid XML: character U+0001"), "{e}");
}

#[test]
fn unpaired_surrogates_in_values() {
    assert_eq!(
        err(r#"{"a":"\ud800"}"#),
        JsonToXmlError::InvalidXmlChar {
            code: 0xD800,
            line: 1,
            column: 6
        }
    );
    assert!(matches!(
        err(r#""\udc00""#),
        JsonToXmlError::InvalidXmlChar { code: 0xDC00, .. }
    ));
    assert!(matches!(
        err(r#""\ud800\u0041""#),
        JsonToXmlError::InvalidXmlChar { code: 0xD800, .. }
    ));
    assert!(matches!(
        err(r#""\ud800\ud800""#),
        JsonToXmlError::InvalidXmlChar { code: 0xD800, .. }
    ));
    assert_eq!(children(r#""\ud83d\ude00""#), "😀");
    assert_eq!(children(r#""\uD83D\uDE00x""#), "😀x");
}

#[test]
fn string_escapes() {
    assert_eq!(children(r#""\"\\\/""#), "\"\\/");
    assert_eq!(children(r#""\n\r\t""#), "\n\r\t");
    assert_eq!(children(r#""\u00e4\u00C4""#), "äÄ");
    assert!(matches!(
        err(r#""\b""#),
        JsonToXmlError::InvalidXmlChar { code: 8, .. }
    ));
    assert!(matches!(
        err(r#""\f""#),
        JsonToXmlError::InvalidXmlChar { code: 12, .. }
    ));
}

// --- numbers ---

#[test]
fn numbers_in_documents() {
    assert_eq!(
        children(r#"{"i":42,"n":-7,"big":123456789012345678901234567890,"d":1.50,"e":1e3,"f":1.5e-7,"g":0.000001,"h":0.0000001}"#),
        "<i>42</i><n>-7</n><big>123456789012345678901234567890</big><d>1.50</d><e>1E+3</e><f>1.5E-7</f><g>0.000001</g><h>1E-7</h>"
    );
}

#[test]
fn big_decimal_to_string() {
    // Examples from the brief and from java.math.BigDecimal's documentation.
    assert_eq!(num("1.50"), "1.50");
    assert_eq!(num("1e3"), "1E+3");
    assert_eq!(num("1E3"), "1E+3");
    assert_eq!(num("1e+3"), "1E+3");
    assert_eq!(num("1.5e-7"), "1.5E-7");
    assert_eq!(num("0.000001"), "0.000001");
    assert_eq!(num("0.0000001"), "1E-7");
    assert_eq!(num("123e0"), "123");
    assert_eq!(num("-123e0"), "-123");
    assert_eq!(num("123e1"), "1.23E+3");
    assert_eq!(num("123e3"), "1.23E+5");
    assert_eq!(num("123e-1"), "12.3");
    assert_eq!(num("123e-5"), "0.00123");
    assert_eq!(num("123e-10"), "1.23E-8");
    assert_eq!(num("-123e-12"), "-1.23E-10");
    assert_eq!(num("0.00"), "0.00");
    assert_eq!(num("0.0"), "0.0");
    assert_eq!(num("0e0"), "0");
    assert_eq!(num("0e5"), "0E+5");
    assert_eq!(num("0e-3"), "0.000");
    assert_eq!(num("0e-7"), "0E-7");
    assert_eq!(num("0.1"), "0.1");
    assert_eq!(num("10.0"), "10.0");
    assert_eq!(num("10e-1"), "1.0");
    assert_eq!(num("12.5e1"), "125");
    assert_eq!(num("-1.5E+2"), "-1.5E+2");
    assert_eq!(num("1.23456789"), "1.23456789");
    assert_eq!(num("00000.5e0"), "0.5"); // not strict JSON, but the layout handles leading zeros
    assert_eq!(num("1e2147483647"), "1E+2147483647");
    assert_eq!(num("1e-2147483647"), "1E-2147483647");
    assert_eq!(num("1e-00000000000000000002"), "0.01");
    assert_eq!(java_number("1.50").kind, NumKind::Decimal);
}

#[test]
fn integers_plain() {
    assert_eq!(
        java_number("0"),
        Number {
            text: "0".into(),
            kind: NumKind::Integer
        }
    );
    assert_eq!(num("-5"), "-5");
    assert_eq!(num("99999999999999999999999"), "99999999999999999999999");
}

#[test]
fn negative_zero_is_a_double() {
    for t in ["-0", "-0.0", "-0.00", "-0e5", "-0E-3", "-0.000e7"] {
        assert_eq!(
            java_number(t),
            Number {
                text: "-0.0".into(),
                kind: NumKind::Double
            },
            "{t}"
        );
    }
}

#[test]
fn exponent_out_of_int_range() {
    // BigDecimal fails, Double.valueOf decides.
    assert_eq!(
        java_number("1e2147483648"),
        Number {
            text: "1e2147483648".into(),
            kind: NumKind::Text
        }
    );
    assert_eq!(num("1e99999999999"), "1e99999999999");
    assert_eq!(
        java_number("1e-2147483649"),
        Number {
            text: "0.0".into(),
            kind: NumKind::Double
        }
    );
    assert_eq!(num("-1e-2147483649"), "-0.0");
    assert_eq!(num("0e99999999999"), "0.0");
    assert_eq!(num("-0e99999999999"), "-0.0");
    // Exponent fits, scale (fraction digits − exponent) does not.
    assert_eq!(num("1.5e-2147483648"), "0.0");
    assert_eq!(num("1e-2147483648"), "0.0");
    assert_eq!(num("1.0e-2147483647"), "0.0");
    // As text inside `_content` JSON it is a string, as in org.json.
    assert_eq!(children(r#"{"_content":[1e99999999999]}"#), "1e99999999999");
    assert_eq!(
        children(r#"{"_content":{"x":1e99999999999}}"#),
        r#"{"x":"1e99999999999"}"#
    );
}

#[test]
fn number_to_string_for_json_text() {
    assert_eq!(java_number_to_string("1.50"), "1.5");
    assert_eq!(java_number_to_string("10.0"), "10");
    assert_eq!(java_number_to_string("-0.0"), "-0");
    assert_eq!(java_number_to_string("1.50E+3"), "1.50E+3");
    assert_eq!(java_number_to_string("100"), "100");
}

// --- syntax (strict JSON) ---

#[test]
fn syntax_errors_with_positions() {
    let e = err(r#"{"a" 1}"#);
    assert_eq!(
        e,
        JsonToXmlError::Syntax {
            message: "expected ':' after an object key, found '1'".into(),
            line: 1,
            column: 6
        }
    );
    assert_eq!(
        e.to_string(),
        "expected ':' after an object key, found '1' at line 1 column 6"
    );
    let e = err("{\n  \"a\": 1,\n  \"b\" }");
    assert!(
        matches!(
            e,
            JsonToXmlError::Syntax {
                line: 3,
                column: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        err(""),
        JsonToXmlError::Syntax {
            line: 1,
            column: 1,
            ..
        }
    ));
    assert!(err("").to_string().contains("found end of input"));
    assert!(err("   ").to_string().contains("expected a JSON value"));
}

#[test]
fn lenient_json_rejected() {
    for bad in [
        "{'a':1}",
        "{a:1}",
        r#"{"a":'x'}"#,
        r#"{"a":x}"#,
        r#"{"a":1,}"#,
        "[1,]",
        "[1 2]",
        r#"{"a":1}x"#,
        r#"{"a":1} {"b":2}"#,
        "// c\n{}",
        "{} // c",
        "01",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "-",
        "NaN",
        "Infinity",
        "tru",
        "nul",
        "True",
        r#""abc"#,
        "\"a\nb\"",
        "\"a\tb\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12g4""#,
        "{",
        "[",
        r#"{"a""#,
        r#"{"a":"#,
        r#"{"a":1"#,
        r#"{1:2}"#,
    ] {
        assert!(
            matches!(err(bad), JsonToXmlError::Syntax { .. }),
            "{bad:?} → {:?}",
            json_to_xml(bad.as_bytes(), "r")
        );
    }
}

#[test]
fn whitespace_bom_and_utf8() {
    assert_eq!(
        children(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n "),
        "<a>1</a><a>2</a>"
    );
    assert_eq!(children("\u{FEFF}{\"a\":1}"), "<a>1</a>");
    // Invalid UTF-8 becomes U+FFFD, as Java's decoder does.
    assert_eq!(
        json_to_xml_children(b"{\"a\":\"x\xFFy\"}", "json-request").unwrap(),
        "<a>x\u{FFFD}y</a>"
    );
    // Non-breaking space is not JSON whitespace.
    assert!(matches!(err("\u{A0}{}"), JsonToXmlError::Syntax { .. }));
}

#[test]
fn depth_limit() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(matches!(
        json_to_xml(ok.as_bytes(), "r"),
        Err(JsonToXmlError::TopLevelArray { elements: 0 })
    ));
    let mut nested = String::from("1");
    for _ in 0..MAX_DEPTH {
        nested = format!("{{\"a\":{nested}}}");
    }
    let xml = json_to_xml(nested.as_bytes(), "r").unwrap();
    assert_eq!(xml.matches("<a>").count(), MAX_DEPTH);
    let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(
        json_to_xml(too_deep.as_bytes(), "r").unwrap_err(),
        JsonToXmlError::TooDeep {
            line: 1,
            column: MAX_DEPTH + 1
        }
    );
    // Hostile input does not overflow the stack.
    let hostile = "[{\"a\":".repeat(100_000);
    assert!(matches!(
        json_to_xml(hostile.as_bytes(), "r"),
        Err(JsonToXmlError::TooDeep { .. })
    ));
}

#[test]
fn budgets_for_untrusted_json() {
    use JsonToXmlError::Limit;
    let b = |nodes, depth, bytes| Budget {
        max_nodes: nodes,
        max_attributes: 1,
        max_depth: depth,
        max_bytes: bytes,
    };
    let within = |json: &str, budget: Budget| {
        json_to_xml_children_within(json.as_bytes(), "json-request", &budget)
    };
    // {"a":[0,0,0]}: the object, the key, the array and three numbers.
    let three = r#"{"a":[0,0,0]}"#;
    assert_eq!(
        within(three, b(6, 9, 999)).unwrap(),
        "<a>0</a><a>0</a><a>0</a>"
    );
    assert_eq!(
        within(three, b(5, 9, 999)),
        Err(Limit(BudgetError::Nodes(5)))
    );
    // Keys count, also when they write nothing.
    assert_eq!(
        within(r#"{"a":[],"b":[],"c":[]}"#, b(6, 9, 999)),
        Err(Limit(BudgetError::Nodes(6)))
    );
    // Inside `_content` too.
    assert_eq!(
        within(r#"{"_content":[[1,2,3]]}"#, b(5, 9, 999)),
        Err(Limit(BudgetError::Nodes(5)))
    );
    assert_eq!(within("[[1]]", b(9, 2, 999)).unwrap(), "1");
    assert_eq!(
        within("[[[1]]]", b(9, 2, 999)),
        Err(Limit(BudgetError::Depth(2)))
    );
    assert_eq!(
        within(r#"{"a":{"b":{}}}"#, b(9, 2, 999)),
        Err(Limit(BudgetError::Depth(2)))
    );
    // A long key repeated by an array: 29 bytes for the root, 206 per element.
    let key = "k".repeat(100);
    let json = format!(r#"{{"{key}":[1,2,3,4,5]}}"#);
    assert_eq!(within(&json, b(99, 9, 1059)).unwrap().len(), 1030);
    assert_eq!(
        within(&json, b(99, 9, 1058)),
        Err(Limit(BudgetError::Bytes(1058)))
    );
    // Escaping grows text too.
    assert_eq!(
        within(&format!("\"{}\"", "<".repeat(100)), b(9, 9, 300)),
        Err(Limit(BudgetError::Bytes(300)))
    );
    // Within the budget, the same XML as without one; errors as without one.
    let body = r#"{"a":[1,[2,[3]],{"b":"<&>"}],"_content":["x",{"y":"</z>"}],"c":"","d":{},"e":null,"1 2":"]]>"}"#;
    assert_eq!(within(body, Budget::default()).unwrap(), children(body));
    assert_eq!(
        within(r#"{"a":1,"a":2}"#, Budget::default()),
        Err(err(r#"{"a":1,"a":2}"#))
    );
    // 4 Mi zeros stop at the node limit.
    let zeros = format!("[{}0]", "0,".repeat(4 * 1024 * 1024));
    assert_eq!(
        within(&zeros, Budget::default()),
        Err(Limit(BudgetError::Nodes(Budget::default().max_nodes)))
    );
}

#[test]
fn root_names() {
    assert_eq!(full("1", "json-request"), "<json-request>1</json-request>");
    assert_eq!(full("1", "_r.2"), "<_r.2>1</_r.2>");
    for bad in ["", "1r", "a b", "<r>", "a:b", "-r"] {
        assert_eq!(
            json_to_xml(b"1", bad).unwrap_err(),
            JsonToXmlError::InvalidRoot(bad.to_string())
        );
    }
}

#[test]
fn children_strip_only_the_root() {
    assert_eq!(
        json_to_xml_children(b"{\"r\":{\"r\":1}}", "r").unwrap(),
        "<r><r>1</r></r>"
    );
    assert_eq!(json_to_xml_children(b"\"\"", "r").unwrap(), "");
    assert_eq!(json_to_xml_children(b"{}", "r").unwrap(), "");
    assert_eq!(json_to_xml_children(b"\"r/\"", "r").unwrap(), "r/");
    assert_eq!(json_to_xml_children(b"\"/\"", "r").unwrap(), "/");
}

#[test]
fn output_is_well_formed_xml() {
    let body = r#"{"a":[1,[2,[3]],{"b":"<&>"}],"_content":["x",{"y":"</z>"}],"c":"","d":{},"e":null,"1 2":"]]>"}"#;
    let xml = full(body, "json-request");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "json-request");
    let texts: String = doc
        .root_element()
        .children()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(texts, "x\n{\"y\":\"<\\/z>\"}");
}
