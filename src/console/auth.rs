//! Who may use the console. Without a token (only allowed on a loopback address) anyone who can connect may; with
//! `ENDPOINTS_CONSOLE_TOKEN` a request carries it as `Authorization: Bearer …` or has logged in once with it
//! through the login form, which sets a cookie holding a random session id (never the token).
//!
//! Every state-changing action is a POST carrying the session's CSRF token in a form field; its Origin (or
//! `Sec-Fetch-Site`) must be the console itself. Tokens and CSRF values are compared in constant time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use http::HeaderMap;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "endpoints_console";
/// How long a session lasts after it was created.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Most sessions kept at once; the oldest is dropped for a new one.
const MAX_SESSIONS: usize = 256;

/// A random value for session ids and CSRF tokens: 244 bits from the operating system's generator.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The console's access rule and its sessions.
pub struct Access {
    token: Option<String>,
    sessions: Mutex<HashMap<String, Session>>,
    /// The CSRF token of requests authenticated by the bearer header (they carry no session).
    bearer_csrf: String,
    /// The CSRF tokens of login forms handed out and not used yet, with when they were made.
    login_forms: Mutex<HashMap<String, Instant>>,
}

/// How long a login form's CSRF token stays valid.
const LOGIN_FORM_LIFETIME: Duration = Duration::from_secs(3600);

struct Session {
    csrf: String,
    created: Instant,
}

/// Who a request is: what its forms must carry as CSRF token, and the cookie to set when a session was made for it.
pub struct Principal {
    pub csrf: String,
    pub set_cookie: Option<String>,
}

/// Why a request is not let in.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials at all: the login form.
    NotLoggedIn,
    /// A wrong bearer token.
    WrongToken,
}

impl Access {
    /// `token`: `ENDPOINTS_CONSOLE_TOKEN`, if set (required unless the console listens on a loopback address).
    pub fn new(token: Option<String>) -> Access {
        Access {
            token: token.filter(|t| !t.is_empty()),
            sessions: Mutex::new(HashMap::new()),
            bearer_csrf: random_token(),
            login_forms: Mutex::new(HashMap::new()),
        }
    }

    /// A CSRF token for a new login form (the login is an action too).
    pub fn login_form(&self) -> String {
        let token = random_token();
        let mut forms = self.login_forms.lock().unwrap_or_else(|p| p.into_inner());
        forms.retain(|_, made| made.elapsed() < LOGIN_FORM_LIFETIME);
        if forms.len() >= MAX_SESSIONS {
            let oldest = forms
                .iter()
                .min_by_key(|(_, m)| **m)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                forms.remove(&k);
            }
        }
        forms.insert(token.clone(), Instant::now());
        token
    }

    /// Whether `given` is a login form's CSRF token handed out and not used yet; it is used up either way.
    pub fn take_login_form(&self, given: Option<&str>) -> bool {
        let mut forms = self.login_forms.lock().unwrap_or_else(|p| p.into_inner());
        let found = given.and_then(|g| {
            forms
                .iter()
                .find(|(k, _)| csrf_matches(k, Some(g)))
                .map(|(k, made)| (k.clone(), *made))
        });
        match found {
            Some((k, made)) => {
                forms.remove(&k);
                made.elapsed() < LOGIN_FORM_LIFETIME
            }
            None => false,
        }
    }

    pub fn token_required(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `given` is the token (constant time).
    pub fn token_matches(&self, given: &str) -> bool {
        match &self.token {
            Some(t) => bool::from(t.as_bytes().ct_eq(given.as_bytes())),
            None => false,
        }
    }

    /// The request's principal: a valid session, the bearer token, or (without a token) a new session.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Principal, Refusal> {
        if let Some(csrf) = self.session_csrf(headers) {
            return Ok(Principal {
                csrf,
                set_cookie: None,
            });
        }
        if self.token.is_some() {
            let bearer = headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            return match bearer {
                Some(b) if self.token_matches(b.trim()) => Ok(Principal {
                    csrf: self.bearer_csrf.clone(),
                    set_cookie: None,
                }),
                Some(_) => Err(Refusal::WrongToken),
                None => Err(Refusal::NotLoggedIn),
            };
        }
        Ok(self.new_session())
    }

    /// Starts a session (after a good login, or for a visitor when no token is required).
    pub fn new_session(&self) -> Principal {
        let id = random_token();
        let csrf = random_token();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.created.elapsed() < SESSION_LIFETIME);
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                created: Instant::now(),
            },
        );
        Principal {
            csrf,
            set_cookie: Some(format!(
                "{COOKIE_NAME}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                SESSION_LIFETIME.as_secs()
            )),
        }
    }

    /// Ends the request's session, if it has one.
    pub fn end_session(&self, headers: &HeaderMap) {
        if let Some(id) = session_cookie(headers) {
            self.sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(id);
        }
    }

    fn session_csrf(&self, headers: &HeaderMap) -> Option<String> {
        let id = session_cookie(headers)?;
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        // The map is keyed by the id; a lookup by a guessed id reveals nothing an equality test would not, and
        // ids are 244 random bits.
        let s = sessions.get(id)?;
        (s.created.elapsed() < SESSION_LIFETIME).then(|| s.csrf.clone())
    }
}

/// The session id in the request's cookies.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v)
}

/// Whether the form's CSRF value is the principal's (constant time).
pub fn csrf_matches(expected: &str, given: Option<&str>) -> bool {
    given.is_some_and(|g| bool::from(expected.as_bytes().ct_eq(g.as_bytes())))
}

/// Whether a POST comes from the console's own pages. A browser's `Sec-Fetch-Site`, when sent, decides:
/// `same-origin` (or `none`, a typed-in request) passes. Without it, `Origin`, when sent, must name the host the
/// request was sent to. Clients that send neither (scripts, curl) pass: they are held by the token and the CSRF
/// token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(ORIGIN) {
        None => true,
        Some(origin) => {
            let host = headers.get(HOST).and_then(|h| h.to_str().ok());
            let origin = origin.to_str().ok();
            match (origin, host) {
                (Some(o), Some(h)) => {
                    o.strip_prefix("http://")
                        .or_else(|| o.strip_prefix("https://"))
                        == Some(h)
                }
                _ => false,
            }
        }
    }
}

/// Whether the request's `Host` names this machine (`localhost` or a loopback address). Without a token the
/// console answers only such requests: a page of another site whose name was made to resolve to 127.0.0.1 (DNS
/// rebinding) sends its own name and is refused.
pub fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origin_rules() {
        assert!(same_origin(&headers(&[])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://127.0.0.1:9")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        // What a browser sends for a form of a page with a strict referrer policy.
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1:9090",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.0.0.2",
        ] {
            assert!(loopback_host(&headers(&[("host", ok)])), "{ok}");
        }
        for bad in ["evil.example:9090", "10.0.0.1:80", "[2001:db8::1]:80"] {
            assert!(!loopback_host(&headers(&[("host", bad)])), "{bad}");
        }
        assert!(!loopback_host(&headers(&[])));
    }

    #[test]
    fn sessions_and_tokens() {
        let a = Access::new(Some("s3cret-token-for-tests".into()));
        assert_eq!(a.identify(&headers(&[])).err(), Some(Refusal::NotLoggedIn));
        assert_eq!(
            a.identify(&headers(&[("authorization", "Bearer nope")]))
                .err(),
            Some(Refusal::WrongToken)
        );
        assert!(a
            .identify(&headers(&[(
                "authorization",
                "Bearer s3cret-token-for-tests"
            )]))
            .is_ok());
        let p = a.new_session();
        let cookie = p.set_cookie.unwrap();
        let pair = cookie.split(';').next().unwrap().to_string();
        let again = a.identify(&headers(&[("cookie", &pair)])).ok().unwrap();
        assert_eq!(again.csrf, p.csrf);
        assert!(csrf_matches(&p.csrf, Some(&again.csrf)));
        assert!(!csrf_matches(&p.csrf, Some("x")));
        assert!(!csrf_matches(&p.csrf, None));
        a.end_session(&headers(&[("cookie", &pair)]));
        assert!(a.identify(&headers(&[("cookie", &pair)])).is_err());
    }
}
