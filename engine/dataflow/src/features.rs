//! Feature derivations: pure functions from exact dataflow state to feature values.
//!
//! Each group lives in its own file; the dataflow operators that maintain the exact state are in
//! [`crate::graph`], the from-scratch versions in [`crate::reference`].

pub mod book;
pub mod latest;
pub mod liquidations;
pub mod trades;

use crate::catalogue::FeatureId;

/// A feature value produced by a derivation.
pub type Derived = (FeatureId, f64);

/// Pushes `v` when it is finite (a feature whose inputs are degenerate is absent, not NaN).
pub(crate) fn push(out: &mut Vec<Derived>, id: FeatureId, v: f64) {
    if v.is_finite() {
        out.push((id, v));
    }
}
