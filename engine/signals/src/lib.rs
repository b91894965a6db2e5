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
pub use compute::{Signal, compute};

use orderflow_dataflow::FeatureId;
use std::collections::BTreeMap;

/// A feature vector as the signals read it: values by feature id.
pub type Features = BTreeMap<FeatureId, f64>;
