//! The allocators of the process: mimalloc for the server's own memory ([`Allocator`]) and for libxml2's and
//! libxslt's ([`libxml2_uses_mimalloc`]), and giving memory back to the operating system after large documents.
//!
//! libxml2 builds a tree of many small allocations (an 8 MB JSON body made a 1 GB tree), and a transformation
//! makes and frees thousands of them: from glibc's malloc the invoice transformation of the benchmark cost 23.2 M
//! instructions a request, from mimalloc 18.7 M. mimalloc gives freed pages back only after a delay that runs on
//! later allocator activity, which an idle server does not have: after a large body it kept tens of megabytes for
//! as long as it stayed idle. [`purge_freed_memory_at_once`] sets that delay to zero. What still comes from glibc
//! (SQLite's pages, C libraries' buffers) is kept in check by [`fix_mmap_threshold`] and
//! [`release_free_memory`]: glibc raises its mmap threshold each time a large block is freed, so later large
//! buffers come from its arenas and stay there. These are the only allocator tuning of the crate, here because
//! they need `unsafe`.

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

/// The process's global allocator (`#[global_allocator]` in the binary): mimalloc, called differently from the
/// `mimalloc` crate. That crate passes every request to `mi_malloc_aligned`, whose fast path serves only blocks up
/// to 1 KB that happen to be aligned; a larger block (a boxed future of 2–3 KB, a buffer) whose size class is not a
/// power of two goes through the generic path and is over-allocated (~200 instructions instead of ~40; ~7 times a
/// request in the profile of an empty endpoint). Here an alignment of at most 8, which every mimalloc block has
/// (blocks are whole words, laid out from a word-aligned start), goes to plain `mi_malloc`. Alignments from 16 to
/// 64 are rounded up to a multiple of the alignment, so that the size class's blocks are all aligned and the fast
/// path can serve them.
pub struct Allocator;

extern "C" {
    // From the mimalloc library that the `mimalloc` crate builds and links (`mimalloc.h`).
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(p: *mut std::ffi::c_void, newsize: usize) -> *mut std::ffi::c_void;
    fn mi_malloc_aligned(size: usize, alignment: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc_aligned(size: usize, alignment: usize) -> *mut std::ffi::c_void;
    fn mi_realloc_aligned(
        p: *mut std::ffi::c_void,
        newsize: usize,
        alignment: usize,
    ) -> *mut std::ffi::c_void;
    fn mi_free(p: *mut std::ffi::c_void);
    fn mi_strdup(s: *const std::ffi::c_char) -> *mut std::ffi::c_char;
}

/// Makes libxml2 and libxslt allocate from mimalloc too (their trees are made of many small blocks, which glibc's
/// malloc serves slowly). Returns false if libxml2 refused. Must run before libxml2's first allocation: called first
/// thing in [`super::init`].
pub(super) fn libxml2_uses_mimalloc() -> bool {
    // SAFETY: installs mimalloc's malloc, realloc, free and strdup, which have the C library's signatures and
    // semantics, as libxml2's allocator; `init` runs it once, before any other libxml2 call, so no block allocated
    // by one allocator is ever freed by the other.
    unsafe { super::ffi::xmlMemSetup(mi_free, mi_malloc, mi_realloc, mi_strdup) == 0 }
}

/// Alignments above this are passed on as they are (rare: cache-line padded values).
const ROUND_UP_TO: usize = 64;

/// The alignment of every mimalloc block.
const WORD: usize = std::mem::size_of::<usize>();

/// `size` rounded up to a multiple of `align` when that is small enough to matter; `None` when the result would
/// overflow (the allocation then fails as it would anyway).
fn rounded(size: usize, align: usize) -> Option<usize> {
    if align <= 8 || align > ROUND_UP_TO {
        return Some(size);
    }
    Some(size.checked_add(align - 1)? & !(align - 1))
}

// SAFETY: every method hands mimalloc a size at least as large as the layout's and the layout's own alignment, so
// the block returned satisfies the layout; blocks are freed and reallocated only through mimalloc, which finds a
// block's size and alignment from its own page (`mi_free` needs neither).
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: see the impl; every mimalloc block is word-aligned.
            return unsafe { mi_malloc(layout.size()).cast() };
        }
        let Some(size) = rounded(layout.size(), layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: see the impl; mimalloc returns null when out of memory, as GlobalAlloc expects.
        unsafe { mi_malloc_aligned(size, layout.align()).cast() }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: as `alloc`, zeroed by mimalloc.
            return unsafe { mi_zalloc(layout.size()).cast() };
        }
        let Some(size) = rounded(layout.size(), layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: as `alloc`, zeroed by mimalloc.
        unsafe { mi_zalloc_aligned(size, layout.align()).cast() }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract), so from mimalloc.
        unsafe { mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: `ptr` came from this allocator, so from mimalloc; the new block is word-aligned like all.
            return unsafe { mi_realloc(ptr.cast(), new_size).cast() };
        }
        let Some(size) = rounded(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `ptr` came from this allocator with `layout`'s alignment; mimalloc keeps that alignment and
        // copies the old contents.
        unsafe { mi_realloc_aligned(ptr.cast(), size, layout.align()).cast() }
    }
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
    fn sizes_are_rounded_to_their_alignment_between_16_and_64() {
        use super::rounded;
        assert_eq!(rounded(24, 8), Some(24));
        assert_eq!(rounded(24, 16), Some(32));
        assert_eq!(rounded(48, 16), Some(48));
        assert_eq!(rounded(1, 64), Some(64));
        assert_eq!(rounded(200, 128), Some(200));
        assert_eq!(rounded(usize::MAX - 3, 16), None);
    }

    /// Blocks from the allocator keep their alignment through growth and shrinking, for every rounded alignment.
    #[test]
    fn blocks_are_aligned_and_keep_their_contents() {
        use std::alloc::{GlobalAlloc, Layout};
        let a = super::Allocator;
        for align in [1, 8, 16, 32, 64, 128, 4096] {
            for size in [1, 7, 24, 40, 100, 1000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero layout; each block is written within its size and freed once.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(
                        !p.is_null() && (p as usize).is_multiple_of(align),
                        "{size} {align}"
                    );
                    assert_eq!(p as usize % super::WORD, 0, "{size} {align}");
                    p.write_bytes(0xab, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert!(
                        !q.is_null() && (q as usize).is_multiple_of(align),
                        "{size} {align}"
                    );
                    assert!((0..size).all(|i| *q.add(i) == 0xab));
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert!(
                        (z as usize).is_multiple_of(align) && (0..size).all(|i| *z.add(i) == 0)
                    );
                    a.dealloc(z, layout);
                }
            }
        }
    }

    /// After `init`, libxml2's allocation functions are mimalloc's, and a document parsed and freed through them
    /// works.
    #[test]
    fn libxml2_allocates_from_mimalloc() {
        crate::xslt::init();
        let (mut free, mut malloc, mut realloc, mut strdup) = (None, None, None, None);
        // SAFETY: xmlMemGet writes the four current function pointers into the places given.
        let rc = unsafe {
            crate::xslt::ffi::xmlMemGet(&mut free, &mut malloc, &mut realloc, &mut strdup)
        };
        assert_eq!(rc, 0);
        assert_eq!(
            malloc.map(|f| f as *const () as usize),
            Some(super::mi_malloc as *const () as usize)
        );
        assert_eq!(
            free.map(|f| f as *const () as usize),
            Some(super::mi_free as *const () as usize)
        );
        assert_eq!(
            realloc.map(|f| f as *const () as usize),
            Some(super::mi_realloc as *const () as usize)
        );
        assert_eq!(
            strdup.map(|f| f as *const () as usize),
            Some(super::mi_strdup as *const () as usize)
        );
        let doc = crate::xslt::Document::parse(b"<a><b x='1'>text</b></a>").unwrap();
        drop(doc);
    }

    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_defines() {
        assert_eq!(super::purge_delay_ms(), 1000);
    }
}
