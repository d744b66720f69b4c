//! XSLT 2.0 and 3.0 on Saxon-HE, over real HTTP, in every place the engine runs a stylesheet (fixture
//! `tests/apps/saxon`): transformers with HTML, XML, text and JSON output, data-source post-processing (per command
//! and per data source), the post-processing of `<xml-from-url>` results, the parameter transformation and its
//! `<error>`, the `xslt-file` bodies of HTTP tasks, e-mail bodies and attachments, the engine's extension functions
//! and its sandbox.
//!
//! Where the stylesheet's input can be fetched (every transformer has a twin without XSLT that answers its
//! `<transformation-input>`), the engine's output is compared with what Saxon's own command line
//! (`net.sf.saxon.Transform`) makes of the same stylesheet and input. Where it cannot (parameter transformation,
//! task bodies, e-mail bodies, extension functions, which the command line does not know), the values the
//! stylesheet computes are checked. `endpoints check` must report a static XSLT 2.0 error with file, line and column,
//! and an XSLT 1.0 stylesheet of the same application still runs on libxslt.
//!
//! Needs `java` and Debian's `libsaxonhe-java` (/usr/share/java/Saxon-HE.jar): without them every test here is
//! skipped with a loud message, except under `CI=true`, where that is a failure.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::smtp::{read_maildir, start_smtp, text};
use common::{Resp, TestServer};
use http::StatusCode;
use sha2::Digest;

const SAXON_JAR: &str = "/usr/share/java/Saxon-HE.jar";

/// Whether Java and the Saxon-HE jar are installed. Outside CI a missing one skips the test loudly; under
/// `CI=true` it fails the test.
fn saxon_available() -> bool {
    let java = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    let jar = Path::new(SAXON_JAR).is_file();
    if java && jar {
        return true;
    }
    let missing = match (java, jar) {
        (false, false) => "java and /usr/share/java/Saxon-HE.jar are",
        (false, true) => "java is",
        _ => "/usr/share/java/Saxon-HE.jar is",
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{missing} missing (apt-get install default-jre-headless libsaxonhe-java); the Saxon tests need them under CI=true");
    }
    eprintln!("\n**********\nSKIPPED: {missing} missing (apt-get install default-jre-headless libsaxonhe-java): the XSLT 2.0 tests do not run\n**********\n");
    false
}

fn app_file(s: &TestServer, rel: &str) -> PathBuf {
    s.app_dir.join(rel)
}

/// What Saxon's command line writes for `xsl` applied to `input`, with string parameters `name=value`.
async fn saxon_cli(xsl: PathBuf, input: String, params: &[(&str, &str)]) -> Vec<u8> {
    let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let in_path = dir.path().join("input.xml");
        let out_path = dir.path().join("output");
        std::fs::write(&in_path, input).unwrap();
        let out = Command::new("java")
            .args(["-cp", SAXON_JAR, "net.sf.saxon.Transform"])
            .arg(format!("-s:{}", in_path.display()))
            .arg(format!("-xsl:{}", xsl.display()))
            .arg(format!("-o:{}", out_path.display()))
            .args(&params)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "Saxon's command line failed on {}: {}",
            xsl.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(&out_path).unwrap()
    })
    .await
    .unwrap()
}

async fn get(s: &TestServer, endpoint: &str, query: &str) -> Resp {
    let h = s.hash(endpoint, &[]);
    let sep = if query.is_empty() { "" } else { "&" };
    s.get(&format!("/app/{endpoint}?{query}{sep}hash={h}"))
        .await
}

fn request_id(r: &Resp) -> &str {
    r.header("x-request-id").expect("X-Request-Id")
}

/// The document a stylesheet saw in request `run`: the body of the identity twin, whose own request id is replaced
/// by the id of `run` (the only value in which the two requests' inputs differ).
fn input_seen_by(twin: &Resp, run: &Resp) -> String {
    assert_eq!(twin.status, StatusCode::OK, "{}", twin.text());
    twin.text().replace(request_id(twin), request_id(run))
}

/// The element children of the root of `xml`, as source text, concatenated (how the engine hands post-processing
/// results on).
fn children_of_root(xml: &[u8]) -> String {
    let text = std::str::from_utf8(xml).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap();
    doc.root_element()
        .children()
        .filter(|c| c.is_element())
        .map(|c| &text[c.range()])
        .collect()
}

/// The body of an identity transformer over a data source that produced `elements`.
fn identity_body(elements: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<transformation-input>{elements}</transformation-input>\n")
}

/// `format-date(current-date(), '[D01].[M01].[Y0001]')` differs between runs: the date after `marker` is replaced by
/// `DD.MM.YYYY` (and returned, parsed) so that the rest can be compared exactly.
fn mask_date(text: &str, marker: &str) -> (String, jiff::civil::Date) {
    let re = regex::Regex::new(&format!(
        "{}([0-9]{{2}})\\.([0-9]{{2}})\\.([0-9]{{4}})",
        regex::escape(marker)
    ))
    .unwrap();
    let c = re
        .captures(text)
        .unwrap_or_else(|| panic!("no date after {marker:?} in:\n{text}"));
    let date = jiff::civil::date(
        c[3].parse().unwrap(),
        c[2].parse().unwrap(),
        c[1].parse().unwrap(),
    );
    (
        re.replace_all(text, format!("{marker}DD.MM.YYYY").as_str())
            .into_owned(),
        date,
    )
}

/// Compares an engine response with Saxon's command line, the current date masked; the two dates may differ by a
/// day at most (a run across midnight, or a worker in another time zone than this process).
fn assert_same_but_date(engine: &[u8], cli: &[u8], marker: &str, what: &str) {
    let (engine, engine_date) = mask_date(std::str::from_utf8(engine).unwrap(), marker);
    let (cli, cli_date) = mask_date(std::str::from_utf8(cli).unwrap(), marker);
    assert_eq!(
        engine, cli,
        "{what}: the engine's output differs from Saxon's command line"
    );
    let near = [
        cli_date.yesterday().unwrap(),
        cli_date,
        cli_date.tomorrow().unwrap(),
    ];
    assert!(
        near.contains(&engine_date),
        "{what}: current-date() is {engine_date} in the engine, {cli_date} on the command line"
    );
}

fn utf8(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transformers_match_saxons_command_line() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    // A customer name with markup characters and non-ASCII letters: it reaches the stylesheets through the
    // ${customer} placeholder of xml-from-application/orders.xml and through <parameters/>.
    let query = "customer=Caf%C3%A9%20%3CM%C3%BCller%3E%20%26%20Sons&email=ann%40example.com";
    let twin = get(&s, "orders-input", query).await;
    assert_eq!(
        twin.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert!(
        twin.text()
            .contains("<orders customer=\"Café &lt;Müller&gt; &amp; Sons\""),
        "{}",
        twin.text()
    );

    // HTML: xsl:import + xsl:include, next-match, tunnel parameters, mode="#current", group-by, date arithmetic,
    // two <placeholder-value>s; the printing date (current-date()) is masked.
    let html = get(&s, "orders-html", query).await;
    assert_eq!(html.status, StatusCode::OK, "{}", html.text());
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/orders-html.xslt"),
        input_seen_by(&twin, &html),
        &[("title", "Order overview"), ("payment-days", "14")],
    )
    .await;
    assert_same_but_date(&html.body, &expected, "Printed on ", "orders-html");
    let body = html.text();
    for part in [
        "<title>Order overview</title>",
        "<h1>Order overview: Café &lt;Müller&gt; &amp; Sons</h1>",
        "<p>Ordered 17.02.2026, due 03.03.2026, overdue by 29 days</p>",
        "<tr class=\"bulk\">",
        "<td class=\"num\">16.20 EUR</td>",
        "<p class=\"total\">Total 33.05 EUR</p>",
        "<h2>Order A-1004 (cancelled)</h2>",
        "<th>coffee</th>",
        "<td class=\"num\">54.50 EUR</td>",
    ] {
        assert!(body.contains(part), "orders-html lacks {part}:\n{body}");
    }

    // XML: regular expressions, tokenize/replace, group-adjacent, sequences, node-name(), xs:token, use-when.
    let xml = get(&s, "orders-xml", query).await;
    assert_eq!(xml.status, StatusCode::OK, "{}", xml.text());
    assert_eq!(
        xml.header("content-type"),
        Some("application/xml; charset=UTF-8")
    );
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/orders-xml.xslt"),
        input_seen_by(&twin, &xml),
        &[],
    )
    .await;
    assert_eq!(
        utf8(&xml.body),
        utf8(&expected),
        "orders-xml differs from Saxon's command line"
    );
    let body = xml.text();
    for part in [
        "<engine family=\"saxon\">\n      <xslt-3/>\n   </engine>",
        "<product sku=\"TEA-EG-100\" first=\"1\" times=\"2\"/>",
        "<order id=\"A-1004\" quarter=\"1\" marks=\"1-2-3-4\"/>",
        "<run status=\"open\" orders=\"A-1002 A-1003\"/>",
        "<field name=\"channel\" value=\"web\"/>",
        "<week start=\"2026-03-17\" orders=\"1\"/>",
        "<note author=\"Ann Müller\">",
        "<invoice year=\"2026\" number=\"57\"/>",
        "<phone>+4312345678</phone>",
        "<email domain=\"example.com\">ann.mueller@example.com</email>",
        "<item>send a new invoice</item>",
        &format!("<request id=\"{}\" email-valid=\"true\">", request_id(&xml)),
    ] {
        assert!(body.contains(part), "orders-xml lacks {part}:\n{body}");
    }

    // Text, twice: all orders, and only the open ones (a parameter read from <parameters/>).
    for (q, line) in [
        (
            query.to_string(),
            "A-1004;20.03.2026;CANCELLED;CAK-LE-01;4;12.80\n",
        ),
        (
            format!("{query}&status=open"),
            "A-1003;09.03.2026;open;COF-FI-500;2;42.00\nas of",
        ),
    ] {
        let text = get(&s, "orders-text", &q).await;
        assert_eq!(text.status, StatusCode::OK, "{}", text.text());
        assert_eq!(text.header("content-type"), Some("text/csv; charset=UTF-8"));
        assert_eq!(
            text.header("content-disposition"),
            Some("attachment; filename=\"orders.csv\"")
        );
        let twin = get(&s, "orders-input", &q).await;
        let expected = saxon_cli(
            app_file(&s, "data-source-xslt/orders-text.xslt"),
            input_seen_by(&twin, &text),
            &[],
        )
        .await;
        assert_same_but_date(&text.body, &expected, "printed ", "orders-text");
        assert!(text.text().contains(line), "{}", text.text());
    }

    // JSON: Saxon's XML, converted by the engine's own XML → JSON conversion.
    let json = get(&s, "orders-json", query).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text());
    assert_eq!(
        json.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/orders-json.xslt"),
        input_seen_by(&twin, &json),
        &[],
    )
    .await;
    assert_eq!(
        json.text(),
        endpoints::convert::xml_to_json(&expected).unwrap(),
        "orders-json differs from Saxon's command line + the JSON conversion"
    );
    let v: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(v["orders"]["customer"], "Café <Müller> & Sons");
    assert_eq!(v["orders"]["order"][1]["open"], true);
    assert_eq!(v["orders"]["order"][1]["total"].to_string(), "33.05");
    assert_eq!(v["orders"]["order"][2]["weekday"], "Monday");
    assert_eq!(v["orders"]["categories"], "tea,coffee,accessories,cake");

    // version="2.0" with an XSLT 1.0 body: Saxon's HTML serialisation (meta element, indentation).
    let plain = get(&s, "orders-plain", query).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text());
    assert_eq!(
        plain.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/orders-plain.xslt"),
        input_seen_by(&twin, &plain),
        &[],
    )
    .await;
    assert_eq!(
        utf8(&plain.body),
        utf8(&expected),
        "orders-plain differs from Saxon's command line"
    );
    assert!(
        plain
            .text()
            .contains("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">"),
        "{}",
        plain.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xslt_1_0_stylesheet_of_the_same_application_stays_on_libxslt() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    let r = get(&s, "orders-classic", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.text(),
        "vendor=libxslt\nversion=1.0\nA-1001=3\nA-1002=5\nA-1003=2\nA-1004=4\n"
    );
    // Byte for byte what xsltproc (libxslt's command line) makes of the same input, when it is installed.
    if Command::new("xsltproc").arg("--version").output().is_ok() {
        let twin = get(&s, "orders-input", "").await;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input.xml");
        std::fs::write(&input, input_seen_by(&twin, &r)).unwrap();
        let out = Command::new("xsltproc")
            .arg(app_file(&s, "data-source-xslt/orders-classic.xsl"))
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            utf8(&r.body),
            utf8(&out.stdout),
            "orders-classic differs from xsltproc"
        );
    }
    // … while a 2.0 stylesheet of the same application runs on Saxon
    let r = get(&s, "orders-xml", "").await;
    assert!(
        r.text()
            .contains("<engine family=\"saxon\">\n      <xslt-3/>\n   </engine>"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_processing_per_command_and_per_data_source() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    let raw = get(&s, "orders-raw", "").await;
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text());
    let step1 = saxon_cli(
        app_file(&s, "data-source-post-processing-xslt/totals.xslt"),
        format!(
            "<data-source-post-processing-input>{}</data-source-post-processing-input>",
            children_of_root(&raw.body)
        ),
        &[],
    )
    .await;
    let step2 = saxon_cli(
        app_file(&s, "data-source-post-processing-xslt/rank.xslt"),
        format!(
            "<data-source-post-processing-input>{}</data-source-post-processing-input>",
            children_of_root(&step1)
        ),
        &[],
    )
    .await;
    let r = get(&s, "order-totals", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), identity_body(&children_of_root(&step2)));
    for part in [
        "<cancelled>A-1004</cancelled>",
        "<category rank=\"1\" name=\"coffee\" amount=\"54.50\" lines=\"2\" share=\"53.8%\"/>",
        "<category rank=\"3\" name=\"accessories\" amount=\"9.95\" lines=\"1\" share=\"9.8%\"/>",
        "<top>coffee, tea</top>",
    ] {
        assert!(r.text().contains(part), "lacks {part}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_xml_and_json_are_post_processed() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    let upstream = common::upstream::serve(|parts, _body| async move {
        match parts.uri.path() {
            "/rates.xml" => common::upstream::respond(
                200,
                "application/xml",
                r#"<rates base="EUR" date="2026-03-02"><rate currency="USD">1.0842</rate><rate currency="JPY">161.37</rate><rate currency="SEK">11.2085</rate><rate currency="CHF">0.9418</rate></rates>"#,
            ),
            "/rates.json" => common::upstream::respond(
                200,
                "application/json",
                r#"{"base": "EUR", "date": "2026-03-02", "rates": {"USD": 1.0842, "JPY": 161.37, "SEK": 11.2085, "CHF": 0.9418}}"#,
            ),
            _ => common::upstream::respond(404, "text/plain", "not here"),
        }
    })
    .await;
    let mut bodies = Vec::new();
    for path in ["rates.xml", "rates.json"] {
        let q = format!("upstream=http%3A%2F%2F{upstream}&path={path}");
        let raw = get(&s, "rates-raw", &q).await;
        assert_eq!(raw.status, StatusCode::OK, "{path}: {}", raw.text());
        let expected = saxon_cli(
            app_file(&s, "data-source-post-processing-xslt/rates.xslt"),
            format!(
                "<data-source-post-processing-input>{}</data-source-post-processing-input>",
                children_of_root(&raw.body)
            ),
            &[],
        )
        .await;
        let r = get(&s, "rates", &q).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        assert_eq!(
            r.text(),
            identity_body(&children_of_root(&expected)),
            "{path}"
        );
        bodies.push(r.text());
    }
    assert_eq!(bodies[0], bodies[1], "XML and JSON give the same rates");
    for part in [
        "<exchange base=\"EUR\" published=\"02.03.2026\" valid-until=\"2026-03-03\">",
        "<rate currency=\"CHF\" value=\"0.94\" inverse=\"1.0618\" major=\"true\"/>",
        "<rate currency=\"SEK\" value=\"11.21\" inverse=\"0.0892\" major=\"false\"/>",
    ] {
        assert!(bodies[0].contains(part), "lacks {part}: {}", bodies[0]);
    }
}

/// The `<parameter name value/>` elements of an identity transformer over `<parameters/>`.
fn parameters(body: &str) -> BTreeMap<String, String> {
    let doc = roxmltree::Document::parse(body).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("parameter"))
        .map(|n| {
            (
                n.attribute("name").unwrap().to_string(),
                n.attribute("value").unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_transformation_derives_values_and_reports_errors() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    let ok = "arrival=2026-02-26&nights=3&email=%20Ann.Mueller%40Example.COM%20&guests=Ann%20M%C3%BCller&guests=%20Bob%20%20Smith%20&guests=Ann%20M%C3%BCller&guests=";
    let r = get(&s, "booking", ok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = parameters(&r.text());
    let expected: BTreeMap<String, String> = [
        ("arrival", "2026-02-26"),
        ("nights", "3"),
        ("email", "ann.mueller@example.com"),
        ("guests", "Ann Müller; Bob Smith"),
        ("departure", "2026-03-01"),
        ("weekday", "Thursday"),
        ("guest-count", "2"),
        ("reference", "ANN.MUELLER-20260226-3"),
        ("customer", "Tea Room Müller & Co"),
        ("as-of", "2026-04-01"),
        ("request-id", request_id(&r)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(p, expected);

    for (query, message) in [
        (
            "arrival=2026-12-23&nights=3&email=a%40b.at&guests=Ann",
            "We are closed on 24.12.2026 and 25.12.2026.",
        ),
        (
            "arrival=2026-12-30&nights=3&email=a%40b.at&guests=Ann",
            "We are closed on 01.01.2027.",
        ),
        (
            "arrival=2026-02-30&email=a%40b.at&guests=Ann",
            "The arrival date '2026-02-30' is not a date (YYYY-MM-DD).",
        ),
        (
            "arrival=2026-02-03&nights=0&email=a%40b.at&guests=Ann",
            "Please book between 1 and 99 nights.",
        ),
        (
            "arrival=2026-02-03&email=ann&guests=Ann",
            "Please enter a valid e-mail address (you entered 'ann').",
        ),
        (
            "arrival=2026-02-03&email=a%40b.at&guests=%20&guests=",
            "Please name at least one guest.",
        ),
    ] {
        let r = get(&s, "booking", query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{query}"
        );
        assert!(
            r.text()
                .contains(&format!("<p class=\"error\">{message}</p>")),
            "{query}: {}",
            r.text()
        );
        assert!(
            r.text().contains(&format!(
                "<p class=\"reference\">Reference {}</p>",
                request_id(&r)
            )),
            "{query}: {}",
            r.text()
        );
    }

    // The error page itself, compared with Saxon's command line on the input its twin shows.
    let query = "arrival=2026-12-23&nights=3&email=a%40b.at&guests=Ann%20%26%20Bob";
    let r = get(&s, "booking", query).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let twin = get(&s, "booking-input", query).await;
    assert_eq!(twin.status, StatusCode::BAD_REQUEST, "{}", twin.text());
    assert!(
        twin.text().contains("<failure request=\""),
        "{}",
        twin.text()
    );
    let input = twin.text().replace(request_id(&twin), request_id(&r));
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/booking-error.xslt"),
        input,
        &[],
    )
    .await;
    assert_eq!(
        utf8(&r.body),
        utf8(&expected),
        "booking-error differs from Saxon's command line"
    );
    assert!(
        r.text().contains(
            "<dt>parameter-transformation-error-text</dt><dd>We are closed on 24.12.2026 and 25.12.2026.</dd>"
        ),
        "{}",
        r.text()
    );
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_task_bodies_written_by_xslt() {
    if !saxon_available() {
        return;
    }
    type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;
    let received: Received = Arc::default();
    let rec = received.clone();
    let upstream = common::upstream::serve(move |parts, body| {
        let rec = rec.clone();
        async move {
            let ct = parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            rec.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.path().to_string(),
                ct,
                String::from_utf8_lossy(&body).into_owned(),
            ));
            common::upstream::respond(200, "application/json", "{}")
        }
    })
    .await;
    let s = TestServer::fixture("saxon").await;
    let note = "Leave at the \"back\" door \\ thanks, Grüße";
    let q = format!(
        "upstream=http%3A%2F%2F{upstream}&order-id=A-1002&items=3x%20TEA-GR-100&items=1%20x%20ACC-INF-01&items=a%20few%20biscuits&amount=33.05&note={}",
        form_urlencoded::byte_serialize(note.as_bytes()).collect::<String>()
    );
    let r = get(&s, "forward-order", &q).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let id = request_id(&r).to_string();
    let mut got = received.lock().unwrap().clone();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(got.len(), 2, "{got:?}");

    let (method, _, ct, body) = &got[0];
    assert_eq!(
        (method.as_str(), ct.as_str()),
        ("PUT", "application/json; charset=UTF-8")
    );
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(v["order"], "A-1002");
    assert_eq!(v["amount"].to_string(), "33.05");
    assert_eq!(v["lines"], 3);
    assert_eq!(v["pieces"], 4);
    assert_eq!(v["note"], note);
    assert_eq!(v["note-base64"], base64(note));
    assert_eq!(v["signature"], sha256_hex("A-1002|33.05"));

    let (method, path, ct, body) = &got[1];
    assert_eq!(
        (method.as_str(), path.as_str(), ct.as_str()),
        ("POST", "/fulfilment", "application/xml; charset=UTF-8")
    );
    assert_eq!(
        body,
        &format!(
            "<fulfilment-order xmlns=\"urn:example:fulfilment\" id=\"A-1002\" request=\"{id}\" checksum=\"{}\"><item sku=\"TEA-GR-100\" quantity=\"3\"/><item sku=\"ACC-INF-01\" quantity=\"1\"/><unreadable>a few biscuits</unreadable></fulfilment-order>",
            sha256_hex("A-1002")
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_bodies_and_attachment_written_by_xslt() {
    if !saxon_available() {
        return;
    }
    let Some(smtp) = start_smtp() else { return };
    let port = smtp.port;
    let s = TestServer::fixture_with("saxon", common::Options::default(), |dir| {
        let p = dir.join("email-sending-configuration.xml");
        let conf = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            conf.replace("<port>2525</port>", &format!("<port>{port}</port>")),
        )
        .unwrap();
    })
    .await;
    let q = "name=Ann%20M%C3%BCller&orders=A-1003&orders=A-1001&orders=A-1002";
    let r = get(&s, "mail", q).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());

    let mails = read_maildir(&smtp.maildir);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m["subject"], "Your orders, Ann Müller");
    assert!(m["to"].as_str().unwrap().contains("ann@example.com"), "{m}");
    // The leaves of the MIME tree (multipart/alternative, the HTML part inside multipart/related).
    fn leaves(node: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match node["parts"].as_array() {
            Some(parts) => parts.iter().for_each(|p| leaves(p, out)),
            None => out.push(node.clone()),
        }
    }
    let mut parts = Vec::new();
    leaves(&m["tree"], &mut parts);
    let types: Vec<&str> = parts.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["text/plain", "text/html", "text/csv"],
        "{}",
        m["tree"]
    );
    assert_eq!(parts[2]["filename"], "orders.csv");
    let csv = text(&parts[2]);
    let twin = get(&s, "orders-input", "").await;
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/orders-text.xslt"),
        twin.text(),
        &[],
    )
    .await;
    assert_same_but_date(csv.as_bytes(), &expected, "printed ", "the attachment");
    assert!(
        csv.contains("A-1002;17.02.2026;open;TEA-GR-100|ACC-INF-01|TEA-EG-100;5;33.05\n"),
        "{csv}"
    );

    let plain = text(&parts[0]);
    assert_eq!(
        plain,
        "Dear Ann Müller,\n\nyou asked about 3 of your orders:\n\
         - A-1001 of 03.02.2026: 26.30 EUR (paid)\n\
         - A-1002 of 17.02.2026: 33.05 EUR (open)\n\
         - A-1003 of 09.03.2026: 42.00 EUR (open)\n\
         \nOpen amount: 75.05 EUR\n"
    );
    // The same as Saxon's command line on the input of the twin endpoint (line ends aside: e-mail uses CRLF).
    let twin = get(&s, "mail-input", q).await;
    let expected = saxon_cli(
        app_file(&s, "data-source-xslt/mail-text.xslt"),
        input_seen_by(&twin, &r),
        &[],
    )
    .await;
    assert_eq!(plain, utf8(&expected));

    let html = text(&parts[1]);
    for part in [
        "<p>Dear Ann Müller,</p>",
        "<tr><th colspan=\"2\">PAID</th></tr><tr><td>A-1001</td><td>TEA-EG-100, COF-ES-250</td></tr>",
        "<tr><th colspan=\"2\">OPEN</th></tr><tr><td>A-1002</td><td>TEA-GR-100, ACC-INF-01, TEA-EG-100</td></tr><tr><td>A-1003</td><td>COF-FI-500</td></tr>",
        &format!(
            "<p class=\"check\">Check: {}</p>",
            &sha256_hex("A-1003,A-1001,A-1002")[..12]
        ),
    ] {
        assert!(html.contains(part), "the HTML part lacks {part}:\n{html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_functions_from_xslt_2_0() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    for text in ["Grüße aus Wien", "a&b <c>"] {
        let q = format!(
            "text={}",
            form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
        );
        let twin = get(&s, "functions-input", &q).await;
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert_eq!(
            twin.text(),
            identity_body(&format!("<text>{escaped}</text>")),
            "the input of functions.xslt"
        );
        let r = get(&s, "functions", &q).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("text/x-check-results; charset=UTF-8"),
            "no <content-type> in the transformer: the media type of xsl:output"
        );
        let body = r.text();
        let v: BTreeMap<&str, &str> = body
            .lines()
            .map(|l| l.split_once('=').unwrap_or_else(|| panic!("{body}")))
            .collect();
        for k in ["uuid-1", "uuid-2"] {
            let u = uuid::Uuid::parse_str(v[k]).unwrap_or_else(|e| panic!("{k}: {e}: {body}"));
            assert_eq!(u.get_version_num(), 4, "{body}");
            assert_eq!(v[k], v[k].to_lowercase(), "{body}");
        }
        assert_eq!(v["uuids-differ"], "true", "two calls, two UUIDs: {body}");
        assert_eq!(v["base64"], base64(text), "{body}");
        assert_eq!(v["java-base64"], base64(text), "{body}");
        assert_eq!(v["round-trip"], "true", "{body}");
        assert_eq!(v["decoded"], "Grüße aus Wien", "{body}");
        assert_eq!(v["sha256"], sha256_hex(text), "{body}");
        assert_eq!(v["java-sha256"], sha256_hex(text), "{body}");
        assert_eq!(v["sha256-length"], "64", "{body}");
        assert_eq!(
            v["upper"], "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            "{body}"
        );
        assert_eq!(v.len(), 11, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_keeps_xslt_2_stylesheets_inside_the_application() {
    if !saxon_available() {
        return;
    }
    let s = TestServer::fixture("saxon").await;
    let r = get(&s, "sandbox", "attack=inside").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.text(),
        "A-1001",
        "a document inside the application may be read"
    );

    let outside = tempfile::tempdir().unwrap();
    let xml = outside.path().join("secret.xml");
    let txt = outside.path().join("secret.txt");
    std::fs::write(&xml, "<secret>outside the application 7f3a</secret>").unwrap();
    std::fs::write(&txt, "outside the application 7f3a").unwrap();
    let written = outside.path().join("written.txt");
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    let peer = common::upstream::serve(move |_, _| {
        h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { common::upstream::respond(200, "application/xml", "<secret>network 7f3a</secret>") }
    })
    .await;
    let file_url = |p: &Path| format!("file://{}", p.display());
    let climb = format!("../../../../../../../../..{}", xml.display());
    let attacks = [
        ("doc", file_url(&xml)),
        ("doc", xml.display().to_string()),
        ("doc", climb.clone()),
        ("document", file_url(&xml)),
        ("document", climb),
        ("text", file_url(&txt)),
        ("text", txt.display().to_string()),
        ("text-available", file_url(&txt)),
        ("collection", file_url(outside.path())),
        ("doc", format!("http://{peer}/secret.xml")),
        ("text", format!("http://{peer}/secret.txt")),
        ("write", file_url(&written)),
        ("write", written.display().to_string()),
    ];
    for (attack, target) in &attacks {
        let q = format!(
            "attack={attack}&target={}",
            form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        let r = get(&s, "sandbox", &q).await;
        let body = r.text();
        assert!(!body.contains("7f3a"), "{attack} {target}: {body}");
        match *attack {
            // Asking is harmless as long as the answer is no.
            "text-available" | "collection" if r.status == StatusCode::OK => {
                assert!(body == "false" || body == "0", "{attack} {target}: {body}")
            }
            // document() may recover from a resource it cannot read by returning nothing (XSLT 2.0, 20.1);
            // Saxon does, where libxslt fails the transformation.
            "document" if r.status == StatusCode::OK => {
                assert_eq!(body, "", "{attack} {target}")
            }
            _ => assert_eq!(
                r.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{attack} {target}: refused like libxslt's sandbox refuses: {body}"
            ),
        }
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no request left the sandbox"
    );
    assert!(!written.exists(), "xsl:result-document wrote a file");
}

/// Where Saxon's command line places a static error of `xsl`: (line, column).
async fn saxon_error_position(xsl: PathBuf) -> (u32, u32) {
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input.xml");
        std::fs::write(&input, "<transformation-input/>").unwrap();
        let out = Command::new("java")
            .args(["-cp", SAXON_JAR, "net.sf.saxon.Transform"])
            .arg(format!("-s:{}", input.display()))
            .arg(format!("-xsl:{}", xsl.display()))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let re = regex::Regex::new(r"on line ([0-9]+) column ([0-9]+)").unwrap();
        let c = re
            .captures(&err)
            .unwrap_or_else(|| panic!("no position in Saxon's message: {err}"));
        (c[1].parse().unwrap(), c[2].parse().unwrap())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_static_xslt_2_errors_with_their_position() {
    if !saxon_available() {
        return;
    }
    let check = |dir: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_endpoints"))
            .arg("check")
            .arg(dir)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let dir = common::fixture("saxon");
    let (code, out) = check(dir.path());
    assert_eq!(code, 0, "the application as it is passes: {out}");

    // A stylesheet of its own, and a module included by another one, each with an undeclared variable.
    std::fs::write(
        dir.path().join("data-source-xslt/orders-text.xslt"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <xsl:stylesheet version=\"2.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         \x20   <xsl:output method=\"text\"/>\n\
         \x20   <xsl:template match=\"/\">\n\
         \x20       <xsl:value-of select=\"for $i in 1 to $count return $i\"/>\n\
         \x20   </xsl:template>\n\
         </xsl:stylesheet>\n",
    )
    .unwrap();
    let money = dir.path().join("data-source-xslt/lib/money.xslt");
    let text = std::fs::read_to_string(&money).unwrap();
    let broken = text.replace(
        "xs:integer($line/@qty) * xs:decimal($line/@price)",
        "xs:integer($line/@qty) * xs:decimal($line/@price) * $rate",
    );
    assert_ne!(text, broken);
    std::fs::write(&money, broken).unwrap();

    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    for (file, variable) in [
        ("data-source-xslt/orders-text.xslt", "count"),
        ("data-source-xslt/lib/money.xslt", "rate"),
    ] {
        let (line, column) = saxon_error_position(dir.path().join(file)).await;
        let re = regex::Regex::new(&format!(
            "{}:([0-9]+):([0-9]+): ([^\n]*)",
            regex::escape(file)
        ))
        .unwrap();
        let c = re
            .captures(&out)
            .unwrap_or_else(|| panic!("no {file}:LINE:COLUMN in:\n{out}"));
        assert_eq!(
            c[1].parse::<u32>().unwrap(),
            line,
            "{file}: the line Saxon reports (column {column}):\n{out}"
        );
        assert!(
            c[3].contains(variable),
            "{file}: the message names the variable ${variable}:\n{out}"
        );
        // The column is a column of that line of the file: Saxon's own (the end of the element's start tag), or
        // one inside the select attribute that holds the error.
        let source = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let text = source.lines().nth(line as usize - 1).unwrap();
        let attribute_start = text.find("select=\"").unwrap() + 1;
        let attribute_end = text[attribute_start + 8..].find('"').unwrap() + attribute_start + 8;
        let reported: usize = c[2].parse().unwrap();
        assert!(
            reported == column as usize || (attribute_start..=attribute_end).contains(&reported),
            "{file}:{line}: column {reported} is neither Saxon's column {column} nor within the select \
             attribute (columns {attribute_start}–{attribute_end}) of line {line}: {text:?}\n{out}"
        );
    }
    // The other stylesheets, XSLT 2.0 and 1.0, are not reported.
    assert!(!out.contains("orders-xml.xslt"), "{out}");
    assert!(!out.contains("orders-classic.xsl:"), "{out}");
}
