//! XSL-FO → PDF with Apache FOP as an external process: bounded in time, fonts from the application's
//! `fonts/apache-fop-config.xml` when present, relative image URLs resolved against `static/`.

use std::path::Path;
use std::time::Duration;

use super::Failure;

/// Longest a PDF rendering may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub async fn fo_to_pdf(
    fo: Vec<u8>,
    config_dir: &Path,
    static_dir: &Path,
) -> Result<Vec<u8>, Failure> {
    let fop = crate::config::pdf::fop_command()
        .ok_or_else(|| Failure::hidden("Apache FOP is not installed"))?;
    let dir = tempfile::tempdir().map_err(|e| Failure::hidden(format!("PDF: {e}")))?;
    let input = dir.path().join("input.fo");
    let output = dir.path().join("output.pdf");
    tokio::fs::write(&input, &fo)
        .await
        .map_err(|e| Failure::hidden(format!("PDF: {e}")))?;
    let app_config = config_dir.join("fonts").join("apache-fop-config.xml");
    let config = if app_config.is_file() {
        app_config
    } else {
        // Relative image URLs resolve against static/, as in the reference.
        let base = static_dir
            .canonicalize()
            .unwrap_or_else(|_| static_dir.to_path_buf());
        let mut escaped = String::new();
        crate::config::template::escape_xml(&format!("{}/", base.display()), &mut escaped);
        let generated = dir.path().join("fop.xconf");
        tokio::fs::write(
            &generated,
            format!("<fop version=\"1.0\"><base>{escaped}</base></fop>"),
        )
        .await
        .map_err(|e| Failure::hidden(format!("PDF: {e}")))?;
        generated
    };
    let mut cmd = tokio::process::Command::new(fop);
    cmd.arg("-q")
        .arg("-c")
        .arg(&config)
        .arg("-fo")
        .arg(&input)
        .arg("-pdf")
        .arg(&output)
        .current_dir(if static_dir.is_dir() {
            static_dir
        } else {
            dir.path()
        })
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| Failure::hidden(format!("PDF: cannot start FOP: {e}")))?;
    let out = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(Failure::hidden(format!("PDF: FOP failed: {e}"))),
        Err(_) => {
            return Err(Failure::hidden(format!(
                "PDF: FOP did not finish within {} s",
                TIMEOUT.as_secs()
            )))
        }
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let excerpt: String = stderr.chars().take(2000).collect();
        return Err(Failure::hidden(format!(
            "PDF: FOP exited with {}: {excerpt}",
            out.status
        )));
    }
    tokio::fs::read(&output)
        .await
        .map_err(|e| Failure::hidden(format!("PDF: no output: {e}")))
}
