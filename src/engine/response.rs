//! What the engine answers: a [`Response`] (status, content type, body, download name, `Location`) and the
//! download file name's checks and `Content-Disposition`.

use std::sync::Arc;

use ::http::{HeaderValue, StatusCode};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::failure::Failure;
use crate::config::static_file::StaticFile;
use crate::config::template::Template;

#[derive(Debug)]
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    Static(Arc<StaticFile>),
    /// The body of an upstream response, streamed as it arrives (`<response-from-url>`).
    Upstream(reqwest::Response),
}

/// What to send back; the server turns it into HTTP (conditional and range requests for static files included).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub download_filename: Option<String>,
    pub location: Option<String>,
    pub body: ResponseBody,
    /// Whether this is the endpoint's success response (conditional GET and ranges apply only then).
    pub success: bool,
    /// `WWW-Authenticate` of a 401.
    pub www_authenticate: Option<&'static str>,
}

impl Response {
    pub fn empty(status: StatusCode) -> Response {
        Response {
            status,
            content_type: None,
            download_filename: None,
            location: None,
            body: ResponseBody::Empty,
            success: true,
            www_authenticate: None,
        }
    }

    /// A short `text/plain` message: servlet-level errors and errors without an `<error>` configuration.
    pub fn text(status: StatusCode, message: &str) -> Response {
        let mut body = String::with_capacity(message.len() + 1);
        body.push_str(message);
        body.push('\n');
        Response {
            status,
            content_type: Some(HeaderValue::from_static("text/plain; charset=utf-8")),
            download_filename: None,
            location: None,
            body: ResponseBody::Bytes(Bytes::from(body)),
            success: false,
            www_authenticate: None,
        }
    }
}

/// The longest download file name, in bytes of UTF-8 (longer: 400); most file systems allow no more.
pub const MAX_DOWNLOAD_FILENAME_BYTES: usize = 255;

/// Whether `name` can be a file name: not empty, not `.` or `..`, no `/` or `\`, no control character (which
/// includes CR, LF and NUL).
fn valid_download_filename(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

pub fn download_filename(
    t: &Option<Template>,
    values: &[String],
) -> Result<Option<String>, Failure> {
    match t {
        Some(t) => {
            // The name is never echoed: it comes from the request.
            let name = t.expand(values);
            if name.len() > MAX_DOWNLOAD_FILENAME_BYTES {
                return Err(Failure::bad_request(format!(
                    "Download filename is longer than {MAX_DOWNLOAD_FILENAME_BYTES} bytes"
                )));
            }
            if !valid_download_filename(&name) {
                return Err(Failure::bad_request(
                    "Download filename invalid: it is empty, '.' or '..', or contains '/', '\\' or a control character",
                ));
            }
            Ok(Some(name))
        }
        None => Ok(None),
    }
}

/// The bytes percent-encoded in the RFC 8187 extended value: all but ASCII letters, digits and `-._~`.
const RFC_8187_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `Content-Disposition` of a download named `name` (checked by [`download_filename`]): `attachment;
/// filename="name"` when the name is printable ASCII without `"` and `\`; otherwise an ASCII fallback in
/// `filename` (letters with accents lose them, `"` becomes `'`, anything else `_`) followed by the exact name in
/// RFC 8187's `filename*=UTF-8''…` (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\');
    if plain {
        return format!("attachment; filename=\"{name}\"");
    }
    let mut fallback = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => fallback.push('\''),
            c if (' '..='~').contains(&c) && c != '\\' => fallback.push(c),
            c => fallback.push_str(ascii_for(c)),
        }
    }
    let encoded = utf8_percent_encode(name, RFC_8187_ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// An ASCII stand-in for a Latin letter with a diacritic (Latin-1 and a few more); `_` for anything else.
fn ascii_for(c: char) -> &'static str {
    match c {
        'À'..='Å' => "A",
        'Æ' => "AE",
        'Ç' => "C",
        'È'..='Ë' => "E",
        'Ì'..='Ï' => "I",
        'Ð' => "D",
        'Ñ' => "N",
        'Ò'..='Ö' | 'Ø' => "O",
        'Ù'..='Ü' => "U",
        'Ý' | 'Ÿ' => "Y",
        'Þ' => "Th",
        'ß' => "ss",
        'à'..='å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è'..='ë' => "e",
        'ì'..='ï' => "i",
        'ð' => "d",
        'ñ' => "n",
        'ò'..='ö' | 'ø' => "o",
        'ù'..='ü' => "u",
        'ý' | 'ÿ' => "y",
        'þ' => "th",
        'Œ' => "OE",
        'œ' => "oe",
        'Š' => "S",
        'š' => "s",
        'Ž' => "Z",
        'ž' => "z",
        _ => "_",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_filenames() {
        assert!(valid_download_filename("invoice-123.pdf"));
        assert!(valid_download_filename("invoice-1 2.pdf"));
        assert!(valid_download_filename("ä.pdf"));
        assert!(valid_download_filename("..pdf"));
        assert!(!valid_download_filename(""));
        assert!(!valid_download_filename(".."));
        assert!(!valid_download_filename("a/b.pdf"));
        assert!(!valid_download_filename("a\\b.pdf"));
        assert!(!valid_download_filename("a\r\nb.pdf"));
        assert!(!valid_download_filename("a\u{85}b.pdf"));
        assert_eq!(
            content_disposition("price-list-2027.csv"),
            "attachment; filename=\"price-list-2027.csv\""
        );
        assert_eq!(
            content_disposition("Rechnung Müller & Söhne.pdf"),
            "attachment; filename=\"Rechnung Muller & Sohne.pdf\"; filename*=UTF-8''Rechnung%20M%C3%BCller%20%26%20S%C3%B6hne.pdf"
        );
        assert_eq!(
            content_disposition("Straße \"ß\" 東京.txt"),
            "attachment; filename=\"Strasse 'ss' __.txt\"; filename*=UTF-8''Stra%C3%9Fe%20%22%C3%9F%22%20%E6%9D%B1%E4%BA%AC.txt"
        );
    }
}
