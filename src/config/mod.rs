//! The configuration path: an application directory → one immutable, fully checked [`Application`].
//!
//! Every mistake a user can make in the XML is found here, with file, line and column, and never at request time.
//! `endpoints check DIR` runs exactly this path and prints every diagnostic.
//!
//! - [`model`]: the compiled, immutable types the request path reads (no XML in there).
//! - [`loader`]: the parsers, one file per file kind or element family, building the model.
//! - [`error`]: the diagnostics both speak of.
//!
//! The most used items are re-exported here (`config::Application`, `config::load`, …), and `config::template`,
//! `config::condition`, `config::static_file`, `config::secrets`, `config::xml` and `config::extension_functions`
//! name their modules; everything else is reached through `config::model::…` or `config::loader::…`.

pub mod error;
pub mod loader;
pub mod model;

pub use error::{Diagnostic, Diagnostics, LoadError, Pos, Severity};
pub use loader::application::{check, default_name, layout, load, missing_hash_list, LoadOptions};
pub use model::action::*;
pub use model::application::*;
pub use model::redirect::{Redirect, RedirectError};

pub use loader::{extension_functions, xml};
pub use model::{condition, secrets, static_file, template};
