//! Counting a plugin's heap (query [`crate::PluginQuery::Heap`], since SDK 1.4).
//!
//! A plugin library is a `cdylib` with its own copy of this crate, so the counters below are
//! per plugin. They move only when the plugin's global allocator is a [`CountingAlloc`]: the
//! `orderflow-plugin-heap` crate declares one, and a plugin links it with
//! `extern crate orderflow_plugin_heap;`. The host then reads the plugin's live heap through
//! the query and exports it (`orderflow_plugin_heap_bytes{plugin}`), which tells the plugins'
//! part of glibc's heap from DuckDB's in a soak.
//!
//! Counting costs two relaxed atomic additions per allocation and nothing else: the memory
//! itself comes from [`std::alloc::System`], as it would without the wrapper.

use serde::{Deserialize, Serialize};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static LIVE: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// [`System`] with a count of live bytes and of allocations made; see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

impl CountingAlloc {
    fn grew(size: usize) {
        LIVE.fetch_add(size as u64, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        if !INSTALLED.load(Ordering::Relaxed) {
            INSTALLED.store(true, Ordering::Relaxed);
        }
    }
    fn shrank(size: usize) {
        LIVE.fetch_sub(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// updates counters, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract (non-zero size, valid layout) of `GlobalAlloc::alloc`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, i.e. by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        Self::shrank(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr`/`layout` come from this allocator (i.e. `System`), as the caller
        // guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            Self::shrank(layout.size());
            Self::grew(new_size);
        }
        p
    }
}

/// The plugin's heap, as answered to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeapUsage {
    /// Bytes allocated and not yet freed (the sizes asked for, without the allocator's overhead).
    pub live_bytes: u64,
    /// Allocations and reallocations made since the library was loaded.
    pub allocations: u64,
}

/// The counters, or `None` when this library's allocator is not a [`CountingAlloc`].
#[must_use]
pub fn usage() -> Option<HeapUsage> {
    INSTALLED.load(Ordering::Relaxed).then(|| HeapUsage {
        live_bytes: LIVE.load(Ordering::Relaxed),
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_live_bytes_through_alloc_realloc_and_dealloc() {
        // Called directly (this test binary's allocator is the default one); other tests in
        // the binary do not touch these counters, so the differences are exact.
        let a = CountingAlloc;
        let before = LIVE.load(Ordering::Relaxed);
        let allocs = ALLOCATIONS.load(Ordering::Relaxed);
        let layout = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: non-zero size; the pointer is freed below with the layout it has then.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(LIVE.load(Ordering::Relaxed) - before, 1000);
            let q = a.realloc(p, layout, 5000);
            assert!(!q.is_null());
            assert_eq!(LIVE.load(Ordering::Relaxed) - before, 5000);
            a.dealloc(q, Layout::from_size_align(5000, 8).unwrap());
        }
        assert_eq!(LIVE.load(Ordering::Relaxed), before);
        assert_eq!(ALLOCATIONS.load(Ordering::Relaxed) - allocs, 2);
        let u = usage();
        assert!(u.is_some(), "installed once it has allocated");
    }
}
