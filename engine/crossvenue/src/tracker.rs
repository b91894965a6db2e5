//! Feeds snapshots through [`compute`](crate::compute) for every symbol of the universe.

use crate::compute::{CrossVenue, VenueQuote, compute};
use crate::fees::FeeSchedule;
use crate::leadlag::LeadLagTracker;
use orderflow_dataflow::catalogue::ids;
use orderflow_dataflow::{FeatureId, Snapshot};
use orderflow_model::{InstrumentId, Universe};
use parking_lot::Mutex;
use std::collections::BTreeMap;

/// The latest [`CrossVenue`] per symbol, shared with the server.
pub type CrossVenueStore = Mutex<BTreeMap<String, CrossVenue>>;

/// Settings (`[cross_venue]` in the config).
#[derive(Clone, Debug, PartialEq)]
pub struct CrossVenueConfig {
    /// A book not updated for longer than this takes no part in prices and arbitrage.
    pub max_book_age_ms: u64,
    /// Mid samples in the lead-lag window.
    pub lead_lag_samples: usize,
    /// Largest lag tried, in samples.
    pub lead_lag_max_lag: usize,
    /// Fewest return pairs behind a correlation.
    pub lead_lag_min_pairs: usize,
}

impl Default for CrossVenueConfig {
    fn default() -> Self {
        Self {
            max_book_age_ms: 5_000,
            lead_lag_samples: 300,
            lead_lag_max_lag: 5,
            lead_lag_min_pairs: 30,
        }
    }
}

/// One venue's [`VenueQuote`] from a snapshot.
pub fn quote_of(snap: &Snapshot, inst: InstrumentId, venue: &str, max_age_ms: u64) -> VenueQuote {
    let top = snap.books.get(&inst);
    let level = |side: usize| {
        top.and_then(|(b, a)| if side == 0 { b.first() } else { a.first() })
            .map(|(p, s)| (p.to_f64(), s.to_f64()))
    };
    let age_ms = snap
        .book_times
        .get(&inst)
        .map(|t| snap.time.saturating_sub(*t) as f64 / 1e6);
    let fv = snap.features.get(&inst);
    let get = |id: FeatureId| fv.and_then(|f| f.values.get(&id).copied());
    VenueQuote {
        venue: venue.to_owned(),
        bid: level(0),
        ask: level(1),
        fresh: age_ms.is_some_and(|a| a <= max_age_ms as f64),
        book_age_ms: age_ms,
        funding_rate_8h: get(ids::FUNDING_RATE_8H),
        cvd: get(ids::CVD),
        net_flow_5m: get(ids::NET_FLOW_5M),
        volume_5m: get(ids::VOLUME_5M),
        open_interest: get(ids::OPEN_INTEREST),
        oi_notional: get(ids::OI_NOTIONAL),
        long_liquidation_value_5m: get(ids::LONG_LIQ_VALUE_5M),
        short_liquidation_value_5m: get(ids::SHORT_LIQ_VALUE_5M),
    }
}

#[derive(Debug)]
struct SymbolGroup {
    symbol: String,
    members: Vec<(InstrumentId, String)>,
    lead_lag: LeadLagTracker,
}

/// Cross-venue state of every symbol of a universe.
#[derive(Debug)]
pub struct CrossVenueTracker {
    groups: Vec<SymbolGroup>,
    fees: FeeSchedule,
    cfg: CrossVenueConfig,
}

impl CrossVenueTracker {
    /// A tracker of every symbol in `universe` (its venues in universe order).
    pub fn new(universe: &Universe, fees: FeeSchedule, cfg: CrossVenueConfig) -> Self {
        let mut by_symbol: BTreeMap<String, Vec<(InstrumentId, String)>> = BTreeMap::new();
        for i in universe.iter() {
            by_symbol
                .entry(i.symbol.clone())
                .or_default()
                .push((i.id, i.venue.clone()));
        }
        let groups = by_symbol
            .into_iter()
            .map(|(symbol, members)| SymbolGroup {
                lead_lag: LeadLagTracker::new(
                    members.iter().map(|(_, v)| v.clone()).collect(),
                    cfg.lead_lag_samples,
                    cfg.lead_lag_max_lag,
                    cfg.lead_lag_min_pairs,
                ),
                symbol,
                members,
            })
            .collect();
        Self { groups, fees, cfg }
    }

    /// The fee schedule in use.
    pub fn fees(&self) -> &FeeSchedule {
        &self.fees
    }

    /// Samples the snapshot and returns every symbol's cross-venue features at its time.
    pub fn update(&mut self, snap: &Snapshot) -> Vec<CrossVenue> {
        let mut out = Vec::with_capacity(self.groups.len());
        for g in &mut self.groups {
            let quotes: Vec<VenueQuote> = g
                .members
                .iter()
                .map(|(inst, venue)| quote_of(snap, *inst, venue, self.cfg.max_book_age_ms))
                .collect();
            g.lead_lag.push(
                snap.time,
                quotes
                    .iter()
                    .map(|q| if q.fresh { q.mid() } else { None })
                    .collect(),
            );
            out.push(compute(
                &g.symbol,
                snap.time,
                &quotes,
                &self.fees,
                g.lead_lag.compute(),
            ));
        }
        out
    }
}
