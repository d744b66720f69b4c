//! The options of an outgoing HTTP request (`timeout-ms`, `retries`, `retry-backoff-ms`, `success-status`), read
//! from the element that holds the request: `<xml-from-url>`, `<response-from-url>` or an HTTP `<task>`.

use std::path::Path;
use std::time::Duration;

use roxmltree::Node;

use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::task::HttpOptions;

/// The attributes on the element that may carry [`HttpOptions`].
pub const HTTP_OPTION_ATTRIBUTES: [&str; 4] = [
    "timeout-ms",
    "retries",
    "retry-backoff-ms",
    "success-status",
];

/// The [`HttpOptions`] of `node`'s attributes; `None` when one of them is wrong (reported).
pub fn parse_http_options(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<HttpOptions> {
    let mut o = HttpOptions::default();
    let mut ok = true;
    let mut number = |name: &str, min: u64, max: u64, diags: &mut Diagnostics| -> Option<u64> {
        match xml::number_attribute(node, name, min, max)? {
            Ok(n) => Some(n),
            Err(v) => {
                diags.error(
                    file,
                    xml::attr_pos(node, name),
                    format!("{name}=\"{v}\" must be a whole number from {min} to {max}"),
                );
                ok = false;
                None
            }
        }
    };
    if let Some(t) = number("timeout-ms", 100, 600_000, diags) {
        o.timeout = Duration::from_millis(t);
    }
    if let Some(r) = number("retries", 0, 10, diags) {
        o.retries = r as u32;
    }
    if let Some(b) = number("retry-backoff-ms", 1, 30_000, diags) {
        o.backoff = Duration::from_millis(b);
    }
    if let Some(v) = node.attribute("success-status") {
        o.success_classes.clear();
        for part in v.split_whitespace() {
            let b = part.as_bytes();
            if b.len() == 3
                && b[0].is_ascii_digit()
                && (b[1..] == *b"xx" || b[1..] == *b"XX")
                && (b'1'..=b'5').contains(&b[0])
            {
                o.success_classes.push(u16::from(b[0] - b'0'));
            } else if let Some(code) = part.parse::<u16>().ok().filter(|c| (100..=599).contains(c))
            {
                o.success_codes.push(code);
            } else {
                diags.error(file, xml::attr_pos(node, "success-status"), format!("success-status: '{part}' is neither a status code (e.g. 201) nor a class (e.g. 2xx)"));
                ok = false;
            }
        }
        if o.success_codes.is_empty() && o.success_classes.is_empty() {
            diags.error(
                file,
                xml::attr_pos(node, "success-status"),
                "success-status is empty",
            );
            ok = false;
        }
    }
    ok.then_some(o)
}
