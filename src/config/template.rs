//! `${name}` patterns, compiled once at load into literal and placeholder segments.
//!
//! Plain-text patterns (URLs, download filenames, condition operands, forwarded parameter values …) use the
//! reference's matching rule: `${` followed by the shortest run of at least one character up to the next `}`, with
//! no line terminator inside. Every placeholder is resolved at load against the names available where the pattern
//! is used (a [`Scope`]); at request time expansion is a walk over the segments with values looked up by index.

use std::fmt;

/// The names a pattern may refer to, in slot order. At request time the values are passed as a slice in the same
/// order, so a placeholder is a plain index.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    names: Vec<String>,
}

impl Scope {
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Scope {
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    pub fn slot(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// `${a}, ${b}` (sorted), or `no parameters are available`, as in the reference's messages.
    pub fn describe(&self) -> String {
        if self.names.is_empty() {
            return "no parameters are available".to_string();
        }
        let mut sorted: Vec<&str> = self.names.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let list: Vec<String> = sorted.iter().map(|n| format!("${{{n}}}")).collect();
        format!("available parameters are {}", list.join(", "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Slot(usize),
}

/// A compiled plain-text pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: Box<str>,
    segments: Vec<Segment>,
}

/// A placeholder that names nothing available where the pattern is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    pub pattern: String,
    pub name: String,
    pub available: String,
}

impl fmt::Display for UnknownPlaceholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pattern '{}' contains parameter ${{{}}} but it is not available; {}",
            self.pattern, self.name, self.available
        )
    }
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Splits `text` into literal pieces and placeholder names, following the reference's lazy `\$\{(.+?)}` rule.
pub fn split_placeholders(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut literal_start = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            // The name is at least one character (which may itself be '}'), then up to the next '}'.
            let name_start = i + 2;
            if let Some(first) = text[name_start..].chars().next() {
                if !is_line_terminator(first) {
                    let after_first = name_start + first.len_utf8();
                    let mut end = None;
                    for (off, c) in text[after_first..].char_indices() {
                        if c == '}' {
                            end = Some(after_first + off);
                            break;
                        }
                        if is_line_terminator(c) {
                            break;
                        }
                    }
                    if let Some(end) = end {
                        if literal_start < i {
                            out.push((false, &text[literal_start..i]));
                        }
                        out.push((true, &text[name_start..end]));
                        i = end + 1;
                        literal_start = i;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    if literal_start < text.len() {
        out.push((false, &text[literal_start..]));
    }
    out
}

impl Template {
    /// Compiles `text` against `scope`; the first unknown placeholder is an error.
    pub fn compile(text: &str, scope: &Scope) -> Result<Template, UnknownPlaceholder> {
        let mut segments = Vec::new();
        for (is_name, piece) in split_placeholders(text) {
            if is_name {
                match scope.slot(piece) {
                    Some(slot) => segments.push(Segment::Slot(slot)),
                    None => {
                        return Err(UnknownPlaceholder {
                            pattern: text.to_string(),
                            name: piece.to_string(),
                            available: scope.describe(),
                        })
                    }
                }
            } else {
                segments.push(Segment::Literal(piece.into()));
            }
        }
        Ok(Template {
            source: text.into(),
            segments,
        })
    }

    /// A template without placeholders.
    pub fn literal(text: &str) -> Template {
        Template {
            source: text.into(),
            segments: if text.is_empty() {
                Vec::new()
            } else {
                vec![Segment::Literal(text.into())]
            },
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn has_placeholders(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Slot(_)))
    }

    /// The literal text before the first placeholder.
    pub fn literal_prefix(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Literal(l)) => l,
            _ => "",
        }
    }

    /// Expands with `values[slot]` for each placeholder.
    pub fn expand<S: AsRef<str>>(&self, values: &[S]) -> String {
        match self.segments.as_slice() {
            [] => String::new(),
            [Segment::Literal(l)] => l.to_string(),
            [Segment::Slot(s)] => values[*s].as_ref().to_string(),
            segments => {
                let mut out = String::with_capacity(self.source.len() + 16);
                for seg in segments {
                    match seg {
                        Segment::Literal(l) => out.push_str(l),
                        Segment::Slot(s) => out.push_str(values[*s].as_ref()),
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new(["foo", "param.with.dots", "request-id"])
    }

    #[test]
    fn splits_like_the_reference() {
        assert_eq!(
            split_placeholders("a${b}c"),
            vec![(false, "a"), (true, "b"), (false, "c")]
        );
        assert_eq!(
            split_placeholders("${a}${b}"),
            vec![(true, "a"), (true, "b")]
        );
        assert_eq!(split_placeholders("$${a}"), vec![(false, "$"), (true, "a")]);
        // `${}` is not a placeholder on its own, but the lazy match runs on to the next '}'.
        assert_eq!(split_placeholders("${} x ${y}"), vec![(true, "} x ${y")]);
        assert_eq!(split_placeholders("${}"), vec![(false, "${}")]);
        assert_eq!(split_placeholders("${a\nb}"), vec![(false, "${a\nb}")]);
        assert_eq!(
            split_placeholders("no placeholders"),
            vec![(false, "no placeholders")]
        );
        assert_eq!(split_placeholders("${é}"), vec![(true, "é")]);
    }

    #[test]
    fn expands_by_slot() {
        let t = Template::compile("x=${foo} z=${param.with.dots} $${foo}", &scope()).unwrap();
        assert_eq!(t.expand(&["1", "d", "id"]), "x=1 z=d $1");
        assert!(t.has_placeholders());
        let lit = Template::compile("plain", &scope()).unwrap();
        assert_eq!(lit.expand::<&str>(&[]), "plain");
        assert!(!lit.has_placeholders());
    }

    #[test]
    fn unknown_placeholder_names_available_ones() {
        let err = Template::compile("http://${nope}/", &scope()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Pattern 'http://${nope}/' contains parameter ${nope} but it is not available; available parameters are ${foo}, ${param.with.dots}, ${request-id}"
        );
        let err = Template::compile("${x}", &Scope::default()).unwrap_err();
        assert!(err.to_string().ends_with("no parameters are available"));
    }
}
