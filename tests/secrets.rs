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

// ---------------------------------------------------------------------------------------------------------------
// Secrets at rest: what the request log stores (with its debug documents) never holds a configured secret or a
// credential the request carried, and nothing is stored for a request that failed authentication.

const HTTP_PASSWORD: &str = "HTTPPW-4e6a8c0b2d";
const OUT_WEBHOOK_RAW: &str = "OUTSW-7c5a3e1f9b";
const DB_PASSWORD: &str = "DBPW-9a7c5e3b1d";
const SMTP_PASSWORD: &str = "SMTPPW-3c1e5a7d9f";
const CLIENT_TOKEN: &str = "CLIENTTK-0f2e4d6c8b";
const COOKIE_VALUE: &str = "COOKIEV-8d6b4f2a0c";

/// Every configured secret, and the credentials the client sends, in every form they could be stored in.
fn stored_secrets() -> Vec<String> {
    let mut v = secrets();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for s in [
        HTTP_PASSWORD,
        OUT_WEBHOOK_RAW,
        DB_PASSWORD,
        SMTP_PASSWORD,
        CLIENT_TOKEN,
        COOKIE_VALUE,
    ] {
        v.push(s.to_string());
        v.push(s[s.len() - 10..].to_string());
    }
    v.push(b64(OUT_WEBHOOK_RAW));
    v.push(b64(&format!("svc:{HTTP_PASSWORD}")));
    v
}

/// [`write_app`] plus: a parameter transformation that fails (quoting the secret key and the request's
/// credentials in its `<error>`), one whose hash covers its output, a data source calling out with a password and a
/// signature, a database with a password, and SMTP credentials.
fn write_at_rest_app(dir: &Path) {
    write_app(dir);
    let endpoints = std::fs::read_to_string(dir.join("endpoints.xml")).unwrap();
    let extra = r#"
    <endpoint name="pt">
        <parameter-transformation xslt="fail.xsl"/>
        <success status="201"/>
    </endpoint>
    <endpoint name="pt-hashed">
        <include-in-hash><parameter name="p"/></include-in-hash>
        <parameter-transformation xslt="ok.xsl"/>
        <success status="201"/>
    </endpoint>
    <endpoint name="bearer-pt">
        <authentication><bearer token="TK-5a7e3c1b9d20"/></authentication>
        <parameter-transformation xslt="ok.xsl"/>
        <success status="201"/>
    </endpoint>
</endpoint-folder>"#;
    std::fs::write(
        dir.join("endpoints.xml"),
        endpoints.replace("</endpoint-folder>", extra),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("parameter-xslt")).unwrap();
    std::fs::write(
        dir.join("parameter-xslt/fail.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <parameter-transformation-output>
            <error>refused <xsl:value-of select="//secret-key"/> <xsl:value-of select="//http-header[@name-lowercase='authorization']"/> <xsl:value-of select="//cookie"/> <xsl:value-of select="//parameter[@name='all']/@value"/></error>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("parameter-xslt/ok.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <parameter-transformation-output><parameter name="p" value="{//secret-key}"/></parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("data-sources")).unwrap();
    let out_secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(OUT_WEBHOOK_RAW)
    );
    std::fs::write(
        dir.join("data-sources/outgoing.xml"),
        format!(
            r#"<data-source>
    <xml-from-url>
        <url>http://127.0.0.1:9/never</url>
        <basic-access-authentication username="svc" password="{HTTP_PASSWORD}"/>
        <standard-webhooks-signature secret="{out_secret}"/>
    </xml-from-url>
    <xml-from-database>
        <jdbc-connection-string>jdbc:postgresql://127.0.0.1:9/db?user=u&amp;password={DB_PASSWORD}</jdbc-connection-string>
        <sql>SELECT 1</sql>
    </xml-from-database>
</data-source>"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("email-sending-configuration.xml"),
        format!(
            "<email-sending-configuration><server>127.0.0.1</server><port>9</port><username>mailer</username><password>{SMTP_PASSWORD}</password></email-sending-configuration>"
        ),
    )
    .unwrap();
}

fn pg_url() -> String {
    std::env::var("ENDPOINTS_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Whether PostgreSQL answers; a loud SKIP otherwise (a failure under `CI=true`).
async fn postgres_reachable() -> bool {
    let url = pg_url();
    let open = endpoints::store::open(Some(&url), Path::new(""));
    match tokio::time::timeout(Duration::from_secs(10), open).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => skip_postgres(&e),
        Err(_) => skip_postgres(&"connecting timed out"),
    }
}

fn skip_postgres(err: &dyn std::fmt::Display) -> bool {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("PostgreSQL is not reachable and CI=true: {err}");
    }
    eprintln!(
        "\n################################################################\n\
         ## SKIP: PostgreSQL is not reachable: {err}\n\
         ## The PostgreSQL half of this test checked NOTHING.\n\
         ################################################################\n"
    );
    false
}

/// `endpoints log ARGS…` (standard output and error).
fn log_command(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("log")
        .args(args)
        .env_remove("ENDPOINTS_DATABASE_URL")
        .env_remove("ENDPOINTS_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_stored_holds_a_secret_or_a_credential() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("app");
        write_at_rest_app(&dir);
        let data_dir = tmp.path().join("data").to_str().unwrap().to_string();
        let mut backends = vec![("sqlite", vec!["--data-dir".to_string(), data_dir.clone()])];
        if postgres_reachable().await {
            backends.push(("postgresql", vec!["--database".to_string(), pg_url()]));
        }
        for (backend, store_args) in backends {
            let name = format!("atrest{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
            let mut cmd = Command::new(BIN);
            cmd.arg("serve")
                .arg(&dir)
                .args(["--listen", "127.0.0.1:0", "--no-watch", "--name", &name])
                .args(&store_args)
                .env(ENV_VAR, BASIC_ENV_PASSWORD)
                .env_remove("ENDPOINTS_CHECK_HASH")
                .env_remove("ENDPOINTS_DEBUG_ALLOWED")
                .env_remove("ENDPOINTS_DATABASE_URL")
                .env_remove("ENDPOINTS_DATA_DIR");
            let s = common::Spawned::start(cmd)
                .unwrap_or_else(|seen| panic!("{backend}: server did not start: {seen}"));
            let hash = |endpoint: &str, values: &[&str]| {
                endpoints::engine::hash::compute(
                    endpoint,
                    values,
                    endpoints::engine::Environment::Live,
                    KEY_1,
                )
            };
            // The body carries every configured secret, as a client that knows them might send them.
            let all: Vec<String> = stored_secrets()
                .into_iter()
                .filter(|s| s.len() > 10)
                .collect();
            let body: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("all", &all.join(" "))
                .append_pair("hash", &hash("pt", &[]))
                .finish();
            let bearer = format!("Bearer {CLIENT_TOKEN}");
            let cookie = format!("session={COOKIE_VALUE}; lang=de");
            let form = ("content-type", "application/x-www-form-urlencoded");
            let headers = [
                form,
                ("authorization", bearer.as_str()),
                ("cookie", cookie.as_str()),
                ("user-agent", KEY_2),
            ];
            let r = common::send_h1(
                s.addr,
                Method::POST,
                "/pt?verbose=true",
                &headers,
                Bytes::from(body.clone()),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.text());
            let stored_id = r.header("x-request-id").unwrap().to_string();
            // Failed authentication, with verbose=true: the hash covering the transformation's output is wrong,
            // the bearer token is wrong.
            let r = common::send_h1(
                s.addr,
                Method::POST,
                "/pt-hashed?verbose=true",
                &headers,
                Bytes::from(format!("p=1&hash={}", "0".repeat(64))),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{backend}: {}",
                r.text()
            );
            let hashed_id = r.header("x-request-id").unwrap().to_string();
            let r = common::send_h1(
                s.addr,
                Method::POST,
                "/bearer-pt?verbose=true",
                &headers,
                Bytes::from(body.clone()),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{backend}: {}",
                r.text()
            );
            let bearer_id = r.header("x-request-id").unwrap().to_string();

            let mut log_args: Vec<&str> = store_args.iter().map(String::as_str).collect();
            log_args.extend(["--application", name.as_str()]);
            // The entries are written just behind the responses.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut listed = log_command(&log_args);
            while listed.lines().count() < 3 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
                listed = log_command(&log_args);
            }
            assert_eq!(listed.lines().count(), 3, "{backend}: {listed}");
            let show = |id: &str| {
                let mut a: Vec<&str> = store_args.iter().map(String::as_str).collect();
                a.extend(["--show", id]);
                log_command(&a)
            };
            let shown = show(&stored_id);
            // The debug documents are there, without the secrets.
            assert!(
                shown.contains("--- parameter-transformation-input ---"),
                "{backend}: {shown}"
            );
            assert!(
                shown.contains("<secret-key>[redacted]</secret-key>"),
                "{backend}: {shown}"
            );
            assert!(
                shown.contains("name-lowercase=\"authorization\">[redacted]<"),
                "{backend}: {shown}"
            );
            assert!(
                shown.contains("<cookie name=\"lang\">[redacted]</cookie>"),
                "{backend}: {shown}"
            );
            assert!(shown.contains("--- request-body"), "{backend}: {shown}");
            for secret in stored_secrets() {
                assert!(
                    !shown.contains(&secret),
                    "{backend}: `endpoints log --show` prints {secret}:\n{shown}"
                );
            }
            // Nothing at all is stored for the requests that failed authentication but their status.
            for id in [&hashed_id, &bearer_id] {
                let shown = show(id);
                assert!(
                    shown.contains("status-code                       401"),
                    "{backend}: {shown}"
                );
                for part in [
                    "parameter-transformation",
                    "request-body",
                    "request-content-type",
                ] {
                    assert!(
                        !shown.contains(part),
                        "{backend}: {part} stored for {id}:\n{shown}"
                    );
                }
            }
            drop(s);
            // The rows themselves (every column), through the store.
            let store = endpoints::store::open(
                (backend == "postgresql").then(pg_url).as_deref(),
                &Path::new(&data_dir).join("endpoints.db"),
            )
            .await
            .unwrap();
            let entries = store
                .entries(endpoints::store::LogQuery {
                    application: Some(name.clone()),
                    limit: 10,
                    details: true,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(entries.len(), 3, "{backend}");
            for e in &entries {
                let row = format!(
                    "{e:?}\n{}",
                    String::from_utf8_lossy(e.request_body.as_deref().unwrap_or_default())
                );
                for secret in stored_secrets() {
                    assert!(
                        !row.contains(&secret),
                        "{backend}: a stored row holds {secret}:\n{row}"
                    );
                }
            }
            store.close().await.unwrap();
        }
        // At rest in the SQLite files, byte for byte.
        for f in std::fs::read_dir(&data_dir).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            for secret in stored_secrets() {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "the SQLite state holds {secret}"
                );
            }
        }
    })
    .await
    .expect("test took too long");
}
