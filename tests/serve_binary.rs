//! The `endpoints serve` binary: SIGHUP reloads, SIGTERM lets a slow request finish, several applications with a
//! preview environment, JSON logs.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use endpoints::engine::{hash, Environment};
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// `endpoints serve ARGS` on an ephemeral port (killed when dropped).
struct Server(common::Spawned);

impl std::ops::Deref for Server {
    type Target = common::Spawned;
    fn deref(&self) -> &common::Spawned {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut common::Spawned {
        &mut self.0
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("ENDPOINTS_DATA_DIR", common::state_dir())
            .env("ENDPOINTS_LOG", "info")
            .env_remove("ENDPOINTS_CHECK_HASH")
            .stdout(Stdio::null());
        Server(
            common::Spawned::start(cmd)
                .unwrap_or_else(|seen| panic!("server did not start: {seen}")),
        )
    }

    fn signal(&self, sig: &str) {
        Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// Log lines received so far.
    fn drain(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    /// Waits (up to 10 s) for a log line holding `text`: lines that come within a few milliseconds of each other
    /// are written together a little later.
    fn wait_line(&self, text: &str) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        {
            if line.contains(text) {
                return true;
            }
        }
        false
    }
}

fn app(dir: &Path, target: &str, key: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        format!("<security><secret-key>{key}</secret-key></security>"),
    )
    .unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        format!("<endpoint-folder><endpoint name=\"which\"><success><redirect-to>https://v.example/{target}</redirect-to></success></endpoint></endpoint-folder>"),
    )
    .unwrap();
}

async fn get(addr: std::net::SocketAddr, path: &str) -> common::Resp {
    common::send_h1(addr, Method::GET, path, &[], Bytes::new()).await
}

fn h(endpoint: &str, env: Environment, key: &str) -> String {
    hash::compute::<&str>(endpoint, &[], env, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_without_a_watcher() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    app(&dir, "A", "k");
    let s = Server::start(&[dir.to_str().unwrap(), "--no-watch"]);
    let path = format!("/which?hash={}", h("which", Environment::Live, "k"));
    assert_eq!(get(s.addr, &path).await.location(), "https://v.example/A");
    app(&dir, "B", "k");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        get(s.addr, &path).await.location(),
        "https://v.example/A",
        "no watcher: unchanged"
    );
    s.signal("-HUP");
    let mut ok = false;
    for _ in 0..50 {
        if get(s.addr, &path).await.location() == "https://v.example/B" {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "SIGHUP did not reload");
    assert!(s.wait_line("configuration reloaded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_request_finish() {
    // A slow upstream: the endpoint's data source fetches from it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|_req| async {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    Ok::<_, std::convert::Infallible>(
                        http::Response::builder()
                            .header("content-type", "application/xml")
                            .body(http_body_util::Full::new(Bytes::from_static(
                                b"<slow>done</slow>",
                            )))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    std::fs::create_dir_all(dir.join("data-sources")).unwrap();
    std::fs::create_dir_all(dir.join("transformers")).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    std::fs::write(
        dir.join("data-sources/slow.xml"),
        format!("<data-source><xml-from-url><url>http://{upstream}/slow</url></xml-from-url></data-source>"),
    )
    .unwrap();
    std::fs::write(
        dir.join("transformers/slow.xml"),
        "<transformer data-source=\"slow\"/>",
    )
    .unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        "<endpoint-folder><endpoint name=\"slow\"><success><response-transformation name=\"slow\"/></success></endpoint></endpoint-folder>",
    )
    .unwrap();
    let mut s = Server::start(&[dir.to_str().unwrap(), "--shutdown-timeout", "10"]);
    let addr = s.addr;
    let path = format!("/slow?hash={}", h("slow", Environment::Live, "k"));
    let request = tokio::spawn(async move { get(addr, &path).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.signal("-TERM");
    let r = request.await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("<slow>done</slow>"), "{}", r.text());
    let status = tokio::task::spawn_blocking(move || {
        let st = s.child.wait().unwrap();
        (st, s)
    })
    .await
    .unwrap()
    .0;
    assert!(status.success(), "{status:?}");
    // New connections are refused after the stop.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_applications_and_a_preview_environment() {
    let tmp = tempfile::tempdir().unwrap();
    app(&tmp.path().join("apps/shop"), "shop-live", "k1");
    app(&tmp.path().join("apps/blog"), "blog-live", "k2");
    app(&tmp.path().join("preview/shop"), "shop-preview", "k1");
    let apps = tmp.path().join("apps");
    let preview = format!("preview={}", tmp.path().join("preview").display());
    let s = Server::start(&[
        "--apps",
        apps.to_str().unwrap(),
        "--environment-dir",
        &preview,
        "--log-format",
        "json",
    ]);
    let live = h("which", Environment::Live, "k1");
    let prev = h("which", Environment::Preview, "k1");
    assert_eq!(
        get(s.addr, &format!("/shop/which?hash={live}"))
            .await
            .location(),
        "https://v.example/shop-live"
    );
    assert_eq!(
        get(
            s.addr,
            &format!("/shop/which?environment=preview&hash={prev}")
        )
        .await
        .location(),
        "https://v.example/shop-preview"
    );
    // blog has no preview copy: preview requests use its live configuration (with the preview hash)
    let blog_prev = h("which", Environment::Preview, "k2");
    assert_eq!(
        get(
            s.addr,
            &format!("/blog/which?environment=preview&hash={blog_prev}")
        )
        .await
        .location(),
        "https://v.example/blog-live"
    );
    let r = get(s.addr, &format!("/which?hash={live}")).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "/{{endpoint}} needs exactly one application"
    );
    assert_eq!(
        r.text(),
        "Several applications are served: use /<application>/<endpoint>\n"
    );
    assert_eq!(
        get(s.addr, "/nope/which").await.status,
        StatusCode::NOT_FOUND
    );
    let health: serde_json::Value =
        serde_json::from_slice(&get(s.addr, "/health-check").await.body).unwrap();
    assert_eq!(health["applications"].as_array().unwrap().len(), 3);
    // Each application reloads on its own.
    app(&tmp.path().join("apps/blog"), "blog-2", "k2");
    let mut ok = false;
    for _ in 0..50 {
        let blog = h("which", Environment::Live, "k2");
        if get(s.addr, &format!("/blog/which?hash={blog}"))
            .await
            .location()
            == "https://v.example/blog-2"
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "blog did not reload");
    assert_eq!(
        get(s.addr, &format!("/shop/which?hash={live}"))
            .await
            .location(),
        "https://v.example/shop-live"
    );
    // --log-format json: one JSON object per line, access log included
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = s.drain();
    assert!(!lines.is_empty());
    for l in &lines {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"endpoint\":\"which\"") && l.contains("\"status\":302")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("configuration reloaded")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_error_page_keeps_the_failures_status() {
    // A port nothing listens on: the second error page's data source cannot fetch.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    for d in ["data-sources", "transformers", "data-source-xslt"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let files = [
        ("security.xml", "<security><secret-key>k</secret-key></security>".to_string()),
        ("data-sources/plain.xml", "<data-source><literal-xml><x/></literal-xml></data-source>".to_string()),
        ("data-sources/unreachable.xml", format!("<data-source><xml-from-url><url>http://{closed}/x</url></xml-from-url></data-source>")),
        ("data-source-xslt/fails.xsl", "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"><xsl:template match=\"/\"><xsl:message terminate=\"yes\">the error page stylesheet gave up</xsl:message></xsl:template></xsl:stylesheet>".to_string()),
        ("transformers/fails.xml", "<transformer data-source=\"plain\"><xslt-file name=\"fails.xsl\"/></transformer>".to_string()),
        ("transformers/unreachable.xml", "<transformer data-source=\"unreachable\"/>".to_string()),
        ("endpoints.xml", "<endpoint-folder>\
            <endpoint name=\"xslt-fails\"><parameter name=\"a\"/><success/><error><response-transformation name=\"fails\"/></error></endpoint>\
            <endpoint name=\"source-fails\"><parameter name=\"a\"/><success/><error status=\"422\"><response-transformation name=\"unreachable\"/></error></endpoint>\
            </endpoint-folder>".to_string()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let s = Server::start(&[dir.to_str().unwrap(), "--no-watch"]);

    // A missing parameter is 400; the error page's stylesheet fails: still 400, with the plain reason.
    let hash = h("xslt-fails", Environment::Live, "k");
    let r = get(s.addr, &format!("/xslt-fails?hash={hash}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        "<endpoint name='xslt-fails'>: Parameter 'a' did not have a supplied value, nor a default\n"
    );
    let first_id = r.header("x-request-id").unwrap().to_string();
    // A wrong hash stays 401.
    let r = get(s.addr, "/xslt-fails?a=1&hash=0000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.text(), "Hash wrong\n");
    // The error page's data source fails: the failure's own status (not the <error>'s 422, which was never sent).
    let hash = h("source-fails", Environment::Live, "k");
    let r = get(s.addr, &format!("/source-fails?hash={hash}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("Parameter 'a'"), "{}", r.text());
    let second_id = r.header("x-request-id").unwrap().to_string();

    // Why the error pages failed is logged at WARN with the request id.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = s.drain();
    for (id, why) in [
        (&first_id, "the error page stylesheet gave up"),
        (&second_id, &closed.to_string()),
    ] {
        assert!(
            lines.iter().any(|l| l.contains("WARN")
                && l.contains("rendering <error> failed")
                && l.contains(id.as_str())
                && l.contains(why)),
            "no WARN line for {id} naming '{why}':\n{}",
            lines.join("\n")
        );
    }
}
