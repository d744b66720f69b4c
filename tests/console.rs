//! The console (`endpoints serve --console ADDR`) over real sockets against the real binary: off by default, open
//! on loopback without a token, refused on another address without one, the bearer token and the login cookie,
//! CSRF on every POST, and every page's content (endpoints, a broken reload's error, the hash calculator).
//! It is long because it covers every page and every access rule through the real binary.

mod common;

use common::console::{assert_secure, cookie, csrf, form, Server};

use std::process::Command;

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const TOKEN: &str = "console-token-0123456789";

const ENDPOINTS_XML: &str = r#"<endpoint-folder>
    <endpoint name="greet">
        <parameter name="who"/>
        <parameter name="greeting" default-value="Hello"/>
        <include-in-hash>
            <parameter name="who"/>
            <parameter name="greeting"/>
        </include-in-hash>
        <success if="${who}" equals="world"><forward-to-endpoint endpoint-name="target"/></success>
        <success>
            <redirect-to>https://shop.example/hi?who=${who}</redirect-to>
            <redirect-prefix-whitelist-entry>https://shop.example/</redirect-prefix-whitelist-entry>
        </success>
    </endpoint>
    <endpoint name="target"/>
    <endpoint name="open"><parameter name="to"/><success><redirect-to>${to}</redirect-to></success></endpoint>
</endpoint-folder>
"#;

fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("endpoints.xml"), ENDPOINTS_XML).unwrap();
    std::fs::write(
        dir.path().join("security.xml"),
        "<security><secret-key>console-test-key</secret-key></security>",
    )
    .unwrap();
    dir
}

/// The number shown as the site's generation.
fn generation(page: &str) -> u64 {
    let rest = page
        .split(r#"<dd class="generation">"#)
        .nth(1)
        .expect("a generation");
    rest.split('<').next().unwrap().parse().unwrap()
}

/// The login page's HTML.
async fn login_page(s: &Server) -> String {
    let r = s.get("/login", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    r.text()
}

/// Sends `request` as written and reads the answer until the server closes.
async fn raw(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(common::TEST_TIMEOUT, stream.read_to_end(&mut out))
        .await
        .expect("answer timed out")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn off_by_default() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &[], None);
    assert!(s.console.is_none(), "{:?}", s.spawned.start_lines);
    assert!(
        s.spawned
            .start_lines
            .iter()
            .all(|l| !l.contains("console on")),
        "{:?}",
        s.spawned.start_lines
    );
    // The endpoints' port does not answer the console's pages.
    let r = common::send_h1(
        s.spawned.addr,
        Method::GET,
        "/console.css",
        &[],
        Bytes::new(),
    )
    .await;
    assert_ne!(r.status, StatusCode::OK);
}

#[test]
fn non_loopback_without_token_refuses_to_start() {
    let dir = app_dir();
    let out = Command::new(BIN)
        .arg("serve")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--console", "0.0.0.0:0"])
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env_remove("ENDPOINTS_CONSOLE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--console 0.0.0.0:0 is not a loopback address")
            && err.contains("ENDPOINTS_CONSOLE_TOKEN"),
        "{err}"
    );
    // A token too short to be a secret is refused as well.
    let out = Command::new(BIN)
        .arg("serve")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--console", "0.0.0.0:0"])
        .env("ENDPOINTS_DATA_DIR", common::state_dir())
        .env("ENDPOINTS_CONSOLE_TOKEN", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too short"));
}

#[tokio::test]
async fn loopback_without_token_and_csrf() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let r = s.get("/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_secure(&r);
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let page = r.text();
    assert!(
        page.contains("demo") && page.contains("Reload now"),
        "{page}"
    );
    assert_eq!(generation(&page), 1);
    // The served configuration's warnings, with the line they are about.
    assert!(
        page.contains("Warnings") && page.contains("open redirect"),
        "{page}"
    );
    assert!(page.contains(r#"<span class="no">16</span> "#), "{page}");
    let (session, token) = (cookie(&r), csrf(&page));
    let with_cookie = [("cookie", session.as_str())];
    let reload = |csrf: &str| {
        form(&[
            ("csrf", csrf),
            ("application", "demo"),
            ("environment", "live"),
        ])
    };

    // Without a CSRF token, with a wrong one, or with another session's: refused.
    let no_csrf = form(&[("application", "demo"), ("environment", "live")]);
    assert_eq!(
        s.post("/reload", &with_cookie, &no_csrf).await.status,
        StatusCode::FORBIDDEN
    );
    let wrong = s.post("/reload", &with_cookie, &reload("0123")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_secure(&wrong);
    assert_eq!(
        s.post("/reload", &[], &reload(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    // From another site: refused even with the right token.
    let foreign = [
        ("cookie", session.as_str()),
        ("origin", "http://evil.example"),
    ];
    assert_eq!(
        s.post("/reload", &foreign, &reload(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    let cross = [
        ("cookie", session.as_str()),
        ("sec-fetch-site", "cross-site"),
    ];
    assert_eq!(
        s.post("/reload", &cross, &reload(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(generation(&s.get("/", &with_cookie).await.text()), 1);

    // The right one, from the console's own origin: reloaded.
    let origin = format!("http://{}", s.console());
    let own = [
        ("cookie", session.as_str()),
        ("origin", origin.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let r = s.post("/reload", &own, &reload(&token)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/");
    assert_eq!(generation(&s.get("/", &with_cookie).await.text()), 2);

    // Another site's name resolved to 127.0.0.1 (DNS rebinding): refused.
    let rebound = raw(
        s.console(),
        "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
    assert!(
        !rebound.to_ascii_lowercase().contains("set-cookie"),
        "{rebound}"
    );
    let local = raw(
        s.console(),
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(local.starts_with("HTTP/1.1 200"), "{local}");

    // A method other than GET and POST, and an unknown page.
    let r = common::send_h1(s.console(), Method::DELETE, "/", &with_cookie, Bytes::new()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        s.get("/nothing", &with_cookie).await.status,
        StatusCode::NOT_FOUND
    );
    let css = s.get("/console.css", &[]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn bearer_token_and_login_cookie() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], Some(TOKEN));
    // Without credentials: the login form.
    let r = s.get("/", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    let login = s.get("/login", &[]).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains(r#"name="token""#));
    assert_eq!(
        s.post("/reload", &[], "application=demo").await.status,
        StatusCode::UNAUTHORIZED
    );

    // The bearer token.
    let wrong = s
        .get("/", &[("authorization", "Bearer not-the-token-at-all")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_secure(&wrong);
    let bearer = format!("Bearer {TOKEN}");
    let r = s.get("/", &[("authorization", bearer.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("set-cookie").is_none());
    let token = csrf(&r.text());
    let auth = [("authorization", bearer.as_str())];
    let body = form(&[
        ("csrf", &token),
        ("application", "demo"),
        ("environment", "live"),
    ]);
    assert_eq!(
        s.post("/reload", &auth, "application=demo&environment=live")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.post("/reload", &auth, &body).await.status,
        StatusCode::SEE_OTHER
    );

    // The login form: without its CSRF token, with a wrong token, then the right one.
    let r = s.post("/login", &[], &form(&[("token", TOKEN)])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("set-cookie").is_none());
    let first = csrf(&login_page(&s).await);
    let wrong = form(&[("csrf", &first), ("token", "wrong-wrong-wrong-wrong")]);
    let r = s.post("/login", &[], &wrong).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("set-cookie").is_none());
    // A login form's CSRF token is good once.
    let r = s
        .post("/login", &[], &form(&[("csrf", &first), ("token", TOKEN)]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let again = csrf(&login_page(&s).await);
    let r = s
        .post("/login", &[], &form(&[("csrf", &again), ("token", TOKEN)]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r.header("set-cookie").unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains(TOKEN),
        "the cookie holds a session id, not the token"
    );
    let session = cookie(&r);
    let with_cookie = [("cookie", session.as_str())];
    let page = s.get("/", &with_cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert_eq!(generation(&page), 2);
    // A made-up session is not one.
    let forged = s
        .get("/", &[("cookie", "endpoints_console=0123456789abcdef")])
        .await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);

    // Log out: the session ends.
    let out = form(&[("csrf", &csrf(&page))]);
    assert_eq!(
        s.post("/logout", &with_cookie, &out).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(s.get("/", &with_cookie).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn endpoints_page_shows_the_model() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let r = s
        .get("/endpoints?application=demo&environment=live", &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_secure(&r);
    let page = r.text();
    for expected in [
        "<code>greet</code>",
        "<code>who</code>",
        "<code>greeting</code>",
        r#"<code class="value">Hello</code>"#,
        "required",
        "yes (1)",
        "yes (2)",
        r##"href="#endpoint-target""##,
        "${who} equals &quot;world&quot;",
        "https://shop.example/hi?who=${who}",
        "allowed destinations:",
        "<code>https://shop.example/</code>",
        "the request hash",
        "otherwise: <span>a redirect to",
        r#"href="/hash?application=demo&amp;environment=live&amp;endpoint=greet""#,
    ] {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }
    let missing = s
        .get("/endpoints?application=nope&environment=live", &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let no_preview = s
        .get("/endpoints?application=demo&environment=preview", &[])
        .await;
    assert_eq!(no_preview.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn each_environment_is_listed_with_its_own_endpoints() {
    let (live, preview) = (app_dir(), app_dir());
    std::fs::write(
        preview.path().join("endpoints.xml"),
        r#"<endpoint-folder><endpoint name="only-in-preview"/></endpoint-folder>"#,
    )
    .unwrap();
    let env_dir = format!("preview={}", preview.path().display());
    let s = Server::start(
        live.path(),
        &["--console", "127.0.0.1:0", "--environment-dir", &env_dir],
        None,
    );
    let page = s.get("/", &[]).await.text();
    assert!(
        page.contains(r#"id="app-demo-live""#) && page.contains(r#"id="app-demo-preview""#),
        "{page}"
    );
    assert!(
        page.contains("application=demo&amp;environment=preview"),
        "{page}"
    );
    let p = s
        .get("/endpoints?application=demo&environment=preview", &[])
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let p = p.text();
    assert!(
        p.contains("only-in-preview") && !p.contains("<code>greet</code>"),
        "{p}"
    );
}

#[tokio::test]
async fn broken_reload_shows_the_error_with_its_line() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let r = s.get("/", &[]).await;
    let (session, token) = (cookie(&r), csrf(&r.text()));
    let with_cookie = [("cookie", session.as_str())];
    let broken = ENDPOINTS_XML.replace(
        r#"<endpoint name="target"/>"#,
        r#"<endpoint name="target"><success><forward-to-endpoint endpoint-name="nowhere"/></success></endpoint>"#,
    );
    std::fs::write(dir.path().join("endpoints.xml"), &broken).unwrap();
    let body = form(&[
        ("csrf", &token),
        ("application", "demo"),
        ("environment", "live"),
    ]);
    assert_eq!(
        s.post("/reload", &with_cookie, &body).await.status,
        StatusCode::SEE_OTHER
    );
    let page = s.get("/", &with_cookie).await.text();
    assert_eq!(generation(&page), 1, "the running configuration stays");
    assert!(page.contains("The last reload failed"), "{page}");
    assert!(page.contains("endpoints.xml:15:"), "{page}");
    assert!(page.contains("nowhere"), "{page}");
    // The offending line itself, marked.
    assert!(
        page.contains(r#"<span class="line bad"><span class="no">15</span> "#),
        "{page}"
    );
    assert!(
        page.contains("forward-to-endpoint endpoint-name=&quot;nowhere&quot;"),
        "{page}"
    );

    // Fixed: the next reload clears the error and advances the generation.
    std::fs::write(dir.path().join("endpoints.xml"), ENDPOINTS_XML).unwrap();
    assert_eq!(
        s.post("/reload", &with_cookie, &body).await.status,
        StatusCode::SEE_OTHER
    );
    let page = s.get("/", &with_cookie).await.text();
    assert_eq!(generation(&page), 2);
    assert!(!page.contains("The last reload failed"));
}

#[tokio::test]
async fn hash_calculator_agrees_with_endpoints_hash() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let r = s
        .get(
            "/hash?application=demo&environment=preview&endpoint=greet",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let form_page = r.text();
    assert!(
        form_page.contains(r#"name="endpoint" list="endpoint-names" value="greet""#),
        "{form_page}"
    );
    assert!(
        form_page.contains(r#"<option value="preview" selected>"#),
        "{form_page}"
    );
    // The hashed parameters, with their defaults, to start from.
    assert!(
        form_page.contains(">who=\ngreeting=Hello\n</textarea>"),
        "{form_page}"
    );
    let (session, token) = (cookie(&r), csrf(&r.text()));
    let with_cookie = [("cookie", session.as_str())];
    for (env, values, args) in [
        ("live", "who=world\r\nextra=1", vec!["who=world", "extra=1"]),
        (
            "preview",
            "who=world\ngreeting=Hi",
            vec!["who=world", "greeting=Hi"],
        ),
    ] {
        let body = form(&[
            ("csrf", &token),
            ("application", "demo"),
            ("environment", env),
            ("endpoint", "greet"),
            ("values", values),
        ]);
        let r = s.post("/hash", &with_cookie, &body).await;
        assert_eq!(r.status, StatusCode::OK);
        let page = r.text();
        let shown = page
            .split(r#"<code id="hash" class="value">"#)
            .nth(1)
            .unwrap_or_else(|| panic!("no hash in {page}"))
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let cli = Command::new(BIN)
            .arg("hash")
            .arg(dir.path())
            .arg("greet")
            .args(&args)
            .args(["--environment", env])
            .env_remove("ENDPOINTS_HASH_SCHEME")
            .output()
            .unwrap();
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        assert_eq!(shown, String::from_utf8_lossy(&cli.stdout).trim(), "{env}");
        if values.contains("extra") {
            assert!(
                page.contains("&#39;extra&#39; is not in &lt;include-in-hash&gt;")
                    || page.contains("'extra' is not in &lt;include-in-hash&gt;"),
                "{page}"
            );
        }
    }
    // A hashed parameter without a default must be given.
    let body = form(&[
        ("csrf", &token),
        ("application", "demo"),
        ("environment", "live"),
        ("endpoint", "greet"),
        ("values", ""),
    ]);
    let page = s.post("/hash", &with_cookie, &body).await.text();
    assert!(
        page.contains("parameter &#39;who&#39;") || page.contains("parameter 'who'"),
        "{page}"
    );
    // Without the CSRF token: refused.
    let body = form(&[
        ("application", "demo"),
        ("endpoint", "greet"),
        ("values", "who=x"),
    ]);
    assert_eq!(
        s.post("/hash", &with_cookie, &body).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn stops_gracefully_with_the_server() {
    let dir = app_dir();
    let mut s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    assert_eq!(s.get("/", &[]).await.status, StatusCode::OK);
    // A console connection kept open does not hold the shutdown up.
    let idle = tokio::net::TcpStream::connect(s.console()).await.unwrap();
    Command::new("kill")
        .args(["-TERM", &s.spawned.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(st) = s.spawned.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    drop(idle);
    assert!(status.success(), "{status:?}");
    assert!(tokio::net::TcpStream::connect(s.console()).await.is_err());
}
