//! Hot reload over real HTTP: every kind of edit is picked up, broken edits keep the running configuration, and no
//! request fails while the configuration is rewritten under load. Also /health-check and /metrics.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Options, TestServer};
use endpoints::server::watch::Watching;
use http::StatusCode;

fn app_xml(target: &str, extra: &str) -> String {
    format!(
        "<endpoint-folder>\n  <endpoint name=\"which\"><success><redirect-to>https://v.example/{target}</redirect-to></success></endpoint>\n{extra}</endpoint-folder>\n"
    )
}

fn write_app(dir: &Path, target: &str) {
    std::fs::create_dir_all(dir.join("static")).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    std::fs::write(dir.join("endpoints.xml"), app_xml(target, "")).unwrap();
}

async fn which(s: &TestServer) -> String {
    let r = s
        .get(&format!("/which?hash={}", s.hash("which", &[])))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
    r.location().to_string()
}

/// Polls until `f` is true (at most 5 s).
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not picked up within 5 s: {what}");
}

async fn start(dir: &Path) -> (TestServer, Watching) {
    let s = TestServer::start(
        dir,
        Options {
            name: Some("app".into()),
            ..Options::default()
        },
    )
    .await;
    let w = Watching::start(s.running.state.clone());
    tokio::time::sleep(Duration::from_millis(300)).await; // the watch is armed
    (s, w)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_edit_is_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    write_app(&dir, "A");
    let (s, _w) = start(&dir).await;
    assert_eq!(which(&s).await, "https://v.example/A");

    // 1. an edit in place
    std::fs::write(dir.join("endpoints.xml"), app_xml("B", "")).unwrap();
    eventually("edit in place", || async {
        which(&s).await.ends_with("/B")
    })
    .await;

    // 2. an editor's write-to-temp-then-rename, and `mv new.xml endpoints.xml`
    std::fs::write(dir.join(".endpoints.xml.swp"), app_xml("C", "")).unwrap();
    std::fs::rename(dir.join(".endpoints.xml.swp"), dir.join("endpoints.xml")).unwrap();
    eventually("rename over", || async { which(&s).await.ends_with("/C") }).await;
    std::fs::write(dir.join("new.xml"), app_xml("D", "")).unwrap();
    std::fs::rename(dir.join("new.xml"), dir.join("endpoints.xml")).unwrap();
    eventually("mv new.xml endpoints.xml", || async {
        which(&s).await.ends_with("/D")
    })
    .await;

    // 3. a new file and a new endpoint that serves it
    std::fs::create_dir_all(dir.join("static/sub")).unwrap();
    std::fs::write(dir.join("static/sub/hello.txt"), "hello").unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        app_xml("D", "  <endpoint name=\"hello\"><success><response-from-static filename=\"sub/hello.txt\"/></success></endpoint>\n"),
    )
    .unwrap();
    eventually("new endpoint", || async {
        s.get(&format!("/hello?hash={}", s.hash("hello", &[])))
            .await
            .text()
            == "hello"
    })
    .await;
    // a changed static file
    std::fs::write(dir.join("static/sub/hello.txt"), "hello again").unwrap();
    eventually("changed static file", || async {
        s.get(&format!("/hello?hash={}", s.hash("hello", &[])))
            .await
            .text()
            == "hello again"
    })
    .await;

    // 4. a deleted endpoint
    std::fs::write(dir.join("endpoints.xml"), app_xml("E", "")).unwrap();
    eventually("deleted endpoint", || async {
        s.get(&format!("/hello?hash={}", s.hash("hello", &[])))
            .await
            .status
            == StatusCode::NOT_FOUND
    })
    .await;

    // 5. the whole tree replaced (as a checkout or a deploy does): a new directory renamed into place
    let next = tmp.path().join("app-next");
    write_app(&next, "F");
    std::fs::rename(&dir, tmp.path().join("app-old")).unwrap();
    std::fs::rename(&next, &dir).unwrap();
    eventually("replaced tree", || async {
        which(&s).await.ends_with("/F")
    })
    .await;
    // ... and the watch was re-armed on the new directory
    std::fs::write(dir.join("endpoints.xml"), app_xml("G", "")).unwrap();
    eventually("edit after replacement", || async {
        which(&s).await.ends_with("/G")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_pointed_symlink_is_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    write_app(&tmp.path().join("v1"), "V1");
    write_app(&tmp.path().join("v2"), "V2");
    let link = tmp.path().join("current");
    std::os::unix::fs::symlink(tmp.path().join("v1"), &link).unwrap();
    let (s, _w) = start(&link).await;
    assert_eq!(which(&s).await, "https://v.example/V1");
    // atomic re-point: ln -s v2 tmp && mv -T tmp current
    std::os::unix::fs::symlink(tmp.path().join("v2"), tmp.path().join("tmp-link")).unwrap();
    std::fs::rename(tmp.path().join("tmp-link"), &link).unwrap();
    eventually("re-pointed symlink", || async {
        which(&s).await.ends_with("/V2")
    })
    .await;
    std::fs::write(tmp.path().join("v2/endpoints.xml"), app_xml("V2b", "")).unwrap();
    eventually("edit behind the new link", || async {
        which(&s).await.ends_with("/V2b")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_edit_keeps_the_running_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    write_app(&dir, "A");
    let (s, _w) = start(&dir).await;
    let site = s.running.state.sites[0].clone();
    let failed_before = site.reloads.failed.load(Ordering::Relaxed);
    // a forward cycle on line 3
    std::fs::write(
        dir.join("endpoints.xml"),
        "<endpoint-folder>\n  <endpoint name=\"which\"><success><redirect-to>https://v.example/broken</redirect-to></success></endpoint>\n  <endpoint name=\"x\"><success><forward-to-endpoint endpoint-name=\"x\"/></success></endpoint>\n</endpoint-folder>\n",
    )
    .unwrap();
    eventually("failed reload", || async {
        site.reloads.failed.load(Ordering::Relaxed) > failed_before
    })
    .await;
    assert_eq!(
        which(&s).await,
        "https://v.example/A",
        "the last good configuration keeps serving"
    );
    let errors: Vec<String> = site
        .last_errors
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].ends_with(
            "endpoints.xml:3:31: Circular references in <forward-to-endpoint> chain: 'x' -> 'x'"
        ),
        "{errors:?}"
    );
    let health: serde_json::Value =
        serde_json::from_slice(&s.get("/health-check").await.body).unwrap();
    assert_eq!(health["applications"][0]["last_reload_failed"], true);
    assert_eq!(health["applications"][0]["generation"], 1);
    // bad XML, then a broken stylesheet reference: still A
    std::fs::write(
        dir.join("endpoints.xml"),
        "<endpoint-folder>\n  <endpoint name=\"which\">\n</endpoint-folder>",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(which(&s).await, "https://v.example/A");
    // the next good save is picked up
    std::fs::write(dir.join("endpoints.xml"), app_xml("B", "")).unwrap();
    eventually("good edit after broken ones", || async {
        which(&s).await.ends_with("/B")
    })
    .await;
    let health: serde_json::Value =
        serde_json::from_slice(&s.get("/health-check").await.body).unwrap();
    assert_eq!(health["applications"][0]["last_reload_failed"], false);
    assert!(health["applications"][0]["generation"].as_u64().unwrap() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_while_the_configuration_is_rewritten_100_times() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    write_app(&dir, "A");
    let (s, _w) = start(&dir).await;
    let s = Arc::new(s);
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let seen_b = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (s, stop, ok, seen_b) = (s.clone(), stop.clone(), ok.clone(), seen_b.clone());
        clients.push(tokio::spawn(async move {
            let hash = s.hash("which", &[]);
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r = s.get(&format!("/which?hash={hash}")).await;
                match (r.status, r.location()) {
                    (StatusCode::FOUND, "https://v.example/A") => {}
                    (StatusCode::FOUND, "https://v.example/B") => {
                        seen_b.fetch_add(1, Ordering::Relaxed);
                    }
                    (status, loc) => failures.push(format!("{status} {loc} {}", r.text())),
                }
                ok.fetch_add(1, Ordering::Relaxed);
            }
            failures
        }));
    }
    let broken = "<endpoint-folder>\n  <endpoint name=\"which\"><success><redirect-to>${nope}</redirect-to></success></endpoint>\n</endpoint-folder>\n";
    for i in 0..100 {
        let content = match i % 4 {
            0 => app_xml("B", ""),
            2 => app_xml("A", ""),
            _ => broken.to_string(),
        };
        // half of the writes in place, half by rename
        if i % 2 == 0 {
            std::fs::write(dir.join("endpoints.xml"), content).unwrap();
        } else {
            std::fs::write(dir.join("endpoints.xml.tmp"), content).unwrap();
            std::fs::rename(dir.join("endpoints.xml.tmp"), dir.join("endpoints.xml")).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    // The last word is a good version, and it is served soon after.
    std::fs::write(dir.join("endpoints.xml"), app_xml("B", "")).unwrap();
    eventually("final version", || async {
        which(&s).await.ends_with("/B")
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for c in clients {
        failures.extend(c.await.unwrap());
    }
    let site = &s.running.state.sites[0];
    eprintln!(
        "load test: {} requests, 0 allowed failures, {} failures; {} answered by version B; reloads ok {} failed {}",
        ok.load(Ordering::Relaxed),
        failures.len(),
        seen_b.load(Ordering::Relaxed),
        site.reloads.ok.load(Ordering::Relaxed),
        site.reloads.failed.load(Ordering::Relaxed)
    );
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(ok.load(Ordering::Relaxed) > 200);
    assert!(site.reloads.ok.load(Ordering::Relaxed) > 0);
}

/// Parses the Prometheus text format strictly enough to catch malformed output: returns (name+labels, value).
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kind = parts.next().unwrap();
            assert!(kind == "HELP" || kind == "TYPE", "{line}");
            let name = parts.next().unwrap();
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            if kind == "TYPE" {
                assert!(
                    ["counter", "gauge", "histogram"].contains(&parts.next().unwrap()),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
            for label in series[name_end + 1..series.len() - 1].split("\",") {
                let (k, v) = label
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("label: {line}"));
                assert!(
                    k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                let _ = v;
            }
        }
        out.push((
            series.to_string(),
            value.parse().unwrap_or_else(|_| panic!("value: {line}")),
        ));
    }
    out
}

fn value(metrics: &[(String, f64)], series: &str) -> f64 {
    metrics
        .iter()
        .find(|(s, _)| s == series)
        .map(|(_, v)| *v)
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("plain", &[]);
    let m0 = parse_prometheus(&s.get("/metrics").await.text());
    let ok_series = "endpoints_requests_total{application=\"app\",environment=\"live\",endpoint=\"plain\",status=\"2xx\"}";
    let bad_series = "endpoints_requests_total{application=\"app\",environment=\"live\",endpoint=\"plain\",status=\"4xx\"}";
    for _ in 0..3 {
        assert_eq!(
            s.get(&format!("/app/plain?foo=1&hash={h}")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        s.get("/app/plain?foo=1").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.get("/app/nope").await.status, StatusCode::NOT_FOUND);
    let r = s.get("/metrics").await;
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let m1 = parse_prometheus(&r.text());
    assert_eq!(value(&m1, ok_series) - value(&m0, ok_series), 3.0);
    assert_eq!(value(&m1, bad_series) - value(&m0, bad_series), 1.0);
    let unrouted = "endpoints_unrouted_requests_total{status=\"4xx\"}";
    assert!(value(&m1, unrouted) - value(&m0, unrouted) >= 1.0);
    let count = "endpoints_request_duration_seconds_count";
    assert!(value(&m1, count) - value(&m0, count) >= 5.0);
    assert_eq!(
        value(
            &m1,
            "endpoints_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        value(&m1, count)
    );
    assert_eq!(
        value(
            &m1,
            "endpoints_configuration_generation{application=\"app\",environment=\"live\"}"
        ),
        1.0
    );
    assert!(
        value(
            &m1,
            "endpoints_last_good_load_timestamp_seconds{application=\"app\",environment=\"live\"}"
        ) > 1.7e9
    );
    assert!(m1.iter().any(|(s, _)| s == "endpoints_requests_in_flight"));
    assert!(m1.iter().any(|(s, _)| s
        == "endpoints_reloads_total{application=\"app\",environment=\"live\",result=\"failed\"}"));

    let r = s.get("/health-check").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["applications"][0]["application"], "app");
    assert_eq!(v["applications"][0]["generation"], 1);
}
