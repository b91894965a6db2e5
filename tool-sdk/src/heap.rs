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
//! itself comes from [`std::alloc::System`], as it would without the wrapper. The counters are
//! sharded by thread (each thread adds to its own cache line, [`usage`] sums them): with one
//! shared pair, threads calling a plugin at once bounced that line between cores, and under an
//! MCP load the counting took a tenth of the server's CPU.

use serde::{Deserialize, Serialize};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// Shards of the counters; threads are given one each, round robin.
const SHARDS: usize = 16;

/// One thread's counters, alone on its cache line. `live` is signed: memory allocated on one
/// thread may be freed on another, so a shard alone can go below zero; the sum cannot.
#[repr(align(128))]
struct Shard {
    live: AtomicI64,
    allocations: AtomicU64,
}

static COUNTERS: [Shard; SHARDS] = [const {
    Shard {
        live: AtomicI64::new(0),
        allocations: AtomicU64::new(0),
    }
}; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    // Const-initialized and without a destructor: reading it never allocates, so the
    // allocator itself may use it, also while a thread is exiting.
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn shard() -> &'static Shard {
    let i = SHARD
        .try_with(|c| {
            let i = c.get();
            if i < SHARDS {
                i
            } else {
                let i = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                c.set(i);
                i
            }
        })
        .unwrap_or(0);
    &COUNTERS[i % SHARDS]
}

fn to_i64(size: usize) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

/// [`System`] with a count of live bytes and of allocations made; see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

impl CountingAlloc {
    fn grew(size: usize) {
        let s = shard();
        s.live.fetch_add(to_i64(size), Ordering::Relaxed);
        s.allocations.fetch_add(1, Ordering::Relaxed);
        if !INSTALLED.load(Ordering::Relaxed) {
            INSTALLED.store(true, Ordering::Relaxed);
        }
    }
    fn shrank(size: usize) {
        shard().live.fetch_sub(to_i64(size), Ordering::Relaxed);
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
    INSTALLED.load(Ordering::Relaxed).then(|| {
        let (live, allocations) = totals();
        HeapUsage {
            live_bytes: u64::try_from(live.max(0)).unwrap_or(0),
            allocations,
        }
    })
}

/// The shards summed: live bytes (signed, see [`Shard`]) and allocations.
fn totals() -> (i64, u64) {
    COUNTERS.iter().fold((0i64, 0u64), |(l, a), s| {
        (
            l.saturating_add(s.live.load(Ordering::Relaxed)),
            a.saturating_add(s.allocations.load(Ordering::Relaxed)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_live_bytes_through_alloc_realloc_dealloc_and_across_threads() {
        // Called directly (this test binary's allocator is the default one); other tests in
        // the binary do not touch these counters, so the differences are exact.
        let a = CountingAlloc;
        let (before, allocs) = totals();
        let live = || totals().0 - before;
        let layout = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: non-zero size; the pointer is freed below with the layout it has then.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(live(), 1000);
            let q = a.realloc(p, layout, 5000);
            assert!(!q.is_null());
            assert_eq!(live(), 5000);
            a.dealloc(q, Layout::from_size_align(5000, 8).unwrap());
        }
        assert_eq!(live(), 0);
        assert_eq!(totals().1 - allocs, 2);
        let u = usage();
        assert!(u.is_some(), "installed once it has allocated");

        // Allocated on this thread's shard, freed on another's: each shard alone is off by the
        // size, the sum is exact. (One test: a second one touching the counters in parallel
        // would move the differences this one checks.)
        let layout = Layout::from_size_align(4096, 8).unwrap();
        // SAFETY: non-zero size; freed once, below, with the same layout.
        let p = unsafe { a.alloc(layout) } as usize;
        assert_eq!(totals().0 - before, 4096);
        std::thread::spawn(move || {
            // SAFETY: `p` came from `a.alloc(layout)` above and is freed exactly once.
            unsafe { CountingAlloc.dealloc(p as *mut u8, layout) };
        })
        .join()
        .unwrap();
        assert_eq!(totals().0, before);
    }
}
