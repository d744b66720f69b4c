//! The state schema: both backends' migrations end in the same logical schema (tables, columns, types mapped per
//! backend, indexes, unique and foreign keys), and state made by the first releases (their schema, with or without
//! a recorded version) is taken up with its data.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use endpoints::store::migrations::{self, BACKEND_ONLY_TABLES};
use endpoints::store::sqlite::SqliteStore;
use endpoints::store::{LogQuery, NumberKind, Store};

use crate::{pg_url, unavailable, unique};

/// The DDL the first releases ran on SQLite, written out here as it was: the file the upgrade starts from must not
/// follow later edits of the migrations.
const FIRST_SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    user_agent TEXT NOT NULL,
    exception_message TEXT,
    http_request_failed_url TEXT,
    http_request_failed_status_code INTEGER,
    xslt_parameter_error_message TEXT,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
    parameter_transformation_input TEXT,
    parameter_transformation_output TEXT,
    request_content_type TEXT,
    request_body BLOB
);
CREATE INDEX IF NOT EXISTS request_log_time ON request_log (datetime_ms);
CREATE INDEX IF NOT EXISTS request_log_app_time ON request_log (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_numbers (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
    UNIQUE (application, environment, perpetual_number)
);
CREATE INDEX IF NOT EXISTS request_numbers_time ON request_numbers (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_log_expression_capture (
    request_id TEXT NOT NULL REFERENCES request_log (request_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, key)
);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint (
    code TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS short_link_expiry ON short_link_to_endpoint (expires_ms);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint_parameter (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
";

/// PostgreSQL's first DDL is its migration 1 (which recorded its version in `endpoints_schema`).
fn first_postgres_schema() -> &'static str {
    let first = &migrations::POSTGRES[0];
    assert_eq!(first.version, 1);
    first.sql
}

/// Rows as the first releases wrote them: an entry with numbers and a capture, and a short link whose parameters
/// were written in the order b, a, c. `$n` placeholders (SQLite reads them as named parameters in order).
const FIRST_ROWS: &[&str] = &[
    "INSERT INTO request_log (request_id, application, environment, endpoint, datetime_ms, status_code, user_agent, \
     exception_message, perpetual_number, request_body) VALUES ('old-1', 'shop', 'live', 'order', 1000, 500, 'ua', \
     'it broke', 41, NULL)",
    "INSERT INTO request_numbers (request_id, application, environment, datetime_ms, perpetual_number) \
     VALUES ('old-1', 'shop', 'live', 1000, 41)",
    "INSERT INTO request_log_expression_capture (request_id, key, value) VALUES ('old-1', 'Customer', '7')",
    "INSERT INTO short_link_to_endpoint (code, application, environment, endpoint, created_ms, expires_ms) \
     VALUES ('CODE', 'shop', 'live', 'order', 1000, 9000000000000)",
];

/// What a store must still hold after taking up [`FIRST_ROWS`].
async fn check_first_rows(store: &Arc<dyn Store>, backend: &str) {
    let e = store
        .entries(LogQuery {
            request_id: Some("old-1".into()),
            details: true,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(e.len(), 1, "{backend}: the old entry is gone");
    assert_eq!(e[0].endpoint, "order");
    assert_eq!(e[0].status_code, 500);
    assert_eq!(e[0].exception_message.as_deref(), Some("it broke"));
    assert_eq!(e[0].numbers, [Some(41), None, None]);
    assert_eq!(e[0].captures, [("Customer".to_string(), "7".to_string())]);
    let link = store.short_link("CODE", 2000).await.unwrap();
    let params = link.expect("the old short link survives").parameters;
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(params, [("b", "2"), ("a", "1"), ("c", "3")], "{backend}");
    let mut tx = store.begin("shop", "live");
    assert_eq!(
        tx.next_number(NumberKind::Perpetual, None).await.unwrap(),
        42,
        "{backend}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_of_the_first_schema_is_upgraded_without_loss() {
    // The first releases recorded `user_version = 1`; a file from before that records nothing.
    for recorded in [1, 0] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endpoints.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(FIRST_SQLITE_SCHEMA).unwrap();
            for sql in FIRST_ROWS {
                conn.execute(sql, []).unwrap();
            }
            for (n, v) in [("b", "2"), ("a", "1"), ("c", "3")] {
                conn.execute(
                    "INSERT INTO short_link_to_endpoint_parameter (code, name, value) VALUES ('CODE', ?1, ?2)",
                    [n, v],
                )
                .unwrap();
            }
            conn.pragma_update(None, "user_version", recorded).unwrap();
        }
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        check_first_rows(&store, &format!("sqlite, user_version {recorded}")).await;
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, migrations::latest(migrations::SQLITE));
    }
}

/// A connection to the test database, and the URL of a new schema in it (dropped by [`drop_schema`]).
async fn fresh_schema() -> Option<(tokio_postgres::Client, String, String)> {
    let connected = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls),
    )
    .await;
    let (client, conn) = match connected {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            unavailable(&e);
            return None;
        }
        Err(_) => {
            unavailable(&"connecting timed out");
            return None;
        }
    };
    tokio::spawn(conn);
    let schema = unique("state_schema").replace('-', "_");
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}"
        ))
        .await
        .unwrap();
    let url = pg_url();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some((
        client,
        format!("{url}{sep}options=-csearch_path%3D{schema}"),
        schema,
    ))
}

async fn drop_schema(client: &tokio_postgres::Client, schema: &str) {
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_the_first_schema_is_taken_up_without_loss() {
    let Some((client, url, schema)) = fresh_schema().await else {
        return;
    };
    client.batch_execute(first_postgres_schema()).await.unwrap();
    client
        .batch_execute(
            "CREATE TABLE endpoints_schema (version INTEGER NOT NULL); \
             INSERT INTO endpoints_schema (version) VALUES (1)",
        )
        .await
        .unwrap();
    for sql in FIRST_ROWS {
        client.batch_execute(sql).await.unwrap();
    }
    for (i, (n, v)) in [("b", "2"), ("a", "1"), ("c", "3")].iter().enumerate() {
        client
            .execute(
                "INSERT INTO short_link_to_endpoint_parameter (code, position, name, value) VALUES ('CODE', $1, $2, $3)",
                &[&(i as i32), n, v],
            )
            .await
            .unwrap();
    }
    let store = endpoints::store::open(Some(&url), Path::new(""))
        .await
        .unwrap();
    check_first_rows(&store, "postgresql").await;
    drop(store);
    drop_schema(&client, &schema).await;
}

/// One fact of a schema, named by table and columns only (index and constraint names differ per backend).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    /// In table order; `pk`: position in the primary key (0: not part of it).
    Column {
        table: String,
        ordinal: i64,
        name: String,
        ty: String,
        not_null: bool,
        pk: i64,
    },
    /// Indexes, including those behind primary keys and unique constraints.
    Index {
        table: String,
        columns: Vec<String>,
        unique: bool,
    },
    ForeignKey {
        table: String,
        columns: Vec<String>,
        references: String,
        ref_columns: Vec<String>,
        on_delete: String,
    },
}

/// The rows of `sql` with its one argument `arg`, read by `row`.
fn query<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    arg: &str,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    let mut s = conn.prepare(sql).unwrap();
    s.query_map([arg], row)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sqlite_facts(path: &Path) -> BTreeSet<Fact> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = query(
        &conn,
        "SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite%'",
        "table",
        |r| r.get(0),
    );
    let mut facts = BTreeSet::new();
    for table in tables
        .iter()
        .filter(|t| !BACKEND_ONLY_TABLES.contains(&t.as_str()))
    {
        let columns: Vec<(i64, String, String, bool, i64)> = query(
            &conn,
            "SELECT cid, name, type, \"notnull\", pk FROM pragma_table_info(?1)",
            table,
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        );
        for (cid, name, ty, not_null, pk) in columns {
            facts.insert(Fact::Column {
                table: table.clone(),
                ordinal: cid + 1,
                name,
                ty: ty.to_uppercase(),
                // SQLite lets a primary key that is not an INTEGER hold NULL unless declared NOT NULL; the engine
                // never writes one, and PostgreSQL's primary keys are NOT NULL: the same logically.
                not_null: not_null || pk > 0,
                pk,
            });
        }
        let indexes: Vec<(String, bool)> = query(
            &conn,
            "SELECT name, \"unique\" FROM pragma_index_list(?1)",
            table,
            |r| Ok((r.get(0)?, r.get(1)?)),
        );
        for (index, unique) in indexes {
            facts.insert(Fact::Index {
                table: table.clone(),
                columns: query(
                    &conn,
                    "SELECT name FROM pragma_index_info(?1) ORDER BY seqno",
                    &index,
                    |r| r.get(0),
                ),
                unique,
            });
        }
        let keys: Vec<(i64, String, String, String, String)> = query(
            &conn,
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            table,
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        );
        let ids: BTreeSet<i64> = keys.iter().map(|k| k.0).collect();
        for id in ids {
            let parts: Vec<_> = keys.iter().filter(|k| k.0 == id).collect();
            facts.insert(Fact::ForeignKey {
                table: table.clone(),
                columns: parts.iter().map(|k| k.2.clone()).collect(),
                references: parts[0].1.clone(),
                ref_columns: parts.iter().map(|k| k.3.clone()).collect(),
                on_delete: parts[0].4.clone(),
            });
        }
    }
    facts
}

/// PostgreSQL's types as the SQLite schema names them.
fn sqlite_type(pg: &str) -> String {
    match pg {
        "bigint" | "integer" | "smallint" => "INTEGER".into(),
        "text" => "TEXT".into(),
        "bytea" => "BLOB".into(),
        other => format!("(PostgreSQL {other})"),
    }
}

/// The rows of `sql` (its `$1`: the schema) whose first column, a table name, is not [`BACKEND_ONLY_TABLES`].
async fn rows(
    client: &tokio_postgres::Client,
    sql: &str,
    schema: &str,
) -> Vec<tokio_postgres::Row> {
    let mut rows = client.query(sql, &[&schema]).await.unwrap();
    rows.retain(|r| !BACKEND_ONLY_TABLES.contains(&r.get::<_, &str>(0)));
    rows
}

async fn postgres_facts(client: &tokio_postgres::Client, schema: &str) -> BTreeSet<Fact> {
    let mut facts = BTreeSet::new();
    let pk_rows = rows(
        client,
            "SELECT t.relname::text, a.attname::text, k.o \
             FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n \
             WHERE s.nspname = $1 AND i.indisprimary",
        schema,
    )
    .await;
    let pk = |table: &str, column: &str| -> i64 {
        pk_rows
            .iter()
            .find(|r| r.get::<_, String>(0) == table && r.get::<_, String>(1) == column)
            .map_or(0, |r| r.get(2))
    };
    for r in rows(
        client,
            "SELECT table_name::text, ordinal_position::bigint, column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns WHERE table_schema = $1",
        schema,
    )
    .await
    {
        let table: String = r.get(0);
        let name: String = r.get(2);
        facts.insert(Fact::Column {
            pk: pk(&table, &name),
            table,
            ordinal: r.get(1),
            name,
            ty: sqlite_type(r.get(3)),
            not_null: r.get::<_, String>(4) == "NO",
        });
    }
    let columns_of = |rel: &str, keys: &str| {
        format!(
            "array(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(n, o) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.o)"
        )
    };
    for r in rows(
        client,
            &format!(
                "SELECT t.relname::text, i.indisunique, {} FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = $1",
                columns_of("i.indrelid", "i.indkey::int2[]")
            ),
        schema,
    )
    .await
    {
        facts.insert(Fact::Index {
            table: r.get(0),
            unique: r.get(1),
            columns: r.get(2),
        });
    }
    for r in rows(
        client,
            &format!(
                "SELECT t.relname::text, {}, f.relname::text, {}, c.confdeltype::text FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid \
                 JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = $1 AND c.contype = 'f'",
                columns_of("c.conrelid", "c.conkey"),
                columns_of("c.confrelid", "c.confkey")
            ),
        schema,
    )
    .await
    {
        let table: String = r.get(0);
        let on_delete = match r.get::<_, String>(4).as_str() {
            "c" => "CASCADE",
            "a" => "NO ACTION",
            "r" => "RESTRICT",
            "n" => "SET NULL",
            _ => "SET DEFAULT",
        };
        facts.insert(Fact::ForeignKey {
            table,
            columns: r.get(1),
            references: r.get(2),
            ref_columns: r.get(3),
            on_delete: on_delete.to_string(),
        });
    }
    facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_logical_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endpoints.db");
    drop(SqliteStore::open(&path).unwrap());
    let lite = sqlite_facts(&path);
    assert!(
        lite.iter()
            .any(|f| matches!(f, Fact::Column { table, name, .. }
            if table == "short_link_to_endpoint_parameter" && name == "position")),
        "{lite:#?}"
    );
    let Some((client, url, schema)) = fresh_schema().await else {
        return;
    };
    let store = endpoints::store::open(Some(&url), Path::new(""))
        .await
        .unwrap();
    drop(store);
    let pg = postgres_facts(&client, &schema).await;
    drop_schema(&client, &schema).await;
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "the schemas differ\nonly in SQLite: {only_lite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}
