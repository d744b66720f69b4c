//! The `endpoints` command line: `serve`, `check`, `hash`, `routes`, `log`, `init`. The commands themselves live in
//! [`cli`]: the arguments in `cli/args.rs`, one file per command family.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::args::{AppArgs, HashArgs, LogArgs, ServeArgs};

/// mimalloc instead of the C library's allocator: a request makes a few dozen small allocations (strings of its
/// parameters, its log entry, the futures of its steps), and mimalloc's thread-local free lists serve them in a
/// fraction of glibc's instructions (measured with `bench/instructions.py`). Built without transparent huge pages
/// (feature `no_thp`): with them, its eagerly committed arena made the idle server ~9 MB larger than with glibc;
/// without them it is the same size. Called through [`endpoints::xslt::allocator::Allocator`], which keeps ordinary
/// blocks off mimalloc's slower aligned path.
#[global_allocator]
static ALLOCATOR: endpoints::xslt::allocator::Allocator = endpoints::xslt::allocator::Allocator;

#[derive(Parser)]
#[command(
    name = "endpoints",
    version,
    about = "A declarative endpoint engine for OpenEndpoints-style XML applications"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an application directory over HTTP (the default command).
    Serve(Box<ServeArgs>),
    /// Load an application and print every configuration problem as path:line:column: message.
    Check {
        /// The application directory.
        #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
        app_dir: PathBuf,
        /// Fail on warnings too (exit status 1), e.g. in CI.
        #[arg(long)]
        strict: bool,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Print the hash a form or client must send: endpoints hash [APP_DIR] ENDPOINT [NAME=VALUE ...]
    Hash(HashArgs),
    /// List the endpoints with their parameters.
    Routes {
        #[arg(default_value = ".", env = "ENDPOINTS_APP_DIR")]
        app_dir: PathBuf,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Print recent request-log entries (newest last), or one entry with its debug documents (--show ID).
    Log(LogArgs),
    /// Write a new working application (form, thank-you page, redirect, JSON endpoint, a fresh secret key) into
    /// DIR, which must be new or empty, and print how to serve and call it.
    Init {
        /// The directory to create.
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(c) => c,
        None => match Cli::parse_from(["endpoints", "serve"]).command {
            Some(c) => c,
            None => unreachable!("serve was given"),
        },
    };
    match command {
        Command::Serve(args) => cli::serve::serve(*args),
        Command::Check {
            app_dir,
            strict,
            app,
        } => cli::inspect::check(&app_dir, &app, strict),
        Command::Hash(args) => cli::inspect::hash(args),
        Command::Routes { app_dir, app } => cli::inspect::routes(&app_dir, &app),
        Command::Log(args) => cli::log::log(args),
        Command::Init { dir } => cli::init::init(&dir),
    }
}
