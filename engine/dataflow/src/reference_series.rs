//! From-scratch recomputation of the sampled features ([`crate::series`]), written
//! independently of it: no shared helpers, no retained state — every value at a sample is
//! recomputed from the whole sample history by scanning it (two-pass moments, explicit window
//! filters, its own book comparison). `tests/series_vs_reference.rs` checks the two agree.

use crate::Time;
use crate::catalogue::FeatureId;
use crate::catalogue::ids::*;
use crate::records::SideLevels;
use std::collections::BTreeMap;

/// One snapshot of one instrument, as the sampled stage sees it.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Snapshot time (ns).
    pub time: Time,
    /// The dataflow's features at that time.
    pub values: BTreeMap<FeatureId, f64>,
    /// Best bids and asks (best first); `None` or both empty: no book.
    pub book: Option<(SideLevels, SideLevels)>,
}

const NS: u64 = 1_000_000_000;

/// (time, value) of every sample where `f` gives a value.
fn column(h: &[Sample], f: impl Fn(&Sample) -> Option<f64>) -> Vec<(Time, f64)> {
    h.iter().filter_map(|s| f(s).map(|x| (s.time, x))).collect()
}

fn val(s: &Sample, id: FeatureId) -> Option<f64> {
    s.values.get(&id).copied()
}

fn inside(c: &[(Time, f64)], t: Time, secs: u64) -> Vec<f64> {
    let lo = t.saturating_sub(secs * NS);
    c.iter()
        .filter(|(ti, _)| *ti > lo && *ti <= t)
        .map(|(_, x)| *x)
        .collect()
}

fn then(c: &[(Time, f64)], t: Time, secs: u64) -> Option<f64> {
    let at = t.checked_sub(secs * NS)?;
    c.iter()
        .filter(|(ti, _)| *ti <= at)
        .map(|(_, x)| *x)
        .next_back()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Population standard deviation by two passes; `None` when < 10 values or flat.
fn spread_of(x: &[f64]) -> Option<(f64, f64)> {
    if x.len() < 10 {
        return None;
    }
    let m = mean(x);
    let var = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64;
    let sd = var.sqrt();
    if sd == 0.0 || sd <= 1e-9 * m.abs() {
        None
    } else {
        Some((m, sd))
    }
}

fn z_of(x: &[f64], now: f64) -> Option<f64> {
    spread_of(x).map(|(m, sd)| (now - m) / sd)
}

/// z rounded to 9 decimals (thresholds are compared on it).
fn nine(z: f64) -> f64 {
    (z * 1e9).round() / 1e9
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn sign3(d: f64) -> i32 {
    if d > 0.0 {
        1
    } else if d < 0.0 {
        -1
    } else {
        0
    }
}

fn lr(a: f64, b: f64) -> Option<f64> {
    (a > 0.0 && b > 0.0).then(|| (a / b).ln())
}

fn returns_of(m: &[f64]) -> Vec<f64> {
    let mut r = Vec::new();
    for i in 1..m.len() {
        if let Some(x) = lr(m[i], m[i - 1]) {
            r.push(x);
        }
    }
    r
}

fn hurst_of(r: &[f64]) -> Option<f64> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for k in [1usize, 2, 4, 8, 16] {
        let nb = r.len() / k;
        if nb < 8 {
            break;
        }
        let mut sums = Vec::new();
        for b in 0..nb {
            let end = r.len() - b * k;
            sums.push(r[end - k..end].iter().sum::<f64>());
        }
        let m = mean(&sums);
        let sd = (sums.iter().map(|s| (s - m) * (s - m)).sum::<f64>() / nb as f64).sqrt();
        if sd <= 0.0 {
            return None;
        }
        xs.push((k as f64).ln());
        ys.push(sd.ln());
    }
    if xs.len() < 3 {
        return None;
    }
    let (mx, my) = (mean(&xs), mean(&ys));
    let mut num = 0.0;
    let mut den = 0.0;
    for i in 0..xs.len() {
        num += (xs[i] - mx) * (ys[i] - my);
        den += (xs[i] - mx) * (xs[i] - mx);
    }
    Some(num / den)
}

fn range_of(x: &[f64]) -> Option<f64> {
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo.is_finite() && lo > 0.0).then(|| 1e4 * (hi - lo) / lo)
}

fn has_book(s: &Sample) -> bool {
    s.book
        .as_ref()
        .is_some_and(|(b, a)| !b.is_empty() || !a.is_empty())
}

fn level_size(side: &SideLevels, price: f64) -> f64 {
    side.iter()
        .filter(|(p, _)| p.to_f64() == price)
        .map(|(_, s)| s.to_f64())
        .sum()
}

/// The sampled features of the last sample of `h` (one instrument's samples, oldest first).
#[allow(clippy::too_many_lines, clippy::indexing_slicing)]
pub fn sampled_at(h: &[Sample]) -> BTreeMap<FeatureId, f64> {
    let mut out = BTreeMap::new();
    let Some(last) = h.last() else {
        return out;
    };
    let t = last.time;
    let mut set = |id: FeatureId, x: Option<f64>| {
        if let Some(x) = x
            && x.is_finite()
        {
            out.insert(id, x);
        }
    };
    let now = |id: FeatureId| val(last, id);
    let mids = column(h, |s| val(s, MID_PRICE).filter(|m| *m > 0.0));
    let mid = now(MID_PRICE).filter(|m| *m > 0.0);
    // 1-minute mid return at sample s (bps), from the mid column.
    let ret1m_at = |s: &Sample| {
        let m = val(s, MID_PRICE).filter(|m| *m > 0.0)?;
        lr(m, then(&mids, s.time, 60)?).map(|r| 1e4 * r)
    };
    let ret_1m = ret1m_at(last);

    // Prices.
    if let Some(x) = now(MICROPRICE_DEVIATION) {
        let c = column(h, |s| val(s, MICROPRICE_DEVIATION));
        set(MICROPRICE_ZSCORE, z_of(&inside(&c, t, 300), x));
    }
    if let Some(x) = now(SPREAD_BPS) {
        let c = column(h, |s| val(s, SPREAD_BPS));
        let z = z_of(&inside(&c, t, 300), x);
        set(SPREAD_ZSCORE, z);
        set(
            SPREAD_COMPRESSION_VELOCITY,
            then(&c, t, 10).map(|b| (b - x) / 10.0),
        );
        set(SPREAD_EXPANSION_SPIKE, z.map(|z| flag(nine(z) >= 3.0)));
    }
    let mut rv = [None, None, None];
    if let Some(m) = mid {
        let w1 = inside(&mids, t, 60);
        let mut path = 0.0;
        for i in 1..w1.len() {
            path += (w1[i] - w1[i - 1]).abs();
        }
        if path > 0.0 {
            set(PRICE_EFFICIENCY, Some((m - w1[0]).abs() / path));
        }
        let w5 = inside(&mids, t, 300);
        let signs: Vec<i32> = (1..w5.len()).map(|i| sign3(w5[i] - w5[i - 1])).collect();
        let nonzero: Vec<i32> = signs.iter().copied().filter(|s| *s != 0).collect();
        if nonzero.len() > 1 {
            let mut flips = 0;
            for i in 1..nonzero.len() {
                if nonzero[i] != nonzero[i - 1] {
                    flips += 1;
                }
            }
            set(
                TICK_REVERSAL_RATE,
                Some(f64::from(flips) / (nonzero.len() - 1) as f64),
            );
        }
        if !signs.is_empty() {
            let mut e = 0.0;
            for k in [-1, 0, 1] {
                let p = signs.iter().filter(|s| **s == k).count() as f64 / signs.len() as f64;
                if p > 0.0 {
                    e -= p * p.ln();
                }
            }
            set(MID_PRICE_ENTROPY, Some(e / 3f64.ln()));
        }
        set(
            HURST_EXPONENT,
            hurst_of(&returns_of(&inside(&mids, t, 900))),
        );
        for (k, secs) in [60u64, 300, 900].into_iter().enumerate() {
            let r = returns_of(&inside(&mids, t, secs));
            if !r.is_empty() {
                rv[k] = Some(1e4 * r.iter().map(|x| x * x).sum::<f64>().sqrt());
            }
        }
        set(REALIZED_VOL_MID_BPS_1M, rv[0]);
        set(REALIZED_VOL_MID_BPS_5M, rv[1]);
        set(REALIZED_VOL_MID_BPS_15M, rv[2]);
    }

    // Order book.
    let book_samples: Vec<&Sample> = h.iter().filter(|s| has_book(s)).collect();
    let cur_book = has_book(last).then_some(last);
    if let Some(cb) = cur_book
        && let Some((bids, asks)) = &cb.book
    {
        let touch_of = |s: &Sample| -> Option<f64> {
            let (b, a) = s.book.as_ref()?;
            Some(b.first()?.1.to_f64() + a.first()?.1.to_f64())
        };
        if let Some(x) = touch_of(cb) {
            let c = column(h, |s| if has_book(s) { touch_of(s) } else { None });
            set(QUEUE_POSITION_DRIFT, then(&c, t, 10).and_then(|b| lr(x, b)));
        }
        // Book flow of each book sample against the previous one, over 1m.
        if book_samples.len() >= 2 {
            let (mut add, mut rem, mut repl) = (0.0, 0.0, 0.0);
            for i in 1..book_samples.len() {
                let s = book_samples[i];
                if s.time <= t.saturating_sub(60 * NS) {
                    continue;
                }
                let (Some((pb, pa)), Some((cb_, ca))) = (&book_samples[i - 1].book, &s.book) else {
                    continue;
                };
                for (old, new) in [(pb, cb_), (pa, ca)] {
                    let mut prices: Vec<f64> = old
                        .iter()
                        .chain(new.iter())
                        .map(|(p, _)| p.to_f64())
                        .collect();
                    prices.sort_by(f64::total_cmp);
                    prices.dedup();
                    for p in prices {
                        let d = level_size(new, p) - level_size(old, p);
                        if d > 0.0 {
                            add += d;
                        } else {
                            rem -= d;
                        }
                    }
                    if let (Some(o), Some(n)) = (old.first(), new.first())
                        && o.0 == n.0
                        && n.1.to_f64() > o.1.to_f64()
                    {
                        repl += n.1.to_f64() - o.1.to_f64();
                    }
                }
            }
            if rem > 0.0 {
                set(ADD_CANCEL_RATIO, Some(add / rem));
            }
            set(REPLENISHMENT_SPEED, Some(repl / 60.0));
        }
        let cutoff = t.checked_sub(10 * NS);
        if let Some(old) = book_samples
            .iter()
            .rfind(|s| cutoff.is_some_and(|c| s.time <= c))
            && let Some((ob, oa)) = &old.book
        {
            let top =
                |l: &SideLevels| -> Vec<f64> { l.iter().take(10).map(|x| x.0.to_f64()).collect() };
            let (nb, na) = (top(bids), top(asks));
            let (ob, oa) = (top(ob), top(oa));
            let total = ob.len() + oa.len();
            if total > 0 {
                let kept = ob.iter().filter(|p| nb.contains(p)).count()
                    + oa.iter().filter(|p| na.contains(p)).count();
                set(
                    LIQUIDITY_PERSISTENCE_SCORE,
                    Some(kept as f64 / total as f64),
                );
            }
        }
        if book_samples.len() >= 2 {
            let prev = book_samples[book_samples.len() - 2];
            let pw = |s: &Sample, p: FeatureId, z: FeatureId| Some((val(s, p)?, val(s, z)?));
            let (pbw, paw) = (
                pw(prev, BID_WALL_PRICE, BID_WALL_SIZE),
                pw(prev, ASK_WALL_PRICE, ASK_WALL_SIZE),
            );
            let (nbw, naw) = (
                pw(last, BID_WALL_PRICE, BID_WALL_SIZE),
                pw(last, ASK_WALL_PRICE, ASK_WALL_SIZE),
            );
            let mut pulled = false;
            if let (Some((wp, ws)), Some(bb)) = (pbw, bids.first())
                && bb.0.to_f64() > wp
                && level_size(bids, wp) < 0.5 * ws
            {
                pulled = true;
            }
            if let (Some((wp, ws)), Some(ba)) = (paw, asks.first())
                && ba.0.to_f64() < wp
                && level_size(asks, wp) < 0.5 * ws
            {
                pulled = true;
            }
            set(PULL_WALL_DETECTED, Some(flag(pulled)));
            let up = matches!((pbw, nbw), (Some(a), Some(b)) if b.0 > a.0 && b.1 >= a.1);
            let down = matches!((paw, naw), (Some(a), Some(b)) if b.0 < a.0 && b.1 >= a.1);
            set(PUSH_WALL_DETECTED, Some(flag(up || down)));
        }
    }
    if let (Some(vd), Some(m)) = (now(VWAP_DEPTH), mid) {
        let c = column(h, |s| {
            let m = val(s, MID_PRICE).filter(|m| *m > 0.0)?;
            Some(1e4 * (val(s, VWAP_DEPTH)? - m) / m)
        });
        let x = 1e4 * (vd - m) / m;
        set(
            LIQUIDITY_MIGRATION_VELOCITY,
            then(&c, t, 10).map(|b| (x - b) / 10.0),
        );
    }
    if let (Some(v), Some(r)) = (now(VOLUME_1M), ret_1m) {
        set(ABSORPTION_RATIO, Some(v / r.abs().max(1.0)));
    }

    // Trades.
    if let Some(c) = now(CVD) {
        let col = column(h, |s| val(s, CVD));
        let (a, b) = (then(&col, t, 60), then(&col, t, 120));
        set(CVD_SLOPE, a.map(|a| (c - a) / 60.0));
        if let (Some(a), Some(b)) = (a, b) {
            set(CVD_ACCELERATION, Some((c - 2.0 * a + b) / 3600.0));
        }
    }
    if let (Some(r), Some(v)) = (now(RETURN_BPS_1M), now(VOLUME_1M))
        && v > 0.0
    {
        set(MARKET_IMPACT_PER_VOLUME, Some(r.abs() / v));
    }
    if let (Some(avg), Some(m), true) = (now(AVG_TRADE_SIZE_5M), mid, has_book(last))
        && avg > 0.0
        && let Some((bids, asks)) = &last.book
    {
        let q = 10.0 * avg;
        let walk = |l: &SideLevels| -> Option<f64> {
            let mut need = q;
            let mut paid = 0.0;
            for (p, s) in l {
                let x = if s.to_f64() < need { s.to_f64() } else { need };
                paid += x * p.to_f64();
                need -= x;
                if need <= 0.0 {
                    return Some(paid / q);
                }
            }
            None
        };
        let costs: Vec<f64> = [walk(asks), walk(bids)]
            .iter()
            .flatten()
            .map(|p| 1e4 * (p - m).abs() / m)
            .collect();
        if !costs.is_empty() {
            set(SLIPPAGE_ESTIMATOR, Some(mean(&costs)));
        }
    }
    if now(TRADE_COUNT_TOTAL).is_some() {
        let w = inside(&column(h, |s| val(s, TRADE_COUNT_TOTAL)), t, 60);
        let d: Vec<f64> = (1..w.len()).map(|i| w[i] - w[i - 1]).collect();
        if d.len() >= 10 {
            let m = mean(&d);
            if m > 0.0 {
                let var = d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / d.len() as f64;
                set(TRADE_CLUSTERING_INDEX, Some(var / m));
            }
        }
    }

    // Funding.
    if now(FUNDING_RATE).is_some() {
        let w = inside(&column(h, |s| val(s, FUNDING_RATE)), t, 3600);
        set(NEXT_FUNDING_PREDICTION, Some(mean(&w)));
    }
    if let Some(f) = now(FUNDING_RATE_8H) {
        let col = column(h, |s| val(s, FUNDING_RATE_8H));
        let w = inside(&col, t, 3600);
        let z = z_of(&w, f);
        set(FUNDING_ZSCORE, z);
        let mo = then(&col, t, 900).map(|b| f - b);
        set(FUNDING_MOMENTUM, mo);
        set(FUNDING_VELOCITY, then(&col, t, 300).map(|b| 12.0 * (f - b)));
        set(
            FUNDING_SKEW,
            spread_of(&w).map(|(m, sd)| {
                w.iter().map(|x| ((x - m) / sd).powi(3)).sum::<f64>() / w.len() as f64
            }),
        );
        set(FUNDING_STRESS, Some(f.abs() * 1e4));
        set(FUNDING_ANOMALY, z.map(|z| flag(nine(z).abs() >= 3.0)));
        if let (Some(z), Some(mo)) = (z, mo) {
            let toward_zero = (f > 0.0 && mo < 0.0) || (f < 0.0 && mo > 0.0);
            set(
                FUNDING_REVERSAL_PROBABILITY,
                Some(if toward_zero {
                    (z.abs() / 3.0).min(1.0)
                } else {
                    0.0
                }),
            );
        }
        set(CARRY_YIELD, Some(mean(&w) * 3.0 * 365.0 * 100.0));
        let hour = |x: Time| (x / NS / 3600) % 24;
        let dow = |x: Time| (x / NS / 86_400 + 3) % 7;
        let all = mean(&col.iter().map(|p| p.1).collect::<Vec<_>>());
        let same_hour: Vec<f64> = col
            .iter()
            .filter(|p| hour(p.0) == hour(t))
            .map(|p| p.1)
            .collect();
        let same_day: Vec<f64> = col
            .iter()
            .filter(|p| dow(p.0) == dow(t))
            .map(|p| p.1)
            .collect();
        set(FUNDING_HOUR_BIAS, Some(mean(&same_hour) - all));
        set(FUNDING_DOW_BIAS, Some(mean(&same_day) - all));
    }

    // Open interest.
    if let Some(o) = now(OPEN_INTEREST) {
        let ois = column(h, |s| val(s, OPEN_INTEREST));
        let (a, b) = (then(&ois, t, 60), then(&ois, t, 120));
        set(OI_VELOCITY, a.map(|a| (o - a) / 60.0));
        if let (Some(a), Some(b)) = (a, b) {
            set(OI_ACCELERATION, Some((o - 2.0 * a + b) / 3600.0));
        }
        if a.is_some() {
            let vel = column(h, |s| {
                let x = val(s, OPEN_INTEREST)?;
                Some((x - then(&ois, s.time, 60)?) / 60.0)
            });
            let w = inside(&vel, t, 900);
            set(
                OI_VELOCITY_SPIKE,
                z_of(&w, (o - a.unwrap_or(0.0)) / 60.0).map(|z| flag(nine(z).abs() >= 3.0)),
            );
        }
        let oi_pct = |secs: u64| {
            then(&ois, t, secs)
                .filter(|b| *b > 0.0)
                .map(|b| 100.0 * (o / b - 1.0))
        };
        let mid_lr = |secs: u64| mid.and_then(|m| lr(m, then(&mids, t, secs)?));
        if let (Some(op), Some(mr)) = (oi_pct(300), mid_lr(300)) {
            set(OI_PRICE_DELTA_PRODUCT, Some(op * mr * 100.0));
            let intent = if op > 0.0 && mr > 0.0 {
                1.0
            } else if op > 0.0 && mr < 0.0 {
                -1.0
            } else if op < 0.0 && mr > 0.0 {
                0.5
            } else if op < 0.0 && mr < 0.0 {
                -0.5
            } else {
                0.0
            };
            set(POSITION_INTENT, Some(intent));
            set(INTENT_SCORE, Some(intent * op.abs().min(1.0)));
        }
        if let (Some(op), Some(mr)) = (oi_pct(900), mid_lr(900)) {
            set(OI_DIVERGENCE_SCORE, Some(op - mr * 100.0));
        }
        if let (Some(b), Some(v)) = (then(&ois, t, 300), now(VOLUME_5M))
            && v > 0.0
        {
            set(OI_ABSORPTION, Some((o - b) / v));
        }
        let corr = |other: FeatureId, positive_only: bool| {
            let pairs: Vec<(f64, f64)> = h
                .iter()
                .filter(|s| s.time > t.saturating_sub(900 * NS))
                .filter_map(|s| {
                    let y = val(s, other).filter(|y| !positive_only || *y > 0.0)?;
                    Some((val(s, OPEN_INTEREST)?, y))
                })
                .collect();
            let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
            let ((mx, sx), (my, sy)) = (spread_of(&xs)?, spread_of(&ys)?);
            let cov =
                pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / pairs.len() as f64;
            Some((cov / sx / sy).clamp(-1.0, 1.0))
        };
        if mid.is_some() {
            set(OI_PRICE_CORRELATION, corr(MID_PRICE, true));
        }
        if now(VOLUME_1M).is_some() {
            set(OI_VOLUME_CORRELATION, corr(VOLUME_1M, false));
        }
    }
    let lev_at = |s: &Sample| {
        let q = val(s, QUOTE_VOLUME_24H).filter(|q| *q > 0.0)?;
        Some(val(s, OI_NOTIONAL)? / q)
    };
    if let Some(l) = lev_at(last) {
        let col = column(h, lev_at);
        set(LEVERAGE_INDEX, Some(l));
        set(
            LEVERAGE_EXPANSION,
            then(&col, t, 3600)
                .filter(|b| *b > 0.0)
                .map(|b| 100.0 * (l / b - 1.0)),
        );
        set(LEVERAGE_STRESS, z_of(&inside(&col, t, 3600), l));
    }
    if let (Some(l5), Some(n)) = (now(TOTAL_LIQ_VALUE_5M), now(OI_NOTIONAL))
        && n > 0.0
    {
        set(LIQUIDATION_CASCADE_RISK, Some((l5 / n / 0.001).min(1.0)));
    }

    // Liquidations.
    let n1 = now(TOTAL_LIQ_COUNT_1M);
    if let Some(n1) = n1 {
        let c = n1 >= 3.0;
        set(LIQ_CLUSTER_DETECTED, Some(flag(c)));
        set(LIQ_CLUSTER_SIZE, Some(if c { n1 } else { 0.0 }));
        if let Some(v1) = now(TOTAL_LIQ_VALUE_1M) {
            set(LIQ_CLUSTER_VALUE, Some(if c { v1 } else { 0.0 }));
        }
        let mut start = None;
        for s in h.iter().rev() {
            if val(s, TOTAL_LIQ_COUNT_1M).is_some_and(|n| n >= 3.0) {
                start = Some(s.time);
            } else {
                break;
            }
        }
        set(
            LIQ_CLUSTER_DURATION,
            Some(start.map_or(0.0, |s| (t - s) as f64 / 1e9)),
        );
    }
    let mut accel = None;
    if let (Some(v1), Some(v5)) = (now(TOTAL_LIQ_VALUE_1M), now(TOTAL_LIQ_VALUE_5M))
        && v5 > 0.0
    {
        accel = Some(5.0 * v1 / v5 - 1.0);
    }
    set(LIQ_CASCADE_ACCELERATION, accel);
    if let Some(n1) = n1 {
        let gate = (0.5 + accel.unwrap_or(0.0) / 4.0).clamp(0.0, 1.0);
        set(
            LIQ_CASCADE_PROBABILITY,
            Some(gate * (1.0 - (-n1 / 3.0).exp())),
        );
    }
    if let (Some(v1), Some(v), Some(m)) = (now(TOTAL_LIQ_VALUE_1M), now(VOLUME_1M), mid)
        && v > 0.0
    {
        set(LIQ_CASCADE_SEVERITY, Some(v1 / v / m));
    }
    if let (Some(imb), Some(r)) = (now(LIQ_IMBALANCE_1M), ret_1m)
        && n1.is_some_and(|n| n > 0.0)
    {
        let s = if imb > 0.0 {
            1.0
        } else if imb < 0.0 {
            -1.0
        } else {
            // signum of +0.0 / −0.0, as f64::signum
            1f64.copysign(imb)
        };
        set(ABSORPTION_AFTER_LIQ, Some(s * r));
    }
    if let (Some(n5), Some(n1)) = (now(TOTAL_LIQ_COUNT_5M), n1) {
        set(EXHAUSTION_SIGNAL, Some(flag(n5 >= 3.0 && n1 == 0.0)));
    }

    // Mark prices.
    if let (Some(mk), Some(ix)) = (now(MARK_PRICE), now(INDEX_PRICE))
        && ix > 0.0
    {
        set(MARK_SPOT_BASIS, Some(mk - ix));
        set(BASIS_PCT, Some((mk - ix) / ix * 100.0));
    }
    if let Some(b) = now(MARK_INDEX_BASIS_BPS) {
        let col = column(h, |s| val(s, MARK_INDEX_BASIS_BPS));
        let lo = t.saturating_sub(900 * NS);
        let w: Vec<(Time, f64)> = col.iter().copied().filter(|p| p.0 > lo).collect();
        let xs: Vec<f64> = w.iter().map(|p| p.1).collect();
        set(BASIS_ZSCORE, z_of(&xs, b));
        if xs.len() >= 10 {
            let m = mean(&xs);
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for i in 1..xs.len() {
                sxy += (xs[i - 1] - m) * (xs[i] - m);
                sxx += (xs[i - 1] - m) * (xs[i - 1] - m);
            }
            let dt = (w[w.len() - 1].0 - w[0].0) as f64 / 1e9 / (w.len() - 1) as f64;
            if sxx > 0.0 && dt > 0.0 {
                let phi = sxy / sxx;
                if phi > 0.0 && phi < 1.0 {
                    set(BASIS_MEAN_REVERSION_SPEED, Some(-phi.ln() / dt));
                }
            }
        }
    }
    let div_at = |s: &Sample| {
        let m = val(s, MID_PRICE).filter(|m| *m > 0.0)?;
        let ix = val(s, INDEX_PRICE).filter(|i| *i > 0.0)?;
        Some((m - ix) / ix * 1e4)
    };
    if let Some(d) = div_at(last) {
        set(INDEX_DIVERGENCE, Some(d));
        let w = inside(&column(h, div_at), t, 900);
        set(INDEX_DIVERGENCE_RISK, z_of(&w, d).map(f64::abs));
    }
    if let Some(mk) = now(MARK_PRICE).filter(|m| *m > 0.0) {
        let col = column(h, |s| val(s, MARK_PRICE).filter(|m| *m > 0.0));
        set(
            MARK_VELOCITY,
            then(&col, t, 10)
                .and_then(|b| lr(mk, b))
                .map(|r| r * 1e4 / 10.0),
        );
    }

    // Ticker-style activity.
    if let (Some(v1), Some(v5)) = (now(VOLUME_1M), now(VOLUME_5M))
        && v5 > 0.0
    {
        set(VOLUME_ACCELERATION, Some(5.0 * v1 / v5 - 1.0));
    }
    let pct = |id: FeatureId| {
        let x = now(id)?;
        let w = inside(&column(h, |s| val(s, id)), t, 3600);
        (w.len() >= 10)
            .then(|| w.iter().filter(|v| **v <= x).count() as f64 / w.len() as f64 * 100.0)
    };
    set(VOLUME_PERCENTILE, pct(VOLUME_1M));
    set(TRADE_COUNT_PERCENTILE, pct(TRADE_COUNT_1M));
    if let (Some(vw), Some(_)) = (now(VWAP_1H), mid) {
        let w = inside(&mids, t, 3600);
        let lo = w.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi > lo {
            set(VOLUME_PROFILE_SKEW, Some((2.0 * vw - hi - lo) / (hi - lo)));
        }
    }
    if mid.is_some() {
        for (id, secs) in [(RANGE_EXPANSION, 300u64), (RANGE_VS_ATR, 60)] {
            let range_at = |s: &Sample| -> Option<f64> {
                val(s, MID_PRICE).filter(|m| *m > 0.0)?;
                range_of(&inside(&mids, s.time, secs))
            };
            if let Some(r) = range_at(last) {
                let hist = inside(&column(h, range_at), t, 3600);
                let m = mean(&hist);
                if m > 0.0 {
                    set(id, Some(r / m));
                }
            }
        }
    }
    if let (Some(r1), Some(r15)) = (rv[0], rv[2])
        && r15 > 0.0
    {
        let v = r1 / r15 * 15f64.sqrt();
        set(
            VOLATILITY_COMPRESSION,
            Some(if v < 1.0 { 1.0 - v } else { 0.0 }),
        );
        set(
            VOLATILITY_EXPANSION,
            Some(if v > 1.0 { v - 1.0 } else { 0.0 }),
        );
    }
    if let Some(r) = ret_1m {
        let w = inside(&column(h, ret1m_at), t, 3600);
        set(PRICE_CHANGE_ZSCORE, z_of(&w, r));
    }
    if let (Some(a5), Some(a1)) = (now(AVG_TRADE_SIZE_5M), now(AVG_TRADE_SIZE_1H))
        && a1 > 0.0
    {
        set(INSTITUTIONAL_INTEREST_IDX, Some(a5 / a1));
    }
    out
}
