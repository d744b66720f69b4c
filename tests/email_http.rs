//! The form-to-crm example end to end: a multipart form over HTTP → an HTTP task with retries against a local CRM
//! stand-in → an e-mail through a real SMTP server with the upload attached; no e-mail when the request fails.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use common::smtp::{data, read_maildir, start_smtp, text};
use common::TestServer;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};

/// A CRM stand-in: the first request of each run fails with 503, then 201 {"id": 77}; a body naming "Mallory"
/// is refused with 409.
async fn start_crm() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let c = c.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let c = c.clone();
                        async move {
                            let auth = req.headers().get("authorization").cloned();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                            let (status, text) = if auth.as_ref().and_then(|a| a.to_str().ok())
                                != Some("Basic ZW5kcG9pbnRzOmNybS1zZWNyZXQ=")
                            {
                                (401, String::new())
                            } else if String::from_utf8_lossy(&body).contains("Mallory") {
                                (409, "no".to_string())
                            } else if n == 1 {
                                (503, String::new())
                            } else {
                                (201, r#"{"id": 77}"#.to_string())
                            };
                            Ok::<_, Infallible>(
                                http::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(text)))
                                    .unwrap(),
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (port, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_to_crm_example() {
    let Some(smtp) = start_smtp() else { return };
    let (crm_port, crm_count) = start_crm().await;
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/form-to-crm"),
        dir.path(),
    );
    let rewrite = |file: &str, from: &str, to: &str| {
        let p = dir.path().join(file);
        let s = std::fs::read_to_string(&p).unwrap();
        assert!(s.contains(from), "{file} has no {from}");
        std::fs::write(&p, s.replace(from, to)).unwrap();
    };
    rewrite(
        "endpoints.xml",
        "127.0.0.1:8099",
        &format!("127.0.0.1:{crm_port}"),
    );
    rewrite(
        "email-sending-configuration.xml",
        "<port>2525</port>",
        &format!("<port>{}</port>", smtp.port),
    );
    let s = TestServer::start(dir.path(), common::Options::default()).await;
    let h = s.hash("submit", &[]);
    let scan = b"%PDF-1.4 not really a pdf \x00\x01\x02";
    let (ct, body) = common::multipart(&[
        ("hash", None, h.as_bytes()),
        ("name", None, "Ann Müller".as_bytes()),
        ("email", None, b"ann@example.com"),
        ("message", None, b"Please call me"),
        ("scan", Some("scan.pdf"), scan),
    ]);
    let r = s
        .send(
            Method::POST,
            "/submit",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Thank you!"));
    assert_eq!(crm_count.load(Ordering::SeqCst), 2, "one 503, then a retry");

    let mails = read_maildir(&smtp.maildir);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m["subject"], "Lead 77: Ann Müller");
    assert!(m["to"].as_str().unwrap().contains("sales@example.com"));
    let tree = &m["tree"];
    assert_eq!(tree["type"], "multipart/mixed");
    let parts = tree["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "multipart/alternative");
    let bodies = parts[0]["parts"].as_array().unwrap();
    assert_eq!(bodies[0]["type"], "text/plain");
    assert!(
        text(&bodies[0]).contains("New lead 77"),
        "{}",
        text(&bodies[0])
    );
    // An HTML body (text/html; charset=utf-8) is wrapped in multipart/related, as the reference does.
    assert_eq!(bodies[1]["type"], "multipart/related");
    let html = &bodies[1]["parts"][0];
    assert_eq!(html["type"], "text/html");
    assert!(
        text(html).contains("New lead from Ann Müller"),
        "{}",
        text(html)
    );
    assert_eq!(parts[1]["filename"], "scan.pdf");
    assert_eq!(data(&parts[1]), scan.to_vec());
    // The Word summary, filled in from the template (the name was split across two runs in it).
    assert_eq!(parts[2]["filename"], "lead-77.docx");
    assert_eq!(
        parts[2]["type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let docx = data(&parts[2]);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut doc = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc).unwrap();
    assert!(doc.contains("<w:t>Lead 77</w:t>"), "{doc}");
    assert!(
        doc.contains("<w:t xml:space=\"preserve\">Name: Ann Müller</w:t>"),
        "{doc}"
    );

    // The CRM refuses: the visitor gets the sorry page, and no e-mail is sent.
    let (ct, body) = common::multipart(&[
        ("hash", None, h.as_bytes()),
        ("name", None, b"Mallory"),
        ("email", None, b"m@example.com"),
    ]);
    let r = s
        .send(
            Method::POST,
            "/submit",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.text().contains("Sorry"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        read_maildir(&smtp.maildir).len(),
        1,
        "no e-mail for a failed request"
    );
}
