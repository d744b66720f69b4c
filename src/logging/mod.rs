//! The server's log on standard error: the access log (one line a request, target `endpoints::access`) and the
//! other messages, filtered by `ENDPOINTS_LOG` as `RUST_LOG` would be (default `info`).
//!
//! Written for the request path's sake. With `tracing-subscriber`'s own formatter and a direct write, the access
//! line cost an empty endpoint's request ~22,000 instructions and a `write` system call — more than the rest of its
//! work. Here [`line`] formats the same lines directly and [`behind`] writes them at once at rest and, when they
//! come fast, many lines a `write` from a thread of their own. At a terminal (standard error is a TTY) the lines
//! keep `tracing-subscriber`'s colours instead.

pub mod behind;
pub mod line;

use std::io::IsTerminal;
use std::sync::OnceLock;

pub use behind::{Behind, FlushGuard};
pub use line::{Line, Style};

/// The writer of [`init`], for the panic hook.
static OUTPUT: OnceLock<Behind> = OnceLock::new();

/// Installs the process's log (`json`: one JSON object a line). Returns a guard that writes out the pending lines
/// when dropped; a panic writes them out too, before its own message. Call once.
pub fn init(json: bool) -> Option<FlushGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ENDPOINTS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let Ok(output) = Behind::stderr() else {
        // No thread for the writer: write directly.
        let b = builder.with_writer(std::io::stderr);
        match json {
            true => b.event_format(Line(Style::Json)).init(),
            false => b.event_format(Line(Style::Text)).init(),
        }
        return None;
    };
    let guard = output.guard();
    let _ = OUTPUT.set(output.clone());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(o) = OUTPUT.get() {
            o.flush();
        }
        previous(info);
    }));
    let builder = builder.with_writer(output);
    if json {
        builder.event_format(Line(Style::Json)).init();
    } else if std::io::stderr().is_terminal() {
        builder.with_target(false).with_ansi(true).init();
    } else {
        builder.event_format(Line(Style::Text)).init();
    }
    Some(guard)
}
