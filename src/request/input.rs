//! What one request becomes: [`RequestInput`] (parameters, uploads, the raw body and what it becomes as XML), and
//! [`InputError`], why it could not be read.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;

use crate::convert::limits::{Budget, BudgetError};

/// A file part of a multipart body.
#[derive(Debug)]
pub struct Upload {
    pub field_name: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub data: UploadData,
    /// The limits that apply when the file is read as XML (the request's [`Limits::body_xml`](super::Limits::body_xml)).
    pub xml_budget: Budget,
}

/// Where an uploaded file's bytes are.
#[derive(Debug, Clone)]
pub enum UploadData {
    /// Within the request's [`Limits::upload_memory_bytes`](super::Limits::upload_memory_bytes).
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
    /// The client's address, computed once per request by the server: the peer, or what a trusted proxy says
    /// (see [`super::TrustedProxies`]).
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

    /// Adds a parameter as sent, except `debug` and `verbose` (any case): they switch [`RequestInput::debug`] and
    /// [`RequestInput::verbose`] on when their value is `true` (any case).
    pub fn add_param(&mut self, name: String, value: String) {
        if name.eq_ignore_ascii_case("debug") {
            self.debug |= value.eq_ignore_ascii_case("true");
        } else if name.eq_ignore_ascii_case("verbose") {
            self.verbose |= value.eq_ignore_ascii_case("true");
        } else {
            self.params.push((name, value));
        }
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
    /// The XML made from the body is over one of [`Limits::body_xml`](super::Limits::body_xml) (413).
    #[error("{0}")]
    Limit(BudgetError),
}

impl InputError {
    /// Whether the client's request is at fault in a way that the endpoint's `<error>` should handle (400).
    pub fn is_bad_request(&self) -> bool {
        matches!(self, InputError::Multipart(_) | InputError::Body(_))
    }
}
