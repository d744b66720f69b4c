//! Parses an `<xml-from-database>` command: the connection (a JDBC URL, inline or from an environment variable),
//! the SQL and its `<param>`s, checked at load. See [`crate::config::model::database`] for what is supported.

use std::path::Path;
use std::sync::Arc;

use roxmltree::Node;

use super::jdbc::parse_jdbc_url;
use super::sql::{scan_placeholders, Dialect};
use super::suggest::{did_you_mean_element, elements_or};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::database::{
    redact_url, ConnectionSource, DatabaseKind, DatabaseQuery, Target, DEFAULT_TAG,
};
use crate::config::model::template::Pattern;

/// The passwords of a JDBC URL as written in it (before percent-decoding): what [`redact_url`] removes.
fn raw_passwords(url: &str) -> Vec<String> {
    let redacted = redact_url(url);
    let mut out = Vec::new();
    // Both strings agree up to the first difference; each `***` in `redacted` stands for one password.
    let (mut u, mut r) = (url, redacted.as_str());
    while let Some(i) = r.find("***") {
        let (Some(head), Some(rest)) = (u.get(..i), r.get(i + 3..)) else {
            break;
        };
        if !r.starts_with(head) {
            break;
        }
        // The password ends where the rest of the redacted text resumes (at '@' or '&' or the end).
        let after = &u[i..];
        let end = match rest.chars().next() {
            Some(c) => after.find(c).unwrap_or(after.len()),
            None => after.len(),
        };
        out.push(after[..end].to_string());
        u = &after[end..];
        r = rest;
    }
    out
}

/// Parses an `<xml-from-database>` element. `<post-process>` children are left to the caller.
pub fn parse_database_query(
    file: &Path,
    node: Node,
    config_dir: &Path,
    diags: &mut Diagnostics,
) -> Option<DatabaseQuery> {
    let element = xml::name(node).to_string();
    xml::check_attributes(file, node, &["tag"], diags);
    let mut ok = true;
    let tag = match node.attribute("tag") {
        Some(t) if is_xml_name(t) => t.to_string(),
        Some(t) => {
            diags.error(
                file,
                xml::attr_pos(node, "tag"),
                format!("<{element} tag='{t}'>: '{t}' is not a valid XML element name"),
            );
            ok = false;
            DEFAULT_TAG.to_string()
        }
        None => DEFAULT_TAG.to_string(),
    };
    let Children {
        connection,
        sql,
        params,
        seen_connection,
        ok: children_ok,
    } = read_children(file, node, &element, diags);
    ok &= children_ok;
    if !seen_connection {
        diags.error(
            file,
            xml::pos(node),
            format!("<{element}> is missing the element <jdbc-connection-string>"),
        );
        ok = false;
    }
    let Some((sql, sql_pos)) = sql else {
        diags.error(
            file,
            xml::pos(node),
            format!("<{element}> is missing the element <sql>"),
        );
        return None;
    };
    let (connection, url, url_pos) = connection?;
    let target = resolve_target(file, &url, url_pos, config_dir, diags)?;
    let kind = target.kind();
    let dialect = match kind {
        DatabaseKind::Postgres => Dialect::Postgres,
        DatabaseKind::Sqlite => Dialect::Sqlite,
        DatabaseKind::MySql => Dialect::MySql,
    };
    let (prepared_sql, count) = scan_placeholders(&sql, dialect);
    if count != params.len() {
        diags.error(
            file,
            sql_pos,
            format!(
                "<sql> has {count} '?' placeholder{} but <{element}> has {} <param> element{}",
                if count == 1 { "" } else { "s" },
                params.len(),
                if params.len() == 1 { "" } else { "s" },
            ),
        );
        ok = false;
    }
    let prepared_sql = if kind == DatabaseKind::Postgres {
        prepared_sql
    } else {
        sql.clone()
    };
    ok.then(|| DatabaseQuery {
        connection,
        sql,
        params,
        tag,
        kind,
        target: Arc::new(target),
        pool_key: Arc::from(url.as_str()),
        prepared_sql,
    })
}

/// The children of `<xml-from-database>`, as read.
struct Children {
    connection: Option<(ConnectionSource, String, Pos)>,
    sql: Option<(String, Pos)>,
    params: Vec<Pattern>,
    seen_connection: bool,
    ok: bool,
}

/// Reads `<jdbc-connection-string>`, `<sql>` and the `<param>`s (`<post-process>` is the caller's).
/// The children of `<xml-from-database>`.
const DATABASE_CHILDREN: [&str; 4] = ["jdbc-connection-string", "sql", "param", "post-process"];

fn read_children(file: &Path, node: Node, element: &str, diags: &mut Diagnostics) -> Children {
    let mut connection: Option<(ConnectionSource, String, Pos)> = None;
    let mut sql: Option<(String, Pos)> = None;
    let mut params = Vec::new();
    let mut seen_connection = false;
    let mut ok = true;
    for c in xml::elements(node) {
        let name = xml::name(c);
        if !DATABASE_CHILDREN.contains(&name) {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "Unexpected element <{name}> in <{element}>; expected {}{}",
                    elements_or(&DATABASE_CHILDREN),
                    did_you_mean_element(name, &DATABASE_CHILDREN)
                ),
            );
            ok = false;
            continue;
        }
        match name {
            "post-process" => {}
            "jdbc-connection-string" => {
                if seen_connection {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{element}> has more than one <jdbc-connection-string>"),
                    );
                    ok = false;
                    continue;
                }
                seen_connection = true;
                connection = parse_connection(file, c, diags);
                ok &= connection.is_some();
            }
            "sql" => {
                xml::check_attributes(file, c, &[], diags);
                if sql.is_some() {
                    diags.error(
                        file,
                        xml::pos(c),
                        format!("<{element}> has more than one <sql>"),
                    );
                    ok = false;
                    continue;
                }
                let text = xml::text_content(c);
                if text.trim().is_empty() {
                    diags.error(file, xml::pos(c), "<sql> is empty");
                    ok = false;
                }
                sql = Some((text, xml::text_pos(c)));
            }
            "param" => {
                xml::check_attributes(file, c, &[], diags);
                params.push(Pattern::plain(&xml::text_content(c)));
            }
            _ => unreachable!("every name in DATABASE_CHILDREN has an arm"),
        }
    }
    Children {
        connection,
        sql,
        params,
        seen_connection,
        ok,
    }
}

/// `<jdbc-connection-string>`: the URL as text or `from-environment-variable="VAR"` (read now). Returns where it
/// came from, the URL and its position; `None` when there is none (reported).
fn parse_connection(
    file: &Path,
    c: Node,
    diags: &mut Diagnostics,
) -> Option<(ConnectionSource, String, Pos)> {
    xml::check_attributes(file, c, &["from-environment-variable"], diags);
    let Some(var) = c.attribute("from-environment-variable") else {
        let url = xml::text_content(c).trim().to_string();
        if url.is_empty() {
            diags.error(
                file,
                xml::pos(c),
                "<jdbc-connection-string> is empty: write the JDBC URL as its text, or name an environment variable with from-environment-variable=\"VAR\"",
            );
            return None;
        }
        return Some((ConnectionSource::Inline(url.clone()), url, xml::text_pos(c)));
    };
    let pos = xml::attr_pos(c, "from-environment-variable");
    match std::env::var(var) {
        Ok(url) => Some((
            ConnectionSource::EnvVar(var.to_string()),
            url.trim().to_string(),
            pos,
        )),
        Err(std::env::VarError::NotPresent) => {
            diags.error(
                file,
                pos,
                format!("JDBC URL specified to come from environment variable '{var}' but this environment variable is not set"),
            );
            None
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            diags.error(
                file,
                pos,
                format!("JDBC URL specified to come from environment variable '{var}' but its value is not valid Unicode"),
            );
            None
        }
    }
}

/// The parsed URL: its passwords recorded as secrets, its warnings reported; a missing SQLite file is a warning.
fn resolve_target(
    file: &Path,
    url: &str,
    url_pos: Pos,
    config_dir: &Path,
    diags: &mut Diagnostics,
) -> Option<Target> {
    let (target, warnings) = match parse_jdbc_url(url, config_dir) {
        Ok(parsed) => parsed,
        Err(e) => {
            diags.error(file, url_pos, e);
            return None;
        }
    };
    if let Target::Postgres(t) | Target::MySql(t) = &target {
        if let Some(p) = &t.password {
            // As written in the URL (maybe percent-encoded) and as sent to the server.
            diags.secret(p);
            for part in raw_passwords(url) {
                diags.secret(&part);
            }
        }
    }
    for w in warnings {
        diags.warning(file, url_pos, w);
    }
    if let Target::Sqlite(path) = &target {
        if !path.is_file() {
            diags.warning(
                file,
                url_pos,
                format!(
                    "SQLite database file '{}' does not exist (yet); queries fail until it does",
                    path.display()
                ),
            );
        }
    }
    Some(target)
}

fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_passwords_are_found() {
        assert_eq!(
            raw_passwords("jdbc:mysql://u:s%40cret@h/db?password=x%26y&user=u"),
            ["s%40cret", "x%26y"]
        );
        assert_eq!(
            raw_passwords("jdbc:postgresql://h/db"),
            Vec::<String>::new()
        );
    }
}
