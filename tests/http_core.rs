//! The core engine over real HTTP: hashes, routing, parameters, conditions, actions, forwards, errors.

mod common;

use bytes::Bytes;
use common::{Options, TestServer};
use endpoints::engine::Settings;
use http::{Method, StatusCode};

const HELLO_LIVE: &str = "82bb6e7f675a8d872688cb593a64f615b37f88478d7fed8705496d3e7a1c2699";
const HELLO_PREVIEW: &str = "4afcbe21891e5be6762f495958659a25950a83e7c52f13594cbebe43cfdd9bf4";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_vectors_tv01_to_tv09() {
    let s = TestServer::fixture("core").await;
    // The reference's documented example hash (live)
    let r = s
        .get(&format!(
            "/app/helloworld?foo=abc&long=def&hash={HELLO_LIVE}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty(), "an empty <success/> has an empty body");
    // preview, and the preview hash without environment is wrong
    let r = s
        .get(&format!(
            "/app/helloworld?foo=abc&long=def&environment=preview&hash={HELLO_PREVIEW}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .get(&format!(
            "/app/helloworld?foo=abc&long=def&hash={HELLO_PREVIEW}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // upper case
    let r = s
        .get(&format!(
            "/app/helloworld?foo=abc&long=def&hash={}",
            HELLO_LIVE.to_uppercase()
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // the default takes part in the hash
    let r = s
        .get(&format!("/app/helloworld?foo=abc&hash={HELLO_LIVE}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // wrong hash
    let r = s.get("/app/helloworld?foo=abc&hash=0000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.text(), "Hash wrong\n");
    // no hash at all is refused too (unlike the reference, which accepts it)
    let r = s.get("/app/helloworld?foo=abc").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.text(), "Hash missing\n");
    // supplied empty values are kept, defaults not used
    let r = s
        .get("/app/helloworld?foo=&long=&hash=d65dd36ef3812d3ae85993c60a411c29ea539b9cc99424b232c32801e80fad47")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A hashed parameter that is missing cannot have been hashed.
    let r = s.get(&format!("/app/helloworld?hash={HELLO_LIVE}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_under_any_key_and_from_form_body() {
    let s = TestServer::fixture("core").await;
    let loaded = s.running.state.app();
    let app = &loaded.app;
    let second = endpoints::engine::hash::compute(
        "plain",
        &[] as &[&str],
        endpoints::engine::Environment::Live,
        &app.secret_keys[1],
    );
    let r = s.get(&format!("/app/plain?foo=1&hash={second}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .post_form("/app/plain", &format!("foo=1&hash={second}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_settings_disable_and_display() {
    let off = Options {
        settings: Settings {
            check_hash: false,
            ..Settings::default()
        },
        ..Options::default()
    };
    let s = TestServer::fixture_with("core", off, |_| {}).await;
    assert_eq!(
        s.get("/app/helloworld?foo=abc").await.status,
        StatusCode::OK
    );
    assert_eq!(
        s.get("/app/helloworld?foo=abc&hash=0000").await.status,
        StatusCode::OK
    );

    let display = Options {
        settings: Settings {
            display_expected_hash: true,
            ..Settings::default()
        },
        ..Options::default()
    };
    let s = TestServer::fixture_with("core", display, |_| {}).await;
    let r = s.get("/app/helloworld?foo=abc&hash=0000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.text(),
        format!("Expected hash '{HELLO_LIVE}' (won't be displayed on live system)\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_tv10_and_methods() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("plain", &[]);
    let r = s.get("/app/helloworld/").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text(),
        "Request invalid: Cannot understand URL '/app/helloworld/', should be /<application>/<endpoint>\n"
    );
    assert_eq!(
        s.get("/app/hello.world").await.status,
        StatusCode::BAD_REQUEST
    );
    let r = s.get("/app/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.text(), "Endpoint 'nope' not found in this application\n");
    let r = s.get("/zzz/plain").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.text(), "Application 'zzz' not found\n");
    let r = s
        .get(&format!("/app/plain?foo=1&environment=Live&hash={h}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.text(), "Environment 'Live' not found\n");
    // One application: /{endpoint} works as well as /{application}/{endpoint}.
    assert_eq!(
        s.get(&format!("/plain?foo=1&hash={h}")).await.status,
        StatusCode::OK
    );
    let r = s.send(Method::PUT, "/app/plain", &[], Bytes::new()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let r = s
        .send(Method::DELETE, "/app/plain", &[], Bytes::new())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // HEAD: like GET without a body
    let r = s
        .send(
            Method::HEAD,
            &format!("/app/page?hash={}", s.hash("page", &[])),
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-length"), Some("29"));
    assert!(r.body.is_empty());
    // Every response carries the request id.
    let id = r.header("x-request-id").unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(
        uuid::Uuid::parse_str(id).unwrap().get_version_num(),
        7,
        "time-ordered request ids"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_traversal_attempts_are_rejected() {
    let s = TestServer::fixture("core").await;
    for path in [
        "/../../etc/passwd",
        "/app/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/app/%2e%2e",
        "/..%2fendpoints.xml",
        "//etc/passwd",
        "/static/../security.xml",
        "/app/plain%00",
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(!r.text().contains("root:"), "{path}");
        assert!(!r.text().contains("secret-key"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_tv46() {
    let s = TestServer::fixture("core").await;
    let r = s
        .send(
            Method::OPTIONS,
            "/app/plain",
            &[
                ("origin", "https://a.example"),
                ("access-control-request-method", "POST"),
            ],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    assert_eq!(r.header("access-control-allow-methods"), Some("OPTIONS"));
    let allow = r.header("access-control-allow-headers").unwrap();
    assert!(
        allow.contains("origin")
            && allow.contains("access-control-request-method")
            && allow.contains("host")
    );
    let r = s
        .send(
            Method::GET,
            "/app/nope",
            &[("origin", "https://a.example")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    let r = s.get("/app/nope").await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_parameter_and_error_rendering() {
    let s = TestServer::fixture("core").await;
    // without <error>: a short plain-text reason
    let r = s
        .get(&format!("/app/plain?hash={}", s.hash("plain", &[])))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        "<endpoint name='plain'>: Parameter 'foo' did not have a supplied value, nor a default\n"
    );
    // <error status="422"> with a static page
    let r = s
        .get(&format!(
            "/app/plain-error-static?hash={}",
            s.hash("plain-error-static", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.text(), "<html><body>error page</body></html>\n");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("etag"),
        None.or(r.header("etag")),
        "validators may be sent"
    );
    // the same <error> answers a wrong hash, with its own status
    let r = s.get("/app/plain-error-static?hash=00").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // <error> redirect with ${request-id} and ${internal-error-text}
    let r = s
        .get(&format!(
            "/app/plain-error-redirect?hash={}",
            s.hash("plain-error-redirect", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let id = r.header("x-request-id").unwrap().to_string();
    assert_eq!(
        r.location(),
        format!(
            "https://errors.example/e?id={id}#<endpoint name='plain-error-redirect'>: Parameter 'foo' did not have a supplied value, nor a default"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_values_and_body_types_tv12_tv14() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("echo-t", &[]);
    let r = s
        .get(&format!(
            "/app/echo-t?t=bacon&t=cheese&t=onion&zzz=1&debug=true&hash={h}"
        ))
        .await;
    assert_eq!(r.location(), "https://echo.example/?t=bacon||cheese||onion");
    // query values before form values
    let r = s
        .post_form(&format!("/app/echo-t?t=y&hash={h}"), "t=x")
        .await;
    assert_eq!(r.location(), "https://echo.example/?t=y||x");
    let r = s
        .send(
            Method::POST,
            &format!("/app/echo-t?t=1&hash={h}"),
            &[("content-type", "application/json")],
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text(),
        "Endpoint does not have <parameter-transformation> defined, therefore cannot accept XML or JSON request with Content-Type 'application/json'\n"
    );
    let r = s
        .send(
            Method::POST,
            &format!("/app/echo-t?t=1&hash={h}"),
            &[("content-type", "text/xml; charset=utf-8")],
            Bytes::from_static(b"<a/>"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Content-Type 'text/xml'"));
    let r = s
        .send(
            Method::POST,
            &format!("/app/echo-t?t=1&hash={h}"),
            &[("content-type", "text/plain")],
            Bytes::from_static(b"hi"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text(),
        "Unexpected Content Type 'text/plain': Must either be a GET request, or a POST request from a <form>, or POST request with XML or JSON body\n"
    );
    // No Content-Type: treated like GET
    let r = s
        .send(
            Method::POST,
            &format!("/app/echo-t?t=q&hash={h}"),
            &[],
            Bytes::from_static(b"ignored"),
        )
        .await;
    assert_eq!(r.location(), "https://echo.example/?t=q");
}

async fn cond(s: &TestServer, endpoint: &str, query: &str) -> u16 {
    let h = s.hash(endpoint, &[]);
    let r = s.get(&format!("/app/{endpoint}?{query}&hash={h}")).await;
    assert!(
        r.status == StatusCode::OK || r.status == StatusCode::CREATED,
        "{endpoint}?{query}: {}",
        r.status
    );
    r.status.as_u16()
}

fn q(v: &str, w: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("v={}&w={}", enc(v), enc(w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_condition_operator_tv19_tv20() {
    let s = TestServer::fixture("core").await;
    let cases: &[(&str, &str, &str, u16)] = &[
        ("cond-equals", "bar", "bar", 201),
        ("cond-equals", "DIFFERENT", "bar", 200),
        ("cond-equals", "bar||baz", "bar", 201),
        ("cond-equals", "a||", "a", 201),
        ("cond-equals", "||", "", 200),
        ("cond-equals", "x||y", "z||y", 201),
        ("cond-notequals", "bar", "bar", 200),
        ("cond-notequals", "DIFFERENT", "bar", 201),
        ("cond-notequals", "bar||baz", "bar", 200),
        ("cond-notequals", "||", "x", 201),
        ("cond-isempty-true", "", "", 201),
        ("cond-isempty-true", "xyz", "", 200),
        ("cond-isempty-true", "||", "", 201),
        ("cond-isempty-true", "||a", "", 200),
        ("cond-isempty-false", "xyz", "", 201),
        ("cond-isempty-false", "", "", 200),
        ("cond-hasmultiple-true", "xyz||bar", "", 201),
        ("cond-hasmultiple-true", "xyz", "", 200),
        ("cond-hasmultiple-true", "a||", "", 200),
        ("cond-hasmultiple-true", "||a", "", 201),
        ("cond-hasmultiple-false", "xyz", "", 201),
        ("cond-hasmultiple-false", "xyz||bar", "", 200),
        ("cond-gt", "50||34.1", "12||34", 201),
        ("cond-gt", "15||51", "12||34", 200),
        ("cond-gt", "||51", "12||34", 200),
        ("cond-gt", "foo||51", "12||34", 200),
        ("cond-gt", "||", "5", 201),
        ("cond-gt", "1e3", "999", 201),
        ("cond-gt", " 1", "0", 200),
        ("cond-ge", "10", "10.0", 201),
        ("cond-ge", "9.99", "10", 200),
        ("cond-lt", "9.99", "10", 201),
        ("cond-lt", "10", "10", 200),
        ("cond-lt", "-5", "-4", 201),
        ("cond-le", "10.0", "10", 201),
        ("cond-le", "10.01", "10", 200),
    ];
    for (endpoint, v, w, expected) in cases {
        assert_eq!(
            cond(&s, endpoint, &q(v, w)).await,
            *expected,
            "{endpoint} v={v:?} w={w:?}"
        );
    }
    // Multiple request values are joined with the separator before the condition splits them again.
    assert_eq!(cond(&s, "cond-hasmultiple-true", "v=a&v=b").await, 201);
    assert_eq!(cond(&s, "cond-comma", "v=a&v=b&w=b").await, 201);
    assert_eq!(cond(&s, "cond-comma", &q("a||b", "b")).await, 200);
    assert_eq!(cond(&s, "cond-comma", &q("a,b", "b")).await, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_selection_tv21() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("lang", &[]);
    for (language, body) in [("de", "de"), ("fr", "en"), ("es", "es"), ("en", "en")] {
        let r = s
            .get(&format!("/app/lang?language={language}&hash={h}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.text(),
            format!("<html><body>{body}</body></html>\n"),
            "{language}"
        );
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }
    let r = s
        .get(&format!("/app/lang?language=es&language=de&hash={h}"))
        .await;
    assert_eq!(r.text(), "<html><body>de</body></html>\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_tv27() {
    let s = TestServer::fixture("core").await;
    let r = s
        .get(&format!("/app/step-1?a=1&hash={}", s.hash("step-1", &[])))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), "https://echo.example/step-2?a=none&b=X-1");
    // Without <input-parameter>: everything is forwarded, b is missing → step-1-all's <error>.
    let r = s
        .get(&format!(
            "/app/step-1-all?a=1&hash={}",
            s.hash("step-1-all", &[])
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FOUND,
        "a redirecting <error> keeps redirecting"
    );
    assert_eq!(
        r.location(),
        "https://errors.example/step-1-all#<endpoint name='step-2'>: Parameter 'b' did not have a supplied value, nor a default"
    );
    let r = s
        .get(&format!(
            "/app/step-1-all?a=1&b=2&hash={}",
            s.hash("step-1-all", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(
        r.location()
            .starts_with("https://errors.example/step-1-all#"),
        "only declared parameters of the context are forwarded, not every request parameter: {}",
        r.location()
    );
    // No hash is checked on forwarded endpoints; a chain of three
    let r = s
        .get(&format!("/app/chain-1?x=1&hash={}", s.hash("chain-1", &[])))
        .await;
    assert_eq!(r.location(), "https://echo.example/chain-3?z=11-end");
    let r = s
        .get(&format!("/app/chain-1?x=2&hash={}", s.hash("chain-1", &[])))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_and_allowlist_tv22() {
    let s = TestServer::fixture("core").await;
    let r = s
        .get(&format!(
            "/app/redirect-fixed?hash={}",
            s.hash("redirect-fixed", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), "https://shop.example/thanks?id=7");
    assert!(r.body.is_empty());
    let h = s.hash("redirect-param", &[]);
    let r = s
        .get(&format!(
            "/app/redirect-param?url=https%3A%2F%2Fother.example%2Fok%2Fx&hash={h}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "https://other.example/ok/x");
    for evil in [
        "https://evil.example/",
        "https://shop.example.evil.example/",
        "https://other.example/oknot",
        "//evil.example/",
        "javascript:alert(1)",
    ] {
        let enc: String = form_urlencoded::byte_serialize(evil.as_bytes()).collect();
        let r = s
            .get(&format!("/app/redirect-param?url={enc}&hash={h}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{evil}");
        assert_eq!(
            r.text(),
            format!("Redirect URL '{evil}' is not in whitelist\n")
        );
        assert_eq!(r.header("location"), None);
    }
    // Not absolute → 500
    let r = s
        .get(&format!(
            "/app/redirect-relative?url=%2Frelative&hash={}",
            s.hash("redirect-relative", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.header("location"), None);
    // Header injection through a parameter is impossible: the client's mistake, 400
    let r = s
        .get(&format!("/app/redirect-relative?url=https%3A%2F%2Fa.example%2F%0D%0ASet-Cookie%3A%20x%3D1&hash={}", s.hash("redirect-relative", &[])))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("set-cookie"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_across_three_folder_levels() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("deep", &[]);
    // p is redeclared without a default in the middle folder: mandatory again
    let r = s.get(&format!("/app/deep?hash={h}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .contains("Parameter 'p' did not have a supplied value"));
    let r = s.get(&format!("/app/deep?p=q&p=r&hash={h}")).await;
    assert_eq!(
        r.location(),
        "https://echo.example/deep?a=1&b=two&c=3&p=q;r"
    );
    let r = s.get(&format!("/app/deep?p=&a=A&c=C&hash={h}")).await;
    assert_eq!(r.location(), "https://echo.example/deep?a=A&b=two&c=C&p=");
    let r = s
        .get(&format!("/app/shallow?hash={}", s.hash("shallow", &[])))
        .await;
    assert_eq!(r.location(), "https://echo.example/shallow?a=1&p=x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_with_two_files() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("upload", &[]);
    let big = vec![b'x'; 300 * 1024];
    let (ct, body) = common::multipart(&[
        ("title", None, b"two files"),
        ("hash", None, h.as_bytes()),
        ("first", Some("a.txt"), b"hello"),
        ("second", Some("b.bin"), &big),
        ("empty-file-input", Some(""), b""),
        ("t", None, "Jörg".as_bytes()),
    ]);
    let r = s
        .send(
            Method::POST,
            "/app/upload",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The uploads were stored while the request ran and are gone afterwards.
    assert_eq!(std::fs::read_dir(s.upload_dir.path()).unwrap().count(), 0);
    // A broken multipart body is the client's fault: 400
    let r = s
        .send(
            Method::POST,
            &format!("/app/upload?hash={h}"),
            &[("content-type", "multipart/form-data; boundary=zzz")],
            Bytes::from_static(
                b"--zzz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nunterminated",
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().starts_with("Invalid multipart/form-data body"),
        "{}",
        r.text()
    );
    assert_eq!(std::fs::read_dir(s.upload_dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_cleartext_and_keep_alive() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("page", &[]);
    let r = common::send_h2(s.running.addr, &format!("/app/page?hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(r.text(), "<html><body>en</body></html>\n");

    // Two requests on one HTTP/1.1 connection.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(s.running.addr)
        .await
        .unwrap();
    let req = format!("GET /app/page?hash={h} HTTP/1.1\r\nHost: x\r\n\r\n");
    c.write_all(format!("{req}{req}").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while buf.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count() < 2
        || !buf.ends_with(b"</html>\n")
    {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, c.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
    }
}
