//! The signal aggregator: ranks signals, resolves conflicts between the directional ones and
//! emits a recommendation.

use crate::catalogue::{Kind, SIGNALS};
use crate::compute::Signal;

/// Risk signals that damp the recommendation's strength.
const DAMPERS: [&str; 4] = [
    "composite_risk",
    "liquidation_cascade_risk",
    "stop_hunt",
    "momentum_exhaustion",
];
/// |direction| below this is neutral.
const NEUTRAL_BAND: f64 = 0.15;

/// The aggregator's output.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Recommendation {
    /// `long`, `short` or `neutral`.
    pub action: &'static str,
    /// Confidence-weighted mean of the directional signals, in [−1, 1].
    pub direction: f64,
    /// |direction| damped by the risk signals: |direction| · (1 − max risk / 2), in [0, 1].
    pub strength: f64,
    /// Mean confidence of the directional signals that voted.
    pub confidence: f64,
    /// Signals by |value| · confidence, strongest first: (name, score).
    pub ranking: Vec<(&'static str, f64)>,
    /// Directional signals pointing against the recommendation.
    pub conflicts: Vec<&'static str>,
    /// Human-readable reasons, strongest first.
    pub reasons: Vec<String>,
}

fn kind_of(name: &str) -> Option<Kind> {
    SIGNALS.iter().find(|d| d.name == name).map(|d| d.kind)
}

/// Aggregates `signals` (as [`crate::compute`] returns them).
pub fn aggregate(signals: &[Signal]) -> Recommendation {
    let mut ranking: Vec<(&'static str, f64)> = signals
        .iter()
        .map(|s| (s.name, s.value.abs() * s.confidence))
        .collect();
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let directional: Vec<&Signal> = signals
        .iter()
        .filter(|s| kind_of(s.name) == Some(Kind::Directional))
        .collect();
    let weight: f64 = directional.iter().map(|s| s.confidence).sum();
    let direction = if weight > 0.0 {
        directional
            .iter()
            .map(|s| s.value * s.confidence)
            .sum::<f64>()
            / weight
    } else {
        0.0
    };
    let risk = signals
        .iter()
        .filter(|s| DAMPERS.contains(&s.name))
        .map(|s| s.value)
        .fold(0.0, f64::max);
    let strength = (direction.abs() * (1.0 - risk / 2.0)).clamp(0.0, 1.0);
    let action = if direction >= NEUTRAL_BAND {
        "long"
    } else if direction <= -NEUTRAL_BAND {
        "short"
    } else {
        "neutral"
    };
    let conflicts: Vec<&'static str> = directional
        .iter()
        .filter(|s| s.value * direction < 0.0 && s.value.abs() >= NEUTRAL_BAND)
        .map(|s| s.name)
        .collect();
    let mut reasons: Vec<String> = directional
        .iter()
        .filter(|s| s.value.abs() >= NEUTRAL_BAND)
        .map(|s| {
            format!(
                "{} {:+.2} (confidence {:.2})",
                s.name, s.value, s.confidence
            )
        })
        .collect();
    if risk > 0.0 {
        reasons.push(format!("risk {risk:.2} damps the strength"));
    }
    Recommendation {
        action,
        direction,
        strength,
        confidence: if directional.is_empty() {
            0.0
        } else {
            weight / directional.len() as f64
        },
        ranking,
        conflicts,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &'static str, value: f64, confidence: f64) -> Signal {
        Signal {
            name,
            value,
            confidence,
            components: Vec::new(),
        }
    }

    #[test]
    fn direction_is_the_confidence_weighted_mean_damped_by_risk() {
        let r = aggregate(&[
            s("smart_money_index", 0.6, 1.0),
            s("mean_reversion", -0.2, 0.5),
            s("composite_risk", 0.4, 1.0),
        ]);
        // (0.6·1 − 0.2·0.5) / 1.5 = 0.3333…
        assert!((r.direction - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.action, "long");
        assert!((r.strength - (1.0 / 3.0) * 0.8).abs() < 1e-12);
        assert_eq!(r.conflicts, vec!["mean_reversion"]);
        assert_eq!(r.ranking[0].0, "smart_money_index");
        assert_eq!(aggregate(&[]).action, "neutral");
    }
}
