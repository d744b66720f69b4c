//! The request flow: [`execute`] runs the success flow (authentication → parameters → tasks and the first
//! `<success>` whose condition holds, following `<forward-to-endpoint>` chains → render), sends its e-mails, and
//! commits the request-log entry; any failure is answered by the endpoint's `<error>` instead.

use ::http::StatusCode;

use super::call::Call;
use super::context::Ctx;
use super::failure::Failure;
use super::journal::{self, Journal};
use super::render::{error_response, render};
use super::request_log::log_entry;
use super::response::Response;
use super::timings::StepKind;
use super::{authenticate, email, parameter_transformation, parameters, task};
use crate::config::{Action, Endpoint};
use crate::request::{BodyKind, RequestInput};

/// Runs the endpoint; never fails: failures are answered by the endpoint's `<error>`. Either way one request-log
/// entry is committed (with the success flow's numbers, captures and short links, or with none of them) before the
/// response is returned — an entry without numbers and short links may be queued and written just after it
/// ([`crate::store::Tx::commit_behind`]).
pub async fn execute(call: Call<'_>) -> Response {
    let failure = match run(&call).await {
        Ok(r) => match send_emails(&call).await {
            Ok(()) => {
                let pt = call.journal.take_pt();
                let entry = log_entry(&call, r.status, None, pt);
                match call.journal.commit(entry).await {
                    Ok(()) => return r,
                    Err(e) => journal::store_failure("writing the request log", &e),
                }
            }
            Err(f) => f,
        },
        Err(f) => f,
    };
    // Boxed, as sending e-mail is: a rare path whose state would otherwise be copied with every request's.
    Box::pin(error_flow(&call, failure)).await
}

/// The error flow: the success flow's numbers, captures and short links are rolled back; the `<error>` output may
/// fetch numbers of its own, which its log entry consumes.
async fn error_flow(call: &Call<'_>, failure: Failure) -> Response {
    let failure = without_fetched_secrets(call, failure);
    let _ = call.failure_reason.set(failure.message.clone());
    let pt = call.journal.take_pt();
    call.journal.rollback().await;
    let journal = Journal::new(
        call.journal.store(),
        &call.app.name,
        call.environment,
        call.journal.started_ms,
        call.settings,
    )
    .with_trace(call.journal.trace().cloned());
    let mut r = error_response(call, &failure, &journal).await;
    if r.status == StatusCode::UNAUTHORIZED {
        r.www_authenticate = failure.www_authenticate;
    }
    let entry = log_entry(call, r.status, Some(&failure), pt);
    if let Err(e) = journal.commit(entry).await {
        tracing::error!(request_id = call.request_id, error = %e, "cannot write the request log entry of a failed request");
    }
    r
}

/// `failure` with the `secrets.xml` values fetched so far replaced by `[redacted]` in its message (a redirect's
/// refused URL may hold one): the message reaches the client, the access log and `${internal-error-text}`.
fn without_fetched_secrets(call: &Call<'_>, mut failure: Failure) -> Failure {
    let Some(s) = &call.app.aws_secrets else {
        return failure;
    };
    let fetched = s.redaction();
    if fetched.is_empty() {
        return failure;
    }
    failure.message = fetched.redact(&failure.message).into_owned();
    if let Some(pt) = &mut failure.parameter_transformation_error {
        *pt = fetched.redact(pt).into_owned();
    }
    failure
}

/// The request succeeded: now send its e-mails, if it has any (an SMTP failure turns it into the error flow).
async fn send_emails(call: &Call<'_>) -> Result<(), Failure> {
    let outgoing = call.outbox.take();
    if outgoing.is_empty() {
        return Ok(());
    }
    Box::pin(send(call, outgoing)).await
}

async fn send(call: &Call<'_>, outgoing: Vec<task::Outgoing>) -> Result<(), Failure> {
    let Some(config) = &call.app.email else {
        return Err(Failure::hidden(
            "e-mail tasks ran but email-sending-configuration.xml is missing",
        ));
    };
    for o in outgoing {
        let values = o.values;
        let lookup = |name: &str| {
            values
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let count = o.messages.len();
        let name = || format!("{count} message(s)");
        let send = email::send(config, &lookup, o.messages);
        call.journal.timed(StepKind::Email, name, send).await?;
    }
    Ok(())
}

/// The success flow: authentication, the request's input checked, the parameters resolved (through the parameter
/// transformation if there is one), then the endpoint run.
async fn run(call: &Call<'_>) -> Result<Response, Failure> {
    let endpoint = call.endpoint;
    let input = call.input;

    authenticate::before_parameters(call)?;
    // Authentication comes first; then a body that could not be read.
    if let Some(f) = &call.input_failure {
        return Err(f.clone());
    }
    check_characters(input)?;
    match input.body_kind() {
        BodyKind::None | BodyKind::Form | BodyKind::Multipart => {}
        BodyKind::Xml | BodyKind::Json if endpoint.parameter_transformation.is_some() => {}
        BodyKind::Xml | BodyKind::Json => {
            return Err(Failure::bad_request(format!(
                "Endpoint does not have <parameter-transformation> defined, therefore cannot accept XML or JSON request with Content-Type '{}'",
                input.content_type.as_deref().unwrap_or("")
            )))
        }
        BodyKind::Other => {
            return Err(Failure::bad_request(format!(
                "Unexpected Content Type '{}': Must either be a GET request, or a POST request from a <form>, or POST request with XML or JSON body",
                input.content_type.as_deref().unwrap_or("")
            )))
        }
    }

    let values = match &endpoint.parameter_transformation {
        Some(pt) => {
            let produced =
                parameter_transformation::run(call, endpoint, pt, &input.params, true).await?;
            authenticate::after_transformation(call, &produced)?;
            parameters::resolve(endpoint, &produced, call.request_id)?
        }
        None => parameters::resolve(endpoint, &input.params, call.request_id)?,
    };
    run_endpoint(call, endpoint, values, 0).await
}

/// Whether `s` may hold a character XML cannot hold, by its bytes alone: a C0 control other than tab, line feed
/// and carriage return, or the lead byte 0xEF of U+FFFE and U+FFFF (and of other characters, which the exact check
/// then clears). Most values hold neither, and this test over bytes is much cheaper than decoding characters.
fn may_hold_non_xml(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
}

/// Whether XML can hold `c`: XML 1.0 has no place for the control characters other than tab, line feed and
/// carriage return (NUL above all), nor for U+FFFE and U+FFFF.
fn xml_char(c: char) -> bool {
    !((c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}')
}

/// Refuses (400) a request whose parameter names or values, or upload field or file names, hold a character that
/// XML cannot hold: such a value could reach no stylesheet or XML data source, and has no business in a form.
fn check_characters(input: &RequestInput) -> Result<(), Failure> {
    let bad = |s: &str| may_hold_non_xml(s) && !s.chars().all(xml_char);
    let named = |what: &str, name: &str| {
        // The name is shown only when it is itself clean and short.
        if bad(name) || name.len() > 100 {
            Failure::bad_request(format!(
                "A {} contains a control character, which is not allowed",
                what.to_lowercase()
            ))
        } else {
            Failure::bad_request(format!(
                "{what} '{name}' contains a control character, which is not allowed"
            ))
        }
    };
    for (n, v) in &input.params {
        if bad(n) || bad(v) {
            return Err(named("Parameter", n));
        }
    }
    for u in &input.uploads {
        if bad(&u.field_name) || bad(&u.filename) {
            return Err(named("File upload", &u.field_name));
        }
    }
    Ok(())
}

type BoxedResponse<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Failure>> + Send + 'a>>;

/// Runs `endpoint`'s tasks and its `<success>` selection together; a forward runs the target the same way.
fn run_endpoint<'a>(
    call: &'a Call<'_>,
    endpoint: &'a Endpoint,
    values: Vec<String>,
    depth: usize,
) -> BoxedResponse<'a> {
    Box::pin(async move {
        let values = with_secrets(call, endpoint, values).await?;
        let progress = task::Progress::new(endpoint.tasks.len());
        if endpoint.tasks.is_empty() {
            return choose_success(call, endpoint, &values, &progress, depth).await;
        }
        let ctx = success_context(call, endpoint, &values, &[], &[]);
        let tasks = task::run_all(endpoint, &values, &ctx, &progress, &call.outbox);
        let choose = choose_success(call, endpoint, &values, &progress, depth);
        let ((), response) = tokio::try_join!(tasks, choose)?;
        Ok(response)
    })
}

/// The first `<success>` of `endpoint` whose condition holds (each waits for the tasks it depends on), rendered;
/// a `<forward-to-endpoint>` runs its target with the values it passes.
async fn choose_success(
    call: &Call<'_>,
    endpoint: &Endpoint,
    values: &[String],
    progress: &task::Progress,
    depth: usize,
) -> Result<Response, Failure> {
    let app = call.app;
    for success in &endpoint.successes {
        progress.wait_for(&success.depends_on).await;
        let v: std::borrow::Cow<[String]> = if success.inputs.is_empty() {
            std::borrow::Cow::Borrowed(values)
        } else {
            let mut v = values.to_vec();
            v.extend(progress.values(&success.inputs));
            std::borrow::Cow::Owned(v)
        };
        if let Some(c) = &success.condition {
            if !c.evaluate(&v, &endpoint.separator) {
                continue;
            }
        }
        return match &success.action {
            Action::Forward(f) => {
                // Forward chains are acyclic (checked at load); the bound is a second guard.
                if depth > app.endpoints.len() {
                    return Err(Failure::hidden("forward chain did not end"));
                }
                let pairs: Vec<(String, String)> = match &f.input_parameters {
                    Some(list) => list
                        .iter()
                        .map(|(n, t)| (n.clone(), t.expand(&v)))
                        .collect(),
                    // The declared values (never the secrets that shadow them), then the success's inputs.
                    None => endpoint
                        .parameters
                        .iter()
                        .map(|p| p.name.clone())
                        .chain(std::iter::once("request-id".to_string()))
                        .zip(v.iter().cloned())
                        .chain(
                            success
                                .inputs
                                .iter()
                                .cloned()
                                .zip(v[values.len()..].iter().cloned()),
                        )
                        .collect(),
                };
                let target = &app.endpoints[f.target_index];
                let forward = async {
                    let target_values = match &target.parameter_transformation {
                        Some(pt) => {
                            let produced =
                                parameter_transformation::run(call, target, pt, &pairs, false)
                                    .await?;
                            parameters::resolve(target, &produced, call.request_id)?
                        }
                        None => parameters::resolve(target, &pairs, call.request_id)?,
                    };
                    run_endpoint(call, target, target_values, depth + 1).await
                };
                let name = || target.name.clone();
                call.journal.timed(StepKind::Forward, name, forward).await
            }
            action => {
                let ctx = if action.reads_data_sources() {
                    success_context(call, endpoint, values, &success.inputs, &v[values.len()..])
                } else {
                    bare_context(call)
                };
                render(action, success.status, &v, StatusCode::OK, &ctx).await
            }
        };
    }
    Err(Failure::hidden("no <success> matched"))
}

/// `values` (the endpoint's parameters and `request-id`) followed by its secret slots.
async fn with_secrets(
    call: &Call<'_>,
    endpoint: &Endpoint,
    mut values: Vec<String>,
) -> Result<Vec<String>, Failure> {
    if !endpoint.secrets.is_empty() {
        let ctx = bare_context(call);
        super::aws::secret_slots(&ctx, &endpoint.secrets, &endpoint.secrets_used, &mut values)
            .await?;
    }
    Ok(values)
}

/// The data-source context of a `<success>`: the endpoint's parameters, `request-id` and the success's inputs.
fn success_context<'a>(
    call: &'a Call<'_>,
    endpoint: &Endpoint,
    values: &[String],
    inputs: &[String],
    input_values: &[String],
) -> Ctx<'a> {
    let params = endpoint
        .parameters
        .iter()
        .map(|p| p.name.clone())
        .chain(std::iter::once("request-id".to_string()))
        .zip(values.iter().cloned())
        .chain(inputs.iter().cloned().zip(input_values.iter().cloned()))
        .collect();
    Ctx {
        app: call.app,
        params,
        intermediate: inputs.len(),
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal: &call.journal,
        separator: endpoint.separator.clone(),
    }
}

/// The context of an action that reads no data source (nothing to copy).
fn bare_context<'a>(call: &'a Call<'_>) -> Ctx<'a> {
    Ctx {
        app: call.app,
        params: Vec::new(),
        intermediate: 0,
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal: &call.journal,
        separator: call.endpoint.separator.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::{may_hold_non_xml, xml_char};

    #[test]
    fn the_byte_test_never_clears_a_value_that_xml_cannot_hold() {
        let cases = [
            "",
            "plain",
            "tab\tline\nreturn\r",
            "caf\u{e9}",
            "\u{feff}bom",
            "\u{fffd}",
            "nul\0",
            "bell\u{7}",
            "\u{fffe}",
            "x\u{ffff}",
            "\u{1f600}",
            "\u{7f}del",
        ];
        for s in cases {
            let exact_bad = !s.chars().all(xml_char);
            if exact_bad {
                assert!(may_hold_non_xml(s), "{s:?}");
            }
        }
        assert!(!may_hold_non_xml("a=1 b \u{e9} \u{1f600}"));
        assert!(
            may_hold_non_xml("\u{feff}"),
            "0xEF leads to the exact check"
        );
    }
}
