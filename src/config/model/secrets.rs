//! The secrets an application holds (the `<secret-key>`s, Basic passwords and bearer tokens of
//! `<authentication>`, HMAC secrets, passwords of outgoing HTTP requests, database and SMTP passwords), gathered at
//! load so that they can be removed from everything the engine stores about a request (the request log with its
//! debug documents and captures).
//!
//! Each secret is looked for in the forms in which it may appear in stored text: as written, XML-escaped,
//! percent-encoded (as in a form body or URL) and JSON-escaped. Every occurrence becomes [`REDACTED`].

use crate::convert::escape::{escape_into, Escape};
use std::borrow::Cow;

/// What a removed secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// The configured secrets of one application, ready to be removed from text.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Every form of every secret, longest first.
    count: usize,
    text: Option<regex::Regex>,
    bytes: Option<regex::bytes::Regex>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms)", self.count)
    }
}

/// The forms in which `secret` may appear in stored text.
fn forms(secret: &str, out: &mut Vec<String>) {
    out.push(secret.to_string());
    let mut xml = String::new();
    escape_into(secret, Escape::AnyQuotes, &mut xml);
    out.push(xml.replace("&apos;", "'"));
    out.push(xml.replace("&quot;", "\""));
    out.push(xml);
    out.push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    out.push(
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    if let Ok(json) = serde_json::to_string(secret) {
        out.push(json[1..json.len() - 1].to_string());
    }
}

impl Secrets {
    /// The secrets `values` (empty ones are ignored).
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Secrets {
        let mut all = Vec::new();
        for v in values {
            let v = v.as_ref();
            if !v.is_empty() {
                forms(v, &mut all);
            }
        }
        all.retain(|f| !f.is_empty());
        // Longest first, so that a secret containing another one is removed whole.
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        if all.is_empty() {
            return Secrets::default();
        }
        let pattern = all
            .iter()
            .map(|f| regex::escape(f))
            .collect::<Vec<_>>()
            .join("|");
        let build = |size: usize| {
            let text = regex::RegexBuilder::new(&pattern)
                .size_limit(size)
                .build()
                .ok()?;
            let bytes = regex::bytes::RegexBuilder::new(&pattern)
                .size_limit(size)
                .build()
                .ok()?;
            Some((text, bytes))
        };
        // Thousands of secrets would exceed the default size limit; nothing configured must stay unredacted.
        let (text, bytes) = build(1 << 24)
            .or_else(|| build(1 << 28))
            .expect("escaped literals always compile");
        Secrets {
            count: all.len(),
            text: Some(text),
            bytes: Some(bytes),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_none()
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.text {
            Some(re) => re.replace_all(text, REDACTED),
            None => Cow::Borrowed(text),
        }
    }

    /// `bytes` (a request body) with every secret replaced by [`REDACTED`].
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.bytes {
            Some(re) => re.replace_all(bytes, REDACTED.as_bytes()),
            None => Cow::Borrowed(bytes),
        }
    }
}

/// The literal parts of a configured value that may hold `${…}` placeholders: the value itself when it has none;
/// otherwise the text between placeholders (parts shorter than 4 characters are left out: they would remove
/// ordinary text everywhere).
pub fn literal_parts(value: &str) -> Vec<String> {
    if !value.contains("${") {
        return vec![value.to_string()];
    }
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push(rest[..start].to_string());
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push(rest.to_string());
    out.retain(|p| p.chars().count() >= 4);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_redacted() {
        let s = Secrets::new(["p&ss w\"rd", "", "k3y-ABCDEF"]);
        assert_eq!(s.redact("a p&ss w\"rd b"), "a [redacted] b");
        assert_eq!(
            s.redact("<x v=\"p&amp;ss w&quot;rd\"/>"),
            "<x v=\"[redacted]\"/>"
        );
        assert_eq!(s.redact("<x>p&amp;ss w\"rd</x>"), "<x>[redacted]</x>");
        assert_eq!(s.redact("a=p%26ss+w%22rd&b"), "a=[redacted]&b");
        assert_eq!(s.redact("a=p%26ss%20w%22rd&b"), "a=[redacted]&b");
        assert_eq!(
            s.redact("{\"a\":\"p&ss w\\\"rd\"}"),
            "{\"a\":\"[redacted]\"}"
        );
        assert_eq!(s.redact("k3y-ABCDEFk3y-ABCDEF"), "[redacted][redacted]");
        assert_eq!(
            s.redact_bytes(b"\xff k3y-ABCDEF \xfe").as_ref(),
            b"\xff [redacted] \xfe"
        );
        assert_eq!(s.redact("nothing here"), "nothing here");
        let u = Secrets::new(["pässwört-東京"]);
        assert_eq!(u.redact("a pässwört-東京 b"), "a [redacted] b");
        assert_eq!(
            u.redact("a=p%C3%A4ssw%C3%B6rt-%E6%9D%B1%E4%BA%AC"),
            "a=[redacted]"
        );
        assert_eq!(
            u.redact_bytes("\u{0}pässwört-東京\u{0}".as_bytes())
                .as_ref(),
            b"\0[redacted]\0"
        );
        assert!(Secrets::new(Vec::<String>::new()).is_empty());
        assert_eq!(Secrets::new([""]).redact("x"), "x");
        // Longest first: a secret that contains another one goes whole.
        let s = Secrets::new(["abcd", "xxabcdxx"]);
        assert_eq!(s.redact("1 xxabcdxx 2 abcd"), "1 [redacted] 2 [redacted]");
    }

    #[test]
    fn placeholders_leave_the_literal_parts() {
        assert_eq!(literal_parts("plain"), ["plain"]);
        assert_eq!(literal_parts("pre-${x}-middle${y}z"), ["pre-", "-middle"]);
        assert_eq!(literal_parts("${x}"), Vec::<String>::new());
    }
}
