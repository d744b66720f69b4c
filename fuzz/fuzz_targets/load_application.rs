//! The application loader, from bytes, through the real `config::load`: the input is split on NUL bytes into
//! `endpoints.xml`, `security.xml`, a data source and a transformer (missing parts: a minimal valid file), written
//! into a fresh directory with a `static/` folder, and loaded. Any result is fine; a panic, a hang or a leak is not.
#![no_main]

use libfuzzer_sys::fuzz_target;

use endpoints::config::{self, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let endpoints = parts.next().unwrap_or_default();
    let security = parts
        .next()
        .unwrap_or(b"<security><secret-key>k</secret-key></security>");
    let data_source = parts.next();
    let transformer = parts.next();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("static/sub")).unwrap();
    std::fs::write(root.join("static/a.html"), "<p>a</p>").unwrap();
    std::fs::write(root.join("static/sub/b.png"), [0x89, b'P', b'N', b'G']).unwrap();
    std::fs::write(root.join("endpoints.xml"), endpoints).unwrap();
    std::fs::write(root.join("security.xml"), security).unwrap();
    if let Some(ds) = data_source {
        std::fs::create_dir_all(root.join("data-sources")).unwrap();
        std::fs::write(root.join("data-sources/d.xml"), ds).unwrap();
    }
    if let Some(t) = transformer {
        std::fs::create_dir_all(root.join("transformers")).unwrap();
        std::fs::write(root.join("transformers/t.xml"), t).unwrap();
    }
    for hash_check in [true, false] {
        let options = LoadOptions {
            name: Some("app".to_string()),
            hash_check,
            ..LoadOptions::default()
        };
        match config::load(root, &options) {
            Ok(app) => assert!(!app.name.is_empty()),
            Err(e) => {
                // Every error is reported with a message.
                assert!(!e.0.is_empty());
                for d in &e.0 {
                    assert!(!d.to_string().is_empty());
                }
            }
        }
    }
});
