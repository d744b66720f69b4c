//! The console's routes: paths and methods to pages and actions, the access rule applied before any of them, and
//! the security headers on every answer (see [`answer::secure`]).
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /` | the applications and their load state |
//! | `GET /endpoints?application=…&environment=…` | one application's endpoints |
//! | `GET /try?application=…&environment=…&endpoint=…`, `POST /try` | the try-it form and what a request gave |
//! | `GET /try/result?id=…[&download=1]` | a tried response's body, for its sandboxed frame or as a download |
//! | `GET /log`, `GET /log/stream`, `GET /log/entry?id=…` | the request log, its live stream, one entry |
//! | `GET /hash`, `POST /hash` | the hash calculator |
//! | `GET /short-link`, `POST /short-link` | the short-link creator |
//! | `GET /health` | the state store, the JVM worker, rates and latencies |
//! | `POST /reload` | reloads one application, as the file watcher and SIGHUP do |
//! | `GET /login`, `POST /login`, `POST /logout` | the session (only with a token) |
//! | `GET /console.css`, `GET /console.js` | the stylesheet and the log page's script |

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use maud::Markup;

use super::answer::{self, html, refused, see_other, Answer, Form};
use super::auth::{self, Principal, Refusal};
use super::context::Console;
use super::log_view::{self, Filters};
use super::pages::{self, Frame, HashQuery};
use super::short_link_view::{self, LinkQuery};
use super::try_it::Asked;
use super::{health_view, try_page};
use crate::engine::Environment;
use crate::request::{RequestInput, Upload};
use crate::server::State;

/// Largest urlencoded form a console POST may send (the try-it form, with its files, has the server's own
/// request limits).
const MAX_FORM_BYTES: usize = 64 * 1024;
/// How long a wrong login waits before it is answered (slows guessing).
const WRONG_LOGIN_DELAY: Duration = Duration::from_millis(300);

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("console.js");

/// Runs a page's rendering (which may read files) off the async workers.
async fn render(f: impl FnOnce() -> Markup + Send + 'static) -> Option<Markup> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// A POST's fields, and the files of a multipart one.
async fn read_post(
    state: &State,
    parts: &http::request::Parts,
    body: Incoming,
) -> Result<(Form, Vec<Upload>), Answer> {
    let multipart = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if multipart {
        return match crate::request::read_body(
            parts,
            body,
            &state.limits,
            false,
            RequestInput::default(),
        )
        .await
        {
            Ok(input) => Ok((Form(input.params), input.uploads)),
            Err(e) => {
                tracing::info!(error = %e, "console: a form could not be read");
                Err(refused(
                    StatusCode::BAD_REQUEST,
                    "The form could not be read (too large, too many fields, or cut short).",
                ))
            }
        };
    }
    match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(b) => Ok((Form::parse(&b.to_bytes()), Vec::new())),
        Err(_) => Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large or was not received completely.",
        )),
    }
}

/// Answers one console request.
pub async fn handle(console: Arc<Console>, req: Request<Incoming>) -> Result<Answer, Infallible> {
    Ok(answer::secure(route(console, req).await))
}

async fn route(console: Arc<Console>, req: Request<Incoming>) -> Answer {
    let state = console.state.clone();
    let access = &console.access;
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = Form::parse(parts.uri.query().unwrap_or("").as_bytes());
    let method = parts.method.clone();
    if !access.token_required() && !auth::loopback_host(&parts.headers) {
        return refused(
            StatusCode::MISDIRECTED_REQUEST,
            "Without ENDPOINTS_CONSOLE_TOKEN the console answers only requests to localhost or a loopback address.",
        );
    }
    if method == Method::GET && path == "/console.css" {
        return answer::bytes(StatusCode::OK, "text/css; charset=utf-8", STYLE);
    }
    if method == Method::GET && path == "/console.js" {
        return answer::bytes(StatusCode::OK, "text/javascript; charset=utf-8", SCRIPT);
    }
    let (form, uploads) = if method == Method::POST {
        if !auth::same_origin(&parts.headers) {
            return refused(
                StatusCode::FORBIDDEN,
                "This form was sent from another site.",
            );
        }
        match read_post(&state, &parts, body).await {
            Ok(f) => f,
            Err(answer) => return answer,
        }
    } else if method == Method::GET {
        (Form::default(), Vec::new())
    } else {
        return refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "The console answers GET and POST.",
        );
    };
    if path == "/login" {
        if !access.token_required() {
            return see_other("/", None);
        }
        if method == Method::GET {
            return html(
                StatusCode::OK,
                pages::login(false, &access.login_form()),
                None,
            );
        }
        if !access.take_login_form(form.get("csrf")) {
            return refused(
                StatusCode::FORBIDDEN,
                "The login form's CSRF token is missing, used or wrong: open the login page again.",
            );
        }
        if access.token_matches(form.get("token").unwrap_or("")) {
            let p = access.new_session();
            return see_other("/", p.set_cookie.as_deref());
        }
        tracing::warn!("console: a login with a wrong token");
        tokio::time::sleep(WRONG_LOGIN_DELAY).await;
        return html(
            StatusCode::UNAUTHORIZED,
            pages::login(true, &access.login_form()),
            None,
        );
    }
    let principal = match access.identify(&parts.headers) {
        Ok(p) => p,
        Err(Refusal::NotLoggedIn) if method == Method::GET => return see_other("/login", None),
        Err(Refusal::NotLoggedIn) => {
            return refused(StatusCode::UNAUTHORIZED, "Log in first.");
        }
        Err(Refusal::WrongToken) => {
            tracing::warn!("console: a request with a wrong bearer token");
            tokio::time::sleep(WRONG_LOGIN_DELAY).await;
            return refused(StatusCode::UNAUTHORIZED, "That is not the console's token.");
        }
    };
    if method == Method::POST && !auth::csrf_matches(&principal.csrf, form.get("csrf")) {
        return refused(
            StatusCode::FORBIDDEN,
            "The form's CSRF token is missing or wrong: open the page again and resend.",
        );
    }
    let frame = Frame {
        csrf: &principal.csrf,
        logout: access.token_required(),
    };
    let ok = |m: Markup| html(StatusCode::OK, m, principal.set_cookie.as_deref());
    match (method, path.as_str()) {
        (Method::GET, "/") => {
            let (st, csrf, logout) = (state.clone(), principal.csrf.clone(), frame.logout);
            page(
                &principal,
                render(move || {
                    pages::applications(
                        &st,
                        &Frame {
                            csrf: &csrf,
                            logout,
                        },
                    )
                })
                .await,
            )
        }
        (Method::GET, "/endpoints") => {
            let Some(site) = find_site(&state, &query) else {
                return refused(StatusCode::NOT_FOUND, "No such application or environment.");
            };
            let (csrf, logout) = (principal.csrf.clone(), frame.logout);
            page(
                &principal,
                render(move || {
                    pages::endpoints(
                        &site,
                        &Frame {
                            csrf: &csrf,
                            logout,
                        },
                    )
                })
                .await,
            )
        }
        (Method::GET, "/try") | (Method::POST, "/try") => {
            let source = if parts.method == Method::GET {
                &query
            } else {
                &form
            };
            // The site that serves the request, as the server routes it (preview falls back to live).
            let site = Environment::parse(source.get("environment").unwrap_or("live"))
                .and_then(|env| state.site(Some(source.get("application")?), env))
                .cloned();
            let Some(site) = site else {
                return refused(StatusCode::NOT_FOUND, "No such application or environment.");
            };
            let loaded = site.current.load();
            let Some((_, endpoint)) = loaded.app.endpoint(&source.text("endpoint")) else {
                return refused(StatusCode::NOT_FOUND, "No such endpoint.");
            };
            let mut asked = Asked::from_form(source);
            let outcome = if parts.method == Method::GET {
                asked.add_hash = true;
                None
            } else {
                Some(console.try_it.send(&state, &asked, &uploads).await)
            };
            let live = log_view::live_table(
                &[],
                &Filters {
                    application: site.name.clone(),
                    endpoint: endpoint.name.clone(),
                    ..Filters::default()
                },
            );
            ok(try_page::try_page(
                &site,
                endpoint,
                &frame,
                &asked,
                outcome.as_ref(),
                live,
            ))
        }
        (Method::GET, "/try/result") => console
            .try_it
            .kept(&query.text("id"), query.get("download").is_some()),
        (Method::GET, "/log") => {
            ok(log_view::log_page(&state, &frame, &Filters::from_form(&query)).await)
        }
        (Method::GET, "/log/stream") => log_view::stream(
            state.clone(),
            Filters::from_form(&query),
            console.closing.clone(),
        ),
        (Method::GET, "/log/entry") => {
            log_view::entry_page(&state, &frame, &query.text("id")).await
        }
        (Method::GET, "/health") => {
            ok(health_view::health_page(&state, &console.rates, &frame).await)
        }
        (Method::GET, "/hash") => {
            let mut q = HashQuery {
                application: query.text("application"),
                environment: query.get("environment").unwrap_or("live").to_string(),
                endpoint: query.text("endpoint"),
                values: String::new(),
            };
            q.values = pages::hashed_values(&state, &q);
            ok(pages::hash_calculator(&state, &frame, &q, None))
        }
        (Method::POST, "/hash") => {
            let q = HashQuery {
                application: form.text("application"),
                environment: form.text("environment"),
                endpoint: form.text("endpoint"),
                values: form.text("values"),
            };
            let answer = pages::compute_hash(&state, &q);
            ok(pages::hash_calculator(&state, &frame, &q, Some(&answer)))
        }
        (Method::GET, "/short-link") => {
            let q = LinkQuery::from_form(&query);
            ok(short_link_view::creator(&state, &frame, &q, None))
        }
        (Method::POST, "/short-link") => {
            let q = LinkQuery::from_form(&form);
            let made = short_link_view::create(&state, &q).await;
            ok(short_link_view::creator(&state, &frame, &q, Some(&made)))
        }
        (Method::POST, "/reload") => {
            let Some(site) = find_site(&state, &form) else {
                return refused(StatusCode::NOT_FOUND, "No such application or environment.");
            };
            tracing::info!(
                target: "endpoints::reload",
                application = %site.name,
                environment = site.environment.as_str(),
                "console: reloading"
            );
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || site.reload(&st.metrics)).await;
            see_other("/", None)
        }
        (Method::POST, "/logout") => {
            access.end_session(&parts.headers);
            let clear = format!(
                "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
                auth::COOKIE_NAME
            );
            see_other("/login", Some(&clear))
        }
        _ => refused(StatusCode::NOT_FOUND, "The console has no such page."),
    }
}

fn page(principal: &Principal, markup: Option<Markup>) -> Answer {
    match markup {
        Some(m) => html(StatusCode::OK, m, principal.set_cookie.as_deref()),
        None => refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page could not be rendered.",
        ),
    }
}

/// The site named by a form's `application` and `environment` (exactly that environment).
fn find_site(state: &State, form: &Form) -> Option<Arc<crate::server::site::Site>> {
    let env = Environment::parse(form.get("environment").unwrap_or("live"))?;
    let name = form.get("application")?;
    state
        .sites
        .iter()
        .find(|s| s.name == name && s.environment == env)
        .cloned()
}
