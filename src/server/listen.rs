//! The accept loop: hyper's connection settings (HTTP/1.1 keep-alive and h2c on one port), the header and idle
//! timeouts, the connection limit and graceful shutdown. Each request goes to [`handler::handle`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use super::connections;
use super::handler;
use super::state::State;

/// How long a connection closed for being idle may take to say goodbye (HTTP/2 GOAWAY) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Accepts connections until `shutdown` completes, then lets in-flight requests finish (up to `grace`).
///
/// Every connection is bounded: its first request must start within the header timeout from accept, an idle one
/// is closed after the idle timeout, and at most `max_connections` are open (see [`connections`]).
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let limits = &state.limits;
    let (header_timeout, idle_timeout) = (limits.header_timeout, limits.idle_timeout);
    let check = header_timeout.min(idle_timeout);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        .max_buf_size(256 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024)
        // A peer that stops answering pings is gone, also while a request of its is running.
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let builder = Arc::new(builder);
    let open = Arc::new(connections::Connections::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors: make room and back off instead of spinning.
                        let no_files = matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
                        if no_files {
                            open.shed_one();
                        }
                        tracing::warn!(error = %e, open = open.len(), "accept failed");
                        tokio::time::sleep(Duration::from_millis(if no_files { 20 } else { 50 })).await;
                        continue;
                    }
                };
                let Some((id, tracked)) = open.admit() else {
                    tracing::debug!(peer = %peer, "connection refused: every open connection is busy");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let t = tracked.clone();
                let service = service_fn(move |req| {
                    let guard = t.request();
                    let answer = handler::handle(state.clone(), peer, req);
                    async move {
                        let r = answer.await;
                        drop(guard);
                        r
                    }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let open = open.clone();
                let mut stopping = stopping.clone();
                tokio::spawn(async move {
                    let mut conn = std::pin::pin!(conn);
                    // Set once the connection has been asked to close: after it, it is dropped.
                    let mut closing: Option<tokio::time::Instant> = None;
                    loop {
                        // Requests do not wake this task (that would cost on every request): it looks again at
                        // least every `check`, so a deadline that moved earlier is kept to within that.
                        let next_look = tokio::time::Instant::now() + check;
                        let wake = closing.unwrap_or_else(|| {
                            tracked
                                .deadline(header_timeout, idle_timeout)
                                .map_or(next_look, |d| d.min(next_look))
                        });
                        tokio::select! {
                            r = conn.as_mut() => {
                                if let Err(e) = r {
                                    tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                                }
                                break;
                            }
                            () = tracked.shed.notified() => {
                                tracing::debug!(peer = %peer, "idle connection closed to make room");
                                break;
                            }
                            _ = stopping.changed(), if closing.is_none() => {
                                conn.as_mut().graceful_shutdown();
                                closing = Some(tokio::time::Instant::now() + grace);
                            }
                            () = tokio::time::sleep_until(wake) => {
                                if closing.is_some() {
                                    break;
                                }
                                let due = tracked.deadline(header_timeout, idle_timeout);
                                if due.is_some_and(|d| d <= tokio::time::Instant::now()) {
                                    tracing::debug!(peer = %peer, "idle connection closed");
                                    conn.as_mut().graceful_shutdown();
                                    closing = Some(tokio::time::Instant::now() + CLOSE_GRACE);
                                }
                            }
                        }
                    }
                    open.remove(id);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async {
        while !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("graceful shutdown timed out; closing remaining connections");
    }
    Ok(())
}
