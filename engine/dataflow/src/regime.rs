//! Market regimes per (venue, symbol), classified from the feature vector at each feature
//! snapshot with hysteresis, and their transitions.
//!
//! Inputs: `trend = return_bps_15m / realized_vol_bps_15m` (the 15-minute drift in units of its
//! own noise) and `vol_ratio = realized_vol_bps_1m · √15 / realized_vol_bps_15m` (the last
//! minute's volatility, scaled to 15 minutes, over the 15 minutes'). Rules, by priority, each
//! with an entry threshold and a looser threshold to stay:
//! * `volatile`: enter at vol_ratio ≥ 1.5, stay while ≥ 1.2;
//! * `trending_up` / `trending_down`: enter at trend ≥ 1.5 / ≤ −1.5, stay while the same sign
//!   holds with |trend| ≥ 1.0;
//! * `compression`: enter at vol_ratio ≤ 0.5, stay while ≤ 0.7;
//! * `ranging` otherwise.
//!
//! The current regime stays while its stay-condition holds and no regime of higher priority
//! enters. Without the inputs (windows not filled) nothing is classified.

use crate::catalogue::ids;
use crate::store::FeatureVector;
use crate::{FeatureId, Time};
use orderflow_model::InstrumentId;
use std::collections::BTreeMap;

/// A market regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Short-term volatility well above the medium-term.
    Volatile,
    /// Drift up, large relative to noise.
    TrendingUp,
    /// Drift down, large relative to noise.
    TrendingDown,
    /// Short-term volatility well below the medium-term (a squeeze building).
    Compression,
    /// None of the above.
    Ranging,
}

impl Regime {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Volatile => "volatile",
            Self::TrendingUp => "trending_up",
            Self::TrendingDown => "trending_down",
            Self::Compression => "compression",
            Self::Ranging => "ranging",
        }
    }
}

/// The classifier's inputs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RegimeInputs {
    /// return_bps_15m / realized_vol_bps_15m (0 when there was no movement).
    pub trend: f64,
    /// realized_vol_bps_1m · √15 / realized_vol_bps_15m.
    pub vol_ratio: f64,
}

/// The inputs from a feature vector, when its windows are filled.
pub fn inputs(values: &BTreeMap<FeatureId, f64>) -> Option<RegimeInputs> {
    let rv15 = *values.get(&ids::REALIZED_VOL_BPS_15M)?;
    let rv1 = *values.get(&ids::REALIZED_VOL_BPS_1M)?;
    let ret15 = *values.get(&ids::RETURN_BPS_15M)?;
    if rv15 <= 0.0 {
        return None;
    }
    Some(RegimeInputs {
        trend: ret15 / rv15,
        vol_ratio: rv1 * 15f64.sqrt() / rv15,
    })
}

/// The next regime from the current one and the inputs (the rules above).
pub fn next(current: Option<Regime>, x: RegimeInputs) -> Regime {
    let enters = |r: Regime| match r {
        Regime::Volatile => x.vol_ratio >= 1.5,
        Regime::TrendingUp => x.trend >= 1.5,
        Regime::TrendingDown => x.trend <= -1.5,
        Regime::Compression => x.vol_ratio <= 0.5,
        Regime::Ranging => true,
    };
    let stays = |r: Regime| match r {
        Regime::Volatile => x.vol_ratio >= 1.2,
        Regime::TrendingUp => x.trend >= 1.0,
        Regime::TrendingDown => x.trend <= -1.0,
        Regime::Compression => x.vol_ratio <= 0.7,
        Regime::Ranging => true,
    };
    const PRIORITY: [Regime; 5] = [
        Regime::Volatile,
        Regime::TrendingUp,
        Regime::TrendingDown,
        Regime::Compression,
        Regime::Ranging,
    ];
    let rank = |r: Regime| {
        PRIORITY
            .iter()
            .position(|p| *p == r)
            .unwrap_or(PRIORITY.len())
    };
    let entering = PRIORITY
        .into_iter()
        .find(|r| enters(*r))
        .unwrap_or(Regime::Ranging);
    match current {
        Some(c) if c != Regime::Ranging && stays(c) && rank(entering) >= rank(c) => c,
        _ => entering,
    }
}

/// One evaluation of a tracked regime: from the current (regime, since) and the inputs at `t`,
/// the new regime and since when it holds (`t` when it changed or is the first).
fn advance(current: Option<(Regime, Time)>, t: Time, x: RegimeInputs) -> (Regime, Time) {
    let regime = next(current.map(|c| c.0), x);
    match current {
        Some((r, since)) if r == regime => (regime, since),
        _ => (regime, t),
    }
}

/// One instrument's current regime.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RegimeState {
    /// Regime.
    pub regime: Regime,
    /// Engine time it began.
    pub since: Time,
    /// Engine time of the last evaluation.
    pub evaluated: Time,
    /// The inputs of the last evaluation.
    pub inputs: RegimeInputs,
}

/// A change of regime.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Transition {
    /// Instrument.
    pub inst: InstrumentId,
    /// Engine time.
    pub time: Time,
    /// Previous regime (`None` for the first classification).
    pub from: Option<Regime>,
    /// New regime.
    pub to: Regime,
    /// The inputs that decided it.
    pub inputs: RegimeInputs,
}

/// Regimes of every instrument, evaluated at each feature snapshot.
#[derive(Clone, Debug, Default)]
pub struct RegimeTracker {
    states: BTreeMap<InstrumentId, RegimeState>,
}

impl RegimeTracker {
    /// Evaluates every instrument's features at engine time `t`; returns the transitions.
    pub fn update(
        &mut self,
        t: Time,
        features: &BTreeMap<InstrumentId, FeatureVector>,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        for (inst, fv) in features {
            let Some(x) = inputs(&fv.values) else {
                continue;
            };
            let current = self.states.get(inst).map(|s| s.regime);
            let (regime, since) = advance(self.states.get(inst).map(|s| (s.regime, s.since)), t, x);
            if since == t && current != Some(regime) {
                out.push(Transition {
                    inst: *inst,
                    time: t,
                    from: current,
                    to: regime,
                    inputs: x,
                });
            }
            self.states.insert(
                *inst,
                RegimeState {
                    regime,
                    since,
                    evaluated: t,
                    inputs: x,
                },
            );
        }
        out
    }

    /// Current regimes.
    pub fn states(&self) -> &BTreeMap<InstrumentId, RegimeState> {
        &self.states
    }
}

/// Current cross-venue regimes per symbol, shared with the server.
pub type SymbolRegimeStore = parking_lot::Mutex<BTreeMap<String, SymbolRegimeState>>;

/// One symbol's regime across venues.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SymbolRegimeState {
    /// Regime.
    pub regime: Regime,
    /// Engine time it began.
    pub since: Time,
    /// Engine time of the last evaluation.
    pub evaluated: Time,
    /// The median inputs of the last evaluation.
    pub inputs: RegimeInputs,
    /// Venues behind that median.
    pub venues: usize,
}

/// A change of a symbol's cross-venue regime.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SymbolTransition {
    /// Symbol.
    pub symbol: String,
    /// Engine time.
    pub time: Time,
    /// Previous regime (`None` for the first classification).
    pub from: Option<Regime>,
    /// New regime.
    pub to: Regime,
    /// The median inputs that decided it.
    pub inputs: RegimeInputs,
    /// Venues behind the median.
    pub venues: usize,
}

/// The median (the mean of the two middle values for an even count); `None` when empty.
pub fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => xs.get(n / 2).copied(),
        _ => Some((xs.get(n / 2 - 1)? + xs.get(n / 2)?) / 2.0),
    }
}

/// Regimes per symbol across venues: at each snapshot, the same rules and hysteresis as the
/// per-venue classifier ([`next`]) applied to the median over the venues classified at that
/// snapshot of `trend` and of `vol_ratio` (a median, so one venue's bad print cannot flip it).
#[derive(Clone, Debug, Default)]
pub struct SymbolRegimeTracker {
    states: BTreeMap<String, SymbolRegimeState>,
}

impl SymbolRegimeTracker {
    /// Evaluates each symbol from its venues' inputs at engine time `t`; returns the
    /// transitions.
    pub fn update(
        &mut self,
        t: Time,
        venues: &BTreeMap<String, Vec<RegimeInputs>>,
    ) -> Vec<SymbolTransition> {
        let mut out = Vec::new();
        for (symbol, xs) in venues {
            let (Some(trend), Some(vol_ratio)) = (
                median(xs.iter().map(|x| x.trend).collect()),
                median(xs.iter().map(|x| x.vol_ratio).collect()),
            ) else {
                continue;
            };
            let x = RegimeInputs { trend, vol_ratio };
            let current = self.states.get(symbol).map(|s| s.regime);
            let (regime, since) =
                advance(self.states.get(symbol).map(|s| (s.regime, s.since)), t, x);
            if since == t && current != Some(regime) {
                out.push(SymbolTransition {
                    symbol: symbol.clone(),
                    time: t,
                    from: current,
                    to: regime,
                    inputs: x,
                    venues: xs.len(),
                });
            }
            self.states.insert(
                symbol.clone(),
                SymbolRegimeState {
                    regime,
                    since,
                    evaluated: t,
                    inputs: x,
                    venues: xs.len(),
                },
            );
        }
        out
    }

    /// Current regimes per symbol.
    pub fn states(&self) -> &BTreeMap<String, SymbolRegimeState> {
        &self.states
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_regime_follows_the_median_venue() {
        let mut tr = SymbolRegimeTracker::default();
        let v = |xs: &[(f64, f64)]| {
            BTreeMap::from([(
                "BTCUSDT".to_owned(),
                xs.iter().map(|(t, v)| x(*t, *v)).collect::<Vec<_>>(),
            )])
        };
        // One venue trending hard, two flat: the median is flat.
        let out = tr.update(1, &v(&[(5.0, 1.0), (0.1, 1.0), (0.2, 1.0)]));
        assert_eq!(out[0].to, Regime::Ranging);
        assert_eq!(out[0].venues, 3);
        // Two of three trend: median 1.6 enters; then 1.1 (median of 1.1, 1.2, 0.0) stays.
        let out = tr.update(2, &v(&[(1.6, 1.0), (1.7, 1.0), (0.0, 1.0)]));
        assert_eq!(out[0].to, Regime::TrendingUp);
        assert!(
            tr.update(3, &v(&[(1.1, 1.0), (1.2, 1.0), (0.0, 1.0)]))
                .is_empty()
        );
        assert_eq!(tr.states()["BTCUSDT"].since, 2);
        // Even count: mean of the middle two.
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    fn x(trend: f64, vol_ratio: f64) -> RegimeInputs {
        RegimeInputs { trend, vol_ratio }
    }

    #[test]
    fn hysteresis_enters_late_and_leaves_late() {
        let mut r = next(None, x(1.2, 1.0));
        assert_eq!(r, Regime::Ranging, "1.2 does not enter a trend");
        r = next(Some(r), x(1.6, 1.0));
        assert_eq!(r, Regime::TrendingUp);
        r = next(Some(r), x(1.1, 1.0));
        assert_eq!(r, Regime::TrendingUp, "stays above 1.0");
        r = next(Some(r), x(1.1, 1.6));
        assert_eq!(r, Regime::Volatile, "higher priority enters");
        r = next(Some(r), x(1.1, 1.3));
        assert_eq!(r, Regime::Volatile, "stays above 1.2");
        r = next(Some(r), x(0.0, 0.6));
        assert_eq!(r, Regime::Ranging, "0.6 does not enter compression");
        r = next(Some(r), x(0.0, 0.4));
        assert_eq!(r, Regime::Compression);
        r = next(Some(r), x(-1.6, 0.65));
        assert_eq!(r, Regime::TrendingDown, "a trend outranks compression");
    }
}
