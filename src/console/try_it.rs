//! Try it: sends a request to one endpoint through the server's own listener (the real path: routing, limits,
//! the hash or authentication check, the request log) and shows what came back: status, headers, time, and the
//! body (HTML inside a sandboxed frame, JSON and XML indented, other content as a download), with the link and the
//! `curl` command that send the same request.
//!
//! The hash is computed on the server by the hash calculator's code from the values sent. Bodies are kept in memory
//! for the frame and the download link: the last [`KEPT_RESULTS`] results, each cut at [`MAX_KEPT_BODY`] bytes.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::StatusCode;

use super::answer::{self, Answer, Form};
use super::pages::{self, HashAnswer};
use super::pretty;
use crate::engine::Environment;
use crate::request::Upload;
use crate::server::State;

/// Results kept for their frame and download link.
pub const KEPT_RESULTS: usize = 16;
/// Most bytes of a response body kept (and shown).
pub const MAX_KEPT_BODY: usize = 4 * 1024 * 1024;
/// Longest a tried request may take.
const TIMEOUT: Duration = Duration::from_secs(100);
/// Most NAME=VALUE lines in the "more parameters" field.
const MAX_EXTRA: usize = 200;

/// A response body kept for the result's frame and download link.
struct Kept {
    content_type: String,
    filename: String,
    body: Bytes,
}

/// The try-it sender: the server's own address and the results kept.
pub struct TryIt {
    client: reqwest::Client,
    endpoints: SocketAddr,
    kept: Mutex<VecDeque<(String, Arc<Kept>)>>,
}

/// What the form asked: the values to send and how.
pub struct Asked {
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    pub method: String,
    /// `p.NAME` fields: the declared parameters, in the form's order.
    pub declared: Vec<(String, String)>,
    /// The "more parameters" field, NAME=VALUE lines.
    pub extra: String,
    pub add_hash: bool,
    pub file_field: String,
    pub body_type: String,
    pub body: String,
}

impl Asked {
    /// The form's fields as the page's form shows them (the endpoint's own defaults when it is first opened).
    pub fn from_form(f: &Form) -> Asked {
        Asked {
            application: f.text("application"),
            environment: f.get("environment").unwrap_or("live").to_string(),
            endpoint: f.text("endpoint"),
            method: f.get("method").unwrap_or("POST").to_string(),
            declared: f
                .0
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("p.")?.to_string(), v.clone())))
                .collect(),
            extra: f.text("extra"),
            add_hash: f.get("add_hash").is_some() || f.get("application").is_none(),
            file_field: f.get("file_field").unwrap_or("file").to_string(),
            body_type: f.text("body_type"),
            body: f.text("body"),
        }
    }

    /// The value the form holds for a declared parameter.
    pub fn declared_value(&self, name: &str) -> Option<&str> {
        self.declared
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the body of a response is shown.
pub enum Shown {
    Empty,
    /// Rendered in the sandboxed frame.
    Html,
    /// Indented JSON or XML, or text as it came.
    Text(String),
    /// Offered as a download.
    Download,
}

/// What one tried request gave.
pub struct Outcome {
    pub url: String,
    pub method: String,
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub elapsed: Duration,
    pub size: usize,
    pub truncated: bool,
    pub shown: Shown,
    pub kept_id: String,
    pub filename: String,
    pub request_id: Option<String>,
    pub curl: String,
    /// A link that repeats the request, when it is a GET.
    pub link: Option<String>,
    pub notes: Vec<String>,
}

/// A request that could not be sent, with what is wrong (shown on the form).
pub struct Problem(pub String);

impl TryIt {
    pub fn new(endpoints: SocketAddr) -> TryIt {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .no_proxy()
            .build()
            .unwrap_or_default();
        TryIt {
            client,
            endpoints,
            kept: Mutex::new(VecDeque::new()),
        }
    }

    /// Sends what `asked` describes, with `uploads` (the form's files) as multipart files.
    pub async fn send(
        &self,
        state: &State,
        asked: &Asked,
        uploads: &[Upload],
    ) -> Result<Outcome, Problem> {
        let env = Environment::parse(&asked.environment)
            .ok_or_else(|| Problem("the environment must be live or preview".into()))?;
        // The path the server routes: what it would not route is not sent.
        let path = format!("/{}/{}", asked.application, asked.endpoint);
        if crate::server::route(&path) != Some((Some(&asked.application), &asked.endpoint)) {
            return Err(Problem(format!(
                "'{path}' is not a path the server routes (/APPLICATION/ENDPOINT)"
            )));
        }
        let mut params: Vec<(String, String)> = asked
            .declared
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        let extra = pages::name_value_lines(&asked.extra, MAX_EXTRA)
            .map_err(|e| Problem(format!("more parameters: {e}")))?;
        params.extend(extra);
        let mut notes = Vec::new();
        if asked.add_hash && !params.iter().any(|(n, _)| n == "hash") {
            match pages::hash_for(
                state,
                &asked.application,
                &asked.environment,
                &asked.endpoint,
                &params,
            ) {
                HashAnswer::Hash { hash, .. } => params.push(("hash".into(), hash)),
                HashAnswer::Problem(p) => notes.push(format!("sent without a hash: {p}")),
            }
        }
        if env == Environment::Preview {
            params.push(("environment".into(), "preview".into()));
        }
        let query = encode(&params);
        let base = format!("http://{}{path}", self.endpoints);
        let get = asked.method.eq_ignore_ascii_case("GET");
        let raw_body = !asked.body_type.is_empty() && !asked.body.is_empty();
        if get && (raw_body || !uploads.is_empty()) {
            return Err(Problem(
                "a GET request carries no body and no files: choose POST".into(),
            ));
        }
        let mut curl = String::from("curl -sS -i");
        let request = if get {
            let url = with_query(&base, &query);
            let _ = write!(curl, " {}", shell_quote(&url));
            self.client.get(url)
        } else if raw_body {
            let url = with_query(&base, &query);
            let _ = write!(
                curl,
                " -H {} --data-binary {} {}",
                shell_quote(&format!("Content-Type: {}", asked.body_type)),
                shell_quote(&asked.body),
                shell_quote(&url)
            );
            self.client
                .post(url)
                .header(http::header::CONTENT_TYPE, asked.body_type.clone())
                .body(asked.body.clone())
        } else if !uploads.is_empty() {
            let field = if asked.file_field.trim().is_empty() {
                "file"
            } else {
                asked.file_field.trim()
            };
            let (content_type, body) = multipart(&params, field, uploads)
                .await
                .map_err(|e| Problem(format!("cannot read an uploaded file: {e}")))?;
            for (n, v) in &params {
                let _ = write!(curl, " -F {}", shell_quote(&format!("{n}={v}")));
            }
            for u in uploads {
                let _ = write!(
                    curl,
                    " -F {}",
                    shell_quote(&format!("{field}=@{}", u.filename))
                );
            }
            let _ = write!(curl, " {}", shell_quote(&base));
            self.client
                .post(base.clone())
                .header(http::header::CONTENT_TYPE, content_type)
                .body(body)
        } else {
            for (n, v) in &params {
                let _ = write!(
                    curl,
                    " --data-urlencode {}",
                    shell_quote(&format!("{n}={v}"))
                );
            }
            let _ = write!(curl, " {}", shell_quote(&base));
            self.client
                .post(base.clone())
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(query.clone())
        };
        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| {
            tracing::warn!(error = %e, "console: a tried request was not answered");
            Problem(if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else {
                "the server did not answer the request".into()
            })
        })?;
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let content_type = header("content-type").unwrap_or("").to_string();
        let disposition = header("content-disposition").unwrap_or("").to_string();
        let request_id = header("x-request-id").map(str::to_string);
        let mut body = BytesMut::new();
        let mut size = 0usize;
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(c)) => {
                    size += c.len();
                    let room = MAX_KEPT_BODY.saturating_sub(body.len());
                    if c.len() > room {
                        truncated = true;
                    }
                    body.extend_from_slice(&c[..c.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => {
                    notes.push("the body was not received completely".into());
                    tracing::warn!(error = %e, "console: a tried response's body broke off");
                    break;
                }
            }
        }
        let elapsed = started.elapsed();
        let body = body.freeze();
        let filename = download_name(&disposition, &asked.endpoint, &content_type);
        let shown = show(&content_type, &disposition, &body, truncated);
        let kept_id = self.keep(Kept {
            content_type,
            filename: filename.clone(),
            body,
        });
        if truncated {
            notes.push(format!(
                "the body has {size} bytes: the first {MAX_KEPT_BODY} are shown and kept"
            ));
        }
        Ok(Outcome {
            link: get.then(|| with_query(&base, &query)),
            url: base,
            method: if get { "GET" } else { "POST" }.to_string(),
            status,
            headers,
            elapsed,
            size,
            truncated,
            shown,
            kept_id,
            filename,
            request_id,
            curl,
            notes,
        })
    }

    fn keep(&self, k: Kept) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= KEPT_RESULTS {
            kept.pop_front();
        }
        kept.push_back((id.clone(), Arc::new(k)));
        id
    }

    /// `GET /try/result?id=…`: a kept body, for the result's frame, or with `download` as an attachment.
    pub fn kept(&self, id: &str, download: bool) -> Answer {
        let found = self
            .kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone());
        let Some(k) = found else {
            return answer::refused(
                StatusCode::NOT_FOUND,
                "That result is no longer kept: send the request again.",
            );
        };
        let mut r = answer::bytes(StatusCode::OK, "application/octet-stream", k.body.clone());
        if let Ok(v) = http::HeaderValue::from_str(&k.content_type) {
            if !k.content_type.is_empty() {
                r.headers_mut().insert(http::header::CONTENT_TYPE, v);
            }
        }
        if download {
            let d = format!("attachment; filename=\"{}\"", k.filename);
            if let Ok(v) = http::HeaderValue::from_str(&d) {
                r.headers_mut().insert(http::header::CONTENT_DISPOSITION, v);
            }
            r
        } else {
            answer::framed(r)
        }
    }
}

/// `name=value&…`, form-encoded.
fn encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn with_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

/// `s` as one word for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A multipart body with the parameters as fields and the uploads as files of `field`.
async fn multipart(
    params: &[(String, String)],
    field: &str,
    uploads: &[Upload],
) -> std::io::Result<(String, Bytes)> {
    let boundary = format!("----endpoints-console-{}", uuid::Uuid::new_v4().simple());
    let mut out = BytesMut::new();
    let quoted = |s: &str| s.replace(['"', '\r', '\n'], "_");
    for (n, v) in params {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                quoted(n)
            )
            .as_bytes(),
        );
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for u in uploads {
        let content_type = if u.content_type.is_empty() {
            "application/octet-stream"
        } else {
            &u.content_type
        };
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quoted(field),
                quoted(&u.filename),
                quoted(content_type)
            )
            .as_bytes(),
        );
        out.extend_from_slice(&u.data.read().await?);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((
        format!("multipart/form-data; boundary={boundary}"),
        out.freeze(),
    ))
}

/// The file name of a download: the response's `Content-Disposition` file name, else the endpoint's name with an
/// extension for its type; only letters, digits, `.`, `-` and `_` kept.
fn download_name(disposition: &str, endpoint: &str, content_type: &str) -> String {
    let given = disposition.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("filename=")
            .map(|v| v.trim_matches('"').to_string())
    });
    let name = given.unwrap_or_else(|| {
        let mime = content_type.split(';').next().unwrap_or("").trim();
        let ext = match mime {
            "text/html" => "html",
            _ => mime_guess::get_mime_extensions_str(mime)
                .and_then(|e| e.first())
                .copied()
                .unwrap_or("bin"),
        };
        format!("{endpoint}.{ext}")
    });
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.trim_matches('.').is_empty() {
        "response".into()
    } else {
        clean
    }
}

/// How a body of `content_type` is shown.
fn show(content_type: &str, disposition: &str, body: &[u8], truncated: bool) -> Shown {
    if body.is_empty() {
        return Shown::Empty;
    }
    if disposition
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("attachment")
    {
        return Shown::Download;
    }
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Ok(text) = std::str::from_utf8(body) else {
        return Shown::Download;
    };
    if mime == "text/html" || mime == "application/xhtml+xml" {
        return Shown::Html;
    }
    // Plain text that is XML or JSON (a transformation without a stylesheet answers text/plain) is indented too.
    let plain = mime == "text/plain" || mime.is_empty();
    let start = text.trim_start().as_bytes().first().copied();
    let json = mime == "application/json"
        || mime.ends_with("+json")
        || (plain && matches!(start, Some(b'{' | b'[')));
    let xml = mime == "application/xml"
        || mime == "text/xml"
        || mime.ends_with("+xml")
        || (plain && start == Some(b'<'));
    if json && !truncated {
        if let Some(p) = pretty::json(text) {
            return Shown::Text(p);
        }
    }
    if xml && !truncated {
        if let Some(p) = pretty::xml(text) {
            return Shown::Text(p);
        }
    }
    if json || xml || mime.starts_with("text/") || mime.is_empty() {
        return Shown::Text(text.to_string());
    }
    Shown::Download
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_cleaned() {
        assert_eq!(
            download_name("attachment; filename=\"../in voice.pdf\"", "e", ""),
            ".._in_voice.pdf"
        );
        assert_eq!(download_name("", "report", "application/pdf"), "report.pdf");
        assert_eq!(download_name("filename=\"..\"", "e", ""), "response");
    }

    #[test]
    fn bodies_are_shown_by_type() {
        assert!(matches!(
            show("text/html; charset=utf-8", "", b"<p>", false),
            Shown::Html
        ));
        assert!(matches!(
            show("application/pdf", "", b"%PDF", false),
            Shown::Download
        ));
        assert!(matches!(
            show("text/plain", "attachment", b"x", false),
            Shown::Download
        ));
        assert!(matches!(show("", "", b"", false), Shown::Empty));
        match show("application/json", "", br#"{"a":1}"#, false) {
            Shown::Text(t) => assert_eq!(t, "{\n  \"a\": 1\n}"),
            _ => panic!("json is text"),
        }
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
