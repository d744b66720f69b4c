//! Signing and sending one AWS request with the timeouts and retries of HTTP tasks, and reading AWS's errors.

use std::time::Duration;

use bytes::Bytes;

use super::credentials;
use super::error::AwsError;
use super::sigv4;
use crate::config::model::task::HttpOptions;

/// Largest answer read from AWS (an S3 object read as XML, a listing page, a secret).
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The region of S3 calls: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
pub fn default_region() -> String {
    credentials::env("AWS_REGION")
        .or_else(|| credentials::env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The configured endpoint of a service (`s3` or `secretsmanager`), if any, without a trailing `/`.
pub fn endpoint_override(service: &str) -> Option<String> {
    let (specific, reference) = match service {
        "s3" => ("AWS_ENDPOINT_URL_S3", "ENDPOINTS_AWS_S3_ENDPOINT_OVERRIDE"),
        _ => (
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "ENDPOINTS_AWS_SECRETS_MANAGER_ENDPOINT_OVERRIDE",
        ),
    };
    credentials::env(specific)
        .or_else(|| credentials::env(reference))
        .or_else(|| credentials::env("AWS_ENDPOINT_URL"))
        .map(|e| e.trim().trim_end_matches('/').to_string())
}

/// One request to sign and send.
pub struct Call<'a> {
    pub service: &'static str,
    /// Shown in messages: `S3` or `Secrets Manager`.
    pub service_name: &'static str,
    pub region: &'a str,
    pub method: reqwest::Method,
    /// `scheme://host[:port]`, no trailing `/`.
    pub origin: &'a str,
    /// Already encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What came back: any status (the caller reads AWS's error), the headers and the body.
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// A random delay in [0, d) ("full jitter").
fn jitter(d: Duration) -> Duration {
    let r = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    d.mul_f64(r)
}

/// Signs and sends `call`, retrying (as HTTP tasks do, `options.retries` times with exponential backoff and
/// jitter) when AWS cannot be reached, does not answer within `options.timeout`, answers 5xx or 429.
pub async fn send(
    client: &reqwest::Client,
    call: &Call<'_>,
    options: &HttpOptions,
) -> Result<Answer, AwsError> {
    let mut tries = 0u32;
    loop {
        let result = tokio::time::timeout(options.timeout, attempt(client, call)).await;
        let e = match result {
            Ok(Ok(a)) if a.status >= 500 || a.status == 429 => AwsError::Status {
                service: call.service_name,
                status: a.status,
                code: error_code(&a.body).0,
                message: String::new(),
            },
            Ok(Ok(a)) => return Ok(a),
            Ok(Err(e @ AwsError::Transport { .. })) => e,
            Ok(Err(e)) => return Err(e),
            Err(_) => AwsError::Transport {
                service: call.service_name,
                message: format!("no answer within {} ms", options.timeout.as_millis()),
            },
        };
        if tries >= options.retries {
            return Err(e);
        }
        let exp = options
            .backoff
            .saturating_mul(1u32 << tries.min(16))
            .min(MAX_BACKOFF);
        tracing::info!(service = call.service_name, attempt = tries + 1, error = %e, "retrying");
        tokio::time::sleep(jitter(exp)).await;
        tries += 1;
    }
}

async fn attempt(client: &reqwest::Client, call: &Call<'_>) -> Result<Answer, AwsError> {
    let creds = credentials::resolve(client).await?;
    let url = reqwest::Url::parse(call.origin).map_err(|_| {
        AwsError::Invalid(format!(
            "{} endpoint '{}' is not a URL",
            call.service_name, call.origin
        ))
    })?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => {
            return Err(AwsError::Invalid(format!(
                "{} endpoint '{}' has no host",
                call.service_name, call.origin
            )))
        }
    };
    let payload = sigv4::sha256_hex(&call.body);
    let signed = sigv4::sign(
        &sigv4::Request {
            method: call.method.as_str(),
            host: &host,
            path: &call.path,
            query: &call.query,
            headers: &call.headers,
            payload_sha256: &payload,
            region: call.region,
            service: call.service,
        },
        &creds,
        &sigv4::now(),
    );
    let query = sigv4::canonical_query(&call.query);
    let full = if query.is_empty() {
        format!("{}{}", call.origin, call.path)
    } else {
        format!("{}{}?{query}", call.origin, call.path)
    };
    let mut req = client.request(call.method.clone(), &full);
    for (n, v) in &signed {
        req = req.header(n.as_str(), v.as_str());
    }
    req = req.body(call.body.clone());
    let transport = |message: String| AwsError::Transport {
        service: call.service_name,
        message,
    };
    let mut resp = req.send().await.map_err(|e| transport(error_chain(&e)))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(error_chain(&e)))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(AwsError::Invalid(format!(
                "{} answered more than {MAX_ANSWER_BYTES} bytes",
                call.service_name
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        body: Bytes::from(body),
    })
}

/// reqwest's error with its causes, without the URL.
fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.without_url_ref();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut s = self.to_string();
        if let Some(u) = self.url() {
            s = s.replace(u.as_str(), "…");
        }
        s
    }
}

/// AWS's error code and message from an XML (`<Error><Code>…`) or JSON (`{"__type": …, "Message": …}`) body.
pub fn error_code(body: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        let t = v
            .get("__type")
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("")
            .to_string();
        let m = v
            .get("Message")
            .or_else(|| v.get("message"))
            .and_then(|x| x.as_str())
            .unwrap_or("");
        return (t, m.chars().take(300).collect());
    }
    if let Ok(doc) = roxmltree::Document::parse(&text) {
        let find = |n: &str| {
            doc.descendants()
                .find(|d| d.tag_name().name() == n)
                .and_then(|d| d.text())
                .unwrap_or("")
                .to_string()
        };
        return (find("Code"), find("Message").chars().take(300).collect());
    }
    (String::new(), String::new())
}

/// `call`'s answer as a failure when its status is not 2xx.
pub fn check_status(service: &'static str, a: &Answer) -> Result<(), AwsError> {
    if (200..300).contains(&a.status) {
        return Ok(());
    }
    let (code, message) = error_code(&a.body);
    Err(AwsError::Status {
        service,
        status: a.status,
        code,
        message,
    })
}
