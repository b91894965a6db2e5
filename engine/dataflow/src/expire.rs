//! Sliding windows and delays, each retraction (or delayed copy) held back until it is due.
//!
//! A windowed record counted at `t` must be retracted at `t + len`. Differential's `delay`
//! would rewrite the time and pass the retraction downstream at once, where it waits in the
//! next arrangement's batcher — which re-scans everything it holds on every round. With a
//! 5-minute window at thousands of trades per second that is millions of records per round
//! (profiling showed the batcher's `extract`/`merge` taking 40% of the worker). These operators
//! keep the pending retractions in a time-ordered map instead, hold one capability at the
//! earliest due time, and release each retraction only once the input frontier reaches it.
//!
//! [`per_window`] does it for several windows in one operator: every operator of the
//! graph costs progress tracking at every engine step, whether data passes or not, and that
//! fixed cost was most of a step (320 µs at 2 k events/s with one operator per window).

use crate::Time;
use differential_dataflow::difference::{Abelian, Semigroup};
use differential_dataflow::{Data, VecCollection};
use std::collections::BTreeMap;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;

/// One window of [`per_window`]: its index (passed to the key function), its length
/// and its bucket. An update at `t` is due at the end of its bucket (the next multiple of
/// `bucket` at or after `t`) plus `len`, and the pending updates of one due time are summed
/// per record. State is then one entry per (record, bucket) however many updates arrive: a
/// window of `len` holds at most `len / bucket` entries per record. At every multiple `T` of
/// `bucket` (with `len` a multiple of it) the window holds exactly the updates with
/// `T − len < t ≤ T`; between multiples an update leaves up to one bucket late. Bucket 1: each
/// update is due at its own `t + len`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub index: u8,
    pub len: Time,
    pub bucket: Time,
}

impl Window {
    /// One window per row of a `(length, name)` table, indexed by position, with the bucket
    /// `bucket(length)`.
    pub(crate) fn table(rows: &[(Time, &str)], bucket: impl Fn(Time) -> Time) -> Vec<Self> {
        rows.iter()
            .enumerate()
            .map(|(w, (len, _))| Self {
                index: u8::try_from(w).unwrap_or(u8::MAX),
                len: *len,
                bucket: bucket(*len),
            })
            .collect()
    }

    fn due(&self, t: Time, least: Time) -> Time {
        let bucket = self.bucket.max(1);
        t.div_ceil(bucket)
            .saturating_mul(bucket)
            .saturating_add(self.len)
            .max(least)
    }
}

/// What [`per_window`] emits for every update `(d, t, r)` of its input.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pending {
    /// Sliding windows: `(key(d, total), t, r)` when `total` is given (the unwindowed
    /// aggregate), and per window `w` `(key(d, w), t, r)` at once and `(key(d, w), due, -r)`
    /// when due — the same collection as `concat`enating, per window, `map(key(·, w))` with its
    /// retraction.
    Windows {
        /// Key index of the unwindowed aggregate, if wanted.
        total: Option<u8>,
    },
    /// The input delayed: per window `(key(d, w), due, r)` once due, nothing at once (the value
    /// in force `len` ago, to compare with the current one).
    Delays,
}

/// Several windows (or delays, see [`Pending`]) in one operator.
pub(crate) fn per_window<'s, D, K, R>(
    input: VecCollection<'s, Time, D, R>,
    mode: Pending,
    windows: Vec<Window>,
    key: impl Fn(&D, u8) -> K + 'static,
) -> VecCollection<'s, Time, K, R>
where
    D: Data,
    K: Data,
    R: Abelian + Semigroup + 'static,
{
    let (name, total, now) = match mode {
        Pending::Windows { total } => ("Windows", total, true),
        Pending::Delays => ("Delays", None, false),
    };
    let stream = input
        .inner
        .unary_frontier(Pipeline, name, move |_cap, _info| {
            let mut pending: BTreeMap<Time, BTreeMap<K, R>> = BTreeMap::new();
            let mut held: Option<Capability<Time>> = None;
            move |(input, frontier), output| {
                input.for_each(|cap, data| {
                    let Some(&least) = cap.least() else { return };
                    let mut passing = Vec::new();
                    for (d, t, r) in data.drain(..) {
                        for w in &windows {
                            let due = w.due(t, least);
                            if held.as_ref().is_none_or(|h| due < *h.time()) {
                                held = Some(cap.delayed(&due, 0));
                            }
                            let k = key(&d, w.index);
                            if now {
                                passing.push((k.clone(), t, r.clone()));
                            }
                            let at_due = pending.entry(due).or_default();
                            match at_due.get_mut(&k) {
                                Some(sum) => sum.plus_equals(&r),
                                None => {
                                    at_due.insert(k, r.clone());
                                }
                            }
                        }
                        if let Some(total) = total {
                            passing.push((key(&d, total), t, r));
                        }
                    }
                    if !passing.is_empty() {
                        output.session(&cap).give_iterator(passing.into_iter());
                    }
                });
                let mut released = Vec::new();
                while let Some(entry) = pending.first_entry() {
                    if frontier.less_than(entry.key()) {
                        break;
                    }
                    let due = *entry.key();
                    for (k, mut r) in entry.remove() {
                        if !r.is_zero() {
                            if now {
                                r.negate();
                            }
                            released.push((k, due, r));
                        }
                    }
                }
                if let Some(cap) = held.as_mut() {
                    if !released.is_empty() {
                        output.session(&*cap).give_iterator(released.into_iter());
                    }
                    match pending.first_key_value() {
                        Some((next, _)) => cap.downgrade(next),
                        None => held = None,
                    }
                }
            }
        });
    VecCollection::new(stream)
}
