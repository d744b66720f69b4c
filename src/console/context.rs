//! [`Console`]: what every console request shares (the server's state, the access rule, the try-it sender, the
//! health page's samples, the closing signal).

use std::net::SocketAddr;
use std::sync::Arc;

use super::auth::Access;
use super::{health_view, try_it};
use crate::server::State;

/// What every console request shares.
pub struct Console {
    pub state: Arc<State>,
    pub access: Arc<Access>,
    pub try_it: try_it::TryIt,
    pub rates: health_view::Rates,
    /// Becomes `true` when the console stops: open log streams end.
    pub closing: tokio::sync::watch::Receiver<bool>,
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
