//! [`Limits`]: everything a client can send is bounded; every limit has a command-line flag.

use std::time::Duration;

use crate::convert::limits::Budget;

/// Limits on request input. Every one has a command-line flag.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (any content type).
    pub max_body_bytes: u64,
    /// Most parameters plus uploaded files in one request.
    pub max_fields: usize,
    /// Largest single non-file field (form or multipart).
    pub max_field_bytes: usize,
    /// Time allowed for the request line and headers.
    pub header_timeout: Duration,
    /// Time allowed for reading the whole body.
    pub body_timeout: Duration,
    /// Where uploaded files are stored while a request runs (default: the system's temporary directory).
    pub upload_dir: Option<std::path::PathBuf>,
    /// Uploaded files of one request are kept in memory while together they stay within this many bytes; the
    /// rest go to temporary files in `upload_dir`. A form body of `max_body_bytes` is held in memory anyway.
    pub upload_memory_bytes: usize,
    /// Limits on the XML made from an XML or JSON body, or from an uploaded XML file.
    pub body_xml: Budget,
    /// A connection with no request in flight is closed after this long without a new request.
    pub idle_timeout: Duration,
    /// Most connections open at once; beyond it the oldest idle connection is closed (or, when none is idle, the
    /// new one). Keeps file descriptors in reserve for the state store, uploads, outgoing requests and
    /// `/health-check`.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 32 * 1024 * 1024,
            max_fields: 1000,
            max_field_bytes: 1024 * 1024,
            header_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(60),
            upload_dir: None,
            upload_memory_bytes: 1024 * 1024,
            body_xml: Budget::default(),
            idle_timeout: Duration::from_secs(60),
            max_connections: default_max_connections(),
        }
    }
}

/// The default for [`Limits::max_connections`]: the soft limit on open files (from `/proc/self/limits`) less a
/// reserve of an eighth of it (at least 64) for everything else; 8192 where the limit cannot be read.
pub fn default_max_connections() -> usize {
    match open_files_limit() {
        Some(n) => n.saturating_sub((n / 8).max(64)).max(16),
        None => 8192,
    }
}

/// The soft limit on open files of this process, if it can be read.
pub fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    match soft {
        "unlimited" => Some(1 << 20),
        n => n.parse().ok(),
    }
}
