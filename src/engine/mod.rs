//! Executing one endpoint for one request: hash check → parameters → the first `<success>` whose condition holds
//! (following `<forward-to-endpoint>` chains) → a [`Response`]; any failure → the endpoint's `<error>`.
//!
//! Layout (each file imports only files further down this list, never `mod.rs`):
//!
//! * the flow: [`flow`] (`execute` → `run` → choose the success → [`render`]; the error flow in [`render`]),
//!   [`authenticate`] (`<authentication>` or the request hash), [`request_log`] (the log entry and its redaction);
//! * what a request runs: [`parameter_transformation`], [`task`] (tasks, with [`email`] and [`files`]),
//!   [`transform`] (transformers, with [`excel`] and [`ooxml`]), [`data_source`] (with [`http`], [`database`] and
//!   [`aws`]: S3, the S3 dumps of transformers, `secrets.xml` values),
//!   [`stylesheet`] (one XSLT run);
//! * the request's values: [`parameters`] (parameter values and the values the hash covers, shared with
//!   `endpoints hash`), [`hash`] (the hash schemes), [`auth`] (the `<authentication>` methods);
//! * shared types: [`call`] ([`Call`]), [`context`] ([`Ctx`](context::Ctx), what data sources see),
//!   [`response`] ([`Response`]), [`journal`] (numbers, captures and short links of one request, and where its
//!   step timings go), [`timings`] (the step timings of recent requests, kept in memory for the console),
//!   [`settings`] ([`Settings`], [`Environment`], [`Clock`]), [`failure`] ([`Failure`]).

pub mod auth;
pub mod authenticate;
pub mod aws;
pub mod call;
pub mod context;
pub mod data_source;
pub mod database;
pub mod email;
pub mod excel;
pub mod failure;
pub mod files;
pub mod flow;
pub mod hash;
pub mod http;
pub mod journal;
pub mod ooxml;
pub mod parameter_transformation;
pub mod parameters;
pub mod render;
pub mod request_log;
pub mod response;
pub mod settings;
pub mod stylesheet;
pub mod task;
pub mod timings;
pub mod transform;

pub use call::Call;
pub use failure::{Failure, FailureKind};
pub use flow::execute;
pub use render::error_response;
pub use response::{content_disposition, Response, ResponseBody, MAX_DOWNLOAD_FILENAME_BYTES};
pub use settings::{Clock, Environment, HashScheme, RequestLogMode, Settings};
