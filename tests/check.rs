//! `endpoints check` and the loader's messages, through the binary on real files: `<secret-key>` from an
//! environment variable (checked and served, the key never printed), `--strict`, "did you mean" for misspelt
//! element and attribute names, and complete "expected …" lists.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use bytes::Bytes;
use endpoints::engine::{hash, Environment};
use http::{Method, StatusCode};

const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// The variable the test applications read their key from, and the key.
const KEY_VAR: &str = "ENDPOINTS_TEST_CHECK_SECRET_KEY";
const KEY: &str = "env-key-5d1c9a7e3b";

/// `endpoints ARGS` with `KEY_VAR` set to `key` (or unset); exit status, standard output, standard error (the
/// application directory written as APP).
fn run(args: &[&str], dir: &Path, key: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg(dir)
        .env_remove("ENDPOINTS_CHECK_HASH")
        .env_remove("ENDPOINTS_APP_DIR")
        .env_remove(KEY_VAR);
    if let Some(k) = key {
        cmd.env(KEY_VAR, k);
    }
    let out = cmd.output().unwrap();
    let d = dir.to_str().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace(d, "APP"),
        String::from_utf8_lossy(&out.stderr).replace(d, "APP"),
    )
}

/// An application with these files (name, content).
fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

const ENDPOINTS_XML: &str = "<endpoint-folder>\n<endpoint name=\"which\"><success><redirect-to>https://v.example/ok</redirect-to></success></endpoint>\n</endpoint-folder>\n";
const SECURITY_XML: &str = "<security><secret-key>k</secret-key></security>";

fn env_security() -> String {
    format!("<security><secret-key from-environment-variable=\"{KEY_VAR}\"/></security>")
}

#[test]
fn a_secret_key_from_a_missing_or_empty_variable_is_a_load_error() {
    let dir = app(&[
        ("endpoints.xml", ENDPOINTS_XML),
        ("security.xml", &env_security()),
    ]);
    let d = dir.path();
    let (code, out, err) = run(&["check"], d, None);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            &*format!(
                "APP/security.xml:1:23: <secret-key>: environment variable '{KEY_VAR}' is not set"
            ),
            "1 error(s), 0 warning(s)",
        ]
    );
    let (code, _, err) = run(&["check"], d, Some(""));
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "APP/security.xml:1:23: <secret-key>: environment variable '{KEY_VAR}' is empty"
        )),
        "{err}"
    );
    // Set: the application loads, and nothing printed holds the key.
    let (code, out, err) = run(&["check"], d, Some(KEY));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "APP: OK (0 warning(s))\n");
    let (code, out, err) = run(&["routes"], d, Some(KEY));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(KEY) && !err.contains(KEY), "{out}{err}");
    // The hash command computes with the key from the variable.
    let mut cmd = Command::new(BIN);
    let out = cmd
        .args(["hash"])
        .arg(d)
        .arg("which")
        .env(KEY_VAR, KEY)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        printed.trim(),
        hash::compute::<&str>("which", &[], Environment::Live, KEY)
    );
    // Keys as text and from variables mix; `hash --all-keys` prints one hash per key, in order.
    std::fs::write(
        d.join("security.xml"),
        format!("<security><secret-key>k</secret-key><secret-key from-environment-variable=\"{KEY_VAR}\"/></security>"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["hash", "--all-keys"])
        .arg(d)
        .arg("which")
        .env(KEY_VAR, KEY)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        [
            hash::compute::<&str>("which", &[], Environment::Live, "k"),
            hash::compute::<&str>("which", &[], Environment::Live, KEY),
        ]
    );
    // The key given both ways is refused, without quoting either.
    std::fs::write(
        d.join("security.xml"),
        format!("<security>\n<secret-key from-environment-variable=\"{KEY_VAR}\">inline-key-8c2e</secret-key></security>"),
    )
    .unwrap();
    let (code, out, err) = run(&["check"], d, Some(KEY));
    assert_eq!(code, 1);
    assert!(
        err.contains("APP/security.xml:2:1: <secret-key>: give either the key as text or from-environment-variable=\"VAR\", not both"),
        "{err}"
    );
    let all = format!("{out}{err}");
    assert!(
        !all.contains(KEY) && !all.contains("inline-key-8c2e"),
        "{all}"
    );
    // An empty key is no key.
    std::fs::write(
        d.join("security.xml"),
        "<security><secret-key></secret-key></security>",
    )
    .unwrap();
    let (code, _, err) = run(&["check"], d, Some(KEY));
    assert_eq!(code, 1);
    assert!(
        err.contains("APP/security.xml:1:11: <secret-key> needs the key as text or from-environment-variable=\"VAR\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_checks_hashes_against_a_key_from_the_environment() {
    let dir = app(&[
        ("endpoints.xml", ENDPOINTS_XML),
        ("security.xml", &env_security()),
    ]);
    let data_dir = common::state_dir();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .env("ENDPOINTS_DATA_DIR", &data_dir)
        .env("ENDPOINTS_LOG", "debug")
        .env(KEY_VAR, KEY)
        .env_remove("ENDPOINTS_CHECK_HASH")
        .stdout(Stdio::piped());
    let server = common::Spawned::start(cmd).unwrap_or_else(|seen| panic!("no start: {seen}"));
    let get = |path: String| async move {
        common::send_h1(server.addr, Method::GET, &path, &[], Bytes::new()).await
    };
    let right = hash::compute::<&str>("which", &[], Environment::Live, KEY);
    let r = get(format!("/which?hash={right}")).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), "https://v.example/ok");
    let wrong = hash::compute::<&str>("which", &[], Environment::Live, "k");
    let r = get(format!("/which?hash={wrong}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.text().contains(KEY));
    // A graceful stop writes the request log's queue; then every line the server printed is in.
    let mut server = server;
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    server.child.wait().unwrap();
    let mut logged: Vec<String> = server.start_lines.clone();
    logged.extend(server.lines.iter());
    drop(server);
    let out = Command::new(BIN)
        .args(["log", "--limit", "10"])
        .env("ENDPOINTS_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("which  302") && log.contains("Hash wrong"),
        "{log}"
    );
    let id = log
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(5)
        .unwrap();
    let out = Command::new(BIN)
        .args(["log", "--show", id])
        .env("ENDPOINTS_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.contains("status-code"), "{shown}");
    logged.push(log);
    logged.push(shown);
    for line in &logged {
        assert!(!line.contains(KEY), "the key was printed: {line}");
    }
}

#[test]
fn strict_fails_on_warnings() {
    let dir = app(&[
        (
            "endpoints.xml",
            "<endpoint-folder><endpoint name=\"a\" colour=\"red\"/></endpoint-folder>",
        ),
        ("security.xml", SECURITY_XML),
    ]);
    let d = dir.path();
    let (code, out, _) = run(&["check"], d, None);
    assert_eq!((code, out.as_str()), (0, "APP: OK (1 warning(s))\n"));
    let (code, out, err) = run(&["check", "--strict"], d, None);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "APP/endpoints.xml:1:37: warning: unknown attribute 'colour' on <endpoint> is ignored; expected one of: name, multiple-value-separator",
            "0 error(s), 1 warning(s): failing because of --strict",
        ]
    );
    assert_eq!(out, "");
    // Without warnings, --strict passes; errors fail with or without it.
    std::fs::write(d.join("endpoints.xml"), ENDPOINTS_XML).unwrap();
    let (code, out, _) = run(&["check", "--strict"], d, None);
    assert_eq!((code, out.as_str()), (0, "APP: OK (0 warning(s))\n"));
    std::fs::write(
        d.join("endpoints.xml"),
        "<endpoint-folder><endpoint/></endpoint-folder>",
    )
    .unwrap();
    let (code, _, err) = run(&["check", "--strict"], d, None);
    assert_eq!(code, 1);
    assert!(err.ends_with("1 error(s), 0 warning(s)\n"), "{err}");
}

#[test]
fn misspelt_names_get_a_suggestion() {
    let dir = app(&[
        (
            "endpoints.xml",
            "<endpoint-folder>\n\
             <endpont name=\"x\"/>\n\
             <endpoint name=\"a\" mulitple-value-separator=\",\"><sucess/></endpoint>\n\
             <endpoint name=\"b\"><authentication><baerer token=\"t\"/></authentication></endpoint>\n\
             <endpoint name=\"c\"><success><redirect-too>https://x.example/</redirect-too></success></endpoint>\n\
             <endpoint name=\"d\"><success><banana/></success></endpoint>\n\
             </endpoint-folder>\n",
        ),
        ("security.xml", "<security><secret-kye>k</secret-kye><secret-key>k</secret-key></security>"),
        ("engine-settings.xml", "<engine-settings><hash-schem>sha256</hash-schem></engine-settings>"),
    ]);
    let (code, _, err) = run(&["check"], dir.path(), None);
    assert_eq!(code, 1);
    let expected = [
        "APP/endpoints.xml:2:1: Unexpected element <endpont> in <endpoint-folder>; expected <parameter>, <endpoint-folder>, <endpoint> or <authentication>; did you mean <endpoint>?",
        "APP/endpoints.xml:3:20: warning: unknown attribute 'mulitple-value-separator' on <endpoint> is ignored; expected one of: name, multiple-value-separator; did you mean 'multiple-value-separator'?",
        "APP/endpoints.xml:3:49: Unexpected element <sucess> in <endpoint name='a'>; expected <parameter>, <authentication>, <include-in-hash>, <parameter-transformation>, <task>, <success> or <error>; did you mean <success>?",
        "APP/endpoints.xml:4:36: Unexpected element <baerer> in <authentication>; expected <hash>, <basic>, <bearer> or <hmac>; did you mean <bearer>?",
        "APP/endpoints.xml:5:29: <endpoint name='c'> <success> #1: Unexpected element <redirect-too>; expected one of <response-from-static>, <response-from-url>, <response-transformation>, <ooxml-parameter-expansion>, <redirect-to>, <forward-to-endpoint>; did you mean <redirect-to>?",
        // Nothing close: no suggestion.
        "APP/endpoints.xml:6:29: <endpoint name='d'> <success> #1: Unexpected element <banana>; expected one of <response-from-static>, <response-from-url>, <response-transformation>, <ooxml-parameter-expansion>, <redirect-to>, <forward-to-endpoint>",
        "APP/engine-settings.xml:1:18: Unexpected element <hash-schem> in <engine-settings>; expected <missing-hash>, <xslt-engine> or <hash-scheme>; did you mean <hash-scheme>?",
        "APP/security.xml:1:11: Unexpected element <secret-kye> in <security>; expected <secret-key>; did you mean <secret-key>?",
        "7 error(s), 1 warning(s)",
    ];
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        expected,
        "\nactual:\n{err}"
    );
}

#[test]
fn expected_lists_name_every_allowed_child() {
    let dir = app(&[
        (
            "endpoints.xml",
            "<endpoint-folder>\n\
             <endpoint name=\"a\"><respond/></endpoint>\n\
             <endpoint name=\"b\"><success><redirect-to>https://x.example/</redirect-to><task/></success></endpoint>\n\
             <endpoint name=\"c\"><task class=\"endpoints.task.HttpRequestTask\"><url>https://x.example/</url><body/></task></endpoint>\n\
             <endpoint name=\"d\"><task class=\"endpoints.task.EmailTak\"/></endpoint>\n\
             </endpoint-folder>\n",
        ),
        ("security.xml", SECURITY_XML),
    ]);
    std::fs::create_dir(dir.path().join("data-sources")).unwrap();
    std::fs::write(
        dir.path().join("data-sources/ds.xml"),
        "<data-source>\n<literal-xm/>\n<post-proces xslt=\"p.xslt\"/>\n</data-source>\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check"], dir.path(), None);
    assert_eq!(code, 1);
    let commands = "<literal-xml>, <parameters>, <application-introspection>, <on-demand-incrementing-number>, <request-log>, <md5>, <xml-from-application>, <xml-from-url>, <xml-from-database>, <aws-s3-keys>, <aws-s3-object>, <data-driven-cms>";
    for line in [
        &*format!("APP/data-sources/ds.xml:2:1: Command tag <literal-xm> unrecognized; expected one of {commands}, <post-process>; did you mean <literal-xml>?\n"),
        &format!("APP/data-sources/ds.xml:3:1: Command tag <post-proces> unrecognized; expected one of {commands}, <post-process>; did you mean <post-process>?\n"),
        "APP/endpoints.xml:2:20: Unexpected element <respond> in <endpoint name='a'>; expected <parameter>, <authentication>, <include-in-hash>, <parameter-transformation>, <task>, <success> or <error>\n",
        "APP/endpoints.xml:3:74: <endpoint name='b'> <success> #1: Unexpected element <task> beside <redirect-to>; expected only <redirect-to>, <redirect-prefix-whitelist-entry>\n",
        "APP/endpoints.xml:4:94: Unexpected element <body> in <task>; expected one of <url>, <method>, <get-parameter>, <request-header>, <post-parameter>, <standard-webhooks-signature>, <basic-access-authentication>, <xml-body>, <json-body>, <after>, <input-intermediate-value>, <output-intermediate-value>\n",
        "; did you mean 'endpoints.task.EmailTask'?\n",
    ] {
        assert!(err.contains(line), "missing {line:?} in\n{err}");
    }
}

#[test]
fn every_secret_from_the_environment_reports_alike() {
    const VAR: &str = "ENDPOINTS_TEST_CHECK_UNSET_VAR";
    let endpoints_xml = format!(
        "<endpoint-folder>\n\
         <endpoint name=\"a\"><authentication><bearer token-from-environment-variable=\"{VAR}\"/></authentication></endpoint>\n\
         <endpoint name=\"b\"><task class=\"endpoints.task.HttpRequestTask\"><url>https://x.example/</url><standard-webhooks-signature secret-from-environment-variable=\"{VAR}\"/></task></endpoint>\n\
         <endpoint name=\"c\"><task id=\"save\" class=\"endpoints.task.SaveUploadsTask\" base-directory-from-environment-variable=\"{VAR}\" directory=\"d\"/></endpoint>\n\
         <endpoint name=\"d\"><task id=\"both\" class=\"endpoints.task.SaveUploadsTask\" base-directory=\".\" base-directory-from-environment-variable=\"{VAR}\" directory=\"d\"/></endpoint>\n\
         <endpoint name=\"e\"><task id=\"neither\" class=\"endpoints.task.SaveUploadsTask\" directory=\"d\"/></endpoint>\n\
         <endpoint name=\"f\"><authentication><hmac scheme=\"github\"/></authentication></endpoint>\n\
         </endpoint-folder>\n"
    );
    let dir = app(&[
        ("endpoints.xml", &endpoints_xml),
        ("security.xml", SECURITY_XML),
    ]);
    let mut cmd = Command::new(BIN);
    let out = cmd
        .arg("check")
        .arg(dir.path())
        .env_remove(VAR)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(dir.path().to_str().unwrap(), "APP");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            &*format!("APP/endpoints.xml:2:44: <bearer>: environment variable '{VAR}' is not set"),
            &format!("APP/endpoints.xml:3:123: <standard-webhooks-signature>: environment variable '{VAR}' is not set"),
            &format!("APP/endpoints.xml:4:75: <task id='save'/>: environment variable '{VAR}' is not set"),
            "APP/endpoints.xml:5:20: <task id='both'/>: give either base-directory=\"…\" or base-directory-from-environment-variable=\"VAR\", not both",
            "APP/endpoints.xml:6:20: <task id='neither'/> needs base-directory=\"…\" or base-directory-from-environment-variable=\"VAR\"",
            "APP/endpoints.xml:7:36: <hmac> needs secret=\"…\" or secret-from-environment-variable=\"VAR\"",
            "6 error(s), 0 warning(s)",
        ]
    );
    let out = Command::new(BIN)
        .arg("check")
        .arg(dir.path())
        .env(VAR, "")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches(&format!("environment variable '{VAR}' is empty"))
            .count(),
        3,
        "{err}"
    );
}
