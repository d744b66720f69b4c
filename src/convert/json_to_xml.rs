//! JSON → XML: JSON request bodies become the children of `<json>` in the parameter
//! transformation input, JSON responses of `<xml-from-url>` become `<response>…</response>`.
//!
//! The reference parses with org.json and serialises with `XML.toString`; this module reproduces the output of
//! that pipeline, with these deliberate choices:
//!
//! * **Strict JSON** (RFC 8259). REF is lenient (single quotes, unquoted keys and strings, comments, trailing
//!   text ignored); here such input is an error that names the line and column. A leading byte-order mark is
//!   skipped (REF would turn it into text and drop the rest of the body). Bytes that are not UTF-8 become U+FFFD,
//!   as Java's decoder does.
//! * **Duplicate keys** in one object are an error, as in org.json (`Duplicate key "a"`).
//! * **Member order** is the order in the document (the reference uses hash order, so its order cannot be relied on).
//! * **Numbers** keep their text in Java's form: integers as written; numbers with a fraction or exponent as
//!   `BigDecimal.toString()` (`1.50` → `1.50`, `1e3` → `1E+3`, `0.0000001` → `1E-7`); a negative zero is
//!   `-0.0` (org.json turns it into a `Double`). An exponent outside Java's `int` range falls back the way
//!   org.json does: `0.0`/`-0.0` when the value underflows or is zero, otherwise the text as written.
//! * **Keys** are made XML-safe: a first character not in `[A-Za-z_]` and any later character not in
//!   `[A-Za-z0-9._-]` becomes `_hhhh_` (lower-case hex of the UTF-16 code unit). A character outside the BMP
//!   yields both of its code units (`😀` → `_d83d__de00_`; REF emits only the high surrogate). Two keys that
//!   become the same element name (`"a b"`, `"a_0020_b"`) both produce elements. An empty key cannot name an
//!   element and is an error unless its value is an empty array (which produces nothing).
//! * **Text** escapes `&`, `<`, `>`. A character that XML 1.0 does not allow (control characters other than
//!   tab/LF/CR, U+FFFE, U+FFFF, unpaired surrogates) is an error, as REF's re-parse fails on it. CR is written
//!   as is, so XML end-of-line handling applies when the caller parses the result, as in REF.
//! * **Nesting** deeper than [`MAX_DEPTH`] arrays/objects is an error (no stack overflow on hostile input).
//!
//! Element structure (org.json `XML.toString`): an object becomes `<n>` + its members + `</n>`; a member `_content`
//! becomes text directly inside (an array value: its elements joined with `\n`, objects and arrays in it written as
//! compact JSON as org.json does); an array member repeats its element (`{"b":[1,2]}` → `<b>1</b><b>2</b>`), a
//! nested array becomes `<k>` with `<array>` children; `""` becomes `<k/>`; `null` the text `null`. A top-level
//! array puts each element under the root name, so only an array yielding exactly one element is a document.

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
mod tests {
    use super::*;

    fn children(json: &str) -> String {
        json_to_xml_children(json.as_bytes(), "json-request").unwrap()
    }

    fn full(json: &str, root: &str) -> String {
        json_to_xml(json.as_bytes(), root).unwrap()
    }

    fn err(json: &str) -> JsonToXmlError {
        json_to_xml(json.as_bytes(), "json-request").unwrap_err()
    }

    fn num(text: &str) -> String {
        java_number(text).text
    }

    // --- examples of the reference's documented behaviour ---

    #[test]
    fn spec_examples() {
        assert_eq!(children(r#"{"a":"x","n":1.50}"#), "<a>x</a><n>1.50</n>");
        assert_eq!(children(r#"{"b":[1,2]}"#), "<b>1</b><b>2</b>");
        assert_eq!(children(r#"{"e":"","z":null}"#), "<e/><z>null</z>");
        assert_eq!(children(r#"{"_content":"t","k":"v"}"#), "t<k>v</k>");
        assert_eq!(children(r#""s""#), "s");
        assert_eq!(children(r#"[{"a":1}]"#), "<a>1</a>");
        assert_eq!(err("[1,2]"), JsonToXmlError::TopLevelArray { elements: 2 });
    }

    #[test]
    fn tv16_body() {
        let body = r#"{"name":"Martin","tags":["a","b"],"1st":"","addr":{"city":"Wien"},"n":1.50,"z":null}"#;
        assert_eq!(
            children(body),
            "<name>Martin</name><tags>a</tags><tags>b</tags><_0031_st/><addr><city>Wien</city></addr><n>1.50</n><z>null</z>"
        );
    }

    #[test]
    fn tv39_key_sanitising_and_content_not_special() {
        assert_eq!(
            children("{\"1foo BA\\uFFFFr1\":1}"),
            "<_0031_foo_0020_BA_ffff_r1>1</_0031_foo_0020_BA_ffff_r1>"
        );
        assert_eq!(
            children("{\"1foo BA\u{FFFF}r1\":1}"),
            "<_0031_foo_0020_BA_ffff_r1>1</_0031_foo_0020_BA_ffff_r1>"
        );
        assert_eq!(
            full(r#"{"content":"äöü"}"#, "root"),
            "<root><content>äöü</content></root>"
        );
    }

    #[test]
    fn tv41_response_root() {
        assert_eq!(
            full(r#"{ "output": "stuff" }"#, "response"),
            "<response><output>stuff</output></response>"
        );
    }

    // --- keys ---

    #[test]
    fn key_sanitising() {
        assert_eq!(
            sanitize_key(&"a:b".encode_utf16().collect::<Vec<_>>()),
            "a_003a_b"
        );
        assert_eq!(
            sanitize_key(&"_ok.a-b_9".encode_utf16().collect::<Vec<_>>()),
            "_ok.a-b_9"
        );
        assert_eq!(
            sanitize_key(&"9".encode_utf16().collect::<Vec<_>>()),
            "_0039_"
        );
        assert_eq!(
            sanitize_key(&"-a".encode_utf16().collect::<Vec<_>>()),
            "_002d_a"
        );
        assert_eq!(
            sanitize_key(&".a".encode_utf16().collect::<Vec<_>>()),
            "_002e_a"
        );
        assert_eq!(
            sanitize_key(&"a.9-".encode_utf16().collect::<Vec<_>>()),
            "a.9-"
        );
        assert_eq!(
            sanitize_key(&"äb".encode_utf16().collect::<Vec<_>>()),
            "_00e4_b"
        );
        assert_eq!(
            sanitize_key(&"bä".encode_utf16().collect::<Vec<_>>()),
            "b_00e4_"
        );
        assert_eq!(
            sanitize_key(&"a😀".encode_utf16().collect::<Vec<_>>()),
            "a_d83d__de00_"
        );
        assert_eq!(
            sanitize_key(&"😀".encode_utf16().collect::<Vec<_>>()),
            "_d83d__de00_"
        );
        assert_eq!(
            sanitize_key(&"x\u{1234}".encode_utf16().collect::<Vec<_>>()),
            "x_1234_"
        );
        assert_eq!(sanitize_key(&[]), "");
    }

    #[test]
    fn keys_in_documents() {
        assert_eq!(children(r#"{"a b":1}"#), "<a_0020_b>1</a_0020_b>");
        assert_eq!(
            children(r#"{"xml:lang":"de"}"#),
            "<xml_003a_lang>de</xml_003a_lang>"
        );
        // An unpaired surrogate in a key is sanitised like any other code unit.
        assert_eq!(children(r#"{"\ud800x":1}"#), "<_d800_x>1</_d800_x>");
        assert_eq!(
            children(r#"{"\ud83d\ude00":1}"#),
            "<_d83d__de00_>1</_d83d__de00_>"
        );
        // Keys that sanitise to the same name both produce elements.
        assert_eq!(
            children(r#"{"a b":1,"a_0020_b":2}"#),
            "<a_0020_b>1</a_0020_b><a_0020_b>2</a_0020_b>"
        );
    }

    #[test]
    fn empty_key() {
        assert_eq!(
            err(r#"{"":1}"#),
            JsonToXmlError::EmptyKey { line: 1, column: 2 }
        );
        assert_eq!(
            err(r#"{"":""}"#),
            JsonToXmlError::EmptyKey { line: 1, column: 2 }
        );
        assert_eq!(
            err(r#"{"":[1]}"#),
            JsonToXmlError::EmptyKey { line: 1, column: 2 }
        );
        assert_eq!(
            err(r#"{"":[[]]}"#),
            JsonToXmlError::EmptyKey { line: 1, column: 2 }
        );
        // Nothing is written for an empty array, so there is no element to name.
        assert_eq!(children(r#"{"":[],"a":1}"#), "<a>1</a>");
    }

    #[test]
    fn duplicate_keys_rejected() {
        assert_eq!(
            err(r#"{"a":1,"a":2}"#),
            JsonToXmlError::DuplicateKey {
                key: "a".into(),
                line: 1,
                column: 8
            }
        );
        // Same key after unescaping.
        assert!(matches!(
            err(r#"{"a":1,"\u0061":2}"#),
            JsonToXmlError::DuplicateKey { .. }
        ));
        // Same key in different objects is fine.
        assert_eq!(children(r#"{"a":{"a":1}}"#), "<a><a>1</a></a>");
        assert_eq!(
            children(r#"{"x":[{"a":1},{"a":2}]}"#),
            "<x><a>1</a></x><x><a>2</a></x>"
        );
    }

    // --- structure ---

    #[test]
    fn member_order_is_document_order() {
        assert_eq!(
            children(r#"{"z":1,"a":2,"m":3}"#),
            "<z>1</z><a>2</a><m>3</m>"
        );
    }

    #[test]
    fn objects() {
        assert_eq!(full("{}", "r"), "<r></r>");
        assert_eq!(children("{}"), "");
        assert_eq!(children(r#"{"o":{}}"#), "<o></o>");
        assert_eq!(
            children(r#"{"o":{"p":{"q":true}}}"#),
            "<o><p><q>true</q></p></o>"
        );
        assert_eq!(
            children(r#"{"t":true,"f":false}"#),
            "<t>true</t><f>false</f>"
        );
    }

    #[test]
    fn arrays_in_objects() {
        assert_eq!(children(r#"{"a":[]}"#), "");
        assert_eq!(
            children(r#"{"a":[null,"",{},true]}"#),
            "<a>null</a><a/><a></a><a>true</a>"
        );
        assert_eq!(
            children(r#"{"a":[[1,2],3]}"#),
            "<a><array>1</array><array>2</array></a><a>3</a>"
        );
        assert_eq!(children(r#"{"a":[[]]}"#), "<a></a>");
        // Deeper arrays flatten into `array` siblings, as in org.json.
        assert_eq!(
            children(r#"{"a":[[1,[2,[3]]]]}"#),
            "<a><array>1</array><array>2</array><array>3</array></a>"
        );
        assert_eq!(
            children(r#"{"a":[[{"b":1}]]}"#),
            "<a><array><b>1</b></array></a>"
        );
        assert_eq!(children(r#"{"a":[[""]]}"#), "<a><array/></a>");
    }

    #[test]
    fn content_key() {
        assert_eq!(children(r#"{"_content":["x","y"]}"#), "x\ny");
        assert_eq!(children(r#"{"k":"v","_content":"t"}"#), "<k>v</k>t");
        assert_eq!(children(r#"{"_content":1.50}"#), "1.50");
        assert_eq!(children(r#"{"_content":null}"#), "null");
        assert_eq!(children(r#"{"_content":""}"#), "");
        assert_eq!(children(r#"{"_content":[]}"#), "");
        assert_eq!(children(r#"{"_content":[1,null,true]}"#), "1\nnull\ntrue");
        assert_eq!(children(r#"{"_content":"a<b&c"}"#), "a&lt;b&amp;c");
        assert_eq!(
            children(r#"{"o":{"_content":"t","k":1}}"#),
            "<o>t<k>1</k></o>"
        );
        // Objects and arrays inside `_content` are written as compact JSON (org.json toString()).
        assert_eq!(
            children(r#"{"_content":{"a b":[1,"x"],"n":1.50,"e":1e3,"m":-0}}"#),
            r#"{"a_0020_b":[1,"x"],"n":1.5,"e":1E+3,"m":-0}"#
        );
        assert_eq!(children(r#"{"_content":[["</a>"]]}"#), r#"["&lt;\/a&gt;"]"#);
        assert_eq!(
            children(r#"{"_content":{"c":"\u0001\u2013é"}}"#),
            r#"{"c":"\u0001\u2013é"}"#
        );
        assert!(matches!(
            err(r#"{"_content":{"c":"\uffff"}}"#),
            JsonToXmlError::InvalidXmlChar { code: 0xFFFF, .. }
        ));
        // Only the exact key is special.
        assert_eq!(children(r#"{"_Content":"t"}"#), "<_Content>t</_Content>");
        assert_eq!(children(r#"{"content":"t"}"#), "<content>t</content>");
    }

    #[test]
    fn top_level_values() {
        assert_eq!(children(r#""""#), "");
        assert_eq!(full(r#""""#, "json-request"), "<json-request/>");
        assert_eq!(children("null"), "null");
        assert_eq!(children("true"), "true");
        assert_eq!(children("-12"), "-12");
        assert_eq!(children("1e3"), "1E+3");
        assert_eq!(children(r#""a&b""#), "a&amp;b");
        assert_eq!(full(r#""s""#, "response"), "<response>s</response>");
    }

    #[test]
    fn top_level_arrays() {
        assert_eq!(children(r#"[{"a":1}]"#), "<a>1</a>");
        assert_eq!(children("[1]"), "1");
        assert_eq!(children(r#"[""]"#), "");
        assert_eq!(children("[[7]]"), "7");
        assert_eq!(full("[[[7]]]", "r"), "<r>7</r>");
        assert_eq!(err("[]"), JsonToXmlError::TopLevelArray { elements: 0 });
        assert_eq!(err("[[]]"), JsonToXmlError::TopLevelArray { elements: 0 });
        assert_eq!(
            err("[[1,2]]"),
            JsonToXmlError::TopLevelArray { elements: 2 }
        );
        assert_eq!(
            err("[1,2,3]"),
            JsonToXmlError::TopLevelArray { elements: 3 }
        );
        assert!(err("[1,2]")
            .to_string()
            .contains("must have exactly one element"));
    }

    #[test]
    fn text_escaping_and_xml_chars() {
        assert_eq!(
            children(r#"{"a":"<b>&amp;</b> \"q\" 'a'"}"#),
            "<a>&lt;b&gt;&amp;amp;&lt;/b&gt; \"q\" 'a'</a>"
        );
        assert_eq!(children(r#"{"a":"]]>"}"#), "<a>]]&gt;</a>");
        assert_eq!(children(r#"{"a":"tab\tnl\ncr\r"}"#), "<a>tab\tnl\ncr\r</a>");
        assert_eq!(
            children(r#"{"a":"😀 äöü \u00e9 \u0085"}"#),
            "<a>😀 äöü é \u{85}</a>"
        );
        assert_eq!(
            err(r#"{"a":"x\u0001"}"#),
            JsonToXmlError::InvalidXmlChar {
                code: 1,
                line: 1,
                column: 6
            }
        );
        assert!(matches!(
            err(r#"{"a":"\u0000"}"#),
            JsonToXmlError::InvalidXmlChar { code: 0, .. }
        ));
        assert!(matches!(
            err(r#"{"a":"\ufffe"}"#),
            JsonToXmlError::InvalidXmlChar { code: 0xFFFE, .. }
        ));
        assert!(matches!(
            err("{\"a\":\"\u{FFFF}\"}"),
            JsonToXmlError::InvalidXmlChar { code: 0xFFFF, .. }
        ));
        assert!(matches!(
            err(r#"{"_content":"\u001f"}"#),
            JsonToXmlError::InvalidXmlChar { code: 0x1F, .. }
        ));
        assert!(matches!(
            err(r#"["\u0002"]"#),
            JsonToXmlError::InvalidXmlChar { code: 2, .. }
        ));
        let e = err(r#"{"a":"\u0001"}"#).to_string();
        assert!(e.starts_with("not valid XML: character U+0001"), "{e}");
    }

    #[test]
    fn unpaired_surrogates_in_values() {
        assert_eq!(
            err(r#"{"a":"\ud800"}"#),
            JsonToXmlError::InvalidXmlChar {
                code: 0xD800,
                line: 1,
                column: 6
            }
        );
        assert!(matches!(
            err(r#""\udc00""#),
            JsonToXmlError::InvalidXmlChar { code: 0xDC00, .. }
        ));
        assert!(matches!(
            err(r#""\ud800\u0041""#),
            JsonToXmlError::InvalidXmlChar { code: 0xD800, .. }
        ));
        assert!(matches!(
            err(r#""\ud800\ud800""#),
            JsonToXmlError::InvalidXmlChar { code: 0xD800, .. }
        ));
        assert_eq!(children(r#""\ud83d\ude00""#), "😀");
        assert_eq!(children(r#""\uD83D\uDE00x""#), "😀x");
    }

    #[test]
    fn string_escapes() {
        assert_eq!(children(r#""\"\\\/""#), "\"\\/");
        assert_eq!(children(r#""\n\r\t""#), "\n\r\t");
        assert_eq!(children(r#""\u00e4\u00C4""#), "äÄ");
        assert!(matches!(
            err(r#""\b""#),
            JsonToXmlError::InvalidXmlChar { code: 8, .. }
        ));
        assert!(matches!(
            err(r#""\f""#),
            JsonToXmlError::InvalidXmlChar { code: 12, .. }
        ));
    }

    // --- numbers ---

    #[test]
    fn numbers_in_documents() {
        assert_eq!(
            children(r#"{"i":42,"n":-7,"big":123456789012345678901234567890,"d":1.50,"e":1e3,"f":1.5e-7,"g":0.000001,"h":0.0000001}"#),
            "<i>42</i><n>-7</n><big>123456789012345678901234567890</big><d>1.50</d><e>1E+3</e><f>1.5E-7</f><g>0.000001</g><h>1E-7</h>"
        );
    }

    #[test]
    fn big_decimal_to_string() {
        // Examples from the brief and from java.math.BigDecimal's documentation.
        assert_eq!(num("1.50"), "1.50");
        assert_eq!(num("1e3"), "1E+3");
        assert_eq!(num("1E3"), "1E+3");
        assert_eq!(num("1e+3"), "1E+3");
        assert_eq!(num("1.5e-7"), "1.5E-7");
        assert_eq!(num("0.000001"), "0.000001");
        assert_eq!(num("0.0000001"), "1E-7");
        assert_eq!(num("123e0"), "123");
        assert_eq!(num("-123e0"), "-123");
        assert_eq!(num("123e1"), "1.23E+3");
        assert_eq!(num("123e3"), "1.23E+5");
        assert_eq!(num("123e-1"), "12.3");
        assert_eq!(num("123e-5"), "0.00123");
        assert_eq!(num("123e-10"), "1.23E-8");
        assert_eq!(num("-123e-12"), "-1.23E-10");
        assert_eq!(num("0.00"), "0.00");
        assert_eq!(num("0.0"), "0.0");
        assert_eq!(num("0e0"), "0");
        assert_eq!(num("0e5"), "0E+5");
        assert_eq!(num("0e-3"), "0.000");
        assert_eq!(num("0e-7"), "0E-7");
        assert_eq!(num("0.1"), "0.1");
        assert_eq!(num("10.0"), "10.0");
        assert_eq!(num("10e-1"), "1.0");
        assert_eq!(num("12.5e1"), "125");
        assert_eq!(num("-1.5E+2"), "-1.5E+2");
        assert_eq!(num("1.23456789"), "1.23456789");
        assert_eq!(num("00000.5e0"), "0.5"); // not strict JSON, but the layout handles leading zeros
        assert_eq!(num("1e2147483647"), "1E+2147483647");
        assert_eq!(num("1e-2147483647"), "1E-2147483647");
        assert_eq!(num("1e-00000000000000000002"), "0.01");
        assert_eq!(java_number("1.50").kind, NumKind::Decimal);
    }

    #[test]
    fn integers_plain() {
        assert_eq!(
            java_number("0"),
            Number {
                text: "0".into(),
                kind: NumKind::Integer
            }
        );
        assert_eq!(num("-5"), "-5");
        assert_eq!(num("99999999999999999999999"), "99999999999999999999999");
    }

    #[test]
    fn negative_zero_is_a_double() {
        for t in ["-0", "-0.0", "-0.00", "-0e5", "-0E-3", "-0.000e7"] {
            assert_eq!(
                java_number(t),
                Number {
                    text: "-0.0".into(),
                    kind: NumKind::Double
                },
                "{t}"
            );
        }
    }

    #[test]
    fn exponent_out_of_int_range() {
        // BigDecimal fails, Double.valueOf decides.
        assert_eq!(
            java_number("1e2147483648"),
            Number {
                text: "1e2147483648".into(),
                kind: NumKind::Text
            }
        );
        assert_eq!(num("1e99999999999"), "1e99999999999");
        assert_eq!(
            java_number("1e-2147483649"),
            Number {
                text: "0.0".into(),
                kind: NumKind::Double
            }
        );
        assert_eq!(num("-1e-2147483649"), "-0.0");
        assert_eq!(num("0e99999999999"), "0.0");
        assert_eq!(num("-0e99999999999"), "-0.0");
        // Exponent fits, scale (fraction digits − exponent) does not.
        assert_eq!(num("1.5e-2147483648"), "0.0");
        assert_eq!(num("1e-2147483648"), "0.0");
        assert_eq!(num("1.0e-2147483647"), "0.0");
        // As text inside `_content` JSON it is a string, as in org.json.
        assert_eq!(children(r#"{"_content":[1e99999999999]}"#), "1e99999999999");
        assert_eq!(
            children(r#"{"_content":{"x":1e99999999999}}"#),
            r#"{"x":"1e99999999999"}"#
        );
    }

    #[test]
    fn number_to_string_for_json_text() {
        assert_eq!(java_number_to_string("1.50"), "1.5");
        assert_eq!(java_number_to_string("10.0"), "10");
        assert_eq!(java_number_to_string("-0.0"), "-0");
        assert_eq!(java_number_to_string("1.50E+3"), "1.50E+3");
        assert_eq!(java_number_to_string("100"), "100");
    }

    // --- syntax (strict JSON) ---

    #[test]
    fn syntax_errors_with_positions() {
        let e = err(r#"{"a" 1}"#);
        assert_eq!(
            e,
            JsonToXmlError::Syntax {
                message: "expected ':' after an object key, found '1'".into(),
                line: 1,
                column: 6
            }
        );
        assert_eq!(
            e.to_string(),
            "expected ':' after an object key, found '1' at line 1 column 6"
        );
        let e = err("{\n  \"a\": 1,\n  \"b\" }");
        assert!(
            matches!(
                e,
                JsonToXmlError::Syntax {
                    line: 3,
                    column: 7,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(matches!(
            err(""),
            JsonToXmlError::Syntax {
                line: 1,
                column: 1,
                ..
            }
        ));
        assert!(err("").to_string().contains("found end of input"));
        assert!(err("   ").to_string().contains("expected a JSON value"));
    }

    #[test]
    fn lenient_json_rejected() {
        for bad in [
            "{'a':1}",
            "{a:1}",
            r#"{"a":'x'}"#,
            r#"{"a":x}"#,
            r#"{"a":1,}"#,
            "[1,]",
            "[1 2]",
            r#"{"a":1}x"#,
            r#"{"a":1} {"b":2}"#,
            "// c\n{}",
            "{} // c",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "1e+",
            "-",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "True",
            r#""abc"#,
            "\"a\nb\"",
            "\"a\tb\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "{",
            "[",
            r#"{"a""#,
            r#"{"a":"#,
            r#"{"a":1"#,
            r#"{1:2}"#,
        ] {
            assert!(
                matches!(err(bad), JsonToXmlError::Syntax { .. }),
                "{bad:?} → {:?}",
                json_to_xml(bad.as_bytes(), "r")
            );
        }
    }

    #[test]
    fn whitespace_bom_and_utf8() {
        assert_eq!(
            children(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n "),
            "<a>1</a><a>2</a>"
        );
        assert_eq!(children("\u{FEFF}{\"a\":1}"), "<a>1</a>");
        // Invalid UTF-8 becomes U+FFFD, as Java's decoder does.
        assert_eq!(
            json_to_xml_children(b"{\"a\":\"x\xFFy\"}", "json-request").unwrap(),
            "<a>x\u{FFFD}y</a>"
        );
        // Non-breaking space is not JSON whitespace.
        assert!(matches!(err("\u{A0}{}"), JsonToXmlError::Syntax { .. }));
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(matches!(
            json_to_xml(ok.as_bytes(), "r"),
            Err(JsonToXmlError::TopLevelArray { elements: 0 })
        ));
        let mut nested = String::from("1");
        for _ in 0..MAX_DEPTH {
            nested = format!("{{\"a\":{nested}}}");
        }
        let xml = json_to_xml(nested.as_bytes(), "r").unwrap();
        assert_eq!(xml.matches("<a>").count(), MAX_DEPTH);
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            json_to_xml(too_deep.as_bytes(), "r").unwrap_err(),
            JsonToXmlError::TooDeep {
                line: 1,
                column: MAX_DEPTH + 1
            }
        );
        // Hostile input does not overflow the stack.
        let hostile = "[{\"a\":".repeat(100_000);
        assert!(matches!(
            json_to_xml(hostile.as_bytes(), "r"),
            Err(JsonToXmlError::TooDeep { .. })
        ));
    }

    #[test]
    fn budgets_for_untrusted_json() {
        use JsonToXmlError::Limit;
        let b = |nodes, depth, bytes| Budget {
            max_nodes: nodes,
            max_attributes: 1,
            max_depth: depth,
            max_bytes: bytes,
        };
        let within = |json: &str, budget: Budget| {
            json_to_xml_children_within(json.as_bytes(), "json-request", &budget)
        };
        // {"a":[0,0,0]}: the object, the key, the array and three numbers.
        let three = r#"{"a":[0,0,0]}"#;
        assert_eq!(
            within(three, b(6, 9, 999)).unwrap(),
            "<a>0</a><a>0</a><a>0</a>"
        );
        assert_eq!(
            within(three, b(5, 9, 999)),
            Err(Limit(BudgetError::Nodes(5)))
        );
        // Keys count, also when they write nothing.
        assert_eq!(
            within(r#"{"a":[],"b":[],"c":[]}"#, b(6, 9, 999)),
            Err(Limit(BudgetError::Nodes(6)))
        );
        // Inside `_content` too.
        assert_eq!(
            within(r#"{"_content":[[1,2,3]]}"#, b(5, 9, 999)),
            Err(Limit(BudgetError::Nodes(5)))
        );
        assert_eq!(within("[[1]]", b(9, 2, 999)).unwrap(), "1");
        assert_eq!(
            within("[[[1]]]", b(9, 2, 999)),
            Err(Limit(BudgetError::Depth(2)))
        );
        assert_eq!(
            within(r#"{"a":{"b":{}}}"#, b(9, 2, 999)),
            Err(Limit(BudgetError::Depth(2)))
        );
        // A long key repeated by an array: 29 bytes for the root, 206 per element.
        let key = "k".repeat(100);
        let json = format!(r#"{{"{key}":[1,2,3,4,5]}}"#);
        assert_eq!(within(&json, b(99, 9, 1059)).unwrap().len(), 1030);
        assert_eq!(
            within(&json, b(99, 9, 1058)),
            Err(Limit(BudgetError::Bytes(1058)))
        );
        // Escaping grows text too.
        assert_eq!(
            within(&format!("\"{}\"", "<".repeat(100)), b(9, 9, 300)),
            Err(Limit(BudgetError::Bytes(300)))
        );
        // Within the budget, the same XML as without one; errors as without one.
        let body = r#"{"a":[1,[2,[3]],{"b":"<&>"}],"_content":["x",{"y":"</z>"}],"c":"","d":{},"e":null,"1 2":"]]>"}"#;
        assert_eq!(within(body, Budget::default()).unwrap(), children(body));
        assert_eq!(
            within(r#"{"a":1,"a":2}"#, Budget::default()),
            Err(err(r#"{"a":1,"a":2}"#))
        );
        // 4 Mi zeros stop at the node limit.
        let zeros = format!("[{}0]", "0,".repeat(4 * 1024 * 1024));
        assert_eq!(
            within(&zeros, Budget::default()),
            Err(Limit(BudgetError::Nodes(Budget::default().max_nodes)))
        );
    }

    #[test]
    fn root_names() {
        assert_eq!(full("1", "json-request"), "<json-request>1</json-request>");
        assert_eq!(full("1", "_r.2"), "<_r.2>1</_r.2>");
        for bad in ["", "1r", "a b", "<r>", "a:b", "-r"] {
            assert_eq!(
                json_to_xml(b"1", bad).unwrap_err(),
                JsonToXmlError::InvalidRoot(bad.to_string())
            );
        }
    }

    #[test]
    fn children_strip_only_the_root() {
        assert_eq!(
            json_to_xml_children(b"{\"r\":{\"r\":1}}", "r").unwrap(),
            "<r><r>1</r></r>"
        );
        assert_eq!(json_to_xml_children(b"\"\"", "r").unwrap(), "");
        assert_eq!(json_to_xml_children(b"{}", "r").unwrap(), "");
        assert_eq!(json_to_xml_children(b"\"r/\"", "r").unwrap(), "r/");
        assert_eq!(json_to_xml_children(b"\"/\"", "r").unwrap(), "/");
    }

    #[test]
    fn output_is_well_formed_xml() {
        let body = r#"{"a":[1,[2,[3]],{"b":"<&>"}],"_content":["x",{"y":"</z>"}],"c":"","d":{},"e":null,"1 2":"]]>"}"#;
        let xml = full(body, "json-request");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "json-request");
        let texts: String = doc
            .root_element()
            .children()
            .filter(|n| n.is_text())
            .map(|n| n.text().unwrap())
            .collect();
        assert_eq!(texts, "x\n{\"y\":\"<\\/z>\"}");
    }
}
