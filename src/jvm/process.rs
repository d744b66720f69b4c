//! One running worker process: the calls in flight ([`Process`]), what it holds for us ([`Spec`]), and the two
//! threads that write frames to its stdin and read answers from its stdout.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::error::JvmError;
use super::protocol::{self, FrameBuilder};

/// What the worker must hold for a stylesheet or a FOP factory, kept so that a restarted worker gets it back.
#[derive(Debug, Clone)]
pub(super) enum Spec {
    Xslt {
        path: PathBuf,
        roots: Vec<PathBuf>,
        deny: Vec<PathBuf>,
    },
    Fop {
        config: Option<PathBuf>,
        font_base: PathBuf,
        image_base: PathBuf,
        roots: Vec<PathBuf>,
    },
}

impl Spec {
    pub(super) fn frame(&self, call: u64, object: u64) -> FrameBuilder {
        let paths = |v: &[PathBuf]| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        match self {
            Spec::Xslt { path, roots, deny } => {
                let (roots, deny) = (paths(roots), paths(deny));
                FrameBuilder::new(protocol::COMPILE_XSLT, call)
                    .u64(object)
                    .str(&path.display().to_string())
                    .strs(roots.iter().map(String::as_str))
                    .strs(deny.iter().map(String::as_str))
            }
            Spec::Fop {
                config,
                font_base,
                image_base,
                roots,
            } => {
                let roots = paths(roots);
                FrameBuilder::new(protocol::FOP_CONFIGURE, call)
                    .u64(object)
                    .str(
                        &config
                            .as_ref()
                            .map(|c| c.display().to_string())
                            .unwrap_or_default(),
                    )
                    .str(&font_base.display().to_string())
                    .str(&image_base.display().to_string())
                    .strs(roots.iter().map(String::as_str))
            }
        }
    }

    pub(super) fn release(&self, object: u64) -> Vec<u8> {
        let kind = match self {
            Spec::Xslt { .. } => protocol::RELEASE_XSLT,
            Spec::Fop { .. } => protocol::RELEASE_FOP,
        };
        FrameBuilder::new(kind, 0)
            .u64(object)
            .finish()
            .expect("small frame")
    }
}

pub(super) type Reply = Result<Vec<u8>, JvmError>;

pub(super) enum Waiter {
    Async(tokio::sync::oneshot::Sender<Reply>),
    Sync(SyncSender<Reply>),
}

impl Waiter {
    pub(super) fn send(self, r: Reply) {
        match self {
            Waiter::Async(tx) => {
                let _ = tx.send(r);
            }
            Waiter::Sync(tx) => {
                let _ = tx.try_send(r);
            }
        }
    }
}

pub(super) enum ToWorker {
    Frame(Vec<u8>),
    Close,
}

/// One running child process.
pub(super) struct Process {
    pub(super) pid: u32,
    pub(super) threads: usize,
    pub(super) tx: SyncSender<ToWorker>,
    pub(super) pending: Mutex<HashMap<u64, Waiter>>,
    /// Calls that timed out and may still be running in the worker.
    pub(super) abandoned: Mutex<HashSet<u64>>,
    pub(super) alive: AtomicBool,
    pub(super) child: Mutex<Option<Child>>,
    pub(super) description: String,
}

impl Process {
    pub(super) fn send(&self, frame: Vec<u8>) -> Result<(), JvmError> {
        // The channel holds more frames than calls may be in flight, so this does not block in practice.
        self.tx
            .send(ToWorker::Frame(frame))
            .map_err(|_| JvmError::Unavailable("the worker has stopped".into()))
    }

    pub(super) fn kill(&self) {
        if let Some(c) = self.child.lock().expect("child lock").as_mut() {
            let _ = c.kill();
        }
    }
}

pub(super) fn finish(frame: FrameBuilder) -> Result<(u64, Vec<u8>), JvmError> {
    let bytes = frame.finish().map_err(JvmError::TooLarge)?;
    let id = u64::from_be_bytes(bytes[5..13].try_into().expect("8 bytes"));
    Ok((id, bytes))
}

pub(super) fn write_frames(mut out: BufWriter<std::process::ChildStdin>, rx: Receiver<ToWorker>) {
    while let Ok(msg) = rx.recv() {
        let ToWorker::Frame(f) = msg else { break };
        if out.write_all(&f).is_err() {
            break;
        }
        // Write what is queued together, then flush once.
        loop {
            match rx.try_recv() {
                Ok(ToWorker::Frame(f)) => {
                    if out.write_all(&f).is_err() {
                        return;
                    }
                }
                Ok(ToWorker::Close) => return,
                Err(_) => break,
            }
        }
        if out.flush().is_err() {
            break;
        }
    }
    // Dropping `out` closes the worker's stdin: it exits.
}

pub(super) fn read_answers(
    mut input: BufReader<std::process::ChildStdout>,
    p: Arc<Process>,
    on_exit: impl FnOnce(&Arc<Process>, String),
) {
    loop {
        let frame = match protocol::read_frame(&mut input) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::error!(pid = p.pid, error = %e, "JVM worker: unreadable answer; stopping it");
                p.kill();
                break;
            }
        };
        let waiter = p.pending.lock().expect("pending lock").remove(&frame.id);
        let Some(w) = waiter else {
            // The answer to a call that timed out.
            p.abandoned
                .lock()
                .expect("abandoned lock")
                .remove(&frame.id);
            continue;
        };
        let reply = match frame.kind {
            protocol::OK => Ok(frame.payload),
            protocol::ERROR => match protocol::diagnostics(&frame.payload) {
                Ok(d) => Err(JvmError::Failed(d)),
                Err(e) => Err(JvmError::Protocol(e.to_string())),
            },
            k => Err(JvmError::Protocol(format!("unexpected frame kind {k:#x}"))),
        };
        w.send(reply);
    }
    p.alive.store(false, Ordering::Release);
    let status = p
        .child
        .lock()
        .expect("child lock")
        .take()
        .map(|mut c| {
            c.wait()
                .map(|s| s.to_string())
                .unwrap_or_else(|e| e.to_string())
        })
        .unwrap_or_default();
    on_exit(&p, status);
}
