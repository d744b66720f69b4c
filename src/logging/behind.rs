//! Standard error, written behind when lines come fast: a request does not wait for a `write` per line under load.
//!
//! At rest a line is written at once by the thread that made it, as a plain logger would: it is on standard error
//! before the response leaves, in order with anything else written there. After each write the output is quiet for
//! [`GATHER`]: lines that come in that time are appended to a buffer under a lock and the request goes on, and a
//! thread of their own writes them all in one `write` when the time is up. Under load that is one `write` per
//! [`GATHER`] for hundreds of lines. Nothing is dropped: when [`MAX_PENDING`] bytes are waiting (standard error
//! blocked by a reader that does not keep up), the lines' writers wait for room, as a direct write would wait.
//! [`FlushGuard`] and the panic hook of [`super::init`] write out whatever is pending before the process ends.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long the output stays quiet after a write: lines that come in that time go out together at its end.
pub const GATHER: Duration = Duration::from_millis(5);

/// Bytes that may wait to be written; a line's writer that finds this many waits for the writer thread.
pub const MAX_PENDING: usize = 1024 * 1024;

/// A buffer kept between writes up to this capacity; a larger one (after a burst) is given back.
const KEEP_CAPACITY: usize = 256 * 1024;

/// How long [`Behind::flush`] waits for the writer at most (a sink that blocks for good must not hang the exit).
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// Log lines written at once at rest and behind under load. Cloning shares the same buffer and thread.
#[derive(Clone)]
pub struct Behind {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Where lines go. Only the holder of `State::writing` writes to it.
    sink: Mutex<Box<dyn Write + Send>>,
    /// The writer thread waits here for lines (or a flush).
    ready: Condvar,
    /// Line writers waiting for room, and flushes, wait here for a write to end.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writer thread is waiting for lines: the next pending line must wake it.
    idle: bool,
    /// Someone (a line's writer or the writer thread) is writing to the sink.
    writing: bool,
    /// The end of the quiet time after the last write.
    quiet_until: Option<Instant>,
    /// Flushes waiting: the writer thread writes at once while there are some.
    flushes: usize,
}

impl Behind {
    /// Lines to standard error.
    pub fn stderr() -> io::Result<Behind> {
        Behind::to(io::stderr())
    }

    /// Lines to `sink`, with a new thread named `endpoints-log` for those written behind.
    pub fn to(sink: impl Write + Send + 'static) -> io::Result<Behind> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            sink: Mutex::new(Box::new(sink)),
            ready: Condvar::new(),
            drained: Condvar::new(),
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("endpoints-log".into())
            .spawn(move || writer.run())?;
        Ok(Behind { shared })
    }

    /// Writes whole lines at once when the output is at rest, or appends them for the writer thread; waits only
    /// while [`MAX_PENDING`] bytes are already waiting.
    pub fn append(&self, bytes: &[u8]) {
        let s = &self.shared;
        let mut st = s.lock();
        while st.pending.len() >= MAX_PENDING {
            st.idle = false;
            s.ready.notify_one();
            st = s.drained.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        let at_rest = !st.writing
            && st.pending.is_empty()
            && st.quiet_until.is_none_or(|t| Instant::now() >= t);
        if at_rest {
            st.writing = true;
            drop(st);
            s.write_out(bytes);
            s.done_writing();
            return;
        }
        st.pending.extend_from_slice(bytes);
        let wake = std::mem::take(&mut st.idle);
        drop(st);
        if wake {
            s.ready.notify_one();
        }
    }

    /// Writes out what is pending and waits for it (at most two seconds).
    pub fn flush(&self) {
        let s = &self.shared;
        let deadline = Instant::now() + FLUSH_WAIT;
        let mut st = s.lock();
        st.flushes += 1;
        s.ready.notify_one();
        while !st.pending.is_empty() || st.writing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = s
                .drained
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.flushes -= 1;
    }

    /// A guard that flushes when dropped.
    pub fn guard(&self) -> FlushGuard {
        FlushGuard(self.clone())
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only bytes behind: keep logging.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `bytes` to the sink; the caller holds `State::writing`.
    fn write_out(&self, bytes: &[u8]) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        // A failed write (standard error closed) loses these lines; there is nowhere else to put them.
        let _ = sink.write_all(bytes).and_then(|()| sink.flush());
    }

    /// Gives `State::writing` back, starts the quiet time and wakes whoever waits for the write to end.
    fn done_writing(&self) {
        let mut st = self.lock();
        st.writing = false;
        st.quiet_until = Some(Instant::now() + GATHER);
        let wake = !st.pending.is_empty() && std::mem::take(&mut st.idle);
        let flushing = st.flushes > 0;
        drop(st);
        if wake {
            self.ready.notify_one();
        }
        if flushing || wake {
            self.drained.notify_all();
        }
    }

    /// The writer thread: waits for pending lines, lets the quiet time end, writes them all at once.
    fn run(&self) {
        let mut batch = Vec::new();
        loop {
            let mut st = self.lock();
            loop {
                if st.pending.is_empty() {
                    st.idle = true;
                    st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                st.idle = false;
                let hurry = st.flushes > 0 || st.pending.len() >= MAX_PENDING;
                let now = Instant::now();
                let quiet = st.quiet_until.filter(|&t| t > now && !hurry);
                if !st.writing && quiet.is_none() {
                    break;
                }
                let wait = quiet.map_or(GATHER, |t| t - now);
                st = self
                    .ready
                    .wait_timeout(st, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            std::mem::swap(&mut st.pending, &mut batch);
            st.writing = true;
            drop(st);
            self.write_out(&batch);
            batch.clear();
            if batch.capacity() > KEEP_CAPACITY {
                batch = Vec::new();
            }
            self.done_writing();
            // Line writers waiting for room wait on `drained`.
            self.drained.notify_all();
        }
    }
}

/// Flushes the lines written behind when dropped (at the end of `endpoints serve`, whichever way it returns).
pub struct FlushGuard(Behind);

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.0.flush();
    }
}

/// What the formatter writes one event into: the whole line arrives in one `write` and is handled at once.
pub struct Appender<'a>(&'a Behind);

impl Write for Appender<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Behind {
    type Writer = Appender<'a>;

    fn make_writer(&'a self) -> Appender<'a> {
        Appender(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A sink that hands every write to the test, and can be held shut.
    struct Sink {
        writes: mpsc::Sender<Vec<u8>>,
        gate: Arc<Mutex<()>>,
    }

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let _held = self.gate.lock().unwrap();
            self.writes.send(b.to_vec()).unwrap();
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn behind() -> (Behind, mpsc::Receiver<Vec<u8>>, Arc<Mutex<()>>) {
        let (tx, rx) = mpsc::channel();
        let gate = Arc::new(Mutex::new(()));
        let b = Behind::to(Sink {
            writes: tx,
            gate: Arc::clone(&gate),
        })
        .unwrap();
        (b, rx, gate)
    }

    /// Appends `line` on another thread and returns once that thread is writing it (stuck while the gate is held).
    fn append_elsewhere(b: &Behind, line: &'static [u8]) -> std::thread::JoinHandle<()> {
        let other = b.clone();
        let t = std::thread::spawn(move || other.append(line));
        let deadline = Instant::now() + Duration::from_secs(5);
        while !b.shared.lock().writing {
            assert!(Instant::now() < deadline, "the line was not written");
            std::thread::sleep(Duration::from_millis(1));
        }
        t
    }

    #[test]
    fn a_line_at_rest_is_written_by_its_own_thread_before_append_returns() {
        let (b, rx, _gate) = behind();
        b.append(b"one\n");
        assert_eq!(rx.try_recv().unwrap(), b"one\n");
        // Again after the quiet time.
        std::thread::sleep(GATHER * 2);
        b.append(b"two\n");
        assert_eq!(rx.try_recv().unwrap(), b"two\n");
    }

    #[test]
    fn lines_that_come_during_a_write_or_the_quiet_time_go_out_together_and_in_order() {
        let (b, rx, gate) = behind();
        let held = gate.lock().unwrap();
        let first = append_elsewhere(&b, b"first\n");
        // "first" is stuck in the sink; these gather.
        for i in 0..100 {
            b.append(format!("line {i}\n").as_bytes());
        }
        drop(held);
        first.join().unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"first\n");
        let rest = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let want: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(rest).unwrap(), want);
        // Within the quiet time after that write, a line waits for the writer thread, which writes it soon.
        b.append(b"later\n");
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"later\n");
    }

    #[test]
    fn flush_waits_until_everything_is_written() {
        let (b, rx, _gate) = behind();
        for i in 0..1000 {
            b.append(format!("{i}\n").as_bytes());
        }
        b.flush();
        let all: Vec<u8> = rx.try_iter().flatten().collect();
        let want: String = (0..1000).map(|i| format!("{i}\n")).collect();
        assert_eq!(String::from_utf8(all).unwrap(), want);
    }

    #[test]
    fn a_blocked_sink_holds_writers_back_instead_of_growing_the_buffer() {
        let (b, rx, gate) = behind();
        let held = gate.lock().unwrap();
        let first = append_elsewhere(&b, b"first\n");
        let writer = {
            let b = b.clone();
            std::thread::spawn(move || {
                let line = [b'x'; 1023];
                for _ in 0..3 * 1024 {
                    b.append(&line);
                    b.append(b"\n");
                }
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !writer.is_finished(),
            "3 MB appended while the sink was blocked"
        );
        let pending = b.shared.lock().pending.len();
        assert!(
            (MAX_PENDING..=MAX_PENDING + 1024).contains(&pending),
            "{pending}"
        );
        drop(held);
        first.join().unwrap();
        writer.join().unwrap();
        b.flush();
        let total: usize = rx.try_iter().map(|w| w.len()).sum();
        assert_eq!(total, 3 * 1024 * 1024 + b"first\n".len());
    }
}
