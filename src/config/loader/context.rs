//! What the parsers of `endpoints.xml` share while they compile the endpoints: the files and caches of the
//! application, the data sources and transformers loaded before, the e-mail configuration and the stylesheet
//! compiler.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::compiler::Compiler;
use super::files::Dirs;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::data_source::{DataSource, Transformer};
use crate::config::model::email::EmailSendingConfig;
use crate::config::model::ooxml::OoxmlTemplate;
use crate::config::model::static_file::{self, StaticFile, StaticFileError};
use crate::config::model::template::Scope;

/// What a success/error parser needs from the rest of the application.
pub struct Context<'a> {
    pub file: Arc<PathBuf>,
    pub static_dir: &'a Path,
    pub static_cache: HashMap<String, Arc<StaticFile>>,
    pub static_budget: u64,
    pub data_sources: &'a [DataSource],
    pub transformers: &'a [Transformer],
    pub email: Option<&'a EmailSendingConfig>,
    pub email_path: &'a Path,
    pub ooxml_cache: HashMap<String, Arc<OoxmlTemplate>>,
    pub ooxml_dir: &'a Path,
    pub compiler: &'a mut Compiler,
    pub dirs: &'a Dirs<'a>,
    /// The parameters of `secrets.xml`: available to the placeholders of data sources and HTTP requests.
    pub secret_parameters: Vec<String>,
}

impl Context<'_> {
    /// `scope` plus the `secrets.xml` parameters, for checking the named placeholders of data sources and HTTP
    /// requests (whose values are looked up by name at request time, so a secret there is fetched only when the
    /// request reaches it). Unlike the endpoint's own scope, it records nothing: an endpoint does not fetch these
    /// secrets before it runs.
    pub fn with_secrets(&self, scope: &Scope) -> Scope {
        if self.secret_parameters.is_empty() {
            return scope.clone();
        }
        Scope::new(scope.names().iter().chain(&self.secret_parameters).cloned())
    }

    /// `static/<filename>`, resolved once per name.
    pub fn static_file(&mut self, filename: &str) -> Result<Arc<StaticFile>, StaticFileError> {
        let (dir, budget) = (self.static_dir, &mut self.static_budget);
        cached(&mut self.static_cache, filename, || {
            static_file::resolve(dir, filename, budget)
        })
    }

    /// `ooxml-responses/<source>`, read and prepared once per name.
    pub fn ooxml_template(&mut self, source: &str) -> Result<Arc<OoxmlTemplate>, String> {
        let dir = self.ooxml_dir;
        cached(&mut self.ooxml_cache, source, || {
            super::ooxml::load(dir, source)
        })
    }
}

/// The cached value of `key`, else what `load` gives (cached when it succeeds).
fn cached<T, E>(
    cache: &mut HashMap<String, Arc<T>>,
    key: &str,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    if let Some(v) = cache.get(key) {
        return Ok(v.clone());
    }
    let v = Arc::new(load()?);
    cache.insert(key.to_string(), v.clone());
    Ok(v)
}

/// Checks every placeholder of the transformer's data source against `scope`.
pub fn check_data_source_patterns(
    file: &Path,
    pos: Pos,
    what: &str,
    transformer: &Transformer,
    ctx: &Context,
    scope: &Scope,
    diags: &mut Diagnostics,
) -> bool {
    let ds = &ctx.data_sources[transformer.data_source];
    let scope = &ctx.with_secrets(scope);
    let mut ok = true;
    for cmd in &ds.commands {
        for p in cmd.patterns() {
            if let Err(e) = p.check(scope) {
                diags.error(
                    file,
                    pos,
                    format!(
                        "{what}: transformer '{}' uses data source '{}' whose <{}> ({}:{}:{}) has an error: {e}",
                        transformer.name,
                        ds.name,
                        cmd.tag,
                        ds.file.display(),
                        cmd.pos.line,
                        cmd.pos.column
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}
