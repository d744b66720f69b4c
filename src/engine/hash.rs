//! The request hash: lowercase hex SHA-256 of endpoint name + included parameter values + environment + secret key.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Environment;

/// The hash a client must send for `endpoint` with these included values, under `key`.
pub fn compute<S: AsRef<str>>(
    endpoint: &str,
    included: &[S],
    env: Environment,
    key: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(endpoint.as_bytes());
    for v in included {
        h.update(v.as_ref().as_bytes());
    }
    h.update(env.as_str().as_bytes());
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// Whether `supplied` (hex, any case) matches the hash under any of `keys`. Every key is compared, in constant time.
pub fn matches<S: AsRef<str>>(
    supplied: &str,
    endpoint: &str,
    included: &[S],
    env: Environment,
    keys: &[Box<str>],
) -> bool {
    let supplied = supplied.to_ascii_lowercase();
    let mut ok = subtle::Choice::from(0u8);
    for key in keys {
        let expected = compute(endpoint, included, env, key);
        ok |= expected.as_bytes().ct_eq(supplied.as_bytes());
    }
    ok.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        // §3.6 and TV-01/02
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
        // TV-08
        assert_eq!(
            compute::<&str>("helloworld", &[], Environment::Live, "openendpoints"),
            "d65dd36ef3812d3ae85993c60a411c29ea539b9cc99424b232c32801e80fad47"
        );
        // TV-07
        let keys: Vec<Box<str>> = vec!["key1".into(), "key2".into()];
        let v = ["foovalue", "barvalue"];
        assert!(matches(
            "c0fe67cb66cc0c7b84ba61a03e26e1f56c91d90a1fc456096c2fbce15c12ff04",
            "endpoint",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(matches(
            "83F40769F4EEDCC2584D69C4D093837B56B033087CDE65636748171E2FB8223F",
            "endpoint",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(!matches(
            "83f40769",
            "endpoint",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(!matches("", "endpoint", &v, Environment::Live, &keys));
    }

    #[test]
    fn every_byte_counts_and_every_key_is_tried() {
        let keys: Vec<Box<str>> = vec!["key1".into(), "key2".into()];
        let v = ["foovalue", "barvalue"];
        let good = "83f40769f4eedcc2584d69c4d093837b56b033087cde65636748171e2fb8223f";
        assert!(matches(good, "endpoint", &v, Environment::Live, &keys));
        // One character changed at the start, the middle or the end; one missing; one more.
        for i in [0, 31, 63] {
            let mut bad = good.as_bytes().to_vec();
            bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
            let bad = String::from_utf8(bad).unwrap();
            assert!(
                !matches(&bad, "endpoint", &v, Environment::Live, &keys),
                "{i}"
            );
        }
        assert!(!matches(
            &good[..63],
            "endpoint",
            &v,
            Environment::Live,
            &keys
        ));
        assert!(!matches(
            &format!("{good}0"),
            "endpoint",
            &v,
            Environment::Live,
            &keys
        ));
        // Not the key itself, nor the hash under another environment.
        assert!(!matches("key2", "endpoint", &v, Environment::Live, &keys));
        assert!(!matches(good, "endpoint", &v, Environment::Preview, &keys));
    }
}
