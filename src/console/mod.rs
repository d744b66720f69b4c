//! The console (`endpoints serve --console ADDR`): a small web interface for application authors, served on a
//! listener of its own so that it is never reachable through the endpoints' port.
//!
//! Everything it shows comes from the running server's [`State`] and the same code the command line uses (a
//! reload is [`Site::reload`](crate::server::site::Site::reload), the hash is
//! [`expected_hashes`](crate::engine::hash::expected_hashes), the request log is read with
//! [`Store::entries`](crate::store::Store::entries)); a tried request goes through the server's own listener. Pages
//! are rendered on the server (`maud`), with one embedded stylesheet and one small script (the live log).
//!
//! | file | owns |
//! | --- | --- |
//! | `listen` | the accept loop: connection limit, header timeout, the rate sampler, graceful shutdown |
//! | `auth` | who may use it: the token (bearer header or login form), sessions, CSRF tokens, the Origin check |
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

use std::net::SocketAddr;
use std::sync::Arc;

pub use auth::Access;
pub use listen::serve;

use crate::server::State;

/// What every console request shares.
pub struct Console {
    state: Arc<State>,
    access: Arc<Access>,
    try_it: try_it::TryIt,
    rates: health_view::Rates,
    /// Becomes `true` when the console stops: open log streams end.
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Console {
    /// The console of `state`; tried requests are sent to the server's listener at `endpoints` (a wildcard
    /// address is reached through the loopback address of its family).
    pub fn new(
        state: Arc<State>,
        access: Arc<Access>,
        endpoints: SocketAddr,
        closing: tokio::sync::watch::Receiver<bool>,
    ) -> Console {
        let mut target = endpoints;
        if target.ip().is_unspecified() {
            target.set_ip(match target {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        Console {
            state,
            access,
            try_it: try_it::TryIt::new(target),
            rates: health_view::Rates::default(),
            closing,
        }
    }
}
