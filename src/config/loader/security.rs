//! Reads `security.xml`: the `<secret-key>`s request hashes are checked against.

use std::path::Path;

use super::xml;
use crate::config::error::{Diagnostics, Pos};

/// The keys of `security.xml` (untrimmed, in order). A missing file, or one without keys, is an error when
/// `required` (hash checking is on).
pub fn load_security(path: &Path, required: bool, diags: &mut Diagnostics) -> Vec<Box<str>> {
    if !path.exists() {
        if required {
            diags.error(
                path,
                Pos::default(),
                "security.xml is missing: it holds the <secret-key>s that request hashes are checked against (or disable hash checking with --no-hash-check / ENDPOINTS_CHECK_HASH=false)",
            );
        }
        return Vec::new();
    }
    xml::with_root(path, "security", diags, |root, diags| {
        read_keys(path, root, required, diags)
    })
    .unwrap_or_default()
}

fn read_keys(
    path: &Path,
    root: roxmltree::Node,
    required: bool,
    diags: &mut Diagnostics,
) -> Vec<Box<str>> {
    let mut keys = Vec::new();
    for c in xml::elements(root) {
        if xml::name(c) != "secret-key" {
            diags.error(
                path,
                xml::pos(c),
                format!(
                    "Unexpected element <{}> in <security>; expected <secret-key>",
                    xml::name(c)
                ),
            );
            continue;
        }
        let key = xml::text_content(c);
        if key.trim() != key {
            diags.warning(
                path,
                xml::pos(c),
                "this <secret-key> has white space around it, which is part of the key",
            );
        }
        keys.push(Box::from(key.as_str()));
    }
    if keys.is_empty() && required {
        diags.error(
            path,
            xml::pos(root),
            "At least one <secret-key> must be present",
        );
    }
    keys
}
