//! The deployment files, checked against the real binary (Docker and systemd themselves are not needed):
//!
//! * `Dockerfile`: its user and directory setup step runs against a scratch root; the run stage installs a package
//!   for every shared library the binary links; its environment and command line start the real server (as the
//!   image's user when the test runs as root) on the repository's default application; its `HEALTHCHECK` command
//!   passes against that server and fails once SIGTERM has stopped it; the image's user compiles and runs the JVM
//!   worker with the image's environment (where Java, Saxon-HE and FOP are installed);
//! * `.dockerignore`: the build context it leaves holds what the build reads (a manifest cargo accepts, the lock
//!   file, the embedded JVM worker sources, the migrations);
//! * `deploy/endpoints.service`: `systemd-analyze verify` and `security` (where installed); its environment and
//!   `ExecStart` start the real server (as an unprivileged uid when the test runs as root), `ExecReload` reloads
//!   it, `KillSignal` stops it within `TimeoutStopSec`;
//! * `docs/deploy.md`: every variable and every flag of its settings table exists.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `docker stop` sends SIGKILL this many seconds after SIGTERM unless told otherwise.
const DOCKER_STOP_GRACE_SECS: u64 = 10;

// ---------------------------------------------------------------------------------------------------------------
// The Dockerfile, parsed

/// One instruction: its keyword (upper case), its arguments (continuation lines joined) and its first line.
#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
    line: usize,
}

fn parse_dockerfile(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<Instruction> = None;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (trimmed, false),
        };
        match current.as_mut() {
            Some(ins) => {
                ins.args.push(' ');
                ins.args.push_str(body);
            }
            None => {
                let (keyword, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                current = Some(Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    args: args.trim().to_string(),
                    line: i + 1,
                });
            }
        }
        if !continues {
            out.extend(current.take());
        }
    }
    assert!(current.is_none(), "Dockerfile ends inside a continued line");
    out
}

struct Dockerfile {
    stages: Vec<Vec<Instruction>>,
}

impl Dockerfile {
    fn load() -> Dockerfile {
        let text = std::fs::read_to_string(Path::new(REPO).join("Dockerfile")).unwrap();
        let mut stages: Vec<Vec<Instruction>> = Vec::new();
        for ins in parse_dockerfile(&text) {
            if ins.keyword == "FROM" {
                stages.push(Vec::new());
            }
            stages
                .last_mut()
                .unwrap_or_else(|| panic!("Dockerfile:{}: {} before FROM", ins.line, ins.keyword))
                .push(ins);
        }
        Dockerfile { stages }
    }

    /// The stage the image is made of: the last one.
    fn run_stage(&self) -> &[Instruction] {
        self.stages.last().expect("Dockerfile has no FROM")
    }

    fn all(&self, keyword: &str) -> Vec<&Instruction> {
        self.run_stage()
            .iter()
            .filter(|i| i.keyword == keyword)
            .collect()
    }

    fn one(&self, keyword: &str) -> &Instruction {
        let found = self.all(keyword);
        assert_eq!(
            found.len(),
            1,
            "the Dockerfile's run stage should have exactly one {keyword}"
        );
        found[0]
    }

    /// `ENV` of the run stage, in order.
    fn env(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for ins in self.all("ENV") {
            for word in ins.args.split_whitespace() {
                let (name, value) = word.split_once('=').unwrap_or_else(|| {
                    panic!(
                        "Dockerfile:{}: ENV '{word}' is not NAME=value (the test reads only that form)",
                        ins.line
                    )
                });
                assert!(
                    !value.contains(['"', '\'', '$']),
                    "Dockerfile:{}: ENV {name}: quotes and variables are not read by this test",
                    ins.line
                );
                out.push((name.to_string(), value.to_string()));
            }
        }
        out
    }

    fn env_value(&self, name: &str) -> String {
        self.env()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the Dockerfile sets no ENV {name}"))
            .1
    }

    /// ENTRYPOINT followed by CMD, both in exec form.
    fn command_line(&self) -> Vec<String> {
        let mut out = exec_form(self.one("ENTRYPOINT"));
        out.extend(exec_form(self.one("CMD")));
        out
    }

    /// The RUN step that contains `needle`.
    fn run_step(&self, needle: &str) -> &Instruction {
        let found: Vec<_> = self
            .all("RUN")
            .into_iter()
            .filter(|i| i.args.contains(needle))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "the run stage should have one RUN step with '{needle}'"
        );
        found[0]
    }

    /// The HEALTHCHECK's command (shell form: run with `sh -c`).
    fn healthcheck(&self) -> String {
        let ins = self.one("HEALTHCHECK");
        let (_, cmd) = ins
            .args
            .split_once(" CMD ")
            .unwrap_or_else(|| panic!("Dockerfile:{}: HEALTHCHECK without CMD", ins.line));
        let cmd = cmd.trim();
        assert!(
            !cmd.starts_with('['),
            "Dockerfile:{}: this test runs the shell form of HEALTHCHECK CMD",
            ins.line
        );
        cmd.to_string()
    }
}

fn exec_form(ins: &Instruction) -> Vec<String> {
    serde_json::from_str(&ins.args).unwrap_or_else(|e| {
        panic!(
            "Dockerfile:{}: {} should be in exec form (a JSON array, so that the server is PID 1 and gets \
             SIGTERM): {e}",
            ins.line, ins.keyword
        )
    })
}

// ---------------------------------------------------------------------------------------------------------------
// What the binary accepts

fn serve_help() -> &'static str {
    static HELP: OnceLock<String> = OnceLock::new();
    HELP.get_or_init(|| {
        let out = Command::new(BIN)
            .args(["serve", "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "endpoints serve --help failed");
        String::from_utf8(out.stdout).unwrap()
    })
}

/// Every `.rs` file's text under `src/`.
fn sources() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        fn walk(dir: &Path, out: &mut String) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push_str(&std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut s = String::new();
        walk(&Path::new(REPO).join("src"), &mut s);
        s
    })
}

/// An environment variable the server reads: one `serve --help` lists, or one the sources name as a string.
fn assert_env_accepted(name: &str, whose: &str) {
    let listed = serve_help().contains(&format!("[env: {name}="));
    let read = sources().contains(&format!("\"{name}\""));
    assert!(
        listed || read,
        "{whose} sets {name}, which endpoints neither lists in `serve --help` nor reads"
    );
}

/// Every `--flag` of `args` (after `serve`) is one `serve --help` lists.
fn assert_flags_accepted(args: &[String], whose: &str) {
    assert_eq!(
        args.first().map(String::as_str),
        Some("serve"),
        "{whose}: the command should be `serve`"
    );
    for a in args.iter().filter(|a| a.starts_with("--")) {
        let flag = a.split('=').next().unwrap();
        let listed = serve_help()
            .lines()
            .any(|l| l.trim_start().split([' ', ',']).any(|w| w == flag));
        assert!(
            listed,
            "{whose} passes {flag}, which `endpoints serve --help` does not list"
        );
    }
}

/// The value after `--flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .map(|i| args[i + 1].as_str())
}

// ---------------------------------------------------------------------------------------------------------------
// Running the server

/// A scratch root standing in for the image's or the machine's `/` (readable by every user, for the image's user).
fn scratch_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    root
}

/// `/abs/path` moved under `root`.
fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The repository's default application (`endpoints/`, `static/`) copied to `dir`.
fn copy_default_application(dir: &Path) {
    for part in ["endpoints", "static"] {
        common::copy_dir(&Path::new(REPO).join(part), &dir.join(part));
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The binary, where a user other than the owner can run it: in place when every directory above it is
/// searchable by others, else copied into `root`.
fn binary_for_others(root: &Path) -> PathBuf {
    let bin = Path::new(BIN);
    let reachable = bin
        .ancestors()
        .skip(1)
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.mode() & 0o001 != 0));
    if reachable {
        return bin.to_path_buf();
    }
    let copy = under(root, "/usr/local/bin/endpoints");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(bin, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

/// `GET path` over a fresh connection: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The generation of the one application `/health-check` reports (after asserting 200).
fn healthy_generation(addr: SocketAddr) -> u64 {
    let (status, body) = get(addr, "/health-check");
    assert_eq!(status, 200, "/health-check: {body}");
    let body = body.trim();
    // A chunked body: the JSON is the line that starts with '{'.
    let json = body
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("/health-check body is not JSON: {body}"));
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["status"], "ok", "{v}");
    v["applications"][0]["generation"]
        .as_u64()
        .unwrap_or_else(|| panic!("no generation in {v}"))
}

/// Waits for the process to exit, at most `limit`.
fn wait_exit(child: &mut std::process::Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit within {limit:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn send(pid: u32, signal: libc::c_int) {
    // SAFETY: kill has no memory preconditions; the pid is our own child's.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, signal) }, 0);
}

/// Runs `sh -c script` with `env` only (and PATH), at most 10 s: its exit status and output.
fn run_shell(script: &str, env: &[(&str, String)]) -> (ExitStatus, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{script}` did not finish within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    (status, out)
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile

#[test]
fn dockerfile_stages_ports_volume_and_signals_fit_together() {
    let d = Dockerfile::load();
    assert!(d.stages.len() >= 2, "the Dockerfile should be multi-stage");
    let from = &d.run_stage()[0];
    assert_eq!(
        from.args, "debian:bookworm-slim",
        "Dockerfile:{}: the run stage should be debian:bookworm-slim",
        from.line
    );
    let build = &d.stages[0][0];
    assert!(
        build.args.contains("bookworm") && build.args.ends_with(" AS build"),
        "Dockerfile:{}: the build stage should be a bookworm toolchain named build (the run stage's libraries \
         are bookworm's)",
        build.line
    );

    for (name, _) in d.env() {
        assert_env_accepted(&name, "the Dockerfile's ENV");
    }
    let listen = d.env_value("ENDPOINTS_LISTEN");
    assert_eq!(
        listen, "0.0.0.0:8080",
        "the container listens on 0.0.0.0:8080"
    );
    assert_eq!(
        d.one("EXPOSE").args,
        "8080",
        "EXPOSE the port of ENDPOINTS_LISTEN"
    );
    assert_eq!(
        d.one("VOLUME").args,
        d.env_value("ENDPOINTS_DATA_DIR"),
        "the state directory is the volume"
    );
    assert_eq!(d.env_value("ENDPOINTS_APP_DIR"), "/app");

    let user = d.one("USER").args.clone();
    let uid = user.split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "USER should be a numeric non-root uid (so that runAsNonRoot can check it), not '{user}'"
    );

    let command = d.command_line();
    assert_eq!(command[0], "endpoints", "ENTRYPOINT runs the binary");
    assert_flags_accepted(&command[1..], "the Dockerfile's CMD");
    assert_eq!(d.one("STOPSIGNAL").args, "SIGTERM");
    let grace: u64 = flag_value(&command, "--shutdown-timeout")
        .expect("CMD sets --shutdown-timeout")
        .parse()
        .unwrap();
    assert!(
        grace < DOCKER_STOP_GRACE_SECS,
        "--shutdown-timeout {grace} is not below docker stop's {DOCKER_STOP_GRACE_SECS} s: requests would be \
         killed instead of drained"
    );
}

/// `dpkg -S` for a library path, trying the forms a merged-/usr system may record it under.
fn package_of(path: &Path) -> Option<String> {
    let mut candidates = vec![path.to_path_buf()];
    if let Ok(c) = path.canonicalize() {
        candidates.push(c);
    }
    let toggled: Vec<PathBuf> = candidates
        .iter()
        .filter_map(|p| {
            let s = p.to_str()?;
            Some(match s.strip_prefix("/usr") {
                Some(rest) => PathBuf::from(rest),
                None => PathBuf::from(format!("/usr{s}")),
            })
        })
        .collect();
    candidates.extend(toggled);
    candidates.iter().find_map(|p| {
        let out = Command::new("dpkg").arg("-S").arg(p).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let pkg = text.lines().next()?.split(':').next()?.trim().to_string();
        (out.status.success() && !pkg.is_empty()).then_some(pkg)
    })
}

/// The packages `names` bring in: themselves and what they depend on, recursively (installed packages only).
fn dependency_closure(names: &[String]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = names.to_vec();
    while let Some(p) = todo.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        let Ok(out) = Command::new("dpkg-query")
            .args(["-W", "-f=${Depends},${Pre-Depends}", &p])
            .output()
        else {
            continue;
        };
        for dep in String::from_utf8_lossy(&out.stdout).split([',', '|']) {
            let name = dep.split_whitespace().next().unwrap_or("");
            let name = name.split(':').next().unwrap();
            if !name.is_empty() {
                todo.push(name.to_string());
            }
        }
    }
    seen
}

#[test]
fn dockerfile_run_stage_installs_the_libraries_the_binary_links_and_the_jvm_packages() {
    let d = Dockerfile::load();
    let step = d.run_step("apt-get install");
    let install = step
        .args
        .split("--no-install-recommends")
        .nth(1)
        .unwrap_or_else(|| {
            panic!(
                "Dockerfile:{}: apt-get install without --no-install-recommends",
                step.line
            )
        });
    let install = install.split("&&").next().unwrap();
    let base: Vec<String> = install
        .split_whitespace()
        .filter(|w| !w.starts_with('$'))
        .map(String::from)
        .collect();
    let jvm: Vec<String> = step
        .args
        .split("jvm=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("Dockerfile:{}: no jvm=\"…\" package list", step.line))
        .split_whitespace()
        .map(String::from)
        .collect();
    assert!(
        install.contains("$jvm"),
        "Dockerfile:{}: apt-get install should name $jvm",
        step.line
    );
    assert!(step.args.contains("\"$WITH_JVM\" = 1"));

    // Every package the JVM worker's error messages name (src/jvm/launch.rs) is in the JVM list (a JDK stands
    // for a JRE: the worker is compiled with javac on first use).
    let launch = std::fs::read_to_string(Path::new(REPO).join("src/jvm/launch.rs")).unwrap();
    let named: BTreeSet<&str> = launch
        .split("Debian package ")
        .skip(1)
        .filter_map(|s| {
            s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                .next()
        })
        .collect();
    assert!(named.len() >= 3, "launch.rs names {named:?}");
    for p in named {
        let p_jdk = p.replace("-jre-", "-jdk-");
        assert!(
            jvm.iter().any(|j| j == p || *j == p_jdk),
            "src/jvm/launch.rs asks for the Debian package {p}; the Dockerfile's JVM list {jvm:?} lacks it"
        );
    }

    // The packages exist in Debian (the local package lists, when there are some).
    if Command::new("apt-cache").arg("--version").output().is_ok() {
        for p in base.iter().chain(&jvm) {
            let out = Command::new("apt-cache")
                .args(["show", "--no-all-versions", p])
                .output()
                .unwrap();
            let listed = out.status.success() && !out.stdout.is_empty();
            let installed = Command::new("dpkg-query")
                .args(["-W", p])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(
                listed || installed,
                "the Dockerfile installs {p}, which apt does not know"
            );
        }
    }

    // Every shared library of the binary comes from one of the base packages or their dependencies.
    let (Ok(ldd), Ok(_)) = (
        Command::new("ldd").arg(BIN).output(),
        Command::new("dpkg-query").arg("--version").output(),
    ) else {
        eprintln!("skipped the library check: ldd or dpkg-query is missing (not a Debian system)");
        return;
    };
    let closure = dependency_closure(&base);
    let mut libs = 0;
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, right)) => right.split_whitespace().next().unwrap_or(""),
            None => line.split_whitespace().next().unwrap_or(""),
        };
        if !path.starts_with('/') {
            continue; // linux-vdso
        }
        libs += 1;
        let pkg = package_of(Path::new(path))
            .unwrap_or_else(|| panic!("no Debian package owns {path} (ldd {BIN})"));
        assert!(
            closure.contains(&pkg),
            "the binary links {path} from the package {pkg}, which the Dockerfile's run stage does not install \
             (installed: {base:?} and their dependencies)"
        );
    }
    assert!(libs >= 4, "ldd found only {libs} libraries");
}

/// The run stage's user and directory step, run against `root`: `groupadd`/`useradd` get `--prefix ROOT`,
/// `install -d` gets its absolute paths moved under `root`. Any other command fails the test (teach it here).
fn run_setup_step(step: &Instruction, root: &Path) {
    let etc = under(root, "/etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    std::fs::write(etc.join("group"), "root:x:0:\n").unwrap();
    std::fs::write(etc.join("shadow"), "root:*:19000:0:99999:7:::\n").unwrap();
    std::fs::write(etc.join("gshadow"), "root:*::\n").unwrap();
    let prefix = root.to_str().unwrap();
    let mut rewritten = Vec::new();
    for command in step.args.split("&&") {
        let words: Vec<&str> = command.split_whitespace().collect();
        let line = match words.first().copied() {
            Some("groupadd") | Some("useradd") => {
                format!("{} --prefix {prefix} {}", words[0], words[1..].join(" "))
            }
            Some("install") if words.get(1) == Some(&"-d") => words
                .iter()
                .map(|w| {
                    if w.starts_with('/') {
                        format!("{prefix}{w}")
                    } else {
                        w.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => panic!(
                "Dockerfile:{}: the test does not know how to run `{}` against a scratch root",
                step.line,
                command.trim()
            ),
        };
        rewritten.push(line);
    }
    let script = rewritten.join(" && ");
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "Dockerfile:{}: the setup step failed ({script}): {}",
        step.line,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch root prepared as the image is: the setup step run (when the test runs as root, which `useradd` needs),
/// the application copied to `ENDPOINTS_APP_DIR` by `copy_app`.
struct Image {
    d: Dockerfile,
    root: tempfile::TempDir,
    /// USER's uid and gid when the server runs as them (the test runs as root).
    user: Option<(u32, u32)>,
}

impl Image {
    fn prepare(copy_app: impl FnOnce(&Path)) -> Image {
        let d = Dockerfile::load();
        let root = scratch_root();
        let user = d.one("USER").args.clone();
        let (uid, gid): (u32, u32) = {
            let (u, g) = user.split_once(':').unwrap_or((&user, &user));
            (u.parse().unwrap(), g.parse().unwrap())
        };
        let data_dir = d.env_value("ENDPOINTS_DATA_DIR");
        let app_dir = d.env_value("ENDPOINTS_APP_DIR");
        let as_image_user = is_root();
        if as_image_user {
            run_setup_step(d.run_step("useradd"), root.path());
            let passwd = std::fs::read_to_string(under(root.path(), "/etc/passwd")).unwrap();
            let entry = passwd
                .lines()
                .find(|l| l.split(':').nth(2) == Some(&uid.to_string()))
                .unwrap_or_else(|| {
                    panic!("the setup step creates no user with USER's uid {uid}:\n{passwd}")
                });
            let fields: Vec<&str> = entry.split(':').collect();
            assert_eq!(fields[3], gid.to_string(), "{entry}");
            assert_eq!(fields[6], "/usr/sbin/nologin", "{entry}");
            let meta = std::fs::metadata(under(root.path(), &data_dir)).unwrap();
            assert_eq!(
                (meta.uid(), meta.gid()),
                (uid, gid),
                "{data_dir} belongs to the image's user"
            );
            assert_eq!(meta.mode() & 0o777, 0o750, "{data_dir}'s mode");
            assert!(
                under(root.path(), &app_dir).is_dir(),
                "the setup step creates {app_dir}"
            );
        } else {
            eprintln!("not root: the setup step is not run, and the server runs as this user");
            std::fs::create_dir_all(under(root.path(), &data_dir)).unwrap();
        }
        copy_app(&under(root.path(), &app_dir));
        Image {
            d,
            root,
            user: as_image_user.then_some((uid, gid)),
        }
    }

    /// `path` of the image (an absolute path) in the scratch root.
    fn path(&self, path: &str) -> PathBuf {
        under(self.root.path(), path)
    }

    /// The image's command line with its environment (paths under the scratch root, an ephemeral port), as USER
    /// when the test runs as root, plus `extra_env`.
    fn start(&self, extra_env: &[(&str, &str)]) -> common::Spawned {
        let command = self.d.command_line();
        let mut cmd = match self.user {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={gid}"),
                    "--clear-groups",
                ])
                .arg(binary_for_others(self.root.path()));
                c
            }
            None => Command::new(BIN),
        };
        cmd.args(&command[1..])
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .stdout(Stdio::null());
        for (name, value) in self.d.env() {
            let value = if name == "ENDPOINTS_LISTEN" {
                "127.0.0.1:0".to_string()
            } else if value.starts_with('/') {
                self.path(&value).to_str().unwrap().to_string()
            } else {
                value
            };
            cmd.env(name, value);
        }
        for (name, value) in extra_env {
            cmd.env(name, value);
        }
        common::Spawned::start(cmd)
            .unwrap_or_else(|seen| panic!("the image's command did not start the server:\n{seen}"))
    }
}

#[test]
fn dockerfile_setup_environment_and_command_serve_the_default_application_and_pass_the_healthcheck()
{
    let image = Image::prepare(copy_default_application);
    let d = &image.d;
    let mut server = image.start(&[]);
    healthy_generation(server.addr);
    let db = image
        .path(&d.env_value("ENDPOINTS_DATA_DIR"))
        .join("endpoints.db");
    let meta =
        std::fs::metadata(&db).unwrap_or_else(|e| panic!("no state file {}: {e}", db.display()));
    if let Some((uid, _)) = image.user {
        assert_eq!(
            meta.uid(),
            uid,
            "the state file is written by the image's user"
        );
    }

    // The HEALTHCHECK, with the container's listen address form (only the port is used).
    let check = d.healthcheck();
    let listen = [(
        "ENDPOINTS_LISTEN",
        format!("0.0.0.0:{}", server.addr.port()),
    )];
    let (status, out) = run_shell(&check, &listen);
    assert!(
        status.success(),
        "HEALTHCHECK failed against a healthy server: {status} {out}"
    );

    // SIGTERM drains and exits 0, within --shutdown-timeout.
    let grace: u64 = flag_value(&d.command_line(), "--shutdown-timeout")
        .unwrap()
        .parse()
        .unwrap();
    send(server.child.id(), libc::SIGTERM);
    let status = wait_exit(&mut server.child, Duration::from_secs(grace + 5));
    assert!(
        status.success(),
        "the server exited with {status} after SIGTERM"
    );
    let lines: Vec<String> = server.lines.try_iter().collect();
    assert!(
        lines.iter().any(|l| l.contains("stopped")),
        "no 'stopped' in the log: {lines:?}"
    );

    let (status, _) = run_shell(&check, &listen);
    assert!(
        !status.success(),
        "HEALTHCHECK passed with no server listening"
    );
}

/// The JVM variant's set-up: the image's user compiles and runs the JVM worker with the image's environment (the
/// compiled worker cached in the state volume, no home directory). Needs Java, Saxon-HE and FOP installed here, as
/// `WITH_JVM=1` installs them in the image; skipped loudly without them (a failure under CI=true).
#[test]
fn dockerfile_environment_runs_the_jvm_worker_as_the_image_user() {
    let present = ["/usr/share/java/Saxon-HE.jar", "/usr/share/java/fop.jar"]
        .iter()
        .all(|j| Path::new(j).is_file())
        && Command::new("javac").arg("-version").output().is_ok();
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "javac, Saxon-HE and FOP are required under CI=true (scripts/setup.sh installs them)"
        );
        eprintln!("\n**********\nSKIPPED: javac, Saxon-HE or FOP is not installed (scripts/setup.sh installs them)\n**********\n");
        return;
    }
    let fixture = Path::new(REPO).join("tests/apps/jvm");
    let image = Image::prepare(|app| {
        common::copy_dir(&fixture, app);
        let mut stack = vec![app.to_path_buf()];
        while let Some(d) = stack.pop() {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                }
            }
        }
    });
    let hash = Command::new(BIN)
        .args(["hash", fixture.to_str().unwrap(), "hello"])
        .output()
        .unwrap();
    assert!(hash.status.success());
    let hash = String::from_utf8(hash.stdout).unwrap();
    let server = image.start(&[]);
    let (status, body) = get(
        server.addr,
        &format!("/hello?name=ann&hash={}", hash.trim()),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, ANN!"), "{body}");
    assert!(body.contains("Saxonica"), "not run on Saxon-HE: {body}");

    let cache = image.path(&image.d.env_value("ENDPOINTS_JVM_CACHE"));
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap_or_else(|e| panic!("no JVM worker cache in {}: {e}", cache.display()))
        .flatten()
        .collect();
    assert!(!entries.is_empty(), "{} is empty", cache.display());
    if let Some((uid, _)) = image.user {
        assert_eq!(
            std::fs::metadata(&cache).unwrap().uid(),
            uid,
            "the cache is written by the image's user"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// .dockerignore

/// Whether `.dockerignore`'s patterns exclude the repository-relative path `rel`. Only the forms the file uses
/// are understood: a top-level name, `**/name`, `*.suffix`.
fn ignored(patterns: &[String], rel: &Path) -> bool {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    patterns.iter().any(|p| {
        if let Some(name) = p.strip_prefix("**/") {
            parts.iter().any(|c| c == name)
        } else if let Some(suffix) = p.strip_prefix('*') {
            parts.last().is_some_and(|c| c.ends_with(suffix))
        } else {
            parts.first().is_some_and(|c| c == p)
        }
    })
}

fn copy_context(patterns: &[String], from: &Path, rel: &Path, to: &Path) {
    for e in std::fs::read_dir(from.join(rel)).unwrap() {
        let e = e.unwrap();
        let rel = rel.join(e.file_name());
        if ignored(patterns, &rel) {
            continue;
        }
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            std::fs::create_dir_all(to.join(&rel)).unwrap();
            copy_context(patterns, from, &rel, to);
        } else if ty.is_file() {
            std::fs::copy(e.path(), to.join(&rel)).unwrap();
        }
    }
}

#[test]
fn dockerignore_leaves_a_buildable_context() {
    let text = std::fs::read_to_string(Path::new(REPO).join(".dockerignore")).unwrap();
    let patterns: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    for p in &patterns {
        let body = p
            .strip_prefix("**/")
            .or_else(|| p.strip_prefix('*'))
            .unwrap_or(p);
        assert!(
            !body.contains(['*', '?', '[', '/', '!']),
            ".dockerignore: the test does not understand the pattern '{p}'"
        );
    }
    assert!(
        ignored(&patterns, Path::new("target")),
        ".dockerignore should leave out target/"
    );

    let context = tempfile::tempdir().unwrap();
    copy_context(&patterns, Path::new(REPO), Path::new(""), context.path());

    // What the build reads besides the manifest: the lock file (--locked), the embedded JVM worker sources
    // (build.rs skips a missing directory silently) and the state migrations.
    assert!(
        context.path().join("Cargo.lock").is_file(),
        "the context lacks Cargo.lock"
    );
    let worker = context.path().join("jvm/src/endpoints/worker");
    let java = std::fs::read_dir(&worker)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "java"))
                .count()
        })
        .unwrap_or(0);
    assert!(
        java > 0,
        "the context lacks the JVM worker's sources ({})",
        worker.display()
    );
    assert!(context.path().join("src/store/migrations").is_dir());

    // Cargo accepts the manifest with every target it declares.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--locked",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(context.path().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo does not accept the build context .dockerignore leaves: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------------------------
// systemd unit

struct Unit {
    /// key → values in order, for the [Service] section (and the others, prefixed "Unit." / "Install.").
    keys: BTreeMap<String, Vec<String>>,
}

impl Unit {
    fn load() -> Unit {
        let text =
            std::fs::read_to_string(Path::new(REPO).join("deploy/endpoints.service")).unwrap();
        let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut section = String::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = s.to_string();
                continue;
            }
            assert!(
                !line.ends_with('\\'),
                "endpoints.service:{}: continued lines are not read by this test",
                i + 1
            );
            let (k, v) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("endpoints.service:{}: not KEY=value", i + 1));
            let key = if section == "Service" {
                k.to_string()
            } else {
                format!("{section}.{k}")
            };
            keys.entry(key).or_default().push(v.to_string());
        }
        Unit { keys }
    }

    fn get(&self, key: &str) -> &str {
        let v = self
            .keys
            .get(key)
            .unwrap_or_else(|| panic!("endpoints.service sets no {key}="));
        assert_eq!(v.len(), 1, "endpoints.service sets {key}= more than once");
        &v[0]
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.keys
            .get("Environment")
            .into_iter()
            .flatten()
            .map(|v| {
                assert!(
                    !v.contains(['"', '\'', '%', '$', ' ']),
                    "endpoints.service: Environment={v}: one unquoted NAME=value a line"
                );
                let (n, val) = v.split_once('=').unwrap();
                (n.to_string(), val.to_string())
            })
            .collect()
    }

    fn env_value(&self, name: &str) -> String {
        self.environment()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("endpoints.service sets no Environment={name}=…"))
            .1
    }

    fn exec_start(&self) -> Vec<String> {
        self.get("ExecStart")
            .split_whitespace()
            .map(String::from)
            .collect()
    }
}

/// systemd's `TimeoutStopSec=` in seconds (the forms `45`, `45s`, `1min`, `1min 30s`).
fn seconds(value: &str) -> u64 {
    let mut total = 0;
    for part in value.split_whitespace() {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits
            .parse()
            .unwrap_or_else(|_| panic!("time span '{value}'"));
        total += match &part[digits.len()..] {
            "" | "s" | "sec" => n,
            "min" | "m" => n * 60,
            other => panic!("time span unit '{other}' in '{value}'"),
        };
    }
    total
}

#[test]
fn systemd_unit_keys_environment_and_command_line() {
    let u = Unit::load();
    assert_eq!(u.get("DynamicUser"), "yes");
    assert_eq!(u.get("Restart"), "on-failure");
    assert_eq!(u.get("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(u.get("EnvironmentFile"), "-/etc/endpoints/env");
    assert_eq!(
        u.env_value("ENDPOINTS_DATA_DIR"),
        format!("/var/lib/{}", u.get("StateDirectory")),
        "ENDPOINTS_DATA_DIR is the StateDirectory="
    );
    assert_eq!(
        u.env_value("ENDPOINTS_JVM_CACHE"),
        format!("/var/cache/{}", u.get("CacheDirectory")),
        "ENDPOINTS_JVM_CACHE is the CacheDirectory= (ProtectSystem=strict makes everything else read-only)"
    );
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(u.get(key), value, "endpoints.service: {key}=");
    }
    assert!(u.get("RestrictAddressFamilies").contains("AF_INET6"));
    assert!(u.keys["SystemCallFilter"]
        .iter()
        .any(|v| v == "@system-service"));
    assert!(
        u.keys
            .get("MemoryDenyWriteExecute")
            .is_none_or(|v| v.iter().all(|v| v == "no")),
        "MemoryDenyWriteExecute=yes would stop the JVM worker's JIT"
    );

    for (name, _) in u.environment() {
        assert_env_accepted(&name, "endpoints.service's Environment=");
    }
    let exec = u.exec_start();
    assert_eq!(exec[0], "/usr/local/bin/endpoints");
    assert_flags_accepted(&exec[1..], "endpoints.service's ExecStart=");
    let grace: u64 = flag_value(&exec, "--shutdown-timeout")
        .expect("ExecStart sets --shutdown-timeout")
        .parse()
        .unwrap();
    let stop = seconds(u.get("TimeoutStopSec"));
    assert!(
        grace < stop,
        "--shutdown-timeout {grace} must be below TimeoutStopSec={stop}, or systemd kills requests in flight"
    );
}

#[test]
fn systemd_unit_passes_systemd_analyze() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    }
    // `verify` wants ExecStart's program to exist: point it at the binary under test.
    let text = std::fs::read_to_string(Path::new(REPO).join("deploy/endpoints.service")).unwrap();
    let text = text.replace(
        "ExecStart=/usr/local/bin/endpoints ",
        &format!("ExecStart={BIN} "),
    );
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("endpoints.service");
    std::fs::write(&unit, text).unwrap();

    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify deploy/endpoints.service: {said}"
    );

    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for endpoints.service:")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!("no exposure level in systemd-analyze security's output: {text}")
        });
    assert!(
        level <= 2.0,
        "systemd-analyze security rates the unit {level} (at most 2.0 expected):\n{text}"
    );
}

#[test]
fn systemd_unit_environment_and_command_serve_reload_and_stop() {
    let u = Unit::load();
    let root = scratch_root();
    let root = root.path();
    let app_dir = u.env_value("ENDPOINTS_APP_DIR");
    copy_default_application(&under(root, &app_dir));
    // systemd creates the state and cache directories for the service's user before the start; as root, the
    // test stands in for DynamicUser= with an unused uid of systemd's dynamic range.
    let dynamic_user = is_root().then_some(61_234u32);
    let state = under(root, &u.env_value("ENDPOINTS_DATA_DIR"));
    for dir in [&state, &under(root, &u.env_value("ENDPOINTS_JVM_CACHE"))] {
        std::fs::create_dir_all(dir).unwrap();
        if let Some(uid) = dynamic_user {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
        }
    }

    let exec = u.exec_start();
    let mut cmd = match dynamic_user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
            ])
            .arg(binary_for_others(root));
            c
        }
        None => Command::new(BIN),
    };
    cmd.args(&exec[1..])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdout(Stdio::null());
    for (name, value) in u.environment() {
        let value = if name == "ENDPOINTS_LISTEN" {
            "127.0.0.1:0".to_string()
        } else if value.starts_with('/') {
            under(root, &value).to_str().unwrap().to_string()
        } else {
            value
        };
        cmd.env(name, value);
    }
    let mut server = common::Spawned::start(cmd)
        .unwrap_or_else(|seen| panic!("the unit's command did not start the server:\n{seen}"));
    let before = healthy_generation(server.addr);
    let db = state.join("endpoints.db");
    let owner = std::fs::metadata(&db)
        .unwrap_or_else(|e| panic!("no state file {}: {e}", db.display()))
        .uid();
    if let Some(uid) = dynamic_user {
        assert_eq!(
            owner, uid,
            "the state file is written by the service's user"
        );
    }

    // ExecReload as systemd runs it.
    let reload = u
        .get("ExecReload")
        .replace("$MAINPID", &server.child.id().to_string());
    let words: Vec<&str> = reload.split_whitespace().collect();
    let status = Command::new(words[0]).args(&words[1..]).status().unwrap();
    assert!(status.success(), "ExecReload={reload} failed");
    let deadline = Instant::now() + Duration::from_secs(10);
    while healthy_generation(server.addr) <= before {
        assert!(
            Instant::now() < deadline,
            "ExecReload did not reload the application"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // KillSignal=, then at most TimeoutStopSec.
    assert_eq!(u.get("KillSignal"), "SIGTERM");
    send(server.child.id(), libc::SIGTERM);
    let status = wait_exit(
        &mut server.child,
        Duration::from_secs(seconds(u.get("TimeoutStopSec"))),
    );
    assert!(
        status.success(),
        "the server exited with {status} after SIGTERM"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// docs/deploy.md

#[test]
fn deploy_guide_names_only_settings_the_binary_has() {
    let text = std::fs::read_to_string(Path::new(REPO).join("docs/deploy.md")).unwrap();
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices("ENDPOINTS_") {
        let name: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        names.insert(name);
    }
    assert!(names.len() >= 8, "docs/deploy.md names only {names:?}");
    for name in &names {
        assert_env_accepted(name, "docs/deploy.md");
    }
    // The flags of the settings table (its first column).
    let mut flags = 0;
    for row in text.lines().filter(|l| l.starts_with("| `--")) {
        let flag = row[3..].split([' ', '`']).next().unwrap();
        flags += 1;
        assert_flags_accepted(
            &["serve".to_string(), flag.to_string()],
            "docs/deploy.md's table",
        );
    }
    assert!(
        flags >= 6,
        "docs/deploy.md's settings table has {flags} flags"
    );
}
