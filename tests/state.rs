//! The state store over real HTTP, on both backends: gapless on-demand numbers under concurrency (also with two
//! engine processes sharing PostgreSQL), month/year rollover with an injected clock, short links, request-log
//! captures and the `<request-log/>` data source, debug/verbose capture, retention, and `endpoints log`.
//!
//! PostgreSQL is `ENDPOINTS_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`); when it is not
//! reachable its half of each test is a loud SKIP, or a failure under `CI=true`. Every test uses its own
//! application name, so tests sharing the database never see each other's numbers.
//!
//! This file holds the helpers and the number tests; `state/` holds the rest: `links_and_log` (short links,
//! captures, debug capture), `processes` (retention, several processes, `endpoints log`, shutdown, health, log
//! modes), `schema` (migrations of both backends), `pool` (the PostgreSQL pool's wait).

mod common;
#[path = "state/links_and_log.rs"]
mod links_and_log;
#[path = "state/pool.rs"]
mod pool;
#[path = "state/processes.rs"]
mod processes;
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
