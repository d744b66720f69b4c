//! `${…}` templates: compile against a scope, then expand. The first line of the input is the template, the other
//! lines are the values. Checks: no panic; a template without placeholders expands to itself; values are inserted
//! verbatim and never expanded again; named patterns (plain and XML-escaping) behave the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;

use endpoints::config::template::{split_placeholders, Pattern, Scope, Template};

const NAMES: [&str; 4] = ["a", "b-c", "request-id", "x_1"];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let source = lines.next().unwrap_or("");
    let mut values: Vec<String> = lines.map(str::to_string).collect();
    values.resize(NAMES.len(), "${a}".to_string());
    let scope = Scope::new(NAMES);

    let pieces = split_placeholders(source);
    let rejoined: String = pieces
        .iter()
        .map(|(is_name, p)| {
            if *is_name {
                format!("${{{p}}}")
            } else {
                p.to_string()
            }
        })
        .collect();
    assert_eq!(rejoined, source, "split_placeholders loses text");

    if let Ok(t) = Template::compile(source, &scope) {
        assert!(source.starts_with(t.literal_prefix()));
        let out = t.expand(&values);
        if !t.has_placeholders() {
            assert_eq!(out, source);
        }
        let empty = vec![String::new(); NAMES.len()];
        let bare = t.expand(&empty);
        assert!(bare.len() <= source.len());
        // Every placeholder has a name from the scope.
        for (is_name, p) in &pieces {
            if *is_name {
                assert!(NAMES.contains(p), "{p}");
            }
        }
    }
    let lookup = |n: &str| {
        NAMES
            .iter()
            .position(|k| *k == n)
            .map(|i| values[i].as_str())
    };
    for pattern in [Pattern::plain(source), Pattern::xml(source)] {
        let _ = pattern.check(&scope);
        let _ = pattern.expand(&lookup, false);
        let all = pattern
            .expand(&lookup, true)
            .expect("unknown names expand to nothing");
        let _ = all;
        let names: Vec<&str> = pattern.names().collect();
        let _ = names;
    }
    // An XML pattern whose literals are plain text: escaping makes any value safe inside an element.
    if !source.contains(['<', '&', '>']) {
        let x = Pattern::xml(source);
        let out = x.expand(&lookup, true).unwrap();
        let doc = format!("<r>{out}</r>");
        let xml_char = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        if doc.chars().all(xml_char) && !doc.contains("]]>") {
            roxmltree::Document::parse(&doc)
                .unwrap_or_else(|e| panic!("escaped expansion is not XML text ({e}): {doc}"));
        }
    }
});
