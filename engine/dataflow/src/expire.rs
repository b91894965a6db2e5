//! `retract_after`: the sliding-window retraction, held back until it is due.
//!
//! A windowed record counted at `t` must be retracted at `t + len`. Differential's `delay`
//! would rewrite the time and pass the retraction downstream at once, where it waits in the
//! next arrangement's batcher — which re-scans everything it holds on every round. With a
//! 5-minute window at thousands of trades per second that is millions of records per round
//! (profiling showed the batcher's `extract`/`merge` taking 40% of the worker). This operator
//! keeps the pending retractions in a time-ordered map instead, holds one capability at the
//! earliest due time, and releases each retraction only once the input frontier reaches it.

use crate::Time;
use differential_dataflow::difference::{Abelian, Semigroup};
use differential_dataflow::{Data, VecCollection};
use std::collections::BTreeMap;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;

/// For every update `(d, t, r)` of `input`, emits `(d, t + len, -r)` once the frontier has
/// reached `t + len`. Concatenated with `input` this gives the window `[t, t + len)`.
pub(crate) fn retract_after<'s, D: Data>(
    input: VecCollection<'s, Time, D, isize>,
    len: Time,
) -> VecCollection<'s, Time, D, isize> {
    let stream = input
        .inner
        .unary_frontier(Pipeline, "RetractAfter", move |_cap, _info| {
            let mut pending: BTreeMap<Time, Vec<(D, Time, isize)>> = BTreeMap::new();
            let mut held: Option<Capability<Time>> = None;
            move |(input, frontier), output| {
                input.for_each(|cap, data| {
                    // A message without a stamp makes no progress claim; we cannot hold a
                    // capability for it (it does not occur for inputs fed by sessions).
                    let Some(&least) = cap.least() else { return };
                    for (d, t, r) in data.drain(..) {
                        let due = t.saturating_add(len).max(least);
                        if held.as_ref().is_none_or(|h| due < *h.time()) {
                            held = Some(cap.delayed(&due, 0));
                        }
                        pending.entry(due).or_default().push((d, due, -r));
                    }
                });
                // Release what is due: nothing earlier than `due` can still arrive.
                let mut released = Vec::new();
                while let Some(entry) = pending.first_entry() {
                    if frontier.less_than(entry.key()) {
                        break;
                    }
                    released.append(&mut entry.remove());
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

/// Like [`retract_after`] for additive differences, with the retraction of an update at `t`
/// due at the end of its `bucket` (the next multiple of `bucket` at or after `t`) plus `len`,
/// and the pending retractions of one due time summed per record. State is then one entry per
/// (record, bucket) however many updates arrive: a sliding window of `len` holds at most
/// `len / bucket` entries per record. At every multiple `T` of `bucket` (with `len` a multiple
/// of it) the window holds exactly the updates with `T − len < t ≤ T`; between multiples an
/// update leaves up to one bucket late.
pub(crate) fn retract_after_bucketed<'s, D: Data, R: Abelian + Semigroup + 'static>(
    input: VecCollection<'s, Time, D, R>,
    len: Time,
    bucket: Time,
) -> VecCollection<'s, Time, D, R> {
    let bucket = bucket.max(1);
    let stream =
        input
            .inner
            .unary_frontier(Pipeline, "RetractAfterBucketed", move |_cap, _info| {
                let mut pending: BTreeMap<Time, BTreeMap<D, R>> = BTreeMap::new();
                let mut held: Option<Capability<Time>> = None;
                move |(input, frontier), output| {
                    input.for_each(|cap, data| {
                        let Some(&least) = cap.least() else { return };
                        for (d, t, r) in data.drain(..) {
                            let end = t.div_ceil(bucket).saturating_mul(bucket);
                            let due = end.saturating_add(len).max(least);
                            if held.as_ref().is_none_or(|h| due < *h.time()) {
                                held = Some(cap.delayed(&due, 0));
                            }
                            let at_due = pending.entry(due).or_default();
                            match at_due.get_mut(&d) {
                                Some(sum) => sum.plus_equals(&r),
                                None => {
                                    at_due.insert(d, r);
                                }
                            }
                        }
                    });
                    let mut released = Vec::new();
                    while let Some(entry) = pending.first_entry() {
                        if frontier.less_than(entry.key()) {
                            break;
                        }
                        let due = *entry.key();
                        for (d, mut r) in entry.remove() {
                            if !r.is_zero() {
                                r.negate();
                                released.push((d, due, r));
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
