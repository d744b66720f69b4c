//! Reading a stylesheet's top-level `xsl:output` (and whether it strips whitespace) from its XML with roxmltree,
//! following `xsl:import` and `xsl:include`. Pure Rust: libxslt's struct fields are never read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

const XSL_NS: &str = "http://www.w3.org/1999/XSL/Transform";
/// Import/include nesting beyond this is not followed (libxslt itself would reject a cycle).
const MAX_DEPTH: usize = 16;

/// The serialization method of `xsl:output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMethod {
    Xml,
    Html,
    Text,
}

/// What a stylesheet's `xsl:output` declares. Without a `method`, XSLT 1.0 picks `html` at run time when the
/// result's root element is `<html>`; that case is reported here as [`OutputMethod::Xml`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputInfo {
    pub method: OutputMethod,
    /// `media-type`, when declared.
    pub media_type: Option<String>,
    /// `encoding`, when declared.
    pub encoding: Option<String>,
}

/// What the module needs to know about a stylesheet besides the compiled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declarations {
    pub output: OutputInfo,
    /// Whether some `xsl:strip-space` is declared (libxslt then removes whitespace nodes from the *input*
    /// document, so a borrowed document must be copied first). True as well when a module could not be read.
    pub strips_space: bool,
}

#[derive(Default)]
struct Collected {
    method: Option<String>,
    media_type: Option<String>,
    encoding: Option<String>,
    strips_space: bool,
    incomplete: bool,
}

impl Collected {
    /// Later calls have higher import precedence and override attribute by attribute.
    fn output(&mut self, node: roxmltree::Node) {
        if let Some(v) = node.attribute("method") {
            self.method = Some(v.trim().to_owned());
        }
        if let Some(v) = node.attribute("media-type") {
            self.media_type = Some(v.trim().to_owned());
        }
        if let Some(v) = node.attribute("encoding") {
            self.encoding = Some(v.trim().to_owned());
        }
    }
}

pub(crate) fn read_declarations(path: &Path) -> Declarations {
    let mut c = Collected::default();
    let mut seen = HashSet::new();
    collect(path, 0, &mut seen, &mut c);
    let method = match c.method.as_deref() {
        Some("html") | Some("xhtml") => OutputMethod::Html,
        Some("text") => OutputMethod::Text,
        _ => OutputMethod::Xml,
    };
    Declarations {
        output: OutputInfo {
            method,
            media_type: c.media_type,
            encoding: c.encoding,
        },
        strips_space: c.strips_space || c.incomplete,
    }
}

fn collect(path: &Path, depth: usize, seen: &mut HashSet<PathBuf>, c: &mut Collected) {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if depth > MAX_DEPTH || !seen.insert(key) {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        c.incomplete = true;
        return;
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let Ok(doc) = roxmltree::Document::parse_with_options(&text, options) else {
        c.incomplete = true;
        return;
    };
    let root = doc.root_element();
    let is_xsl = |n: &roxmltree::Node, name: &str| {
        n.is_element() && n.tag_name().namespace() == Some(XSL_NS) && n.tag_name().name() == name
    };
    if !(is_xsl(&root, "stylesheet") || is_xsl(&root, "transform")) {
        return; // simplified stylesheet (literal result element): no top-level declarations
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let href_path = |n: &roxmltree::Node| n.attribute("href").map(|h| resolve_href(base, h));
    // Imports first: they have lower precedence than everything in this module.
    for child in root.children().filter(|n| is_xsl(n, "import")) {
        match href_path(&child) {
            Some(Some(p)) => collect(&p, depth + 1, seen, c),
            _ => c.incomplete = true,
        }
    }
    for child in root.children() {
        if is_xsl(&child, "output") {
            c.output(child);
        } else if is_xsl(&child, "strip-space") {
            c.strips_space = true;
        } else if is_xsl(&child, "include") {
            match href_path(&child) {
                Some(Some(p)) => collect(&p, depth + 1, seen, c),
                _ => c.incomplete = true,
            }
        }
    }
}

/// A relative or `file:` href against the including module's directory; `None` for other URLs.
fn resolve_href(base: &Path, href: &str) -> Option<PathBuf> {
    let href = href.trim();
    let path = if let Some(rest) = href.strip_prefix("file://") {
        rest.strip_prefix("localhost").unwrap_or(rest)
    } else if href.contains("://") {
        return None;
    } else {
        href
    };
    Some(base.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    const HEAD: &str =
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">"#;

    #[test]
    fn output_with_imports_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "base.xsl",
            &format!(
                r#"{HEAD}<xsl:output method="text" encoding="ISO-8859-1" media-type="text/csv"/></xsl:stylesheet>"#
            ),
        );
        write(
            dir.path(),
            "inc.xsl",
            &format!(r#"{HEAD}<xsl:strip-space elements="*"/></xsl:stylesheet>"#),
        );
        let main = write(
            dir.path(),
            "main.xsl",
            &format!(
                r#"<!DOCTYPE xsl:stylesheet [<!ENTITY nbsp "&#160;">]>{HEAD}<xsl:import href="base.xsl"/><xsl:include href="inc.xsl"/><xsl:output method="html"/></xsl:stylesheet>"#
            ),
        );
        let d = read_declarations(&main);
        assert_eq!(
            d.output,
            OutputInfo {
                method: OutputMethod::Html,
                media_type: Some("text/csv".into()),
                encoding: Some("ISO-8859-1".into())
            }
        );
        assert!(d.strips_space);
    }

    #[test]
    fn defaults_and_simplified_stylesheets() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write(dir.path(), "a.xsl", &format!("{HEAD}</xsl:stylesheet>"));
        let d = read_declarations(&plain);
        assert_eq!(
            d.output,
            OutputInfo {
                method: OutputMethod::Xml,
                media_type: None,
                encoding: None
            }
        );
        assert!(!d.strips_space);
        let simple = write(
            dir.path(),
            "s.xsl",
            r#"<html xsl:version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>"#,
        );
        assert_eq!(read_declarations(&simple).output.method, OutputMethod::Xml);
        let missing_import = write(
            dir.path(),
            "m.xsl",
            &format!(r#"{HEAD}<xsl:import href="nope.xsl"/></xsl:stylesheet>"#),
        );
        assert!(
            read_declarations(&missing_import).strips_space,
            "unknown modules count as stripping"
        );
    }
}
