//! Checking `<authentication>` (see `config::model::auth`): HTTP Basic, bearer tokens, and HMAC signatures over the raw
//! body (Standard Webhooks with a replay window and duplicate-id rejection, GitHub's `X-Hub-Signature-256`). Every
//! comparison is constant-time.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::model::auth::Method;

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Constant-time equality of a supplied value and a secret. `subtle` compares every byte, but returns early when the
/// lengths differ; comparing SHA-256 digests (always 32 bytes) hides the secret's length as well, so the time taken
/// depends on neither where the values differ nor how long the secret is.
fn ct_eq(supplied: &[u8], secret: &[u8]) -> bool {
    let a = Sha256::digest(supplied);
    let b = Sha256::digest(secret);
    a.as_slice().ct_eq(b.as_slice()).into()
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The credentials of an `Authorization` header with `scheme` (compared without regard to case, RFC 7235),
/// separated from it by spaces.
fn credentials<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let v = header(headers, "authorization")?.trim_start();
    let (s, rest) = v.split_at_checked(scheme.len())?;
    if !s.eq_ignore_ascii_case(scheme) || !rest.starts_with(' ') {
        return None;
    }
    Some(rest.trim_start_matches(' '))
}

pub fn basic(headers: &HeaderMap, username: &str, password: &str) -> bool {
    let Some(v) = credentials(headers, "Basic") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(v.trim()) else {
        return false;
    };
    let expected = format!("{username}:{password}");
    ct_eq(&decoded, expected.as_bytes())
}

pub fn bearer(headers: &HeaderMap, token: &str) -> bool {
    credentials(headers, "Bearer").is_some_and(|t| ct_eq(t.trim().as_bytes(), token.as_bytes()))
}

pub fn github(headers: &HeaderMap, body: &[u8], secret: &[u8]) -> bool {
    let Some(sig) = header(headers, "x-hub-signature-256").and_then(|v| v.strip_prefix("sha256="))
    else {
        return false;
    };
    let expected: String = hmac_sha256(secret, &[body])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ct_eq(sig.to_ascii_lowercase().as_bytes(), expected.as_bytes())
}

/// Message ids seen within the replay window, with when they were seen.
fn seen_ids() -> &'static Mutex<HashMap<String, Instant>> {
    static SEEN: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Standard Webhooks: `webhook-signature` holds `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` entries;
/// the timestamp must be within the tolerance and the id not seen before (in this process).
pub fn standard_webhooks(
    headers: &HeaderMap,
    body: &[u8],
    secret: &[u8],
    tolerance_seconds: u64,
    now: SystemTime,
) -> bool {
    let (Some(id), Some(ts), Some(sigs)) = (
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp"),
        header(headers, "webhook-signature"),
    ) else {
        return false;
    };
    let Ok(t) = ts.trim().parse::<u64>() else {
        return false;
    };
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now_secs.abs_diff(t) > tolerance_seconds {
        return false;
    }
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
        secret,
        &[id.as_bytes(), b".", ts.trim().as_bytes(), b".", body],
    ));
    let valid = sigs
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .fold(false, |acc, s| {
            acc | ct_eq(s.as_bytes(), expected.as_bytes())
        });
    if !valid {
        return false;
    }
    // A replayed message (same id within the window) is refused.
    let mut seen = seen_ids().lock().unwrap_or_else(|p| p.into_inner());
    let window = Duration::from_secs(tolerance_seconds * 2);
    seen.retain(|_, at| at.elapsed() < window);
    if seen.contains_key(id) {
        return false;
    }
    seen.insert(id.to_string(), Instant::now());
    true
}

/// Whether `method` accepts the request (the hash method is checked by the caller).
pub fn accepts(method: &Method, headers: &HeaderMap, body: &[u8]) -> bool {
    match method {
        Method::Hash => false,
        Method::Basic { username, password } => basic(headers, username, password),
        Method::Bearer { token } => bearer(headers, token),
        Method::GitHub { secret } => github(headers, body, secret),
        Method::StandardWebhooks {
            secret,
            tolerance_seconds,
        } => standard_webhooks(headers, body, secret, *tolerance_seconds, SystemTime::now()),
    }
}

/// The `WWW-Authenticate` challenge for a refused request.
pub fn challenge(methods: &[Method]) -> Option<&'static str> {
    if methods.iter().any(|m| matches!(m, Method::Basic { .. })) {
        Some("Basic realm=\"endpoints\", charset=\"UTF-8\"")
    } else if methods.iter().any(|m| matches!(m, Method::Bearer { .. })) {
        Some("Bearer realm=\"endpoints\"")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification.
        let secret = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let body = br#"{"test": 2432232314}"#;
        let headers = h(&[
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            (
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
        ]);
        let at = UNIX_EPOCH + Duration::from_secs(1_614_265_330 + 10);
        assert!(standard_webhooks(&headers, body, &secret, 300, at));
        assert!(
            !standard_webhooks(&headers, body, &secret, 300, at),
            "a replay is refused"
        );
        let late = UNIX_EPOCH + Duration::from_secs(1_614_265_330 + 301);
        let other = h(&[
            ("webhook-id", "msg_other"),
            ("webhook-timestamp", "1614265330"),
            (
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
        ]);
        assert!(!standard_webhooks(&other, body, &secret, 300, late));
        assert!(!standard_webhooks(&other, b"tampered", &secret, 300, at));
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"t0ken", b"t0ken"));
        assert!(ct_eq(b"", b""));
        for other in [&b"t0kem"[..], b"u0ken", b"t0ke", b"t0ken ", b"", b"T0KEN"] {
            assert!(!ct_eq(other, b"t0ken"), "{other:?}");
            assert!(!ct_eq(b"t0ken", other), "{other:?}");
        }
        // A token that the secret is a prefix of, or that is a prefix of the secret, is refused.
        assert!(!bearer(&h(&[("authorization", "Bearer t0ke")]), "t0ken"));
        assert!(!bearer(&h(&[("authorization", "Bearer t0kenX")]), "t0ken"));
        assert!(!basic(
            &h(&[("authorization", "Basic bG9naW46c2VjcmU=")]),
            "login",
            "secret"
        ));
    }

    #[test]
    fn basic_bearer_github() {
        assert!(basic(
            &h(&[("authorization", "Basic bG9naW46c2VjcmV0")]),
            "login",
            "secret"
        ));
        assert!(!basic(
            &h(&[("authorization", "Basic bG9naW46c2VjcmV1")]),
            "login",
            "secret"
        ));
        assert!(bearer(&h(&[("authorization", "Bearer abc")]), "abc"));
        assert!(!bearer(&h(&[("authorization", "Bearer abd")]), "abc"));
        // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!"
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(github(
            &h(&[("x-hub-signature-256", sig)]),
            b"Hello, World!",
            b"It's a Secret to Everybody"
        ));
        assert!(!github(
            &h(&[("x-hub-signature-256", sig)]),
            b"Hello, World?",
            b"It's a Secret to Everybody"
        ));
    }
}
