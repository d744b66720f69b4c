//! Conversions between JSON and XML, pure and synchronous.
//!
//! * [`json_to_xml()`] / [`json_to_xml_children()`] — JSON request bodies and `<xml-from-url>` JSON responses into
//!   XML (behaviour spec §7.3). Details and differences from the reference: [`mod@json_to_xml`].
//! * [`xml_to_json()`] — `<convert-output-xml-to-json/>` of transformers (§8.5). Details and differences from the
//!   reference: [`mod@xml_to_json`].
//!
//! Both follow the org.json rules the reference uses; where this engine differs (strict JSON, document order,
//! numbers kept as written, …) the module documentation of each direction says so.

pub mod json_to_xml;
pub mod xml_to_json;

pub use json_to_xml::{json_to_xml, json_to_xml_children, sanitize_key, JsonToXmlError};
pub use xml_to_json::{xml_to_json, XmlToJsonError};
