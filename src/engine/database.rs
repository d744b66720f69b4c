//! Running `<xml-from-database>` (behaviour spec §8.2) against PostgreSQL, SQLite or MySQL/MariaDB.
//!
//! The result is `<T><row><COL>value</COL>…</row>…</T>` (`<T/>` without rows):
//!
//! * **Element names** are the result columns' names, made XML-safe the way JSON keys are
//!   (`crate::convert::json_to_xml`): a first character not in `[A-Za-z_]` and any later character not in
//!   `[A-Za-z0-9._-]` becomes `_hhhh_` (hex of the UTF-16 unit), so `2nd value` → `_0032_nd_0020_value`.
//!   An empty name becomes `_`.
//! * **Values** as text: NULL and the empty string give an empty element; integers plainly; decimals exactly as
//!   the database sends them; floating point numbers in the shortest form that reads back to the same value,
//!   using the exponent style of the database (`1e+20` PostgreSQL, `1e20` MySQL, `1.0e+20` SQLite); booleans
//!   `true`/`false`; dates `2024-01-31`, times `13:45:00.5`, timestamps ISO 8601 `2024-01-31T13:45:00.5`
//!   (PostgreSQL `timestamptz` in UTC with `Z`), PostgreSQL intervals as ISO 8601 durations (`P1Y2M3DT4H5M6S`);
//!   binary data in base64. Characters XML 1.0 does not allow become U+FFFD; a carriage return is written
//!   `&#13;` so that it survives parsing.
//! * **Per database**: PostgreSQL renders `uuid`, `json`/`jsonb`, `inet`/`cidr`, `bit`, enums and domains too;
//!   other types (arrays, ranges, geometric, `money`, composite) are a failure that asks for a cast to text in
//!   the SQL (`SELECT tags::text …`). MySQL/MariaDB: `TINYINT(1)` (what `BOOLEAN` is) and `BIT(1)` are booleans,
//!   as Connector/J reads them; other `BIT(n)` as an unsigned integer. SQLite: a column declared `BOOLEAN`/`BOOL`
//!   holding 0/1 gives `false`/`true`; everything else as stored (SQLite keeps dates as the text you stored).
//!
//! **Parameters** are never spliced into the SQL: every `<param>` is expanded (a plain-text pattern) and bound to
//! its `?` as a string.
//! * PostgreSQL: the statement is prepared with the parameter types left to the server, and each value is sent in
//!   text format, so the server parses it as it would parse a quoted literal in that position: `WHERE id = ?`
//!   works for an integer column (a value that is not a number fails the request), `WHERE name = ?` for text.
//!   Where the server cannot infer a type (`SELECT ?`, `? IS NULL`) the statement is prepared again with every
//!   parameter typed `text`. An explicit `CAST(? AS integer)` / `?::integer` always works.
//!   (The PostgreSQL JDBC driver sends `setString` values as `varchar`, so there `WHERE id = ?` needs the cast.)
//! * SQLite: bound as TEXT; SQLite's type affinity converts it for comparisons with INTEGER/REAL columns.
//! * MySQL/MariaDB: server-side prepared statements, values bound as strings (the server converts them).
//!
//! **Safety and limits**: connections are read-only (PostgreSQL `default_transaction_read_only`, MySQL
//! `SET SESSION TRANSACTION READ ONLY`, SQLite opened read-only) and nothing is ever committed; one statement per
//! query (the drivers refuse several); a statement may run [`STATEMENT_TIMEOUT`] (PostgreSQL
//! `statement_timeout`, MariaDB `max_statement_time`, MySQL `max_execution_time`, SQLite a progress handler);
//! more than [`MAX_ROWS`] rows is a failure. Every failure is [`Failure::hidden`]: the client sees only
//! "An internal error occurred"; the log gets the database's message and the target without password.
//!
//! **Connections** are pooled per JDBC URL for the life of the process: PostgreSQL via tokio-postgres (up to
//! [`POOL_SIZE`] connections, prepared statements cached per connection), SQLite via rusqlite on the blocking
//! pool, MySQL/MariaDB via the synchronous `mysql` crate's pool on the blocking pool. TLS is not spoken (the
//! configuration rejects URLs that require it).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::Failure;
use crate::config::database::{DatabaseQuery, NetTarget, Target};

/// How long one statement may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// More rows than this is a failure.
pub const MAX_ROWS: usize = 10_000;
/// Connections per pool (PostgreSQL, MySQL); idle SQLite connections kept per file.
pub const POOL_SIZE: usize = 8;
/// Connecting when the URL sets no `connectTimeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Everything (waiting for a connection, connecting, running, reading) for one query.
const OVERALL_TIMEOUT: Duration = Duration::from_secs(45);

/// Runs the query with the expanded `<param>`s bound to its `?`s and returns the `<T>` element.
pub async fn run(
    query: &DatabaseQuery,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    unknown_empty: bool,
) -> Result<String, Failure> {
    let mut values = Vec::with_capacity(query.params.len());
    for p in &query.params {
        let known: Vec<(&str, Option<String>)> = p.names().map(|n| (n, lookup(n))).collect();
        let get = |name: &str| {
            known
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.as_deref())
        };
        let v = p
            .expand(&get, unknown_empty)
            .map_err(|e| Failure::internal(e.to_string()))?;
        values.push(v);
    }
    let started = Instant::now();
    let outcome = tokio::time::timeout(OVERALL_TIMEOUT, async {
        match &*query.target {
            Target::Postgres(t) => postgres::run(query, t, &values).await,
            Target::Sqlite(path) => sqlite::run(query, path.clone(), values.clone()).await,
            Target::MySql(t) => mysql::run(query, t, values.clone()).await,
        }
    })
    .await;
    let result = match outcome {
        Ok(r) => r,
        Err(_) => Err(format!(
            "gave no result within {} s",
            OVERALL_TIMEOUT.as_secs()
        )),
    };
    result.map_err(|e| {
        Failure::hidden(format!(
            "<xml-from-database> on {} failed after {} ms: {e}",
            query.target.describe(),
            started.elapsed().as_millis()
        ))
    })
}

// ------------------------------------------------------------------------------------------------------------------
// Output

/// Builds `<T><row>…</row>…</T>`.
struct XmlOut {
    out: String,
    tag: String,
    names: Vec<String>,
    rows: usize,
}

impl XmlOut {
    fn new<'a>(tag: &str, columns: impl Iterator<Item = &'a str>) -> XmlOut {
        let mut out = String::with_capacity(256);
        out.push('<');
        out.push_str(tag);
        out.push('>');
        XmlOut {
            out,
            tag: tag.to_string(),
            names: columns.map(element_name).collect(),
            rows: 0,
        }
    }

    /// Counts a row against [`MAX_ROWS`] and opens it.
    fn start_row(&mut self) -> Result<(), String> {
        self.rows += 1;
        if self.rows > MAX_ROWS {
            return Err(format!(
                "the query returned more than {MAX_ROWS} rows, the most <xml-from-database> accepts"
            ));
        }
        self.out.push_str("<row>");
        Ok(())
    }

    fn cell(&mut self, index: usize, value: Option<&str>) {
        let name = &self.names[index];
        match value {
            None | Some("") => {
                self.out.push('<');
                self.out.push_str(name);
                self.out.push_str("/>");
            }
            Some(v) => {
                self.out.push('<');
                self.out.push_str(name);
                self.out.push('>');
                push_text(v, &mut self.out);
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push('>');
            }
        }
    }

    fn end_row(&mut self) {
        self.out.push_str("</row>");
    }

    fn finish(mut self) -> String {
        if self.rows == 0 {
            self.out.truncate(self.out.len() - 1);
            self.out.push_str("/>");
        } else {
            self.out.push_str("</");
            self.out.push_str(&self.tag);
            self.out.push('>');
        }
        self.out
    }
}

/// A column name as an XML element name (the JSON key rule of `convert::json_to_xml`).
pub fn element_name(column: &str) -> String {
    if column.is_empty() {
        return "_".to_string();
    }
    crate::convert::sanitize_key(&column.encode_utf16().collect::<Vec<u16>>())
}

/// Escapes element content; characters XML 1.0 forbids become U+FFFD, CR becomes `&#13;`.
fn push_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ------------------------------------------------------------------------------------------------------------------
// Numbers, dates and times

/// Where the exponent form starts, and how it is written.
#[derive(Clone, Copy)]
struct FloatStyle {
    /// Fixed notation for decimal exponents in `min_exp..max_exp`.
    min_exp: i32,
    max_exp: i32,
    /// `e+05` (PostgreSQL, SQLite) rather than `e5` (MySQL).
    signed_two_digit_exp: bool,
    /// Integral values keep `.0` (SQLite).
    keep_point_zero: bool,
}

const PG_FLOAT8: FloatStyle = FloatStyle {
    min_exp: -4,
    max_exp: 15,
    signed_two_digit_exp: true,
    keep_point_zero: false,
};
const PG_FLOAT4: FloatStyle = FloatStyle {
    max_exp: 6,
    ..PG_FLOAT8
};
const MYSQL_FLOAT: FloatStyle = FloatStyle {
    min_exp: -15,
    max_exp: 15,
    signed_two_digit_exp: false,
    keep_point_zero: false,
};
const SQLITE_FLOAT: FloatStyle = FloatStyle {
    min_exp: -4,
    max_exp: 15,
    signed_two_digit_exp: true,
    keep_point_zero: true,
};

/// `sci` is Rust's shortest round-trip `{:e}` form of a finite number (`-1.25e-3`).
fn format_float_sci(sci: &str, style: FloatStyle) -> String {
    let (neg, sci) = match sci.strip_prefix('-') {
        Some(s) => (true, s),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if digits.bytes().all(|b| b == b'0') {
        out.push('0');
        if style.keep_point_zero {
            out.push_str(".0");
        }
        return out;
    }
    if exp >= style.min_exp && exp < style.max_exp {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                if style.keep_point_zero {
                    out.push_str(".0");
                }
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        } else if style.keep_point_zero {
            out.push_str(".0");
        }
        out.push('e');
        if style.signed_two_digit_exp {
            let _ = write!(out, "{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        } else {
            let _ = write!(out, "{exp}");
        }
    }
    out
}

fn format_f64(v: f64, style: FloatStyle) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format_float_sci(&format!("{v:e}"), style)
    }
}

fn format_f32(v: f32, style: FloatStyle) -> String {
    if v.is_finite() {
        format_float_sci(&format!("{v:e}"), style)
    } else {
        format_f64(f64::from(v), style)
    }
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn push_date(out: &mut String, y: i64, m: u32, d: u32) {
    if (0..=9999).contains(&y) {
        let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    } else {
        let _ = write!(out, "{y:+05}-{m:02}-{d:02}");
    }
}

fn push_time(out: &mut String, h: u64, m: u32, s: u32, micros: u32) {
    let _ = write!(out, "{h:02}:{m:02}:{s:02}");
    push_fraction(out, micros);
}

fn push_fraction(out: &mut String, micros: u32) {
    if micros > 0 {
        let f = format!("{micros:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]` of microseconds since 1970-01-01T00:00:00.
fn timestamp_from_unix_micros(micros: i64) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let in_day = micros.rem_euclid(86_400_000_000) as u64;
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(26);
    push_date(&mut out, y, m, d);
    out.push('T');
    let secs = in_day / 1_000_000;
    push_time(
        &mut out,
        secs / 3600,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
        (in_day % 1_000_000) as u32,
    );
    out
}

// ------------------------------------------------------------------------------------------------------------------
// PostgreSQL

mod postgres {
    use super::*;
    use bytes::BytesMut;
    use futures_util::TryStreamExt;
    use tokio::sync::{OwnedSemaphorePermit, Semaphore};
    use tokio_postgres::error::SqlState;
    use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, Kind, ToSql, Type};
    use tokio_postgres::{Client, Config, NoTls, Statement};

    /// Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
    const PG_EPOCH_DAYS: i64 = 10_957;
    const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400_000_000;
    /// Prepared statements kept per connection.
    const STATEMENT_CACHE: usize = 64;

    struct Pool {
        config: Config,
        idle: Mutex<Vec<Conn>>,
        permits: Arc<Semaphore>,
    }

    struct Conn {
        client: Client,
        statements: HashMap<String, Statement>,
    }

    /// A connection checked out of the pool; it goes back only through [`Lease::release`], otherwise it is closed.
    struct Lease {
        conn: Conn,
        pool: Arc<Pool>,
        _permit: OwnedSemaphorePermit,
    }

    impl Lease {
        fn release(self) {
            if !self.conn.client.is_closed() {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(self.conn);
                }
            }
        }
    }

    type Pools = Mutex<HashMap<Arc<str>, Arc<Pool>>>;

    fn pools() -> &'static Pools {
        static POOLS: OnceLock<Pools> = OnceLock::new();
        POOLS.get_or_init(Default::default)
    }

    fn pool(key: &Arc<str>, t: &NetTarget) -> Arc<Pool> {
        let mut pools = pools().lock().unwrap_or_else(|e| e.into_inner());
        pools
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Pool {
                    config: config(t),
                    idle: Mutex::new(Vec::new()),
                    permits: Arc::new(Semaphore::new(POOL_SIZE)),
                })
            })
            .clone()
    }

    fn config(t: &NetTarget) -> Config {
        let mut c = Config::new();
        for (host, port) in &t.hosts {
            c.host(host);
            c.port(*port);
        }
        if let Some(u) = &t.user {
            c.user(u);
        }
        if let Some(p) = &t.password {
            c.password(p);
        }
        if let Some(d) = &t.database {
            c.dbname(d);
        }
        c.application_name(t.application_name.as_deref().unwrap_or("endpoints"));
        c.connect_timeout(t.connect_timeout.unwrap_or(CONNECT_TIMEOUT));
        let mut options = format!(
            "-c statement_timeout={} -c default_transaction_read_only=on",
            STATEMENT_TIMEOUT.as_millis()
        );
        if let Some(o) = &t.options {
            options.push(' ');
            options.push_str(o);
        }
        c.options(&options);
        c
    }

    async fn checkout(pool: &Arc<Pool>) -> Result<Lease, String> {
        let permit = pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let conn = pool.idle.lock().ok().and_then(|mut v| v.pop());
            match conn {
                // Its connection task has ended (server gone, or the runtime that ran it shut down).
                Some(c) if c.client.is_closed() => continue,
                Some(conn) => {
                    return Ok(Lease {
                        conn,
                        pool: pool.clone(),
                        _permit: permit,
                    })
                }
                None => break,
            }
        }
        let (client, connection) = pool
            .config
            .connect(NoTls)
            .await
            .map_err(|e| format!("cannot connect: {}", error_text(&e)))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection of <xml-from-database> ended");
            }
        });
        Ok(Lease {
            conn: Conn {
                client,
                statements: HashMap::new(),
            },
            pool: pool.clone(),
            _permit: permit,
        })
    }

    /// The database's message with code, detail and hint.
    fn error_text(e: &tokio_postgres::Error) -> String {
        match e.as_db_error() {
            Some(db) => {
                let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
                if let Some(d) = db.detail() {
                    s.push_str("; ");
                    s.push_str(d);
                }
                if let Some(h) = db.hint() {
                    s.push_str("; hint: ");
                    s.push_str(h);
                }
                s
            }
            None => e.to_string(),
        }
    }

    /// A string sent in text format, for whatever type the server gave the parameter.
    #[derive(Debug)]
    struct TextParam<'a>(&'a str);

    impl ToSql for TextParam<'_> {
        fn to_sql(
            &self,
            _ty: &Type,
            out: &mut BytesMut,
        ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
            out.extend_from_slice(self.0.as_bytes());
            Ok(IsNull::No)
        }

        fn accepts(_ty: &Type) -> bool {
            true
        }

        fn encode_format(&self, _ty: &Type) -> Format {
            Format::Text
        }

        to_sql_checked!();
    }

    /// A column's value in binary format, `None` for NULL.
    struct Raw<'a>(Option<&'a [u8]>);

    impl<'a> FromSql<'a> for Raw<'a> {
        fn from_sql(
            _ty: &Type,
            raw: &'a [u8],
        ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
            Ok(Raw(Some(raw)))
        }

        fn from_sql_null(_ty: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
            Ok(Raw(None))
        }

        fn accepts(_ty: &Type) -> bool {
            true
        }
    }

    async fn prepare(conn: &mut Conn, sql: &str, params: usize) -> Result<Statement, String> {
        if let Some(s) = conn.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = match conn.client.prepare(sql).await {
            Ok(s) => s,
            // `SELECT ?`, `? IS NULL`: nothing tells the server the type, so make every parameter text.
            Err(e) if e.code() == Some(&SqlState::INDETERMINATE_DATATYPE) => conn
                .client
                .prepare_typed(sql, &vec![Type::TEXT; params])
                .await
                .map_err(|e| error_text(&e))?,
            Err(e) => return Err(error_text(&e)),
        };
        if conn.statements.len() >= STATEMENT_CACHE {
            conn.statements.clear();
        }
        conn.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    pub(super) async fn run(
        query: &DatabaseQuery,
        target: &NetTarget,
        values: &[String],
    ) -> Result<String, String> {
        let pool = pool(&query.pool_key, target);
        let mut lease = checkout(&pool).await?;
        let sql = query.prepared_sql.as_str();
        match execute(&mut lease.conn, sql, &query.tag, values).await {
            Ok(xml) => {
                lease.release();
                Ok(xml)
            }
            Err((message, reusable)) => {
                // Prepared again next time (the schema may have changed).
                lease.conn.statements.remove(sql);
                if reusable {
                    lease.release();
                }
                Err(message)
            }
        }
    }

    /// On failure: the message, and whether the connection may be reused (not while rows are still arriving).
    async fn execute(
        conn: &mut Conn,
        sql: &str,
        tag: &str,
        values: &[String],
    ) -> Result<String, (String, bool)> {
        let stmt = prepare(conn, sql, values.len())
            .await
            .map_err(|e| (e, true))?;
        if stmt.params().len() != values.len() {
            return Err((
                format!(
                    "the statement has {} parameters but {} values are bound",
                    stmt.params().len(),
                    values.len()
                ),
                true,
            ));
        }
        let columns = stmt.columns();
        let mut out = XmlOut::new(tag, columns.iter().map(|c| c.name()));
        let params: Vec<TextParam> = values.iter().map(|v| TextParam(v)).collect();
        let stream = conn
            .client
            .query_raw(&stmt, params.iter().map(|p| p as &(dyn ToSql + Sync)))
            .await
            .map_err(|e| (error_text(&e), true))?;
        futures_util::pin_mut!(stream);
        while let Some(row) = stream
            .try_next()
            .await
            .map_err(|e| (error_text(&e), true))?
        {
            out.start_row().map_err(|e| (e, false))?;
            for (i, col) in columns.iter().enumerate() {
                let Raw(raw) = row
                    .try_get::<_, Raw>(i)
                    .map_err(|e| (e.to_string(), false))?;
                match raw {
                    None => out.cell(i, None),
                    Some(bytes) => {
                        let v = value(col.type_(), bytes).map_err(|e| {
                            (
                                format!("column '{}' (type {}): {e}", col.name(), col.type_()),
                                false,
                            )
                        })?;
                        out.cell(i, Some(&v));
                    }
                }
            }
            out.end_row();
        }
        Ok(out.finish())
    }

    fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], String> {
        raw.get(..N)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| "value too short".to_string())
    }

    fn i16_at(raw: &[u8], at: usize) -> Result<i16, String> {
        Ok(i16::from_be_bytes(fixed(raw.get(at..).unwrap_or(&[]))?))
    }

    fn text(raw: &[u8]) -> String {
        String::from_utf8_lossy(raw).into_owned()
    }

    /// A binary-format value as text (see the module documentation).
    pub(super) fn value(ty: &Type, raw: &[u8]) -> Result<String, String> {
        match ty.kind() {
            Kind::Domain(inner) => return value(inner, raw),
            Kind::Enum(_) => return Ok(text(raw)),
            _ => {}
        }
        Ok(match ty.oid() {
            16 => (raw.first().is_some_and(|b| *b != 0)).to_string(), // bool
            21 => i16::from_be_bytes(fixed(raw)?).to_string(),        // int2
            23 => i32::from_be_bytes(fixed(raw)?).to_string(),        // int4
            20 => i64::from_be_bytes(fixed(raw)?).to_string(),        // int8
            26 => u32::from_be_bytes(fixed(raw)?).to_string(),        // oid
            700 => format_f32(f32::from_be_bytes(fixed(raw)?), PG_FLOAT4),
            701 => format_f64(f64::from_be_bytes(fixed(raw)?), PG_FLOAT8),
            1700 => numeric(raw)?,
            // text, varchar, bpchar, name, unknown, json, xml, "char"
            25 | 1043 | 1042 | 19 | 705 | 114 | 142 | 18 => text(raw),
            // jsonb, jsonpath: a version byte, then text
            3802 | 4072 => text(raw.get(1..).unwrap_or(&[])),
            17 => base64(raw), // bytea
            2950 => uuid(&fixed::<16>(raw)?),
            1082 => date(i32::from_be_bytes(fixed(raw)?)),
            1083 => {
                let micros = i64::from_be_bytes(fixed(raw)?);
                time_of_day(micros)
            }
            1266 => {
                let micros = i64::from_be_bytes(fixed(raw)?);
                let west = i32::from_be_bytes(fixed(raw.get(8..).unwrap_or(&[]))?);
                let mut s = time_of_day(micros);
                push_offset(&mut s, -west);
                s
            }
            1114 | 1184 => {
                let micros = i64::from_be_bytes(fixed(raw)?);
                match micros {
                    i64::MAX => "infinity".to_string(),
                    i64::MIN => "-infinity".to_string(),
                    m => {
                        let mut s = timestamp_from_unix_micros(m.saturating_add(PG_EPOCH_MICROS));
                        if ty.oid() == 1184 {
                            s.push('Z');
                        }
                        s
                    }
                }
            }
            1186 => {
                let micros = i64::from_be_bytes(fixed(raw)?);
                let days = i32::from_be_bytes(fixed(raw.get(8..).unwrap_or(&[]))?);
                let months = i32::from_be_bytes(fixed(raw.get(12..).unwrap_or(&[]))?);
                interval(micros, days, months)
            }
            869 | 650 => inet(raw, ty.oid() == 650)?, // inet, cidr
            829 => raw
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"), // macaddr
            1560 | 1562 => {
                // bit, varbit: bit count, then the bits
                let n = i32::from_be_bytes(fixed(raw)?).max(0) as usize;
                let bytes = raw.get(4..).unwrap_or(&[]);
                (0..n)
                    .map(|i| {
                        let set = bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
                        if set {
                            '1'
                        } else {
                            '0'
                        }
                    })
                    .collect()
            }
            _ if ty.name() == "citext" => text(raw),
            _ => {
                return Err(
                    "values of this type cannot be shown; cast the column to text in the SQL (`expression::text`)"
                        .to_string(),
                )
            }
        })
    }

    fn uuid(b: &[u8; 16]) -> String {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    fn date(days: i32) -> String {
        match days {
            i32::MAX => "infinity".to_string(),
            i32::MIN => "-infinity".to_string(),
            d => {
                let (y, m, d) = civil_from_days(i64::from(d) + PG_EPOCH_DAYS);
                let mut s = String::with_capacity(10);
                push_date(&mut s, y, m, d);
                s
            }
        }
    }

    fn time_of_day(micros: i64) -> String {
        let micros = micros.max(0) as u64;
        let secs = micros / 1_000_000;
        let mut s = String::with_capacity(15);
        push_time(
            &mut s,
            secs / 3600,
            (secs / 60 % 60) as u32,
            (secs % 60) as u32,
            (micros % 1_000_000) as u32,
        );
        s
    }

    /// `+HH:MM` (`:SS` when needed) for an offset east of UTC in seconds.
    fn push_offset(s: &mut String, east: i32) {
        let sign = if east < 0 { '-' } else { '+' };
        let a = east.unsigned_abs();
        let _ = write!(s, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
        if !a.is_multiple_of(60) {
            let _ = write!(s, ":{:02}", a % 60);
        }
    }

    /// ISO 8601 duration, as PostgreSQL's `IntervalStyle = iso_8601` writes it.
    pub(super) fn interval(micros: i64, days: i32, months: i32) -> String {
        if micros == 0 && days == 0 && months == 0 {
            return "PT0S".to_string();
        }
        let mut s = String::from("P");
        let (years, months) = (months / 12, months % 12);
        if years != 0 {
            let _ = write!(s, "{years}Y");
        }
        if months != 0 {
            let _ = write!(s, "{months}M");
        }
        if days != 0 {
            let _ = write!(s, "{days}D");
        }
        if micros != 0 {
            s.push('T');
            let hours = micros / 3_600_000_000;
            let minutes = micros % 3_600_000_000 / 60_000_000;
            let secs = micros % 60_000_000 / 1_000_000;
            let frac = micros % 1_000_000;
            if hours != 0 {
                let _ = write!(s, "{hours}H");
            }
            if minutes != 0 {
                let _ = write!(s, "{minutes}M");
            }
            if secs != 0 || frac != 0 {
                if secs < 0 || frac < 0 {
                    s.push('-');
                }
                let _ = write!(s, "{}", secs.unsigned_abs());
                push_fraction(&mut s, frac.unsigned_abs() as u32);
                s.push('S');
            }
        }
        s
    }

    /// PostgreSQL's `numeric_out` of the binary form (base-10000 digits).
    pub(super) fn numeric(raw: &[u8]) -> Result<String, String> {
        let ndigits = i16_at(raw, 0)?.max(0) as usize;
        let weight = i16_at(raw, 2)?;
        let sign = i16_at(raw, 4)? as u16;
        let dscale = i16_at(raw, 6)?.max(0) as usize;
        let mut digits = Vec::with_capacity(ndigits);
        for i in 0..ndigits {
            digits.push(i16_at(raw, 8 + 2 * i)?);
        }
        let mut s = String::new();
        match sign {
            0xC000 => return Ok("NaN".to_string()),
            0xD000 => return Ok("Infinity".to_string()),
            0xF000 => return Ok("-Infinity".to_string()),
            0x4000 => s.push('-'),
            _ => {}
        }
        let digit = |i: i64| -> i16 {
            usize::try_from(i)
                .ok()
                .and_then(|i| digits.get(i).copied())
                .unwrap_or(0)
        };
        if weight < 0 {
            s.push('0');
        } else {
            for i in 0..=i64::from(weight) {
                if i == 0 {
                    let _ = write!(s, "{}", digit(i));
                } else {
                    let _ = write!(s, "{:04}", digit(i));
                }
            }
        }
        if dscale > 0 {
            let mut frac = String::with_capacity(dscale + 4);
            let mut i = i64::from(weight) + 1;
            while frac.len() < dscale {
                let _ = write!(frac, "{:04}", digit(i));
                i += 1;
            }
            frac.truncate(dscale);
            s.push('.');
            s.push_str(&frac);
        }
        Ok(s)
    }

    fn inet(raw: &[u8], cidr: bool) -> Result<String, String> {
        let [family, bits, _is_cidr, len] = fixed::<4>(raw)?;
        let addr = raw.get(4..4 + len as usize).ok_or("value too short")?;
        let (text, max) = match family {
            2 => (std::net::Ipv4Addr::from(fixed::<4>(addr)?).to_string(), 32),
            _ => (
                std::net::Ipv6Addr::from(fixed::<16>(addr)?).to_string(),
                128,
            ),
        };
        Ok(if cidr || bits != max {
            format!("{text}/{bits}")
        } else {
            text
        })
    }
}

// ------------------------------------------------------------------------------------------------------------------
// SQLite

mod sqlite {
    use super::*;
    use rusqlite::types::ValueRef;
    use rusqlite::{Connection, OpenFlags};

    type Pools = Mutex<HashMap<PathBuf, Arc<Mutex<Vec<Connection>>>>>;

    fn pool(path: &std::path::Path) -> Arc<Mutex<Vec<Connection>>> {
        static POOLS: OnceLock<Pools> = OnceLock::new();
        let mut pools = POOLS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        pools.entry(path.to_path_buf()).or_default().clone()
    }

    pub(super) async fn run(
        query: &DatabaseQuery,
        path: PathBuf,
        values: Vec<String>,
    ) -> Result<String, String> {
        let idle = pool(&path);
        let sql = query.prepared_sql.clone();
        let tag = query.tag.clone();
        tokio::task::spawn_blocking(move || {
            let conn = idle.lock().ok().and_then(|mut v| v.pop());
            let mut conn = match conn {
                Some(c) => c,
                None => Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )
                .map_err(|e| format!("cannot open the database file: {e}"))?,
            };
            let _ = conn.busy_timeout(Duration::from_secs(5));
            let deadline = Instant::now() + STATEMENT_TIMEOUT;
            let _ = conn.progress_handler(10_000, Some(move || Instant::now() > deadline));
            let result = execute(&conn, &sql, &tag, &values);
            let _ = conn.progress_handler(0, None::<fn() -> bool>);
            if let Ok(mut idle) = idle.lock() {
                if idle.len() < POOL_SIZE {
                    idle.push(conn);
                }
            }
            result
        })
        .await
        .map_err(|e| format!("the database task failed: {e}"))?
    }

    fn execute(
        conn: &Connection,
        sql: &str,
        tag: &str,
        values: &[String],
    ) -> Result<String, String> {
        let err = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::OperationInterrupted) => format!(
                "the statement ran longer than {} s and was interrupted",
                STATEMENT_TIMEOUT.as_secs()
            ),
            _ => e.to_string(),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(err)?;
        if stmt.parameter_count() != values.len() {
            return Err(format!(
                "the statement has {} parameters but {} values are bound",
                stmt.parameter_count(),
                values.len()
            ));
        }
        let booleans: Vec<bool> = stmt
            .columns()
            .map(|c| {
                c.decl_type().is_some_and(|t| {
                    t.eq_ignore_ascii_case("boolean") || t.eq_ignore_ascii_case("bool")
                })
            })
            .collect();
        let names: Vec<String> = stmt.column_names().map(String::from).collect();
        let mut out = XmlOut::new(tag, names.iter().map(String::as_str));
        let mut rows = stmt
            .query(rusqlite::params_from_iter(values.iter()))
            .map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            out.start_row()?;
            for (i, boolean) in booleans.iter().enumerate() {
                let v = match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => None,
                    ValueRef::Integer(0) if *boolean => Some("false".to_string()),
                    ValueRef::Integer(1) if *boolean => Some("true".to_string()),
                    ValueRef::Integer(n) => Some(n.to_string()),
                    ValueRef::Real(f) => Some(format_f64(f, SQLITE_FLOAT)),
                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Some(base64(b)),
                };
                out.cell(i, v.as_deref());
            }
            out.end_row();
        }
        Ok(out.finish())
    }
}

// ------------------------------------------------------------------------------------------------------------------
// MySQL / MariaDB

mod mysql {
    use super::*;
    use ::mysql::consts::ColumnType;
    use ::mysql::prelude::Queryable;
    use ::mysql::{Column, Conn, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Value};

    /// The pool is made on first use, once the server's flavour (which timeout variable) is known.
    struct Entry {
        target: NetTarget,
        pool: Mutex<Option<Pool>>,
    }

    type Entries = Mutex<HashMap<Arc<str>, Arc<Entry>>>;

    fn entry(key: &Arc<str>, t: &NetTarget) -> Arc<Entry> {
        static ENTRIES: OnceLock<Entries> = OnceLock::new();
        let mut entries = ENTRIES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        entries
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Entry {
                    target: t.clone(),
                    pool: Mutex::new(None),
                })
            })
            .clone()
    }

    fn base_opts(t: &NetTarget) -> OptsBuilder {
        let (host, port) = t
            .hosts
            .first()
            .cloned()
            .unwrap_or(("localhost".into(), 3306));
        OptsBuilder::new()
            .ip_or_hostname(Some(host))
            .tcp_port(port)
            .user(t.user.clone())
            .pass(t.password.clone())
            .db_name(t.database.clone())
            .prefer_socket(false)
            .tcp_connect_timeout(Some(t.connect_timeout.unwrap_or(CONNECT_TIMEOUT)))
            .read_timeout(Some(STATEMENT_TIMEOUT + Duration::from_secs(5)))
            .write_timeout(Some(STATEMENT_TIMEOUT + Duration::from_secs(5)))
    }

    fn pool(entry: &Entry) -> Result<Pool, String> {
        let mut slot = entry.pool.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = &*slot {
            return Ok(p.clone());
        }
        let base = base_opts(&entry.target);
        let mut probe = Conn::new(base.clone()).map_err(|e| format!("cannot connect: {e}"))?;
        let version: Option<String> = probe
            .query_first("SELECT VERSION()")
            .map_err(|e| e.to_string())?;
        drop(probe);
        let timeout = if version
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains("mariadb")
        {
            format!(
                "SET SESSION max_statement_time = {}",
                STATEMENT_TIMEOUT.as_secs()
            )
        } else {
            format!(
                "SET SESSION max_execution_time = {}",
                STATEMENT_TIMEOUT.as_millis()
            )
        };
        let constraints = PoolConstraints::new(0, POOL_SIZE).unwrap_or_default();
        let opts = base
            .init(vec![
                "SET SESSION TRANSACTION READ ONLY".to_string(),
                timeout,
            ])
            .pool_opts(
                PoolOpts::new()
                    .with_constraints(constraints)
                    .with_reset_connection(false),
            );
        let pool = Pool::new(opts).map_err(|e| format!("cannot connect: {e}"))?;
        *slot = Some(pool.clone());
        Ok(pool)
    }

    pub(super) async fn run(
        query: &DatabaseQuery,
        target: &NetTarget,
        values: Vec<String>,
    ) -> Result<String, String> {
        let entry = entry(&query.pool_key, target);
        let sql = query.prepared_sql.clone();
        let tag = query.tag.clone();
        tokio::task::spawn_blocking(move || {
            let pool = pool(&entry)?;
            let mut conn = pool
                .try_get_conn(STATEMENT_TIMEOUT)
                .map_err(|e| format!("cannot connect: {e}"))?;
            execute(&mut conn, &sql, &tag, values)
        })
        .await
        .map_err(|e| format!("the database task failed: {e}"))?
    }

    fn execute(
        conn: &mut ::mysql::PooledConn,
        sql: &str,
        tag: &str,
        values: Vec<String>,
    ) -> Result<String, String> {
        let stmt = conn.prep(sql).map_err(|e| e.to_string())?;
        if usize::from(stmt.num_params()) != values.len() {
            return Err(format!(
                "the statement has {} parameters but {} values are bound",
                stmt.num_params(),
                values.len()
            ));
        }
        let params = if values.is_empty() {
            Params::Empty
        } else {
            Params::Positional(
                values
                    .into_iter()
                    .map(|v| Value::Bytes(v.into_bytes()))
                    .collect(),
            )
        };
        let mut result = conn.exec_iter(&stmt, params).map_err(|e| e.to_string())?;
        let columns: Vec<Column> = result.columns().as_ref().to_vec();
        let names: Vec<String> = columns.iter().map(|c| c.name_str().into_owned()).collect();
        let mut out = XmlOut::new(tag, names.iter().map(String::as_str));
        if let Some(set) = result.iter() {
            for row in set {
                let row = row.map_err(|e| e.to_string())?;
                out.start_row()?;
                for (i, col) in columns.iter().enumerate() {
                    match row.as_ref(i) {
                        None | Some(Value::NULL) => out.cell(i, None),
                        Some(v) => out.cell(i, Some(&value(col, v))),
                    }
                }
                out.end_row();
            }
        }
        Ok(out.finish())
    }

    fn value(col: &Column, v: &Value) -> String {
        let ty = col.column_type();
        // TINYINT(1) (= BOOLEAN) and BIT(1) are booleans, as in Connector/J.
        let boolean = col.column_length() == 1
            && matches!(ty, ColumnType::MYSQL_TYPE_TINY | ColumnType::MYSQL_TYPE_BIT);
        match v {
            Value::NULL => String::new(),
            Value::Int(n) if boolean => (*n != 0).to_string(),
            Value::UInt(n) if boolean => (*n != 0).to_string(),
            Value::Int(n) => n.to_string(),
            Value::UInt(n) => n.to_string(),
            Value::Float(f) => format_f32(*f, MYSQL_FLOAT),
            Value::Double(f) => format_f64(*f, MYSQL_FLOAT),
            Value::Date(y, mo, d, h, mi, s, us) => {
                let mut out = String::with_capacity(26);
                push_date(&mut out, i64::from(*y), u32::from(*mo), u32::from(*d));
                if !matches!(
                    ty,
                    ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
                ) {
                    out.push('T');
                    push_time(&mut out, u64::from(*h), u32::from(*mi), u32::from(*s), *us);
                }
                out
            }
            Value::Time(neg, days, h, mi, s, us) => {
                let mut out = String::new();
                if *neg {
                    out.push('-');
                }
                let hours = u64::from(*days) * 24 + u64::from(*h);
                push_time(&mut out, hours, u32::from(*mi), u32::from(*s), *us);
                out
            }
            Value::Bytes(b) => match ty {
                ColumnType::MYSQL_TYPE_BIT if boolean => b.iter().any(|x| *x != 0).to_string(),
                ColumnType::MYSQL_TYPE_BIT => b
                    .iter()
                    .fold(0u128, |acc, x| (acc << 8) | u128::from(*x))
                    .to_string(),
                ColumnType::MYSQL_TYPE_STRING
                | ColumnType::MYSQL_TYPE_VAR_STRING
                | ColumnType::MYSQL_TYPE_VARCHAR
                | ColumnType::MYSQL_TYPE_BLOB
                | ColumnType::MYSQL_TYPE_TINY_BLOB
                | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
                | ColumnType::MYSQL_TYPE_LONG_BLOB
                | ColumnType::MYSQL_TYPE_GEOMETRY
                    if col.character_set() == 63 =>
                {
                    base64(b)
                }
                _ => String::from_utf8_lossy(b).into_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_names() {
        assert_eq!(element_name("name"), "name");
        assert_eq!(element_name("2nd value"), "_0032_nd_0020_value");
        assert_eq!(element_name("a.b-c_d"), "a.b-c_d");
        assert_eq!(element_name("?column?"), "_003f_column_003f_");
        assert_eq!(element_name("é"), "_00e9_");
        assert_eq!(element_name(""), "_");
    }

    #[test]
    fn text_escaping() {
        let mut s = String::new();
        push_text("a<b>&\"c\r\n\u{1}", &mut s);
        assert_eq!(s, "a&lt;b&gt;&amp;\"c&#13;\n\u{fffd}");
    }

    #[test]
    fn floats() {
        let pg = |v: f64| format_f64(v, PG_FLOAT8);
        assert_eq!(pg(1.5), "1.5");
        assert_eq!(pg(100.0), "100");
        assert_eq!(pg(1e15), "1e+15");
        assert_eq!(pg(123456789012345.0), "123456789012345");
        assert_eq!(pg(0.0001), "0.0001");
        assert_eq!(pg(0.00001), "1e-05");
        assert_eq!(pg(1.5e300), "1.5e+300");
        assert_eq!(pg(-0.0), "-0");
        assert_eq!(pg(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_f32(1e6, PG_FLOAT4), "1e+06");
        assert_eq!(format_f32(100000.0, PG_FLOAT4), "100000");
        assert_eq!(format_f32(1.1, PG_FLOAT4), "1.1");
        let my = |v: f64| format_f64(v, MYSQL_FLOAT);
        assert_eq!(my(1e15), "1e15");
        assert_eq!(my(1e14), "100000000000000");
        assert_eq!(my(1.2345678901234568e17), "1.2345678901234568e17");
        assert_eq!(my(1.25e-10), "0.000000000125");
        let lite = |v: f64| format_f64(v, SQLITE_FLOAT);
        assert_eq!(lite(100.0), "100.0");
        assert_eq!(lite(12.5), "12.5");
        assert_eq!(lite(1e20), "1.0e+20");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp_from_unix_micros(0), "1970-01-01T00:00:00");
        assert_eq!(
            timestamp_from_unix_micros(951_782_400_000_000 + 1_500_000),
            "2000-02-29T00:00:01.5"
        );
        assert_eq!(
            timestamp_from_unix_micros(-1_000_000),
            "1969-12-31T23:59:59"
        );
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
    }

    #[test]
    fn postgres_intervals_and_numerics() {
        use postgres::{interval, numeric};
        assert_eq!(interval(0, 0, 0), "PT0S");
        assert_eq!(
            interval(4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000, -2, 63),
            "P5Y3M-2DT4H5M6.5S"
        );
        assert_eq!(interval(-3_630_000_000, 0, 0), "PT-1H-30S");
        assert_eq!(interval(-1_500_000, 0, 0), "PT-1.5S");
        assert_eq!(interval(-1, 0, 0), "PT-0.000001S");
        assert_eq!(interval(0, 1, 14), "P1Y2M1D");
        // 1.250 → ndigits 2, weight 0, positive, dscale 3, digits [1, 2500]
        let raw = |nd: i16, w: i16, sign: u16, ds: i16, digits: &[i16]| {
            let mut v = Vec::new();
            v.extend(nd.to_be_bytes());
            v.extend(w.to_be_bytes());
            v.extend(sign.to_be_bytes());
            v.extend(ds.to_be_bytes());
            for d in digits {
                v.extend(d.to_be_bytes());
            }
            v
        };
        assert_eq!(numeric(&raw(2, 0, 0, 3, &[1, 2500])).unwrap(), "1.250");
        assert_eq!(numeric(&raw(1, -1, 0x4000, 1, &[5000])).unwrap(), "-0.5");
        assert_eq!(numeric(&raw(1, -2, 0, 8, &[1])).unwrap(), "0.00000001");
        assert_eq!(numeric(&raw(1, 1, 0, 0, &[12])).unwrap(), "120000");
        assert_eq!(numeric(&raw(0, 0, 0, 2, &[])).unwrap(), "0.00");
        assert_eq!(numeric(&raw(0, 0, 0xC000, 0, &[])).unwrap(), "NaN");
    }
}
