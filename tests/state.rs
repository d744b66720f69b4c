//! The state store over real HTTP, on both backends: gapless on-demand numbers under concurrency (also with two
//! engine processes sharing PostgreSQL), month/year rollover with an injected clock, short links, request-log
//! captures and the `<request-log/>` data source, debug/verbose capture, retention, and `endpoints log`.
//!
//! PostgreSQL is `ENDPOINTS_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`); when it is not
//! reachable its half of each test is a loud SKIP, or a failure under `CI=true`. Every test uses its own
//! application name, so tests sharing the database never see each other's numbers.

mod common;
#[path = "state/pool.rs"]
mod pool;
#[path = "state/schema.rs"]
mod schema;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{Options, TestServer};
use endpoints::engine::{Clock, Settings};
use endpoints::store::sqlite::SqliteStore;
use endpoints::store::{LogEntry, LogQuery, NumberKind, ShortLink, Store, Writes};
use futures_util::stream::{self, StreamExt};
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

fn pg_url() -> String {
    std::env::var("ENDPOINTS_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// Fails under CI, else prints a SKIP banner.
fn unavailable(err: &dyn std::fmt::Display) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("PostgreSQL is not reachable and CI=true: {err}");
    }
    eprintln!(
        "\n################################################################\n\
         ## SKIP: PostgreSQL is not reachable: {err}\n\
         ## The PostgreSQL half of this test checked NOTHING.\n\
         ################################################################\n"
    );
}

async fn postgres() -> Option<Arc<dyn Store>> {
    let url = pg_url();
    match tokio::time::timeout(
        Duration::from_secs(10),
        endpoints::store::open(Some(&url), Path::new("")),
    )
    .await
    {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            unavailable(&e);
            None
        }
        Err(_) => {
            unavailable(&"connecting timed out");
            None
        }
    }
}

/// A fresh SQLite store and, when reachable, the PostgreSQL one.
async fn backends() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut v: Vec<(&'static str, Arc<dyn Store>)> = vec![(
        "sqlite",
        Arc::new(SqliteStore::temporary().expect("SQLite store")),
    )];
    if let Some(pg) = postgres().await {
        v.push(("postgresql", pg));
    }
    v
}

async fn server(store: &Arc<dyn Store>, app: &str, settings: Settings) -> TestServer {
    TestServer::fixture_with(
        "state",
        Options {
            settings,
            name: Some(app.to_string()),
            store: Some(store.clone()),
            ..Options::default()
        },
        |_| {},
    )
    .await
}

fn no_hash() -> Settings {
    Settings {
        check_hash: false,
        ..Settings::default()
    }
}

fn fixed_clock(ms: i64) -> (Arc<AtomicI64>, Clock) {
    let now = Arc::new(AtomicI64::new(ms));
    let n = now.clone();
    (now, Clock::new(move || n.load(Ordering::SeqCst)))
}

/// Now, as the engine's clock reads it. Tests whose entries must survive other tests' retention runs (which delete
/// entries older than 32 days before *now*) use times near now.
fn real_now() -> i64 {
    Clock::system().now_ms()
}

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// The entry of one request, with its details.
async fn entry(store: &Arc<dyn Store>, request_id: &str) -> LogEntry {
    let mut e = store
        .entries(LogQuery {
            request_id: Some(request_id.to_string()),
            limit: 1,
            details: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(e.len(), 1, "no log entry for {request_id}");
    e.remove(0)
}

async fn app_entries(store: &Arc<dyn Store>, app: &str) -> Vec<LogEntry> {
    store
        .entries(LogQuery {
            application: Some(app.to_string()),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// `p y m p2` from the number endpoint.
fn numbers(body: &str) -> [i64; 4] {
    let v: Vec<i64> = body
        .split_whitespace()
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("not numbers: {body:?}"))
        })
        .collect();
    [v[0], v[1], v[2], v[3]]
}

/// 200 requests, 32 at a time, every fifth failing after it fetched its numbers; `url_for(i)` picks the server.
async fn gapless_run(url_for: impl Fn(usize) -> String) -> Vec<i64> {
    let results: Vec<(usize, common::Resp)> = stream::iter(0..200)
        .map(|i| {
            let url = url_for(i);
            async move {
                let fail = if i % 5 == 4 { "yes" } else { "no" };
                let uri: http::Uri = format!("{url}/number?fail={fail}").parse().unwrap();
                let addr = format!("{}:{}", uri.host().unwrap(), uri.port_u16().unwrap())
                    .parse()
                    .unwrap();
                let r = common::send_h1(
                    addr,
                    Method::GET,
                    uri.path_and_query().unwrap().as_str(),
                    &[],
                    Bytes::new(),
                )
                .await;
                (i, r)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut got = Vec::new();
    for (i, r) in results {
        if i % 5 == 4 {
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        } else {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let [p, _, _, p2] = numbers(&r.text());
            assert_eq!(p, p2, "one number per kind and request");
            got.push(p);
        }
    }
    got.sort_unstable();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbers_are_gapless_under_concurrency() {
    for (backend, store) in backends().await {
        let app = unique("numbers");
        // Frozen, so that the run cannot straddle a month boundary.
        let (_, clock) = fixed_clock(real_now());
        let s = server(&store, &app, Settings { clock, ..no_hash() }).await;
        let base = s.url(&format!("/{app}"));
        let got = tokio::time::timeout(Duration::from_secs(120), gapless_run(|_| base.clone()))
            .await
            .expect("bounded");
        assert_eq!(got, (1..=160).collect::<Vec<_>>(), "{backend}");
        // The log holds all 200 requests; the failed ones gave their numbers back.
        let entries = app_entries(&store, &app).await;
        assert_eq!(entries.len(), 200, "{backend}");
        let mut logged: Vec<i64> = entries
            .iter()
            .filter(|e| e.status_code == 200)
            .map(|e| {
                assert_eq!(
                    e.numbers[0], e.numbers[1],
                    "{backend}: year = perpetual here"
                );
                assert_eq!(
                    e.numbers[0], e.numbers[2],
                    "{backend}: month = perpetual here"
                );
                e.numbers[0].unwrap()
            })
            .collect();
        logged.sort_unstable();
        assert_eq!(logged, got, "{backend}");
        for e in entries.iter().filter(|e| e.status_code != 200) {
            assert_eq!(e.status_code, 500);
            assert_eq!(e.numbers, [None, None, None], "{backend}");
            assert!(e
                .exception_message
                .as_deref()
                .unwrap_or("")
                .contains("failing on purpose"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_and_year_roll_over_in_the_application_time_zone() {
    for (backend, store) in backends().await {
        let app = unique("rollover");
        let (now, clock) = fixed_clock(ms("2026-01-31T22:00:00Z"));
        let s = server(
            &store,
            &app,
            Settings {
                clock,
                timezone: jiff::tz::TimeZone::get("Europe/Vienna").unwrap(),
                ..no_hash()
            },
        )
        .await;
        let get = |fail: &'static str| {
            let s = &s;
            let app = app.clone();
            async move { s.get(&format!("/{app}/number?fail={fail}")).await }
        };
        let ok = |r: common::Resp| {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            numbers(&r.text())
        };
        // 23:00 and 23:59 on 31 January in Vienna.
        assert_eq!(ok(get("no").await), [1, 1, 1, 1], "{backend}");
        now.store(ms("2026-01-31T22:59:00Z"), Ordering::SeqCst);
        assert_eq!(get("yes").await.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ok(get("no").await), [2, 2, 2, 2], "{backend}");
        // 00:30 on 1 February in Vienna, still January in UTC: a new month.
        now.store(ms("2026-01-31T23:30:00Z"), Ordering::SeqCst);
        assert_eq!(ok(get("no").await), [3, 3, 1, 3], "{backend}");
        assert_eq!(ok(get("no").await), [4, 4, 2, 4], "{backend}");
        // 00:30 on 1 January 2027 in Vienna: a new year and month.
        now.store(ms("2026-12-31T23:30:00Z"), Ordering::SeqCst);
        assert_eq!(ok(get("no").await), [5, 1, 1, 5], "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_data_source_lists_intermediate_values_apart() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::temporary().expect("SQLite store"));
    let app = unique("link-page");
    let s = server(
        &store,
        &app,
        Settings {
            base_url: "https://oe.example/".to_string(),
            ..Settings::default()
        },
    )
    .await;
    let hash = s.hash("link-page", &[]);
    let r = s
        .get(&format!("/{app}/link-page?who=Ann&hash={hash}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.text();
    let mut lines = body.lines();
    let link = lines.next().unwrap();
    let code = link
        .strip_prefix("link=https://oe.example/shortlink/")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(code.len(), 12, "{body}");
    // <parameter>s first (in order), then the <intermediate-value>s.
    assert_eq!(
        lines.collect::<Vec<_>>(),
        [
            "parameters named shortlink=0",
            "parameter who",
            "parameter request-id",
            "intermediate-value shortlink"
        ],
        "{body}"
    );
    // The link works.
    let followed = s.get(&format!("/shortlink/{code}")).await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text());
    assert!(followed.text().contains("who=Ann\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_links_are_created_followed_and_expire() {
    for (backend, store) in backends().await {
        let app = unique("links");
        let (now, clock) = fixed_clock(real_now());
        let s = server(
            &store,
            &app,
            Settings {
                clock,
                base_url: "https://oe.example/".to_string(),
                ..Settings::default()
            },
        )
        .await;
        let hash = s.hash("link", &[]);
        let r = s.get(&format!("/{app}/link?who=Ann%20B&hash={hash}")).await;
        assert_eq!(r.status, StatusCode::FOUND, "{backend}: {}", r.text());
        let location = r.location().to_string();
        let code = location
            .strip_prefix("https://oe.example/shortlink/")
            .unwrap_or_else(|| panic!("{location}"))
            .to_string();
        assert_eq!(code.len(), 12);
        assert!(!code.contains(['O', '0', 'I', 'l', '1', 'S', '5', '2', 'Z']));

        // The target needs a hash, the short link does not; the stored parameters are restored.
        let direct = s.get(&format!("/{app}/target?who=Ann")).await;
        assert_eq!(direct.status, StatusCode::UNAUTHORIZED);
        let followed = s.get(&format!("/shortlink/{code}")).await;
        assert_eq!(
            followed.status,
            StatusCode::OK,
            "{backend}: {}",
            followed.text()
        );
        let body = followed.text();
        assert!(body.contains("who=Ann B\n"), "{backend}: {body}");
        let rid = followed.header("x-request-id").unwrap().to_string();
        assert!(body.contains(&format!("request-id={rid}\n")), "{body}");
        // It is logged under its endpoint.
        assert_eq!(entry(&store, &rid).await.endpoint, "target");

        // A request that fails after creating a link leaves no link behind.
        let links_before = count_links(&store, &app).await;
        let r = s
            .get(&format!("/{app}/link?who=Eve&fail=yes&hash={hash}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(count_links(&store, &app).await, links_before, "{backend}");

        assert_eq!(
            s.get("/shortlink/a-b").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            s.get("/shortlink/a-b").await.text(),
            "Request invalid: URL '/shortlink/a-b' malformed\n"
        );
        let unknown = s.get("/shortlink/ABCDEFGHJKLM").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.text(), "Code 'ABCDEFGHJKLM' not found\n");

        // 61 minutes later the link has expired.
        now.fetch_add(61 * 60_000, Ordering::SeqCst);
        let expired = s.get(&format!("/shortlink/{code}")).await;
        assert_eq!(expired.status, StatusCode::NOT_FOUND, "{backend}");
        assert_eq!(expired.text(), format!("Code '{code}' not found\n"));
    }
}

/// Short links of `app` in the store (read by the store's own connection where possible).
async fn count_links(store: &Arc<dyn Store>, app: &str) -> i64 {
    match store.backend() {
        "sqlite" => {
            let path = store
                .describe()
                .trim_start_matches("SQLite file ")
                .to_string();
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.query_row(
                "SELECT count(*) FROM short_link_to_endpoint WHERE application = ?1",
                [app],
                |r| r.get(0),
            )
            .unwrap()
        }
        _ => {
            let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .query_one(
                    "SELECT count(*) FROM short_link_to_endpoint WHERE application = $1",
                    &[&app],
                )
                .await
                .unwrap()
                .get(0)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_captures_and_the_request_log_data_source() {
    for (backend, store) in backends().await {
        let app = unique("capture");
        let s = server(&store, &app, no_hash()).await;
        let ok = s
            .send(
                Method::GET,
                &format!("/{app}/capture?invoice-number=123"),
                &[("user-agent", "TestAgent/1.0")],
                Bytes::new(),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        let failed = s
            .get(&format!("/{app}/capture?invoice-number=456&fail=yes"))
            .await;
        assert_eq!(failed.status, StatusCode::BAD_REQUEST);

        let ok_entry = entry(&store, ok.header("x-request-id").unwrap()).await;
        assert_eq!(
            ok_entry.endpoint, "capture",
            "a forward chain is logged once"
        );
        assert_eq!(ok_entry.status_code, 200);
        assert_eq!(ok_entry.user_agent, "TestAgent/1.0");
        assert_eq!(
            ok_entry.captures,
            vec![
                ("inv".to_string(), "invoice# is '123'".to_string()),
                ("second".to_string(), "forwarded 123".to_string()),
            ],
            "{backend}"
        );
        let failed_entry = entry(&store, failed.header("x-request-id").unwrap()).await;
        assert_eq!(failed_entry.status_code, 400);
        assert!(
            failed_entry.captures.is_empty(),
            "captures only for successes"
        );
        assert!(failed_entry
            .exception_message
            .as_deref()
            .unwrap()
            .contains("is not in whitelist"));

        let log = s.get(&format!("/{app}/log")).await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.text());
        let xml = log.text();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        let entries: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("request-log-entry"))
            .collect();
        assert_eq!(
            entries.len(),
            2,
            "{backend}: the current request is not included: {xml}"
        );
        let child = |n: roxmltree::Node, name: &str| {
            n.children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .map(str::to_string)
        };
        assert_eq!(child(entries[0], "endpoint").as_deref(), Some("capture"));
        assert_eq!(child(entries[0], "status-code").as_deref(), Some("200"));
        assert_eq!(
            child(entries[0], "user-agent").as_deref(),
            Some("TestAgent/1.0")
        );
        assert_eq!(child(entries[0], "environment").as_deref(), Some("live"));
        assert_eq!(child(entries[0], "datetime-utc").unwrap().len(), 19);
        let captures: Vec<(String, String)> = entries[0]
            .children()
            .filter(|c| c.has_tag_name("expression-capture"))
            .map(|c| {
                (
                    c.attribute("key").unwrap().to_string(),
                    c.text().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(captures[0], ("inv".into(), "invoice# is '123'".into()));
        assert_eq!(child(entries[1], "status-code").as_deref(), Some("400"));
        assert!(child(entries[1], "exception-message").is_some());
        assert_eq!(
            entries[1]
                .children()
                .filter(|c| c.has_tag_name("expression-capture"))
                .count(),
            0
        );
        assert_eq!(app_entries(&store, &app).await.len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_and_verbose_capture() {
    for (backend, store) in backends().await {
        let app = unique("debug");
        let s = server(&store, &app, no_hash()).await;
        let post = |query: &'static str, body: &'static str| {
            let s = &s;
            let app = app.clone();
            async move {
                s.send(
                    Method::POST,
                    &format!("/{app}/pt{query}"),
                    &[("content-type", "application/x-www-form-urlencoded")],
                    Bytes::from_static(body.as_bytes()),
                )
                .await
            }
        };
        let rid = |r: &common::Resp| r.header("x-request-id").unwrap().to_string();

        // verbose=true on a failing request: the PT documents and the body are stored.
        let r = post("?verbose=true", "a=bad").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.text(), "error: a must not be bad");
        let e = entry(&store, &rid(&r)).await;
        let input = e.parameter_transformation_input.as_deref().unwrap_or("");
        assert!(
            input.contains("<parameter name=\"a\" value=\"bad\"/>"),
            "{backend}: {input}"
        );
        assert!(!input.contains("<debug-allowed/>"));
        assert!(e
            .parameter_transformation_output
            .as_deref()
            .unwrap()
            .contains("<error>a must not be bad</error>"));
        assert_eq!(
            e.request_content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(e.request_body.as_deref(), Some(&b"a=bad"[..]));
        assert_eq!(
            e.xslt_parameter_error_message.as_deref(),
            Some("a must not be bad")
        );

        // verbose=true on a success, and debug=true while debug is not allowed: nothing stored.
        for query in ["?verbose=true", "?debug=true"] {
            let r = post(query, "a=good").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let e = entry(&store, &rid(&r)).await;
            assert_eq!(e.parameter_transformation_input, None, "{backend} {query}");
            assert_eq!(e.request_body, None);
            assert_eq!(e.request_content_type, None);
        }

        // With debug allowed, debug=true stores them for every status.
        let s2 = server(
            &store,
            &app,
            Settings {
                debug_allowed: true,
                ..no_hash()
            },
        )
        .await;
        let r = s2
            .send(
                Method::POST,
                &format!("/{app}/pt?debug=true"),
                &[("content-type", "application/x-www-form-urlencoded")],
                Bytes::from_static(b"a=good"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let e = entry(&store, &rid(&r)).await;
        let input = e.parameter_transformation_input.unwrap();
        assert!(input.contains("<debug-requested/>"), "{input}");
        assert!(input.contains("<debug-allowed/>"), "{input}");
        assert!(e
            .parameter_transformation_output
            .unwrap()
            .contains("value=\"good\""));
        assert_eq!(e.request_body.as_deref(), Some(&b"a=good"[..]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_log_entries_and_keeps_numbers() {
    for (backend, store) in backends().await {
        let app = unique("retention");
        let now = real_now();
        let day = 86_400_000;
        let write = |at: i64, with_link: bool| {
            let store = store.clone();
            let app = app.clone();
            async move {
                let mut tx = store.begin(&app, "live");
                let n = tx.next_number(NumberKind::Perpetual, None).await.unwrap();
                let request_id = uuid::Uuid::new_v4().to_string();
                let entry = LogEntry {
                    request_id: request_id.clone(),
                    application: app.clone(),
                    environment: "live".into(),
                    endpoint: "number".into(),
                    datetime_ms: at,
                    numbers: [Some(n), None, None],
                    status_code: 200,
                    captures: vec![("k".into(), "v".into())],
                    ..Default::default()
                };
                let short_links = if with_link {
                    vec![ShortLink {
                        code: endpoints::store::short_link_code(),
                        application: app.clone(),
                        environment: "live".into(),
                        endpoint: "target".into(),
                        created_ms: at,
                        expires_ms: at + day,
                        parameters: vec![("who".into(), "x".into())],
                    }]
                } else {
                    Vec::new()
                };
                tx.commit(Writes { entry, short_links }).await.unwrap();
                (n, request_id)
            }
        };
        let (n1, old_id) = write(now - 40 * day, true).await;
        let (n2, _) = write(now - day, false).await;
        assert_eq!((n1, n2), (1, 2), "{backend}");
        let expired = store.expire(now - 32 * day, now).await.unwrap();
        assert!(
            expired.log_entries >= 1 && expired.short_links >= 1,
            "{backend}: {expired:?}"
        );
        let left = app_entries(&store, &app).await;
        assert_eq!(left.len(), 1, "{backend}");
        assert!(left.iter().all(|e| e.request_id != old_id));
        // The number of the expired entry is not given out again.
        let (n3, _) = write(now, false).await;
        assert_eq!(n3, 3, "{backend}");
    }
}

/// `endpoints serve ARGS` on an ephemeral port, without a watcher.
struct Process;

impl Process {
    fn start(args: &[&str]) -> Result<common::Spawned, String> {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--no-watch"])
            .env("ENDPOINTS_LOG", "info")
            .env_remove("ENDPOINTS_DATABASE_URL")
            .stdout(Stdio::null());
        common::Spawned::start(cmd)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_gapless_numbers_through_postgres() {
    if postgres().await.is_none() {
        return;
    }
    let dir = common::fixture("state");
    let app = unique("two");
    let url = pg_url();
    let path = dir.path().to_str().unwrap().to_string();
    let args = [
        path.as_str(),
        "--name",
        app.as_str(),
        "--no-hash-check",
        "--database",
        url.as_str(),
    ];
    // Started at once: the schema migration must cope.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Process::start(&args));
        let b = s.spawn(|| Process::start(&args));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.expect("first process"), b.expect("second process"));
    let urls = [
        format!("http://{}/{app}", a.addr),
        format!("http://{}/{app}", b.addr),
    ];
    let got = tokio::time::timeout(
        Duration::from_secs(180),
        gapless_run(|i| urls[i % 2].clone()),
    )
    .await
    .expect("bounded");
    assert_eq!(got, (1..=160).collect::<Vec<_>>());

    // `endpoints log` reads the same PostgreSQL state.
    let text = endpoints_log(&[
        "--database",
        &url,
        "--application",
        &app,
        "--status",
        "5xx",
        "--limit",
        "1000",
    ]);
    assert_eq!(text.lines().count(), 40, "{text}");
    assert!(
        text.lines().all(|l| l.contains("  number  500  ")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_command_reads_the_sqlite_state() {
    let dir = common::fixture("state");
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_string();
    let path = dir.path().to_str().unwrap().to_string();
    let args = [
        path.as_str(),
        "--name",
        "logged",
        "--no-hash-check",
        "--data-dir",
        data_dir.as_str(),
    ];
    let p = Process::start(&args).expect("server");
    // A second process on the same SQLite file is refused with a clear message.
    let second = Process::start(&args);
    assert!(
        matches!(&second, Err(out) if out.contains("is in use by another engine process")),
        "{:?}",
        second.as_ref().err()
    );
    drop(second);
    let ok = common::send_h1(p.addr, Method::GET, "/logged/number", &[], Bytes::new()).await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = common::send_h1(
        p.addr,
        Method::POST,
        "/logged/pt?verbose=true",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from_static(b"a=bad"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad_id = bad.header("x-request-id").unwrap().to_string();

    let log = |extra: &[&str]| endpoints_log(&[&["--data-dir", data_dir.as_str()], extra].concat());
    // Rows without numbers are written just behind the response (within milliseconds): another process sees
    // them shortly after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut all = log(&[]);
    while all.lines().count() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        all = log(&[]);
    }
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(
        lines[0].contains("logged/live  number  200") && lines[0].contains("#1"),
        "{all}"
    );
    assert!(
        lines[1].contains("pt  400") && lines[1].contains(&bad_id),
        "{all}"
    );
    let errors = log(&["--status", "4xx", "--since", "1h"]);
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert_eq!(log(&["--endpoint", "number"]).lines().count(), 1);
    let shown = log(&["--show", &bad_id]);
    assert!(
        shown.contains("status-code                       400"),
        "{shown}"
    );
    assert!(
        shown.contains("--- parameter-transformation-input ---"),
        "{shown}"
    );
    assert!(
        shown.contains("--- request-body (5 bytes) ---\na=bad"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_behind_the_response_survive_a_graceful_stop() {
    let dir = common::fixture("state");
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_string();
    let path = dir.path().to_str().unwrap().to_string();
    let mut p = Process::start(&[
        path.as_str(),
        "--name",
        "behind",
        "--no-hash-check",
        "--data-dir",
        data_dir.as_str(),
    ])
    .expect("server");
    let addr = p.addr;
    let mut requests = Vec::new();
    for i in 0..300 {
        requests.push(tokio::spawn(async move {
            let url = format!("/behind/capture?invoice-number={i}");
            common::send_h1(addr, Method::GET, &url, &[], Bytes::new()).await
        }));
    }
    for r in requests {
        assert_eq!(r.await.unwrap().status, StatusCode::OK);
    }
    // Stopped at once: the rows still queued behind the last responses are written before the process ends.
    let pid = p.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::task::spawn_blocking(move || {
        let status = p.child.wait();
        (status, p)
    })
    .await
    .unwrap()
    .0
    .unwrap();
    assert!(status.success(), "{status:?}");
    let out = endpoints_log(&[
        "--data-dir",
        &data_dir,
        "--limit",
        "1000",
        "--endpoint",
        "capture",
    ]);
    assert_eq!(out.lines().count(), 300);
}

/// `endpoints log ARGS` (SQLite unless the arguments say otherwise); its standard output.
fn endpoints_log(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("log")
        .args(args)
        .env_remove("ENDPOINTS_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_reports_an_unreachable_state_store() {
    // SQLite: the store answers.
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::temporary().unwrap());
    let s = server(&sqlite, "health", no_hash()).await;
    let r = s.get("/health-check").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["state"], "sqlite");

    // PostgreSQL through a proxy that the test then takes away.
    if postgres().await.is_none() {
        return;
    }
    let url = pg_url();
    if !url.contains("127.0.0.1:5432") {
        eprintln!("SKIP: the proxy part needs ENDPOINTS_TEST_DATABASE_URL at 127.0.0.1:5432");
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    let conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
    let c = conns.clone();
    let acceptor = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let handle = tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
            c.lock().unwrap().push(handle);
        }
    });
    let proxied = url.replace("127.0.0.1:5432", &proxy_addr.to_string());
    let pg = endpoints::store::open(Some(&proxied), Path::new(""))
        .await
        .unwrap();
    let s = server(&pg, &unique("health"), no_hash()).await;
    let r = s.get("/health-check").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["state"], "postgresql");

    acceptor.abort();
    let _ = acceptor.await;
    for h in conns.lock().unwrap().drain(..) {
        h.abort();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = tokio::time::timeout(Duration::from_secs(20), s.get("/health-check"))
        .await
        .expect("bounded");
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], "state store unavailable");
    // An endpoint request cannot be logged: it fails with 500, and no internal detail reaches the client.
    let r = s
        .get(&format!(
            "/{}/number",
            v["applications"][0]["application"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !r.text().contains("5432") && !r.text().contains("PostgreSQL"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_modes_keep_every_request_that_carries_state() {
    use endpoints::engine::RequestLogMode;
    for (backend, store) in backends().await {
        for mode in [RequestLogMode::Failures, RequestLogMode::Off] {
            let app = unique("modes");
            let s = server(
                &store,
                &app,
                Settings {
                    request_log: mode,
                    ..no_hash()
                },
            )
            .await;
            let plain = s.get(&format!("/{app}/target?who=x")).await;
            assert_eq!(plain.status, StatusCode::OK);
            let failed = s.get(&format!("/{app}/target")).await;
            assert_eq!(failed.status, StatusCode::BAD_REQUEST);
            let n1 = s.get(&format!("/{app}/number")).await;
            let n2 = s.get(&format!("/{app}/number")).await;
            assert_eq!(
                (numbers(&n1.text())[0], numbers(&n2.text())[0]),
                (1, 2),
                "{backend} {mode:?}"
            );
            let cap = s.get(&format!("/{app}/capture?invoice-number=7")).await;
            assert_eq!(cap.status, StatusCode::OK);
            let mut logged: Vec<(String, u16)> = app_entries(&store, &app)
                .await
                .into_iter()
                .map(|e| (e.endpoint, e.status_code))
                .collect();
            logged.sort();
            let mut expected = vec![
                ("capture".to_string(), 200),
                ("number".to_string(), 200),
                ("number".to_string(), 200),
            ];
            if mode == RequestLogMode::Failures {
                expected.push(("target".to_string(), 400));
            }
            expected.sort();
            assert_eq!(logged, expected, "{backend} {mode:?}");
        }
    }
}
