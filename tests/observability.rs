//! What an operator sees, through the real binary: the access log's flat JSON fields (`bytes` right for every kind
//! of response), `/metrics` with the build and process series and latency buckets up to a minute, and the page at
//! `GET /` that says how to call endpoints.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const SECRET: &str = "s3cret-key-never-shown";

/// The application `dir`: a static page, an endpoint needing a parameter, a redirect.
fn app(dir: &Path, page: &[u8]) {
    std::fs::create_dir_all(dir.join("static")).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        format!("<security><secret-key>{SECRET}</secret-key></security>"),
    )
    .unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        r#"<endpoint-folder>
            <endpoint name="static-page"><success><response-from-static filename="page.html"/></success></endpoint>
            <endpoint name="needs-param"><parameter name="a"/></endpoint>
            <endpoint name="go-away"><success><redirect-to>https://x.example/</redirect-to></success></endpoint>
        </endpoint-folder>"#,
    )
    .unwrap();
    std::fs::write(dir.join("static/page.html"), page).unwrap();
}

fn start(args: &[&str]) -> common::Spawned {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--no-watch", "--no-hash-check"])
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env("ENDPOINTS_LOG", "info")
        .env_remove("ENDPOINTS_TRUSTED_PROXIES")
        .stdout(Stdio::null());
    common::Spawned::start(cmd).unwrap_or_else(|seen| panic!("server did not start: {seen}"))
}

/// The access log line of the request `id`, parsed (lines are JSON).
fn access_line(s: &common::Spawned, id: &str) -> serde_json::Map<String, serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = s
        .lines
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["target"] == "endpoints::access" && v["request_id"] == id {
            return v.as_object().unwrap().clone();
        }
    }
    panic!("no access log line for {id}");
}

async fn send(s: &common::Spawned, method: Method, path: &str) -> common::Resp {
    common::send_h1(
        s.addr,
        method,
        path,
        &[("origin", "https://o.example")],
        Bytes::new(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_access_log_fields_are_flat_and_bytes_are_right() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    let page = common::generated(1234);
    app(&dir, &page);
    let s = start(&[dir.to_str().unwrap(), "--log-format", "json"]);

    // An endpoint's static file: every field at the top level.
    let r = send(&s, Method::GET, "/static-page").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 1234);
    let id = r.header("x-request-id").unwrap();
    let l = access_line(&s, id);
    for nested in ["fields", "span", "spans"] {
        assert!(!l.contains_key(nested), "{nested} in {l:?}");
    }
    assert_eq!(l["application"], "shop", "{l:?}");
    assert_eq!(l["environment"], "live", "{l:?}");
    assert_eq!(l["endpoint"], "static-page", "{l:?}");
    assert_eq!(l["status"], 200, "{l:?}");
    assert_eq!(l["bytes"], 1234, "{l:?}");
    assert_eq!(l["client"], "127.0.0.1", "{l:?}");
    assert_eq!(l["method"], "GET", "{l:?}");
    assert_eq!(l["path"], "/static-page", "{l:?}");
    assert_eq!(l["level"], "INFO", "{l:?}");
    let ms = l["duration_ms"].as_f64().unwrap_or_else(|| panic!("{l:?}"));
    assert!((0.0..10_000.0).contains(&ms), "{l:?}");
    assert!(!l.contains_key("failure"), "{l:?}");
    // A range of it: the bytes sent.
    let r = common::send_h1(
        s.addr,
        Method::GET,
        "/static-page",
        &[("range", "bytes=10-109")],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        access_line(&s, r.header("x-request-id").unwrap())["bytes"],
        100
    );
    // HEAD sends no body.
    let r = send(&s, Method::HEAD, "/static-page").await;
    assert_eq!(
        access_line(&s, r.header("x-request-id").unwrap())["bytes"],
        0
    );

    // A failed request names its reason.
    let r = send(&s, Method::GET, "/needs-param").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let l = access_line(&s, r.header("x-request-id").unwrap());
    assert_eq!(l["endpoint"], "needs-param", "{l:?}");
    assert_eq!(l["status"], 400, "{l:?}");
    let failure = l["failure"].as_str().unwrap_or_else(|| panic!("{l:?}"));
    assert!(failure.contains("Parameter 'a'"), "{l:?}");
    assert_eq!(l["bytes"], r.body.len(), "{l:?}");

    // Responses no endpoint made: their bytes too.
    for (method, path, status) in [
        (Method::GET, "/no-such-endpoint", StatusCode::NOT_FOUND),
        (Method::GET, "/a/b/c", StatusCode::BAD_REQUEST),
        (Method::GET, "/health-check", StatusCode::OK),
        (Method::GET, "/metrics", StatusCode::OK),
        (Method::GET, "/", StatusCode::OK),
        (Method::OPTIONS, "/static-page", StatusCode::NO_CONTENT),
        (
            Method::DELETE,
            "/static-page",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let r = send(&s, method.clone(), path).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text());
        let l = access_line(&s, r.header("x-request-id").unwrap());
        assert_eq!(l["bytes"], r.body.len(), "{method} {path}: {l:?}");
        assert_eq!(l["status"], status.as_u16(), "{l:?}");
        assert!(!l.contains_key("endpoint"), "{l:?}");
        assert_eq!(l["client"], "127.0.0.1", "{l:?}");
        if status.is_client_error() {
            assert!(l["failure"].is_string(), "{method} {path}: {l:?}");
        } else {
            assert!(!l.contains_key("failure"), "{method} {path}: {l:?}");
        }
        if path != "/" && status.is_success() && method != Method::OPTIONS {
            assert!(!r.body.is_empty(), "{path}");
        }
    }
}

/// The value of the one sample named exactly `name` (with its labels, if any).
fn sample(metrics: &str, name: &str) -> f64 {
    let line = metrics
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in:\n{metrics}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_have_the_build_the_process_and_buckets_up_to_a_minute() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    app(&dir, b"<p>hi</p>");
    let s = start(&[dir.to_str().unwrap()]);
    assert_eq!(
        send(&s, Method::GET, "/go-away").await.status,
        StatusCode::FOUND
    );
    let r = send(&s, Method::GET, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.text();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        m.contains(&format!(
            "\nendpoints_build_info{{version=\"{version}\"}} 1\n"
        )),
        "{m}"
    );
    assert!(m.contains("# TYPE endpoints_build_info gauge\n"), "{m}");
    let rss = sample(&m, "process_resident_memory_bytes");
    assert!(rss > 1e6 && rss < 16e9, "resident memory {rss}");
    assert!(sample(&m, "process_virtual_memory_bytes") >= rss);
    let fds = sample(&m, "process_open_fds");
    // Standard input/output/error, the listener, the state store, the connection of this request…
    assert!((4.0..10_000.0).contains(&fds), "open fds {fds}");
    assert!(sample(&m, "process_max_fds") >= fds);
    let cpu = sample(&m, "process_cpu_seconds_total");
    assert!((0.0..600.0).contains(&cpu), "cpu {cpu}");
    assert!(
        m.contains("# TYPE process_cpu_seconds_total counter\n"),
        "{m}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let started = sample(&m, "process_start_time_seconds");
    assert!(
        started > now - 600.0 && started < now + 5.0,
        "start {started}, now {now}"
    );
    // The latency histogram reaches a minute; the redirect is in the lowest buckets and in every one above.
    for le in ["5", "10", "30", "60"] {
        let n = sample(
            &m,
            &format!("endpoints_request_duration_seconds_bucket{{le=\"{le}\"}}"),
        );
        assert!(n >= 1.0, "le={le}: {n}");
    }
    let inf = sample(&m, "endpoints_request_duration_seconds_bucket{le=\"+Inf\"}");
    assert_eq!(
        inf,
        sample(&m, "endpoints_request_duration_seconds_bucket{le=\"60\"}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_says_how_to_call_endpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    app(&dir, b"<p>hi</p>");
    let s = start(&[dir.to_str().unwrap()]);
    let r = send(&s, Method::GET, "/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let page = r.text();
    assert!(page.contains("/{application}/{endpoint}"), "{page}");
    assert!(page.contains("/{endpoint}"), "{page}");
    assert!(page.contains("shop"), "{page}");
    for hidden in ["static-page", "needs-param", "go-away", SECRET, "page.html"] {
        assert!(!page.contains(hidden), "{hidden} shown: {page}");
    }
    let r = send(&s, Method::HEAD, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    // Other paths are still endpoints.
    assert_eq!(
        send(&s, Method::GET, "/go-away").await.status,
        StatusCode::FOUND
    );
    drop(s);

    // Several applications: each named, no /{endpoint} shortcut offered.
    let apps = tmp.path().join("apps");
    app(&apps.join("blog"), b"b");
    app(&apps.join("shop"), b"s");
    let s = start(&["--apps", apps.to_str().unwrap()]);
    let page = send(&s, Method::GET, "/").await.text();
    assert!(page.contains("Applications served: blog, shop"), "{page}");
    assert!(!page.contains("works as well"), "{page}");
    for hidden in ["static-page", "needs-param", "go-away", SECRET] {
        assert!(!page.contains(hidden), "{hidden} shown: {page}");
    }
}
