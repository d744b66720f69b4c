//! `<xml-from-database>` on MySQL/MariaDB: the synchronous `mysql` crate's pool on the blocking pool, made on first
//! use once the server's flavour (which statement-timeout variable) is known; read-only sessions; values bound as
//! strings; `TINYINT(1)`/`BIT(1)` as booleans, binary columns as base64.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::mysql::consts::ColumnType;
use ::mysql::prelude::Queryable;
use ::mysql::{Column, Conn, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Value};

use super::common::{Registry, CONNECT_TIMEOUT, POOL_SIZE, STATEMENT_TIMEOUT};
use super::format::{format_f32, format_f64, push_date, push_time, MYSQL_FLOAT};
use super::output::{base64, XmlOut};
use crate::config::model::database::{DatabaseQuery, NetTarget};

/// The pool is made on first use, once the server's flavour (which timeout variable) is known.
struct Entry {
    target: NetTarget,
    pool: Mutex<Option<Pool>>,
}

static ENTRIES: Registry<Arc<str>, Entry> = Registry::new();

fn entry(key: &Arc<str>, t: &NetTarget) -> Arc<Entry> {
    ENTRIES.get_or_insert(key, || Entry {
        target: t.clone(),
        pool: Mutex::new(None),
    })
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
