//! `endpoints init DIR` through the real binary: the new application passes `endpoints check`, is served, and every
//! endpoint answers over HTTP — the printed curl commands with their hashes, the form page's hidden hash and links —
//! and `endpoints log` finds its requests without flags; a directory that is not empty is refused.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// `endpoints ARGS` in `cwd`, with no state or hash settings from the environment.
fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .env_remove("ENDPOINTS_DATA_DIR")
        .env_remove("ENDPOINTS_DATABASE_URL")
        .env_remove("ENDPOINTS_APP_DIR")
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_HASH_SCHEME")
        .env_remove("ENDPOINTS_ACCEPT_MISSING_HASH")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One printed `curl -i [-d BODY] URL` line: (method, path and query, form body).
fn parse_curl(line: &str) -> (Method, String, Option<String>) {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .collect();
    assert_eq!(&words[..2], ["curl", "-i"], "{line}");
    let (body, url) = match words[2] {
        "-d" => (Some(words[3].to_string()), words[4]),
        url => (None, url),
    };
    assert_eq!(words.len(), if body.is_some() { 5 } else { 3 }, "{line}");
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .unwrap_or_else(|| panic!("not the default address: {line}"));
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    (method, path.to_string(), body)
}

async fn send(
    addr: std::net::SocketAddr,
    method: Method,
    path: &str,
    form: Option<&str>,
) -> common::Resp {
    let headers: &[(&str, &str)] = match form {
        Some(_) => &[("content-type", "application/x-www-form-urlencoded")],
        None => &[],
    };
    let body = Bytes::from(form.unwrap_or("").to_string());
    common::send_h1(addr, method, path, headers, body).await
}

/// The value of the first `attribute="…"` after `after` in `html`.
fn attribute_after<'h>(html: &'h str, after: &str, attribute: &str) -> &'h str {
    let at = html
        .find(after)
        .unwrap_or_else(|| panic!("no {after} in {html}"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    let end = start + rest[start..].find('"').unwrap();
    &rest[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_application_is_checked_served_and_answers_every_printed_command() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let out = run(cwd, &["init", "demo"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("endpoints serve demo"), "{printed}");
    assert!(printed.contains("endpoints check demo"), "{printed}");

    // A fresh random key, written nowhere but security.xml (and not printed).
    let security = std::fs::read_to_string(cwd.join("demo/security.xml")).unwrap();
    let key = security
        .split("<secret-key>")
        .nth(1)
        .and_then(|s| s.split("</secret-key>").next())
        .unwrap();
    assert_eq!(key.len(), 64, "{security}");
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!printed.contains(key));
    let other = tmp.path().join("other");
    assert!(run(cwd, &["init", other.to_str().unwrap()])
        .status
        .success());
    assert_ne!(
        std::fs::read_to_string(other.join("security.xml")).unwrap(),
        security,
        "two runs made the same key"
    );

    let check = run(cwd, &["check", "demo"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains("OK (0 warning(s))"),
        "{}",
        text(&check)
    );

    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .args(["serve", "demo", "--listen", "127.0.0.1:0", "--no-watch"])
        .env_remove("ENDPOINTS_DATA_DIR")
        .env_remove("ENDPOINTS_DATABASE_URL")
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_HASH_SCHEME")
        .env_remove("ENDPOINTS_ACCEPT_MISSING_HASH")
        .env("ENDPOINTS_LOG", "info");
    let server = common::Spawned::start(cmd).expect("the new application is served");
    let addr = server.addr;

    // Every printed curl command, as printed.
    let curls: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("curl "))
        .collect();
    assert_eq!(curls.len(), 4, "{printed}");
    let mut seen = Vec::new();
    for line in &curls {
        let (method, path, body) = parse_curl(line);
        let r = send(addr, method, &path, body.as_deref()).await;
        let endpoint = path[1..].split('?').next().unwrap().to_string();
        match endpoint.as_str() {
            "form" => {
                assert_eq!(r.status, StatusCode::OK, "{line}: {}", r.text());
                assert!(r
                    .text()
                    .contains("<form method=\"post\" action=\"submit\">"));
            }
            "submit" => {
                assert_eq!(r.status, StatusCode::OK, "{line}: {}", r.text());
                assert!(r.text().contains("Thank you!"), "{}", r.text());
            }
            "hello" => {
                assert_eq!(r.status, StatusCode::OK, "{line}: {}", r.text());
                assert!(r
                    .header("content-type")
                    .unwrap()
                    .starts_with("application/json"));
                let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!(
                    json,
                    serde_json::json!({"greeting": "Hello, Ann!", "name": "Ann"})
                );
            }
            "go" => {
                assert_eq!(r.status, StatusCode::FOUND, "{line}: {}", r.text());
                assert_eq!(r.location(), "https://example.com/welcome");
            }
            other => panic!("unexpected endpoint {other} in {line}"),
        }
        seen.push(endpoint);
    }
    seen.sort();
    assert_eq!(seen, ["form", "go", "hello", "submit"]);

    // The form page as a browser uses it: its hidden hash posts the form, its links carry their hashes.
    let form_line = curls.iter().find(|l| l.contains("/form?")).unwrap();
    let page = send(addr, Method::GET, &parse_curl(form_line).1, None)
        .await
        .text();
    let submit_hash = attribute_after(&page, "name=\"hash\"", "value");
    let posted = send(
        addr,
        Method::POST,
        "/submit",
        Some(&format!(
            "name=Bo&email=bo%40example.com&message=Hi&hash={submit_hash}"
        )),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    assert!(posted.text().contains("Thank you!"));
    // The same under /{application}/…, where the form's relative action and links lead.
    let posted = send(
        addr,
        Method::POST,
        "/demo/submit",
        Some(&format!(
            "name=Bo&email=bo%40example.com&hash={submit_hash}"
        )),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    let hello_link = attribute_after(&page, "<a href=\"hello", "href").replace("&amp;", "&");
    let r = send(addr, Method::GET, &format!("/{hello_link}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{hello_link}: {}", r.text());
    assert!(r.text().contains("Hello, visitor!"), "{}", r.text());
    let go_link = attribute_after(&page, "<a href=\"go", "href").replace("&amp;", "&");
    let r = send(addr, Method::GET, &format!("/{go_link}"), None).await;
    assert_eq!(r.status, StatusCode::FOUND, "{go_link}: {}", r.text());
    assert_eq!(r.location(), "https://example.com/");

    // What the hash and the allowlist keep out.
    let missing = send(
        addr,
        Method::POST,
        "/submit",
        Some("name=Bo&email=bo%40example.com"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    let wrong = send(addr, Method::GET, "/hello?hash=00", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let incomplete = send(
        addr,
        Method::POST,
        "/submit",
        Some(&format!("email=bo%40example.com&hash={submit_hash}")),
    )
    .await;
    assert_eq!(
        incomplete.status,
        StatusCode::BAD_REQUEST,
        "{}",
        incomplete.text()
    );
    // Another target is refused by the hash (it covers `to`) and, with its own hash, by the allowlist.
    let go_line = curls.iter().find(|l| l.contains("/go?")).unwrap();
    let go_path = parse_curl(go_line).1;
    let elsewhere = go_path.replace("example.com", "evil.example");
    let r = send(addr, Method::GET, &elsewhere, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    let evil_hash = run(
        cwd,
        &["hash", "demo", "go", "to=https://evil.example/welcome"],
    );
    assert!(evil_hash.status.success(), "{}", text(&evil_hash));
    let evil_hash = String::from_utf8_lossy(&evil_hash.stdout)
        .trim()
        .to_string();
    let r = send(
        addr,
        Method::GET,
        &format!("/go?to=https%3A%2F%2Fevil.example%2Fwelcome&hash={evil_hash}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("is not in whitelist"), "{}", r.text());

    // `endpoints hash` agrees with what init printed (the application pins its hash scheme).
    let h = run(cwd, &["hash", "demo", "submit"]);
    assert_eq!(String::from_utf8_lossy(&h.stdout).trim(), submit_hash);

    // The state file is the application's own, and `endpoints log` finds it without flags.
    assert!(cwd.join("endpoints-data/demo/endpoints.db").is_file());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let log = run(cwd, &["log", "--endpoint", "go"]);
        assert!(log.status.success(), "{}", text(&log));
        if text(&log).contains("is not in whitelist") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", text(&log));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(server);
}

#[test]
fn a_directory_that_is_not_empty_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("taken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = run(tmp.path(), &["init", "taken"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("'taken' is not empty: endpoints init writes a new application only into a new or empty directory"),
        "{}",
        text(&out)
    );
    // Nothing was written into it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );

    // A file is no directory.
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    let out = run(tmp.path(), &["init", "file"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("'file' is not a directory"),
        "{}",
        text(&out)
    );

    // An empty directory is fine.
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let out = run(tmp.path(), &["init", "empty"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(tmp.path().join("empty/endpoints.xml").is_file());
}
