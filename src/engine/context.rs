//! The values a data source, a transformer, an HTTP request or a task can see ([`Ctx`]), and running a
//! transformer from below `transform.rs` ([`RunTransformer`]).

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::failure::Failure;
use super::journal::Journal;
use crate::config::template::Pattern;
use crate::config::Application;
use crate::convert::escape::escape_xml;
use crate::request::Upload;

/// Largest uploaded file that is tried as XML for `<file-upload>` elements.
const MAX_UPLOAD_AS_XML: u64 = 16 * 1024 * 1024;

/// The values a data source can see, and how unknown placeholders are treated.
pub struct Ctx<'a> {
    pub app: &'a Application,
    /// Name and value of every value visible here, in order: the parameters (including `request-id`), then the
    /// intermediate values of tasks (the last [`Ctx::intermediate`] entries).
    pub params: Vec<(String, String)>,
    /// How many entries at the end of `params` are intermediate values (`<parameters/>` writes them as
    /// `<intermediate-value>`).
    pub intermediate: usize,
    /// The parameter-transformation context: unknown placeholders become `""`.
    pub unknown_empty: bool,
    pub uploads: &'a [Upload],
    /// The request's numbers, captures and short links.
    pub journal: &'a Journal,
    /// The endpoint's multiple-value separator (conditions of the data-driven CMS split on it).
    pub separator: String,
}

impl Ctx<'_> {
    pub fn lookup(&self, name: &str) -> Option<&str> {
        // A `secrets.xml` parameter wins over everything, once this request has fetched it.
        if let Some(s) = &self.app.aws_secrets {
            if let Some(v) = s.index(name).and_then(|i| self.journal.secret(i)) {
                return Some(v);
            }
        }
        // Later entries override earlier ones.
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `params` followed by the `secrets.xml` parameters this request has fetched, for what looks values up by name
    /// with the last entry winning (OOXML parts, the e-mail sending configuration): a secret shadows a parameter.
    pub fn params_and_secrets(&self) -> Vec<(String, String)> {
        let mut out = self.params.clone();
        if let Some(s) = &self.app.aws_secrets {
            for (i, p) in s.parameters.iter().enumerate() {
                if let Some(v) = self.journal.secret(i) {
                    out.push((p.parameter.clone(), v.to_string()));
                }
            }
        }
        out
    }

    pub fn expand(&self, p: &Pattern) -> Result<String, Failure> {
        p.expand(&|n| self.lookup(n), self.unknown_empty)
            .map_err(|e| Failure::internal(e.to_string()))
    }

    /// The `<parameters>` element of the `<parameters/>` command: `<parameter name value/>` for every parameter,
    /// then `<intermediate-value name value/>` for every intermediate value, then the uploaded files.
    pub fn parameters_xml(&self) -> String {
        let mut s = String::from("<parameters>");
        let split = self.params.len() - self.intermediate.min(self.params.len());
        for (i, (n, v)) in self.params.iter().enumerate() {
            s.push_str(if i < split {
                "<parameter name=\""
            } else {
                "<intermediate-value name=\""
            });
            escape_xml(n, &mut s);
            s.push_str("\" value=\"");
            escape_xml(v, &mut s);
            s.push_str("\"/>");
        }
        for u in self.uploads {
            s.push_str(&file_upload_xml(u));
        }
        s.push_str("</parameters>");
        s
    }
}

/// `<file-upload field-name upload-filename>` with the file's root element inside when the file is XML.
pub fn file_upload_xml(u: &Upload) -> String {
    let mut s = String::from("<file-upload field-name=\"");
    escape_xml(&u.field_name, &mut s);
    s.push_str("\" upload-filename=\"");
    escape_xml(&u.filename, &mut s);
    s.push_str("\">");
    if u.size <= MAX_UPLOAD_AS_XML {
        if let Ok(bytes) = u.data.read_blocking() {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                // Within the request's limits (in linear time); a file over them is not read as XML.
                match crate::convert::limits::xml_root_within(text, &u.xml_budget) {
                    Ok(range) => s.push_str(&text[range]),
                    Err(crate::convert::limits::XmlBodyError::Limit(e)) => tracing::warn!(
                        field = %u.field_name,
                        "uploaded file not read as XML: {e}"
                    ),
                    Err(_) => {}
                }
            }
        }
    }
    s.push_str("</file-upload>");
    s
}

/// Running transformer `index` (of `app.transformers`) on a context, for the modules that `transform.rs` itself
/// imports: an XML body with `expand-transformations` (`http.rs`) runs transformers, whose data sources may fetch
/// URLs with such bodies. The recursion goes through this trait, implemented for [`Ctx`] in `transform.rs`, so that
/// no engine file imports one that imports it back.
pub trait RunTransformer {
    /// The body the transformer produced.
    fn run_transformer(&self, index: usize) -> BoxFuture<'_, Result<Bytes, Failure>>;
}
