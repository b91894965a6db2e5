//! Lead-lag of venues' mids: which venue's mid moves first.
//!
//! The tracker samples every venue's mid at each feature snapshot (the snapshot cadence,
//! `storage.feature_snapshot_ms`, is the resolution: 1 s by default). Over the last `capacity`
//! samples, the return of venue v at sample k is r_v(k) = ln(m_v(k) / m_v(k−1)) (undefined when
//! either mid is missing). For a pair (a, b) and a lag ℓ ∈ [−L, L], c(ℓ) is the Pearson
//! correlation of r_a(k) with r_b(k + ℓ) over the k where both are defined (at least
//! `min_pairs` of them, both series non-constant). The pair's lag is the ℓ of the highest c
//! (the smallest |ℓ| on a tie, then the negative one): ℓ > 0 means a's moves show up in b ℓ
//! samples later — a leads. The symbol's leader is the venue that leads the most pairs net of
//! the pairs it trails; none on a tie.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Lead-lag of one venue pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairLeadLag {
    /// First venue.
    pub a: String,
    /// Second venue.
    pub b: String,
    /// ℓ in samples: > 0 when a leads b, < 0 when b leads a, 0 when they move together.
    pub lag_samples: i32,
    /// ℓ in milliseconds (ℓ × the median sample spacing).
    pub lag_ms: f64,
    /// c(ℓ) at the chosen lag.
    pub correlation: f64,
    /// c(0), for comparison.
    pub correlation_at_zero: f64,
    /// Return pairs behind c(ℓ).
    pub samples: usize,
}

/// Lead-lag of a symbol's venues.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadLag {
    /// Venue that leads the most pairs net of those it trails (none on a tie).
    pub leader: Option<String>,
    /// Every pair with enough samples.
    pub pairs: Vec<PairLeadLag>,
    /// Mid samples in the window.
    pub window_samples: usize,
    /// Median spacing of the samples, ms.
    pub sample_ms: f64,
}

impl LeadLag {
    /// The highest pair correlation.
    pub fn max_corr(&self) -> Option<f64> {
        self.pairs
            .iter()
            .map(|p| p.correlation)
            .max_by(f64::total_cmp)
    }
}

/// The mid samples of one symbol's venues.
#[derive(Clone, Debug)]
pub struct LeadLagTracker {
    capacity: usize,
    max_lag: usize,
    min_pairs: usize,
    venues: Vec<String>,
    /// (time ns, mid per venue in `venues` order).
    samples: VecDeque<(u64, Vec<Option<f64>>)>,
}

impl LeadLagTracker {
    /// A tracker of `venues` keeping `capacity` samples, lags up to `max_lag` samples, and at
    /// least `min_pairs` return pairs per correlation.
    pub fn new(venues: Vec<String>, capacity: usize, max_lag: usize, min_pairs: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            max_lag,
            min_pairs: min_pairs.max(3),
            venues,
            samples: VecDeque::new(),
        }
    }

    /// Adds one sample (mids in the tracker's venue order).
    pub fn push(&mut self, time: u64, mids: Vec<Option<f64>>) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back((time, mids));
    }

    fn returns(&self, v: usize) -> Vec<Option<f64>> {
        let mid = |k: usize| {
            self.samples
                .get(k)
                .and_then(|(_, m)| m.get(v).copied().flatten())
                .filter(|m| *m > 0.0)
        };
        (1..self.samples.len())
            .map(|k| match (mid(k - 1), mid(k)) {
                (Some(p), Some(c)) => Some((c / p).ln()),
                _ => None,
            })
            .collect()
    }

    /// The lead-lag over the current window (absent until some pair has enough samples).
    pub fn compute(&self) -> Option<LeadLag> {
        let returns: Vec<Vec<Option<f64>>> =
            (0..self.venues.len()).map(|v| self.returns(v)).collect();
        let mut spacing: Vec<u64> = self
            .samples
            .iter()
            .zip(self.samples.iter().skip(1))
            .map(|(a, b)| b.0.saturating_sub(a.0))
            .collect();
        spacing.sort_unstable();
        let sample_ms = spacing
            .get(spacing.len() / 2)
            .map_or(0.0, |s| *s as f64 / 1e6);
        let mut pairs = Vec::new();
        let lag = i32::try_from(self.max_lag).unwrap_or(i32::MAX);
        for a in 0..self.venues.len() {
            for b in a + 1..self.venues.len() {
                let mut best: Option<(i32, f64, usize)> = None;
                let mut at_zero = None;
                // Visit 0, −1, 1, −2, 2, …: a strict improvement is needed to move away
                // from a smaller |ℓ|.
                let order = std::iter::once(0).chain((1..=lag).flat_map(|l| [-l, l]));
                for l in order {
                    let Some((c, n)) = lagged_corr(&returns[a], &returns[b], l, self.min_pairs)
                    else {
                        continue;
                    };
                    if l == 0 {
                        at_zero = Some(c);
                    }
                    if best.is_none_or(|(_, bc, _)| c > bc) {
                        best = Some((l, c, n));
                    }
                }
                if let Some((l, c, n)) = best {
                    pairs.push(PairLeadLag {
                        a: self.venues[a].clone(),
                        b: self.venues[b].clone(),
                        lag_samples: l,
                        lag_ms: f64::from(l) * sample_ms,
                        correlation: c,
                        correlation_at_zero: at_zero.unwrap_or(f64::NAN),
                        samples: n,
                    });
                }
            }
        }
        if pairs.is_empty() {
            return None;
        }
        let mut score: BTreeMap<&str, i32> = BTreeMap::new();
        for p in &pairs {
            let s = p.lag_samples.signum();
            *score.entry(&p.a).or_default() += s;
            *score.entry(&p.b).or_default() -= s;
        }
        let top = score.values().copied().max().unwrap_or(0);
        let leaders: Vec<&str> = score
            .iter()
            .filter(|(_, s)| **s == top)
            .map(|(v, _)| *v)
            .collect();
        let leader = (top > 0 && leaders.len() == 1).then(|| leaders[0].to_owned());
        Some(LeadLag {
            leader,
            pairs,
            window_samples: self.samples.len(),
            sample_ms,
        })
    }
}

/// Pearson correlation of x(k) with y(k + l) over the k where both are defined.
fn lagged_corr(x: &[Option<f64>], y: &[Option<f64>], l: i32, min: usize) -> Option<(f64, usize)> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for (k, xv) in x.iter().enumerate() {
        let j = i64::try_from(k).ok()? + i64::from(l);
        let Ok(j) = usize::try_from(j) else { continue };
        if let (Some(a), Some(Some(b))) = (xv, y.get(j)) {
            xs.push(*a);
            ys.push(*b);
        }
    }
    let n = xs.len();
    if n < min {
        return None;
    }
    let nf = n as f64;
    let mx = xs.iter().sum::<f64>() / nf;
    let my = ys.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in xs.iter().zip(&ys) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt(), n))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// b copies a's moves two samples later: a leads b by 2.
    #[test]
    fn a_delayed_copy_is_found() {
        let mut t = LeadLagTracker::new(vec!["a".into(), "b".into(), "c".into()], 200, 5, 20);
        let mut state: u64 = 7;
        let mut a = vec![100.0];
        for _ in 0..120 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let step = ((state >> 33) % 200) as f64 / 100.0 - 1.0;
            let last = *a.last().unwrap_or(&100.0);
            a.push(last * (1.0 + step * 1e-3));
        }
        for k in 0..a.len() {
            let b = if k >= 2 { a[k - 2] } else { 100.0 };
            // c moves with a at the same time, scaled.
            t.push(
                k as u64 * 1_000_000_000,
                vec![Some(a[k]), Some(b), Some(a[k] * 2.0)],
            );
        }
        let ll = t.compute().unwrap();
        let ab = ll.pairs.iter().find(|p| p.a == "a" && p.b == "b").unwrap();
        assert_eq!(ab.lag_samples, 2);
        assert!((ab.lag_ms - 2000.0).abs() < 1e-9);
        assert!(ab.correlation > 0.99);
        let ac = ll.pairs.iter().find(|p| p.a == "a" && p.b == "c").unwrap();
        assert_eq!(ac.lag_samples, 0);
        let cb = ll.pairs.iter().find(|p| p.a == "b" && p.b == "c").unwrap();
        assert_eq!(cb.lag_samples, -2, "c leads b");
        // a and c both lead b and tie with each other: no single leader.
        assert_eq!(ll.leader, None);
    }

    #[test]
    fn too_few_samples_is_none() {
        let mut t = LeadLagTracker::new(vec!["a".into(), "b".into()], 200, 5, 20);
        for k in 0..10u64 {
            t.push(
                k,
                vec![Some(100.0 + k as f64), Some(100.0 + (k * k) as f64)],
            );
        }
        assert!(t.compute().is_none());
    }
}
