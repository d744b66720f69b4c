//! `multipart/form-data` bodies: fields become parameters, files stay in memory within the request's upload
//! budget and go to temporary files beyond it.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

use super::input::{InputError, RequestInput, Upload, UploadData};
use super::limits::Limits;

pub(super) async fn read_multipart<B>(
    body: B,
    boundary: String,
    limits: &Limits,
    input: &mut RequestInput,
) -> Result<(), InputError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(limits.max_body_bytes));
    let stream = body.into_data_stream();
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let map_err = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { limit } => InputError::TooLarge(limit),
        multer::Error::StreamReadFailed(e) => InputError::Body(e.to_string()),
        other => InputError::Multipart(other.to_string()),
    };
    let mut fields = input.params.len();
    let mut in_memory = 0usize;
    while let Some(mut field) = mp.next_field().await.map_err(map_err)? {
        fields += 1;
        if fields > limits.max_fields {
            return Err(InputError::TooManyFields(limits.max_fields));
        }
        let name = field.name().unwrap_or("").to_string();
        if name.len() > limits.max_field_bytes {
            return Err(InputError::FieldNameTooLarge(limits.max_field_bytes));
        }
        match field.file_name().map(str::to_string) {
            // A file input left empty by the browser: `filename=""`. Skipped (the reference fails the request).
            Some(f) if f.is_empty() => while field.chunk().await.map_err(map_err)?.is_some() {},
            Some(filename) => {
                let content_type = field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "application/octet-stream".to_string());
                // In memory while the request's uploads fit in the budget; then on to a temporary file.
                let storage = |e: std::io::Error| InputError::Storage(e.to_string());
                let mut chunks: Vec<Bytes> = Vec::new();
                let mut file: Option<(tokio::fs::File, tempfile::TempPath)> = None;
                let mut size = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(map_err)? {
                    size += chunk.len();
                    if let Some((f, _)) = &mut file {
                        f.write_all(&chunk).await.map_err(storage)?;
                    } else if in_memory + size <= limits.upload_memory_bytes {
                        chunks.push(chunk);
                    } else {
                        let tmp = match &limits.upload_dir {
                            Some(dir) => {
                                tempfile::Builder::new().prefix("upload-").tempfile_in(dir)
                            }
                            None => tempfile::Builder::new()
                                .prefix("endpoints-upload-")
                                .tempfile(),
                        }
                        .map_err(storage)?;
                        let (f, path) = tmp.into_parts();
                        let mut f = tokio::fs::File::from_std(f);
                        for c in chunks.drain(..).chain(std::iter::once(chunk)) {
                            f.write_all(&c).await.map_err(storage)?;
                        }
                        file = Some((f, path));
                    }
                }
                let data = match file {
                    Some((mut f, path)) => {
                        f.flush().await.map_err(storage)?;
                        UploadData::File(Arc::new(path))
                    }
                    None => {
                        in_memory += size;
                        UploadData::Memory(concat(chunks, size))
                    }
                };
                input.uploads.push(Upload {
                    field_name: name,
                    filename,
                    content_type,
                    size: size as u64,
                    data,
                    xml_budget: limits.body_xml,
                });
            }
            None => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(map_err)? {
                    if value.len() + chunk.len() > limits.max_field_bytes {
                        return Err(InputError::FieldTooLarge(name, limits.max_field_bytes));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                input.add_param(name, value);
            }
        }
    }
    Ok(())
}

/// One buffer of `chunks` (no copy when there is one).
fn concat(mut chunks: Vec<Bytes>, size: usize) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut all = bytes::BytesMut::with_capacity(size);
    for c in chunks {
        all.extend_from_slice(&c);
    }
    all.freeze()
}
