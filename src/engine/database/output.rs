//! The `<T><row><COL>value</COL>…</row>…</T>` document every driver builds: element names from column names,
//! escaped text, the row limit, and binary values as base64.

use crate::convert::escape::{escape_into, Escape};
use base64::Engine as _;

use super::common::MAX_ROWS;

/// Builds `<T><row>…</row>…</T>`.
pub(super) struct XmlOut {
    out: String,
    tag: String,
    names: Vec<String>,
    rows: usize,
}

impl XmlOut {
    pub(super) fn new<'a>(tag: &str, columns: impl Iterator<Item = &'a str>) -> XmlOut {
        let mut out = String::with_capacity(256);
        out.push('<');
        out.push_str(tag);
        out.push('>');
        XmlOut {
            out,
            tag: tag.to_string(),
            names: columns.map(element_name).collect(),
            rows: 0,
        }
    }

    /// Counts a row against [`MAX_ROWS`] and opens it.
    pub(super) fn start_row(&mut self) -> Result<(), String> {
        self.rows += 1;
        if self.rows > MAX_ROWS {
            return Err(format!(
                "the query returned more than {MAX_ROWS} rows, the most <xml-from-database> accepts"
            ));
        }
        self.out.push_str("<row>");
        Ok(())
    }

    pub(super) fn cell(&mut self, index: usize, value: Option<&str>) {
        let name = &self.names[index];
        match value {
            None | Some("") => {
                self.out.push('<');
                self.out.push_str(name);
                self.out.push_str("/>");
            }
            Some(v) => {
                self.out.push('<');
                self.out.push_str(name);
                self.out.push('>');
                push_text(v, &mut self.out);
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push('>');
            }
        }
    }

    pub(super) fn end_row(&mut self) {
        self.out.push_str("</row>");
    }

    pub(super) fn finish(mut self) -> String {
        if self.rows == 0 {
            self.out.truncate(self.out.len() - 1);
            self.out.push_str("/>");
        } else {
            self.out.push_str("</");
            self.out.push_str(&self.tag);
            self.out.push('>');
        }
        self.out
    }
}

/// A column name as an XML element name (the JSON key rule of `convert::json_to_xml`).
pub fn element_name(column: &str) -> String {
    if column.is_empty() {
        return "_".to_string();
    }
    crate::convert::sanitize_key(&column.encode_utf16().collect::<Vec<u16>>())
}

/// Escapes element content; characters XML 1.0 forbids become U+FFFD, CR becomes `&#13;`.
pub(super) fn push_text(s: &str, out: &mut String) {
    escape_into(s, Escape::Text, out);
}

pub(super) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_names() {
        assert_eq!(element_name("name"), "name");
        assert_eq!(element_name("2nd value"), "_0032_nd_0020_value");
        assert_eq!(element_name("a.b-c_d"), "a.b-c_d");
        assert_eq!(element_name("?column?"), "_003f_column_003f_");
        assert_eq!(element_name("é"), "_00e9_");
        assert_eq!(element_name(""), "_");
    }

    #[test]
    fn text_escaping() {
        let mut s = String::new();
        push_text("a<b>&\"c\r\n\u{1}", &mut s);
        assert_eq!(s, "a&lt;b&gt;&amp;\"c&#13;\n\u{fffd}");
    }
}
