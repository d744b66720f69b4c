//! A compiled stylesheet on whichever engine runs it: libxslt in-process for XSLT 1.0, Saxon-HE in the JVM worker
//! for XSLT 2.0 and 3.0.
//!
//! Which engine runs a stylesheet ([`XsltEngine`]):
//!
//! * `auto` (default): the `version` of the stylesheet's root element (`xsl:version` on a simplified stylesheet)
//!   decides: `1.0`/`1.1` (or none) → libxslt, in-process and fast; `2.0` or higher → Saxon-HE. A stylesheet that
//!   says `version="2.0"` but only uses XSLT 1.0 runs on Saxon, with XSLT 2.0 semantics, as on the reference engine.
//! * `saxon`: every stylesheet on Saxon-HE, the engine OpenEndpoints itself uses: the closest to its output byte for
//!   byte, at the cost of a JVM call per transformation.
//!
//! The choice is made per application (`engine-settings.xml`) or for the whole server (`--xslt-engine`). Both
//! engines get the same inputs and string parameters, serialise per the stylesheet's `xsl:output`, offer the same
//! extension functions and run in the same sandbox ([`Sandbox`]: no writes, no network, reads only below
//! [`READABLE_DIRS`], `static/` and the stylesheet's own directory, never [`CREDENTIAL_FILES`]). The generated XPath stylesheets of HTTP task outputs always run on
//! libxslt.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::jvm::{self, JvmError, SaxonStylesheet};
use crate::xslt::{self, OutputInfo};

/// After transforming an input document of this size or more, freed memory is given back to the system (the
/// libxml2 tree of a document is many times its size).
const LARGE_INPUT_BYTES: usize = 1024 * 1024;

/// Which engine runs the stylesheets of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XsltEngine {
    /// By the stylesheet's `version`: below 2.0 on libxslt, 2.0 and up on Saxon-HE.
    #[default]
    Auto,
    /// Every stylesheet on Saxon-HE.
    Saxon,
}

impl std::str::FromStr for XsltEngine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(XsltEngine::Auto),
            "saxon" => Ok(XsltEngine::Saxon),
            other => Err(format!(
                "'{other}' is not an XSLT engine: expected auto or saxon"
            )),
        }
    }
}

/// The directories, relative to the one holding `endpoints.xml`, whose files stylesheets may read (`document()`,
/// `doc()`, `unparsed-text()`, imports and includes): the stylesheet folders and `xml-from-application/`. Besides
/// these, the application's `static/` and the stylesheet's own directory. One list for both engines.
pub const READABLE_DIRS: [&str; 5] = [
    "data-source-xslt",
    "parameter-xslt",
    "http-xslt",
    "data-source-post-processing-xslt",
    "xml-from-application",
];

/// Files and directories, relative to the one holding `endpoints.xml`, that hold or may hold credentials: no
/// stylesheet may read them, even through a link from a readable directory. `endpoints.xml` holds the passwords
/// and tokens of `<authentication>` and of HTTP tasks, `data-sources/` those of `<xml-from-url>` and database
/// connections. One list for both engines. The first four exist only to hold credentials:
/// `<application-introspection/>` lists them without their contents.
pub const CREDENTIAL_FILES: [&str; 6] = [
    "security.xml",
    "email-sending-configuration.xml",
    "secrets.xml",
    "aws-s3-configuration.xml",
    "endpoints.xml",
    "data-sources",
];

/// Where a stylesheet may read files.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The application directory.
    pub root: PathBuf,
    /// The directory holding `endpoints.xml` (the credential files live there).
    pub config_dir: PathBuf,
    /// The application's `static/`.
    pub static_dir: PathBuf,
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

impl Sandbox {
    /// The canonical directories a stylesheet at `path` (if any) may read below: [`READABLE_DIRS`], `static/`,
    /// and the stylesheet's own directory (unless that would open the directory holding `endpoints.xml` or one
    /// above it).
    pub fn roots(&self, path: Option<&Path>) -> Vec<PathBuf> {
        let config = canonical(&self.config_dir);
        let mut roots: Vec<PathBuf> = READABLE_DIRS
            .iter()
            .map(|d| canonical(&config.join(d)))
            .collect();
        roots.push(canonical(&self.static_dir));
        if let Some(dir) = path.map(canonical).as_deref().and_then(Path::parent) {
            if !config.starts_with(dir) && !roots.iter().any(|r| dir.starts_with(r)) {
                roots.push(dir.to_path_buf());
            }
        }
        roots
    }

    /// The canonical paths no stylesheet may read: [`CREDENTIAL_FILES`] (a directory with everything below it).
    pub fn deny(&self) -> Vec<PathBuf> {
        let config = canonical(&self.config_dir);
        CREDENTIAL_FILES
            .iter()
            .map(|f| canonical(&config.join(f)))
            .collect()
    }
}

/// One problem found compiling a stylesheet, at a position when the engine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileProblem {
    pub file: Option<PathBuf>,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A stylesheet that failed to compile, or whose engine is not available.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub problems: Vec<CompileProblem>,
}

/// A stylesheet transformation that failed at request time (the detail is for the log, never the client).
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("{0}")]
    Libxslt(#[from] xslt::XsltError),
    #[error("{0}")]
    Saxon(#[from] JvmError),
    #[error("the transformation task failed: {0}")]
    Task(String),
}

enum Compiled {
    Libxslt(Arc<xslt::Stylesheet>),
    Saxon(SaxonStylesheet),
}

/// A compiled stylesheet, shared by `Arc` and used by many requests at once.
pub struct Stylesheet {
    compiled: Compiled,
    output: OutputInfo,
}

impl std::fmt::Debug for Stylesheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stylesheet({}, {:?})", self.engine_name(), self.output)
    }
}

/// The XSLT version a stylesheet declares (`version` on `xsl:stylesheet`/`xsl:transform`, `xsl:version` on a
/// literal result element); `None` when the file cannot be read or says nothing parseable.
pub fn declared_version(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&text, options).ok()?;
    let root = doc.root_element();
    const XSL: &str = "http://www.w3.org/1999/XSL/Transform";
    let v = if root.tag_name().namespace() == Some(XSL) {
        root.attribute("version")
    } else {
        root.attribute((XSL, "version"))
    }?;
    v.trim().parse().ok()
}

impl Stylesheet {
    /// Compiles `path` on the engine `choice` selects for it (blocking; may start the JVM worker).
    pub fn compile(
        path: &Path,
        sandbox: &Sandbox,
        choice: XsltEngine,
    ) -> Result<Stylesheet, CompileError> {
        let saxon = match choice {
            XsltEngine::Saxon => true,
            XsltEngine::Auto => declared_version(path).is_some_and(|v| v >= 2.0),
        };
        if saxon {
            Self::compile_saxon(path, sandbox)
        } else {
            Self::compile_libxslt(path, sandbox)
        }
    }

    fn compile_libxslt(path: &Path, sandbox: &Sandbox) -> Result<Stylesheet, CompileError> {
        match xslt::Stylesheet::compile_sandboxed(path, sandbox.roots(Some(path)), sandbox.deny()) {
            Ok(s) => Ok(Stylesheet {
                output: s.output().clone(),
                compiled: Compiled::Libxslt(Arc::new(s)),
            }),
            Err(e) => {
                let prefix = format!("{}:", path.display());
                let problems = e
                    .messages
                    .iter()
                    .map(|m| {
                        // libxslt's "FILE:LINE: message" becomes a problem at that line.
                        let located = m.strip_prefix(&prefix).and_then(|rest| {
                            let (line, msg) = rest.split_once(':')?;
                            Some((line.trim().parse::<u32>().ok()?, msg.trim()))
                        });
                        match located {
                            Some((line, msg)) => CompileProblem {
                                file: Some(path.to_path_buf()),
                                line,
                                column: 1,
                                message: msg.to_string(),
                            },
                            None => CompileProblem {
                                file: None,
                                line: 0,
                                column: 0,
                                message: m.clone(),
                            },
                        }
                    })
                    .collect();
                Err(CompileError { problems })
            }
        }
    }

    fn compile_saxon(path: &Path, sandbox: &Sandbox) -> Result<Stylesheet, CompileError> {
        let roots = sandbox.roots(Some(path));
        let deny = sandbox.deny();
        let abs = canonical(path);
        match SaxonStylesheet::compile(jvm::global(), &abs, roots, deny) {
            Ok(s) => Ok(Stylesheet {
                output: xslt::read_output(path),
                compiled: Compiled::Saxon(s),
            }),
            Err(JvmError::Failed(list)) => Err(CompileError {
                problems: list
                    .into_iter()
                    .map(|d| CompileProblem {
                        file: (!d.file.is_empty()).then(|| PathBuf::from(d.file)),
                        line: d.line,
                        column: d.column,
                        message: d.message,
                    })
                    .collect(),
            }),
            Err(e) => {
                let what = declared_version(path)
                    .filter(|v| *v >= 2.0)
                    .map(|v| format!("this stylesheet is XSLT {v:.1}, which runs on Saxon-HE in the JVM worker"))
                    .unwrap_or_else(|| "this application runs its stylesheets on Saxon-HE in the JVM worker".into());
                Err(CompileError {
                    problems: vec![CompileProblem {
                        file: Some(path.to_path_buf()),
                        line: 1,
                        column: 1,
                        message: format!("{what}: {e}"),
                    }],
                })
            }
        }
    }

    /// The stylesheet's top-level `xsl:output` (merged over imports and includes).
    pub fn output(&self) -> &OutputInfo {
        &self.output
    }

    /// `libxslt` or `saxon`.
    pub fn engine_name(&self) -> &'static str {
        match self.compiled {
            Compiled::Libxslt(_) => "libxslt",
            Compiled::Saxon(_) => "saxon",
        }
    }

    /// Transforms `input` (an XML document) with string `xsl:param` values. libxslt runs on the blocking pool;
    /// Saxon in the worker.
    pub async fn transform(
        &self,
        input: Vec<u8>,
        params: Vec<(String, String)>,
    ) -> Result<Vec<u8>, TransformError> {
        match &self.compiled {
            Compiled::Saxon(s) => Ok(s.transform(&input, &params).await?),
            Compiled::Libxslt(x) => {
                let x = x.clone();
                tokio::task::spawn_blocking(move || {
                    let p: Vec<(&str, &str)> = params
                        .iter()
                        .map(|(a, b)| (a.as_str(), b.as_str()))
                        .collect();
                    let out = x.transform(&input, &p);
                    // The tree of a large input is freed by now: give its memory back.
                    if input.len() >= LARGE_INPUT_BYTES {
                        crate::xslt::allocator::release_free_memory();
                    }
                    out
                })
                .await
                .map_err(|e| TransformError::Task(e.to_string()))?
                .map_err(TransformError::from)
            }
        }
    }
}
