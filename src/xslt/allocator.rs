//! Giving memory back to the operating system after large documents (glibc only; elsewhere these do nothing).
//!
//! libxml2 builds a tree of many small allocations (an 8 MB JSON body made a 1 GB tree). Once freed, glibc keeps
//! that memory in its arenas for reuse: the process stayed at 1 GB. And glibc raises its mmap threshold each time a
//! large block is freed, so later large buffers (request bodies, converted documents) come from the arenas too and
//! stay there. These two calls are the only allocator tuning of the crate, here because they need `unsafe`.

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
