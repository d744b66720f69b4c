//! XML → JSON (`<convert-output-xml-to-json/>`): the reference engine (OpenEndpoints) re-parses the transformer
//! output with org.json `XML.toJSONObject` (text member `_content`) and prints it with `toString(2)`. This module
//! reproduces both steps:
//!
//! * The result is an object with one member named after the root element (prefix kept: `ns:tag`).
//! * Several top-level elements (what an XSLT writes when its result has no single root, e.g.
//!   `<status>success</status><download-link>https://x/y</download-link>`) are accepted as org.json accepts them:
//!   each becomes a member of the result object exactly as a child element becomes a member of its parent's object
//!   (a repeated name makes an array), so the result has one member per distinct name:
//!   `{"status": "success", "download-link": "https://x/y"}`. Text between top-level elements is skipped, as
//!   org.json skips everything up to the next `<`; output with no element at all (empty, or text only) gives `{}`.
//! * An element with attributes or child elements becomes an object: attributes first (document order, `xmlns` and
//!   `xmlns:p` declarations included), then child elements and text in document order; a repeated name becomes an
//!   array in document order. Text goes to `_content`; several text chunks (split by child elements, comments or
//!   processing instructions) make `_content` an array. An element with only text becomes that value; with nothing
//!   (also whitespace only, comments only) `""`. Member order is first-occurrence order (OpenEndpoints: hash
//!   order).
//! * Text is trimmed like Java: leading `Character.isWhitespace` characters and trailing characters `<= U+0020`
//!   are removed; whitespace-only text is ignored. Attribute values are not trimmed.
//! * Values are coerced as `XML.stringToValue` does: `true`/`false`/`null` in any case → boolean/null; text that is
//!   a JSON number (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`) → a number **printed as written** (OpenEndpoints
//!   prints Java's form: `1.50` → `1.5`, `1e3` → `1E+3`); anything else → string. So `007`, `-007` stay strings,
//!   as in OpenEndpoints; forms Java accepts but JSON does not (`00.5`, `1.`, `1.5d`, hex floats) also stay
//!   strings here (OpenEndpoints makes numbers).
//! * org.json quirks kept: a text-only element with several chunks is an array, and an array value added to an
//!   absent member is wrapped once more (`<r><a>x<!---->y</a></r>` → `{"r": {"a": [["x", "y"]]}}`); an attribute
//!   named `_content` on `<a _content="1"></a>` unwraps to `1` (but `<a _content="1"/>` stays an object).
//! * Printing (`toString(2)`): 2-space indentation; an object or array with exactly one member is written on the
//!   line of its parent (`{"k": v}`, `[v]`) and its contents indented from the parent's level; otherwise one member
//!   per line. No trailing newline. Strings escape `"`, `\` and U+0000–U+001F (`\b \t \n \f \r`, else `\u00xx`);
//!   everything else, including non-ASCII, is written as UTF-8 (OpenEndpoints also escapes `</`, U+0080–U+009F and
//!   U+2000–U+20FF as `\uxxxx` — the same JSON value).
//!
//! Parsing differs from org.json's own lenient tokenizer: the input must be well-formed XML (a document or a
//! sequence of elements and text that would be well-formed inside one element), parsed with roxmltree without DTD
//! processing, in one pass (a second one only when the first finds more than one top-level node): a
//! `<!DOCTYPE …>` without internal subset is skipped as OpenEndpoints skips it (the external DTD is never loaded),
//! one with an internal subset (`[…]`) is an error. CDATA sections are text and merge with adjacent text
//! (OpenEndpoints keeps them as separate, uncoerced chunks); attribute values are normalised as XML requires. The
//! input may be UTF-8 (with or without BOM), UTF-16 with a BOM, or ISO-8859-1 when the XML declaration says so.
//! Elements nested deeper than [`MAX_DEPTH`] are an error.
//!
//! This file is a little over 600 lines long because decoding, reading and printing follow org.json step by step
//! and read best in one place; its tests are in `xml_to_json/tests.rs`.

use std::borrow::Cow;
use std::collections::HashMap;

use roxmltree::{Document, Node, NodeType, ParsingOptions};

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 256;

/// Why a document could not be converted. `Display` gives the detail only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlToJsonError {
    /// The bytes could not be decoded as text.
    #[error("cannot decode the XML: {0}")]
    Encoding(String),
    /// The text is not a well-formed XML document (or has a DTD).
    #[error("not valid XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("XML elements nested deeper than {max} levels at {pos}", max = MAX_DEPTH)]
    TooDeep { pos: roxmltree::TextPos },
}

/// Converts an XML document to JSON text as org.json's `XML.toJSONObject(xml).toString(2)` does (see module docs).
///
/// `<foo><content>The content äöü</content></foo>` → `{"foo": {"content": "The content äöü"}}`;
/// `<status>success</status><link>https://x/y</link>` → `{"status": "success", "link": "https://x/y"}` (several
/// top-level elements, see module docs).
pub fn xml_to_json(xml: &[u8]) -> Result<String, XmlToJsonError> {
    let text = blank_external_doctype(decode(xml)?);
    let mut out = String::with_capacity(xml.len());
    match parse(&text) {
        Ok(doc) => {
            let (name, value) = element(doc.root_element(), doc.input_text(), 1)?;
            let mut top = Object::default();
            top.accumulate(name, value);
            write_value(&Value::Object(top), 0, &mut out);
        }
        // What a sequence of top-level elements (or text) makes roxmltree say; anything else is a real error.
        Err(roxmltree::Error::UnknownToken(_) | roxmltree::Error::NoRootNode) => {
            // Errors found now are reported with their position in the wrapped text: the same as in the output
            // when it starts with an XML declaration, else shifted by the wrapper's start tag on the first line.
            let wrapped = wrap_fragment(&text);
            let doc = parse(&wrapped)?;
            let mut top = Object::default();
            for child in doc.root_element().children().filter(|c| c.is_element()) {
                let (name, value) = element(child, doc.input_text(), 1)?;
                top.accumulate(name, value);
            }
            write_value(&Value::Object(top), 0, &mut out);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(out)
}

fn parse(text: &str) -> Result<Document<'_>, roxmltree::Error> {
    Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: false,
            ..ParsingOptions::default()
        },
    )
}

/// Name of the element put around a fragment; it never reaches the output.
const WRAPPER: &str = "fragment";

/// `text` inside one wrapper element, so that a sequence of top-level elements parses as one document. A leading XML
/// declaration (which may only stand at the very start) is replaced by the wrapper's start tag padded with spaces,
/// so that positions in later errors stay right; without a declaration the start tag is put in front.
fn wrap_fragment(text: &str) -> String {
    let open = format!("<{WRAPPER}>");
    let close = format!("</{WRAPPER}>");
    let mut out = String::with_capacity(text.len() + open.len() + close.len());
    let declaration = text
        .strip_prefix("<?xml")
        .filter(|rest| rest.starts_with([' ', '\t', '\n', '\r']))
        .and_then(|rest| rest.find("?>"))
        .map(|end| "<?xml".len() + end + 2)
        .filter(|&len| len >= open.len());
    match declaration {
        Some(len) => {
            out.push_str(&open);
            out.extend(std::iter::repeat_n(' ', len - open.len()));
            out.push_str(&text[len..]);
        }
        None => {
            out.push_str(&open);
            out.push_str(text);
        }
    }
    out.push_str(&close);
    out
}

// ------------------------------------------------------------------------------------------------------------------
// Decoding

fn decode(xml: &[u8]) -> Result<Cow<'_, str>, XmlToJsonError> {
    if let Some(rest) = xml.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest);
    }
    if let Some(rest) = xml.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    }
    if let Some(rest) = xml.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    }
    match declared_encoding(xml).map(|e| e.to_ascii_lowercase()) {
        None => utf8(xml),
        Some(e) if matches!(e.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") => utf8(xml),
        Some(e)
            if matches!(
                e.as_str(),
                "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
            ) =>
        {
            Ok(Cow::Owned(xml.iter().map(|&b| char::from(b)).collect()))
        }
        Some(e) => Err(XmlToJsonError::Encoding(format!(
            "unsupported encoding '{e}'"
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, XmlToJsonError> {
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|e| XmlToJsonError::Encoding(format!("not UTF-8 at byte {}", e.valid_up_to())))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Cow<'static, str>, XmlToJsonError> {
    let chunks = bytes.chunks_exact(2);
    if !chunks.remainder().is_empty() {
        return Err(XmlToJsonError::Encoding(
            "odd number of bytes in UTF-16".to_string(),
        ));
    }
    let units = chunks.map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(Cow::Owned)
        .map_err(|e| {
            XmlToJsonError::Encoding(format!(
                "unpaired surrogate U+{:04X} in UTF-16",
                e.unpaired_surrogate()
            ))
        })
}

/// A document type declaration without internal subset (`<!DOCTYPE html SYSTEM "…">`, as `xsl:output
/// doctype-system` writes) declares nothing usable without loading the external DTD, which this engine never does;
/// OpenEndpoints skips it, so it is replaced by spaces (positions in later errors stay right). One with an internal
/// subset (`[…]`) is left for roxmltree to reject.
fn blank_external_doctype(text: Cow<'_, str>) -> Cow<'_, str> {
    let Some(range) = external_doctype(&text) else {
        return text;
    };
    let mut owned = text.into_owned();
    owned.replace_range(range.clone(), &" ".repeat(range.len()));
    Cow::Owned(owned)
}

/// The byte range of a `<!DOCTYPE …>` without `[` in the prolog.
fn external_doctype(text: &str) -> Option<std::ops::Range<usize>> {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        if let Some(after) = trimmed.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = trimmed.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if trimmed.starts_with("<!DOCTYPE") {
            let start = text.len() - trimmed.len();
            let mut quote = None;
            for (i, c) in trimmed.char_indices() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, '[') => return None,
                    (None, '>') => return Some(start..start + i + 1),
                    (None, _) => {}
                }
            }
            return None;
        } else {
            return None;
        }
    }
}

/// The `encoding` pseudo-attribute of a leading XML declaration.
fn declared_encoding(xml: &[u8]) -> Option<&str> {
    let decl = xml.strip_prefix(b"<?xml")?;
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&decl[..end]).ok()?;
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|&q| q == '"' || q == '\'')?;
    let value = &rest[1..];
    Some(&value[..value.find(quote)?])
}

// ------------------------------------------------------------------------------------------------------------------
// Building the value (org.json XML.parse)

#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Bool(bool),
    /// A JSON number, kept as written.
    Number(&'a str),
    String(&'a str),
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
}

/// A JSON object in insertion order, with an index once it has many members.
#[derive(Debug, Clone, PartialEq, Default)]
struct Object<'a> {
    members: Vec<(&'a str, Value<'a>)>,
    index: Option<HashMap<&'a str, usize>>,
}

const INDEX_FROM: usize = 16;

impl<'a> Object<'a> {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.members.iter().position(|(k, _)| *k == key),
        }
    }

    /// org.json `JSONObject.accumulate`: a second value makes an array, further values append; a first value that
    /// is an array is wrapped in an array.
    fn accumulate(&mut self, key: &'a str, value: Value<'a>) {
        if let Some(i) = self.position(key) {
            let slot = &mut self.members[i].1;
            match slot {
                Value::Array(items) => items.push(value),
                _ => {
                    let first = std::mem::replace(slot, Value::Null);
                    *slot = Value::Array(vec![first, value]);
                }
            }
            return;
        }
        let value = match value {
            Value::Array(_) => Value::Array(vec![value]),
            v => v,
        };
        self.members.push((key, value));
        if let Some(index) = &mut self.index {
            index.insert(key, self.members.len() - 1);
        } else if self.members.len() >= INDEX_FROM {
            self.index = Some(
                self.members
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (*k, i))
                    .collect(),
            );
        }
    }
}

const CONTENT: &str = "_content";

/// Converts one element; returns its qualified name and value. `depth` is 1 for the root element.
fn element<'a>(
    node: Node<'a, '_>,
    input: &'a str,
    depth: usize,
) -> Result<(&'a str, Value<'a>), XmlToJsonError> {
    let tag = scan_start_tag(input, node.range().start);
    let mut object = Object::default();

    // Attributes in document order; roxmltree keeps namespace declarations apart, so the raw start tag gives the
    // order and the qualified names.
    let mut values: Vec<(usize, &'a str)> = node
        .attributes()
        .map(|a| (a.range().start, a.value()))
        .collect();
    values.sort_unstable_by_key(|&(at, _)| at);
    for &(at, qname) in &tag.attributes {
        let value = if qname == "xmlns" {
            node.lookup_namespace_uri(None).unwrap_or("")
        } else if let Some(prefix) = qname.strip_prefix("xmlns:") {
            node.lookup_namespace_uri(Some(prefix)).unwrap_or("")
        } else {
            match values.binary_search_by_key(&at, |&(a, _)| a) {
                Ok(i) => values[i].1,
                Err(_) => continue,
            }
        };
        object.accumulate(qname, coerce(value));
    }

    if tag.self_closing {
        let value = if object.members.is_empty() {
            Value::String("")
        } else {
            Value::Object(object)
        };
        return Ok((tag.name, value));
    }

    for child in node.children() {
        match child.node_type() {
            NodeType::Element => {
                if depth >= MAX_DEPTH {
                    let pos = node.document().text_pos_at(child.range().start);
                    return Err(XmlToJsonError::TooDeep { pos });
                }
                let (name, value) = element(child, input, depth + 1)?;
                object.accumulate(name, value);
            }
            NodeType::Text => {
                let text = java_trim(child.text().unwrap_or(""));
                if !text.is_empty() {
                    object.accumulate(CONTENT, coerce(text));
                }
            }
            _ => {}
        }
    }

    let value = if object.members.is_empty() {
        Value::String("")
    } else if object.members.len() == 1 && object.members[0].0 == CONTENT {
        object.members.pop().map_or(Value::Null, |(_, v)| v)
    } else {
        Value::Object(object)
    };
    Ok((tag.name, value))
}

struct StartTag<'a> {
    /// Qualified element name as written.
    name: &'a str,
    /// Byte offset and qualified name of every attribute, namespace declarations included, in document order.
    attributes: Vec<(usize, &'a str)>,
    /// Written as `<a/>`.
    self_closing: bool,
}

/// Reads the start tag at `start` (a `<`) of a document roxmltree has already found well-formed.
fn scan_start_tag(input: &str, start: usize) -> StartTag<'_> {
    let bytes = input.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = start + 1;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let mut tag = StartTag {
        name: &input[start + 1..i],
        attributes: Vec::new(),
        self_closing: false,
    };
    loop {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        match bytes.get(i) {
            None | Some(b'>') => break,
            Some(b'/') => {
                tag.self_closing = true;
                break;
            }
            Some(_) => {}
        }
        let name_start = i;
        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        tag.attributes.push((name_start, &input[name_start..i]));
        while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\'' {
            i += 1;
        }
        let Some(&quote) = bytes.get(i) else { break };
        i += 1;
        while i < bytes.len() && bytes[i] != quote {
            i += 1;
        }
        i += 1;
    }
    tag
}

/// Java's `Character.isWhitespace`.
fn java_is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{B}'
            | '\u{C}'
            | '\r'
            | '\u{1C}'..='\u{20}'
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// org.json `XMLTokener.nextContent`: leading Java whitespace skipped, then `String.trim()`.
fn java_trim(s: &str) -> &str {
    s.trim_start_matches(java_is_whitespace)
        .trim_matches(|c: char| c <= ' ')
}

/// org.json `XML.stringToValue` (numbers kept as written, see module docs).
fn coerce(s: &str) -> Value<'_> {
    if java_equals_ignore_case(s, "true") {
        Value::Bool(true)
    } else if java_equals_ignore_case(s, "false") {
        Value::Bool(false)
    } else if java_equals_ignore_case(s, "null") {
        Value::Null
    } else if is_json_number(s) {
        Value::Number(s)
    } else {
        Value::String(s)
    }
}

/// Java `String.equalsIgnoreCase` against a lower-case ASCII word. Besides ASCII case, only U+017F (long s,
/// upper case `S`) maps onto one of the letters of `true`/`false`/`null`.
fn java_equals_ignore_case(s: &str, word: &str) -> bool {
    s.chars().count() == word.len()
        && s.chars()
            .zip(word.chars())
            .all(|(c, w)| c.to_ascii_lowercase() == w || (w == 's' && c == '\u{17F}'))
}

/// RFC 8259 number: `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

// ------------------------------------------------------------------------------------------------------------------
// Printing (org.json toString(2))

const INDENT: usize = 2;

fn write_value(v: &Value<'_>, indent: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => quote(s, out),
        Value::Object(o) => {
            out.push('{');
            match o.members.as_slice() {
                [] => {}
                [(k, v)] => {
                    quote(k, out);
                    out.push_str(": ");
                    write_value(v, indent, out);
                }
                members => {
                    for (i, (k, v)) in members.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        newline(indent + INDENT, out);
                        quote(k, out);
                        out.push_str(": ");
                        write_value(v, indent + INDENT, out);
                    }
                    newline(indent, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            match items.as_slice() {
                [] => {}
                [v] => write_value(v, indent, out),
                items => {
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        newline(indent + INDENT, out);
                        write_value(v, indent + INDENT, out);
                    }
                    newline(indent, out);
                }
            }
            out.push(']');
        }
    }
}

fn newline(indent: usize, out: &mut String) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A JSON string: `"` and `\` escaped, control characters as `\b \t \n \f \r` or `\u00xx`, the rest as is.
fn quote(s: &str, out: &mut String) {
    out.push('"');
    let mut flushed = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0C => "\\f",
            b'\r' => "\\r",
            0..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[flushed..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        } else {
            out.push_str(short);
        }
        flushed = i + 1;
    }
    out.push_str(&s[flushed..]);
    out.push('"');
}

#[cfg(test)]
mod tests;
