//! Outgoing HTTP for `<xml-from-url>`: the request built from an [`HttpSpec`], the response turned into XML.

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;

use super::data_source::Ctx;
use super::Failure;
use crate::config::http_spec::{HttpBody, HttpMethod, HttpSpec, JsonTemplate};

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

/// The response of a successful (2xx) request.
pub struct Fetched {
    pub url: String,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// Performs the request. `Err(Ok(f))` is an HTTP failure (ignorable), `Err(Err(f))` a fatal one.
pub async fn fetch(
    spec: &HttpSpec,
    ctx: &Ctx<'_>,
) -> Result<Fetched, Result<HttpFailure, Failure>> {
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
    let (body, content_type): (Option<Vec<u8>>, Option<&str>) = match &spec.body {
        None => (None, None),
        Some(HttpBody::Form(list)) => {
            let mut pairs = Vec::with_capacity(list.len());
            for (n, p) in list {
                pairs.push((n.clone(), ctx.expand(p).map_err(Err)?));
            }
            (
                Some(form_encode(&pairs).into_bytes()),
                Some("application/x-www-form-urlencoded"),
            )
        }
        Some(HttpBody::XmlTemplate(p)) => {
            let xml = ctx.expand(p).map_err(Err)?;
            (
                Some(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}").into_bytes()),
                Some("application/xml; charset=UTF-8"),
            )
        }
        Some(HttpBody::XmlXslt(s)) => {
            let out = super::data_source::transform(s.clone(), ctx.parameters_xml(), Vec::new())
                .await
                .map_err(Err)?;
            (Some(out), Some("application/xml; charset=UTF-8"))
        }
        Some(HttpBody::JsonTemplate(t)) => {
            let v = expand_json(t, ctx).map_err(Err)?;
            (
                Some(v.to_string().into_bytes()),
                Some("application/json; charset=UTF-8"),
            )
        }
        Some(HttpBody::JsonXslt(s)) => {
            let out = super::data_source::transform(s.clone(), ctx.parameters_xml(), Vec::new())
                .await
                .map_err(Err)?;
            (Some(out), Some("application/json; charset=UTF-8"))
        }
    };
    // As the reference: a body with method GET is sent as POST.
    let method = match (spec.method, body.is_some()) {
        (HttpMethod::Get, true) => reqwest::Method::POST,
        (m, _) => reqwest::Method::from_bytes(m.as_str().as_bytes()).expect("known method"),
    };
    let mut req = client().request(method, parsed);
    let mut has_content_type = false;
    for (n, p) in &spec.headers {
        has_content_type |= n.eq_ignore_ascii_case("content-type");
        req = req.header(n.as_str(), ctx.expand(p).map_err(Err)?);
    }
    if let Some((u, p)) = &spec.basic_auth {
        let creds = format!(
            "{}:{}",
            ctx.expand(u).map_err(Err)?,
            ctx.expand(p).map_err(Err)?
        );
        req = req.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(creds)
            ),
        );
    }
    if let Some(b) = body {
        if let (Some(ct), false) = (content_type, has_content_type) {
            req = req.header("content-type", ct);
        }
        req = req.body(b);
    }
    let fail = |message: String, status: Option<u16>| {
        Err(Ok(HttpFailure {
            message,
            status,
            url: url_without_query.clone(),
        }))
    };
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return fail(
                format!("URL '{url_without_query}' did not answer in time"),
                None,
            )
        }
        Err(e) => {
            return fail(
                format!(
                    "URL '{url_without_query}' could not be fetched: {}",
                    without_url(&e)
                ),
                None,
            )
        }
    };
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if body.len() + c.len() > MAX_RESPONSE_BYTES {
                    return fail(format!("URL '{url_without_query}' returned more than {MAX_RESPONSE_BYTES} bytes"), None);
                }
                body.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(e) => {
                return fail(
                    format!(
                        "URL '{url_without_query}' could not be read: {}",
                        without_url(&e)
                    ),
                    None,
                )
            }
        }
    }
    if !status.is_success() {
        let mut message = format!("URL '{url_without_query}' returned {}", status.as_u16());
        if let Some(reason) = status.canonical_reason() {
            message.push(' ');
            message.push_str(reason);
        }
        let texty = content_type
            .as_deref()
            .is_some_and(|c| c.contains("text") || c.contains("json") || c.contains("xml"));
        if texty && !body.is_empty() {
            let text = String::from_utf8_lossy(&body);
            let excerpt: String = text.chars().take(1000).collect();
            let truncated = if text.chars().count() > 1000 {
                "... [truncated]"
            } else {
                ""
            };
            message.push_str(&format!(" (body was: {excerpt}{truncated})"));
        }
        return fail(message, Some(status.as_u16()));
    }
    Ok(Fetched {
        url: url_without_query,
        content_type,
        body: Bytes::from(body),
    })
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
