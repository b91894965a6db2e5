//! # orderflow-crossvenue — features across the venues that list a symbol
//!
//! Per symbol, over every venue that lists it: price dispersion and range, the basis of each
//! venue pair, the consolidated best bid/ask, the funding spread, aggregated CVD, open interest,
//! liquidations and volume, lead-lag of the venues' mids, and arbitrage opportunities net of
//! each venue's taker fee ([`FeeSchedule`]).
//!
//! * Inputs: the engine's feature [`Snapshot`](orderflow_dataflow::Snapshot)s — per-venue
//!   features and books, all at one engine time — so the cross-venue values at T are a function
//!   of the per-venue state at T and replay like it. [`CrossVenueTracker`] is fed every snapshot
//!   and keeps the only state of its own: the mid samples of the lead-lag window.
//! * Definitions: [`catalogue::CROSS_FEATURES`] (rendered into `docs/cross-venue.md`); the
//!   independent reference is `tests/reference.rs`.
//!
//! Must not depend on: tokio, DuckDB, plugins, the server.

pub mod catalogue;
mod compute;
pub mod fees;
pub mod leadlag;
mod tracker;

pub use compute::{
    Arbitrage, Basis, Best, CrossVenue, FundingSpread, VenueQuote, VenueSummary, compute,
};
pub use fees::{Fee, FeeSchedule};
pub use leadlag::{LeadLag, LeadLagTracker, PairLeadLag};
pub use tracker::{CrossVenueConfig, CrossVenueStore, CrossVenueTracker, quote_of};
