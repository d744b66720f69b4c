//! The webhook contracts of the integrations in `examples/` (scan connectors, content-retrieval webhook, e-signature
//! callbacks), driven over real sockets.

mod common;

use bytes::Bytes;
use common::{Options, TestServer};
use http::{Method, StatusCode};

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// The integration's documented example request body, with a label and tenant of our choosing.
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
    use std::sync::{Arc, Mutex};
    // A subscriber that fails twice (503), then answers 200; it records what it got.
    let seen: Arc<Mutex<Vec<(http::HeaderMap, Bytes)>>> = Arc::default();
    let rec = seen.clone();
    let port = common::upstream::serve(move |parts, body| {
        let rec = rec.clone();
        async move {
            let n = {
                let mut r = rec.lock().unwrap();
                r.push((parts.headers, body));
                r.len()
            };
            common::upstream::respond(if n <= 2 { 503 } else { 200 }, "text/plain", "")
        }
    })
    .await
    .port();
    let dir = common::fixture_dir_from(&example("esign-callbacks"));
    let p = dir.path().join("endpoints.xml");
    let xml = std::fs::read_to_string(&p)
        .unwrap()
        .replace("127.0.0.1:8097", &format!("127.0.0.1:{port}"));
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

// Uploads kept in memory (the default), all in temporary files, and the first in memory with the second spilling
// over the request's budget into a file: the folder, the e-mail and the onward call see the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_delivery_to_folder_mail_and_onward() {
    scan_delivery(endpoints::request::Limits::default().upload_memory_bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_delivery_with_uploads_in_temporary_files() {
    scan_delivery(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_delivery_with_an_upload_spilling_over_the_memory_budget() {
    scan_delivery(30).await;
}

async fn scan_delivery(upload_memory_bytes: usize) {
    use base64::Engine as _;
    use std::sync::{Arc, Mutex};
    let Some(smtp) = common::smtp::start_smtp() else {
        return;
    };
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let rec = received.clone();
    let port = common::upstream::serve(move |_, body| {
        let rec = rec.clone();
        async move {
            rec.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            common::upstream::respond(200, "text/plain", "")
        }
    })
    .await
    .port();
    let dir = common::fixture_dir_from(&example("scan-delivery"));
    let p = dir.path().join("endpoints.xml");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p)
            .unwrap()
            .replace("127.0.0.1:8098", &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let c = dir.path().join("email-sending-configuration.xml");
    std::fs::write(
        &c,
        std::fs::read_to_string(&c)
            .unwrap()
            .replace("2525", &smtp.port.to_string()),
    )
    .unwrap();
    let mut options = Options::default();
    options.limits.upload_memory_bytes = upload_memory_bytes;
    let s = TestServer::start(dir.path(), options).await;

    let pdf: &[u8] = b"%PDF-1.4 scanned page";
    let jpeg: &[u8] = b"\xff\xd8\xff\xe0 scanned photo";
    let job = "4e19a6a0-d580-457f-ad59-fcb08584c5ba";
    // The scan connector's documented parameter list (and a field nobody declared).
    let fields: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("billingCode", None, b""),
        ("userEmail", None, b""),
        ("deviceCostCenterID", None, b"1694"),
        ("deviceGroupName", None, b"ExampleDeviceGroup"),
        ("scanDate", None, b"2021-02-17"),
        ("workflowName", None, b"Scan to fax"),
        ("scanTime", None, b"12-00-03-518"),
        ("userUsername", None, b"ls"),
        ("deviceID", None, b"265"),
        ("custom_MyPropertyName", None, b"MyPropertyValue"),
        ("scanJobID", None, job.as_bytes()),
        ("fileTypeFYkBZw7CcS9zKp", None, b"PDF"),
        ("file", Some("scan-0001.pdf"), pdf),
        ("attachment", Some("photo.jpg"), jpeg),
    ];
    let (ct, body) = common::multipart(&fields);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("scanner:scan-secret")
    );
    let r = s
        .send(
            Method::POST,
            "/scan",
            &[("content-type", ct.as_str()), ("authorization", &basic)],
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // 1. the folder
    let folder = dir.path().join("scans").join(job);
    assert_eq!(std::fs::read(folder.join("scan-0001.pdf")).unwrap(), pdf);
    assert_eq!(std::fs::read(folder.join("photo.jpg")).unwrap(), jpeg);
    let meta = std::fs::read_to_string(folder.join("scan.xml")).unwrap();
    assert!(
        meta.contains("<parameter name=\"custom_MyPropertyName\" value=\"MyPropertyValue\"/>"),
        "{meta}"
    );
    // 2. the e-mail, with both files
    let mails = common::smtp::read_maildir(&smtp.maildir);
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0]["subject"],
        format!("Scan {job} (Scan to fax) from device 265")
    );
    let parts = mails[0]["tree"]["parts"].as_array().unwrap();
    assert_eq!(parts[1]["filename"], "scan-0001.pdf");
    assert_eq!(common::smtp::data(&parts[1]), pdf);
    assert_eq!(parts[2]["filename"], "photo.jpg");
    assert_eq!(common::smtp::data(&parts[2]), jpeg);
    // 3. onward, the file base64 in the XML body
    let onward = received.lock().unwrap().clone();
    assert_eq!(onward.len(), 1);
    assert!(
        onward[0].contains(&format!(
            "<scan job=\"{job}\" date=\"2021-02-17\" user=\"ls\" workflow=\"Scan to fax\">"
        )),
        "{}",
        onward[0]
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(pdf);
    assert!(
        onward[0].contains(&format!("filename=\"scan-0001.pdf\">{b64}</file>")),
        "{}",
        onward[0]
    );

    // The same job again: nothing is overwritten
    let r = s
        .send(
            Method::POST,
            "/scan",
            &[("content-type", ct.as_str()), ("authorization", &basic)],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(folder.join("scan-0001-2.pdf").exists() && folder.join("scan-2.xml").exists());
    // A job id that climbs out of the base directory is refused with 400
    let (ct, bad) = common::multipart(&[
        ("scanJobID", None, b"../../etc"),
        ("file", Some("x.pdf"), pdf),
    ]);
    let r = s
        .send(
            Method::POST,
            "/scan",
            &[("content-type", ct.as_str()), ("authorization", &basic)],
            bad,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!dir.path().join("etc").exists());
    // Wrong credentials
    let r = s
        .send(
            Method::POST,
            "/scan",
            &[("content-type", "multipart/form-data; boundary=x")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
