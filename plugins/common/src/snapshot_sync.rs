//! Book synchronisation from a REST snapshot plus buffered stream diffs, as a small state
//! machine shared by the venues that work this way (Binance, Gate.io futures).
//!
//! Binance USD-M futures rule (docs: "How to manage a local order book correctly"):
//! buffer diffs; fetch a REST snapshot (`lastUpdateId` = L); drop diffs with `u < L`; the first
//! applied diff must have `U <= L <= u`; afterwards every diff's `pu` must equal the previous
//! diff's `u`, otherwise re-initialise from a new snapshot. We also accept a first diff with
//! `pu == L` (the diff starts exactly after the snapshot), which the rule implies.
//!
//! Spot rule (Binance spot, Gate.io futures `order_book_update` against `with_id=true`):
//! first diff `U <= L+1 <= u`, then `U == previous u + 1`.
//!
//! The sequencer never touches levels: it only decides apply / buffer / drop / resync; the caller
//! emits events and requests snapshots. A gap is reported as [`DiffOutcome::Gap`] and the caller
//! decides to resync.

use std::collections::VecDeque;

/// The update-id range a stream diff carries.
pub trait UpdateRange {
    /// First update id in the diff (`U`).
    fn first_id(&self) -> u64;
    /// Last update id in the diff (`u`).
    fn final_id(&self) -> u64;
    /// The previous diff's last id (`pu`), when the venue sends it.
    fn prev_final_id(&self) -> Option<u64>;
}

/// How consecutive diffs chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuity {
    /// `pu` of a diff equals `u` of the previous one (futures).
    PrevFinalId,
    /// `U` of a diff equals previous `u + 1` (spot).
    Consecutive,
}

/// What to do with a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffOutcome<D> {
    /// Apply it now.
    Apply(D),
    /// Buffered until the snapshot arrives.
    Buffered,
    /// Older than the book: dropped.
    Stale,
    /// Continuity broken: the book is invalid until a new snapshot; the diff was buffered.
    Gap {
        /// The id the diff should have continued from.
        expected: u64,
        /// What it carried.
        got: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for a snapshot; diffs are buffered.
    Syncing,
    /// Snapshot applied at `snapshot_id`; `last_u` is the last applied diff's `u`, if any.
    Live {
        snapshot_id: u64,
        last_u: Option<u64>,
    },
}

/// Sequencer of one instrument's book.
#[derive(Clone, Debug)]
pub struct BookSequencer<D> {
    continuity: Continuity,
    state: State,
    buffer: VecDeque<D>,
    max_buffer: usize,
}

/// The snapshot does not connect to the buffered diffs; fetch a newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotTooOld {
    /// The snapshot's id.
    pub snapshot_id: u64,
    /// First id of the oldest usable buffered diff.
    pub first_buffered: u64,
}

impl<D: UpdateRange> BookSequencer<D> {
    /// A sequencer that starts out needing a snapshot.
    pub fn new(continuity: Continuity, max_buffer: usize) -> Self {
        Self {
            continuity,
            state: State::Syncing,
            buffer: VecDeque::new(),
            max_buffer: max_buffer.max(1),
        }
    }

    /// True while a snapshot is needed.
    pub fn is_syncing(&self) -> bool {
        self.state == State::Syncing
    }

    /// Forgets the book (e.g. on disconnect): a new snapshot is needed.
    pub fn reset(&mut self) {
        self.state = State::Syncing;
        self.buffer.clear();
    }

    fn connects_first(&self, d: &D, l: u64) -> bool {
        match self.continuity {
            Continuity::PrevFinalId => {
                (d.first_id() <= l && d.final_id() >= l) || d.prev_final_id() == Some(l)
            }
            Continuity::Consecutive => d.first_id() <= l + 1 && d.final_id() > l,
        }
    }

    fn continues(&self, d: &D, last_u: u64) -> Result<(), (u64, u64)> {
        match self.continuity {
            Continuity::PrevFinalId => match d.prev_final_id() {
                Some(pu) if pu == last_u => Ok(()),
                Some(pu) => Err((last_u, pu)),
                None => Err((last_u, 0)),
            },
            Continuity::Consecutive if d.first_id() == last_u + 1 => Ok(()),
            Continuity::Consecutive => Err((last_u + 1, d.first_id())),
        }
    }

    /// Already contained in a snapshot with id `l`: futures drop `u < l` (the first event may
    /// end exactly at `l`), spot drops `u <= l`.
    fn before_snapshot(&self, d: &D, l: u64) -> bool {
        match self.continuity {
            Continuity::PrevFinalId => d.final_id() < l,
            Continuity::Consecutive => d.final_id() <= l,
        }
    }

    fn push_buffer(&mut self, d: D) {
        if self.buffer.len() >= self.max_buffer {
            self.buffer.pop_front();
        }
        self.buffer.push_back(d);
    }

    /// Classifies an incoming diff.
    pub fn on_diff(&mut self, d: D) -> DiffOutcome<D> {
        match self.state {
            State::Syncing => {
                self.push_buffer(d);
                DiffOutcome::Buffered
            }
            State::Live {
                snapshot_id,
                last_u: None,
            } => {
                if self.before_snapshot(&d, snapshot_id) {
                    DiffOutcome::Stale
                } else if self.connects_first(&d, snapshot_id) {
                    self.state = State::Live {
                        snapshot_id,
                        last_u: Some(d.final_id()),
                    };
                    DiffOutcome::Apply(d)
                } else {
                    let got = d.first_id();
                    self.reset();
                    self.push_buffer(d);
                    DiffOutcome::Gap {
                        expected: snapshot_id,
                        got,
                    }
                }
            }
            State::Live {
                snapshot_id,
                last_u: Some(last_u),
            } => {
                if d.final_id() <= last_u {
                    return DiffOutcome::Stale;
                }
                match self.continues(&d, last_u) {
                    Ok(()) => {
                        self.state = State::Live {
                            snapshot_id,
                            last_u: Some(d.final_id()),
                        };
                        DiffOutcome::Apply(d)
                    }
                    Err((expected, got)) => {
                        self.reset();
                        self.push_buffer(d);
                        DiffOutcome::Gap { expected, got }
                    }
                }
            }
        }
    }

    /// A snapshot with `lastUpdateId = snapshot_id` arrived: returns the buffered diffs to apply
    /// after it, in order.
    ///
    /// # Errors
    /// [`SnapshotTooOld`] when the buffered diffs start after the snapshot with a hole; the
    /// sequencer stays in syncing state (buffer kept) and a newer snapshot is needed.
    pub fn on_snapshot(&mut self, snapshot_id: u64) -> Result<Vec<D>, SnapshotTooOld> {
        while self
            .buffer
            .front()
            .is_some_and(|d| self.before_snapshot(d, snapshot_id))
        {
            self.buffer.pop_front();
        }
        let mut out = Vec::new();
        let mut last_u: Option<u64> = None;
        if let Some(first) = self.buffer.front()
            && !self.connects_first(first, snapshot_id)
        {
            return Err(SnapshotTooOld {
                snapshot_id,
                first_buffered: first.first_id(),
            });
        }
        let mut rest = std::mem::take(&mut self.buffer);
        while let Some(d) = rest.pop_front() {
            if let Some(l) = last_u {
                if d.final_id() <= l {
                    continue;
                }
                if self.continues(&d, l).is_err() {
                    // A hole inside the buffer: keep the tail, fetch a newer snapshot.
                    rest.push_front(d);
                    self.buffer = rest;
                    self.state = State::Syncing;
                    return Err(SnapshotTooOld {
                        snapshot_id,
                        first_buffered: l,
                    });
                }
            }
            last_u = Some(d.final_id());
            out.push(d);
        }
        self.state = State::Live {
            snapshot_id,
            last_u,
        };
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct DepthDiff {
        first_update_id: u64,
        final_update_id: u64,
        prev_final_update_id: Option<u64>,
    }

    impl UpdateRange for DepthDiff {
        fn first_id(&self) -> u64 {
            self.first_update_id
        }
        fn final_id(&self) -> u64 {
            self.final_update_id
        }
        fn prev_final_id(&self) -> Option<u64> {
            self.prev_final_update_id
        }
    }

    fn diff(u0: u64, u1: u64, pu: u64) -> DepthDiff {
        DepthDiff {
            first_update_id: u0,
            final_update_id: u1,
            prev_final_update_id: Some(pu),
        }
    }

    #[test]
    fn spot_drops_a_diff_ending_at_the_snapshot_id() {
        let mut s = BookSequencer::new(Continuity::Consecutive, 100);
        assert_eq!(s.on_snapshot(100), Ok(vec![]));
        // u == lastUpdateId is already in the snapshot (spot rule: drop u <= lastUpdateId).
        let spot = |u0, u1| DepthDiff {
            prev_final_update_id: None,
            ..diff(u0, u1, 0)
        };
        assert_eq!(s.on_diff(spot(100, 100)), DiffOutcome::Stale);
        assert!(matches!(s.on_diff(spot(101, 101)), DiffOutcome::Apply(_)));
        // Futures keep a first event that ends exactly at the snapshot id.
        let mut f = BookSequencer::new(Continuity::PrevFinalId, 100);
        assert_eq!(f.on_snapshot(100), Ok(vec![]));
        assert!(matches!(
            f.on_diff(diff(99, 100, 98)),
            DiffOutcome::Apply(_)
        ));
    }

    #[test]
    fn futures_rule() {
        let mut s = BookSequencer::new(Continuity::PrevFinalId, 100);
        // 1. buffered until snapshot
        assert_eq!(s.on_diff(diff(90, 95, 89)), DiffOutcome::Buffered);
        assert_eq!(s.on_diff(diff(96, 104, 95)), DiffOutcome::Buffered);
        assert_eq!(s.on_diff(diff(105, 110, 104)), DiffOutcome::Buffered);
        // 2. snapshot at 100: drop u<100, first must straddle 100
        let applied = s.on_snapshot(100).unwrap();
        assert_eq!(
            applied
                .iter()
                .map(|d| d.final_update_id)
                .collect::<Vec<_>>(),
            vec![104, 110]
        );
        // 3. continuity by pu
        assert!(matches!(
            s.on_diff(diff(111, 120, 110)),
            DiffOutcome::Apply(_)
        ));
        // 4. duplicate / old
        assert_eq!(s.on_diff(diff(111, 120, 110)), DiffOutcome::Stale);
        // 5. gap
        assert_eq!(
            s.on_diff(diff(130, 140, 125)),
            DiffOutcome::Gap {
                expected: 120,
                got: 125
            }
        );
        assert!(s.is_syncing());
        // 6. resync with a snapshot inside the buffered diff
        let applied = s.on_snapshot(135).unwrap();
        assert_eq!(applied.len(), 1);
        assert!(matches!(
            s.on_diff(diff(141, 150, 140)),
            DiffOutcome::Apply(_)
        ));
    }

    #[test]
    fn snapshot_older_than_stream_is_refused() {
        let mut s = BookSequencer::new(Continuity::PrevFinalId, 100);
        s.on_diff(diff(200, 210, 199));
        assert_eq!(
            s.on_snapshot(150),
            Err(SnapshotTooOld {
                snapshot_id: 150,
                first_buffered: 200
            })
        );
        assert!(s.is_syncing());
        assert_eq!(s.on_snapshot(205).unwrap().len(), 1);
    }

    #[test]
    fn snapshot_before_any_diff_then_exact_continuation() {
        let mut s = BookSequencer::new(Continuity::PrevFinalId, 100);
        assert!(s.on_snapshot(500).unwrap().is_empty());
        assert_eq!(s.on_diff(diff(400, 499, 399)), DiffOutcome::Stale);
        assert!(matches!(
            s.on_diff(diff(501, 501, 500)),
            DiffOutcome::Apply(_)
        ));
    }

    #[test]
    fn spot_rule() {
        let mut s = BookSequencer::new(Continuity::Consecutive, 100);
        s.on_diff(diff(98, 103, 0));
        assert_eq!(s.on_snapshot(100).unwrap().len(), 1);
        assert!(matches!(
            s.on_diff(diff(104, 106, 0)),
            DiffOutcome::Apply(_)
        ));
        assert_eq!(
            s.on_diff(diff(108, 109, 0)),
            DiffOutcome::Gap {
                expected: 107,
                got: 108
            }
        );
    }
}
