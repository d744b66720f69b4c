//! Word, Excel and PowerPoint templates for `<ooxml-parameter-expansion>`: read once at load, every text part that
//! can hold `${name}` prepared so that a placeholder split by the word processor across several runs is whole again
//! (its text moves into the run where it starts, keeping that run's formatting), then compiled into an XML pattern.
//! Every other entry is copied byte-for-byte at request time.

use std::path::Path;

use bytes::Bytes;

use super::files::resolve_inside;
use crate::config::model::ooxml::OoxmlTemplate;
use crate::config::model::template::{Pattern, Scope};
use crate::convert::escape::escape_xml;

/// Largest template read.
pub const MAX_TEMPLATE_BYTES: u64 = 32 * 1024 * 1024;

/// Whether an entry's text may hold placeholders: body, headers, footers, notes, slides, shared and sheet strings.
pub fn is_text_part(name: &str) -> bool {
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(".xml"))
            .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
    };
    name.ends_with("document.xml")
        || numbered("word/header")
        || numbered("word/footer")
        || name == "word/footnotes.xml"
        || name == "word/endnotes.xml"
        || numbered("ppt/slides/slide")
        || numbered("ppt/notesSlides/notesSlide")
        || name == "xl/sharedStrings.xml"
        || numbered("xl/worksheets/sheet")
}

/// Joins placeholders split across the text elements of one paragraph (`w:p`, `a:p`) or string item (`si`, `is`)
/// and returns the part's XML with those texts rewritten.
pub fn merge_split_placeholders(xml: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    // Text nodes of `t` elements, grouped by their nearest paragraph / string item.
    let mut groups: Vec<(roxmltree::NodeId, Vec<roxmltree::Node>)> = Vec::new();
    for t in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "t")
    {
        let Some(text) = t.children().find(|c| c.is_text()) else {
            continue;
        };
        let Some(unit) = t
            .ancestors()
            .skip(1)
            .find(|a| a.is_element() && matches!(a.tag_name().name(), "p" | "si" | "is"))
        else {
            continue;
        };
        match groups.iter_mut().find(|(id, _)| *id == unit.id()) {
            Some((_, list)) => list.push(text),
            None => groups.push((unit.id(), vec![text])),
        }
    }
    // (range in the source, new text) for every text node that changes.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (_, nodes) in groups {
        if nodes.len() < 2 {
            continue;
        }
        let texts: Vec<&str> = nodes.iter().map(|n| n.text().unwrap_or("")).collect();
        let merged: String = texts.concat();
        if !merged.contains("${") {
            continue;
        }
        // The node owning each byte of `merged`.
        let mut owner = Vec::with_capacity(merged.len());
        for (i, t) in texts.iter().enumerate() {
            owner.extend(std::iter::repeat_n(i, t.len()));
        }
        let mut changed = false;
        let mut search = 0;
        while let Some(rel) = merged[search..].find("${") {
            let start = search + rel;
            let Some(close) = merged[start..].find('}') else {
                break;
            };
            let end = start + close + 1;
            let name = &merged[start + 2..end - 1];
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                let first = owner[start];
                for o in &mut owner[start..end] {
                    if *o != first {
                        *o = first;
                        changed = true;
                    }
                }
                search = end;
            } else {
                search = start + 2;
            }
        }
        if !changed {
            continue;
        }
        let mut new_texts = vec![String::new(); texts.len()];
        for (i, ch) in merged.char_indices() {
            new_texts[owner[i]].push(ch);
        }
        for (node, text) in nodes.iter().zip(new_texts) {
            if text != node.text().unwrap_or("") {
                let mut escaped = String::new();
                escape_xml(&text, &mut escaped);
                edits.push((node.range(), escaped));
            }
        }
    }
    if edits.is_empty() {
        return Ok(xml.to_string());
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = xml.to_string();
    for (range, text) in edits {
        out.replace_range(range, &text);
    }
    Ok(out)
}

/// Reads and prepares `ooxml-responses/<source>`.
pub fn load(dir: &Path, source: &str) -> Result<OoxmlTemplate, String> {
    let not_found = || format!("File '{source}' cannot be found in 'ooxml-responses' directory");
    let path = resolve_inside(dir, source)
        .map_err(|_| format!("File '{source}' is outside the 'ooxml-responses' directory"))?
        .ok_or_else(not_found)?;
    let len = std::fs::metadata(&path).map_err(|_| not_found())?.len();
    if len > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "File '{source}' is larger than {MAX_TEMPLATE_BYTES} bytes"
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("File '{source}' cannot be read: {e}"))?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes))
        .map_err(|e| format!("File '{source}' is not an Office document (ZIP): {e}"))?;
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| format!("{source}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("{source}: {e}"))?
            .to_string();
        if !is_text_part(&name) {
            continue;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text)
            .map_err(|e| format!("{source}: {name}: {e}"))?;
        let merged = merge_split_placeholders(&text)
            .map_err(|e| format!("{source}: {name} is not well-formed XML: {e}"))?;
        parts.push((name, Pattern::xml(&merged)));
    }
    Ok(OoxmlTemplate {
        source: source.to_string(),
        path,
        bytes: Bytes::from(bytes),
        parts,
    })
}

/// Checks every text part's placeholders against `scope`; each unknown one is passed to `report` as
/// `template 'source', part 'name' contains ${x} but it is not available; …`. True when there is none.
pub fn check_parts(
    template: &OoxmlTemplate,
    scope: &Scope,
    mut report: impl FnMut(String),
) -> bool {
    let mut ok = true;
    for (part, pattern) in &template.parts {
        if let Err(e) = pattern.check(scope) {
            report(format!(
                "template '{}', part '{part}' contains ${{{}}} but it is not available; {}",
                template.source, e.name, e.available
            ));
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::ooxml::content_type;

    #[test]
    fn split_placeholders_are_joined_into_the_first_run() {
        let xml = r#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Dear ${na</w:t></w:r><w:r><w:t>me}, your ${</w:t></w:r><w:r><w:t>item} &amp; more</w:t></w:r></w:p><w:p><w:r><w:t>${whole}</w:t></w:r></w:p></w:body></w:document>"#;
        let merged = merge_split_placeholders(xml).unwrap();
        assert_eq!(
            merged,
            r#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Dear ${name}</w:t></w:r><w:r><w:t>, your ${item}</w:t></w:r><w:r><w:t> &amp; more</w:t></w:r></w:p><w:p><w:r><w:t>${whole}</w:t></w:r></w:p></w:body></w:document>"#
        );
        let p = Pattern::xml(&merged);
        assert_eq!(p.names().collect::<Vec<_>>(), vec!["name", "item", "whole"]);
    }

    #[test]
    fn parts_and_types() {
        for yes in [
            "word/document.xml",
            "word/header1.xml",
            "word/footer12.xml",
            "ppt/slides/slide3.xml",
            "xl/sharedStrings.xml",
            "xl/worksheets/sheet1.xml",
            "ppt/notesSlides/notesSlide2.xml",
            "word/footnotes.xml",
        ] {
            assert!(is_text_part(yes), "{yes}");
        }
        for no in [
            "ppt/slideLayouts/slideLayout1.xml",
            "word/styles.xml",
            "[Content_Types].xml",
            "xl/styles.xml",
            "word/headerx.xml",
        ] {
            assert!(!is_text_part(no), "{no}");
        }
        assert_eq!(
            content_type("A.DOCX"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(content_type("x.bin"), "application/octet-stream");
    }
}
