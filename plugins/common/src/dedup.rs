//! Dropping repeated trades: venues number trades per instrument in increasing order, so a
//! trade whose id is not above the last one seen is a duplicate or arrived out of order.

/// Last trade id per instrument.
#[derive(Clone, Debug, Default)]
pub struct TradeDedup {
    last: Vec<Option<u64>>,
}

impl TradeDedup {
    /// For `n` instruments.
    pub fn new(n: usize) -> Self {
        Self {
            last: vec![None; n],
        }
    }

    /// True when trade `id` of `inst` is new (and remembers it); false for a repeat or an
    /// older id.
    pub fn keep(&mut self, inst: u32, id: u64) -> bool {
        let Some(slot) = self.last.get_mut(inst as usize) else {
            return true;
        };
        match *slot {
            Some(last) if id <= last => false,
            _ => {
                *slot = Some(id);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_older_ids_are_dropped_per_instrument() {
        let mut d = TradeDedup::new(2);
        assert!(d.keep(0, 5));
        assert!(!d.keep(0, 5));
        assert!(!d.keep(0, 4));
        assert!(d.keep(0, 6));
        assert!(d.keep(1, 1), "instruments are independent");
        assert!(d.keep(7, 1), "unknown instruments pass");
    }
}

/// Trade ids seen recently per instrument, for venues whose ids are not ordered (UUIDs, hashes):
/// a repeat of one of the last `window` ids is a duplicate.
#[derive(Clone, Debug, Default)]
pub struct RecentIds {
    seen: Vec<std::collections::VecDeque<u64>>,
    window: usize,
}

impl RecentIds {
    /// For `n` instruments, remembering `window` ids each.
    pub fn new(n: usize, window: usize) -> Self {
        Self {
            seen: vec![std::collections::VecDeque::new(); n],
            window,
        }
    }

    /// True when `id` of `inst` was not among the last `window` ids (and remembers it).
    pub fn keep(&mut self, inst: u32, id: u64) -> bool {
        let Some(seen) = self.seen.get_mut(inst as usize) else {
            return true;
        };
        if seen.contains(&id) {
            return false;
        }
        if seen.len() >= self.window {
            seen.pop_front();
        }
        seen.push_back(id);
        true
    }
}

#[cfg(test)]
mod recent_tests {
    use super::*;

    #[test]
    fn repeats_within_the_window_are_dropped() {
        let mut r = RecentIds::new(1, 2);
        assert!(r.keep(0, 9) && r.keep(0, 3));
        assert!(!r.keep(0, 9), "unordered ids: membership, not order");
        assert!(r.keep(0, 5));
        assert!(r.keep(0, 9), "9 fell out of the 2-id window");
    }
}
