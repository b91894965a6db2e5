//! The edge of the graph: accumulates the feature collection into current values per instrument.

use crate::Time;
use crate::catalogue::FeatureId;
use crate::records::Value;
use orderflow_model::InstrumentId;
use parking_lot::Mutex;
use std::collections::BTreeMap;

/// One feature of one instrument.
#[derive(Clone, Debug, Default)]
struct Slot {
    /// value → multiplicity, normally one value with multiplicity 1; between the halves of a
    /// change, two. Entries at zero are removed, the allocation is kept (a feature that changes
    /// every step would otherwise allocate every step).
    vals: Vec<(Value, isize)>,
    /// Engine time the value last changed; `None` before the first update.
    changed: Option<Time>,
}

impl Slot {
    /// The current value: the one with positive multiplicity.
    fn value(&self) -> Option<f64> {
        self.vals.iter().find(|(_, n)| *n > 0).map(|(v, _)| v.0)
    }
}

#[derive(Clone, Debug, Default)]
struct InstState {
    /// Indexed by `FeatureId` (ids are dense, a few hundred): a lookup per update is an index,
    /// not a map search, as the store takes every update the graph emits.
    slots: Vec<Slot>,
    time: Time,
    /// Engine time of the instrument's first output.
    first: Time,
    /// Sampled features (crate::series), replaced at each snapshot.
    sampled: BTreeMap<FeatureId, f64>,
}

impl InstState {
    fn slot_mut(&mut self, id: FeatureId) -> &mut Slot {
        let i = usize::from(id.0);
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, Slot::default);
        }
        &mut self.slots[i]
    }

    /// `(id, slot)` of the features that have had an update.
    fn touched(&self) -> impl Iterator<Item = (FeatureId, &Slot)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            let id = FeatureId(u16::try_from(i).ok()?);
            s.changed.map(|_| (id, s))
        })
    }
}

/// When an instrument's features started and last changed (engine time), for ages and warm-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureTimes {
    /// Engine time of the instrument's first feature output.
    pub first: Time,
    /// Engine time of the latest output of the instrument.
    pub latest: Time,
    /// Engine time each feature's value last changed.
    pub changed: BTreeMap<FeatureId, Time>,
}

/// Current feature values per instrument, as accumulated from the graph's output.
#[derive(Debug, Default)]
pub struct FeatureStore {
    inner: Mutex<BTreeMap<InstrumentId, InstState>>,
    /// Updates received but not yet final (cluster mode: another process may still be behind
    /// their time), applied by [`FeatureStore::settle`].
    staged: Mutex<Vec<Update>>,
}

/// One output update of the graph.
pub type Update = ((InstrumentId, FeatureId, Value), Time, isize);

/// Current features of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureVector {
    /// Engine time of the latest change (receive-time ns).
    pub time: Time,
    /// Values by feature id.
    pub values: BTreeMap<FeatureId, f64>,
}

impl FeatureStore {
    /// Applies a batch of output updates.
    pub fn apply(&self, updates: &[Update]) {
        let mut inner = self.inner.lock();
        for ((inst, id, v), t, d) in updates {
            let st = inner.entry(*inst).or_insert_with(|| InstState {
                first: *t,
                ..InstState::default()
            });
            st.time = st.time.max(*t);
            st.first = st.first.min(*t);
            let slot = st.slot_mut(*id);
            slot.changed = Some(slot.changed.map_or(*t, |c| c.max(*t)));
            match slot.vals.iter().position(|(x, _)| x == v) {
                Some(k) => {
                    slot.vals[k].1 += d;
                    if slot.vals[k].1 == 0 {
                        slot.vals.swap_remove(k);
                    }
                }
                None => slot.vals.push((*v, *d)),
            }
        }
    }

    /// Holds updates until [`FeatureStore::settle`] declares their time final. A cluster's
    /// processes advance at their own pace: updates of a process that is ahead must not reach
    /// the values a snapshot at an earlier time reads.
    pub fn stage(&self, updates: impl IntoIterator<Item = Update>) {
        self.staged.lock().extend(updates);
    }

    /// Applies the staged updates at times `<= upto` (the others stay staged).
    pub fn settle(&self, upto: Time) {
        let ready: Vec<Update> = {
            let mut staged = self.staged.lock();
            if staged.is_empty() {
                return;
            }
            let (ready, later): (Vec<Update>, Vec<Update>) =
                staged.drain(..).partition(|(_, t, _)| *t <= upto);
            *staged = later;
            ready
        };
        self.apply(&ready);
    }

    /// Current features of an instrument.
    pub fn get(&self, inst: InstrumentId) -> Option<FeatureVector> {
        let inner = self.inner.lock();
        let st = inner.get(&inst)?;
        Some(FeatureVector {
            time: st.time,
            values: Self::values(st),
        })
    }

    /// When an instrument's features started and last changed.
    pub fn times(&self, inst: InstrumentId) -> Option<FeatureTimes> {
        let inner = self.inner.lock();
        let st = inner.get(&inst)?;
        Some(FeatureTimes {
            first: st.first,
            latest: st.time,
            changed: st
                .touched()
                .filter(|(id, slot)| !slot.vals.is_empty() || st.sampled.contains_key(id))
                .filter_map(|(id, slot)| Some((id, slot.changed?)))
                .collect(),
        })
    }

    fn base_values(st: &InstState) -> BTreeMap<FeatureId, f64> {
        st.touched()
            .filter_map(|(id, slot)| Some((id, slot.value()?)))
            .collect()
    }

    fn values(st: &InstState) -> BTreeMap<FeatureId, f64> {
        let mut v = Self::base_values(st);
        v.extend(st.sampled.iter().map(|(id, x)| (*id, *x)));
        v
    }

    /// Replaces an instrument's sampled features (computed at snapshot time `t`).
    pub fn set_sampled(&self, inst: InstrumentId, t: Time, values: &[(FeatureId, f64)]) {
        let mut inner = self.inner.lock();
        let Some(st) = inner.get_mut(&inst) else {
            return;
        };
        let new: BTreeMap<FeatureId, f64> = values.iter().copied().collect();
        for (id, x) in &new {
            if st
                .sampled
                .get(id)
                .is_none_or(|old| old.to_bits() != x.to_bits())
            {
                st.slot_mut(*id).changed = Some(t);
            }
        }
        st.sampled = new;
    }

    /// The dataflow's own features of every instrument (without the sampled ones).
    pub fn base_all(&self) -> BTreeMap<InstrumentId, FeatureVector> {
        let inner = self.inner.lock();
        inner
            .iter()
            .map(|(i, st)| {
                (
                    *i,
                    FeatureVector {
                        time: st.time,
                        values: Self::base_values(st),
                    },
                )
            })
            .collect()
    }

    /// Current features of every instrument.
    pub fn all(&self) -> BTreeMap<InstrumentId, FeatureVector> {
        let inner = self.inner.lock();
        inner
            .iter()
            .map(|(i, st)| {
                (
                    *i,
                    FeatureVector {
                        time: st.time,
                        values: Self::values(st),
                    },
                )
            })
            .collect()
    }
}
