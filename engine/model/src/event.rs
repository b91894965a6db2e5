//! Normalized market events as the engine sees them (converted from the plugin ABI).

use crate::{Fixed, InstrumentId};
use serde::{Deserialize, Serialize};

/// Aggressor or book side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Bids / buyer-initiated.
    Buy,
    /// Asks / seller-initiated.
    Sell,
}

impl Side {
    /// `"buy"` / `"sell"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
        }
    }
}

/// A book level with an absolute size (zero removes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Level {
    /// Side.
    pub side: Side,
    /// Price.
    pub price: Fixed,
    /// Absolute size.
    pub size: Fixed,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Trade print.
    Trade {
        /// Price.
        price: Fixed,
        /// Size (base units).
        size: Fixed,
        /// Aggressor side.
        aggressor: Side,
        /// Venue trade id.
        trade_id: u64,
    },
    /// Book image or change. `snapshot = true` replaces the whole book.
    Book {
        /// Replace all levels?
        snapshot: bool,
        /// Levels (absolute sizes).
        levels: Vec<Level>,
        /// Venue sequence.
        sequence: u64,
    },
    /// Funding rate.
    Funding {
        /// Rate per funding interval (fraction).
        rate: Fixed,
        /// Next funding time, Unix ns.
        next_funding_ns: u64,
    },
    /// Open interest (base units).
    OpenInterest {
        /// Open interest.
        open_interest: Fixed,
    },
    /// Forced liquidation.
    Liquidation {
        /// Order side (`Sell` = long liquidated).
        side: Side,
        /// Price.
        price: Fixed,
        /// Size.
        size: Fixed,
    },
    /// Mark / index price.
    MarkPrice {
        /// Mark.
        mark: Fixed,
        /// Index (zero if not sent).
        index: Fixed,
    },
    /// 24 h ticker. Volumes are statistics (f64): quote volumes exceed the fixed-point range.
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
        volume: f64,
        /// Quote volume.
        quote_volume: f64,
        /// Trade count.
        trade_count: u64,
    },
}

impl EventKind {
    /// Stable snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Trade { .. } => "trade",
            Self::Book { snapshot: true, .. } => "book_snapshot",
            Self::Book {
                snapshot: false, ..
            } => "book_delta",
            Self::Funding { .. } => "funding",
            Self::OpenInterest { .. } => "open_interest",
            Self::Liquidation { .. } => "liquidation",
            Self::MarkPrice { .. } => "mark_price",
            Self::Ticker { .. } => "ticker",
        }
    }
}

/// A normalized event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Instrument.
    pub inst: InstrumentId,
    /// Exchange time, Unix ns.
    pub ts_event: u64,
    /// Local receive time, Unix ns.
    pub ts_recv: u64,
    /// Body.
    #[serde(flatten)]
    pub kind: EventKind,
}
