//! Order-flow staples over aggregated trades, as pure functions: the value area of a volume
//! profile, diagonal (stacked) bid/ask imbalances of a footprint bar, "nice" price steps and
//! trading-session windows. The tools that query DuckDB and call these are in
//! [`crate::staple_tools`].

use serde::{Deserialize, Serialize};

/// Volume traded at one price level: `buy` by buyer-initiated trades (lifting the ask), `sell`
/// by seller-initiated trades (hitting the bid).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Level {
    /// Lower edge of the level (level index × step).
    pub price: f64,
    /// Buyer-initiated volume (base units).
    pub buy: f64,
    /// Seller-initiated volume (base units).
    pub sell: f64,
}

impl Level {
    /// buy + sell.
    pub fn volume(&self) -> f64 {
        self.buy + self.sell
    }
}

/// Point of control and value area of a volume profile.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ValueArea {
    /// Price of the level with the most volume (the lowest such price on a tie).
    pub poc: f64,
    /// Highest level inside the value area.
    pub vah: f64,
    /// Lowest level inside the value area.
    pub val: f64,
    /// Volume of the whole profile.
    pub volume: f64,
    /// Volume inside the value area.
    pub area_volume: f64,
}

/// The value area holding at least `share` of the volume (0.7 is the custom): start at the
/// point of control, then repeatedly add the neighbouring level (just above or just below the
/// area) with more volume — above on a tie — until the share is reached. `levels` are sorted by
/// price, ascending. `None` for a profile without volume.
pub fn value_area(levels: &[Level], share: f64) -> Option<ValueArea> {
    let total: f64 = levels.iter().map(Level::volume).sum();
    if total <= 0.0 {
        return None;
    }
    let mut poc = 0;
    for (i, l) in levels.iter().enumerate() {
        if l.volume() > levels[poc].volume() {
            poc = i;
        }
    }
    let (mut lo, mut hi) = (poc, poc);
    let mut acc = levels[poc].volume();
    while acc < share * total && (lo > 0 || hi + 1 < levels.len()) {
        let up = levels.get(hi + 1).map(Level::volume);
        let down = lo.checked_sub(1).map(|i| levels[i].volume());
        match (up, down) {
            (Some(u), Some(d)) if u >= d => {
                hi += 1;
                acc += u;
            }
            (Some(u), None) => {
                hi += 1;
                acc += u;
            }
            (_, Some(d)) => {
                lo -= 1;
                acc += d;
            }
            (None, None) => break,
        }
    }
    Some(ValueArea {
        poc: levels[poc].price,
        vah: levels[hi].price,
        val: levels[lo].price,
        volume: total,
        area_volume: acc,
    })
}

/// A run of consecutive imbalanced levels on one side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stack {
    /// `buy` (ask-side imbalances: buyers lifting offers) or `sell`.
    pub side: &'static str,
    /// Lowest level of the run.
    pub from_price: f64,
    /// Highest level of the run.
    pub to_price: f64,
    /// Levels in the run.
    pub levels: usize,
}

/// Diagonal imbalances of a footprint bar, grouped into runs of at least `min_stack` levels.
///
/// `levels` are contiguous (one per price step, zero-filled) and ascending. Level i is a buy
/// imbalance when `buy[i] ≥ ratio · sell[i−1]` (the ask lifted at a price against the bid hit
/// one step below, as footprint charts compare them) and a sell imbalance when
/// `sell[i] ≥ ratio · buy[i+1]`; a missing or zero opposite volume counts as 0, so the level is
/// imbalanced as soon as its own volume reaches `min_volume` (> 0).
pub fn stacked_imbalances(
    levels: &[Level],
    ratio: f64,
    min_stack: usize,
    min_volume: f64,
) -> Vec<Stack> {
    let n = levels.len();
    let buy_imb = |i: usize| {
        let opposite = i.checked_sub(1).map_or(0.0, |j| levels[j].sell);
        levels[i].buy >= min_volume && levels[i].buy >= ratio * opposite
    };
    let sell_imb = |i: usize| {
        let opposite = levels.get(i + 1).map_or(0.0, |l| l.buy);
        levels[i].sell >= min_volume && levels[i].sell >= ratio * opposite
    };
    let mut out = Vec::new();
    for (side, test) in [
        ("buy", &buy_imb as &dyn Fn(usize) -> bool),
        ("sell", &sell_imb),
    ] {
        let mut start: Option<usize> = None;
        for i in 0..=n {
            let hit = i < n && test(i);
            match (hit, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s >= min_stack.max(1) {
                        out.push(Stack {
                            side,
                            from_price: levels[s].price,
                            to_price: levels[i - 1].price,
                            levels: i - s,
                        });
                    }
                    start = None;
                }
                _ => {}
            }
        }
    }
    out
}

/// A "nice" price step near `raw`: 1, 2, 2.5 or 5 × 10^k, the smallest not below `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= raw * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

/// UTC hours of a trading session: from `start_utc_h` (inclusive) to `end_utc_h` (exclusive),
/// across midnight when the end is not after the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionHours {
    /// First hour, 0–23.
    pub start_utc_h: u32,
    /// Hour it ends, 0–24.
    pub end_utc_h: u32,
}

const HOUR_NS: u64 = 3_600_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// The session instance that started last at or before `now_ns`, moved `back` days earlier:
/// `(start_ns, end_ns)`.
pub fn session_window(h: SessionHours, now_ns: u64, back: u32) -> (u64, u64) {
    let day = now_ns - now_ns % DAY_NS;
    let mut start = day + u64::from(h.start_utc_h % 24) * HOUR_NS;
    if start > now_ns {
        start = start.saturating_sub(DAY_NS);
    }
    start = start.saturating_sub(u64::from(back) * DAY_NS);
    let hours = if h.end_utc_h > h.start_utc_h {
        h.end_utc_h - h.start_utc_h
    } else {
        h.end_utc_h + 24 - h.start_utc_h
    };
    (start, start + u64::from(hours) * HOUR_NS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lv(price: f64, buy: f64, sell: f64) -> Level {
        Level { price, buy, sell }
    }

    /// By hand: volumes 1, 3, 10, 4, 2 (total 20, 70 % = 14). Start at 102 (10); above 4 ≥
    /// below 3 → add 103 (14 ≥ 14): done.
    #[test]
    fn value_area_by_hand() {
        let p = [
            lv(100.0, 1.0, 0.0),
            lv(101.0, 2.0, 1.0),
            lv(102.0, 5.0, 5.0),
            lv(103.0, 0.0, 4.0),
            lv(104.0, 1.0, 1.0),
        ];
        let va = value_area(&p, 0.7).unwrap();
        assert_eq!((va.poc, va.val, va.vah), (102.0, 102.0, 103.0));
        assert_eq!((va.volume, va.area_volume), (20.0, 14.0));
        // 80 % = 16: then below (3) vs above (2) → 101: 17.
        let va = value_area(&p, 0.8).unwrap();
        assert_eq!((va.val, va.vah, va.area_volume), (101.0, 103.0, 17.0));
        assert!(value_area(&[lv(1.0, 0.0, 0.0)], 0.7).is_none());
    }

    /// Levels 100..=104: buys 0, 9, 9, 9, 1 and sells 3, 3, 3, 0, 0. Buy imbalance at i when
    /// buy[i] ≥ 3·sell[i−1]: 101 (9 ≥ 9), 102 (9 ≥ 9), 103 (9 ≥ 9), 104 (1 ≥ 0): a stack of
    /// four from 101. Sell imbalance at i when sell[i] ≥ 3·buy[i+1]: 100 (3 ≥ 27? no) … none.
    #[test]
    fn stacked_imbalances_by_hand() {
        let bar = [
            lv(100.0, 0.0, 3.0),
            lv(101.0, 9.0, 3.0),
            lv(102.0, 9.0, 3.0),
            lv(103.0, 9.0, 0.0),
            lv(104.0, 1.0, 0.0),
        ];
        let s = stacked_imbalances(&bar, 3.0, 3, 1e-12);
        assert_eq!(
            s,
            vec![Stack {
                side: "buy",
                from_price: 101.0,
                to_price: 104.0,
                levels: 4
            }]
        );
        // A stricter ratio breaks the run: 9 < 4·3.
        assert!(stacked_imbalances(&bar, 4.0, 3, 1e-12).is_empty());
        // Sells: 3 at 100..102 against buys one level up (9): never; make buys above small.
        let bar = [
            lv(100.0, 0.0, 6.0),
            lv(101.0, 1.0, 6.0),
            lv(102.0, 2.0, 6.0),
            lv(103.0, 2.0, 0.0),
        ];
        let s = stacked_imbalances(&bar, 3.0, 3, 1e-12);
        assert_eq!(s.iter().filter(|x| x.side == "sell").count(), 1);
        assert_eq!(s[s.len() - 1].from_price, 100.0);
        assert_eq!(s[s.len() - 1].to_price, 102.0);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(33.0), 50.0);
        assert!((nice_step(0.0004) - 0.0005).abs() < 1e-15);
    }

    #[test]
    fn session_windows() {
        // 2026-12-01 10:30 UTC.
        let now = 1_796_121_000 * 1_000_000_000u64;
        let day = now - now % DAY_NS;
        let asia = SessionHours {
            start_utc_h: 0,
            end_utc_h: 9,
        };
        assert_eq!(session_window(asia, now, 0), (day, day + 9 * HOUR_NS));
        assert_eq!(session_window(asia, now, 1).0, day - DAY_NS);
        // New York (13–22) has not started at 10:30: the current instance is yesterday's.
        let ny = SessionHours {
            start_utc_h: 13,
            end_utc_h: 22,
        };
        assert_eq!(session_window(ny, now, 0).0, day - DAY_NS + 13 * HOUR_NS);
        // Across midnight: 22–02 is 4 hours.
        let late = SessionHours {
            start_utc_h: 22,
            end_utc_h: 2,
        };
        let (s, e) = session_window(late, now, 0);
        assert_eq!((s, e - s), (day - DAY_NS + 22 * HOUR_NS, 4 * HOUR_NS));
    }
}
