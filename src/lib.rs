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
//! ## Layout: one home per concern
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | the configuration path: [`config::model`] holds the compiled, immutable types the request path reads (templates pre-split, conditions compiled, a redirect's checks), [`config::loader`] the XML parsers that build them (one file per file kind or element family) and every load-time check |
//! | [`request`] | an HTTP request → [`request::RequestInput`]: `limits`, `input`, `read` (query and body), `multipart`, `body_document` (an XML/JSON body as XML, within its budget), `client_address` (the peer, or what a `--trusted-proxy` says) |
//! | [`engine`] | one endpoint for one request: `flow` (execute → run → choose the success → `render`), `authenticate` (hash or `<authentication>`), `parameters` (parameter values and the hashed values, shared with `endpoints hash`), `failure` (the one place a failure becomes a status and a public text), what a request runs (`task`, `transform`, `data_source`, `http`, `database`, `email`, …), the shared types (`call`, `context`, `response`, `settings`, `journal`), and `timings` (recent requests' step durations, in memory for the console) |
//! | [`server`] | the HTTP front door as a pipeline: `listen` (accept, timeouts) → `handler` (dispatch, headers, access log) → `health`, `index` (`GET /`), `cors`, `short_link` or `endpoint` → `prepared` (the engine's call) → `respond`; `state` finds the site, `static_http` serves files, `watch` reloads, `metrics` and `process_metrics` feed `/metrics` |
//! | [`console`] | `serve --console ADDR`: the authors' web console on a listener of its own — `listen`, `auth` (token, sessions, CSRF), `router`, `pages` and `endpoint_view` (HTML from the compiled model); it reads the server's [`server::State`] and reuses the CLI's code (reload, hash) |
//! | [`store`] | request log, gapless numbers, short links: one `Store` trait; `sqlite/` and `postgres` backends; versioned `migrations` per backend; `pg_pool`, the one PostgreSQL pool (also for `<xml-from-database>`) |
//! | [`aws`] | the small AWS client: `sigv4` (request signing), `credentials` (environment, credentials file, container and instance roles), `call` (send with the timeouts and retries of HTTP tasks), `s3` (one bucket: check, list, tags, read, write), `secrets_manager` (read a secret) |
//! | [`convert`] | JSON → XML, XML → JSON, body budgets, a document's root element text, and [`convert::escape`], the one XML text escaper |
//! | [`stylesheet`] | a compiled stylesheet on whichever engine runs it: libxslt for XSLT 1.0, Saxon-HE for 2.0/3.0 |
//! | [`jvm`] | the supervised JVM worker hosting Saxon-HE and Apache FOP (PDF), kept warm: `supervisor`, `process`, `handles`, `protocol`, `launch`; its Java source is in `jvm/` |
//! | [`logging`] | the server's log on standard error: `line` formats events (text or JSON) without `tracing-subscriber`'s general machinery, `behind` writes them at once at rest and, under load, many lines a `write` from a thread of their own |
//! | [`xslt`] | the only `unsafe` (the compiler holds it: `deny(unsafe_code)` here, one `allow` on this module): libxml2/libxslt wrapper — compiled stylesheets shared across threads, sandboxed transforms, safe XML parsing |
//!
//! The `endpoints` binary (`src/main.rs`, `src/cli/`) is a thin layer over this library: one file per command
//! family. Two rules hold the layout and are checked by `tests/layout.rs`: no import circles between files (shared
//! items live in a leaf module that both sides import; a `mod.rs` only declares and re-exports), and no source file
//! over 600 lines unless its first lines say why.

#![deny(unsafe_code)]

pub mod aws;
pub mod config;
pub mod console;
pub mod convert;
pub mod engine;
pub mod jvm;
pub mod logging;
pub mod request;
pub mod server;
pub mod store;
pub mod stylesheet;
#[allow(unsafe_code)]
// the one module that may: it wraps libxml2/libxslt, each block with a `SAFETY:` comment
pub mod xslt;
