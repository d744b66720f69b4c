//! Secrets written in the configuration: the key of a Standard Webhooks secret, with every form of it recorded
//! for redaction.

use base64::Engine as _;

use crate::config::error::Diagnostics;

/// The key of a Standard Webhooks secret (`whsec_<base64>` or just the base64); `None` when it is not base64.
/// The encoded and decoded key are recorded as secrets (the caller records the secret as written).
pub fn webhook_key(secret: &str, diags: &mut Diagnostics) -> Option<Vec<u8>> {
    let key = secret.strip_prefix("whsec_").unwrap_or(secret);
    diags.secret(key);
    let decoded = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
    if let Ok(raw) = std::str::from_utf8(&decoded) {
        diags.secret(raw);
    }
    Some(decoded)
}
