//! The parsers: an application directory's XML files read, checked and compiled into [`super::model`] types, every
//! mistake reported with file, line and column. `application` runs them in order.
//!
//! | file | parses |
//! | --- | --- |
//! | `application` | the whole directory: layout, order of the files, the [`Application`](super::model::application::Application) |
//! | `xml` | positioned XML reading: read → parse → root element check, attributes |
//! | `settings`, `security`, `email_config` | `engine-settings.xml`, `security.xml`, `email-sending-configuration.xml` |
//! | `data_source`, `command`, `database`, `jdbc`, `sql` | `data-sources/*.xml`, `transformers/*.xml` and their commands |
//! | `endpoints`, `endpoint`, `action`, `forward_graph` | `endpoints.xml`: folders, one endpoint, its responses, whole-file checks |
//! | `task`, `http_task`, `email_task`, `task_graph` | `<task>`s by kind and their dependency graph |
//! | `http_spec`, `http_options` | outgoing HTTP requests and their options |
//! | `condition`, `auth`, `secret`, `from_env` | shared pieces: conditions, `<authentication>`, webhook secrets, values inline or from an environment variable |
//! | `suggest` | "expected …" lists and "did you mean" for unexpected elements and attributes |
//! | `context`, `compiler`, `files` | what the parsers share: the context, the stylesheet compiler, files inside a folder |
//! | `ooxml`, `extension_functions` | Office templates; libxslt extension-function check |
//! | `aws`, `cms` | `aws-s3-configuration.xml` (bucket checked), `secrets.xml`, the S3 commands and dumps; the data-driven CMS files |

pub mod action;
pub mod application;
pub mod auth;
pub mod aws;
pub mod cms;
pub mod command;
pub mod compiler;
pub mod condition;
pub mod context;
pub mod data_source;
pub mod database;
pub mod email_config;
pub mod email_task;
pub mod endpoint;
pub mod endpoints;
pub mod extension_functions;
pub mod files;
pub mod forward_graph;
pub mod from_env;
pub mod http_options;
pub mod http_spec;
pub mod http_task;
pub mod jdbc;
pub mod ooxml;
pub mod secret;
pub mod security;
pub mod settings;
pub mod sql;
pub mod suggest;
pub mod task;
pub mod task_graph;
pub mod xml;
