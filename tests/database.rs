//! `<xml-from-database>` against real databases: PostgreSQL (`ENDPOINTS_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), MariaDB/MySQL (`ENDPOINTS_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306/test`) and SQLite (a temporary file). An unreachable server fails the test under
//! `CI=true` and is a loud SKIP otherwise. Each test creates its own uniquely named table and drops it.

use std::collections::HashMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use endpoints::config::loader::database::parse_database_query;
use endpoints::config::model::database::{ConnectionSource, DatabaseKind, DatabaseQuery, Target};
use endpoints::config::Diagnostics;
use endpoints::engine::database::run;
use endpoints::engine::{Failure, FailureKind};

// ------------------------------------------------------------------------------------------------------------------
// Helpers

fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{nanos}", std::process::id())
}

/// Fails under CI, else prints a SKIP banner. Returns normally only when skipping is allowed.
fn unavailable(what: &str, err: &dyn std::fmt::Display) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is not reachable and CI=true: {err}");
    }
    eprintln!(
        "\n################################################################\n\
         ## SKIP: {what} is not reachable: {err}\n\
         ## This test checked NOTHING. Start the database (see tests/database.rs).\n\
         ################################################################\n"
    );
}

/// Parses an `<xml-from-database>` element; returns the query (if any) and the diagnostics' messages.
fn parse(xml: &str, config_dir: &Path) -> (Option<DatabaseQuery>, Vec<String>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).expect("test XML");
    let mut d = Diagnostics::default();
    let q = parse_database_query(
        Path::new("data-sources/db.xml"),
        doc.root_element(),
        config_dir,
        &mut d,
    );
    let errors = d.errors().map(|e| e.message.clone()).collect();
    let warnings = d.warnings().map(|e| e.message.clone()).collect();
    (q, errors, warnings)
}

fn query(xml: &str, config_dir: &Path) -> DatabaseQuery {
    let (q, errors, _) = parse(xml, config_dir);
    assert!(errors.is_empty(), "unexpected load errors: {errors:?}");
    q.expect("query")
}

/// `<xml-from-database>` with the given URL, SQL (in CDATA) and params.
fn element(tag: Option<&str>, url: &str, sql: &str, params: &[&str]) -> String {
    let tag = tag.map(|t| format!(" tag=\"{t}\"")).unwrap_or_default();
    let params: String = params
        .iter()
        .map(|p| format!("<param>{p}</param>"))
        .collect();
    let url = url.replace('&', "&amp;");
    format!(
        "<xml-from-database{tag}><jdbc-connection-string>{url}</jdbc-connection-string>\
         <sql><![CDATA[{sql}]]></sql>{params}</xml-from-database>"
    )
}

async fn exec(q: &DatabaseQuery, values: &[(&str, &str)]) -> Result<String, Failure> {
    let map: HashMap<String, String> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |n: &str| map.get(n).cloned();
    run(q, &lookup, false).await
}

/// Runs `sql` (with `${a}`, `${b}` … as params) and returns the XML.
struct Db<'a> {
    url: &'a str,
    dir: &'a Path,
}

impl Db<'_> {
    async fn ok(&self, tag: Option<&str>, sql: &str, params: &[(&str, &str)]) -> String {
        match self.try_run(tag, sql, params).await {
            Ok(x) => x,
            Err(f) => panic!("query failed: {sql}: {:?}", f.detail),
        }
    }

    async fn try_run(
        &self,
        tag: Option<&str>,
        sql: &str,
        params: &[(&str, &str)],
    ) -> Result<String, Failure> {
        let names: Vec<String> = params.iter().map(|(n, _)| format!("${{{n}}}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let q = query(&element(tag, self.url, sql, &names), self.dir);
        exec(&q, params).await
    }

    async fn err(&self, sql: &str, params: &[(&str, &str)]) -> Failure {
        match self.try_run(None, sql, params).await {
            Ok(x) => panic!("expected a failure for {sql}, got {x}"),
            Err(f) => f,
        }
    }
}

/// The client sees nothing of the cause; the log detail has the cause but never the password.
fn assert_hidden(f: &Failure, must_not_contain: &[&str]) {
    assert_eq!(f.kind, FailureKind::Internal);
    assert_eq!(f.message, "An internal error occurred");
    let detail = f.detail.as_deref().expect("a detail for the log");
    for s in must_not_contain {
        assert!(!f.message.contains(s), "message contains {s}");
    }
    assert!(
        !detail.contains("secretpw"),
        "detail leaks the password: {detail}"
    );
}

fn rows_table(amount1: &str, amount2: &str, big: &str) -> String {
    format!(
        "<people>\
         <row><id>1</id><name>Alice &amp; Bob</name><amount>{amount1}</amount><active>true</active><note/>\
         <created>2024-01-31T13:45:00</created><_0032_nd_0020_value>0.5</_0032_nd_0020_value></row>\
         <row><id>2</id><name>Bob &lt;b&gt;</name><amount>{amount2}</amount><active>false</active><note>n</note>\
         <created>2024-02-29T00:00:00.25</created><_0032_nd_0020_value>{big}</_0032_nd_0020_value></row>\
         </people>"
    )
}

/// The checks every backend shares. `t` is the table (3 rows), `q` quotes the alias `2nd value`.
async fn common_checks(db: &Db<'_>, t: &str, q: (&str, &str), expected: &str, carol_amount: &str) {
    // Two parameters, the custom tag, a sanitised column name, NULL and text escaping.
    let sql = format!(
        "SELECT id, name, amount, active, note, created, ratio AS {}2nd value{} \
         FROM {t} WHERE id >= ? AND name <> ? ORDER BY id",
        q.0, q.1
    );
    let out = db
        .ok(Some("people"), &sql, &[("min", "1"), ("exclude", "Carol")])
        .await;
    assert_eq!(out, expected);

    // NULL and the empty string are both an empty element; default tag.
    let out = db
        .ok(
            None,
            &format!("SELECT id, note, ratio, amount FROM {t} WHERE name = ?"),
            &[("n", "Carol")],
        )
        .await;
    assert_eq!(
        out,
        format!(
            "<xml-from-database><row><id>3</id><note/><ratio/><amount>{carol_amount}</amount></row></xml-from-database>"
        )
    );

    // No rows.
    let none = format!("SELECT id FROM {t} WHERE name = ?");
    assert_eq!(
        db.ok(None, &none, &[("n", "nobody")]).await,
        "<xml-from-database/>"
    );

    // Injection attempts are plain values.
    assert_eq!(
        db.ok(None, &none, &[("n", "x' OR '1'='1")]).await,
        "<xml-from-database/>"
    );
    assert_eq!(
        db.ok(None, &none, &[("n", &format!("1; DROP TABLE {t}; --"))])
            .await,
        "<xml-from-database/>"
    );
    assert_eq!(
        db.ok(
            Some("n"),
            &format!("SELECT COUNT(*) AS c FROM {t} WHERE id > ?"),
            &[("z", "0")]
        )
        .await,
        "<n><row><c>3</c></row></n>",
        "the table must still be there with its rows"
    );

    // The connection is read-only.
    let f = db
        .err(
            &format!("DELETE FROM {t} WHERE name = ?"),
            &[("n", "Carol")],
        )
        .await;
    assert_hidden(&f, &[t, "DELETE"]);

    // Bad SQL: the client learns nothing about SQL, table or host.
    let f = db
        .err(&format!("SELEC id FROM {t} WHERE name = ?"), &[("n", "x")])
        .await;
    assert_hidden(&f, &[t, "SELEC", "127.0.0.1", "localhost"]);

    // A parameter without a value.
    let q = query(
        &element(
            None,
            db.url,
            &format!("SELECT id FROM {t} WHERE name = ?"),
            &["${nope}"],
        ),
        db.dir,
    );
    let lookup = |_: &str| None::<String>;
    let f = run(&q, &lookup, false).await.unwrap_err();
    assert!(f.message.contains("${nope}"), "{}", f.message);
    assert_eq!(
        run(&q, &lookup, true).await.unwrap(),
        "<xml-from-database/>"
    );
}

/// 10,000 rows pass, 10,001 fail.
async fn row_limit(db: &Db<'_>, series: impl Fn(u32) -> String) {
    let out = db.ok(None, &series(10_000), &[]).await;
    assert_eq!(out.matches("<row>").count(), 10_000);
    let f = db.err(&series(10_001), &[]).await;
    assert_hidden(&f, &[]);
    let detail = f.detail.unwrap();
    assert!(detail.contains("more than 10000 rows"), "{detail}");
}

// ------------------------------------------------------------------------------------------------------------------
// PostgreSQL

/// `postgres://user[:password]@host:port/db` → the tokio-postgres URL and our JDBC form.
fn pg_urls() -> (String, String) {
    let url = std::env::var("ENDPOINTS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .expect("ENDPOINTS_TEST_DATABASE_URL must start with postgres://");
    let (userinfo, hostdb) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (hostdb, _) = hostdb.split_once('?').unwrap_or((hostdb, ""));
    let mut jdbc = format!("jdbc:postgresql://{hostdb}?user={user}");
    if !password.is_empty() {
        jdbc.push_str(&format!("&password={password}"));
    }
    (url, jdbc)
}

async fn pg_client(url: &str) -> Result<tokio_postgres::Client, String> {
    let connect = tokio_postgres::connect(url, tokio_postgres::NoTls);
    let (client, conn) = tokio::time::timeout(std::time::Duration::from_secs(5), connect)
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(client)
}

#[test]
fn postgres() {
    let (url, jdbc) = pg_urls();
    let t = format!("endpoints_db_test_{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = rt();
    let client = match first.block_on(pg_client(&url)) {
        Ok(c) => c,
        Err(e) => return unavailable(&format!("PostgreSQL at {url}"), &e),
    };
    first
        .block_on(client.batch_execute(&format!(
            "CREATE TABLE {t} (id integer, name text, amount numeric(10,2), active boolean, note text, \
             created timestamp, ratio double precision);
             INSERT INTO {t} VALUES
             (1, 'Alice & Bob', 12.5, true, NULL, '2024-01-31 13:45:00', 0.5),
             (2, 'Bob <b>', 7, false, 'n', '2024-02-29 00:00:00.25', 1e20),
             (3, 'Carol', -0.05, true, '', '1999-12-31 23:59:59', NULL);"
        )))
        .unwrap();
    // A password the server ignores (trust authentication) must never show up anywhere.
    let jdbc = format!("{jdbc}&password=secretpw");
    let jdbc = if jdbc.matches("password=").count() > 1 {
        jdbc.replace("&password=secretpw", "")
    } else {
        jdbc
    };
    let db = Db {
        url: &jdbc,
        dir: dir.path(),
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        first.block_on(async {
            common_checks(
                &db,
                &t,
                ("\"", "\""),
                &rows_table("12.50", "7.00", "1e+20"),
                "-0.05",
            )
            .await;
            postgres_specific(&db, &t).await;
            row_limit(&db, |n| format!("SELECT g FROM generate_series(1, {n}) g")).await;
        });
    }));
    // Pooled connections of a runtime that has shut down are replaced, not used.
    drop(first);
    let second = rt();
    let result = result.and_then(|()| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            second.block_on(async {
                let out = db
                    .ok(
                        None,
                        &format!("SELECT id FROM {t} WHERE name = ?"),
                        &[("n", "Carol")],
                    )
                    .await;
                assert_eq!(
                    out,
                    "<xml-from-database><row><id>3</id></row></xml-from-database>"
                );
            })
        }))
    });
    second.block_on(async {
        let client = pg_client(&url).await.unwrap();
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS {t}"))
            .await
            .unwrap();
    });
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

async fn postgres_specific(db: &Db<'_>, t: &str) {
    // Types: each rendered as documented.
    let out = db
        .ok(
            Some("types"),
            "SELECT '2024-01-31 13:45:00.5+02'::timestamptz AS tz, DATE '2024-02-29' AS d, \
             TIME '13:45:00.5' AS tm, TIME WITH TIME ZONE '13:45:00+05:30' AS ttz, \
             INTERVAL '1 year 2 months 3 days 04:05:06' AS i, '\\x0102ff'::bytea AS b, \
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '{\"a\": 1}'::jsonb AS j, \
             1.5::real AS r, 9007199254740993::int8 AS big, 32767::int2 AS small, \
             '192.168.0.1/24'::inet AS ip, '10.0.0.0/8'::cidr AS net, B'101' AS bits, \
             'NaN'::numeric AS nan, 'infinity'::timestamp AS inf, NULL::int AS n, ?::text AS p",
            &[("p", "é€")],
        )
        .await;
    assert_eq!(
        out,
        "<types><row><tz>2024-01-31T11:45:00.5Z</tz><d>2024-02-29</d><tm>13:45:00.5</tm>\
         <ttz>13:45:00+05:30</ttz><i>P1Y2M3DT4H5M6S</i><b>AQL/</b>\
         <u>a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11</u><j>{\"a\": 1}</j><r>1.5</r><big>9007199254740993</big>\
         <small>32767</small><ip>192.168.0.1/24</ip><net>10.0.0.0/8</net><bits>101</bits><nan>NaN</nan>\
         <inf>infinity</inf><n/><p>é€</p></row></types>"
    );

    // Floating point and numeric values read exactly as PostgreSQL's own text output.
    let same_as_text = |out: String, expected_rows: usize| {
        let doc = roxmltree::Document::parse(&out).unwrap();
        let mut compared = 0;
        for row in doc.root_element().children() {
            let v = row.children().find(|c| c.has_tag_name("v")).unwrap().text();
            let t = row.children().find(|c| c.has_tag_name("t")).unwrap().text();
            assert_eq!(v, t, "in {out}");
            compared += 1;
        }
        assert_eq!(compared, expected_rows, "{out}");
    };
    let values = |ty: &str, list: &str| {
        let items: Vec<String> = list.split(' ').map(|v| format!("'{v}'")).collect();
        format!(
            "SELECT x AS v, x::text AS t FROM unnest(ARRAY[{}]::{ty}[]) x WHERE ? = ?",
            items.join(", ")
        )
    };
    // `? = ?` cannot be typed by the server: prepared again with text parameters.
    let same = [("a", "1"), ("b", "1")];
    let floats =
        "0.1 1.5 100 1e15 123456789012345 1e-5 0.0001 -2.5e-300 1e300 3.141592653589793 -0 \
                  Infinity -Infinity NaN";
    same_as_text(db.ok(None, &values("float8", floats), &same).await, 14);
    let reals = "0.1 1e6 100000 1.5e-5 3.4e38 -7.25 16777217";
    same_as_text(db.ok(None, &values("real", reals), &same).await, 7);
    let numerics =
        "12345678901234567890.000001 -0.5 0.00000001 120000 0.00 NaN 7 -1e-20 99999999.9999";
    same_as_text(db.ok(None, &values("numeric", numerics), &same).await, 9);

    // The session is read-only with a statement timeout.
    assert_eq!(
        db.ok(
            None,
            "SELECT current_setting('statement_timeout') AS st, current_setting('transaction_read_only') AS ro",
            &[]
        )
        .await,
        "<xml-from-database><row><st>30s</st><ro>on</ro></row></xml-from-database>"
    );

    // `SELECT ?` has no inferable type: prepared again with text parameters.
    assert_eq!(
        db.ok(None, "SELECT ? AS echo", &[("e", "x<y")]).await,
        "<xml-from-database><row><echo>x&lt;y</echo></row></xml-from-database>"
    );
    // Explicit casts, `??` for the JSONB operator, `?` inside literals and comments.
    assert_eq!(
        db.ok(
            None,
            &format!(
                "SELECT id, '{{\"a\":1}}'::jsonb ?? 'a' AS has, '?' AS q /* ? */ FROM {t} -- ?\n\
                 WHERE id = CAST(? AS integer)"
            ),
            &[("id", "2")],
        )
        .await,
        "<xml-from-database><row><id>2</id><has>true</has><q>?</q></row></xml-from-database>"
    );
    // A value that is not an integer where one is expected fails (no injection, no silent match).
    let f = db
        .err(
            &format!("SELECT id FROM {t} WHERE id = ?"),
            &[("id", "1 OR 1=1")],
        )
        .await;
    assert_hidden(&f, &[t]);
    // A type that cannot be shown asks for a cast (in the log).
    let f = db.err("SELECT ARRAY[1,2] AS a", &[]).await;
    assert!(f.detail.unwrap().contains("::text"));
    assert_eq!(
        db.ok(None, "SELECT ARRAY[1,2]::text AS a", &[]).await,
        "<xml-from-database><row><a>{1,2}</a></row></xml-from-database>"
    );
}

// ------------------------------------------------------------------------------------------------------------------
// SQLite

#[test]
fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let t = format!("t_{}", unique());
    {
        let conn = rusqlite::Connection::open(dir.path().join("test.db")).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE {t} (id INTEGER, name TEXT, amount NUMERIC, active BOOLEAN, note TEXT, \
             created TIMESTAMP, ratio REAL, data BLOB);
             INSERT INTO {t} VALUES
             (1, 'Alice & Bob', 12.5, 1, NULL, '2024-01-31T13:45:00', 0.5, x'0102ff'),
             (2, 'Bob <b>', 7.0, 0, 'n', '2024-02-29T00:00:00.25', 1e20, NULL),
             (3, 'Carol', -0.05, 1, '', '1999-12-31T23:59:59', NULL, NULL);"
        ))
        .unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A relative path is relative to the configuration directory.
    let db = Db {
        url: "jdbc:sqlite:test.db",
        dir: dir.path(),
    };
    rt.block_on(async {
        common_checks(
            &db,
            &t,
            ("\"", "\""),
            &rows_table("12.5", "7", "1.0e+20"),
            "-0.05",
        )
        .await;
        assert_eq!(
            db.ok(
                None,
                &format!("SELECT data, 0.1 AS r, 100.0 AS h FROM {t} WHERE id = ?"),
                &[("id", "1")]
            )
            .await,
            "<xml-from-database><row><data>AQL/</data><r>0.1</r><h>100.0</h></row></xml-from-database>"
        );
        row_limit(&db, |n| {
            format!("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT x FROM c")
        })
        .await;
        // A missing file fails at request time (and was a warning at load).
        let missing = Db {
            url: "jdbc:sqlite:missing.db",
            dir: dir.path(),
        };
        let f = missing.err("SELECT 1", &[]).await;
        assert_hidden(&f, &["missing.db"]);
    });
}

// ------------------------------------------------------------------------------------------------------------------
// MariaDB / MySQL

fn mysql_urls() -> (String, String) {
    let url = std::env::var("ENDPOINTS_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_string());
    let jdbc = format!("jdbc:{url}");
    (url, jdbc)
}

#[test]
fn mariadb() {
    let (url, jdbc) = mysql_urls();
    let opts = match mysql::Opts::from_url(&url) {
        Ok(o) => o,
        Err(e) => panic!("ENDPOINTS_TEST_MYSQL_URL: {e}"),
    };
    let opts = mysql::OptsBuilder::from_opts(opts)
        .prefer_socket(false)
        .tcp_connect_timeout(Some(std::time::Duration::from_secs(5)));
    let mut conn = match mysql::Conn::new(opts) {
        Ok(c) => c,
        Err(e) => return unavailable(&format!("MariaDB/MySQL at {url}"), &e),
    };
    use mysql::prelude::Queryable;
    let t = format!("endpoints_db_test_{}", unique());
    conn.query_drop(format!(
        "CREATE TABLE {t} (id INT, name VARCHAR(50), amount DECIMAL(10,2), active BOOLEAN, note VARCHAR(10), \
         created DATETIME(2), ratio DOUBLE, flag BIT(1), data VARBINARY(10), d DATE, tm TIME(1), f FLOAT)"
    ))
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {t} (id, name, amount, active, note, created, ratio, flag, data, d, tm, f) VALUES \
         (1, 'Alice & Bob', 12.5, true, NULL, '2024-01-31 13:45:00', 0.5, b'1', x'0102ff', '2024-02-29', \
          '-01:02:03.5', 1.5), \
         (2, 'Bob <b>', 7, false, 'n', '2024-02-29 00:00:00.25', 1e20, b'0', NULL, NULL, '838:59:59', NULL), \
         (3, 'Carol', -0.05, true, '', '1999-12-31 23:59:59', NULL, NULL, NULL, NULL, NULL, NULL)"
    ))
    .unwrap();
    let jdbc = jdbc.replacen("jdbc:mysql://", "jdbc:mariadb://", 1);
    let db = Db {
        url: &jdbc,
        dir: Path::new("/"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            common_checks(
                &db,
                &t,
                ("`", "`"),
                &rows_table("12.50", "7.00", "1e20"),
                "-0.05",
            )
            .await;
            assert_eq!(
                db.ok(
                    None,
                    &format!("SELECT flag, data, d, tm, f FROM {t} WHERE id <= ? ORDER BY id"),
                    &[("id", "2")]
                )
                .await,
                "<xml-from-database><row><flag>true</flag><data>AQL/</data><d>2024-02-29</d><tm>-01:02:03.5</tm>\
                 <f>1.5</f></row><row><flag>false</flag><data/><d/><tm>838:59:59</tm><f/></row></xml-from-database>"
            );
            // The session is read-only with a statement timeout.
            assert_eq!(
                db.ok(
                    None,
                    "SELECT @@session.max_statement_time AS st, @@session.tx_read_only AS ro",
                    &[]
                )
                .await,
                "<xml-from-database><row><st>30</st><ro>1</ro></row></xml-from-database>"
            );
            // MariaDB stops recursive CTEs after 1000 iterations by default: cross joins of digits instead.
            let digits: Vec<String> = (0..10).map(|d| format!("SELECT {d} AS d")).collect();
            let d = format!("({})", digits.join(" UNION ALL "));
            row_limit(&db, |n| {
                format!(
                    "SELECT x FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS x \
                     FROM {d} a, {d} b, {d} c, {d} e, {d} f) s WHERE x <= {n}"
                )
            })
            .await;
        });
    }));
    conn.query_drop(format!("DROP TABLE IF EXISTS {t}"))
        .unwrap();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

// ------------------------------------------------------------------------------------------------------------------
// Configuration

#[test]
fn configuration() {
    let dir = Path::new("/app");

    // Inline URL, default tag, params as patterns.
    let q = query(
        &element(
            None,
            "  jdbc:postgresql://db:5433/shop?user=u&password=secretpw  ",
            "SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?",
            &["${a}", "x-${b}"],
        ),
        dir,
    );
    assert_eq!(q.tag, "xml-from-database");
    assert_eq!(q.kind, DatabaseKind::Postgres);
    assert_eq!(
        q.prepared_sql,
        "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2"
    );
    assert_eq!(q.sql, "SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?");
    let sources: Vec<&str> = q.patterns().iter().map(|p| p.source()).collect();
    assert_eq!(sources, vec!["${a}", "x-${b}"]);
    assert!(
        matches!(&q.connection, ConnectionSource::Inline(u) if u == "jdbc:postgresql://db:5433/shop?user=u&password=secretpw")
    );
    assert!(!format!("{q:?}").contains("secretpw"), "{q:?}");
    // The request path needs a `Send` future.
    fn assert_send<T: Send>(_: &T) {}
    let lookup = |_: &str| None::<String>;
    assert_send(&run(&q, &lookup, false));

    // The environment-variable form, read at load.
    let var = format!("ENDPOINTS_TEST_JDBC_{}", unique());
    std::env::set_var(&var, "jdbc:sqlite:data/app.db");
    let (q, errors, warnings) = parse(
        &format!(
            "<xml-from-database tag=\"out\"><jdbc-connection-string from-environment-variable=\"{var}\"/>\
             <sql>SELECT 1</sql><post-process xslt=\"x.xslt\"/></xml-from-database>"
        ),
        dir,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let q = q.unwrap();
    assert_eq!(q.connection, ConnectionSource::EnvVar(var.clone()));
    assert_eq!(*q.target, Target::Sqlite(dir.join("data/app.db")));
    assert_eq!(q.tag, "out");
    assert!(
        warnings.iter().any(|w| w.contains("does not exist")),
        "{warnings:?}"
    );
    std::env::remove_var(&var);

    // The variable is not set.
    let (q, errors, _) = parse(
        &format!(
            "<xml-from-database><jdbc-connection-string from-environment-variable=\"{var}\"/>\
             <sql>SELECT 1</sql></xml-from-database>"
        ),
        dir,
    );
    assert!(q.is_none());
    assert_eq!(
        errors,
        vec![format!(
            "JDBC URL specified to come from environment variable '{var}' but this environment variable is not set"
        )]
    );

    // Empty connection string.
    let (q, errors, _) = parse(
        "<xml-from-database><jdbc-connection-string>  </jdbc-connection-string><sql>SELECT 1</sql></xml-from-database>",
        dir,
    );
    assert!(q.is_none());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("<jdbc-connection-string> is empty"),
        "{errors:?}"
    );

    // Missing connection string.
    let (q, errors, _) = parse(
        "<xml-from-database><sql>SELECT 1</sql></xml-from-database>",
        dir,
    );
    assert!(q.is_none());
    assert_eq!(
        errors,
        vec!["<xml-from-database> is missing the element <jdbc-connection-string>"]
    );

    // Unsupported scheme: names the supported ones, never the password.
    let (q, errors, _) = parse(
        &element(
            None,
            "jdbc:oracle:thin:scott/secretpw@db:1521:orcl",
            "SELECT 1",
            &[],
        ),
        dir,
    );
    assert!(q.is_none());
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0],
        "JDBC URL 'jdbc:oracle:…' is not supported; supported are jdbc:postgresql://…, jdbc:sqlite:…, \
         jdbc:mysql://… and jdbc:mariadb://…"
    );

    // Missing <sql>.
    let (q, errors, _) = parse(
        "<xml-from-database><jdbc-connection-string>jdbc:sqlite:x.db</jdbc-connection-string></xml-from-database>",
        dir,
    );
    assert!(q.is_none());
    assert_eq!(
        errors,
        vec!["<xml-from-database> is missing the element <sql>"]
    );

    // Placeholders and params must match (the reference's load-time run would fail).
    let (q, errors, _) = parse(
        &element(
            None,
            "jdbc:mysql://h/db",
            "SELECT * FROM t WHERE a = ? AND b = ?",
            &["${a}"],
        ),
        dir,
    );
    assert!(q.is_none());
    assert_eq!(
        errors,
        vec!["<sql> has 2 '?' placeholders but <xml-from-database> has 1 <param> element"]
    );

    // TLS requirements, bad ports, unknown children, bad tag names.
    for (xml, expected) in [
        (
            element(None, "jdbc:postgresql://h/db?sslmode=verify-full", "SELECT 1", &[]),
            "asks for TLS",
        ),
        (
            element(None, "jdbc:mariadb://h:0/db", "SELECT 1", &[]),
            "invalid port",
        ),
        (
            element(Some("1x"), "jdbc:mariadb://h/db", "SELECT 1", &[]),
            "not a valid XML element name",
        ),
        (
            "<xml-from-database><jdbc-connection-string>jdbc:sqlite:x</jdbc-connection-string><sql>SELECT 1</sql>\
             <query/></xml-from-database>"
                .to_string(),
            "Unexpected element <query>",
        ),
    ] {
        let (q, errors, _) = parse(&xml, dir);
        assert!(q.is_none(), "{xml}");
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{xml}: {errors:?}"
        );
    }

    // Unknown JDBC properties are a warning.
    let (q, errors, warnings) = parse(
        &element(
            None,
            "jdbc:mysql://u:p@h/db?useSSL=false&fancy=1",
            "SELECT 1",
            &[],
        ),
        dir,
    );
    assert!(errors.is_empty() && q.is_some());
    assert_eq!(
        warnings,
        vec!["JDBC URL property 'fancy' is not used by this engine and is ignored"]
    );
}
