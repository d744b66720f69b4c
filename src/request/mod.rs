//! Turning an HTTP request into a [`RequestInput`]: query string, `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies (small uploads kept in memory, larger ones streamed to temporary files that are
//! removed when the input is dropped), with a limit on everything a client can send. Knows nothing about endpoints.
//!
//! An XML or JSON body is turned into the XML the parameter transformation will see as soon as it is read (off
//! the async workers when it is large), and checked against [`Limits::body_xml`] in linear time on the way: over
//! a limit the request fails with [`InputError::Limit`] (413) before any tree is built.
//!
//! | file | owns |
//! |---|---|
//! | `limits.rs` | [`Limits`] and their defaults |
//! | `input.rs` | [`RequestInput`], uploads, body kinds, [`InputError`] |
//! | `read.rs` | reading the query string and the body ([`read`], [`read_body`], [`query_input`]) |
//! | `urlencoded.rs` | `application/x-www-form-urlencoded` pairs, borrowed where nothing needs decoding |
//! | `multipart.rs` | `multipart/form-data` fields and files |
//! | `body_document.rs` | an XML or JSON body as the parameter transformation's XML, within its budget |
//! | `client_address.rs` | the client's address: the peer, or what trusted proxies say ([`TrustedProxies`]) |

mod body_document;
mod client_address;
mod input;
mod limits;
mod multipart;
mod read;
pub mod urlencoded;

pub use body_document::{body_document, body_document_async};
pub use client_address::{parse_cidr, TrustedProxies};
pub use input::{BodyDocument, BodyKind, InputError, RequestInput, Upload, UploadData};
pub use limits::{default_max_connections, open_files_limit, Limits};
pub use read::{collect, from_query, query_input, read, read_body};
