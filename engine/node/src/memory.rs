//! Where the process's memory is: the parts of resident memory that `/metrics` reports as
//! `orderflow_process_memory_bytes{part=…}`, so a soak can attribute RSS growth instead of
//! guessing (benches/soak).
//!
//! The parts, each read when `/metrics` is scraped:
//! - `rss_anon`, `rss_file`: the kernel's split of resident memory (`/proc/self/status`):
//!   anonymous (heaps, stacks) and file-backed (the mapped binary, plugins, `libduckdb.so`).
//! - `rust_heap_committed`: memory mimalloc (the Rust side's allocator, see `main.rs`) has
//!   committed from the OS, `mi_process_info`'s `current_commit`.
//! - `duckdb_heap_allocated`, `duckdb_heap_resident`, `duckdb_heap_retained`: DuckDB's own
//!   allocator (the jemalloc built into `libduckdb.so`), read through its exported
//!   `duckdb_je_mallctl` (`stats.allocated`, `stats.resident`, `stats.retained`) after an
//!   `epoch` refresh. Absent when the library has no such symbol or no statistics.
//! - `glibc_heap_allocated`, `glibc_heap_free`: glibc's malloc (`mallinfo2`, all arenas), which
//!   serves what neither allocator above does: DuckDB's C++ objects outside its buffer manager
//!   (catalog, table and row-group metadata, query plans) and the plugin libraries (cdylibs on
//!   the system allocator). The plugins count their own share, reported per plugin beside the
//!   parts ([`reading`], `orderflow_plugin_heap_bytes{plugin}`).
//!
//! DuckDB's buffer manager (what `duckdb_memory()` reports, bounded by `storage.memory_limit`)
//! lives inside `duckdb_heap_*`; the writer samples it separately
//! (`orderflow_storage_duckdb_memory_bytes`).

#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::{Arc, RwLock};

use orderflow_plugin_host::loader::LoadedPlugin;
use orderflow_server::MemoryReading;

/// One part of the process's memory, bytes.
pub type Part = (&'static str, f64);

/// The plugins whose heaps [`reading`] reports (set when the pipeline has loaded them).
static PLUGINS: RwLock<Vec<Arc<LoadedPlugin>>> = RwLock::new(Vec::new());

/// Makes [`reading`] report these plugins' heaps (replacing the list of an earlier pipeline in
/// this process, e.g. in tests).
pub fn watch_plugins(plugins: &[Arc<LoadedPlugin>]) {
    if let Ok(mut w) = PLUGINS.write() {
        *w = plugins.to_vec();
    }
}

/// Turns transparent huge pages off for this process, before it allocates much.
///
/// mimalloc asks the kernel for huge pages (`MADV_HUGEPAGE`) on its arenas. A purged range
/// then comes back on the next allocation as a fresh 2 MiB page that the kernel zeroes in the
/// page fault, on the thread that allocates: profiled on the engine worker at 20 k changes/s,
/// `clear_page_erms` was 11 % of its time, and the slow steps it caused were the latency's
/// p99.9 (4.8 ms; 2.0 ms without huge pages, benches/README.md). `PR_SET_THP_DISABLE` applies to
/// every mapping of the process (checked at each page fault), the arenas mimalloc reserved
/// before `main` included. Returns whether the kernel accepted it.
pub fn disable_transparent_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)` only sets a flag on this process's
        // memory map; it reads and writes no memory of ours.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Whether transparent huge pages are off for this process (`PR_GET_THP_DISABLE`).
#[must_use]
pub fn transparent_huge_pages_disabled() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)` only reads a flag of this process.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The parts readable now (see the module docs); a part that cannot be read is left out.
#[must_use]
pub fn parts() -> Vec<Part> {
    let mut out = proc_status();
    out.push(("rust_heap_committed", mimalloc_committed()));
    out.extend(duckdb_heap());
    out.extend(glibc_heap());
    out
}

/// [`parts`], plus the heap of each watched plugin that counts it (SDK's `heap` query): the
/// plugins are cdylibs on the system allocator, so their heaps are inside
/// `glibc_heap_allocated`, and the rest of that part is DuckDB's C++ objects.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn reading() -> MemoryReading {
    let plugin_heaps = PLUGINS
        .read()
        .ok()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.heap().map(|h| (p.name().to_owned(), h.live_bytes as f64)))
                .collect()
        })
        .unwrap_or_default();
    MemoryReading {
        parts: parts(),
        plugin_heaps,
    }
}

/// glibc malloc's in-use and free bytes over all arenas, mmapped blocks included.
#[allow(clippy::cast_precision_loss)]
fn glibc_heap() -> Vec<Part> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallinfo2` takes no arguments and returns a plain struct by value.
        let m = unsafe { libc::mallinfo2() };
        vec![
            ("glibc_heap_allocated", (m.uordblks + m.hblkhd) as f64),
            ("glibc_heap_free", m.fordblks as f64),
        ]
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    Vec::new()
}

/// `RssAnon`, `RssFile` and `RssShmem` of `/proc/self/status` (kB there).
fn proc_status() -> Vec<Part> {
    let Ok(text) = std::fs::read_to_string("/proc/self/status") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, name) in [
        ("VmRSS:", "rss"),
        ("RssAnon:", "rss_anon"),
        ("RssFile:", "rss_file"),
        ("RssShmem:", "rss_shmem"),
    ] {
        if let Some(kb) = text
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        {
            out.push((name, kb * 1024.0));
        }
    }
    out
}

/// mimalloc's committed memory.
#[allow(clippy::cast_precision_loss)]
fn mimalloc_committed() -> f64 {
    let (mut elapsed, mut user, mut system) = (0usize, 0usize, 0usize);
    let (mut rss, mut peak_rss, mut commit, mut peak_commit, mut faults) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    // SAFETY: every argument is a valid pointer to a local usize, as `mi_process_info` requires;
    // it only writes through them.
    unsafe {
        libmimalloc_sys::mi_process_info(
            &raw mut elapsed,
            &raw mut user,
            &raw mut system,
            &raw mut rss,
            &raw mut peak_rss,
            &raw mut commit,
            &raw mut peak_commit,
            &raw mut faults,
        );
    }
    commit as f64
}

/// jemalloc's `mallctl(name, oldp, oldlenp, newp, newlen)`.
type Mallctl =
    unsafe extern "C" fn(*const c_char, *mut c_void, *mut usize, *mut c_void, usize) -> c_int;

/// DuckDB's jemalloc `mallctl`, looked up among the symbols already loaded.
fn duckdb_mallctl() -> Option<Mallctl> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only searches loaded objects.
    let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"duckdb_je_mallctl".as_ptr()) };
    if sym.is_null() {
        return None;
    }
    // SAFETY: `duckdb_je_mallctl` is jemalloc's `mallctl`, whose C signature `Mallctl` states.
    Some(unsafe { std::mem::transmute::<*mut c_void, Mallctl>(sym) })
}

/// Reads one `size_t` statistic.
fn read_size(mallctl: Mallctl, name: &CStr) -> Option<usize> {
    let mut value = 0usize;
    let mut len = std::mem::size_of::<usize>();
    // SAFETY: `name` is NUL-terminated; `oldp`/`oldlenp` point to a usize and its size, the
    // layout jemalloc documents for these statistics; nothing is written (`newp` null).
    let rc = unsafe {
        mallctl(
            name.as_ptr(),
            (&raw mut value).cast(),
            &raw mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    (rc == 0 && len == std::mem::size_of::<usize>()).then_some(value)
}

/// DuckDB's jemalloc statistics, refreshed first (writing `epoch`).
#[allow(clippy::cast_precision_loss)]
fn duckdb_heap() -> Vec<Part> {
    let Some(mallctl) = duckdb_mallctl() else {
        return Vec::new();
    };
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: `epoch` takes and returns a u64 (jemalloc's documented layout); both pointers
    // point to locals of that size.
    let rc = unsafe {
        mallctl(
            c"epoch".as_ptr(),
            (&raw mut epoch).cast(),
            &raw mut len,
            (&raw mut epoch).cast(),
            std::mem::size_of::<u64>(),
        )
    };
    if rc != 0 {
        return Vec::new();
    }
    [
        (c"stats.allocated", "duckdb_heap_allocated"),
        (c"stats.resident", "duckdb_heap_resident"),
        (c"stats.retained", "duckdb_heap_retained"),
    ]
    .into_iter()
    .filter_map(|(stat, part)| read_size(mallctl, stat).map(|v| (part, v as f64)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_read_and_plausible() {
        // DuckDB allocates through its own jemalloc: give it something to hold.
        let db = duckdb::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t AS SELECT range AS x FROM range(1000000)")
            .unwrap();
        let parts = parts();
        let get = |k: &str| parts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let rss = get("rss").unwrap_or_default();
        let anon = get("rss_anon").unwrap_or_default();
        assert!(anon > 0.0 && anon <= rss, "{parts:?}");
        assert!(get("rust_heap_committed").is_some(), "{parts:?}");
        let allocated = get("duckdb_heap_allocated").unwrap_or_default();
        let resident = get("duckdb_heap_resident").unwrap_or_default();
        assert!(allocated > 1e6, "{parts:?}");
        assert!(resident >= allocated, "{parts:?}");
        assert!(
            get("glibc_heap_allocated").unwrap_or_default() > 0.0,
            "{parts:?}"
        );
        drop(db);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_can_be_turned_off() {
        assert!(disable_transparent_huge_pages());
        assert!(transparent_huge_pages_disabled());
    }
}
