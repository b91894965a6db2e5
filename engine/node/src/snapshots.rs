//! Feature and book snapshots into storage: one writer shared by the live pipeline and replays.
//!
//! A [`Snapshot`] from the engine carries every feature value at one engine time; the book rows
//! written beside it are the live store's best levels at that moment.

use orderflow_dataflow::Snapshot;
use orderflow_model::{Side, Universe};
use orderflow_plugin_host::live::LiveStore;
use orderflow_sink_duckdb::{BookSnapshotRow, FeatureRows, SinkMsg};

/// Sends one snapshot's `features` rows and the `orderbook` rows (`levels` per side) to the sink.
pub(crate) fn write_snapshot(
    snap: &Snapshot,
    sink: &crossbeam_channel::Sender<SinkMsg>,
    live: &LiveStore,
    universe: &Universe,
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
    let mut book_rows = Vec::new();
    for i in universe.iter() {
        if let Some((_, _, bids, asks)) = live.book_top(i.id, levels) {
            for (side, lv) in [(Side::Buy, bids), (Side::Sell, asks)] {
                for (k, (price, size)) in lv.into_iter().enumerate() {
                    book_rows.push(BookSnapshotRow {
                        time: snap.time,
                        inst: i.id,
                        side,
                        level: u32::try_from(k + 1).unwrap_or(u32::MAX),
                        price,
                        size,
                    });
                }
            }
        }
    }
    if !book_rows.is_empty() {
        let _ = sink.send(SinkMsg::Orderbook(book_rows));
    }
}
