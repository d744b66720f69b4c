//! The examples side by side: two of them started from one working directory with the default state flags each get
//! their own SQLite file and both answer; a second server on the same application is refused with a message naming
//! the file and `--data-dir`; `endpoints log` finds the files; the example READMEs listen on distinct ports.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use bytes::Bytes;
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

/// `endpoints ARGS` in `cwd` with no state settings from the environment.
fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("ENDPOINTS_DATA_DIR")
        .env_remove("ENDPOINTS_DATABASE_URL")
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_HASH_SCHEME")
        .env("ENDPOINTS_LOG", "info");
    cmd
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    command(cwd, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn serve(cwd: &Path, example: &str) -> Result<common::Spawned, String> {
    let dir = format!("{EXAMPLES}/{example}");
    common::Spawned::start(command(
        cwd,
        &["serve", &dir, "--listen", "127.0.0.1:0", "--no-watch"],
    ))
}

fn hash(cwd: &Path, example: &str, args: &[&str]) -> String {
    let dir = format!("{EXAMPLES}/{example}");
    let out = run(cwd, &[&["hash", dir.as_str()], args].concat());
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn get(addr: std::net::SocketAddr, path: &str) -> common::Resp {
    common::send_h1(addr, Method::GET, path, &[], Bytes::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_examples_run_side_by_side_from_one_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    // The shared state file of an earlier version, holding no numbers or short links of these examples (as in a
    // checkout where the default application ran before), does not make them share it.
    let earlier = cwd.join("endpoints-data/endpoints.db");
    drop(endpoints::store::sqlite::SqliteStore::open(&earlier).unwrap());
    let hello = serve(cwd, "hello-world").expect("hello-world starts");
    let page = serve(cwd, "xml-page").expect("xml-page starts beside hello-world");

    let h = hash(cwd, "hello-world", &["helloworld", "foo=abc"]);
    let r = get(hello.addr, &format!("/helloworld?foo=abc&hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Hello, world!"), "{}", r.text());
    let h = hash(cwd, "xml-page", &["products"]);
    let r = get(page.addr, &format!("/products?hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("<table>"), "{}", r.text());

    // Each has its own state file below the working directory.
    for name in ["hello-world", "xml-page"] {
        let file = cwd.join("endpoints-data").join(name).join("endpoints.db");
        assert!(file.is_file(), "{} missing", file.display());
    }

    // A second server for the same application meets the lock: the message names the file, the other server and
    // the flag that chooses another file.
    let second = serve(cwd, "hello-world")
        .err()
        .expect("a second hello-world is refused");
    assert!(
        second.contains("the state file 'endpoints-data/hello-world/endpoints.db' is locked")
            && second.contains("another `endpoints serve`")
            && second.contains("--data-dir DIR"),
        "{second}"
    );
    // With --data-dir it runs.
    let data = cwd.join("elsewhere");
    let dir = format!("{EXAMPLES}/hello-world");
    let third = common::Spawned::start(command(
        cwd,
        &[
            "serve",
            &dir,
            "--listen",
            "127.0.0.1:0",
            "--no-watch",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    ))
    .expect("--data-dir gives a state file of its own");
    assert!(data.join("endpoints.db").is_file());
    drop(third);

    // `endpoints log`: with two applications it asks which; --application chooses one.
    std::fs::remove_file(&earlier).unwrap();
    let both = run(cwd, &["log"]);
    assert_eq!(both.status.code(), Some(1), "{}", text(&both));
    assert!(
        text(&both).contains("several state files below endpoints-data/")
            && text(&both).contains("--application NAME or --data-dir DIR"),
        "{}",
        text(&both)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let one = run(cwd, &["log", "--application", "xml-page"]);
        assert!(one.status.success(), "{}", text(&one));
        let t = text(&one);
        assert!(!t.contains("helloworld"), "{t}");
        if t.contains("xml-page/live  products  200") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{t}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(hello);
    drop(page);
}

/// Every example README starts its server on a port of its own (and not the default application's 8080), so that
/// they can be run as written side by side.
#[test]
fn example_readmes_listen_on_distinct_ports() {
    let mut ports: BTreeMap<String, String> = BTreeMap::new();
    let mut examples = 0;
    for entry in std::fs::read_dir(EXAMPLES).unwrap().flatten() {
        let readme = entry.path().join("README.md");
        let Ok(text) = std::fs::read_to_string(&readme) else {
            continue;
        };
        examples += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        let listens: Vec<&str> = text
            .split("--listen ")
            .skip(1)
            .map(|rest| rest.split_whitespace().next().unwrap())
            .collect();
        assert!(
            !listens.is_empty(),
            "{name}: README starts no server with --listen"
        );
        for l in listens {
            assert!(l.starts_with("127.0.0.1:"), "{name}: {l}");
            assert_ne!(
                l, "127.0.0.1:8080",
                "{name} uses the default application's port"
            );
            if let Some(other) = ports.insert(l.to_string(), name.clone()) {
                assert_eq!(other, name, "{other} and {name} both listen on {l}");
            }
            // Its curl commands talk to that port.
            let port = &l["127.0.0.1:".len()..];
            for line in text
                .lines()
                .filter(|l| l.contains("curl ") && l.contains("http://127.0.0.1:"))
            {
                assert!(
                    line.contains(&format!("http://127.0.0.1:{port}/")),
                    "{name}: {line}"
                );
            }
        }
    }
    assert!(examples >= 7, "{examples} example READMEs");
}
