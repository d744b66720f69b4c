//! The commands of the `endpoints` binary (not part of the library): each file one command family, all of them
//! thin — they turn arguments into the library's options and call it.
//!
//! | file | owns |
//! |---|---|
//! | `args.rs` | clap arguments shared by the commands, and the `LoadOptions`/JVM options they configure |
//! | `common.rs` | environment variables, printing diagnostics, the tokio runtime |
//! | `data_dir.rs` | where the SQLite state file is, for `serve` and `log` |
//! | `init.rs` | `endpoints init`: a new application to start from |
//! | `serve.rs` | `endpoints serve` |
//! | `log.rs` | `endpoints log` |
//! | `inspect.rs` | `endpoints check`, `hash`, `routes` |

pub mod args;
pub mod common;
pub mod data_dir;
pub mod init;
pub mod inspect;
pub mod log;
pub mod serve;
