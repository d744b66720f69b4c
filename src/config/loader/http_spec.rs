//! Parses the HTTP request specification shared by `<xml-from-url>`, `<response-from-url>` and HTTP tasks:
//! `<url>`, `<method>`, `<get-parameter>`, `<request-header>`, `<basic-access-authentication>`,
//! `<standard-webhooks-signature>`, and one body out of `<post-parameter>`s, `<xml-body>` or `<json-body>`.

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::compiler::Compiler;
use super::from_env::{self, Inline, Source};
use super::suggest::{did_you_mean_element, elements_comma};
use super::{secret, xml};
use crate::config::error::Diagnostics;
use crate::config::model::http_spec::{HttpBody, HttpMethod, HttpSpec, JsonTemplate, XmlFill};
use crate::config::model::template::Pattern;
use crate::stylesheet::Stylesheet;

/// Where the body stylesheets live (`http-xslt/`), and what compiles them.
pub struct SpecContext<'a> {
    pub http_xslt_dir: &'a Path,
    pub compiler: &'a mut Compiler,
}

/// Request headers that carry credentials: their values are secrets.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// The children of an HTTP request specification (its container may allow more).
const HTTP_SPEC_CHILDREN: [&str; 9] = [
    "url",
    "method",
    "get-parameter",
    "request-header",
    "post-parameter",
    "standard-webhooks-signature",
    "basic-access-authentication",
    "xml-body",
    "json-body",
];

/// The specification as its children are read.
struct Parts {
    url: Option<Pattern>,
    method: HttpMethod,
    get_parameters: Vec<(String, Pattern)>,
    headers: Vec<(String, Pattern)>,
    basic_auth: Option<(Pattern, Pattern)>,
    signing_key: Option<Vec<u8>>,
    form: Vec<(String, Pattern)>,
    bodies: Vec<HttpBody>,
}

/// Parses the HTTP children of `node`; `extra` lists further child elements the container allows.
pub fn parse(
    file: &Path,
    node: Node,
    extra: &[&str],
    ctx: &mut SpecContext,
    diags: &mut Diagnostics,
) -> Option<HttpSpec> {
    let tag = xml::name(node).to_string();
    let mut parts = Parts {
        url: None,
        method: HttpMethod::Get,
        get_parameters: Vec::new(),
        headers: Vec::new(),
        basic_auth: None,
        signing_key: None,
        form: Vec::new(),
        bodies: Vec::new(),
    };
    let mut ok = true;
    for c in xml::elements(node) {
        let name = xml::name(c);
        if !HTTP_SPEC_CHILDREN.contains(&name) && !extra.contains(&name) {
            let all: Vec<&str> = HTTP_SPEC_CHILDREN.iter().chain(extra).copied().collect();
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "Unexpected element <{name}> in <{tag}>; expected one of {}{}",
                    elements_comma(&all),
                    did_you_mean_element(name, &all)
                ),
            );
            ok = false;
            continue;
        }
        ok &= match name {
            "url" => {
                let first = parts.url.is_none();
                if !first {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{tag}> has more than one <url>"),
                    );
                }
                parts.url = Some(Pattern::plain(xml::text_content(c).trim()));
                first
            }
            "method" => parse_method(file, c, &mut parts, diags),
            "get-parameter" | "request-header" | "post-parameter" => {
                parse_named_value(file, c, &mut parts, diags)
            }
            "standard-webhooks-signature" => parse_signature(file, c, &mut parts, diags),
            "basic-access-authentication" => parse_basic_auth(file, c, &mut parts, diags),
            "xml-body" => parse_xml_body(file, node, c, &mut parts, ctx, diags),
            "json-body" => parse_json_body(file, c, &mut parts, ctx, diags),
            other if extra.contains(&other) => true, // read by the container
            _ => unreachable!("every name in HTTP_SPEC_CHILDREN has an arm"),
        };
    }
    if !parts.form.is_empty() {
        parts.bodies.insert(0, HttpBody::Form(parts.form));
    }
    if parts.bodies.len() > 1 {
        diags.error(
            file,
            xml::pos(node),
            format!("<{tag}>: An HTTP request can only have one body. Yet multiple types were set, out of <post-parameter>, <xml-body>, <json-body>"),
        );
        ok = false;
    }
    let Some(url) = parts.url else {
        diags.error(file, xml::pos(node), format!("<{tag}> needs a <url>"));
        return None;
    };
    ok.then(|| HttpSpec {
        url,
        method: parts.method,
        get_parameters: parts.get_parameters,
        headers: parts.headers,
        basic_auth: parts.basic_auth,
        body: parts.bodies.pop(),
        signing_key: parts.signing_key,
    })
}

/// `<method name="POST"/>`.
fn parse_method(file: &Path, c: Node, parts: &mut Parts, diags: &mut Diagnostics) -> bool {
    xml::check_attributes(file, c, &["name"], diags);
    let m = c.attribute("name").unwrap_or("");
    match HttpMethod::parse(m) {
        Some(m) => {
            parts.method = m;
            true
        }
        None => {
            diags.error(
                file,
                xml::attr_pos(c, "name"),
                format!("<method name='{m}'> invalid: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE"),
            );
            false
        }
    }
}

/// `<get-parameter name>`, `<request-header name>` or `<post-parameter name>` with a pattern as text.
fn parse_named_value(file: &Path, c: Node, parts: &mut Parts, diags: &mut Diagnostics) -> bool {
    let name = xml::name(c);
    xml::check_attributes(file, c, &["name"], diags);
    let Some(n) = xml::required_attribute(file, c, "name", diags) else {
        return false;
    };
    let p = Pattern::plain(&xml::text_content(c));
    match name {
        "get-parameter" => {
            parts.get_parameters.retain(|(k, _)| k != n);
            parts.get_parameters.push((n.to_string(), p));
        }
        "request-header" => {
            // A credential sent with the request.
            if CREDENTIAL_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)) {
                let value = xml::text_content(c);
                let value = value.trim();
                let credentials = value.split_once(' ').map_or(value, |(_, c)| c);
                diags.secret(value);
                diags.secret(credentials.trim());
            }
            parts.headers.push((n.to_string(), p));
            if http::HeaderName::from_bytes(n.as_bytes()).is_err() {
                diags.error(
                    file,
                    xml::attr_pos(c, "name"),
                    format!("'{n}' is not a valid HTTP header name"),
                );
                return false;
            }
        }
        _ => {
            parts.form.retain(|(k, _)| k != n);
            parts.form.push((n.to_string(), p));
        }
    }
    true
}

/// `<standard-webhooks-signature secret="whsec_…">` or `secret-from-environment-variable="VAR"`.
fn parse_signature(file: &Path, c: Node, parts: &mut Parts, diags: &mut Diagnostics) -> bool {
    xml::check_attributes(
        file,
        c,
        &["secret", "secret-from-environment-variable"],
        diags,
    );
    let source = Source {
        label: "<standard-webhooks-signature>",
        inline: Inline::Attribute("secret"),
        env_attr: "secret-from-environment-variable",
        example: "secret=\"whsec_…\"",
    };
    let value = from_env::value(file, c, &source, xml::pos(c), diags);
    let Some(v) = value else {
        return false;
    };
    diags.secret(&v);
    match secret::webhook_key(&v, diags) {
        Some(key) => {
            parts.signing_key = Some(key);
            true
        }
        None => {
            diags.error(file, xml::pos(c), "<standard-webhooks-signature>: the secret must be base64 (optionally prefixed whsec_)");
            false
        }
    }
}

/// `<basic-access-authentication username password/>`.
fn parse_basic_auth(file: &Path, c: Node, parts: &mut Parts, diags: &mut Diagnostics) -> bool {
    xml::check_attributes(file, c, &["username", "password"], diags);
    match (c.attribute("username"), c.attribute("password")) {
        (Some(u), Some(p)) => {
            diags.secret(p);
            if !u.contains("${") && !p.contains("${") {
                let sent = format!("{u}:{p}");
                diags.secret(&base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    sent,
                ));
            }
            parts.basic_auth = Some((Pattern::plain(u), Pattern::plain(p)));
            true
        }
        _ => {
            diags.error(
                file,
                xml::pos(c),
                "<basic-access-authentication> needs the attributes 'username' and 'password'",
            );
            false
        }
    }
}

/// `<xml-body xslt-file upload-files expand-transformations>` or a fixed body (one element).
fn parse_xml_body(
    file: &Path,
    node: Node,
    c: Node,
    parts: &mut Parts,
    ctx: &mut SpecContext,
    diags: &mut Diagnostics,
) -> bool {
    xml::check_attributes(
        file,
        c,
        &["xslt-file", "upload-files", "expand-transformations"],
        diags,
    );
    let fill = XmlFill {
        upload_files: xml::bool_attribute(c, "upload-files", false),
        expand_transformations: xml::bool_attribute(c, "expand-transformations", false),
    };
    let children: Vec<Node> = xml::elements(c).collect();
    match (c.attribute("xslt-file"), children.as_slice()) {
        (Some(x), []) => match body_xslt(file, c, x, "xml-body", ctx, diags) {
            Some(st) => parts.bodies.push(HttpBody::XmlXslt(st, fill)),
            None => return false,
        },
        (None, [one]) => {
            let src = node.document().input_text();
            parts
                .bodies
                .push(HttpBody::XmlTemplate(Pattern::xml(&src[one.range()]), fill));
        }
        _ => {
            diags.error(file, xml::pos(c), "<xml-body>: must have xslt-file='x.xslt' attr, or a fixed body (exactly one element)");
            return false;
        }
    }
    true
}

/// `<json-body xslt-file>` or a fixed JSON body as text.
fn parse_json_body(
    file: &Path,
    c: Node,
    parts: &mut Parts,
    ctx: &mut SpecContext,
    diags: &mut Diagnostics,
) -> bool {
    xml::check_attributes(file, c, &["xslt-file"], diags);
    let text = xml::text_content(c);
    match (c.attribute("xslt-file"), text.trim().is_empty()) {
        (Some(x), true) => match body_xslt(file, c, x, "json-body", ctx, diags) {
            Some(st) => parts.bodies.push(HttpBody::JsonXslt(st)),
            None => return false,
        },
        (None, false) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => parts
                .bodies
                .push(HttpBody::JsonTemplate(JsonTemplate::from_value(v))),
            Err(e) => {
                diags.error(file, xml::text_pos(c), format!("<json-body>: {e}"));
                return false;
            }
        },
        _ => {
            diags.error(
                file,
                xml::pos(c),
                "<json-body>: must have xslt-file='x.xslt' attr, or a fixed JSON body",
            );
            return false;
        }
    }
    true
}

/// The stylesheet of `<xml-body xslt-file>` / `<json-body xslt-file>`, from `http-xslt/`.
fn body_xslt(
    file: &Path,
    node: Node,
    name: &str,
    tag: &str,
    ctx: &mut SpecContext,
    diags: &mut Diagnostics,
) -> Option<Arc<Stylesheet>> {
    let path = ctx.http_xslt_dir.join(name);
    if !path.is_file() {
        diags.error(
            file,
            xml::attr_pos(node, "xslt-file"),
            format!("<{tag} xslt-file='{name}'>: File 'http-xslt/{name}' not found"),
        );
        return None;
    }
    ctx.compiler
        .compile(&path, file, xml::attr_pos(node, "xslt-file"), diags)
}
