//! From-scratch batch computation of every feature, for the property tests.
//!
//! Given all events with the engine time they were ingested at, [`features_at`] rebuilds each
//! book from scratch, re-scans all trades, and derives the features that must hold at time `at`.
//! It shares only the pure derivation functions with the dataflow, never its state.

use crate::Time;
use crate::catalogue::FeatureId;
use crate::features::{book, latest, trades};
use crate::records::{
    BookTop, Latest, TOP_LEVELS, TOTAL_WINDOW, TradeAgg, TradeRec, WINDOWS, log_return_e9,
};
use orderflow_model::{Event, EventKind, Fixed, InstrumentId, L2Book, Side};
use std::collections::BTreeMap;

/// Every feature value at engine time `at`, from the events ingested at times `≤ at`
/// (`events` in ingestion order).
pub fn features_at(events: &[(Time, Event)], at: Time) -> BTreeMap<(InstrumentId, FeatureId), f64> {
    let mut books: BTreeMap<InstrumentId, L2Book> = BTreeMap::new();
    let mut trade_list: BTreeMap<InstrumentId, Vec<(Time, TradeRec)>> = BTreeMap::new();
    let mut last_trade: BTreeMap<InstrumentId, Fixed> = BTreeMap::new();
    let mut latest_vals: BTreeMap<(InstrumentId, u8), Latest> = BTreeMap::new();
    for (t, ev) in events.iter().filter(|(t, _)| *t <= at) {
        let inst = ev.inst;
        match &ev.kind {
            EventKind::Book {
                snapshot, levels, ..
            } => books.entry(inst).or_default().apply(*snapshot, levels),
            EventKind::Trade {
                price,
                size,
                aggressor,
                ..
            } => {
                let r = last_trade
                    .insert(inst, *price)
                    .map_or(0, |p| log_return_e9(p, *price));
                trade_list.entry(inst).or_default().push((
                    *t,
                    TradeRec {
                        price: *price,
                        size: *size,
                        aggressor: *aggressor,
                        log_ret_e9: r,
                    },
                ));
                latest_vals.insert((inst, 0), Latest::LastPrice(*price));
            }
            EventKind::MarkPrice { mark, index } => {
                latest_vals.insert(
                    (inst, 1),
                    Latest::Mark {
                        mark: *mark,
                        index: *index,
                    },
                );
            }
            EventKind::Funding { rate, .. } => {
                latest_vals.insert((inst, 2), Latest::Funding(*rate));
            }
            EventKind::OpenInterest { open_interest } => {
                latest_vals.insert((inst, 3), Latest::OpenInterest(*open_interest));
            }
            EventKind::Liquidation { .. } | EventKind::Ticker { .. } => {}
        }
    }
    let mut out = BTreeMap::new();
    let mut put = |inst: InstrumentId, derived: Vec<(FeatureId, f64)>| {
        for (id, v) in derived {
            out.insert((inst, id), v);
        }
    };
    for (inst, b) in &books {
        let top = BookTop {
            bids: b.top(Side::Buy, TOP_LEVELS),
            asks: b.top(Side::Sell, TOP_LEVELS),
        };
        if !top.bids.is_empty() || !top.asks.is_empty() {
            put(*inst, book::derive(&top));
        }
    }
    for (inst, list) in &trade_list {
        let total = list.iter().fold(TradeAgg::default(), |mut a, (_, t)| {
            add(&mut a, &TradeAgg::of(t));
            a
        });
        put(*inst, trades::derive(TOTAL_WINDOW, &total));
        for (w, (len, _)) in WINDOWS.iter().enumerate() {
            let mut agg = TradeAgg::default();
            for (t, tr) in list {
                if t.saturating_add(*len) > at {
                    add(&mut agg, &TradeAgg::of(tr));
                }
            }
            let w = w as u8;
            put(*inst, trades::derive(w, &agg));
            if agg.count != 0
                && let Some(p) = last_trade.get(inst)
            {
                put(*inst, trades::price_vs_vwap(w, &agg, *p));
            }
        }
    }
    for ((inst, _), l) in &latest_vals {
        put(*inst, latest::derive(l));
    }
    out
}

fn add(a: &mut TradeAgg, b: &TradeAgg) {
    a.count += b.count;
    a.volume += b.volume;
    a.buy_volume += b.buy_volume;
    a.notional += b.notional;
    a.log_ret += b.log_ret;
    a.log_ret_sq += b.log_ret_sq;
}
