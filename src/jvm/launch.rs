//! Finding Java, Saxon-HE and Apache FOP, and compiling the worker's Java source once per machine.
//!
//! The worker's source (`jvm/src/endpoints/worker/*.java`) is built into the binary. On first use it is compiled
//! with `javac` into a cache directory named after a hash of the sources and the class path, so that every engine
//! process on the machine shares one compiled copy; a JDK is needed only for that first compilation.
//!
//! | what | where it is looked for |
//! |---|---|
//! | `java`, `javac` | `ENDPOINTS_JAVA` / `ENDPOINTS_JAVAC`, else `$JAVA_HOME/bin/`, else the `PATH` |
//! | Saxon-HE | `ENDPOINTS_SAXON_JAR`, else `/usr/share/java/Saxon-HE.jar` (Debian `libsaxonhe-java`) |
//! | Apache FOP | `ENDPOINTS_FOP_JARS` (a class path), else Debian `fop`'s jars in `/usr/share/java` |
//! | compiled worker | `ENDPOINTS_JVM_CACHE`, else `$XDG_CACHE_HOME/endpoints`, else `~/.cache/endpoints`, else the temp dir |

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use super::error::JvmError;

// The worker's Java sources, (file name, text), collected by build.rs.
include!(concat!(env!("OUT_DIR"), "/jvm_sources.rs"));

const SHARE: &str = "/usr/share/java";
/// Present in a complete compiled copy (it is renamed into place last).
const MAIN_CLASS: &str = "endpoints/worker/Main.class";
/// The jars Debian's `/usr/bin/fop` puts on its class path (missing ones are skipped, as that script does).
const FOP_JARS: [&str; 9] = [
    "commons-io",
    "xml-apis",
    "batik-all",
    "commons-logging",
    "xercesImpl",
    "xmlgraphics-commons",
    "xml-apis-ext",
    "fontbox2",
    "fop",
];
const FOP_HYPHENATION: &str = "/usr/share/fop/fop-hyph.jar";

/// Where the JVM, its libraries and the compiled worker are.
#[derive(Debug, Clone)]
pub struct Installation {
    pub java: PathBuf,
    pub class_path: String,
    /// Directory holding the compiled worker classes.
    pub classes: PathBuf,
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A Java tool (`java`, `javac`) by override variable, `JAVA_HOME` or `PATH`.
fn find_tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = env_path(var) {
        return p.is_file().then_some(p);
    }
    if let Some(home) = env_path("JAVA_HOME") {
        let p = home.join("bin").join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn saxon_jar() -> PathBuf {
    env_path("ENDPOINTS_SAXON_JAR").unwrap_or_else(|| Path::new(SHARE).join("Saxon-HE.jar"))
}

/// FOP's class path, or `None` when FOP is not installed.
pub fn fop_class_path() -> Option<String> {
    if let Some(cp) = std::env::var("ENDPOINTS_FOP_JARS")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Some(cp);
    }
    let fop = Path::new(SHARE).join("fop.jar");
    if !fop.is_file() {
        return None;
    }
    let mut parts: Vec<String> = FOP_JARS
        .iter()
        .map(|j| Path::new(SHARE).join(format!("{j}.jar")))
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if Path::new(FOP_HYPHENATION).is_file() {
        parts.push(FOP_HYPHENATION.to_string());
    }
    Some(parts.join(":"))
}

fn cache_root() -> PathBuf {
    if let Some(p) = env_path("ENDPOINTS_JVM_CACHE") {
        return p;
    }
    if let Some(p) = env_path("XDG_CACHE_HOME") {
        return p.join("endpoints");
    }
    if let Some(home) = env_path("HOME") {
        return home.join(".cache").join("endpoints");
    }
    std::env::temp_dir().join(format!("endpoints-{}", std::process::id()))
}

/// Finds Java and the libraries, and compiles the worker if no compiled copy is cached yet. Slow the first time
/// on a machine (javac, a few seconds); afterwards a few file checks.
pub fn prepare() -> Result<Installation, JvmError> {
    let java = find_tool("ENDPOINTS_JAVA", "java").ok_or_else(|| {
        JvmError::NotInstalled(
            "Java is not installed (Debian package default-jre-headless; or set ENDPOINTS_JAVA)"
                .into(),
        )
    })?;
    let saxon = saxon_jar();
    if !saxon.is_file() {
        return Err(JvmError::NotInstalled(format!(
            "Saxon-HE is not installed: {} is missing (Debian package libsaxonhe-java; or set ENDPOINTS_SAXON_JAR)",
            saxon.display()
        )));
    }
    // The worker hosts both; it is built against both.
    let fop = fop_class_path().ok_or_else(|| {
        JvmError::NotInstalled(
            "Apache FOP is not installed: /usr/share/java/fop.jar is missing (Debian package fop; or set ENDPOINTS_FOP_JARS)".into(),
        )
    })?;
    let class_path = format!("{}:{fop}", saxon.display());

    let mut hash = sha2::Sha256::new();
    for (name, text) in SOURCES {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.update([0]);
    }
    hash.update(class_path.as_bytes());
    let digest = hash.finalize();
    let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let root = cache_root();
    let classes = root.join(format!("jvm-worker-{tag}"));
    if !classes.join(MAIN_CLASS).is_file() {
        compile(&root, &classes, &class_path)?;
    }
    Ok(Installation {
        java,
        class_path,
        classes,
    })
}

/// Writes the sources to a scratch directory, compiles them, and renames the result into place, under a lock file
/// so that processes starting together compile once and never see half a cache.
fn compile(root: &Path, target: &Path, class_path: &str) -> Result<(), JvmError> {
    let io = |what: &str, e: std::io::Error| JvmError::Start(format!("{what}: {e}"));
    std::fs::create_dir_all(root).map_err(|e| io(&root.display().to_string(), e))?;
    let lock_path = root.join(".jvm-worker.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io(&lock_path.display().to_string(), e))?;
    lock.lock()
        .map_err(|e| io(&lock_path.display().to_string(), e))?;
    // Another process may have compiled it while we waited.
    if target.join(MAIN_CLASS).is_file() {
        return Ok(());
    }
    let javac = find_tool("ENDPOINTS_JAVAC", "javac").ok_or_else(|| {
        JvmError::NotInstalled(
            "the JVM worker must be compiled once, and javac is not installed (Debian package default-jdk-headless; or set ENDPOINTS_JAVAC)".into(),
        )
    })?;
    let scratch = tempfile::Builder::new()
        .prefix(".jvm-worker-build-")
        .tempdir_in(root)
        .map_err(|e| io(&root.display().to_string(), e))?;
    let src = scratch.path().join("src");
    let out = scratch.path().join("classes");
    std::fs::create_dir_all(&src).map_err(|e| io("sources", e))?;
    let mut files = Vec::new();
    for (name, text) in SOURCES {
        let p = src.join(name);
        std::fs::write(&p, text).map_err(|e| io("sources", e))?;
        files.push(p);
    }
    let output = Command::new(&javac)
        .arg("-nowarn")
        .arg("-encoding")
        .arg("UTF-8")
        .arg("-d")
        .arg(&out)
        .arg("-cp")
        .arg(class_path)
        .args(&files)
        .output()
        .map_err(|e| io(&format!("cannot run {}", javac.display()), e))?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        let excerpt: String = text.chars().take(3000).collect();
        return Err(JvmError::Start(format!(
            "compiling the JVM worker failed ({}): {excerpt}",
            output.status
        )));
    }
    // A leftover incomplete copy (an interrupted older version) is replaced.
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| io(&target.display().to_string(), e))?;
    }
    std::fs::rename(&out, target).map_err(|e| io(&target.display().to_string(), e))
}
