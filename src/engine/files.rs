//! `endpoints.task.SaveUploadsTask`: uploaded files (and a metadata file) written below a base directory. A path
//! that would leave the base directory is refused; an existing file is never overwritten (a free name is chosen:
//! `scan.pdf`, `scan-2.pdf`, …).

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::failure::Failure;
use crate::config::model::task::SaveUploadsTask;

/// The sub-directory below `base`, refusing anything that climbs out (`..`, absolute paths, symlinks outside).
fn target_dir(base: &Path, sub: &str) -> Result<PathBuf, Failure> {
    let rel = Path::new(sub.trim_matches('/'));
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(Failure::bad_request(format!(
            "Directory '{sub}' is not allowed"
        )));
    }
    let dir = base.join(rel);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::hidden(format!("cannot create {}: {e}", dir.display())))?;
    let canonical = dir
        .canonicalize()
        .map_err(|e| Failure::hidden(e.to_string()))?;
    if !canonical.starts_with(base) {
        return Err(Failure::bad_request(format!(
            "Directory '{sub}' is not allowed"
        )));
    }
    Ok(canonical)
}

/// A file name without any directory part, control characters or a leading dot.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "upload".to_string()
    } else {
        cleaned.to_string()
    }
}

/// Creates `dir/name`, or `dir/stem-2.ext`, … when it exists; never overwrites.
fn create_new(dir: &Path, name: &str) -> Result<(std::fs::File, PathBuf), Failure> {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    for n in 1..10_000 {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            format!("{stem}-{n}{ext}")
        };
        let path = dir.join(&candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Failure::hidden(format!(
                    "cannot create {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Err(Failure::hidden(format!(
        "no free file name for '{name}' in {}",
        dir.display()
    )))
}

pub fn save_uploads(
    task: &SaveUploadsTask,
    sub: &str,
    uploads: &[(String, crate::request::UploadData)],
    metadata: &str,
) -> Result<(), Failure> {
    let dir = target_dir(&task.base, sub)?;
    for (name, from) in uploads {
        let (mut f, path) = create_new(&dir, &safe_name(name))?;
        from.copy_to(&mut f).map_err(|e| {
            Failure::hidden(format!("cannot copy upload to {}: {e}", path.display()))
        })?;
    }
    if let Some(m) = &task.metadata_file {
        let (mut f, path) = create_new(&dir, m)?;
        f.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .and_then(|()| f.write_all(metadata.as_bytes()))
            .map_err(|e| Failure::hidden(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_and_nothing_is_overwritten() {
        let base = tempfile::tempdir().unwrap();
        let b = base.path().canonicalize().unwrap();
        assert!(target_dir(&b, "../x").is_err());
        assert!(
            target_dir(&b, "/etc").is_ok_and(|p| p.starts_with(&b)),
            "a leading slash stays below the base"
        );
        assert!(target_dir(&b, "a/../../x").is_err());
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\scans\\a.pdf"), "a.pdf");
        assert_eq!(safe_name(".hidden"), "hidden");
        let d = target_dir(&b, "job-1").unwrap();
        let (_, p1) = create_new(&d, "scan.pdf").unwrap();
        let (_, p2) = create_new(&d, "scan.pdf").unwrap();
        assert_eq!(p1.file_name().unwrap(), "scan.pdf");
        assert_eq!(p2.file_name().unwrap(), "scan-2.pdf");
    }
}
