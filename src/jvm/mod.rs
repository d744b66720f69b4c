//! The supervised JVM worker: Saxon-HE (XSLT 2.0/3.0) and Apache FOP (XSL-FO → PDF), kept warm in one child
//! process per engine process.
//!
//! * Started only when something needs it: the first stylesheet routed to Saxon or the first PDF transformer of a
//!   loaded application. [`global`] is the process's one worker; [`configure`] sets its options before first use.
//! * Calls are framed ([`protocol`]) over the child's stdin/stdout; many are in flight at once (the worker runs them
//!   on a thread pool sized to the cores); at most [`Options::max_in_flight`] at a time, later callers wait
//!   (back-pressure) until the call timeout.
//! * Stylesheets are compiled once per load ([`SaxonStylesheet`], a handle kept by the loaded application) and
//!   released when the application that holds them is dropped after a reload. FOP factories likewise
//!   ([`PdfRenderer`], one per application).
//! * Supervision: every call has a timeout; a worker that dies (or is wedged: as many timed-out calls still running
//!   as it has threads) is restarted with backoff (1 s, doubling to 30 s) and only the calls then in flight fail;
//!   the restarted worker gets every live stylesheet and FOP factory back before it takes calls. The worker exits
//!   on its own when its stdin closes, so it never outlives the engine, even one killed with SIGKILL.
//! * The child's environment is emptied (only `PATH` and `LANG`), so stylesheets cannot read the engine's secrets
//!   through `environment-variable()`.

mod launch;
pub mod protocol;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

pub use launch::{fop_class_path, saxon_jar, Installation};
pub use protocol::Diagnostic;
use protocol::FrameBuilder;

/// What can go wrong with a call to the worker.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JvmError {
    /// Java, Saxon or FOP is missing; the message names the Debian package.
    #[error("{0}")]
    NotInstalled(String),
    #[error("the JVM worker could not be started: {0}")]
    Start(String),
    #[error("the JVM worker is not available: {0}")]
    Unavailable(String),
    #[error("the JVM worker did not answer within {0} s")]
    Timeout(u64),
    #[error("the JVM worker is busy: no call slot became free within {0} s")]
    Busy(u64),
    #[error("a call to the JVM worker of {0} bytes is too large")]
    TooLarge(usize),
    /// The worker answered with an error (XSLT static or dynamic error, FOP error).
    #[error("{}", join_diagnostics(.0))]
    Failed(Vec<Diagnostic>),
    #[error("the JVM worker sent a malformed answer: {0}")]
    Protocol(String),
}

fn join_diagnostics(list: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in list {
        if !s.is_empty() {
            s.push_str("; ");
        }
        if !d.file.is_empty() {
            s.push_str(&d.file);
            if d.line > 0 {
                s.push_str(&format!(":{}", d.line));
                if d.column > 0 {
                    s.push_str(&format!(":{}", d.column));
                }
            }
            s.push_str(": ");
        }
        s.push_str(&d.message);
    }
    if s.is_empty() {
        s.push_str("the JVM worker reported an error without a message");
    }
    s
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-Xmx` of the JVM, e.g. `512m`.
    pub max_heap: String,
    /// Worker threads inside the JVM (default: the number of cores).
    pub threads: usize,
    /// Longest a transformation or PDF rendering may take.
    pub call_timeout: Duration,
    /// Calls in flight at once; further callers wait for a slot.
    pub max_in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            max_heap: "512m".into(),
            threads: cores,
            call_timeout: Duration::from_secs(60),
            max_in_flight: 64 * cores,
        }
    }
}

/// Compiling a stylesheet may take long the first time (a cold JVM).
const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest the worker may take to say READY.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

static OPTIONS: OnceLock<Options> = OnceLock::new();
static GLOBAL: OnceLock<Arc<Jvm>> = OnceLock::new();

/// Sets the options of the process's worker; false when it was already configured or in use.
pub fn configure(options: Options) -> bool {
    OPTIONS.set(options).is_ok() && GLOBAL.get().is_none()
}

/// The process's one worker (not started until the first call).
pub fn global() -> &'static Arc<Jvm> {
    GLOBAL.get_or_init(|| Jvm::new(OPTIONS.get().cloned().unwrap_or_default()))
}

/// The worker's state if it was ever needed in this process (for `/health-check` and `/metrics`).
pub fn status() -> Option<Status> {
    GLOBAL.get().map(|j| j.status())
}

/// Stops the worker if it runs (graceful shutdown).
pub fn shutdown() {
    if let Some(j) = GLOBAL.get() {
        j.shutdown();
    }
}

/// A snapshot of the worker for health checks and metrics.
#[derive(Debug, Clone)]
pub struct Status {
    /// `running`, `starting`, `restarting`, `stopped` or `failed`.
    pub state: &'static str,
    pub pid: Option<u32>,
    pub description: String,
    pub in_flight: usize,
    pub calls: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub restarts: u64,
    pub last_failure: Option<String>,
}

/// What the worker must hold for a stylesheet or a FOP factory, kept so that a restarted worker gets it back.
#[derive(Debug, Clone)]
enum Spec {
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
    fn frame(&self, call: u64, object: u64) -> FrameBuilder {
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

    fn release(&self, object: u64) -> Vec<u8> {
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

type Reply = Result<Vec<u8>, JvmError>;

enum Waiter {
    Async(tokio::sync::oneshot::Sender<Reply>),
    Sync(SyncSender<Reply>),
}

impl Waiter {
    fn send(self, r: Reply) {
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

enum ToWorker {
    Frame(Vec<u8>),
    Close,
}

/// One running child process.
struct Process {
    pid: u32,
    threads: usize,
    tx: SyncSender<ToWorker>,
    pending: Mutex<HashMap<u64, Waiter>>,
    /// Calls that timed out and may still be running in the worker.
    abandoned: Mutex<HashSet<u64>>,
    alive: AtomicBool,
    child: Mutex<Option<Child>>,
    description: String,
}

impl Process {
    fn send(&self, frame: Vec<u8>) -> Result<(), JvmError> {
        // The channel holds more frames than calls may be in flight, so this does not block in practice.
        self.tx
            .send(ToWorker::Frame(frame))
            .map_err(|_| JvmError::Unavailable("the worker has stopped".into()))
    }

    fn kill(&self) {
        if let Some(c) = self.child.lock().expect("child lock").as_mut() {
            let _ = c.kill();
        }
    }
}

#[derive(Default)]
struct Stats {
    calls: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    restarts: AtomicU64,
    latency: crate::server::metrics::Histogram,
}

struct Supervisor {
    current: Option<Arc<Process>>,
    starting: bool,
    /// Consecutive failed or crashed starts, for the backoff.
    crashes: u32,
    not_before: Option<Instant>,
    last_failure: Option<String>,
    installation: Option<Result<Installation, JvmError>>,
}

/// The worker and its supervisor. Use [`global`].
pub struct Jvm {
    options: Options,
    me: Weak<Jvm>,
    supervisor: Mutex<Supervisor>,
    registry: Mutex<HashMap<u64, Spec>>,
    next_id: AtomicU64,
    permits: tokio::sync::Semaphore,
    stats: Stats,
    shut_down: AtomicBool,
}

impl Jvm {
    fn new(options: Options) -> Arc<Jvm> {
        Arc::new_cyclic(|me| Jvm {
            permits: tokio::sync::Semaphore::new(options.max_in_flight.max(1)),
            options,
            me: me.clone(),
            supervisor: Mutex::new(Supervisor {
                current: None,
                starting: false,
                crashes: 0,
                not_before: None,
                last_failure: None,
                installation: None,
            }),
            registry: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            stats: Stats::default(),
            shut_down: AtomicBool::new(false),
        })
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Finds Java and the libraries (once; the answer is kept).
    pub fn installation(&self) -> Result<Installation, JvmError> {
        let mut s = self.supervisor.lock().expect("supervisor lock");
        s.installation.get_or_insert_with(launch::prepare).clone()
    }

    /// The running process, starting it (blocking, up to a minute) when there is none.
    fn process_blocking(&self) -> Result<Arc<Process>, JvmError> {
        let mut s = self.supervisor.lock().expect("supervisor lock");
        if let Some(p) = s
            .current
            .as_ref()
            .filter(|p| p.alive.load(Ordering::Acquire))
        {
            return Ok(p.clone());
        }
        if self.shut_down.load(Ordering::Acquire) {
            return Err(JvmError::Unavailable("the engine is shutting down".into()));
        }
        if let Some(t) = s.not_before {
            let now = Instant::now();
            if t > now {
                return Err(JvmError::Unavailable(format!(
                    "it failed ({}) and restarts in {} ms",
                    s.last_failure.as_deref().unwrap_or("unknown reason"),
                    (t - now).as_millis()
                )));
            }
        }
        let install = s.installation.get_or_insert_with(launch::prepare).clone()?;
        s.starting = true;
        let started = self.spawn(&install);
        s.starting = false;
        match started {
            Ok(p) => {
                if s.current.is_some() {
                    self.stats.restarts.fetch_add(1, Ordering::Relaxed);
                }
                s.current = Some(p.clone());
                s.not_before = None;
                Ok(p)
            }
            Err(e) => {
                s.crashes += 1;
                s.not_before = Some(Instant::now() + backoff(s.crashes));
                s.last_failure = Some(e.to_string());
                tracing::error!(error = %e, "the JVM worker could not be started");
                Err(e)
            }
        }
    }

    /// The running process for an async caller (a start runs on the blocking pool).
    async fn process(&self) -> Result<Arc<Process>, JvmError> {
        {
            let s = self.supervisor.lock().expect("supervisor lock");
            if let Some(p) = s
                .current
                .as_ref()
                .filter(|p| p.alive.load(Ordering::Acquire))
            {
                return Ok(p.clone());
            }
        }
        let me = self
            .me
            .upgrade()
            .ok_or_else(|| JvmError::Unavailable("dropped".into()))?;
        tokio::task::spawn_blocking(move || me.process_blocking())
            .await
            .map_err(|e| JvmError::Unavailable(e.to_string()))?
    }

    /// Starts the child, waits for READY and gives it every live stylesheet and factory.
    fn spawn(&self, install: &Installation) -> Result<Arc<Process>, JvmError> {
        let threads = self.options.threads.max(1);
        let mut cmd = Command::new(&install.java);
        cmd.arg(format!("-Xmx{}", self.options.max_heap))
            .arg("-XX:+UseSerialGC")
            .arg("-Xss4m")
            .arg("-Djava.awt.headless=true")
            .arg("-Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog")
            .arg("-cp")
            .arg(format!(
                "{}:{}",
                install.classes.display(),
                install.class_path
            ))
            .arg("endpoints.worker.Main")
            .arg("--threads")
            .arg(threads.to_string())
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| JvmError::Start(format!("cannot run {}: {e}", install.java.display())))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let pid = child.id();

        // Anything the worker prints goes to our log.
        std::thread::Builder::new()
            .name("jvm-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(m) = line.strip_prefix("xsl:message: ") {
                        tracing::info!(pid, "xsl:message: {m}");
                    } else {
                        tracing::warn!(pid, "JVM worker: {line}");
                    }
                }
            })
            .map_err(|e| JvmError::Start(e.to_string()))?;

        let mut stdout = BufReader::with_capacity(64 * 1024, stdout);
        let ready = std::thread::scope(|scope| {
            let reading = scope.spawn(|| protocol::read_frame(&mut stdout));
            let deadline = Instant::now() + START_TIMEOUT;
            while !reading.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !reading.is_finished() {
                let _ = child.kill();
            }
            reading.join().expect("reader thread")
        });
        let description = match ready {
            Ok(Some(f)) if f.kind == protocol::READY => {
                protocol::Payload::new(&f.payload).str().unwrap_or_default()
            }
            other => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(JvmError::Start(format!(
                    "it did not report READY within {} s ({}; exit {status}); see the log for its output",
                    START_TIMEOUT.as_secs(),
                    match other {
                        Ok(Some(f)) => format!("first frame kind {:#x}", f.kind),
                        Ok(None) => "it closed its output".into(),
                        Err(e) => e.to_string(),
                    }
                )));
            }
        };

        let (tx, rx) = sync_channel::<ToWorker>(self.options.max_in_flight * 2 + 256);
        let process = Arc::new(Process {
            pid,
            threads,
            tx,
            pending: Mutex::new(HashMap::new()),
            abandoned: Mutex::new(HashSet::new()),
            alive: AtomicBool::new(true),
            child: Mutex::new(Some(child)),
            description,
        });
        std::thread::Builder::new()
            .name("jvm-writer".into())
            .spawn(move || write_frames(BufWriter::with_capacity(64 * 1024, stdin), rx))
            .map_err(|e| JvmError::Start(e.to_string()))?;
        let (p, me) = (process.clone(), self.me.clone());
        std::thread::Builder::new()
            .name("jvm-reader".into())
            .spawn(move || read_answers(stdout, p, me))
            .map_err(|e| JvmError::Start(e.to_string()))?;

        // A restarted worker gets everything the loaded applications hold.
        let specs: Vec<(u64, Spec)> = self
            .registry
            .lock()
            .expect("registry lock")
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for (object, spec) in specs {
            if let Err(e) =
                self.call_blocking(&process, spec.frame(self.id(), object), COMPILE_TIMEOUT)
            {
                tracing::error!(error = %e, "JVM worker restart: could not re-create {spec:?}");
            }
        }
        tracing::info!(pid, worker = %process.description, "JVM worker started");
        Ok(process)
    }

    /// One call from a thread that may block (loading).
    fn call_blocking(
        &self,
        p: &Process,
        frame: FrameBuilder,
        timeout: Duration,
    ) -> Result<Vec<u8>, JvmError> {
        let (id, frame) = finish(frame)?;
        let (tx, rx): (SyncSender<Reply>, Receiver<Reply>) = sync_channel(1);
        p.pending
            .lock()
            .expect("pending lock")
            .insert(id, Waiter::Sync(tx));
        if let Err(e) = p.send(frame) {
            p.pending.lock().expect("pending lock").remove(&id);
            return Err(e);
        }
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => {
                self.timed_out(p, id);
                Err(JvmError::Timeout(timeout.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(JvmError::Unavailable("the worker stopped".into()))
            }
        }
    }

    /// One call from async code: waits for a slot, then for the answer, both within the call timeout.
    async fn call(&self, build: impl FnOnce(u64) -> FrameBuilder) -> Result<Vec<u8>, JvmError> {
        let timeout = self.options.call_timeout;
        let started = Instant::now();
        let _permit = tokio::time::timeout(timeout, self.permits.acquire())
            .await
            .map_err(|_| JvmError::Busy(timeout.as_secs()))?
            .map_err(|_| JvmError::Unavailable("closed".into()))?;
        let p = self.process().await?;
        // A worker being (re)started has its own limit: the call's own time starts now.
        let (id, frame) = finish(build(self.id()))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        p.pending
            .lock()
            .expect("pending lock")
            .insert(id, Waiter::Async(tx));
        if let Err(e) = p.send(frame) {
            p.pending.lock().expect("pending lock").remove(&id);
            return Err(e);
        }
        let result = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(JvmError::Unavailable("the worker stopped".into())),
            Err(_) => {
                self.timed_out(&p, id);
                Err(JvmError::Timeout(timeout.as_secs()))
            }
        };
        self.stats.calls.fetch_add(1, Ordering::Relaxed);
        self.stats.latency.observe(started.elapsed());
        match &result {
            Ok(_) => {}
            Err(JvmError::Timeout(_)) => {
                self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    /// A call that ran out of time: the worker is asked to cancel it; when as many such calls are still running
    /// as the worker has threads, the worker is wedged and is restarted.
    fn timed_out(&self, p: &Process, id: u64) {
        p.pending.lock().expect("pending lock").remove(&id);
        let stuck = {
            let mut a = p.abandoned.lock().expect("abandoned lock");
            a.insert(id);
            a.len()
        };
        let cancel = FrameBuilder::new(protocol::CANCEL, self.id())
            .u64(id)
            .finish()
            .expect("small frame");
        let _ = p.tx.try_send(ToWorker::Frame(cancel));
        if stuck >= p.threads {
            tracing::error!(
                pid = p.pid,
                stuck,
                "the JVM worker has as many timed-out calls running as it has threads: restarting it"
            );
            p.kill();
        }
    }

    /// Registers an object (stylesheet or FOP factory) and creates it in the worker.
    fn create(&self, spec: Spec) -> Result<u64, JvmError> {
        let object = self.id();
        self.registry
            .lock()
            .expect("registry lock")
            .insert(object, spec.clone());
        let result = self
            .process_blocking()
            .and_then(|p| self.call_blocking(&p, spec.frame(self.id(), object), COMPILE_TIMEOUT));
        match result {
            Ok(_) => Ok(object),
            Err(e) => {
                self.registry.lock().expect("registry lock").remove(&object);
                Err(e)
            }
        }
    }

    fn release(&self, object: u64) {
        let spec = self.registry.lock().expect("registry lock").remove(&object);
        let Some(spec) = spec else { return };
        // Never wait for a worker being started: it is given only what is still registered.
        let current = match self.supervisor.try_lock() {
            Ok(s) => s.current.clone(),
            Err(_) => None,
        };
        if let Some(p) = current {
            let _ = p.tx.try_send(ToWorker::Frame(spec.release(object)));
        }
    }

    /// Asks the worker whether it answers (within `timeout`); starts it when it is not running.
    pub async fn ping(&self, timeout: Duration) -> Result<(), JvmError> {
        let call = self.call(|id| FrameBuilder::new(protocol::PING, id));
        match tokio::time::timeout(timeout, call).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(JvmError::Timeout(timeout.as_secs())),
        }
    }

    /// Whether a process was ever started (health checks only ping a worker that is in use).
    pub fn in_use(&self) -> bool {
        !self.registry.lock().expect("registry lock").is_empty()
    }

    /// Durations of the calls made from requests (transformations, PDF renderings).
    pub fn latency(&self) -> &crate::server::metrics::Histogram {
        &self.stats.latency
    }

    /// Never waits: while the supervisor is busy starting the worker, that is what it reports.
    pub fn status(&self) -> Status {
        let s = match self.supervisor.try_lock() {
            Ok(s) => s,
            Err(_) => {
                return Status {
                    state: "starting",
                    pid: None,
                    description: String::new(),
                    in_flight: 0,
                    calls: self.stats.calls.load(Ordering::Relaxed),
                    errors: self.stats.errors.load(Ordering::Relaxed),
                    timeouts: self.stats.timeouts.load(Ordering::Relaxed),
                    restarts: self.stats.restarts.load(Ordering::Relaxed),
                    last_failure: None,
                }
            }
        };
        let alive = s
            .current
            .as_ref()
            .filter(|p| p.alive.load(Ordering::Acquire));
        let state = if s.starting {
            if s.current.is_some() {
                "restarting"
            } else {
                "starting"
            }
        } else if alive.is_some() {
            "running"
        } else if s.not_before.is_some() {
            "failed"
        } else {
            "stopped"
        };
        Status {
            state,
            pid: alive.map(|p| p.pid),
            description: alive.map(|p| p.description.clone()).unwrap_or_default(),
            in_flight: alive.map_or(0, |p| p.pending.lock().expect("pending lock").len()),
            calls: self.stats.calls.load(Ordering::Relaxed),
            errors: self.stats.errors.load(Ordering::Relaxed),
            timeouts: self.stats.timeouts.load(Ordering::Relaxed),
            restarts: self.stats.restarts.load(Ordering::Relaxed),
            last_failure: s.last_failure.clone(),
        }
    }

    /// Closes the worker's stdin (it exits), waits up to 3 s, then kills it.
    pub fn shutdown(&self) {
        self.shut_down.store(true, Ordering::Release);
        let p = self
            .supervisor
            .lock()
            .expect("supervisor lock")
            .current
            .take();
        let Some(p) = p else { return };
        let _ = p.tx.try_send(ToWorker::Close);
        let deadline = Instant::now() + Duration::from_secs(3);
        while p.alive.load(Ordering::Acquire) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if p.alive.load(Ordering::Acquire) {
            p.kill();
        }
    }

    /// The reader saw the worker go: fail what was in flight and restart it after the backoff.
    fn on_exit(&self, p: &Arc<Process>, status: String) {
        let pending: Vec<Waiter> = p
            .pending
            .lock()
            .expect("pending lock")
            .drain()
            .map(|(_, w)| w)
            .collect();
        let failed = pending.len();
        for w in pending {
            w.send(Err(JvmError::Unavailable(format!(
                "the worker stopped ({status}) during the call"
            ))));
        }
        if self.shut_down.load(Ordering::Acquire) {
            return;
        }
        let delay = {
            let mut s = self.supervisor.lock().expect("supervisor lock");
            if !s.current.as_ref().is_some_and(|c| Arc::ptr_eq(c, p)) {
                return;
            }
            s.crashes += 1;
            let d = backoff(s.crashes);
            s.not_before = Some(Instant::now() + d);
            s.last_failure = Some(format!("exited with {status}"));
            d
        };
        tracing::error!(
            pid = p.pid,
            %status,
            failed_calls = failed,
            "the JVM worker stopped; restarting it in {} ms",
            delay.as_millis()
        );
        let me = self.me.clone();
        let _ = std::thread::Builder::new()
            .name("jvm-restart".into())
            .spawn(move || {
                std::thread::sleep(delay);
                if let Some(j) = me.upgrade() {
                    {
                        let mut s = j.supervisor.lock().expect("supervisor lock");
                        s.not_before = None;
                    }
                    if j.process_blocking().is_ok() {
                        // A worker that then runs for a while earns a fresh backoff.
                        std::thread::sleep(Duration::from_secs(60));
                        let mut s = j.supervisor.lock().expect("supervisor lock");
                        if s.current
                            .as_ref()
                            .is_some_and(|c| c.alive.load(Ordering::Acquire))
                        {
                            s.crashes = 0;
                        }
                    }
                }
            });
    }
}

fn backoff(crashes: u32) -> Duration {
    let d = Duration::from_secs(1) * 2u32.saturating_pow(crashes.saturating_sub(1).min(5));
    d.min(BACKOFF_MAX)
}

fn finish(frame: FrameBuilder) -> Result<(u64, Vec<u8>), JvmError> {
    let bytes = frame.finish().map_err(JvmError::TooLarge)?;
    let id = u64::from_be_bytes(bytes[5..13].try_into().expect("8 bytes"));
    Ok((id, bytes))
}

fn write_frames(mut out: BufWriter<std::process::ChildStdin>, rx: Receiver<ToWorker>) {
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

fn read_answers(mut input: BufReader<std::process::ChildStdout>, p: Arc<Process>, jvm: Weak<Jvm>) {
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
    if let Some(j) = jvm.upgrade() {
        j.on_exit(&p, status);
    }
}

/// Something the worker holds for us (a compiled stylesheet, a FOP factory): released there when dropped.
struct Held {
    id: u64,
    jvm: Arc<Jvm>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.id)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.jvm.release(self.id);
    }
}

/// A stylesheet compiled by Saxon-HE in the worker.
#[derive(Debug)]
pub struct SaxonStylesheet(Held);

impl SaxonStylesheet {
    /// Compiles `path` (blocking: starts the worker if needed). `roots`: directories below which the stylesheet
    /// may read files (imports, `doc()`, `unparsed-text()`); `deny`: files it may never read.
    pub fn compile(
        jvm: &Arc<Jvm>,
        path: &Path,
        roots: Vec<PathBuf>,
        deny: Vec<PathBuf>,
    ) -> Result<SaxonStylesheet, JvmError> {
        let id = jvm.create(Spec::Xslt {
            path: path.to_path_buf(),
            roots,
            deny,
        })?;
        Ok(SaxonStylesheet(Held {
            id,
            jvm: jvm.clone(),
        }))
    }

    /// Transforms `input` (an XML document) with string parameters; the result serialised per `xsl:output`.
    pub async fn transform(
        &self,
        input: &[u8],
        params: &[(String, String)],
    ) -> Result<Vec<u8>, JvmError> {
        let payload = self
            .0
            .jvm
            .call(|call| {
                let mut f = FrameBuilder::new(protocol::TRANSFORM, call)
                    .u64(self.0.id)
                    .bytes(input)
                    .u32(params.len() as u32);
                for (n, v) in params {
                    f = f.str(n).str(v);
                }
                f
            })
            .await?;
        output_bytes(payload)
    }
}

/// One application's FOP factory in the worker.
#[derive(Debug)]
pub struct PdfRenderer(Held);

impl PdfRenderer {
    /// Creates the factory (blocking). `config`: `fonts/apache-fop-config.xml` when the application has one;
    /// relative font URLs resolve against `font_base`, relative image URLs against `image_base`; FOP reads files
    /// only below `roots`.
    pub fn create(
        jvm: &Arc<Jvm>,
        config: Option<PathBuf>,
        font_base: PathBuf,
        image_base: PathBuf,
        roots: Vec<PathBuf>,
    ) -> Result<PdfRenderer, JvmError> {
        let id = jvm.create(Spec::Fop {
            config,
            font_base,
            image_base,
            roots,
        })?;
        Ok(PdfRenderer(Held {
            id,
            jvm: jvm.clone(),
        }))
    }

    /// Renders an XSL-FO document to PDF.
    pub async fn render(&self, fo: &[u8]) -> Result<Vec<u8>, JvmError> {
        let payload = self
            .0
            .jvm
            .call(|call| {
                FrameBuilder::new(protocol::RENDER_PDF, call)
                    .u64(self.0.id)
                    .bytes(fo)
            })
            .await?;
        output_bytes(payload)
    }
}

/// The `bytes` of an OK answer, taken without copying.
fn output_bytes(mut payload: Vec<u8>) -> Result<Vec<u8>, JvmError> {
    let n = protocol::Payload::new(&payload)
        .bytes()
        .map_err(|e| JvmError::Protocol(e.to_string()))?
        .len();
    payload.drain(..4);
    payload.truncate(n);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_limit() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(40), BACKOFF_MAX);
    }

    #[test]
    fn ok_payload_bytes() {
        let mut p = Vec::new();
        p.extend_from_slice(&3u32.to_be_bytes());
        p.extend_from_slice(b"abc");
        assert_eq!(output_bytes(p).unwrap(), b"abc");
        assert!(output_bytes(vec![0, 0]).is_err());
    }

    #[test]
    fn diagnostics_read_as_file_line_column() {
        let e = JvmError::Failed(vec![Diagnostic {
            file: "/app/x.xsl".into(),
            line: 4,
            column: 7,
            message: "XPST0017: no such function".into(),
        }]);
        assert_eq!(e.to_string(), "/app/x.xsl:4:7: XPST0017: no such function");
    }
}
