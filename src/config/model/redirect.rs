//! `<redirect-to>` with its `<redirect-prefix-whitelist-entry>`s: the compiled redirect, the checks the loader runs
//! on it, and the `Location` it answers with at request time (length, control characters, whitelist, absolute URL).

use http::{HeaderValue, StatusCode};

use super::template::Template;

/// Longest `Location` a redirect may answer with.
pub const MAX_LOCATION_BYTES: usize = 8192;

#[derive(Debug)]
pub struct Redirect {
    pub url: Template,
    pub whitelist: Vec<String>,
}

/// Why an expanded redirect URL cannot be answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("Redirect URL is longer than {MAX_LOCATION_BYTES} bytes")]
    TooLong,
    #[error("Redirect URL contains a control character (such as CR or LF)")]
    ControlCharacter,
    #[error("Redirect URL '{0}' is not in whitelist")]
    NotInWhitelist(String),
    #[error("Redirect URL '{0}' is not an absolute URL")]
    NotAbsolute(String),
}

impl RedirectError {
    /// Whether the request is at fault (a bad request); otherwise the configuration is (an internal error).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, RedirectError::NotAbsolute(_))
    }
}

impl Redirect {
    /// The `Location` of this redirect: the URL expanded with the request's values, then checked.
    pub fn location<S: AsRef<str>>(&self, values: &[S]) -> Result<String, RedirectError> {
        self.check_location(self.url.expand(values))
    }

    /// Checks an expanded URL: at most [`MAX_LOCATION_BYTES`], no control character, starting with a whitelist
    /// entry (when there are any), absolute and usable as a header value.
    pub fn check_location(&self, url: String) -> Result<String, RedirectError> {
        if url.len() > MAX_LOCATION_BYTES {
            return Err(RedirectError::TooLong);
        }
        if url.chars().any(char::is_control) {
            return Err(RedirectError::ControlCharacter);
        }
        if !self.whitelist.is_empty() && !self.whitelist.iter().any(|w| url.starts_with(w.as_str()))
        {
            return Err(RedirectError::NotInWhitelist(url));
        }
        if !is_absolute_url(&url) || HeaderValue::from_str(&url).is_err() {
            return Err(RedirectError::NotAbsolute(url));
        }
        Ok(url)
    }
}

/// Whether `url` starts with a scheme (`[A-Za-z][A-Za-z0-9+.-]*:`).
fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `https://host/` or `mailto:x` fully literal up to the path.
fn has_scheme_and_host(prefix: &str) -> bool {
    if !has_scheme(prefix) {
        return false;
    }
    match prefix.split_once("://") {
        Some((_, rest)) => rest.contains('/'),
        None => true,
    }
}

/// A scheme, and for `http`, `https` and `ftp` a host after `//`; for other schemes anything after the colon.
pub fn is_absolute_url(url: &str) -> bool {
    if !has_scheme(url) {
        return false;
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" | "ftp" => rest.starts_with("//") && rest.len() > 2,
        _ => !rest.is_empty(),
    }
}

/// The statuses a redirect may answer with.
pub fn is_redirect_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// A mistake in a redirect's configuration, found at load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectProblem {
    #[error("status=\"{0}\" on a redirect must be one of 301, 302, 303, 307, 308")]
    Status(u16),
    #[error("<redirect-prefix-whitelist-entry> is empty")]
    EmptyEntry,
    #[error("<redirect-prefix-whitelist-entry>{0}</…> has no '/' after the host, so it also allows '{0}.evil.example'; end it with '/'")]
    EntryWithoutPath(String),
    #[error("<redirect-to> '{0}' is not an absolute URL (it needs a scheme such as https://)")]
    NotAbsolute(String),
    #[error("<redirect-to> '{0}' takes its host from a parameter and has no <redirect-prefix-whitelist-entry>: anyone can use it to redirect elsewhere (open redirect)")]
    OpenRedirect(String),
}

impl RedirectProblem {
    /// Errors refuse the application; the others are warnings.
    pub fn is_error(&self) -> bool {
        !matches!(
            self,
            RedirectProblem::EntryWithoutPath(_) | RedirectProblem::OpenRedirect(_)
        )
    }
}

/// The `status="…"` of a `<success>` or `<error>` that redirects.
pub fn check_status(status: StatusCode) -> Result<(), RedirectProblem> {
    if is_redirect_status(status) {
        Ok(())
    } else {
        Err(RedirectProblem::Status(status.as_u16()))
    }
}

/// One `<redirect-prefix-whitelist-entry>` (trimmed): `Err` when it is empty (an error) or has no `/` after the
/// host (a warning; the entry is still used).
pub fn check_whitelist_entry(entry: &str) -> Result<(), RedirectProblem> {
    if entry.is_empty() {
        return Err(RedirectProblem::EmptyEntry);
    }
    if let Some((_, rest)) = entry.split_once("://") {
        if !rest.contains('/') {
            return Err(RedirectProblem::EntryWithoutPath(entry.to_string()));
        }
    }
    Ok(())
}

/// The `<redirect-to>` URL (`url_text` as written, trimmed) against the whitelist: a literal URL must be absolute;
/// a URL whose host comes from a parameter needs a whitelist entry (else an open-redirect warning).
pub fn check_target(
    url: &Template,
    url_text: &str,
    whitelist: &[String],
) -> Result<(), RedirectProblem> {
    if !url.has_placeholders() && !has_scheme(url_text) {
        Err(RedirectProblem::NotAbsolute(url_text.to_string()))
    } else if whitelist.is_empty() && !has_scheme_and_host(url.literal_prefix()) {
        Err(RedirectProblem::OpenRedirect(url_text.to_string()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::template::Scope;

    fn redirect(url: &str, whitelist: &[&str]) -> Redirect {
        let scope = Scope::new(["to"]);
        Redirect {
            url: Template::compile(url, &scope).unwrap(),
            whitelist: whitelist.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn absolute_urls() {
        assert!(is_absolute_url("https://shop.example/thanks?id=7"));
        assert!(is_absolute_url("mailto:a@b.example"));
        assert!(!is_absolute_url("/relative"));
        assert!(!is_absolute_url("https:"));
        assert!(!is_absolute_url("https://"));
        assert!(!is_absolute_url("relative/path"));
        assert!(!is_absolute_url("1http://x"));
    }

    #[test]
    fn locations() {
        let r = redirect("${to}", &[]);
        assert_eq!(
            r.location(&["https://shop.example/a"]).unwrap(),
            "https://shop.example/a"
        );
        let long = format!("https://shop.example/{}", "a".repeat(MAX_LOCATION_BYTES));
        let e = r.location(&[long]).unwrap_err();
        assert_eq!(e, RedirectError::TooLong);
        assert_eq!(e.to_string(), "Redirect URL is longer than 8192 bytes");
        assert!(e.is_client_error());

        let e = r
            .location(&["https://shop.example/a\r\nSet-Cookie: x"])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Redirect URL contains a control character (such as CR or LF)"
        );
        assert!(e.is_client_error());

        let e = r.location(&["/relative"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Redirect URL '/relative' is not an absolute URL"
        );
        assert!(!e.is_client_error());

        let w = redirect("${to}", &["https://shop.example/"]);
        assert!(w.location(&["https://shop.example/x"]).is_ok());
        let e = w.location(&["https://evil.example/x"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Redirect URL 'https://evil.example/x' is not in whitelist"
        );
        assert!(e.is_client_error());
    }

    #[test]
    fn load_checks() {
        assert!(check_status(StatusCode::SEE_OTHER).is_ok());
        let e = check_status(StatusCode::OK).unwrap_err();
        assert!(e.is_error());
        assert_eq!(
            e.to_string(),
            "status=\"200\" on a redirect must be one of 301, 302, 303, 307, 308"
        );
        assert!(check_whitelist_entry("https://shop.example/").is_ok());
        assert!(check_whitelist_entry("mailto:").is_ok());
        assert!(check_whitelist_entry("").unwrap_err().is_error());
        let e = check_whitelist_entry("https://shop.example").unwrap_err();
        assert!(!e.is_error());
        assert!(e
            .to_string()
            .contains("'https://shop.example.evil.example'"));

        let literal = redirect("/thanks", &[]);
        let e = check_target(&literal.url, "/thanks", &[]).unwrap_err();
        assert!(e.is_error());
        let open = redirect("${to}", &[]);
        let e = check_target(&open.url, "${to}", &[]).unwrap_err();
        assert!(!e.is_error());
        assert!(check_target(&open.url, "${to}", &["https://a.example/".into()]).is_ok());
        let fixed_host = redirect("https://shop.example/${to}", &[]);
        assert!(check_target(&fixed_host.url, "https://shop.example/${to}", &[]).is_ok());
    }
}
