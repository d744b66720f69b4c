//! JSON → XML: JSON request bodies become the children of `<json>` in the parameter
//! transformation input, JSON responses of `<xml-from-url>` become `<response>…</response>`.
//!
//! The reference engine (OpenEndpoints) parses with org.json and serialises with `XML.toString`; this module
//! reproduces the output of that pipeline, with these deliberate choices:
//!
//! * **Strict JSON** (RFC 8259). OpenEndpoints is lenient (single quotes, unquoted keys and strings, comments,
//!   trailing text ignored); here such input is an error that names the line and column. A leading byte-order
//!   mark is skipped (OpenEndpoints would turn it into text and drop the rest of the body). Bytes that are not
//!   UTF-8 become U+FFFD, as Java's decoder does.
//! * **Duplicate keys** in one object are an error, as in org.json (`Duplicate key "a"`).
//! * **Member order** is the order in the document (the reference uses hash order, so its order cannot be relied on).
//! * **Numbers** keep their text in Java's form: integers as written; numbers with a fraction or exponent as
//!   `BigDecimal.toString()` (`1.50` → `1.50`, `1e3` → `1E+3`, `0.0000001` → `1E-7`); a negative zero is
//!   `-0.0` (org.json turns it into a `Double`). An exponent outside Java's `int` range falls back the way
//!   org.json does: `0.0`/`-0.0` when the value underflows or is zero, otherwise the text as written.
//! * **Keys** are made XML-safe: a first character not in `[A-Za-z_]` and any later character not in
//!   `[A-Za-z0-9._-]` becomes `_hhhh_` (lower-case hex of the UTF-16 code unit). A character outside the BMP
//!   yields both of its code units (`😀` → `_d83d__de00_`; OpenEndpoints emits only the high surrogate). Two keys that
//!   become the same element name (`"a b"`, `"a_0020_b"`) both produce elements. An empty key cannot name an
//!   element and is an error unless its value is an empty array (which produces nothing).
//! * **Text** escapes `&`, `<`, `>`. A character that XML 1.0 does not allow (control characters other than
//!   tab/LF/CR, U+FFFE, U+FFFF, unpaired surrogates) is an error, as OpenEndpoints' re-parse fails on it. CR is
//!   written as is, so XML end-of-line handling applies when the caller parses the result, as in OpenEndpoints.
//! * **Nesting** deeper than [`MAX_DEPTH`] arrays/objects is an error (no stack overflow on hostile input).
//!
//! Element structure (org.json `XML.toString`): an object becomes `<n>` + its members + `</n>`; a member `_content`
//! becomes text directly inside (an array value: its elements joined with `\n`, objects and arrays in it written as
//! compact JSON as org.json does); an array member repeats its element (`{"b":[1,2]}` → `<b>1</b><b>2</b>`), a
//! nested array becomes `<k>` with `<array>` children; `""` becomes `<k/>`; `null` the text `null`. A top-level
//! array puts each element under the root name, so only an array yielding exactly one element is a document.
//!
//! This file is long (about 1,100 lines) because the streaming parser-and-writer is one state machine whose parts
//! share its state; its tests are in `json_to_xml/tests.rs`.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::limits::{Budget, BudgetError};

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 256;

/// Why a JSON text could not be converted. `Display` gives the detail only; callers add their own prefix
/// (e.g. `Cannot parse JSON from POST request: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonToXmlError {
    /// The input is not JSON.
    #[error("{message} at line {line} column {column}")]
    Syntax {
        message: String,
        line: usize,
        column: usize,
    },
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {max} levels at line {line} column {column}", max = MAX_DEPTH)]
    TooDeep { line: usize, column: usize },
    /// The same key twice in one object (org.json rejects this too).
    #[error("duplicate key \"{key}\" at line {line} column {column}")]
    DuplicateKey {
        key: String,
        line: usize,
        column: usize,
    },
    /// A string contains a character XML 1.0 does not allow (`code` may be an unpaired surrogate).
    #[error(
        "not valid XML: character U+{code:04X} is not allowed in XML (in the string at line {line} column {column})"
    )]
    InvalidXmlChar {
        code: u32,
        line: usize,
        column: usize,
    },
    /// An empty key would have to become an element name.
    #[error("not valid XML: an empty key cannot be an element name (key at line {line} column {column})")]
    EmptyKey { line: usize, column: usize },
    /// A top-level array must produce exactly one element to form a document.
    #[error(
        "not valid XML: a JSON array at the top level must have exactly one element (this one yields {elements} elements)"
    )]
    TopLevelArray { elements: usize },
    /// The root element name given by the caller is not an XML name.
    #[error("'{0}' is not a valid XML element name")]
    InvalidRoot(String),
    /// Untrusted JSON over one of its limits ([`json_to_xml_children_within`]).
    #[error(transparent)]
    Limit(#[from] BudgetError),
}

/// Converts `json` to the XML text of the element `<root>…</root>` (or `<root/>`), without an XML declaration.
/// Nesting is limited to [`MAX_DEPTH`]; nothing else is (for trusted JSON: fetched from a configured URL).
///
/// `{"a":"x"}` with root `response` → `<response><a>x</a></response>`.
pub fn json_to_xml(json: &[u8], root: &str) -> Result<String, JsonToXmlError> {
    convert(json, root, None)
}

/// Like [`json_to_xml`] but returns only the content of the root element (elements and text), for placing under
/// `<json>`. `{"a":"x","n":1.50}` → `<a>x</a><n>1.50</n>`; `"s"` → `s`; `""` → empty.
pub fn json_to_xml_children(json: &[u8], root: &str) -> Result<String, JsonToXmlError> {
    Ok(children(convert(json, root, None)?, root))
}

/// [`json_to_xml_children`] for untrusted JSON (request bodies): stops with [`JsonToXmlError::Limit`] as soon as
/// the JSON has more values and keys than `budget.max_nodes`, is nested deeper than `budget.max_depth`, or the
/// XML grows beyond `budget.max_bytes`. One pass, writing the XML as the JSON is read: memory is the output plus
/// one object's keys per level (for the duplicate check).
pub fn json_to_xml_children_within(
    json: &[u8],
    root: &str,
    budget: &Budget,
) -> Result<String, JsonToXmlError> {
    Ok(children(convert(json, root, Some(*budget))?, root))
}

fn convert(json: &[u8], root: &str, budget: Option<Budget>) -> Result<String, JsonToXmlError> {
    if !is_xml_name(root) {
        return Err(JsonToXmlError::InvalidRoot(root.to_string()));
    }
    let text = String::from_utf8_lossy(json);
    let mut parser = Parser::new(&text, budget);
    // Grown as needed: a body refused half-way should not have reserved room for all of it.
    let estimate = json.len() + json.len() / 2 + 2 * root.len() + 5;
    parser.out = String::with_capacity(estimate.min(1024 * 1024));
    parser.document(root)?;
    Ok(parser.out)
}

/// The content of `<root>…</root>` or `<root/>`, in place.
fn children(mut xml: String, root: &str) -> String {
    if xml.len() == root.len() + 3 {
        return String::new();
    }
    let open = root.len() + 2;
    let close = root.len() + 3;
    xml.truncate(xml.len() - close);
    xml.drain(..open);
    xml
}

/// ASCII XML name check for the caller-supplied root (`json-request`, `response`, …).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

// ------------------------------------------------------------------------------------------------------------------
// Parsed value

#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(Number),
    /// `at`: byte offset of the opening quote (for error positions).
    String {
        value: String,
        at: usize,
    },
    Array(Vec<Json>),
    Object(Vec<Member>),
}

#[derive(Debug)]
struct Member {
    /// The XML-safe element name.
    name: String,
    value: Json,
}

/// A number as org.json holds it: `text` is its Java `toString()`.
#[derive(Debug, PartialEq, Eq)]
struct Number {
    text: String,
    kind: NumKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumKind {
    /// `Integer`/`Long`/`BigInteger`: the text as written.
    Integer,
    /// `BigDecimal`.
    Decimal,
    /// `Double` (`0.0`, `-0.0`).
    Double,
    /// org.json could not make a number and kept the text as a string.
    Text,
}

// ------------------------------------------------------------------------------------------------------------------
// Parser (strict RFC 8259)

/// Reads the JSON and writes its XML into `out` as it goes; only the values of `_content` members that are
/// arrays or objects are parsed into a tree first (they become compact JSON text).
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: String,
    /// `None`: trusted JSON, only [`MAX_DEPTH`] applies.
    budget: Option<Budget>,
    /// Values and keys read so far.
    nodes: usize,
}

/// Where parsed string contents go: keys keep UTF-16 code units (unpaired surrogates allowed, they get sanitised),
/// values must be valid Unicode.
trait Sink {
    fn push_str(&mut self, s: &str);
    fn push_char(&mut self, c: char);
    /// Returns false when the sink cannot hold an unpaired surrogate.
    fn push_unpaired(&mut self, unit: u16) -> bool;
}

impl Sink for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    fn push_char(&mut self, c: char) {
        self.push(c);
    }
    fn push_unpaired(&mut self, _unit: u16) -> bool {
        false
    }
}

impl Sink for Vec<u16> {
    fn push_str(&mut self, s: &str) {
        self.extend(s.encode_utf16());
    }
    fn push_char(&mut self, c: char) {
        let mut buf = [0u16; 2];
        self.extend_from_slice(c.encode_utf16(&mut buf));
    }
    fn push_unpaired(&mut self, unit: u16) -> bool {
        self.push(unit);
        true
    }
}

const CONTENT_KEY: &[u16] = &[
    b'_' as u16,
    b'c' as u16,
    b'o' as u16,
    b'n' as u16,
    b't' as u16,
    b'e' as u16,
    b'n' as u16,
    b't' as u16,
];

impl<'a> Parser<'a> {
    fn new(text: &'a str, budget: Option<Budget>) -> Self {
        let pos = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        Parser {
            text,
            bytes: text.as_bytes(),
            pos,
            out: String::new(),
            budget,
            nodes: 0,
        }
    }

    /// The whole text as the element `root` (a top-level array must yield exactly one element).
    fn document(&mut self, root: &str) -> Result<(), JsonToXmlError> {
        let elements = self.element(0, root)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax("unexpected text after the JSON value"));
        }
        self.check_bytes()?;
        if elements != 1 {
            return Err(JsonToXmlError::TopLevelArray { elements });
        }
        Ok(())
    }

    /// An array or object is about to open `depth` levels deep.
    fn enter(&self, depth: usize) -> Result<(), JsonToXmlError> {
        match &self.budget {
            Some(b) if depth > b.max_depth => Err(BudgetError::Depth(b.max_depth).into()),
            None if depth > MAX_DEPTH => {
                let (line, column) = line_col(self.text, self.pos);
                Err(JsonToXmlError::TooDeep { line, column })
            }
            _ => Ok(()),
        }
    }

    /// One more value or key (checks the budget, also the output written so far).
    fn count(&mut self) -> Result<(), JsonToXmlError> {
        self.nodes += 1;
        if let Some(b) = &self.budget {
            if self.nodes > b.max_nodes {
                return Err(BudgetError::Nodes(b.max_nodes).into());
            }
        }
        self.check_bytes()
    }

    fn check_bytes(&self) -> Result<(), JsonToXmlError> {
        match &self.budget {
            Some(b) if self.out.len() > b.max_bytes => Err(BudgetError::Bytes(b.max_bytes).into()),
            _ => Ok(()),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// What is at the current position, for messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "end of input".to_string(),
            Some(c) if c.is_control() => format!("U+{:04X}", u32::from(c)),
            Some(c) => format!("'{c}'"),
        }
    }

    fn syntax(&self, message: impl Into<String>) -> JsonToXmlError {
        syntax_at(self.text, self.pos, message.into())
    }

    fn expected(&self, what: &str) -> JsonToXmlError {
        self.syntax(format!("expected {what}, found {}", self.found()))
    }

    /// Parses one value into a tree (only for `_content`). `depth`: number of arrays/objects enclosing it.
    fn value(&mut self, depth: usize) -> Result<Json, JsonToXmlError> {
        self.skip_ws();
        self.count()?;
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let at = self.pos;
                let mut value = String::new();
                self.string(&mut value)?;
                Ok(Json::String { value, at })
            }
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.expected("a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonToXmlError> {
        self.word(word)?;
        Ok(value)
    }

    fn word(&mut self, word: &str) -> Result<(), JsonToXmlError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.expected("a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, JsonToXmlError> {
        self.number_value().map(Json::Number)
    }

    fn number_value(&mut self) -> Result<Number, JsonToXmlError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.expected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.expected("a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        Ok(java_number(&self.text[start..self.pos]))
    }

    /// Parses a string starting at the opening quote into `out`.
    fn string(&mut self, out: &mut impl Sink) -> Result<(), JsonToXmlError> {
        let at = self.pos;
        self.pos += 1; // opening quote
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape(out, at)?,
                Some(b) => {
                    return Err(self.syntax(format!(
                        "control character U+{b:04X} must be escaped inside a string"
                    )))
                }
                None => return Err(syntax_at(self.text, at, "unterminated string".to_string())),
            }
        }
    }

    /// Parses one escape sequence at the backslash. `at` is the string's opening quote.
    fn escape(&mut self, out: &mut impl Sink, at: usize) -> Result<(), JsonToXmlError> {
        self.pos += 1; // backslash
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{C}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let c = match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate pairs only with an immediately following `\uDC00`-`\uDFFF`.
                        let low = self.bytes[self.pos..]
                            .starts_with(b"\\u")
                            .then(|| hex4_at(self.bytes, self.pos + 2))
                            .flatten()
                            .filter(|low| (0xDC00..=0xDFFF).contains(low));
                        match low {
                            Some(low) => {
                                self.pos += 6;
                                let code = 0x10000
                                    + ((u32::from(unit) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00);
                                char::from_u32(code)
                            }
                            None => None,
                        }
                    }
                    _ => char::from_u32(u32::from(unit)),
                };
                match c {
                    Some(c) => out.push_char(c),
                    None => {
                        if !out.push_unpaired(unit) {
                            return Err(invalid_char(self.text, at, u32::from(unit)));
                        }
                    }
                }
                return Ok(());
            }
            _ => return Err(self.expected("an escape character (one of \" \\ / b f n r t u)")),
        };
        self.pos += 1;
        out.push_char(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, JsonToXmlError> {
        match hex4_at(self.bytes, self.pos) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.syntax("expected four hex digits after \\u")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonToXmlError> {
        self.enter(depth)?;
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.expected("',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonToXmlError> {
        self.enter(depth)?;
        self.pos += 1; // {
        let mut members = Vec::new();
        let mut seen: HashSet<Vec<u16>> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            let (name, _, _) = self.key(&mut seen)?;
            let value = self.value(depth)?;
            members.push(Member { name, value });
            if !self.after_member()? {
                return Ok(Json::Object(members));
            }
        }
    }

    /// A member's key up to and including the `:`: its element name, whether it is `_content`, and where it is.
    fn key(
        &mut self,
        seen: &mut HashSet<Vec<u16>>,
    ) -> Result<(String, bool, usize), JsonToXmlError> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.expected("a string key in an object"));
        }
        self.count()?;
        let at = self.pos;
        let mut key: Vec<u16> = Vec::new();
        self.string(&mut key)?;
        let name = sanitize_key(&key);
        let content = key == CONTENT_KEY;
        if seen.contains(&key) {
            let (line, column) = line_col(self.text, at);
            let key = String::from_utf16_lossy(&key);
            return Err(JsonToXmlError::DuplicateKey { key, line, column });
        }
        seen.insert(key);
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.expected("':' after an object key"));
        }
        self.pos += 1;
        Ok((name, content, at))
    }

    /// After a member: `,` (true: another member follows) or `}` (false).
    fn after_member(&mut self) -> Result<bool, JsonToXmlError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.expected("',' or '}' in an object")),
        }
    }

    /// At `[`: consumes it; true when the array is empty (its `]` consumed too).
    fn open_array(&mut self) -> bool {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return true;
        }
        false
    }

    /// After an array item: `,` (true: another item follows) or `]` (false).
    fn after_item(&mut self) -> Result<bool, JsonToXmlError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.expected("',' or ']' in an array")),
        }
    }

    // --------------------------------------------------------------------------------------------------------------
    // Streaming output (org.json XML.toString)

    /// Reads one value and writes it under the element name `tag`; returns how many elements were written at this
    /// level (an array writes one per item). `depth`: number of arrays/objects enclosing the value.
    fn element(&mut self, depth: usize, tag: &str) -> Result<usize, JsonToXmlError> {
        self.skip_ws();
        match self.peek() {
            Some(b'[') => {
                self.enter(depth + 1)?;
                self.count()?;
                let mut n = 0;
                if !self.open_array() {
                    loop {
                        n += self.element(depth + 1, tag)?;
                        if !self.after_item()? {
                            break;
                        }
                    }
                }
                Ok(n)
            }
            Some(b'{') => {
                self.enter(depth + 1)?;
                self.count()?;
                self.open(tag);
                self.members(depth + 1)?;
                self.close(tag);
                Ok(1)
            }
            Some(b'"') => {
                self.count()?;
                let at = self.pos;
                let mut value = String::new();
                self.string(&mut value)?;
                if value.is_empty() {
                    self.empty(tag);
                } else {
                    self.open(tag);
                    self.escaped(&value, at)?;
                    self.close(tag);
                }
                Ok(1)
            }
            _ => {
                let value = match self.peek() {
                    Some(b't') => self.literal("true", Json::Bool(true))?,
                    Some(b'f') => self.literal("false", Json::Bool(false))?,
                    Some(b'n') => self.literal("null", Json::Null)?,
                    Some(b'-' | b'0'..=b'9') => self.number()?,
                    _ => return Err(self.expected("a JSON value")),
                };
                self.count()?;
                self.open(tag);
                self.out.push_str(scalar_text(&value));
                self.close(tag);
                Ok(1)
            }
        }
    }

    /// At `{`: the members of an object `depth` levels deep, as elements and text.
    fn members(&mut self, depth: usize) -> Result<(), JsonToXmlError> {
        self.pos += 1; // {
        let mut seen: HashSet<Vec<u16>> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (name, content, at) = self.key(&mut seen)?;
            self.skip_ws();
            if content {
                self.content(depth)?;
            } else if name.is_empty() {
                // Nothing is written for an empty array, so it needs no name; anything else does.
                let empty_array = self.peek() == Some(b'[') && {
                    let save = self.pos;
                    let empty = self.open_array();
                    if !empty {
                        self.pos = save;
                    }
                    empty
                };
                if !empty_array {
                    let (line, column) = line_col(self.text, at);
                    return Err(JsonToXmlError::EmptyKey { line, column });
                }
                self.count()?;
            } else if self.peek() == Some(b'[') {
                // An array member repeats its element; an array in it becomes `<name>` with `<array>` children.
                self.enter(depth + 1)?;
                self.count()?;
                if !self.open_array() {
                    loop {
                        self.skip_ws();
                        if self.peek() == Some(b'[') {
                            self.open(&name);
                            self.element(depth + 1, "array")?;
                            self.close(&name);
                        } else {
                            self.element(depth + 1, &name)?;
                        }
                        if !self.after_item()? {
                            break;
                        }
                    }
                }
            } else {
                self.element(depth, &name)?;
            }
            if !self.after_member()? {
                return Ok(());
            }
        }
    }

    /// The value of a `_content` member, as text directly inside the element (an array: its items joined with
    /// `\n`).
    fn content(&mut self, depth: usize) -> Result<(), JsonToXmlError> {
        if self.peek() != Some(b'[') {
            return self.content_text(depth);
        }
        self.enter(depth + 1)?;
        self.count()?;
        if !self.open_array() {
            let mut first = true;
            loop {
                if !first {
                    self.out.push('\n');
                }
                first = false;
                self.content_text(depth + 1)?;
                if !self.after_item()? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// One `_content` value as text: Java's `toString()` of the value, XML-escaped.
    fn content_text(&mut self, depth: usize) -> Result<(), JsonToXmlError> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => {
                self.count()?;
                let at = self.pos;
                let mut value = String::new();
                self.string(&mut value)?;
                self.escaped(&value, at)
            }
            Some(b'[' | b'{') => {
                let v = self.value(depth)?;
                let mut json = String::new();
                compact_json(&v, &mut json, self.text)?;
                // The JSON text holds no character XML rejects (checked while writing it); escape the markup.
                self.escaped(&json, 0)
            }
            _ => {
                let v = self.value(depth)?;
                self.out.push_str(scalar_text(&v));
                Ok(())
            }
        }
    }

    fn open(&mut self, tag: &str) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
    }

    fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    fn empty(&mut self, tag: &str) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str("/>");
    }

    /// Appends `s` escaped for XML text; `at` locates the JSON string for errors.
    fn escaped(&mut self, s: &str, at: usize) -> Result<(), JsonToXmlError> {
        let mut flushed = 0;
        for (i, c) in s.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                c if !is_xml_char(c) => return Err(invalid_char(self.text, at, u32::from(c))),
                _ => continue,
            };
            self.out.push_str(&s[flushed..i]);
            self.out.push_str(replacement);
            flushed = i + c.len_utf8();
            self.check_bytes()?;
        }
        self.out.push_str(&s[flushed..]);
        self.check_bytes()
    }
}

fn hex4_at(bytes: &[u8], pos: usize) -> Option<u16> {
    let digits = bytes.get(pos..pos + 4)?;
    let mut v: u16 = 0;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)? as u16;
    }
    Some(v)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn syntax_at(text: &str, offset: usize, message: String) -> JsonToXmlError {
    let (line, column) = line_col(text, offset);
    JsonToXmlError::Syntax {
        message,
        line,
        column,
    }
}

fn invalid_char(text: &str, offset: usize, code: u32) -> JsonToXmlError {
    let (line, column) = line_col(text, offset);
    JsonToXmlError::InvalidXmlChar { code, line, column }
}

/// An XML element name from any text (given as UTF-16 units): `_hhhh_` for every unit not allowed at
/// its position. Also used for database column names.
pub fn sanitize_key(key: &[u16]) -> String {
    let mut name = String::with_capacity(key.len());
    for (i, &unit) in key.iter().enumerate() {
        let ok = match u8::try_from(unit) {
            Ok(b) if i == 0 => b.is_ascii_alphabetic() || b == b'_',
            Ok(b) => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'),
            Err(_) => false,
        };
        if ok {
            name.push(char::from(unit as u8));
        } else {
            let _ = write!(name, "_{unit:04x}_");
        }
    }
    name
}

// ------------------------------------------------------------------------------------------------------------------
// Numbers in Java form

/// The text org.json's `JSONObject.stringToNumber` + `toString()` give for a JSON number `text`.
fn java_number(text: &str) -> Number {
    let negative = text.starts_with('-');
    let unsigned = text.trim_start_matches('-');
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let double = |negative: bool| Number {
        text: if negative { "-0.0" } else { "0.0" }.to_string(),
        kind: NumKind::Double,
    };
    if frac_part.is_none() && exponent.is_none() {
        // `-0` counts as decimal notation in org.json, and a negative BigDecimal zero becomes Double -0.0.
        if text == "-0" {
            return double(true);
        }
        return Number {
            text: text.to_string(),
            kind: NumKind::Integer,
        };
    }
    let frac = frac_part.unwrap_or("");
    let digits_zero = int_part.bytes().chain(frac.bytes()).all(|b| b == b'0');
    // BigDecimal: the exponent must fit an int (leading zeros ignored), and so must scale = fraction digits − exponent.
    let exp: Option<i64> = match exponent {
        None => Some(0),
        Some(e) => {
            let (sign, digits) = match e.as_bytes().first() {
                Some(b'-') => (-1, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            let digits = digits.trim_start_matches('0');
            if digits.len() > 10 {
                None
            } else {
                let v = digits.parse::<i64>().unwrap_or(0) * sign;
                i32::try_from(v).ok().map(i64::from)
            }
        }
    };
    let scale = exp.and_then(|exp| i32::try_from(frac.len() as i64 - exp).ok());
    let Some(scale) = scale else {
        // BigDecimal fails; org.json retries with Double.valueOf: zero or underflow → ±0.0, overflow → not a
        // number, so the text stays a string.
        let exp_negative = exponent.is_some_and(|e| e.starts_with('-'));
        if digits_zero || exp_negative {
            return double(negative);
        }
        return Number {
            text: text.to_string(),
            kind: NumKind::Text,
        };
    };
    if digits_zero && negative {
        return double(true);
    }
    let mut coeff: String = int_part
        .chars()
        .chain(frac.chars())
        .skip_while(|&c| c == '0')
        .collect();
    if coeff.is_empty() {
        coeff.push('0');
    }
    let mut out = String::with_capacity(coeff.len() + 16);
    if negative {
        out.push('-');
    }
    big_decimal_layout(&coeff, i64::from(scale), &mut out);
    Number {
        text: out,
        kind: NumKind::Decimal,
    }
}

/// `BigDecimal.toString()` for the unscaled digits `coeff` (no sign, no leading zeros) and `scale`.
fn big_decimal_layout(coeff: &str, scale: i64, out: &mut String) {
    if scale == 0 {
        out.push_str(coeff);
        return;
    }
    let len = coeff.len() as i64;
    let adjusted = -scale + (len - 1);
    if scale > 0 && adjusted >= -6 {
        let pad = scale - len;
        if pad >= 0 {
            out.push_str("0.");
            for _ in 0..pad {
                out.push('0');
            }
            out.push_str(coeff);
        } else {
            let split = (-pad) as usize;
            out.push_str(&coeff[..split]);
            out.push('.');
            out.push_str(&coeff[split..]);
        }
    } else {
        out.push_str(&coeff[..1]);
        if coeff.len() > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
    }
}

/// Text of a number, boolean or null.
fn scalar_text(v: &Json) -> &str {
    match v {
        Json::Null => "null",
        Json::Bool(true) => "true",
        Json::Bool(false) => "false",
        Json::Number(n) => &n.text,
        Json::String { value, .. } => value,
        Json::Array(_) | Json::Object(_) => "",
    }
}

/// XML 1.0 `Char` (Rust chars are never surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// org.json `JSONObject.toString()` / `JSONArray.toString()` (compact), used for objects and arrays inside
/// `_content`. Fails on characters that would end up raw in the XML and are not XML characters.
fn compact_json(v: &Json, out: &mut String, text: &str) -> Result<(), JsonToXmlError> {
    match v {
        Json::Null | Json::Bool(_) => out.push_str(scalar_text(v)),
        Json::Number(n) => match n.kind {
            NumKind::Integer => out.push_str(&n.text),
            NumKind::Decimal | NumKind::Double => out.push_str(java_number_to_string(&n.text)),
            NumKind::Text => org_json_quote(&n.text, out),
        },
        Json::String { value, at } => {
            if let Some(c) = value.chars().find(|&c| !is_xml_char(c) && c >= ' ') {
                return Err(invalid_char(text, *at, u32::from(c)));
            }
            org_json_quote(value, out);
        }
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                compact_json(item, out, text)?;
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                org_json_quote(&m.name, out);
                out.push(':');
                compact_json(&m.value, out, text)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// org.json `JSONObject.numberToString`: trailing zeros (and a then trailing point) removed from plain decimals.
fn java_number_to_string(s: &str) -> &str {
    if s.find('.').is_some_and(|i| i > 0) && !s.contains(['e', 'E']) {
        let t = s.trim_end_matches('0');
        t.strip_suffix('.').unwrap_or(t)
    } else {
        s
    }
}

/// org.json `JSONObject.quote`.
fn org_json_quote(s: &str, out: &mut String) {
    out.push('"');
    let mut prev = '\0';
    for c in s.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '/' => {
                if prev == '<' {
                    out.push('\\');
                }
                out.push(c);
            }
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' '
                || ('\u{80}'..'\u{A0}').contains(&c)
                || ('\u{2000}'..'\u{2100}').contains(&c) =>
            {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
        prev = c;
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
