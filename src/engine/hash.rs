//! The request hash, in one of two schemes ([`Scheme`]), chosen per application (`<hash-scheme>` in
//! `engine-settings.xml`) or for the server (`--hash-scheme`):
//!
//! * `openendpoints` (the default, the reference's format): lowercase hex SHA-256 of endpoint name + included
//!   parameter values + environment + secret key, concatenated **without separators**. The boundaries between the
//!   parts are not bound: the hash for `foo=abc, long=def` also accepts `foo=ab, long=cdef`, and the hash for
//!   endpoint `ab` with `p=X` is accepted on endpoint `a` with `p=bX`.
//! * `hmac-sha256`: lowercase hex HMAC-SHA-256 under the secret key of a length-prefixed encoding ([`message`]) of
//!   the endpoint name, the environment and each included value, so that every value is bound unambiguously.
//!
//! The values that are hashed are found by [`included_values`] (in `parameters.rs`), for the engine's check and for
//! `endpoints hash` ([`expected_hashes`]) alike.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use super::parameters::included_values;
use super::settings::Environment;
pub use super::settings::HashScheme as Scheme;
use crate::config::Endpoint;

/// The lowercase hex of a digest, on the stack.
fn hex(digest: &[u8; 32]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 64];
    for (pair, &b) in text.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    text
}

/// The hash a client must send for `endpoint` with these included values, under `key`, in the reference's
/// `openendpoints` scheme.
pub fn compute<S: AsRef<str>>(
    endpoint: &str,
    included: &[S],
    env: Environment,
    key: &str,
) -> String {
    compute_with(Scheme::OpenEndpoints, endpoint, included, env, key)
}

/// The `hmac-sha256` message: for the endpoint name, the environment and then each included value in order, the
/// part's length in bytes as an 8-byte big-endian number followed by its UTF-8 bytes.
pub fn message<S: AsRef<str>>(endpoint: &str, included: &[S], env: Environment) -> Vec<u8> {
    let parts = [endpoint, env.as_str()]
        .into_iter()
        .chain(included.iter().map(AsRef::as_ref));
    let mut m = Vec::new();
    for p in parts {
        m.extend_from_slice(&(p.len() as u64).to_be_bytes());
        m.extend_from_slice(p.as_bytes());
    }
    m
}

/// The hash a client must send under `scheme`.
pub fn compute_with<S: AsRef<str>>(
    scheme: Scheme,
    endpoint: &str,
    included: &[S],
    env: Environment,
    key: &str,
) -> String {
    hex(&digest(scheme, endpoint, included, env, key))
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// The 32 bytes of the hash under `scheme` (their lowercase hex is what the client sends).
fn digest<S: AsRef<str>>(
    scheme: Scheme,
    endpoint: &str,
    included: &[S],
    env: Environment,
    key: &str,
) -> [u8; 32] {
    match scheme {
        Scheme::OpenEndpoints => {
            let mut h = Sha256::new();
            h.update(endpoint.as_bytes());
            for v in included {
                h.update(v.as_ref().as_bytes());
            }
            h.update(env.as_str().as_bytes());
            h.update(key.as_bytes());
            h.finalize().into()
        }
        Scheme::HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
                .expect("HMAC takes any key length");
            mac.update(&message(endpoint, included, env));
            mac.finalize().into_bytes().into()
        }
    }
}

/// Whether `supplied` (hex, any case) matches the hash under `scheme` and any of `keys`. Every key is compared, in
/// constant time (the supplied text is lowercased and compared byte by byte without branching on its content; only
/// its length, which the client knows, decides early).
pub fn matches_with<S: AsRef<str>>(
    scheme: Scheme,
    supplied: &str,
    endpoint: &str,
    included: &[S],
    env: Environment,
    keys: &[Box<str>],
) -> bool {
    let supplied = supplied.as_bytes();
    let mut ok = subtle::Choice::from(0u8);
    for key in keys {
        let text = hex(&digest(scheme, endpoint, included, env, key));
        let same = if supplied.len() == text.len() {
            let mut diff = 0u8;
            for (&s, &t) in supplied.iter().zip(&text) {
                diff |= s.to_ascii_lowercase() ^ t;
            }
            diff.ct_eq(&0)
        } else {
            subtle::Choice::from(0u8)
        };
        ok |= same;
    }
    ok.into()
}

/// The hashes a client must send to `endpoint` with the name/value `pairs` it sends (the values found by
/// [`included_values`]), one for each of `keys`, under `scheme`: what `endpoints hash` prints. `Err(name)` names an
/// included parameter without a value or a default.
pub fn expected_hashes<'e>(
    scheme: Scheme,
    endpoint: &'e Endpoint,
    pairs: &[(String, String)],
    env: Environment,
    keys: &[Box<str>],
) -> Result<Vec<String>, &'e str> {
    let included = included_values(endpoint, pairs)?;
    Ok(keys
        .iter()
        .map(|k| compute_with(scheme, &endpoint.name, &included, env, k))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`matches_with`] in the `openendpoints` scheme for endpoint `endpoint`.
    fn matches(supplied: &str, v: &[&str], env: Environment, keys: &[Box<str>]) -> bool {
        matches_with(Scheme::OpenEndpoints, supplied, "endpoint", v, env, keys)
    }

    #[test]
    fn reference_vectors() {
        // The reference's documented examples: live and preview.
        assert_eq!(
            compute(
                "helloworld",
                &["abc", "def"],
                Environment::Live,
                "openendpoints"
            ),
            "82bb6e7f675a8d872688cb593a64f615b37f88478d7fed8705496d3e7a1c2699"
        );
        assert_eq!(
            compute(
                "helloworld",
                &["abc", "def"],
                Environment::Preview,
                "openendpoints"
            ),
            "4afcbe21891e5be6762f495958659a25950a83e7c52f13594cbebe43cfdd9bf4"
        );
        assert_eq!(
            compute::<&str>("helloworld", &[], Environment::Live, "openendpoints"),
            "d65dd36ef3812d3ae85993c60a411c29ea539b9cc99424b232c32801e80fad47"
        );
        let keys: Vec<Box<str>> = vec!["key1".into(), "key2".into()];
        let v = ["foovalue", "barvalue"];
        assert!(matches(
            "c0fe67cb66cc0c7b84ba61a03e26e1f56c91d90a1fc456096c2fbce15c12ff04",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(matches(
            "83F40769F4EEDCC2584D69C4D093837B56B033087CDE65636748171E2FB8223F",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(!matches("83f40769", &v, Environment::Live, &keys));
        assert!(!matches("", &v, Environment::Live, &keys));
    }

    #[test]
    fn every_byte_counts_and_every_key_is_tried() {
        let keys: Vec<Box<str>> = vec!["key1".into(), "key2".into()];
        let v = ["foovalue", "barvalue"];
        let good = "83f40769f4eedcc2584d69c4d093837b56b033087cde65636748171e2fb8223f";
        assert!(matches(good, &v, Environment::Live, &keys));
        // One character changed at the start, the middle or the end; one missing; one more.
        for i in [0, 31, 63] {
            let mut bad = good.as_bytes().to_vec();
            bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
            let bad = String::from_utf8(bad).unwrap();
            assert!(!matches(&bad, &v, Environment::Live, &keys), "{i}");
        }
        assert!(!matches(&good[..63], &v, Environment::Live, &keys));
        assert!(!matches(&format!("{good}0"), &v, Environment::Live, &keys));
        // Not the key itself, nor the hash under another environment.
        assert!(!matches("key2", &v, Environment::Live, &keys));
        assert!(!matches(good, &v, Environment::Preview, &keys));
    }

    #[test]
    fn the_reference_scheme_does_not_bind_boundaries_and_hmac_does() {
        let k = "k";
        let a = compute("helloworld", &["abc", "def"], Environment::Live, k);
        assert_eq!(
            a,
            compute("helloworld", &["ab", "cdef"], Environment::Live, k)
        );
        assert_eq!(
            compute("ab", &["X"], Environment::Live, k),
            compute("a", &["bX"], Environment::Live, k)
        );
        let h = |e: &str, v: &[&str]| compute_with(Scheme::HmacSha256, e, v, Environment::Live, k);
        assert_ne!(
            h("helloworld", &["abc", "def"]),
            h("helloworld", &["ab", "cdef"])
        );
        assert_ne!(h("ab", &["X"]), h("a", &["bX"]));
        assert_ne!(h("a", &["", "b"]), h("a", &["b", ""]));
        assert_ne!(
            h("a", &["x"]),
            compute_with(Scheme::HmacSha256, "a", &["x"], Environment::Preview, k)
        );
        // The documented encoding.
        assert_eq!(
            message("e", &["v"], Environment::Live),
            b"\0\0\0\0\0\0\0\x01e\0\0\0\0\0\0\0\x04live\0\0\0\0\0\0\0\x01v".to_vec()
        );
        // Computed independently (Python's hmac module over the same encoding).
        assert_eq!(
            compute_with(
                Scheme::HmacSha256,
                "helloworld",
                &["abc", "def"],
                Environment::Live,
                "openendpoints"
            ),
            "01ddaaf0aba2ff0e3fbc7733e4f93d517a058b6ba75ef239e94dd2db6d8d8a85"
        );
        let keys: Vec<Box<str>> = vec!["k1".into(), "k".into()];
        assert!(matches_with(
            Scheme::HmacSha256,
            &h("a", &["x"]).to_uppercase(),
            "a",
            &["x"],
            Environment::Live,
            &keys
        ));
        assert!(!matches_with(
            Scheme::OpenEndpoints,
            &h("a", &["x"]),
            "a",
            &["x"],
            Environment::Live,
            &keys
        ));
        assert_eq!(Scheme::parse(" hmac-sha256 "), Some(Scheme::HmacSha256));
        assert_eq!(Scheme::parse("sha1"), None);
    }
}
