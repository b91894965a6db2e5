//! Sampled features: the second stage of the feature graph, over the time series of the
//! dataflow's own features.
//!
//! At every feature snapshot (each `storage.feature_snapshot_ms`, 1 s by default) the
//! snapshot's consumer (`orderflow-node`, on its own thread, so the engine's worker never waits
//! for it) hands [`Series::update`] the dataflow's feature vector and book of every instrument. Each
//! input feature is a series of (snapshot time, value) samples; z-scores, velocities, sampled
//! mid-quote volatility, percentiles, correlations, entropy, the Hurst exponent and the
//! book-comparison features are derived from those series over time windows (samples with time
//! in (T − W, T]; "x at T − W" is the latest sample at or before T − W). The samples are a
//! function of the recorded inputs (snapshots are cut at exact grid times), so sampled features
//! replay exactly too. Each is defined in the catalogue (formula "sampled: …"); the independent
//! batch recomputation is [`crate::reference_series`].
//!
//! State per instrument is bounded: every series keeps at most its longest window (1 h) of
//! samples, plus one older sample for look-backs.

use crate::Time;
use crate::catalogue::{FeatureId, ids::*};
use crate::records::SideLevels;
use crate::store::FeatureVector;
use orderflow_model::{Fixed, InstrumentId};
use std::collections::{BTreeMap, VecDeque};

const SEC: u64 = 1_000_000_000;
const W10S: u64 = 10 * SEC;
const W1M: u64 = 60 * SEC;
const W2M: u64 = 120 * SEC;
const W5M: u64 = 300 * SEC;
const W15M: u64 = 900 * SEC;
const W1H: u64 = 3600 * SEC;

/// Fewest samples for a z-score, skewness, correlation or percentile.
pub const MIN_SAMPLES: usize = 10;
/// A standard deviation at or below this fraction of the mean's magnitude counts as zero.
pub const FLAT: f64 = 1e-9;

/// (time, value) samples of one input, pruned to a horizon (plus one older sample).
#[derive(Clone, Debug)]
struct Track<V> {
    pts: VecDeque<(Time, V)>,
    horizon: u64,
}

impl<V> Track<V> {
    fn new(horizon: u64) -> Self {
        Self {
            pts: VecDeque::new(),
            horizon,
        }
    }

    fn push(&mut self, t: Time, v: V) {
        self.pts.push_back((t, v));
        let cut = t.saturating_sub(self.horizon);
        while self.pts.get(1).is_some_and(|(t1, _)| *t1 <= cut) {
            self.pts.pop_front();
        }
    }

    /// Samples with time in (t − w, t].
    fn window(&self, t: Time, w: u64) -> impl DoubleEndedIterator<Item = &(Time, V)> + Clone {
        let cut = t.saturating_sub(w);
        self.pts.iter().filter(move |(ti, _)| *ti > cut && *ti <= t)
    }

    /// The latest sample at or before t − w.
    fn back(&self, t: Time, w: u64) -> Option<&V> {
        let cut = t.checked_sub(w)?;
        self.pts
            .iter()
            .rev()
            .find(|(ti, _)| *ti <= cut)
            .map(|(_, v)| v)
    }
}

/// Running mean and variance (Welford).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: usize,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn of(values: impl Iterator<Item = f64>) -> Self {
        let mut m = Self::default();
        for x in values {
            m.n += 1;
            let d = x - m.mean;
            m.mean += d / m.n as f64;
            m.m2 += d * (x - m.mean);
        }
        m
    }

    /// Population standard deviation, `None` when (numerically) constant or too few samples.
    fn sd(&self) -> Option<f64> {
        if self.n < MIN_SAMPLES {
            return None;
        }
        let sd = (self.m2.max(0.0) / self.n as f64).sqrt();
        (sd > 0.0 && sd > FLAT * self.mean.abs()).then_some(sd)
    }

    fn z(&self, x: f64) -> Option<f64> {
        self.sd().map(|sd| (x - self.mean) / sd)
    }
}

/// `z ≥ k` on z rounded to 9 decimals, so a z-score that is the threshold in exact arithmetic
/// (e.g. one outlier among ten samples: z = 3) decides the same way whatever the rounding.
fn at_least(z: f64, k: f64) -> bool {
    (z * 1e9).round() >= k * 1e9
}

fn zscore(track: &Track<f64>, t: Time, w: u64, x: f64) -> Option<f64> {
    Moments::of(track.window(t, w).map(|(_, v)| *v)).z(x)
}

fn skewness(values: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let m = Moments::of(values.clone());
    let sd = m.sd()?;
    let third = values.map(|x| ((x - m.mean) / sd).powi(3)).sum::<f64>();
    Some(third / m.n as f64)
}

fn correlation(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Option<f64> {
    let mx = Moments::of(pairs.clone().map(|p| p.0));
    let my = Moments::of(pairs.clone().map(|p| p.1));
    let (sx, sy) = (mx.sd()?, my.sd()?);
    let cov = pairs
        .map(|(x, y)| (x - mx.mean) * (y - my.mean))
        .sum::<f64>()
        / mx.n as f64;
    Some((cov / (sx * sy)).clamp(-1.0, 1.0))
}

/// 100 · share of the window's samples at or below `x`.
fn percentile(track: &Track<f64>, t: Time, w: u64, x: f64) -> Option<f64> {
    let (mut n, mut below) = (0usize, 0usize);
    for (_, v) in track.window(t, w) {
        n += 1;
        below += usize::from(*v <= x);
    }
    (n >= MIN_SAMPLES).then(|| 100.0 * below as f64 / n as f64)
}

/// Log returns between consecutive samples of the window (the first sample of the window pairs
/// with the one before it only if that one is inside too).
fn log_returns(track: &Track<f64>, t: Time, w: u64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut prev: Option<f64> = None;
    for (_, m) in track.window(t, w) {
        if let Some(p) = prev
            && p > 0.0
            && *m > 0.0
        {
            out.push((m / p).ln());
        }
        prev = Some(*m);
    }
    out
}

/// Hurst exponent by aggregated variance of block sums (see the catalogue).
fn hurst(returns: &[f64]) -> Option<f64> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for k in [1usize, 2, 4, 8, 16] {
        let blocks = returns.len() / k;
        if blocks < 8 {
            break;
        }
        let start = returns.len() - blocks * k;
        let sums = returns
            .get(start..)
            .unwrap_or_default()
            .chunks(k)
            .map(|c| c.iter().sum::<f64>());
        let m = Moments::of(sums);
        let sd = (m.m2.max(0.0) / m.n as f64).sqrt();
        if sd <= 0.0 {
            return None;
        }
        pts.push(((k as f64).ln(), sd.ln()));
    }
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    Some(sxy / sxx)
}

/// 10⁴ · (max − min) / min of the window's samples.
fn range_bps(track: &Track<f64>, t: Time, w: u64) -> Option<f64> {
    let (lo, hi) = track
        .window(t, w)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    (lo.is_finite() && lo > 0.0).then(|| 1e4 * (hi - lo) / lo)
}

/// VWAP of filling `q` against `levels` (best first), if they hold enough.
fn fill_vwap(levels: &SideLevels, q: f64) -> Option<f64> {
    let (mut left, mut cost) = (q, 0.0);
    for (p, s) in levels {
        let take = s.to_f64().min(left);
        cost += take * p.to_f64();
        left -= take;
        if left <= 0.0 {
            return Some(cost / q);
        }
    }
    None
}

/// One sampled book, per side: price → size.
#[derive(Clone, Debug, Default)]
struct BookSample {
    bids: BTreeMap<Fixed, f64>,
    asks: BTreeMap<Fixed, f64>,
    best_bid: Option<(Fixed, f64)>,
    best_ask: Option<(Fixed, f64)>,
    /// Best-10 prices per side.
    top_bids: Vec<Fixed>,
    top_asks: Vec<Fixed>,
}

impl BookSample {
    fn of(bids: &SideLevels, asks: &SideLevels) -> Self {
        let map = |l: &SideLevels| l.iter().map(|(p, s)| (*p, s.to_f64())).collect();
        Self {
            bids: map(bids),
            asks: map(asks),
            best_bid: bids.first().map(|(p, s)| (*p, s.to_f64())),
            best_ask: asks.first().map(|(p, s)| (*p, s.to_f64())),
            top_bids: bids.iter().take(10).map(|(p, _)| *p).collect(),
            top_asks: asks.iter().take(10).map(|(p, _)| *p).collect(),
        }
    }
}

/// Per-sample book flow: (size added, size removed, touch replenishment).
fn book_flow(prev: &BookSample, cur: &BookSample) -> (f64, f64, f64) {
    let (mut add, mut rem) = (0.0, 0.0);
    for (a, b) in [(&prev.bids, &cur.bids), (&prev.asks, &cur.asks)] {
        for (p, s) in b {
            let before = a.get(p).copied().unwrap_or(0.0);
            add += (s - before).max(0.0);
            rem += (before - s).max(0.0);
        }
        for (p, s) in a {
            if !b.contains_key(p) {
                rem += s;
            }
        }
    }
    let mut repl = 0.0;
    for (a, b) in [(prev.best_bid, cur.best_bid), (prev.best_ask, cur.best_ask)] {
        if let (Some((pa, sa)), Some((pb, sb))) = (a, b)
            && pa == pb
        {
            repl += (sb - sa).max(0.0);
        }
    }
    (add, rem, repl)
}

/// Sampled state of one instrument.
#[derive(Debug)]
struct InstSeries {
    mid: Track<f64>,
    ret_1m: Track<f64>,
    range_1m: Track<f64>,
    range_5m: Track<f64>,
    spread: Track<f64>,
    micro_dev: Track<f64>,
    cvd: Track<f64>,
    trades_total: Track<f64>,
    volume_1m: Track<f64>,
    trades_1m: Track<f64>,
    funding_8h: Track<f64>,
    funding: Track<f64>,
    oi: Track<f64>,
    oi_velocity: Track<f64>,
    oi_mid: Track<(f64, f64)>,
    oi_volume: Track<(f64, f64)>,
    leverage: Track<f64>,
    basis: Track<f64>,
    index_div: Track<f64>,
    mark: Track<f64>,
    touch: Track<f64>,
    center: Track<f64>,
    books: Track<BookSample>,
    flow: Track<(f64, f64, f64)>,
    walls: Option<[Option<(f64, f64)>; 2]>,
    cluster_since: Option<Time>,
    /// funding_rate_8h (Σ, n) per UTC hour of day, per day of week, and over all samples.
    hour: [(f64, u64); 24],
    dow: [(f64, u64); 7],
    all: (f64, u64),
}

impl Default for InstSeries {
    fn default() -> Self {
        Self {
            mid: Track::new(W1H),
            ret_1m: Track::new(W1H),
            range_1m: Track::new(W1H),
            range_5m: Track::new(W1H),
            spread: Track::new(W5M),
            micro_dev: Track::new(W5M),
            cvd: Track::new(W2M),
            trades_total: Track::new(W1M),
            volume_1m: Track::new(W1H),
            trades_1m: Track::new(W1H),
            funding_8h: Track::new(W1H),
            funding: Track::new(W1H),
            oi: Track::new(W15M),
            oi_velocity: Track::new(W15M),
            oi_mid: Track::new(W15M),
            oi_volume: Track::new(W15M),
            leverage: Track::new(W1H),
            basis: Track::new(W15M),
            index_div: Track::new(W15M),
            mark: Track::new(W10S),
            touch: Track::new(W10S),
            center: Track::new(W10S),
            books: Track::new(W10S),
            flow: Track::new(W1M),
            walls: None,
            cluster_since: None,
            hour: [(0.0, 0); 24],
            dow: [(0.0, 0); 7],
            all: (0.0, 0),
        }
    }
}

/// The sampled-feature stage: per-instrument series state.
#[derive(Debug, Default)]
pub struct Series {
    state: BTreeMap<InstrumentId, InstSeries>,
}

/// UTC hour of day and day of week (0 = Monday) of a Unix-ns time.
pub fn hour_and_weekday(t: Time) -> (usize, usize) {
    let secs = t / SEC;
    let day = secs / 86_400;
    (((secs / 3600) % 24) as usize, ((day + 3) % 7) as usize)
}

impl Series {
    /// Takes the samples at snapshot time `t` and returns every instrument's sampled features.
    pub fn update(
        &mut self,
        t: Time,
        features: &BTreeMap<InstrumentId, FeatureVector>,
        books: &BTreeMap<InstrumentId, (SideLevels, SideLevels)>,
    ) -> BTreeMap<InstrumentId, Vec<(FeatureId, f64)>> {
        features
            .iter()
            .map(|(inst, fv)| {
                let st = self.state.entry(*inst).or_default();
                let book = books
                    .get(inst)
                    .filter(|(b, a)| !b.is_empty() || !a.is_empty());
                (*inst, st.update(t, &fv.values, book))
            })
            .collect()
    }
}

impl InstSeries {
    #[allow(clippy::too_many_lines)] // one feature after the other, in catalogue order
    fn update(
        &mut self,
        t: Time,
        v: &BTreeMap<FeatureId, f64>,
        book: Option<&(SideLevels, SideLevels)>,
    ) -> Vec<(FeatureId, f64)> {
        let g = |id: FeatureId| v.get(&id).copied();
        let mut out: Vec<(FeatureId, f64)> = Vec::new();
        let mut put = |id: FeatureId, x: Option<f64>| {
            if let Some(x) = x.filter(|x| x.is_finite()) {
                out.push((id, x));
            }
        };
        let mid = g(MID_PRICE).filter(|m| *m > 0.0);
        let ln_ratio = |now: f64, then: Option<&f64>| {
            then.filter(|p| **p > 0.0)
                .map(|p| (now / p).ln())
                .filter(|_| now > 0.0)
        };

        // Prices.
        if let Some(x) = g(MICROPRICE_DEVIATION) {
            self.micro_dev.push(t, x);
            put(MICROPRICE_ZSCORE, zscore(&self.micro_dev, t, W5M, x));
        }
        if let Some(x) = g(SPREAD_BPS) {
            self.spread.push(t, x);
            let z = zscore(&self.spread, t, W5M, x);
            put(SPREAD_ZSCORE, z);
            put(
                SPREAD_COMPRESSION_VELOCITY,
                self.spread.back(t, W10S).map(|b| (b - x) / 10.0),
            );
            put(
                SPREAD_EXPANSION_SPIKE,
                z.map(|z| f64::from(u8::from(at_least(z, 3.0)))),
            );
        }
        let mut ret_1m = None;
        let mut rv = [None; 3];
        if let Some(m) = mid {
            self.mid.push(t, m);
            // Efficiency over 1m: net move / path, both over the window's samples.
            let w: Vec<f64> = self.mid.window(t, W1M).map(|(_, x)| *x).collect();
            let path: f64 = w.windows(2).map(|p| (p[1] - p[0]).abs()).sum();
            if let (Some(first), true) = (w.first(), path > 0.0) {
                put(PRICE_EFFICIENCY, Some((m - first).abs() / path));
            }
            // Signs of the changes over 5m.
            let w5: Vec<f64> = self.mid.window(t, W5M).map(|(_, x)| *x).collect();
            let signs: Vec<i8> = w5
                .windows(2)
                .map(|p| {
                    if p[1] > p[0] {
                        1
                    } else if p[1] < p[0] {
                        -1
                    } else {
                        0
                    }
                })
                .collect();
            let moves: Vec<i8> = signs.iter().copied().filter(|s| *s != 0).collect();
            if moves.len() >= 2 {
                let flips = moves.windows(2).filter(|p| p[0] != p[1]).count();
                put(
                    TICK_REVERSAL_RATE,
                    Some(flips as f64 / (moves.len() - 1) as f64),
                );
            }
            if !signs.is_empty() {
                let n = signs.len() as f64;
                let h: f64 = [1i8, -1, 0]
                    .iter()
                    .map(|k| signs.iter().filter(|s| **s == *k).count() as f64 / n)
                    .filter(|p| *p > 0.0)
                    .map(|p| -p * p.ln())
                    .sum();
                put(MID_PRICE_ENTROPY, Some(h / 3f64.ln()));
            }
            put(HURST_EXPONENT, hurst(&log_returns(&self.mid, t, W15M)));
            for (k, w) in [W1M, W5M, W15M].into_iter().enumerate() {
                let r = log_returns(&self.mid, t, w);
                if !r.is_empty() {
                    rv[k] = Some(1e4 * r.iter().map(|x| x * x).sum::<f64>().sqrt());
                }
            }
            put(REALIZED_VOL_MID_BPS_1M, rv[0]);
            put(REALIZED_VOL_MID_BPS_5M, rv[1]);
            put(REALIZED_VOL_MID_BPS_15M, rv[2]);
            ret_1m = ln_ratio(m, self.mid.back(t, W1M)).map(|r| 1e4 * r);
            if let Some(r) = ret_1m {
                self.ret_1m.push(t, r);
            }
            if let Some(r) = range_bps(&self.mid, t, W1M) {
                self.range_1m.push(t, r);
            }
            if let Some(r) = range_bps(&self.mid, t, W5M) {
                self.range_5m.push(t, r);
            }
        }

        // Order book.
        let sample = book.map(|(b, a)| BookSample::of(b, a));
        if let Some(s) = &sample {
            if let (Some((_, b1)), Some((_, a1))) = (s.best_bid, s.best_ask) {
                let touch = b1 + a1;
                self.touch.push(t, touch);
                put(
                    QUEUE_POSITION_DRIFT,
                    ln_ratio(touch, self.touch.back(t, W10S)),
                );
            }
            if let Some((_, prev)) = self.books.pts.back() {
                let f = book_flow(prev, s);
                self.flow.push(t, f);
            }
            let (add, rem, repl) = self
                .flow
                .window(t, W1M)
                .fold((0.0, 0.0, 0.0), |acc, (_, f)| {
                    (acc.0 + f.0, acc.1 + f.1, acc.2 + f.2)
                });
            if !self.flow.pts.is_empty() && self.flow.pts.back().is_some_and(|(ti, _)| *ti == t) {
                if rem > 0.0 {
                    put(ADD_CANCEL_RATIO, Some(add / rem));
                }
                put(REPLENISHMENT_SPEED, Some(repl / 60.0));
            }
            if let Some(old) = self.books.back(t, W10S) {
                let total = old.top_bids.len() + old.top_asks.len();
                if total > 0 {
                    let kept = old
                        .top_bids
                        .iter()
                        .filter(|p| s.top_bids.contains(p))
                        .count()
                        + old
                            .top_asks
                            .iter()
                            .filter(|p| s.top_asks.contains(p))
                            .count();
                    put(
                        LIQUIDITY_PERSISTENCE_SCORE,
                        Some(kept as f64 / total as f64),
                    );
                }
            }
        }
        if let (Some(vd), Some(m)) = (g(VWAP_DEPTH), mid) {
            let c = 1e4 * (vd - m) / m;
            self.center.push(t, c);
            put(
                LIQUIDITY_MIGRATION_VELOCITY,
                self.center.back(t, W10S).map(|b| (c - b) / 10.0),
            );
        }
        if let (Some(vol), Some(r)) = (g(VOLUME_1M), ret_1m) {
            put(ABSORPTION_RATIO, Some(vol / r.abs().max(1.0)));
        }
        let walls = [
            g(BID_WALL_PRICE).zip(g(BID_WALL_SIZE)),
            g(ASK_WALL_PRICE).zip(g(ASK_WALL_SIZE)),
        ];
        if let (Some(prev), Some(s)) = (self.walls, &sample) {
            let mut pulled = false;
            if let (Some((wp, ws)), Some((bb, _))) = (prev[0], s.best_bid)
                && bb.to_f64() > wp
            {
                let now = s
                    .bids
                    .iter()
                    .find(|(p, _)| p.to_f64() == wp)
                    .map_or(0.0, |(_, x)| *x);
                pulled |= now < 0.5 * ws;
            }
            if let (Some((wp, ws)), Some((ba, _))) = (prev[1], s.best_ask)
                && ba.to_f64() < wp
            {
                let now = s
                    .asks
                    .iter()
                    .find(|(p, _)| p.to_f64() == wp)
                    .map_or(0.0, |(_, x)| *x);
                pulled |= now < 0.5 * ws;
            }
            put(PULL_WALL_DETECTED, Some(f64::from(u8::from(pulled))));
            let pushed = matches!((prev[0], walls[0]), (Some((p0, s0)), Some((p1, s1))) if p1 > p0 && s1 >= s0)
                || matches!((prev[1], walls[1]), (Some((p0, s0)), Some((p1, s1))) if p1 < p0 && s1 >= s0);
            put(PUSH_WALL_DETECTED, Some(f64::from(u8::from(pushed))));
        }
        if sample.is_some() {
            self.walls = Some(walls);
        }
        if let Some(s) = sample {
            self.books.push(t, s);
        }

        // Trades.
        if let Some(c) = g(CVD) {
            self.cvd.push(t, c);
            let (c1, c2) = (self.cvd.back(t, W1M), self.cvd.back(t, W2M));
            put(CVD_SLOPE, c1.map(|b| (c - b) / 60.0));
            if let (Some(c1), Some(c2)) = (c1, c2) {
                put(CVD_ACCELERATION, Some((c - 2.0 * c1 + c2) / 3600.0));
            }
        }
        if let (Some(r), Some(vol)) = (g(RETURN_BPS_1M), g(VOLUME_1M))
            && vol > 0.0
        {
            put(MARKET_IMPACT_PER_VOLUME, Some(r.abs() / vol));
        }
        if let (Some(avg), Some(m), Some((b, a))) = (g(AVG_TRADE_SIZE_5M), mid, book)
            && avg > 0.0
        {
            let q = 10.0 * avg;
            let sides: Vec<f64> = [fill_vwap(a, q), fill_vwap(b, q)]
                .into_iter()
                .flatten()
                .map(|p| 1e4 * (p - m).abs() / m)
                .collect();
            if !sides.is_empty() {
                put(
                    SLIPPAGE_ESTIMATOR,
                    Some(sides.iter().sum::<f64>() / sides.len() as f64),
                );
            }
        }
        if let Some(n) = g(TRADE_COUNT_TOTAL) {
            self.trades_total.push(t, n);
            let w: Vec<f64> = self.trades_total.window(t, W1M).map(|(_, x)| *x).collect();
            let d = w.windows(2).map(|p| p[1] - p[0]);
            let m = Moments::of(d);
            if m.n >= MIN_SAMPLES && m.mean > 0.0 {
                put(
                    TRADE_CLUSTERING_INDEX,
                    Some(m.m2.max(0.0) / m.n as f64 / m.mean),
                );
            }
        }

        // Funding.
        if let Some(f) = g(FUNDING_RATE) {
            self.funding.push(t, f);
            let m = Moments::of(self.funding.window(t, W1H).map(|(_, x)| *x));
            put(NEXT_FUNDING_PREDICTION, (m.n > 0).then_some(m.mean));
        }
        if let Some(f) = g(FUNDING_RATE_8H) {
            self.funding_8h.push(t, f);
            let z = zscore(&self.funding_8h, t, W1H, f);
            put(FUNDING_ZSCORE, z);
            let momentum = self.funding_8h.back(t, W15M).map(|b| f - b);
            put(FUNDING_MOMENTUM, momentum);
            put(
                FUNDING_VELOCITY,
                self.funding_8h.back(t, W5M).map(|b| (f - b) * 12.0),
            );
            put(
                FUNDING_SKEW,
                skewness(self.funding_8h.window(t, W1H).map(|(_, x)| *x)),
            );
            put(FUNDING_STRESS, Some(f.abs() / 1e-4));
            put(
                FUNDING_ANOMALY,
                z.map(|z| f64::from(u8::from(at_least(z.abs(), 3.0)))),
            );
            if let (Some(z), Some(mo)) = (z, momentum) {
                let back = mo != 0.0 && f != 0.0 && mo.signum() != f.signum();
                put(
                    FUNDING_REVERSAL_PROBABILITY,
                    Some(if back { (z.abs() / 3.0).min(1.0) } else { 0.0 }),
                );
            }
            let m = Moments::of(self.funding_8h.window(t, W1H).map(|(_, x)| *x));
            put(CARRY_YIELD, Some(100.0 * 3.0 * 365.0 * m.mean));
            let (h, d) = hour_and_weekday(t);
            for cell in [
                self.hour.get_mut(h),
                self.dow.get_mut(d),
                Some(&mut self.all),
            ]
            .into_iter()
            .flatten()
            {
                cell.0 += f;
                cell.1 += 1;
            }
            let mean = |c: Option<&(f64, u64)>| c.filter(|c| c.1 > 0).map(|c| c.0 / c.1 as f64);
            if let Some(all) = mean(Some(&self.all)) {
                put(FUNDING_HOUR_BIAS, mean(self.hour.get(h)).map(|x| x - all));
                put(FUNDING_DOW_BIAS, mean(self.dow.get(d)).map(|x| x - all));
            }
        }

        // Open interest.
        let oi = g(OPEN_INTEREST);
        if let Some(o) = oi {
            self.oi.push(t, o);
            let (o1, o2) = (self.oi.back(t, W1M).copied(), self.oi.back(t, W2M).copied());
            let vel = o1.map(|b| (o - b) / 60.0);
            put(OI_VELOCITY, vel);
            if let (Some(o1), Some(o2)) = (o1, o2) {
                put(OI_ACCELERATION, Some((o - 2.0 * o1 + o2) / 3600.0));
            }
            if let Some(vel) = vel {
                self.oi_velocity.push(t, vel);
                put(
                    OI_VELOCITY_SPIKE,
                    zscore(&self.oi_velocity, t, W15M, vel)
                        .map(|z| f64::from(u8::from(at_least(z.abs(), 3.0)))),
                );
            }
            let oi_pct = |w: u64| {
                self.oi
                    .back(t, w)
                    .filter(|b| **b > 0.0)
                    .map(|b| 100.0 * (o / b - 1.0))
            };
            let mid_pct = |w: u64| mid.and_then(|m| ln_ratio(m, self.mid.back(t, w)));
            if let (Some(op), Some(mr)) = (oi_pct(W5M), mid_pct(W5M)) {
                put(OI_PRICE_DELTA_PRODUCT, Some(op * 100.0 * mr));
                let intent = match (op.partial_cmp(&0.0), mr.partial_cmp(&0.0)) {
                    (Some(std::cmp::Ordering::Greater), Some(std::cmp::Ordering::Greater)) => 1.0,
                    (Some(std::cmp::Ordering::Greater), Some(std::cmp::Ordering::Less)) => -1.0,
                    (Some(std::cmp::Ordering::Less), Some(std::cmp::Ordering::Greater)) => 0.5,
                    (Some(std::cmp::Ordering::Less), Some(std::cmp::Ordering::Less)) => -0.5,
                    _ => 0.0,
                };
                put(POSITION_INTENT, Some(intent));
                put(INTENT_SCORE, Some(intent * op.abs().min(1.0)));
            }
            if let (Some(op), Some(mr)) = (oi_pct(W15M), mid_pct(W15M)) {
                put(OI_DIVERGENCE_SCORE, Some(op - 100.0 * mr));
            }
            if let (Some(b), Some(vol)) = (self.oi.back(t, W5M), g(VOLUME_5M))
                && vol > 0.0
            {
                put(OI_ABSORPTION, Some((o - b) / vol));
            }
            if let Some(m) = mid {
                self.oi_mid.push(t, (o, m));
                put(
                    OI_PRICE_CORRELATION,
                    correlation(self.oi_mid.window(t, W15M).map(|(_, p)| *p)),
                );
            }
            if let Some(vol) = g(VOLUME_1M) {
                self.oi_volume.push(t, (o, vol));
                put(
                    OI_VOLUME_CORRELATION,
                    correlation(self.oi_volume.window(t, W15M).map(|(_, p)| *p)),
                );
            }
        }
        if let (Some(n), Some(q)) = (g(OI_NOTIONAL), g(QUOTE_VOLUME_24H))
            && q > 0.0
        {
            let lev = n / q;
            self.leverage.push(t, lev);
            put(LEVERAGE_INDEX, Some(lev));
            put(
                LEVERAGE_EXPANSION,
                self.leverage
                    .back(t, W1H)
                    .filter(|b| **b > 0.0)
                    .map(|b| 100.0 * (lev / b - 1.0)),
            );
            put(LEVERAGE_STRESS, zscore(&self.leverage, t, W1H, lev));
        }
        if let (Some(l5), Some(n)) = (g(TOTAL_LIQ_VALUE_5M), g(OI_NOTIONAL))
            && n > 0.0
        {
            put(LIQUIDATION_CASCADE_RISK, Some((l5 / (0.001 * n)).min(1.0)));
        }

        // Liquidations.
        let n1 = g(TOTAL_LIQ_COUNT_1M);
        if let Some(n1) = n1 {
            let cluster = n1 >= 3.0;
            put(LIQ_CLUSTER_DETECTED, Some(f64::from(u8::from(cluster))));
            put(LIQ_CLUSTER_SIZE, Some(if cluster { n1 } else { 0.0 }));
            put(
                LIQ_CLUSTER_VALUE,
                g(TOTAL_LIQ_VALUE_1M).map(|v1| if cluster { v1 } else { 0.0 }),
            );
        }
        let cluster = n1.is_some_and(|n| n >= 3.0);
        self.cluster_since = if cluster {
            Some(self.cluster_since.unwrap_or(t))
        } else {
            None
        };
        if n1.is_some() {
            put(
                LIQ_CLUSTER_DURATION,
                Some(self.cluster_since.map_or(0.0, |s| (t - s) as f64 / 1e9)),
            );
        }
        let accel = match (g(TOTAL_LIQ_VALUE_1M), g(TOTAL_LIQ_VALUE_5M)) {
            (Some(v1), Some(v5)) if v5 > 0.0 => Some((v1 - v5 / 5.0) / (v5 / 5.0)),
            _ => None,
        };
        put(LIQ_CASCADE_ACCELERATION, accel);
        if let Some(n1) = n1 {
            let a = accel.unwrap_or(0.0);
            put(
                LIQ_CASCADE_PROBABILITY,
                Some((1.0 - (-n1 / 3.0).exp()) * (0.5 + a / 4.0).clamp(0.0, 1.0)),
            );
        }
        if let (Some(v1), Some(vol), Some(m)) = (g(TOTAL_LIQ_VALUE_1M), g(VOLUME_1M), mid)
            && vol > 0.0
        {
            put(LIQ_CASCADE_SEVERITY, Some(v1 / (vol * m)));
        }
        if let (Some(imb), Some(r), true) =
            (g(LIQ_IMBALANCE_1M), ret_1m, n1.is_some_and(|n| n > 0.0))
        {
            put(ABSORPTION_AFTER_LIQ, Some(imb.signum() * r));
        }
        if let (Some(n5), Some(n1)) = (g(TOTAL_LIQ_COUNT_5M), n1) {
            put(
                EXHAUSTION_SIGNAL,
                Some(f64::from(u8::from(n5 >= 3.0 && n1 == 0.0))),
            );
        }

        // Mark prices.
        if let (Some(mk), Some(ix)) = (g(MARK_PRICE), g(INDEX_PRICE))
            && ix > 0.0
        {
            put(MARK_SPOT_BASIS, Some(mk - ix));
            put(BASIS_PCT, Some(100.0 * (mk - ix) / ix));
        }
        if let Some(b) = g(MARK_INDEX_BASIS_BPS) {
            self.basis.push(t, b);
            put(BASIS_ZSCORE, zscore(&self.basis, t, W15M, b));
            let w: Vec<(Time, f64)> = self.basis.window(t, W15M).copied().collect();
            if w.len() >= MIN_SAMPLES {
                let mean = w.iter().map(|p| p.1).sum::<f64>() / w.len() as f64;
                let (mut num, mut den) = (0.0, 0.0);
                for p in w.windows(2) {
                    num += (p[0].1 - mean) * (p[1].1 - mean);
                    den += (p[0].1 - mean) * (p[0].1 - mean);
                }
                let span = w.last().map_or(0, |l| l.0) - w.first().map_or(0, |f| f.0);
                let dt = span as f64 / 1e9 / (w.len() - 1) as f64;
                if den > 0.0 && dt > 0.0 {
                    let phi = num / den;
                    if phi > 0.0 && phi < 1.0 {
                        put(BASIS_MEAN_REVERSION_SPEED, Some(-phi.ln() / dt));
                    }
                }
            }
        }
        if let (Some(m), Some(ix)) = (mid, g(INDEX_PRICE))
            && ix > 0.0
        {
            let d = 1e4 * (m - ix) / ix;
            self.index_div.push(t, d);
            put(INDEX_DIVERGENCE, Some(d));
            put(
                INDEX_DIVERGENCE_RISK,
                zscore(&self.index_div, t, W15M, d).map(f64::abs),
            );
        }
        if let Some(mk) = g(MARK_PRICE).filter(|m| *m > 0.0) {
            self.mark.push(t, mk);
            put(
                MARK_VELOCITY,
                ln_ratio(mk, self.mark.back(t, W10S)).map(|r| 1e4 * r / 10.0),
            );
        }

        // Ticker-style activity.
        if let (Some(v1), Some(v5)) = (g(VOLUME_1M), g(VOLUME_5M))
            && v5 > 0.0
        {
            put(VOLUME_ACCELERATION, Some((v1 - v5 / 5.0) / (v5 / 5.0)));
        }
        if let Some(v1) = g(VOLUME_1M) {
            self.volume_1m.push(t, v1);
            put(VOLUME_PERCENTILE, percentile(&self.volume_1m, t, W1H, v1));
        }
        if let (Some(vw), Some(_)) = (g(VWAP_1H), mid) {
            let (lo, hi) = self
                .mid
                .window(t, W1H)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, x)| {
                    (lo.min(*x), hi.max(*x))
                });
            if hi > lo {
                put(
                    VOLUME_PROFILE_SKEW,
                    Some((vw - (hi + lo) / 2.0) / ((hi - lo) / 2.0)),
                );
            }
        }
        if mid.is_some() {
            for (id, track, w) in [
                (RANGE_EXPANSION, &self.range_5m, W5M),
                (RANGE_VS_ATR, &self.range_1m, W1M),
            ] {
                if let Some(now) = range_bps(&self.mid, t, w) {
                    let m = Moments::of(track.window(t, W1H).map(|(_, x)| *x));
                    if m.mean > 0.0 {
                        put(id, Some(now / m.mean));
                    }
                }
            }
        }
        if let (Some(r1), Some(r15)) = (rv[0], rv[2])
            && r15 > 0.0
        {
            let ratio = r1 * 15f64.sqrt() / r15;
            put(VOLATILITY_COMPRESSION, Some((1.0 - ratio).max(0.0)));
            put(VOLATILITY_EXPANSION, Some((ratio - 1.0).max(0.0)));
        }
        if let Some(r) = ret_1m {
            put(PRICE_CHANGE_ZSCORE, zscore(&self.ret_1m, t, W1H, r));
        }
        if let Some(n) = g(TRADE_COUNT_1M) {
            self.trades_1m.push(t, n);
            put(
                TRADE_COUNT_PERCENTILE,
                percentile(&self.trades_1m, t, W1H, n),
            );
        }
        if let (Some(a5), Some(a1h)) = (g(AVG_TRADE_SIZE_5M), g(AVG_TRADE_SIZE_1H))
            && a1h > 0.0
        {
            put(INSTITUTIONAL_INTEREST_IDX, Some(a5 / a1h));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hurst_of_a_random_walk_is_near_half() {
        // A deterministic pseudo-random ±1 sequence.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let r: Vec<f64> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x & 1 == 1 { 1.0 } else { -1.0 }
            })
            .collect();
        let h = hurst(&r).unwrap();
        assert!((h - 0.5).abs() < 0.1, "{h}");
        // Perfectly trending sums: σ_k ∝ k → but constant returns have σ = 0 → absent.
        assert_eq!(hurst(&[1.0; 200]), None);
    }

    #[test]
    fn weekday_of_epoch_is_thursday() {
        assert_eq!(hour_and_weekday(0), (0, 3));
        // 2026-12-01 (a Tuesday) 21:00 UTC.
        assert_eq!(hour_and_weekday(1_796_158_800 * SEC), (21, 1));
    }
}
