//! # orderflow-signals — composite signals and the signal aggregator
//!
//! The seed's 15 composite signals, each a pure function of one (venue, symbol)'s feature
//! vector ([`compute`]), with its components and a confidence (the share of its inputs that are
//! present), and the aggregator ([`aggregate`]) that ranks them, resolves conflicts between
//! directional signals and emits a recommendation. Definitions (formula, range, components) are
//! in [`catalogue`] and `docs/signals.md`; [`reference`] recomputes every signal independently
//! for the property test.

pub mod aggregator;
pub mod catalogue;
pub mod compute;
pub mod reference;

pub use aggregator::{Recommendation, aggregate};
pub use catalogue::{Kind, SIGNALS, SignalDef};
pub use compute::{Signal, compute, compute_with};

use orderflow_dataflow::FeatureId;
use std::collections::BTreeMap;

/// A feature vector as the signals read it: values by feature id.
pub type Features = BTreeMap<FeatureId, f64>;

/// What two signals read besides the pair's own features (each absent → the signal falls back
/// to its single-venue stand-in).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Context {
    /// Seconds since the pair's current regime began (the regime classifier, docs/regimes.md).
    pub regime_age_s: Option<f64>,
    /// The best net edge (bps, after both taker fees) of the cross-venue arbitrages of the
    /// symbol that buy or sell on this venue (docs/cross-venue.md).
    pub arbitrage_net_bps: Option<f64>,
}
