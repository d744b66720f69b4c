//! The console's accept loop: its own listener beside the server's, a few connections at a time, a header timeout,
//! and a graceful shutdown together with the server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::auth::Access;
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
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    access: Arc<Access>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
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
                let (state, access) = (state.clone(), access.clone());
                let service = service_fn(move |req| router::handle(state.clone(), access.clone(), req));
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
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("console: graceful shutdown timed out");
    }
    Ok(())
}
