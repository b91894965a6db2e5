//! Ingress: turns normalized events into the graph's input updates.
//!
//! * Books: a per-instrument mirror applies snapshots and deltas and, once per engine step,
//!   publishes the book's top (best [`TOP_LEVELS`] levels per side) when it changed: the old top
//!   leaves, the new one enters, like any latest value. The mirror is the book's one exact
//!   state; gathering published levels again in the graph (a `reduce` per instrument) cost a
//!   fifth of every engine step (benches/README.md, issue 10).
//! * Trades: each trade gets its log return against the previous trade of the instrument.
//! * Latest values (last price, mark/index, funding, OI, 24 h ticker): the previous value is
//!   retracted.
//! * Liquidations: one record each, windowed downstream.
//!
//! Ingress is deterministic: the same events in the same order give the same updates.

use crate::records::{
    BookTop, Latest, LatestKind, LiqRec, SideLevels, TOP_LEVELS, TradeRec, Value, log_return_e9,
};
use orderflow_model::{Event, EventKind, Fixed, InstrumentId, L2Book, Side};
use std::collections::BTreeMap;

/// Where ingress writes its updates (the dataflow's input sessions, or a test collector).
pub trait UpdateSink {
    /// A book's published top (best [`TOP_LEVELS`] per side) enters (+1) or leaves (−1).
    fn book(&mut self, inst: InstrumentId, top: BookTop, diff: isize);
    /// A trade.
    fn trade(&mut self, inst: InstrumentId, rec: TradeRec);
    /// A latest value enters (+1) or leaves (−1).
    fn latest(&mut self, inst: InstrumentId, value: Latest, diff: isize);
    /// A liquidation.
    fn liquidation(&mut self, inst: InstrumentId, rec: LiqRec);
}

#[derive(Clone, Debug, Default)]
struct InstBook {
    book: L2Book,
    /// The top currently published into the graph (`None`: nothing, the book was empty).
    published: Option<BookTop>,
}

impl InstBook {
    fn published_side(&self, side: Side) -> &[(Fixed, Fixed)] {
        match (&self.published, side) {
            (None, _) => &[],
            (Some(t), Side::Buy) => &t.bids,
            (Some(t), Side::Sell) => &t.asks,
        }
    }

    /// Whether a change at `price` on `side` can reach the published top: the side is not
    /// full, or the price is at or better than its worst published level.
    fn reaches_top(&self, side: Side, price: Fixed) -> bool {
        let levels = self.published_side(side);
        if levels.len() < TOP_LEVELS {
            return true;
        }
        levels.last().is_none_or(|(worst, _)| match side {
            Side::Buy => price >= *worst,
            Side::Sell => price <= *worst,
        })
    }

    /// Publishes the book's current top if it differs from the published one: the old top
    /// leaves (−1), the new one enters (+1); an empty book publishes nothing.
    fn republish(&mut self, inst: InstrumentId, sink: &mut impl UpdateSink) {
        let top = BookTop {
            bids: self.book.top(Side::Buy, TOP_LEVELS),
            asks: self.book.top(Side::Sell, TOP_LEVELS),
        };
        let new = (!top.bids.is_empty() || !top.asks.is_empty()).then_some(top);
        if new == self.published {
            return;
        }
        if let Some(old) = self.published.take() {
            sink.book(inst, old, -1);
        }
        if let Some(top) = new {
            sink.book(inst, top.clone(), 1);
            self.published = Some(top);
        }
    }
}

/// Funding interval assumed for an instrument the configuration does not name (hours).
pub const DEFAULT_FUNDING_INTERVAL_H: u32 = 8;

/// Notional (quote units) from which a trade is a whale trade, unless configured.
pub const DEFAULT_WHALE_NOTIONAL: f64 = 100_000.0;

/// The current run of trades of one taker order: same aggressor, same exchange timestamp.
#[derive(Clone, Debug)]
struct TakerRun {
    aggressor: Side,
    ts_event: u64,
    /// Distinct prices reached (up to three).
    prices: Vec<Fixed>,
}

/// Consecutive fills at one price on one passive side (iceberg detection).
#[derive(Clone, Copy, Debug)]
struct FillRun {
    price: Fixed,
    /// Σ size filled in the run (raw).
    executed: i64,
    /// Largest size the book showed at the price during the run (raw).
    max_shown: i64,
}

/// One session instance's running sums.
#[derive(Clone, Copy, Debug)]
struct SessionAcc {
    /// UTC day (days since the epoch) the instance began.
    day: i64,
    /// Σ price·size (raw 1e-16).
    notional: i128,
    /// Σ size (raw 1e-8).
    volume: i128,
    high: Fixed,
    low: Fixed,
}

const HOUR_NS: u64 = 3_600_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// The UTC day on which the instance of a session `[start, end)` (hours; wrapping past
/// midnight when start > end) holding `t` began; `None` outside the session.
pub(crate) fn session_day(t: u64, (start, end): (u32, u32)) -> Option<i64> {
    let h = u32::try_from((t / HOUR_NS) % 24).unwrap_or(0);
    let day = i64::try_from(t / DAY_NS).unwrap_or(i64::MAX);
    if start < end {
        (start <= h && h < end).then_some(day)
    } else if h >= start {
        Some(day)
    } else if h < end {
        Some(day - 1)
    } else {
        None
    }
}

/// Ingress state for all instruments.
#[derive(Clone, Debug, Default)]
pub struct Ingress {
    /// UTC hours of the named sessions (`records::SESSIONS`); `None`: the defaults.
    session_hours: Option<[Option<(u32, u32)>; 3]>,
    /// Each (instrument, session)'s latest instance.
    sessions: BTreeMap<(InstrumentId, u8), SessionAcc>,
    /// Whale threshold as price.raw · size.raw (1e-16 quote); `None`: the default.
    whale_raw: Option<i128>,
    /// Each instrument's current taker run (sweep detection).
    runs: BTreeMap<InstrumentId, TakerRun>,
    /// Each (instrument, passive side)'s current fill run (iceberg detection).
    fills: BTreeMap<(InstrumentId, Side), FillRun>,
    /// Funding interval per instrument, hours (absent: [`DEFAULT_FUNDING_INTERVAL_H`]).
    funding_interval_h: BTreeMap<InstrumentId, u32>,
    books: BTreeMap<InstrumentId, InstBook>,
    /// Receive time of each instrument's latest book event.
    book_times: BTreeMap<InstrumentId, u64>,
    /// Books changed since the last [`Ingress::flush`] in a way that may reach the published
    /// top.
    dirty: std::collections::BTreeSet<InstrumentId>,
    last_trade: BTreeMap<InstrumentId, Fixed>,
    latest: BTreeMap<(InstrumentId, LatestKind), Latest>,
}

impl Ingress {
    /// An ingress that knows each instrument's funding interval (hours).
    pub fn with_funding_intervals(funding_interval_h: BTreeMap<InstrumentId, u32>) -> Self {
        Self {
            funding_interval_h,
            ..Self::default()
        }
    }

    /// Sets the UTC hours of the named sessions (`records::SESSIONS`; `None`: no features).
    #[must_use]
    pub fn with_sessions(mut self, hours: [Option<(u32, u32)>; 3]) -> Self {
        self.session_hours = Some(hours);
        self
    }

    /// Adds a trade to the sessions it falls in; returns their updated latest values.
    fn session_trade(
        &mut self,
        inst: InstrumentId,
        t: u64,
        price: Fixed,
        size: Fixed,
    ) -> Vec<Latest> {
        let hours = self
            .session_hours
            .unwrap_or(crate::records::DEFAULT_SESSION_HOURS);
        let mut out = Vec::new();
        for (i, h) in hours.iter().enumerate() {
            let (Some(h), Ok(idx)) = (h, u8::try_from(i)) else {
                continue;
            };
            let Some(day) = session_day(t, *h) else {
                continue;
            };
            let fresh = SessionAcc {
                day,
                notional: 0,
                volume: 0,
                high: price,
                low: price,
            };
            let acc = self.sessions.entry((inst, idx)).or_insert(fresh);
            if day < acc.day {
                continue; // a late trade of an older instance
            }
            if day > acc.day {
                *acc = fresh;
            }
            acc.notional += i128::from(price.raw()) * i128::from(size.raw());
            acc.volume += i128::from(size.raw());
            acc.high = acc.high.max(price);
            acc.low = acc.low.min(price);
            if acc.volume > 0 {
                out.push(Latest::Session {
                    idx,
                    vwap: Value(acc.notional as f64 / acc.volume as f64 / 1e8),
                    high: acc.high,
                    low: acc.low,
                });
            }
        }
        out
    }

    /// Sets the whale threshold (notional in quote units).
    #[must_use]
    pub fn with_whale_notional(mut self, quote: f64) -> Self {
        self.whale_raw = Some((quote * 1e16).round() as i128);
        self
    }

    fn whale_threshold(&self) -> i128 {
        self.whale_raw
            .unwrap_or((DEFAULT_WHALE_NOTIONAL * 1e16) as i128)
    }

    /// Whether this trade completes a sweep: the third distinct price of a run of trades with
    /// one aggressor and one exchange timestamp (0 = unknown: no runs).
    fn sweep(&mut self, inst: InstrumentId, ts_event: u64, aggressor: Side, price: Fixed) -> bool {
        if ts_event == 0 {
            self.runs.remove(&inst);
            return false;
        }
        let run = self.runs.entry(inst).or_insert_with(|| TakerRun {
            aggressor,
            ts_event,
            prices: Vec::new(),
        });
        if run.aggressor != aggressor || run.ts_event != ts_event {
            *run = TakerRun {
                aggressor,
                ts_event,
                prices: Vec::new(),
            };
        }
        if run.prices.len() < 3 && !run.prices.contains(&price) {
            run.prices.push(price);
            return run.prices.len() == 3;
        }
        false
    }

    /// Whether this fill is an iceberg fill: another fill at the price its passive side's run
    /// is at, taking the run's executed size above the largest size shown there.
    fn iceberg(&mut self, inst: InstrumentId, aggressor: Side, price: Fixed, size: Fixed) -> bool {
        let passive = match aggressor {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        };
        let shown = self
            .books
            .get(&inst)
            .and_then(|b| b.book.size_at(passive, price))
            .map_or(0, Fixed::raw);
        let key = (inst, passive);
        if shown <= 0 {
            self.fills.remove(&key);
            return false;
        }
        match self.fills.get_mut(&key) {
            Some(run) if run.price == price => {
                run.executed = run.executed.saturating_add(size.raw());
                run.max_shown = run.max_shown.max(shown);
                run.executed > run.max_shown
            }
            _ => {
                self.fills.insert(
                    key,
                    FillRun {
                        price,
                        executed: size.raw(),
                        max_shown: shown,
                    },
                );
                false
            }
        }
    }

    /// Applies one event, writing the resulting updates to `sink`.
    pub fn apply(&mut self, ev: &Event, sink: &mut impl UpdateSink) {
        let inst = ev.inst;
        match &ev.kind {
            EventKind::Book {
                snapshot, levels, ..
            } => {
                self.book_times.insert(inst, ev.ts_recv);
                let b = self.books.entry(inst).or_default();
                // Can the change reach the published top?
                let touch = *snapshot || levels.iter().any(|l| b.reaches_top(l.side, l.price));
                b.book.apply(*snapshot, levels);
                // Published at the next flush: one diff per step, however many book events it
                // had (the book features are instantaneous, so only the state at the flush is
                // ever observed).
                if touch {
                    self.dirty.insert(inst);
                }
            }
            EventKind::Trade {
                price,
                size,
                aggressor,
                ..
            } => {
                let prev = self.last_trade.insert(inst, *price);
                let log_ret_e9 = prev.map_or(0, |p| log_return_e9(p, *price));
                let notional = i128::from(price.raw()) * i128::from(size.raw());
                let hit = self.books.get(&inst).map_or(0, |b| {
                    if b.book.best_bid().is_some_and(|(p, _)| *price <= p) {
                        -1
                    } else if b.book.best_ask().is_some_and(|(p, _)| *price >= p) {
                        1
                    } else {
                        0
                    }
                });
                let sweep = self.sweep(inst, ev.ts_event, *aggressor, *price);
                let iceberg = self.iceberg(inst, *aggressor, *price, *size);
                sink.trade(
                    inst,
                    TradeRec {
                        price: *price,
                        size: *size,
                        aggressor: *aggressor,
                        log_ret_e9,
                        whale: notional >= self.whale_threshold(),
                        hit,
                        sweep,
                        iceberg,
                    },
                );
                self.set_latest(inst, Latest::LastPrice(*price), sink);
                for l in self.session_trade(inst, ev.ts_recv, *price, *size) {
                    self.set_latest(inst, l, sink);
                }
            }
            EventKind::Funding { rate, .. } => {
                let interval_h = self
                    .funding_interval_h
                    .get(&inst)
                    .copied()
                    .unwrap_or(DEFAULT_FUNDING_INTERVAL_H);
                self.set_latest(
                    inst,
                    Latest::Funding {
                        rate: *rate,
                        interval_h,
                    },
                    sink,
                );
            }
            EventKind::MarkPrice { mark, index } => self.set_latest(
                inst,
                Latest::Mark {
                    mark: *mark,
                    index: *index,
                },
                sink,
            ),
            EventKind::OpenInterest { open_interest } => {
                self.set_latest(inst, Latest::OpenInterest(*open_interest), sink)
            }
            EventKind::Liquidation { side, price, size } => sink.liquidation(
                inst,
                LiqRec {
                    side: *side,
                    price: *price,
                    size: *size,
                },
            ),
            EventKind::Ticker {
                last,
                open,
                high,
                low,
                volume,
                quote_volume,
                ..
            } => self.set_latest(
                inst,
                Latest::Ticker {
                    last: *last,
                    open: *open,
                    high: *high,
                    low: *low,
                    volume: Value(*volume),
                    quote_volume: Value(*quote_volume),
                },
                sink,
            ),
        }
    }

    /// Publishes the book changes applied since the last flush (at the sink's current time).
    /// Call before the engine time moves past the changes' step and before every snapshot.
    pub fn flush(&mut self, sink: &mut impl UpdateSink) {
        for inst in std::mem::take(&mut self.dirty) {
            if let Some(b) = self.books.get_mut(&inst) {
                b.republish(inst, sink);
            }
        }
    }

    fn set_latest(&mut self, inst: InstrumentId, value: Latest, sink: &mut impl UpdateSink) {
        match self.latest.insert((inst, value.kind()), value) {
            Some(old) if old == value => {}
            Some(old) => {
                sink.latest(inst, old, -1);
                sink.latest(inst, value, 1);
            }
            None => sink.latest(inst, value, 1),
        }
    }

    /// Every instrument's best `n` bids and asks (best first), as the features see them.
    pub fn books(&self, n: usize) -> BTreeMap<InstrumentId, (SideLevels, SideLevels)> {
        self.books
            .iter()
            .map(|(inst, b)| (*inst, (b.book.top(Side::Buy, n), b.book.top(Side::Sell, n))))
            .collect()
    }

    /// Receive time (Unix ns) of each instrument's latest book event.
    pub fn book_times(&self) -> &BTreeMap<InstrumentId, u64> {
        &self.book_times
    }

    /// The ingress's own book of an instrument (for diagnostics and tests).
    pub fn book(&self, inst: InstrumentId) -> Option<&L2Book> {
        self.books.get(&inst).map(|b| &b.book)
    }
}
