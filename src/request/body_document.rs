//! An XML or JSON body turned into the XML the parameter transformation sees, within the body's XML budget
//! (linear time, before any tree is built).

use bytes::Bytes;

use crate::convert::limits::{xml_root_within, Budget, BudgetError, XmlBodyError};

use super::input::{BodyDocument, BodyKind, InputError};

/// Bodies up to this size are checked and converted where they are read; larger ones on the blocking pool.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// Checks an XML body, or converts a JSON body, within `budget` (linear time; blocking for large bodies).
pub fn body_document(
    kind: &BodyKind,
    raw: &[u8],
    budget: &Budget,
) -> Result<Option<BodyDocument>, BudgetError> {
    match kind {
        BodyKind::Xml => {
            let Ok(text) = std::str::from_utf8(raw) else {
                return Ok(Some(BodyDocument::Invalid(
                    "Request is not valid XML: the body is not UTF-8".to_string(),
                )));
            };
            let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
            Ok(Some(match xml_root_within(&text[bom..], budget) {
                Ok(r) => BodyDocument::Xml(r.start + bom..r.end + bom),
                Err(XmlBodyError::Limit(e)) => return Err(e),
                Err(e) => BodyDocument::Invalid(format!("Request is not valid XML: {e}")),
            }))
        }
        BodyKind::Json => {
            match crate::convert::json_to_xml_children_within(raw, "json-request", budget) {
                Ok(xml) => Ok(Some(BodyDocument::Json(xml))),
                Err(crate::convert::JsonToXmlError::Limit(e)) => Err(e),
                Err(e) => Ok(Some(BodyDocument::Invalid(format!(
                    "Cannot parse JSON from POST request: {e}"
                )))),
            }
        }
        _ => Ok(None),
    }
}

/// [`body_document`] where it does not hold up an async worker: small bodies at once, large ones on the blocking
/// pool.
pub async fn body_document_async(
    kind: BodyKind,
    raw: Bytes,
    budget: Budget,
) -> Result<Option<BodyDocument>, InputError> {
    if raw.len() <= INLINE_BODY_BYTES {
        return body_document(&kind, &raw, &budget).map_err(InputError::Limit);
    }
    tokio::task::spawn_blocking(move || body_document(&kind, &raw, &budget))
        .await
        .map_err(|e| InputError::Body(e.to_string()))?
        .map_err(InputError::Limit)
}
