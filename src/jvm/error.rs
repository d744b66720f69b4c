//! [`JvmError`]: what can go wrong with a call to the worker.

use super::protocol::Diagnostic;

/// What can go wrong with a call to the worker.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JvmError {
    /// Java, Saxon or FOP is missing; the message names the Debian package.
    #[error("{0}")]
    NotInstalled(String),
    #[error("the JVM worker could not be started: {0}")]
    Start(String),
    #[error("the JVM worker is not available: {0}")]
    Unavailable(String),
    #[error("the JVM worker did not answer within {0} s")]
    Timeout(u64),
    #[error("the JVM worker is busy: no call slot became free within {0} s")]
    Busy(u64),
    #[error("a call to the JVM worker of {0} bytes is too large")]
    TooLarge(usize),
    /// The worker answered with an error (XSLT static or dynamic error, FOP error).
    #[error("{}", join_diagnostics(.0))]
    Failed(Vec<Diagnostic>),
    #[error("the JVM worker sent a malformed answer: {0}")]
    Protocol(String),
}

fn join_diagnostics(list: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in list {
        if !s.is_empty() {
            s.push_str("; ");
        }
        if !d.file.is_empty() {
            s.push_str(&d.file);
            if d.line > 0 {
                s.push_str(&format!(":{}", d.line));
                if d.column > 0 {
                    s.push_str(&format!(":{}", d.column));
                }
            }
            s.push_str(": ");
        }
        s.push_str(&d.message);
    }
    if s.is_empty() {
        s.push_str("the JVM worker reported an error without a message");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_read_as_file_line_column() {
        let e = JvmError::Failed(vec![Diagnostic {
            file: "/app/x.xsl".into(),
            line: 4,
            column: 7,
            message: "XPST0017: no such function".into(),
        }]);
        assert_eq!(e.to_string(), "/app/x.xsl:4:7: XPST0017: no such function");
    }
}
