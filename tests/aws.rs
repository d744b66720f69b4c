//! S3 and Secrets Manager against a local server that speaks both APIs: moto (PyPI, installed by
//! scripts/setup.sh), started by each test on an ephemeral port of 127.0.0.1. The objects and secrets are made with
//! boto3 (moto's own dependency), independently of the engine's client; the real binary serves
//! `tests/apps/aws` with `AWS_ENDPOINT_URL` pointing at moto and is talked to over HTTP.
//!
//! Without moto the tests fail when `CI=true` and are skipped with a message otherwise.
//!
//! This file is long because all its tests share the moto and server helpers at its top.

mod common;

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const BUCKET: &str = "endpoints-test";
const SECRET_VALUE: &str = "SM-7d3f9a1c5e2b84";

/// A Python with moto and boto3: `ENDPOINTS_MOTO_PYTHON`, the virtual environment scripts/setup.sh makes, or
/// `python3` on the PATH.
fn moto_python() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("ENDPOINTS_MOTO_PYTHON") {
        candidates.push(p);
    }
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(format!(
            "{home}/.local/share/endpoints/moto-venv/bin/python3"
        ));
    }
    candidates.push("python3".into());
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import moto.server, boto3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

struct Moto {
    child: std::process::Child,
    python: String,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto, or `None` (with a loud message) when it is not installed outside CI.
fn start_moto() -> Option<Moto> {
    let Some(python) = moto_python() else {
        let msg = "moto is not installed (scripts/setup.sh installs it into ~/.local/share/endpoints/moto-venv)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}; the AWS tests need it");
        }
        let _ = std::io::stderr()
            .write_all(format!("\n!!!!!!!!!! SKIPPED: {msg} !!!!!!!!!!\n\n").as_bytes());
        return None;
    };
    let port = common::smtp::free_port();
    let mut child = Command::new(&python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("moto exited: {status}");
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("moto does not listen on port {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Moto {
        child,
        python,
        endpoint: format!("http://127.0.0.1:{port}"),
    })
}

impl Moto {
    /// Runs Python with `s3` and `sm` (boto3 clients of moto) and `json` defined; its standard output.
    fn py(&self, code: &str) -> String {
        let prelude = format!(
            "import boto3, json, time\n\
             kw = dict(endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             s3 = boto3.client('s3', **kw)\nsm = boto3.client('secretsmanager', **kw)\n",
            self.endpoint
        );
        let out = Command::new(&self.python)
            .args(["-c", &format!("{prelude}{code}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn create_bucket(&self) {
        self.py(&format!("s3.create_bucket(Bucket='{BUCKET}')"));
    }

    fn env(&self, cmd: &mut Command) {
        aws_env(cmd, &self.endpoint);
    }
}

/// Points a command at `endpoint` with test credentials, and nothing else of the caller's AWS settings.
fn aws_env(cmd: &mut Command, endpoint: &str) {
    for v in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "ENDPOINTS_AWS_S3_ENDPOINT_OVERRIDE",
        "ENDPOINTS_AWS_SECRETS_MANAGER_ENDPOINT_OVERRIDE",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// The fixture `tests/apps/aws` copied, served by the binary (no hash check, debug logs captured).
struct Served {
    server: common::Spawned,
    data_dir: String,
    _dir: tempfile::TempDir,
}

fn serve(moto: &Moto) -> Served {
    serve_at(&moto.endpoint)
}

fn serve_at(endpoint: &str) -> Served {
    serve_with(endpoint, true)
}

/// The fixture served against `endpoint`; `no_hash_check`: requests are not asked for a hash.
fn serve_with(endpoint: &str, no_hash_check: bool) -> Served {
    let dir = common::fixture("aws");
    let data_dir = common::state_dir();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--name", "aws"])
        .args(no_hash_check.then_some("--no-hash-check"))
        .args(["--data-dir", &data_dir])
        .env("ENDPOINTS_LOG", "debug")
        .stdout(Stdio::piped());
    aws_env(&mut cmd, endpoint);
    let server =
        common::Spawned::start(cmd).unwrap_or_else(|seen| panic!("server did not start: {seen}"));
    Served {
        server,
        data_dir,
        _dir: dir,
    }
}

impl Served {
    async fn get(&self, path: &str) -> common::Resp {
        common::send_h1(self.server.addr, Method::GET, path, &[], Bytes::new()).await
    }

    /// Every log line so far. Lines that come within a few milliseconds of each other are written together a
    /// little later: wait for those first.
    fn log_lines(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(200));
        self.server.lines.try_iter().collect()
    }
}

fn check(dir: &Path, moto: Option<&Moto>) -> (bool, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("check").arg(dir);
    match moto {
        Some(m) => m.env(&mut cmd),
        None => {
            cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        }
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn bounded<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(120), f)
        .await
        .expect("the test finishes in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_by_folder_and_tags_newest_first() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        // S3 keeps whole seconds: three groups a second apart. Within a second, keys come in key order.
        moto.py(&format!(
            "b = '{BUCKET}'\n\
             put = lambda k, t: s3.put_object(Bucket=b, Key=k, Body=b'x', Tagging='kind=' + t)\n\
             put('Folder/ObjectE', 'right')\n\
             time.sleep(1.1)\n\
             put('Folder/ObjectC', 'wrong'); put('Folder/ObjectD', 'right')\n\
             time.sleep(1.1)\n\
             put('Wrong Folder/Foo', 'right'); put('Folder/ObjectB', 'right'); put('Folder/ObjectA', 'right')\n"
        ));
        let s = serve(&moto);
        let r = s.get("/keys").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.text().contains(
                "<aws-s3-keys><object key=\"ObjectA\"/><object key=\"ObjectB\"/><object key=\"ObjectD\"/></aws-s3-keys>"
            ),
            "{}",
            r.text()
        );
        // No folder: every key, full names, the limit applies.
        let r = s.get("/keys-all").await;
        assert!(
            r.text().contains(
                "<aws-s3-keys><object key=\"Folder/ObjectA\"/><object key=\"Folder/ObjectB\"/></aws-s3-keys>"
            ),
            "{}",
            r.text()
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_read_as_xml() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        moto.py(&format!(
            "s3.put_object(Bucket='{BUCKET}', Key='file.xml', Body='<?xml version=\"1.0\"?><foo a=\"1\"><bär>x</bär></foo>'.encode())\n\
             s3.put_object(Bucket='{BUCKET}', Key='note.txt', Body=b'just text')\n\
             s3.put_object(Bucket='{BUCKET}', Key='dir with space/ä+b (1)~*.xml', Body=b'<odd/>')\n"
        ));
        let s = serve(&moto);
        let r = s.get("/object").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.text()
                .contains("<aws-s3-object key=\"file.xml\"><foo a=\"1\"><bär>x</bär></foo></aws-s3-object>"),
            "{}",
            r.text()
        );
        // Keys are encoded as the signature wants them.
        let r = s.get("/odd-key").await;
        assert!(
            r.text()
                .contains("<aws-s3-object key=\"dir with space/ä+b (1)~*.xml\"><odd/></aws-s3-object>"),
            "{}",
            r.text()
        );
        let r = s.get("/not-xml").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        // A missing object is a 500 too, its cause in the log only.
        moto.py(&format!("s3.delete_object(Bucket='{BUCKET}', Key='file.xml')"));
        let r = s.get("/object").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        assert!(!r.text().contains("127.0.0.1"), "{}", r.text());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transformer_input_and_output_are_written_with_tags() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        let s = serve(&moto);
        let r = s.get("/dump?v=%C3%A4%26").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let id = r.header("x-request-id").unwrap().to_string();
        let listed = moto.py(&format!(
            "for o in s3.list_objects_v2(Bucket='{BUCKET}')['Contents']:\n\
             \x20   g = s3.get_object(Bucket='{BUCKET}', Key=o['Key'])\n\
             \x20   tags = sorted((t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='{BUCKET}', Key=o['Key'])['TagSet'])\n\
             \x20   print(json.dumps([o['Key'], g['ContentType'], tags, g['Body'].read().decode()]))\n"
        ));
        let objects: Vec<serde_json::Value> = listed
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objects.len(), 2, "{listed}");
        let input = serde_json::json!([
            format!("my-folder/{id}-dumped-transformer-input.xml"),
            "application/xml",
            [["environment", "live"], ["my-tag", "my-tag-value"]],
            "<transformation-input>\n  <data>\n    <v>ä&amp;</v>\n  </data>\n</transformation-input>\n"
        ]);
        let output = serde_json::json!([
            format!("out/{id}-dumped-transformer-output"),
            "application/json; charset=UTF-8",
            [["environment", "live"]],
            r.text()
        ]);
        assert!(objects.contains(&input), "{listed}");
        assert!(objects.contains(&output), "{listed}");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_fetched_on_use_and_never_logged_or_stored() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        moto.py(&format!(
            "sm.create_secret(Name='test/api-token', SecretString='{SECRET_VALUE}')"
        ));
        // The upstream of <xml-from-url> echoes the Authorization header it got.
        let upstream =
            common::upstream::serve(|parts: http::request::Parts, _body: Bytes| async move {
                let auth = parts
                    .headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                common::upstream::respond(200, "application/xml", format!("<auth>{auth}</auth>"))
            })
            .await;
        // `missing-secret` does not exist in Secrets Manager: the application loads all the same.
        let s = serve(&moto);
        let r = s.get("/secret").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let md5: String = {
            use md5::Digest as _;
            md5::Md5::digest(SECRET_VALUE.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert!(
            r.text().contains(&format!(
                "<token>{SECRET_VALUE}</token><hash id=\"token-md5\">{md5}</hash>"
            )),
            "{}",
            r.text()
        );
        let url = format!("http://{upstream}/");
        let r = s
            .get(&format!("/secret-url?upstream={}", urlencode(&url)))
            .await;
        assert!(
            r.text()
                .contains(&format!("<auth>Bearer {SECRET_VALUE}</auth>")),
            "{}",
            r.text()
        );
        // A request with the secret that fails: its cause is logged, the secret is not.
        let r = s
            .get(&format!(
                "/secret-url?upstream={}",
                urlencode("http://127.0.0.1:1/")
            ))
            .await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        // Fetched values are reused for a while: a rotated secret is not seen at once.
        moto.py("sm.put_secret_value(SecretId='test/api-token', SecretString='rotated')");
        let r = s.get("/secret").await;
        assert!(r.text().contains(SECRET_VALUE), "{}", r.text());

        // A secret that cannot be fetched: 500 naming the parameter.
        let r = s.get("/missing").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            r.text()
                .contains("Cannot compute parameter 'missing-secret'"),
            "{}",
            r.text()
        );

        // The parameter transformation's input held the secret; what the request log keeps does not.
        let r = s.get("/refused?verbose=true").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        let id = r.header("x-request-id").unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        let shown = loop {
            let out = Command::new(BIN)
                .args(["log", "--data-dir", &s.data_dir, "--show", &id])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if text.contains("parameter-transformation-input") || Instant::now() > deadline {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(shown.contains("<token>[redacted]</token>"), "{shown}");
        assert!(!shown.contains(SECRET_VALUE), "{shown}");

        let lines = s.log_lines();
        assert!(
            lines.iter().any(|l| l.contains("does-not-exist")),
            "{lines:?}"
        );
        for l in &lines {
            assert!(
                !l.contains(SECRET_VALUE),
                "a log line holds the secret: {l}"
            );
        }
    })
    .await
}

/// The request-log entry of request `id` as `endpoints log --show` prints it, once it is written.
async fn shown_entry(s: &Served, id: &str, wait_for: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new(BIN)
            .args(["log", "--data-dir", &s.data_dir, "--show", id])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains(wait_for) || Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_shadow_parameters_in_the_endpoints_own_templates() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        moto.py(&format!(
            "sm.create_secret(Name='test/api-token', SecretString='{SECRET_VALUE}')"
        ));
        // The upstream of the HTTP task answers with the query it got; the test reads it from the channel.
        let (seen_tx, seen_rx) = std::sync::mpsc::channel::<String>();
        let seen_tx = std::sync::Mutex::new(seen_tx);
        let seen_tx = std::sync::Arc::new(seen_tx);
        let upstream = common::upstream::serve(move |parts: http::request::Parts, _body: Bytes| {
            let tx = seen_tx.clone();
            async move {
                let query = parts.uri.query().unwrap_or("").to_string();
                let _ = tx.lock().unwrap().send(query);
                common::upstream::respond(200, "application/xml", "<ok/>".to_string())
            }
        })
        .await;
        let s = serve(&moto);
        let url = format!("http://{upstream}/");

        // Conditions, the task's condition and URL, the capture and the redirect all see the secret, which shadows
        // the declared `api-token` (even when the client sends one).
        let r = s
            .get(&format!(
                "/secret-flow?upstream={}&api-token=from-client",
                urlencode(&url)
            ))
            .await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        assert_eq!(
            r.location(),
            format!("https://example.com/next?t={SECRET_VALUE}")
        );
        assert_eq!(
            seen_rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            format!("t={SECRET_VALUE}")
        );
        // The request log keeps the capture without the secret.
        let id = r.header("x-request-id").unwrap().to_string();
        let shown = shown_entry(&s, &id, "token").await;
        assert!(shown.contains("token [redacted]"), "{shown}");
        assert!(!shown.contains(SECRET_VALUE), "{shown}");

        // <parameters/> shows the declared value, not the secret.
        let r = s.get("/secret-parameters?api-token=from-client").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.text()
                .contains("<parameter name=\"api-token\" value=\"from-client\"/>"),
            "{}",
            r.text()
        );
        assert!(!r.text().contains(SECRET_VALUE), "{}", r.text());

        // Forwards: an <input-parameter> expands with the secret; without them, the declared value is passed on.
        let r = s.get("/forward-secret?how=input").await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        assert_eq!(
            r.location(),
            format!("https://example.com/forwarded?got={SECRET_VALUE}")
        );
        let r = s
            .get("/forward-secret?how=default&api-token=from-client")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.text()
                .contains("<parameter name=\"api-token\" value=\"from-client\"/>"),
            "{}",
            r.text()
        );

        // A refused redirect: the client, the access log and the request log see the URL without the secret.
        let r = s
            .get(&format!("/refused-redirect?to={}", urlencode("https://evil.example/")))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(
            r.text().trim_end(),
            "Redirect URL 'https://evil.example/?t=[redacted]' is not in whitelist"
        );
        let id = r.header("x-request-id").unwrap().to_string();
        let shown = shown_entry(&s, &id, "whitelist").await;
        assert!(shown.contains("t=[redacted]"), "{shown}");
        assert!(!shown.contains(SECRET_VALUE), "{shown}");

        // The <error> sees it as well.
        let r = s.get("/error-secret").await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        assert_eq!(
            r.location(),
            format!("https://example.com/failed?t={SECRET_VALUE}")
        );

        // An endpoint that does not use the missing secret works; one that does fails, naming the parameter only.
        let r = s.get("/no-secret").await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        assert_eq!(r.location(), "https://example.com/ok");
        let r = s.get("/missing-redirect").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        assert!(
            r.text()
                .contains("Cannot compute parameter 'missing-secret': Cannot fetch AWS secret 'does-not-exist'"),
            "{}",
            r.text()
        );

        // No log line (the access log included) holds the secret.
        let lines = s.log_lines();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("path=/secret-flow") && l.contains("status=302")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("path=/refused-redirect") && l.contains("t=[redacted]")),
            "{lines:?}"
        );
        for l in &lines {
            assert!(
                !l.contains(SECRET_VALUE),
                "a log line holds the secret: {l}"
            );
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hash_covers_the_declared_value_not_the_secret() {
    let Some(moto) = start_moto() else { return };
    bounded(async {
        moto.create_bucket();
        moto.py(&format!(
            "sm.create_secret(Name='test/api-token', SecretString='{SECRET_VALUE}')"
        ));
        let s = serve_with(&moto.endpoint, false);
        let hash = |value: &str| {
            endpoints::engine::hash::compute_with(
                endpoints::engine::hash::Scheme::OpenEndpoints,
                "hashed-secret",
                &[value],
                endpoints::engine::Environment::Live,
                "aws-fixture-key",
            )
        };
        // The client hashes the value it sends; the secret that shadows it in the templates is not hashed.
        let r = s
            .get(&format!(
                "/hashed-secret?api-token=sent&hash={}",
                hash("sent")
            ))
            .await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        assert_eq!(
            r.location(),
            format!("https://example.com/hashed?t={SECRET_VALUE}")
        );
        let r = s
            .get(&format!(
                "/hashed-secret?api-token=sent&hash={}",
                hash(SECRET_VALUE)
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    })
    .await
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_fails_when_the_bucket_or_its_configuration_is_missing() {
    let dir = common::fixture("aws");
    // No aws-s3-configuration.xml: every S3 user is named.
    let without: PathBuf = dir.path().to_path_buf();
    std::fs::remove_file(without.join("aws-s3-configuration.xml")).unwrap();
    let (ok, text) = check(&without, None);
    assert!(!ok, "{text}");
    assert!(
        text.contains("Data source 'keys' requires 'aws-s3-configuration.xml' but no such configuration was found"),
        "{text}"
    );
    assert!(
        text.contains("Transformer 'dump' needs AWS S3 configuration, yet none was supplied"),
        "{text}"
    );
    let Some(moto) = start_moto() else { return };
    bounded(async {
        // The bucket does not exist.
        let dir = common::fixture("aws");
        let (ok, text) = check(dir.path(), Some(&moto));
        assert!(!ok, "{text}");
        assert!(
            text.contains("aws-s3-configuration.xml:2:5: Bucket 'endpoints-test': S3 answered 404 NoSuchBucket"),
            "{text}"
        );
        moto.create_bucket();
        let (ok, text) = check(dir.path(), Some(&moto));
        assert!(ok, "{text}");
        // A secrets.xml entry without its AWS name.
        std::fs::write(
            dir.path().join("secrets.xml"),
            "<aws-secrets region=\"us-east-1\"><secret parameter-name=\"p\"/>\n\
             <secret parameter-name=\"api-token\" aws-secret=\"a\"/><secret parameter-name=\"missing-secret\" aws-secret=\"b\"/></aws-secrets>",
        )
        .unwrap();
        let (ok, text) = check(dir.path(), Some(&moto));
        assert!(!ok, "{text}");
        assert!(
            text.contains("secrets.xml:1:33: <secret> is missing the attribute 'aws-secret'"),
            "{text}"
        );
        assert!(text.contains("1 error(s)"), "{text}");
    })
    .await
}

/// A stand-in S3 on 127.0.0.1 that answers the bucket check, fails the first listing with 503 SlowDown, and never
/// answers for `slow.xml`: the retries and timeouts of HTTP requests apply to S3 calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_calls_are_retried_and_time_out() {
    bounded(async {
        let listings = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = listings.clone();
        let fake = common::upstream::serve(move |parts: http::request::Parts, _body: Bytes| {
            let listings = seen.clone();
            async move {
                let auth = parts
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !auth.starts_with("AWS4-HMAC-SHA256 Credential=testing/") {
                    return common::upstream::respond(403, "application/xml", "<Error><Code>AccessDenied</Code></Error>");
                }
                let q = parts.uri.query().unwrap_or("");
                match parts.uri.path() {
                    "/endpoints-test" if q == "location=" => {
                        common::upstream::respond(200, "application/xml", "<LocationConstraint/>")
                    }
                    "/endpoints-test" if q.contains("list-type=2") => {
                        if listings.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                            return common::upstream::respond(503, "application/xml", "<Error><Code>SlowDown</Code></Error>");
                        }
                        common::upstream::respond(
                            200,
                            "application/xml",
                            "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>Folder/X</Key>\
                             <LastModified>2026-01-02T03:04:05.000Z</LastModified></Contents></ListBucketResult>",
                        )
                    }
                    "/endpoints-test/Folder/X" if q == "tagging=" => common::upstream::respond(
                        200,
                        "application/xml",
                        "<Tagging><TagSet><Tag><Key>kind</Key><Value>right</Value></Tag></TagSet></Tagging>",
                    ),
                    "/endpoints-test/slow.xml" => {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        common::upstream::respond(200, "application/xml", "<late/>")
                    }
                    _ => common::upstream::respond(404, "application/xml", "<Error><Code>NoSuchKey</Code></Error>"),
                }
            }
        })
        .await;
        let s = serve_at(&format!("http://{fake}"));
        // <aws-s3-keys retries="1">: the 503 is tried again.
        let r = s.get("/keys").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.text().contains("<aws-s3-keys><object key=\"X\"/></aws-s3-keys>"),
            "{}",
            r.text()
        );
        assert_eq!(listings.load(std::sync::atomic::Ordering::SeqCst), 2);
        // <aws-s3-keys> without retries: one 503 fails the request.
        listings.store(0, std::sync::atomic::Ordering::SeqCst);
        let r = s.get("/keys-all").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        // timeout-ms="300".
        let started = Instant::now();
        let r = s.get("/slow").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let lines = s.log_lines();
        assert!(
            lines.iter().any(|l| l.contains("S3 could not be reached: no answer within 300 ms")),
            "{lines:?}"
        );
    })
    .await
}
