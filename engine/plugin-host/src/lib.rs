//! # orderflow-plugin-host — the host side of the plugin ABI
//!
//! * [`loader`]: loads plugin cdylibs from configured folders, checks ABI version and layout
//!   (a mismatch is a typed error naming both versions), never unloads.
//! * [`convert`]: plugin events → engine events, validated (exact fixed-point, known instrument).
//! * [`live`]: the live-state read model that tools see through the SDK's `HostView`.
//! * [`series`]: bars and mid samples for analytic plugins (the `series` op), bounded.
//! * [`gaps`]: intervals of incomplete venue data (disconnects, book resyncs), live and in replay.
//! * [`calls`]: each tool's calls counted by outcome (answered, refused by code, dropped).
//! * [`cancel`]: cancellation of a running tool call (client gone → DuckDB interrupt).
//! * [`registry`]: every tool (plugin and built-in) by name, argument validation against its
//!   JSON Schema, and the sans-IO call loop (the host performs the REST requests a tool asks for).
//! * [`driver`]: runs a venue codec — owns its WebSockets, REST calls, timers, reconnects with
//!   backoff — and reports per-venue status.
//! * [`emulator`]: serves a plugin's venue emulator on loopback (WebSocket + REST).
//!
//! Plugins are trusted code: only configured folders are loaded.

// abi_stable's generated trait objects and library loading use `unsafe` internally; this crate
// has no hand-written unsafe code.
#![allow(unsafe_code)]

pub mod calls;
pub mod cancel;
pub mod convert;
pub mod driver;
pub mod emulator;
mod error;
pub mod gaps;
pub mod live;
pub mod loader;
pub mod record;
pub mod registry;
pub mod series;

pub use error::{PluginError, ToolError};

/// Unix time now, ns (the host's clock; plugins never read a clock).
pub fn now_ns() -> u64 {
    wall_ns()
}

/// One receive clock for every venue of a pipeline, so that engine time replays.
///
/// Each codec input is stamped under one lock with `max(wall clock, previous stamp + 1)` and is
/// decoded, recorded and handed to the engine before the lock is released. Every input thus has
/// its own receive time, the times are strictly increasing across all venues, and the engine
/// receives events in the order of their times — the order in which the recording holds them.
/// The engine can then give every event its own receive time as engine time (no event ever
/// arrives behind the engine's clock), and a replay of the recording sees the same events at
/// the same times in the same order: its feature snapshots equal the live run's.
#[derive(Debug, Default)]
pub struct IngestClock {
    last: parking_lot::Mutex<u64>,
}

impl IngestClock {
    /// Runs `f` with the next stamp, holding the clock until `f` returns.
    pub fn stamp<R>(&self, f: impl FnOnce(u64) -> R) -> R {
        let mut last = self.last.lock();
        let ts = wall_ns().max(last.saturating_add(1));
        *last = ts;
        f(ts)
    }
}

fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
