//! Authenticating a request: the endpoint's `<authentication>` methods, or else the request's `hash` over the values
//! [`included_values`] finds (before the parameter transformation, or after it when the hash covers values it
//! produces), with the application's missing-hash policy.

use std::sync::atomic::Ordering;

use super::auth;
use super::call::Call;
use super::failure::Failure;
use super::hash;
use super::parameters::included_values;
use crate::config::model::settings::MissingHash;
use crate::config::Endpoint;

/// Whether the hash covers values that the parameter transformation produces: then it is checked after the
/// transformation ([`after_transformation`]) rather than first.
pub fn hash_after_transformation(endpoint: &Endpoint) -> bool {
    endpoint.parameter_transformation.is_some() && !endpoint.include_in_hash.is_empty()
}

fn accept_missing(call: &Call) -> bool {
    call.app.settings.missing_hash == MissingHash::Accept
}

/// The check that comes first, before the request's body is looked at: `<authentication>` (one of its methods, or
/// the hash where it allows that), else the hash over the request's parameters, unless it waits for the parameter
/// transformation. A short link skips it.
pub fn before_parameters(call: &Call) -> Result<(), Failure> {
    let endpoint = call.endpoint;
    let input = call.input;
    match &endpoint.authentication {
        _ if call.skip_authentication => Ok(()),
        Some(a) => {
            let body = input.signed_body.as_deref().unwrap_or(&[]);
            // A missing hash is never accepted here: `<authentication>` asks for one of its methods.
            let by_hash = a.allows_hash()
                && (!call.settings.check_hash || check_hash(call, &input.params, false).is_ok());
            if !by_hash
                && !a
                    .methods
                    .iter()
                    .any(|m| auth::accepts(m, &input.headers, body))
            {
                let mut f = Failure::unauthorized("Authentication failed");
                f.www_authenticate = auth::challenge(&a.methods);
                return Err(f);
            }
            Ok(())
        }
        None if call.settings.check_hash && !hash_after_transformation(endpoint) => {
            check_hash(call, &input.params, accept_missing(call))
        }
        None => Ok(()),
    }
}

/// The hash check over the parameter transformation's output `produced`, when the hash covers it.
pub fn after_transformation(call: &Call, produced: &[(String, String)]) -> Result<(), Failure> {
    if call.settings.check_hash
        && hash_after_transformation(call.endpoint)
        && !call.skip_authentication
    {
        check_hash(call, produced, accept_missing(call))?;
    }
    Ok(())
}

/// Checks the request's `hash`. Without one: 401 `Hash missing`, or, when `accept_missing` (the application
/// accepts a missing hash, as OpenEndpoints does), no check at all. A hash that is present is always checked.
fn check_hash(
    call: &Call,
    pairs: &[(String, String)],
    accept_missing: bool,
) -> Result<(), Failure> {
    let endpoint = call.endpoint;
    let keys = &call.app.secret_keys;
    let Some(supplied) = call.input.first("hash") else {
        if accept_missing {
            call.hash_absent_accepted.store(true, Ordering::Relaxed);
            tracing::debug!(request_id = call.request_id, endpoint = %endpoint.name, "no hash: accepted (missing-hash accept)");
            return Ok(());
        }
        return Err(Failure::unauthorized("Hash missing"));
    };
    // The client cannot have hashed a value it did not send.
    let Ok(included) = included_values(endpoint, pairs) else {
        return Err(Failure::unauthorized("Hash wrong"));
    };
    let scheme = call.app.settings.hash_scheme;
    if hash::matches_with(
        scheme,
        supplied,
        &endpoint.name,
        &included,
        call.environment,
        keys,
    ) {
        return Ok(());
    }
    if call.settings.display_expected_hash {
        if let Some(k) = keys.first() {
            let expected =
                hash::compute_with(scheme, &endpoint.name, &included, call.environment, k);
            return Err(Failure::unauthorized(format!(
                "Expected hash '{expected}' (won't be displayed on live system)"
            )));
        }
    }
    Err(Failure::unauthorized("Hash wrong"))
}
