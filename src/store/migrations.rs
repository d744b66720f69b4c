//! The state schema, one numbered list of SQL migrations per backend (`migrations/sqlite/NNNN_*.sql`,
//! `migrations/postgres/NNNN_*.sql`). A backend records the last version it applied (SQLite
//! `PRAGMA user_version`, PostgreSQL the table `endpoints_schema`) and, on open, applies the later ones in order,
//! each in its own transaction. Version 1 is the schema the first releases created with `IF NOT EXISTS`, so a
//! database made before versions were recorded is taken up as it is.
//!
//! Both lists must end in the same logical schema (same tables, columns, indexes and constraints, types mapped
//! per backend); `tests/state.rs` compares them. Tables that exist for one backend's mechanics only
//! (`endpoints_schema`, `endpoints_number_lock`) are named in [`BACKEND_ONLY_TABLES`].

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The SQLite migrations, in order.
pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "short_link_parameter_position",
        sql: include_str!("migrations/sqlite/0002_short_link_parameter_position.sql"),
    },
];

/// The PostgreSQL migrations, in order.
pub const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("migrations/postgres/0001_initial.sql"),
}];

/// Tables one backend needs for its own mechanics, left out when the two schemas are compared.
pub const BACKEND_ONLY_TABLES: &[&str] = &["endpoints_schema", "endpoints_number_lock"];

/// The version the last migration of `list` leads to.
pub fn latest(list: &[Migration]) -> i64 {
    list.last().map_or(0, |m| m.version)
}

/// The migrations still to apply to a database at `current`; `Err(latest)` if the database is newer than this
/// engine knows.
pub fn pending(list: &'static [Migration], current: i64) -> Result<&'static [Migration], i64> {
    let latest = latest(list);
    if current > latest {
        return Err(latest);
    }
    Ok(&list[list.partition_point(|m| m.version <= current)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one() {
        for list in [SQLITE, POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            }
        }
    }

    #[test]
    fn pending_after_a_version() {
        assert_eq!(pending(SQLITE, 0).unwrap().len(), SQLITE.len());
        assert_eq!(pending(SQLITE, 1).unwrap()[0].version, 2);
        assert!(pending(SQLITE, latest(SQLITE)).unwrap().is_empty());
        assert_eq!(pending(POSTGRES, 7).unwrap_err(), latest(POSTGRES));
    }
}
