//! The console (`endpoints serve --console ADDR`): a small web interface for application authors, served on a
//! listener of its own so that it is never reachable through the endpoints' port.
//!
//! Everything it shows comes from the running server's [`State`](crate::server::State) and the same code the command line uses (a
//! reload is [`Site::reload`](crate::server::site::Site::reload), the hash is
//! [`expected_hashes`](crate::engine::hash::expected_hashes), the request log is read with
//! [`Store::entries`](crate::store::Store::entries)); a tried request goes through the server's own listener. Pages
//! are rendered on the server (`maud`), with one embedded stylesheet and one small script (the live log).
//!
//! | file | owns |
//! | --- | --- |
//! | `listen` | the accept loop: connection limit, header timeout, the rate sampler, graceful shutdown |
//! | `auth` | who may use it: the token (bearer header or login form), sessions, CSRF tokens, the Origin check |
//! | `context` | [`Console`](context::Console): what every console request shares |
//! | `router` | paths and methods to pages and actions |
//! | `answer` | the answers' body type, security headers and builders; a request's form fields |
//! | `pages` | the page frame, applications, login, hash calculator |
//! | `endpoint_view` | one application's endpoints rendered from the compiled model |
//! | `try_it`, `try_page` | sending a request to an endpoint, and its form and result |
//! | `pretty` | JSON and XML bodies indented for reading |
//! | `log_view` | the request log, its live stream (Server-Sent Events), one entry |
//! | `timings_view` | the durations of one request's steps on its entry page |
//! | `short_link_view` | the short-link creator |
//! | `health_view` | the state store, the JVM worker, request rates and latencies |
//! | `style.css`, `console.js` | the stylesheet and the live log's script |

mod answer;
mod auth;
mod context;
mod endpoint_view;
mod health_view;
mod listen;
mod log_view;
mod pages;
mod pretty;
mod router;
mod short_link_view;
mod timings_view;
mod try_it;
mod try_page;

pub use auth::Access;
pub use listen::serve;
