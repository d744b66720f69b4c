//! Reads `engine-settings.xml` (optional) and applies the server's flags where the file says nothing.

use std::path::Path;

use super::suggest::{did_you_mean_element, elements_or};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::settings::{
    AppSettings, HashScheme, MissingHash, SettingSource, XsltEngine,
};

/// The file's name, in the directory holding `endpoints.xml`.
pub const SETTINGS_FILE: &str = "engine-settings.xml";

/// What the file says, before the server's flag is applied.
#[derive(Debug, Clone, Default, PartialEq)]
struct FileSettings {
    missing_hash: Option<(MissingHash, Pos)>,
    xslt_engine: Option<XsltEngine>,
    hash_scheme: Option<HashScheme>,
}

/// Reads `engine-settings.xml` from `config_dir` (absent: the defaults) and applies the server's
/// `accept_missing_hash` flag and `hash_scheme` where the file says nothing about them.
pub fn load(
    config_dir: &Path,
    accept_missing_hash: bool,
    hash_scheme: HashScheme,
    diags: &mut Diagnostics,
) -> AppSettings {
    let path = config_dir.join(SETTINGS_FILE);
    let file = if path.exists() {
        read(&path, diags)
    } else {
        FileSettings::default()
    };
    let (missing_hash, missing_hash_source) = match file.missing_hash {
        Some((value, pos)) => (value, SettingSource::File(pos)),
        None if accept_missing_hash => (MissingHash::Accept, SettingSource::ServerFlag),
        None => (MissingHash::Refuse, SettingSource::Default),
    };
    AppSettings {
        missing_hash,
        xslt_engine: file.xslt_engine,
        missing_hash_source,
        hash_scheme: file.hash_scheme.unwrap_or(hash_scheme),
    }
}

fn read(path: &Path, diags: &mut Diagnostics) -> FileSettings {
    xml::with_root(path, "engine-settings", diags, |root, diags| {
        read_root(path, root, diags)
    })
    .unwrap_or_default()
}

/// The children of `<engine-settings>`.
const SETTINGS_CHILDREN: [&str; 3] = ["missing-hash", "xslt-engine", "hash-scheme"];

fn read_root(path: &Path, root: roxmltree::Node, diags: &mut Diagnostics) -> FileSettings {
    let mut out = FileSettings::default();
    xml::check_attributes(path, root, &[], diags);
    for child in root.children() {
        if child.is_text() && !child.text().unwrap_or("").trim().is_empty() {
            diags.error(
                path,
                xml::pos(child),
                format!(
                    "Unexpected text in <engine-settings>; expected {}",
                    elements_or(&SETTINGS_CHILDREN)
                ),
            );
        }
    }
    let mut seen: Vec<(&str, Pos)> = Vec::new();
    for c in xml::elements(root) {
        let name = xml::name(c);
        let pos = xml::pos(c);
        if !SETTINGS_CHILDREN.contains(&name) {
            diags.error(
                path,
                pos,
                format!(
                    "Unexpected element <{name}> in <engine-settings>; expected {}{}",
                    elements_or(&SETTINGS_CHILDREN),
                    did_you_mean_element(name, &SETTINGS_CHILDREN)
                ),
            );
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            diags.error(
                path,
                pos,
                format!(
                    "More than one <{name}> in <engine-settings> (the first is at line {})",
                    first.line
                ),
            );
            continue;
        }
        seen.push((name, pos));
        xml::check_attributes(path, c, &[], diags);
        if let Some(e) = xml::elements(c).next() {
            diags.error(
                path,
                xml::pos(e),
                format!("<{name}> holds a word, not elements"),
            );
            continue;
        }
        let value = xml::text_content(c);
        let value = value.trim();
        match name {
            "missing-hash" => match value {
                "refuse" => out.missing_hash = Some((MissingHash::Refuse, pos)),
                "accept" => out.missing_hash = Some((MissingHash::Accept, pos)),
                other => diags.error(
                    path,
                    xml::text_pos(c),
                    format!("<missing-hash> must be 'refuse' or 'accept', not '{other}'"),
                ),
            },
            "hash-scheme" => match HashScheme::parse(value) {
                Some(v) => out.hash_scheme = Some(v),
                None => diags.error(
                    path,
                    xml::text_pos(c),
                    format!(
                        "<hash-scheme> must be 'openendpoints' or 'hmac-sha256', not '{value}'"
                    ),
                ),
            },
            _ => match value {
                "auto" => out.xslt_engine = Some(XsltEngine::Auto),
                "saxon" => out.xslt_engine = Some(XsltEngine::Saxon),
                other => diags.error(
                    path,
                    xml::text_pos(c),
                    format!("<xslt-engine> must be 'auto' or 'saxon', not '{other}'"),
                ),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: Option<&str>, flag: bool) -> (AppSettings, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        if let Some(t) = text {
            std::fs::write(dir.path().join(SETTINGS_FILE), t).unwrap();
        }
        let mut diags = Diagnostics::default();
        let s = load(dir.path(), flag, HashScheme::OpenEndpoints, &mut diags);
        let messages = diags.messages_in(dir.path());
        (s, messages)
    }

    #[test]
    fn defaults_without_a_file() {
        let (s, d) = load_text(None, false);
        assert!(d.is_empty());
        assert_eq!(s.missing_hash, MissingHash::Refuse);
        assert_eq!(s.missing_hash_source, SettingSource::Default);
        assert_eq!(s.xslt_engine, None);
        let (s, _) = load_text(None, true);
        assert_eq!(s.missing_hash, MissingHash::Accept);
        assert_eq!(s.missing_hash_source, SettingSource::ServerFlag);
    }

    #[test]
    fn the_file_wins_over_the_flag() {
        for flag in [false, true] {
            let (s, d) = load_text(
                Some("<engine-settings>\n  <missing-hash> accept </missing-hash>\n</engine-settings>"),
                flag,
            );
            assert!(d.is_empty(), "{d:?}");
            assert_eq!(s.missing_hash, MissingHash::Accept);
            assert_eq!(
                s.missing_hash_source,
                SettingSource::File(Pos { line: 2, column: 3 })
            );
            let (s, _) = load_text(
                Some("<engine-settings><missing-hash>refuse</missing-hash></engine-settings>"),
                flag,
            );
            assert_eq!(s.missing_hash, MissingHash::Refuse);
        }
        // A file without <missing-hash> leaves it to the flag.
        let (s, _) = load_text(
            Some("<engine-settings><xslt-engine>saxon</xslt-engine></engine-settings>"),
            true,
        );
        assert_eq!(s.missing_hash, MissingHash::Accept);
        assert_eq!(s.xslt_engine, Some(XsltEngine::Saxon));
        let (s, _) = load_text(Some("<engine-settings/>"), false);
        assert_eq!(s.missing_hash, MissingHash::Refuse);
        assert_eq!(s.xslt_engine, None);
        let (s, _) = load_text(
            Some("<engine-settings><!-- c --><xslt-engine>auto</xslt-engine></engine-settings>"),
            false,
        );
        assert_eq!(s.xslt_engine, Some(XsltEngine::Auto));
    }

    #[test]
    fn mistakes_are_errors_with_positions() {
        let (_, d) = load_text(
            Some(
                "<engine-settings>\n  <missing-hash>maybe</missing-hash>\n  <xslt-engine>xalan</xslt-engine>\n  <missing-hash>accept</missing-hash>\n  <timeout>3</timeout>\n  <xslt-engine mode=\"x\"><saxon/></xslt-engine>\n  stray\n</engine-settings>",
            ),
            false,
        );
        assert_eq!(
            d,
            [
                "DIR/engine-settings.xml:2:17: <missing-hash> must be 'refuse' or 'accept', not 'maybe'",
                "DIR/engine-settings.xml:3:16: <xslt-engine> must be 'auto' or 'saxon', not 'xalan'",
                "DIR/engine-settings.xml:4:3: More than one <missing-hash> in <engine-settings> (the first is at line 2)",
                "DIR/engine-settings.xml:5:3: Unexpected element <timeout> in <engine-settings>; expected <missing-hash>, <xslt-engine> or <hash-scheme>",
                "DIR/engine-settings.xml:6:3: More than one <xslt-engine> in <engine-settings> (the first is at line 3)",
                "DIR/engine-settings.xml:6:47: Unexpected text in <engine-settings>; expected <missing-hash>, <xslt-engine> or <hash-scheme>",
            ]
        );
        let (_, d) = load_text(Some("<settings/>"), false);
        assert_eq!(
            d,
            ["DIR/engine-settings.xml:1:1: Root element must be <engine-settings>, found <settings>"]
        );
        let (_, d) = load_text(Some("<engine-settings>"), false);
        assert!(d[0].starts_with("DIR/engine-settings.xml:1:"), "{d:?}");
        let (_, d) = load_text(
            Some("<engine-settings><missing-hash x=\"1\">accept</missing-hash><xslt-engine><a/></xslt-engine></engine-settings>"),
            false,
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("'x'"), "{d:?}");
        assert!(
            d[1].contains("<xslt-engine> holds a word, not elements"),
            "{d:?}"
        );
    }

    #[test]
    fn hash_scheme_from_the_file_or_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let mut diags = Diagnostics::default();
        let s = load(dir.path(), false, HashScheme::HmacSha256, &mut diags);
        assert_eq!(s.hash_scheme, HashScheme::HmacSha256);
        let (s, d) = load_text(None, false);
        assert!(d.is_empty());
        assert_eq!(s.hash_scheme, HashScheme::OpenEndpoints);
        let (s, d) = load_text(
            Some("<engine-settings><hash-scheme> hmac-sha256 </hash-scheme></engine-settings>"),
            false,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.hash_scheme, HashScheme::HmacSha256);
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "<engine-settings><hash-scheme>openendpoints</hash-scheme></engine-settings>",
        )
        .unwrap();
        let s = load(dir.path(), false, HashScheme::HmacSha256, &mut diags);
        assert_eq!(s.hash_scheme, HashScheme::OpenEndpoints, "the file wins");
        let (_, d) = load_text(
            Some("<engine-settings><hash-scheme>md5</hash-scheme></engine-settings>"),
            false,
        );
        assert_eq!(
            d,
            ["DIR/engine-settings.xml:1:31: <hash-scheme> must be 'openendpoints' or 'hmac-sha256', not 'md5'"]
        );
    }
}
