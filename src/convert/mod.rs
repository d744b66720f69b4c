//! Conversions between JSON and XML, pure and synchronous.
//!
//! * [`json_to_xml()`] / [`json_to_xml_children()`] — JSON request bodies and `<xml-from-url>` JSON responses into
//!   XML. Details and differences from the reference: [`mod@json_to_xml`].
//! * [`xml_to_json()`] — `<convert-output-xml-to-json/>` of transformers. Details and differences from the
//!   reference: [`mod@xml_to_json`].
//! * [`escape`] — the crate's one XML text escaper.
//! * [`xml_root`] — the root element's source text of a fetched or stored document, to embed it.
//! * [`limits`] — budgets (nodes, attributes per element, depth, bytes) on the XML made from untrusted request
//!   bodies, checked in linear time before any tree is built; [`json_to_xml_children_within()`] applies them while
//!   converting.
//!
//! Both follow the org.json rules the reference uses; where this engine differs (strict JSON, document order,
//! numbers kept as written, …) the module documentation of each direction says so.

pub mod escape;
pub mod json_to_xml;
pub mod limits;
pub mod xml_root;
pub mod xml_to_json;

pub use escape::{escape_into, escape_xml, Escape};
pub use json_to_xml::{
    json_to_xml, json_to_xml_children, json_to_xml_children_within, sanitize_key, JsonToXmlError,
};
pub use limits::{Budget, BudgetError};
pub use xml_to_json::{xml_to_json, XmlToJsonError};
