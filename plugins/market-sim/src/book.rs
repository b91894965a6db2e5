//! An integer L2 book: price in ticks → size in lots.

use std::collections::BTreeMap;

/// One side of a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BookSide {
    /// Bids.
    Bid,
    /// Asks.
    Ask,
}

/// An L2 book in ticks and lots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book {
    /// Bids: ticks → lots.
    pub bids: BTreeMap<i64, u64>,
    /// Asks: ticks → lots.
    pub asks: BTreeMap<i64, u64>,
}

impl Book {
    /// Highest bid, if any.
    pub fn best_bid(&self) -> Option<(i64, u64)> {
        self.bids.iter().next_back().map(|(p, q)| (*p, *q))
    }
    /// Lowest ask, if any.
    pub fn best_ask(&self) -> Option<(i64, u64)> {
        self.asks.iter().next().map(|(p, q)| (*p, *q))
    }
    /// The map of one side.
    pub fn side_mut(&mut self, side: BookSide) -> &mut BTreeMap<i64, u64> {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }
    /// Best `n` levels of a side, best first.
    pub fn top(&self, side: BookSide, n: usize) -> Vec<(i64, u64)> {
        match side {
            BookSide::Bid => self
                .bids
                .iter()
                .rev()
                .take(n)
                .map(|(p, q)| (*p, *q))
                .collect(),
            BookSide::Ask => self.asks.iter().take(n).map(|(p, q)| (*p, *q)).collect(),
        }
    }
}
