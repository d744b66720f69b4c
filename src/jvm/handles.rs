//! Handles on what the worker holds for an application: a compiled stylesheet ([`SaxonStylesheet`]) and a FOP
//! factory ([`PdfRenderer`]); each is released in the worker when dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::JvmError;
use super::process::Spec;
use super::protocol::{self, FrameBuilder};
use super::supervisor::Jvm;

/// Something the worker holds for us (a compiled stylesheet, a FOP factory): released there when dropped.
struct Held {
    id: u64,
    jvm: Arc<Jvm>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.id)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.jvm.release(self.id);
    }
}

/// A stylesheet compiled by Saxon-HE in the worker.
#[derive(Debug)]
pub struct SaxonStylesheet(Held);

impl SaxonStylesheet {
    /// Compiles `path` (blocking: starts the worker if needed). `roots`: directories below which the stylesheet
    /// may read files (imports, `doc()`, `unparsed-text()`); `deny`: files it may never read.
    pub fn compile(
        jvm: &Arc<Jvm>,
        path: &Path,
        roots: Vec<PathBuf>,
        deny: Vec<PathBuf>,
    ) -> Result<SaxonStylesheet, JvmError> {
        let id = jvm.create(Spec::Xslt {
            path: path.to_path_buf(),
            roots,
            deny,
        })?;
        Ok(SaxonStylesheet(Held {
            id,
            jvm: jvm.clone(),
        }))
    }

    /// Transforms `input` (an XML document) with string parameters; the result serialised per `xsl:output`.
    pub async fn transform(
        &self,
        input: &[u8],
        params: &[(String, String)],
    ) -> Result<Vec<u8>, JvmError> {
        let payload = self
            .0
            .jvm
            .call(|call| {
                let mut f = FrameBuilder::new(protocol::TRANSFORM, call)
                    .u64(self.0.id)
                    .bytes(input)
                    .u32(params.len() as u32);
                for (n, v) in params {
                    f = f.str(n).str(v);
                }
                f
            })
            .await?;
        output_bytes(payload)
    }
}

/// One application's FOP factory in the worker.
#[derive(Debug)]
pub struct PdfRenderer(Held);

impl PdfRenderer {
    /// Creates the factory (blocking). `config`: `fonts/apache-fop-config.xml` when the application has one;
    /// relative font URLs resolve against `font_base`, relative image URLs against `image_base`; FOP reads files
    /// only below `roots`.
    pub fn create(
        jvm: &Arc<Jvm>,
        config: Option<PathBuf>,
        font_base: PathBuf,
        image_base: PathBuf,
        roots: Vec<PathBuf>,
    ) -> Result<PdfRenderer, JvmError> {
        let id = jvm.create(Spec::Fop {
            config,
            font_base,
            image_base,
            roots,
        })?;
        Ok(PdfRenderer(Held {
            id,
            jvm: jvm.clone(),
        }))
    }

    /// Renders an XSL-FO document to PDF.
    pub async fn render(&self, fo: &[u8]) -> Result<Vec<u8>, JvmError> {
        let payload = self
            .0
            .jvm
            .call(|call| {
                FrameBuilder::new(protocol::RENDER_PDF, call)
                    .u64(self.0.id)
                    .bytes(fo)
            })
            .await?;
        output_bytes(payload)
    }
}

/// The `bytes` of an OK answer, taken without copying.
fn output_bytes(mut payload: Vec<u8>) -> Result<Vec<u8>, JvmError> {
    let n = protocol::Payload::new(&payload)
        .bytes()
        .map_err(|e| JvmError::Protocol(e.to_string()))?
        .len();
    payload.drain(..4);
    payload.truncate(n);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_payload_bytes() {
        let mut p = Vec::new();
        p.extend_from_slice(&3u32.to_be_bytes());
        p.extend_from_slice(b"abc");
        assert_eq!(output_bytes(p).unwrap(), b"abc");
        assert!(output_bytes(vec![0, 0]).is_err());
    }
}
