//! Turning an HTTP request into a [`RequestInput`]: query string, `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies (small uploads kept in memory, larger ones streamed to temporary files that are
//! removed when the input is dropped), with a limit on everything a client can send. Knows nothing about endpoints.
//!
//! An XML or JSON body is turned into the XML the parameter transformation will see as soon as it is read (off
//! the async workers when it is large), and checked against [`Limits::body_xml`] in linear time on the way: over
//! a limit the request fails with [`InputError::Limit`] (413) before any tree is built.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use crate::convert::limits::{xml_root_within, Budget, BudgetError, XmlBodyError};
use http_body_util::{BodyExt, Limited};
use tokio::io::AsyncWriteExt;

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

/// A file part of a multipart body.
#[derive(Debug)]
pub struct Upload {
    pub field_name: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub data: UploadData,
    /// The limits that apply when the file is read as XML (the request's [`Limits::body_xml`]).
    pub xml_budget: Budget,
}

/// Where an uploaded file's bytes are.
#[derive(Debug, Clone)]
pub enum UploadData {
    /// Within the request's [`Limits::upload_memory_bytes`].
    Memory(Bytes),
    /// A temporary file, deleted when the last reference is dropped (with the request's input).
    File(Arc<tempfile::TempPath>),
}

impl UploadData {
    /// The whole file. Blocking for a file: call it off the async workers.
    pub fn read_blocking(&self) -> std::io::Result<Bytes> {
        match self {
            UploadData::Memory(b) => Ok(b.clone()),
            UploadData::File(p) => std::fs::read(p.as_ref() as &std::path::Path).map(Bytes::from),
        }
    }

    /// The whole file.
    pub async fn read(&self) -> std::io::Result<Bytes> {
        match self {
            UploadData::Memory(b) => Ok(b.clone()),
            UploadData::File(p) => tokio::fs::read(p.as_ref() as &std::path::Path)
                .await
                .map(Bytes::from),
        }
    }

    /// Copies the file into `to`. Blocking.
    pub fn copy_to(&self, to: &mut impl Write) -> std::io::Result<u64> {
        match self {
            UploadData::Memory(b) => to.write_all(b).map(|()| b.len() as u64),
            UploadData::File(p) => std::io::copy(
                &mut std::fs::File::open(p.as_ref() as &std::path::Path)?,
                to,
            ),
        }
    }
}

/// How the body is to be understood, from its `Content-Type` (everything before the first `;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    /// No `Content-Type`: treated like GET, the body is not read.
    None,
    Form,
    Multipart,
    Xml,
    Json,
    Other,
}

impl BodyKind {
    pub fn of(content_type: Option<&str>) -> BodyKind {
        match content_type {
            None => BodyKind::None,
            Some("application/x-www-form-urlencoded") => BodyKind::Form,
            Some("multipart/form-data") => BodyKind::Multipart,
            Some(ct) if ct.contains("xml") => BodyKind::Xml,
            Some(ct) if ct.contains("json") => BodyKind::Json,
            Some(_) => BodyKind::Other,
        }
    }
}

/// Everything the engine needs from one request.
#[derive(Debug, Default)]
pub struct RequestInput {
    /// Query parameters, then form parameters, in the order sent; `debug` and `verbose` removed.
    pub params: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
    /// The `Content-Type` up to the first `;`, if any.
    pub content_type: Option<String>,
    /// The raw body of an XML or JSON request (read only when the endpoint accepts one).
    pub raw_body: Option<Bytes>,
    /// What `raw_body` becomes in the parameter transformation's input (made when the body is read).
    pub body_document: Option<BodyDocument>,
    /// The whole body as received, kept when the endpoint verifies a signature over it.
    pub signed_body: Option<Bytes>,
    pub debug: bool,
    pub verbose: bool,
    pub headers: HeaderMap,
    pub client_ip: Option<IpAddr>,
}

impl RequestInput {
    /// The first value of a request parameter.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_kind(&self) -> BodyKind {
        BodyKind::of(self.content_type.as_deref())
    }
}

/// The XML an XML or JSON body becomes in the parameter transformation's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyDocument {
    /// An XML body: the byte range of its root element in the raw body.
    Xml(std::ops::Range<usize>),
    /// A JSON body converted to XML: the children of `<json>`.
    Json(String),
    /// The body is not well-formed: the message of the 400 that the endpoint's `<error>` answers with.
    Invalid(String),
}

/// Bodies up to this size are checked and converted where they are read; larger ones on the blocking pool.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// Checks an XML body, or converts a JSON body, within `budget` (linear time; blocking for large bodies).
pub fn body_document(
    kind: &BodyKind,
    raw: &[u8],
    budget: &Budget,
) -> Result<Option<BodyDocument>, BudgetError> {
    match kind {
        BodyKind::Xml => {
            let Ok(text) = std::str::from_utf8(raw) else {
                return Ok(Some(BodyDocument::Invalid(
                    "Request is not valid XML: the body is not UTF-8".to_string(),
                )));
            };
            let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
            Ok(Some(match xml_root_within(&text[bom..], budget) {
                Ok(r) => BodyDocument::Xml(r.start + bom..r.end + bom),
                Err(XmlBodyError::Limit(e)) => return Err(e),
                Err(e) => BodyDocument::Invalid(format!("Request is not valid XML: {e}")),
            }))
        }
        BodyKind::Json => {
            match crate::convert::json_to_xml_children_within(raw, "json-request", budget) {
                Ok(xml) => Ok(Some(BodyDocument::Json(xml))),
                Err(crate::convert::JsonToXmlError::Limit(e)) => Err(e),
                Err(e) => Ok(Some(BodyDocument::Invalid(format!(
                    "Cannot parse JSON from POST request: {e}"
                )))),
            }
        }
        _ => Ok(None),
    }
}

/// [`body_document`] where it does not hold up an async worker: small bodies at once, large ones on the blocking
/// pool.
pub async fn body_document_async(
    kind: BodyKind,
    raw: Bytes,
    budget: Budget,
) -> Result<Option<BodyDocument>, InputError> {
    if raw.len() <= INLINE_BODY_BYTES {
        return body_document(&kind, &raw, &budget).map_err(InputError::Limit);
    }
    tokio::task::spawn_blocking(move || body_document(&kind, &raw, &budget))
        .await
        .map_err(|e| InputError::Body(e.to_string()))?
        .map_err(InputError::Limit)
}

/// Why the input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("request body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("request has more than {0} parameters and files")]
    TooManyFields(usize),
    #[error("field '{0}' is larger than {1} bytes")]
    FieldTooLarge(String, usize),
    /// A field's name is longer than `--max-field-bytes` (the name is not repeated).
    #[error("a field name is longer than {0} bytes")]
    FieldNameTooLarge(usize),
    #[error("request body was not received in time")]
    Timeout,
    #[error("Invalid multipart/form-data body: {0}")]
    Multipart(String),
    #[error("cannot read request body: {0}")]
    Body(String),
    #[error("cannot store uploaded file: {0}")]
    Storage(String),
    /// The XML made from the body is over one of [`Limits::body_xml`] (413).
    #[error("{0}")]
    Limit(BudgetError),
}

impl InputError {
    /// Whether the client's request is at fault in a way that the endpoint's `<error>` should handle (400).
    pub fn is_bad_request(&self) -> bool {
        matches!(self, InputError::Multipart(_) | InputError::Body(_))
    }
}

fn add_param(
    params: &mut Vec<(String, String)>,
    debug: &mut bool,
    verbose: &mut bool,
    name: String,
    value: String,
) {
    if name.eq_ignore_ascii_case("debug") {
        *debug |= value.eq_ignore_ascii_case("true");
    } else if name.eq_ignore_ascii_case("verbose") {
        *verbose |= value.eq_ignore_ascii_case("true");
    } else {
        params.push((name, value));
    }
}

/// Reads the query string and, depending on its content type, the body of `req`.
///
/// Form and multipart bodies are always read; XML and JSON bodies only when `accept_raw_body` (an endpoint with a
/// parameter transformation); other bodies are not read at all.
pub async fn read<B>(
    parts: &http::request::Parts,
    body: B,
    limits: &Limits,
    accept_raw_body: bool,
    client_ip: Option<IpAddr>,
) -> Result<RequestInput, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let input = query_input(parts, client_ip, limits.max_fields)?;
    read_body(parts, body, limits, accept_raw_body, input).await
}

/// The second half of [`read`]: adds the body's parameters (and files, or the raw body) to `input`, which holds
/// the query string's ([`query_input`]).
pub async fn read_body<B>(
    parts: &http::request::Parts,
    body: B,
    limits: &Limits,
    accept_raw_body: bool,
    mut input: RequestInput,
) -> Result<RequestInput, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (mut debug, mut verbose) = (input.debug, input.verbose);
    let content_type_header = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    input.content_type =
        content_type_header.map(|ct| ct.split(';').next().unwrap_or("").to_string());

    if let Some(len) = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limits.max_body_bytes {
            return Err(InputError::TooLarge(limits.max_body_bytes));
        }
    }

    match input.body_kind() {
        BodyKind::Form => {
            let bytes = collect(body, limits.max_body_bytes).await?;
            for (n, v) in form_urlencoded::parse(&bytes) {
                if input.params.len() >= limits.max_fields {
                    return Err(InputError::TooManyFields(limits.max_fields));
                }
                if n.len() > limits.max_field_bytes {
                    return Err(InputError::FieldNameTooLarge(limits.max_field_bytes));
                }
                if v.len() > limits.max_field_bytes {
                    return Err(InputError::FieldTooLarge(
                        n.into_owned(),
                        limits.max_field_bytes,
                    ));
                }
                add_param(
                    &mut input.params,
                    &mut debug,
                    &mut verbose,
                    n.into_owned(),
                    v.into_owned(),
                );
            }
        }
        BodyKind::Multipart => {
            let boundary = multer::parse_boundary(content_type_header.unwrap_or(""))
                .map_err(|e| InputError::Multipart(e.to_string()))?;
            read_multipart(body, boundary, limits, &mut input, &mut debug, &mut verbose).await?;
        }
        BodyKind::Xml | BodyKind::Json if accept_raw_body => {
            let raw = collect(body, limits.max_body_bytes).await?;
            input.body_document =
                body_document_async(input.body_kind(), raw.clone(), limits.body_xml).await?;
            input.raw_body = Some(raw);
        }
        _ => {}
    }
    input.debug = debug;
    input.verbose = verbose;
    Ok(input)
}

/// Reads a whole body, limited to `max` bytes.
pub async fn collect<B>(body: B, max: u64) -> Result<Bytes, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let limited = Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(InputError::TooLarge(max))
            } else {
                Err(InputError::Body(e.to_string()))
            }
        }
    }
}

async fn read_multipart<B>(
    body: B,
    boundary: String,
    limits: &Limits,
    input: &mut RequestInput,
    debug: &mut bool,
    verbose: &mut bool,
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
                add_param(&mut input.params, debug, verbose, name, value);
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

/// The query string's parameters, with no more than `max_fields` of them.
pub fn query_input(
    parts: &http::request::Parts,
    client_ip: Option<IpAddr>,
    max_fields: usize,
) -> Result<RequestInput, InputError> {
    let mut input = RequestInput {
        headers: parts.headers.clone(),
        client_ip,
        ..RequestInput::default()
    };
    let (mut debug, mut verbose) = (false, false);
    if let Some(q) = parts.uri.query() {
        for (n, v) in form_urlencoded::parse(q.as_bytes()) {
            if input.params.len() >= max_fields {
                return Err(InputError::TooManyFields(max_fields));
            }
            add_param(
                &mut input.params,
                &mut debug,
                &mut verbose,
                n.into_owned(),
                v.into_owned(),
            );
        }
    }
    input.debug = debug;
    input.verbose = verbose;
    Ok(input)
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

/// Reads nothing but the query string (for requests whose body failed), without a field limit.
pub fn from_query(parts: &http::request::Parts, client_ip: Option<IpAddr>) -> RequestInput {
    query_input(parts, client_ip, usize::MAX).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    fn parts(uri: &str, ct: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::builder().method("POST").uri(uri);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn query_then_form_and_special_params() {
        let p = parts(
            "/a/b?t=y&debug=TRUE&Verbose=x",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let body = Full::new(Bytes::from_static(b"t=x&hash=abc&name=J%C3%B6rg+M"));
        let input = read(&p, body, &Limits::default(), false, None)
            .await
            .unwrap();
        assert_eq!(
            input.params,
            vec![
                ("t".into(), "y".into()),
                ("t".into(), "x".into()),
                ("hash".into(), "abc".into()),
                ("name".into(), "Jörg M".into())
            ]
        );
        assert!(input.debug);
        assert!(!input.verbose);
        assert_eq!(input.body_kind(), BodyKind::Form);
    }

    #[tokio::test]
    async fn limits() {
        let limits = Limits {
            max_body_bytes: 10,
            max_fields: 2,
            ..Limits::default()
        };
        let p = parts("/a/b", Some("application/x-www-form-urlencoded"));
        let err = read(
            &p,
            Full::new(Bytes::from_static(b"a=123456789012")),
            &limits,
            false,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, InputError::TooLarge(10)));
        let p = parts("/a/b?a=1&b=2&c=3", None);
        let err = read(&p, Full::new(Bytes::new()), &limits, false, None)
            .await
            .unwrap_err();
        assert!(matches!(err, InputError::TooManyFields(2)));
    }

    #[test]
    fn body_kinds() {
        assert_eq!(BodyKind::of(None), BodyKind::None);
        assert_eq!(BodyKind::of(Some("text/xml")), BodyKind::Xml);
        assert_eq!(BodyKind::of(Some("application/soap+xml")), BodyKind::Xml);
        assert_eq!(BodyKind::of(Some("application/json")), BodyKind::Json);
        assert_eq!(BodyKind::of(Some("text/plain")), BodyKind::Other);
        assert_eq!(BodyKind::of(Some("Multipart/Form-Data")), BodyKind::Other);
    }
}
