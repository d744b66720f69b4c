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
