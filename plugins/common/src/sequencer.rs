//! Book continuity for venues whose every update carries the next number of one consecutive
//! sequence (Bybit's `u`, Kraken Futures' `seq`): a snapshot (also Bybit's `u = 1` snapshot after
//! a service restart) sets it; each delta must carry the previous number + 1. A repeated or older
//! number is stale; a jump is a gap — the caller resubscribes, and deltas are refused until the
//! next snapshot. [`ConsecutiveSequencer::linked`] checks the other common form, where each
//! delta names its predecessor (Deribit's `prev_change_id`). Venues with other rules (Binance's `U`/`u`/`pu`, OKX's `prevSeqId`) keep their
//! own sequencers.

use std::fmt;

/// Why a delta cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceError {
    /// No snapshot since start, a gap or a reconnect.
    NotSynced,
    /// Not above the last applied number (a repeat or a reordered delta): drop it.
    Stale {
        /// The delta's number.
        u: u64,
        /// The last applied number.
        last: u64,
    },
    /// The number skipped ahead: updates were lost; resubscribe for a snapshot.
    Gap {
        /// The number expected.
        expected: u64,
        /// The number received.
        got: u64,
    },
}

impl fmt::Display for SequenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSynced => write!(f, "not synced"),
            Self::Stale { u, last } => write!(f, "{u} ≤ {last}"),
            Self::Gap { expected, got } => write!(f, "expected {expected}, got {got}"),
        }
    }
}

/// The continuity state of one book.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsecutiveSequencer {
    last: Option<u64>,
}

impl ConsecutiveSequencer {
    /// A snapshot with number `u` (re)starts the sequence.
    pub fn snapshot(&mut self, u: u64) {
        self.last = Some(u);
    }

    /// A delta with number `u`: accepted (and remembered) or refused. A gap also unsyncs.
    ///
    /// # Errors
    /// [`SequenceError`].
    pub fn delta(&mut self, u: u64) -> Result<(), SequenceError> {
        match self.last {
            None => Err(SequenceError::NotSynced),
            Some(last) if u <= last => Err(SequenceError::Stale { u, last }),
            Some(last) if u != last + 1 => {
                self.last = None;
                Err(SequenceError::Gap {
                    expected: last + 1,
                    got: u,
                })
            }
            Some(_) => {
                self.last = Some(u);
                Ok(())
            }
        }
    }

    /// A delta that names its predecessor (Deribit's `prev_change_id` → `change_id`): accepted
    /// when `prev` is the last applied number; numbers need not be consecutive.
    ///
    /// # Errors
    /// [`SequenceError`]; a broken link also unsyncs.
    pub fn linked(&mut self, prev: u64, u: u64) -> Result<(), SequenceError> {
        match self.last {
            None => Err(SequenceError::NotSynced),
            Some(last) if u <= last => Err(SequenceError::Stale { u, last }),
            Some(last) if prev != last => {
                self.last = None;
                Err(SequenceError::Gap {
                    expected: last,
                    got: prev,
                })
            }
            Some(_) => {
                self.last = Some(u);
                Ok(())
            }
        }
    }

    /// Forgets the sequence (disconnect).
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// The last applied number.
    pub fn last(&self) -> Option<u64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_deltas_name_their_predecessor() {
        let mut s = ConsecutiveSequencer::default();
        assert_eq!(s.linked(1, 5), Err(SequenceError::NotSynced));
        s.snapshot(10);
        assert_eq!(s.linked(10, 17), Ok(()));
        assert_eq!(
            s.linked(10, 17),
            Err(SequenceError::Stale { u: 17, last: 17 })
        );
        assert_eq!(
            s.linked(20, 25),
            Err(SequenceError::Gap {
                expected: 17,
                got: 20
            })
        );
        assert_eq!(s.last(), None, "a broken link unsyncs");
    }

    #[test]
    fn consecutive_stale_gap_and_restart() {
        let mut s = ConsecutiveSequencer::default();
        // 1. Nothing before a snapshot.
        assert_eq!(s.delta(5), Err(SequenceError::NotSynced));
        // 2. Consecutive deltas apply.
        s.snapshot(10);
        assert_eq!(s.delta(11), Ok(()));
        // 3. A repeat or an older id is stale and changes nothing.
        assert_eq!(s.delta(11), Err(SequenceError::Stale { u: 11, last: 11 }));
        assert_eq!(s.delta(12), Ok(()));
        // 4. A jump is a gap and unsyncs until the next snapshot.
        assert_eq!(
            s.delta(14),
            Err(SequenceError::Gap {
                expected: 13,
                got: 14
            })
        );
        assert_eq!(s.delta(15), Err(SequenceError::NotSynced));
        // 5. The u = 1 snapshot after a service restart resets the sequence.
        s.snapshot(1);
        assert_eq!(s.delta(2), Ok(()));
        assert_eq!(s.last(), Some(2));
    }
}
