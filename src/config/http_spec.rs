//! The HTTP request specification shared by `<xml-from-url>` (and later `<response-from-url>` and HTTP tasks):
//! `<url>`, `<method>`, `<get-parameter>`, `<request-header>`, `<basic-access-authentication>`, and one body out of
//! `<post-parameter>`s, `<xml-body>` or `<json-body>`.

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::error::Diagnostics;
use super::template::Pattern;
use super::xml;
use crate::stylesheet::Stylesheet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Trace,
}

impl HttpMethod {
    pub fn parse(s: &str) -> Option<HttpMethod> {
        Some(match s {
            "GET" => HttpMethod::Get,
            "HEAD" => HttpMethod::Head,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "OPTIONS" => HttpMethod::Options,
            "TRACE" => HttpMethod::Trace,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Trace => "TRACE",
        }
    }
}

/// A JSON template: string values (at any depth) are plain-text patterns; keys, numbers and booleans are fixed.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Pattern),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    fn from_value(v: serde_json::Value) -> JsonTemplate {
        match v {
            serde_json::Value::Null => JsonTemplate::Null,
            serde_json::Value::Bool(b) => JsonTemplate::Bool(b),
            serde_json::Value::Number(n) => JsonTemplate::Number(n),
            serde_json::Value::String(s) => JsonTemplate::String(Pattern::plain(&s)),
            serde_json::Value::Array(a) => {
                JsonTemplate::Array(a.into_iter().map(JsonTemplate::from_value).collect())
            }
            serde_json::Value::Object(o) => JsonTemplate::Object(
                o.into_iter()
                    .map(|(k, v)| (k, JsonTemplate::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub fn patterns<'a>(&'a self, out: &mut Vec<&'a Pattern>) {
        match self {
            JsonTemplate::String(p) => out.push(p),
            JsonTemplate::Array(a) => a.iter().for_each(|t| t.patterns(out)),
            JsonTemplate::Object(o) => o.iter().for_each(|(_, t)| t.patterns(out)),
            _ => {}
        }
    }
}

/// What `<xml-body upload-files expand-transformations>` adds to the body after it is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlFill {
    /// Elements with `upload-field-name="f"` get the base64 of that uploaded file.
    pub upload_files: bool,
    /// Elements with `xslt-transformation="t"` get the base64 of transformer `t`'s output.
    pub expand_transformations: bool,
}

#[derive(Debug, Clone)]
pub enum HttpBody {
    Form(Vec<(String, Pattern)>),
    XmlTemplate(Pattern, XmlFill),
    XmlXslt(Arc<Stylesheet>, XmlFill),
    JsonTemplate(JsonTemplate),
    JsonXslt(Arc<Stylesheet>),
}

#[derive(Debug, Clone)]
pub struct HttpSpec {
    pub url: Pattern,
    pub method: HttpMethod,
    pub get_parameters: Vec<(String, Pattern)>,
    pub headers: Vec<(String, Pattern)>,
    pub basic_auth: Option<(Pattern, Pattern)>,
    pub body: Option<HttpBody>,
    /// `<standard-webhooks-signature>` (an extension): the key that signs what is sent.
    pub signing_key: Option<Vec<u8>>,
}

impl HttpSpec {
    /// Every plain-text or XML pattern of the specification (for load-time placeholder checks).
    pub fn patterns(&self) -> Vec<&Pattern> {
        let mut out = vec![&self.url];
        out.extend(self.get_parameters.iter().map(|(_, p)| p));
        out.extend(self.headers.iter().map(|(_, p)| p));
        if let Some((u, p)) = &self.basic_auth {
            out.push(u);
            out.push(p);
        }
        match &self.body {
            Some(HttpBody::Form(f)) => out.extend(f.iter().map(|(_, p)| p)),
            Some(HttpBody::XmlTemplate(p, _)) => out.push(p),
            Some(HttpBody::JsonTemplate(t)) => t.patterns(&mut out),
            _ => {}
        }
        out
    }
}

/// Compiles a stylesheet (path, referencing file, position there), reporting failures.
pub type CompileFn<'a> =
    dyn FnMut(&Path, &Path, super::Pos, &mut Diagnostics) -> Option<Arc<Stylesheet>> + 'a;

/// What parsing the specification needs: where the body stylesheets live, and how to compile one.
pub struct SpecContext<'a> {
    pub http_xslt_dir: &'a Path,
    pub compile: &'a mut CompileFn<'a>,
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
    (ctx.compile)(&path, file, xml::attr_pos(node, "xslt-file"), diags)
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
    let mut url = None;
    let mut method = HttpMethod::Get;
    let mut get_parameters = Vec::new();
    let mut headers = Vec::new();
    let mut basic_auth = None;
    let mut signing_key = None;
    let mut form = Vec::new();
    let mut bodies: Vec<HttpBody> = Vec::new();
    let mut ok = true;
    for c in xml::elements(node) {
        let name = xml::name(c);
        match name {
            "url" => {
                if url.is_some() {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{tag}> has more than one <url>"),
                    );
                    ok = false;
                }
                url = Some(Pattern::plain(xml::text_content(c).trim()));
            }
            "method" => {
                xml::check_attributes(file, c, &["name"], diags);
                let m = c.attribute("name").unwrap_or("");
                match HttpMethod::parse(m) {
                    Some(m) => method = m,
                    None => {
                        diags.error(
                            file,
                            xml::attr_pos(c, "name"),
                            format!("<method name='{m}'> invalid: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE"),
                        );
                        ok = false;
                    }
                }
            }
            "get-parameter" | "request-header" | "post-parameter" => {
                xml::check_attributes(file, c, &["name"], diags);
                let Some(n) = c.attribute("name") else {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{name}> is missing the attribute 'name'"),
                    );
                    ok = false;
                    continue;
                };
                let p = Pattern::plain(&xml::text_content(c));
                match name {
                    "get-parameter" => {
                        get_parameters.retain(|(k, _): &(String, Pattern)| k != n);
                        get_parameters.push((n.to_string(), p));
                    }
                    "request-header" => {
                        // A credential sent with the request.
                        if [
                            "authorization",
                            "proxy-authorization",
                            "cookie",
                            "x-api-key",
                        ]
                        .iter()
                        .any(|h| n.eq_ignore_ascii_case(h))
                        {
                            let value = xml::text_content(c);
                            let value = value.trim();
                            let credentials = value.split_once(' ').map_or(value, |(_, c)| c);
                            diags.secret(value);
                            diags.secret(credentials.trim());
                        }
                        if http::HeaderName::from_bytes(n.as_bytes()).is_err() {
                            diags.error(
                                file,
                                xml::attr_pos(c, "name"),
                                format!("'{n}' is not a valid HTTP header name"),
                            );
                            ok = false;
                        }
                        headers.push((n.to_string(), p));
                    }
                    _ => {
                        form.retain(|(k, _): &(String, Pattern)| k != n);
                        form.push((n.to_string(), p));
                    }
                }
            }
            "standard-webhooks-signature" => {
                xml::check_attributes(
                    file,
                    c,
                    &["secret", "secret-from-environment-variable"],
                    diags,
                );
                let value = match (
                    c.attribute("secret"),
                    c.attribute("secret-from-environment-variable"),
                ) {
                    (Some(v), None) => Some(v.to_string()),
                    (None, Some(var)) => match std::env::var(var).ok().filter(|v| !v.is_empty()) {
                        Some(v) => Some(v),
                        None => {
                            diags.error(file, xml::pos(c), format!("<standard-webhooks-signature>: environment variable '{var}' is not set"));
                            None
                        }
                    },
                    _ => {
                        diags.error(file, xml::pos(c), "<standard-webhooks-signature> needs secret=\"whsec_…\" or secret-from-environment-variable=\"VAR\"");
                        None
                    }
                };
                if let Some(v) = &value {
                    diags.secret(v);
                    diags.secret(v.strip_prefix("whsec_").unwrap_or(v));
                }
                match value.map(|v| {
                    base64::Engine::decode(
                        &base64::engine::general_purpose::STANDARD,
                        v.strip_prefix("whsec_").unwrap_or(&v),
                    )
                }) {
                    Some(Ok(key)) => {
                        if let Ok(raw) = std::str::from_utf8(&key) {
                            diags.secret(raw);
                        }
                        signing_key = Some(key)
                    }
                    Some(Err(_)) => {
                        diags.error(file, xml::pos(c), "<standard-webhooks-signature>: the secret must be base64 (optionally prefixed whsec_)");
                        ok = false;
                    }
                    None => ok = false,
                }
            }
            "basic-access-authentication" => {
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
                        basic_auth = Some((Pattern::plain(u), Pattern::plain(p)))
                    }
                    _ => {
                        diags.error(file, xml::pos(c), "<basic-access-authentication> needs the attributes 'username' and 'password'");
                        ok = false;
                    }
                }
            }
            "xml-body" => {
                xml::check_attributes(
                    file,
                    c,
                    &["xslt-file", "upload-files", "expand-transformations"],
                    diags,
                );
                let fill = XmlFill {
                    upload_files: c
                        .attribute("upload-files")
                        .and_then(xml::parse_bool)
                        .unwrap_or(false),
                    expand_transformations: c
                        .attribute("expand-transformations")
                        .and_then(xml::parse_bool)
                        .unwrap_or(false),
                };
                let children: Vec<Node> = xml::elements(c).collect();
                match (c.attribute("xslt-file"), children.as_slice()) {
                    (Some(x), []) => match body_xslt(file, c, x, "xml-body", ctx, diags) {
                        Some(st) => bodies.push(HttpBody::XmlXslt(st, fill)),
                        None => ok = false,
                    },
                    (None, [one]) => {
                        let src = node.document().input_text();
                        bodies.push(HttpBody::XmlTemplate(Pattern::xml(&src[one.range()]), fill));
                    }
                    _ => {
                        diags.error(file, xml::pos(c), "<xml-body>: must have xslt-file='x.xslt' attr, or a fixed body (exactly one element)");
                        ok = false;
                    }
                }
            }
            "json-body" => {
                xml::check_attributes(file, c, &["xslt-file"], diags);
                let text = xml::text_content(c);
                match (c.attribute("xslt-file"), text.trim().is_empty()) {
                    (Some(x), true) => match body_xslt(file, c, x, "json-body", ctx, diags) {
                        Some(st) => bodies.push(HttpBody::JsonXslt(st)),
                        None => ok = false,
                    },
                    (None, false) => match serde_json::from_str::<serde_json::Value>(&text) {
                        Ok(v) => bodies.push(HttpBody::JsonTemplate(JsonTemplate::from_value(v))),
                        Err(e) => {
                            diags.error(file, xml::text_pos(c), format!("<json-body>: {e}"));
                            ok = false;
                        }
                    },
                    _ => {
                        diags.error(
                            file,
                            xml::pos(c),
                            "<json-body>: must have xslt-file='x.xslt' attr, or a fixed JSON body",
                        );
                        ok = false;
                    }
                }
            }
            other if extra.contains(&other) => {}
            other => {
                diags.error(
                    file,
                    xml::pos(c),
                    format!("Unexpected element <{other}> in <{tag}>"),
                );
                ok = false;
            }
        }
    }
    if !form.is_empty() {
        bodies.insert(0, HttpBody::Form(form));
    }
    if bodies.len() > 1 {
        diags.error(
            file,
            xml::pos(node),
            format!("<{tag}>: An HTTP request can only have one body. Yet multiple types were set, out of <post-parameter>, <xml-body>, <json-body>"),
        );
        ok = false;
    }
    let Some(url) = url else {
        diags.error(file, xml::pos(node), format!("<{tag}> needs a <url>"));
        return None;
    };
    ok.then(|| HttpSpec {
        url,
        method,
        get_parameters,
        headers,
        basic_auth,
        body: bodies.pop(),
        signing_key,
    })
}
