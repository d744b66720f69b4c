//! The supervised JVM worker: Saxon-HE (XSLT 2.0/3.0) and Apache FOP (XSL-FO → PDF), kept warm in one child
//! process per engine process.
//!
//! * Started only when something needs it: the first stylesheet routed to Saxon or the first PDF transformer of a
//!   loaded application. [`global`] is the process's one worker; [`configure`] sets its options before first use.
//! * Calls are framed ([`protocol`]) over the child's stdin/stdout; many are in flight at once (the worker runs them
//!   on a thread pool sized to the cores); at most [`Options::max_in_flight`] at a time, later callers wait
//!   (back-pressure) until the call timeout.
//! * Stylesheets are compiled once per load ([`SaxonStylesheet`], a handle kept by the loaded application) and
//!   released when the application that holds them is dropped after a reload. FOP factories likewise
//!   ([`PdfRenderer`], one per application).
//! * Supervision: every call has a timeout; a worker that dies (or is wedged: as many timed-out calls still running
//!   as it has threads) is restarted with backoff (1 s, doubling to 30 s) and only the calls then in flight fail;
//!   the restarted worker gets every live stylesheet and FOP factory back before it takes calls. The worker exits
//!   on its own when its stdin closes, so it never outlives the engine, even one killed with SIGKILL.
//! * The child's environment is emptied (only `PATH` and `LANG`), so stylesheets cannot read the engine's secrets
//!   through `environment-variable()`.
//!
//! | file | owns |
//! |---|---|
//! | `supervisor.rs` | [`Jvm`]: start, restart with backoff, calls with timeouts, health, shutdown |
//! | `process.rs` | one running child: calls in flight, the writer and reader threads |
//! | `handles.rs` | [`SaxonStylesheet`], [`PdfRenderer`]: what the worker holds, released on drop |
//! | `protocol.rs` | the frames on the child's stdin/stdout |
//! | `launch.rs` | finding Java, Saxon-HE and FOP ([`Installation`]) |
//! | `options.rs`, `error.rs` | [`Options`], [`Status`], [`JvmError`] |

mod error;
mod handles;
mod launch;
mod options;
mod process;
pub mod protocol;
mod supervisor;

use std::sync::{Arc, OnceLock};

pub use error::JvmError;
pub use handles::{PdfRenderer, SaxonStylesheet};
pub use launch::{fop_class_path, saxon_jar, Installation};
pub use options::{Options, Status};
pub use protocol::Diagnostic;
pub use supervisor::Jvm;

static OPTIONS: OnceLock<Options> = OnceLock::new();
static GLOBAL: OnceLock<Arc<Jvm>> = OnceLock::new();

/// Sets the options of the process's worker; false when it was already configured or in use.
pub fn configure(options: Options) -> bool {
    OPTIONS.set(options).is_ok() && GLOBAL.get().is_none()
}

/// The process's one worker (not started until the first call).
pub fn global() -> &'static Arc<Jvm> {
    GLOBAL.get_or_init(|| Jvm::new(OPTIONS.get().cloned().unwrap_or_default()))
}

/// The worker's state if it was ever needed in this process (for `/health-check` and `/metrics`).
pub fn status() -> Option<Status> {
    GLOBAL.get().map(|j| j.status())
}

/// Stops the worker if it runs (graceful shutdown).
pub fn shutdown() {
    if let Some(j) = GLOBAL.get() {
        j.shutdown();
    }
}
