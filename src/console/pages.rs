//! The console's HTML pages: the frame every page shares, the applications and their load state, one
//! application's endpoints, the login form and the hash calculator. Rendering reads files (the offending lines of a
//! load error): call these off the async workers.

use std::path::Path;
use std::sync::atomic::Ordering;

use maud::{html, Markup, DOCTYPE};

use super::endpoint_view;
use crate::config::Diagnostic;
use crate::engine::{hash, parameters, Environment};
use crate::server::site::Site;
use crate::server::State;

/// Largest file whose lines are shown beside a load error.
const MAX_SOURCE_BYTES: u64 = 8 * 1024 * 1024;
/// Most NAME=VALUE lines the hash calculator takes.
pub const MAX_VALUES: usize = 200;

/// What the frame needs to know about the visitor.
pub struct Frame<'a> {
    pub csrf: &'a str,
    /// Whether a logout button makes sense (a token is required).
    pub logout: bool,
}

/// The page frame: head, navigation, content.
pub fn page(title: &str, frame: Option<&Frame<'_>>, content: Markup) -> Markup {
    page_refreshing(title, frame, content, None)
}

/// [`page`], reloaded by the browser every `refresh` seconds when given.
pub fn page_refreshing(
    title: &str,
    frame: Option<&Frame<'_>>,
    content: Markup,
    refresh: Option<u32>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(r) = refresh { meta http-equiv="refresh" content=(r); }
                title { (title) " · endpoints console" }
                link rel="stylesheet" href="/console.css";
            }
            body {
                header {
                    span class="brand" { "endpoints console" }
                    @if let Some(f) = frame {
                        nav {
                            a href="/" { "Applications" }
                            a href="/log" { "Request log" }
                            a href="/hash" { "Hash calculator" }
                            a href="/short-link" { "Short link" }
                            a href="/health" { "Health" }
                            @if f.logout {
                                form method="post" action="/logout" class="inline" {
                                    input type="hidden" name="csrf" value=(f.csrf);
                                    button type="submit" class="link" { "Log out" }
                                }
                            }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

/// The site's anchor on the applications page.
fn site_anchor(site: &Site) -> String {
    format!(
        "app-{}-{}",
        endpoint_view::id_part(&site.name),
        site.environment.as_str()
    )
}

/// The query naming a site, for links.
pub fn site_query(site: &Site) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("application", &site.name)
        .append_pair("environment", site.environment.as_str())
        .finish()
}

/// The link that opens the try-it form of `endpoint`.
pub fn try_link(site: &Site, endpoint: &str) -> String {
    format!(
        "/try?{}&{}",
        site_query(site),
        form_urlencoded::Serializer::new(String::new())
            .append_pair("endpoint", endpoint)
            .finish()
    )
}

/// The lines around a diagnostic's line (the offending one marked), when the file can be read.
fn source_lines(d: &Diagnostic) -> Vec<(u32, String, bool)> {
    if d.line == 0 {
        return Vec::new();
    }
    let readable =
        std::fs::metadata(&d.file).is_ok_and(|m| m.is_file() && m.len() <= MAX_SOURCE_BYTES);
    let Some(text) = readable.then(|| std::fs::read(&d.file).ok()).flatten() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&text);
    let first = d.line.saturating_sub(2).max(1);
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l))
        .filter(|(n, _)| *n >= first && *n <= d.line + 2)
        .map(|(n, l)| {
            let shown: String = l.chars().take(300).collect();
            (n, shown, n == d.line)
        })
        .collect()
}

fn diagnostics(class: &str, intro: Markup, list: &[Diagnostic]) -> Markup {
    html! {
        @if !list.is_empty() {
            div class=(class) {
                p { (intro) }
                ul { @for d in list { (diagnostic(d)) } }
            }
        }
    }
}

fn diagnostic(d: &Diagnostic) -> Markup {
    let lines = source_lines(d);
    html! {
        li class="diagnostic" {
            code class="where" { (display_path(&d.file)) ":" (d.line) ":" (d.column) }
            " " (d.message)
            @if !lines.is_empty() {
                pre class="source" {
                    @for (n, l, bad) in &lines {
                        span class=(if *bad { "line bad" } else { "line" }) {
                            span class="no" { (n) } " " (l) "\n"
                        }
                    }
                }
            }
        }
    }
}

fn display_path(p: &Path) -> String {
    p.display().to_string()
}

fn timestamp(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(|| "?".to_string(), |t| t.to_string())
}

/// Every application and environment with its load state and a reload button.
pub fn applications(state: &State, frame: &Frame<'_>) -> Markup {
    let content = html! {
        h1 { "Applications" }
        @for site in &state.sites {
            @let loaded = site.current.load();
            @let errors = site.last_errors.lock().unwrap_or_else(|p| p.into_inner()).clone();
            section class="card" id=(site_anchor(site)) {
                h2 {
                    (site.name) " "
                    span class={ "env env-" (site.environment.as_str()) } { (site.environment.as_str()) }
                }
                dl class="facts" {
                    dt { "generation" } dd class="generation" { (loaded.generation) }
                    dt { "loaded at" } dd { (timestamp(site.reloads.last_good.load(Ordering::Relaxed))) }
                    dt { "endpoints" } dd { (loaded.app.endpoints.len()) }
                    dt { "reloads" } dd {
                        (site.reloads.ok.load(Ordering::Relaxed)) " ok, "
                        (site.reloads.failed.load(Ordering::Relaxed)) " failed"
                    }
                    dt { "directory" } dd { code { (site.dir.display()) } }
                }
                (diagnostics("errors", html! {
                    strong { "The last reload failed" } "; the configuration of generation "
                    (loaded.generation) " is still served:"
                }, &errors))
                (diagnostics("warnings", html! { strong { "Warnings" } " of the configuration served:" },
                    &loaded.app.warnings))
                div class="actions" {
                    a class="button" href={ "/endpoints?" (site_query(site)) } { "Endpoints" }
                    form method="post" action="/reload" class="inline" {
                        input type="hidden" name="csrf" value=(frame.csrf);
                        input type="hidden" name="application" value=(site.name);
                        input type="hidden" name="environment" value=(site.environment.as_str());
                        button type="submit" { "Reload now" }
                    }
                }
            }
        }
    };
    page("Applications", Some(frame), content)
}

/// One site's endpoints.
pub fn endpoints(site: &Site, frame: &Frame<'_>) -> Markup {
    let loaded = site.current.load();
    let app = &loaded.app;
    let content = html! {
        h1 { (site.name) " " span class={ "env env-" (site.environment.as_str()) } { (site.environment.as_str()) } }
        p class="muted" { "generation " (loaded.generation) " · " (app.endpoints.len()) " endpoint(s) · hash scheme "
            code { (format!("{:?}", app.settings.hash_scheme)) } }
        nav class="toc" {
            @for e in &app.endpoints { a href={ "#" (endpoint_view::anchor(&e.name)) } { code { (e.name) } } }
        }
        @for e in &app.endpoints {
            @let link = format!("/hash?{}", form_urlencoded::Serializer::new(String::new())
                .append_pair("application", &site.name)
                .append_pair("environment", site.environment.as_str())
                .append_pair("endpoint", &e.name)
                .finish());
            (endpoint_view::endpoint(app, e, &link, &try_link(site, &e.name)))
        }
    };
    page(&site.name, Some(frame), content)
}

/// The login form (only when a token is required).
pub fn login(wrong: bool, csrf: &str) -> Markup {
    let content = html! {
        section class="card narrow" {
            h1 { "Log in" }
            @if wrong { p class="errors" { "That is not the console's token." } }
            form method="post" action="/login" class="stack" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Console token (" code { "ENDPOINTS_CONSOLE_TOKEN" } ")" }
                input type="password" id="token" name="token" autocomplete="current-password" required;
                button type="submit" { "Log in" }
            }
        }
    };
    page("Log in", None, content)
}

/// What the hash calculator was asked.
#[derive(Default)]
pub struct HashQuery {
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    pub values: String,
}

/// The calculator's answer: the hash, notes about values that do not change it, or what is wrong.
pub enum HashAnswer {
    Hash { hash: String, notes: Vec<String> },
    Problem(String),
}

/// The hashed parameters of the asked endpoint as `NAME=DEFAULT` lines (empty after `=` when there is no
/// default), to start the calculator's values from; empty when the endpoint is not known.
pub fn hashed_values(state: &State, q: &HashQuery) -> String {
    let Some(env) = Environment::parse(&q.environment) else {
        return String::new();
    };
    let Some(site) = state.site(Some(&q.application), env) else {
        return String::new();
    };
    let loaded = site.current.load();
    let Some((_, e)) = loaded.app.endpoint(&q.endpoint) else {
        return String::new();
    };
    let mut seen = Vec::new();
    let mut out = String::new();
    for &i in &e.include_in_hash {
        if seen.contains(&i) {
            continue;
        }
        seen.push(i);
        let p = &e.parameters[i];
        out.push_str(&p.name);
        out.push('=');
        out.push_str(p.default.as_deref().unwrap_or(""));
        out.push('\n');
    }
    out
}

/// `NAME=VALUE` lines (blank lines skipped, at most `max`), as the hash calculator, the short-link creator and
/// the try-it form take them; `Err` says which line is wrong.
pub fn name_value_lines(text: &str, max: usize) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if i >= max {
            return Err(format!("at most {max} values"));
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some((n, v)) = line.split_once('=') else {
            return Err(format!("line {}: '{line}' is not NAME=VALUE", i + 1));
        };
        out.push((n.trim().to_string(), v.to_string()));
    }
    Ok(out)
}

/// Computes the hash as `endpoints hash` does from the calculator's NAME=VALUE lines: see [`hash_for`].
pub fn compute_hash(state: &State, q: &HashQuery) -> HashAnswer {
    match name_value_lines(&q.values, MAX_VALUES) {
        Ok(given) => hash_for(state, &q.application, &q.environment, &q.endpoint, &given),
        Err(e) => HashAnswer::Problem(e),
    }
}

/// The hash a client sends with the values `given` to `endpoint`, as `endpoints hash` computes it: the
/// application's scheme and first secret key, the endpoint's `<include-in-hash>` values with their defaults.
pub fn hash_for(
    state: &State,
    application: &str,
    environment: &str,
    endpoint: &str,
    given: &[(String, String)],
) -> HashAnswer {
    let Some(env) = Environment::parse(environment) else {
        return HashAnswer::Problem("the environment must be live or preview".into());
    };
    let Some(site) = state.site(Some(application), env) else {
        return HashAnswer::Problem(format!("no application '{application}'"));
    };
    let loaded = site.current.load();
    let app = &loaded.app;
    let Some((_, endpoint)) = app.endpoint(endpoint.trim()) else {
        return HashAnswer::Problem(format!(
            "no endpoint '{}' in '{}'",
            endpoint.trim(),
            app.name
        ));
    };
    if app.secret_keys.is_empty() {
        return HashAnswer::Problem("security.xml has no <secret-key>".into());
    }
    let keys = &app.secret_keys[..1];
    match hash::expected_hashes(app.settings.hash_scheme, endpoint, given, env, keys) {
        Ok(mut h) => HashAnswer::Hash {
            hash: h.pop().unwrap_or_default(),
            notes: parameters::not_hashed(endpoint, given)
                .map(|n| format!("'{n}' is not in <include-in-hash> and does not change the hash"))
                .collect(),
        },
        Err(name) => HashAnswer::Problem(format!(
            "parameter '{name}' is part of the hash and has no default: give {name}=VALUE"
        )),
    }
}

/// The application, environment and endpoint fields of a form (the endpoint with the names of every served
/// endpoint to choose from).
pub fn endpoint_picker(
    state: &State,
    application: &str,
    environment: &str,
    endpoint: &str,
) -> Markup {
    let names = state.application_names();
    html! {
        label for="application" { "Application" }
        select id="application" name="application" {
            @for n in &names { option value=(n) selected[*n == application] { (n) } }
        }
        label for="environment" { "Environment" }
        select id="environment" name="environment" {
            @for e in ["live", "preview"] { option value=(e) selected[environment == e] { (e) } }
        }
        label for="endpoint" { "Endpoint" }
        input id="endpoint" name="endpoint" list="endpoint-names" value=(endpoint) required;
        datalist id="endpoint-names" {
            @for s in &state.sites {
                @for e in &s.current.load().app.endpoints { option value=(e.name) {} }
            }
        }
    }
}

/// The hash calculator, with the answer to the last question if there is one.
pub fn hash_calculator(
    state: &State,
    frame: &Frame<'_>,
    q: &HashQuery,
    answer: Option<&HashAnswer>,
) -> Markup {
    let content = html! {
        h1 { "Hash calculator" }
        section class="card" {
            form method="post" action="/hash" class="stack" {
                input type="hidden" name="csrf" value=(frame.csrf);
                (endpoint_picker(state, &q.application, &q.environment, &q.endpoint))
                label for="values" { "Values, one NAME=VALUE a line" }
                textarea id="values" name="values" rows="5" { (q.values) }
                button type="submit" { "Compute" }
            }
        }
        @match answer {
            Some(HashAnswer::Hash { hash, notes }) => section class="card" {
                h2 { "Hash" }
                p { code id="hash" class="value" { (hash) } }
                @for n in notes { p class="muted" { "note: " (n) } }
            },
            Some(HashAnswer::Problem(p)) => section class="card errors" { p { (p) } },
            None => {}
        }
    };
    page("Hash calculator", Some(frame), content)
}

/// A short page for refusals and unknown paths.
pub fn message(title: &str, text: &str) -> Markup {
    page(
        title,
        None,
        html! { section class="card narrow" { h1 { (title) } p { (text) } a href="/" { "Back" } } },
    )
}
