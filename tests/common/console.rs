//! The console's test client: `endpoints serve DIR --name demo --no-watch --console …` as a process, requests to
//! the console's port, and the session cookie and CSRF token of its pages.

use std::path::Path;
use std::process::{Command, Stdio};

use bytes::Bytes;
use http::Method;

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// `endpoints serve DIR --name demo --no-watch ARGS` with the given console token (or none).
pub struct Server {
    pub spawned: super::Spawned,
    pub console: Option<std::net::SocketAddr>,
}

impl Server {
    pub fn start(dir: &Path, args: &[&str], token: Option<&str>) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg(dir)
            .args(["--name", "demo", "--no-watch", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("ENDPOINTS_DATA_DIR", super::state_dir())
            .env("ENDPOINTS_LOG", "info")
            .env_remove("ENDPOINTS_CONSOLE")
            .env_remove("ENDPOINTS_CONSOLE_TOKEN")
            .env_remove("ENDPOINTS_CHECK_HASH")
            .stdout(Stdio::null());
        if let Some(t) = token {
            cmd.env("ENDPOINTS_CONSOLE_TOKEN", t);
        }
        let spawned = super::Spawned::start(cmd)
            .unwrap_or_else(|seen| panic!("server did not start: {seen}"));
        let console = spawned.start_lines.iter().find_map(|l| {
            let rest = l.split("console on http://").nth(1)?;
            rest.split(|c: char| c == '"' || c.is_whitespace())
                .next()?
                .parse()
                .ok()
        });
        Server { spawned, console }
    }

    pub fn console(&self) -> std::net::SocketAddr {
        self.console.expect("the console is listening")
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> super::Resp {
        super::send_h1(self.console(), Method::GET, path, headers, Bytes::new()).await
    }

    pub async fn post(&self, path: &str, headers: &[(&str, &str)], form: &str) -> super::Resp {
        let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        super::send_h1(
            self.console(),
            Method::POST,
            path,
            &h,
            Bytes::from(form.to_string()),
        )
        .await
    }
}

/// The `name=value` pair of a response's Set-Cookie.
pub fn cookie(r: &super::Resp) -> String {
    let c = r.header("set-cookie").expect("a session cookie");
    c.split(';').next().unwrap().to_string()
}

/// The CSRF token in a page's forms.
pub fn csrf(page: &str) -> String {
    let rest = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .expect("a CSRF field");
    rest.split('"').next().unwrap().to_string()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn assert_secure(r: &super::Resp) {
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}
