//! Files under `static/`, resolved and checked at load: the path (symlinks resolved) must stay inside `static/`,
//! the file must exist and be a regular file. Metadata, validators and the content type are computed once; small
//! files are also kept in memory so that serving them touches no disk.

use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

/// Files up to this size are held in memory after load.
pub const CACHE_FILE_MAX_BYTES: u64 = 256 * 1024;
/// All cached static files of one application together stay under this size.
pub const CACHE_TOTAL_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug)]
pub struct StaticFile {
    /// The name as written in the configuration (relative to `static/`).
    pub name: String,
    /// Canonical absolute path.
    pub path: PathBuf,
    /// The canonical `static/` directory it lies in: at request time the file is opened below it without
    /// following any link ([`StaticFile::open`]).
    pub root: PathBuf,
    pub content_type: HeaderValue,
    pub len: u64,
    pub modified: SystemTime,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    /// The whole file, for small files.
    pub contents: Option<Bytes>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaticFileError {
    #[error("Filename '{0}' attempts to reference outside application's 'static' directory")]
    Outside(String),
    #[error("Filename '{0}' not found in application's 'static' directory")]
    NotFound(String),
    #[error("Filename '{0}' in application's 'static' directory is not a regular file")]
    NotAFile(String),
    #[error("Filename '{0}' in application's 'static' directory cannot be read: {1}")]
    Unreadable(String, String),
}

/// The content type for a file name: the full MIME table, `charset=utf-8` on text types.
pub fn content_type_for(name: &str) -> HeaderValue {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let essence = mime.essence_str();
    let texty = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            essence,
            "application/javascript"
                | "application/json"
                | "application/xml"
                | "image/svg+xml"
                | "application/xhtml+xml"
        );
    let value = if texty && mime.get_param("charset").is_none() {
        format!("{essence}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

pub fn etag_for(len: u64, modified: SystemTime) -> HeaderValue {
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    HeaderValue::from_str(&format!("\"{len:x}-{nanos:x}\"")).expect("hex is a valid header value")
}

pub fn last_modified_for(modified: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(modified)).expect("HTTP date is a valid header")
}

impl StaticFile {
    /// Opens the file for reading as it is now (blocking). The path resolved at load is opened without following a
    /// link anywhere below `static/`: a file or directory replaced by a link after load (which a reload refuses) is
    /// not opened but reported as not found, and so is anything that is no longer a regular file.
    pub fn open(&self) -> std::io::Result<std::fs::File> {
        open_confined(&self.root, &self.path)
    }

    /// The file's contents: from memory when it is kept there, else read from disk through [`StaticFile::open`]
    /// (blocking).
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        if let Some(b) = &self.contents {
            return Ok(b.to_vec());
        }
        let mut f = self.open()?;
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut out)?;
        Ok(out)
    }
}

fn refused(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("{}: {why}", path.display()),
    )
}

/// Opens `path`, which lies below `root` (both canonical), refusing a link in any component below `root`: each
/// directory is checked not to be a link, the file is opened with `O_NOFOLLOW`, and the opened file must be the one
/// at `path` (on Linux the kernel's name of the open file must be `path` itself; elsewhere the directories are
/// checked again and device and inode compared), so that a swap between the checks and the opening is seen too.
fn open_confined(root: &Path, path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let rel = path
        .strip_prefix(root)
        .map_err(|_| refused(path, "not below the static directory"))?;
    let no_link_on_the_way = || -> std::io::Result<()> {
        let mut at = root.to_path_buf();
        let parts: Vec<_> = rel.components().collect();
        for c in &parts[..parts.len().saturating_sub(1)] {
            at.push(c);
            if !std::fs::symlink_metadata(&at)?.is_dir() {
                return Err(refused(
                    path,
                    "a directory on the way is a link or not a directory",
                ));
            }
        }
        Ok(())
    };
    no_link_on_the_way()?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => refused(path, "the file is a link"),
            _ => e,
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(path, "not a regular file"));
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    match std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(opened) if opened == path => Ok(file),
        Ok(_) => Err(refused(
            path,
            "a directory on the way was replaced while opening",
        )),
        Err(_) => {
            no_link_on_the_way()?;
            let now = std::fs::symlink_metadata(path)?;
            if now.dev() == meta.dev() && now.ino() == meta.ino() {
                Ok(file)
            } else {
                Err(refused(path, "replaced while opening"))
            }
        }
    }
}

/// Resolves `name` inside `static_dir`. A leading `/` counts as relative to `static/`.
pub fn resolve(
    static_dir: &Path,
    name: &str,
    cache_budget: &mut u64,
) -> Result<StaticFile, StaticFileError> {
    let relative = name.trim_start_matches('/');
    let rel_path = Path::new(relative);
    // Lexically, the name must not climb out of `static/` (e.g. `../x`, `a/../../x`); symlinks are checked below.
    let mut depth: i64 = 0;
    for c in rel_path.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth -= 1,
            Component::RootDir | Component::Prefix(_) => depth = -1,
        }
        if depth < 0 {
            return Err(StaticFileError::Outside(name.to_string()));
        }
    }
    if depth == 0 {
        return Err(StaticFileError::Outside(name.to_string()));
    }
    let canonical_dir = static_dir
        .canonicalize()
        .map_err(|_| StaticFileError::NotFound(name.to_string()))?;
    let candidate = canonical_dir.join(rel_path);
    let canonical = match candidate.canonicalize() {
        Ok(c) => c,
        Err(_) => {
            // A dangling symlink that points outside still counts as outside.
            if let Ok(target) = std::fs::read_link(&candidate) {
                let t = if target.is_absolute() {
                    target
                } else {
                    candidate.parent().unwrap_or(&canonical_dir).join(target)
                };
                if !t.starts_with(&canonical_dir) {
                    return Err(StaticFileError::Outside(name.to_string()));
                }
            }
            return Err(StaticFileError::NotFound(name.to_string()));
        }
    };
    if canonical == canonical_dir || !canonical.starts_with(&canonical_dir) {
        return Err(StaticFileError::Outside(name.to_string()));
    }
    let meta = std::fs::metadata(&canonical)
        .map_err(|e| StaticFileError::Unreadable(name.to_string(), e.to_string()))?;
    if !meta.is_file() {
        return Err(StaticFileError::NotAFile(name.to_string()));
    }
    let modified = meta.modified().unwrap_or(UNIX_EPOCH);
    let len = meta.len();
    let contents = if len <= CACHE_FILE_MAX_BYTES && len <= *cache_budget {
        let bytes = std::fs::read(&canonical)
            .map_err(|e| StaticFileError::Unreadable(name.to_string(), e.to_string()))?;
        if bytes.len() as u64 == len {
            *cache_budget -= len;
            Some(Bytes::from(bytes))
        } else {
            None // changed while reading: serve from disk
        }
    } else {
        None
    };
    Ok(StaticFile {
        name: name.to_string(),
        content_type: content_type_for(&canonical.to_string_lossy()),
        path: canonical,
        root: canonical_dir,
        len,
        modified,
        etag: etag_for(len, modified),
        last_modified: last_modified_for(modified),
        contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type_for("a.html"), "text/html; charset=utf-8");
        assert_eq!(content_type_for("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type_for("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type_for("a.pdf"), "application/pdf");
        assert_eq!(content_type_for("a.png"), "image/png");
        assert_eq!(content_type_for("a.unknownext"), "application/octet-stream");
    }

    #[test]
    fn resolves_inside_and_refuses_outside() {
        let dir = tempfile::tempdir().unwrap();
        let st = dir.path().join("static");
        std::fs::create_dir_all(st.join("sub")).unwrap();
        std::fs::write(st.join("sub/a.txt"), "hello").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
        let mut budget = CACHE_TOTAL_MAX_BYTES;
        let f = resolve(&st, "sub/a.txt", &mut budget).unwrap();
        assert_eq!(f.len, 5);
        assert_eq!(f.contents.as_deref(), Some(&b"hello"[..]));
        assert!(resolve(&st, "/sub/a.txt", &mut budget).is_ok());
        assert_eq!(
            resolve(&st, "../secret.txt", &mut budget).unwrap_err(),
            StaticFileError::Outside("../secret.txt".into())
        );
        assert_eq!(
            resolve(&st, "sub/../../secret.txt", &mut budget).unwrap_err(),
            StaticFileError::Outside("sub/../../secret.txt".into())
        );
        assert_eq!(
            resolve(&st, "missing.png", &mut budget).unwrap_err(),
            StaticFileError::NotFound("missing.png".into())
        );
        assert_eq!(
            resolve(&st, "sub", &mut budget).unwrap_err(),
            StaticFileError::NotAFile("sub".into())
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), st.join("link.txt")).unwrap();
            assert_eq!(
                resolve(&st, "link.txt", &mut budget).unwrap_err(),
                StaticFileError::Outside("link.txt".into())
            );
        }
    }
}
