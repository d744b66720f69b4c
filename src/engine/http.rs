//! Outgoing HTTP for `<xml-from-url>`: the request built from an [`HttpSpec`], the response turned into XML.

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;

use super::context::{Ctx, RunTransformer};
use super::failure::Failure;
use super::stylesheet;
use crate::config::model::http_spec::{HttpBody, HttpMethod, HttpSpec, JsonTemplate, XmlFill};
use crate::config::model::task::HttpOptions;

/// Largest response body read from an upstream server.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Default time allowed for a whole outgoing request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One client for the process: connection pooling, no redirects followed, a timeout on every request.
pub fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("endpoints/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client can be built")
    })
}

/// A failed outgoing request; `ignore-if-error` may swallow it.
#[derive(Debug)]
pub struct HttpFailure {
    pub message: String,
    pub status: Option<u16>,
    pub url: String,
}

/// `application/x-www-form-urlencoded` as Java's URLEncoder writes it.
fn form_encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}

fn expand_json(t: &JsonTemplate, ctx: &Ctx) -> Result<serde_json::Value, Failure> {
    Ok(match t {
        JsonTemplate::Null => serde_json::Value::Null,
        JsonTemplate::Bool(b) => serde_json::Value::Bool(*b),
        JsonTemplate::Number(n) => serde_json::Value::Number(n.clone()),
        JsonTemplate::String(p) => serde_json::Value::String(ctx.expand(p)?),
        JsonTemplate::Array(a) => serde_json::Value::Array(
            a.iter()
                .map(|x| expand_json(x, ctx))
                .collect::<Result<_, _>>()?,
        ),
        JsonTemplate::Object(o) => {
            let mut m = serde_json::Map::new();
            for (k, v) in o {
                m.insert(k.clone(), expand_json(v, ctx)?);
            }
            serde_json::Value::Object(m)
        }
    })
}

/// The response of a successful request.
pub struct Fetched {
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// A successful response whose body has not been read (for `<response-from-url>`, which streams it).
pub struct Streaming {
    pub url: String,
    pub response: reqwest::Response,
}

/// The request an [`HttpSpec`] describes, with every pattern expanded; built once, sent once per attempt.
struct Prepared {
    method: reqwest::Method,
    url: reqwest::Url,
    url_without_query: String,
    headers: Vec<(String, String)>,
    body: Option<(Vec<u8>, Option<&'static str>)>,
}

async fn prepare(spec: &HttpSpec, ctx: &Ctx<'_>) -> Result<Prepared, Result<HttpFailure, Failure>> {
    let mut url = ctx.expand(&spec.url).map_err(Err)?.trim().to_string();
    if !spec.get_parameters.is_empty() {
        let mut pairs = Vec::with_capacity(spec.get_parameters.len());
        for (n, p) in &spec.get_parameters {
            pairs.push((n.clone(), ctx.expand(p).map_err(Err)?));
        }
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&form_encode(&pairs));
    }
    let url_without_query = url.split('?').next().unwrap_or("").to_string();
    let parsed = reqwest::Url::parse(&url).map_err(|e| {
        Ok(HttpFailure {
            message: format!("URL '{url_without_query}' is not valid: {e}"),
            status: None,
            url: url_without_query.clone(),
        })
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Ok(HttpFailure {
            message: format!("URL '{url_without_query}' must use http or https"),
            status: None,
            url: url_without_query,
        }));
    }
    let body: Option<(Vec<u8>, Option<&'static str>)> = match &spec.body {
        None => None,
        Some(HttpBody::Form(list)) => {
            let mut pairs = Vec::with_capacity(list.len());
            for (n, p) in list {
                pairs.push((n.clone(), ctx.expand(p).map_err(Err)?));
            }
            Some((
                form_encode(&pairs).into_bytes(),
                Some("application/x-www-form-urlencoded"),
            ))
        }
        Some(HttpBody::XmlTemplate(p, fill)) => {
            let xml = ctx.expand(p).map_err(Err)?;
            let xml = fill_xml(xml, *fill, ctx).await.map_err(Err)?;
            Some((
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}").into_bytes(),
                Some("application/xml; charset=UTF-8"),
            ))
        }
        Some(HttpBody::XmlXslt(s, fill)) => {
            let out = stylesheet::run(s.clone(), ctx.parameters_xml(), Vec::new())
                .await
                .map_err(Err)?;
            let out = if fill.upload_files || fill.expand_transformations {
                let text = String::from_utf8(out)
                    .map_err(|_| Err(Failure::hidden("XML body is not UTF-8")))?;
                fill_xml(text, *fill, ctx).await.map_err(Err)?.into_bytes()
            } else {
                out
            };
            Some((out, Some("application/xml; charset=UTF-8")))
        }
        Some(HttpBody::JsonTemplate(t)) => {
            let v = expand_json(t, ctx).map_err(Err)?;
            Some((
                v.to_string().into_bytes(),
                Some("application/json; charset=UTF-8"),
            ))
        }
        Some(HttpBody::JsonXslt(s)) => {
            let out = stylesheet::run(s.clone(), ctx.parameters_xml(), Vec::new())
                .await
                .map_err(Err)?;
            Some((out, Some("application/json; charset=UTF-8")))
        }
    };
    // As the reference: a body with method GET is sent as POST.
    let method = match (spec.method, body.is_some()) {
        (HttpMethod::Get, true) => reqwest::Method::POST,
        (m, _) => reqwest::Method::from_bytes(m.as_str().as_bytes()).expect("known method"),
    };
    let mut headers = Vec::new();
    let mut has_content_type = false;
    for (n, p) in &spec.headers {
        has_content_type |= n.eq_ignore_ascii_case("content-type");
        headers.push((n.clone(), ctx.expand(p).map_err(Err)?));
    }
    if let Some((u, p)) = &spec.basic_auth {
        let creds = format!(
            "{}:{}",
            ctx.expand(u).map_err(Err)?,
            ctx.expand(p).map_err(Err)?
        );
        headers.push((
            "authorization".to_string(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(creds)
            ),
        ));
    }
    let body = body.map(|(b, ct)| (b, if has_content_type { None } else { ct }));
    if let Some(key) = &spec.signing_key {
        // Standard Webhooks: one id for every attempt of this message, signed over id.timestamp.body.
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let ts = jiff::Timestamp::now().as_second().to_string();
        let payload: &[u8] = body.as_ref().map(|(b, _)| b.as_slice()).unwrap_or(&[]);
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key).expect("any key length");
        for part in [id.as_bytes(), b".", ts.as_bytes(), b".", payload] {
            hmac::Mac::update(&mut mac, part);
        }
        let sig =
            base64::engine::general_purpose::STANDARD.encode(hmac::Mac::finalize(mac).into_bytes());
        headers.push(("webhook-id".to_string(), id));
        headers.push(("webhook-timestamp".to_string(), ts));
        headers.push(("webhook-signature".to_string(), format!("v1,{sig}")));
    }
    Ok(Prepared {
        method,
        url: parsed,
        url_without_query,
        headers,
        body,
    })
}

/// Where text goes into an element: the end of its start tag, and whether it is self-closing (`<a/>`).
fn start_tag_end(xml: &str, element_start: usize) -> (usize, bool) {
    let b = xml.as_bytes();
    let mut quote = None;
    let mut i = element_start;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'"' | b'\'') => quote = Some(b[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return (i, i > 0 && b[i - 1] == b'/'),
            _ => {}
        }
        i += 1;
    }
    (b.len(), false)
}

/// `<xml-body upload-files="true">` / `expand-transformations="true"`: base64 content into marked elements.
async fn fill_xml(xml: String, fill: XmlFill, ctx: &Ctx<'_>) -> Result<String, Failure> {
    if !fill.upload_files && !fill.expand_transformations {
        return Ok(xml);
    }
    // (element start, attribute to add, text to insert), collected first, applied from the end.
    let mut edits: Vec<(usize, Option<String>, String)> = Vec::new();
    {
        let doc = roxmltree::Document::parse(&xml)
            .map_err(|e| Failure::hidden(format!("XML body is not well-formed: {e}")))?;
        let mut transformed: Vec<(String, String)> = Vec::new();
        for node in doc.descendants().filter(|n| n.is_element()) {
            if fill.upload_files {
                if let Some(field) = node.attribute("upload-field-name") {
                    if node.attribute("encoding") != Some("base64") {
                        return Err(Failure::hidden(format!(
                            "element with upload-field-name='{field}' needs encoding='base64'"
                        )));
                    }
                    let matching: Vec<_> = ctx
                        .uploads
                        .iter()
                        .filter(|u| u.field_name.eq_ignore_ascii_case(field))
                        .collect();
                    let upload = match matching.as_slice() {
                        [] => {
                            return Err(Failure::bad_request(format!(
                                "<input type='file' name='{field}'> not found in request"
                            )))
                        }
                        [one] => *one,
                        _ => {
                            return Err(Failure::bad_request(format!(
                                "More than one <input type='file' name='{field}'> found in request"
                            )))
                        }
                    };
                    let bytes = upload
                        .data
                        .read()
                        .await
                        .map_err(|e| Failure::hidden(format!("cannot read upload: {e}")))?;
                    let mut attr = String::from(" filename=\"");
                    crate::convert::escape::escape_xml(&upload.filename, &mut attr);
                    attr.push('"');
                    edits.push((
                        node.range().start,
                        Some(attr),
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                    ));
                }
            }
            if fill.expand_transformations {
                if let Some(t) = node.attribute("xslt-transformation") {
                    if node.attribute("encoding") != Some("base64") {
                        return Err(Failure::hidden(format!(
                            "element with xslt-transformation='{t}' needs encoding='base64'"
                        )));
                    }
                    let encoded = match transformed.iter().find(|(n, _)| n == t) {
                        Some((_, e)) => e.clone(),
                        None => {
                            let index = ctx
                                .app
                                .transformers
                                .iter()
                                .position(|x| x.name == t)
                                .ok_or_else(|| {
                                    Failure::hidden(format!("Transformer name='{t}' not found"))
                                })?;
                            let body = ctx.run_transformer(index).await?;
                            let e = base64::engine::general_purpose::STANDARD.encode(&body);
                            transformed.push((t.to_string(), e.clone()));
                            e
                        }
                    };
                    edits.push((node.range().start, None, encoded));
                }
            }
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut xml = xml;
    for (start, attr, text) in edits {
        let (end, self_closing) = start_tag_end(&xml, start);
        let name: String = xml[start + 1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
            .collect();
        let attr = attr.unwrap_or_default();
        if self_closing {
            xml.replace_range(end - 1..=end, &format!("{attr}>{text}</{name}>"));
        } else {
            xml.replace_range(end..=end, &format!("{attr}>{text}"));
        }
    }
    Ok(xml)
}

/// A random delay in [0, d) ("full jitter").
fn jitter(d: Duration) -> Duration {
    let r = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    d.mul_f64(r)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

const MAX_BACKOFF: Duration = Duration::from_secs(30);

fn failure_message(
    url: &str,
    status: reqwest::StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> String {
    let mut message = format!("URL '{url}' returned {}", status.as_u16());
    if let Some(reason) = status.canonical_reason() {
        message.push(' ');
        message.push_str(reason);
    }
    let texty =
        content_type.is_some_and(|c| c.contains("text") || c.contains("json") || c.contains("xml"));
    if texty && !body.is_empty() {
        let text = String::from_utf8_lossy(body);
        let excerpt: String = text.chars().take(1000).collect();
        let truncated = if text.chars().count() > 1000 {
            "... [truncated]"
        } else {
            ""
        };
        message.push_str(&format!(" (body was: {excerpt}{truncated})"));
    }
    message
}

enum Attempt<T> {
    Done(T),
    /// Worth another try (connection failure, timeout, unexpected status), with the server's Retry-After.
    Retry(HttpFailure, Option<Duration>),
}

async fn read_body(resp: &mut reqwest::Response, url: &str) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if body.len() + c.len() > MAX_RESPONSE_BYTES {
                    return Err(format!(
                        "URL '{url}' returned more than {MAX_RESPONSE_BYTES} bytes"
                    ));
                }
                body.extend_from_slice(&c);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(format!(
                    "URL '{url}' could not be read: {}",
                    without_url(&e)
                ))
            }
        }
    }
}

async fn attempt(
    p: &Prepared,
    options: &HttpOptions,
    read: bool,
) -> Attempt<(reqwest::Response, Vec<u8>)> {
    let url = &p.url_without_query;
    let mut req = client().request(p.method.clone(), p.url.clone());
    for (n, v) in &p.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    if let Some((b, ct)) = &p.body {
        if let Some(ct) = ct {
            req = req.header("content-type", *ct);
        }
        req = req.body(b.clone());
    }
    let fail = |message: String, status: Option<u16>| HttpFailure {
        message,
        status,
        url: url.clone(),
    };
    let work = async {
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry(
                    fail(
                        format!("URL '{url}' could not be fetched: {}", without_url(&e)),
                        None,
                    ),
                    None,
                )
            }
        };
        let status = resp.status();
        if !options.is_success(status.as_u16()) {
            let ct = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let after = retry_after(resp.headers());
            let body = read_body(&mut resp, url).await.unwrap_or_default();
            return Attempt::Retry(
                fail(
                    failure_message(url, status, ct.as_deref(), &body),
                    Some(status.as_u16()),
                ),
                after,
            );
        }
        if !read {
            return Attempt::Done((resp, Vec::new()));
        }
        match read_body(&mut resp, url).await {
            Ok(body) => Attempt::Done((resp, body)),
            Err(m) => Attempt::Retry(fail(m, None), None),
        }
    };
    match tokio::time::timeout(options.timeout, work).await {
        Ok(a) => a,
        Err(_) => Attempt::Retry(
            fail(
                format!(
                    "URL '{url}' did not answer within {} ms",
                    options.timeout.as_millis()
                ),
                None,
            ),
            None,
        ),
    }
}

async fn send(
    spec: &HttpSpec,
    ctx: &Ctx<'_>,
    options: &HttpOptions,
    read: bool,
) -> Result<(String, reqwest::Response, Vec<u8>), Result<HttpFailure, Failure>> {
    let p = prepare(spec, ctx).await?;
    let mut tries = 0;
    loop {
        match attempt(&p, options, read).await {
            Attempt::Done((resp, body)) => return Ok((p.url_without_query.clone(), resp, body)),
            Attempt::Retry(mut failure, after) => {
                if tries >= options.retries {
                    if tries > 0 {
                        failure
                            .message
                            .push_str(&format!(" (after {} attempts)", tries + 1));
                    }
                    return Err(Ok(failure));
                }
                let exp = options
                    .backoff
                    .saturating_mul(1u32 << tries.min(16))
                    .min(MAX_BACKOFF);
                let delay = after
                    .map(|a| a.min(MAX_BACKOFF))
                    .unwrap_or_else(|| jitter(exp));
                tracing::info!(url = %failure.url, attempt = tries + 1, delay_ms = delay.as_millis() as u64, error = %failure.message, "retrying");
                tokio::time::sleep(delay).await;
                tries += 1;
            }
        }
    }
}

/// Performs the request and reads the body. `Err(Ok(f))` is an HTTP failure (ignorable), `Err(Err(f))` a fatal one.
pub async fn fetch(
    spec: &HttpSpec,
    ctx: &Ctx<'_>,
    options: &HttpOptions,
) -> Result<Fetched, Result<HttpFailure, Failure>> {
    let (url, resp, body) = send(spec, ctx, options, true).await?;
    Ok(Fetched {
        url,
        status: resp.status().as_u16(),
        content_type: resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: Bytes::from(body),
    })
}

/// Performs the request; the body is left to be streamed.
pub async fn fetch_streaming(
    spec: &HttpSpec,
    ctx: &Ctx<'_>,
    options: &HttpOptions,
) -> Result<Streaming, Result<HttpFailure, Failure>> {
    let (url, response, _) = send(spec, ctx, options, false).await?;
    Ok(Streaming { url, response })
}

/// reqwest's error text without the URL (which may carry secrets in its query).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "…");
    }
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
