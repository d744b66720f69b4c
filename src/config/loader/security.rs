//! Reads `security.xml`: the `<secret-key>`s request hashes are checked against, each written as text or read from
//! an environment variable (`<secret-key from-environment-variable="VAR"/>`).

use std::path::Path;

use super::from_env::{self, Inline, Source};
use super::suggest::{did_you_mean_element, elements_or};
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

/// The children of `<security>`.
const SECURITY_CHILDREN: [&str; 1] = ["secret-key"];

/// How a `<secret-key>` gives its key: as text, or from an environment variable.
const KEY_SOURCE: Source = Source {
    label: "<secret-key>",
    inline: Inline::Text,
    env_attr: "from-environment-variable",
    example: "the key as text",
};

fn read_keys(
    path: &Path,
    root: roxmltree::Node,
    required: bool,
    diags: &mut Diagnostics,
) -> Vec<Box<str>> {
    xml::check_attributes(path, root, &[], diags);
    let mut keys = Vec::new();
    let mut ok = true;
    for c in xml::elements(root) {
        let name = xml::name(c);
        if !SECURITY_CHILDREN.contains(&name) {
            diags.error(
                path,
                xml::pos(c),
                format!(
                    "Unexpected element <{name}> in <security>; expected {}{}",
                    elements_or(&SECURITY_CHILDREN),
                    did_you_mean_element(name, &SECURITY_CHILDREN)
                ),
            );
            continue;
        }
        xml::check_attributes(path, c, &[KEY_SOURCE.env_attr], diags);
        if !xml::no_child_elements(path, c, "holds the key as text", diags) {
            ok = false;
            continue;
        }
        let Some(key) = from_env::value(path, c, &KEY_SOURCE, xml::pos(c), diags) else {
            ok = false;
            continue;
        };
        if key.trim() != key {
            diags.warning(
                path,
                xml::pos(c),
                "this <secret-key> has white space around it, which is part of the key",
            );
        }
        keys.push(Box::from(key.as_str()));
    }
    if keys.is_empty() && required && ok {
        diags.error(
            path,
            xml::pos(root),
            "At least one <secret-key> must be present",
        );
    }
    keys
}
