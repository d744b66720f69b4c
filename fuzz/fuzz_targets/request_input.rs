//! Request parsing: the first line of the input is the request target (query string), the second the
//! `Content-Type` (so multipart boundaries and parameters are fuzzed too), the rest the body. `request::read` must
//! answer with an input or an error, keep to its limits, and leave no uploaded file behind once the input is dropped.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;

use endpoints::request::{self, Limits};

fn upload_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
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

fn line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let (target, rest) = line(data);
    let (content_type, body) = line(rest);
    let target = format!("/app/e?{}", String::from_utf8_lossy(target));
    let mut builder = http::Request::builder().method("POST");
    builder = match http::Uri::try_from(target.as_str()) {
        Ok(uri) => builder.uri(uri),
        Err(_) => builder.uri("/app/e"),
    };
    if let Ok(v) = http::HeaderValue::from_bytes(content_type) {
        builder = builder.header(http::header::CONTENT_TYPE, v);
    }
    let Ok(req) = builder.body(()) else { return };
    let (parts, ()) = req.into_parts();
    let limits = Limits {
        max_body_bytes: 64 * 1024,
        max_fields: 50,
        max_field_bytes: 4096,
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        upload_dir: Some(upload_dir().to_path_buf()),
        ..Limits::default()
    };
    let body = Full::new(Bytes::copy_from_slice(body));
    for raw in [false, true] {
        let result = runtime().block_on(request::read(&parts, body.clone(), &limits, raw, None));
        if let Ok(input) = result {
            assert!(input.params.len() + input.uploads.len() <= limits.max_fields);
            for u in &input.uploads {
                if let request::UploadData::File(p) = &u.data {
                    assert!(p.exists());
                }
            }
            if let Some(b) = &input.raw_body {
                assert!(b.len() as u64 <= limits.max_body_bytes);
            }
        }
        // Whatever happened, no upload stays on disk.
        assert_eq!(std::fs::read_dir(upload_dir()).unwrap().count(), 0);
    }
    let _ = request::from_query(&parts, None);
});
