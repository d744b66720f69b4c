//! # endpoints — a declarative endpoint engine
//!
//! Loads an application directory written in XML (the OpenEndpoints format: `endpoints.xml`, `security.xml`,
//! `static/`, …) and serves it as HTTP endpoints.
//!
//! Two paths run through the code:
//!
//! 1. **Configuration path** (rare, thorough): [`config::load`] reads the directory into one immutable, fully
//!    checked [`config::Application`]; every mistake is reported with file, line and column. `endpoints check`
//!    runs exactly this path.
//! 2. **Request path** (hot, lean): [`server`] accepts the connection and finds the endpoint → [`request`] reads
//!    the input (query, form, multipart uploads; all limited) → [`engine::execute`] (hash check → parameters →
//!    success/error action; numbers, captures and short links gathered in an [`engine::journal::Journal`]) → the
//!    request-log entry committed → a response. Nothing on this path parses configuration.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | reading and checking the application directory; templates and conditions compiled once |
//! | [`convert`] | JSON → XML for request bodies and fetched JSON, XML → JSON for transformer output |
//! | [`request`] | turning an HTTP request into a [`request::RequestInput`] |
//! | [`engine`] | executing one endpoint for one request; the one place failures become HTTP statuses |
//! | [`server`] | hyper service, routing, limits, timeouts, static file serving, CORS, access log, `/shortlink/` |
//! | [`store`] | request log, gapless on-demand numbers, short links: one `Store` trait, SQLite and PostgreSQL backends |
//! | [`stylesheet`] | a compiled stylesheet on whichever engine runs it: libxslt for XSLT 1.0, Saxon-HE for 2.0/3.0 |
//! | [`jvm`] | the supervised JVM worker hosting Saxon-HE and Apache FOP (PDF), kept warm; its Java source is in `jvm/` |
//! | [`xslt`] | the only `unsafe`: libxml2/libxslt wrapper — compiled stylesheets shared across threads, sandboxed transforms, safe XML parsing |

#![deny(unsafe_code)]

pub mod config;
pub mod convert;
pub mod engine;
pub mod jvm;
pub mod request;
pub mod server;
pub mod store;
pub mod stylesheet;
#[allow(unsafe_code)]
// the one module that may: it wraps libxml2/libxslt, each block with a `SAFETY:` comment
pub mod xslt;
