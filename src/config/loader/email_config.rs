//! Parses `email-sending-configuration.xml`: how mail leaves the engine, shared by every EmailTask.

use std::path::Path;

use roxmltree::Node;

use super::suggest::{did_you_mean_element, elements_comma};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::email::EmailSendingConfig;
use crate::config::model::template::Pattern;

/// The file name, in the configuration directory.
pub const EMAIL_CONFIG_FILE: &str = "email-sending-configuration.xml";

/// The children; all but `<header>` at most once, in this order in [`Singles`].
const CONFIG_CHILDREN: [&str; 6] = [
    "mx-address",
    "server",
    "username",
    "password",
    "port",
    "header",
];

/// Headers the engine writes itself; configuring them would contradict the message or its envelope.
const ENGINE_HEADERS: [&str; 11] = [
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "sender",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// The single-valued children read so far, with their positions, in [`CONFIG_CHILDREN`] order.
type Singles = [Option<(Pattern, Pos)>; 5];

/// Parses `email-sending-configuration.xml`. Every problem is reported with its position; `None` when the
/// file cannot be used.
pub fn load_email_config(path: &Path, diags: &mut Diagnostics) -> Option<EmailSendingConfig> {
    xml::with_root(path, "email-sending-configuration", diags, |root, diags| {
        parse_config(path, root, diags)
    })
    .flatten()
}

fn parse_config(path: &Path, root: Node, diags: &mut Diagnostics) -> Option<EmailSendingConfig> {
    xml::check_attributes(path, root, &[], diags);
    let mut ok = true;
    let mut single: Singles = Default::default();
    let mut headers: Vec<(String, Pattern)> = Vec::new();
    for c in xml::elements(root) {
        let tag = xml::name(c);
        let Some(index) = CONFIG_CHILDREN.iter().position(|t| *t == tag) else {
            diags.error(
                path,
                xml::pos(c),
                format!(
                    "Unexpected element <{tag}> in <email-sending-configuration>; expected one of {}{}",
                    elements_comma(&CONFIG_CHILDREN),
                    did_you_mean_element(tag, &CONFIG_CHILDREN)
                ),
            );
            ok = false;
            continue;
        };
        if !xml::no_child_elements(path, c, "may only contain text", diags) {
            ok = false;
            continue;
        }
        ok &= if tag == "header" {
            parse_header(path, c, &mut headers, diags)
        } else {
            parse_single(path, c, index, &mut single, diags)
        };
    }
    if let Some((p, _)) = &single[3] {
        diags.secret(p.source());
    }
    let [mx_address, server, username, password, port] = single.map(|o| o.map(|(p, _)| p));
    if server.is_none() && mx_address.is_none() {
        diags.error(
            path,
            xml::pos(root),
            "One of either <server> or <mx-address> must be specified",
        );
        ok = false;
    }
    if mx_address.is_some() {
        for (what, present) in [
            ("<server>", server.is_some()),
            ("<port>", port.is_some()),
            ("<username>", username.is_some()),
            ("<password>", password.is_some()),
        ] {
            if present {
                diags.warning(
                    path,
                    xml::pos(root),
                    format!("{what} is ignored because <mx-address> is given (mail goes to the MX host, port 25, without authentication)"),
                );
            }
        }
    } else if username.is_some() != password.is_some() {
        diags.warning(
            path,
            xml::pos(root),
            "Only one of <username> and <password> is given: mail is sent without STARTTLS and without authentication",
        );
    }
    ok.then_some(EmailSendingConfig {
        mx_address,
        server,
        port,
        username,
        password,
        headers,
    })
}

/// `<header name="…">value</header>`: a later header of the same name replaces an earlier one.
fn parse_header(
    path: &Path,
    c: Node,
    headers: &mut Vec<(String, Pattern)>,
    diags: &mut Diagnostics,
) -> bool {
    xml::check_attributes(path, c, &["name"], diags);
    let Some(name) = xml::required_attribute(path, c, "name", diags) else {
        return false;
    };
    if lettre::message::header::HeaderName::new_from_ascii(name.to_string()).is_err()
        || name.bytes().any(|b| b.is_ascii_control())
    {
        diags.error(
            path,
            xml::attr_pos(c, "name"),
            format!("<header name='{name}'>: not a valid e-mail header name (printable ASCII without ':' or spaces, at most 76 characters)"),
        );
        return false;
    }
    if ENGINE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        diags.error(
            path,
            xml::attr_pos(c, "name"),
            format!("<header name='{name}'>: this header is written by the engine and cannot be configured"),
        );
        return false;
    }
    let value = Pattern::plain(xml::text_content(c).trim());
    if let Some(i) = headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        diags.warning(
            path,
            xml::pos(c),
            format!("<header name='{name}'> appears more than once; the last one is used"),
        );
        headers.remove(i);
    }
    headers.push((name.to_string(), value));
    true
}

/// `<mx-address>`, `<server>`, `<username>`, `<password>` or `<port>` (at `index` of [`CONFIG_CHILDREN`]).
fn parse_single(
    path: &Path,
    c: Node,
    index: usize,
    single: &mut Singles,
    diags: &mut Diagnostics,
) -> bool {
    let tag = xml::name(c);
    xml::check_attributes(path, c, &[], diags);
    if let Some((_, first)) = &single[index] {
        diags.error(
            path,
            xml::pos(c),
            format!(
                "More than one <{tag}> in <email-sending-configuration> (the first is at line {})",
                first.line
            ),
        );
        return false;
    }
    let mut ok = true;
    // Values are not trimmed (as in the reference), but surrounding white space is almost always a mistake.
    let value = xml::text_content(c);
    if value.trim() != value {
        diags.warning(
            path,
            xml::pos(c),
            format!("<{tag}> has white space around it, which is part of the value"),
        );
    }
    if tag == "port" && !value.contains("${") && value.parse::<u16>().is_err() {
        diags.error(
            path,
            xml::text_pos(c),
            format!("<port>: '{value}' is not a port number (an integer from 0 to 65535)"),
        );
        ok = false;
    }
    single[index] = Some((Pattern::plain(&value), xml::pos(c)));
    ok
}
