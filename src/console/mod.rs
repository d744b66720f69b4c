//! The console (`endpoints serve --console ADDR`): a small web interface for application authors, served on a
//! listener of its own so that it is never reachable through the endpoints' port.
//!
//! Everything it shows comes from the running server's [`State`](crate::server::State) and the same code the
//! command line uses (a reload is [`Site::reload`](crate::server::site::Site::reload), the hash is
//! [`expected_hashes`](crate::engine::hash::expected_hashes)). Pages are rendered on the server (`maud`), with one
//! embedded stylesheet and no script.
//!
//! | file | owns |
//! | --- | --- |
//! | `listen` | the accept loop: connection limit, header timeout, graceful shutdown |
//! | `auth` | who may use it: the token (bearer header or login form), sessions, CSRF tokens, the Origin check |
//! | `router` | paths and methods to pages and actions; the security headers every answer carries |
//! | `pages` | the HTML pages: applications, login, hash calculator, the page frame |
//! | `endpoint_view` | one application's endpoints rendered from the compiled model |
//! | `style.css` | the one stylesheet |

mod auth;
mod endpoint_view;
mod listen;
mod pages;
mod router;

pub use auth::Access;
pub use listen::serve;
