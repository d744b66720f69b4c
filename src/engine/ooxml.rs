//! Expanding an OOXML template for one request: the prepared text parts get the values (XML-escaped), every other
//! entry is copied without recompression; the result is built in memory (templates are limited in size).

use std::io::{Cursor, Write};
use std::sync::Arc;

use super::failure::Failure;
use crate::config::model::ooxml::OoxmlTemplate;

/// The expanded document. `lookup` gives the values of the names that the load-time check allowed.
pub fn expand(
    template: &OoxmlTemplate,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, Failure> {
    let fail = |e: String| Failure::hidden(format!("OOXML '{}': {e}", template.source));
    let mut zip =
        zip::ZipArchive::new(Cursor::new(&template.bytes[..])).map_err(|e| fail(e.to_string()))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(template.bytes.len() + 1024)));
    for i in 0..zip.len() {
        let name = zip
            .by_index_raw(i)
            .map_err(|e| fail(e.to_string()))?
            .name()
            .map_err(|e| fail(e.to_string()))?
            .to_string();
        match template.parts.iter().find(|(n, _)| *n == name) {
            Some((_, pattern)) => {
                let values: Vec<(String, String)> = pattern
                    .names()
                    .filter_map(|n| lookup(n).map(|v| (n.to_string(), v)))
                    .collect();
                let text = pattern
                    .expand(
                        &|n| values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()),
                        false,
                    )
                    .map_err(|e| fail(e.to_string()))?;
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                out.start_file(name, options)
                    .map_err(|e| fail(e.to_string()))?;
                out.write_all(text.as_bytes())
                    .map_err(|e| fail(e.to_string()))?;
            }
            None => {
                let entry = zip.by_index_raw(i).map_err(|e| fail(e.to_string()))?;
                out.raw_copy_file(entry).map_err(|e| fail(e.to_string()))?;
            }
        }
    }
    Ok(out.finish().map_err(|e| fail(e.to_string()))?.into_inner())
}

/// [`expand`] on the blocking pool.
pub async fn expand_blocking(
    template: Arc<OoxmlTemplate>,
    values: Vec<(String, String)>,
) -> Result<Vec<u8>, Failure> {
    tokio::task::spawn_blocking(move || {
        expand(&template, &|n| {
            values
                .iter()
                .rev()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        })
    })
    .await
    .map_err(|e| Failure::hidden(e.to_string()))?
}
