//! The loading of an application directory, start to end: where its files are, `engine-settings.xml` first,
//! then security, data sources, transformers, the AWS files, e-mail and `endpoints.xml`, into one [`Application`] with every
//! diagnostic.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::compiler::Compiler;
use super::context::Context;
use super::data_source::{load_data_sources, load_transformers};
use super::email_config::{load_email_config, EMAIL_CONFIG_FILE};
use super::endpoints::is_url_name;
use super::files::Dirs;
use super::security::load_security;
use super::settings::SETTINGS_FILE;
use crate::config::error::{Diagnostic, Diagnostics, LoadError, Pos, Severity};
use crate::config::model::application::{Application, Layout};
use crate::config::model::secrets::Secrets;
use crate::config::model::settings::{HashScheme, SettingSource};
use crate::config::model::static_file;

/// What the loader needs to know about how the application will be served.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Application name used in `/{application}/{endpoint}` URLs; defaults to the directory's name.
    pub name: Option<String>,
    /// When hash checking is off, `security.xml` may be absent.
    pub hash_check: bool,
    /// Which engine runs the stylesheets (the server's `--xslt-engine`).
    pub xslt_engine: crate::stylesheet::XsltEngine,
    /// `--accept-missing-hash` / `ENDPOINTS_ACCEPT_MISSING_HASH=true`: requests without a `hash` are accepted, unless
    /// the application's `engine-settings.xml` says otherwise.
    pub accept_missing_hash: bool,
    /// `--hash-scheme` / `ENDPOINTS_HASH_SCHEME`: how request hashes are computed, unless the application's
    /// `engine-settings.xml` says otherwise.
    pub hash_scheme: HashScheme,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            name: None,
            hash_check: true,
            xslt_engine: Default::default(),
            accept_missing_hash: false,
            hash_scheme: Default::default(),
        }
    }
}

/// Finds where the application's files are: `DIR/endpoints.xml` (the OpenEndpoints layout) or
/// `DIR/endpoints/endpoints.xml` with `static/` and `ooxml-responses/` beside `endpoints/`.
pub fn layout(dir: &Path) -> Result<Layout, Diagnostic> {
    let root = dir.to_path_buf();
    if dir.join("endpoints.xml").is_file() {
        return Ok(Layout {
            config_dir: root.clone(),
            static_dir: root.join("static"),
            ooxml_dir: root.join("ooxml-responses"),
            root,
        });
    }
    let split = dir.join("endpoints");
    if split.join("endpoints.xml").is_file() {
        return Ok(Layout {
            config_dir: split,
            static_dir: root.join("static"),
            ooxml_dir: root.join("ooxml-responses"),
            root,
        });
    }
    Err(Diagnostic {
        severity: Severity::Error,
        file: dir.to_path_buf(),
        line: 0,
        column: 0,
        message: format!(
            "no application here: neither {} nor {} exists",
            dir.join("endpoints.xml").display(),
            split.join("endpoints.xml").display()
        ),
    })
}

/// The application name a directory gets when none is given: its last path component, reduced to `[\w-]`.
pub fn default_name(dir: &Path) -> String {
    let base = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "endpoints".to_string()
    } else {
        cleaned
    }
}

/// Loads and checks an application. On success the warnings are in [`Application::warnings`].
pub fn load(dir: &Path, options: &LoadOptions) -> Result<Application, LoadError> {
    let mut diags = Diagnostics::default();
    let app = load_into(dir, options, &mut diags);
    match app {
        Some(mut app) if !diags.has_errors() => {
            app.warnings = diags.into_vec();
            Ok(app)
        }
        _ => Err(LoadError(diags.into_vec())),
    }
}

/// Every diagnostic (errors and warnings) of loading `dir`.
pub fn check(dir: &Path, options: &LoadOptions) -> Vec<Diagnostic> {
    let mut diags = Diagnostics::default();
    let _ = load_into(dir, options, &mut diags);
    diags.into_vec()
}

fn load_into(dir: &Path, options: &LoadOptions, diags: &mut Diagnostics) -> Option<Application> {
    let layout = match layout(dir) {
        Ok(l) => l,
        Err(d) => {
            diags.error(&d.file, Pos::default(), d.message);
            return None;
        }
    };
    let name = options.name.clone().unwrap_or_else(|| default_name(dir));
    if !is_url_name(&name) {
        diags.error(
            dir,
            Pos::default(),
            format!("application name '{name}' cannot be used in URLs: only letters, digits, '_' and '-'"),
        );
    }
    // First: later steps (compiling stylesheets) will depend on these settings.
    let app_settings = super::settings::load(
        &layout.config_dir,
        options.accept_missing_hash,
        options.hash_scheme,
        diags,
    );
    check_other_files(&layout, diags);

    let secret_keys = load_security(&layout.security_xml(), options.hash_check, diags);

    crate::xslt::init();
    let dirs = Dirs {
        config_dir: &layout.config_dir,
    };
    // The application's engine-settings.xml wins over the server's --xslt-engine.
    let xslt_engine = app_settings.xslt_engine.unwrap_or(options.xslt_engine);
    let mut compiler = Compiler::new(&layout, xslt_engine);
    let data_sources = load_data_sources(&dirs, &mut compiler, diags);
    let transformers = load_transformers(&dirs, &data_sources, &mut compiler, diags);
    let (s3, aws_secrets) =
        super::aws::load_application_aws(&layout.config_dir, &data_sources, &transformers, diags);
    let email_path = layout.config_dir.join(EMAIL_CONFIG_FILE);
    let email_config = if email_path.exists() {
        load_email_config(&email_path, diags)
    } else {
        None
    };

    let file = Arc::new(layout.endpoints_xml());
    let mut ctx = Context {
        file: file.clone(),
        static_dir: &layout.static_dir,
        static_cache: HashMap::new(),
        static_budget: static_file::CACHE_TOTAL_MAX_BYTES,
        data_sources: &data_sources,
        transformers: &transformers,
        email: email_config.as_ref(),
        email_path: &email_path,
        ooxml_cache: HashMap::new(),
        ooxml_dir: &layout.ooxml_dir,
        compiler: &mut compiler,
        dirs: &dirs,
        secret_parameters: aws_secrets
            .iter()
            .flat_map(|s| s.parameters.iter().map(|p| p.parameter.clone()))
            .collect(),
    };
    let list = super::endpoints::parse(&mut ctx, diags);
    if !layout.config_dir.join(super::aws::S3_CONFIG_FILE).exists() {
        super::aws::check_parameter_transformations(&list, diags);
    }
    let by_name = list
        .iter()
        .enumerate()
        .map(|(i, e)| (Box::<str>::from(e.name.as_str()), i))
        .rev() // the first of duplicate names wins
        .collect();
    let mut held = diags.take_secrets();
    held.extend(secret_keys.iter().map(|k| k.to_string()));
    let app = Application {
        name,
        layout,
        endpoints: list,
        by_name,
        data_sources,
        transformers,
        email: email_config,
        secrets: Secrets::new(held),
        secret_keys,
        s3,
        aws_secrets,
        settings: app_settings,
        warnings: Vec::new(),
    };
    if options.hash_check {
        warn_missing_hash_accepted(&app, diags);
    }
    Some(app)
}

/// Names the endpoints that accept requests without a hash, where the setting was made.
fn warn_missing_hash_accepted(app: &Application, diags: &mut Diagnostics) {
    let names = app.accepting_missing_hash();
    if names.is_empty() {
        return;
    }
    let (file, pos, why) = match app.settings.missing_hash_source {
        SettingSource::File(pos) => (
            app.layout.config_dir.join(SETTINGS_FILE),
            pos,
            "<missing-hash>accept</missing-hash>",
        ),
        _ => (
            app.layout.endpoints_xml(),
            Pos::default(),
            "--accept-missing-hash / ENDPOINTS_ACCEPT_MISSING_HASH",
        ),
    };
    diags.warning(
        &file,
        pos,
        format!(
            "{why}: requests without a hash are accepted unauthenticated (as OpenEndpoints does) by {}; a wrong hash is still refused",
            missing_hash_list(&names)
        ),
    );
}

/// "2 endpoints: 'a', 'b'" — at most 50 names, then how many more.
pub fn missing_hash_list(names: &[&str]) -> String {
    const SHOWN: usize = 50;
    let mut s = format!(
        "{} endpoint{}: ",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    );
    let shown: Vec<String> = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
    s.push_str(&shown.join(", "));
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// Files and folders that later features use: reported, never silently ignored.
fn check_other_files(layout: &Layout, diags: &mut Diagnostics) {
    let cfg = &layout.config_dir;
    if cfg.join("smtp.xml").exists() {
        diags.error(
            &cfg.join("smtp.xml"),
            Pos::default(),
            "Legacy 'smtp.xml' exists, rename to 'email-sending-configuration.xml'",
        );
    }
}
