//! A request's parameters, found one way for everyone: a parameter's value is all of its values in the request,
//! in order, joined with the endpoint's separator, else its default. The engine resolves an endpoint's values
//! with [`resolve`]; the request hash covers [`included_values`], which the engine's hash check and
//! `endpoints hash` (`expected_hashes` in `hash.rs`) both use.

use std::borrow::Cow;

use super::failure::Failure;
use crate::config::{Endpoint, Parameter};

/// All values of `name` joined with the separator (borrowed when there is just one), or `None` if the request
/// has none.
fn joined_value<'p>(
    pairs: &'p [(String, String)],
    name: &str,
    separator: &str,
) -> Option<Cow<'p, str>> {
    let mut out: Option<Cow<'p, str>> = None;
    for (n, v) in pairs {
        if n == name {
            match &mut out {
                None => out = Some(Cow::Borrowed(v)),
                Some(s) => {
                    let s = s.to_mut();
                    s.push_str(separator);
                    s.push_str(v);
                }
            }
        }
    }
    out
}

/// The value of `parameter` of `endpoint`: its values in `pairs` joined with the endpoint's separator, else its
/// default; `None` when it has neither.
fn value<'p>(
    endpoint: &Endpoint,
    parameter: &'p Parameter,
    pairs: &'p [(String, String)],
) -> Option<Cow<'p, str>> {
    joined_value(pairs, &parameter.name, &endpoint.separator)
        .or_else(|| parameter.default.as_deref().map(Cow::Borrowed))
}

/// The final values of the endpoint's parameters (in `endpoint.parameters` order) followed by the request id.
pub fn resolve(
    endpoint: &Endpoint,
    pairs: &[(String, String)],
    request_id: &str,
) -> Result<Vec<String>, Failure> {
    let mut values = Vec::with_capacity(endpoint.parameters.len() + 1);
    for p in &endpoint.parameters {
        match value(endpoint, p, pairs) {
            Some(v) => values.push(v.into_owned()),
            None => {
                return Err(Failure::bad_request(format!(
                "<endpoint name='{}'>: Parameter '{}' did not have a supplied value, nor a default",
                endpoint.name, p.name
            )))
            }
        }
    }
    values.push(request_id.to_string());
    Ok(values)
}

/// The values an endpoint's hash covers, in `<include-in-hash>` order, each found as [`resolve`] finds it.
/// `Err(name)` names the first included parameter that has neither a value nor a default (a client cannot have
/// hashed a value it did not send).
pub fn included_values<'e: 'p, 'p>(
    endpoint: &'e Endpoint,
    pairs: &'p [(String, String)],
) -> Result<Vec<Cow<'p, str>>, &'e str> {
    endpoint
        .include_in_hash
        .iter()
        .map(|&i| {
            let p = &endpoint.parameters[i];
            value(endpoint, p, pairs).ok_or(p.name.as_str())
        })
        .collect()
}

/// The names in `pairs` that the endpoint's hash does not cover (they do not change it), in order.
pub fn not_hashed<'a>(
    endpoint: &'a Endpoint,
    pairs: &'a [(String, String)],
) -> impl Iterator<Item = &'a str> {
    let hashed = |n: &str| {
        endpoint
            .include_in_hash
            .iter()
            .any(|&i| endpoint.parameters[i].name == n)
    };
    pairs
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(move |n| !hashed(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_multi_values() {
        let pairs = vec![
            ("t".to_string(), "y".to_string()),
            ("u".to_string(), "1".to_string()),
            ("t".to_string(), "x".to_string()),
        ];
        assert_eq!(joined_value(&pairs, "t", "||").as_deref(), Some("y||x"));
        assert_eq!(joined_value(&pairs, "t", ",").as_deref(), Some("y,x"));
        assert_eq!(joined_value(&pairs, "v", ","), None);
    }
}
