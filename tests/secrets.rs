//! No configured secret ever leaves the server (issue 10): the secret keys of `security.xml`, Basic and bearer
//! credentials and HMAC secrets are given distinctive values; wrong, missing and malformed credentials and bodies
//! are sent to the real binary (JSON logs at debug level, captured from a pipe); neither a log line nor a response
//! (status line, headers, body) nor the output of `check` and `routes` may contain any of them.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

const KEY_1: &str = "SK1-3b9f0e2c7d4a41e8";
const KEY_2: &str = "SK2-a06c51d8e2f7b394";
const BASIC_PASSWORD: &str = "PW-8c1d5e9a2f7b";
const BASIC_ENV_PASSWORD: &str = "PWENV-6e2b7f4c0a91";
const BEARER: &str = "TK-5a7e3c1b9d20";
const GITHUB: &str = "GH-2d8f6a4c0e13";
/// The raw Standard Webhooks key; the configuration holds `whsec_` + its base64.
const WEBHOOK_RAW: &str = "SW-1f3e5d7c9b2a4680";
const ENV_VAR: &str = "ENDPOINTS_SECRETS_TEST_PASSWORD";

fn webhook_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(WEBHOOK_RAW)
    )
}

/// Every form in which a configured secret could leak.
fn secrets() -> Vec<String> {
    let webhook = webhook_secret();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        KEY_1.into(),
        KEY_2.into(),
        BASIC_PASSWORD.into(),
        BASIC_ENV_PASSWORD.into(),
        BEARER.into(),
        GITHUB.into(),
        WEBHOOK_RAW.into(),
        webhook.clone(),
        webhook["whsec_".len()..].to_string(),
        b64(&format!("login:{BASIC_PASSWORD}")),
        b64(&format!("login:{BASIC_ENV_PASSWORD}")),
        // A distinctive part of each, in case a value is cut or escaped.
        "3b9f0e2c7d".into(),
        "a06c51d8e2".into(),
        "8c1d5e9a2f".into(),
        "6e2b7f4c0a".into(),
        "5a7e3c1b9d".into(),
        "2d8f6a4c0e".into(),
        "1f3e5d7c9b".into(),
    ]
}

fn write_app(dir: &Path) {
    std::fs::create_dir_all(dir.join("static")).unwrap();
    std::fs::write(dir.join("static/ok.html"), "<p>ok</p>").unwrap();
    std::fs::write(
        dir.join("security.xml"),
        format!(
            "<security><secret-key>{KEY_1}</secret-key><secret-key>{KEY_2}</secret-key></security>"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        format!(
            r#"<endpoint-folder>
    <parameter name="p" default-value=""/>
    <endpoint name="hashed">
        <include-in-hash><parameter name="p"/></include-in-hash>
        <success><response-from-static filename="ok.html"/></success>
        <error><response-from-static filename="ok.html"/></error>
    </endpoint>
    <endpoint name="hashed-plain">
        <success><redirect-to>https://v.example/${{p}}</redirect-to></success>
    </endpoint>
    <endpoint name="basic">
        <authentication><basic username="login" password="{BASIC_PASSWORD}"/></authentication>
        <success status="201"/>
    </endpoint>
    <endpoint name="basic-env">
        <authentication><basic username="login" password-from-environment-variable="{ENV_VAR}"/><hash/></authentication>
        <success status="201"/>
    </endpoint>
    <endpoint name="bearer">
        <authentication><bearer token="{BEARER}"/></authentication>
        <success status="202"/>
    </endpoint>
    <endpoint name="github">
        <authentication><hmac scheme="github" secret="{GITHUB}"/></authentication>
        <success status="201"/>
    </endpoint>
    <endpoint name="standard">
        <authentication><hmac scheme="standard-webhooks" secret="{webhook}" tolerance-seconds="300"/></authentication>
        <success status="204"/>
    </endpoint>
</endpoint-folder>"#,
            webhook = webhook_secret()
        ),
    )
    .unwrap();
}

/// The real binary with JSON logs at trace level; `lines` holds its standard output and error.
struct Server(common::Spawned);

impl std::ops::Deref for Server {
    type Target = common::Spawned;
    fn deref(&self) -> &common::Spawned {
        &self.0
    }
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .env("ENDPOINTS_DATA_DIR", common::state_dir())
            .args(["--max-body-bytes", "100000"])
            .env("ENDPOINTS_LOG", "debug,endpoints=trace")
            .env(ENV_VAR, BASIC_ENV_PASSWORD)
            .env_remove("ENDPOINTS_CHECK_HASH")
            .env_remove("ENDPOINTS_DISPLAY_EXPECTED_HASH")
            .stdout(Stdio::piped());
        Server(
            common::Spawned::start(cmd)
                .unwrap_or_else(|seen| panic!("server did not start: {seen}")),
        )
    }
}

/// Everything a client sees of a response: status, headers and body.
fn transcript(r: &common::Resp) -> String {
    let mut s = format!("{} {:?}\n", r.status, r.version);
    for (k, v) in &r.headers {
        s.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
    }
    s.push('\n');
    s.push_str(&r.text());
    s
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "{what} contains the secret {secret}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_or_responses() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("app");
        write_app(&dir);
        let s = Server::start(&dir);
        let addr = s.addr;
        let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let basic_wrong = format!("Basic {}", b64("login:PW-8c1d5e9a2f7c"));
        let basic_prefix = format!("Basic {}", b64("login:PW-8c1d"));
        let basic_user = format!("Basic {}", b64("root:x"));
        let basic_no_colon = format!("Basic {}", b64("login"));
        let basic_right = format!("Basic {}", b64(&format!("login:{BASIC_PASSWORD}")));
        let basic_env_right = format!("Basic {}", b64(&format!("login:{BASIC_ENV_PASSWORD}")));
        let bearer_right = format!("Bearer {BEARER}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let json = ("content-type", "application/json");
        let form = ("content-type", "application/x-www-form-urlencoded");
        let xml = ("content-type", "application/xml");
        type Case<'a> = (Method, String, Vec<(&'a str, &'a str)>, Bytes, Option<StatusCode>);
        let mut cases: Vec<Case> = vec![
            // The hash: missing, wrong, of the wrong length, of another environment, other case
            (Method::GET, "/hashed".into(), vec![], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/hashed?hash=00".into(), vec![], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, format!("/hashed?hash={}", "ab".repeat(32)), vec![], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, format!("/hashed?p=x&hash={}&environment=preview&debug=true&verbose=true", "f".repeat(64)), vec![], Bytes::new(), None),
            (Method::GET, "/hashed?environment=nope".into(), vec![], Bytes::new(), None),
            (Method::GET, "/hashed-plain?p=%00%ff&hash=%c0%ae".into(), vec![], Bytes::new(), None),
            (Method::POST, "/hashed-plain".into(), vec![form], Bytes::from_static(b"hash=x&p=%zz&&=="), None),
            (Method::POST, "/hashed-plain".into(), vec![("content-type", "multipart/form-data; boundary=zz")], Bytes::from_static(b"--zz\r\nbroken"), None),
            (Method::POST, "/hashed-plain".into(), vec![("content-type", "multipart/form-data")], Bytes::from_static(b"x"), None),
            (Method::POST, "/hashed-plain".into(), vec![json], Bytes::from_static(b"{\"hash\": "), None),
            (Method::POST, "/hashed-plain".into(), vec![xml], Bytes::from_static(b"<a><b></a>"), None),
            (Method::POST, "/hashed-plain".into(), vec![form], Bytes::from(vec![b'a'; 200_000]), Some(StatusCode::PAYLOAD_TOO_LARGE)),
            // Basic
            (Method::GET, "/basic".into(), vec![], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", basic_wrong.as_str())], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", basic_prefix.as_str())], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", basic_user.as_str())], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", basic_no_colon.as_str())], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", "Basic !!!not base64")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", "Basic")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", "Digest username=\"login\"")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic".into(), vec![("authorization", basic_right.as_str())], Bytes::new(), Some(StatusCode::CREATED)),
            (Method::GET, "/basic-env?hash=1".into(), vec![("authorization", basic_wrong.as_str())], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/basic-env".into(), vec![("authorization", basic_env_right.as_str())], Bytes::new(), Some(StatusCode::CREATED)),
            // Bearer
            (Method::GET, "/bearer".into(), vec![], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/bearer".into(), vec![("authorization", "Bearer TK-5a7e3c1b9d21")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/bearer".into(), vec![("authorization", "Bearer TK-5a7e")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/bearer".into(), vec![("authorization", "Bearer ")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/bearer".into(), vec![("authorization", "bearer x y z")], Bytes::new(), Some(StatusCode::UNAUTHORIZED)),
            (Method::GET, "/bearer".into(), vec![("authorization", bearer_right.as_str())], Bytes::new(), Some(StatusCode::ACCEPTED)),
            // GitHub
            (Method::POST, "/github".into(), vec![json], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/github".into(), vec![json, ("x-hub-signature-256", "sha256=00")], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/github".into(), vec![json, ("x-hub-signature-256", "sha1=zz")], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/github".into(), vec![json, ("x-hub-signature-256", "sha256=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")], Bytes::from_static(b"{\"broken"), Some(StatusCode::UNAUTHORIZED)),
            // Standard Webhooks
            (Method::POST, "/standard".into(), vec![json], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/standard".into(), vec![json, ("webhook-id", "msg_1"), ("webhook-timestamp", "nope"), ("webhook-signature", "v1,AAAA")], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/standard".into(), vec![json, ("webhook-id", "msg_2"), ("webhook-timestamp", now.as_str()), ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            (Method::POST, "/standard".into(), vec![json, ("webhook-id", "msg_3"), ("webhook-timestamp", "1"), ("webhook-signature", "garbage v2,x")], Bytes::from_static(b"{}"), Some(StatusCode::UNAUTHORIZED)),
            // Elsewhere
            (Method::GET, "/nope".into(), vec![], Bytes::new(), Some(StatusCode::NOT_FOUND)),
            (Method::GET, "/health-check".into(), vec![], Bytes::new(), Some(StatusCode::OK)),
            (Method::GET, "/metrics".into(), vec![], Bytes::new(), Some(StatusCode::OK)),
            (Method::DELETE, "/hashed".into(), vec![], Bytes::new(), Some(StatusCode::METHOD_NOT_ALLOWED)),
            (Method::OPTIONS, "/bearer".into(), vec![("origin", "https://x.example")], Bytes::new(), None),
        ];
        // The signed endpoints with a body that cannot be parsed, and with a correct signature
        let gh_sig = {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(GITHUB.as_bytes()).unwrap();
            mac.update(b"{\"action\":");
            let d = mac.finalize().into_bytes();
            format!("sha256={}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
        };
        cases.push((
            Method::POST,
            "/github".into(),
            vec![json, ("x-hub-signature-256", gh_sig.as_str())],
            Bytes::from_static(b"{\"action\":"),
            None,
        ));
        let mut transcripts = Vec::new();
        for (method, path, headers, body, expect) in &cases {
            let r = common::send_h1(addr, method.clone(), path, headers, body.clone()).await;
            if let Some(expect) = expect {
                assert_eq!(r.status, *expect, "{method} {path} {headers:?}: {}", r.text());
            }
            let t = transcript(&r);
            assert_clean(&format!("the answer to {method} {path} {headers:?}"), &t);
            transcripts.push(t);
        }
        // Over HTTP/2 as well.
        for path in ["/hashed?hash=00", "/bearer", "/nope"] {
            let r = common::send_h2(addr, path).await;
            assert_clean(&format!("the HTTP/2 answer to {path}"), &transcript(&r));
        }
        // The logs: every line (JSON), after the last request has been logged.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let lines: Vec<String> = s.lines.try_iter().collect();
        assert!(
            lines.iter().filter(|l| l.contains("endpoints::access")).count() >= cases.len(),
            "access log lines missing: {lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("\"status\":401")),
            "{lines:#?}"
        );
        for l in &lines {
            assert_clean("a log line", l);
        }
        drop(s);

        // `check` and `routes` print the configuration's problems and endpoints, never its secrets.
        for args in [vec!["check"], vec!["routes"]] {
            let out = Command::new(BIN)
                .args(&args)
                .arg(&dir)
                .env(ENV_VAR, BASIC_ENV_PASSWORD)
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_clean(&format!("endpoints {args:?}"), &text);
        }
        // A broken configuration: its errors do not quote the secret either.
        let broken = tmp.path().join("broken");
        write_app(&broken);
        let xml = std::fs::read_to_string(broken.join("endpoints.xml"))
            .unwrap()
            .replace(&webhook_secret(), &format!("whsec_{WEBHOOK_RAW}!"))
            .replace("<basic username=\"login\" password=", "<basic username=\"login\" token=\"x\" password=")
            .replace(&format!("password=\"{BASIC_PASSWORD}\""), &format!("password=\"{BASIC_PASSWORD}\" password-from-environment-variable=\"{ENV_VAR}\""));
        std::fs::write(broken.join("endpoints.xml"), xml).unwrap();
        let out = Command::new(BIN)
            .args(["check"])
            .arg(&broken)
            .env(ENV_VAR, BASIC_ENV_PASSWORD)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("base64"), "{text}");
        assert_clean("endpoints check (broken)", &text);
    })
    .await
    .expect("test took too long");
}
