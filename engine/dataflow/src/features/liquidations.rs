//! Liquidation features over windows, from the exact [`LiqAgg`] sums.

use super::{Derived, push};
use crate::catalogue::{FeatureId, ids::*};
use crate::records::LiqAgg;

/// Feature ids per liquidation window: long, short, total count; long, short, total value;
/// imbalance.
const PER_WINDOW: [[FeatureId; 7]; 3] = [
    [
        LONG_LIQ_COUNT_1M,
        SHORT_LIQ_COUNT_1M,
        TOTAL_LIQ_COUNT_1M,
        LONG_LIQ_VALUE_1M,
        SHORT_LIQ_VALUE_1M,
        TOTAL_LIQ_VALUE_1M,
        LIQ_IMBALANCE_1M,
    ],
    [
        LONG_LIQ_COUNT_5M,
        SHORT_LIQ_COUNT_5M,
        TOTAL_LIQ_COUNT_5M,
        LONG_LIQ_VALUE_5M,
        SHORT_LIQ_VALUE_5M,
        TOTAL_LIQ_VALUE_5M,
        LIQ_IMBALANCE_5M,
    ],
    [
        LONG_LIQ_COUNT_15M,
        SHORT_LIQ_COUNT_15M,
        TOTAL_LIQ_COUNT_15M,
        LONG_LIQ_VALUE_15M,
        SHORT_LIQ_VALUE_15M,
        TOTAL_LIQ_VALUE_15M,
        LIQ_IMBALANCE_15M,
    ],
];

/// The features of liquidation window `w` when it holds none but the pair has had a
/// liquidation before: counts and values 0; the imbalance (0/0) stays absent.
pub fn empty_window(w: u8) -> Vec<Derived> {
    let mut out = Vec::with_capacity(6);
    if let Some(ids) = PER_WINDOW.get(usize::from(w)) {
        for id in &ids[..6] {
            push(&mut out, *id, 0.0);
        }
    }
    out
}

/// Derives the features of liquidation window `w` (index into
/// [`crate::records::LIQ_WINDOWS`]). An empty window yields nothing.
///
/// # Examples
/// ```
/// use orderflow_dataflow::{features::liquidations::derive, records::LiqAgg, catalogue::ids};
/// // One long liquidation worth 300, one short worth 100 (values are raw 1e-16).
/// let a = LiqAgg { long_count: 1, short_count: 1, long_value: 300 * 10i128.pow(16),
///                  short_value: 100 * 10i128.pow(16) };
/// let out = derive(0, &a);
/// assert!(out.contains(&(ids::TOTAL_LIQ_VALUE_1M, 400.0)));
/// assert!(out.contains(&(ids::LIQ_IMBALANCE_1M, 0.5)));
/// ```
pub fn derive(w: u8, a: &LiqAgg) -> Vec<Derived> {
    let mut out = Vec::with_capacity(7);
    let Some(ids) = PER_WINDOW.get(usize::from(w)) else {
        return out;
    };
    if a.long_count + a.short_count <= 0 {
        return out;
    }
    let value = |v: i128| v as f64 / 1e16;
    let (long, short) = (value(a.long_value), value(a.short_value));
    push(&mut out, ids[0], a.long_count as f64);
    push(&mut out, ids[1], a.short_count as f64);
    push(&mut out, ids[2], (a.long_count + a.short_count) as f64);
    push(&mut out, ids[3], long);
    push(&mut out, ids[4], short);
    push(&mut out, ids[5], long + short);
    push(&mut out, ids[6], (long - short) / (long + short));
    out
}
