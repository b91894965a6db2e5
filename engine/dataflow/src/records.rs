//! Records that flow through the graph. Keyed records are exact (fixed-point, `Ord + Hash`);
//! feature values leave the exact domain as [`Value`].

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Multiply, Semigroup};
use orderflow_model::{Fixed, Side};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// Best levels published into the dataflow per side (features use at most 20).
pub const TOP_LEVELS: usize = 20;

/// Trade windows: (length in ns, name suffix). Index `WINDOWS.len()` means "since start".
pub const WINDOWS: [(u64, &str); 5] = [
    (10_000_000_000, "10s"),
    (60_000_000_000, "1m"),
    (300_000_000_000, "5m"),
    (900_000_000_000, "15m"),
    (3_600_000_000_000, "1h"),
];
/// Window index of the unwindowed (since start) aggregate.
pub const TOTAL_WINDOW: u8 = 5;

/// Liquidation windows: (length in ns, name suffix).
pub const LIQ_WINDOWS: [(u64, &str); 3] = [
    (60_000_000_000, "1m"),
    (300_000_000_000, "5m"),
    (900_000_000_000, "15m"),
];

/// Windows of the open-interest changes: (length in ns, name suffix).
pub const OI_WINDOWS: [(u64, &str); 3] = [
    (300_000_000_000, "5m"),
    (900_000_000_000, "15m"),
    (3_600_000_000_000, "1h"),
];

/// A feature value: an `f64` with a total order (`f64::total_cmp`) and bitwise equality, so it
/// can be differential data.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Value(pub f64);

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Value {}
impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

/// A trade as the window aggregation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TradeRec {
    /// Price.
    pub price: Fixed,
    /// Size.
    pub size: Fixed,
    /// Aggressor.
    pub aggressor: Side,
    /// ln(price / previous trade's price) in units of 1e-9 (0 for the first trade).
    pub log_ret_e9: i64,
    /// Notional at or above the whale threshold.
    pub whale: bool,
    /// Quote rule against the book at arrival: −1 at or below the best bid, +1 at or above the
    /// best ask, 0 inside (or no book).
    pub hit: i8,
    /// This trade completes a sweep (its taker order reached a third distinct price).
    pub sweep: bool,
    /// This trade is an iceberg fill (see `iceberg_probability`).
    pub iceberg: bool,
}

/// Log return between consecutive trade prices in units of 1e-9, rounded.
pub fn log_return_e9(prev: Fixed, price: Fixed) -> i64 {
    if prev.raw() <= 0 || price.raw() <= 0 {
        return 0;
    }
    ((price.raw() as f64 / prev.raw() as f64).ln() * 1e9).round() as i64
}

/// Additive trade aggregate: the difference type of the window collections. All fields are exact
/// integers, so sums and retractions never drift.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct TradeAgg {
    /// Trades.
    pub count: i64,
    /// Σ size (raw 1e-8).
    pub volume: i64,
    /// Σ size of buyer-initiated trades (raw 1e-8).
    pub buy_volume: i64,
    /// Σ price·size (raw 1e-16).
    pub notional: i128,
    /// Σ log return (1e-9).
    pub log_ret: i64,
    /// Σ log return² (1e-18).
    pub log_ret_sq: i128,
    /// Whale trades.
    pub whale_count: i64,
    /// Σ size of whale trades (raw 1e-8).
    pub whale_volume: i64,
    /// Σ size of buyer-initiated whale trades (raw 1e-8).
    pub whale_buy_volume: i64,
    /// Σ size² (raw 1e-16).
    pub size_sq: i128,
    /// Σ price·size of buyer-initiated trades (raw 1e-16).
    pub buy_notional: i128,
    /// Σ size of trades at or below the best bid (raw 1e-8).
    pub bid_hit_volume: i64,
    /// Σ size of trades at or above the best ask (raw 1e-8).
    pub ask_hit_volume: i64,
    /// Sweeps completed.
    pub sweeps: i64,
    /// Iceberg fills.
    pub icebergs: i64,
}

impl TradeAgg {
    /// The aggregate of one trade.
    pub fn of(t: &TradeRec) -> Self {
        let size = t.size.raw();
        let buy = t.aggressor == Side::Buy;
        let notional = i128::from(t.price.raw()) * i128::from(size);
        Self {
            count: 1,
            volume: size,
            buy_volume: if buy { size } else { 0 },
            notional,
            log_ret: t.log_ret_e9,
            log_ret_sq: i128::from(t.log_ret_e9) * i128::from(t.log_ret_e9),
            whale_count: i64::from(t.whale),
            whale_volume: if t.whale { size } else { 0 },
            whale_buy_volume: if t.whale && buy { size } else { 0 },
            size_sq: i128::from(size) * i128::from(size),
            buy_notional: if buy { notional } else { 0 },
            bid_hit_volume: if t.hit < 0 { size } else { 0 },
            ask_hit_volume: if t.hit > 0 { size } else { 0 },
            sweeps: i64::from(t.sweep),
            icebergs: i64::from(t.iceberg),
        }
    }
}

impl IsZero for TradeAgg {
    fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}
impl Semigroup for TradeAgg {
    fn plus_equals(&mut self, rhs: &Self) {
        self.count += rhs.count;
        self.volume += rhs.volume;
        self.buy_volume += rhs.buy_volume;
        self.notional += rhs.notional;
        self.log_ret += rhs.log_ret;
        self.log_ret_sq += rhs.log_ret_sq;
        self.whale_count += rhs.whale_count;
        self.whale_volume += rhs.whale_volume;
        self.whale_buy_volume += rhs.whale_buy_volume;
        self.size_sq += rhs.size_sq;
        self.buy_notional += rhs.buy_notional;
        self.bid_hit_volume += rhs.bid_hit_volume;
        self.ask_hit_volume += rhs.ask_hit_volume;
        self.sweeps += rhs.sweeps;
        self.icebergs += rhs.icebergs;
    }
}
impl Monoid for TradeAgg {
    fn zero() -> Self {
        Self::default()
    }
}
impl Abelian for TradeAgg {
    fn negate(&mut self) {
        self.count = -self.count;
        self.volume = -self.volume;
        self.buy_volume = -self.buy_volume;
        self.notional = -self.notional;
        self.log_ret = -self.log_ret;
        self.log_ret_sq = -self.log_ret_sq;
        self.whale_count = -self.whale_count;
        self.whale_volume = -self.whale_volume;
        self.whale_buy_volume = -self.whale_buy_volume;
        self.size_sq = -self.size_sq;
        self.buy_notional = -self.buy_notional;
        self.bid_hit_volume = -self.bid_hit_volume;
        self.ask_hit_volume = -self.ask_hit_volume;
        self.sweeps = -self.sweeps;
        self.icebergs = -self.icebergs;
    }
}
impl Multiply<isize> for TradeAgg {
    type Output = Self;
    fn multiply(self, rhs: &isize) -> Self {
        let k = *rhs as i64;
        Self {
            count: self.count * k,
            volume: self.volume * k,
            buy_volume: self.buy_volume * k,
            notional: self.notional * i128::from(k),
            log_ret: self.log_ret * k,
            log_ret_sq: self.log_ret_sq * i128::from(k),
            whale_count: self.whale_count * k,
            whale_volume: self.whale_volume * k,
            whale_buy_volume: self.whale_buy_volume * k,
            size_sq: self.size_sq * i128::from(k),
            buy_notional: self.buy_notional * i128::from(k),
            bid_hit_volume: self.bid_hit_volume * k,
            ask_hit_volume: self.ask_hit_volume * k,
            sweeps: self.sweeps * k,
            icebergs: self.icebergs * k,
        }
    }
}

/// A liquidation as the window aggregation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LiqRec {
    /// Side of the liquidation order (`Sell` = a long position was closed).
    pub side: Side,
    /// Price.
    pub price: Fixed,
    /// Size (base).
    pub size: Fixed,
}

/// Additive liquidation aggregate (exact integers), the difference type of the liquidation
/// windows.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LiqAgg {
    /// Longs liquidated (sell orders).
    pub long_count: i64,
    /// Shorts liquidated (buy orders).
    pub short_count: i64,
    /// Σ price·size of long liquidations (raw 1e-16).
    pub long_value: i128,
    /// Σ price·size of short liquidations (raw 1e-16).
    pub short_value: i128,
}

impl LiqAgg {
    /// The aggregate of one liquidation.
    pub fn of(l: &LiqRec) -> Self {
        let v = i128::from(l.price.raw()) * i128::from(l.size.raw());
        match l.side {
            Side::Sell => Self {
                long_count: 1,
                long_value: v,
                ..Self::default()
            },
            Side::Buy => Self {
                short_count: 1,
                short_value: v,
                ..Self::default()
            },
        }
    }
}

impl IsZero for LiqAgg {
    fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}
impl Semigroup for LiqAgg {
    fn plus_equals(&mut self, rhs: &Self) {
        self.long_count += rhs.long_count;
        self.short_count += rhs.short_count;
        self.long_value += rhs.long_value;
        self.short_value += rhs.short_value;
    }
}
impl Monoid for LiqAgg {
    fn zero() -> Self {
        Self::default()
    }
}
impl Abelian for LiqAgg {
    fn negate(&mut self) {
        self.long_count = -self.long_count;
        self.short_count = -self.short_count;
        self.long_value = -self.long_value;
        self.short_value = -self.short_value;
    }
}
impl Multiply<isize> for LiqAgg {
    type Output = Self;
    fn multiply(self, rhs: &isize) -> Self {
        let k = *rhs as i64;
        Self {
            long_count: self.long_count * k,
            short_count: self.short_count * k,
            long_value: self.long_value * i128::from(k),
            short_value: self.short_value * i128::from(k),
        }
    }
}

/// Kinds of "latest value" state; one current value per (instrument, kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LatestKind {
    /// Last trade price.
    LastPrice,
    /// Mark / index.
    Mark,
    /// Funding rate.
    Funding,
    /// Open interest.
    OpenInterest,
    /// 24 h ticker.
    Ticker,
    /// Trading session (index into [`SESSIONS`]).
    Session(u8),
}

/// The named trading sessions with scalar features (`session_vwap_<name>`, …).
pub const SESSIONS: [&str; 3] = ["asia", "london", "new_york"];

/// Default UTC hours `[start, end)` of [`SESSIONS`].
pub const DEFAULT_SESSION_HOURS: [Option<(u32, u32)>; 3] =
    [Some((0, 9)), Some((7, 16)), Some((13, 22))];

/// A latest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Latest {
    /// Last trade price.
    LastPrice(Fixed),
    /// Mark and index (index zero = not sent).
    Mark {
        /// Mark.
        mark: Fixed,
        /// Index.
        index: Fixed,
    },
    /// Funding rate per interval, and the venue's funding interval in hours.
    Funding {
        /// Rate per interval.
        rate: Fixed,
        /// Interval, hours.
        interval_h: u32,
    },
    /// Open interest.
    OpenInterest(Fixed),
    /// 24 h ticker (volumes are statistics).
    Ticker {
        /// Last price.
        last: Fixed,
        /// Open.
        open: Fixed,
        /// High.
        high: Fixed,
        /// Low.
        low: Fixed,
        /// Base volume.
        volume: Value,
        /// Quote volume.
        quote_volume: Value,
    },
    /// A session instance's VWAP, high and low.
    Session {
        /// Index into [`SESSIONS`].
        idx: u8,
        /// VWAP.
        vwap: Value,
        /// Highest trade price.
        high: Fixed,
        /// Lowest trade price.
        low: Fixed,
    },
}

impl Latest {
    /// Its kind.
    pub fn kind(&self) -> LatestKind {
        match self {
            Self::LastPrice(_) => LatestKind::LastPrice,
            Self::Mark { .. } => LatestKind::Mark,
            Self::Funding { .. } => LatestKind::Funding,
            Self::OpenInterest(_) => LatestKind::OpenInterest,
            Self::Ticker { .. } => LatestKind::Ticker,
            Self::Session { idx, .. } => LatestKind::Session(*idx),
        }
    }
}

/// Best levels of one book side, best first: (price, size).
pub type SideLevels = Vec<(Fixed, Fixed)>;

/// The best levels of both sides, best first (exact), as the book features see them.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BookTop {
    /// Bids (price, size), highest first.
    pub bids: Vec<(Fixed, Fixed)>,
    /// Asks (price, size), lowest first.
    pub asks: Vec<(Fixed, Fixed)>,
}
