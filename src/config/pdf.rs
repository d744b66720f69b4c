//! Where Apache FOP is, for `<convert-output-xsl-fo-to-pdf/>`.

use std::path::PathBuf;

/// The `fop` executable: `ENDPOINTS_FOP`, else `fop` on the `PATH`.
pub fn fop_command() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ENDPOINTS_FOP").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("fop"))
        .find(|p| p.is_file())
}
