//! The market simulation.

use crate::book::{Book, BookSide};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, StandardNormal};

const NS: u64 = 1_000_000_000;
/// Levels kept per side.
const DEPTH: usize = 200;
/// Mark / index / funding cadence.
const MARK_EVERY_NS: u64 = NS;

/// Static description of a simulated instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct SimInstrument {
    /// Starting mid, in ticks.
    pub start_mid_ticks: i64,
    /// Typical resting size at the touch, in lots.
    pub base_lots: u64,
}

impl SimInstrument {
    /// A new instrument.
    pub fn new(start_mid_ticks: i64, base_lots: u64) -> Self {
        Self {
            start_mid_ticks,
            base_lots: base_lots.max(1),
        }
    }
}

/// A changed level: absolute size, 0 = removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimLevel {
    /// Side.
    pub side: BookSide,
    /// Price, ticks.
    pub ticks: i64,
    /// New absolute size, lots.
    pub lots: u64,
}

/// What changed.
#[derive(Clone, Debug, PartialEq)]
pub enum SimChangeKind {
    /// A trade. `buyer_aggressor` = a buy market order lifted the ask.
    Trade {
        /// Trade id (per instrument, increasing).
        id: u64,
        /// Price, ticks.
        ticks: i64,
        /// Size, lots.
        lots: u64,
        /// Aggressor.
        buyer_aggressor: bool,
    },
    /// Book levels changed (one venue update; `update_id` increases by one per change).
    Book {
        /// Changed levels.
        levels: Vec<SimLevel>,
        /// Update id after this change.
        update_id: u64,
    },
    /// Mark / index / funding (every second).
    Mark {
        /// Mark price, ticks (fractional).
        mark_ticks: f64,
        /// Index price, ticks (fractional).
        index_ticks: f64,
        /// Funding rate (fraction per 8 h).
        funding_rate: f64,
        /// Next funding time, ns.
        next_funding_ns: u64,
    },
    /// A forced liquidation (printed as a trade as well).
    Liquidation {
        /// `true` = a short was liquidated (buy order).
        buy: bool,
        /// Price, ticks.
        ticks: i64,
        /// Size, lots.
        lots: u64,
    },
}

/// A change with its simulated time and instrument index.
#[derive(Clone, Debug, PartialEq)]
pub struct SimChange {
    /// Simulated time, ns.
    pub ts_ns: u64,
    /// Instrument index.
    pub inst: usize,
    /// The change.
    pub kind: SimChangeKind,
}

#[derive(Clone, Debug)]
struct InstState {
    spec: SimInstrument,
    fair: f64,
    book: Book,
    update_id: u64,
    trade_id: u64,
    /// Hawkes excitation above the base trade intensity (per second).
    excitation: f64,
    last_trade_ns: u64,
    burst_until_ns: u64,
    next_trade_ns: u64,
    next_book_ns: u64,
    next_mark_ns: u64,
    funding_rate: f64,
    open_interest_lots: f64,
    volume_lots: u64,
    trade_count: u64,
    open_ticks: i64,
    high_ticks: i64,
    low_ticks: i64,
    last_ticks: i64,
}

/// The simulated market for a set of instruments.
#[derive(Debug)]
pub struct MarketSim {
    rng: ChaCha8Rng,
    insts: Vec<InstState>,
    now_ns: u64,
    trade_rate: f64,
    book_rate: f64,
}

fn exp_sample(rng: &mut ChaCha8Rng, rate: f64) -> f64 {
    Exp::new(rate.max(1e-9))
        .map(|d| d.sample(rng))
        .unwrap_or(1.0)
}

impl MarketSim {
    /// A market of `instruments` producing about `msgs_per_sec` changes per second in total,
    /// starting at simulated time `start_ns`.
    pub fn new(
        seed: u64,
        instruments: Vec<SimInstrument>,
        msgs_per_sec: f64,
        start_ns: u64,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = instruments.len().max(1) as f64;
        let per_inst = (msgs_per_sec.max(1.0)) / n;
        let trade_rate = per_inst * 0.3;
        let book_rate = per_inst * 0.7;
        let insts = instruments
            .into_iter()
            .map(|spec| {
                let mid = spec.start_mid_ticks as f64;
                let mut st = InstState {
                    fair: mid,
                    book: Book::default(),
                    update_id: 1_000,
                    trade_id: 1,
                    excitation: 0.0,
                    last_trade_ns: start_ns,
                    burst_until_ns: 0,
                    next_trade_ns: start_ns + (exp_sample(&mut rng, trade_rate) * 1e9) as u64,
                    next_book_ns: start_ns + (exp_sample(&mut rng, book_rate) * 1e9) as u64,
                    next_mark_ns: start_ns + MARK_EVERY_NS,
                    funding_rate: 0.0001,
                    open_interest_lots: spec.base_lots as f64 * 5_000.0,
                    volume_lots: 0,
                    trade_count: 0,
                    open_ticks: spec.start_mid_ticks,
                    high_ticks: spec.start_mid_ticks,
                    low_ticks: spec.start_mid_ticks,
                    last_ticks: spec.start_mid_ticks,
                    spec,
                };
                seed_book(&mut rng, &mut st);
                st
            })
            .collect();
        Self {
            rng,
            insts,
            now_ns: start_ns,
            trade_rate,
            book_rate,
        }
    }

    /// Current simulated time.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.insts.len()
    }

    /// True when there are no instruments.
    pub fn is_empty(&self) -> bool {
        self.insts.is_empty()
    }

    /// The true book of an instrument.
    pub fn book(&self, inst: usize) -> Option<&Book> {
        self.insts.get(inst).map(|s| &s.book)
    }

    /// Current update id of an instrument's book.
    pub fn update_id(&self, inst: usize) -> u64 {
        self.insts.get(inst).map_or(0, |s| s.update_id)
    }

    /// Best bid ticks (0 if none).
    pub fn best_bid(&self, inst: usize) -> i64 {
        self.book(inst).and_then(Book::best_bid).map_or(0, |l| l.0)
    }

    /// Best ask ticks (0 if none).
    pub fn best_ask(&self, inst: usize) -> i64 {
        self.book(inst).and_then(Book::best_ask).map_or(0, |l| l.0)
    }

    /// Open interest, lots.
    pub fn open_interest_lots(&self, inst: usize) -> f64 {
        self.insts.get(inst).map_or(0.0, |s| s.open_interest_lots)
    }

    /// 24 h-style statistics since start: (open, high, low, last) ticks, volume lots, trade count.
    pub fn stats(&self, inst: usize) -> Option<(i64, i64, i64, i64, u64, u64)> {
        self.insts.get(inst).map(|s| {
            (
                s.open_ticks,
                s.high_ticks,
                s.low_ticks,
                s.last_ticks,
                s.volume_lots,
                s.trade_count,
            )
        })
    }

    /// Latest mark (fair value, ticks) and funding rate.
    pub fn mark(&self, inst: usize) -> Option<(f64, f64)> {
        self.insts.get(inst).map(|s| (s.fair, s.funding_rate))
    }

    /// Generates every change due up to `now_ns`, in time order.
    pub fn advance(&mut self, now_ns: u64) -> Vec<SimChange> {
        let mut out = Vec::new();
        if now_ns <= self.now_ns {
            return out;
        }
        loop {
            // Earliest scheduled item over all instruments.
            let mut best: Option<(u64, usize, u8)> = None;
            for (i, s) in self.insts.iter().enumerate() {
                for (t, k) in [
                    (s.next_trade_ns, 0u8),
                    (s.next_book_ns, 1),
                    (s.next_mark_ns, 2),
                ] {
                    if best.is_none_or(|b| t < b.0) {
                        best = Some((t, i, k));
                    }
                }
            }
            let Some((t, i, k)) = best else { break };
            if t > now_ns {
                break;
            }
            match k {
                0 => self.do_trade(i, t, &mut out),
                1 => self.do_book(i, t, &mut out),
                _ => self.do_mark(i, t, &mut out),
            }
        }
        self.now_ns = now_ns;
        out
    }

    fn in_burst(&self, i: usize, t: u64) -> bool {
        self.insts.get(i).is_some_and(|s| t < s.burst_until_ns)
    }

    fn do_mark(&mut self, i: usize, t: u64, out: &mut Vec<SimChange>) {
        let burst = self.in_burst(i, t);
        let rng = &mut self.rng;
        let Some(s) = self.insts.get_mut(i) else {
            return;
        };
        s.next_mark_ns = t + MARK_EVERY_NS;
        // Regime switch: about one burst a minute, lasting ~8 s.
        if !burst && rng.random::<f64>() < 1.0 / 60.0 {
            s.burst_until_ns = t + (exp_sample(rng, 1.0 / 8.0) * 1e9) as u64;
        }
        let z: f64 = rng.sample(StandardNormal);
        s.funding_rate = (s.funding_rate + z * 0.000_002).clamp(-0.003, 0.003);
        let oz: f64 = rng.sample(StandardNormal);
        s.open_interest_lots = (s.open_interest_lots * (1.0 + oz * 0.001)).max(1.0);
        let iz: f64 = rng.sample(StandardNormal);
        let index = s.fair * (1.0 - 0.0002 + iz * 0.00005);
        let period = 8 * 3600 * NS;
        out.push(SimChange {
            ts_ns: t,
            inst: i,
            kind: SimChangeKind::Mark {
                mark_ticks: s.fair,
                index_ticks: index,
                funding_rate: s.funding_rate,
                next_funding_ns: (t / period + 1) * period,
            },
        });
    }

    fn do_book(&mut self, i: usize, t: u64, out: &mut Vec<SimChange>) {
        let burst = self.in_burst(i, t);
        let book_rate = self.book_rate;
        let rng = &mut self.rng;
        let Some(s) = self.insts.get_mut(i) else {
            return;
        };
        s.next_book_ns = t + (exp_sample(rng, book_rate) * 1e9).max(1.0) as u64;
        let sigma = if burst { 1.2 } else { 0.3 };
        let z: f64 = rng.sample(StandardNormal);
        s.fair += z * sigma;
        let mut changed: Vec<SimLevel> = Vec::new();
        reshape(rng, s, &mut changed);
        // One random add / cancel near the touch.
        let side = if rng.random::<bool>() {
            BookSide::Bid
        } else {
            BookSide::Ask
        };
        let dist = (exp_sample(rng, 0.25) as i64).min(DEPTH as i64 - 1);
        let touch = match side {
            BookSide::Bid => s.book.best_bid().map_or(s.fair.floor() as i64, |l| l.0),
            BookSide::Ask => s.book.best_ask().map_or(s.fair.ceil() as i64, |l| l.0),
        };
        let ticks = match side {
            BookSide::Bid => touch - dist,
            BookSide::Ask => touch + dist,
        };
        let lots = level_size(rng, s.spec.base_lots, dist);
        let lots = if rng.random::<f64>() < 0.15 && dist > 0 {
            0
        } else {
            lots
        };
        set_level(s, side, ticks, lots, &mut changed);
        if changed.is_empty() {
            return;
        }
        s.update_id += 1;
        out.push(SimChange {
            ts_ns: t,
            inst: i,
            kind: SimChangeKind::Book {
                levels: changed,
                update_id: s.update_id,
            },
        });
    }

    fn do_trade(&mut self, i: usize, t: u64, out: &mut Vec<SimChange>) {
        let burst = self.in_burst(i, t);
        let base_rate = self.trade_rate * if burst { 3.0 } else { 1.0 };
        let rng = &mut self.rng;
        let Some(s) = self.insts.get_mut(i) else {
            return;
        };
        // Hawkes with exponential kernel: λ(t) = μ + Σ α·e^(−β(t−tᵢ)). Branching ratio
        // n = α/β = 0.5 keeps it stationary; μ = base·(1−n) keeps the mean rate at `base`.
        const BETA: f64 = 20.0;
        const BRANCHING: f64 = 0.5;
        let dt = (t.saturating_sub(s.last_trade_ns)) as f64 / 1e9;
        s.excitation *= (-BETA * dt).exp();
        s.excitation += BRANCHING * BETA;
        let lambda = base_rate * (1.0 - BRANCHING) + s.excitation;
        s.last_trade_ns = t;
        s.next_trade_ns = t + (exp_sample(rng, lambda) * 1e9).max(1.0) as u64;

        // Aggressor leans with the fair price's position inside the spread.
        let (Some((bb, _)), Some((ba, _))) = (s.book.best_bid(), s.book.best_ask()) else {
            return;
        };
        let mid = (bb + ba) as f64 / 2.0;
        let p_buy = (0.5 + (s.fair - mid) * 0.2).clamp(0.1, 0.9);
        let buy = rng.random::<f64>() < p_buy;
        let size_dist = LogNormal::new(0.0, if burst { 1.3 } else { 1.0 }).ok();
        let mut lots = size_dist
            .map_or(1.0, |d| d.sample(rng) * s.spec.base_lots as f64 * 0.3)
            .max(1.0) as u64;
        let liquidation = burst && rng.random::<f64>() < 0.05;
        if liquidation {
            lots *= 4;
        }
        let mut changed = Vec::new();
        let side = if buy { BookSide::Ask } else { BookSide::Bid };
        while lots > 0 {
            let level = match side {
                BookSide::Ask => s.book.best_ask(),
                BookSide::Bid => s.book.best_bid(),
            };
            let Some((ticks, avail)) = level else { break };
            let take = lots.min(avail);
            s.trade_id += 1;
            s.trade_count += 1;
            s.volume_lots += take;
            s.last_ticks = ticks;
            s.high_ticks = s.high_ticks.max(ticks);
            s.low_ticks = s.low_ticks.min(ticks);
            out.push(SimChange {
                ts_ns: t,
                inst: i,
                kind: SimChangeKind::Trade {
                    id: s.trade_id,
                    ticks,
                    lots: take,
                    buyer_aggressor: buy,
                },
            });
            if liquidation {
                out.push(SimChange {
                    ts_ns: t,
                    inst: i,
                    kind: SimChangeKind::Liquidation {
                        buy,
                        ticks,
                        lots: take,
                    },
                });
            }
            set_level(s, side, ticks, avail - take, &mut changed);
            lots -= take;
        }
        // Trades push the fair price.
        s.fair += if buy { 0.2 } else { -0.2 };
        s.open_interest_lots += if rng.random::<bool>() { 1.0 } else { -1.0 };
        reshape(rng, s, &mut changed);
        if !changed.is_empty() {
            s.update_id += 1;
            out.push(SimChange {
                ts_ns: t,
                inst: i,
                kind: SimChangeKind::Book {
                    levels: changed,
                    update_id: s.update_id,
                },
            });
        }
    }
}

fn level_size(rng: &mut ChaCha8Rng, base: u64, dist: i64) -> u64 {
    let u: f64 = rng.random_range(0.3..1.7);
    ((base as f64) * (1.0 + dist as f64 * 0.08) * u).max(1.0) as u64
}

fn set_level(
    s: &mut InstState,
    side: BookSide,
    ticks: i64,
    lots: u64,
    changed: &mut Vec<SimLevel>,
) {
    let map = s.book.side_mut(side);
    let old = map.get(&ticks).copied().unwrap_or(0);
    if old == lots {
        return;
    }
    if lots == 0 {
        map.remove(&ticks);
    } else {
        map.insert(ticks, lots);
    }
    changed.retain(|c| !(c.side == side && c.ticks == ticks));
    changed.push(SimLevel { side, ticks, lots });
}

fn seed_book(rng: &mut ChaCha8Rng, s: &mut InstState) {
    let bid0 = s.fair.floor() as i64 - 1;
    let ask0 = bid0 + 2;
    for d in 0..DEPTH as i64 {
        let b = level_size(rng, s.spec.base_lots, d);
        let a = level_size(rng, s.spec.base_lots, d);
        s.book.bids.insert(bid0 - d, b);
        s.book.asks.insert(ask0 + d, a);
    }
}

/// Keeps the book consistent with the fair price: no crossed or locked book, the touch within a
/// few ticks of fair, and `DEPTH` levels per side.
fn reshape(rng: &mut ChaCha8Rng, s: &mut InstState, changed: &mut Vec<SimLevel>) {
    let fair = s.fair;
    let max_bid = (fair - 0.5).floor() as i64;
    let min_ask = (fair + 0.5).ceil() as i64;
    let crossed_bids: Vec<i64> = s.book.bids.range(max_bid + 1..).map(|(p, _)| *p).collect();
    for p in crossed_bids {
        set_level(s, BookSide::Bid, p, 0, changed);
    }
    let crossed_asks: Vec<i64> = s.book.asks.range(..min_ask).map(|(p, _)| *p).collect();
    for p in crossed_asks {
        set_level(s, BookSide::Ask, p, 0, changed);
    }
    // Refill the touch if it drifted away.
    let bb = s.book.best_bid().map_or(max_bid - 3, |l| l.0);
    for p in (bb + 1).max(max_bid - 2)..=max_bid {
        if p < min_ask {
            let l = level_size(rng, s.spec.base_lots, 0);
            set_level(s, BookSide::Bid, p, l, changed);
        }
    }
    let ba = s.book.best_ask().map_or(min_ask + 3, |l| l.0);
    for p in min_ask..ba.min(min_ask + 3) {
        if p > max_bid {
            let l = level_size(rng, s.spec.base_lots, 0);
            set_level(s, BookSide::Ask, p, l, changed);
        }
    }
    // Keep depth bounded, extend where short.
    while s.book.bids.len() > DEPTH {
        if let Some((&p, _)) = s.book.bids.iter().next() {
            set_level(s, BookSide::Bid, p, 0, changed);
        }
    }
    while s.book.asks.len() > DEPTH {
        if let Some((&p, _)) = s.book.asks.iter().next_back() {
            set_level(s, BookSide::Ask, p, 0, changed);
        }
    }
    while s.book.bids.len() < DEPTH / 2 {
        let p = s.book.bids.keys().next().map_or(max_bid, |p| p - 1);
        let l = level_size(rng, s.spec.base_lots, DEPTH as i64 / 2);
        set_level(s, BookSide::Bid, p, l, changed);
    }
    while s.book.asks.len() < DEPTH / 2 {
        let p = s.book.asks.keys().next_back().map_or(min_ask, |p| p + 1);
        let l = level_size(rng, s.spec.base_lots, DEPTH as i64 / 2);
        set_level(s, BookSide::Ask, p, l, changed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, steps: &[u64]) -> Vec<SimChange> {
        let mut sim = MarketSim::new(
            seed,
            vec![
                SimInstrument::new(1_000_000, 20),
                SimInstrument::new(30_000, 50),
            ],
            2_000.0,
            0,
        );
        steps.iter().flat_map(|&t| sim.advance(t)).collect()
    }

    #[test]
    fn same_seed_same_market_regardless_of_chunking() {
        let a = run(1, &[NS, 2 * NS, 3 * NS]);
        let b = run(1, &[NS / 3, NS, 5 * NS / 2, 3 * NS]);
        assert_eq!(a, b);
        assert_ne!(a, run(2, &[3 * NS]));
    }

    #[test]
    fn book_never_crossed_and_rate_roughly_right() {
        let mut sim = MarketSim::new(9, vec![SimInstrument::new(1_000_000, 20)], 1_000.0, 0);
        let mut n = 0;
        for k in 1..=20 {
            n += sim.advance(k * NS / 2).len();
            assert!(sim.best_bid(0) < sim.best_ask(0), "crossed at step {k}");
        }
        // 10 s at ~1,000/s (+ trade-induced book changes and marks).
        assert!((7_000..30_000).contains(&n), "{n} changes");
    }

    #[test]
    fn update_ids_are_contiguous() {
        let changes = run(3, &[5 * NS]);
        let mut last = [1_000u64, 1_000];
        for c in &changes {
            if let SimChangeKind::Book { update_id, .. } = c.kind {
                assert_eq!(update_id, last[c.inst] + 1);
                last[c.inst] = update_id;
            }
        }
    }
}
