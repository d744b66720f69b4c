//! The console's working pages over real sockets against the real binary: try-it (a form with a file sent through
//! the server's own listener, the rendered page in its sandboxed frame, XML indented, a download), the live request
//! log (its Server-Sent Events stream and one entry with its capture), the health page and the short-link creator.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::console::{assert_secure, cookie, csrf, form, Server};
use http::{Method, StatusCode};

fn app_dir() -> tempfile::TempDir {
    common::fixture_dir_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/console"))
}

/// A console on loopback (no token) and its session: the cookie header and the CSRF token.
async fn session(s: &Server) -> (String, String) {
    let r = s.get("/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    (cookie(&r), csrf(&r.text()))
}

/// What `value` of an HTML attribute `name="…"` first holds after `after`.
fn attribute<'a>(page: &'a str, after: &str, name: &str) -> &'a str {
    let rest = page
        .split(after)
        .nth(1)
        .unwrap_or_else(|| panic!("no {after} in {page}"));
    let rest = rest
        .split(&format!("{name}=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} after {after}"));
    rest.split('"').next().unwrap()
}

/// The hash of `endpoint` with `values` (NAME=VALUE lines), from the console's calculator.
async fn hash(s: &Server, session: &(String, String), endpoint: &str, values: &str) -> String {
    let body = form(&[
        ("csrf", &session.1),
        ("application", "demo"),
        ("environment", "live"),
        ("endpoint", endpoint),
        ("values", values),
    ]);
    let page = s
        .post("/hash", &[("cookie", &session.0)], &body)
        .await
        .text();
    let rest = page
        .split(r#"id="hash" class="value">"#)
        .nth(1)
        .expect(&page);
    rest.split('<').next().unwrap().to_string()
}

/// The entry page at `link` (`/log/entry?id=…`), once the entry is written (the log is written just after the
/// response).
async fn entry_page(s: &Server, headers: &[(&str, &str)], link: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = s.get(link, headers).await;
        if r.status == StatusCode::OK {
            return r.text();
        }
        assert!(std::time::Instant::now() < deadline, "{link}: {}", r.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A multipart POST of the try-it form to the console.
async fn try_it(
    s: &Server,
    session: &(String, String),
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> common::Resp {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, session.1.as_bytes()),
        ("application", None, b"demo"),
    ];
    for (k, v) in fields {
        parts.push((k, None, v.as_bytes()));
    }
    if let Some((name, content)) = file {
        parts.push(("file", Some(name), content));
    }
    let (content_type, body) = common::multipart(&parts);
    common::send_h1(
        s.console(),
        Method::POST,
        "/try",
        &[("content-type", &content_type), ("cookie", &session.0)],
        body,
    )
    .await
}

#[tokio::test]
async fn try_it_sends_a_form_with_a_file_through_the_server() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    let with_cookie = [("cookie", session.0.as_str())];

    // The endpoints page links every endpoint's form; the form starts from the declared defaults.
    let page = s
        .get("/endpoints?application=demo&environment=live", &with_cookie)
        .await
        .text();
    assert!(
        page.contains(r#"href="/try?application=demo&amp;environment=live&amp;endpoint=echo""#),
        "{page}"
    );
    let r = s
        .get(
            "/try?application=demo&environment=live&endpoint=echo",
            &with_cookie,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_secure(&r);
    let page = r.text();
    assert!(
        page.contains(r#"name="p.greeting" value="Hello""#),
        "{page}"
    );
    assert!(page.contains(r#"name="p.who" value="""#), "{page}");
    assert!(
        page.contains(r#"name="add_hash" value="1" checked"#),
        "{page}"
    );

    let r = try_it(
        &s,
        &session,
        &[
            ("endpoint", "echo"),
            ("environment", "live"),
            ("method", "POST"),
            ("add_hash", "1"),
            ("p.who", "Ann"),
            ("p.greeting", "Hi"),
            ("extra", ""),
            ("file_field", "attachment"),
            ("body_type", ""),
            ("body", ""),
        ],
        Some(("notes.txt", b"some notes")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(
        page.contains(r#"<span class="status ok" id="status">200 OK</span>"#),
        "{page}"
    );
    // The request id links the log entry; the curl command repeats the request with its hash and file.
    let id = attribute(&page, "request id <a", "href").to_string();
    assert!(id.starts_with("/log/entry?id="), "{id}");
    let curl = page
        .split(r#"id="curl">"#)
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    assert!(
        curl.contains("-F &apos;hash=") || curl.contains("-F 'hash="),
        "{curl}"
    );
    assert!(curl.contains("attachment=@notes.txt"), "{curl}");
    // The HTML answer is shown in a sandboxed frame, served with a sandbox policy.
    let frame = attribute(&page, "<iframe", "src").replace("&amp;", "&");
    assert!(page.contains(r#"sandbox="""#), "{page}");
    let r = s.get(&frame, &with_cookie).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .starts_with("sandbox;"));
    assert_eq!(r.header("x-frame-options"), Some("SAMEORIGIN"));
    let body = r.text();
    assert!(body.contains("Hi, Ann!"), "{body}");
    assert!(
        body.contains(r#"<li class="upload">notes.txt</li>"#),
        "the upload reached the endpoint: {body}"
    );
    let r = s.get(&format!("{frame}&download=1"), &with_cookie).await;
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));

    // The request's log entry, with the durations of its transformation and data source.
    let entry = entry_page(&s, &with_cookie, &id).await;
    assert!(entry.contains("The endpoint's run took"), "{entry}");
    assert!(
        entry.contains("<td>transformation</td><td><code>echo-page</code>"),
        "{entry}"
    );
    assert!(
        entry.contains("<td>data source</td><td><code>params</code>"),
        "{entry}"
    );
    assert!(entry.contains("<progress max="), "{entry}");

    // Without the hash the server refuses, and the page says so.
    let r = try_it(
        &s,
        &session,
        &[
            ("endpoint", "echo"),
            ("environment", "live"),
            ("method", "GET"),
            ("p.who", "Ann"),
        ],
        None,
    )
    .await;
    let page = r.text();
    assert!(!page.contains(r#"id="status">200"#), "{page}");
    assert!(page.contains(r#"class="status bad""#), "{page}");

    // A file with GET is refused before anything is sent; a foreign CSRF token is refused.
    let page = try_it(
        &s,
        &session,
        &[
            ("endpoint", "echo"),
            ("environment", "live"),
            ("method", "GET"),
        ],
        Some(("x.txt", b"x")),
    )
    .await
    .text();
    assert!(
        page.contains(r#"id="problem""#) && page.contains("choose POST"),
        "{page}"
    );
    let forged = (session.0.clone(), "not-the-token".to_string());
    assert_eq!(
        try_it(&s, &forged, &[("endpoint", "echo")], None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn try_it_indents_xml_and_offers_downloads() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    let page = try_it(
        &s,
        &session,
        &[
            ("endpoint", "data"),
            ("environment", "preview"),
            ("method", "GET"),
            ("add_hash", "1"),
            ("p.who", "Bea"),
        ],
        None,
    )
    .await
    .text();
    assert!(page.contains(r#"id="status">200 OK"#), "{page}");
    // One element a line, indented; the link repeats the GET (preview, with its hash).
    assert!(
        page.contains("\n    &lt;parameter name=&quot;who&quot; value=&quot;Bea&quot;/&gt;"),
        "{page}"
    );
    let link = attribute(&page, "Send it again", "href").replace("&amp;", "&");
    assert!(
        link.contains("environment=preview") && link.contains("hash="),
        "{link}"
    );
    let r = common::send_h1(
        s.spawned.addr,
        Method::GET,
        link.split_once(&s.spawned.addr.to_string()).unwrap().1,
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "the shared link works");

    let page = try_it(
        &s,
        &session,
        &[
            ("endpoint", "report"),
            ("environment", "live"),
            ("method", "POST"),
            ("add_hash", "1"),
        ],
        None,
    )
    .await
    .text();
    assert!(
        page.contains(r#"id="download""#) && page.contains("report-2026-12.xml"),
        "{page}"
    );
    let href = attribute(&page, r#"class="button""#, "href").replace("&amp;", "&");
    let r = s.get(&href, &[("cookie", &session.0)]).await;
    assert_eq!(
        r.header("content-disposition"),
        Some(r#"attachment; filename="report-2026-12.xml""#)
    );
    assert!(r
        .text()
        .contains("<parameter name=\"month\" value=\"2026-12\"/>"));
}

#[tokio::test]
async fn try_it_sends_json_and_xml_bodies() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    for (content_type, body, item) in [
        ("application/json", r#"{"item": "tea"}"#, "tea"),
        ("application/xml", r#"<order item="cake"/>"#, "cake"),
    ] {
        let page = try_it(
            &s,
            &session,
            &[
                ("endpoint", "order"),
                ("environment", "live"),
                ("method", "POST"),
                ("add_hash", "1"),
                ("body_type", content_type),
                ("body", body),
            ],
            None,
        )
        .await
        .text();
        // The body reached the parameter transformation; the redirect is shown, not followed.
        assert!(
            page.contains(r#"class="status redirect" id="status">302"#),
            "{page}"
        );
        assert!(
            page.contains(&format!("https://shop.example/ordered?item={item}")),
            "{page}"
        );
        let curl = page
            .split(r#"id="curl">"#)
            .nth(1)
            .unwrap()
            .split("</pre>")
            .next()
            .unwrap();
        assert!(
            curl.contains(&format!("Content-Type: {content_type}")),
            "{curl}"
        );
        assert!(curl.contains("--data-binary"), "{curl}");
    }
}

/// Reads a console stream until `wanted` appears (or the time runs out); returns what was read.
async fn read_until(stream: &mut tokio::net::TcpStream, wanted: &str, within: Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(wanted) {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("{e}"),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn the_log_streams_new_entries_and_shows_one_with_its_capture() {
    use tokio::io::AsyncWriteExt;
    let dir = app_dir();
    let mut s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    let with_cookie = [("cookie", session.0.as_str())];
    let r = s
        .get("/log?endpoint=capture&status=2xx", &with_cookie)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(page.contains(r#"data-stream="/log/stream?application=&amp;environment=&amp;endpoint=capture&amp;status=2xx""#), "{page}");
    assert!(page.contains(r#"<script src="/console.js">"#), "{page}");
    let js = s.get("/console.js", &[]).await;
    assert!(js
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.text().contains("EventSource") && !js.text().contains("innerHTML"));

    // The stream, as the page's script opens it.
    let mut stream = tokio::net::TcpStream::connect(s.console()).await.unwrap();
    let request = format!(
        "GET /log/stream?endpoint=capture&status=2xx HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\r\n",
        session.0
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_until(&mut stream, "retry: 2000", Duration::from_secs(10)).await;
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("content-type: text/event-stream"),
        "{head}"
    );

    // A request to the endpoint arrives on the stream; one the filter leaves out does not.
    let h = hash(&s, &session, "capture", "").await;
    let other = common::send_h1(s.spawned.addr, Method::GET, "/demo/data", &[], Bytes::new()).await;
    assert_ne!(other.status, StatusCode::OK);
    let r = common::send_h1(
        s.spawned.addr,
        Method::GET,
        &format!("/demo/capture?order=A-17&hash={h}"),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let id = r.header("x-request-id").unwrap().to_string();
    let events = read_until(&mut stream, &id, Duration::from_secs(15)).await;
    assert!(events.contains("event: entry"), "{events}");
    assert!(
        events.contains(&format!(r#""id":"{id}""#)) && events.contains(r#""status":200"#),
        "{events}"
    );
    assert!(!events.contains(r#""endpoint":"data""#), "{events}");

    // The entry's page: its status, endpoint and capture.
    let r = s.get(&format!("/log/entry?id={id}"), &with_cookie).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(page.contains(r#"id="entry-status">200"#), "{page}");
    assert!(
        page.contains("order-number") && page.contains("A-17"),
        "{page}"
    );
    assert_eq!(
        s.get("/log/entry?id=nope", &with_cookie).await.status,
        StatusCode::NOT_FOUND
    );

    // An open stream does not hold the shutdown up.
    Command::new("kill")
        .args(["-TERM", &s.spawned.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = s.spawned.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn health_shows_the_store_and_the_request_counts() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    for _ in 0..3 {
        common::send_h1(
            s.spawned.addr,
            Method::GET,
            "/demo/nowhere",
            &[],
            Bytes::new(),
        )
        .await;
    }
    let r = s.get("/health", &[("cookie", &session.0)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="10">"#),
        "{page}"
    );
    assert!(
        page.contains(r#"id="store-state"><code>sqlite</code> · <span class="ok">answers"#),
        "{page}"
    );
    assert!(
        page.contains("not used by any loaded application"),
        "{page}"
    );
    // Since the start: three 404s among the requests (the same counters as /metrics).
    let metrics = common::send_h1(s.spawned.addr, Method::GET, "/metrics", &[], Bytes::new())
        .await
        .text();
    assert!(
        metrics.contains("endpoints_unrouted_requests_total{status=\"4xx\"} 3"),
        "{metrics}"
    );
    let since = page.split("Since the start").nth(1).unwrap();
    let cells: Vec<&str> = since
        .split("<td>")
        .skip(1)
        .take(6)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(cells[4], "3", "4xx: {since}");
    assert!(cells[0].parse::<u64>().unwrap() >= 3, "{since}");
}

#[tokio::test]
async fn the_short_link_creator_makes_a_link_that_runs_the_endpoint() {
    let dir = app_dir();
    let s = Server::start(dir.path(), &["--console", "127.0.0.1:0"], None);
    let session = session(&s).await;
    let with_cookie = [("cookie", session.0.as_str())];
    assert!(s
        .get("/short-link", &with_cookie)
        .await
        .text()
        .contains(r#"action="/short-link""#));
    let ask = |csrf: &str, values: &str, minutes: &str| {
        form(&[
            ("csrf", csrf),
            ("application", "demo"),
            ("environment", "live"),
            ("endpoint", "data"),
            ("values", values),
            ("minutes", minutes),
        ])
    };
    let page = s
        .post(
            "/short-link",
            &with_cookie,
            &ask(&session.1, "who=Linked", "60"),
        )
        .await
        .text();
    let url = attribute(&page, r#"id="short-link""#, "href").to_string();
    let path = &url[url.find("/shortlink/").expect(&page)..];
    let r = common::send_h1(s.spawned.addr, Method::GET, path, &[], Bytes::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .text()
        .contains(r#"<parameter name="who" value="Linked"/>"#));
    // Recorded in the request log as made by the console.
    let log = s
        .get("/log?endpoint=data&status=2xx", &with_cookie)
        .await
        .text();
    assert!(log.contains(">201<"), "{log}");

    // Wrong input is explained; a missing CSRF token is refused.
    let page = s
        .post("/short-link", &with_cookie, &ask(&session.1, "who", "60"))
        .await
        .text();
    assert!(page.contains("is not NAME=VALUE"), "{page}");
    let page = s
        .post("/short-link", &with_cookie, &ask(&session.1, "", "0"))
        .await
        .text();
    assert!(page.contains("number of minutes"), "{page}");
    assert_eq!(
        s.post("/short-link", &with_cookie, &ask("forged", "who=x", "60"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
