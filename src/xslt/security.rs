//! What libxml2/libxslt may read: nothing, except files under the directories of the current [`Scope`] that are
//! not on its deny list.
//!
//! Two layers, both keyed on the thread-local scope (all loading happens synchronously on the calling thread):
//! 1. per transform context, libxslt security preferences ([`SecurityPrefs`]): file reads go through
//!    [`read_file_check`]; file writes, directory creation and all network access are forbidden;
//! 2. process-wide, an external entity loader ([`install_entity_loader`]) through which libxml2 opens every
//!    external resource (stylesheets and their imports, `document()`, DTDs, external entities). It refuses any
//!    non-file URL and any file outside the scope; outside a scope (parsing request bodies) it refuses everything.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::errors::{report, XsltError};
use super::ffi;

/// Canonical directories below which files may be read, and canonical paths (files, or directories with everything
/// below them) that may never be read.
type Sandbox = (Vec<PathBuf>, Vec<PathBuf>);

thread_local! {
    static ROOTS: RefCell<Sandbox> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// While alive, files under `roots` (canonical directories), except those under `deny` (canonical paths), may be
/// read on this thread.
pub(crate) struct Scope {
    previous: Sandbox,
}

impl Scope {
    pub(crate) fn enter(roots: Vec<PathBuf>, deny: Vec<PathBuf>) -> Scope {
        let previous = ROOTS.with(|r| std::mem::replace(&mut *r.borrow_mut(), (roots, deny)));
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.previous);
        ROOTS.with(|r| *r.borrow_mut() = previous);
    }
}

/// Whether libxml2 may open `url` (a URL or path as libxml2 passes it) under the current scope: every candidate
/// path that exists (or whose directory exists) lies under a root and under no denied path, and there is at least
/// one such candidate.
fn allowed(url: &[u8]) -> bool {
    let Some(candidates) = local_candidates(url) else {
        return false; // network or another scheme
    };
    let resolved: Vec<PathBuf> = candidates.iter().filter_map(|p| resolve(p)).collect();
    ROOTS.with(|sandbox| {
        let (roots, deny) = &*sandbox.borrow();
        !roots.is_empty()
            && !resolved.is_empty()
            && resolved.iter().all(|p| {
                roots.iter().any(|r| p.starts_with(r)) && !deny.iter().any(|d| p.starts_with(d))
            })
    })
}

/// The local paths libxml2 might open for `url`: the path as given and, when it has `%` escapes, the unescaped
/// form (libxml2's `xmlFileOpen` tries both). `None` when `url` has a scheme other than a local `file:`.
fn local_candidates(url: &[u8]) -> Option<Vec<PathBuf>> {
    let to_path = |b: &[u8]| PathBuf::from(OsStr::from_bytes(b));
    let mut out = vec![to_path(strip_file_scheme(url)?)];
    if url.contains(&b'%') {
        let decoded = unescape(url);
        out.push(to_path(strip_file_scheme(&decoded)?));
    }
    Some(out)
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as it is.
fn unescape(url: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(url).collect()
}

/// Mirrors `xmlFileOpen_real`: `file://localhost/p`, `file:///p` and `file:/p` mean `/p`; a plain path is
/// itself; anything else with a scheme is not a local file.
fn strip_file_scheme(url: &[u8]) -> Option<&[u8]> {
    let starts = |prefix: &str| {
        url.len() >= prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    if starts("file://localhost/") {
        Some(&url[16..])
    } else if starts("file:///") {
        Some(&url[7..])
    } else if starts("file:/") && !starts("file://") {
        Some(&url[5..])
    } else if has_scheme(url) {
        None
    } else {
        Some(url)
    }
}

fn has_scheme(url: &[u8]) -> bool {
    match url.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => {
            url[0].is_ascii_alphabetic()
                && url[..colon]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        }
        _ => false,
    }
}

/// The canonical form of `path` (relative paths are relative to the working directory, as for libxml2). A path
/// that does not exist is resolved through its parent directory, so that a missing file under the sandbox is
/// allowed (and then fails to load like with xsltproc) while `..` tricks are still seen through.
fn resolve(path: &Path) -> Option<PathBuf> {
    if path.as_os_str().is_empty() {
        return None;
    }
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// `XSLT_SECPREF_READ_FILE` check: 1 allows, 0 refuses (libxslt then reports "Local file read for … refused").
unsafe extern "C" fn read_file_check(
    _sec: *mut ffi::xsltSecurityPrefs,
    _ctxt: *mut ffi::xsltTransformContext,
    value: *const c_char,
) -> c_int {
    std::panic::catch_unwind(|| {
        // SAFETY: libxslt passes NULL or the NUL-terminated path of the parsed URI, valid during this call.
        !value.is_null() && allowed(unsafe { CStr::from_ptr(value) }.to_bytes())
    })
    .unwrap_or(false)
    .into()
}

/// Per-transform libxslt security preferences; freed on drop (after the transform context that uses them).
pub(crate) struct SecurityPrefs(*mut ffi::xsltSecurityPrefs);

impl SecurityPrefs {
    pub(crate) fn new() -> Result<SecurityPrefs, XsltError> {
        // SAFETY: allocates a fresh preferences object; NULL (out of memory) is checked.
        let sec = unsafe { ffi::xsltNewSecurityPrefs() };
        if sec.is_null() {
            return Err(XsltError::msg(
                "could not allocate XSLT security preferences",
            ));
        }
        let prefs = SecurityPrefs(sec);
        let forbid: ffi::xsltSecurityCheck = ffi::xsltSecurityForbid;
        let settings: [(c_int, ffi::xsltSecurityCheck); 5] = [
            (ffi::XSLT_SECPREF_READ_FILE, read_file_check),
            (ffi::XSLT_SECPREF_WRITE_FILE, forbid),
            (ffi::XSLT_SECPREF_CREATE_DIRECTORY, forbid),
            (ffi::XSLT_SECPREF_READ_NETWORK, forbid),
            (ffi::XSLT_SECPREF_WRITE_NETWORK, forbid),
        ];
        for (option, check) in settings {
            // SAFETY: `sec` is a valid preferences object owned by `prefs`; the callbacks have the
            // `xsltSecurityCheck` signature and live for the whole program.
            if unsafe { ffi::xsltSetSecurityPrefs(sec, option, Some(check)) } != 0 {
                return Err(XsltError::msg("could not set XSLT security preferences"));
            }
        }
        Ok(prefs)
    }

    /// Applies the preferences to a transform context, which must be freed before `self`.
    pub(crate) fn apply(&self, ctxt: *mut ffi::xsltTransformContext) -> Result<(), XsltError> {
        // SAFETY: both pointers are valid; the context only borrows the preferences, and callers free the
        // context before dropping `self`.
        if unsafe { ffi::xsltSetCtxtSecurityPrefs(self.0, ctxt) } != 0 {
            return Err(XsltError::msg("could not apply XSLT security preferences"));
        }
        Ok(())
    }
}

impl Drop for SecurityPrefs {
    fn drop(&mut self) {
        // SAFETY: we own the object, allocated by xsltNewSecurityPrefs and freed only here.
        unsafe { ffi::xsltFreeSecurityPrefs(self.0) }
    }
}

static ORIGINAL_LOADER: OnceLock<Option<ffi::xmlExternalEntityLoader>> = OnceLock::new();

/// Replaces libxml2's external entity loader (process-wide) by [`entity_loader`]. Called once from `init`.
pub(crate) fn install_entity_loader() {
    // SAFETY: reading and replacing the global loader pointer; done once under `init`'s `Once`, before any other
    // use of the library by this crate.
    unsafe {
        let original = ffi::xmlGetExternalEntityLoader();
        let _ = ORIGINAL_LOADER.set(original);
        ffi::xmlSetExternalEntityLoader(Some(entity_loader));
    }
}

/// Opens an external resource through libxml2's original loader if [`allowed`], else refuses (NULL).
unsafe extern "C" fn entity_loader(
    url: *const c_char,
    id: *const c_char,
    ctxt: *mut ffi::xmlParserCtxt,
) -> *mut ffi::xmlParserInput {
    let verdict = std::panic::catch_unwind(|| {
        if url.is_null() {
            return Err(String::from("(no URL)"));
        }
        // SAFETY: libxml2 passes a NUL-terminated URL valid during this call.
        let bytes = unsafe { CStr::from_ptr(url) }.to_bytes();
        if allowed(bytes) {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(bytes).into_owned())
        }
    });
    match verdict {
        Ok(Ok(())) => match ORIGINAL_LOADER.get() {
            // SAFETY: the original loader is libxml2's own, called with the arguments we received.
            Some(Some(original)) => unsafe { original(url, id, ctxt) },
            _ => std::ptr::null_mut(),
        },
        Ok(Err(url)) => {
            report(format!("refused to load external resource '{url}' (outside the application directory or not a local file)"));
            std::ptr::null_mut()
        }
        Err(_) => std::ptr::null_mut(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_and_schemes() {
        assert_eq!(
            strip_file_scheme(b"file:///etc/passwd"),
            Some(&b"/etc/passwd"[..])
        );
        assert_eq!(
            strip_file_scheme(b"FILE://localhost/etc/x"),
            Some(&b"/etc/x"[..])
        );
        assert_eq!(strip_file_scheme(b"file:/etc/x"), Some(&b"/etc/x"[..]));
        assert_eq!(strip_file_scheme(b"file://evil/etc/x"), None);
        assert_eq!(strip_file_scheme(b"http://127.0.0.1:9/x"), None);
        assert_eq!(strip_file_scheme(b"ftp://h/x"), None);
        assert_eq!(strip_file_scheme(b"data/x.xml"), Some(&b"data/x.xml"[..]));
        assert_eq!(
            strip_file_scheme(b"/abs/x:y.xml"),
            Some(&b"/abs/x:y.xml"[..])
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(unescape(b"/a/%2e%2E/b%20c"), b"/a/../b c");
        assert_eq!(unescape(b"100%"), b"100%");
        assert_eq!(unescape(b"%zz%4"), b"%zz%4");
    }

    #[test]
    fn sandbox_allows_only_files_under_the_roots() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("in.xml"), "<a/>").unwrap();
        let inside = root.join("in.xml");
        let inside_s = inside.to_str().unwrap();

        assert!(
            !allowed(inside_s.as_bytes()),
            "no scope: nothing is allowed"
        );
        let _scope = Scope::enter(
            vec![root.clone()],
            vec![root.join("denied.xml"), root.join("private")],
        );
        assert!(allowed(inside_s.as_bytes()));
        assert!(allowed(format!("file://{inside_s}").as_bytes()));
        assert!(allowed(
            root.join("missing.xml").to_str().unwrap().as_bytes()
        ));
        assert!(!allowed(b"/etc/passwd"));
        assert!(!allowed(b"file:///etc/passwd"));
        assert!(!allowed(
            format!("{}/../../../../etc/passwd", root.display()).as_bytes()
        ));
        assert!(!allowed(
            format!("{}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", root.display()).as_bytes()
        ));
        assert!(!allowed(b"http://127.0.0.1:9/x"));
        // libxml2 escapes paths that are not valid URIs ("my dir" → "my%20dir").
        std::fs::create_dir(root.join("my dir")).unwrap();
        std::fs::write(root.join("my dir/x.xml"), "<a/>").unwrap();
        assert!(allowed(
            format!("{}/my%20dir/x.xml", root.display()).as_bytes()
        ));
        assert!(!allowed(b"/nonexistent-dir/x.xml"), "nothing resolvable");
        std::fs::write(root.join("denied.xml"), "<a/>").unwrap();
        std::fs::create_dir(root.join("private")).unwrap();
        std::fs::write(root.join("private/x.xml"), "<a/>").unwrap();
        for denied in [
            "denied.xml",
            "private/x.xml",
            "private/../denied.xml",
            "my dir/../denied.xml",
        ] {
            assert!(
                !allowed(root.join(denied).to_str().unwrap().as_bytes()),
                "{denied}"
            );
        }
        assert!(!allowed(
            format!("file://{}/private/x.xml", root.display()).as_bytes()
        ));
        std::os::unix::fs::symlink(root.join("denied.xml"), root.join("to-denied.xml")).unwrap();
        assert!(
            !allowed(root.join("to-denied.xml").to_str().unwrap().as_bytes()),
            "links are resolved"
        );
        std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
        assert!(
            !allowed(root.join("link").to_str().unwrap().as_bytes()),
            "symlinks are resolved"
        );
    }
}
