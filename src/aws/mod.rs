//! A small AWS client for what OpenEndpoints applications use: S3 (list, read, tag and write objects; check a
//! bucket) and Secrets Manager (read a secret), over the one HTTP client of the process (reqwest/rustls) with
//! requests signed by [`sigv4`]. Any S3-compatible store works through `AWS_ENDPOINT_URL`.
//!
//! Why not the official SDK: `aws-sdk-s3` + `aws-sdk-secretsmanager` + `aws-config` bring their own HTTP and TLS
//! stacks (hyper 0.14, rustls 0.21) and 84 crate versions, about 1.1 million lines, to compile; `object_store` covers S3 but not
//! Secrets Manager nor object tags. The five calls needed here are a few hundred lines on top of `hmac`/`sha2`,
//! which the engine already had.
//!
//! Settings (the standard AWS ones): region `AWS_REGION` / `AWS_DEFAULT_REGION` (default `us-east-1`; a secret's
//! region comes from `secrets.xml`); endpoint `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_SECRETS_MANAGER`, the
//! reference's `ENDPOINTS_AWS_S3_ENDPOINT_OVERRIDE` / `ENDPOINTS_AWS_SECRETS_MANAGER_ENDPOINT_OVERRIDE`, then
//! `AWS_ENDPOINT_URL` (with an endpoint set, S3 is addressed path-style: `ENDPOINT/BUCKET/KEY`); credentials: see
//! [`credentials`]. Timeouts and retries are the [`HttpOptions`] of HTTP tasks.

pub mod call;
pub mod credentials;
pub mod error;
pub mod s3;
pub mod secrets_manager;
pub mod sigv4;

pub use error::AwsError;
