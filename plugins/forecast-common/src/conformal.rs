//! Split-conformal prediction intervals for models that give none of their own.
//!
//! The model is refit at up to `K` earlier origins; the absolute errors of its `j`-step-ahead
//! forecasts there calibrate the width of step `j`: the `⌈(K + 1)·level⌉`-th smallest of the `K`
//! errors (the finite-sample conformal quantile; with too few errors the largest one, and the
//! interval is flagged as approximate). Widths are made non-decreasing in `j`.

use crate::Prediction;
use orderflow_tool_sdk::SdkError;

/// Calibration folds.
pub const FOLDS: usize = 8;

/// Adds a conformal interval to `point` (a forecast from the whole of `values`).
///
/// # Errors
/// Never for a usable series; the forecaster's error when no calibration fold succeeds.
pub fn widen(
    values: &[f64],
    mut point: Prediction,
    min_train: usize,
    forecast: &mut crate::ForecastFn<'_>,
) -> Result<Prediction, SdkError> {
    let h = point.mean.len();
    let n = values.len();
    let mut errors: Vec<Vec<f64>> = vec![Vec::new(); h];
    // Origins spaced so that the folds cover distinct recent stretches.
    let spacing = (h / 2).max(1);
    let mut last_err = None;
    for k in 0..FOLDS {
        let Some(o) = n.checked_sub(h + k * spacing) else {
            break;
        };
        if o < min_train {
            break;
        }
        match forecast(&values[..o], h, point.level) {
            Ok(p) if p.mean.len() >= h => {
                for j in 0..h {
                    let e = (values[o + j] - p.mean[j]).abs();
                    if e.is_finite() {
                        errors[j].push(e);
                    }
                }
            }
            Ok(_) => {}
            Err(e) => last_err = Some(e),
        }
    }
    if errors[0].is_empty() {
        return Err(last_err.unwrap_or_else(|| {
            SdkError::invalid_args("series too short to calibrate a conformal interval")
        }));
    }
    let mut prev = 0.0f64;
    point.lower.clear();
    point.upper.clear();
    for (j, e) in errors.iter_mut().enumerate() {
        // Steps without errors of their own (short series) borrow the previous width.
        let q = if e.is_empty() {
            prev
        } else {
            e.sort_by(f64::total_cmp);
            let k = e.len();
            let rank = ((k + 1) as f64 * point.level).ceil() as usize;
            e[rank.clamp(1, k) - 1]
        };
        let w = q.max(prev);
        prev = w;
        point.lower.push(point.mean[j] - w);
        point.upper.push(point.mean[j] + w);
    }
    point.intervals = "conformal";
    Ok(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_the_conformal_quantile_of_past_errors() {
        // A flat forecaster on a line of slope 1: the j-step error is always j + 1.
        let y: Vec<f64> = (0..100).map(f64::from).collect();
        let mut flat = |train: &[f64], h: usize, level: f64| {
            Ok(Prediction::point(vec![train[train.len() - 1]; h], level))
        };
        let p = flat(&y, 3, 0.9).unwrap();
        let p = widen(&y, p, 10, &mut flat).unwrap();
        assert_eq!(p.intervals, "conformal");
        for j in 0..3 {
            assert!((p.upper[j] - p.mean[j] - (j as f64 + 1.0)).abs() < 1e-12);
            assert!((p.mean[j] - p.lower[j] - (j as f64 + 1.0)).abs() < 1e-12);
        }
    }
}
