//! Features that are the latest value of a stream (last price, mark/index, funding, OI, the
//! venue's 24 h ticker).

use super::{Derived, push};
use crate::catalogue::{FeatureId, ids::*};
use crate::records::Latest;
use orderflow_model::Fixed;

/// Feature ids per session (vwap, high, low), in the order of `records::SESSIONS`.
const SESSION_IDS: [[FeatureId; 3]; 3] = [
    [SESSION_VWAP_ASIA, SESSION_HIGH_ASIA, SESSION_LOW_ASIA],
    [SESSION_VWAP_LONDON, SESSION_HIGH_LONDON, SESSION_LOW_LONDON],
    [
        SESSION_VWAP_NEW_YORK,
        SESSION_HIGH_NEW_YORK,
        SESSION_LOW_NEW_YORK,
    ],
];

/// Derives the features of one latest value.
///
/// # Examples
/// ```
/// use orderflow_dataflow::{features::latest::derive, records::Latest, catalogue::ids};
/// use orderflow_model::Fixed;
/// let out = derive(&Latest::Funding { rate: Fixed::from_raw(10_000), interval_h: 1 }); // 0.0001/h
/// assert!(out.contains(&(ids::FUNDING_RATE, 0.0001)));
/// assert!(out.contains(&(ids::FUNDING_RATE_8H, 0.0008)));
/// ```
pub fn derive(l: &Latest) -> Vec<Derived> {
    let mut out = Vec::with_capacity(3);
    match *l {
        Latest::LastPrice(p) => push(&mut out, LAST_PRICE, p.to_f64()),
        Latest::Mark { mark, index } => {
            push(&mut out, MARK_PRICE, mark.to_f64());
            if !index.is_zero() {
                push(&mut out, INDEX_PRICE, index.to_f64());
                push(
                    &mut out,
                    MARK_INDEX_BASIS_BPS,
                    1e4 * (mark.to_f64() - index.to_f64()) / index.to_f64(),
                );
            }
        }
        Latest::Funding { rate, interval_h } => {
            let h = f64::from(interval_h.max(1));
            push(&mut out, FUNDING_RATE, rate.to_f64());
            push(
                &mut out,
                FUNDING_RATE_ANNUALIZED,
                rate.to_f64() * 8760.0 / h,
            );
            push(&mut out, FUNDING_RATE_8H, rate.to_f64() * 8.0 / h);
        }
        Latest::OpenInterest(oi) => push(&mut out, OPEN_INTEREST, oi.to_f64()),
        Latest::Session {
            idx,
            vwap,
            high,
            low,
        } => {
            if let Some([v, h, l]) = SESSION_IDS.get(usize::from(idx)) {
                push(&mut out, *v, vwap.0);
                push(&mut out, *h, high.to_f64());
                push(&mut out, *l, low.to_f64());
            }
        }
        Latest::Ticker {
            last,
            open,
            high,
            low,
            volume,
            quote_volume,
        } => {
            let (last, open, high, low) =
                (last.to_f64(), open.to_f64(), high.to_f64(), low.to_f64());
            push(&mut out, PRICE_CHANGE_PCT_24H, 100.0 * (last - open) / open);
            push(&mut out, HIGH_LOW_RANGE_BPS_24H, 1e4 * (high - low) / last);
            push(&mut out, RANGE_POSITION_24H, (last - low) / (high - low));
            push(&mut out, VOLUME_24H, volume.0);
            push(&mut out, QUOTE_VOLUME_24H, quote_volume.0);
        }
    }
    out
}

/// Features of the latest mark/index with the last trade price.
pub fn mark_and_last(mark: Fixed, index: Fixed, last: Fixed) -> Vec<Derived> {
    let mut out = Vec::with_capacity(2);
    let (m, i, l) = (mark.to_f64(), index.to_f64(), last.to_f64());
    push(&mut out, MARK_VS_LAST_BPS, 1e4 * (m - l) / l);
    if !index.is_zero() {
        push(&mut out, LAST_VS_INDEX_BPS, 1e4 * (l - i) / i);
    }
    out
}

/// `mark_vs_mid_bps` from the latest mark and the book's mid price.
pub fn mark_and_mid(mark: Fixed, mid: f64) -> Vec<Derived> {
    let mut out = Vec::with_capacity(1);
    push(&mut out, MARK_VS_MID_BPS, 1e4 * (mark.to_f64() - mid) / mid);
    out
}

/// `oi_notional` from the latest open interest and mark.
pub fn oi_and_mark(oi: Fixed, mark: Fixed) -> Vec<Derived> {
    let mut out = Vec::with_capacity(1);
    push(&mut out, OI_NOTIONAL, oi.to_f64() * mark.to_f64());
    out
}

/// `oi_delta_<w>` and `oi_delta_pct_<w>` (window `w` of [`crate::records::OI_WINDOWS`]) from the
/// open interest now and the one in force a window ago.
pub fn oi_change(w: usize, now: Fixed, then: Fixed) -> Vec<Derived> {
    let mut out = Vec::with_capacity(2);
    let ids = [
        (OI_DELTA_5M, OI_DELTA_PCT_5M),
        (OI_DELTA_15M, OI_DELTA_PCT_15M),
        (OI_DELTA_1H, OI_DELTA_PCT_1H),
    ];
    if let Some((delta, pct)) = ids.get(w) {
        let d = now.to_f64() - then.to_f64();
        push(&mut out, *delta, d);
        push(&mut out, *pct, 100.0 * d / then.to_f64());
    }
    out
}
