//! A real SMTP server for tests: Debian's aiosmtpd on an ephemeral loopback port, writing a Maildir; and a reader
//! that parses the received messages with Python's `email` package.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

pub const PYTHON: &str = "/usr/bin/python3";

/// A running aiosmtpd writing into a Maildir; killed on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn aiosmtpd_installed() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts aiosmtpd, or `None` (with a loud message) when it is not installed outside CI.
pub fn start_smtp() -> Option<SmtpServer> {
    if !aiosmtpd_installed() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3-aiosmtpd is not installed (scripts/setup.sh installs it); the e-mail tests need it");
        }
        eprintln!("\n**********\nSKIPPED: python3-aiosmtpd is not installed ({PYTHON} -c 'import aiosmtpd' fails); run scripts/setup.sh\n**********\n");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let mut child = Command::new(PYTHON)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            "-l",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg(&maildir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("aiosmtpd starts");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("aiosmtpd exited: {status}");
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("aiosmtpd does not listen on port {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(SmtpServer {
        child,
        port,
        maildir,
        _dir: dir,
    })
}

/// Every message in the Maildir as JSON: headers and the MIME tree with decoded payloads (base64).
pub fn read_maildir(maildir: &Path) -> Vec<Value> {
    let script = r#"
import base64, email, json, os, sys
from email import policy
out = []
new = os.path.join(sys.argv[1], 'new')
for name in sorted(os.listdir(new)):
    raw = open(os.path.join(new, name), 'rb').read()
    msg = email.message_from_bytes(raw, policy=policy.default)
    legacy = email.message_from_bytes(raw)
    def tree(p):
        node = {'type': p.get_content_type(), 'filename': p.get_filename(),
                'cid': p.get('Content-ID'), 'disposition': p.get_content_disposition()}
        if p.is_multipart():
            node['parts'] = [tree(c) for c in p.iter_parts()]
        else:
            node['data'] = base64.b64encode(p.get_payload(decode=True) or b'').decode()
            node['charset'] = p.get_content_charset()
        return node
    h = lambda n: str(msg[n]) if msg[n] is not None else None
    out.append({'from': h('From'), 'to': h('To'), 'subject': h('Subject'),
                'raw_subject': legacy['Subject'], 'date': h('Date'), 'rcpt': h('X-RcptTo'),
                'x_request_id': h('X-Request-Id'), 'message_id': h('Message-ID'), 'reply_to': h('Reply-To'), 'tree': tree(msg)})
print(json.dumps(out))
"#;
    let out = Command::new(PYTHON)
        .args(["-c", script])
        .arg(maildir)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).unwrap() {
        Value::Array(a) => a,
        other => panic!("{other}"),
    }
}

pub fn data(node: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(node["data"].as_str().unwrap())
        .unwrap()
}

pub fn text(node: &Value) -> String {
    String::from_utf8(data(node)).unwrap().replace("\r\n", "\n")
}
