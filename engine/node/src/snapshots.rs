//! Feature and book snapshots into storage: one writer shared by the live pipeline and replays.
//!
//! A [`Snapshot`] from the engine carries every feature value at one engine time and the books
//! they were computed from at that same time: the `orderbook` rows stamped T describe the book
//! behind the `features` rows stamped T, and the `signals` rows stamped T are computed from them.

use orderflow_dataflow::Snapshot;
use orderflow_model::Side;
use orderflow_sink_duckdb::{BookSnapshotRow, FeatureRows, RegimeRow, SignalRows, SinkMsg};

/// Sends one snapshot's `features` rows and the `orderbook` rows (`levels` per side) to the sink.
pub(crate) fn write_snapshot(
    snap: &Snapshot,
    sink: &crossbeam_channel::Sender<SinkMsg>,
    levels: usize,
) {
    let mut rows = FeatureRows {
        time: snap.time,
        rows: Vec::new(),
    };
    for (inst, fv) in &snap.features {
        rows.rows
            .extend(fv.values.iter().map(|(id, v)| (*inst, id.name(), *v)));
    }
    let _ = sink.send(SinkMsg::Features(rows));
    // The composite signals of the same feature vectors.
    let mut signals = SignalRows {
        time: snap.time,
        rows: Vec::new(),
    };
    for (inst, fv) in &snap.features {
        for s in orderflow_signals::compute(&fv.values) {
            signals.rows.push((*inst, s.name, s.value, s.confidence));
        }
    }
    if !signals.rows.is_empty() {
        let _ = sink.send(SinkMsg::Signals(signals));
    }
    if !snap.transitions.is_empty() {
        let rows = snap
            .transitions
            .iter()
            .map(|t| RegimeRow {
                time: t.time,
                inst: t.inst,
                regime: t.to.name(),
                previous: t.from.map(|r| r.name()),
                trend: t.inputs.trend,
                vol_ratio: t.inputs.vol_ratio,
            })
            .collect();
        let _ = sink.send(SinkMsg::Regimes(rows));
    }
    let mut book_rows = Vec::new();
    for (inst, (bids, asks)) in &snap.books {
        for (side, lv) in [(Side::Buy, bids), (Side::Sell, asks)] {
            for (k, (price, size)) in lv.iter().take(levels).enumerate() {
                book_rows.push(BookSnapshotRow {
                    time: snap.time,
                    inst: *inst,
                    side,
                    level: u32::try_from(k + 1).unwrap_or(u32::MAX),
                    price: *price,
                    size: *size,
                });
            }
        }
    }
    if !book_rows.is_empty() {
        let _ = sink.send(SinkMsg::Orderbook(book_rows));
    }
}
