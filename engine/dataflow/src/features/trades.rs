//! Trade-flow features over windows, from the exact [`TradeAgg`] sums.

use super::{Derived, push};
use crate::catalogue::{FeatureId, ids::*};
use crate::records::{TOTAL_WINDOW, TradeAgg, WINDOWS};
use orderflow_model::Fixed;

const RAW: f64 = 1e8;

/// Feature ids per window: count, volume, buy, sell, net, ratio, vwap, return, rvol, intensity.
const PER_WINDOW: [[FeatureId; 10]; 5] = [
    [
        TRADE_COUNT_10S,
        VOLUME_10S,
        BUY_VOLUME_10S,
        SELL_VOLUME_10S,
        NET_FLOW_10S,
        AGGRESSIVE_RATIO_10S,
        VWAP_10S,
        RETURN_BPS_10S,
        REALIZED_VOL_BPS_10S,
        TRADE_INTENSITY_10S,
    ],
    [
        TRADE_COUNT_1M,
        VOLUME_1M,
        BUY_VOLUME_1M,
        SELL_VOLUME_1M,
        NET_FLOW_1M,
        AGGRESSIVE_RATIO_1M,
        VWAP_1M,
        RETURN_BPS_1M,
        REALIZED_VOL_BPS_1M,
        TRADE_INTENSITY_1M,
    ],
    [
        TRADE_COUNT_5M,
        VOLUME_5M,
        BUY_VOLUME_5M,
        SELL_VOLUME_5M,
        NET_FLOW_5M,
        AGGRESSIVE_RATIO_5M,
        VWAP_5M,
        RETURN_BPS_5M,
        REALIZED_VOL_BPS_5M,
        TRADE_INTENSITY_5M,
    ],
    [
        TRADE_COUNT_15M,
        VOLUME_15M,
        BUY_VOLUME_15M,
        SELL_VOLUME_15M,
        NET_FLOW_15M,
        AGGRESSIVE_RATIO_15M,
        VWAP_15M,
        RETURN_BPS_15M,
        REALIZED_VOL_BPS_15M,
        TRADE_INTENSITY_15M,
    ],
    [
        TRADE_COUNT_1H,
        VOLUME_1H,
        BUY_VOLUME_1H,
        SELL_VOLUME_1H,
        NET_FLOW_1H,
        AGGRESSIVE_RATIO_1H,
        VWAP_1H,
        RETURN_BPS_1H,
        REALIZED_VOL_BPS_1H,
        TRADE_INTENSITY_1H,
    ],
];

/// Per window: average trade size, buy/sell volume ratio.
const SIZE_AND_RATIO: [[FeatureId; 2]; 5] = [
    [AVG_TRADE_SIZE_10S, BUY_SELL_RATIO_10S],
    [AVG_TRADE_SIZE_1M, BUY_SELL_RATIO_1M],
    [AVG_TRADE_SIZE_5M, BUY_SELL_RATIO_5M],
    [AVG_TRADE_SIZE_15M, BUY_SELL_RATIO_15M],
    [AVG_TRADE_SIZE_1H, BUY_SELL_RATIO_1H],
];

const PRICE_VS_VWAP: [FeatureId; 5] = [
    PRICE_VS_VWAP_10S,
    PRICE_VS_VWAP_1M,
    PRICE_VS_VWAP_5M,
    PRICE_VS_VWAP_15M,
    PRICE_VS_VWAP_1H,
];

/// VWAP of an aggregate, if it has volume.
pub fn vwap(a: &TradeAgg) -> Option<f64> {
    (a.volume > 0).then(|| a.notional as f64 / a.volume as f64 / RAW)
}

/// Derives the window features of window `w` (index into [`WINDOWS`], or [`TOTAL_WINDOW`]).
/// An empty window (count 0) yields nothing.
///
/// # Examples
/// ```
/// use orderflow_dataflow::{features::trades::derive, records::TradeAgg, catalogue::ids};
/// let a = TradeAgg { count: 2, volume: 300_000_000, buy_volume: 100_000_000,
///                    notional: 100 * 100_000_000 * 300_000_000, ..TradeAgg::default() };
/// let out = derive(1, &a);
/// assert!(out.contains(&(ids::NET_FLOW_1M, -1.0)));
/// assert!(out.contains(&(ids::VWAP_1M, 100.0)));
/// ```
pub fn derive(w: u8, a: &TradeAgg) -> Vec<Derived> {
    let mut out = Vec::with_capacity(10);
    if a.count <= 0 {
        return out;
    }
    let buy = a.buy_volume as f64 / RAW;
    let vol = a.volume as f64 / RAW;
    let sell = vol - buy;
    if w == TOTAL_WINDOW {
        push(&mut out, CVD, buy - sell);
        push(&mut out, TRADE_COUNT_TOTAL, a.count as f64);
        return out;
    }
    let Some(ids) = PER_WINDOW.get(usize::from(w)) else {
        return out;
    };
    let secs = WINDOWS
        .get(usize::from(w))
        .map_or(1.0, |(ns, _)| *ns as f64 / 1e9);
    push(&mut out, ids[0], a.count as f64);
    push(&mut out, ids[1], vol);
    push(&mut out, ids[2], buy);
    push(&mut out, ids[3], sell);
    push(&mut out, ids[4], buy - sell);
    push(&mut out, ids[5], buy / vol);
    if let Some(v) = vwap(a) {
        push(&mut out, ids[6], v);
    }
    push(&mut out, ids[7], a.log_ret as f64 / 1e9 * 1e4);
    push(&mut out, ids[8], (a.log_ret_sq as f64).sqrt() / 1e9 * 1e4);
    push(&mut out, ids[9], a.count as f64 / secs);
    if let Some([avg, ratio]) = SIZE_AND_RATIO.get(usize::from(w)) {
        push(&mut out, *avg, vol / a.count as f64);
        push(&mut out, *ratio, buy / sell);
    }
    if w == ONE_MINUTE {
        one_minute(a, &mut out);
    }
    out
}

/// Index of the 1-minute window in [`WINDOWS`] (whales, hits, sweeps, concentration).
const ONE_MINUTE: u8 = 1;

fn one_minute(a: &TradeAgg, out: &mut Vec<Derived>) {
    let whales = a.whale_volume as f64 / RAW;
    push(
        out,
        WHALE_TRADE_DETECTED,
        f64::from(u8::from(a.whale_count > 0)),
    );
    push(out, WHALE_COUNT_1M, a.whale_count as f64);
    if a.whale_count > 0 {
        push(out, WHALE_AVG_SIZE_1M, whales / a.whale_count as f64);
        let wb = a.whale_buy_volume as f64 / RAW;
        push(out, WHALE_DIRECTION_1M, (2.0 * wb - whales) / whales);
    }
    let vol = a.volume as f64;
    push(out, TRADE_CONCENTRATION_1M, a.size_sq as f64 / (vol * vol));
    let (buy_n, all_n) = (a.buy_notional as f64, a.notional as f64);
    push(
        out,
        AGGRESSIVE_DELTA_1M,
        (2.0 * buy_n - all_n) / (RAW * RAW),
    );
    push(
        out,
        AGGRESSIVE_DELTA_RATIO_1M,
        (2.0 * buy_n - all_n) / all_n,
    );
    let (bid, ask) = (a.bid_hit_volume as f64 / RAW, a.ask_hit_volume as f64 / RAW);
    push(out, BID_HIT_VOLUME_1M, bid);
    push(out, ASK_HIT_VOLUME_1M, ask);
    push(out, HIT_VOLUME_RATIO_1M, ask / bid);
    push(out, SWEEP_DETECTED, f64::from(u8::from(a.sweeps > 0)));
    push(
        out,
        ICEBERG_PROBABILITY_1M,
        a.icebergs as f64 / a.count as f64,
    );
}

/// The features of window `w` when it holds no trade but the pair has traded before: counts,
/// sums, the return, realized volatility and intensity are 0; the ratios and averages (0/0)
/// stay absent.
pub fn empty_window(w: u8) -> Vec<Derived> {
    let mut out = Vec::with_capacity(8);
    if let Some(ids) = PER_WINDOW.get(usize::from(w)) {
        for k in [0, 1, 2, 3, 4, 7, 8, 9] {
            push(&mut out, ids[k], 0.0);
        }
    }
    if w == ONE_MINUTE {
        for id in [
            WHALE_TRADE_DETECTED,
            WHALE_COUNT_1M,
            AGGRESSIVE_DELTA_1M,
            BID_HIT_VOLUME_1M,
            ASK_HIT_VOLUME_1M,
            SWEEP_DETECTED,
        ] {
            push(&mut out, id, 0.0);
        }
    }
    out
}

/// `price_vs_vwap_<w>` from a window aggregate and the last trade price.
pub fn price_vs_vwap(w: u8, a: &TradeAgg, last: Fixed) -> Vec<Derived> {
    let mut out = Vec::new();
    if let (Some(id), Some(v)) = (PRICE_VS_VWAP.get(usize::from(w)), vwap(a)) {
        push(&mut out, *id, 1e4 * (last.to_f64() - v) / v);
    }
    out
}
