//! Prices and order-book features from the best 20 levels per side.

use super::{Derived, push};
use crate::catalogue::ids::*;
use crate::records::BookTop;
use orderflow_model::Fixed;

fn cum(levels: &[(Fixed, Fixed)], k: usize) -> f64 {
    levels.iter().take(k).map(|(_, s)| s.to_f64()).sum()
}

fn imbalance(b: f64, a: f64) -> f64 {
    (b - a) / (b + a)
}

/// Largest level among the best 20: (price, size); the better price wins ties.
fn wall(levels: &[(Fixed, Fixed)]) -> Option<(Fixed, Fixed)> {
    let mut best: Option<(Fixed, Fixed)> = None;
    for &(p, s) in levels.iter().take(20) {
        if best.is_none_or(|(_, bs)| s > bs) {
            best = Some((p, s));
        }
    }
    best
}

/// Derives the book features (ids 0–29) from `top`.
///
/// # Examples
/// ```
/// use orderflow_dataflow::{features::book::derive, records::BookTop, catalogue::ids};
/// use orderflow_model::Fixed;
/// let f = |v: f64| Fixed::from_f64_lossy(v);
/// let top = BookTop { bids: vec![(f(99.0), f(1.0))], asks: vec![(f(101.0), f(3.0))] };
/// let out = derive(&top);
/// let get = |id| out.iter().find(|(i, _)| *i == id).unwrap().1;
/// assert_eq!(get(ids::MID_PRICE), 100.0);
/// assert_eq!(get(ids::MICROPRICE), 99.5); // (99·3 + 101·1) / 4
/// assert_eq!(get(ids::DEPTH_IMBALANCE_1), -0.5);
/// ```
pub fn derive(top: &BookTop) -> Vec<Derived> {
    let mut out = Vec::with_capacity(30);
    let (bids, asks) = (&top.bids, &top.asks);
    if let Some(&(pb, _)) = bids.first() {
        push(&mut out, BEST_BID, pb.to_f64());
    }
    if let Some(&(pa, _)) = asks.first() {
        push(&mut out, BEST_ASK, pa.to_f64());
    }
    for (k, bid_id, ask_id) in [
        (5, BID_DEPTH_5, ASK_DEPTH_5),
        (10, BID_DEPTH_10, ASK_DEPTH_10),
        (20, BID_DEPTH_20, ASK_DEPTH_20),
    ] {
        if !bids.is_empty() {
            push(&mut out, bid_id, cum(bids, k));
        }
        if !asks.is_empty() {
            push(&mut out, ask_id, cum(asks, k));
        }
    }
    if let Some((p, s)) = wall(bids) {
        push(&mut out, BID_WALL_PRICE, p.to_f64());
        push(&mut out, BID_WALL_SIZE, s.to_f64());
        let mean = cum(bids, 20) / bids.len().min(20) as f64;
        push(&mut out, SUPPORT_STRENGTH, s.to_f64() / mean);
    }
    if let Some((p, s)) = wall(asks) {
        push(&mut out, ASK_WALL_PRICE, p.to_f64());
        push(&mut out, ASK_WALL_SIZE, s.to_f64());
        let mean = cum(asks, 20) / asks.len().min(20) as f64;
        push(&mut out, RESISTANCE_STRENGTH, s.to_f64() / mean);
    }
    let (Some(&(pb, b1)), Some(&(pa, a1))) = (bids.first(), asks.first()) else {
        return out;
    };
    let (pb, pa, b1, a1) = (pb.to_f64(), pa.to_f64(), b1.to_f64(), a1.to_f64());
    let mid = (pb + pa) / 2.0;
    push(&mut out, MID_PRICE, mid);
    push(&mut out, SPREAD, pa - pb);
    push(&mut out, SPREAD_BPS, 1e4 * (pa - pb) / mid);
    let micro = (pb * a1 + pa * b1) / (b1 + a1);
    push(&mut out, MICROPRICE, micro);
    push(&mut out, MICROPRICE_DEVIATION, 1e4 * (micro - mid) / mid);
    for (k, id) in [
        (1, DEPTH_IMBALANCE_1),
        (5, DEPTH_IMBALANCE_5),
        (10, DEPTH_IMBALANCE_10),
        (20, DEPTH_IMBALANCE_20),
    ] {
        push(&mut out, id, imbalance(cum(bids, k), cum(asks, k)));
    }
    let cdi = (1..=10)
        .map(|k| imbalance(cum(bids, k), cum(asks, k)))
        .sum::<f64>()
        / 10.0;
    push(&mut out, CUMULATIVE_DEPTH_IMBALANCE, cdi);
    let ten = |l: &[(Fixed, Fixed)]| {
        l.iter()
            .take(10)
            .map(|(p, s)| p.to_f64() * s.to_f64())
            .sum::<f64>()
    };
    let (bn, an) = (ten(bids), ten(asks));
    let (b10, a10) = (cum(bids, 10), cum(asks, 10));
    push(&mut out, VWAP_DEPTH, (bn + an) / (b10 + a10));
    let sq: f64 = bids
        .iter()
        .take(10)
        .chain(asks.iter().take(10))
        .map(|(_, s)| s.to_f64() * s.to_f64())
        .sum::<f64>();
    push(
        &mut out,
        LIQUIDITY_CONCENTRATION_IDX,
        sq / ((b10 + a10) * (b10 + a10)),
    );
    push(
        &mut out,
        LIQUIDITY_GRADIENT,
        (cum(bids, 20) + cum(asks, 20)) / (cum(bids, 5) + cum(asks, 5)),
    );
    push(&mut out, PRESSURE_RATIO, bn / an);
    push(&mut out, BID_PRESSURE, bn / (bn + an));
    push(&mut out, ASK_PRESSURE, an / (bn + an));
    out
}
