//! Finds the `?` placeholders of an `<xml-from-database>` SQL statement, by the lexical rules of each database,
//! and rewrites them for PostgreSQL.

/// SQL lexical rules for finding `?` placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
    MySql,
}

/// Finds the `?` placeholders outside string literals, quoted identifiers and comments. Returns the SQL with
/// placeholders rewritten for PostgreSQL (`?` → `$1, $2, …`, `??` → `?`; other dialects: unchanged) and the
/// number of placeholders.
pub fn scan_placeholders(sql: &str, dialect: Dialect) -> (String, usize) {
    let pg = dialect == Dialect::Postgres;
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut count = 0;
    let mut i = 0;
    // Start of the text not yet copied to `out`.
    let mut copied = 0;
    let ident_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 || c == b'$';
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                // PostgreSQL E'…' strings and MySQL strings know backslash escapes.
                let backslash = match dialect {
                    Dialect::MySql => true,
                    Dialect::Postgres => {
                        i > 0
                            && (b[i - 1] == b'e' || b[i - 1] == b'E')
                            && (i < 2 || !ident_byte(b[i - 2]))
                    }
                    Dialect::Sqlite => false,
                };
                i = skip_quoted(b, i, b'\'', backslash);
            }
            b'"' => i = skip_quoted(b, i, b'"', dialect == Dialect::MySql),
            b'`' if dialect != Dialect::Postgres => i = skip_quoted(b, i, b'`', false),
            b'[' if dialect == Dialect::Sqlite => {
                i = b[i + 1..]
                    .iter()
                    .position(|&x| x == b']')
                    .map_or(b.len(), |p| i + 1 + p + 1);
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && (dialect != Dialect::MySql
                    || b.get(i + 2)
                        .is_none_or(|x| x.is_ascii_whitespace() || x.is_ascii_control())) =>
            {
                i = skip_line(b, i);
            }
            b'#' if dialect == Dialect::MySql => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // PostgreSQL block comments nest.
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else if pg && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if pg && (i == 0 || !ident_byte(b[i - 1])) => {
                // Dollar quoting: $tag$ … $tag$ (tag: identifier without '$', possibly empty).
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if b[e] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                        let delim = &sql[i..=e];
                        i = match sql[e + 1..].find(delim) {
                            Some(p) => e + 1 + p + delim.len(),
                            None => b.len(),
                        };
                    }
                    _ => i += 1,
                }
            }
            b'?' => {
                if pg && b.get(i + 1) == Some(&b'?') {
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    i += 2;
                    copied = i;
                } else {
                    count += 1;
                    if pg {
                        out.push_str(&sql[copied..i]);
                        out.push('$');
                        out.push_str(&count.to_string());
                        copied = i + 1;
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    (out, count)
}

/// Index after the literal starting at `start` (a quote `q`; a doubled quote is an escaped one).
fn skip_quoted(b: &[u8], start: usize, q: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn skip_line(b: &[u8], start: usize) -> usize {
    b[start..]
        .iter()
        .position(|&x| x == b'\n')
        .map_or(b.len(), |p| start + p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> (String, usize) {
        scan_placeholders(sql, Dialect::Postgres)
    }

    #[test]
    fn postgres_placeholders() {
        assert_eq!(
            pg("SELECT * FROM t WHERE a = ? AND b = ?"),
            ("SELECT * FROM t WHERE a = $1 AND b = $2".into(), 2)
        );
        assert_eq!(
            pg("SELECT '?', \"?\", ?"),
            ("SELECT '?', \"?\", $1".into(), 1)
        );
        assert_eq!(
            pg("SELECT 'it''s ?' || ? -- ? here\n, ?"),
            ("SELECT 'it''s ?' || $1 -- ? here\n, $2".into(), 2)
        );
        assert_eq!(
            pg("SELECT /* ? /* nested ? */ still ? */ ?"),
            ("SELECT /* ? /* nested ? */ still ? */ $1".into(), 1)
        );
        assert_eq!(
            pg("SELECT $$ ? $$, $a$ ? $$ ? $a$, ?"),
            ("SELECT $$ ? $$, $a$ ? $$ ? $a$, $1".into(), 1)
        );
        assert_eq!(pg("SELECT E'\\' ?', ?"), ("SELECT E'\\' ?', $1".into(), 1));
        // Without E, a backslash is an ordinary character.
        assert_eq!(pg("SELECT '\\', ?"), ("SELECT '\\', $1".into(), 1));
        assert_eq!(
            pg("SELECT j ?? 'k', j ??| ?"),
            ("SELECT j ? 'k', j ?| $1".into(), 1)
        );
        // Identifiers containing '$' and positional parameters are not dollar quotes.
        assert_eq!(pg("SELECT a$b$, ?"), ("SELECT a$b$, $1".into(), 1));
        assert_eq!(pg("SELECT $1 ?"), ("SELECT $1 $1".into(), 1));
        assert_eq!(
            pg("SELECT 'unterminated ?"),
            ("SELECT 'unterminated ?".into(), 0)
        );
        assert_eq!(pg("SELECT ?::int, ü?"), ("SELECT $1::int, ü$2".into(), 2));
    }

    #[test]
    fn mysql_and_sqlite_placeholders() {
        let my = |s| scan_placeholders(s, Dialect::MySql).1;
        assert_eq!(my("SELECT 'a\\' ?', ?"), 1);
        assert_eq!(my("SELECT `?`, \"\\\" ?\", ? # ?\n"), 1);
        assert_eq!(my("SELECT 1--?\n"), 1);
        assert_eq!(my("SELECT 1 -- ?\n"), 0);
        let lite = |s| scan_placeholders(s, Dialect::Sqlite);
        assert_eq!(
            lite("SELECT [?], `?`, '\\', ? -- ?"),
            ("SELECT [?], `?`, '\\', ? -- ?".into(), 1)
        );
        assert_eq!(lite("SELECT ??").1, 2);
    }
}
