//! `<response-from-static>` over real HTTP: downloads, content types, validators, conditional GET and ranges,
//! streaming of files too large to be held in memory.

mod common;

use bytes::Bytes;
use common::TestServer;
use http::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_filename_tv24() {
    let s = TestServer::fixture("core").await;
    let h = s.hash("download", &[]);
    let r = s.get(&format!("/app/download?hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"spheres-123.png\"")
    );
    let file = std::fs::read(s.app_dir.join("static/sub/spheres.png")).unwrap();
    assert_eq!(&r.body[..], &file[..]);
    // Unlike the reference (a space or a non-ASCII letter → 500), any name that can be a file name is served: plain ASCII
    // as it is, anything else with an ASCII fallback and RFC 8187's filename*.
    let r = s.get(&format!("/app/download?n=1%202&hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"spheres-1 2.png\"")
    );
    let r = s.get(&format!("/app/download?n=%C3%A4&hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"spheres-a.png\"; filename*=UTF-8''spheres-%C3%A4.png")
    );
    // A name that cannot be a file name: 400, no download, the name not echoed.
    for bad in ["..%2Fx", "a%5Cb", "x%0D%0Ay"] {
        let r = s.get(&format!("/app/download?n={bad}&hash={h}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.header("content-disposition"), None);
        assert!(!r.text().contains("spheres-"), "{}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_and_ranges_small_file() {
    let s = TestServer::fixture("core").await;
    let url = format!("/app/page?hash={}", s.hash("page", &[]));
    let r = s.get(&url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let etag = r.header("etag").unwrap().to_string();
    let last_modified = r.header("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));

    let r = s
        .send(Method::GET, &url, &[("if-none-match", &etag)], Bytes::new())
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = s
        .send(
            Method::GET,
            &url,
            &[("if-none-match", "\"other\", W/\"x\"")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .send(
            Method::GET,
            &url,
            &[("if-modified-since", &last_modified)],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = s
        .send(
            Method::GET,
            &url,
            &[("if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = s
        .send(Method::GET, &url, &[("range", "bytes=6-11")], Bytes::new())
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.text(), "<body>");
    assert_eq!(r.header("content-range"), Some("bytes 6-11/29"));
    let r = s
        .send(Method::GET, &url, &[("range", "bytes=-3")], Bytes::new())
        .await;
    assert_eq!(r.text(), "ml>\n".get(1..).unwrap());
    let r = s
        .send(Method::GET, &url, &[("range", "bytes=100-")], Bytes::new())
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), Some("bytes */29"));
    let r = s
        .send(
            Method::GET,
            &url,
            &[("range", "bytes=0-1"), ("if-range", "\"stale\"")],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "If-Range that does not match gives the whole file"
    );
    // POST is never answered with 304 or 206
    let r = s
        .send(
            Method::POST,
            &url,
            &[("range", "bytes=0-1"), ("if-none-match", &etag)],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 29);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_is_streamed_with_ranges() {
    let s = TestServer::fixture("core").await;
    let url = format!("/app/big?hash={}", s.hash("big", &[]));
    let expected = common::generated(1024 * 1024);
    let r = s.get(&url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-length"), Some("1048576"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(r.body == expected[..], "body differs");
    let r = s
        .send(
            Method::GET,
            &url,
            &[("range", "bytes=500000-700000")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.header("content-range"),
        Some("bytes 500000-700000/1048576")
    );
    assert!(r.body == expected[500000..=700000]);
    let etag = s.get(&url).await.header("etag").unwrap().to_string();
    let r = s
        .send(Method::GET, &url, &[("if-none-match", &etag)], Bytes::new())
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = s.send(Method::HEAD, &url, &[], Bytes::new()).await;
    assert_eq!(r.header("content-length"), Some("1048576"));
    assert!(r.body.is_empty());
    // A file changed on disk after load is served as it is now, with new validators.
    std::fs::write(s.app_dir.join("static/big.bin"), b"short now").unwrap();
    let r = s.get(&url).await;
    assert_eq!(r.text(), "short now");
    assert_ne!(r.header("etag"), Some(etag.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_200_success_has_no_conditional_handling() {
    let s = TestServer::fixture("core").await;
    let url = format!("/app/created-page?hash={}", s.hash("created-page", &[]));
    let r = s.get(&url).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let etag = r.header("etag").unwrap().to_string();
    let r = s
        .send(
            Method::GET,
            &url,
            &[("if-none-match", &etag), ("range", "bytes=0-1")],
            Bytes::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.text(), "<html><body>en</body></html>\n");
}
