//! Shared harness of the integration tests: copies a fixture application into a temporary directory, starts the
//! real server on an ephemeral port of 127.0.0.1 and talks HTTP/1.1 or HTTP/2 to it over real sockets.
#![allow(dead_code)]

pub mod console;
pub mod smtp;
pub mod upstream;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use endpoints::config::{self, LoadOptions};
use endpoints::engine::{hash, Environment, Settings};
use endpoints::request::Limits;
use endpoints::server::{Running, State};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps");

/// Every test is bounded in time.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Copies a fixture; a file `NAME.generate` holding a byte count becomes `NAME` with that many deterministic bytes
/// (so that large files need not live in the repository).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if let Some(real) = name.strip_suffix(".generate") {
            let n: usize = std::fs::read_to_string(entry.path())
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            std::fs::write(to.join(real), generated(n)).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `n` bytes: the byte at offset i is `i * 7 % 251`, so any range can be checked.
pub fn generated(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// Any application directory copied into a temporary directory (to change it without touching the repository).
pub fn fixture_dir_from(dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(dir, tmp.path());
    tmp
}

/// A fixture application copied into its own temporary directory.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(FIXTURES).join(name), dir.path());
    dir
}

pub struct TestServer {
    pub running: Running,
    pub app_dir: PathBuf,
    pub upload_dir: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
}

pub struct Options {
    pub limits: Limits,
    pub settings: Settings,
    pub name: Option<String>,
    /// Where the server keeps its state (default: a new temporary SQLite file).
    pub store: Option<Arc<dyn endpoints::store::Store>>,
    /// Which engine runs the stylesheets (as `--xslt-engine`).
    pub xslt_engine: endpoints::stylesheet::XsltEngine,
    /// The server's `--accept-missing-hash`.
    pub accept_missing_hash: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            settings: Settings::default(),
            name: Some("app".to_string()),
            store: None,
            xslt_engine: Default::default(),
            accept_missing_hash: false,
        }
    }
}

impl TestServer {
    /// Starts the fixture `tests/apps/<name>` (copied), after `prepare` may change the copy.
    pub async fn fixture_with(
        name: &str,
        options: Options,
        prepare: impl FnOnce(&Path),
    ) -> TestServer {
        let dir = fixture(name);
        prepare(dir.path());
        let path = dir.path().to_path_buf();
        let mut s = TestServer::start(&path, options).await;
        s._dir = Some(dir);
        s
    }

    pub async fn fixture(name: &str) -> TestServer {
        TestServer::fixture_with(name, Options::default(), |_| {}).await
    }

    /// Serves the application in `dir` as it is.
    pub async fn start(dir: &Path, mut options: Options) -> TestServer {
        let load = LoadOptions {
            name: options.name.clone(),
            hash_check: options.settings.check_hash,
            xslt_engine: options.xslt_engine,
            accept_missing_hash: options.accept_missing_hash,
            ..LoadOptions::default()
        };
        let app = match config::load(dir, &load) {
            Ok(app) => app,
            Err(e) => panic!(
                "fixture does not load:\n{}",
                e.0.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        let upload_dir = tempfile::tempdir().unwrap();
        options.limits.upload_dir = Some(upload_dir.path().to_path_buf());
        let mut state = match options.store.take() {
            Some(store) => State::with_store(options.limits, options.settings, store),
            None => State::empty(options.limits, options.settings),
        };
        state.add(app, dir, endpoints::engine::Environment::Live, load);
        let state = Arc::new(state);
        let running = Running::start("127.0.0.1:0".parse().unwrap(), state)
            .await
            .unwrap();
        TestServer {
            running,
            app_dir: dir.to_path_buf(),
            upload_dir,
            _dir: None,
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.running.addr, path_and_query)
    }

    /// The hash for `endpoint` with the included values, under the first key, on `live`, in the application's
    /// hash scheme.
    pub fn hash(&self, endpoint: &str, included: &[&str]) -> String {
        let app = self.running.state.app();
        hash::compute_with(
            app.app.settings.hash_scheme,
            endpoint,
            included,
            Environment::Live,
            &app.app.secret_keys[0],
        )
    }

    pub async fn get(&self, path_and_query: &str) -> Resp {
        self.send(Method::GET, path_and_query, &[], Bytes::new())
            .await
    }

    pub async fn post_form(&self, path_and_query: &str, form: &str) -> Resp {
        self.send(
            Method::POST,
            path_and_query,
            &[("content-type", "application/x-www-form-urlencoded")],
            Bytes::from(form.to_string()),
        )
        .await
    }

    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Resp {
        send_h1(self.running.addr, method, path_and_query, headers, body).await
    }
}

/// A response, read completely.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub version: http::Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }
}

fn build(
    addr: std::net::SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Bytes,
    h2: bool,
) -> Request<Full<Bytes>> {
    let uri = if h2 {
        format!("http://{addr}{path_and_query}")
    } else {
        path_and_query.to_string()
    };
    let mut b = Request::builder().method(method).uri(uri);
    if !h2 {
        b = b.header("host", addr.to_string());
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(body)).unwrap()
}

pub async fn send_h1(
    addr: std::net::SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Resp {
    let fut = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let resp = sender
            .send_request(build(addr, method, path_and_query, headers, body, false))
            .await
            .unwrap();
        read(resp).await
    };
    tokio::time::timeout(TEST_TIMEOUT, fut)
        .await
        .expect("request timed out")
}

pub async fn send_h2(addr: std::net::SocketAddr, path_and_query: &str) -> Resp {
    let fut = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let resp = sender
            .send_request(build(
                addr,
                Method::GET,
                path_and_query,
                &[],
                Bytes::new(),
                true,
            ))
            .await
            .unwrap();
        read(resp).await
    };
    tokio::time::timeout(TEST_TIMEOUT, fut)
        .await
        .expect("request timed out")
}

async fn read(resp: http::Response<hyper::body::Incoming>) -> Resp {
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Resp {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

/// A multipart/form-data body: (name, filename, content) parts; `None` filename = a text field.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Bytes) {
    let boundary = "----endpoints-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

/// A new directory for a spawned server's SQLite state (`ENDPOINTS_DATA_DIR`), under Cargo's per-target temporary
/// directory, so that concurrently running servers never share one state file.
#[allow(dead_code)]
pub fn state_dir() -> String {
    format!(
        "{}/state-{}",
        env!("CARGO_TARGET_TMPDIR"),
        uuid::Uuid::new_v4().simple()
    )
}

/// A spawned `endpoints serve` process: its address (from the "serving on http://…" log line, text or JSON) and
/// its log lines (standard error, and standard output when the caller piped it). Killed when dropped.
pub struct Spawned {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    /// What it logged before it listened (start-up messages).
    pub start_lines: Vec<String>,
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Spawned {
    /// Spawns `cmd` with standard error piped and waits up to 30 s for the server to listen; on failure returns
    /// everything it logged.
    pub fn start(mut cmd: std::process::Command) -> Result<Spawned, String> {
        use std::io::{BufRead, BufReader};
        let mut child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let Ok(line) =
                rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(seen.join("\n"));
            };
            if let Some(rest) = line.split("serving on http://").nth(1) {
                let addr = rest.split('"').next().unwrap().trim().parse().unwrap();
                return Ok(Spawned {
                    child,
                    addr,
                    start_lines: seen,
                    lines: rx,
                });
            }
            seen.push(line);
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
