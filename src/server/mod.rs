//! The HTTP front door: hyper (HTTP/1.1 keep-alive and h2c on one port), routing `/{application}/{endpoint}` and
//! `/{endpoint}`, CORS, limits and timeouts, static file serving, the access log and graceful shutdown.
//!
//! A request flows through `listen` (accept loop, connection timeouts) to `handler` (the pipeline: the client's
//! address, dispatch, headers, metrics, access log), which hands it to one feature module: `health`
//! (`/health-check`, `/metrics`), `index` (`GET /`), `cors` (preflight), `short_link` (`/shortlink/{code}`) or
//! `endpoint` (`/{application}/{endpoint}`: `route`, environment, input). An endpoint runs through `prepared` (the
//! engine's call) and its answer becomes HTTP in `respond`; a refused request's status and text come from
//! [`crate::engine::failure`]. `state` holds what connections share and finds the [`site`] that answers a request;
//! `running` serves in the background for tests and embedding.

pub mod body;
pub mod connections;
mod cors;
mod endpoint;
mod handler;
mod health;
pub mod histogram;
mod index;
mod listen;
pub mod metrics;
mod prepared;
pub mod process_metrics;
pub mod request_id;
mod respond;
mod route;
mod running;
mod short_link;
pub mod site;
mod state;
pub mod static_http;
pub mod watch;

pub use listen::serve;
pub use route::route;
pub use running::Running;
pub use state::State;
