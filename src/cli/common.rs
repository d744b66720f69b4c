//! Small pieces every command uses: environment variables, diagnostics on stderr, the tokio runtime.

use std::process::ExitCode;

use endpoints::config::{self, Severity};

/// An environment variable that is set and not empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Prints every diagnostic to stderr; returns how many are errors.
pub fn print_diagnostics(diags: &[config::Diagnostic]) -> usize {
    let mut errors = 0;
    for d in diags {
        eprintln!("{d}");
        if d.severity == Severity::Error {
            errors += 1;
        }
    }
    errors
}

/// The tokio runtime: one worker per core for serving, one thread for the `log` command.
pub fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("cannot start the runtime: {e}");
        ExitCode::FAILURE
    })
}
