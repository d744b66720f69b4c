//! Hostile and careless clients: oversized bodies, too many fields, slow bodies and slow headers.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Options, TestServer};
use endpoints::request::Limits;
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn small_limits() -> Options {
    Options {
        limits: Limits {
            max_body_bytes: 64 * 1024,
            max_fields: 20,
            max_field_bytes: 1024,
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            upload_dir: None,
            // Uploads go to files, so that the tests see partial ones removed.
            upload_memory_bytes: 0,
            ..Limits::default()
        },
        ..Options::default()
    }
}

/// Reads what the server sends until it closes the connection or `limit` passes.
async fn read_until_close(c: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, c.read(&mut chunk)).await {
            Err(_) => return (buf, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (buf, true),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_gets_413() {
    let s = TestServer::fixture_with("core", small_limits(), |_| {}).await;
    let h = s.hash("echo-t", &[]);
    // Declared too large: refused before the body is read.
    let body = Bytes::from(vec![b'a'; 100 * 1024]);
    let r = s
        .send(
            Method::POST,
            &format!("/app/echo-t?hash={h}"),
            &[("content-type", "application/x-www-form-urlencoded")],
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.text(), "request body is larger than 65536 bytes\n");
    // Chunked (no Content-Length): cut off while streaming.
    let mut c = TcpStream::connect(s.running.addr).await.unwrap();
    let head = format!(
        "POST /app/upload?hash={} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n",
        s.hash("upload", &[])
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let part = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n";
    c.write_all(format!("{:x}\r\n", part.len()).as_bytes())
        .await
        .unwrap();
    c.write_all(part).await.unwrap();
    c.write_all(b"\r\n").await.unwrap();
    let chunk = vec![b'z'; 16 * 1024];
    for _ in 0..8 {
        if c.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
        {
            break;
        }
        if c.write_all(&chunk).await.is_err() || c.write_all(b"\r\n").await.is_err() {
            break;
        }
    }
    let (resp, _) = read_until_close(&mut c, Duration::from_secs(10)).await;
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert_eq!(
        std::fs::read_dir(s.upload_dir.path()).unwrap().count(),
        0,
        "partial upload removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_fields_or_too_large_field_gets_413() {
    let s = TestServer::fixture_with("core", small_limits(), |_| {}).await;
    let h = s.hash("echo-t", &[]);
    let query: String = (0..30).map(|i| format!("x{i}=1&")).collect();
    let r = s.get(&format!("/app/echo-t?{query}t=1&hash={h}")).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let big = "a".repeat(2000);
    let r = s
        .post_form(&format!("/app/echo-t?hash={h}"), &format!("t={big}"))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.text(), "field 't' is larger than 1024 bytes\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_body_gets_408() {
    let s = TestServer::fixture_with("core", small_limits(), |_| {}).await;
    let mut c = TcpStream::connect(s.running.addr).await.unwrap();
    let head = format!(
        "POST /app/echo-t?hash={} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nt=1",
        s.hash("echo-t", &[])
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (resp, _) = read_until_close(&mut c, Duration::from_secs(10)).await;
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.to_ascii_lowercase().contains("connection: close"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    let s = TestServer::fixture_with("core", small_limits(), |_| {}).await;
    let mut c = TcpStream::connect(s.running.addr).await.unwrap();
    c.write_all(b"GET /app/plain HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (resp, closed) = read_until_close(&mut c, Duration::from_secs(10)).await;
    assert!(
        closed,
        "the server closes a connection whose headers do not arrive"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let resp = String::from_utf8_lossy(&resp);
    assert!(
        resp.is_empty() || resp.starts_with("HTTP/1.1 408"),
        "{resp}"
    );
    // The server still serves others.
    let r = s
        .get(&format!("/app/plain?foo=1&hash={}", s.hash("plain", &[])))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_headers_are_refused() {
    let s = TestServer::fixture("core").await;
    let mut c = TcpStream::connect(s.running.addr).await.unwrap();
    let big = "a".repeat(300 * 1024);
    let _ = c
        .write_all(format!("GET /app/plain HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").as_bytes())
        .await;
    let (resp, closed) = read_until_close(&mut c, Duration::from_secs(10)).await;
    let resp = String::from_utf8_lossy(&resp);
    assert!(closed);
    assert!(
        resp.is_empty() || resp.starts_with("HTTP/1.1 431"),
        "{resp}"
    );
}
