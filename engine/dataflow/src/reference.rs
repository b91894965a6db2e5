//! From-scratch batch computation of every feature, for the property tests — written
//! independently of the incremental code: it shares no formula, book type, aggregate or return
//! helper with the dataflow (only the feature ids and the input event types). Each feature is
//! computed here straight from its definition in `docs/features.md`, by a naive pass over all
//! events with the engine time they were ingested at.

use crate::Time;
use crate::catalogue::FeatureId;
use crate::catalogue::ids::*;
use orderflow_model::{Event, EventKind, InstrumentId, Side};
use std::collections::{BTreeMap, BTreeSet};

/// Levels per side the book features look at.
const DEPTH: usize = 20;
/// Trade windows of the catalogue: (length ns, ids of count, volume, buy, sell, net, ratio,
/// vwap, return, realized vol, intensity, price_vs_vwap).
const WINDOW_IDS: [(u64, [FeatureId; 11]); 5] = [
    (
        10_000_000_000,
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
            PRICE_VS_VWAP_10S,
        ],
    ),
    (
        60_000_000_000,
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
            PRICE_VS_VWAP_1M,
        ],
    ),
    (
        300_000_000_000,
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
            PRICE_VS_VWAP_5M,
        ],
    ),
    (
        900_000_000_000,
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
            PRICE_VS_VWAP_15M,
        ],
    ),
    (
        3_600_000_000_000,
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
            PRICE_VS_VWAP_1H,
        ],
    ),
];

/// Liquidation windows: (length ns, ids of long, short, total count; long, short, total value;
/// imbalance).
const LIQ_IDS: [(u64, [FeatureId; 7]); 3] = [
    (
        60_000_000_000,
        [
            LONG_LIQ_COUNT_1M,
            SHORT_LIQ_COUNT_1M,
            TOTAL_LIQ_COUNT_1M,
            LONG_LIQ_VALUE_1M,
            SHORT_LIQ_VALUE_1M,
            TOTAL_LIQ_VALUE_1M,
            LIQ_IMBALANCE_1M,
        ],
    ),
    (
        300_000_000_000,
        [
            LONG_LIQ_COUNT_5M,
            SHORT_LIQ_COUNT_5M,
            TOTAL_LIQ_COUNT_5M,
            LONG_LIQ_VALUE_5M,
            SHORT_LIQ_VALUE_5M,
            TOTAL_LIQ_VALUE_5M,
            LIQ_IMBALANCE_5M,
        ],
    ),
    (
        900_000_000_000,
        [
            LONG_LIQ_COUNT_15M,
            SHORT_LIQ_COUNT_15M,
            TOTAL_LIQ_COUNT_15M,
            LONG_LIQ_VALUE_15M,
            SHORT_LIQ_VALUE_15M,
            TOTAL_LIQ_VALUE_15M,
            LIQ_IMBALANCE_15M,
        ],
    ),
];

/// Ids of `avg_trade_size` and `buy_sell_ratio` of the trade window of length `len`.
fn size_and_ratio_ids(len: u64) -> (FeatureId, FeatureId) {
    match len {
        10_000_000_000 => (AVG_TRADE_SIZE_10S, BUY_SELL_RATIO_10S),
        60_000_000_000 => (AVG_TRADE_SIZE_1M, BUY_SELL_RATIO_1M),
        300_000_000_000 => (AVG_TRADE_SIZE_5M, BUY_SELL_RATIO_5M),
        900_000_000_000 => (AVG_TRADE_SIZE_15M, BUY_SELL_RATIO_15M),
        _ => (AVG_TRADE_SIZE_1H, BUY_SELL_RATIO_1H),
    }
}

/// A value from the model's 8-decimal raw integer.
fn real(raw: i64) -> f64 {
    raw as f64 / 100_000_000.0
}

/// One trade as the definitions read it.
struct T {
    at: Time,
    /// The event's own receive time (session membership).
    recv: Time,
    price: i64,
    size: i64,
    buy: bool,
    /// ln(price / previous trade's price), in integer units of 1e-9, rounded (the definition of
    /// `return_bps_*`); 0 for an instrument's first trade.
    ret: i64,
    /// price × size ≥ the whale threshold.
    whale: bool,
    /// At or below the best bid then.
    bid_hit: bool,
    /// At or above the best ask then (and not a bid hit).
    ask_hit: bool,
    /// Third distinct price of its taker order.
    sweep: bool,
    /// Iceberg fill.
    iceberg: bool,
}

/// Every feature value at engine time `at`, from the events ingested at times `≤ at`
/// (`events` in ingestion order), every funding interval 8 hours.
pub fn features_at(events: &[(Time, Event)], at: Time) -> BTreeMap<(InstrumentId, FeatureId), f64> {
    features_at_with(events, at, &BTreeMap::new())
}

/// Like [`features_at`], with the funding interval (hours) of each instrument; 8 for those
/// `funding_interval_h` does not name. Degenerate values (division by zero) are absent.
pub fn features_at_with(
    events: &[(Time, Event)],
    at: Time,
    funding_interval_h: &BTreeMap<InstrumentId, u32>,
) -> BTreeMap<(InstrumentId, FeatureId), f64> {
    features_at_full(
        events,
        at,
        funding_interval_h,
        100_000.0,
        1,
        &crate::records::DEFAULT_SESSION_HOURS,
    )
}

/// Like [`features_at_with`], with the whale threshold (notional, quote units) and the
/// retraction bucket of the trade windows of a minute and longer (ns): such a window holds
/// at `at` the trades ingested at `t ≤ at` whose bucket end — `t` rounded up to a multiple
/// of `bucket_ns` — plus the window is after `at` (at multiples of the bucket: exactly
/// `at − W < t`).
#[allow(clippy::too_many_lines)]
pub fn features_at_full(
    events: &[(Time, Event)],
    at: Time,
    funding_interval_h: &BTreeMap<InstrumentId, u32>,
    whale_notional: f64,
    bucket_ns: u64,
    sessions: &[Option<(u32, u32)>; 3],
) -> BTreeMap<(InstrumentId, FeatureId), f64> {
    let bucket_ns = bucket_ns.max(1);
    // Whale threshold in the raw product's units (1e-8 · 1e-8).
    let whale_raw = (whale_notional * 1e16).round() as i128;
    // Per instrument: the last trade's (aggressor is buy, exchange time) and the distinct
    // prices its taker order has reached.
    let mut taker: BTreeMap<InstrumentId, ((bool, u64), Vec<i64>)> = BTreeMap::new();
    // Per (instrument, passive side is the ask): (price, filled, most shown) of the fills at
    // one price in a row.
    let mut runs_at: BTreeMap<(InstrumentId, bool), (i64, i64, i64)> = BTreeMap::new();
    // Book per instrument and side: price raw → size raw.
    let mut bids: BTreeMap<InstrumentId, BTreeMap<i64, i64>> = BTreeMap::new();
    let mut asks: BTreeMap<InstrumentId, BTreeMap<i64, i64>> = BTreeMap::new();
    let mut trades: BTreeMap<InstrumentId, Vec<T>> = BTreeMap::new();
    let mut mark: BTreeMap<InstrumentId, (i64, i64)> = BTreeMap::new();
    let mut funding: BTreeMap<InstrumentId, i64> = BTreeMap::new();
    let mut oi: BTreeMap<InstrumentId, i64> = BTreeMap::new();
    // Every open-interest update: (ingested at, value).
    let mut oi_history: BTreeMap<InstrumentId, Vec<(Time, i64)>> = BTreeMap::new();
    // (ingested at, long position closed?, price × size).
    let mut liqs: BTreeMap<InstrumentId, Vec<(Time, bool, f64)>> = BTreeMap::new();
    // last, open, high, low, volume, quote volume.
    let mut ticker: BTreeMap<InstrumentId, [f64; 6]> = BTreeMap::new();
    for (t, ev) in events.iter().filter(|(t, _)| *t <= at) {
        let inst = ev.inst;
        match &ev.kind {
            EventKind::Book {
                snapshot, levels, ..
            } => {
                let (b, a) = (bids.entry(inst).or_default(), asks.entry(inst).or_default());
                if *snapshot {
                    b.clear();
                    a.clear();
                }
                for l in levels {
                    let side = if l.side == Side::Buy {
                        &mut *b
                    } else {
                        &mut *a
                    };
                    if l.size.raw() == 0 {
                        side.remove(&l.price.raw());
                    } else {
                        side.insert(l.price.raw(), l.size.raw());
                    }
                }
            }
            EventKind::Trade {
                price,
                size,
                aggressor,
                ..
            } => {
                let bid_hit = bids
                    .get(&inst)
                    .and_then(|b| b.keys().next_back())
                    .is_some_and(|best| price.raw() <= *best);
                let ask_hit = !bid_hit
                    && asks
                        .get(&inst)
                        .and_then(|a| a.keys().next())
                        .is_some_and(|best| price.raw() >= *best);
                let buy = *aggressor == Side::Buy;
                let mut sweep = false;
                if ev.ts_event == 0 {
                    taker.remove(&inst);
                } else {
                    let key = (buy, ev.ts_event);
                    let run = taker.entry(inst).or_insert((key, Vec::new()));
                    if run.0 != key {
                        *run = (key, Vec::new());
                    }
                    if !run.1.contains(&price.raw()) {
                        run.1.push(price.raw());
                        sweep = run.1.len() == 3;
                    }
                }
                // A buyer fills against the asks, a seller against the bids.
                let on_ask = buy;
                let shown = if on_ask {
                    asks.get(&inst)
                } else {
                    bids.get(&inst)
                }
                .and_then(|side| side.get(&price.raw()))
                .copied()
                .unwrap_or(0);
                let mut iceberg = false;
                if shown <= 0 {
                    runs_at.remove(&(inst, on_ask));
                } else {
                    let r = runs_at.get(&(inst, on_ask)).copied();
                    match r {
                        Some((p, filled, most)) if p == price.raw() => {
                            let filled = filled + size.raw();
                            let most = most.max(shown);
                            iceberg = filled > most;
                            runs_at.insert((inst, on_ask), (p, filled, most));
                        }
                        _ => {
                            runs_at.insert((inst, on_ask), (price.raw(), size.raw(), shown));
                        }
                    }
                }
                let list = trades.entry(inst).or_default();
                let ret = list.last().map_or(0, |p| {
                    if p.price <= 0 || price.raw() <= 0 {
                        0
                    } else {
                        ((price.raw() as f64 / p.price as f64).ln() * 1e9).round() as i64
                    }
                });
                list.push(T {
                    at: *t,
                    recv: ev.ts_recv,
                    price: price.raw(),
                    size: size.raw(),
                    buy,
                    ret,
                    whale: i128::from(price.raw()) * i128::from(size.raw()) >= whale_raw,
                    bid_hit,
                    ask_hit,
                    sweep,
                    iceberg,
                });
            }
            EventKind::MarkPrice { mark: m, index } => {
                mark.insert(inst, (m.raw(), index.raw()));
            }
            EventKind::Funding { rate, .. } => {
                funding.insert(inst, rate.raw());
            }
            EventKind::OpenInterest { open_interest } => {
                oi.insert(inst, open_interest.raw());
                oi_history
                    .entry(inst)
                    .or_default()
                    .push((*t, open_interest.raw()));
            }
            EventKind::Liquidation { side, price, size } => {
                liqs.entry(inst).or_default().push((
                    *t,
                    *side == Side::Sell,
                    real(price.raw()) * real(size.raw()),
                ));
            }
            EventKind::Ticker {
                last,
                open,
                high,
                low,
                volume,
                quote_volume,
                ..
            } => {
                ticker.insert(
                    inst,
                    [
                        real(last.raw()),
                        real(open.raw()),
                        real(high.raw()),
                        real(low.raw()),
                        *volume,
                        *quote_volume,
                    ],
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    let mut set = |inst: InstrumentId, id: FeatureId, v: f64| {
        if v.is_finite() {
            out.insert((inst, id), v);
        }
    };
    let empty = BTreeMap::new();
    let with_book: BTreeSet<InstrumentId> = bids.keys().chain(asks.keys()).copied().collect();
    for inst in with_book {
        // Best 20 per side, best first, as (price, size) reals.
        let b: Vec<(f64, f64)> = bids
            .get(&inst)
            .unwrap_or(&empty)
            .iter()
            .rev()
            .take(DEPTH)
            .map(|(p, s)| (real(*p), real(*s)))
            .collect();
        let a: Vec<(f64, f64)> = asks
            .get(&inst)
            .unwrap_or(&empty)
            .iter()
            .take(DEPTH)
            .map(|(p, s)| (real(*p), real(*s)))
            .collect();
        book_features(inst, &b, &a, &mut set);
    }
    for (inst, list) in &trades {
        let inst = *inst;
        let (buy, sell) = list.iter().fold((0i64, 0i64), |(b, s), t| {
            if t.buy {
                (b + t.size, s)
            } else {
                (b, s + t.size)
            }
        });
        set(inst, CVD, real(buy) - real(sell));
        set(inst, TRADE_COUNT_TOTAL, list.len() as f64);
        let last = list.last().map(|t| real(t.price));
        if let Some(p) = last {
            set(inst, LAST_PRICE, p);
        }
        for (len, ids) in WINDOW_IDS {
            // Inside the window at `at`: ingested at t with at − W < t ≤ at — for windows of a
            // minute and more, with t's bucket end in place of t.
            let w: Vec<&T> = list
                .iter()
                .filter(|t| {
                    let leaves = if len >= 60_000_000_000 {
                        t.at.div_ceil(bucket_ns) * bucket_ns + len
                    } else {
                        t.at + len
                    };
                    leaves > at
                })
                .collect();
            if w.is_empty() {
                // The pair has traded, this window holds nothing: zero counts, sums, return,
                // volatility and intensity; no ratio or average.
                for k in [0, 1, 2, 3, 4, 7, 8, 9] {
                    set(inst, ids[k], 0.0);
                }
                if len == 60_000_000_000 {
                    for id in [
                        WHALE_TRADE_DETECTED,
                        WHALE_COUNT_1M,
                        AGGRESSIVE_DELTA_1M,
                        BID_HIT_VOLUME_1M,
                        ASK_HIT_VOLUME_1M,
                        SWEEP_DETECTED,
                    ] {
                        set(inst, id, 0.0);
                    }
                }
                continue;
            }
            let vol: i64 = w.iter().map(|t| t.size).sum();
            let buy: i64 = w.iter().filter(|t| t.buy).map(|t| t.size).sum();
            let (v, b) = (real(vol), real(buy));
            set(inst, ids[0], w.len() as f64);
            set(inst, ids[1], v);
            set(inst, ids[2], b);
            set(inst, ids[3], v - b);
            set(inst, ids[4], b - (v - b));
            set(inst, ids[5], b / v);
            let vwap = w.iter().map(|t| real(t.price) * real(t.size)).sum::<f64>() / v;
            set(inst, ids[6], vwap);
            set(
                inst,
                ids[7],
                w.iter().map(|t| t.ret).sum::<i64>() as f64 * 1e-5,
            );
            let sq: f64 = w.iter().map(|t| (t.ret as f64) * (t.ret as f64)).sum();
            set(inst, ids[8], sq.sqrt() * 1e-5);
            set(inst, ids[9], w.len() as f64 / (len as f64 / 1e9));
            let (avg_id, ratio_id) = size_and_ratio_ids(len);
            set(inst, avg_id, v / w.len() as f64);
            set(inst, ratio_id, b / (v - b));
            if let Some(p) = last {
                set(inst, ids[10], (p - vwap) / vwap * 1e4);
            }
            if len == 60_000_000_000 {
                let whales: Vec<&&T> = w.iter().filter(|t| t.whale).collect();
                set(inst, WHALE_COUNT_1M, whales.len() as f64);
                set(
                    inst,
                    WHALE_TRADE_DETECTED,
                    if whales.is_empty() { 0.0 } else { 1.0 },
                );
                let wv: f64 = whales.iter().map(|t| real(t.size)).sum();
                let wb: f64 = whales.iter().filter(|t| t.buy).map(|t| real(t.size)).sum();
                if !whales.is_empty() {
                    set(inst, WHALE_AVG_SIZE_1M, wv / whales.len() as f64);
                    set(inst, WHALE_DIRECTION_1M, (wb - (wv - wb)) / wv);
                }
                let squares: f64 = w.iter().map(|t| real(t.size) * real(t.size)).sum();
                set(inst, TRADE_CONCENTRATION_1M, squares / (v * v));
                let signed: f64 = w
                    .iter()
                    .map(|t| {
                        let n = real(t.price) * real(t.size);
                        if t.buy { n } else { -n }
                    })
                    .sum();
                let gross: f64 = w.iter().map(|t| real(t.price) * real(t.size)).sum();
                set(inst, AGGRESSIVE_DELTA_1M, signed);
                set(inst, AGGRESSIVE_DELTA_RATIO_1M, signed / gross);
                let bid: f64 = w.iter().filter(|t| t.bid_hit).map(|t| real(t.size)).sum();
                let ask: f64 = w.iter().filter(|t| t.ask_hit).map(|t| real(t.size)).sum();
                set(inst, BID_HIT_VOLUME_1M, bid);
                set(inst, ASK_HIT_VOLUME_1M, ask);
                set(inst, HIT_VOLUME_RATIO_1M, ask / bid);
                set(
                    inst,
                    SWEEP_DETECTED,
                    if w.iter().any(|t| t.sweep) { 1.0 } else { 0.0 },
                );
                let ice = w.iter().filter(|t| t.iceberg).count();
                set(inst, ICEBERG_PROBABILITY_1M, ice as f64 / w.len() as f64);
            }
        }
    }
    // Sessions: of the trades received inside session s, those of the latest instance.
    let session_ids = [
        [SESSION_VWAP_ASIA, SESSION_HIGH_ASIA, SESSION_LOW_ASIA],
        [SESSION_VWAP_LONDON, SESSION_HIGH_LONDON, SESSION_LOW_LONDON],
        [
            SESSION_VWAP_NEW_YORK,
            SESSION_HIGH_NEW_YORK,
            SESSION_LOW_NEW_YORK,
        ],
    ];
    for (inst, list) in &trades {
        for (hours, ids) in sessions.iter().zip(session_ids) {
            let Some((start, end)) = *hours else { continue };
            // Instance start (ns since the epoch) of a time inside the session.
            let instance = |t: Time| -> Option<i128> {
                let hour_ns: i128 = 3_600_000_000_000;
                let day_ns = 24 * hour_ns;
                let t = i128::from(t);
                let midnight = t - t % day_ns;
                let hour = ((t % day_ns) / hour_ns) as u32;
                let inside = if start < end {
                    hour >= start && hour < end
                } else {
                    hour >= start || hour < end
                };
                if !inside {
                    return None;
                }
                let begin = midnight + i128::from(start) * hour_ns;
                Some(if begin > t { begin - day_ns } else { begin })
            };
            let Some(latest) = list.iter().filter_map(|t| instance(t.recv)).max() else {
                continue;
            };
            let mine: Vec<&T> = list
                .iter()
                .filter(|t| instance(t.recv) == Some(latest))
                .collect();
            let vol: f64 = mine.iter().map(|t| real(t.size)).sum();
            let value: f64 = mine.iter().map(|t| real(t.price) * real(t.size)).sum();
            if vol > 0.0 {
                set(*inst, ids[0], value / vol);
                let hi = mine.iter().map(|t| t.price).max().unwrap_or(0);
                let lo = mine.iter().map(|t| t.price).min().unwrap_or(0);
                set(*inst, ids[1], real(hi));
                set(*inst, ids[2], real(lo));
            }
        }
    }
    let mids: BTreeMap<InstrumentId, f64> = out
        .iter()
        .filter(|((_, id), _)| *id == MID_PRICE)
        .map(|((inst, _), v)| (*inst, *v))
        .collect();
    let mut set = |inst: InstrumentId, id: FeatureId, v: f64| {
        if v.is_finite() {
            out.insert((inst, id), v);
        }
    };
    for (inst, (m, i)) in &mark {
        let (m_real, i_real) = (real(*m), real(*i));
        if let Some(last) = trades.get(inst).and_then(|l| l.last()) {
            let l = real(last.price);
            set(*inst, MARK_VS_LAST_BPS, (m_real / l - 1.0) * 1e4);
            if *i != 0 {
                set(*inst, LAST_VS_INDEX_BPS, (l / i_real - 1.0) * 1e4);
            }
        }
        if let Some(mid) = mids.get(inst) {
            set(*inst, MARK_VS_MID_BPS, (m_real / mid - 1.0) * 1e4);
        }
        if let Some(v) = oi.get(inst) {
            set(*inst, OI_NOTIONAL, real(*v) * m_real);
        }
        set(*inst, MARK_PRICE, real(*m));
        if *i != 0 {
            set(*inst, INDEX_PRICE, real(*i));
            set(
                *inst,
                MARK_INDEX_BASIS_BPS,
                (real(*m) / real(*i) - 1.0) * 1e4,
            );
        }
    }
    for (inst, r) in &funding {
        let periods_per_day = 24.0 / f64::from(*funding_interval_h.get(inst).unwrap_or(&8));
        set(*inst, FUNDING_RATE, real(*r));
        set(
            *inst,
            FUNDING_RATE_ANNUALIZED,
            real(*r) * periods_per_day * 365.0,
        );
        set(*inst, FUNDING_RATE_8H, real(*r) * periods_per_day / 3.0);
    }
    for (inst, v) in &oi {
        set(*inst, OPEN_INTEREST, real(*v));
    }
    for (inst, list) in &oi_history {
        let Some(&(_, now)) = list.last() else {
            continue;
        };
        let windows = [
            (300_000_000_000u64, OI_DELTA_5M, OI_DELTA_PCT_5M),
            (900_000_000_000, OI_DELTA_15M, OI_DELTA_PCT_15M),
            (3_600_000_000_000, OI_DELTA_1H, OI_DELTA_PCT_1H),
        ];
        for (len, delta_id, pct_id) in windows {
            // The value in force at `at − len`: the last update ingested at or before it.
            let Some(&(_, then)) = list.iter().rev().find(|(t, _)| t + len <= at) else {
                continue;
            };
            let change = real(now) - real(then);
            set(*inst, delta_id, change);
            set(*inst, pct_id, change / real(then) * 100.0);
        }
    }
    for (inst, list) in &liqs {
        for (len, ids) in LIQ_IDS {
            let w: Vec<&(Time, bool, f64)> = list.iter().filter(|l| l.0 + len > at).collect();
            if w.is_empty() {
                // Liquidated before, none in this window: zero counts and values, no imbalance.
                for id in &ids[..6] {
                    set(*inst, *id, 0.0);
                }
                continue;
            }
            let longs = w.iter().filter(|l| l.1).count();
            let long_value: f64 = w.iter().filter(|l| l.1).map(|l| l.2).sum();
            let total_value: f64 = w.iter().map(|l| l.2).sum();
            let short_value = total_value - long_value;
            set(*inst, ids[0], longs as f64);
            set(*inst, ids[1], (w.len() - longs) as f64);
            set(*inst, ids[2], w.len() as f64);
            set(*inst, ids[3], long_value);
            set(*inst, ids[4], short_value);
            set(*inst, ids[5], total_value);
            set(*inst, ids[6], (long_value - short_value) / total_value);
        }
    }
    for (inst, [last, open, high, low, volume, quote]) in &ticker {
        set(*inst, PRICE_CHANGE_PCT_24H, (last / open - 1.0) * 100.0);
        set(*inst, HIGH_LOW_RANGE_BPS_24H, (high - low) / last * 1e4);
        set(*inst, RANGE_POSITION_24H, (last - low) / (high - low));
        set(*inst, VOLUME_24H, *volume);
        set(*inst, QUOTE_VOLUME_24H, *quote);
    }
    out
}

/// The book features of one instrument from its best levels (best first).
fn book_features(
    inst: InstrumentId,
    b: &[(f64, f64)],
    a: &[(f64, f64)],
    set: &mut impl FnMut(InstrumentId, FeatureId, f64),
) {
    let depth = |l: &[(f64, f64)], k: usize| -> f64 { l.iter().take(k).map(|x| x.1).sum() };
    // The largest level; on equal sizes the one nearer the touch.
    let largest = |l: &[(f64, f64)]| -> Option<(f64, f64)> {
        l.iter()
            .copied()
            .reduce(|best, x| if x.1 > best.1 { x } else { best })
    };
    let sides = [
        (
            b,
            BEST_BID,
            [BID_DEPTH_5, BID_DEPTH_10, BID_DEPTH_20],
            [BID_WALL_PRICE, BID_WALL_SIZE, SUPPORT_STRENGTH],
        ),
        (
            a,
            BEST_ASK,
            [ASK_DEPTH_5, ASK_DEPTH_10, ASK_DEPTH_20],
            [ASK_WALL_PRICE, ASK_WALL_SIZE, RESISTANCE_STRENGTH],
        ),
    ];
    for (l, best_id, depth_ids, wall_ids) in sides {
        let Some(&(best, _)) = l.first() else {
            continue;
        };
        set(inst, best_id, best);
        for (k, id) in [5, 10, 20].into_iter().zip(depth_ids) {
            set(inst, id, depth(l, k));
        }
        if let Some((p, s)) = largest(l) {
            set(inst, wall_ids[0], p);
            set(inst, wall_ids[1], s);
            set(inst, wall_ids[2], s * l.len() as f64 / depth(l, DEPTH));
        }
    }
    let (Some(&(pb, b1)), Some(&(pa, a1))) = (b.first(), a.first()) else {
        return;
    };
    let mid = 0.5 * (pa + pb);
    set(inst, MID_PRICE, mid);
    set(inst, SPREAD, pa - pb);
    set(inst, SPREAD_BPS, (pa - pb) / mid * 1e4);
    let micro = (pb * a1 + pa * b1) / (a1 + b1);
    set(inst, MICROPRICE, micro);
    set(inst, MICROPRICE_DEVIATION, (micro / mid - 1.0) * 1e4);
    let imb = |k: usize| (depth(b, k) - depth(a, k)) / (depth(b, k) + depth(a, k));
    let imbalances = [
        (1, DEPTH_IMBALANCE_1),
        (5, DEPTH_IMBALANCE_5),
        (10, DEPTH_IMBALANCE_10),
        (20, DEPTH_IMBALANCE_20),
    ];
    for (k, id) in imbalances {
        set(inst, id, imb(k));
    }
    set(
        inst,
        CUMULATIVE_DEPTH_IMBALANCE,
        (1..=10).map(imb).sum::<f64>() / 10.0,
    );
    let notional = |l: &[(f64, f64)]| -> f64 { l.iter().take(10).map(|(p, s)| p * s).sum() };
    let (bn, an) = (notional(b), notional(a));
    let (b10, a10) = (depth(b, 10), depth(a, 10));
    set(inst, VWAP_DEPTH, (bn + an) / (b10 + a10));
    let squares: f64 = b
        .iter()
        .take(10)
        .chain(a.iter().take(10))
        .map(|x| x.1 * x.1)
        .sum();
    set(
        inst,
        LIQUIDITY_CONCENTRATION_IDX,
        squares / (b10 + a10).powi(2),
    );
    set(
        inst,
        LIQUIDITY_GRADIENT,
        (depth(b, 20) + depth(a, 20)) / (depth(b, 5) + depth(a, 5)),
    );
    set(inst, PRESSURE_RATIO, bn / an);
    set(inst, BID_PRESSURE, bn / (bn + an));
    set(inst, ASK_PRESSURE, an / (bn + an));
}

/// Whether two feature maps agree: the same features, each value equal within a relative
/// 1e-9 (an absolute 1e-9 near zero) — the reference computes in its own arithmetic order.
pub fn agree(
    a: &BTreeMap<(InstrumentId, FeatureId), f64>,
    b: &BTreeMap<(InstrumentId, FeatureId), f64>,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, x)| b.get(k).is_some_and(|y| close(*x, *y)))
}

/// `x ≈ y` within a relative 1e-9, or an absolute 1e-9 near zero.
pub fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
}

/// The regime labels a sequence of evaluations gets, written independently of
/// `crate::regime`: each step is `(return_bps_15m, realized_vol_bps_1m, realized_vol_bps_15m)`
/// (`None` = a feature missing, no evaluation, the label stays). Rules from `docs/regimes.md`
/// restated as a table of (name, entry test, stay test) in priority order.
pub fn regimes_over(steps: &[Option<(f64, f64, f64)>]) -> Vec<Option<&'static str>> {
    type Test = fn(f64, f64) -> bool;
    let table: [(&str, Test, Test); 5] = [
        ("volatile", |_, v| v >= 1.5, |_, v| v >= 1.2),
        ("trending_up", |t, _| t >= 1.5, |t, _| t >= 1.0),
        ("trending_down", |t, _| t <= -1.5, |t, _| t <= -1.0),
        ("compression", |_, v| v <= 0.5, |_, v| v <= 0.7),
        ("ranging", |_, _| true, |_, _| true),
    ];
    let mut label: Option<&'static str> = None;
    let mut out = Vec::with_capacity(steps.len());
    for step in steps {
        if let Some((ret, rv1, rv15)) = *step
            && rv15 > 0.0
        {
            let (t, v) = (ret / rv15, rv1 * 15f64.sqrt() / rv15);
            let first_entry = table.iter().position(|(_, enter, _)| enter(t, v));
            let held = label.and_then(|l| table.iter().position(|(n, _, _)| *n == l));
            let pick = match (held, first_entry) {
                // A held regime (other than ranging) that still passes its stay test keeps its
                // place unless a regime earlier in the table enters.
                (Some(h), Some(e)) if table[h].0 != "ranging" && (table[h].2)(t, v) && e >= h => h,
                (_, Some(e)) => e,
                (Some(h), None) => h,
                (None, None) => table.len() - 1,
            };
            label = Some(table[pick].0);
        }
        out.push(label);
    }
    out
}
