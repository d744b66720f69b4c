//! Capturing libxml2/libxslt diagnostics into [`XsltError`] instead of stderr.
//!
//! Both libraries report through callbacks. `shim.c` installs them (per thread for libxml2, globally for libxslt,
//! per transform context for runtime errors) and forwards every message to the two `extern "C"` functions below.
//! They append to a thread-local [`Sink`] that exists only while a [`Capture`] is alive on that thread; outside a
//! capture, messages are dropped (never printed).
//!
//! libxslt reports one error as two lines, a context line (`runtime error: file F line L element E`) followed by
//! the message; the sink joins them into `F:L: runtime error in element E: message`. XPath errors carry no
//! location and arrive *before* the located libxslt line, so they are held back and emitted after it: the first
//! message of an error is then the one naming file and line.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::fmt::Write as _;

use super::ffi;

/// An error from compiling, parsing or transforming, with every diagnostic libxml2/libxslt produced during the
/// call (errors, warnings and `xsl:message` texts, in order). Messages carry file and line where libxml gives
/// them, e.g. `/app/x.xsl:12: compilation error in element value-of: …` or `line 3 col 5: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .messages.join("\n"))]
pub struct XsltError {
    pub messages: Vec<String>,
}

impl XsltError {
    /// An error with the captured messages, or `reason` alone when nothing was captured.
    pub(crate) fn with(mut messages: Vec<String>, reason: &str) -> XsltError {
        if messages.is_empty() {
            messages.push(reason.to_owned());
        }
        XsltError { messages }
    }

    pub(crate) fn msg(message: impl Into<String>) -> XsltError {
        XsltError {
            messages: vec![message.into()],
        }
    }
}

#[derive(Default)]
struct Sink {
    messages: Vec<String>,
    /// Text of the generic channels (libxslt's, libxml2's) not yet ended by a newline: lines come in pieces.
    partial: [String; 2],
    /// A libxslt context line waiting for the message line that follows it.
    context: Option<String>,
    /// Unlocated details (XPath errors, libxml2's generic messages), emitted after the next located message.
    deferred: Vec<String>,
    /// libxslt reported a "compilation error" (some, such as an unknown `xsl:` element, it only counts as a
    /// warning of the stylesheet, but they are errors in XSLT 1.0).
    compilation_error: bool,
    /// Messages beyond [`MAX_MESSAGES`] (a stylesheet can emit xsl:message in a loop): only counted.
    dropped: usize,
}

/// At most this many messages are kept per capture.
const MAX_MESSAGES: usize = 1000;

impl Sink {
    fn push(&mut self, message: String) {
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(message);
        } else {
            self.dropped += 1;
        }
    }

    fn defer(&mut self, message: String) {
        if self.deferred.len() < MAX_MESSAGES {
            self.deferred.push(message);
        } else {
            self.dropped += 1;
        }
    }

    /// Text from a printf-style channel: libxslt's (`from_libxml == false`) or libxml2's generic one.
    fn generic(&mut self, text: &str, from_libxml: bool) {
        let partial = &mut self.partial[usize::from(from_libxml)];
        partial.push_str(text);
        let mut lines = Vec::new();
        while let Some(pos) = partial.find('\n') {
            lines.push(partial.drain(..=pos).collect::<String>());
        }
        for line in lines {
            self.complete_line(line.trim_end(), from_libxml);
        }
    }

    fn complete_line(&mut self, line: &str, from_libxml: bool) {
        if line.trim().is_empty() {
            return;
        }
        if from_libxml {
            // Details (such as "xmlXPathCompOpEval: function f not found") that precede libxslt's located report.
            self.defer(line.to_owned());
        } else {
            self.line(line);
        }
    }

    fn line(&mut self, line: &str) {
        if let Some(ctx) = Context::parse(line) {
            self.flush_context();
            self.compilation_error |= ctx.kind == "compilation error";
            self.context = Some(line.to_owned());
            return;
        }
        match self.context.take() {
            Some(ctx) => {
                let msg = Context::parse(&ctx)
                    .expect("checked when stored")
                    .join(line.trim());
                self.located(msg);
            }
            None => self.push(line.to_owned()),
        }
    }

    fn located(&mut self, msg: String) {
        self.push(msg);
        for detail in std::mem::take(&mut self.deferred) {
            self.push(detail);
        }
    }

    fn flush_context(&mut self) {
        if let Some(ctx) = self.context.take() {
            self.located(ctx);
        }
    }

    fn finish(mut self) -> Captured {
        for from_libxml in [false, true] {
            let rest = std::mem::take(&mut self.partial[usize::from(from_libxml)]);
            self.complete_line(rest.trim_end(), from_libxml);
        }
        self.flush_context();
        for detail in std::mem::take(&mut self.deferred) {
            self.push(detail);
        }
        if self.dropped > 0 {
            self.messages
                .push(format!("… and {} more messages", self.dropped));
        }
        Captured {
            messages: self.messages,
            compilation_error: self.compilation_error,
        }
    }
}

/// libxslt's error context line (`xsltPrintErrorContext`):
/// `<kind>[: file <F>[ line <L>][ element <E>]]` or `<kind>: element <E>`.
#[derive(Debug, PartialEq, Eq)]
struct Context<'a> {
    kind: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    element: Option<&'a str>,
}

impl<'a> Context<'a> {
    const KINDS: [&'static str; 4] = [
        "error",
        "runtime error",
        "compilation error",
        "compilation warning",
    ];

    fn parse(line: &'a str) -> Option<Context<'a>> {
        if Self::KINDS.contains(&line) {
            return Some(Context {
                kind: line,
                file: None,
                line: None,
                element: None,
            });
        }
        let (kind, rest) = line.split_once(": ")?;
        if !Self::KINDS.contains(&kind) {
            return None;
        }
        if let Some(element) = rest.strip_prefix("element ") {
            return Some(Context {
                kind,
                file: None,
                line: None,
                element: Some(element),
            });
        }
        let rest = rest.strip_prefix("file ")?;
        let (rest, element) = match rest.rsplit_once(" element ") {
            Some((r, e)) => (r, Some(e)),
            None => (rest, None),
        };
        let (file, line) = match rest
            .rsplit_once(" line ")
            .map(|(f, l)| (f, l.parse::<u32>()))
        {
            Some((f, Ok(n))) => (f, Some(n)),
            _ => (rest, None),
        };
        Some(Context {
            kind,
            file: Some(file),
            line,
            element,
        })
    }

    /// `F:L: <kind> in element E: message`; a bare "error" context adds nothing to the message.
    fn join(&self, message: &str) -> String {
        let mut out = String::new();
        match (self.file, self.line) {
            (Some(f), Some(l)) => _ = write!(out, "{f}:{l}: "),
            (Some(f), None) => _ = write!(out, "{f}: "),
            _ => {}
        }
        if self.kind == "error" && self.element.is_none() {
            out.push_str(message);
            return out;
        }
        out.push_str(self.kind);
        if let Some(e) = self.element {
            _ = write!(out, " in element {e}");
        }
        _ = write!(out, ": {message}");
        out
    }
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
    static HANDLERS_INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// What a [`Capture`] collected.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    /// In order, one per diagnostic.
    pub messages: Vec<String>,
    /// libxslt reported a compilation error.
    pub compilation_error: bool,
}

/// Collects diagnostics on this thread from `begin` until `finish` (or drop). Nests: an inner capture hides the
/// outer one's sink and restores it afterwards.
pub(crate) struct Capture {
    previous: Option<Sink>,
    finished: bool,
}

impl Capture {
    pub(crate) fn begin() -> Capture {
        ensure_thread_handlers();
        let previous = SINK.with(|s| s.borrow_mut().replace(Sink::default()));
        Capture {
            previous,
            finished: false,
        }
    }

    /// Ends the capture and returns what it collected.
    pub(crate) fn finish(mut self) -> Captured {
        self.finished = true;
        let previous = self.previous.take();
        SINK.with(|s| std::mem::replace(&mut *s.borrow_mut(), previous))
            .map(Sink::finish)
            .unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if !self.finished {
            let previous = self.previous.take();
            SINK.with(|s| *s.borrow_mut() = previous);
        }
    }
}

/// Adds a message of our own (from an extension function or the entity loader) to the current capture: a detail,
/// placed after libxslt's located report of the failure when one follows.
pub(crate) fn report(message: String) {
    with_sink(|sink| sink.defer(message));
}

fn with_sink(f: impl FnOnce(&mut Sink)) {
    // try_with: during thread teardown the thread-local may be gone; then the message is dropped.
    let _ = SINK.try_with(|s| {
        if let Ok(mut guard) = s.try_borrow_mut() {
            if let Some(sink) = guard.as_mut() {
                f(sink);
            }
        }
    });
}

/// libxml2 2.9 keeps the generic and structured error handlers per thread: install ours once on each thread
/// that calls into the library. The global set-up ([`super::init`]) comes first: every entry point of the
/// module calls it before it begins a [`Capture`].
pub(crate) fn ensure_thread_handlers() {
    if !HANDLERS_INSTALLED.with(Cell::get) {
        // SAFETY: sets this thread's libxml2 error handlers to the shim's functions, which only format the
        // message and call back into `endpoints_xslt_error`/`endpoints_xslt_structured_error` below.
        unsafe { ffi::endpoints_xslt_install_thread_handlers() };
        HANDLERS_INSTALLED.with(|c| c.set(true));
    }
}

/// # Safety
/// `cstr` must be NULL or a NUL-terminated string valid for the duration of the call.
unsafe fn text<'a>(cstr: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    if cstr.is_null() {
        None
    } else {
        // SAFETY: non-NULL and NUL-terminated per this function's contract.
        Some(unsafe { CStr::from_ptr(cstr) }.to_string_lossy())
    }
}

/// Called by the shim's generic (printf-style) handlers with the formatted text; `ctx` is non-NULL for libxml2's
/// generic channel and NULL for libxslt's.
#[no_mangle]
pub extern "C" fn endpoints_xslt_error(ctx: *mut c_void, msg: *const c_char) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the shim passes a NUL-terminated buffer that lives until this call returns.
        if let Some(msg) = unsafe { text(msg) } {
            with_sink(|sink| sink.generic(&msg, !ctx.is_null()));
        }
    });
}

/// Called by the shim's structured handler with the fields of an `xmlError`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn endpoints_xslt_structured_error(
    _ctx: *mut c_void,
    domain: c_int,
    _code: c_int,
    level: c_int,
    file: *const c_char,
    line: c_int,
    column: c_int,
    message: *const c_char,
    str1: *const c_char,
    int1: c_int,
) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the shim passes the xmlError's string fields (NULL or NUL-terminated), valid during the call.
        let (file, message, str1) = unsafe { (text(file), text(message), text(str1)) };
        let message = message
            .as_deref()
            .unwrap_or("unknown error")
            .trim_end()
            .to_owned();
        let warning = if level == ffi::XML_ERR_WARNING {
            "warning: "
        } else {
            ""
        };
        with_sink(|sink| {
            sink.flush_context();
            if domain == ffi::XML_FROM_XPATH {
                let mut m = format!("XPath {warning}error: {message}");
                if let Some(expr) = str1.as_deref().filter(|s| !s.is_empty()) {
                    _ = write!(m, " in '{expr}'");
                    if int1 > 0 {
                        _ = write!(m, " at position {int1}");
                    }
                }
                sink.defer(m);
                return;
            }
            let m = match (file.as_deref(), line > 0) {
                (Some(f), true) if column > 0 => format!("{f}:{line}:{column}: {warning}{message}"),
                (Some(f), true) => format!("{f}:{line}: {warning}{message}"),
                (Some(f), false) => format!("{f}: {warning}{message}"),
                (None, true) if column > 0 => {
                    format!("line {line} col {column}: {warning}{message}")
                }
                (None, true) => format!("line {line}: {warning}{message}"),
                (None, false) => format!("{warning}{message}"),
            };
            sink.located(m);
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_lines_are_parsed() {
        let parse = Context::parse;
        assert_eq!(
            parse("runtime error: file /a/b.xsl line 5 element value-of"),
            Some(Context {
                kind: "runtime error",
                file: Some("/a/b.xsl"),
                line: Some(5),
                element: Some("value-of")
            })
        );
        assert_eq!(
            parse("compilation error: file x.xsl line 7"),
            Some(Context {
                kind: "compilation error",
                file: Some("x.xsl"),
                line: Some(7),
                element: None
            })
        );
        assert_eq!(
            parse("runtime error: element copy-of"),
            Some(Context {
                kind: "runtime error",
                file: None,
                line: None,
                element: Some("copy-of")
            })
        );
        assert_eq!(
            parse("error"),
            Some(Context {
                kind: "error",
                file: None,
                line: None,
                element: None
            })
        );
        assert_eq!(parse("xsl:message says: file is missing"), None);
        assert_eq!(parse("my error: file x"), None);
        assert_eq!(parse("just text"), None);
    }

    #[test]
    fn sink_joins_context_and_message_and_reorders_details() {
        let mut sink = Sink::default();
        sink.deferred
            .push("XPath error: Invalid expression in 'a >'".into());
        sink.generic("xmlXPathCompOpEval: ", true);
        sink.generic("function f not found\n", true);
        sink.generic(
            "compilation error: file s.xsl line 5 element value-of\n",
            false,
        );
        sink.generic("xsl:value-of : could not ", false);
        sink.generic("compile select expression 'a >'\n", false);
        sink.generic(
            "error\nxsltParseStylesheetFile : cannot parse s.xsl\n",
            false,
        );
        sink.generic("hello from xsl:message", false);
        let captured = sink.finish();
        assert!(captured.compilation_error);
        assert_eq!(
            captured.messages,
            vec![
                "s.xsl:5: compilation error in element value-of: xsl:value-of : could not compile select expression 'a >'",
                "XPath error: Invalid expression in 'a >'",
                "xmlXPathCompOpEval: function f not found",
                "xsltParseStylesheetFile : cannot parse s.xsl",
                "hello from xsl:message",
            ]
        );
    }

    #[test]
    fn capture_collects_only_while_active_and_nests() {
        report("dropped".into());
        super::super::init();
        let outer = Capture::begin();
        assert!(Capture::begin().finish().messages.is_empty());
        report("outer 1".into());
        let inner = Capture::begin();
        report("inner".into());
        assert_eq!(inner.finish().messages, vec!["inner"]);
        report("outer 2".into());
        let outer = outer.finish();
        assert_eq!(outer.messages, vec!["outer 1", "outer 2"]);
        assert!(!outer.compilation_error);
    }

    #[test]
    fn messages_are_bounded() {
        let mut sink = Sink::default();
        for i in 0..MAX_MESSAGES + 5 {
            sink.generic(&format!("message {i}\n"), false);
        }
        let messages = sink.finish().messages;
        assert_eq!(messages.len(), MAX_MESSAGES + 1);
        assert_eq!(messages.last().unwrap(), "… and 5 more messages");
    }

    #[test]
    fn display_joins_messages() {
        let e = XsltError {
            messages: vec!["a".into(), "b".into()],
        };
        assert_eq!(e.to_string(), "a\nb");
    }
}
