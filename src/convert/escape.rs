//! Escaping text for XML: the one escaper of the crate. Every piece of text the engine writes into an XML
//! document it builds (templates with `${…}` values, parameter-transformation input, request-log and database
//! documents, the forms in which a secret may appear in stored XML) goes through [`escape_into`].
//!
//! What is escaped depends on where the text goes ([`Escape`]); `&`, `<` and `>` always are. The JSON → XML
//! converter streams its own output under a byte budget and refuses forbidden characters with a position, so it
//! checks characters itself, but it writes the same entities.

/// Where escaped text goes, which decides what is escaped besides `&`, `<` and `>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Element content or a `"`-quoted attribute value: also `"` → `&quot;`. Other characters are copied.
    Attribute,
    /// Any attribute value, whichever its quotes: also `"` → `&quot;` and `'` → `&apos;`.
    AnyQuotes,
    /// Element content that must survive a parser unchanged: CR → `&#13;` (so end-of-line handling keeps it), and
    /// characters XML 1.0 forbids (controls other than tab, LF and CR; U+FFFE; U+FFFF) → U+FFFD.
    Text,
}

/// Appends `s` to `out`, escaped for `context`.
pub fn escape_into(s: &str, context: Escape, out: &mut String) {
    let mut copied = 0;
    for (i, c) in s.char_indices() {
        let replacement = match (c, context) {
            ('&', _) => "&amp;",
            ('<', _) => "&lt;",
            ('>', _) => "&gt;",
            ('"', Escape::Attribute | Escape::AnyQuotes) => "&quot;",
            ('\'', Escape::AnyQuotes) => "&apos;",
            ('\r', Escape::Text) => "&#13;",
            ('\t' | '\n', Escape::Text) => continue,
            (c, Escape::Text) if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                "\u{fffd}"
            }
            _ => continue,
        };
        out.push_str(&s[copied..i]);
        out.push_str(replacement);
        copied = i + c.len_utf8();
    }
    out.push_str(&s[copied..]);
}

/// Appends `s` to `out` escaped for element content or a `"`-quoted attribute ([`Escape::Attribute`]).
pub fn escape_xml(s: &str, out: &mut String) {
    escape_into(s, Escape::Attribute, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, context: Escape) -> String {
        let mut out = String::from(">");
        escape_into(s, context, &mut out);
        out
    }

    #[test]
    fn attribute_escapes_markup_and_double_quotes() {
        assert_eq!(
            esc("a&b<c>d\"e'f\r\u{1}", Escape::Attribute),
            ">a&amp;b&lt;c&gt;d&quot;e'f\r\u{1}"
        );
        assert_eq!(esc("plain ünïcode", Escape::Attribute), ">plain ünïcode");
        assert_eq!(esc("", Escape::Attribute), ">");
    }

    #[test]
    fn any_quotes_escapes_both_quotes() {
        assert_eq!(esc("\"'&", Escape::AnyQuotes), ">&quot;&apos;&amp;");
    }

    #[test]
    fn text_keeps_carriage_returns_and_replaces_forbidden_characters() {
        assert_eq!(
            esc("a\r\nb\tc\u{0}d\u{1f}e\u{fffe}f\u{ffff}\"'<", Escape::Text),
            ">a&#13;\nb\tc\u{fffd}d\u{fffd}e\u{fffd}f\u{fffd}\"'&lt;"
        );
    }
}
