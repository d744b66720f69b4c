//! A server running in the background (tests, embedding): start on an address, stop and wait for in-flight
//! requests, stop on drop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::listen::serve;
use super::state::State;

/// A server running in the background (for tests and embedding): its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Binds `addr` (port 0 for an ephemeral port) and serves `state` on the current runtime.
    pub async fn start(addr: SocketAddr, state: Arc<State>) -> std::io::Result<Running> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let task = tokio::spawn(async move {
            serve(
                listener,
                st,
                async {
                    let _ = rx.await;
                },
                Duration::from_secs(10),
            )
            .await
        });
        Ok(Running {
            addr,
            state,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// Stops accepting and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if let Err(e) = self.state.store.close().await {
            tracing::error!(error = %e, "cannot write the last request-log entries");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
