//! Requests without a `hash`: refused by default (401 `Hash missing`); accepted unauthenticated, as OpenEndpoints
//! accepts them, under the server's `--accept-missing-hash` or an application's `engine-settings.xml`
//! (`<missing-hash>accept</missing-hash>`), where the application's file wins over the server. A wrong hash is
//! refused either way; endpoints with `<authentication>` keep requiring one of their methods.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use common::{Options, TestServer};
use endpoints::engine::{hash, Environment};
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

const ENDPOINTS_XML: &str = r#"<endpoint-folder>
    <endpoint name="plain">
        <success><redirect-to>https://ok.example/plain</redirect-to></success>
    </endpoint>
    <endpoint name="hashed">
        <parameter name="who"/>
        <include-in-hash><parameter name="who"/></include-in-hash>
        <success><redirect-to>https://ok.example/hashed?who=${who}</redirect-to></success>
    </endpoint>
    <endpoint name="bearer">
        <authentication><hash/><bearer token="t0ken"/></authentication>
        <success><redirect-to>https://ok.example/bearer</redirect-to></success>
    </endpoint>
</endpoint-folder>
"#;

/// An application with the endpoints above and, when given, an `engine-settings.xml`.
fn app(dir: &Path, settings: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("endpoints.xml"), ENDPOINTS_XML).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    let file = dir.join("engine-settings.xml");
    match settings {
        Some(s) => std::fs::write(file, s).unwrap(),
        None => {
            let _ = std::fs::remove_file(file);
        }
    }
}

fn missing_hash(value: &str) -> String {
    format!("<engine-settings>\n    <missing-hash>{value}</missing-hash>\n</engine-settings>\n")
}

async fn server(settings: Option<&str>, flag: bool) -> (TestServer, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    app(tmp.path(), settings);
    let s = TestServer::start(
        tmp.path(),
        Options {
            accept_missing_hash: flag,
            ..Options::default()
        },
    )
    .await;
    (s, tmp)
}

fn h(endpoint: &str, values: &[&str]) -> String {
    hash::compute(endpoint, values, Environment::Live, "k")
}

/// Status and `Location` (or body) of the three kinds of request on `plain` and `hashed`.
async fn outcomes(s: &TestServer) -> Vec<(StatusCode, String)> {
    let mut out = Vec::new();
    for path in [
        "/plain".to_string(),
        "/plain?hash=0000".to_string(),
        format!("/plain?hash={}", h("plain", &[])),
        "/hashed?who=ann".to_string(),
        format!("/hashed?who=eve&hash={}", h("hashed", &["ann"])),
        format!("/hashed?who=ann&hash={}", h("hashed", &["ann"])),
    ] {
        let r = s.get(&path).await;
        let what = match r.status {
            StatusCode::FOUND => r.location().to_string(),
            _ => r.text(),
        };
        out.push((r.status, what));
    }
    out
}

fn refused() -> Vec<(StatusCode, String)> {
    vec![
        (StatusCode::UNAUTHORIZED, "Hash missing\n".into()),
        (StatusCode::UNAUTHORIZED, "Hash wrong\n".into()),
        (StatusCode::FOUND, "https://ok.example/plain".into()),
        (StatusCode::UNAUTHORIZED, "Hash missing\n".into()),
        (StatusCode::UNAUTHORIZED, "Hash wrong\n".into()),
        (
            StatusCode::FOUND,
            "https://ok.example/hashed?who=ann".into(),
        ),
    ]
}

fn accepted() -> Vec<(StatusCode, String)> {
    vec![
        (StatusCode::FOUND, "https://ok.example/plain".into()),
        (StatusCode::UNAUTHORIZED, "Hash wrong\n".into()),
        (StatusCode::FOUND, "https://ok.example/plain".into()),
        (
            StatusCode::FOUND,
            "https://ok.example/hashed?who=ann".into(),
        ),
        (StatusCode::UNAUTHORIZED, "Hash wrong\n".into()),
        (
            StatusCode::FOUND,
            "https://ok.example/hashed?who=ann".into(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_by_default() {
    let (s, _dir) = server(None, false).await;
    assert_eq!(outcomes(&s).await, refused());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_with_the_server_flag() {
    let (s, _dir) = server(None, true).await;
    assert_eq!(outcomes(&s).await, accepted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_with_the_application_file() {
    let (s, _dir) = server(Some(&missing_hash("accept")), false).await;
    assert_eq!(outcomes(&s).await, accepted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_file_wins_over_the_server_flag() {
    let (s, _dir) = server(Some(&missing_hash("refuse")), true).await;
    assert_eq!(outcomes(&s).await, refused());
    // A file that says nothing about it leaves it to the flag.
    let (s, _dir) = server(
        Some("<engine-settings><xslt-engine>auto</xslt-engine></engine-settings>"),
        true,
    )
    .await;
    assert_eq!(outcomes(&s).await, accepted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_endpoints_still_need_one_of_their_methods() {
    let (s, _dir) = server(Some(&missing_hash("accept")), true).await;
    let r = s.get("/bearer").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(r.text(), "Authentication failed\n");
    let r = s
        .send(
            Method::GET,
            "/bearer",
            &[("authorization", "Bearer t0ken")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let r = s.get(&format!("/bearer?hash={}", h("bearer", &[]))).await;
    assert_eq!(r.status, StatusCode::FOUND);
}

// --- the binary: start-up and reload warnings, the access log, `endpoints check` ---

fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Spawned {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg(dir)
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env("ENDPOINTS_LOG", "info")
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_ACCEPT_MISSING_HASH")
        .envs(env.iter().copied())
        .stdout(Stdio::null());
    common::Spawned::start(cmd).unwrap_or_else(|seen| panic!("server did not start: {seen}"))
}

async fn get(addr: std::net::SocketAddr, path: &str) -> common::Resp {
    common::send_h1(addr, Method::GET, path, &[], Bytes::new()).await
}

/// Log lines until one contains `needle` (at most 10 s).
fn wait_for(s: &common::Spawned, needle: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while let Ok(line) = s
        .lines
        .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        let found = line.contains(needle);
        seen.push(line);
        if found {
            return seen;
        }
    }
    panic!("no log line with '{needle}':\n{}", seen.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_warns_and_marks_the_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    app(&dir, None);
    // The environment variable is the flag's other spelling.
    let s = spawn(&dir, &[], &[("ENDPOINTS_ACCEPT_MISSING_HASH", "true")]);
    let start = &s.start_lines;
    let warning = start
        .iter()
        .find(|l| l.contains("WARN") && l.contains("requests without a hash are accepted"))
        .unwrap_or_else(|| panic!("no start-up warning:\n{}", start.join("\n")));
    assert!(
        warning.contains("shop") && warning.contains("2 endpoints: 'plain', 'hashed'"),
        "{warning}"
    );
    assert!(!warning.contains("'bearer'"), "{warning}");

    // Accepted without a hash, and marked in the access log; a request with its hash is not marked.
    let r = get(s.addr, "/plain").await;
    assert_eq!(r.status, StatusCode::FOUND);
    let id = r.header("x-request-id").unwrap().to_string();
    let lines = wait_for(&s, &id);
    let access = lines.last().unwrap();
    assert!(access.contains("hash=absent-accepted"), "{access}");
    let r = get(s.addr, &format!("/plain?hash={}", h("plain", &[]))).await;
    let id = r.header("x-request-id").unwrap().to_string();
    let lines = wait_for(&s, &id);
    assert!(!lines.last().unwrap().contains("hash="), "{lines:?}");
    assert_eq!(
        get(s.addr, "/plain?hash=0000").await.status,
        StatusCode::UNAUTHORIZED
    );

    // The application's file refuses: after the reload every endpoint refuses again, and the log says so.
    app(&dir, Some(&missing_hash("refuse")));
    wait_for(
        &s,
        "requests without a hash are refused again by every endpoint",
    );
    assert_eq!(get(s.addr, "/plain").await.status, StatusCode::UNAUTHORIZED);
    // And back: the file accepts.
    app(&dir, Some(&missing_hash("accept")));
    let lines = wait_for(&s, "requests without a hash are accepted");
    assert!(lines.last().unwrap().contains("WARN"), "{lines:?}");
    assert_eq!(get(s.addr, "/plain").await.status, StatusCode::FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_warning_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    app(tmp.path(), None);
    let s = spawn(tmp.path(), &[], &[]);
    assert_eq!(get(s.addr, "/plain").await.status, StatusCode::UNAUTHORIZED);
    let r = get(s.addr, &format!("/plain?hash={}", h("plain", &[]))).await;
    let id = r.header("x-request-id").unwrap().to_string();
    let lines = wait_for(&s, &id);
    assert!(
        !lines.iter().any(|l| l.contains("without a hash")),
        "{lines:?}"
    );
}

fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .arg("check")
        .arg(dir)
        .args(args)
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_ACCEPT_MISSING_HASH")
        .env_remove("ENDPOINTS_APP_DIR")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(dir.to_str().unwrap(), "APP");
    (out.status.code().unwrap_or(-1), err)
}

#[test]
fn check_names_the_endpoints_that_accept_a_missing_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    app(dir, None);
    assert_eq!(check(dir, &[]), (0, String::new()));
    assert_eq!(
        check(dir, &["--accept-missing-hash"]),
        (
            0,
            "APP/endpoints.xml: warning: --accept-missing-hash / ENDPOINTS_ACCEPT_MISSING_HASH: requests without a \
             hash are accepted unauthenticated (as OpenEndpoints does) by 2 endpoints: 'plain', 'hashed'; a wrong \
             hash is still refused\n"
                .to_string()
        )
    );
    // Without hash checking there is nothing to warn about.
    assert_eq!(
        check(dir, &["--accept-missing-hash", "--no-hash-check"]),
        (0, String::new())
    );
    app(dir, Some(&missing_hash("accept")));
    assert_eq!(
        check(dir, &[]),
        (
            0,
            "APP/engine-settings.xml:2:5: warning: <missing-hash>accept</missing-hash>: requests without a hash are \
             accepted unauthenticated (as OpenEndpoints does) by 2 endpoints: 'plain', 'hashed'; a wrong hash is \
             still refused\n"
                .to_string()
        )
    );
    app(dir, Some(&missing_hash("refuse")));
    assert_eq!(check(dir, &["--accept-missing-hash"]), (0, String::new()));
}

#[test]
fn check_reports_mistakes_in_engine_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    app(
        dir,
        Some("<engine-settings>\n  <missing-hash>yes</missing-hash>\n  <hash-check>off</hash-check>\n</engine-settings>\n"),
    );
    let (code, err) = check(dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "APP/engine-settings.xml:2:17: <missing-hash> must be 'refuse' or 'accept', not 'yes'",
            "APP/engine-settings.xml:3:3: Unexpected element <hash-check> in <engine-settings>; expected <missing-hash>, <xslt-engine> or <hash-scheme>",
            "2 error(s), 0 warning(s)",
        ]
    );
    // This repository's layout: the file sits beside endpoints.xml in endpoints/.
    let tmp = tempfile::tempdir().unwrap();
    let split = tmp.path().join("endpoints");
    app(&split, Some(&missing_hash("accept")));
    let (code, err) = check(tmp.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with(
            "APP/endpoints/engine-settings.xml:2:5: warning: <missing-hash>accept</missing-hash>"
        ),
        "{err}"
    );
}
