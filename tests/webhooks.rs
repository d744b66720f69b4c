//! The webhook contracts of the seed documents, as shipped in `examples/`.

mod common;

use bytes::Bytes;
use common::{Options, TestServer};
use http::{Method, StatusCode};

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// The seed's example request body, with a label and tenant of our choosing.
fn retrieval_body(label: &str, tenant: &str) -> String {
    format!(
        r#"{{"objects": [{{"properties": {{"system:objectTypeId": {{"value": "object"}}, "label": {{"value": "{label}"}},
            "subentitaet": {{"value": "Sub"}}, "idn": {{"value": "6754"}}, "titel": {{"value": "Titel"}},
            "medientyp": {{"value": "Cool filename"}}}},
          "contentStreams": [{{"cid": "cid_63apple", "mimeType": "application/pdf", "fileName": "document01.pdf"}}],
          "options": {{"action": 400, "detail": "DOCUMENT_ACCESSED", "tenant": "{tenant}"}}}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_retrieval_webhook_allows_or_refuses() {
    let s = TestServer::start(&example("content-retrieval-webhook"), Options::default()).await;
    let post = |body: String, auth: &'static str| {
        let s = &s;
        async move {
            s.send(
                Method::POST,
                "/retrieval",
                &[
                    ("content-type", "application/json"),
                    ("authorization", auth),
                ],
                Bytes::from(body),
            )
            .await
        }
    };
    let r = post(retrieval_body("Label", "tenant1"), "Bearer change-me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["result"], "allowed");

    let r = post(
        retrieval_body("Confidential", "tenant1"),
        "Bearer change-me",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("a well-formed JSON error");
    assert_eq!(v["status"], 404);
    assert_eq!(v["error"], "Not Found");
    assert_eq!(
        v["message"],
        "Retrieval of object 6754 is not allowed: it is labelled 'Confidential'."
    );
    assert_eq!(v["requestId"], r.header("x-request-id").unwrap());
    assert!(v["timestamp"].as_str().unwrap().starts_with("20"));

    let r = post(retrieval_body("Label", "tenant9"), "Bearer change-me").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["message"], "Tenant 'tenant9' may not retrieve content.");

    let r = post(retrieval_body("Label", "tenant1"), "Bearer wrong").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a bad token keeps its own status"
    );
    let r = post("{not json".to_string(), "Bearer change-me").await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a body that is not JSON keeps 400 (the <error> condition is false)"
    );
    assert!(
        r.text().starts_with("Cannot parse JSON from POST request"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esign_callbacks_both_sides() {
    use base64::Engine as _;
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};
    // A subscriber that fails twice (503, then no 200 within the contract), then answers 200; it records what it got.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<(http::HeaderMap, Bytes)>>> = Arc::default();
    let rec = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let rec = rec.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let rec = rec.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let n = {
                                let mut r = rec.lock().unwrap();
                                r.push((parts.headers, body));
                                r.len()
                            };
                            let status = if n <= 2 { 503 } else { 200 };
                            Ok::<_, std::convert::Infallible>(
                                http::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Full::new(Bytes::new()))
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
    let dir = common::fixture_dir_from(&example("esign-callbacks"));
    let p = dir.path().join("endpoints.xml");
    let xml = std::fs::read_to_string(&p)
        .unwrap()
        .replace("127.0.0.1:8099", &format!("127.0.0.1:{port}"));
    std::fs::write(&p, xml).unwrap();
    let s = TestServer::start(dir.path(), Options::default()).await;

    // Receiving side
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("callback-login:callback-password")
    );
    let body = r#"{"id": "f8c97405-9185-4998-a3c0-2c4d0edaf43b", "filter": {"status": ["COMPLETED"]}, "status": "COMPLETED", "retries": 10}"#;
    let r = s
        .send(
            Method::POST,
            "/envelope-status",
            &[
                ("content-type", "application/json"),
                ("authorization", &basic),
            ],
            Bytes::from(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["envelope"], "f8c97405-9185-4998-a3c0-2c4d0edaf43b");
    assert_eq!(v["status"], "COMPLETED");
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("callback-login:nope")
    );
    let r = s
        .send(
            Method::POST,
            "/envelope-status",
            &[
                ("content-type", "application/json"),
                ("authorization", &bad),
            ],
            Bytes::from(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Sending side: retried until the subscriber answers the success code, with basic auth and a signature
    let r = s
        .send(
            Method::POST,
            "/envelope-event",
            &[
                ("content-type", "application/json"),
                ("authorization", "Bearer event-token"),
            ],
            Bytes::from_static(br#"{"id": "e-1", "status": "COMPLETED"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "two failures, then success");
    let secret = base64::engine::general_purpose::STANDARD
        .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap();
    let first_id = seen[0].0.get("webhook-id").unwrap().clone();
    for (headers, body) in seen.iter() {
        assert_eq!(body.as_ref(), br#"{"envelope":"e-1","status":"COMPLETED"}"#);
        assert_eq!(
            headers.get("authorization").unwrap(),
            &format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode("subscriber-login:subscriber-password")
            )
        );
        assert_eq!(
            headers.get("webhook-id").unwrap(),
            &first_id,
            "one message id for every attempt"
        );
        // The subscriber can verify the signature.
        let ts = headers.get("webhook-timestamp").unwrap().to_str().unwrap();
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&secret).unwrap();
        for part in [
            first_id.as_bytes(),
            b".",
            ts.as_bytes(),
            b".",
            body.as_ref(),
        ] {
            hmac::Mac::update(&mut mac, part);
        }
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(hmac::Mac::finalize(mac).into_bytes())
        );
        assert_eq!(
            headers.get("webhook-signature").unwrap().to_str().unwrap(),
            expected
        );
    }
}
