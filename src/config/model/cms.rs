//! The data-driven CMS (`<data-driven-cms/>`): every `data-driven-cms/**/*.xml`, parsed at load, and the
//! `<data-driven-cms>` element a request gets from them.
//!
//! A file's own `<condition>`s must all hold, or the whole file is left out. Each `<content id>` and
//! `<property id>` holds `<instance priority>`s; an instance counts when one of its `<condition-folder>`s holds
//! (all conditions of a folder must) or it has none. Per id, one instance per priority counts: the first in file
//! order (files sorted by path), then document order. Output: every content id of the files that count (sorted),
//! with the copies of its counting instances by priority, highest first (an id whose instances all fail still
//! gives an empty `<content>`); then every property id with a counting instance (sorted), valued by the one with
//! the highest priority.

use std::collections::BTreeMap;

use super::condition::Condition;
use super::template::{Pattern, Scope};
use crate::convert::escape::escape_xml;

/// One `<instance>`: its priority, condition folders and what it gives (the source of the child elements of its
/// `<copy>`, or a property's `value`).
#[derive(Debug, Clone)]
pub struct CmsInstance {
    pub id: String,
    pub priority: i64,
    /// Any folder must hold (all its conditions); no folders: always.
    pub folders: Vec<Vec<Condition>>,
    pub payload: String,
}

/// One file.
#[derive(Debug, Clone, Default)]
pub struct CmsFile {
    pub conditions: Vec<Condition>,
    pub contents: Vec<CmsInstance>,
    pub properties: Vec<CmsInstance>,
}

/// Every file of `data-driven-cms/`; conditions are compiled against `scope`, the names they use.
#[derive(Debug, Clone, Default)]
pub struct Cms {
    pub files: Vec<CmsFile>,
    pub scope: Scope,
    /// The conditions' texts, for the load-time check against what an endpoint provides.
    pub patterns: Vec<Pattern>,
}

fn all_hold(conditions: &[Condition], values: &[String], sep: &str) -> bool {
    conditions.iter().all(|c| c.evaluate(values, sep))
}

/// Per id (sorted): the counting instances by priority, highest first.
fn select<'a>(
    files: &[&'a CmsFile],
    items: impl Fn(&'a CmsFile) -> &'a [CmsInstance],
    values: &[String],
    sep: &str,
) -> BTreeMap<&'a str, Vec<&'a CmsInstance>> {
    let mut by_id: BTreeMap<&str, BTreeMap<i64, &CmsInstance>> = BTreeMap::new();
    for f in files {
        for i in items(f) {
            let slot = by_id.entry(i.id.as_str()).or_default();
            let holds = i.folders.is_empty() || i.folders.iter().any(|c| all_hold(c, values, sep));
            if holds {
                slot.entry(i.priority).or_insert(i);
            }
        }
    }
    by_id
        .into_iter()
        .map(|(id, m)| (id, m.into_values().rev().collect()))
        .collect()
}

impl Cms {
    /// The `<data-driven-cms>` element, with `values` in the order of [`Cms::scope`].
    pub fn render(&self, values: &[String], sep: &str) -> String {
        let files: Vec<&CmsFile> = self
            .files
            .iter()
            .filter(|f| all_hold(&f.conditions, values, sep))
            .collect();
        let mut s = String::from("<data-driven-cms>");
        for (id, instances) in select(&files, |f| &f.contents, values, sep) {
            s.push_str("<content id=\"");
            escape_xml(id, &mut s);
            if instances.is_empty() {
                s.push_str("\"/>");
                continue;
            }
            s.push_str("\">");
            for i in instances {
                s.push_str("<instance>");
                s.push_str(&i.payload);
                s.push_str("</instance>");
            }
            s.push_str("</content>");
        }
        for (id, instances) in select(&files, |f| &f.properties, values, sep) {
            let Some(first) = instances.first() else {
                continue;
            };
            s.push_str("<property id=\"");
            escape_xml(id, &mut s);
            s.push_str("\" value=\"");
            escape_xml(&first.payload, &mut s);
            s.push_str("\"/>");
        }
        s.push_str("</data-driven-cms>");
        s
    }
}
