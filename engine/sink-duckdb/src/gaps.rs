//! Accounting of incomplete history: every interval in which a stream's stored data is missing
//! something becomes a row of the `gaps` table (venue, symbol, stream, from, to, reason, lost).
//!
//! Gaps come from the venue side (a disconnect, a book resync after a sequence gap or checksum
//! mismatch — reported by the host as [`SinkMsg::Gap`](crate::SinkMsg::Gap)) and from the
//! storage side, recorded here: messages refused by a full sink queue (back-pressure) and rows
//! lost to a failed flush (disk full, read-only file). Storage-side gaps are merged per key and
//! kept in a [`GapLedger`] until a flush writes them, so they survive the failure that caused
//! them; the most recent ones are also kept in memory for the `get_data_gaps` tool when the
//! database cannot be written at all.

use orderflow_model::{Event, InstrumentId, Universe};
use parking_lot::Mutex;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

/// One interval of incomplete history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GapRow {
    /// Venue (`*`: every venue).
    pub venue: String,
    /// Symbol (`*`: every symbol of the venue).
    pub symbol: String,
    /// `all`, `book`, `events`, or a derived table (`features`, `signals`, …).
    pub stream: String,
    /// Start (Unix ns, receive time).
    pub from_ns: u64,
    /// End (Unix ns, receive time).
    pub to_ns: u64,
    /// `disconnect`, `book_resync`, `sink_backpressure`, `storage_error`, `engine_backpressure`.
    pub reason: String,
    /// Free text (the error, the codec notice).
    pub detail: String,
    /// Messages or rows known lost in the interval (0: unknown, e.g. while disconnected).
    pub lost: u64,
}

type Key = (String, String, String, String);

/// Adds `g` to the pending gaps: a gap of the same venue, symbol, stream and reason widens to
/// cover both intervals and sums the rows lost.
fn merge(pending: &mut BTreeMap<Key, GapRow>, g: GapRow) {
    let key = (
        g.venue.clone(),
        g.symbol.clone(),
        g.stream.clone(),
        g.reason.clone(),
    );
    match pending.get_mut(&key) {
        Some(e) => {
            e.from_ns = e.from_ns.min(g.from_ns);
            e.to_ns = e.to_ns.max(g.to_ns);
            e.lost = e.lost.saturating_add(g.lost);
            if e.detail.is_empty() {
                e.detail = g.detail;
            }
        }
        None => {
            pending.insert(key, g);
        }
    }
}

/// Storage-side gaps waiting to be written, and the recent ones for display.
#[derive(Debug, Default)]
pub struct GapLedger {
    pending: Mutex<BTreeMap<Key, GapRow>>,
    recent: Mutex<VecDeque<GapRow>>,
    /// Gap rows recorded (all sources).
    pub recorded: AtomicU64,
    /// Messages refused by the full sink queue.
    pub queue_dropped: AtomicU64,
}

/// How many recent gaps are kept in memory.
pub const RECENT_GAPS: usize = 1_000;

impl GapLedger {
    /// Records a gap to be written at the next flush (merged with a pending one of the same
    /// venue, symbol, stream and reason).
    pub fn add(&self, g: GapRow) {
        self.remember(&g);
        merge(&mut self.pending.lock(), g);
    }

    /// Keeps `g` among the recent gaps (shown even when nothing can be written).
    pub fn remember(&self, g: &GapRow) {
        self.recorded.fetch_add(1, Ordering::Relaxed);
        let mut r = self.recent.lock();
        if r.len() == RECENT_GAPS {
            r.pop_front();
        }
        r.push_back(g.clone());
    }

    /// Takes the pending gaps (to write them).
    pub fn take(&self) -> Vec<GapRow> {
        std::mem::take(&mut *self.pending.lock())
            .into_values()
            .collect()
    }

    /// Puts back gaps a failed flush could not write, merged with any of the same key recorded
    /// since (and with each other: a flush may carry several host gaps of one key).
    pub fn restore(&self, rows: Vec<GapRow>) {
        let mut p = self.pending.lock();
        for g in rows {
            merge(&mut p, g);
        }
    }

    /// The recent gaps, oldest first.
    pub fn recent(&self) -> Vec<GapRow> {
        self.recent.lock().iter().cloned().collect()
    }

    /// Records the events of a lost batch as gaps per instrument (receive-time range, count).
    pub fn add_events(
        &self,
        u: &Universe,
        events: &[Event],
        stream: &str,
        reason: &str,
        detail: &str,
    ) {
        let mut per: BTreeMap<InstrumentId, (u64, u64, u64)> = BTreeMap::new();
        for e in events {
            let x = per.entry(e.inst).or_insert((u64::MAX, 0, 0));
            x.0 = x.0.min(e.ts_recv);
            x.1 = x.1.max(e.ts_recv);
            x.2 += 1;
        }
        for (inst, (from, to, n)) in per {
            let (venue, symbol) = u.get(inst).map_or(("?".to_owned(), "?".to_owned()), |i| {
                (i.venue.clone(), i.symbol.clone())
            });
            self.add(GapRow {
                venue,
                symbol,
                stream: stream.to_owned(),
                from_ns: from,
                to_ns: to,
                reason: reason.to_owned(),
                detail: detail.to_owned(),
                lost: n,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(from_ns: u64, to_ns: u64, lost: u64) -> GapRow {
        GapRow {
            venue: "binance".into(),
            symbol: "BTCUSDT".into(),
            stream: "book".into(),
            from_ns,
            to_ns,
            reason: "book_resync".into(),
            detail: String::new(),
            lost,
        }
    }

    #[test]
    fn restored_gaps_merge_with_later_ones_and_with_each_other() {
        let l = GapLedger::default();
        l.add(gap(10, 20, 3));
        let taken = l.take();
        assert_eq!(taken.len(), 1);
        // Recorded while the failed flush ran.
        l.add(gap(30, 40, 5));
        // The failed flush puts back what it took, and two host gaps of the same key it
        // carried.
        let mut back = taken;
        back.push(gap(21, 22, 1));
        back.push(gap(5, 6, 2));
        l.restore(back);
        let pending = l.take();
        assert_eq!(pending.len(), 1, "{pending:?}");
        let g = &pending[0];
        assert_eq!(
            (g.from_ns, g.to_ns, g.lost),
            (5, 40, 11),
            "nothing lost: {g:?}"
        );
    }
}
