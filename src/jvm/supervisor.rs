//! [`Jvm`]: the worker and its supervisor — starting it (with backoff after crashes), calls with timeouts and
//! back-pressure, re-creating what the applications hold after a restart, health and shutdown.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::error::JvmError;
use super::launch::{self, Installation};
use super::options::{backoff, Options, Status, COMPILE_TIMEOUT, START_TIMEOUT};
use super::process::{finish, read_answers, write_frames, Process, Reply, Spec, ToWorker, Waiter};
use super::protocol::{self, FrameBuilder};

#[derive(Default)]
struct Stats {
    calls: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    restarts: AtomicU64,
    latency: crate::server::histogram::Histogram,
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

/// The worker and its supervisor. Use [`super::global`].
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
    pub(super) fn new(options: Options) -> Arc<Jvm> {
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
            .spawn(move || {
                read_answers(stdout, p, |p, status| {
                    if let Some(j) = me.upgrade() {
                        j.on_exit(p, status);
                    }
                })
            })
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
    pub(super) async fn call(
        &self,
        build: impl FnOnce(u64) -> FrameBuilder,
    ) -> Result<Vec<u8>, JvmError> {
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
    pub(super) fn create(&self, spec: Spec) -> Result<u64, JvmError> {
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

    pub(super) fn release(&self, object: u64) {
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
    pub fn latency(&self) -> &crate::server::histogram::Histogram {
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
