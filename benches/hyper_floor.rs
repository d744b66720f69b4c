//! The floor of the HTTP workloads (bench/run.sh, workloads 1–3): the engine's own hyper setup (HTTP/1.1 and h2c
//! on one port, keep-alive, header-read timer, the same tokio runtime) answering `200 ok` to every request, with
//! no routing, parsing, hash check or logging. What a hyper-based server cannot beat on this machine.
//!
//! `cargo bench --bench hyper_floor -- --listen 127.0.0.1:18082` serves until killed; without arguments it
//! prints how to use it and exits (so that `cargo bench` does not hang).

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(addr) = args
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| args.get(i + 1))
    else {
        println!("hyper_floor: pass --listen ADDR to serve (used by bench/run.sh)");
        return;
    };
    let addr: std::net::SocketAddr = addr.parse().expect("--listen ADDR");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        println!(
            "serving on http://{}",
            listener.local_addr().expect("address")
        );
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(20))
            .keep_alive(true)
            .max_buf_size(256 * 1024);
        let builder = std::sync::Arc::new(builder);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let builder = builder.clone();
            tokio::spawn(async move {
                let service = service_fn(|_req: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
