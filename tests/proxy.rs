//! `--trusted-proxy`: the client's address comes from `Forwarded` / `X-Forwarded-For` only when the TCP peer is a
//! trusted proxy (the rightmost forwarded address that is not trusted), else it is the peer. Checked through the
//! real binary over real sockets: the parameter transformation's `<ip-address>` and the access log's `client`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// An application whose endpoint `ip` redirects to `https://echo.example/?ip=` + the parameter transformation's
/// `<ip-address>`.
fn ip_app(dir: &Path) {
    std::fs::create_dir_all(dir.join("parameter-xslt")).unwrap();
    std::fs::write(
        dir.join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    std::fs::write(
        dir.join("endpoints.xml"),
        r#"<endpoint-folder>
            <endpoint name="ip">
                <parameter name="ip" default-value="none"/>
                <parameter-transformation xslt="ip.xsl"/>
                <success><redirect-to>https://echo.example/?ip=${ip}</redirect-to></success>
            </endpoint>
        </endpoint-folder>"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("parameter-xslt/ip.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="/">
                <parameter-transformation-output>
                    <parameter name="ip" value="{/parameter-transformation-input/input-from-request/ip-address}"/>
                </parameter-transformation-output>
            </xsl:template>
        </xsl:stylesheet>"#,
    )
    .unwrap();
}

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "--no-watch", "--no-hash-check"])
        .args(["--log-format", "json"])
        .args(args)
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env("ENDPOINTS_LOG", "info")
        .env_remove("ENDPOINTS_TRUSTED_PROXIES")
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Spawned {
    common::Spawned::start(command(dir, args, env))
        .unwrap_or_else(|seen| panic!("server did not start: {seen}"))
}

/// The client address the endpoint saw, and the access log's `client`, for a request with `headers`.
async fn client_of(s: &common::Spawned, headers: &[(&str, &str)]) -> (String, String) {
    let r = common::send_h1(s.addr, Method::GET, "/ip", headers, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::FOUND, "{headers:?}: {}", r.text());
    let location = r.location().to_string();
    let ip = location
        .strip_prefix("https://echo.example/?ip=")
        .unwrap_or_else(|| panic!("{location}"));
    let ip = percent_encoding::percent_decode_str(ip)
        .decode_utf8()
        .unwrap()
        .into_owned();
    let id = r.header("x-request-id").unwrap().to_string();
    let line = access_line(s, &id);
    let logged = line["client"]
        .as_str()
        .unwrap_or_else(|| panic!("no client: {line}"))
        .to_string();
    (ip, logged)
}

/// The access log line (JSON) of the request `id`.
fn access_line(s: &common::Spawned, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = s
        .lines
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        if line.contains(id) && line.contains("endpoints::access") {
            return serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
    }
    panic!("no access log line for {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_peer_is_the_client() {
    let tmp = tempfile::tempdir().unwrap();
    ip_app(tmp.path());
    let s = start(tmp.path(), &[], &[]);
    for headers in [
        &[("x-forwarded-for", "203.0.113.7")][..],
        &[("x-forwarded-for", "203.0.113.7, 10.0.0.2")],
        &[("forwarded", "for=203.0.113.7")],
        &[],
    ] {
        let (ip, logged) = client_of(&s, headers).await;
        assert_eq!(ip, "127.0.0.1", "{headers:?}");
        assert_eq!(logged, "127.0.0.1", "{headers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_cannot_forge_its_address() {
    let tmp = tempfile::tempdir().unwrap();
    ip_app(tmp.path());
    // 127.0.0.1 (the test's peer) is not among the trusted proxies.
    let s = start(tmp.path(), &["--trusted-proxy", "10.0.0.0/8"], &[]);
    for headers in [
        &[("x-forwarded-for", "203.0.113.7")][..],
        &[("forwarded", "for=\"[2001:db8::1]:4711\"")],
    ] {
        let (ip, logged) = client_of(&s, headers).await;
        assert_eq!(ip, "127.0.0.1", "{headers:?}");
        assert_eq!(logged, "127.0.0.1", "{headers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_names_the_client() {
    let tmp = tempfile::tempdir().unwrap();
    ip_app(tmp.path());
    let s = start(
        tmp.path(),
        &["--trusted-proxy", "127.0.0.1/32,10.0.0.0/8"],
        &[],
    );
    let cases: &[(&[(&str, &str)], &str)] = &[
        // Two hops: the client, then a trusted proxy in front of the one that connects.
        (
            &[("x-forwarded-for", "203.0.113.7, 10.0.0.2")],
            "203.0.113.7",
        ),
        // What a client puts to the left of the first untrusted hop is not believed.
        (
            &[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.2")],
            "203.0.113.7",
        ),
        (&[("x-forwarded-for", "203.0.113.7")], "203.0.113.7"),
        (
            &[("forwarded", "for=\"[2001:db8::1]:4711\"")],
            "2001:db8::1",
        ),
        (
            &[("forwarded", "for=192.0.2.60;proto=https, for=10.0.0.2")],
            "192.0.2.60",
        ),
        // Not understood: the peer.
        (&[("x-forwarded-for", "not an address")], "127.0.0.1"),
        (&[("x-forwarded-for", "203.0.113.7, garbage")], "127.0.0.1"),
        (&[("forwarded", "for=\"[2001:db8::1]:4711")], "127.0.0.1"),
        (&[("forwarded", "for=unknown")], "127.0.0.1"),
        (&[], "127.0.0.1"),
        // Both headers: believed only when they name the same client (the proxy maintains one of them; a
        // client may have written the other).
        (
            &[
                ("forwarded", "for=198.51.100.1"),
                ("x-forwarded-for", "203.0.113.7"),
            ],
            "127.0.0.1",
        ),
        (
            &[
                ("forwarded", "for=203.0.113.7"),
                ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
            ],
            "203.0.113.7",
        ),
    ];
    for (headers, want) in cases {
        let (ip, logged) = client_of(&s, headers).await;
        assert_eq!(ip, *want, "<ip-address> for {headers:?}");
        assert_eq!(logged, *want, "access log client for {headers:?}");
    }
    // The flag may be repeated, and the environment variable is its other spelling.
    drop(s);
    for (args, env) in [
        (
            &[
                "--trusted-proxy",
                "10.0.0.0/8",
                "--trusted-proxy",
                "127.0.0.1",
            ][..],
            &[][..],
        ),
        (
            &[],
            &[("ENDPOINTS_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.0/8")],
        ),
    ] {
        let s = start(tmp.path(), args, env);
        let (ip, _) = client_of(&s, &[("x-forwarded-for", "203.0.113.7, 10.0.0.2")]).await;
        assert_eq!(ip, "203.0.113.7", "{args:?} {env:?}");
    }
}

#[test]
fn a_bad_range_is_a_clear_start_up_error() {
    let tmp = tempfile::tempdir().unwrap();
    ip_app(tmp.path());
    for (args, env, bad) in [
        (
            &["--trusted-proxy", "10.0.0.0/33"][..],
            &[][..],
            "10.0.0.0/33",
        ),
        (
            &["--trusted-proxy", "127.0.0.1,proxy.local"],
            &[],
            "proxy.local",
        ),
        (
            &[],
            &[("ENDPOINTS_TRUSTED_PROXIES", "10.0.0.0/8,nonsense")],
            "nonsense",
        ),
    ] {
        let mut child = command(tmp.path(), args, env)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Bounded: a server that started after all is killed, and the test fails.
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--trusted-proxy"), "{err}");
        assert!(err.contains(bad), "{err}");
        assert!(!err.contains("serving on"), "{err}");
    }
}
