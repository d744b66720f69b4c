//! The parameter transformation: the input document built from the request, the stylesheet, and the rules
//! that turn its output into the endpoint's parameters or a 400/500.

use super::call::Call;
use super::context::{file_upload_xml, Ctx};
use super::data_source;
use super::failure::Failure;
use super::stylesheet;
use super::timings::StepKind;
use crate::config::{Endpoint, ParameterTransformation};
use crate::convert::escape::escape_xml;
use crate::request::{BodyDocument, BodyKind};

const PREFIX: &str = "While processing result of parameter transformation: ";

fn element(name: &str, text: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_xml(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Request parameters joined per name (first-appearance order) with the endpoint's separator.
pub fn joined_params(pairs: &[(String, String)], separator: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, v) in pairs {
        match out.iter_mut().find(|(k, _)| k == n) {
            Some((_, existing)) => {
                existing.push_str(separator);
                existing.push_str(v);
            }
            None => out.push((n.clone(), v.clone())),
        }
    }
    out
}

/// Runs the transformation; returns the parameters it produced (not yet checked for defaults). A traced request
/// records it as a step named after the endpoint.
///
/// `pairs` are the request parameters; `with_body` is false for forwarded requests, which see no body.
pub async fn run(
    call: &Call<'_>,
    endpoint: &Endpoint,
    pt: &ParameterTransformation,
    pairs: &[(String, String)],
    with_body: bool,
) -> Result<Vec<(String, String)>, Failure> {
    call.journal
        .timed(
            StepKind::ParameterTransformation,
            || endpoint.name.clone(),
            transform(call, endpoint, pt, pairs, with_body),
        )
        .await
}

async fn transform(
    call: &Call<'_>,
    endpoint: &Endpoint,
    pt: &ParameterTransformation,
    pairs: &[(String, String)],
    with_body: bool,
) -> Result<Vec<(String, String)>, Failure> {
    let input = call.input;
    let request_params = joined_params(pairs, &endpoint.separator);
    let mut doc = String::from("<parameter-transformation-input><input-from-request>");
    element("endpoint", &endpoint.name, &mut doc);
    if input.debug && with_body {
        doc.push_str("<debug-requested/>");
    }
    for (n, v) in &request_params {
        doc.push_str("<parameter name=\"");
        escape_xml(n, &mut doc);
        doc.push_str("\" value=\"");
        escape_xml(v, &mut doc);
        doc.push_str("\"/>");
    }
    for u in &input.uploads {
        doc.push_str(&file_upload_xml(u));
    }
    let body_kind = if with_body {
        input.body_kind()
    } else {
        BodyKind::None
    };
    if matches!(body_kind, BodyKind::Xml | BodyKind::Json) {
        let raw = input.raw_body.clone().unwrap_or_default();
        // Made when the body was read; an input built by hand gets it here, within the default limits.
        let made;
        let body = match &input.body_document {
            Some(d) => d,
            None => {
                made = crate::request::body_document_async(
                    body_kind.clone(),
                    raw.clone(),
                    Default::default(),
                )
                .await
                .map_err(|e| Failure::bad_request(e.to_string()))?
                .ok_or_else(|| Failure::internal("no XML for the request body"))?;
                &made
            }
        };
        match body {
            BodyDocument::Xml(range) => {
                let root = raw
                    .get(range.clone())
                    .and_then(|r| std::str::from_utf8(r).ok())
                    .ok_or_else(|| Failure::internal("the XML body's root is out of range"))?;
                doc.reserve(root.len() + 4096);
                doc.push_str("<xml>");
                doc.push_str(root);
                doc.push_str("</xml>");
            }
            BodyDocument::Json(children) => {
                doc.reserve(children.len() + 4096);
                doc.push_str("<json>");
                doc.push_str(children);
                doc.push_str("</json>");
            }
            BodyDocument::Invalid(message) => return Err(Failure::bad_request(message.clone())),
        }
    }
    // Where credentials (credential headers, cookie values) are in `doc`: left out of the stored copy.
    let mut hidden: Vec<std::ops::Range<usize>> = Vec::new();
    for (name, value) in input.headers.iter() {
        if name == http::header::COOKIE {
            continue;
        }
        doc.push_str("<http-header name-lowercase=\"");
        escape_xml(name.as_str(), &mut doc);
        doc.push_str("\">");
        let start = doc.len();
        escape_xml(&String::from_utf8_lossy(value.as_bytes()), &mut doc);
        if is_credential_header(name) {
            hidden.push(start..doc.len());
        }
        doc.push_str("</http-header>");
    }
    for cookie in input.headers.get_all(http::header::COOKIE) {
        for pair in String::from_utf8_lossy(cookie.as_bytes()).split(';') {
            if let Some((n, v)) = pair.trim().split_once('=') {
                doc.push_str("<cookie name=\"");
                escape_xml(n.trim(), &mut doc);
                doc.push_str("\">");
                let start = doc.len();
                escape_xml(v.trim(), &mut doc);
                hidden.push(start..doc.len());
                doc.push_str("</cookie>");
            }
        }
    }
    // Computed once by the server: the peer, or what a trusted proxy says (`--trusted-proxy`).
    if let Some(ip) = call.input.client_ip {
        element("ip-address", &ip.to_string(), &mut doc);
    }
    doc.push_str("</input-from-request><input-from-application>");
    element("application", &call.app.name, &mut doc);
    if call.settings.debug_allowed {
        doc.push_str("<debug-allowed/>");
    }
    if let Some(k) = call.app.secret_keys.first() {
        element("secret-key", k, &mut doc);
    }
    element("base-url", &call.settings.base_url, &mut doc);
    doc.push_str("</input-from-application>");

    // Data sources see the request parameters (none for XML/JSON bodies) and request-id; unknown → "".
    let mut ds_params = if matches!(body_kind, BodyKind::Xml | BodyKind::Json) {
        Vec::new()
    } else {
        request_params.clone()
    };
    ds_params.push(("request-id".to_string(), call.request_id.to_string()));
    let ctx = Ctx {
        app: call.app,
        params: ds_params,
        intermediate: 0,
        unknown_empty: true,
        uploads: &input.uploads,
        journal: &call.journal,
        separator: endpoint.separator.clone(),
    };
    for e in data_source::run_commands(&pt.commands, &ctx).await? {
        doc.push_str(&e);
    }
    doc.push_str("</parameter-transformation-input>");

    // Only the first endpoint's documents are logged, and only when debug capture may want them.
    let record = with_body && call.may_record_debug();
    if record {
        call.journal.set_pt_input(without(&doc, &hidden));
    }
    let out = stylesheet::run(pt.xslt.clone(), doc, Vec::new()).await?;
    if record {
        call.journal
            .set_pt_output(String::from_utf8_lossy(&out).into_owned());
    }
    interpret_output(endpoint, &out)
}

/// Headers that carry credentials: their values (and cookie values) are never stored.
pub fn is_credential_header(name: &http::HeaderName) -> bool {
    name == http::header::AUTHORIZATION
        || name == http::header::PROXY_AUTHORIZATION
        || name == http::header::COOKIE
}

/// `doc` with the (ascending, disjoint) `ranges` replaced by the redaction mark.
fn without(doc: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut at = 0;
    for r in ranges {
        out.push_str(&doc[at..r.start]);
        if !r.is_empty() {
            out.push_str(crate::config::secrets::REDACTED);
        }
        at = r.end;
    }
    out.push_str(&doc[at..]);
    out
}

/// The transformation's result: `<parameter name value>` elements, or an `<error>` (400), or a broken result (400/500).
pub fn interpret_output(endpoint: &Endpoint, out: &[u8]) -> Result<Vec<(String, String)>, Failure> {
    let text = std::str::from_utf8(out)
        .map_err(|_| Failure::hidden("parameter transformation output is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Failure::bad_request(format!(
            "{PREFIX}Parameter transformation delivered empty document"
        )));
    }
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| Failure::hidden(format!("parameter transformation output is not XML: {e}")))?;
    let root = doc.root_element();
    let children: Vec<_> = root.children().filter(|c| c.is_element()).collect();
    let errors: Vec<_> = children
        .iter()
        .filter(|c| c.tag_name().name() == "error")
        .collect();
    if errors.len() > 1 {
        return Err(Failure::bad_request(format!(
            "{PREFIX}More than one <error> element"
        )));
    }
    if let Some(e) = errors.first() {
        let text: String = e
            .descendants()
            .filter(|d| d.is_text())
            .filter_map(|d| d.text())
            .collect();
        let mut f = Failure::bad_request(format!(
            "Parameter transformation contained <error>: {text}"
        ));
        f.parameter_transformation_error = Some(text);
        return Err(f);
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for c in children {
        match c.tag_name().name() {
            "parameter" => {
                let (Some(n), Some(v)) = (c.attribute("name"), c.attribute("value")) else {
                    return Err(Failure::bad_request(format!(
                        "{PREFIX}<parameter> needs the attributes 'name' and 'value'"
                    )));
                };
                if n == "request-id" {
                    continue;
                }
                if endpoint.parameter_index(n).is_none() {
                    return Err(Failure::bad_request(format!(
                        "Parameter transformation XSLT produced <parameter name='{n}'../> but this parameter isn't declared in 'endpoints.xml'"
                    )));
                }
                params.retain(|(k, _)| k != n);
                params.push((n.to_string(), v.to_string()));
            }
            "status" => {
                return Err(Failure::hidden(
                    "Parameter transformation produced the legacy <status> element",
                ))
            }
            other => {
                return Err(Failure::bad_request(format!(
                    "{PREFIX}Unexpected element <{other}>"
                )))
            }
        }
    }
    Ok(params)
}
