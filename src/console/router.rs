//! The console's routes: paths and methods to pages and actions, the access rule applied before any of them, and
//! the security headers on every answer (no script, no framing, nothing cached).
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /` | the applications and their load state |
//! | `GET /endpoints?application=…&environment=…` | one application's endpoints |
//! | `GET /hash`, `POST /hash` | the hash calculator |
//! | `POST /reload` | reloads one application, as the file watcher and SIGHUP do |
//! | `GET /login`, `POST /login`, `POST /logout` | the session (only with a token) |
//! | `GET /console.css` | the stylesheet |

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use maud::Markup;

use super::auth::{self, Access, Principal, Refusal};
use super::pages::{self, Frame, HashQuery};
use crate::engine::Environment;
use crate::server::State;

type Answer = Response<Full<Bytes>>;

/// Largest form a console POST may send.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// How long a wrong login waits before it is answered (slows guessing).
const WRONG_LOGIN_DELAY: Duration = Duration::from_millis(300);

const STYLE: &str = include_str!("style.css");

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The headers every console answer carries.
fn secure(mut r: Answer) -> Answer {
    let h = r.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html(status: StatusCode, markup: Markup, cookie: Option<&str>) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(markup.into_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(SET_COOKIE, c);
    }
    r
}

fn see_other(to: &str, cookie: Option<&str>) -> Answer {
    let mut r = html(StatusCode::SEE_OTHER, pages::message("Moved", to), cookie);
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

fn refused(status: StatusCode, text: &str) -> Answer {
    let title = status.canonical_reason().unwrap_or("Refused");
    html(status, pages::message(title, text), None)
}

/// Runs a page's rendering (which may read files) off the async workers.
async fn render(f: impl FnOnce() -> Markup + Send + 'static) -> Option<Markup> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// A form's fields (POST body or query string).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
}

/// Answers one console request.
pub async fn handle(
    state: Arc<State>,
    access: Arc<Access>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    Ok(secure(route(state, access, req).await))
}

async fn route(state: Arc<State>, access: Arc<Access>, req: Request<Incoming>) -> Answer {
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
        let mut r = Response::new(Full::new(Bytes::from_static(STYLE.as_bytes())));
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        );
        return r;
    }
    let form = if method == Method::POST {
        if !auth::same_origin(&parts.headers) {
            return refused(
                StatusCode::FORBIDDEN,
                "This form was sent from another site.",
            );
        }
        match Limited::new(body, MAX_FORM_BYTES).collect().await {
            Ok(b) => Form::parse(&b.to_bytes()),
            Err(_) => {
                return refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is too large or was not received completely.",
                )
            }
        }
    } else if method == Method::GET {
        Form(Vec::new())
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
    let logout = access.token_required();
    match (method, path.as_str()) {
        (Method::GET, "/") => {
            let st = state.clone();
            let csrf = principal.csrf.clone();
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
            let csrf = principal.csrf.clone();
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
        (Method::GET, "/hash") => {
            let mut q = HashQuery {
                application: query.text("application"),
                environment: query.get("environment").unwrap_or("live").to_string(),
                endpoint: query.text("endpoint"),
                values: String::new(),
            };
            q.values = pages::hashed_values(&state, &q);
            let frame = Frame {
                csrf: &principal.csrf,
                logout,
            };
            let m = pages::hash_calculator(&state, &frame, &q, None);
            html(StatusCode::OK, m, principal.set_cookie.as_deref())
        }
        (Method::POST, "/hash") => {
            let q = HashQuery {
                application: form.text("application"),
                environment: form.text("environment"),
                endpoint: form.text("endpoint"),
                values: form.text("values"),
            };
            let answer = pages::compute_hash(&state, &q);
            let frame = Frame {
                csrf: &principal.csrf,
                logout,
            };
            let m = pages::hash_calculator(&state, &frame, &q, Some(&answer));
            html(StatusCode::OK, m, None)
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
