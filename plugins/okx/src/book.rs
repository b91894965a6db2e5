//! The codec's copy of one OKX book: levels keyed exactly, with the venue's own strings kept for
//! the checksum, and the `seqId`/`prevSeqId` continuity rule. Gap detection, checksum and
//! resync are separate steps so each is testable; the codec decides what to do on a failure.

use crate::checksum::okx_checksum;
use orderflow_tool_sdk::{FixedDecimal, MAX_SCALE};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Exact ordering key of a price: the mantissa at scale 18.
fn key(p: FixedDecimal) -> i128 {
    i128::from(p.mantissa) * 10_i128.pow(u32::from(MAX_SCALE.saturating_sub(p.scale)))
}

/// One level: the parsed values and the strings as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    /// Price.
    pub price: FixedDecimal,
    /// Size (contracts).
    pub size: FixedDecimal,
    /// Price as sent.
    pub price_str: String,
    /// Size as sent.
    pub size_str: String,
}

/// Why an update was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookError {
    /// No snapshot yet (or the book was reset).
    NotSynced,
    /// `prevSeqId` does not follow the last applied `seqId`.
    Gap {
        /// Last applied.
        expected: i64,
        /// What the update said.
        prev_seq_id: i64,
    },
    /// The checksum after applying the update differs from the venue's.
    Checksum {
        /// Ours.
        computed: i32,
        /// The venue's.
        sent: i32,
    },
}

/// A book side update as received: `(price, size)` strings, size `"0"` removes.
pub type WireLevel<'a> = (&'a str, &'a str);

/// The local book of one instrument.
#[derive(Clone, Debug, Default)]
pub struct LocalBook {
    bids: BTreeMap<Reverse<i128>, Level>,
    asks: BTreeMap<i128, Level>,
    seq: Option<i64>,
}

impl LocalBook {
    /// True once a snapshot was applied (and no failure reset it).
    pub fn is_synced(&self) -> bool {
        self.seq.is_some()
    }

    /// Forgets everything (waiting for the next snapshot).
    pub fn reset(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.seq = None;
    }

    /// Last applied `seqId`.
    pub fn seq(&self) -> Option<i64> {
        self.seq
    }

    fn put(&mut self, bid: bool, l: Level) {
        let k = key(l.price);
        let remove = l.size.mantissa == 0;
        if bid {
            if remove {
                self.bids.remove(&Reverse(k));
            } else {
                self.bids.insert(Reverse(k), l);
            }
        } else if remove {
            self.asks.remove(&k);
        } else {
            self.asks.insert(k, l);
        }
    }

    /// Replaces the book with a snapshot.
    pub fn apply_snapshot(&mut self, bids: Vec<Level>, asks: Vec<Level>, seq_id: i64) {
        self.reset();
        for l in bids {
            self.put(true, l);
        }
        for l in asks {
            self.put(false, l);
        }
        self.seq = Some(seq_id);
    }

    /// Checks continuity for an update (`prevSeqId` must equal the last `seqId`).
    ///
    /// # Errors
    /// [`BookError::NotSynced`] or [`BookError::Gap`].
    pub fn check_sequence(&self, prev_seq_id: i64) -> Result<(), BookError> {
        match self.seq {
            None => Err(BookError::NotSynced),
            Some(s) if s == prev_seq_id => Ok(()),
            Some(s) => Err(BookError::Gap {
                expected: s,
                prev_seq_id,
            }),
        }
    }

    /// Applies an update's levels and its `seqId` (after [`Self::check_sequence`]).
    pub fn apply_update(&mut self, bids: Vec<Level>, asks: Vec<Level>, seq_id: i64) {
        for l in bids {
            self.put(true, l);
        }
        for l in asks {
            self.put(false, l);
        }
        self.seq = Some(seq_id);
    }

    /// The checksum of the current top 25 levels.
    pub fn checksum(&self) -> i32 {
        okx_checksum(
            self.bids
                .values()
                .map(|l| (l.price_str.as_str(), l.size_str.as_str())),
            self.asks
                .values()
                .map(|l| (l.price_str.as_str(), l.size_str.as_str())),
        )
    }

    /// Verifies the venue's checksum.
    ///
    /// # Errors
    /// [`BookError::Checksum`].
    pub fn verify(&self, sent: i32) -> Result<(), BookError> {
        let computed = self.checksum();
        if computed == sent {
            Ok(())
        } else {
            Err(BookError::Checksum { computed, sent })
        }
    }

    /// Best-first levels of each side.
    pub fn top(&self, n: usize) -> (Vec<&Level>, Vec<&Level>) {
        (
            self.bids.values().take(n).collect(),
            self.asks.values().take(n).collect(),
        )
    }

    /// Level counts (bids, asks).
    pub fn len(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: &str, s: &str) -> Level {
        Level {
            price: FixedDecimal::parse(p).unwrap(),
            size: FixedDecimal::parse(s).unwrap(),
            price_str: p.into(),
            size_str: s.into(),
        }
    }

    #[test]
    fn snapshot_update_sequence_and_checksum() {
        let mut b = LocalBook::default();
        assert_eq!(b.check_sequence(1), Err(BookError::NotSynced));
        b.apply_snapshot(
            vec![lv("3366.1", "7"), lv("3366", "6")],
            vec![lv("3368", "8"), lv("3366.8", "9")],
            10,
        );
        // Sorted best-first whatever the input order.
        assert_eq!(b.verify(-1_881_014_294), Ok(()));
        assert_eq!(
            b.check_sequence(9),
            Err(BookError::Gap {
                expected: 10,
                prev_seq_id: 9
            })
        );
        assert_eq!(b.check_sequence(10), Ok(()));
        // Remove a bid, add an ask: "3366.1:7:3366.8:9:3368:8:3372:8".
        b.apply_update(vec![lv("3366", "0")], vec![lv("3372", "8")], 11);
        assert_eq!(b.seq(), Some(11));
        assert_eq!(b.verify(831_078_360), Ok(()));
        assert!(matches!(b.verify(1), Err(BookError::Checksum { .. })));
        // Equal prices with different spellings are one level.
        b.apply_update(vec![lv("3366.10", "5")], vec![], 12);
        assert_eq!(b.len(), (1, 3));
    }
}
