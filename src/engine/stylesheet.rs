//! Running one stylesheet on its engine, its failure turned into the engine's [`Failure`].

use std::sync::Arc;

use super::failure::Failure;
use crate::stylesheet::Stylesheet;

/// Runs a stylesheet on its engine (libxslt on the blocking pool, Saxon in the JVM worker).
pub async fn run(
    xslt: Arc<Stylesheet>,
    input: String,
    params: Vec<(String, String)>,
) -> Result<Vec<u8>, Failure> {
    xslt.transform(input.into_bytes(), params)
        .await
        .map_err(|e| Failure::hidden(format!("XSLT ({}) failed: {e}", xslt.engine_name())))
}
