//! `endpoints init DIR`: writes a small working application into a new (or empty) directory — a form page that
//! posts to an endpoint, a thank-you page, a redirect with an allowlist and a JSON endpoint — with a freshly
//! generated secret key, checks that it loads, and prints how to serve and call it with ready hashes.
//!
//! The files are the templates in `init/`; `{{…}}` marks the values filled in here: the key and the hashes the form
//! page carries.

use std::path::Path;
use std::process::ExitCode;

use sha2::{Digest, Sha256};

use endpoints::config::{self, LoadOptions};
use endpoints::engine::{hash, Environment};

use super::common::print_diagnostics;

/// The hash scheme pinned by the template's `engine-settings.xml`.
const SCHEME: hash::Scheme = hash::Scheme::HmacSha256;
/// Where the printed commands expect the server (`endpoints serve`'s default `--listen`).
const BASE: &str = "http://127.0.0.1:8080";
/// The redirect target of the printed example; its prefix is on the template's allowlist.
const GO_TO: &str = "https://example.com/welcome";
/// The redirect target of the form page's link.
const FORM_GO_TO: &str = "https://example.com/";

/// What a query value escapes: everything but the unreserved characters of RFC 3986.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// (path below DIR, template).
const FILES: &[(&str, &str)] = &[
    ("endpoints.xml", include_str!("init/endpoints.xml")),
    ("security.xml", include_str!("init/security.xml")),
    (
        "engine-settings.xml",
        include_str!("init/engine-settings.xml"),
    ),
    ("static/form.html", include_str!("init/form.html")),
    ("static/thank-you.html", include_str!("init/thank-you.html")),
    (
        "data-sources/hello.xml",
        include_str!("init/hello-data-source.xml"),
    ),
    (
        "transformers/hello-json.xml",
        include_str!("init/hello-transformer.xml"),
    ),
    ("data-source-xslt/hello.xsl", include_str!("init/hello.xsl")),
];

pub fn init(dir: &Path) -> ExitCode {
    if let Err(e) = make_empty_dir(dir) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let key = secret_key();
    let h = |endpoint: &str, included: &[&str]| {
        hash::compute_with(SCHEME, endpoint, included, Environment::Live, &key)
    };
    let (form, submit, hello) = (h("form", &[]), h("submit", &[]), h("hello", &[]));
    let (go, form_go) = (h("go", &[GO_TO]), h("go", &[FORM_GO_TO]));
    for (path, template) in FILES {
        let text = template
            .replace("{{SECRET_KEY}}", &key)
            .replace("{{SUBMIT_HASH}}", &submit)
            .replace("{{HELLO_HASH}}", &hello)
            .replace("{{GO_HASH}}", &form_go);
        let target = dir.join(path);
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&target, text));
        if let Err(e) = written {
            eprintln!("cannot write '{}': {e}", target.display());
            return ExitCode::FAILURE;
        }
    }
    // What was written must load as `endpoints check` and `endpoints serve` load it.
    let diags = config::check(dir, &LoadOptions::default());
    if print_diagnostics(&diags) > 0 {
        eprintln!(
            "the new application in '{}' does not load (a bug of endpoints init)",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let d = shell_word(&dir.display().to_string());
    let to = percent_encoding::utf8_percent_encode(GO_TO, QUERY_VALUE);
    println!(
        "A new application is in {dir}: endpoints.xml (the endpoints), security.xml (its secret key, generated just \
now: keep it secret), static/ (the pages), data-sources/, transformers/ and data-source-xslt/ (the JSON endpoint).

Next steps:

  endpoints check {d}        # every configuration problem with its file, line and column
  endpoints serve {d}        # serves it on {BASE} (from a checkout: cargo run --release -- serve {d})

Then, in another terminal (the hashes are computed with the new key; `endpoints hash {d} ENDPOINT [NAME=VALUE…]`
prints others):

  # the form page; open it in a browser: {BASE}/form?hash={form}
  curl -i '{BASE}/form?hash={form}'
  # what the form sends: 200 and the thank-you page
  curl -i -d 'name=Ann&email=ann%40example.com&hash={submit}' {BASE}/submit
  # JSON: {{\"greeting\": \"Hello, Ann!\", \"name\": \"Ann\"}}
  curl -i '{BASE}/hello?name=Ann&hash={hello}'
  # 302 to {GO_TO} (allowed by the list in endpoints.xml; `to` is part of the hash)
  curl -i '{BASE}/go?to={to}&hash={go}'

The format is OpenEndpoints' (https://openendpoints.io); the README of endpoints describes what this engine reads.",
        dir = dir.display()
    );
    ExitCode::SUCCESS
}

/// Creates `dir` (and its parents) or accepts an existing empty directory; anything else is refused.
fn make_empty_dir(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "'{}' is not empty: endpoints init writes a new application only into a new or empty directory \
                     (choose another DIR)",
                    dir.display()
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create '{}': {e}", dir.display())),
        Err(e) if dir.exists() && !dir.is_dir() => Err(format!(
            "'{}' is not a directory ({e}): choose another DIR",
            dir.display()
        )),
        Err(e) => Err(format!("cannot read '{}': {e}", dir.display())),
    }
}

/// 32 random bytes as 64 hex digits: SHA-256 over three version-4 UUIDs (366 bits from the operating system's
/// random source, through `uuid`).
fn secret_key() -> String {
    let mut h = Sha256::new();
    for _ in 0..3 {
        h.update(uuid::Uuid::new_v4().as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `word` as one shell word: as it is when it holds only safe characters, else in single quotes.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_new_each_time() {
        let (a, b) = (secret_key(), secret_key());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("demo/app-1"), "demo/app-1");
        assert_eq!(shell_word("my app"), "'my app'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
