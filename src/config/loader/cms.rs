//! Parses `data-driven-cms/**/*.xml` for a `<data-driven-cms/>` command: per file `<condition>`s, `<content id>`
//! and `<property id>`, each holding `<instance priority>`s (a content instance: `<condition-folder>`s and one
//! `<copy>`; a property instance: `<condition-folder>`s and a `value`). See [`crate::config::model::cms`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use roxmltree::Node;

use super::condition::parse_optional_condition;
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::cms::{Cms, CmsFile, CmsInstance};
use crate::config::model::condition::{Condition, CONDITION_ATTRIBUTES};
use crate::config::model::template::{split_placeholders, Pattern, Scope};

pub const CMS_DIR: &str = "data-driven-cms";

/// Every `*.xml` (any case) below `dir`, sorted by path.
fn xml_files_recursive(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            xml_files_recursive(&p, out)?;
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".xml"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The condition attributes' texts of every `<condition>` in the document.
fn condition_texts<'a>(doc: &'a roxmltree::Document) -> impl Iterator<Item = &'a str> {
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "condition")
        .flat_map(|n| {
            CONDITION_ATTRIBUTES
                .iter()
                .filter_map(move |a| n.attribute(*a))
        })
}

/// The `<condition>` children of `node` (those without `if` always hold and are left out).
fn conditions(
    file: &Path,
    node: Node,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let mut out = Vec::new();
    let mut ok = true;
    for c in xml::elements(node).filter(|c| xml::name(*c) == "condition") {
        match parse_optional_condition(file, c, scope, diags) {
            Ok(Some(cond)) => out.push(cond),
            Ok(None) => {}
            Err(()) => ok = false,
        }
    }
    ok.then_some(out)
}

fn unexpected(file: &Path, node: Node, c: Node, allowed: &str, diags: &mut Diagnostics) {
    diags.error(
        file,
        xml::pos(c),
        format!(
            "Unexpected element <{}> in <{}>; expected {allowed}",
            xml::name(c),
            xml::name(node)
        ),
    );
}

/// One `<instance>` of a `<content>` (`content` true) or `<property>`.
fn instance(
    file: &Path,
    src: &str,
    id: &str,
    node: Node,
    content: bool,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> Option<CmsInstance> {
    let attrs: &[&str] = if content {
        &["priority"]
    } else {
        &["priority", "value"]
    };
    xml::check_attributes(file, node, attrs, diags);
    let priority = xml::required_attribute(file, node, "priority", diags)?;
    let Ok(priority) = priority.trim().parse::<i64>() else {
        diags.error(
            file,
            xml::attr_pos(node, "priority"),
            format!("<instance priority='{priority}'>: the priority must be a whole number"),
        );
        return None;
    };
    let mut ok = true;
    let mut folders = Vec::new();
    let mut copies = Vec::new();
    for c in xml::elements(node) {
        match xml::name(c) {
            "condition-folder" => {
                for x in xml::elements(c).filter(|x| xml::name(*x) != "condition") {
                    unexpected(file, c, x, "only <condition>", diags);
                    ok = false;
                }
                match conditions(file, c, scope, diags) {
                    Some(f) => folders.push(f),
                    None => ok = false,
                }
            }
            "copy" if content => copies.push(c),
            _ => {
                let allowed = if content {
                    "<condition-folder> or <copy>"
                } else {
                    "only <condition-folder>"
                };
                unexpected(file, node, c, allowed, diags);
                ok = false;
            }
        }
    }
    let payload = if content {
        let [copy] = copies.as_slice() else {
            diags.error(
                file,
                xml::pos(node),
                format!("<content id='{id}'>: an <instance> needs exactly one <copy>"),
            );
            return None;
        };
        xml::elements(*copy).map(|e| &src[e.range()]).collect()
    } else {
        xml::required_attribute(file, node, "value", diags)?.to_string()
    };
    ok.then(|| CmsInstance {
        id: id.to_string(),
        priority,
        folders,
        payload,
    })
}

/// One file's root element.
fn parse_file(
    file: &Path,
    src: &str,
    root: Node,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> Option<CmsFile> {
    let mut f = CmsFile {
        conditions: conditions(file, root, scope, diags)?,
        ..CmsFile::default()
    };
    let mut ok = true;
    for c in xml::elements(root) {
        let tag = xml::name(c);
        let content = match tag {
            "condition" => continue,
            "content" => true,
            "property" => false,
            _ => {
                unexpected(file, root, c, "<condition>, <content> or <property>", diags);
                ok = false;
                continue;
            }
        };
        xml::check_attributes(file, c, &["id"], diags);
        let Some(id) = xml::required_attribute(file, c, "id", diags) else {
            ok = false;
            continue;
        };
        for i in xml::elements(c) {
            if xml::name(i) != "instance" {
                unexpected(file, c, i, "only <instance>", diags);
                ok = false;
                continue;
            }
            match instance(file, src, id, i, content, scope, diags) {
                Some(inst) if content => f.contents.push(inst),
                Some(inst) => f.properties.push(inst),
                None => ok = false,
            }
        }
    }
    ok.then_some(f)
}

/// Every file of `config_dir/data-driven-cms/`; `None` (reported at `file`/`pos`, the command) when the folder is
/// missing, or when a file is broken (reported in that file).
pub fn load_cms(config_dir: &Path, file: &Path, pos: Pos, diags: &mut Diagnostics) -> Option<Cms> {
    let dir = config_dir.join(CMS_DIR);
    let mut paths = Vec::new();
    if let Err(e) = xml_files_recursive(&dir, &mut paths) {
        diags.error(
            file,
            pos,
            format!("<data-driven-cms/>: cannot read the '{CMS_DIR}' directory: {e}"),
        );
        return None;
    }
    paths.sort();
    let mut texts = Vec::new();
    for p in paths {
        texts.push((xml::read_text(&p, diags)?, p));
    }
    // First the names the conditions use (one scope for all files), then the files.
    let mut names = BTreeSet::new();
    let mut patterns = Vec::new();
    let mut docs = Vec::new();
    for (text, p) in &texts {
        let doc = xml::parse(p, text, diags)?;
        for t in condition_texts(&doc) {
            patterns.push(Pattern::plain(t));
            for (is_name, n) in split_placeholders(t) {
                if is_name {
                    names.insert(n.to_string());
                }
            }
        }
        docs.push((doc, p, text));
    }
    let scope = Scope::new(names);
    let mut files = Vec::new();
    let mut ok = true;
    for (doc, p, text) in &docs {
        let src = text.strip_prefix('\u{feff}').unwrap_or(text);
        match parse_file(p, src, doc.root_element(), &scope, diags) {
            Some(f) => files.push(f),
            None => ok = false,
        }
    }
    ok.then_some(Cms {
        files,
        scope,
        patterns,
    })
}
