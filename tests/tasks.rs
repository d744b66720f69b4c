//! Tasks over real HTTP against a recording server on 127.0.0.1: ordering, intermediate values, failures,
//! ignore-if-error, retries, timeouts, Retry-After, success statuses, and `<response-from-url>`.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::TestServer;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: String,
    method: String,
    headers: HashMap<String, String>,
    body: String,
    start: Instant,
    end: Instant,
}

#[derive(Default)]
struct Upstream {
    seen: Mutex<Vec<Seen>>,
    counters: Mutex<HashMap<String, u32>>,
}

impl Upstream {
    fn requests(&self, path_prefix: &str, key: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| {
                s.path.starts_with(path_prefix)
                    && (key.is_empty() || s.query.contains(&format!("key={key}")))
            })
            .cloned()
            .collect()
    }
}

fn q(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

async fn start_upstream() -> (SocketAddr, Arc<Upstream>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let up = Arc::new(Upstream::default());
    let state = up.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let state = state.clone();
                    async move {
                        let start = Instant::now();
                        let (parts, body) = req.into_parts();
                        let body =
                            String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes())
                                .into_owned();
                        let query = parts.uri.query().unwrap_or("").to_string();
                        let path = parts.uri.path().to_string();
                        let mut status = 200;
                        let mut ct = "text/plain";
                        let mut text = String::from("ok");
                        let mut extra: Vec<(&str, String)> = Vec::new();
                        match path.as_str() {
                            "/slow" => {
                                let ms =
                                    q(&query, "ms").and_then(|m| m.parse().ok()).unwrap_or(100);
                                tokio::time::sleep(Duration::from_millis(ms)).await;
                            }
                            "/json" => {
                                ct = "application/json";
                                text = r#"{"id": 42, "label": "forty-two"}"#.into();
                            }
                            "/xml" => {
                                ct = "application/xml";
                                text = "<r><code>X7</code></r>".into();
                            }
                            "/conflict" => {
                                status = 409;
                                text = "nope".into();
                            }
                            "/redirect" => {
                                status = 302;
                                extra.push(("location", "/json".to_string()));
                            }
                            "/status" => {
                                status = q(&query, "code")
                                    .and_then(|c| c.parse().ok())
                                    .unwrap_or(200)
                            }
                            "/stream" => {
                                ct = "text/csv";
                                text = "a,b\n1,2\n".repeat(1000);
                            }
                            "/flaky" | "/retry-after" => {
                                let key = format!("{path}{}", q(&query, "key").unwrap_or_default());
                                let n = {
                                    let mut c = state.counters.lock().unwrap();
                                    let e = c.entry(key).or_insert(0);
                                    *e += 1;
                                    *e
                                };
                                let fail: u32 = if path == "/flaky" {
                                    q(&query, "fail").and_then(|f| f.parse().ok()).unwrap_or(0)
                                } else {
                                    1
                                };
                                if n <= fail {
                                    status = 503;
                                    if path == "/retry-after" {
                                        extra.push(("retry-after", "1".to_string()));
                                    }
                                }
                            }
                            _ => {}
                        }
                        state.seen.lock().unwrap().push(Seen {
                            path: path.clone(),
                            query,
                            method: parts.method.to_string(),
                            headers: parts
                                .headers
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                                .collect(),
                            body,
                            start,
                            end: Instant::now(),
                        });
                        let mut b = http::Response::builder()
                            .status(status)
                            .header("content-type", ct);
                        for (k, v) in extra {
                            b = b.header(k, v);
                        }
                        Ok::<_, Infallible>(b.body(Full::new(Bytes::from(text))).unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, up)
}

struct Env {
    s: TestServer,
    up: Arc<Upstream>,
    base: String,
}

async fn env() -> Env {
    let (addr, up) = start_upstream().await;
    let s = TestServer::fixture("tasks").await;
    Env {
        s,
        up,
        base: format!("http://{addr}"),
    }
}

impl Env {
    async fn call(&self, endpoint: &str, query: &str) -> common::Resp {
        let h = self.s.hash(endpoint, &[]);
        let up: String = form_urlencoded::byte_serialize(self.base.as_bytes()).collect();
        self.s
            .get(&format!("/app/{endpoint}?upstream={up}&{query}&hash={h}"))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_tasks_run_in_parallel_and_after_orders_them() {
    let e = env().await;
    let t0 = Instant::now();
    let r = e.call("parallel", "key=p1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        t0.elapsed() < Duration::from_millis(550),
        "parallel tasks took {:?}",
        t0.elapsed()
    );
    let seen = e.up.requests("/slow", "p1");
    assert_eq!(seen.len(), 2);
    let (a, b) = (&seen[0], &seen[1]);
    assert!(
        a.start.max(b.start) < a.end.min(b.end),
        "the two requests overlapped"
    );

    let r = e.call("ordered", "key=o1").await;
    assert_eq!(r.status, StatusCode::OK);
    let seen = e.up.requests("/slow", "o1");
    let a = seen.iter().find(|s| s.query.contains("name=a")).unwrap();
    let b = seen.iter().find(|s| s.query.contains("name=b")).unwrap();
    assert!(
        b.start >= a.end,
        "<after task-id='a'/>: b started before a ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intermediate_values_from_json_and_xml() {
    let e = env().await;
    let r = e.call("values", "key=v1").await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    assert_eq!(r.location(), "https://echo.example/?id=42&label=forty-two");
    let rec = e.up.requests("/record/", "");
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].path, "/record/42/X7");
    assert_eq!(rec[0].method, "PATCH", "a real PATCH");
    assert_eq!(rec[0].headers.get("x-key").map(String::as_str), Some("v1"));
    // regex must match the whole value
    let r = e.call("regex-mismatch", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_ignore_if_error_and_conditions() {
    let e = env().await;
    let r = e.call("conflict", "").await;
    assert_eq!(r.status.as_u16(), 302, "the <error> redirect answers");
    assert_eq!(
        r.location(),
        "https://errors.example/#An internal error occurred",
        "the URL stays in the log"
    );
    let r = e.call("conflict-ignored", "").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        e.call("conditional", "key=c1&go=no").await.status,
        StatusCode::OK
    );
    assert!(
        e.up.requests("/record/conditional", "c1").is_empty(),
        "a false condition skips the task"
    );
    assert_eq!(
        e.call("conditional", "key=c2&go=yes").await.status,
        StatusCode::OK
    );
    assert_eq!(e.up.requests("/record/conditional", "c2").len(), 1);
    let r = e.call("redirect-not-followed", "").await;
    assert_eq!(
        r.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "3xx is not success and is not followed"
    );
    assert!(e.up.requests("/json", "").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_timeouts_and_retry_after() {
    let e = env().await;
    let r = e.call("retries", "key=r1&fail=2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        e.up.requests("/flaky", "r1").len(),
        3,
        "two failures, then success"
    );
    let r = e.call("retries-exhausted", "key=r2").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(e.up.requests("/flaky", "r2").len(), 3, "1 + 2 retries");
    let t0 = Instant::now();
    let r = e.call("timeout", "key=t1").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "timeouts are bounded: {:?}",
        t0.elapsed()
    );
    let t0 = Instant::now();
    let r = e.call("retry-after", "key=ra1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 honoured: {:?}",
        t0.elapsed()
    );
    assert_eq!(e.up.requests("/retry-after", "ra1").len(), 2);
    for (code, ok) in [("201", true), ("404", true), ("200", false), ("500", false)] {
        let r = e.call("success-status", &format!("code={code}")).await;
        assert_eq!(
            r.status == StatusCode::OK,
            ok,
            "success-status=\"201 404\" with {code}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_004_callback_contract() {
    let e = env().await;
    let r = e.call("callback", "key=cb&envelope=e-1").await;
    assert_eq!(r.status, StatusCode::OK);
    let seen = e.up.requests("/flaky", "cb");
    assert_eq!(seen.len(), 2, "one failure, one retry");
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.headers.get("authorization").map(String::as_str),
            Some("Basic bG9naW46c2VjcmV0")
        );
        assert_eq!(
            s.headers.get("content-type").map(String::as_str),
            Some("application/json; charset=UTF-8")
        );
        assert_eq!(s.body, r#"{"envelope":"e-1","status":"COMPLETED"}"#);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_from_url_streams_the_upstream_body() {
    let e = env().await;
    let r = e.call("proxy", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"data.csv\"")
    );
    assert_eq!(r.text(), "a,b\n1,2\n".repeat(1000));
    let r = e.call("proxy", "path=conflict").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = e.call("proxy-ignored", "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_body_with_uploads_and_transformations_tv42() {
    use base64::Engine as _;
    let e = env().await;
    let h = e.s.hash("xml-body", &[]);
    let (ct, body) = common::multipart(&[
        ("hash", None, h.as_bytes()),
        ("upstream", None, e.base.as_bytes()),
        ("key", None, b"x1"),
        ("FOO", Some("password.txt"), b"wt"),
    ]);
    let r =
        e.s.send(
            http::Method::POST,
            "/app/xml-body",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let seen = e.up.requests("/record/xml-body", "x1");
    assert_eq!(seen.len(), 1);
    let got = &seen[0].body;
    assert_eq!(
        seen[0].headers.get("content-type").map(String::as_str),
        Some("application/xml; charset=UTF-8")
    );
    assert!(
        got.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<foo key=\"x1\">"),
        "{got}"
    );
    assert!(
        got.contains("<upload upload-field-name=\"foo\" encoding=\"base64\" filename=\"password.txt\">d3Q=</upload>"),
        "{got}"
    );
    let tag = "<doc xslt-transformation=\"hello\" encoding=\"base64\">";
    let start = got.find(tag).unwrap() + tag.len();
    let end = got[start..].find("tail</doc>").unwrap() + start;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&got[start..end])
        .unwrap();
    let decoded = String::from_utf8(decoded).unwrap();
    assert!(
        decoded.contains("<transformation-input><hello>x1</hello></transformation-input>"),
        "{decoded}"
    );
    // No such upload → 400
    let r = e.call("xml-body", "key=x2").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text(),
        "<input type='file' name='foo'> not found in request\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_and_xslt_bodies() {
    let e = env().await;
    let r = e.call("bodies", "key=b%261").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let form = &e.up.requests("/record/form", "")[0];
    assert_eq!(form.method, "POST");
    assert_eq!(
        form.headers.get("content-type").map(String::as_str),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(form.body, "a+b=b%261+%26+more&n=1");
    let xml = &e.up.requests("/record/xslt-xml", "")[0];
    assert_eq!(xml.method, "PUT");
    assert_eq!(
        xml.headers.get("content-type").map(String::as_str),
        Some("application/xml; charset=UTF-8")
    );
    assert_eq!(xml.body.trim(), "<order key=\"b&amp;1\"/>");
    let json = &e.up.requests("/record/xslt-json", "")[0];
    assert_eq!(
        json.headers.get("content-type").map(String::as_str),
        Some("application/vnd.example+json"),
        "a configured Content-Type wins"
    );
    assert_eq!(json.body, "{\"key\": \"b&1\"}");
}
