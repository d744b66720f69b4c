//! `<authentication>` over HTTP: Basic (from an environment variable) or the hash, bearer, Standard Webhooks with
//! replay refusal, GitHub signatures; 401 with `WWW-Authenticate`.

mod common;

use base64::Engine as _;
use bytes::Bytes;
use common::TestServer;
use hmac::{Hmac, Mac};
use http::{Method, StatusCode};
use sha2::Sha256;

fn sign(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_authentication() {
    // Set before the fixture loads; no other test reads this variable.
    std::env::set_var("ENDPOINTS_TEST_BASIC_PASSWORD", "s3cret");
    let s = TestServer::fixture("auth").await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("login:s3cret")
    );
    let r = s
        .send(
            Method::POST,
            "/app/callback",
            &[("authorization", &basic)],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("login:nope")
    );
    let r = s
        .send(
            Method::POST,
            "/app/callback",
            &[("authorization", &wrong)],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"endpoints\", charset=\"UTF-8\"")
    );
    assert_eq!(r.text(), "Authentication failed\n");
    // <hash/> is listed too
    assert_eq!(
        s.get(&format!("/app/callback?hash={}", s.hash("callback", &[])))
            .await
            .status,
        StatusCode::CREATED
    );
    // The nearest <authentication> wins: bearer only
    let r = s
        .send(
            Method::GET,
            "/app/bearer-only",
            &[("authorization", "Bearer t0ken")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = s
        .send(
            Method::GET,
            "/app/bearer-only",
            &[("authorization", &basic)],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"endpoints\"")
    );
    let r = s
        .get(&format!(
            "/app/bearer-only?hash={}",
            s.hash("bearer-only", &[])
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the hash is not accepted where it is not listed"
    );
    // Endpoints without <authentication> still need the hash.
    assert_eq!(
        s.send(
            Method::GET,
            "/app/hashed",
            &[("authorization", &basic)],
            Bytes::new()
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    // Standard Webhooks over the exact body bytes; a replay is refused
    let secret = base64::engine::general_purpose::STANDARD
        .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap();
    let body = br#"{"type":"envelope.completed","id":"e-1"}"#;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let sig = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(sign(
            &secret,
            &[id.as_bytes(), b".", ts.as_bytes(), b".", body]
        ))
    );
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("webhook-id", id.as_str()),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", sig.as_str()),
    ];
    let r = s
        .send(
            Method::POST,
            "/app/standard",
            &headers,
            Bytes::from_static(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = s
        .send(
            Method::POST,
            "/app/standard",
            &headers,
            Bytes::from_static(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "replayed");
    let r = s
        .send(
            Method::POST,
            "/app/standard",
            &headers,
            Bytes::from_static(b"{\"tampered\":1}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // GitHub, with a form body whose parameters are still read after the signature check
    let form = b"action=opened&x=1";
    let gh = format!(
        "sha256={}",
        sign(b"It's a Secret to Everybody", &[form])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let r = s
        .send(
            Method::POST,
            "/app/github",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-hub-signature-256", gh.as_str()),
            ],
            Bytes::from_static(form),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = s
        .send(
            Method::POST,
            "/app/github",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-hub-signature-256", gh.as_str()),
            ],
            Bytes::from_static(b"action=closed&x=1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn authentication_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("endpoints.xml"),
        "<endpoint-folder>\n<endpoint name=\"a\"><authentication><basic username=\"u\" password-from-environment-variable=\"ENDPOINTS_TEST_UNSET_VARIABLE_XYZ\"/></authentication></endpoint>\n<endpoint name=\"b\"><authentication><hmac scheme=\"md5\" secret=\"x\"/><magic/></authentication></endpoint>\n<endpoint name=\"c\"><authentication/></endpoint>\n</endpoint-folder>",
    )
    .unwrap();
    let diags: Vec<String> =
        endpoints::config::check(dir.path(), &endpoints::config::LoadOptions::default())
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
            .collect();
    assert!(
        diags.contains(
            &"2:56: <basic>: environment variable 'ENDPOINTS_TEST_UNSET_VARIABLE_XYZ' is not set"
                .to_string()
        ),
        "{diags:?}"
    );
    assert!(
        diags.contains(
            &"3:42: <hmac scheme=\"md5\"> unknown: expected standard-webhooks or github"
                .to_string()
        ),
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("3:")
                && d.contains("Unexpected element <magic> in <authentication>")),
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("4:") && d.contains("<authentication> lists no method")),
        "{diags:?}"
    );
}
