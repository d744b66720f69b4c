//! Compiles the application's stylesheets once per path (on the engine the application chooses), reporting
//! failures at the referencing element, and creates its PDF renderer on first need.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::error::{Diagnostics, Pos};
use crate::config::model::application::Layout;
use crate::jvm::PdfRenderer;
use crate::stylesheet::{Sandbox, Stylesheet, XsltEngine};

/// Compiles stylesheets once per path (on the engine the application chooses) and reports failures at the
/// referencing element; creates the application's PDF renderer on first need.
pub struct Compiler {
    pub sandbox: Sandbox,
    engine: XsltEngine,
    cache: HashMap<PathBuf, Option<Arc<Stylesheet>>>,
    static_dir: PathBuf,
    pdf: Option<Option<Arc<PdfRenderer>>>,
}

impl Compiler {
    pub fn new(layout: &Layout, engine: XsltEngine) -> Compiler {
        Compiler {
            sandbox: Sandbox {
                root: layout.root.clone(),
                config_dir: layout.config_dir.clone(),
                static_dir: layout.static_dir.clone(),
            },
            engine,
            cache: HashMap::new(),
            static_dir: layout.static_dir.clone(),
            pdf: None,
        }
    }

    pub fn compile(
        &mut self,
        path: &Path,
        from: &Path,
        pos: Pos,
        diags: &mut Diagnostics,
    ) -> Option<Arc<Stylesheet>> {
        if let Some(c) = self.cache.get(path) {
            return c.clone();
        }
        let result = match Stylesheet::compile(path, &self.sandbox, self.engine) {
            Ok(s) => {
                // Saxon finds unknown functions itself (XPST0017); libxslt only when the call runs.
                if s.engine_name() == "libxslt" {
                    super::extension_functions::check(path, diags);
                }
                Some(Arc::new(s))
            }
            Err(e) => {
                for p in &e.problems {
                    let at = Pos {
                        line: p.line,
                        column: p.column,
                    };
                    diags.error(p.file.as_deref().unwrap_or(path), at, p.message.clone());
                }
                diags.error(
                    from,
                    pos,
                    format!("XSLT '{}' does not compile", path.display()),
                );
                None
            }
        };
        self.cache.insert(path.to_path_buf(), result.clone());
        result
    }

    /// The application's FOP factory in the JVM worker (created once; a failure is reported at `from`/`pos`
    /// the first time). `fonts/apache-fop-config.xml` is used when present: relative font URLs resolve against
    /// `fonts/`, relative image URLs against `static/`.
    pub fn pdf_renderer(
        &mut self,
        from: &Path,
        pos: Pos,
        diags: &mut Diagnostics,
    ) -> Option<Arc<PdfRenderer>> {
        if let Some(r) = &self.pdf {
            return r.clone();
        }
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let fonts = canonical(&self.sandbox.config_dir.join("fonts"));
        let config = fonts.join("apache-fop-config.xml");
        let config = config.is_file().then_some(config);
        let images = canonical(&self.static_dir);
        let roots = vec![fonts.clone(), images.clone()];
        let r =
            match PdfRenderer::create(crate::jvm::global(), config.clone(), fonts, images, roots) {
                Ok(r) => Some(Arc::new(r)),
                Err(e) => {
                    let at = config.as_deref().unwrap_or(from);
                    let at_pos = if config.is_some() {
                        Pos { line: 1, column: 1 }
                    } else {
                        pos
                    };
                    diags.error(
                        at,
                        at_pos,
                        format!("PDF output (Apache FOP in the JVM worker): {e}"),
                    );
                    if config.is_some() {
                        diags.error(
                            from,
                            pos,
                            "the FOP configuration fonts/apache-fop-config.xml cannot be used",
                        );
                    }
                    None
                }
            };
        self.pdf = Some(r.clone());
        r
    }
}
