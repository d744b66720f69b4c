//! The HTTP request specification shared by `<xml-from-url>` (and later `<response-from-url>` and HTTP tasks):
//! `<url>`, `<method>`, `<get-parameter>`, `<request-header>`, `<basic-access-authentication>`, and one body out of
//! `<post-parameter>`s, `<xml-body>` or `<json-body>`.

use std::sync::Arc;

use super::template::Pattern;
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
    /// The template of a JSON value: its strings become plain-text patterns.
    pub fn from_value(v: serde_json::Value) -> JsonTemplate {
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
