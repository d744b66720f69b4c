//! The source tree's own rules, checked so that they stay true:
//!
//! * no source file under `src/` is longer than [`MAX_LINES`] lines unless its leading `//!` block says why
//!   (a line with "long" and "because");
//! * no import circles between files: when a file refers to an item of another file (`use crate::…`,
//!   `use super::…`, a path in code, or `use child::…` from a `mod.rs`), that file must not, directly or through
//!   others, refer back. A child that imports from its parent `mod.rs` while the parent re-exports from the child
//!   is such a circle; shared items belong in a leaf module that both import. `mod x;` declarations, visibility
//!   (`pub(super)`) and `#[cfg(test)]` modules do not count.
//!
//! The binary's files (`src/main.rs`, `src/cli/`) form a crate of their own and are checked the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

const MAX_LINES: usize = 600;

type Module = Vec<String>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The module path of a file (`src/engine/flow.rs` → `engine::flow`); `None` for the binary's files when
/// `binary` is false and for the library's when it is true.
fn module_of(file: &Path, binary: bool) -> Option<Module> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let in_binary = parts[0] == "main" || parts[0] == "cli";
    if in_binary != binary {
        return None;
    }
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    Some(parts)
}

/// The text that counts: comments, visibility restrictions and test modules removed.
fn code(text: &str) -> String {
    let no_comments = Regex::new(r"//[^\n]*").unwrap().replace_all(text, "");
    let no_visibility = Regex::new(r"pub\((?:super|crate|in [^)]*)\)")
        .unwrap()
        .replace_all(&no_comments, "pub");
    let test_module = Regex::new(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{").unwrap();
    match test_module.find(&no_visibility) {
        Some(m) => no_visibility[..m.start()].to_string(),
        None => no_visibility.into_owned(),
    }
}

/// The innermost module file that `path` lies in.
fn resolve(modules: &BTreeSet<Module>, path: &[String]) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|m| modules.contains(m))
}

/// The items of a `{…}` group that starts at `open` (the index of `{`), split at top-level commas.
fn group_items(text: &str, open: usize) -> Vec<String> {
    let (mut depth, mut items, mut current) = (0, Vec::new(), String::new());
    for c in text[open..].chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect()
}

/// Which module files each module file refers to.
fn references(binary: bool) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    source_files(&src(), &mut files);
    let files: BTreeMap<Module, PathBuf> = files
        .into_iter()
        .filter_map(|f| module_of(&f, binary).map(|m| (m, f)))
        .collect();
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    let path_re =
        Regex::new(r"\b(crate|super|self)\b((?:::(?:super|[A-Za-z_][A-Za-z0-9_]*))*)").unwrap();
    let child_re = Regex::new(r"\buse\s+([A-Za-z_][A-Za-z0-9_]*)::").unwrap();
    let ident = Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*").unwrap();
    let mut edges = BTreeMap::new();
    for (module, file) in &files {
        let text = code(&std::fs::read_to_string(file).unwrap());
        let mut to = BTreeSet::new();
        for c in path_re.captures_iter(&text) {
            let mut rest: Vec<String> = c[2]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let path = match &c[1] {
                "crate" => rest,
                "self" => [module.clone(), rest].concat(),
                _ => {
                    let mut base = module[..module.len().saturating_sub(1)].to_vec();
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest.remove(0);
                    }
                    [base, rest].concat()
                }
            };
            let end = c.get(0).unwrap().end();
            let targets: Vec<Module> = if text[end..].starts_with("::{") {
                group_items(&text, end + 2)
                    .iter()
                    .filter_map(|item| ident.find(item).map(|m| m.as_str().to_string()))
                    .map(|first| {
                        if first == "self" {
                            path.clone()
                        } else {
                            [path.clone(), vec![first]].concat()
                        }
                    })
                    .collect()
            } else {
                vec![path]
            };
            for t in targets {
                if let Some(t) = resolve(&modules, &t) {
                    if t != *module {
                        to.insert(t);
                    }
                }
            }
        }
        for c in child_re.captures_iter(&text) {
            let child = [module.clone(), vec![c[1].to_string()]].concat();
            if modules.contains(&child) {
                to.insert(child);
            }
        }
        edges.insert(module.clone(), to);
    }
    edges
}

/// A circle through `start`, if there is one: the modules on it, `start` first.
fn circle_through(
    edges: &BTreeMap<Module, BTreeSet<Module>>,
    start: &Module,
) -> Option<Vec<Module>> {
    // Depth-first search for a path from start's successors back to start.
    let mut stack: Vec<(Module, Vec<Module>)> = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for next in &edges[&m] {
            if next == start {
                return Some(path);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "(crate root)".to_string()
    } else {
        m.join("/")
    }
}

fn check_circles(binary: bool) {
    let edges = references(binary);
    let mut reported = BTreeSet::new();
    let mut problems = Vec::new();
    for m in edges.keys() {
        if reported.contains(m) {
            continue;
        }
        if let Some(circle) = circle_through(&edges, m) {
            reported.extend(circle.iter().cloned());
            let names: Vec<String> = circle.iter().map(name).collect();
            problems.push(format!("{} -> {}", names.join(" -> "), name(m)));
        }
    }
    assert!(
        problems.is_empty(),
        "import circles between files:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_import_circles_between_library_files() {
    check_circles(false);
}

#[test]
fn no_import_circles_between_binary_files() {
    check_circles(true);
}

#[test]
fn long_files_say_why() {
    let mut files = Vec::new();
    source_files(&src(), &mut files);
    let mut problems = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines = text.lines().count();
        if lines <= MAX_LINES {
            continue;
        }
        let says_why = text.lines().take_while(|l| l.starts_with("//!")).any(|l| {
            let l = l.to_lowercase();
            l.contains("long") && l.contains("because")
        });
        if !says_why {
            problems.push(format!("{} ({lines} lines)", f.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "files over {MAX_LINES} lines whose leading //! block does not say why they are long:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_a_circle() {
    // The rule must be able to fail: a parent that re-exports from a child that imports from the parent.
    let mut edges = BTreeMap::new();
    let parent: Module = vec!["a".into()];
    let child: Module = vec!["a".into(), "b".into()];
    edges.insert(parent.clone(), BTreeSet::from([child.clone()]));
    edges.insert(child.clone(), BTreeSet::from([parent.clone()]));
    assert_eq!(circle_through(&edges, &parent), Some(vec![parent, child]));
    assert_eq!(
        group_items("{a, b::{c, d}, self}", 0),
        vec!["a", "b::{c, d}", "self"]
    );
}
