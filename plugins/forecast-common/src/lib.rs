//! # orderflow-forecast-common — what every forecasting plugin shares
//!
//! * [`input`]: the series a tool works on — inline `values`, or a `(venue, symbol)` series read
//!   from the host through the SDK's `series` op (bars, mid prices, any feature's history);
//! * [`metrics`]: MAE, RMSE, sMAPE, MASE, interval coverage and the S–F grade;
//! * [`backtest`]: rolling-origin cross-validation of any forecaster;
//! * [`conformal`]: split-conformal prediction intervals for models without their own;
//! * [`router`]: the model router (priorities realtime / fast / balanced / accurate / research);
//! * [`tool`]: descriptor and argument helpers.
//!
//! Pure functions over `f64` slices: the plugins and their tests use the same code paths.

pub mod backtest;
pub mod conformal;
pub mod input;
pub mod metrics;
pub mod router;
pub mod tool;

use orderflow_tool_sdk::SdkError;
use serde::Serialize;

/// A forecaster as backtests and calibration call it: `(training values, horizon, level)`.
pub type ForecastFn<'a> = dyn FnMut(&[f64], usize, f64) -> Result<Prediction, SdkError> + 'a;

/// A forecast with its prediction interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// Point forecast per step.
    pub mean: Vec<f64>,
    /// Lower bound per step.
    pub lower: Vec<f64>,
    /// Upper bound per step.
    pub upper: Vec<f64>,
    /// Nominal coverage of the interval (0–1).
    pub level: f64,
    /// Where the interval comes from: `model` (the model's own distribution) or `conformal`.
    pub intervals: &'static str,
}

impl Prediction {
    /// A point forecast whose interval is still to be set.
    pub fn point(mean: Vec<f64>, level: f64) -> Self {
        Self {
            lower: mean.clone(),
            upper: mean.clone(),
            mean,
            level,
            intervals: "none",
        }
    }

    /// True when the interval has width somewhere (a model that gives none leaves lower = upper).
    pub fn has_interval(&self) -> bool {
        self.lower.len() == self.mean.len()
            && self.upper.len() == self.mean.len()
            && self
                .lower
                .iter()
                .zip(&self.upper)
                .any(|(l, u)| u - l > 0.0 && l.is_finite() && u.is_finite())
    }

    /// True when every value is finite.
    pub fn is_finite(&self) -> bool {
        self.mean.iter().all(|v| v.is_finite())
    }
}
