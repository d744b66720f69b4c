//! Integration tests of `endpoints::xslt`: output byte-identical to xsltproc, parameters, EXSLT, extension
//! functions, the sandbox, entity attacks, error capture (and nothing on stderr), and concurrent use of one
//! compiled stylesheet. Fixtures: `tests/xslt_fixtures/` (the directory doubles as the application directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use endpoints::xslt::{self, Document, OutputInfo, OutputMethod, Stylesheet, XsltError};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xslt_fixtures")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn compile(name: &str) -> Stylesheet {
    Stylesheet::compile_file(&fixture(name), &fixtures())
        .unwrap_or_else(|e| panic!("{name} should compile, got:\n{e}"))
}

fn compile_err(name: &str) -> XsltError {
    Stylesheet::compile_file(&fixture(name), &fixtures()).expect_err(name)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

fn run(style: &str, input: &str, params: &[(&str, &str)]) -> Result<Vec<u8>, XsltError> {
    compile(style).transform(&read(input), params)
}

/// xsltproc's output for `style` on `input` with `--stringparam` for each parameter, or `None` (after a loud
/// message) when xsltproc is not installed. Under `CI=true` a missing xsltproc fails the test.
fn xsltproc(style: &str, input: &str, params: &[(&str, &str)]) -> Option<Vec<u8>> {
    let mut cmd = Command::new("xsltproc");
    for (name, value) in params {
        cmd.args(["--stringparam", name, value]);
    }
    cmd.arg(fixture(style)).arg(fixture(input));
    match cmd.output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "xsltproc failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(out.stdout)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "xsltproc is not installed (apt-get install xsltproc): required under CI=true"
                );
            }
            eprintln!("\n!!!!!!!! SKIPPED: xsltproc is not on PATH; the byte-for-byte comparison did not run !!!!!!!!\n");
            None
        }
        Err(e) => panic!("could not run xsltproc: {e}"),
    }
}

// ---------------------------------------------------------------- output identical to xsltproc

/// (stylesheet, input, parameters, expected `output()`)
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    OutputInfo,
);

const PARAM: &str = "O'Brien & <Co> — “quoted” ; document('/etc/passwd')";

#[test]
fn output_is_byte_identical_to_xsltproc_for_xml_html_and_text() {
    let cases: Vec<Case> = vec![
        (
            "xml.xsl",
            "data.xml",
            &[("p", PARAM)],
            OutputInfo {
                method: OutputMethod::Xml,
                media_type: Some("application/vnd.example+xml".into()),
                encoding: Some("ISO-8859-1".into()),
            },
        ),
        (
            "html.xsl",
            "invoice.xml",
            &[("p", PARAM)],
            OutputInfo {
                method: OutputMethod::Html,
                media_type: None,
                encoding: Some("UTF-8".into()),
            },
        ),
        (
            "invoice.xsl",
            "invoice.xml",
            &[],
            OutputInfo {
                method: OutputMethod::Html,
                media_type: None,
                encoding: Some("UTF-8".into()),
            },
        ),
        (
            "text.xsl",
            "invoice.xml",
            &[("p", PARAM)],
            OutputInfo {
                method: OutputMethod::Text,
                media_type: Some("text/plain".into()),
                encoding: Some("UTF-8".into()),
            },
        ),
    ];
    for (style, input, params, info) in &cases {
        let sheet = compile(style);
        assert_eq!(sheet.output(), info, "{style}: output()");
        let ours = sheet.transform(&read(input), params).unwrap();
        let doc = Document::parse(&read(input)).unwrap();
        assert_eq!(
            sheet.transform_doc(&doc, params).unwrap(),
            ours,
            "{style}: transform_doc = transform"
        );
        let Some(theirs) = xsltproc(style, input, params) else {
            return;
        };
        assert!(!ours.is_empty());
        assert!(
            ours == theirs,
            "{style} on {input}: output differs from xsltproc\n--- ours ({} bytes)\n{}\n--- xsltproc ({} bytes)\n{}",
            ours.len(),
            String::from_utf8_lossy(&ours),
            theirs.len(),
            String::from_utf8_lossy(&theirs)
        );
    }
}

#[test]
fn serialisation_details_per_method() {
    let xml = run("xml.xsl", "data.xml", &[("p", "x")]).unwrap();
    let xml = String::from_utf8_lossy(&xml);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"),
        "{xml}"
    );
    assert!(
        xml.contains("<snippet><![CDATA[if (a < b && c > d) { return \"x\"; }]]></snippet>"),
        "{xml}"
    );
    assert!(
        xml.contains("&#26085;&#26412;&#35069; knife &#128298;"),
        "characters outside Latin-1: {xml}"
    );
    assert!(
        xml.contains("\n  <item id=\"p2\" origin=\"JP\">\n"),
        "indentation: {xml}"
    );

    let html = text(run("html.xsl", "invoice.xml", &[("p", "x")]).unwrap());
    assert!(html.starts_with(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html lang=\"de\">"
    ));
    assert!(
        html.contains("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">")
    );
    assert!(html.contains("Parameter: x<br><span"));
    assert!(html.contains("<input type=\"checkbox\" name=\"ok\" checked>"));
    assert!(
        html.contains("if (1 < 2 && \"a\" != 'b')"),
        "script content is not escaped"
    );

    let txt = text(run("text.xsl", "invoice.xml", &[("p", "x")]).unwrap());
    assert!(
        txt.starts_with("Rechnung INV-2024-004217 für Kessler & Söhne"),
        "{txt}"
    );
    assert!(txt.ends_with("<Ende> & “fertig”\n"), "{txt}");
    assert!(!txt.contains("<?xml"));
}

// ---------------------------------------------------------------- parameters, EXSLT, extension functions

#[test]
fn parameters_are_literal_strings_even_with_both_quotes() {
    let sheet = compile("params.xsl");
    let input = read("invoice.xml");
    let tricky = r#"He said "don't" ; document('/etc/passwd') ]]> <x/> &amp;"#;
    let out = text(
        sheet
            .transform(&input, &[("p", tricky), ("limit", "20")])
            .unwrap(),
    );
    let cheap = roxmltree::Document::parse(std::str::from_utf8(&input).unwrap())
        .unwrap()
        .descendants()
        .filter(|n| n.has_tag_name("unit-price"))
        .filter(|n| n.text().unwrap().parse::<f64>().unwrap() <= 20.0)
        .count();
    assert!(cheap > 0);
    assert_eq!(
        out,
        format!("p=[{tricky}]\ncheap={cheap}\n"),
        "string params still compare numerically"
    );

    let out = text(sheet.transform(&input, &[("undeclared", "x")]).unwrap());
    assert_eq!(out, "p=[default]\ncheap=0\n");
    let out = text(sheet.transform(&input, &[("p", "")]).unwrap());
    assert!(out.starts_with("p=[]\n"));
}

#[test]
fn exslt_modules_are_registered() {
    let out = text(run("exslt.xsl", "invoice.xml", &[]).unwrap());
    assert_eq!(
        out,
        "replace=a+b+c\ntokens=x;y;z;\nmax=11\ndistinct=5\nyear=2024\n"
    );
}

fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
        && parts[2].starts_with('4')
        && matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b'))
}

#[test]
fn extension_functions_in_both_namespaces() {
    let sheet = compile("functions.xsl");
    let input = read("invoice.xml");
    let out = text(sheet.transform(&input, &[]).unwrap());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    assert!(is_uuid_v4(lines[0]), "f:uuid() = {}", lines[0]);
    assert!(is_uuid_v4(lines[1]), "uuid:randomUUID() = {}", lines[1]);
    assert_ne!(lines[0], lines[1], "fresh UUID per call");
    assert_eq!(lines[2], "R3LDvMOfZQ==", "f:base64-encode('Grüße')");
    assert_eq!(lines[3], "R3LDvMOfZQ==", "b64:encode('Grüße')");
    assert_eq!(lines[4], "Grüße", "f:base64-decode round trip");
    assert_eq!(lines[5], "Grüße", "b64:decode round trip");
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(lines[6], abc, "f:sha256-hex('abc')");
    assert_eq!(lines[7], abc, "digest:sha256Hex('abc')");
    assert_eq!(lines[8], "true", "function-available()");

    let again = text(sheet.transform(&input, &[]).unwrap());
    assert_ne!(
        again.lines().next(),
        Some(lines[0]),
        "a new UUID per transformation"
    );
    let other = text(sheet.transform(&input, &[("s", "a\"b'c <&>")]).unwrap());
    assert_eq!(other.lines().nth(4), Some("a\"b'c <&>"));
}

#[test]
fn invalid_base64_is_an_xpath_error() {
    let err = run("bad-base64.xsl", "invoice.xml", &[]).unwrap_err();
    let all = err.to_string();
    assert!(
        all.contains("base64-decode(): invalid base64 input"),
        "{all}"
    );
    assert!(all.contains("bad-base64.xsl:5:"), "located: {all}");
}

// ---------------------------------------------------------------- sandbox

fn assert_refused(result: Result<Vec<u8>, XsltError>, what: &str) {
    match result {
        Ok(out) => panic!(
            "{what}: should be refused, produced {:?}",
            String::from_utf8_lossy(&out)
        ),
        Err(e) => {
            let all = e.to_string();
            assert!(all.contains("refused"), "{what}: {all}");
            assert!(
                !all.contains("root:x:0"),
                "{what}: leaked file content: {all}"
            );
        }
    }
}

#[test]
fn document_inside_the_application_directory_is_allowed() {
    assert_eq!(
        text(run("document-inside.xsl", "invoice.xml", &[]).unwrap()),
        "Euro"
    );
    let lookup = fixture("data/lookup.xml");
    let abs = lookup.to_str().unwrap();
    for uri in [abs.to_owned(), format!("file://{abs}")] {
        let out = text(run("document-param.xsl", "invoice.xml", &[("uri", &uri)]).unwrap());
        assert_eq!(out, "[EuroUS-Dollar]", "{uri}");
    }
}

#[test]
fn application_directory_with_unusual_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("my app dir 100% ü");
    std::fs::create_dir_all(app.join("data")).unwrap();
    std::fs::copy(fixture("data/lookup.xml"), app.join("data/lookup.xml")).unwrap();
    std::fs::write(
        app.join("inc.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/"><xsl:value-of select="document('data/lookup.xml')//entry[1]"/></xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    std::fs::write(
        app.join("main.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:include href="inc.xsl"/>
</xsl:stylesheet>"#,
    )
    .unwrap();
    let sheet = Stylesheet::compile_file(&app.join("main.xsl"), &app).unwrap();
    assert_eq!(sheet.output().method, OutputMethod::Text);
    assert_eq!(text(sheet.transform(b"<a/>", &[]).unwrap()), "Euro");
}

#[test]
fn document_outside_the_application_directory_is_refused() {
    let elsewhere = tempfile::tempdir().unwrap();
    let sheet =
        Stylesheet::compile_file(&fixture("document-inside.xsl"), elsewhere.path()).unwrap();
    assert_refused(
        sheet.transform(&read("invoice.xml"), &[]),
        "sandbox root elsewhere",
    );

    assert_refused(
        run("document-passwd.xsl", "invoice.xml", &[]),
        "document('/etc/passwd')",
    );
    for uri in [
        "/etc/passwd",
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "../../../../../../../../etc/passwd",
        "data/../../../../../../../../../etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.com/x.xml",
        "ftp://127.0.0.1:9/x",
    ] {
        assert_refused(
            run("document-param.xsl", "invoice.xml", &[("uri", uri)]),
            uri,
        );
    }
}

#[test]
fn exsl_document_cannot_write_files() {
    let dir = tempfile::tempdir().unwrap();
    for target in [
        dir.path().join("pwned.txt"),
        dir.path().join("sub/dir/pwned.txt"),
        fixture("pwned.txt"),
    ] {
        let result = run(
            "exsl-write.xsl",
            "invoice.xml",
            &[("target", target.to_str().unwrap())],
        );
        assert_refused(result, "exsl:document");
        assert!(!target.exists(), "{} was created", target.display());
    }
    assert!(!dir.path().join("sub").exists(), "no directory created");
}

#[test]
fn documents_loaded_by_document_do_not_expand_external_entities() {
    let out = text(run("document-xxe.xsl", "invoice.xml", &[]).unwrap());
    assert_eq!(out, "[|]");
}

const XXE: &str =
    r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;

#[test]
fn xxe_is_refused_by_parse_and_transform() {
    for (name, body) in [
        ("general external entity", XXE.to_owned()),
        (
            "parameter entity",
            r#"<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><x/>"#.to_owned(),
        ),
        (
            "network entity",
            r#"<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><x>&e;</x>"#.to_owned(),
        ),
        (
            "internal entity",
            r#"<!DOCTYPE x [<!ENTITY e "inline">]><x>&e;</x>"#.to_owned(),
        ),
    ] {
        let err = Document::parse(body.as_bytes()).expect_err(name);
        assert!(!err.to_string().contains("root:"), "{name}: {err}");
        let err = compile("params.xsl")
            .transform(body.as_bytes(), &[])
            .expect_err(name);
        assert!(!err.to_string().contains("root:"), "{name}: {err}");
    }
    // An external DTD is never loaded (and its absence is not an error).
    let doc = Document::parse(br#"<!DOCTYPE x SYSTEM "file:///etc/passwd"><x>ok</x>"#).unwrap();
    assert_eq!(doc.root_name().as_deref(), Some("x"));
    assert!(!String::from_utf8_lossy(&doc.to_xml(true)).contains("root:"));
}

fn billion_laughs() -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 \"lol\">\n");
    for i in 1..=10 {
        let refs = format!("&lol{};", i - 1).repeat(10);
        s.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
    }
    s.push_str("]>\n<lolz a=\"&lol10;\">&lol10;</lolz>\n");
    s
}

fn quadratic_blowup() -> String {
    let big = "A".repeat(200_000);
    format!(
        "<!DOCTYPE q [<!ENTITY a \"{big}\">]><q>{}</q>",
        "&a;".repeat(20_000)
    )
}

#[test]
fn entity_bombs_are_refused_quickly() {
    let sheet = compile("params.xsl");
    for (name, body) in [
        ("billion laughs", billion_laughs()),
        ("quadratic blow-up", quadratic_blowup()),
    ] {
        let start = Instant::now();
        assert!(Document::parse(body.as_bytes()).is_err(), "{name}: parse");
        assert!(
            sheet.transform(body.as_bytes(), &[]).is_err(),
            "{name}: transform"
        );
        let took = start.elapsed();
        assert!(took < Duration::from_secs(1), "{name} took {took:?}");
    }
}

#[test]
fn oversized_input_is_refused() {
    let mut body = b"<a>".to_vec();
    body.resize(64 * 1024 * 1024 + 1, b'x');
    let err = compile("params.xsl").transform(&body, &[]).unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
}

// ---------------------------------------------------------------- errors

#[test]
fn compile_errors_name_file_and_line() {
    for (name, line, needle) in [
        ("broken-xpath.xsl", 7, "could not compile select expression"),
        ("broken-element.xsl", 6, "unknown xsl:vaule-of"),
        ("broken-wf.xsl", 6, "Opening and ending tag mismatch"),
    ] {
        let err = compile_err(name);
        let first = &err.messages[0];
        let path = fixture(name);
        assert!(
            first.starts_with(&format!("{}:{line}:", path.display())),
            "{name}: first message is {first:?}\nall:\n{err}"
        );
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
    let err = compile_err("no-such-file.xsl");
    assert!(err.to_string().contains("no-such-file.xsl"), "{err}");
}

#[test]
fn runtime_errors_are_errors_with_location() {
    let err = run("runtime-error.xsl", "invoice.xml", &[]).unwrap_err();
    let all = err.to_string();
    assert!(
        all.contains("runtime-error.xsl:6: runtime error in element value-of"),
        "{all}"
    );
    assert!(all.contains("Unregistered function"), "{all}");

    let err = run("params.xsl", "invoice.xml", &[("p", "a"), ("p", "b")]).unwrap_err();
    assert!(err.to_string().contains("already defined"), "{err}");

    let err = compile("params.xsl")
        .transform(b"<a>\n<b></a>", &[])
        .unwrap_err();
    assert!(err.messages[0].starts_with("line 2 col "), "{err}");
}

#[test]
fn xsl_message_terminate_is_an_error_carrying_its_text() {
    let err = run("message-terminate.xsl", "invoice.xml", &[]).unwrap_err();
    assert!(
        err.messages.iter().any(|m| m == "too many items: 50"),
        "{err:?}"
    );
    // Without terminate, the message does not fail the transformation.
    assert_eq!(text(run("message.xsl", "invoice.xml", &[]).unwrap()), "ok");
}

/// Everything that makes libxml2/libxslt talk, run in a child process whose stderr must stay empty.
#[test]
fn diagnostics_never_reach_stderr() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "noisy_operations_child",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("XSLT_NOISY_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
    assert!(
        out.stderr.is_empty(),
        "stderr of the child:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn noisy_operations_child() {
    if std::env::var_os("XSLT_NOISY_CHILD").is_none() {
        return;
    }
    for name in [
        "broken-xpath.xsl",
        "broken-element.xsl",
        "broken-wf.xsl",
        "no-such-file.xsl",
    ] {
        compile_err(name);
    }
    for style in [
        "runtime-error.xsl",
        "message-terminate.xsl",
        "document-passwd.xsl",
        "bad-base64.xsl",
    ] {
        run(style, "invoice.xml", &[]).unwrap_err();
    }
    run("message.xsl", "invoice.xml", &[]).unwrap();
    run("document-xxe.xsl", "invoice.xml", &[]).unwrap();
    run(
        "document-param.xsl",
        "invoice.xml",
        &[("uri", "http://127.0.0.1:9/x")],
    )
    .unwrap_err();
    run(
        "document-param.xsl",
        "invoice.xml",
        &[("uri", "data/missing.xml")],
    )
    .unwrap();
    Document::parse(b"<a><b></a>").unwrap_err();
    Document::parse(XXE.as_bytes()).unwrap_err();
    Document::parse(billion_laughs().as_bytes()).unwrap_err();
    Document::parse(b"\xff\xfe<bad encoding").unwrap_err();
    Document::parse_html(b"<p><b>unclosed <i>tags</p></div><!-- -- -->&nosuch;").unwrap();
    // From another thread too (libxml2's handlers are per thread).
    std::thread::spawn(|| Document::parse(b"<x></y>").unwrap_err())
        .join()
        .unwrap();
}

// ---------------------------------------------------------------- documents

#[test]
fn transform_doc_leaves_the_input_unmodified() {
    let input = read("invoice.xml");
    let doc = Document::parse(&input).unwrap();
    let before = doc.to_xml(true);
    let sheet = compile("strip-space.xsl");
    let fresh = sheet.transform(&input, &[]).unwrap();
    assert_eq!(sheet.transform_doc(&doc, &[]).unwrap(), fresh);
    assert_eq!(sheet.transform_doc(&doc, &[]).unwrap(), fresh);
    assert_eq!(
        doc.to_xml(true),
        before,
        "whitespace was stripped from the borrowed document"
    );
    // Fewer text nodes than in the document: stripping really happened (in the copy).
    let stripped: usize = text(fresh).parse().unwrap();
    let original = roxmltree::Document::parse(std::str::from_utf8(&input).unwrap())
        .unwrap()
        .descendants()
        .filter(|n| n.is_text())
        .count();
    assert!(stripped < original, "{stripped} < {original}");
}

#[test]
fn html_documents_can_be_transformed_and_embedded() {
    let page = b"<HTML><head><title>Fetched &amp; parsed</title></head><body><TABLE><tr><td>1<td>2</table><p>x<br>y";
    let doc = Document::parse_html(page).unwrap();
    assert_eq!(doc.root_name().as_deref(), Some("html"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cells.xsl");
    std::fs::write(
        &path,
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/"><xsl:value-of select="/html/head/title"/>|<xsl:value-of select="count(//td)"/></xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    let sheet = Stylesheet::compile_file(&path, dir.path()).unwrap();
    assert_eq!(
        text(sheet.transform_doc(&doc, &[]).unwrap()),
        "Fetched & parsed|2"
    );
    let embedded = text(doc.root_to_xml());
    assert!(
        embedded.starts_with("<html><head><title>Fetched &amp; parsed</title></head>"),
        "{embedded}"
    );
    assert!(
        embedded.contains("<br/>"),
        "XML, not HTML serialisation: {embedded}"
    );
    // Embedding: the root element's XML is well-formed inside another document.
    let outer = format!("<wrapper>{embedded}</wrapper>");
    assert_eq!(
        Document::parse(outer.as_bytes())
            .unwrap()
            .root_name()
            .as_deref(),
        Some("wrapper")
    );
}

// ---------------------------------------------------------------- threads

#[test]
fn one_stylesheet_shared_by_four_threads() {
    const THREADS: usize = 4;
    const ITERATIONS: usize = 500;
    fn shareable<T: Send + Sync>() {}
    shareable::<Stylesheet>();
    shareable::<XsltError>();
    xslt::init();
    xslt::init(); // idempotent
    let sheet = Arc::new(compile("threads.xsl"));
    let input = Arc::new(read("invoice.xml"));
    // The expected output for any (thread, iteration), from one single-threaded run with placeholders.
    let template = text(
        sheet
            .transform(&input, &[("thread", "@T@"), ("iteration", "@I@")])
            .unwrap(),
    );
    let placeholder_hash = sha256_hex("@T@/@I@");
    assert!(
        template.contains(&placeholder_hash) && template.contains("<category n=\"5\""),
        "{template}"
    );
    let expected = move |t: &str, i: &str| {
        template
            .replace(&placeholder_hash, &sha256_hex(&format!("{t}/{i}")))
            .replace("@T@", t)
            .replace("@I@", i)
    };
    let expected = Arc::new(expected);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (sheet, input, expected) = (sheet.clone(), input.clone(), expected.clone());
            std::thread::spawn(move || {
                let doc = Document::parse(&input).unwrap(); // a per-thread parsed document as well
                for i in 0..ITERATIONS {
                    let (t, i) = (format!("thread-{t}"), i.to_string());
                    let params = [("thread", t.as_str()), ("iteration", i.as_str())];
                    let out = if i.ends_with('0') {
                        sheet.transform_doc(&doc, &params).unwrap()
                    } else {
                        sheet.transform(&input, &params).unwrap()
                    };
                    assert_eq!(text(out), expected(&t, &i), "thread {t} iteration {i}");
                }
                ITERATIONS
            })
        })
        .collect();
    let done: usize = handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .sum();
    assert_eq!(done, THREADS * ITERATIONS);
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------- throughput (manual)

/// `cargo test --release --test xslt_module -- --ignored --nocapture throughput`
#[test]
#[ignore = "manual measurement"]
fn throughput_invoice_single_thread() {
    let sheet = compile("invoice.xsl");
    let input = read("invoice.xml");
    for _ in 0..200 {
        sheet.transform(&input, &[]).unwrap();
    }
    let n = 5000;
    let start = Instant::now();
    for _ in 0..n {
        sheet.transform(&input, &[]).unwrap();
    }
    let took = start.elapsed();
    println!(
        "invoice.xsl: {n} transforms in {took:?} = {:.0}/s",
        n as f64 / took.as_secs_f64()
    );
}
