//! Where the SQLite state file is, for `endpoints serve` and `endpoints log`.
//!
//! `--data-dir DIR` (or `ENDPOINTS_DATA_DIR`) names the directory: the file is `DIR/endpoints.db`. Without it, every
//! application gets its own file below the working directory, `endpoints-data/NAME/endpoints.db`, NAME being the
//! application's name (`--name` or its directory's name; with `--apps DIR` the name of DIR), so that two
//! applications started from one directory never compete for one file. The one file an earlier version kept for
//! every application, `endpoints-data/endpoints.db`, stays in use for an application that has no file of its own
//! while it holds that application's on-demand numbers or short links, so that they continue rather than start
//! again (its request-log entries alone do not keep it: `endpoints log --data-dir endpoints-data` still reads them).
//!
//! `endpoints log` without `--data-dir` reads `endpoints-data/A/endpoints.db` for `--application A` when it exists,
//! else the one state file below `endpoints-data/`; when there are several it names them and asks for
//! `--application` or `--data-dir`.

use std::path::{Path, PathBuf};

/// The directory below the working directory that holds the state files when `--data-dir` is not given.
pub const DEFAULT_DIR: &str = "endpoints-data";
/// The SQLite file's name inside its directory.
pub const FILE: &str = "endpoints.db";

/// The state file a server for the application (or the `--apps` directory) `name` opens; `served` are the names
/// of the applications it serves.
pub fn for_serving(data_dir: Option<&Path>, name: &str, served: &[String]) -> PathBuf {
    for_serving_below(Path::new(DEFAULT_DIR), data_dir, name, served)
}

fn for_serving_below(
    default_dir: &Path,
    data_dir: Option<&Path>,
    name: &str,
    served: &[String],
) -> PathBuf {
    if let Some(dir) = data_dir {
        return dir.join(FILE);
    }
    let own = default_dir.join(directory_name(name)).join(FILE);
    let earlier = default_dir.join(FILE);
    if !own.exists() && earlier.is_file() && holds_state_of(&earlier, served) {
        tracing::info!(
            "using the state file of an earlier version, {} (move it to {} to make it this application's own)",
            earlier.display(),
            own.display()
        );
        return earlier;
    }
    own
}

/// Whether the SQLite file at `path` holds on-demand numbers or short links of any of `applications`. A file that
/// cannot be read counts as holding them (it is then opened as before, and its problem reported there).
fn holds_state_of(path: &Path, applications: &[String]) -> bool {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return true;
    };
    applications.iter().any(|a| {
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM request_numbers WHERE application = ?1) \
             OR EXISTS (SELECT 1 FROM short_link_to_endpoint WHERE application = ?1)",
            [a],
            |row| row.get::<_, bool>(0),
        )
        .unwrap_or(true)
    })
}

/// The state file `endpoints log` reads.
pub fn for_reading(data_dir: Option<&Path>, application: Option<&str>) -> Result<PathBuf, String> {
    for_reading_below(Path::new(DEFAULT_DIR), data_dir, application)
}

fn for_reading_below(
    default_dir: &Path,
    data_dir: Option<&Path>,
    application: Option<&str>,
) -> Result<PathBuf, String> {
    if let Some(dir) = data_dir {
        return Ok(dir.join(FILE));
    }
    if let Some(a) = application {
        let own = default_dir.join(directory_name(a)).join(FILE);
        if own.is_file() {
            return Ok(own);
        }
    }
    let mut found = Vec::new();
    if default_dir.join(FILE).is_file() {
        found.push(default_dir.join(FILE));
    }
    if let Ok(entries) = std::fs::read_dir(default_dir) {
        let mut own: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join(FILE))
            .filter(|p| p.is_file())
            .collect();
        own.sort();
        found.extend(own);
    }
    match found.len() {
        0 => Err(format!(
            "no state file below {}/ in this directory (no server has run here yet?): run `endpoints log` where \
             `endpoints serve` runs, or name the server's directory with --data-dir DIR (or --database URL)",
            default_dir.display()
        )),
        1 => Ok(found.remove(0)),
        _ => Err(format!(
            "several state files below {}/: {}; choose one with --application NAME or --data-dir DIR",
            default_dir.display(),
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An application name as one directory name: anything but letters, digits, `_`, `-` and `.` becomes `-`, and a
/// name of dots only (or none) becomes `application`.
fn directory_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.chars().all(|c| c == '.') {
        "application".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_directory() {
        assert_eq!(directory_name("hello-world"), "hello-world");
        assert_eq!(directory_name("a/../b"), "a-..-b");
        assert_eq!(directory_name(".."), "application");
        assert_eq!(directory_name(""), "application");
    }

    #[test]
    fn serving_and_reading_find_the_same_file() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join(DEFAULT_DIR);
        let given = tmp.path().join("elsewhere");
        assert_eq!(
            for_serving_below(&base, Some(&given), "a", &names(&["a"])),
            given.join(FILE)
        );
        assert_eq!(
            for_reading_below(&base, Some(&given), None).unwrap(),
            given.join(FILE)
        );
        // Nothing there yet: reading names the directory and the flag.
        let err = for_reading_below(&base, None, None).unwrap_err();
        assert!(
            err.contains("no state file below") && err.contains("--data-dir"),
            "{err}"
        );

        let a = for_serving_below(&base, None, "a", &names(&["a"]));
        assert_eq!(a, base.join("a").join(FILE));
        std::fs::create_dir_all(a.parent().unwrap()).unwrap();
        std::fs::write(&a, b"").unwrap();
        // One application: found without flags.
        assert_eq!(for_reading_below(&base, None, None).unwrap(), a);

        let b = for_serving_below(&base, None, "b", &names(&["b"]));
        std::fs::create_dir_all(b.parent().unwrap()).unwrap();
        std::fs::write(&b, b"").unwrap();
        let err = for_reading_below(&base, None, None).unwrap_err();
        assert!(
            err.contains("several state files") && err.contains("--application"),
            "{err}"
        );
        assert_eq!(for_reading_below(&base, None, Some("b")).unwrap(), b);
    }

    #[test]
    fn an_earlier_shared_file_stays_in_use_while_it_holds_numbers_or_links() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join(DEFAULT_DIR);
        let earlier = base.join(FILE);
        drop(endpoints::store::sqlite::SqliteStore::open(&earlier).unwrap());
        // Only request-log entries (or nothing) of an application: it gets its own file.
        assert_eq!(
            for_serving_below(&base, None, "a", &names(&["a"])),
            base.join("a").join(FILE)
        );
        let conn = rusqlite::Connection::open(&earlier).unwrap();
        conn.execute(
            "INSERT INTO request_numbers (request_id, application, environment, datetime_ms, perpetual_number) \
             VALUES ('r1', 'a', 'live', 0, 1)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO short_link_to_endpoint (code, application, environment, endpoint, created_ms, expires_ms) \
             VALUES ('c1', 'b', 'live', 'e', 0, 1)",
            [],
        )
        .unwrap();
        drop(conn);
        // Numbers of `a`, a short link of `b`: both keep the earlier file; `c` and an --apps server without them do
        // not; one with `b` among its applications does.
        assert_eq!(for_serving_below(&base, None, "a", &names(&["a"])), earlier);
        assert_eq!(for_serving_below(&base, None, "b", &names(&["b"])), earlier);
        assert_eq!(
            for_serving_below(&base, None, "c", &names(&["c"])),
            base.join("c").join(FILE)
        );
        assert_eq!(
            for_serving_below(&base, None, "apps", &names(&["c", "d"])),
            base.join("apps").join(FILE)
        );
        assert_eq!(
            for_serving_below(&base, None, "apps", &names(&["c", "b"])),
            earlier
        );
        assert_eq!(for_reading_below(&base, None, Some("a")).unwrap(), earlier);
        // Once the application has its own file, that one is used.
        std::fs::create_dir_all(base.join("a")).unwrap();
        std::fs::write(base.join("a").join(FILE), b"").unwrap();
        assert_eq!(
            for_serving_below(&base, None, "a", &names(&["a"])),
            base.join("a").join(FILE)
        );
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }
}
