//! # orderflow-dataflow — the incremental feature graph
//!
//! Normalized events enter a timely/differential-dataflow graph ([`graph::build`]) through an
//! [`Ingress`]; the graph maintains, per (venue, symbol), the feature catalogue ([`catalogue`])
//! as one collection of `(instrument, feature, value)`. [`Engine`] runs it on timely workers fed
//! from a channel; [`FeatureStore`] accumulates the output into current values.
//!
//! * Time: engine time is the host's receive time (Unix ns), never the wall clock inside the
//!   graph. Snapshots are cut at exact grid times and window membership at them depends on each
//!   event's own receive time, not on batching (docs/features.md, "Clock"), so a replay of
//!   recorded frames computes the same snapshots.
//! * Exactness: keyed records are fixed-point; additive state (trade windows) is kept as
//!   differential *diffs* (`TradeAgg`), not in `reduce`; feature values leave the exact domain
//!   only in the final derivation.
//! * Correctness: [`reference::features_at`] recomputes every feature from scratch;
//!   `tests/incremental_vs_scratch.rs` checks the two agree at every engine time.
//!
//! Must not depend on: tokio, DuckDB, plugins, the server.

pub mod catalogue;
mod connect;
mod engine;
mod expire;
pub mod features;
mod graph;
mod ingress;
pub mod records;
pub mod reference;
pub mod reference_series;
pub mod regime;
pub mod series;
mod store;

pub use catalogue::{CATALOGUE, FeatureDef, FeatureId, Group};
pub use engine::{
    ClusterConfig, Command, Engine, EngineConfig, EngineError, EngineMetrics, MinuteWindow,
    RegimeStore, Snapshot,
};
pub use graph::{FeatureCollection, Inputs, build};
pub use ingress::{DEFAULT_FUNDING_INTERVAL_H, DEFAULT_WHALE_NOTIONAL, Ingress, UpdateSink};
pub use records::SideLevels;
pub use regime::{
    Regime, RegimeState, RegimeTracker, SymbolRegimeState, SymbolRegimeStore, SymbolRegimeTracker,
    SymbolTransition, Transition,
};
pub use store::{FeatureStore, FeatureTimes, FeatureVector, Update};

/// Engine time: receive-time nanoseconds.
pub type Time = u64;
