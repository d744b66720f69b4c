//! Bookkeeping of open connections, so that none is kept for nothing and some file descriptors always stay free.
//!
//! * A connection must start its first request within the header timeout **from accept** (a client that never
//!   sends a byte, or an HTTP/2 client that sends only the preface, is closed then).
//! * A connection with no request in flight is closed after the idle timeout without a new request (HTTP/1.1
//!   keep-alive and HTTP/2 alike; for HTTP/1.1 hyper's header timeout, which runs from the end of the last
//!   response, may close it sooner).
//! * At most `max_connections` are open: at the limit a new connection closes the oldest idle one (one with no
//!   request in flight), or, when every one is busy, is closed itself at once. The default limit leaves part of the
//!   open-files limit to the state store, uploads, outgoing requests and logging, so `/health-check` is answered
//!   even while a flood of idle connections is being shed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// One open connection.
pub struct Tracked {
    accepted: Instant,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// Requests started so far.
    started: AtomicU64,
    /// When the last request ended, in milliseconds after `accepted`.
    last_end_ms: AtomicU64,
    /// Chosen to be closed for a newer connection.
    shedding: AtomicBool,
    /// Wakes the connection's task to close it at once.
    pub shed: Notify,
}

impl Tracked {
    fn new() -> Tracked {
        Tracked {
            accepted: Instant::now(),
            in_flight: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            last_end_ms: AtomicU64::new(0),
            shedding: AtomicBool::new(false),
            shed: Notify::new(),
        }
    }

    /// Counts a request until the guard is dropped.
    pub fn request(self: &Arc<Self>) -> RequestGuard {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// When the connection is to be closed if it stays as it is: `header_timeout` after accept while no request
    /// has started, else `idle_timeout` after the last request ended; `None` while a request is in flight.
    pub fn deadline(&self, header_timeout: Duration, idle_timeout: Duration) -> Option<Instant> {
        if !self.idle() {
            return None;
        }
        if self.started.load(Ordering::Relaxed) == 0 {
            return Some(self.accepted + header_timeout);
        }
        let last = Duration::from_millis(self.last_end_ms.load(Ordering::Relaxed));
        Some(self.accepted + last + idle_timeout)
    }
}

/// Ends a request's count on drop (also when its future is dropped unfinished).
pub struct RequestGuard(Arc<Tracked>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let t = &self.0;
        let since = t.accepted.elapsed().as_millis() as u64;
        t.last_end_ms.fetch_max(since, Ordering::Relaxed);
        t.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections, oldest first.
pub struct Connections {
    max: usize,
    next_id: AtomicU64,
    open: Mutex<Open>,
    /// Connections closed to make room for newer ones, and new ones refused because none was idle.
    pub shed: AtomicU64,
    pub refused: AtomicU64,
}

#[derive(Default)]
struct Open {
    by_age: BTreeMap<u64, Arc<Tracked>>,
    /// Entries not being shed (those count against the limit).
    counted: usize,
}

impl Open {
    /// Tells the oldest idle connection to close.
    fn shed_oldest_idle(&mut self) -> bool {
        for t in self.by_age.values() {
            if t.idle() && !t.shedding.swap(true, Ordering::Relaxed) {
                t.shed.notify_one();
                self.counted -= 1;
                return true;
            }
        }
        false
    }
}

impl Connections {
    pub fn new(max: usize) -> Connections {
        Connections {
            max: max.max(1),
            next_id: AtomicU64::new(0),
            open: Mutex::new(Open::default()),
            shed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Registers a new connection; at the limit the oldest idle one is told to close. `None`: every connection is
    /// busy, close the new one.
    pub fn admit(&self) -> Option<(u64, Arc<Tracked>)> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.counted >= self.max {
            if !open.shed_oldest_idle() {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            self.shed.fetch_add(1, Ordering::Relaxed);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let t = Arc::new(Tracked::new());
        open.by_age.insert(id, t.clone());
        open.counted += 1;
        Some((id, t))
    }

    /// Tells the oldest idle connection to close (when accepting fails for want of file descriptors).
    pub fn shed_one(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let shed = open.shed_oldest_idle();
        if shed {
            self.shed.fetch_add(1, Ordering::Relaxed);
        }
        shed
    }

    pub fn remove(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = open.by_age.remove(&id) {
            if !t.shedding.load(Ordering::Relaxed) {
                open.counted -= 1;
            }
        }
    }

    /// Connections open (including those being closed).
    pub fn len(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_age
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_idle_connection_makes_room() {
        let c = Connections::new(2);
        let (a, ta) = c.admit().unwrap();
        let (_b, tb) = c.admit().unwrap();
        let busy = ta.request();
        // `a` is busy: `b` is shed for the third.
        let (_c3, _) = c.admit().unwrap();
        assert!(tb.shedding.load(Ordering::Relaxed));
        assert!(!ta.shedding.load(Ordering::Relaxed));
        // Now only `a` (busy) and the third (idle) count: the third goes for a fourth.
        assert!(c.admit().is_some());
        drop(busy);
        c.remove(a);
        assert_eq!(c.shed.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_new_connection_is_refused_when_all_are_busy() {
        let c = Connections::new(1);
        let (_, t) = c.admit().unwrap();
        let _busy = t.request();
        assert!(c.admit().is_none());
        assert_eq!(c.refused.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn deadlines() {
        let t = Arc::new(Tracked::new());
        let (h, i) = (Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(t.deadline(h, i), Some(t.accepted + h));
        let g = t.request();
        assert_eq!(t.deadline(h, i), None);
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(g);
        let d = t.deadline(h, i).unwrap();
        assert!(d >= t.accepted + Duration::from_millis(30) + i, "{d:?}");
    }
}
