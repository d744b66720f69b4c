//! The request-log entry of one request: what is recorded (debug documents only when asked for) and the redaction
//! of the application's secrets and the request's credentials from it.

use std::borrow::Cow;

use ::http::StatusCode;

use super::call::Call;
use super::failure::Failure;
use super::parameter_transformation::is_credential_header;
use crate::config::secrets::REDACTED;
use crate::convert::escape::escape_xml;
use crate::request::RequestInput;
use crate::store::LogEntry;

/// The credentials the request itself carries (credential headers, cookie values), to be removed from what is
/// stored about it. Short values are left out: they would remove ordinary text everywhere (the parameter
/// transformation's input leaves out every one of them, whatever its length).
fn request_credentials(input: &RequestInput) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        let v = v.trim();
        if v.chars().count() >= 6 && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
            let mut escaped = String::new();
            escape_xml(v, &mut escaped);
            if escaped != v {
                out.push(escaped);
            }
        }
    };
    for (name, value) in &input.headers {
        if !is_credential_header(name) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == ::http::header::COOKIE {
            for pair in value.split(';') {
                if let Some((_, v)) = pair.split_once('=') {
                    add(v);
                }
            }
        } else {
            add(&value);
            if let Some((_, credentials)) = value.trim().split_once(' ') {
                add(credentials);
            }
        }
    }
    // Longest first, so that a value containing another one is removed whole.
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out
}

/// Removes the application's secrets and the request's credentials from what is stored about a request.
fn redact_entry(call: &Call<'_>, e: &mut LogEntry) {
    let secrets = &call.app.secrets;
    // The `secrets.xml` values fetched so far (by any request: the error flow may have fetched its own).
    let fetched = call.app.aws_secrets.as_ref().map(|s| s.redaction());
    let fetched = fetched.as_deref().filter(|f| !f.is_empty());
    let credentials = if e.parameter_transformation_input.is_some()
        || e.parameter_transformation_output.is_some()
        || e.request_body.is_some()
        || e.exception_message.is_some()
        || e.xslt_parameter_error_message.is_some()
    {
        request_credentials(call.input)
    } else {
        Vec::new()
    };
    // Each step replaces the text only when it found something (most texts hold nothing to redact).
    let text = |s: &mut String| {
        if let Cow::Owned(out) = secrets.redact(s) {
            *s = out;
        }
        if let Some(f) = fetched {
            if let Cow::Owned(out) = f.redact(s) {
                *s = out;
            }
        }
        for c in &credentials {
            if s.contains(c.as_str()) {
                *s = s.replace(c.as_str(), REDACTED);
            }
        }
    };
    for s in [
        &mut e.exception_message,
        &mut e.http_request_failed_url,
        &mut e.xslt_parameter_error_message,
        &mut e.parameter_transformation_input,
        &mut e.parameter_transformation_output,
        &mut e.request_content_type,
    ]
    .into_iter()
    .flatten()
    {
        text(s);
    }
    if !secrets.is_empty() || fetched.is_some() {
        text(&mut e.user_agent);
    }
    if let Some(body) = &mut e.request_body {
        let mut out = secrets.redact_bytes(body).into_owned();
        if let Some(f) = fetched {
            out = f.redact_bytes(&out).into_owned();
        }
        for c in &credentials {
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest = &out[..];
            let needle = c.as_bytes();
            while let Some(i) = rest.windows(needle.len()).position(|w| w == needle) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            replaced.extend_from_slice(rest);
            out = replaced;
        }
        *body = out;
    }
}

/// The request-log entry of `call`, answered with `status` (after `failure`, if any); `pt` is the parameter
/// transformation's input and output document, stored only when the request's debug documents are recorded.
pub fn log_entry(
    call: &Call<'_>,
    status: StatusCode,
    failure: Option<&Failure>,
    pt: (Option<String>, Option<String>),
) -> LogEntry {
    let input = call.input;
    let mut e = LogEntry {
        request_id: call.request_id.to_string(),
        application: call.app.name.clone(),
        environment: call.environment.as_str().to_string(),
        endpoint: call.endpoint.name.clone(),
        datetime_ms: call.journal.started_ms,
        status_code: status.as_u16(),
        user_agent: input
            .headers
            .get(::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
        ..Default::default()
    };
    if let Some(f) = failure {
        e.exception_message = Some(match &f.detail {
            Some(d) => format!("{}: {d}", f.message),
            None => f.message.clone(),
        });
        if let Some(h) = &f.http_failure {
            e.http_request_failed_url = Some(h.0.clone());
            e.http_request_failed_status_code = h.1;
        }
        e.xslt_parameter_error_message = f.parameter_transformation_error.clone();
    }
    if call.record_debug(status, failure) {
        e.parameter_transformation_input = pt.0;
        e.parameter_transformation_output = pt.1;
        if let Some(ct) = &input.content_type {
            e.request_content_type = Some(ct.clone());
            e.request_body = input
                .signed_body
                .as_ref()
                .or(input.raw_body.as_ref())
                .map(|b| b.to_vec());
        }
    }
    redact_entry(call, &mut e);
    e
}
