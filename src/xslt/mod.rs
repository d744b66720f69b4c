//! XSLT 1.0 (plus EXSLT) through libxml2 2.9 / libxslt 1.1: the only module of the crate with `unsafe`.
//!
//! * [`Stylesheet`]: compiled once per file (configuration path), then shared by `Arc` and used by many threads
//!   at once; [`Stylesheet::transform`] parses, transforms with string parameters and serialises exactly as
//!   `xsltproc --stringparam` would (honouring `xsl:output`).
//! * [`Document`]: an owned, parsed XML (or lenient HTML) document; never leaves the thread that made it.
//! * [`XsltError`]: every libxml2/libxslt diagnostic of the failed call, with file and line; nothing is ever
//!   printed to stderr.
//!
//! Security: request documents are parsed without DTD loading, entity substitution or network, and documents
//! whose DOCTYPE declares entities are refused (no XXE, no entity bombs). Inside a transformation, `document()`
//! may read only files under the stylesheet's application directory; writing files (`exsl:document`), creating
//! directories and any network access are refused. Extension functions: see `functions.rs`.
//!
//! Threading rules that make sharing a `Stylesheet` sound (checked with 80,000 concurrent transforms of one stylesheet): after compilation
//! the stylesheet is only read (`xsltNewTransformContext`, `xsltApplyStylesheetUser`, `xsltSaveResultToString`);
//! every per-run object (input document, transform context, result, security preferences) is created and freed
//! on the calling thread within one call; the global registries (extension functions, EXSLT, handlers, entity
//! loader) are set up once by [`init`] before anything else.
//!
//! Layout: `ffi` (declarations), `shim.c` (variadic error callbacks and struct-field reads, built by
//! `build.rs`), `errors` (capture), `security` (sandbox), `functions` (extension functions), `output`
//! (`xsl:output` read with roxmltree), `allocator` (memory given back after large documents).

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod allocator;
mod errors;
mod ffi;
mod functions;
mod output;
mod security;

use std::ffi::{c_char, c_int, CStr, CString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Once;

use errors::Capture;
pub use errors::XsltError;
pub use output::{OutputInfo, OutputMethod};
use security::{Scope, SecurityPrefs};

/// Larger input documents are refused before parsing.
const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Parser options for untrusted documents and for `document()`: no network, CDATA merged into text (as
/// xsltproc does); deliberately no NOENT (entity substitution), DTDLOAD, DTDATTR, HUGE or RECOVER.
const PARSE_OPTIONS: c_int = ffi::XML_PARSE_NONET | ffi::XML_PARSE_NOCDATA;
const HTML_PARSE_OPTIONS: c_int = ffi::HTML_PARSE_NONET
    | ffi::HTML_PARSE_NOERROR
    | ffi::HTML_PARSE_NOWARNING
    | ffi::HTML_PARSE_RECOVER;

static INIT: Once = Once::new();

/// Initialises libxml2, libxslt and EXSLT, registers the extension functions, installs the error handlers
/// (so that nothing reaches stderr) and the sandboxing external entity loader. Idempotent and process-wide;
/// called implicitly by everything else in this module.
pub fn init() {
    INIT.call_once(|| {
        if !allocator::libxml2_uses_mimalloc() {
            tracing::warn!("libxml2 refused mimalloc as its allocator; it keeps the C library's");
        }
        // SAFETY: one-time global initialisation in the order libxslt documents (parser, XSLT, EXSLT), then
        // the shim's handlers; guarded by `Once`, so it runs before any other call of this module.
        unsafe {
            ffi::xmlInitParser();
            // libxml2 2.9 initialises its catalog lazily on the first entity lookup, and two threads doing that at
            // once can leave the catalog mutex locked forever (seen as a deadlock in xmlCatalogResolve). Do it
            // here, once, and then switch catalogs off: the application never needs them.
            ffi::xmlInitializeCatalog();
            ffi::xmlCatalogSetDefaults(0); // XML_CATA_ALLOW_NONE
            ffi::xsltInit();
            ffi::exsltRegisterAll();
            ffi::endpoints_xslt_install_global_handlers();
        }
        security::install_entity_loader();
        functions::register();
    });
}

/// The top-level `xsl:output` of the stylesheet at `path` (merged over imports and includes), read without
/// compiling it: for stylesheets another engine runs.
pub fn read_output(path: &Path) -> OutputInfo {
    output::read_declarations(path).output
}

/// A compiled stylesheet. Compile once, then share by `Arc` and transform from any number of threads.
pub struct Stylesheet {
    ptr: NonNull<ffi::xsltStylesheet>,
    /// Canonical directories: `document()` may read only below them…
    sandbox_roots: Vec<PathBuf>,
    /// …and never these (files, or directories with everything below them).
    sandbox_deny: Vec<PathBuf>,
    output: OutputInfo,
    /// The stylesheet strips whitespace, which libxslt does *in the input document*.
    strips_space: bool,
}

// SAFETY: after compilation the stylesheet is never modified: transformations only pass it to
// xsltNewTransformContext / xsltApplyStylesheetUser / xsltSaveResultToString, which keep all per-run state in the
// transform context (whose dictionary is a sub-dictionary of the stylesheet's, reference-counted under libxml2's
// lock). It is freed only in Drop, when no reference (and so no transformation) remains. Measured: 80,000
// concurrent transforms on one stylesheet without a mismatch, and the thread test here.
unsafe impl Send for Stylesheet {}
// SAFETY: see `Send`: shared use is read-only.
unsafe impl Sync for Stylesheet {}

impl Stylesheet {
    /// Compiles the stylesheet at `path` (with its imports and includes). `sandbox_root` is the application
    /// directory: `document()` in this stylesheet may only read files under it (imports may also come from the
    /// stylesheet's own directory).
    pub fn compile_file(path: &Path, sandbox_root: &Path) -> Result<Stylesheet, XsltError> {
        let sandbox_root = sandbox_root.canonicalize().map_err(|e| {
            XsltError::msg(format!(
                "application directory {}: {e}",
                sandbox_root.display()
            ))
        })?;
        Self::compile_inner(path, vec![sandbox_root], Vec::new(), true)
    }

    /// Compiles the stylesheet at `path` (with its imports and includes), which may read (imports, includes,
    /// `document()`) only files below the canonical directories `roots`, and never the canonical paths `deny`
    /// (a directory with everything below it).
    pub fn compile_sandboxed(
        path: &Path,
        roots: Vec<PathBuf>,
        deny: Vec<PathBuf>,
    ) -> Result<Stylesheet, XsltError> {
        Self::compile_inner(path, roots, deny, false)
    }

    /// `imports_beside`: imports and includes may also come from the stylesheet's own directory.
    fn compile_inner(
        path: &Path,
        sandbox_roots: Vec<PathBuf>,
        sandbox_deny: Vec<PathBuf>,
        imports_beside: bool,
    ) -> Result<Stylesheet, XsltError> {
        init();
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| XsltError::msg(format!("{}: path contains a NUL byte", path.display())))?;
        let mut roots = sandbox_roots.clone();
        if imports_beside {
            if let Some(dir) = path.canonicalize().ok().as_deref().and_then(Path::parent) {
                if !roots.iter().any(|r| dir.starts_with(r)) {
                    roots.push(dir.to_path_buf());
                }
            }
        }

        let capture = Capture::begin();
        let style = {
            let _scope = Scope::enter(roots, sandbox_deny.clone());
            // SAFETY: `c_path` is a NUL-terminated path; the result is a new stylesheet (or NULL) that we own.
            unsafe { ffi::xsltParseStylesheetFile(c_path.as_ptr().cast()) }
        };
        let style = NonNull::new(style);
        // SAFETY: a non-NULL stylesheet just returned by libxslt; the shim reads its error counter.
        let errors = style.map_or(1, |s| unsafe {
            ffi::endpoints_xslt_style_errors(s.as_ptr())
        });
        let captured = capture.finish();
        let failed = errors > 0 || captured.compilation_error;
        let messages = captured.messages;
        let ptr = match style {
            Some(s) if !failed => s,
            other => {
                if let Some(s) = other {
                    // SAFETY: we own the (failed) stylesheet and nothing else refers to it.
                    unsafe { ffi::xsltFreeStylesheet(s.as_ptr()) };
                }
                let reason = format!("{}: could not compile the stylesheet", path.display());
                return Err(XsltError::with(messages, &reason));
            }
        };
        if !messages.is_empty() {
            tracing::debug!(stylesheet = %path.display(), "XSLT compile warnings: {}", messages.join("; "));
        }
        let declarations = output::read_declarations(path);
        Ok(Stylesheet {
            ptr,
            sandbox_roots,
            sandbox_deny,
            output: declarations.output,
            strips_space: declarations.strips_space,
        })
    }

    /// The stylesheet's top-level `xsl:output` (merged over imports and includes).
    pub fn output(&self) -> &OutputInfo {
        &self.output
    }

    /// Parses `input` with [`Document::parse`] and transforms it. `params` are global `xsl:param` values taken
    /// literally (like `xsltproc --stringparam`; quotes of both kinds are fine). Returns the result serialised
    /// exactly as xsltproc writes it (honouring `xsl:output`).
    pub fn transform(&self, input: &[u8], params: &[(&str, &str)]) -> Result<Vec<u8>, XsltError> {
        let doc = Document::parse(input)?;
        self.apply(&doc, params)
    }

    /// Like [`transform`](Self::transform), with an already parsed document, which is left unmodified.
    pub fn transform_doc(
        &self,
        input: &Document,
        params: &[(&str, &str)],
    ) -> Result<Vec<u8>, XsltError> {
        if self.strips_space {
            // libxslt removes stripped whitespace from the input tree itself: work on a copy.
            let copy = input.deep_copy()?;
            self.apply(&copy, params)
        } else {
            self.apply(input, params)
        }
    }

    /// Transforms `doc` (which libxslt may modify, see `strips_space`).
    fn apply(&self, doc: &Document, params: &[(&str, &str)]) -> Result<Vec<u8>, XsltError> {
        init();
        let mut strings = Vec::with_capacity(params.len() * 2);
        for &(name, value) in params {
            for s in [name, value] {
                let c = CString::new(s).map_err(|_| {
                    XsltError::msg(format!(
                        "stylesheet parameter '{name}' contains a NUL character"
                    ))
                })?;
                strings.push(c);
            }
        }
        let mut param_ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        param_ptrs.push(ptr::null());

        let capture = Capture::begin();
        let result = self.run(doc.ptr, &param_ptrs);
        let messages = capture.finish().messages;
        match result {
            Ok(out) => {
                if !messages.is_empty() {
                    tracing::debug!("XSLT messages: {}", messages.join("; "));
                }
                Ok(out)
            }
            Err(reason) => Err(XsltError::with(messages, reason)),
        }
    }

    /// One transformation; every libxml object it creates is freed before it returns (RAII guards, dropped in
    /// reverse order: result, context, security preferences).
    fn run(
        &self,
        doc: NonNull<ffi::xmlDoc>,
        params: &[*const c_char],
    ) -> Result<Vec<u8>, &'static str> {
        let prefs =
            SecurityPrefs::new().map_err(|_| "could not create the security preferences")?;
        // SAFETY: the stylesheet is valid for `&self`; `doc` is a live document owned by the caller on this
        // thread and outlives the context (freed at the end of this function).
        let ctxt = TransformContext(unsafe {
            ffi::xsltNewTransformContext(self.ptr.as_ptr(), doc.as_ptr())
        });
        if ctxt.0.is_null() {
            return Err("could not create the transformation context");
        }
        prefs
            .apply(ctxt.0)
            .map_err(|_| "could not apply the security preferences")?;
        // SAFETY: `ctxt` is valid; these only set fields of the context.
        unsafe {
            ffi::endpoints_xslt_set_transform_error(ctxt.0);
            ffi::xsltSetCtxtParseOptions(ctxt.0, PARSE_OPTIONS);
        }
        // SAFETY: `params` is a NULL-terminated array of name/value C strings that outlive this call; libxslt
        // copies the values.
        if unsafe { ffi::xsltQuoteUserParams(ctxt.0, params.as_ptr()) } != 0 {
            return Err("invalid stylesheet parameters");
        }
        let result = {
            let _scope = Scope::enter(self.sandbox_roots.clone(), self.sandbox_deny.clone());
            // SAFETY: stylesheet, document and context are valid; params were given to the context above, so
            // none are passed here. The result (or NULL) is ours to free.
            OwnedDoc(unsafe {
                ffi::xsltApplyStylesheetUser(
                    self.ptr.as_ptr(),
                    doc.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    ptr::null_mut(),
                    ctxt.0,
                )
            })
        };
        // SAFETY: `ctxt` is valid; the shim reads its state (an error or xsl:message terminate="yes").
        if result.0.is_null() || unsafe { ffi::endpoints_xslt_ctxt_failed(ctxt.0) } != 0 {
            return Err("the transformation failed");
        }
        let mut text: *mut ffi::xmlChar = ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: result and stylesheet are valid; on success `text` is a new buffer of `len` bytes (or NULL for
        // empty output) that we free below.
        let rc = unsafe {
            ffi::xsltSaveResultToString(&mut text, &mut len, result.0, self.ptr.as_ptr())
        };
        let out = if text.is_null() || len <= 0 {
            Vec::new()
        } else {
            // SAFETY: libxslt returned `len` initialised bytes at `text`.
            unsafe { std::slice::from_raw_parts(text, len as usize) }.to_vec()
        };
        // SAFETY: `text` is NULL or was allocated by libxml2 for us; not used afterwards.
        unsafe { ffi::endpoints_xslt_free(text.cast()) };
        if rc != 0 {
            return Err("could not serialise the result");
        }
        Ok(out)
    }
}

impl Drop for Stylesheet {
    fn drop(&mut self) {
        // SAFETY: we own the stylesheet; `&mut self` means no transformation is using it.
        unsafe { ffi::xsltFreeStylesheet(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Stylesheet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stylesheet")
            .field("sandbox_roots", &self.sandbox_roots)
            .field("sandbox_deny", &self.sandbox_deny)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

/// Frees a transform context on drop.
struct TransformContext(*mut ffi::xsltTransformContext);

impl Drop for TransformContext {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: we own the context; it frees the documents loaded by document() but not the input.
            unsafe { ffi::xsltFreeTransformContext(self.0) }
        }
    }
}

/// Frees a libxml document (or nothing, when NULL) on drop.
struct OwnedDoc(*mut ffi::xmlDoc);

impl Drop for OwnedDoc {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: we own the document and nothing refers to it any more.
            unsafe { ffi::xmlFreeDoc(self.0) }
        }
    }
}

/// A parsed document (libxml2 `xmlDoc`). Owned; neither `Send` nor `Sync` (the raw pointer sees to that), so it
/// never leaves the thread that parsed it:
///
/// ```compile_fail
/// fn must_be_send<T: Send>(_: T) {}
/// let doc = endpoints::xslt::Document::parse(b"<a/>").unwrap();
/// must_be_send(doc);
/// ```
pub struct Document {
    ptr: NonNull<ffi::xmlDoc>,
}

impl Document {
    /// Parses untrusted XML safely: no DTD loading, no external entities, no entity substitution, no network
    /// (`XML_PARSE_NONET | XML_PARSE_NOCDATA`; every external load is refused), and a DOCTYPE whose internal
    /// subset declares entities is an error. Inputs over 64 MiB are refused. Errors carry line and column.
    pub fn parse(bytes: &[u8]) -> Result<Document, XsltError> {
        check_size(bytes)?;
        let doc = parse_with(|| {
            // SAFETY: pointer and length describe `bytes` (size checked to fit c_int); no URL or encoding.
            unsafe {
                ffi::xmlReadMemory(
                    bytes.as_ptr().cast(),
                    bytes.len() as c_int,
                    ptr::null(),
                    ptr::null(),
                    PARSE_OPTIONS,
                )
            }
        })
        .map_err(|messages| XsltError::with(messages, "the document is not well-formed XML"))?;
        // SAFETY: `doc` is a valid document; the shim only reads its internal subset.
        if unsafe { ffi::endpoints_xslt_declares_entities(doc.ptr.as_ptr()) } != 0 {
            return Err(XsltError::msg(
                "the document's DOCTYPE declares entities, which are not accepted",
            ));
        }
        // SAFETY: valid document we own; stamps document order into element nodes (faster XPath sorting), as
        // libxslt does for documents it loads itself.
        unsafe { ffi::xmlXPathOrderDocElems(doc.ptr.as_ptr()) };
        Ok(doc)
    }

    /// Parses lenient HTML (a fetched web page): `htmlReadMemory` with NONET, RECOVER and no error reports. The
    /// tree has lower-case element names without namespace, rooted at `<html>`.
    pub fn parse_html(bytes: &[u8]) -> Result<Document, XsltError> {
        check_size(bytes)?;
        parse_with(|| {
            // SAFETY: pointer and length describe `bytes` (size checked to fit c_int); no URL, encoding detected.
            unsafe {
                ffi::htmlReadMemory(
                    bytes.as_ptr().cast(),
                    bytes.len() as c_int,
                    ptr::null(),
                    ptr::null(),
                    HTML_PARSE_OPTIONS,
                )
            }
        })
        .map_err(|messages| XsltError::with(messages, "could not parse the HTML document"))
    }

    /// Local name of the root element.
    pub fn root_name(&self) -> Option<String> {
        // SAFETY: valid document; the returned name (or NULL) is owned by the document, copied before use ends.
        let name = unsafe { ffi::endpoints_xslt_root_name(self.ptr.as_ptr()) };
        if name.is_null() {
            return None;
        }
        // SAFETY: not NULL; node names are NUL-terminated and live as long as the document (borrowed by `self`).
        let name = unsafe { CStr::from_ptr(name.cast()) };
        Some(name.to_string_lossy().into_owned())
    }

    /// The whole document as UTF-8 XML; `with_declaration` controls the `<?xml version="1.0" encoding="UTF-8"?>`
    /// line. HTML documents are written as XML too.
    pub fn to_xml(&self, with_declaration: bool) -> Vec<u8> {
        let options = if with_declaration {
            0
        } else {
            ffi::XML_SAVE_NO_DECL
        };
        self.save(false, options | ffi::XML_SAVE_AS_XML)
    }

    /// Only the root element as UTF-8 XML (no declaration, no DOCTYPE), for embedding in another XML text.
    pub fn root_to_xml(&self) -> Vec<u8> {
        self.save(true, ffi::XML_SAVE_NO_DECL | ffi::XML_SAVE_AS_XML)
    }

    fn save(&self, root_only: bool, options: c_int) -> Vec<u8> {
        init();
        let _capture = Capture::begin(); // serializer diagnostics are of no use here; keep them off stderr
                                         // SAFETY: a fresh buffer we free below; NULL (out of memory) is checked.
        let buf = unsafe { ffi::xmlBufferCreate() };
        if buf.is_null() {
            return Vec::new();
        }
        // SAFETY: valid buffer; the save context writes into it and is closed (flushed and freed) below.
        let save = unsafe { ffi::xmlSaveToBuffer(buf, c"UTF-8".as_ptr(), options) };
        if !save.is_null() {
            // SAFETY: valid save context and document; the root (when present) belongs to the document.
            unsafe {
                if root_only {
                    let root = ffi::xmlDocGetRootElement(self.ptr.as_ptr());
                    if !root.is_null() {
                        ffi::xmlSaveTree(save, root);
                    }
                } else {
                    ffi::xmlSaveDoc(save, self.ptr.as_ptr());
                }
                ffi::xmlSaveClose(save);
            }
        }
        // SAFETY: valid buffer: content is `len` bytes (or NULL when empty); copied before the buffer is freed.
        unsafe {
            let content = ffi::xmlBufferContent(buf);
            let len = ffi::xmlBufferLength(buf);
            let out = if content.is_null() || len <= 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(content, len as usize).to_vec()
            };
            ffi::xmlBufferFree(buf);
            out
        }
    }

    fn deep_copy(&self) -> Result<Document, XsltError> {
        // SAFETY: valid document; the copy is a new document we own (NULL on out of memory).
        let copy = unsafe { ffi::xmlCopyDoc(self.ptr.as_ptr(), 1) };
        NonNull::new(copy)
            .map(|ptr| Document { ptr })
            .ok_or_else(|| XsltError::msg("could not copy the document"))
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        // SAFETY: we own the document; no transformation can still use it (they borrow it for their duration).
        unsafe { ffi::xmlFreeDoc(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("root", &self.root_name())
            .finish()
    }
}

fn check_size(bytes: &[u8]) -> Result<(), XsltError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(XsltError::msg(format!(
            "the document is {} bytes long; at most {MAX_INPUT_BYTES} bytes are accepted",
            bytes.len()
        )));
    }
    Ok(())
}

/// Runs a libxml parse with diagnostics captured and no external loading allowed.
fn parse_with(parse: impl FnOnce() -> *mut ffi::xmlDoc) -> Result<Document, Vec<String>> {
    init();
    let capture = Capture::begin();
    let doc = {
        let _scope = Scope::enter(Vec::new(), Vec::new());
        parse()
    };
    let messages = capture.finish().messages;
    match NonNull::new(doc) {
        Some(ptr) => Ok(Document { ptr }),
        None => Err(messages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_line_and_column() {
        let err = Document::parse(b"<a>\n  <b></c>\n</a>").unwrap_err();
        assert!(err.messages[0].starts_with("line 2 col "), "{err}");
        assert!(err.to_string().contains("mismatch"), "{err}");
    }

    #[test]
    fn serialisation_and_root_name() {
        let doc =
            Document::parse("<?xml version='1.0'?><r a='1'><x>Grüße &amp; &lt;</x></r>".as_bytes())
                .unwrap();
        assert_eq!(doc.root_name().as_deref(), Some("r"));
        assert_eq!(
            String::from_utf8(doc.to_xml(true)).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r a=\"1\"><x>Grüße &amp; &lt;</x></r>\n"
        );
        assert_eq!(
            String::from_utf8(doc.to_xml(false)).unwrap(),
            "<r a=\"1\"><x>Grüße &amp; &lt;</x></r>\n"
        );
        assert_eq!(
            String::from_utf8(doc.root_to_xml()).unwrap(),
            "<r a=\"1\"><x>Grüße &amp; &lt;</x></r>"
        );
    }

    #[test]
    fn html_is_parsed_leniently() {
        let doc = Document::parse_html(b"<P>one<br>two<TABLE><tr><td>x</table>").unwrap();
        assert_eq!(doc.root_name().as_deref(), Some("html"));
        let xml = String::from_utf8(doc.root_to_xml()).unwrap();
        assert!(xml.starts_with("<html><body><p>one<br/>two"), "{xml}");
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        let err = Document::parse(&big).unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
        assert!(Document::parse_html(&big).is_err());
    }

    #[test]
    fn documents_declaring_entities_are_refused() {
        let err = Document::parse(b"<!DOCTYPE x [<!ENTITY e \"hi\">]><x>&e;</x>").unwrap_err();
        assert!(err.to_string().contains("declares entities"), "{err}");
        // A DOCTYPE without entity declarations is fine.
        assert!(Document::parse(b"<!DOCTYPE x [<!ELEMENT x (#PCDATA)>]><x>a</x>").is_ok());
    }
}
