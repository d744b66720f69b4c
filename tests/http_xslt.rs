//! Transformations over real HTTP: transformers and their output methods (compared with xsltproc), data-source
//! commands (`<xml-from-url>` against a local upstream server), post-processing, JSON conversion, the parameter
//! transformation with forms, JSON and XML bodies, and the XSLT sandbox.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;

use bytes::Bytes;
use common::TestServer;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// A small upstream server on 127.0.0.1 that `<xml-from-url>` fetches from.
async fn start_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let svc = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let (status, ct, text): (u16, &str, String) = match parts.uri.path() {
                        "/data.json" => (
                            200,
                            "application/json",
                            r#"{ "output": "stuff ${foo}", "n": [1, 2] }"#.into(),
                        ),
                        "/data.xml" => (
                            200,
                            "application/xml; charset=utf-8",
                            r#"<output a="1">stuff</output>"#.into(),
                        ),
                        "/page.html" => (
                            200,
                            "text/html",
                            "<html><body><b>I am bold text!</b><br></body></html>".into(),
                        ),
                        "/empty" => (200, "something/invalid", String::new()),
                        "/text" => (200, "text/plain", "hello".into()),
                        "/conflict" => (409, "text/plain", "nope".into()),
                        "/unknown-placeholder" => (200, "application/xml", "<a>${nope}</a>".into()),
                        "/echo" => {
                            let h = |n: &str| {
                                parts
                                    .headers
                                    .get(n)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_string()
                            };
                            (
                                200,
                                "application/xml",
                                format!(
                                    "<echo method=\"{}\" query=\"{}\" auth=\"{}\" x-test=\"{}\" ct=\"{}\">{}</echo>",
                                    parts.method,
                                    esc(parts.uri.query().unwrap_or("")),
                                    esc(&h("authorization")),
                                    esc(&h("x-test")),
                                    esc(&h("content-type")),
                                    esc(&String::from_utf8_lossy(&body))
                                ),
                            )
                        }
                        _ => (404, "text/plain", "not here".into()),
                    };
                    let resp = http::Response::builder()
                        .status(status)
                        .header("content-type", ct)
                        .body(Full::new(Bytes::from(text)))
                        .unwrap();
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn xsltproc_available() -> bool {
    let ok = Command::new("xsltproc").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xsltproc is required under CI=true"
        );
        eprintln!("!!! xsltproc is not installed: skipping the byte-for-byte comparison (scripts/setup.sh installs it)");
    }
    ok
}

/// What xsltproc makes of `input` with `xsl` (and string params).
fn xsltproc(xsl: &std::path::Path, input: &str, params: &[(&str, &str)]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let in_path = dir.path().join("input.xml");
    std::fs::write(&in_path, input).unwrap();
    let mut cmd = Command::new("xsltproc");
    for (k, v) in params {
        cmd.args(["--stringparam", k, v]);
    }
    let out = cmd.arg(xsl).arg(&in_path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

async fn get(s: &TestServer, endpoint: &str, query: &str) -> common::Resp {
    let h = s.hash(endpoint, &[]);
    s.get(&format!("/app/{endpoint}?{query}&hash={h}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_transformer_of_parameters_tv12() {
    let s = TestServer::fixture("xslt").await;
    let r = get(&s, "params", "t=bacon&t=cheese&t=onion&zzz=1&debug=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let id = r.header("x-request-id").unwrap().to_string();
    let body = r.text();
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(
        body.contains("<transformation-input><parameters>"),
        "{body}"
    );
    assert!(
        body.contains("<parameter name=\"t\" value=\"bacon||cheese||onion\"/>"),
        "{body}"
    );
    assert!(
        body.contains(&format!("<parameter name=\"request-id\" value=\"{id}\"/>")),
        "{body}"
    );
    assert!(!body.contains("zzz") && !body.contains("debug"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_xml_text_outputs_match_xsltproc() {
    let s = TestServer::fixture("xslt").await;
    let r = get(&s, "html", "foo=a%26b").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=UTF-8"),
        "no content type configured or declared"
    );
    let id = r.header("x-request-id").unwrap().to_string();
    let body = r.text();
    assert!(body.contains("<title>Items &amp; more</title>"), "{body}");
    assert!(
        body.contains("<li data-z=\"a&amp;b\">a&amp;b</li>"),
        "{body}"
    );
    assert!(
        body.contains("md5=acbd18db4cc2f85cedef654fccc4a4d8 id=i-a&amp;b"),
        "{body}"
    );
    assert!(body.contains("<br>"), "{body}");

    let xml = s
        .get(&format!("/app/xml?foo=extra&hash={}", s.hash("xml", &[])))
        .await;
    assert_eq!(
        xml.header("content-type"),
        Some("application/xml; charset=UTF-8"),
        "media type from xsl:output"
    );
    assert!(
        xml.text()
            .contains("<books owner=\"extra\">\n  <book id=\"1\">Dune</book>"),
        "{}",
        xml.text()
    );
    assert!(
        xml.text().contains("<extra>found</extra>"),
        "ignore-if-not-found file present: {}",
        xml.text()
    );
    let xml_missing = s
        .get(&format!("/app/xml?foo=nothing&hash={}", s.hash("xml", &[])))
        .await;
    assert_eq!(xml_missing.status, StatusCode::OK);
    assert!(!xml_missing.text().contains("<extra>"));

    let text = get(&s, "text", "n=7").await;
    assert_eq!(text.header("content-type"), Some("text/csv; charset=UTF-8"));
    assert_eq!(
        text.header("content-disposition"),
        Some("attachment; filename=\"books-7.csv\"")
    );
    assert_eq!(text.text(), "id,title\n1,Dune\n2,Solaris\n");

    if xsltproc_available() {
        let dir = &s.app_dir;
        let input = format!(
            "<transformation-input><item z=\"a&amp;b\">a&amp;b</item><item>Grüße &amp; {id}</item><hash id=\"i-a&amp;b\">acbd18db4cc2f85cedef654fccc4a4d8</hash></transformation-input>"
        );
        let expected = xsltproc(
            &dir.join("data-source-xslt/html.xsl"),
            &input,
            &[("title", "Items & more")],
        );
        assert_eq!(r.body, expected, "html differs from xsltproc");
        let catalog = "<transformation-input><catalog owner=\"extra\"><book id=\"1\">Dune</book><book id=\"2\">Solaris</book></catalog><extra>found</extra></transformation-input>";
        assert_eq!(
            xml.body,
            xsltproc(&dir.join("data-source-xslt/xml.xsl"), catalog, &[]),
            "xml differs"
        );
        let catalog1 = catalog
            .replace("extra\"", "7\"")
            .replace("<extra>found</extra>", "")
            .replace("owner=\"7\"", "owner=\"1\"");
        assert_eq!(
            text.body,
            xsltproc(&dir.join("data-source-xslt/text.xsl"), &catalog1, &[]),
            "text differs"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_conversion_and_post_processing() {
    let s = TestServer::fixture("xslt").await;
    let r = get(&s, "json", "foo=x").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["books"]["owner"], "x");
    assert_eq!(v["books"]["book"][1]["_content"], "Solaris");
    assert_eq!(v["books"]["book"][0]["id"], 1);

    let r = get(&s, "post", "").await;
    let body = r.text();
    assert!(
        body.contains(
            "<transformation-input><sum>16</sum><n>2</n><n>4</n><n>10</n></transformation-input>"
        ),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_conversion_of_several_top_level_elements() {
    let s = TestServer::fixture("xslt").await;
    let r = get(&s, "fragment-json", "foo=abc").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        r.text(),
        "{\n  \"status\": \"success\",\n  \"download-link\": \"https://x.example/y?foo=abc\",\n  \"item\": [\n    1,\n    2\n  ]\n}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_introspection_lists_the_directory() {
    let s = TestServer::fixture("xslt").await;
    let body = get(&s, "introspection", "").await.text();
    assert!(body.contains("<directory name=\"data-sources\">"), "{body}");
    assert!(
        body.contains(
            "<xml-file name=\"params.xml\"><data-source><parameters/></data-source></xml-file>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<xml-file name=\"catalog.xml\"></xml-file>"),
        "files in xml-from-application are listed empty: {body}"
    );
    assert!(body.contains("<file name=\"html.xsl\"/>"), "{body}");
    // security.xml holds the secret key: listed, never shown.
    assert!(
        body.contains("<xml-file name=\"security.xml\"></xml-file>"),
        "{body}"
    );
    assert!(!body.contains("secret-key"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_from_url_tv41() {
    let s = TestServer::fixture("xslt").await;
    let up = start_upstream().await;
    let base = format!("http://{up}");
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let remote = |path: &str, foo: &str| {
        format!(
            "upstream={}&path={}&foo={}",
            enc(&base),
            enc(path),
            enc(foo)
        )
    };

    let r = get(&s, "remote", &remote("data.json", "F")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains(
            "<fetched><response><output>stuff F</output><n>1</n><n>2</n></response></fetched>"
        ),
        "{}",
        r.text()
    );
    let r = get(&s, "remote", &remote("data.xml", "F")).await;
    assert!(
        r.text()
            .contains("<fetched><output a=\"1\">stuff</output></fetched>"),
        "{}",
        r.text()
    );
    let r = get(&s, "remote", &remote("page.html", "F")).await;
    assert!(
        r.text()
            .contains("<fetched><html><body><b>I am bold text!</b><br/></body></html></fetched>"),
        "{}",
        r.text()
    );
    let r = get(&s, "remote", &remote("empty", "F")).await;
    assert!(
        r.text().contains("<fetched><empty-response/></fetched>"),
        "{}",
        r.text()
    );
    // Failures: unexpected content type, non-2xx, unknown placeholder in the fetched XML, unreachable host.
    for path in ["text", "conflict", "unknown-placeholder"] {
        let r = get(&s, "remote", &remote(path, "F")).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(
            !r.text().contains("127.0.0.1"),
            "internal addresses never reach the client: {}",
            r.text()
        );
    }
    let r = get(&s, "remote", "upstream=http%3A%2F%2F127.0.0.1%3A9&foo=x").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    // ignore-if-error: no element, the rest of the data source still runs; expansion can be switched off
    let r = get(&s, "remote-ignore", &remote("conflict", "F")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text()
            .contains("<transformation-input><after-fetch/></transformation-input>"),
        "{}",
        r.text()
    );
    let r = get(&s, "remote-ignore", &remote("unknown-placeholder", "F")).await;
    assert!(r.text().contains("<a>${nope}</a>"), "{}", r.text());
    // What the upstream received: query, header, basic auth
    let r = get(&s, "remote", &remote("echo", "a b")).await;
    let body = r.text();
    assert!(body.contains("method=\"GET\""), "{body}");
    assert!(body.contains("query=\"q=a+b+%26+more\""), "{body}");
    assert!(body.contains("x-test=\"a b\""), "{body}");
    assert!(body.contains("auth=\"Basic dXNlcjphIGI=\""), "{body}");
    // A JSON body template: string values expanded, numbers kept
    let r = get(
        &s,
        "remote-post",
        &format!("upstream={}&foo=bar", enc(&base)),
    )
    .await;
    let body = r.text();
    assert!(body.contains("method=\"POST\""), "{body}");
    assert!(
        body.contains("ct=\"application/json; charset=UTF-8\""),
        "{body}"
    );
    assert!(body.contains("{&quot;key&quot;:&quot;bar&quot;,&quot;n&quot;:1.50,&quot;list&quot;:[&quot;bar&quot;,true]}"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xslt_sandbox_refuses_files_network_and_writes() {
    let s = TestServer::fixture("xslt").await;
    let _ = std::fs::remove_file("/tmp/endpoints-pwned.txt");
    for e in ["read-file", "read-net", "write-file", "runtime-error"] {
        let r = get(&s, e, "").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
        assert!(!r.text().contains("root:"), "{e}");
        assert!(
            !r.text().contains("secret internal detail"),
            "the XSLT message stays in the log"
        );
    }
    assert!(
        !std::path::Path::new("/tmp/endpoints-pwned.txt").exists(),
        "exsl:document wrote a file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_transformation_tv15() {
    let s = TestServer::fixture("xslt").await;
    let h = s.hash("pt", &[]);
    let r = s
        .send(
            Method::GET,
            &format!("/app/pt?a=1&name=World&hash={h}"),
            &[("user-agent", "UA/1"), ("cookie", "S=1; T=2")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    assert_eq!(
        r.location(),
        "https://echo.example/pt?a=1&b=B&ds=hello World&ip=127.0.0.1&ua=UA/1&cookie=1",
        "data sources see request parameters, unknown placeholders are empty"
    );
    // From a form body
    let r = s.post_form(&format!("/app/pt?hash={h}"), "a=form").await;
    assert!(
        r.location()
            .starts_with("https://echo.example/pt?a=form&b=B"),
        "{}",
        r.location()
    );
    // <error> → 400 with the XSLT's message, rendered by the endpoint's <error> transformer
    let r = s.get(&format!("/app/pt?a=bad&hash={h}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let id = r.header("x-request-id").unwrap().to_string();
    assert!(
        r.text().contains(&format!("<p>{id}|Parameter transformation contained &lt;error&gt;: Name missing|Name missing</p>")),
        "{}",
        r.text()
    );
    for (a, status, text) in [
        ("two-errors", 400, "While processing result of parameter transformation: More than one <error> element"),
        ("zzz", 400, "Parameter transformation XSLT produced <parameter name='zzz'../> but this parameter isn't declared in 'endpoints.xml'"),
        ("status", 500, "An internal error occurred"),
        ("foo", 400, "While processing result of parameter transformation: Unexpected element <foo>"),
        ("noname", 400, "While processing result of parameter transformation: <parameter> needs the attributes 'name' and 'value'"),
        ("none", 400, "<endpoint name='pt'>: Parameter 'a' did not have a supplied value, nor a default"),
    ] {
        let r = s.get(&format!("/app/pt?a={a}&hash={h}")).await;
        assert_eq!(r.status.as_u16(), status, "{a}");
        let expected = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        assert!(r.text().contains(&expected), "{a}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_transformation_of_json_and_xml_bodies_tv16_tv17() {
    let s = TestServer::fixture("xslt").await;
    let h = s.hash("pt", &[]);
    let json =
        r#"{"name":"Martin","tags":["a","b"],"1st":"x","addr":{"city":"Wien"},"n":1.50,"z":null}"#;
    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "application/json; charset=utf-8")],
            Bytes::from(json),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    assert!(
        r.location()
            .starts_with("https://echo.example/pt?a=Martin|2|1.50|x&b=B&ds=hello &"),
        "{}",
        r.location()
    );
    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "application/json")],
            Bytes::from_static(b"[1,2]"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().contains("Cannot parse JSON from POST request: "),
        "{}",
        r.text()
    );

    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "application/xml")],
            Bytes::from_static(b"<order id=\"7\"><item>x</item></order>"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    assert!(
        r.location().starts_with("https://echo.example/pt?a=xml:7&"),
        "{}",
        r.location()
    );
    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "text/xml")],
            Bytes::from_static(b"<order>"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().contains("Request is not valid XML: "),
        "{}",
        r.text()
    );
    // XXE and entity bombs: refused, quickly
    let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><order id=\"&e;\"/>";
    let started = std::time::Instant::now();
    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "application/xml")],
            Bytes::from_static(xxe),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.text().contains("root:"));
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\"><!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\"><!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\"><!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\"><!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\"><!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]><order id=\"&lol9;\"/>";
    let r = s
        .send(
            Method::POST,
            &format!("/app/pt?hash={h}"),
            &[("content-type", "application/xml")],
            Bytes::from(bomb),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Endpoints without a parameter transformation still refuse JSON
    let r = s
        .send(
            Method::POST,
            &format!("/app/params?hash={}", s.hash("params", &[])),
            &[("content-type", "application/json")],
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_after_transformation_and_forwarding_into_one() {
    let s = TestServer::fixture("xslt").await;
    // include-in-hash + parameter transformation: the hash covers the transformed value
    let good = s.hash("pt-hashed", &["v"]);
    let r = s.get(&format!("/app/pt-hashed?a=v&hash={good}")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = s.get(&format!("/app/pt-hashed?a=w&hash={good}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A forward into an endpoint with a parameter transformation runs it on the forwarded parameters.
    let r = s
        .get(&format!(
            "/app/pt-forward?a=z&hash={}",
            s.hash("pt-forward", &[])
        ))
        .await;
    assert!(
        r.location()
            .starts_with("https://echo.example/pt?a=z-fwd&b=B"),
        "{}",
        r.location()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_xml_page_does_what_its_readme_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/xml-page");
    let s = TestServer::start(&dir, common::Options::default()).await;
    let r = get(&s, "products", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let body = r.text();
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(
        body.contains("<title>The Tea &amp; Coffee Shop</title>"),
        "{body}"
    );
    assert_eq!(body.matches("<td>").count(), 6, "{body}");
    let teas = get(&s, "products", "category=tea").await.text();
    assert_eq!(teas.matches("<td>").count(), 4, "{teas}");
    assert!(teas.contains("<td>Earl Grey</td>\n<td>6.90</td>"), "{teas}");

    let r = get(&s, "products-json", "").await;
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["products"]["product"][2]["name"], "Espresso blend");

    let r = get(&s, "search", "category=coffee").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text().matches("<td>").count(), 2);
    let r = get(&s, "search", "category=cake").await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(
        r.text(),
        "Sorry: Unknown category 'cake': choose tea or coffee.\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_functions_in_both_namespaces() {
    let s = TestServer::fixture("xslt").await;
    let r = get(&s, "functions", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    let parts: Vec<&str> = text.split('|').collect();
    assert_eq!(parts.len(), 8, "{text}");
    for id in &parts[..2] {
        let u = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(*id, id.to_lowercase());
    }
    assert_ne!(parts[0], parts[1]);
    assert_eq!(parts[2], "R3LDvMOfZQ==");
    assert_eq!(parts[3], "Grüße");
    assert_eq!(
        parts[4],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(parts[5], parts[4]);
    assert_eq!(parts[6], "Grüße");
    assert_eq!(parts[7], "a+b+c");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_reach_the_parameter_transformation() {
    let s = TestServer::fixture("xslt").await;
    let h = s.hash("pt", &[]);
    let (ct, body) = common::multipart(&[
        ("hash", None, h.as_bytes()),
        (
            "order",
            Some("order.xml"),
            b"<?xml version=\"1.0\"?><order id=\"9\"/>",
        ),
        ("photo", Some("p.bin"), b"\x89PNG not xml"),
    ]);
    let r = s
        .send(
            Method::POST,
            "/app/pt",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    assert!(
        r.location()
            .starts_with("https://echo.example/pt?a=2:order:order.xml:order:0&"),
        "{}",
        r.location()
    );
}
