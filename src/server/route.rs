//! Where a request path leads: `/{application}/{endpoint}` or `/{endpoint}`.

/// Splits `/{application}/{endpoint}` or `/{endpoint}`; each segment must be `[\w-]+`.
pub fn route(path: &str) -> Option<(Option<&str>, &str)> {
    let rest = path.strip_prefix('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match rest.split_once('/') {
        None if ok(rest) => Some((None, rest)),
        Some((a, e)) if ok(a) && ok(e) => Some((Some(a), e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn routes() {
        assert_eq!(route("/app/plain"), Some((Some("app"), "plain")));
        assert_eq!(route("/plain"), Some((None, "plain")));
        assert_eq!(route("/app"), Some((None, "app")));
        assert_eq!(route("/app/helloworld/"), None);
        assert_eq!(route("/app/hello.world"), None);
        assert_eq!(route("/"), None);
        assert_eq!(route("/a/b/c"), None);
        assert_eq!(route("/%2e%2e/etc"), None);
        assert_eq!(route("/../etc/passwd"), None);
    }
}
