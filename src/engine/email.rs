//! Running an EmailTask: [`build_messages`] when the task runs (bodies and attachments are produced then,
//! attachment conditions evaluated then), [`send`] at commit, after everything else succeeded.
//!
//! MIME structure of every message:
//!
//! ```text
//! multipart/mixed
//!   multipart/alternative          one part per <body-transformation>, in order
//!     text/plain …                 a body as its transformer produced it
//!     multipart/related            a body whose transformer's configured content type has text/html and utf-8
//!       text/html
//!       image/png …                every distinct cid:path in the HTML, sorted by path: static/<path>, inline,
//!                                  Content-ID <path>
//!   attachments …                  in document order, those whose condition holds
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::try_join_all;
use futures_util::stream::{self, TryStreamExt};
use lettre::message::header::{
    self, ContentTransferEncoding, ContentType, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MaybeString, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::context::Ctx;
use super::failure::Failure;
use super::ooxml;
use super::transform::{self, Transformed};
use crate::config::model::email::{Attachment, EmailSendingConfig, EmailTask};
use crate::config::static_file::{self, StaticFile};
use crate::config::template::Pattern;
use crate::config::Application;
use crate::request::Upload;

/// Messages sent at the same time.
pub const PARALLEL_SENDS: usize = 3;
/// Connecting and each SMTP command.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const SMTP_PORT: u16 = 25;
const SUBMISSION_PORT: u16 = 587;

/// What the client sees when sending fails; the server, port and the SMTP error go to the log only.
const SEND_FAILED: &str = "Sending e-mail failed";

/// A sending failure: `detail` (server, port, SMTP or DNS error; never credentials) is logged, not shown.
fn send_failure(detail: String) -> Failure {
    let mut f = Failure::hidden(detail);
    f.message = SEND_FAILED.to_string();
    f
}

/// Builds the messages of one EmailTask: one per `<to>`, all with the same body. `values` are the slot values of
/// the task's scope, `ctx` runs the transformers, `uploads` are the request's uploaded files.
pub async fn build_messages(
    task: &EmailTask,
    app: &Application,
    values: &[String],
    separator: &str,
    ctx: &Ctx<'_>,
    uploads: &[Upload],
) -> Result<Vec<Message>, Failure> {
    let from_text = task.from.expand(values);
    let from = parse_single_mailbox(&from_text).ok_or_else(|| {
        Failure::internal(format!(
            "<from> '{from_text}' is not one valid e-mail address"
        ))
    })?;
    let mut to = Vec::with_capacity(task.to.len());
    for t in &task.to {
        let text = t.expand(values);
        let mailbox = parse_single_mailbox(&text).ok_or_else(|| {
            Failure::internal(format!("<to> '{text}' is not one valid e-mail address"))
        })?;
        to.push(mailbox);
    }
    let subject = task.subject.expand(values);

    // Attachment conditions are evaluated now, with the task's values.
    let chosen: Vec<&Attachment> = task
        .attachments
        .iter()
        .filter(|a| a.condition().is_none_or(|c| c.evaluate(values, separator)))
        .collect();

    // Every transformer (bodies and attachments) runs concurrently.
    let bodies = try_join_all(task.bodies.iter().map(|&i| transform::run(i, ctx)));
    let attachments = try_join_all(
        chosen
            .iter()
            .map(|a| attachment_parts(a, app, values, ctx, uploads)),
    );
    let (bodies, attachments) = futures_util::future::try_join(bodies, attachments).await?;

    let mut alternative = MultiPart::alternative().build();
    for (&index, output) in task.bodies.iter().zip(bodies) {
        let transformer = &app.transformers[index];
        let configured = transformer
            .content_type
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        let content_type = content_type(&output.content_type, &transformer.name)?;
        let html = (configured.contains("text/html") && configured.contains("utf-8"))
            .then(|| String::from_utf8_lossy(&output.body).into_owned());
        let part = SinglePart::builder()
            .header(content_type)
            .body(text_body(output));
        if let Some(html) = html {
            let mut related = MultiPart::related().singlepart(part);
            for inline in inline_images(&html, &app.layout.static_dir).await? {
                related = related.singlepart(inline);
            }
            alternative = alternative.multipart(related);
        } else {
            alternative = alternative.singlepart(part);
        }
    }
    let mut mixed = MultiPart::mixed().multipart(alternative);
    for part in attachments.into_iter().flatten() {
        mixed = mixed.singlepart(part);
    }

    let mut messages = Vec::with_capacity(to.len());
    for mailbox in to {
        let message = Message::builder()
            .from(from.clone())
            .to(mailbox)
            .subject(subject.clone())
            .date_now()
            .message_id(None)
            .multipart(mixed.clone())
            .map_err(|e| Failure::hidden(format!("e-mail message cannot be built: {e}")))?;
        messages.push(message);
    }
    Ok(messages)
}

/// Exactly one address (a display name is allowed); lists, trailing text and empty text are refused.
fn parse_single_mailbox(text: &str) -> Option<Mailbox> {
    Mailbox::from_str(text).ok()
}

fn content_type(value: &str, transformer: &str) -> Result<ContentType, Failure> {
    ContentType::parse(value).map_err(|e| {
        Failure::hidden(format!(
            "transformer '{transformer}': content type '{value}' cannot be used in an e-mail: {e}"
        ))
    })
}

/// A body part: text in canonical form (CRLF line ends), the transfer encoding chosen by the content.
fn text_body(output: Transformed) -> Body {
    match String::from_utf8(output.body.to_vec()) {
        Ok(s) => Body::new(s),
        Err(e) => Body::new(e.into_bytes()),
    }
}

/// A file's exact bytes, base64-encoded.
fn binary_body(bytes: Vec<u8>) -> Body {
    Body::new_with_encoding(MaybeString::Binary(bytes), ContentTransferEncoding::Base64)
        .expect("base64 can encode any bytes")
}

fn file_content_type(value: &str) -> ContentType {
    ContentType::parse(value)
        .unwrap_or(ContentType::parse("application/octet-stream").expect("valid"))
}

/// The parts one attachment element contributes (uploads: one per file).
async fn attachment_parts(
    a: &Attachment,
    app: &Application,
    values: &[String],
    ctx: &Ctx<'_>,
    uploads: &[Upload],
) -> Result<Vec<SinglePart>, Failure> {
    match a {
        Attachment::Static { file, .. } => {
            let bytes = static_bytes(file).await?;
            let name = Path::new(&file.name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.name.clone());
            let ct = file_content_type(file.content_type.to_str().unwrap_or(""));
            Ok(vec![
                lettre::message::Attachment::new(name).body(binary_body(bytes), ct)
            ])
        }
        Attachment::Transformation {
            transformer,
            filename,
            ..
        } => {
            let out = transform::run(*transformer, ctx).await?;
            let ct = content_type(&out.content_type, &app.transformers[*transformer].name)?;
            Ok(vec![lettre::message::Attachment::new(
                filename.expand(values),
            )
            .body(binary_body(out.body.to_vec()), ct)])
        }
        Attachment::Ooxml {
            template, filename, ..
        } => {
            let name = filename.expand(values);
            let bytes = ooxml::expand_blocking(template.clone(), ctx.params_and_secrets()).await?;
            let ct = file_content_type(crate::config::model::ooxml::content_type(&name));
            Ok(vec![
                lettre::message::Attachment::new(name).body(binary_body(bytes), ct)
            ])
        }
        Attachment::Uploads { .. } => {
            let mut parts = Vec::with_capacity(uploads.len());
            for u in uploads {
                let bytes = u.data.read().await.map_err(|e| {
                    Failure::hidden(format!(
                        "uploaded file '{}' cannot be read: {e}",
                        u.filename
                    ))
                })?;
                parts.push(lettre::message::Attachment::new(u.filename.clone()).body(
                    binary_body(bytes.to_vec()),
                    file_content_type(&u.content_type),
                ));
            }
            Ok(parts)
        }
    }
}

async fn static_bytes(file: &std::sync::Arc<StaticFile>) -> Result<Vec<u8>, Failure> {
    match &file.contents {
        Some(b) => Ok(b.to_vec()),
        None => {
            let f = file.clone();
            tokio::task::spawn_blocking(move || f.read())
                .await
                .map_err(|e| Failure::hidden(e.to_string()))?
                .map_err(|e| {
                    Failure::hidden(format!(
                        "static file '{}' cannot be read: {e}",
                        file.path.display()
                    ))
                })
        }
    }
}

/// The inline parts for every distinct `cid:` reference of an HTML body, sorted by path.
async fn inline_images(html: &str, static_dir: &Path) -> Result<Vec<SinglePart>, Failure> {
    let mut parts = Vec::new();
    for path in cid_references(html) {
        let dir = static_dir.to_path_buf();
        let name = path.clone();
        let found = tokio::task::spawn_blocking(move || {
            let file = static_file::resolve(&dir, &name, &mut 0).map_err(|e| e.to_string())?;
            let bytes = file.read().map_err(|e| {
                format!("Filename '{name}' in application's 'static' directory cannot be read: {e}")
            })?;
            Ok::<_, String>((file, bytes))
        })
        .await
        .map_err(|e| Failure::hidden(format!("reading an inline image failed: {e}")))?;
        let (file, bytes) = found.map_err(|e| {
            Failure::internal(format!("HTML e-mail body references 'cid:{path}': {e}"))
        })?;
        let ct = file_content_type(file.content_type.to_str().unwrap_or(""));
        parts.push(
            lettre::message::Attachment::new_inline_with_name(path.clone(), path)
                .body(binary_body(bytes), ct),
        );
    }
    Ok(parts)
}

/// The distinct paths of `['"]cid:([/\w\-]+\.\w{3,4})['"]` matches (Java `\w`: ASCII letters, digits, `_`),
/// sorted.
pub fn cid_references(html: &str) -> Vec<String> {
    fn path_char(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/')
    }
    fn word_char(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_'
    }
    let b = html.as_bytes();
    let quote = |i: usize| i < b.len() && matches!(b[i], b'"' | b'\'');
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        if quote(i) && b[i + 1..].starts_with(b"cid:") {
            let start = i + 5;
            let mut j = start;
            while j < b.len() && path_char(b[j]) {
                j += 1;
            }
            if j > start && j < b.len() && b[j] == b'.' {
                let ext_start = j + 1;
                let mut k = ext_start;
                while k < b.len() && word_char(b[k]) {
                    k += 1;
                }
                if (3..=4).contains(&(k - ext_start)) && quote(k) {
                    found.insert(html[start..k].to_string());
                    i = k + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    found.into_iter().collect()
}

/// Where and how to deliver, after expansion.
struct Route {
    host: String,
    port: u16,
    credentials: Option<Credentials>,
}

fn expand(
    p: &Pattern,
    what: &str,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, Failure> {
    let values: Vec<(&str, Option<String>)> = p.names().map(|n| (n, lookup(n))).collect();
    p.expand(
        &|n| {
            values
                .iter()
                .find(|(k, _)| *k == n)
                .and_then(|(_, v)| v.as_deref())
        },
        false,
    )
    .map_err(|e| send_failure(format!("email-sending-configuration.xml {what}: {e}")))
}

/// The most preferred (smallest preference) exchange; the first of equals.
pub fn most_preferred<'a>(records: impl IntoIterator<Item = (u16, &'a str)>) -> Option<&'a str> {
    records
        .into_iter()
        .fold(None, |best: Option<(u16, &str)>, (pref, host)| match best {
            Some((b, _)) if b <= pref => best,
            _ => Some((pref, host)),
        })
        .map(|(_, h)| h)
}

async fn mx_host(domain: &str) -> Result<String, Failure> {
    let fail = send_failure;
    let resolver = hickory_resolver::TokioResolver::builder_tokio()
        .map_err(|e| fail(format!("DNS resolver cannot be set up: {e}")))?
        .build()
        .map_err(|e| fail(format!("DNS resolver cannot be set up: {e}")))?;
    let lookup = resolver
        .mx_lookup(domain)
        .await
        .map_err(|e| fail(format!("MX lookup of '{domain}' failed: {e}")))?;
    let hosts: Vec<(u16, String)> = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            hickory_resolver::proto::rr::RData::MX(mx) => Some((
                mx.preference,
                mx.exchange.to_utf8().trim_end_matches('.').to_string(),
            )),
            _ => None,
        })
        .filter(|(_, h)| !h.is_empty())
        .collect();
    most_preferred(hosts.iter().map(|(p, h)| (*p, h.as_str())))
        .map(str::to_string)
        .ok_or_else(|| fail(format!("MX lookup of '{domain}' found no mail exchanger")))
}

async fn route(
    config: &EmailSendingConfig,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Route, Failure> {
    if let Some(mx) = &config.mx_address {
        let domain = expand(mx, "<mx-address>", lookup)?;
        return Ok(Route {
            host: mx_host(&domain).await?,
            port: SMTP_PORT,
            credentials: None,
        });
    }
    let server = config.server.as_ref().ok_or_else(|| {
        send_failure("email-sending-configuration.xml has neither <server> nor <mx-address>".into())
    })?;
    let host = expand(server, "<server>", lookup)?;
    let credentials = match (&config.username, &config.password) {
        (Some(u), Some(p)) => Some(Credentials::new(
            expand(u, "<username>", lookup)?,
            expand(p, "<password>", lookup)?,
        )),
        _ => None,
    };
    let port = match &config.port {
        Some(p) => {
            let text = expand(p, "<port>", lookup)?;
            text.parse::<u16>().map_err(|_| {
                send_failure(format!(
                    "email-sending-configuration.xml <port>: '{text}' is not a port number"
                ))
            })?
        }
        None if credentials.is_some() => SUBMISSION_PORT,
        None => SMTP_PORT,
    };
    Ok(Route {
        host,
        port,
        credentials,
    })
}

/// Sends `messages` through the configuration, whose patterns are expanded with `lookup` (the sending task's
/// values by name), up to [`PARALLEL_SENDS`] at a time; the configured extra headers are added and `Date` is set
/// to the send time. The first failure is returned; its message names neither the server nor the credentials.
pub async fn send(
    config: &EmailSendingConfig,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    mut messages: Vec<Message>,
) -> Result<(), Failure> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut headers = Vec::with_capacity(config.headers.len());
    for (name, value) in &config.headers {
        let header_name = HeaderName::new_from_ascii(name.clone())
            .map_err(|_| send_failure(format!("invalid e-mail header name '{name}'")))?;
        let value = expand(value, &format!("<header name='{name}'>"), lookup)?;
        headers.push(HeaderValue::new(header_name, value));
    }
    for m in &mut messages {
        let h = m.headers_mut();
        h.set(header::Date::now());
        for v in &headers {
            h.insert_raw(v.clone());
        }
    }

    let route = route(config, lookup).await?;
    let where_ = format!("{}:{}", route.host, route.port);
    let builder = match route.credentials {
        Some(credentials) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&route.host)
            .map_err(|e| send_failure(format!("SMTP server '{where_}' cannot be used: {e}")))?
            .credentials(credentials),
        None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&route.host),
    };
    let transport = builder.port(route.port).timeout(Some(SMTP_TIMEOUT)).build();
    let transport = &transport;
    let where_ = where_.as_str();
    stream::iter(messages.into_iter().map(Ok))
        .try_for_each_concurrent(PARALLEL_SENDS, |m| async move {
            transport
                .send(m)
                .await
                .map(|_| ())
                .map_err(|e| send_failure(format!("sending e-mail through {where_} failed: {e}")))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_references_follow_the_reference_pattern() {
        let html = r#"<img src="cid:img/logo.png"/><img src='cid:b-c/d_e.jpeg'>
            <img src="cid:img/logo.png"> <a href="cid:x.pngx"> "cid:x.abcde" "cid:a.b.png" "cid:.png" 'cid:no-quote.png
            "cid:über.png" "cid:a.gif' "cid:sp ace.png" cid:bare.png"#;
        assert_eq!(
            cid_references(html),
            vec!["a.gif", "b-c/d_e.jpeg", "img/logo.png", "x.pngx"]
        );
        assert!(cid_references("").is_empty());
        assert!(cid_references("\"cid:").is_empty());
        // The closing quote is consumed, so back-to-back references still both match.
        assert_eq!(
            cid_references(r#""cid:a.png""cid:b.png""#),
            vec!["a.png", "b.png"]
        );
    }

    #[test]
    fn mx_choice_is_the_smallest_preference() {
        assert_eq!(
            most_preferred([
                (20, "b.example"),
                (10, "a.example"),
                (10, "c.example"),
                (30, "d")
            ]),
            Some("a.example")
        );
        assert_eq!(most_preferred(Vec::<(u16, &str)>::new()), None);
    }

    #[test]
    fn single_mailboxes_only() {
        assert!(parse_single_mailbox("a@x.org").is_some());
        let m = parse_single_mailbox("Grüße Shop <shop@x.org>").unwrap();
        assert_eq!(m.email.to_string(), "shop@x.org");
        assert_eq!(m.name.as_deref(), Some("Grüße Shop"));
        let m = parse_single_mailbox("\"Doe, John\" <j@x.org>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Doe, John"));
        for bad in [
            "",
            "   ",
            "a@x.org, b@x.org",
            "a@x.org,b@x.org",
            "not an address",
            "a@",
            "a@x.org junk",
            "a@x.org\r\nBcc: evil@x.org",
        ] {
            assert!(parse_single_mailbox(bad).is_none(), "{bad}");
        }
    }
}
