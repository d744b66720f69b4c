//! Standard error, written behind: log lines go into a buffer and a thread of their own writes them out.
//!
//! A line is appended under a lock and the request goes on; it does not wait for the `write` system call. When the
//! writer thread is idle the first line wakes it and is written at once; after each write it gathers for
//! [`GATHER`] before the next one, so under load one `write` carries hundreds of lines and at rest a line
//! appears as soon as it is made. Nothing is dropped: when [`MAX_PENDING`] bytes are waiting (standard error
//! blocked by a reader that does not keep up), the lines' writers wait for room, as a direct write would wait.
//! [`FlushGuard`] and the panic hook of [`super::init`] write out whatever is pending before the process ends.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer gathers lines after a write before it writes again.
pub const GATHER: Duration = Duration::from_millis(5);

/// Bytes that may wait to be written; a line's writer that finds this many waits for the writer thread.
pub const MAX_PENDING: usize = 1024 * 1024;

/// A buffer kept between writes up to this capacity; a larger one (after a burst) is given back.
const KEEP_CAPACITY: usize = 256 * 1024;

/// How long [`Behind::flush`] waits for the writer at most (a sink that blocks for good must not hang the exit).
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// Log lines written behind by a thread of their own. Cloning shares the same buffer and thread.
#[derive(Clone)]
pub struct Behind {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// The writer waits here for lines (or a flush).
    ready: Condvar,
    /// Line writers waiting for room, and flushes, wait here for a write to end.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writer is waiting for lines: the next line must wake it.
    idle: bool,
    /// The writer is writing a batch taken from `pending`.
    writing: bool,
    /// Flushes waiting: the writer neither gathers nor waits while there are some.
    flushes: usize,
}

impl Behind {
    /// Lines written behind to standard error.
    pub fn stderr() -> io::Result<Behind> {
        Behind::to(io::stderr())
    }

    /// Lines written behind to `sink` by a new thread named `endpoints-log`.
    pub fn to(sink: impl Write + Send + 'static) -> io::Result<Behind> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            drained: Condvar::new(),
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("endpoints-log".into())
            .spawn(move || writer.run(sink))?;
        Ok(Behind { shared })
    }

    /// Appends whole lines; waits only while [`MAX_PENDING`] bytes are already waiting.
    pub fn append(&self, bytes: &[u8]) {
        let s = &self.shared;
        let mut st = s.lock();
        while st.pending.len() >= MAX_PENDING {
            st.idle = false;
            s.ready.notify_one();
            st = s.drained.wait(st).unwrap_or_else(|e| e.into_inner());
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

    fn run(&self, mut sink: impl Write) {
        let mut batch = Vec::new();
        loop {
            let mut st = self.lock();
            while st.pending.is_empty() {
                st.idle = true;
                st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            st.idle = false;
            std::mem::swap(&mut st.pending, &mut batch);
            st.writing = true;
            drop(st);

            // A failed write (standard error closed) loses these lines; there is nowhere else to put them.
            let _ = sink.write_all(&batch).and_then(|()| sink.flush());
            batch.clear();
            if batch.capacity() > KEEP_CAPACITY {
                batch = Vec::new();
            }

            let mut st = self.lock();
            st.writing = false;
            self.drained.notify_all();
            // Gather: lines that come now wait for the next write, unless someone waits for them.
            let until = Instant::now() + GATHER;
            while st.flushes == 0 && st.pending.len() < MAX_PENDING {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = self
                    .ready
                    .wait_timeout(st, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
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

/// What the formatter writes one event into: the whole line arrives in one `write` and is appended at once.
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

    #[test]
    fn a_line_at_rest_is_written_at_once() {
        let (b, rx, _gate) = behind();
        b.append(b"one\n");
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got, b"one\n");
    }

    #[test]
    fn lines_that_come_while_a_write_is_under_way_go_out_together_and_in_order() {
        let (b, rx, gate) = behind();
        let held = gate.lock().unwrap();
        b.append(b"first\n");
        // The writer took "first" and is stuck in the sink; these gather.
        std::thread::sleep(Duration::from_millis(50));
        for i in 0..100 {
            b.append(format!("line {i}\n").as_bytes());
        }
        drop(held);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"first\n");
        let rest = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let want: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(rest).unwrap(), want);
    }

    #[test]
    fn flush_waits_until_everything_is_written() {
        let (b, rx, _gate) = behind();
        for i in 0..1000 {
            b.append(format!("{i}\n").as_bytes());
        }
        b.flush();
        let mut all = Vec::new();
        while let Ok(w) = rx.try_recv() {
            all.extend(w);
        }
        let want: String = (0..1000).map(|i| format!("{i}\n")).collect();
        assert_eq!(String::from_utf8(all).unwrap(), want);
    }

    #[test]
    fn a_blocked_sink_holds_writers_back_instead_of_growing_the_buffer() {
        let (b, rx, gate) = behind();
        let held = gate.lock().unwrap();
        let line = vec![b'x'; 1023];
        let writer = {
            let b = b.clone();
            let line = line.clone();
            std::thread::spawn(move || {
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
        assert!(b.shared.lock().pending.len() <= MAX_PENDING + 1024);
        drop(held);
        writer.join().unwrap();
        b.flush();
        let total: usize = rx.try_iter().map(|w| w.len()).sum();
        assert_eq!(total, 3 * 1024 * 1024);
    }
}
