//! The download-filename check and the redirect allowlist, through the public engine (`engine::execute` on a
//! loaded application; the checks themselves are private to `engine`). The input is the parameter value.
//! Checks: a download filename is sent only when it is `[A-Za-z0-9_.-]+`; an allowlisted redirect only goes under
//! an allowed prefix; every `Location` is an absolute URL that is a valid header value.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

use endpoints::config::{self, Application, LoadOptions};
use endpoints::engine::journal::Journal;
use endpoints::engine::{self, Environment, Settings};
use endpoints::request::RequestInput;
use endpoints::store::{sqlite::SqliteStore, Store};

const ENDPOINTS: &str = r#"<endpoint-folder>
    <parameter name="n" default-value="1"/>
    <parameter name="url" default-value="https://shop.example/"/>
    <endpoint name="download">
        <success><response-from-static filename="a.html" download-filename="f-${n}.html"/></success>
    </endpoint>
    <endpoint name="redirect">
        <success>
            <redirect-to>${url}</redirect-to>
            <redirect-prefix-whitelist-entry>https://shop.example/</redirect-prefix-whitelist-entry>
            <redirect-prefix-whitelist-entry>https://other.example/ok/</redirect-prefix-whitelist-entry>
        </success>
    </endpoint>
    <endpoint name="redirect-open"><success><redirect-to>${url}</redirect-to></success></endpoint>
    <endpoint name="redirect-query"><success><redirect-to>https://shop.example/p?x=${url}</redirect-to></success></endpoint>
</endpoint-folder>"#;

fn app() -> &'static Application {
    static APP: OnceLock<(tempfile::TempDir, Application)> = OnceLock::new();
    &APP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(dir.path().join("static/a.html"), "<p>a</p>").unwrap();
        std::fs::write(dir.path().join("endpoints.xml"), ENDPOINTS).unwrap();
        let options = LoadOptions {
            name: Some("app".into()),
            hash_check: false,
            ..LoadOptions::default()
        };
        let app = config::load(dir.path(), &options).unwrap_or_else(|e| panic!("{:?}", e.0));
        (dir, app)
    })
    .1
}

fn store() -> &'static Arc<dyn Store> {
    static STORE: OnceLock<Arc<dyn Store>> = OnceLock::new();
    STORE.get_or_init(|| Arc::new(SqliteStore::temporary().unwrap()))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn run(name: &str, value: &str) -> engine::Response {
    let app = app();
    let (index, _) = app.endpoint(name).unwrap();
    let input = RequestInput {
        params: vec![("n".into(), value.into()), ("url".into(), value.into())],
        ..RequestInput::default()
    };
    let settings = Settings {
        check_hash: false,
        ..Settings::default()
    };
    let hash_absent_accepted = std::sync::atomic::AtomicBool::new(false);
    runtime().block_on(engine::execute(engine::Call {
        app,
        endpoint: &app.endpoints[index],
        environment: Environment::Live,
        input: &input,
        input_failure: None,
        request_id: "fuzz",
        settings: &settings,
        outbox: Default::default(),
        journal: Journal::new(store(), "app", Environment::Live, 0, &settings),
        skip_authentication: false,
        hash_absent_accepted: &hash_absent_accepted,
    }))
}

fn check_location(l: &str) {
    assert!(http::HeaderValue::from_str(l).is_ok(), "{l:?}");
    let (scheme, _) = l.split_once(':').expect("absolute");
    assert!(
        scheme.starts_with(|c: char| c.is_ascii_alphabetic()),
        "{l:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let r = run("download", &value);
    match &r.download_filename {
        Some(name) => {
            assert!(r.status.is_success());
            assert_eq!(name, &format!("f-{value}.html"));
            // Any name that can be a file name, and a header that cannot be split.
            assert!(name.len() <= engine::MAX_DOWNLOAD_FILENAME_BYTES);
            assert!(!name.chars().any(|c| c == '/' || c == '\\' || c.is_control()));
            let cd = engine::content_disposition(name);
            assert!(http::HeaderValue::from_str(&cd).is_ok(), "{cd:?}");
            assert!(cd.is_ascii(), "{cd:?}");
        }
        None => assert!(!r.status.is_success(), "{value:?}"),
    }
    let r = run("redirect", &value);
    if let Some(l) = &r.location {
        check_location(l);
        assert!(
            l.starts_with("https://shop.example/") || l.starts_with("https://other.example/ok/"),
            "{l:?}"
        );
    }
    for name in ["redirect-open", "redirect-query"] {
        let r = run(name, &value);
        if let Some(l) = &r.location {
            check_location(l);
            if name == "redirect-query" {
                assert!(l.starts_with("https://shop.example/p?x="));
            }
        }
    }
});
