//! `${name}` patterns, compiled once at load into literal and placeholder segments.
//!
//! Plain-text patterns (URLs, download filenames, condition operands, forwarded parameter values …) use the
//! reference's matching rule: `${` followed by the shortest run of at least one character up to the next `}`, with
//! no line terminator inside. Every placeholder is resolved at load against the names available where the pattern
//! is used (a [`Scope`]); at request time expansion is a walk over the segments with values looked up by index.

use crate::convert::escape::escape_xml;
use std::fmt;

/// The names a pattern may refer to, in slot order. At request time the values are passed as a slice in the same
/// order, so a placeholder is a plain index.
///
/// An endpoint's scope may hold the `secrets.xml` parameters in a range of its own ([`Scope::with_secrets`]): a
/// name there wins over the same name elsewhere (a secret shadows a declared parameter), and every secret slot a
/// placeholder is bound to is recorded, so that the loader knows which secrets an endpoint's requests need.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    names: Vec<String>,
    /// The slots of the secret parameters.
    secrets: std::ops::Range<usize>,
    /// Secret slots bound so far, shared by the clones of this scope.
    bound: Option<std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<usize>>>>,
}

impl Scope {
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Scope {
            names: names.into_iter().map(Into::into).collect(),
            secrets: 0..0,
            bound: None,
        }
    }

    /// `names` with `secrets` after them as secret slots, then `more` (an endpoint's slots: parameters,
    /// `request-id`, secrets, then a participant's intermediate values); `bound` records the secret slots used.
    pub fn with_secrets(
        names: &[String],
        secrets: &[String],
        more: &[String],
        bound: &std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<usize>>>,
    ) -> Scope {
        Scope {
            names: names.iter().chain(secrets).chain(more).cloned().collect(),
            secrets: names.len()..names.len() + secrets.len(),
            bound: Some(bound.clone()),
        }
    }

    pub fn slot(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.names[self.secrets.clone()]
            .iter()
            .position(|n| n == name)
        {
            let slot = self.secrets.start + i;
            if let Some(b) = &self.bound {
                b.lock().unwrap_or_else(|e| e.into_inner()).insert(slot);
            }
            return Some(slot);
        }
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
        sorted.dedup();
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
    split_with(text, |name_start| {
        // The name is at least one character (which may itself be '}'), then up to the next '}'.
        let first = text[name_start..].chars().next()?;
        if is_line_terminator(first) {
            return None;
        }
        let after_first = name_start + first.len_utf8();
        for (off, c) in text[after_first..].char_indices() {
            if c == '}' {
                return Some(after_first + off);
            }
            if is_line_terminator(c) {
                return None;
            }
        }
        None
    })
}

/// Splits `text` into literal runs (`false`) and placeholder names (`true`): at each `${`, `name_end` gets the
/// index where a name would start and gives the index of its closing `}`, or `None` when no placeholder starts
/// there (the `${` is literal).
fn split_with(text: &str, name_end: impl Fn(usize) -> Option<usize>) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut literal_start = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            if let Some(end) = name_end(i + 2) {
                if literal_start < i {
                    out.push((false, &text[literal_start..i]));
                }
                out.push((true, &text[i + 2..end]));
                i = end + 1;
                literal_start = i;
                continue;
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
    fn secrets_shadow_parameters_and_are_recorded() {
        let bound = Default::default();
        let names = ["p".to_string(), "request-id".to_string()];
        let scope = Scope::with_secrets(
            &names,
            &["p".to_string(), "s".to_string(), "unused".to_string()],
            &["input".to_string()],
            &bound,
        );
        let t = Template::compile("${p}/${s}/${input}/${request-id}", &scope).unwrap();
        assert_eq!(
            t.expand(&["declared", "id", "secret-p", "secret-s", "", "in"]),
            "secret-p/secret-s/in/id"
        );
        assert_eq!(
            bound.lock().unwrap().iter().copied().collect::<Vec<_>>(),
            [2, 3]
        );
        assert!(scope.describe().ends_with("${s}, ${unused}"));
        assert_eq!(scope.describe().matches("${p}").count(), 1);
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

/// A pattern whose placeholders are kept by name, for configuration that is shared by several endpoints (data
/// sources, HTTP requests) and so cannot be bound to one endpoint's slots. Names are checked at load for every
/// endpoint that uses the pattern; at request time they are looked up in a small context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: Box<str>,
    segments: Vec<NamedSegment>,
    /// XML expansion: values are escaped for XML text and attribute values.
    xml: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NamedSegment {
    Literal(Box<str>),
    Name(Box<str>),
}

/// A placeholder without a value at request time (only possible where load-time checks cannot reach, e.g. in a
/// fetched document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Parameter ${{{0}}} is not available")]
pub struct MissingValue(pub String);

fn is_word_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Splits on `${name}` where name is `[\w-]+` (the XML-expansion rule).
fn split_word_placeholders(text: &str) -> Vec<(bool, &str)> {
    split_with(text, |start| {
        let end = start + text[start..].find('}')?;
        is_word_name(&text[start..end]).then_some(end)
    })
}

impl Pattern {
    /// A plain-text pattern (`${…}` matched lazily as in [`split_placeholders`]).
    pub fn plain(text: &str) -> Pattern {
        Pattern::build(text, split_placeholders(text), false)
    }

    /// An XML template: `${name}` with `[\w-]+` names, in the source text of an XML fragment; values are escaped.
    pub fn xml(text: &str) -> Pattern {
        Pattern::build(text, split_word_placeholders(text), true)
    }

    fn build(text: &str, pieces: Vec<(bool, &str)>, xml: bool) -> Pattern {
        Pattern {
            source: text.into(),
            segments: pieces
                .into_iter()
                .map(|(is_name, p)| {
                    if is_name {
                        NamedSegment::Name(p.into())
                    } else {
                        NamedSegment::Literal(p.into())
                    }
                })
                .collect(),
            xml,
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            NamedSegment::Name(n) => Some(&**n),
            NamedSegment::Literal(_) => None,
        })
    }

    /// The first name not in `scope`, as a load-time error.
    pub fn check(&self, scope: &Scope) -> Result<(), UnknownPlaceholder> {
        for n in self.names() {
            if scope.slot(n).is_none() {
                return Err(UnknownPlaceholder {
                    pattern: self.source.to_string(),
                    name: n.to_string(),
                    available: scope.describe(),
                });
            }
        }
        Ok(())
    }

    /// Expands with `lookup`; an unknown name becomes `""` when `unknown_empty` (the parameter-transformation
    /// context), else is an error.
    pub fn expand<'v>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'v str>,
        unknown_empty: bool,
    ) -> Result<String, MissingValue> {
        let mut out = String::with_capacity(self.source.len() + 16);
        for seg in &self.segments {
            match seg {
                NamedSegment::Literal(l) => out.push_str(l),
                NamedSegment::Name(n) => match lookup(n) {
                    Some(v) if self.xml => escape_xml(v, &mut out),
                    Some(v) => out.push_str(v),
                    None if unknown_empty => {}
                    None => return Err(MissingValue(n.to_string())),
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn xml_patterns_expand_word_names_only_and_escape() {
        let p = Pattern::xml("<a z=\"${foo}\">${param.with.dots}${x}</a>");
        let lookup = |n: &str| match n {
            "foo" => Some("1 & <2>"),
            "x" => Some("\"q\""),
            _ => None,
        };
        assert_eq!(
            p.expand(&lookup, false).unwrap(),
            "<a z=\"1 &amp; &lt;2&gt;\">${param.with.dots}&quot;q&quot;</a>"
        );
        assert_eq!(p.names().collect::<Vec<_>>(), vec!["foo", "x"]);
        let q = Pattern::xml("<a>${nope}</a>");
        assert_eq!(
            q.expand(&lookup, false).unwrap_err(),
            MissingValue("nope".into())
        );
        assert_eq!(q.expand(&lookup, true).unwrap(), "<a></a>");
        assert!(q.check(&Scope::new(["foo"])).is_err());
        assert!(p.check(&Scope::new(["foo", "x"])).is_ok());
    }

    #[test]
    fn plain_patterns() {
        let p = Pattern::plain("x=${foo} w=${no.such}");
        let lookup = |n: &str| (n == "foo").then_some("1");
        assert_eq!(p.expand(&lookup, true).unwrap(), "x=1 w=");
        assert!(p.expand(&lookup, false).is_err());
    }
}
