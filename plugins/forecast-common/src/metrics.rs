//! Forecast accuracy metrics and the S–F grade.
//!
//! MASE is scaled by the in-sample one-step naive MAE of the training part
//! (`mean |y_t − y_{t−m}|`, `m` = 1 unless a season is given), the definition of Hyndman &
//! Koehler (2006) that statsforecast's `mase(…, seasonality=m)` also uses.

use serde::Serialize;

/// Mean absolute error.
pub fn mae(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(a, f)| (a - f).abs()))
}

/// Root mean squared error.
pub fn rmse(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(a, f)| (a - f).powi(2))).sqrt()
}

/// Symmetric MAPE in percent (0–200): `mean 200·|a − f| / (|a| + |f|)`, a term with
/// `a = f = 0` counting 0.
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(a, f)| {
        let d = a.abs() + f.abs();
        if d == 0.0 {
            0.0
        } else {
            200.0 * (a - f).abs() / d
        }
    }))
}

/// The MASE scale of a training series: in-sample MAE of the naive (season `m`) forecast.
/// `None` when the series is too short or constant.
pub fn mase_scale(train: &[f64], m: usize) -> Option<f64> {
    let m = m.max(1);
    if train.len() <= m {
        return None;
    }
    let s = mean(train.windows(m + 1).map(|w| (w[m] - w[0]).abs()));
    (s > 0.0 && s.is_finite()).then_some(s)
}

/// Mean absolute scaled error of `forecast` against `actual`, scaled on `train`.
pub fn mase(train: &[f64], actual: &[f64], forecast: &[f64], m: usize) -> Option<f64> {
    mase_scale(train, m).map(|s| mae(actual, forecast) / s)
}

/// Share of `actual` values inside `[lower, upper]` (0–1).
pub fn coverage(actual: &[f64], lower: &[f64], upper: &[f64]) -> f64 {
    mean(
        actual
            .iter()
            .zip(lower.iter().zip(upper))
            .map(|(a, (l, u))| if a >= l && a <= u { 1.0 } else { 0.0 }),
    )
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// The backtest grade, S (best) to F.
///
/// From the mean MASE against the one-step naive scale: S < 0.80, A < 0.95, B < 1.05,
/// C < 1.20, D < 1.50, F otherwise — a model no better than naive on these folds gets B or
/// worse. The grade then drops one letter when the interval coverage misses its nominal level
/// by more than 15 points (over- or under-confident intervals), never below F.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Grade {
    /// Clearly better than naive.
    S,
    /// Better than naive.
    A,
    /// About naive.
    B,
    /// Slightly worse than naive.
    C,
    /// Worse than naive.
    D,
    /// Much worse, or no valid folds.
    F,
}

impl Grade {
    /// The grade of a mean MASE and an interval coverage against its nominal level.
    pub fn of(mase: f64, coverage: f64, level: f64) -> Self {
        let by_error = if !mase.is_finite() {
            Self::F
        } else if mase < 0.80 {
            Self::S
        } else if mase < 0.95 {
            Self::A
        } else if mase < 1.05 {
            Self::B
        } else if mase < 1.20 {
            Self::C
        } else if mase < 1.50 {
            Self::D
        } else {
            Self::F
        };
        if coverage.is_finite() && (coverage - level).abs() > 0.15 {
            by_error.lower()
        } else {
            by_error
        }
    }

    fn lower(self) -> Self {
        match self {
            Self::S => Self::A,
            Self::A => Self::B,
            Self::B => Self::C,
            Self::C => Self::D,
            Self::D | Self::F => Self::F,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let train = [1.0, 3.0, 2.0, 4.0];
        // naive in-sample errors 2, 1, 2 → scale 5/3.
        assert!((mase_scale(&train, 1).unwrap() - 5.0 / 3.0).abs() < 1e-12);
        let (a, f) = ([5.0, 6.0], [4.0, 8.0]);
        assert_eq!(mae(&a, &f), 1.5);
        assert!((mase(&train, &a, &f, 1).unwrap() - 0.9).abs() < 1e-12);
        assert!((rmse(&a, &f) - (2.5f64).sqrt()).abs() < 1e-12);
        assert!((smape(&a, &f) - 0.5 * (200.0 / 9.0 + 400.0 / 14.0)).abs() < 1e-9);
        assert_eq!(coverage(&a, &[4.0, 7.0], &[6.0, 9.0]), 0.5);
        assert_eq!(mase_scale(&[2.0, 2.0, 2.0], 1), None);
    }

    #[test]
    fn grades() {
        assert_eq!(Grade::of(0.5, 0.9, 0.9), Grade::S);
        assert_eq!(Grade::of(1.0, 0.9, 0.9), Grade::B);
        assert_eq!(Grade::of(1.0, 0.5, 0.9), Grade::C);
        assert_eq!(Grade::of(3.0, 0.0, 0.9), Grade::F);
        assert_eq!(Grade::of(f64::NAN, 0.9, 0.9), Grade::F);
    }
}
