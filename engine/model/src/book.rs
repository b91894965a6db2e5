//! A price-ordered L2 book with absolute level sizes.

use crate::{Fixed, Level, Side};
use std::collections::BTreeMap;

/// An L2 order book: price → size per side. Applying a level with size zero removes it.
///
/// ```
/// use orderflow_model::{Fixed, L2Book, Level, Side};
/// let mut b = L2Book::default();
/// let lvl = |side, p: i64, s: i64| Level { side, price: Fixed::from_raw(p), size: Fixed::from_raw(s) };
/// b.apply(true, &[lvl(Side::Buy, 100, 5), lvl(Side::Sell, 101, 7)]);
/// b.apply(false, &[lvl(Side::Buy, 100, 0), lvl(Side::Buy, 99, 2)]);
/// assert_eq!(b.best_bid(), Some((Fixed::from_raw(99), Fixed::from_raw(2))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L2Book {
    bids: BTreeMap<Fixed, Fixed>,
    asks: BTreeMap<Fixed, Fixed>,
}

impl L2Book {
    /// Applies a snapshot (`replace = true`: clears the book first) or a delta.
    pub fn apply(&mut self, replace: bool, levels: &[Level]) {
        if replace {
            self.bids.clear();
            self.asks.clear();
        }
        for l in levels {
            let side = match l.side {
                Side::Buy => &mut self.bids,
                Side::Sell => &mut self.asks,
            };
            if l.size.raw() <= 0 {
                side.remove(&l.price);
            } else {
                side.insert(l.price, l.size);
            }
        }
    }

    /// Best `n` levels of a side, best first.
    pub fn top(&self, side: Side, n: usize) -> Vec<(Fixed, Fixed)> {
        match side {
            Side::Buy => self
                .bids
                .iter()
                .rev()
                .take(n)
                .map(|(p, s)| (*p, *s))
                .collect(),
            Side::Sell => self.asks.iter().take(n).map(|(p, s)| (*p, *s)).collect(),
        }
    }

    /// The `n`-th best price of a side (1-based), if the side has that many levels.
    pub fn nth_price(&self, side: Side, n: usize) -> Option<Fixed> {
        match side {
            Side::Buy => self.bids.keys().rev().nth(n.checked_sub(1)?).copied(),
            Side::Sell => self.asks.keys().nth(n.checked_sub(1)?).copied(),
        }
    }

    /// Size shown at `price` on `side`, if the level exists.
    pub fn size_at(&self, side: Side, price: Fixed) -> Option<Fixed> {
        match side {
            Side::Buy => self.bids.get(&price).copied(),
            Side::Sell => self.asks.get(&price).copied(),
        }
    }

    /// Highest bid.
    pub fn best_bid(&self) -> Option<(Fixed, Fixed)> {
        self.bids.iter().next_back().map(|(p, s)| (*p, *s))
    }

    /// Lowest ask.
    pub fn best_ask(&self) -> Option<(Fixed, Fixed)> {
        self.asks.iter().next().map(|(p, s)| (*p, *s))
    }

    /// Number of levels per side `(bids, asks)`.
    pub fn len(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}
