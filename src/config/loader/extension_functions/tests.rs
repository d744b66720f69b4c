//! Tests of the extension-function check: scanning expressions and stylesheets, and the load-time errors.

use super::*;

fn calls(expr: &str) -> Vec<(&str, &str)> {
    scan_expression(expr).calls
}

#[test]
fn finds_prefixed_calls() {
    assert_eq!(calls("x:thing()"), [("x", "thing")]);
    assert_eq!(calls("concat(a, x:thing (1), 'b')"), [("x", "thing")]);
    assert_eq!(
        calls("f:uuid()=str:tokenize(@a, ',')[1]"),
        [("f", "uuid"), ("str", "tokenize")]
    );
    assert_eq!(calls("b64:encode(string(.))"), [("b64", "encode")]);
    assert_eq!(calls("my-ns.v2:do-it()"), [("my-ns.v2", "do-it")]);
    assert_eq!(calls("ünï:cödé()"), [("ünï", "cödé")]);
}

#[test]
fn ignores_what_is_not_a_prefixed_call() {
    for expr in [
        "concat('x:thing()', \"y:z()\")",
        "string(@p:attr)",
        "$p:var",
        "$ p:var",
        "child::p:x",
        "p:x/p:y",
        "p:*",
        "count(p:item) + 1",
        "text() | node() | comment()",
        "key('k', .) and document('a.xml')",
        "a (: x:thing() :) + 1",
        "a (: (: nested x:a() :) y:b() :)",
        "1 div 2 mod 3",
        "",
        "'unterminated x:f()",
    ] {
        assert_eq!(calls(expr), [] as [(&str, &str); 0], "{expr}");
    }
    // `::` is an axis, not a prefix.
    assert_eq!(calls("self::node()"), []);
}

#[test]
fn function_available_literals() {
    let s = scan_expression("function-available('x:thing') and function-available( \"y:z\" )");
    assert_eq!(s.guarded, ["x:thing", "y:z"]);
    assert!(s.calls.is_empty());
}

#[test]
fn attribute_value_templates() {
    assert_eq!(avt_expressions("a{x:f()}b{$v}"), ["x:f()", "$v"]);
    assert_eq!(avt_expressions("{{literal}} {'}'}"), ["'}'"]);
    assert_eq!(avt_expressions("no braces"), [] as [&str; 0]);
    assert_eq!(avt_expressions("{unterminated"), ["unterminated"]);
}

fn check_files(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut diags = Diagnostics::default();
    check(&dir.path().join(files[0].0), &mut diags);
    diags.messages_in(dir.path())
}

const HEAD: &str =
    r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform""#;

#[test]
fn unknown_namespaces_and_functions_are_errors() {
    let xsl = format!(
        r#"{HEAD}
    xmlns:x="java:com.example.Nope" xmlns:f="urn:endpoints:functions"
    xmlns:uuid="java:java.util.UUID" xmlns:str="http://exslt.org/strings">
  <xsl:template match="/">
    <xsl:value-of select="x:thing()"/>
    <out id="{{f:nope()}}" ok="{{f:uuid()}} {{uuid:randomUUID()}}"/>
    <xsl:if test="str:anything(.)"/>
    <xsl:value-of select="q:undeclared()"/>
  </xsl:template>
</xsl:stylesheet>"#
    );
    assert_eq!(
            check_files(&[("a.xsl", &xsl)]),
            [
                "DIR/a.xsl:5:19: function x:thing() is not available: this engine provides no functions in \
                 namespace 'java:com.example.Nope' (it provides EXSLT, urn:endpoints:functions and the java: \
                 namespaces java.util.UUID, com.offerready.xslt.xsltfunction.Base64, \
                 org.apache.commons.codec.digest.DigestUtils)",
                "DIR/a.xsl:6:10: function f:nope() does not exist: namespace 'urn:endpoints:functions' has uuid(), \
                 base64-encode(), base64-decode(), sha256-hex()",
                "DIR/a.xsl:8:19: function q:undeclared() cannot be called: the namespace prefix 'q' is not declared",
            ]
        );
}

#[test]
fn every_place_an_expression_can_hide() {
    let xsl = format!(
        r#"{HEAD} xmlns:x="java:Nope">
  <xsl:key name="k" match="item[x:a()]" use="x:b()"/>
  <xsl:variable name="v" select="x:c()"/>
  <xsl:template match="/">
    <xsl:for-each select="x:d()"><xsl:sort select="x:e()" order="{{x:f()}}"/></xsl:for-each>
    <xsl:number value="x:g()" format="{{x:h()}}"/>
    <xsl:element name="{{x:i()}}"/>
    <xsl:apply-templates select="."><xsl:with-param name="p" select="x:j()"/></xsl:apply-templates>
    <xsl:choose><xsl:when test="x:k()"/></xsl:choose>
  </xsl:template>
  <x:data note="{{x:not-a-template()}}"/>
</xsl:stylesheet>"#
    );
    let errors = check_files(&[("a.xsl", &xsl)]);
    let named: Vec<String> = errors
        .iter()
        .map(|e| e.split("function ").nth(1).unwrap()[..4].to_string())
        .collect();
    assert_eq!(
        named,
        ["x:a(", "x:b(", "x:c(", "x:d(", "x:e(", "x:f(", "x:g(", "x:h(", "x:i(", "x:j(", "x:k("],
        "{errors:#?}"
    );
}

#[test]
fn imports_includes_definitions_and_guards() {
    let main = format!(
        r#"{HEAD} xmlns:x="java:Nope" xmlns:my="urn:mine" xmlns:func="http://exslt.org/functions"
    extension-element-prefixes="func">
  <xsl:import href="sub/imported.xsl"/>
  <xsl:include href="included.xsl"/>
  <func:function name="my:twice"><func:result select="concat(., .)"/></func:function>
  <xsl:template match="/">
    <xsl:value-of select="my:twice('a')"/>
    <xsl:if test="function-available('x:guarded')"><xsl:value-of select="x:guarded()"/></xsl:if>
  </xsl:template>
</xsl:stylesheet>"#
    );
    let imported = format!(
        r#"{HEAD} xmlns:y="java:AlsoNope"><xsl:template match="a"><xsl:value-of select="y:bad()"/></xsl:template></xsl:stylesheet>"#
    );
    let included = format!(
        r#"{HEAD} xmlns:z="java:StillNope"><xsl:include href="included.xsl"/><xsl:template match="b"><b v="{{z:worse()}}"/></xsl:template></xsl:stylesheet>"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("main.xsl"), main).unwrap();
    std::fs::write(dir.path().join("sub/imported.xsl"), imported).unwrap();
    std::fs::write(dir.path().join("included.xsl"), included).unwrap();
    let mut diags = Diagnostics::default();
    check(&dir.path().join("main.xsl"), &mut diags);
    let errors: Vec<String> = diags.messages_in(dir.path());
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].starts_with("DIR/included.xsl:1:"), "{errors:#?}");
    assert!(errors[0].contains("z:worse()"), "{errors:#?}");
    assert!(
        errors[1].starts_with("DIR/sub/imported.xsl:1:"),
        "{errors:#?}"
    );
    assert!(errors[1].contains("y:bad()"), "{errors:#?}");
}

#[test]
fn simplified_stylesheets_and_clean_ones() {
    let simplified = r#"<html xsl:version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:x="java:Nope"><p><xsl:value-of select="x:f()"/></p><a href="{x:g()}"/></html>"#;
    assert_eq!(check_files(&[("s.xsl", simplified)]).len(), 2);
    let clean = format!(
        r#"{HEAD} xmlns:f="urn:endpoints:functions" xmlns:exsl="http://exslt.org/common"
    xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
    xmlns:d="java:org.apache.commons.codec.digest.DigestUtils">
  <xsl:template match="/">
    <r a="{{f:sha256-hex('x')}}" b="{{b64:decode(b64:encode('x'))}}" c="{{d:sha256Hex('x')}}">
      <xsl:copy-of select="exsl:node-set($v)"/>
    </r>
  </xsl:template>
</xsl:stylesheet>"#
    );
    assert_eq!(check_files(&[("c.xsl", &clean)]), [] as [String; 0]);
    // What cannot be read or parsed is left to the compiler.
    assert_eq!(
        check_files(&[("broken.xsl", "<xsl:stylesheet")]),
        [] as [String; 0]
    );
}

/// The namespaces and functions listed here are really there: libxslt says `function-available()` for each.
#[test]
fn the_lists_match_what_libxslt_provides() {
    let mut probes: Vec<(String, String)> = ENGINE_FUNCTIONS
        .iter()
        .flat_map(|(ns, names)| names.iter().map(|n| (ns.to_string(), n.to_string())))
        .collect();
    for (ns, sample) in LIBRARY_NAMESPACES.iter().zip([
        "node-set", "max", "distinct", "tokenize", "date", "evaluate", "md5", "evaluate",
        "node-set", "node-set",
    ]) {
        probes.push((ns.to_string(), sample.to_string()));
    }
    assert_eq!(probes.len(), 8 + LIBRARY_NAMESPACES.len());
    let mut xsl = String::from(
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:output method="text"/><xsl:template match="/">"#,
    );
    for (i, (ns, name)) in probes.iter().enumerate() {
        xsl.push_str(&format!(
            r#"<xsl:value-of select="function-available('p{i}:{name}')" xmlns:p{i}="{ns}"/>,"#
        ));
    }
    xsl.push_str("<xsl:value-of select=\"function-available('p:nope')\" xmlns:p=\"java:Nope\"/></xsl:template></xsl:stylesheet>");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.xsl");
    std::fs::write(&path, xsl).unwrap();
    let sheet = crate::xslt::Stylesheet::compile_file(&path, dir.path()).unwrap();
    let out = String::from_utf8(sheet.transform(b"<a/>", &[]).unwrap()).unwrap();
    let answers: Vec<&str> = out.trim().split(',').collect();
    for (probe, answer) in probes.iter().zip(&answers) {
        assert_eq!(*answer, "true", "{probe:?} is not available");
    }
    assert_eq!(answers.last(), Some(&"false"), "the probe itself works");
}
