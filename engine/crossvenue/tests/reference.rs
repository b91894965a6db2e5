//! The cross-venue features against a from-scratch reference written here, independently of
//! `compute` (its own loops and formulas), on random venue quotes; plus hand-computed values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_crossvenue::catalogue::names;
use orderflow_crossvenue::{Fee, FeeSchedule, VenueQuote, compute};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn fees() -> FeeSchedule {
    FeeSchedule::new([
        (
            "a".to_owned(),
            Fee {
                taker_bps: 5.0,
                maker_bps: 2.0,
            },
        ),
        (
            "b".to_owned(),
            Fee {
                taker_bps: 4.5,
                maker_bps: 1.5,
            },
        ),
        (
            "c".to_owned(),
            Fee {
                taker_bps: 10.0,
                maker_bps: 10.0,
            },
        ),
        // "d" has no fee: it takes part in prices but not in arbitrage.
    ])
}

/// The reference: plain arithmetic over the quotes.
fn reference(quotes: &[VenueQuote], fees: &FeeSchedule) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let usable: Vec<&VenueQuote> = quotes
        .iter()
        .filter(|q| q.fresh && q.bid.is_some() && q.ask.is_some())
        .filter(|q| {
            q.bid.map(|b| b.0).unwrap_or(0.0) > 0.0 && q.ask.map(|a| a.0).unwrap_or(0.0) > 0.0
        })
        .collect();
    out.insert("venue_count".to_owned(), usable.len() as f64);
    let mids: Vec<f64> = usable
        .iter()
        .map(|q| 0.5 * q.bid.map(|b| b.0).unwrap_or(0.0) + 0.5 * q.ask.map(|a| a.0).unwrap_or(0.0))
        .collect();
    if mids.len() > 1 {
        let mean: f64 = mids.iter().sum::<f64>() / mids.len() as f64;
        let mut ss = 0.0;
        for m in &mids {
            ss += (m - mean) * (m - mean);
        }
        let sd = (ss / mids.len() as f64).sqrt();
        out.insert("price_dispersion_bps".to_owned(), sd / mean * 10_000.0);
        let mut sorted = mids.clone();
        sorted.sort_by(|x, y| x.partial_cmp(y).unwrap());
        out.insert(
            "price_range_bps".to_owned(),
            (sorted[sorted.len() - 1] - sorted[0]) / mean * 10_000.0,
        );
        let mut max_abs = 0.0f64;
        for i in 0..mids.len() {
            for j in 0..mids.len() {
                if i != j {
                    max_abs = max_abs.max(((mids[i] - mids[j]) / mids[j] * 10_000.0).abs());
                }
            }
        }
        // |basis| of (i, j) and (j, i) differ; only i before j counts.
        let mut max_ordered = 0.0f64;
        for i in 0..mids.len() {
            for j in i + 1..mids.len() {
                max_ordered = max_ordered.max(((mids[i] - mids[j]) / mids[j] * 10_000.0).abs());
            }
        }
        assert!(max_ordered <= max_abs + 1e-9);
        out.insert("max_abs_basis_bps".to_owned(), max_ordered);
    }
    if !usable.is_empty() {
        let bb = usable
            .iter()
            .map(|q| q.bid.unwrap().0)
            .fold(f64::MIN, f64::max);
        let ba = usable
            .iter()
            .map(|q| q.ask.unwrap().0)
            .fold(f64::MAX, f64::min);
        out.insert("best_bid".to_owned(), bb);
        out.insert("best_ask".to_owned(), ba);
        out.insert(
            "consolidated_spread_bps".to_owned(),
            (ba - bb) * 20_000.0 / (ba + bb),
        );
    }
    let rates: Vec<f64> = quotes.iter().filter_map(|q| q.funding_rate_8h).collect();
    if rates.len() > 1 {
        let hi = rates.iter().cloned().fold(f64::MIN, f64::max);
        let lo = rates.iter().cloned().fold(f64::MAX, f64::min);
        out.insert("funding_spread_8h".to_owned(), hi - lo);
        out.insert(
            "funding_spread_annualized".to_owned(),
            (hi - lo) * 3.0 * 365.0,
        );
    }
    let mut add = |name: &str, f: &dyn Fn(&VenueQuote) -> Option<f64>| {
        let vals: Vec<f64> = quotes.iter().filter_map(f).collect();
        if !vals.is_empty() {
            out.insert(name.to_owned(), vals.iter().sum());
        }
    };
    add("cvd_total", &|q| q.cvd);
    add("net_flow_5m_total", &|q| q.net_flow_5m);
    add("volume_5m_total", &|q| q.volume_5m);
    add("open_interest_total", &|q| q.open_interest);
    add("oi_notional_total", &|q| q.oi_notional);
    add("long_liquidation_value_5m_total", &|q| {
        q.long_liquidation_value_5m
    });
    add("short_liquidation_value_5m_total", &|q| {
        q.short_liquidation_value_5m
    });
    if let (Some(l), Some(s)) = (
        out.get("long_liquidation_value_5m_total").copied(),
        out.get("short_liquidation_value_5m_total").copied(),
    ) {
        let t = l + s;
        out.insert(
            "liquidation_imbalance_5m_total".to_owned(),
            if t == 0.0 { 0.0 } else { l / t - s / t },
        );
    }
    let mut nets = Vec::new();
    for buy in &usable {
        for sell in &usable {
            if buy.venue == sell.venue {
                continue;
            }
            let (Some(fb), Some(fs)) = (fees.get(&buy.venue), fees.get(&sell.venue)) else {
                continue;
            };
            let ask = buy.ask.unwrap().0;
            let bid = sell.bid.unwrap().0;
            nets.push((bid / ask - 1.0) * 10_000.0 - fb.taker_bps - fs.taker_bps);
        }
    }
    if !nets.is_empty() {
        out.insert(
            "arbitrage_best_net_bps".to_owned(),
            nets.iter().cloned().fold(f64::MIN, f64::max),
        );
        out.insert(
            "arbitrage_opportunities".to_owned(),
            nets.iter().filter(|n| **n > 0.0).count() as f64,
        );
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn quote() -> impl Strategy<Value = VenueQuote> {
    (
        (
            prop::option::of((90.0..110.0f64, 0.001..5.0f64)),
            prop::option::of((0.0..0.5f64, 0.001..5.0f64)),
            prop::bool::weighted(0.8),
        ),
        (
            prop::option::of(-0.001..0.001f64),
            prop::option::of(-1e4..1e4f64),
            prop::option::of(0.0..1e6f64),
            prop::option::of(0.0..1e5f64),
            prop::option::of(0.0..1e5f64),
        ),
    )
        .prop_map(
            |((bid, gap, fresh), (funding, cvd, oi, long, short))| VenueQuote {
                venue: String::new(),
                bid,
                // The ask is the bid plus a non-negative gap, or alone when there is no bid.
                ask: match (bid, gap) {
                    (Some((b, _)), Some((g, s))) => Some((b + g, s)),
                    (None, Some((g, s))) => Some((100.0 + g, s)),
                    (_, None) => None,
                },
                fresh,
                book_age_ms: Some(if fresh { 10.0 } else { 60_000.0 }),
                funding_rate_8h: funding,
                cvd,
                net_flow_5m: cvd.map(|c| c / 10.0),
                volume_5m: oi.map(|o| o / 100.0),
                open_interest: oi,
                oi_notional: oi.map(|o| o * 100.0),
                long_liquidation_value_5m: long,
                short_liquidation_value_5m: short,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn compute_equals_reference(qs in prop::collection::vec(quote(), 0..5)) {
        let quotes: Vec<VenueQuote> = qs
            .into_iter()
            .zip(["a", "b", "c", "d", "e"])
            .map(|(mut q, v)| { q.venue = v.to_owned(); q })
            .collect();
        let got = compute("X", 1, &quotes, &fees(), None);
        let want = reference(&quotes, &fees());
        let got_names: Vec<&str> = got.features.keys().copied().collect();
        let want_names: Vec<&str> = want.keys().map(String::as_str).collect();
        prop_assert_eq!(got_names, want_names);
        for (k, v) in &want {
            let g = got.features[k.as_str()];
            prop_assert!(close(g, *v), "{}: {} vs {}", k, g, v);
        }
        // Every listed arbitrage has a positive gross edge and a consistent net.
        for a in &got.arbitrage {
            prop_assert!(a.gross_bps > 0.0);
            prop_assert!(close(a.net_bps, a.gross_bps - a.fees_bps));
        }
    }
}

/// Three venues by hand: a 100.00/100.10, b 100.20/100.30, c stale, d 99.90/100.00 (no fee).
#[test]
fn golden_three_venues() {
    let q = |venue: &str, bid: f64, ask: f64, fresh: bool| VenueQuote {
        venue: venue.to_owned(),
        bid: Some((bid, 2.0)),
        ask: Some((ask, 1.0)),
        fresh,
        book_age_ms: Some(1.0),
        funding_rate_8h: Some(match venue {
            "a" => 0.0001,
            "b" => 0.0003,
            _ => -0.0001,
        }),
        ..VenueQuote::default()
    };
    let quotes = [
        q("a", 100.0, 100.1, true),
        q("b", 100.2, 100.3, true),
        q("c", 200.0, 200.1, false),
        q("d", 99.9, 100.0, true),
    ];
    let cv = compute("X", 7, &quotes, &fees(), None);
    let f = &cv.features;
    // mids 100.05, 100.25, 99.95: mean 100.0833…, range 0.30.
    assert_eq!(f[names::VENUE_COUNT], 3.0);
    assert!(close(
        f[names::PRICE_RANGE_BPS],
        1e4 * 0.30 / (300.25 / 3.0)
    ));
    assert_eq!(f[names::BEST_BID], 100.2);
    assert_eq!(f[names::BEST_ASK], 100.0);
    assert_eq!(cv.best_ask.as_ref().map(|b| b.venue.as_str()), Some("d"));
    // Bid 100.2 above ask 100.0: the venues cross by 0.2.
    assert!(close(f[names::CONSOLIDATED_SPREAD_BPS], 1e4 * -0.2 / 100.1));
    // The funding spread counts stale books too: 0.0003 − (−0.0001).
    assert!(close(f[names::FUNDING_SPREAD_8H], 0.0004));
    let fs = cv
        .funding
        .as_ref()
        .map(|f| (f.highest.as_str(), f.lowest.as_str()));
    assert_eq!(fs, Some(("b", "c")));
    // Buy a's ask 100.1, sell b's bid 100.2: gross 9.99 bps, fees 9.5 → net ≈ 0.49 bps.
    let ab = cv
        .arbitrage
        .iter()
        .find(|a| a.buy_venue == "a" && a.sell_venue == "b")
        .expect("a→b listed");
    assert!(close(ab.gross_bps, 1e4 * 0.1 / 100.1));
    assert!(close(ab.net_bps, 1e4 * 0.1 / 100.1 - 9.5));
    assert_eq!(ab.size, 1.0);
    assert_eq!(f[names::ARBITRAGE_OPPORTUNITIES], 1.0);
    // d has no fee, so d→b (buy 100.0, sell 100.2) is not evaluated; c is stale.
    assert!(
        cv.arbitrage
            .iter()
            .all(|a| a.buy_venue != "d" && a.sell_venue != "c")
    );
    // Three fresh venues: pairs (a,b), (a,d), (b,d).
    assert_eq!(cv.basis.len(), 3);
    assert!(close(
        cv.basis[0].basis_bps,
        1e4 * (100.05 - 100.25) / 100.25
    ));
}
