//! Files the configuration names by directory: the `NAME.xml` files of a folder, and a name resolved inside its
//! directory (never outside), read as XML (`<xml-from-application>` at load and at request time).

use std::path::{Path, PathBuf};

use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::template::Pattern;

/// `NAME.xml` files directly in `dir` (case-insensitive extension), sorted; name = file name without `.xml`.
pub fn xml_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            if f.to_ascii_lowercase().ends_with(".xml") && e.path().is_file() {
                out.push((f.replace(".xml", ""), e.path()));
            }
        }
    }
    out.sort();
    out
}

/// Reads `name` inside `dir` (no escaping it); `Ok(None)` if absent. Returns the root element as an XML pattern.
pub fn read_application_xml(dir: &Path, name: &str) -> Result<Option<Pattern>, String> {
    let Some(path) = resolve_inside(dir, name)? else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}"))?;
    let mut d = Diagnostics::default();
    let doc = xml::parse(&path, &text, &mut d).ok_or_else(|| {
        d.errors()
            .next()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "malformed XML".into())
    })?;
    let root = doc.root_element();
    Ok(Some(Pattern::xml(
        &text.strip_prefix('\u{feff}').unwrap_or(&text)[root.range()],
    )))
}

/// The error of a name that leaves the directory (the reference's words).
pub const LEAFNAME_BLOCKED: &str = "Leafname is blocked";

/// Canonical `dir/name` if it stays inside `dir`; `Ok(None)` if it does not exist; `Err` if it escapes.
pub fn resolve_inside(dir: &Path, name: &str) -> Result<Option<PathBuf>, String> {
    let rel = name.trim_start_matches('/');
    if Path::new(rel).components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Err(LEAFNAME_BLOCKED.to_string());
    }
    let Ok(base) = dir.canonicalize() else {
        return Ok(None);
    };
    match base.join(rel).canonicalize() {
        Ok(p) if p.starts_with(&base) && p.is_file() => Ok(Some(p)),
        Ok(p) if !p.starts_with(&base) => Err(LEAFNAME_BLOCKED.to_string()),
        Ok(_) => Ok(None),
        Err(_) => Ok(None),
    }
}

/// Paths the data sources need.
pub struct Dirs<'a> {
    pub config_dir: &'a Path,
}

impl Dirs<'_> {
    pub fn post_processing(&self) -> PathBuf {
        self.config_dir.join("data-source-post-processing-xslt")
    }
    pub fn xml_from_application(&self) -> PathBuf {
        self.config_dir.join("xml-from-application")
    }
    pub fn http_xslt(&self) -> PathBuf {
        self.config_dir.join("http-xslt")
    }
}
