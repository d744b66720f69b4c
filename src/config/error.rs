//! Load-time diagnostics: every mistake in an application directory, with the file, line and column at fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// Whether a diagnostic stops the application from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found while loading an application directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the file as a whole (e.g. it is missing).
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        if self.line == 0 {
            write!(f, "{}: {}{}", self.file.display(), prefix, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}{}",
                self.file.display(),
                self.line,
                self.column,
                prefix,
                self.message
            )
        }
    }
}

/// A position inside a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// Collects every diagnostic of one load, so that `endpoints check` can print all of them; and, on the side, every
/// configured secret the load reads (see [`Diagnostics::secret`]).
#[derive(Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    secrets: Vec<String>,
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secrets themselves.
        f.debug_struct("Diagnostics")
            .field("items", &self.items)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Diagnostics {
    /// Notes a configured secret (a key, password, token or signing secret), so that the loaded application can
    /// remove it from everything it stores. A value with `${…}` placeholders is noted by its literal parts.
    pub fn secret(&mut self, value: &str) {
        for part in super::model::secrets::literal_parts(value) {
            if !part.is_empty() && !self.secrets.contains(&part) {
                self.secrets.push(part);
            }
        }
    }

    /// The secrets noted so far.
    pub fn take_secrets(&mut self) -> Vec<String> {
        std::mem::take(&mut self.secrets)
    }

    pub fn error(&mut self, file: &Path, pos: Pos, message: impl Into<String>) {
        self.push(Severity::Error, file, pos, message.into());
    }

    pub fn warning(&mut self, file: &Path, pos: Pos, message: impl Into<String>) {
        self.push(Severity::Warning, file, pos, message.into());
    }

    fn push(&mut self, severity: Severity, file: &Path, pos: Pos, message: String) {
        let d = Diagnostic {
            severity,
            file: file.to_path_buf(),
            line: pos.line,
            column: pos.column,
            message,
        };
        if !self.items.contains(&d) {
            self.items.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Every diagnostic, ordered by file, line and column (file-level ones first).
    pub fn into_vec(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.items
    }
}

/// The application could not be loaded; `diagnostics` holds every error (and warning) found.
#[derive(Debug, thiserror::Error)]
#[error("{} configuration error(s), first: {}", .0.iter().filter(|d| d.severity == Severity::Error).count(), .0.iter().find(|d| d.severity == Severity::Error).map(|d| d.to_string()).unwrap_or_default())]
pub struct LoadError(pub Vec<Diagnostic>);

#[cfg(test)]
impl Diagnostics {
    /// Every diagnostic as displayed, with `dir` written as `DIR` (for tests on temporary directories).
    pub fn messages_in(self, dir: &Path) -> Vec<String> {
        self.into_vec()
            .iter()
            .map(|d| d.to_string().replace(&dir.display().to_string(), "DIR"))
            .collect()
    }
}
