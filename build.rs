//! Build script: compiles the C shim of the `xslt` module and links libxml2, libxslt and libexslt.
//!
//! The libraries are found with `pkg-config`. On a fresh machine without them, `scripts/setup.sh` is run once
//! when we are root (it apt-installs the Debian packages); otherwise the build stops with a message naming them.

use std::path::Path;
use std::process::Command;

const MODULES: &[&str] = &["libxslt", "libexslt", "libxml-2.0"];
const DEBIAN_PACKAGES: &str = "libxml2-dev libxslt1-dev pkg-config";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    embed_jvm_sources();
    println!("cargo:rerun-if-changed=src/xslt/shim.c");
    for var in [
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    if !libraries_present() {
        try_setup_script();
        if !libraries_present() {
            panic!(
                "\n\nendpoints needs the development files of libxml2 and libxslt (found with pkg-config).\n\
                 On Debian/Ubuntu install them with:\n\n    apt-get install {DEBIAN_PACKAGES}\n\n\
                 (or run scripts/setup.sh as root)\n"
            );
        }
    }

    let cflags = pkg_config(&["--cflags", "libxml-2.0", "libxslt"]);
    let mut build = cc::Build::new();
    build.file("src/xslt/shim.c").warnings(true);
    for flag in cflags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-I") {
            build.include(dir);
        } else if let Some(def) = flag.strip_prefix("-D") {
            let (name, value) = def
                .split_once('=')
                .map_or((def, None), |(n, v)| (n, Some(v)));
            build.define(name, value);
        }
    }
    build.compile("endpoints_xslt_shim");

    // After the shim, so that the linker sees the shim's references before the libraries.
    let libs = pkg_config(&["--libs", "libxslt", "libexslt"]);
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
    // libexslt's .pc may not list libxml2 on every distribution; it is always needed.
    if !libs.split_whitespace().any(|f| f == "-lxml2") {
        println!("cargo:rustc-link-lib=dylib=xml2");
    }
}

/// Writes `$OUT_DIR/jvm_sources.rs`: `SOURCES`, the JVM worker's Java files (name, text), built into the binary so
/// that it can compile the worker on the machine it runs on (see `src/jvm/launch.rs`).
fn embed_jvm_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("jvm/src/endpoints/worker");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".java"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from("/// The JVM worker's Java sources: (file name, text).\npub const SOURCES: &[(&str, &str)] = &[\n");
    for n in &names {
        let path = dir.join(n);
        println!("cargo:rerun-if-changed={}", path.display());
        code.push_str(&format!("    ({n:?}, include_str!({:?})),\n", path.display().to_string()));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("jvm_sources.rs");
    std::fs::write(out, code).expect("write jvm_sources.rs");
}

/// `pkg-config --exists` for all three modules; false when pkg-config itself is missing.
fn libraries_present() -> bool {
    Command::new(pkg_config_program())
        .arg("--exists")
        .args(MODULES)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `scripts/setup.sh` once, when it exists and we are root.
fn try_setup_script() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/setup.sh");
    if !script.is_file() || !is_root() {
        return;
    }
    println!("cargo:warning=libxml2/libxslt development files missing; running scripts/setup.sh");
    match Command::new("bash").arg(&script).status() {
        Ok(s) if s.success() => {}
        Ok(s) => println!("cargo:warning=scripts/setup.sh failed ({s})"),
        Err(e) => println!("cargo:warning=could not run scripts/setup.sh: {e}"),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pkg_config(args: &[&str]) -> String {
    let out = Command::new(pkg_config_program())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run pkg-config: {e}"));
    if !out.status.success() {
        panic!(
            "pkg-config {} failed: {}\nInstall the Debian packages: {DEBIAN_PACKAGES}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `$PKG_CONFIG` or `pkg-config`, like the pkg-config crate.
fn pkg_config_program() -> String {
    std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_owned())
}
