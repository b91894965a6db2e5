//! The sampled features ([`orderflow_dataflow::series`]) agree with the independent
//! from-scratch recomputation ([`orderflow_dataflow::reference_series`]) at every sample of
//! random histories, and hand-computed values on a small fixed history.

use orderflow_dataflow::catalogue::ids::*;
use orderflow_dataflow::reference_series::{Sample, sampled_at};
use orderflow_dataflow::series::Series;
use orderflow_dataflow::{FeatureId, FeatureVector, SideLevels};
use orderflow_model::{Fixed, InstrumentId};
use proptest::prelude::*;
use std::collections::BTreeMap;

const INST: InstrumentId = InstrumentId(7);
const S: u64 = 1_000_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn fx(x: f64) -> Fixed {
    Fixed::from_raw((x * 1e8).round() as i64)
}

/// A random but market-like history: a mid on a 0.5 tick grid, books around it, cumulative
/// counters, slowly moving funding / OI / mark, occasional liquidations; inputs missing now and then.
fn history(seed: u64, n: usize, spacing_s: u64) -> Vec<Sample> {
    let mut r = Rng(seed | 1);
    let mut mid_ticks: i64 = 200_000;
    let (mut cvd, mut total, mut oi, mut funding) = (0.0, 0.0, 5_000.0, 0.0001);
    let mut out = Vec::new();
    let start = 1_796_158_800 * S - 3 * 3600 * S;
    for i in 0..n {
        let t = start + i as u64 * spacing_s * S + if r.chance(0.1) { S / 2 } else { 0 };
        let mut v = BTreeMap::new();
        let step = (r.next() % 5) as i64 - 2;
        if r.chance(0.6) {
            mid_ticks += step;
        }
        let mid = mid_ticks as f64 * 0.5;
        let half_spread = 0.5 * (1 + r.next() % 3) as f64;
        // Book: 12 levels per side, sometimes with a gap or a wall.
        let mut bids: SideLevels = Vec::new();
        let mut asks: SideLevels = Vec::new();
        for k in 0..12 {
            let size = if r.chance(0.1) {
                40.0
            } else {
                1.0 + (r.next() % 9) as f64
            };
            if !(k > 0 && r.chance(0.1)) {
                bids.push((fx(mid - half_spread - k as f64 * 0.5), fx(size)));
            }
            let size = if r.chance(0.1) {
                40.0
            } else {
                1.0 + (r.next() % 9) as f64
            };
            if !(k > 0 && r.chance(0.1)) {
                asks.push((fx(mid + half_spread + k as f64 * 0.5), fx(size)));
            }
        }
        let book_present = !r.chance(0.05);
        if book_present {
            let bb = bids[0].0.to_f64();
            let ba = asks[0].0.to_f64();
            let m = (bb + ba) / 2.0;
            v.insert(MID_PRICE, m);
            v.insert(SPREAD_BPS, 1e4 * (ba - bb) / m);
            v.insert(MICROPRICE_DEVIATION, (r.unit() - 0.5) * 2.0);
            let wall = |l: &SideLevels| {
                let mut best = l[0];
                for x in l.iter().take(20) {
                    if x.1 > best.1 {
                        best = *x;
                    }
                }
                best
            };
            let (bw, aw) = (wall(&bids), wall(&asks));
            v.insert(BID_WALL_PRICE, bw.0.to_f64());
            v.insert(BID_WALL_SIZE, bw.1.to_f64());
            v.insert(ASK_WALL_PRICE, aw.0.to_f64());
            v.insert(ASK_WALL_SIZE, aw.1.to_f64());
            v.insert(VWAP_DEPTH, m + (r.unit() - 0.5));
        }
        let trades = (r.next() % 6) as f64 * if r.chance(0.2) { 4.0 } else { 1.0 };
        total += trades;
        cvd += (r.unit() - 0.5) * trades;
        v.insert(CVD, cvd);
        v.insert(TRADE_COUNT_TOTAL, total);
        if r.chance(0.95) {
            v.insert(VOLUME_1M, 10.0 + (r.next() % 50) as f64);
            v.insert(VOLUME_5M, 60.0 + (r.next() % 200) as f64);
            v.insert(TRADE_COUNT_1M, (r.next() % 40) as f64);
            v.insert(RETURN_BPS_1M, (r.unit() - 0.5) * 20.0);
            v.insert(AVG_TRADE_SIZE_5M, 0.5 + r.unit() * 3.0);
            v.insert(AVG_TRADE_SIZE_1H, 0.5 + r.unit() * 2.0);
            v.insert(VWAP_1H, mid + (r.unit() - 0.5) * 4.0);
        }
        if r.chance(0.1) {
            funding += (r.unit() - 0.5) * 1e-5;
        }
        if r.chance(0.97) {
            v.insert(FUNDING_RATE, funding);
            v.insert(FUNDING_RATE_8H, funding * 2.0);
        }
        if r.chance(0.3) {
            oi += ((r.next() % 21) as f64 - 10.0) * 3.0;
        }
        if r.chance(0.9) {
            v.insert(OPEN_INTEREST, oi);
            v.insert(OI_NOTIONAL, oi * mid);
            v.insert(QUOTE_VOLUME_24H, 1e9 + (r.next() % 1000) as f64 * 1e5);
        }
        if r.chance(0.9) {
            let mark = mid + (r.unit() - 0.5) * 2.0;
            let index = mid + (r.unit() - 0.5) * 2.0;
            v.insert(MARK_PRICE, mark);
            v.insert(INDEX_PRICE, index);
            v.insert(MARK_INDEX_BASIS_BPS, 1e4 * (mark - index) / index);
        }
        if r.chance(0.8) {
            let n1 = (r.next() % 6) as f64 * f64::from(u8::from(r.chance(0.4)));
            let n5 = n1 + (r.next() % 6) as f64;
            v.insert(TOTAL_LIQ_COUNT_1M, n1);
            v.insert(TOTAL_LIQ_COUNT_5M, n5);
            v.insert(TOTAL_LIQ_VALUE_1M, n1 * 1000.0);
            v.insert(TOTAL_LIQ_VALUE_5M, n5 * 1000.0);
            if n1 > 0.0 {
                v.insert(LIQ_IMBALANCE_1M, r.unit() * 2.0 - 1.0);
            }
        }
        out.push(Sample {
            time: t,
            values: v,
            book: book_present.then_some((bids, asks)),
        });
    }
    out
}

fn agree(a: &BTreeMap<FeatureId, f64>, b: &BTreeMap<FeatureId, f64>) -> Result<(), String> {
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) => {
                let tol = 1e-6 * x.abs().max(y.abs()).max(1.0);
                if (x - y).abs() > tol {
                    return Err(format!("{}: series {x} vs reference {y}", k.name()));
                }
            }
            (x, y) => return Err(format!("{}: series {x:?} vs reference {y:?}", k.name())),
        }
    }
    Ok(())
}

fn run(h: &[Sample]) -> Result<usize, String> {
    let mut series = Series::default();
    let mut produced = 0;
    for i in 0..h.len() {
        let s = &h[i];
        let features = BTreeMap::from([(
            INST,
            FeatureVector {
                time: s.time,
                values: s.values.clone(),
            },
        )]);
        let books = s
            .book
            .clone()
            .map(|b| BTreeMap::from([(INST, b)]))
            .unwrap_or_default();
        let got: BTreeMap<FeatureId, f64> = series
            .update(s.time, &features, &books)
            .remove(&INST)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let want = sampled_at(&h[..=i]);
        agree(&got, &want).map_err(|e| format!("sample {i}: {e}"))?;
        produced += got.len();
    }
    Ok(produced)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn sampled_features_equal_the_reference(
        seed in any::<u64>(),
        n in 20usize..160,
        spacing in prop::sample::select(vec![1u64, 7, 31]),
    ) {
        let h = history(seed, n, spacing);
        let r = run(&h);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Every sampled feature is produced by some history (none is dead code).
#[test]
fn every_sampled_feature_is_exercised() {
    let mut seen = std::collections::BTreeSet::new();
    for (seed, spacing) in [(1u64, 1u64), (2, 7), (3, 31), (4, 1), (5, 7)] {
        let h = history(seed, 400, spacing);
        let mut series = Series::default();
        for s in &h {
            let features = BTreeMap::from([(
                INST,
                FeatureVector {
                    time: s.time,
                    values: s.values.clone(),
                },
            )]);
            let books = s
                .book
                .clone()
                .map(|b| BTreeMap::from([(INST, b)]))
                .unwrap_or_default();
            for (id, _) in series
                .update(s.time, &features, &books)
                .remove(&INST)
                .unwrap_or_default()
            {
                seen.insert(id);
            }
        }
    }
    let missing: Vec<_> = orderflow_dataflow::CATALOGUE
        .iter()
        .filter(|d| d.is_sampled() && !seen.contains(&d.id))
        .map(|d| d.name)
        .collect();
    assert!(missing.is_empty(), "never produced: {missing:?}");
}

/// Hand-computed values on a five-sample history, 1 s apart.
#[test]
fn golden_values() {
    let mids = [100.0, 101.0, 101.0, 100.0, 102.0];
    let cvds = [0.0, 2.0, 3.0, 3.0, 7.0];
    let mut series = Series::default();
    let mut last = BTreeMap::new();
    for (i, (m, c)) in mids.iter().zip(cvds).enumerate() {
        let t = 1_796_158_800 * S + i as u64 * S;
        let v = BTreeMap::from([(MID_PRICE, *m), (CVD, c), (FUNDING_RATE_8H, 0.0003)]);
        let features = BTreeMap::from([(INST, FeatureVector { time: t, values: v })]);
        last = series
            .update(t, &features, &BTreeMap::new())
            .remove(&INST)
            .unwrap()
            .into_iter()
            .collect();
    }
    let get = |id: FeatureId| last.get(&id).copied();
    // Efficiency: |102 − 100| / (1 + 0 + 1 + 2) = 0.5.
    assert_eq!(get(PRICE_EFFICIENCY), Some(0.5));
    // Non-zero moves: +, −, + → two flips out of two pairs.
    assert_eq!(get(TICK_REVERSAL_RATE), Some(1.0));
    // Signs +, 0, −, +: p(+) = 1/2, p(0) = p(−) = 1/4 → H = 1.5 ln 2 / ln 3.
    let h = get(MID_PRICE_ENTROPY).unwrap();
    assert!((h - 1.5 * 2f64.ln() / 3f64.ln()).abs() < 1e-12, "{h}");
    // RV: sqrt(ln(1.01)² + ln(100/101)² + ln(1.02)²).
    let rv = 1e4
        * ((1.01f64).ln().powi(2) + (100.0f64 / 101.0).ln().powi(2) + (1.02f64).ln().powi(2))
            .sqrt();
    assert!((get(REALIZED_VOL_MID_BPS_1M).unwrap() - rv).abs() < 1e-9);
    // Four samples: not a minute of history yet, so no slope; funding flat: no z-score.
    assert_eq!(get(CVD_SLOPE), None);
    assert_eq!(get(FUNDING_ZSCORE), None);
    // 3 bps per 8 h → 3 × baseline; carry = 100 · 3 · 365 · 0.0003 = 32.85 % a year.
    assert!((get(FUNDING_STRESS).unwrap() - 3.0).abs() < 1e-12);
    assert!((get(CARRY_YIELD).unwrap() - 32.85).abs() < 1e-9);
    assert_eq!(get(FUNDING_HOUR_BIAS), Some(0.0));
}
