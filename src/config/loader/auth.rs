//! Parses `<authentication>` into [`Authentication`]: the methods, their secrets (inline or from environment
//! variables, read at load) and the values that must be redacted.

use std::path::Path;

use base64::Engine as _;
use roxmltree::Node;

use super::from_env::{self, Inline, Source};
use super::suggest::{did_you_mean_element, elements_or};
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::auth::{Authentication, Method};

/// A secret given inline (`name="…"`) or from an environment variable (`name-from-environment-variable="VAR"`).
fn secret(file: &Path, node: Node, name: &str, diags: &mut Diagnostics) -> Option<String> {
    let label = format!("<{}>", xml::name(node));
    let env_attr = format!("{name}-from-environment-variable");
    let example = format!("{name}=\"…\"");
    let source = Source {
        label: &label,
        inline: Inline::Attribute(name),
        env_attr: &env_attr,
        example: &example,
    };
    let value = from_env::value(file, node, &source, xml::pos(node), diags);
    if let Some(v) = &value {
        diags.secret(v);
    }
    value
}

/// The children of `<authentication>`, one per method.
pub const AUTHENTICATION_METHODS: [&str; 4] = ["hash", "basic", "bearer", "hmac"];

/// Parses `<authentication>`.
pub fn parse(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<Authentication> {
    xml::check_attributes(file, node, &[], diags);
    let mut methods = Vec::new();
    let mut ok = true;
    for c in xml::elements(node) {
        let name = xml::name(c);
        if !AUTHENTICATION_METHODS.contains(&name) {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "Unexpected element <{name}> in <authentication>; expected {}{}",
                    elements_or(&AUTHENTICATION_METHODS),
                    did_you_mean_element(name, &AUTHENTICATION_METHODS)
                ),
            );
            ok = false;
            continue;
        }
        let m = match name {
            "hash" => Some(Method::Hash),
            "basic" => parse_basic(file, c, diags),
            "bearer" => {
                xml::check_attributes(
                    file,
                    c,
                    &["token", "token-from-environment-variable"],
                    diags,
                );
                secret(file, c, "token", diags).map(|token| Method::Bearer { token })
            }
            "hmac" => parse_hmac(file, c, diags),
            _ => unreachable!("every name in AUTHENTICATION_METHODS has an arm"),
        };
        match m {
            Some(m) => methods.push(m),
            None => ok = false,
        }
    }
    if methods.is_empty() && ok {
        diags.error(file, xml::pos(node), "<authentication> lists no method");
        return None;
    }
    ok.then_some(Authentication { methods })
}

/// `<basic username="…" password="…"/>`.
fn parse_basic(file: &Path, c: Node, diags: &mut Diagnostics) -> Option<Method> {
    xml::check_attributes(
        file,
        c,
        &["username", "password", "password-from-environment-variable"],
        diags,
    );
    match (c.attribute("username"), secret(file, c, "password", diags)) {
        (Some(u), Some(p)) => {
            // What a client sends: base64 of "username:password".
            let sent = format!("{u}:{p}");
            diags.secret(&base64::engine::general_purpose::STANDARD.encode(sent));
            Some(Method::Basic {
                username: u.to_string(),
                password: p,
            })
        }
        (None, _) => {
            diags.error(file, xml::pos(c), "<basic> needs username=\"…\"");
            None
        }
        _ => None,
    }
}

/// `<hmac scheme="standard-webhooks|github" secret="…" tolerance-seconds="…"/>`.
fn parse_hmac(file: &Path, c: Node, diags: &mut Diagnostics) -> Option<Method> {
    xml::check_attributes(
        file,
        c,
        &[
            "scheme",
            "secret",
            "secret-from-environment-variable",
            "tolerance-seconds",
        ],
        diags,
    );
    let s = secret(file, c, "secret", diags);
    match (c.attribute("scheme"), s) {
        (Some("standard-webhooks"), Some(s)) => {
            // Secrets look like "whsec_<base64>"; the key is the decoded part.
            let Some(secret) = super::secret::webhook_key(&s, diags) else {
                diags.error(file, xml::pos(c), "<hmac scheme=\"standard-webhooks\">: the secret must be base64 (optionally prefixed whsec_)");
                return None;
            };
            let tolerance_seconds = match c.attribute("tolerance-seconds") {
                None => 300,
                Some(t) => match t.parse::<u64>() {
                    Ok(n) if (1..=86_400).contains(&n) => n,
                    _ => {
                        diags.error(
                            file,
                            xml::attr_pos(c, "tolerance-seconds"),
                            "tolerance-seconds must be from 1 to 86400",
                        );
                        return None;
                    }
                },
            };
            Some(Method::StandardWebhooks {
                secret,
                tolerance_seconds,
            })
        }
        (Some("github"), Some(s)) => Some(Method::GitHub {
            secret: s.into_bytes(),
        }),
        (Some(other), _) if other != "standard-webhooks" && other != "github" => {
            diags.error(
                file,
                xml::attr_pos(c, "scheme"),
                format!("<hmac scheme=\"{other}\"> unknown: expected standard-webhooks or github"),
            );
            None
        }
        (None, _) => {
            diags.error(
                file,
                xml::pos(c),
                "<hmac> needs scheme=\"standard-webhooks\" or scheme=\"github\"",
            );
            None
        }
        _ => None,
    }
}
