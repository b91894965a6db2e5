//! Normalized market events, as plugins emit them.
//!
//! Prices and sizes are [`FixedDecimal`] (exact), timestamps are Unix nanoseconds. `instrument`
//! is the index of the instrument in the list the host passed to the codec ([`CodecConfig`]),
//! so no string crosses the boundary per event.
//!
//! [`CodecConfig`]: crate::CodecConfig

use crate::num::FixedDecimal;
use abi_stable::{StableAbi, std_types::RVec};

/// Aggressor / book side.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Bid side / buyer-initiated trade.
    Buy = 0,
    /// Ask side / seller-initiated trade.
    Sell = 1,
}

/// One price level: an absolute size at a price (size 0 removes the level).
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    /// Bid or ask.
    pub side: Side,
    /// Level price.
    pub price: FixedDecimal,
    /// Absolute resting size at that price; zero deletes the level.
    pub size: FixedDecimal,
}

/// A trade print.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Trade price.
    pub price: FixedDecimal,
    /// Trade size in base units.
    pub size: FixedDecimal,
    /// Aggressor side (`Buy` = buyer took the ask).
    pub aggressor: Side,
    /// Venue trade id (or aggregate id), 0 if none.
    pub trade_id: u64,
}

/// A full book image (replaces all levels) or an incremental change.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct BookUpdate {
    /// Levels (absolute sizes).
    pub levels: RVec<BookLevel>,
    /// Venue sequence / last update id covered by this update (0 if none).
    pub sequence: u64,
}

/// Funding rate of a perpetual.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Funding {
    /// Current (predicted) funding rate per interval, as a fraction (0.0001 = 1 bp).
    pub rate: FixedDecimal,
    /// Time of the next funding, Unix ns (0 if unknown).
    pub next_funding_ns: u64,
}

/// Open interest.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterest {
    /// Open interest in base units (contracts converted to base where the venue uses contracts).
    pub open_interest: FixedDecimal,
}

/// A forced liquidation order.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liquidation {
    /// Side of the liquidation order (`Sell` = a long was liquidated).
    pub side: Side,
    /// Price (average fill price where given).
    pub price: FixedDecimal,
    /// Size in base units.
    pub size: FixedDecimal,
}

/// Mark and index price.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkPrice {
    /// Mark price.
    pub mark: FixedDecimal,
    /// Index price (zero mantissa if the venue does not send one).
    pub index: FixedDecimal,
}

/// Rolling 24-hour statistics.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker24h {
    /// Last price.
    pub last: FixedDecimal,
    /// Open price 24 h ago.
    pub open: FixedDecimal,
    /// 24 h high.
    pub high: FixedDecimal,
    /// 24 h low.
    pub low: FixedDecimal,
    /// Base volume.
    pub volume: FixedDecimal,
    /// Quote volume.
    pub quote_volume: FixedDecimal,
    /// Number of trades (0 if unknown).
    pub trade_count: u64,
}

/// The body of a [`MarketEvent`]. Adding a variant is an ABI-breaking (major) change.
#[repr(u8)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub enum EventBody {
    /// A trade print.
    Trade(Trade),
    /// A full book image: replaces every level of the instrument's book.
    BookSnapshot(BookUpdate),
    /// Incremental book change: sets each listed level to its absolute size.
    BookDelta(BookUpdate),
    /// Funding rate.
    Funding(Funding),
    /// Open interest.
    OpenInterest(OpenInterest),
    /// Forced liquidation.
    Liquidation(Liquidation),
    /// Mark / index price.
    MarkPrice(MarkPrice),
    /// 24 h ticker.
    Ticker(Ticker24h),
}

impl EventBody {
    /// Stable snake_case name of the kind (used in logs, DuckDB and the API).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Trade(_) => "trade",
            Self::BookSnapshot(_) => "book_snapshot",
            Self::BookDelta(_) => "book_delta",
            Self::Funding(_) => "funding",
            Self::OpenInterest(_) => "open_interest",
            Self::Liquidation(_) => "liquidation",
            Self::MarkPrice(_) => "mark_price",
            Self::Ticker(_) => "ticker",
        }
    }
}

/// A normalized event with its instrument and both timestamps.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct MarketEvent {
    /// Index into the codec's configured instrument list.
    pub instrument: u32,
    /// Exchange timestamp, Unix ns.
    pub ts_event: u64,
    /// Local receive timestamp of the frame that carried it, Unix ns (given by the host).
    pub ts_recv: u64,
    /// What happened.
    pub body: EventBody,
}
