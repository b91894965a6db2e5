//! Rolling-origin cross-validation ("evaluation on a rolling forecasting origin").
//!
//! Fold `k` of `K` trains on `y[..o_k]` and forecasts `y[o_k..o_k + h]`, with the origins
//! `o_k = n − h − (K − 1 − k)·step` (the last fold ends at the last point). Each fold reports
//! MASE (scaled on its own training part), sMAPE, MAE, interval coverage and fit time; the
//! report averages them and grades the model.

use crate::metrics::{Grade, coverage, mae, mase, rmse, smape};
use orderflow_tool_sdk::SdkError;
use serde::Serialize;
use std::time::Instant;

/// How to cut the folds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BacktestConfig {
    /// Number of folds.
    pub folds: usize,
    /// Steps forecast per fold.
    pub horizon: usize,
    /// Distance between origins (default: the horizon, non-overlapping test windows).
    pub step: usize,
    /// Nominal interval coverage.
    pub level: f64,
    /// Season for the MASE scale (1 = one-step naive).
    pub mase_season: usize,
    /// Shortest training part allowed.
    pub min_train: usize,
}

/// One fold's scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fold {
    /// Index of the first forecast point.
    pub origin: usize,
    /// MASE (NaN when the training part is constant).
    pub mase: f64,
    /// sMAPE, %.
    pub smape: f64,
    /// MAE.
    pub mae: f64,
    /// RMSE.
    pub rmse: f64,
    /// Share of actual values inside the interval.
    pub coverage: f64,
    /// Fit + predict time, ms.
    pub fit_ms: f64,
}

/// The folds and their means.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// Horizon.
    pub horizon: usize,
    /// Interval level.
    pub level: f64,
    /// Per fold.
    pub folds: Vec<Fold>,
    /// Mean MASE over folds with a scale.
    pub mase: f64,
    /// Mean sMAPE.
    pub smape: f64,
    /// Mean MAE.
    pub mae: f64,
    /// Mean RMSE.
    pub rmse: f64,
    /// Mean coverage.
    pub coverage: f64,
    /// Median fit + predict time, ms.
    pub fit_ms_median: f64,
    /// S–F grade.
    pub grade: Grade,
    /// Folds whose forecast failed (error text), not scored.
    pub failed: Vec<String>,
}

/// The fold origins for `n` points, oldest first.
///
/// # Errors
/// Too short for even one fold.
pub fn origins(n: usize, cfg: &BacktestConfig) -> Result<Vec<usize>, SdkError> {
    let h = cfg.horizon.max(1);
    let step = cfg.step.max(1);
    let mut out = Vec::new();
    for k in 0..cfg.folds.max(1) {
        let back = h + k * step;
        match n.checked_sub(back) {
            Some(o) if o >= cfg.min_train.max(2) => out.push(o),
            _ => break,
        }
    }
    if out.is_empty() {
        return Err(SdkError::invalid_args(format!(
            "{n} points are too few for a backtest with horizon {h} and at least {} training points",
            cfg.min_train
        )));
    }
    out.reverse();
    Ok(out)
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// The median of a slice (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

/// Backtests `forecast(train, horizon, level)` on `values`.
///
/// # Errors
/// Too few points; every fold failed.
pub fn run(
    model: &str,
    values: &[f64],
    cfg: &BacktestConfig,
    forecast: &mut crate::ForecastFn<'_>,
) -> Result<Report, SdkError> {
    let h = cfg.horizon.max(1);
    let mut folds = Vec::new();
    let mut failed = Vec::new();
    for o in origins(values.len(), cfg)? {
        let (train, test) = (&values[..o], &values[o..o + h]);
        let t0 = Instant::now();
        match forecast(train, h, cfg.level) {
            Ok(p) if p.mean.len() >= h && p.is_finite() => {
                let fit_ms = t0.elapsed().as_secs_f64() * 1e3;
                let f = &p.mean[..h];
                folds.push(Fold {
                    origin: o,
                    mase: mase(train, test, f, cfg.mase_season).unwrap_or(f64::NAN),
                    smape: smape(test, f),
                    mae: mae(test, f),
                    rmse: rmse(test, f),
                    coverage: coverage(
                        test,
                        &p.lower[..h.min(p.lower.len())],
                        &p.upper[..h.min(p.upper.len())],
                    ),
                    fit_ms,
                });
            }
            Ok(_) => failed.push(format!("origin {o}: forecast not finite or too short")),
            Err(e) => failed.push(format!("origin {o}: {}", e.message)),
        }
    }
    if folds.is_empty() {
        return Err(SdkError::new(
            orderflow_tool_sdk::ErrorKind::Unavailable,
            format!("{model}: every fold failed: {}", failed.join("; ")),
        ));
    }
    let m = mean(folds.iter().map(|f| f.mase));
    let cov = mean(folds.iter().map(|f| f.coverage));
    let times: Vec<f64> = folds.iter().map(|f| f.fit_ms).collect();
    Ok(Report {
        model: model.to_owned(),
        horizon: h,
        level: cfg.level,
        mase: m,
        smape: mean(folds.iter().map(|f| f.smape)),
        mae: mean(folds.iter().map(|f| f.mae)),
        rmse: mean(folds.iter().map(|f| f.rmse)),
        coverage: cov,
        fit_ms_median: median(&times),
        grade: Grade::of(m, cov, cfg.level),
        folds,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prediction;

    fn cfg(folds: usize, h: usize) -> BacktestConfig {
        BacktestConfig {
            folds,
            horizon: h,
            step: h,
            level: 0.9,
            mase_season: 1,
            min_train: 3,
        }
    }

    #[test]
    fn origins_end_at_the_last_point_and_skip_short_training() {
        assert_eq!(origins(20, &cfg(3, 4)).unwrap(), vec![8, 12, 16]);
        assert_eq!(origins(10, &cfg(5, 4)).unwrap(), vec![6]);
        assert!(origins(5, &cfg(2, 4)).is_err());
    }

    #[test]
    fn a_perfect_forecaster_scores_zero_and_a_naive_one_scores_its_definition() {
        let y: Vec<f64> = (0..30).map(|i| f64::from(i) * 2.0).collect();
        let mut perfect = |train: &[f64], h: usize, level: f64| {
            let last = train[train.len() - 1];
            Ok(Prediction::point(
                (1..=h).map(|k| last + 2.0 * k as f64).collect(),
                level,
            ))
        };
        let r = run("perfect", &y, &cfg(3, 5), &mut perfect).unwrap();
        assert_eq!(r.folds.len(), 3);
        assert!(r.mase.abs() < 1e-12 && r.smape.abs() < 1e-9);
        // A flat forecast on a line of slope 2: errors 2,4,…,10 → MAE 6, scale 2 → MASE 3.
        let mut flat = |train: &[f64], h: usize, level: f64| {
            Ok(Prediction::point(vec![train[train.len() - 1]; h], level))
        };
        let r = run("naive", &y, &cfg(2, 5), &mut flat).unwrap();
        assert!((r.mase - 3.0).abs() < 1e-12, "{}", r.mase);
        assert_eq!(r.grade, Grade::F);
    }
}
