//! Word, Excel and PowerPoint templates for `<ooxml-parameter-expansion>`, as loaded: the file and its text parts
//! prepared as XML patterns. Every other entry is copied byte-for-byte at request time.

use std::path::PathBuf;

use bytes::Bytes;

use super::template::Pattern;

#[derive(Debug)]
pub struct OoxmlTemplate {
    pub source: String,
    pub path: PathBuf,
    /// The whole file.
    pub bytes: Bytes,
    /// Entries whose text is expanded, with their prepared pattern.
    pub parts: Vec<(String, Pattern)>,
}

/// The MIME type for a download file name.
pub fn content_type(download_filename: &str) -> &'static str {
    let lower = download_filename.to_ascii_lowercase();
    if lower.ends_with(".docx") {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    } else if lower.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else if lower.ends_with(".pptx") {
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    } else {
        "application/octet-stream"
    }
}
