//! The model router: picks a model (or a backtested selection, or an ensemble) for a series from
//! its length, seasonality, intermittency, the caller's priority and time budget, and the
//! scores of past backtests on the same series.
//!
//! | priority | strategy | choice |
//! |---|---|---|
//! | `realtime` | one model | `Theta` (`Naive` under 10 points) |
//! | `fast` | one model | `MSTL` when seasonal, else damped `Holt` |
//! | `balanced` | one model | the best past MASE among affordable models, else `AutoETS` |
//! | `accurate` | backtest the affordable candidates, keep the best | AutoETS, AutoTheta, AutoARIMA, MSTL, TBATS |
//! | `research` | backtest, then the median ensemble of the best three | same candidates |
//!
//! An intermittent series (≥ 30 % zeros) always gets `Croston`. A model is affordable when its
//! estimated cost (a per-1,000-points figure measured on this machine class, times the
//! series length, times the fits the strategy needs) fits the time budget.

use serde::Serialize;

/// What the caller cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Lowest latency.
    Realtime,
    /// Low latency, decent accuracy.
    Fast,
    /// Default.
    Balanced,
    /// Best backtested accuracy within the budget.
    Accurate,
    /// An ensemble of the best.
    Research,
}

impl Priority {
    /// Parses a priority name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "realtime" => Self::Realtime,
            "fast" => Self::Fast,
            "balanced" => Self::Balanced,
            "accurate" => Self::Accurate,
            "research" => Self::Research,
            _ => return None,
        })
    }

    /// The names, for schemas.
    pub const NAMES: [&'static str; 5] = ["realtime", "fast", "balanced", "accurate", "research"];
}

/// How the routed forecast is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Fit `model`.
    Single,
    /// Backtest `candidates`, fit the best.
    SelectByBacktest,
    /// Backtest `candidates`, average (median) the best three.
    Ensemble,
}

/// What the router knows about the series and the call.
#[derive(Clone, Debug, Default)]
pub struct RouteInput {
    /// Points.
    pub n: usize,
    /// Season length (1 = none).
    pub season: usize,
    /// Share of exact zeros.
    pub zero_share: f64,
    /// Time budget, ms (None: unlimited).
    pub budget_ms: Option<f64>,
    /// Past backtest MASE per model on this series.
    pub past: Vec<(String, f64)>,
    /// Backtest folds the selection strategies run.
    pub folds: usize,
}

/// The router's decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Route {
    /// Priority used.
    pub priority: Priority,
    /// Strategy.
    pub strategy: Strategy,
    /// The model (for `Single`), or the first candidate.
    pub model: String,
    /// Models to backtest (selection strategies).
    pub candidates: Vec<String>,
    /// Why, in words.
    pub reasons: Vec<String>,
}

/// Estimated fit+predict cost per 1,000 points, ms (seasonal, non-seasonal).
pub fn cost_per_1000(model: &str) -> (f64, f64) {
    match model {
        "Naive" | "SeasonalNaive" | "Drift" => (0.05, 0.05),
        "SES" | "Theta" | "Croston" => (2.0, 2.0),
        "Holt" => (5.0, 5.0),
        "HoltWinters" => (60.0, 5.0),
        "MSTL" => (40.0, 10.0),
        "AutoTheta" => (60.0, 30.0),
        "AutoETS" => (80.0, 40.0),
        "AutoARIMA" => (3_000.0, 300.0),
        "TBATS" => (3_000.0, 500.0),
        _ => (100.0, 100.0),
    }
}

/// Estimated cost of one fit on `n` points, ms.
pub fn cost(model: &str, n: usize, seasonal: bool) -> f64 {
    let (s, ns) = cost_per_1000(model);
    (if seasonal { s } else { ns }) * n as f64 / 1_000.0
}

/// Routes a series.
pub fn route(priority: Priority, input: &RouteInput) -> Route {
    let seasonal = input.season > 1 && input.n >= 2 * input.season;
    let mut reasons = Vec::new();
    if input.season > 1 && !seasonal {
        reasons.push(format!(
            "{} points are fewer than two seasons of {}: treated as non-seasonal",
            input.n, input.season
        ));
    }
    let single = |model: &str, reasons: Vec<String>| Route {
        priority,
        strategy: Strategy::Single,
        model: model.to_owned(),
        candidates: vec![model.to_owned()],
        reasons,
    };
    if input.zero_share >= 0.3 {
        reasons.push(format!(
            "{:.0} % of the values are zero: intermittent series, Croston",
            100.0 * input.zero_share
        ));
        return single("Croston", reasons);
    }
    let fits = input.folds.max(1) + 1;
    let affordable = |m: &str, fits: usize| {
        input
            .budget_ms
            .is_none_or(|b| cost(m, input.n, seasonal) * fits as f64 <= b)
    };
    let mut candidates: Vec<&str> = vec!["AutoETS", "AutoTheta", "AutoARIMA"];
    if seasonal {
        candidates.extend(["MSTL", "TBATS"]);
    }
    match priority {
        Priority::Realtime => {
            let m = if input.n < 10 { "Naive" } else { "Theta" };
            reasons.push("realtime: the cheapest model that still fits a trend".into());
            single(m, reasons)
        }
        Priority::Fast => {
            let m = if seasonal { "MSTL" } else { "Holt" };
            reasons.push(format!("fast: {m} fits in a few ms per 1,000 points"));
            single(m, reasons)
        }
        Priority::Balanced => {
            let best = input
                .past
                .iter()
                .filter(|(m, s)| s.is_finite() && affordable(m, 1))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((m, s)) => {
                    reasons.push(format!(
                        "balanced: best past backtest on this series ({m}, MASE {s:.3})"
                    ));
                    single(m, reasons)
                }
                None => {
                    let m = if affordable("AutoETS", 1) {
                        "AutoETS"
                    } else {
                        "Theta"
                    };
                    reasons.push(format!("balanced: no past backtest on this series; {m}"));
                    single(m, reasons)
                }
            }
        }
        Priority::Accurate | Priority::Research => {
            let kept: Vec<String> = candidates
                .iter()
                .filter(|m| affordable(m, fits))
                .map(|m| (*m).to_owned())
                .collect();
            let dropped: Vec<&str> = candidates
                .iter()
                .filter(|m| !kept.iter().any(|k| k == *m))
                .copied()
                .collect();
            if !dropped.is_empty() {
                reasons.push(format!("over the time budget: {}", dropped.join(", ")));
            }
            if kept.is_empty() {
                reasons.push("no candidate fits the budget: Theta".into());
                return single("Theta", reasons);
            }
            let strategy = if priority == Priority::Accurate {
                reasons.push(format!(
                    "accurate: backtest {} and keep the best MASE",
                    kept.join(", ")
                ));
                Strategy::SelectByBacktest
            } else {
                reasons.push(format!(
                    "research: backtest {} and take the median of the best three",
                    kept.join(", ")
                ));
                Strategy::Ensemble
            };
            Route {
                priority,
                strategy,
                model: kept[0].clone(),
                candidates: kept,
                reasons,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(n: usize, season: usize) -> RouteInput {
        RouteInput {
            n,
            season,
            folds: 3,
            ..RouteInput::default()
        }
    }

    #[test]
    fn priorities_route_as_documented() {
        assert_eq!(route(Priority::Realtime, &input(500, 24)).model, "Theta");
        assert_eq!(route(Priority::Fast, &input(500, 24)).model, "MSTL");
        assert_eq!(route(Priority::Fast, &input(30, 24)).model, "Holt");
        assert_eq!(route(Priority::Balanced, &input(500, 1)).model, "AutoETS");
        let mut i = input(500, 1);
        i.past = vec![("AutoTheta".into(), 0.9), ("AutoETS".into(), 1.1)];
        assert_eq!(route(Priority::Balanced, &i).model, "AutoTheta");
        let r = route(Priority::Accurate, &input(2_000, 24));
        assert_eq!(r.strategy, Strategy::SelectByBacktest);
        assert_eq!(r.candidates.len(), 5);
        let mut z = input(100, 1);
        z.zero_share = 0.5;
        assert_eq!(route(Priority::Accurate, &z).model, "Croston");
    }

    #[test]
    fn the_budget_drops_expensive_candidates() {
        let mut i = input(3_000, 24);
        i.budget_ms = Some(2_000.0);
        let r = route(Priority::Research, &i);
        assert!(
            !r.candidates
                .iter()
                .any(|m| m == "AutoARIMA" || m == "TBATS"),
            "{r:?}"
        );
        assert_eq!(r.strategy, Strategy::Ensemble);
    }
}
