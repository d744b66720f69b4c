//! The console's accept loop: its own listener beside the server's, a few connections at a time, a header timeout,
//! the health page's rate sampler, and a graceful shutdown together with the server (open log streams end first).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::auth::Access;
use super::context::Console;
use super::health_view::SAMPLE_EVERY;
use super::router;
use crate::server::State;

/// Most console connections open at once (further ones wait to be accepted).
const MAX_CONNECTIONS: usize = 64;
/// Time allowed for a request's line and headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a console connection stays open (a browser opens a new one when it needs it), so that idle
/// keep-alive connections cannot hold every slot.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// Serves the console on `listener` until `shutdown` completes, then lets open requests finish (up to `grace`).
/// `endpoints` is the server's own listener, where tried requests are sent.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    access: Arc<Access>,
    endpoints: SocketAddr,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let console = Arc::new(Console::new(state, access, endpoints, closing_rx));
    let sampler = {
        let console = console.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                console.rates.sample(&console.state);
            }
        })
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "console: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let console = console.clone();
                let service = service_fn(move |req| router::handle(console.clone(), req));
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    match tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
                        Ok(Err(e)) => tracing::debug!(error = %e, "console: connection ended with an error"),
                        Ok(Ok(())) => {}
                        Err(_) => tracing::debug!("console: connection closed after its lifetime"),
                    }
                    drop(permit);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    sampler.abort();
    let _ = closing.send(true);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("console: graceful shutdown timed out");
    }
    Ok(())
}
