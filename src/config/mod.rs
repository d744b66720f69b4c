//! The configuration path: an application directory → one immutable, fully checked [`Application`].
//!
//! Every mistake a user can make in the XML is found here, with file, line and column, and never at request time.
//! `endpoints check DIR` runs exactly this path and prints every diagnostic.
//!
//! - [`model`]: the compiled, immutable types the request path reads (no XML in there).
//! - [`loader`]: the parsers, one file per file kind or element family, building the model.
//! - [`error`]: the diagnostics both speak of.
//!
//! The modules below `error` keep the paths the rest of the crate uses (`config::task::Task`,
//! `config::email::parse_email_task`, …): each gathers the model types and the parser functions of one area.

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

/// `<authentication>`: its methods and their parser.
pub mod auth {
    pub use super::loader::auth::parse;
    pub use super::model::auth::*;
}

/// Data sources and transformers: the compiled types, their loaders and the stylesheet compiler.
pub mod data_source {
    pub use super::loader::command::{parse_command, parse_post_process};
    pub use super::loader::compiler::Compiler;
    pub use super::loader::data_source::{load_data_sources, load_transformers};
    pub use super::loader::files::{
        read_application_xml, resolve_inside, xml_files, Dirs, LEAFNAME_BLOCKED,
    };
    pub use super::model::data_source::*;
}

/// `<xml-from-database>`: the query, its JDBC target and their parsers.
pub mod database {
    pub use super::loader::database::parse_database_query;
    pub use super::loader::jdbc::parse_jdbc_url;
    pub use super::loader::sql::{scan_placeholders, Dialect};
    pub use super::model::database::*;
}

/// E-mail: the sending configuration, EmailTasks and their parsers.
pub mod email {
    pub use super::loader::email_config::{load_email_config, EMAIL_CONFIG_FILE};
    pub use super::loader::email_task::parse_email_task;
    pub use super::model::email::*;
}

/// `endpoints.xml`: its parser and the helpers shared by the parsers of its parts.
pub mod endpoints {
    pub use super::loader::condition::parse_condition;
    pub use super::loader::context::{check_data_source_patterns, Context};
    pub use super::loader::endpoints::{is_url_name, parse, RESERVED_PATHS};
}

/// Outgoing HTTP requests: the specification and its parser.
pub mod http_spec {
    pub use super::loader::http_spec::{parse, SpecContext};
    pub use super::model::http_spec::*;
}

/// Office templates: the loaded template and how it is read.
pub mod ooxml {
    pub use super::loader::ooxml::*;
    pub use super::model::ooxml::*;
}

/// `engine-settings.xml`: the settings and their loader.
pub mod settings {
    pub use super::loader::settings::{load, SETTINGS_FILE};
    pub use super::model::settings::*;
}

/// `<task>`s: the compiled tasks, their parsers and their dependency graph.
pub mod task {
    pub use super::loader::http_options::{parse_http_options, HTTP_OPTION_ATTRIBUTES};
    #[cfg(test)]
    pub(crate) use super::loader::http_task::xpath_stylesheet;
    pub use super::loader::task::parse_task;
    pub use super::loader::task_graph::{
        check_cycles, declared, ordinal, resolve_dependencies, Declared,
    };
    pub use super::model::task::*;
}
