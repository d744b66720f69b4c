//! The commands that load an application without serving it: `check`, `hash`, `routes`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use endpoints::config::{self, LoadOptions};
use endpoints::engine::{hash, Environment};

use super::args::{load_options, AppArgs, HashArgs, HashSchemeArg};
use super::common::{env_var, print_diagnostics};

/// `endpoints check`: every error and warning, then a summary; with `strict`, warnings fail too.
pub fn check(dir: &Path, app: &AppArgs, strict: bool) -> ExitCode {
    let diags = config::check(dir, &load_options(app));
    let errors = print_diagnostics(&diags);
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        ExitCode::FAILURE
    } else if strict && warnings > 0 {
        eprintln!("0 error(s), {warnings} warning(s): failing because of --strict");
        ExitCode::FAILURE
    } else {
        println!("{}: OK ({warnings} warning(s))", dir.display());
        ExitCode::SUCCESS
    }
}

/// `endpoints hash`: the hash a form or client must send for the given values.
pub fn hash(args: HashArgs) -> ExitCode {
    let HashArgs {
        args,
        environment,
        all_keys,
        scheme: HashSchemeArg { hash_scheme },
    } = args;
    let Some(env) = Environment::parse(&environment) else {
        eprintln!("--environment must be 'live' or 'preview', not '{environment}'");
        return ExitCode::from(2);
    };
    let mut rest: &[String] = &args;
    let mut dir = PathBuf::from(env_var("ENDPOINTS_APP_DIR").unwrap_or_else(|| ".".to_string()));
    if rest.len() >= 2 && !rest[0].contains('=') && config::layout(Path::new(&rest[0])).is_ok() {
        dir = PathBuf::from(&rest[0]);
        rest = &rest[1..];
    }
    let Some((endpoint_name, assignments)) = rest.split_first() else {
        eprintln!("usage: endpoints hash [APP_DIR] ENDPOINT [NAME=VALUE ...]");
        return ExitCode::from(2);
    };
    let options = LoadOptions {
        hash_scheme,
        ..LoadOptions::default()
    };
    let app = match config::load(&dir, &options) {
        Ok(a) => a,
        Err(e) => {
            print_diagnostics(&e.0);
            return ExitCode::FAILURE;
        }
    };
    let Some((_, endpoint)) = app.endpoint(endpoint_name) else {
        eprintln!("no endpoint '{endpoint_name}' in {}", dir.display());
        return ExitCode::FAILURE;
    };
    let mut given: Vec<(String, String)> = Vec::new();
    for a in assignments {
        let Some((n, v)) = a.split_once('=') else {
            eprintln!("'{a}' is not NAME=VALUE");
            return ExitCode::from(2);
        };
        given.push((n.to_string(), v.to_string()));
    }
    let keys = if all_keys {
        &app.secret_keys[..]
    } else {
        &app.secret_keys[..app.secret_keys.len().min(1)]
    };
    let hashes = match hash::expected_hashes(app.settings.hash_scheme, endpoint, &given, env, keys)
    {
        Ok(h) => h,
        Err(name) => {
            eprintln!(
                "parameter '{name}' is part of the hash and has no default: give {name}=VALUE"
            );
            return ExitCode::from(2);
        }
    };
    for n in endpoints::engine::parameters::not_hashed(endpoint, &given) {
        eprintln!("note: '{n}' is not in <include-in-hash> of '{endpoint_name}' and does not change the hash");
    }
    if app.secret_keys.is_empty() {
        eprintln!("security.xml has no <secret-key>");
        return ExitCode::FAILURE;
    }
    for h in hashes {
        println!("{h}");
    }
    ExitCode::SUCCESS
}

pub fn routes(dir: &Path, app_args: &AppArgs) -> ExitCode {
    let app = match config::load(dir, &load_options(app_args)) {
        Ok(a) => a,
        Err(e) => {
            print_diagnostics(&e.0);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "application '{}': /{}/<endpoint> and /<endpoint>",
        app.name, app.name
    );
    for e in &app.endpoints {
        println!("/{}", e.name);
        for (i, p) in e.parameters.iter().enumerate() {
            let hashed = if e.include_in_hash.contains(&i) {
                "  [in hash]"
            } else {
                ""
            };
            match &p.default {
                Some(d) => println!("    {} = {:?}{hashed}", p.name, d),
                None => println!("    {} (required){hashed}", p.name),
            }
        }
    }
    ExitCode::SUCCESS
}
