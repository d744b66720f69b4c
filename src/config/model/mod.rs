//! The compiled, immutable form of an application: what the request path reads. Nothing here reads XML; the
//! parsers in [`super::loader`] build these types.
//!
//! | file | owns |
//! | --- | --- |
//! | `application` | [`Application`](application::Application), its [`Layout`](application::Layout), endpoints, parameters, `<success>`/`<error>` |
//! | `action` | the responses: static file, transformation, URL, OOXML document, forward |
//! | `redirect` | `<redirect-to>`: its load-time checks and the `Location` it answers with |
//! | `task` | `<task>`s and the options of outgoing HTTP requests |
//! | `email` | `email-sending-configuration.xml` and EmailTasks |
//! | `data_source` | data sources, their commands, transformers |
//! | `database` | `<xml-from-database>`: the query and its parsed JDBC target |
//! | `http_spec` | the specification of an outgoing HTTP request |
//! | `auth` | `<authentication>` methods |
//! | `settings` | `engine-settings.xml` switches |
//! | `condition` | conditions and how they are evaluated |
//! | `template` | `${name}` templates and patterns |
//! | `static_file` | files under `static/`, resolved and confined |
//! | `ooxml` | loaded Word/Excel/PowerPoint templates |
//! | `secrets` | the secrets to redact |
//! | `aws` | `aws-s3-configuration.xml`, the S3 commands and dumps, `secrets.xml` with its cache of fetched values |
//! | `cms` | the data-driven CMS files and the element they give |

pub mod action;
pub mod application;
pub mod auth;
pub mod aws;
pub mod cms;
pub mod condition;
pub mod data_source;
pub mod database;
pub mod email;
pub mod http_spec;
pub mod ooxml;
pub mod redirect;
pub mod secrets;
pub mod settings;
pub mod static_file;
pub mod task;
pub mod template;
