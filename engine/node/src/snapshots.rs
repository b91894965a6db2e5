//! Feature and book snapshots: the cross-venue features, and storage. One consumer shared by
//! the live pipeline and replays.
//!
//! A [`Snapshot`] from the engine carries every feature value at one engine time and the books
//! they were computed from at that same time: the `orderbook` rows stamped T describe the book
//! behind the `features` rows stamped T, and the `signals` and `cross_venue` rows stamped T are
//! computed from them.

use orderflow_crossvenue::{CrossVenue, CrossVenueStore, CrossVenueTracker};
use orderflow_dataflow::Snapshot;
use orderflow_dataflow::{SymbolRegimeStore, SymbolRegimeTracker};
use orderflow_model::Side;
use orderflow_sink_duckdb::{
    BookSnapshotRow, CrossVenueRows, FeatureRows, RegimeRow, SignalRows, SinkMsg, SymbolRegimeRow,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Takes every engine snapshot in order: updates the cross-venue features (shared with the
/// server) and writes the snapshot's rows when storage is on.
#[derive(Debug)]
pub(crate) struct SnapshotConsumer {
    pub(crate) cross: CrossVenueTracker,
    pub(crate) cross_store: Arc<CrossVenueStore>,
    pub(crate) sink: Option<orderflow_sink_duckdb::SinkTx>,
    pub(crate) levels: usize,
    pub(crate) universe: Arc<orderflow_model::Universe>,
    /// The sampled second stage of the features (computed here, off the engine's thread).
    pub(crate) series: orderflow_dataflow::series::Series,
    /// The engine's feature store, which also serves the sampled features.
    pub(crate) store: Arc<orderflow_dataflow::FeatureStore>,
    /// Per-symbol regimes across venues.
    pub(crate) symbol_regimes: SymbolRegimeTracker,
    /// Their current states, shared with the server.
    pub(crate) symbol_regime_store: Arc<SymbolRegimeStore>,
    /// What this process stores (a cluster process: only its own venues' rows, and the
    /// per-symbol rows only at process 0).
    pub(crate) writes: Writes,
}

/// Which snapshot rows a process stores.
#[derive(Clone, Debug, Default)]
pub(crate) struct Writes {
    /// Instruments whose rows are stored (`None`: all).
    pub(crate) instruments: Option<std::collections::BTreeSet<orderflow_model::InstrumentId>>,
    /// Whether the per-symbol rows (`cross_venue`, `symbol_regimes`) are stored here.
    pub(crate) per_symbol: bool,
}

impl Writes {
    /// Everything (a single process).
    pub(crate) fn all() -> Self {
        Self {
            instruments: None,
            per_symbol: true,
        }
    }

    /// What a process stores: everything alone; in a cluster its own instruments, and the
    /// per-symbol rows at process 0.
    pub(crate) fn of(
        cluster: Option<&orderflow_dataflow::ClusterConfig>,
        own: impl IntoIterator<Item = orderflow_model::InstrumentId>,
    ) -> Self {
        match cluster {
            None => Self::all(),
            Some(c) => Self {
                instruments: Some(own.into_iter().collect()),
                per_symbol: c.process == 0,
            },
        }
    }

    fn has(&self, inst: orderflow_model::InstrumentId) -> bool {
        self.instruments.as_ref().is_none_or(|s| s.contains(&inst))
    }
}

impl SnapshotConsumer {
    /// One snapshot: the sampled features are added to it (and to the live store) before
    /// anything reads it.
    pub(crate) fn consume(&mut self, mut snap: Snapshot) {
        for (inst, values) in self.series.update(snap.time, &snap.features, &snap.books) {
            self.store.set_sampled(inst, snap.time, &values);
            if let Some(fv) = snap.features.get_mut(&inst) {
                fv.values.extend(values);
            }
        }
        let snap = &snap;
        let cross = self.cross.update(snap);
        // The symbol's regime across the venues classified at this snapshot.
        let mut inputs: BTreeMap<String, Vec<orderflow_dataflow::regime::RegimeInputs>> =
            BTreeMap::new();
        for (inst, r) in &snap.regimes {
            if r.evaluated == snap.time
                && let Some(pair) = self.universe.get(*inst)
            {
                inputs
                    .entry(pair.symbol.clone())
                    .or_default()
                    .push(r.inputs);
            }
        }
        let transitions = self.symbol_regimes.update(snap.time, &inputs);
        self.symbol_regime_store
            .lock()
            .clone_from(self.symbol_regimes.states());
        if let Some(sink) = &self.sink {
            write_snapshot(
                snap,
                &cross,
                sink,
                self.levels,
                &self.universe,
                &self.writes,
            );
            if !transitions.is_empty() && self.writes.per_symbol {
                let rows = transitions
                    .into_iter()
                    .map(|t| SymbolRegimeRow {
                        time: t.time,
                        symbol: t.symbol,
                        regime: t.to.name(),
                        previous: t.from.map(|r| r.name()),
                        trend: t.inputs.trend,
                        vol_ratio: t.inputs.vol_ratio,
                    })
                    .collect();
                let _ = sink.send(SinkMsg::SymbolRegimes(rows));
            }
        }
        let mut store = self.cross_store.lock();
        for c in cross {
            store.insert(c.symbol.clone(), c);
        }
    }
}

/// What the regime and arbitrage signals read at a snapshot besides the pair's features.
fn signal_context(
    snap: &Snapshot,
    cross: &[CrossVenue],
    universe: &orderflow_model::Universe,
    inst: orderflow_model::InstrumentId,
) -> orderflow_signals::Context {
    let pair = universe.get(inst);
    orderflow_signals::Context {
        regime_age_s: snap
            .regimes
            .get(&inst)
            .map(|r| r.evaluated.saturating_sub(r.since) as f64 / 1e9),
        arbitrage_net_bps: pair.and_then(|p| {
            cross
                .iter()
                .find(|c| c.symbol == p.symbol)
                .and_then(|c| c.net_edge_for(&p.venue))
        }),
    }
}

/// The `cross_venue` rows of one symbol: its scalar features and the basis of each venue pair
/// (`basis_bps:<a>:<b>`).
fn cross_rows(c: &CrossVenue, out: &mut Vec<(String, String, f64)>) {
    for (name, v) in &c.features {
        out.push((c.symbol.clone(), (*name).to_owned(), *v));
    }
    for b in &c.basis {
        out.push((
            c.symbol.clone(),
            format!("basis_bps:{}:{}", b.a, b.b),
            b.basis_bps,
        ));
    }
}

/// Sends one snapshot's `features`, `signals`, `regimes`, `cross_venue` and `orderbook` rows
/// (`levels` per side) to the sink.
fn write_snapshot(
    snap: &Snapshot,
    cross: &[CrossVenue],
    sink: &orderflow_sink_duckdb::SinkTx,
    levels: usize,
    universe: &orderflow_model::Universe,
    writes: &Writes,
) {
    let mut rows = FeatureRows {
        time: snap.time,
        rows: Vec::new(),
    };
    for (inst, fv) in snap.features.iter().filter(|(i, _)| writes.has(**i)) {
        rows.rows
            .extend(fv.values.iter().map(|(id, v)| (*inst, id.name(), *v)));
    }
    let _ = sink.send(SinkMsg::Features(rows));
    // The composite signals of the same feature vectors.
    let mut signals = SignalRows {
        time: snap.time,
        rows: Vec::new(),
    };
    for (inst, fv) in snap.features.iter().filter(|(i, _)| writes.has(**i)) {
        let ctx = signal_context(snap, cross, universe, *inst);
        for s in orderflow_signals::compute_with(&fv.values, &ctx) {
            signals.rows.push((*inst, s.name, s.value, s.confidence));
        }
    }
    if !signals.rows.is_empty() {
        let _ = sink.send(SinkMsg::Signals(signals));
    }
    if !snap.transitions.is_empty() {
        let rows: Vec<RegimeRow> = snap
            .transitions
            .iter()
            .filter(|t| writes.has(t.inst))
            .map(|t| RegimeRow {
                time: t.time,
                inst: t.inst,
                regime: t.to.name(),
                previous: t.from.map(|r| r.name()),
                trend: t.inputs.trend,
                vol_ratio: t.inputs.vol_ratio,
            })
            .collect();
        if !rows.is_empty() {
            let _ = sink.send(SinkMsg::Regimes(rows));
        }
    }
    let mut cross_venue = CrossVenueRows {
        time: snap.time,
        rows: Vec::new(),
    };
    for c in cross.iter().filter(|_| writes.per_symbol) {
        cross_rows(c, &mut cross_venue.rows);
    }
    if !cross_venue.rows.is_empty() {
        let _ = sink.send(SinkMsg::CrossVenue(cross_venue));
    }
    let mut book_rows = Vec::new();
    for (inst, (bids, asks)) in snap.books.iter().filter(|(i, _)| writes.has(**i)) {
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
