//! The short-link creator: a link `BASE_URL/shortlink/CODE` that runs an endpoint with stored parameter values,
//! made as the `CreateShortLinkToEndpointTask` task makes one (the same code alphabet, the same table, the same
//! expiry). Such a link needs no hash, so making one is a console action (a POST with its CSRF token).
//!
//! The making is recorded in the request log as a request to the link's endpoint answered `201`, with the user
//! agent `endpoints console` and the link as the capture `short-link`, so that every short link in the state has a
//! trace of where it came from.

use maud::{html, Markup};

use super::answer::Form;
use super::pages::{endpoint_picker, name_value_lines, page, Frame};
use crate::engine::Environment;
use crate::server::State;
use crate::store::{short_link_code, LogEntry, ShortLink, Writes};

/// Most NAME=VALUE lines a link stores.
const MAX_VALUES: usize = 200;
/// Longest validity offered: a year.
const MAX_MINUTES: i64 = 366 * 24 * 60;
const DEFAULT_MINUTES: i64 = 7 * 24 * 60;

/// What the creator was asked.
pub struct LinkQuery {
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    pub values: String,
    pub minutes: String,
}

impl LinkQuery {
    pub fn from_form(f: &Form) -> LinkQuery {
        LinkQuery {
            application: f.text("application"),
            environment: f.get("environment").unwrap_or("live").to_string(),
            endpoint: f.text("endpoint"),
            values: f.text("values"),
            minutes: f
                .get("minutes")
                .map_or_else(|| DEFAULT_MINUTES.to_string(), str::to_string),
        }
    }
}

/// Makes the link `q` asks for: its URL, or what is wrong.
pub async fn create(state: &State, q: &LinkQuery) -> Result<String, String> {
    let env = Environment::parse(&q.environment)
        .ok_or_else(|| "the environment must be live or preview".to_string())?;
    let site = state
        .site(Some(&q.application), env)
        .ok_or_else(|| format!("no application '{}'", q.application))?;
    let endpoint = q.endpoint.trim();
    if site.current.load().app.endpoint(endpoint).is_none() {
        return Err(format!("no endpoint '{endpoint}' in '{}'", q.application));
    }
    let minutes: i64 = q
        .minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=MAX_MINUTES).contains(m))
        .ok_or_else(|| format!("the validity is a number of minutes from 1 to {MAX_MINUTES}"))?;
    let parameters = name_value_lines(&q.values, MAX_VALUES)?;
    let now = state.settings.clock.now_ms();
    let code = short_link_code();
    let url = format!("{}shortlink/{code}", state.settings.base_url);
    let request_id = crate::server::request_id::new();
    let writes = Writes {
        entry: LogEntry {
            request_id: request_id.clone(),
            application: site.name.clone(),
            environment: env.as_str().to_string(),
            endpoint: endpoint.to_string(),
            datetime_ms: now,
            status_code: 201,
            user_agent: "endpoints console".into(),
            captures: vec![("short-link".into(), url.clone())],
            ..LogEntry::default()
        },
        short_links: vec![ShortLink {
            code,
            application: site.name.clone(),
            environment: env.as_str().to_string(),
            endpoint: endpoint.to_string(),
            created_ms: now,
            expires_ms: now.saturating_add(minutes * 60_000),
            parameters,
        }],
    };
    let tx = state.store.begin(&site.name, env.as_str());
    match tx.commit(writes).await {
        Ok(()) => {
            tracing::info!(request_id, application = %site.name, endpoint, "console: short link created");
            Ok(url)
        }
        Err(e) => {
            tracing::error!(request_id, error = %e, "console: cannot store a short link");
            Err("the link could not be stored (the server's log says why)".into())
        }
    }
}

/// The creator's form, with the answer to the last question if there is one.
pub fn creator(
    state: &State,
    frame: &Frame<'_>,
    q: &LinkQuery,
    answer: Option<&Result<String, String>>,
) -> Markup {
    let content = html! {
        h1 { "Short link" }
        p class="muted" { "A link that runs an endpoint with these values, without a hash, until it expires." }
        section class="card" {
            form method="post" action="/short-link" class="stack" {
                input type="hidden" name="csrf" value=(frame.csrf);
                (endpoint_picker(state, &q.application, &q.environment, &q.endpoint))
                label for="values" { "Values, one NAME=VALUE a line" }
                textarea id="values" name="values" rows="4" { (q.values) }
                label for="minutes" { "Valid for (minutes)" }
                input id="minutes" name="minutes" value=(q.minutes) inputmode="numeric";
                button type="submit" { "Create" }
            }
        }
        @match answer {
            Some(Ok(url)) => section class="card" {
                h2 { "Link" }
                p { a id="short-link" href=(url) { code { (url) } } }
            },
            Some(Err(p)) => section class="card errors" { p { (p) } },
            None => {}
        }
    };
    page("Short link", Some(frame), content)
}
