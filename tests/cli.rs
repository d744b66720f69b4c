//! The `endpoints` binary: `check` on broken applications (every kind of load error, with file, line and column),
//! `hash`, `routes`, and `serve` of the repository's default application.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_APP_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_reports_every_error_with_position() {
    let dir = common::fixture("broken");
    let d = dir.path();
    std::fs::write(d.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(d.join("secret.txt"), d.join("static/link.txt")).unwrap();
    let (code, _out, err) = run(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    let err = err.replace(d.to_str().unwrap(), "APP");
    let expected = [
        "APP/endpoints.xml:3:16: Parameter name 'bad name!' invalid: only letters, digits, '_', '.' and '-' are allowed",
        "APP/endpoints.xml:5:15: More than one <endpoint name='dup'> (the first is at line 4)",
        "APP/endpoints.xml:7:39: <endpoint name='to-nowhere'> has <forward-to-endpoint> to 'nowhere', but there is no endpoint called 'nowhere'",
        "APP/endpoints.xml:9:33: Circular references in <forward-to-endpoint> chain: 'a' -> 'b' -> 'a'",
        "APP/endpoints.xml:12:37: Endpoint has <include-in-hash> parameter 'nope' but this endpoint does not have a parameter of that name",
        "APP/endpoints.xml:15:63: <endpoint name='statics'> <success> #1: Filename '../endpoints.xml' attempts to reference outside application's 'static' directory",
        "APP/endpoints.xml:16:63: <endpoint name='statics'> <success> #2: Filename 'missing.png' not found in application's 'static' directory",
        "APP/endpoints.xml:17:40: <endpoint name='statics'> <success> #3: Filename 'link.txt' attempts to reference outside application's 'static' directory",
        "APP/endpoints.xml:20:31: <endpoint name='placeholders'> <success> #1: <redirect-to>: Pattern 'http://${nope}/' contains parameter ${nope} but it is not available; available parameters are ${foo}, ${request-id}",
        "APP/endpoints.xml:23:18: <success>: 'if' attribute found, but second attribute not found, expected one of: 'equals', 'notequals', 'isempty', 'hasmultiple', 'gt', 'ge', 'lt', 'le'",
        "APP/endpoints.xml:24:30: Condition isempty must be isempty='true' or isempty='false', not isempty='maybe'",
        "APP/endpoints.xml:27:56: <endpoint name='errors'> <error>: HTTP standard does not allow downloads to be triggered from error status codes",
        "APP/endpoints.xml:30:16: <endpoint name='errors2'> <error>: <forward-to-endpoint> was used in <error>, may only be used in <success>",
        "APP/endpoints.xml:33:29: <endpoint name='errors3'> <error>: <redirect-to>: Pattern 'https://x.example/${foo}' contains parameter ${foo} but it is not available; available parameters are ${internal-error-text}, ${parameter-transformation-error-text}, ${request-id}",
        "APP/endpoints.xml:36:35: XSLT file 't.xslt' not found in 'parameter-xslt'",
        "APP/endpoints.xml:37:9: EmailTask: <from> is missing",
        "APP/endpoints.xml:37:9: EmailTask: <subject> is missing",
        "APP/endpoints.xml:37:9: At least one <to> must be present, otherwise no emails would be sent, and the task would be pointless",
        "APP/endpoints.xml:37:9: <body-transformation> is missing",
        "APP/endpoints.xml:38:43: <endpoint name='later'> <success> #1: Transformer name='t' not found",
        "APP/endpoints.xml:41:9: Unexpected element <sucess> in <endpoint name='typo'>; expected <parameter>, <authentication>, <include-in-hash>, <parameter-transformation>, <task>, <success> or <error>; did you mean <success>?",
        "APP/security.xml: security.xml is missing: it holds the <secret-key>s that request hashes are checked against (or disable hash checking with --no-hash-check / ENDPOINTS_CHECK_HASH=false)",
        "22 error(s), 0 warning(s)",
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines, expected, "\nactual:\n{err}");
}

fn app_with(endpoints_xml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("endpoints.xml"), endpoints_xml).unwrap();
    std::fs::write(
        dir.path().join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    dir
}

fn check_stderr(dir: &Path) -> (i32, String) {
    let (code, _, err) = run(&["check", dir.to_str().unwrap()]);
    (code, err.replace(dir.to_str().unwrap(), "APP"))
}

#[test]
fn check_reports_xml_level_errors() {
    let d = app_with("<endpoint-folder>\n  <endpoint name=\"x\">\n</endpoint-folder>\n");
    let (code, err) = check_stderr(d.path());
    assert_eq!(code, 1);
    assert!(
        err.starts_with("APP/endpoints.xml:3:1: malformed XML: expected 'endpoint' tag, not 'endpoint-folder'\n"),
        "{err}"
    );

    let d = app_with(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<endpoint-folder/>\n",
    );
    let (code, err) = check_stderr(d.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("DOCTYPE declarations are not allowed in configuration files"),
        "{err}"
    );

    let d = app_with("<endpoints/>");
    let (_, err) = check_stderr(d.path());
    assert!(
        err.starts_with(
            "APP/endpoints.xml:1:1: Root element must be <endpoint-folder>, found <endpoints>"
        ),
        "{err}"
    );

    // A three-endpoint cycle is reported once, whole.
    let d = app_with(
        "<endpoint-folder>\n<endpoint name=\"p\"><success><forward-to-endpoint endpoint-name=\"q\"/></success></endpoint>\n<endpoint name=\"q\"><success><forward-to-endpoint endpoint-name=\"r\"/></success></endpoint>\n<endpoint name=\"r\"><success><forward-to-endpoint endpoint-name=\"p\"/></success></endpoint>\n</endpoint-folder>",
    );
    let (_, err) = check_stderr(d.path());
    assert_eq!(
        err.lines().filter(|l| l.contains("Circular")).collect::<Vec<_>>(),
        ["APP/endpoints.xml:2:29: Circular references in <forward-to-endpoint> chain: 'p' -> 'q' -> 'r' -> 'p'"]
    );

    let empty = tempfile::tempdir().unwrap();
    let (code, err) = check_stderr(empty.path());
    assert_eq!(code, 1);
    assert!(err.contains("no application here"), "{err}");

    // Warnings alone do not fail the check.
    let d = app_with("<endpoint-folder><parameter name=\"u\"/><endpoint name=\"open\" foo=\"bar\"><success><redirect-to>${u}</redirect-to></success></endpoint></endpoint-folder>");
    let (code, err) = check_stderr(d.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: unknown attribute 'foo' on <endpoint> is ignored"),
        "{err}"
    );
    assert!(err.contains("open redirect"), "{err}");
}

#[test]
fn check_passes_the_default_application_and_examples() {
    let (code, out, err) = run(&["check", ROOT]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OK (0 warning(s))"), "{out}{err}");
    for entry in std::fs::read_dir(format!("{ROOT}/examples")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            let (code, out, err) = run(&["check", dir.to_str().unwrap()]);
            assert_eq!(code, 0, "{}: {err}", dir.display());
            assert!(out.contains("OK (0 warning(s))"), "{out}{err}");
        }
    }
    // With hash checking off, security.xml may be absent (and is required otherwise).
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("endpoints.xml"),
        "<endpoint-folder><endpoint name=\"e\"/></endpoint-folder>",
    )
    .unwrap();
    let (code, _, err) = run(&["check", d.path().to_str().unwrap(), "--no-hash-check"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["check", d.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("security.xml is missing"), "{err}");
}

#[test]
fn hash_and_routes_commands() {
    let dir = common::fixture("core");
    let core = dir.path().to_str().unwrap().to_string();
    let (code, out, err) = run(&["hash", &core, "helloworld", "foo=abc", "long=def"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "82bb6e7f675a8d872688cb593a64f615b37f88478d7fed8705496d3e7a1c2699"
    );
    // the default of `long` is used
    let (_, out, _) = run(&["hash", &core, "helloworld", "foo=abc"]);
    assert_eq!(
        out.trim(),
        "82bb6e7f675a8d872688cb593a64f615b37f88478d7fed8705496d3e7a1c2699"
    );
    let (_, out, _) = run(&[
        "hash",
        &core,
        "helloworld",
        "foo=abc",
        "--environment",
        "preview",
    ]);
    assert_eq!(
        out.trim(),
        "4afcbe21891e5be6762f495958659a25950a83e7c52f13594cbebe43cfdd9bf4"
    );
    let (_, out, _) = run(&["hash", &core, "plain", "--all-keys"]);
    assert_eq!(out.lines().count(), 2);
    let (code, _, err) = run(&["hash", &core, "helloworld"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("parameter 'foo' is part of the hash and has no default"),
        "{err}"
    );
    let (code, _, err) = run(&["hash", &core, "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no endpoint 'nope'"));

    let (code, out, _) = run(&["routes", &core]);
    assert_eq!(code, 0);
    assert!(
        out.contains("/helloworld\n    foo (required)  [in hash]\n    long = \"def\"  [in hash]\n"),
        "{out}"
    );
}

/// Starts the real binary on the repository's default application and returns its address.
fn spawn_default_app() -> (std::process::Child, std::net::SocketAddr) {
    let mut child = Command::new(BIN)
        .args(["serve", ROOT, "--listen", "127.0.0.1:0"])
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env("ENDPOINTS_LOG", "info")
        .env_remove("ENDPOINTS_CHECK_HASH")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("on http://").nth(1) {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("server did not start");
    (child, addr.parse().unwrap())
}

fn hash_of(endpoint: &str, values: &[&str]) -> String {
    let mut args = vec!["hash", ROOT, endpoint];
    args.extend_from_slice(values);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    out.trim().to_string()
}

async fn get(addr: std::net::SocketAddr, p: String) -> common::Resp {
    common::send_h1(addr, Method::GET, &p, &[], Bytes::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_default_application() {
    let (mut child, addr) = spawn_default_app();

    let r = get(addr, format!("/contact?hash={}", hash_of("contact", &[]))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .text()
        .contains("<form method=\"post\" action=\"/contact-submit\""));
    // The form carries the valid hash of contact-submit.
    let submit_hash = hash_of("contact-submit", &[]);
    assert!(
        r.text()
            .contains(&format!("name=\"hash\" value=\"{submit_hash}\"")),
        "contact.html has a stale hash"
    );

    let (ct, body) = common::multipart(&[
        ("hash", None, submit_hash.as_bytes()),
        ("name", None, b"Ann"),
        ("email", None, b"ann@example.com"),
        ("message", None, b"Hello"),
        ("language", None, b"de"),
        ("attachment", Some("note.txt"), b"attached"),
    ]);
    let r = common::send_h1(
        addr,
        Method::POST,
        "/contact-submit",
        &[("content-type", ct.as_str())],
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Vielen Dank"));

    // The parameter transformation checks the form; its message reaches the visitor through <error>.
    let form = format!("hash={submit_hash}&name=Ann&email=ann");
    let r = common::send_h1(
        addr,
        Method::POST,
        "/contact-submit",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from(form),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("Please check the form"), "{}", r.text());
    assert!(
        r.text()
            .contains("Please enter a valid e-mail address (you entered 'ann')."),
        "{}",
        r.text()
    );
    let form = format!("hash={submit_hash}&email=ann%40example.com");
    let r = common::send_h1(
        addr,
        Method::POST,
        "/contact-submit",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from(form),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Please enter your name."), "{}", r.text());
    // A wrong hash gets the same page, without a message.
    let r = common::send_h1(
        addr,
        Method::POST,
        "/contact-submit",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from_static(b"hash=00&name=Ann&email=ann%40example.com"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.text().contains("Your message could not be sent."),
        "{}",
        r.text()
    );

    let r = get(
        addr,
        format!("/thank-you?hash={}", hash_of("thank-you", &[])),
    )
    .await;
    assert!(r.text().contains("Thank you!"));

    let r = get(
        addr,
        format!("/price-list?year=2027&hash={}", hash_of("price-list", &[])),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"price-list-2027.csv\"")
    );
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));

    let target = "https://example.com/welcome";
    let h = hash_of("follow-up", &[&format!("return-to={target}")]);
    let r = get(
        addr,
        format!("/follow-up?return-to=https%3A%2F%2Fexample.com%2Fwelcome&hash={h}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), target);
    let evil = "https://evil.example/";
    let h = hash_of("follow-up", &[&format!("return-to={evil}")]);
    let r = get(
        addr,
        format!("/follow-up?return-to=https%3A%2F%2Fevil.example%2F&hash={h}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // SIGTERM: a graceful stop
    terminate(&child);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

fn terminate(child: &std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

#[test]
fn check_reports_transformation_errors() {
    let d = app_with(
        "<endpoint-folder>\n  <endpoint name=\"a\"><success><response-transformation name=\"nope\"/></success></endpoint>\n  <endpoint name=\"b\"><success><response-transformation name=\"broken\"/></success></endpoint>\n  <endpoint name=\"c\"><success><response-transformation name=\"uses-param\"/></success></endpoint>\n</endpoint-folder>\n",
    );
    let p = d.path();
    for dir in ["data-sources", "transformers", "data-source-xslt"] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
    }
    std::fs::write(
        p.join("data-sources/ds.xml"),
        "<data-source><literal-xml><a>${who}</a></literal-xml></data-source>",
    )
    .unwrap();
    std::fs::write(
        p.join("data-sources/bad-command.xml"),
        "<data-source>\n  <sql-query/>\n</data-source>",
    )
    .unwrap();
    std::fs::write(
        p.join("transformers/broken.xml"),
        "<transformer data-source=\"ds\"><xslt-file name=\"broken.xsl\"/></transformer>",
    )
    .unwrap();
    std::fs::write(
        p.join("transformers/uses-param.xml"),
        "<transformer data-source=\"ds\"/>",
    )
    .unwrap();
    std::fs::write(
        p.join("transformers/orphan.xml"),
        "<transformer data-source=\"missing\"/>",
    )
    .unwrap();
    std::fs::write(
        p.join("data-source-xslt/broken.xsl"),
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n  <xsl:template match=\"/\">\n    <xsl:value-of select=\"((\"/>\n  </xsl:template>\n</xsl:stylesheet>\n",
    )
    .unwrap();
    let (code, err) = check_stderr(p);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("APP/endpoints.xml:2:56: <endpoint name='a'> <success> #1: Transformer name='nope' not found"), "{err}");
    assert!(
        err.contains("APP/data-sources/bad-command.xml:2:3: Command tag <sql-query> unrecognized"),
        "{err}"
    );
    assert!(
        err.contains("APP/transformers/orphan.xml:1:14: Transformer references data source 'missing' but it cannot be found"),
        "{err}"
    );
    // The broken stylesheet: its file and line, and where it is used.
    assert!(
        err.contains("APP/data-source-xslt/broken.xsl:3:1: compilation error in element value-of: xsl:value-of : could not compile select expression '(('"),
        "{err}"
    );
    assert!(err.contains("APP/transformers/broken.xml:1:42: XSLT 'APP/data-source-xslt/broken.xsl' does not compile"), "{err}");
    assert!(
        !err.contains("Transformer name='broken' not found"),
        "{err}"
    );
    // A data-source placeholder that the endpoint cannot fill.
    assert!(
        err.contains("<endpoint name='c'> <success> #1: transformer 'uses-param' uses data source 'ds' whose <literal-xml> (APP/data-sources/ds.xml:1:14) has an error: Pattern '<a>${who}</a>' contains parameter ${who} but it is not available; available parameters are ${request-id}"),
        "{err}"
    );
}

#[test]
fn check_reports_task_errors() {
    let dir = common::fixture("broken-tasks");
    let (code, err) = check_stderr(dir.path());
    assert_eq!(code, 1);
    let expected = [
        "APP/endpoints.xml:4:5: Task produces <output-intermediate-value name='invoice'> but there is already a <parameter name='invoice'> defined. Choose a different name for the output intermediate value",
        "APP/endpoints.xml:7:5: 1st <task>: Task cannot be optional (if=x equals=x etc.), and also output intermediate values",
        "APP/endpoints.xml:10:5: Circular dependency found: <task id='c'/> has <after task-id='d'/>, <task id='d'/> has <after task-id='c'/>",
        "APP/endpoints.xml:12:50: 3rd <task>: <after task-id='t'/> but no task found with this ID",
        "APP/endpoints.xml:12:70: 3rd <task>: No <task>s produce output intermediate value 'v'",
        "APP/endpoints.xml:15:14: <success>: Multiple <task>s produce output intermediate value 'w'",
        "APP/endpoints.xml:18:5: 1st <task>: HTTP task cannot ignore-if-error='true' and output intermediate values",
        "APP/endpoints.xml:19:78: Either 'xpath' or 'jsonpath' attributes must be set",
        "APP/endpoints.xml:19:115: Only one of 'xpath' or 'jsonpath' attributes may be set",
        "APP/endpoints.xml:19:214: jsonpath='$[' is not a valid JSONPath: at position 1, parser error",
        "APP/endpoints.xml:19:265: xpath='((' is not a valid XPath expression: could not compile select expression '(('",
        "APP/endpoints.xml:19:328: regex='(' is not a valid regular expression: unclosed group",
        "APP/endpoints.xml:20:5: 3rd <task>: Pattern 'http://x.example/${nope}' contains parameter ${nope} but it is not available; available parameters are ${invoice}, ${request-id}",
        "APP/endpoints.xml:20:50: retries=\"11\" must be a whole number from 0 to 10",
        "APP/endpoints.xml:20:63: timeout-ms=\"50\" must be a whole number from 100 to 600000",
        "APP/endpoints.xml:20:79: success-status: 'abc' is neither a status code (e.g. 201) nor a class (e.g. 2xx)",
        "APP/endpoints.xml:23:11: 1st <task>: unknown task class 'com.example.Custom'; known are endpoints.task.HttpRequestTask, endpoints.task.EmailTask, endpoints.task.SaveUploadsTask, endpoints.task.RequestLogExpressionCaptureTask, endpoints.task.CreateShortLinkToEndpointTask",
        "APP/endpoints.xml:24:66: 2nd <task>: 'key' may not contain parameters such as ${foo}",
        "APP/endpoints.xml:25:33: timeout-ms=\"10\" must be a whole number from 100 to 600000",
        "19 error(s), 0 warning(s)",
    ];
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        expected,
        "\nactual:\n{err}"
    );
}

#[test]
fn check_reports_extension_functions_nobody_provides() {
    let d = app_with(
        "<endpoint-folder>\n  <endpoint name=\"a\"><success><response-transformation name=\"page\"/></success></endpoint>\n</endpoint-folder>\n",
    );
    let p = d.path();
    for dir in ["data-sources", "transformers", "data-source-xslt"] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
    }
    std::fs::write(
        p.join("data-sources/ds.xml"),
        "<data-source><literal-xml><a/></literal-xml></data-source>",
    )
    .unwrap();
    std::fs::write(
        p.join("transformers/page.xml"),
        "<transformer data-source=\"ds\"><xslt-file name=\"page.xsl\"/></transformer>",
    )
    .unwrap();
    // It compiles (libxslt would fail only when the call runs); the imported module has the second mistake.
    std::fs::write(
        p.join("data-source-xslt/page.xsl"),
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n    xmlns:x=\"java:com.example.Nope\" xmlns:f=\"urn:endpoints:functions\">\n  <xsl:import href=\"common.xsl\"/>\n  <xsl:template match=\"/\">\n    <out id=\"{f:uuid()}\"><xsl:value-of select=\"x:thing()\"/></out>\n  </xsl:template>\n</xsl:stylesheet>\n",
    )
    .unwrap();
    std::fs::write(
        p.join("data-source-xslt/common.xsl"),
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n    xmlns:f=\"urn:endpoints:functions\">\n  <xsl:template match=\"a\"><b><xsl:value-of select=\"f:sha512-hex(.)\"/></b></xsl:template>\n</xsl:stylesheet>\n",
    )
    .unwrap();
    let (code, err) = check_stderr(p);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "APP/data-source-xslt/common.xsl:3:44: function f:sha512-hex() does not exist: namespace 'urn:endpoints:functions' has uuid(), base64-encode(), base64-decode(), sha256-hex()",
            "APP/data-source-xslt/page.xsl:5:40: function x:thing() is not available: this engine provides no functions in namespace 'java:com.example.Nope' (it provides EXSLT, urn:endpoints:functions and the java: namespaces java.util.UUID, com.offerready.xslt.xsltfunction.Base64, org.apache.commons.codec.digest.DigestUtils)",
            "2 error(s), 0 warning(s)",
        ],
        "{err}"
    );
}
