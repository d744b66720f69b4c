//! Hot reload: a debounced watch of every served application's files. Any change (edit, create, delete, rename,
//! editors' write-then-rename, a whole tree checked out anew, a symlinked directory re-pointed) reloads the
//! application; the watch is re-armed whenever the directory itself was replaced.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecursiveMode, Watcher};

use super::site::Site;
use super::state::State;

/// How long the watcher waits for a burst of changes to settle…
pub const DEBOUNCE: Duration = Duration::from_millis(100);
/// …but no longer than this after the first change, so that a continuous stream of writes still reloads.
pub const MAX_DELAY: Duration = Duration::from_millis(500);
/// How often the directory's identity is checked besides events (a re-pointed symlink sends none inside it).
const POLL: Duration = Duration::from_millis(500);

/// The watcher threads; dropping this stops them.
pub struct Watching {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Watching {
    pub fn start(state: Arc<State>) -> Watching {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = state
            .sites
            .iter()
            .map(|site| {
                let (state, site, stop) = (state.clone(), site.clone(), stop.clone());
                std::thread::Builder::new()
                    .name(format!("watch-{}", site.name))
                    .spawn(move || watch_site(&state, &site, &stop))
                    .expect("a watcher thread can be started")
            })
            .collect();
        Watching { stop, threads }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// What identifies the served directory: where it resolves to, and that directory's inode.
fn identity(dir: &Path) -> Option<(PathBuf, u64)> {
    let canonical = dir.canonicalize().ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&canonical).ok()?);
    #[cfg(not(unix))]
    let ino = 0;
    Some((canonical, ino))
}

/// The directories to watch recursively: the application directory, or in the split layout its XML, static and
/// OOXML folders (so that a build directory beside them does not trigger reloads).
fn watch_roots(site: &Site) -> Vec<PathBuf> {
    match crate::config::layout(&site.dir) {
        Ok(l) if l.config_dir != l.root => [l.config_dir, l.static_dir, l.ooxml_dir]
            .into_iter()
            .filter(|p| p.is_dir())
            .collect(),
        _ => vec![site.dir.clone()],
    }
}

fn watch_site(state: &State, site: &Site, stop: &AtomicBool) {
    let mut rearmed = false;
    while !stop.load(Ordering::Relaxed) {
        let (tx, rx) = std::sync::mpsc::channel::<notify::Result<Event>>();
        let mut watcher = match notify::recommended_watcher(tx) {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(target: "endpoints::reload", application = %site.name, error = %e, "cannot watch files");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let before = identity(&site.dir);
        let roots = watch_roots(site);
        let mut armed = true;
        for r in &roots {
            if let Err(e) = watcher.watch(r, RecursiveMode::Recursive) {
                tracing::warn!(target: "endpoints::reload", application = %site.name, path = %r.display(), error = %e, "cannot watch");
                armed = false;
            }
        }
        // The parent sees the directory itself being replaced, renamed or re-pointed.
        if let Some(parent) = site.dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = watcher.watch(parent, RecursiveMode::NonRecursive);
        }
        if !armed {
            std::thread::sleep(POLL);
            rearmed = true;
            continue;
        }
        if rearmed {
            // Changes made while the watch was being re-armed would otherwise go unseen.
            site.reload(&state.metrics);
        }
        rearmed = true;
        let canonical_roots: Vec<PathBuf> =
            roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
        let relevant = |event: &notify::Result<Event>| match event {
            Ok(e) => {
                !matches!(e.kind, EventKind::Access(_))
                    && e.paths.iter().any(|p| {
                        p.starts_with(&site.dir)
                            || roots.iter().any(|r| p.starts_with(r))
                            || canonical_roots.iter().any(|r| p.starts_with(r))
                    })
            }
            Err(_) => true,
        };
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match rx.recv_timeout(POLL) {
                Ok(event) => {
                    if !relevant(&event) {
                        continue;
                    }
                    // Debounce: wait for quiet, but not longer than MAX_DELAY after the first change.
                    let first = Instant::now();
                    loop {
                        let left = MAX_DELAY.saturating_sub(first.elapsed());
                        if left.is_zero() {
                            break;
                        }
                        match rx.recv_timeout(DEBOUNCE.min(left)) {
                            Ok(_) => continue,
                            Err(_) => break,
                        }
                    }
                    site.reload(&state.metrics);
                    if identity(&site.dir) != before {
                        break; // re-arm on the new directory
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if identity(&site.dir) != before {
                        site.reload(&state.metrics);
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    }
}
