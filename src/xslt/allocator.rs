//! Giving memory back to the operating system after large documents (glibc only; elsewhere these do nothing).
//!
//! libxml2 builds a tree of many small allocations (an 8 MB JSON body made a 1 GB tree). Once freed, glibc keeps
//! that memory in its arenas for reuse: the process stayed at 1 GB. And glibc raises its mmap threshold each time a
//! large block is freed, so later large buffers (request bodies, converted documents) come from the arenas too and
//! stay there. The server's own allocations come from mimalloc (the binary's global allocator), which gives freed
//! pages back only after a delay that runs on later allocator activity: an idle server kept tens of megabytes for as
//! long as it stayed idle after a large body. [`purge_freed_memory_at_once`] sets that delay to zero. These three
//! calls are the only allocator tuning of the crate, here because they need `unsafe`.

use std::os::raw::{c_int, c_long};

// Links the mimalloc library whose options are set here, also where it is not the global allocator (the library's
// own tests).
use mimalloc as _;

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` (`mimalloc.h`; the same in mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: c_int = 15;

extern "C" {
    // From the mimalloc library that the `mimalloc` crate builds and links.
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// Makes mimalloc give pages back to the operating system as soon as they are free (by default it waits a second,
/// counted on allocator activity that an idle server does not have). Costs ~1.5 %
/// of requests an `madvise` under load. Call once at start, before other threads allocate.
pub fn purge_freed_memory_at_once() {
    // SAFETY: mi_option_set writes one of mimalloc's option slots; called at start, before the server's threads
    // exist (the function is not thread-safe, and no other thread calls it).
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// mimalloc's purge delay in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: mi_option_get reads one of mimalloc's option slots.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

/// Large blocks from this size on are always mapped on their own and unmapped when freed.
pub const MMAP_THRESHOLD: usize = 1024 * 1024;

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`] (which also stops it from rising). Call once at start.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of glibc's allocator; any time is allowed.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

/// Returns free memory of every arena to the operating system (`malloc_trim(0)`). It walks all arenas, so call it
/// after large work only, off the async workers.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists and unmaps or advises away free pages; it touches no
    // memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    /// The option's place is right: it holds mimalloc 3's default purge delay, 1,000 ms (its `options.c`), in this
    /// process (the library's tests, which never call [`super::purge_freed_memory_at_once`]).
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_defines() {
        assert_eq!(super::purge_delay_ms(), 1000);
    }
}
