//! Load-time check of the extension functions a libxslt stylesheet calls.
//!
//! libxslt compiles a stylesheet that calls a function nobody provides (`xmlns:x="java:com.example.Nope"` …
//! `x:thing()`) without complaint and fails only when the call is evaluated, i.e. on some request. This check finds
//! such calls at load: it reads the stylesheet and every module it imports or includes, scans the XPath expressions
//! (the `select`, `test`, `match`, `use`, `value`, … attributes of XSLT instructions, and the `{…}` attribute value
//! templates of literal result elements and of the XSLT attributes that take them) for calls of prefixed functions,
//! and reports each call whose function is not provided, at the file, line and column of its attribute:
//!
//! * namespaces of libxslt and EXSLT ([`LIBRARY_NAMESPACES`]): every function is left to libxslt;
//! * namespaces whose functions this engine registers ([`ENGINE_FUNCTIONS`]): only those functions exist;
//! * functions the stylesheets define themselves with EXSLT `<func:function name="p:f">`;
//! * a call whose name is also tested with `function-available('p:f')` somewhere in the stylesheet is left alone
//!   (the stylesheet guards it);
//! * anything else (another `java:` class, an undeclared prefix, …) is an error.
//!
//! Unprefixed function names (XPath core and XSLT functions) are not checked here. The check is for stylesheets that
//! libxslt runs; it reads the files on its own and never fails on what it cannot read or parse (compiling reports
//! that).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use roxmltree::{Document, Node, ParsingOptions};

use crate::config::error::{Diagnostics, Pos};

const XSLT_NAMESPACE: &str = "http://www.w3.org/1999/XSL/Transform";
const EXSLT_FUNCTIONS_NAMESPACE: &str = "http://exslt.org/functions";

/// Namespaces whose functions libxslt (with EXSLT) provides: calls into them are not checked further.
pub const LIBRARY_NAMESPACES: &[&str] = &[
    "http://exslt.org/common",
    "http://exslt.org/math",
    "http://exslt.org/sets",
    "http://exslt.org/strings",
    "http://exslt.org/dates-and-times",
    "http://exslt.org/dynamic",
    "http://exslt.org/crypto",
    "http://icl.com/saxon",
    "http://xmlsoft.org/XSLT/namespace",
    "http://www.jclark.com/xt",
];

/// The functions this engine registers with libxslt (`xslt::functions`), by namespace.
pub const ENGINE_FUNCTIONS: &[(&str, &[&str])] = &[
    (
        "urn:endpoints:functions",
        &["uuid", "base64-encode", "base64-decode", "sha256-hex"],
    ),
    ("java:java.util.UUID", &["randomUUID"]),
    (
        "java:com.offerready.xslt.xsltfunction.Base64",
        &["encode", "decode"],
    ),
    (
        "java:org.apache.commons.codec.digest.DigestUtils",
        &["sha256Hex"],
    ),
];

/// Most stylesheet modules (the stylesheet and its imports and includes) read for one stylesheet.
const MAX_MODULES: usize = 256;

/// Reports every call in the stylesheet at `path` (and the modules it imports or includes) of a prefixed function
/// that libxslt would not find.
pub fn check(path: &Path, diags: &mut Diagnostics) {
    let mut modules = Vec::new();
    let mut seen = HashSet::new();
    collect_modules(path, &mut seen, &mut modules);
    let mut found = Found::default();
    for (file, text) in &modules {
        if let Ok(doc) = parse(text) {
            scan_module(file, &doc, &mut found);
        }
    }
    for call in &found.calls {
        let Some(ns) = &call.namespace else {
            diags.error(
                &call.file,
                call.pos,
                format!(
                    "function {}() cannot be called: the namespace prefix '{}' is not declared",
                    call.qname, call.prefix
                ),
            );
            continue;
        };
        let key = (ns.clone(), call.local.clone());
        if LIBRARY_NAMESPACES.contains(&ns.as_str())
            || found.defined.contains(&key)
            || found.guarded.contains(&key)
        {
            continue;
        }
        match ENGINE_FUNCTIONS.iter().find(|(n, _)| n == ns) {
            Some((_, names)) if names.contains(&call.local.as_str()) => {}
            Some((_, names)) => diags.error(
                &call.file,
                call.pos,
                format!(
                    "function {}() does not exist: namespace '{ns}' has {}",
                    call.qname,
                    names
                        .iter()
                        .map(|n| format!("{n}()"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => diags.error(
                &call.file,
                call.pos,
                format!(
                    "function {}() is not available: this engine provides no functions in namespace '{ns}' \
                     (it provides EXSLT, urn:endpoints:functions and the java: namespaces {})",
                    call.qname,
                    ENGINE_FUNCTIONS
                        .iter()
                        .filter(|(n, _)| n.starts_with("java:"))
                        .map(|(n, _)| &n["java:".len()..])
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
}

fn parse(text: &str) -> Result<Document<'_>, roxmltree::Error> {
    Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: true,
            ..ParsingOptions::default()
        },
    )
}

/// The stylesheet and, depth first, every module it imports or includes (each once).
fn collect_modules(path: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<(PathBuf, String)>) {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if out.len() >= MAX_MODULES || !seen.insert(key) {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let hrefs: Vec<String> = match parse(&text) {
        Ok(doc) => doc
            .root_element()
            .children()
            .filter(|n| {
                n.is_element()
                    && n.tag_name().namespace() == Some(XSLT_NAMESPACE)
                    && matches!(n.tag_name().name(), "import" | "include")
            })
            .filter_map(|n| n.attribute("href").map(str::to_string))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.push((path.to_path_buf(), text));
    let base = path.parent().unwrap_or(Path::new("."));
    for href in hrefs {
        // Only files next to the stylesheet; URLs are left to libxslt (and its sandbox).
        if href.contains("://") {
            continue;
        }
        let href = href.strip_prefix("file:").unwrap_or(&href);
        collect_modules(&base.join(href), seen, out);
    }
}

/// A call of a prefixed function.
struct Call {
    file: PathBuf,
    pos: Pos,
    qname: String,
    prefix: String,
    local: String,
    /// `None`: the prefix is not declared.
    namespace: Option<String>,
}

#[derive(Default)]
struct Found {
    calls: Vec<Call>,
    /// Functions defined with `<func:function name="p:f">`: (namespace, local name).
    defined: HashSet<(String, String)>,
    /// Functions named in `function-available('p:f')`.
    guarded: HashSet<(String, String)>,
}

/// Attributes of XSLT elements that hold an expression or a pattern.
const EXPRESSION_ATTRIBUTES: &[&str] = &[
    "select",
    "test",
    "match",
    "use",
    "value",
    "count",
    "from",
    "group-by",
    "group-adjacent",
    "group-starting-with",
    "group-ending-with",
    "use-when",
];

/// Attributes of XSLT elements that are attribute value templates.
fn is_avt(element: &str, attribute: &str) -> bool {
    match element {
        "element" | "attribute" => matches!(attribute, "name" | "namespace"),
        "processing-instruction" => attribute == "name",
        "number" => matches!(
            attribute,
            "format" | "lang" | "letter-value" | "grouping-separator" | "grouping-size"
        ),
        "sort" => matches!(attribute, "lang" | "data-type" | "order" | "case-order"),
        _ => false,
    }
}

fn scan_module(file: &Path, doc: &Document, found: &mut Found) {
    let root = doc.root_element();
    let is_stylesheet = root.tag_name().namespace() == Some(XSLT_NAMESPACE)
        && matches!(root.tag_name().name(), "stylesheet" | "transform");
    if is_stylesheet {
        for child in root.children().filter(|n| n.is_element()) {
            // Top-level elements in other namespaces are data, not templates (EXSLT functions excepted).
            let ns = child.tag_name().namespace();
            if ns == Some(XSLT_NAMESPACE) || ns == Some(EXSLT_FUNCTIONS_NAMESPACE) {
                scan_element(file, child, found);
            }
        }
    } else {
        // A simplified stylesheet: the root is a literal result element.
        scan_element(file, root, found);
    }
}

fn scan_element(file: &Path, node: Node, found: &mut Found) {
    let ns = node.tag_name().namespace();
    let local = node.tag_name().name();
    if ns == Some(EXSLT_FUNCTIONS_NAMESPACE) && local == "function" {
        if let Some(name) = node.attribute("name") {
            if let Some(key) = resolve(node, name) {
                found.defined.insert(key);
            }
        }
    }
    for a in node.attributes() {
        let expressions: Vec<&str> = if ns == Some(XSLT_NAMESPACE) {
            if a.namespace().is_some() {
                continue;
            }
            if EXPRESSION_ATTRIBUTES.contains(&a.name()) {
                vec![a.value()]
            } else if is_avt(local, a.name()) {
                avt_expressions(a.value())
            } else {
                continue;
            }
        } else if ns == Some(EXSLT_FUNCTIONS_NAMESPACE) {
            if a.name() == "select" {
                vec![a.value()]
            } else {
                continue;
            }
        } else if a.namespace() == Some(XSLT_NAMESPACE) {
            continue;
        } else {
            avt_expressions(a.value())
        };
        let p = node.document().text_pos_at(a.range().start);
        let pos = Pos {
            line: p.row,
            column: p.col,
        };
        for expr in expressions {
            let scanned = scan_expression(expr);
            for literal in scanned.guarded {
                if let Some(key) = resolve(node, literal) {
                    found.guarded.insert(key);
                }
            }
            for (prefix, local) in scanned.calls {
                found.calls.push(Call {
                    file: file.to_path_buf(),
                    pos,
                    qname: format!("{prefix}:{local}"),
                    namespace: node.lookup_namespace_uri(Some(prefix)).map(str::to_string),
                    prefix: prefix.to_string(),
                    local: local.to_string(),
                });
            }
        }
    }
    for child in node.children().filter(|n| n.is_element()) {
        scan_element(file, child, found);
    }
}

/// `p:f` → (namespace of `p` at `node`, `f`); `None` for an unprefixed name or an undeclared prefix.
fn resolve(node: Node, qname: &str) -> Option<(String, String)> {
    let (prefix, local) = qname.trim().split_once(':')?;
    let ns = node.lookup_namespace_uri(Some(prefix))?;
    Some((ns.to_string(), local.to_string()))
}

/// The expressions inside `{…}` of an attribute value template (`{{` and `}}` are literal braces).
fn avt_expressions(value: &str) -> Vec<&str> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
            b'{' => {
                let start = i + 1;
                let mut j = start;
                let mut quote = None;
                while j < b.len() {
                    match (quote, b[j]) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, c @ (b'"' | b'\'')) => quote = Some(c),
                        (None, b'}') => break,
                        (None, _) => {}
                    }
                    j += 1;
                }
                out.push(&value[start..j.min(b.len())]);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[derive(Debug, Default, PartialEq)]
struct Scanned<'a> {
    /// (prefix, local name) of every prefixed function call.
    calls: Vec<(&'a str, &'a str)>,
    /// The string literals given to `function-available(…)`.
    guarded: Vec<&'a str>,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

/// Finds the prefixed function calls of an XPath expression (1.0, or 2.0 with `(: comments :)`), outside string
/// literals: `p:f(` with optional white space before the parenthesis. Variable references (`$p:v`) and attribute
/// names (`@p:a`) are skipped; axes (`child::`) and wildcards (`p:*`) are not calls.
fn scan_expression(expr: &str) -> Scanned<'_> {
    let mut out = Scanned::default();
    let chars: Vec<(usize, char)> = expr.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(expr.len(), |&(o, _)| o);
    let read_name = |mut i: usize| {
        while at(i).is_some_and(is_name_char) {
            i += 1;
        }
        i
    };
    let skip_space = |mut i: usize| {
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    while let Some(c) = at(i) {
        match c {
            '"' | '\'' => {
                i += 1;
                while at(i).is_some_and(|d| d != c) {
                    i += 1;
                }
                i += 1;
            }
            '(' if at(i + 1) == Some(':') => {
                // A comment, possibly nested.
                let mut depth = 1;
                i += 2;
                while depth > 0 && at(i).is_some() {
                    if at(i) == Some('(') && at(i + 1) == Some(':') {
                        depth += 1;
                        i += 2;
                    } else if at(i) == Some(':') && at(i + 1) == Some(')') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            '$' | '@' => {
                // A variable or attribute name, possibly prefixed: never a call.
                i = skip_space(i + 1);
                if at(i).is_some_and(is_name_start) {
                    i = read_name(i);
                    if at(i) == Some(':') && at(i + 1).is_some_and(is_name_start) {
                        i = read_name(i + 1);
                    }
                }
            }
            c if is_name_start(c) => {
                let start = i;
                let end = read_name(i);
                let (prefix, local_start, local_end) =
                    if at(end) == Some(':') && at(end + 1).is_some_and(is_name_start) {
                        (
                            Some(&expr[offset(start)..offset(end)]),
                            end + 1,
                            read_name(end + 1),
                        )
                    } else {
                        (None, start, end)
                    };
                let local = &expr[offset(local_start)..offset(local_end)];
                let after = skip_space(local_end);
                i = local_end;
                if at(after) != Some('(') {
                    continue;
                }
                match prefix {
                    Some(p) => out.calls.push((p, local)),
                    None if local == "function-available" => {
                        let arg = skip_space(after + 1);
                        if let Some(q @ ('"' | '\'')) = at(arg) {
                            let mut e = arg + 1;
                            while at(e).is_some_and(|d| d != q) {
                                e += 1;
                            }
                            out.guarded.push(&expr[offset(arg + 1)..offset(e)]);
                        }
                    }
                    None => {}
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests;
