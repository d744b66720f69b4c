//! Executing one endpoint for one request: hash check → parameters → the first `<success>` whose condition holds
//! (following `<forward-to-endpoint>` chains) → a [`Response`]; any failure → the endpoint's `<error>`.

pub mod auth;
pub mod data_source;
pub mod database;
pub mod email;
pub mod excel;
pub mod failure;
pub mod files;
pub mod hash;
pub mod http;
pub mod journal;
pub mod ooxml;
pub mod parameter_transformation;
pub mod task;
pub mod transform;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ::http::{HeaderValue, StatusCode};
use bytes::Bytes;

use crate::config::static_file::StaticFile;
use crate::config::{Action, Application, Endpoint, ERROR_SCOPE};
use crate::request::{BodyKind, RequestInput};
pub use failure::{Failure, FailureKind};

/// `live` (default) or `preview`; part of the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Live,
    Preview,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Preview => "preview",
        }
    }

    pub fn parse(s: &str) -> Option<Environment> {
        match s {
            "live" => Some(Environment::Live),
            "preview" => Some(Environment::Preview),
            _ => None,
        }
    }
}

/// The current time in Unix milliseconds; replaceable so that tests can move time (month rollover, expiry).
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(std::sync::Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        }))
    }

    pub fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(std::sync::Arc::new(f))
    }

    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Which requests get a request-log entry. Requests that fetched a number, created a short link, captured a value
/// or recorded debug documents are always written (their state lives there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestLogMode {
    /// Every request (the reference's behaviour).
    #[default]
    All,
    /// Requests answered with a status of 400 or more.
    Failures,
    /// Only the requests that carry state.
    Off,
}

impl RequestLogMode {
    pub fn parse(s: &str) -> Option<RequestLogMode> {
        match s {
            "all" => Some(RequestLogMode::All),
            "failures" => Some(RequestLogMode::Failures),
            "off" => Some(RequestLogMode::Off),
            _ => None,
        }
    }
}

/// Engine-wide switches (from the command line and environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENDPOINTS_CHECK_HASH` / `--no-hash-check`.
    pub check_hash: bool,
    /// `ENDPOINTS_DISPLAY_EXPECTED_HASH`: put the expected hash into the 401 message (never on a live system).
    pub display_expected_hash: bool,
    /// `--debug-allowed` / `ENDPOINTS_DEBUG_ALLOWED`: `debug=true` records the request's debug documents.
    pub debug_allowed: bool,
    /// `--timezone` / `ENDPOINTS_TIMEZONE`: the time zone of the year and month of on-demand numbers.
    pub timezone: jiff::tz::TimeZone,
    /// `--base-url` / `ENDPOINTS_BASE_URL`, ending in `/`: short links are `{base_url}shortlink/{code}`.
    pub base_url: String,
    pub clock: Clock,
    /// `--request-log` / `ENDPOINTS_REQUEST_LOG`.
    pub request_log: RequestLogMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            check_hash: true,
            display_expected_hash: false,
            debug_allowed: false,
            timezone: jiff::tz::TimeZone::UTC,
            base_url: "http://127.0.0.1:8080/".to_string(),
            clock: Clock::system(),
            request_log: RequestLogMode::All,
        }
    }
}

#[derive(Debug)]
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    Static(Arc<StaticFile>),
    /// The body of an upstream response, streamed as it arrives (`<response-from-url>`).
    Upstream(reqwest::Response),
}

/// What to send back; the server turns it into HTTP (conditional and range requests for static files included).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub download_filename: Option<String>,
    pub location: Option<String>,
    pub body: ResponseBody,
    /// Whether this is the endpoint's success response (conditional GET and ranges apply only then).
    pub success: bool,
    /// `WWW-Authenticate` of a 401.
    pub www_authenticate: Option<&'static str>,
}

impl Response {
    fn empty(status: StatusCode) -> Response {
        Response {
            status,
            content_type: None,
            download_filename: None,
            location: None,
            body: ResponseBody::Empty,
            success: true,
            www_authenticate: None,
        }
    }

    /// A short `text/plain` message: servlet-level errors and errors without an `<error>` configuration.
    pub fn text(status: StatusCode, message: &str) -> Response {
        let mut body = String::with_capacity(message.len() + 1);
        body.push_str(message);
        body.push('\n');
        Response {
            status,
            content_type: Some(HeaderValue::from_static("text/plain; charset=utf-8")),
            download_filename: None,
            location: None,
            body: ResponseBody::Bytes(Bytes::from(body)),
            success: false,
            www_authenticate: None,
        }
    }
}

/// One request to one endpoint.
pub struct Call<'a> {
    pub app: &'a Application,
    pub endpoint: usize,
    pub environment: Environment,
    pub input: &'a RequestInput,
    /// A failure found while reading the input that the endpoint's `<error>` should answer.
    pub input_failure: Option<Failure>,
    pub request_id: &'a str,
    pub settings: &'a Settings,
    /// E-mails built by tasks; sent only when the request succeeds.
    pub outbox: task::Outbox,
    /// Numbers, captures and short links of the success flow; committed with the request-log entry.
    pub journal: journal::Journal,
    /// A short link runs its endpoint without the hash or `<authentication>` check.
    pub skip_authentication: bool,
    /// Set when the request carried no `hash` and was accepted because the application accepts a missing hash
    /// (`engine-settings.xml` or `--accept-missing-hash`); the access log marks such requests.
    pub hash_absent_accepted: &'a AtomicBool,
}

/// Runs the endpoint; never fails: failures are answered by the endpoint's `<error>`. Either way one request-log
/// entry is committed (with the success flow's numbers, captures and short links, or with none of them) before the
/// response is returned — an entry without numbers and short links may be queued and written just after it
/// ([`crate::store::Tx::commit_behind`]).
pub async fn execute(call: Call<'_>) -> Response {
    let failure = match run(&call).await {
        Ok(r) => match commit(&call).await {
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
    // The error flow: the success flow's numbers, captures and short links are rolled back; the `<error>` output
    // may fetch numbers of its own, which its log entry consumes.
    let pt = call.journal.take_pt();
    call.journal.rollback().await;
    let journal = journal::Journal::new(
        call.journal.store(),
        &call.app.name,
        call.environment,
        call.journal.started_ms,
        call.settings,
    );
    let mut r = error_response(
        &call,
        &call.app.endpoints[call.endpoint],
        &failure,
        &journal,
    )
    .await;
    if r.status == StatusCode::UNAUTHORIZED {
        r.www_authenticate = failure.www_authenticate;
    }
    let entry = log_entry(&call, r.status, Some(&failure), pt);
    if let Err(e) = journal.commit(entry).await {
        tracing::error!(request_id = call.request_id, error = %e, "cannot write the request log entry of a failed request");
    }
    r
}

/// Whether this request's debug documents are recorded: `debug=true` where the application allows it, or
/// `verbose=true` on a request that failed; never for a request that failed authentication (hash or
/// `<authentication>`): whoever cannot authenticate gets nothing stored at their request.
fn record_debug(call: &Call<'_>, status: StatusCode, failure: Option<&Failure>) -> bool {
    if failure.is_some_and(|f| f.kind == FailureKind::Unauthorized) {
        return false;
    }
    (call.settings.debug_allowed && call.input.debug)
        || (call.input.verbose && status.as_u16() >= 400)
}

/// The credentials the request itself carries (credential headers, cookie values), to be removed from what is
/// stored about it. Short values are left out: they would remove ordinary text everywhere (the parameter
/// transformation's input leaves out every one of them, whatever its length).
fn request_credentials(input: &RequestInput) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        let v = v.trim();
        if v.chars().count() >= 6 && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
            let mut escaped = String::new();
            crate::config::template::escape_xml(v, &mut escaped);
            if escaped != v {
                out.push(escaped);
            }
        }
    };
    for (name, value) in &input.headers {
        if !parameter_transformation::is_credential_header(name) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == ::http::header::COOKIE {
            for pair in value.split(';') {
                if let Some((_, v)) = pair.split_once('=') {
                    add(v);
                }
            }
        } else {
            add(&value);
            if let Some((_, credentials)) = value.trim().split_once(' ') {
                add(credentials);
            }
        }
    }
    // Longest first, so that a value containing another one is removed whole.
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out
}

/// Removes the application's secrets and the request's credentials from what is stored about a request.
fn redact_entry(call: &Call<'_>, e: &mut crate::store::LogEntry) {
    let secrets = &call.app.secrets;
    let credentials = if e.parameter_transformation_input.is_some()
        || e.parameter_transformation_output.is_some()
        || e.request_body.is_some()
        || e.exception_message.is_some()
        || e.xslt_parameter_error_message.is_some()
    {
        request_credentials(call.input)
    } else {
        Vec::new()
    };
    let text = |s: &mut String| {
        let mut out = secrets.redact(s).into_owned();
        for c in &credentials {
            if out.contains(c.as_str()) {
                out = out.replace(c.as_str(), crate::config::secrets::REDACTED);
            }
        }
        *s = out;
    };
    for s in [
        &mut e.exception_message,
        &mut e.http_request_failed_url,
        &mut e.xslt_parameter_error_message,
        &mut e.parameter_transformation_input,
        &mut e.parameter_transformation_output,
        &mut e.request_content_type,
    ]
    .into_iter()
    .flatten()
    {
        text(s);
    }
    if !secrets.is_empty() {
        text(&mut e.user_agent);
    }
    if let Some(body) = &mut e.request_body {
        let mut out = secrets.redact_bytes(body).into_owned();
        for c in &credentials {
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest = &out[..];
            let needle = c.as_bytes();
            while let Some(i) = rest.windows(needle.len()).position(|w| w == needle) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(crate::config::secrets::REDACTED.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            replaced.extend_from_slice(rest);
            out = replaced;
        }
        *body = out;
    }
}

/// Whether the parameter transformation's documents may be wanted by [`record_debug`].
pub fn may_record_debug(call: &Call<'_>) -> bool {
    (call.settings.debug_allowed && call.input.debug) || call.input.verbose
}

fn log_entry(
    call: &Call<'_>,
    status: StatusCode,
    failure: Option<&Failure>,
    pt: (Option<String>, Option<String>),
) -> crate::store::LogEntry {
    let input = call.input;
    let mut e = crate::store::LogEntry {
        request_id: call.request_id.to_string(),
        application: call.app.name.clone(),
        environment: call.environment.as_str().to_string(),
        endpoint: call.app.endpoints[call.endpoint].name.clone(),
        datetime_ms: call.journal.started_ms,
        status_code: status.as_u16(),
        user_agent: input
            .headers
            .get(::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
        ..Default::default()
    };
    if let Some(f) = failure {
        e.exception_message = Some(match &f.detail {
            Some(d) => format!("{}: {d}", f.message),
            None => f.message.clone(),
        });
        if let Some(h) = &f.http_failure {
            e.http_request_failed_url = Some(h.0.clone());
            e.http_request_failed_status_code = h.1;
        }
        e.xslt_parameter_error_message = f.parameter_transformation_error.clone();
    }
    if record_debug(call, status, failure) {
        e.parameter_transformation_input = pt.0;
        e.parameter_transformation_output = pt.1;
        if let Some(ct) = &input.content_type {
            e.request_content_type = Some(ct.clone());
            e.request_body = input
                .signed_body
                .as_ref()
                .or(input.raw_body.as_ref())
                .map(|b| b.to_vec());
        }
    }
    redact_entry(call, &mut e);
    e
}

/// The request succeeded: now send its e-mails (an SMTP failure turns it into the error flow).
async fn commit(call: &Call<'_>) -> Result<(), Failure> {
    let outgoing = call.outbox.take();
    if outgoing.is_empty() {
        return Ok(());
    }
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
        email::send(config, &lookup, o.messages).await?;
    }
    Ok(())
}

async fn run(call: &Call<'_>) -> Result<Response, Failure> {
    let app = call.app;
    let endpoint = &app.endpoints[call.endpoint];
    let input = call.input;

    // Authentication first, unless the hash covers values that the parameter transformation produces.
    let hash_after_transformation =
        endpoint.parameter_transformation.is_some() && !endpoint.include_in_hash.is_empty();
    let accept_missing = app.settings.missing_hash == crate::config::settings::MissingHash::Accept;
    match &endpoint.authentication {
        _ if call.skip_authentication => {}
        Some(auth) => {
            let body = input.signed_body.as_deref().unwrap_or(&[]);
            // A missing hash is never accepted here: `<authentication>` asks for one of its methods.
            let by_hash = auth.allows_hash()
                && (!call.settings.check_hash
                    || check_hash(endpoint, call, &input.params, &app.secret_keys, false).is_ok());
            if !by_hash
                && !auth
                    .methods
                    .iter()
                    .any(|m| self::auth::accepts(m, &input.headers, body))
            {
                let mut f = Failure::unauthorized("Authentication failed");
                f.www_authenticate = self::auth::challenge(&auth.methods);
                return Err(f);
            }
        }
        None if call.settings.check_hash
            && !hash_after_transformation
            && !call.skip_authentication =>
        {
            check_hash(
                endpoint,
                call,
                &input.params,
                &app.secret_keys,
                accept_missing,
            )?;
        }
        None => {}
    }
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
            if call.settings.check_hash && hash_after_transformation && !call.skip_authentication {
                check_hash(endpoint, call, &produced, &app.secret_keys, accept_missing)?;
            }
            resolve_parameters(endpoint, &produced, call.request_id)?
        }
        None => resolve_parameters(endpoint, &input.params, call.request_id)?,
    };
    run_endpoint(call, endpoint, values, 0).await
}

/// Whether XML can hold `c`: XML 1.0 has no place for the control characters other than tab, line feed and
/// carriage return (NUL above all), nor for U+FFFE and U+FFFF.
fn xml_char(c: char) -> bool {
    !((c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}')
}

/// Refuses (400) a request whose parameter names or values, or upload field or file names, hold a character that
/// XML cannot hold: such a value could reach no stylesheet or XML data source, and has no business in a form.
fn check_characters(input: &RequestInput) -> Result<(), Failure> {
    let bad = |s: &str| !s.chars().all(xml_char);
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
                    None => endpoint
                        .parameters
                        .iter()
                        .map(|p| p.name.clone())
                        .chain(std::iter::once("request-id".to_string()))
                        .chain(success.inputs.iter().cloned())
                        .zip(v.iter().cloned())
                        .collect(),
                };
                let target = &app.endpoints[f.target_index];
                let target_values = match &target.parameter_transformation {
                    Some(pt) => {
                        let produced =
                            parameter_transformation::run(call, target, pt, &pairs, false).await?;
                        resolve_parameters(target, &produced, call.request_id)?
                    }
                    None => resolve_parameters(target, &pairs, call.request_id)?,
                };
                run_endpoint(call, target, target_values, depth + 1).await
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

/// The data-source context of a `<success>`: the endpoint's parameters, `request-id` and the success's inputs.
fn success_context<'a>(
    call: &'a Call<'_>,
    endpoint: &Endpoint,
    values: &[String],
    inputs: &[String],
    input_values: &[String],
) -> data_source::Ctx<'a> {
    let params = endpoint
        .parameters
        .iter()
        .map(|p| p.name.clone())
        .chain(std::iter::once("request-id".to_string()))
        .zip(values.iter().cloned())
        .chain(inputs.iter().cloned().zip(input_values.iter().cloned()))
        .collect();
    data_source::Ctx {
        app: call.app,
        params,
        intermediate: inputs.len(),
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal: &call.journal,
    }
}

/// The context of an action that reads no data source (nothing to copy).
fn bare_context<'a>(call: &'a Call<'_>) -> data_source::Ctx<'a> {
    data_source::Ctx {
        app: call.app,
        params: Vec::new(),
        intermediate: 0,
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal: &call.journal,
    }
}

/// Checks the request's `hash`. Without one: 401 `Hash missing`, or, when `accept_missing` (the application
/// accepts a missing hash, as OpenEndpoints does), no check at all. A hash that is present is always checked.
fn check_hash(
    endpoint: &Endpoint,
    call: &Call,
    pairs: &[(String, String)],
    keys: &[Box<str>],
    accept_missing: bool,
) -> Result<(), Failure> {
    let Some(supplied) = call.input.first("hash") else {
        if accept_missing {
            call.hash_absent_accepted.store(true, Ordering::Relaxed);
            tracing::debug!(request_id = call.request_id, endpoint = %endpoint.name, "no hash: accepted (missing-hash accept)");
            return Ok(());
        }
        return Err(Failure::unauthorized("Hash missing"));
    };
    // The client cannot have hashed a value it did not send.
    let Ok(included) = hash::included_values(endpoint, pairs) else {
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

/// All values of `name` joined with the separator, or `None` if the request has none.
fn joined_value(pairs: &[(String, String)], name: &str, separator: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (n, v) in pairs {
        if n == name {
            match &mut out {
                None => out = Some(v.clone()),
                Some(s) => {
                    s.push_str(separator);
                    s.push_str(v);
                }
            }
        }
    }
    out
}

/// The final values of the endpoint's parameters (in `endpoint.parameters` order) followed by the request id.
fn resolve_parameters(
    endpoint: &Endpoint,
    pairs: &[(String, String)],
    request_id: &str,
) -> Result<Vec<String>, Failure> {
    let mut values = Vec::with_capacity(endpoint.parameters.len() + 1);
    for p in &endpoint.parameters {
        match joined_value(pairs, &p.name, &endpoint.separator).or_else(|| p.default.clone()) {
            Some(v) => values.push(v),
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

/// The longest `Location` built from a `<redirect-to>` (longer: 400).
pub const MAX_LOCATION_BYTES: usize = 8192;
/// The longest download file name, in bytes of UTF-8 (longer: 400); most file systems allow no more.
pub const MAX_DOWNLOAD_FILENAME_BYTES: usize = 255;

/// Whether `name` can be a file name: not empty, not `.` or `..`, no `/` or `\`, no control character (which
/// includes CR, LF and NUL).
fn valid_download_filename(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

fn download_filename(
    t: &Option<crate::config::template::Template>,
    values: &[String],
) -> Result<Option<String>, Failure> {
    match t {
        Some(t) => {
            // The name is never echoed: it comes from the request.
            let name = t.expand(values);
            if name.len() > MAX_DOWNLOAD_FILENAME_BYTES {
                return Err(Failure::bad_request(format!(
                    "Download filename is longer than {MAX_DOWNLOAD_FILENAME_BYTES} bytes"
                )));
            }
            if !valid_download_filename(&name) {
                return Err(Failure::bad_request(
                    "Download filename invalid: it is empty, '.' or '..', or contains '/', '\\' or a control character",
                ));
            }
            Ok(Some(name))
        }
        None => Ok(None),
    }
}

/// The `Content-Disposition` of a download named `name` (checked by [`valid_download_filename`]): `attachment;
/// filename="name"` when the name is printable ASCII without `"` and `\`; otherwise an ASCII fallback in
/// `filename` (letters with accents lose them, `"` becomes `'`, anything else `_`) followed by the exact name in
/// RFC 8187's `filename*=UTF-8''…` (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\');
    if plain {
        return format!("attachment; filename=\"{name}\"");
    }
    let mut fallback = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => fallback.push('\''),
            c if (' '..='~').contains(&c) && c != '\\' => fallback.push(c),
            c => fallback.push_str(ascii_for(c)),
        }
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// An ASCII stand-in for a Latin letter with a diacritic (Latin-1 and a few more); `_` for anything else.
fn ascii_for(c: char) -> &'static str {
    match c {
        'À'..='Å' => "A",
        'Æ' => "AE",
        'Ç' => "C",
        'È'..='Ë' => "E",
        'Ì'..='Ï' => "I",
        'Ð' => "D",
        'Ñ' => "N",
        'Ò'..='Ö' | 'Ø' => "O",
        'Ù'..='Ü' => "U",
        'Ý' | 'Ÿ' => "Y",
        'Þ' => "Th",
        'ß' => "ss",
        'à'..='å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è'..='ë' => "e",
        'ì'..='ï' => "i",
        'ð' => "d",
        'ñ' => "n",
        'ò'..='ö' | 'ø' => "o",
        'ù'..='ü' => "u",
        'ý' | 'ÿ' => "y",
        'þ' => "th",
        'Œ' => "OE",
        'œ' => "oe",
        'Š' => "S",
        'š' => "s",
        'Ž' => "Z",
        'ž' => "z",
        _ => "_",
    }
}

async fn render(
    action: &Action,
    status: Option<StatusCode>,
    values: &[String],
    default_status: StatusCode,
    ctx: &data_source::Ctx<'_>,
) -> Result<Response, Failure> {
    match action {
        Action::Empty => Ok(Response::empty(status.unwrap_or(default_status))),
        Action::Ooxml(o) => {
            let name =
                download_filename(&Some(o.download_filename.clone()), values)?.unwrap_or_default();
            let bytes = ooxml::expand_blocking(o.template.clone(), ctx.params.clone()).await?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(HeaderValue::from_static(
                    crate::config::ooxml::content_type(&name),
                )),
                download_filename: Some(name),
                location: None,
                body: ResponseBody::Bytes(Bytes::from(bytes)),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Url(u) => {
            let download_filename = download_filename(&u.download_filename, values)?;
            match http::fetch_streaming(&u.spec, ctx, &u.options).await {
                Ok(up) => {
                    let content_type = up
                        .response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
                    Ok(Response {
                        status: status.unwrap_or(default_status),
                        content_type,
                        download_filename,
                        location: None,
                        body: ResponseBody::Upstream(up.response),
                        success: true,
                        www_authenticate: None,
                    })
                }
                Err(Ok(failure)) if u.ignore_if_error => {
                    tracing::warn!(url = %failure.url, error = %failure.message, "ignored failure of <response-from-url>");
                    Ok(Response::empty(status.unwrap_or(default_status)))
                }
                Err(Ok(failure)) => {
                    Err(Failure::hidden(failure.message)
                        .with_http_failure(failure.url, failure.status))
                }
                Err(Err(f)) => Err(f),
            }
        }
        Action::Transformation(t) => {
            let download_filename = download_filename(&t.download_filename, values)?;
            let out = transform::run(t.transformer, ctx).await?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(HeaderValue::from_str(&out.content_type).map_err(|_| {
                    Failure::hidden(format!("invalid content type '{}'", out.content_type))
                })?),
                download_filename,
                location: None,
                body: ResponseBody::Bytes(out.body),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Static(s) => {
            let download_filename = download_filename(&s.download_filename, values)?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(s.file.content_type.clone()),
                download_filename,
                location: None,
                body: ResponseBody::Static(s.file.clone()),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Redirect(r) => {
            let url = r.url.expand(values);
            if url.len() > MAX_LOCATION_BYTES {
                return Err(Failure::bad_request(format!(
                    "Redirect URL is longer than {MAX_LOCATION_BYTES} bytes"
                )));
            }
            if url.chars().any(char::is_control) {
                return Err(Failure::bad_request(
                    "Redirect URL contains a control character (such as CR or LF)",
                ));
            }
            if !r.whitelist.is_empty() && !r.whitelist.iter().any(|w| url.starts_with(w.as_str())) {
                return Err(Failure::bad_request(format!(
                    "Redirect URL '{url}' is not in whitelist"
                )));
            }
            if !is_absolute_url(&url) || HeaderValue::from_str(&url).is_err() {
                return Err(Failure::internal(format!(
                    "Redirect URL '{url}' is not an absolute URL"
                )));
            }
            let mut resp = Response::empty(status.unwrap_or(StatusCode::FOUND));
            resp.location = Some(url);
            Ok(resp)
        }
        Action::Forward(_) => Err(Failure::hidden(
            "<forward-to-endpoint> cannot be rendered here",
        )),
    }
}

fn is_absolute_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let s = scheme.to_ascii_lowercase();
    match s.as_str() {
        "http" | "https" | "ftp" => rest.starts_with("//") && rest.len() > 2,
        _ => !rest.is_empty(),
    }
}

/// The error flow: the endpoint's `<error>` rendered with `${internal-error-text}`,
/// `${parameter-transformation-error-text}` and `${request-id}`; without one, a short plain-text reason.
pub async fn error_response(
    call: &Call<'_>,
    endpoint: &Endpoint,
    failure: &Failure,
    journal: &journal::Journal,
) -> Response {
    let request_id = call.request_id;
    if let Some(detail) = &failure.detail {
        tracing::error!(request_id, endpoint = %endpoint.name, detail = %detail, "request failed");
    } else {
        tracing::debug!(request_id, endpoint = %endpoint.name, message = %failure.message, "request failed");
    }
    let status = failure.status();
    let failure_status = status;
    let public = if failure.kind == FailureKind::Internal && failure.detail.is_some() {
        format!("{} (request id {request_id})", failure.message)
    } else {
        failure.message.clone()
    };
    let Some(error) = &endpoint.error else {
        return Response::text(status, &public);
    };
    let values = [
        failure.message.clone(),
        failure
            .parameter_transformation_error
            .clone()
            .unwrap_or_default(),
        request_id.to_string(),
    ];
    if let Some(c) = &error.condition {
        if !c.evaluate(&values, &endpoint.separator) {
            // This <error> does not apply: the plain reason, with the failure's own status.
            return Response::text(status, &public);
        }
    }
    let status = error.status.unwrap_or(status);
    if matches!(error.action, Action::Empty) {
        return Response::text(status, &public);
    }
    let redirect_status = match error.status {
        Some(s) if s.is_redirection() => s,
        _ => StatusCode::FOUND,
    };
    let ctx = data_source::Ctx {
        app: call.app,
        params: ERROR_SCOPE
            .iter()
            .map(|n| n.to_string())
            .zip(values.iter().cloned())
            .collect(),
        intermediate: 0,
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal,
    };
    let rendered = match &error.action {
        Action::Redirect(_) => {
            render(&error.action, Some(redirect_status), &values, status, &ctx).await
        }
        other => render(other, Some(status), &values, status, &ctx).await,
    };
    match rendered {
        Ok(mut r) => {
            r.success = false;
            r
        }
        Err(f) => {
            // The client still learns what went wrong with its request (400, 401, …), not that the error page
            // broke; why it broke goes to the log.
            tracing::warn!(
                request_id,
                endpoint = %endpoint.name,
                status = failure_status.as_u16(),
                error = %f.message,
                detail = f.detail.as_deref().unwrap_or(""),
                "rendering <error> failed: answering with the failure's own status and a plain-text reason"
            );
            Response::text(failure_status, &public)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls() {
        assert!(is_absolute_url("https://shop.example/thanks?id=7"));
        assert!(is_absolute_url("mailto:a@b.example"));
        assert!(!is_absolute_url("/relative"));
        assert!(!is_absolute_url("https:"));
        assert!(!is_absolute_url("https://"));
        assert!(!is_absolute_url("relative/path"));
        assert!(!is_absolute_url("1http://x"));
    }

    #[test]
    fn download_filenames() {
        assert!(valid_download_filename("invoice-123.pdf"));
        assert!(valid_download_filename("invoice-1 2.pdf"));
        assert!(valid_download_filename("ä.pdf"));
        assert!(valid_download_filename("..pdf"));
        assert!(!valid_download_filename(""));
        assert!(!valid_download_filename(".."));
        assert!(!valid_download_filename("a/b.pdf"));
        assert!(!valid_download_filename("a\\b.pdf"));
        assert!(!valid_download_filename("a\r\nb.pdf"));
        assert!(!valid_download_filename("a\u{85}b.pdf"));
        assert_eq!(
            content_disposition("price-list-2027.csv"),
            "attachment; filename=\"price-list-2027.csv\""
        );
        assert_eq!(
            content_disposition("Rechnung Müller & Söhne.pdf"),
            "attachment; filename=\"Rechnung Muller & Sohne.pdf\"; filename*=UTF-8''Rechnung%20M%C3%BCller%20%26%20S%C3%B6hne.pdf"
        );
        assert_eq!(
            content_disposition("Straße \"ß\" 東京.txt"),
            "attachment; filename=\"Strasse 'ss' __.txt\"; filename*=UTF-8''Stra%C3%9Fe%20%22%C3%9F%22%20%E6%9D%B1%E4%BA%AC.txt"
        );
    }

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
