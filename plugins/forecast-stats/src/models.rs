//! The statistical models, each fitted by anofox-forecast, with a prediction interval on every
//! forecast: the model's own where it has one, split-conformal otherwise.

use anofox_forecast::core::TimeSeries;
use anofox_forecast::models::Forecaster;
use anofox_forecast::models::arima::AutoARIMA;
use anofox_forecast::models::baseline::{Naive, RandomWalkWithDrift, SeasonalNaive};
use anofox_forecast::models::exponential::{
    AutoETS, HoltLinearTrend, HoltWinters, SeasonalType, SimpleExponentialSmoothing,
};
use anofox_forecast::models::intermittent::Croston;
use anofox_forecast::models::theta::{AutoTheta, Theta};
use anofox_forecast::models::{AutoTBATS, MSTLForecaster};
use chrono::{DateTime, Duration, Utc};
use orderflow_forecast_common::{Prediction, conformal};
use orderflow_tool_sdk::{ErrorKind, SdkError};

/// Every model this plugin fits: (name, needs a season, what it is).
pub const MODELS: [(&str, bool, &str); 13] = [
    ("Naive", false, "last value"),
    ("SeasonalNaive", true, "value one season ago"),
    (
        "Drift",
        false,
        "random walk with drift (line through first and last value)",
    ),
    (
        "SES",
        false,
        "simple exponential smoothing, alpha optimised",
    ),
    (
        "Holt",
        false,
        "Holt's linear trend, damped, parameters optimised",
    ),
    (
        "HoltWinters",
        true,
        "additive Holt-Winters, parameters optimised",
    ),
    (
        "AutoETS",
        false,
        "ETS state-space models selected by AICc (seasonal candidates when a season is given)",
    ),
    (
        "AutoARIMA",
        false,
        "ARIMA/SARIMA selected by stepwise AICc search",
    ),
    ("Theta", false, "standard Theta method (SES with drift)"),
    (
        "AutoTheta",
        false,
        "Theta family (STM, OTM, DSTM, DOTM) selected by MSE",
    ),
    (
        "MSTL",
        true,
        "multiple-seasonal STL decomposition, ETS on the trend, seasonal naive on the seasons",
    ),
    (
        "TBATS",
        true,
        "trigonometric seasonality, Box-Cox, ARMA errors, trend; automatic configuration",
    ),
    (
        "Croston",
        false,
        "Croston's method for intermittent demand (SBA-free classic)",
    ),
];

/// Whether `name` is a model.
pub fn known(name: &str) -> bool {
    MODELS.iter().any(|(m, _, _)| *m == name)
}

fn series(values: &[f64]) -> Result<TimeSeries, SdkError> {
    // anofox wants timestamps; the models only use the spacing, so an hourly grid is enough.
    let start = DateTime::<Utc>::UNIX_EPOCH;
    let ts = (0..values.len() as i64)
        .map(|i| start + Duration::hours(i))
        .collect();
    TimeSeries::univariate(ts, values.to_vec())
        .map_err(|e| SdkError::invalid_args(format!("series: {e}")))
}

fn model(name: &str, season: usize) -> Result<Box<dyn Forecaster>, SdkError> {
    let s = season.max(1);
    let seasonal = s > 1;
    let need = |what: &str| {
        SdkError::invalid_args(format!(
            "{what} needs a season of at least 2 (the season argument)"
        ))
    };
    Ok(match name {
        "Naive" => Box::new(Naive::new()),
        "SeasonalNaive" if seasonal => Box::new(SeasonalNaive::new(s)),
        "Drift" => Box::new(RandomWalkWithDrift::new()),
        "SES" => Box::new(SimpleExponentialSmoothing::auto()),
        "Holt" => Box::new(HoltLinearTrend::auto_damped()),
        "HoltWinters" if seasonal => Box::new(HoltWinters::auto(s, SeasonalType::Additive)),
        "AutoETS" if seasonal => Box::new(AutoETS::with_period(s)),
        "AutoETS" => Box::new(AutoETS::non_seasonal()),
        "AutoARIMA" if seasonal => Box::new(AutoARIMA::seasonal(s)),
        "AutoARIMA" => Box::new(AutoARIMA::new()),
        "Theta" => Box::new(Theta::new()),
        "AutoTheta" if seasonal => Box::new(AutoTheta::seasonal(s)),
        "AutoTheta" => Box::new(AutoTheta::new()),
        "MSTL" if seasonal => Box::new(MSTLForecaster::new(vec![s])),
        "TBATS" if seasonal => Box::new(AutoTBATS::new(vec![s])),
        "Croston" => Box::new(Croston::new()),
        "SeasonalNaive" | "HoltWinters" | "MSTL" | "TBATS" => return Err(need(name)),
        other => {
            return Err(SdkError::new(
                ErrorKind::NotFound,
                format!("unknown model {other:?}; see list_forecast_models"),
            ));
        }
    })
}

/// Fits `name` on `values` and forecasts `h` steps with the model's own interval (which may
/// be absent: lower = upper).
///
/// # Errors
/// Unknown model, missing season, a fit that fails or gives non-finite values.
pub fn fit_predict_raw(
    name: &str,
    values: &[f64],
    h: usize,
    level: f64,
    season: usize,
) -> Result<Prediction, SdkError> {
    let mut m = model(name, season)?;
    let ts = series(values)?;
    m.fit(&ts)
        .map_err(|e| SdkError::new(ErrorKind::Unavailable, format!("{name}: fit failed: {e}")))?;
    let f = m.predict_with_intervals(h, level).map_err(|e| {
        SdkError::new(
            ErrorKind::Unavailable,
            format!("{name}: predict failed: {e}"),
        )
    })?;
    let mean = f.primary().to_vec();
    if mean.len() < h || mean.iter().any(|v| !v.is_finite()) {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("{name}: forecast is not finite"),
        ));
    }
    let mut p = Prediction::point(mean, level);
    if let (Ok(lo), Ok(hi)) = (f.lower_series(0), f.upper_series(0))
        && lo.len() >= h
        && hi.len() >= h
    {
        p.lower = lo[..h].to_vec();
        p.upper = hi[..h].to_vec();
        if p.has_interval() {
            p.intervals = "model";
        } else {
            p.lower = p.mean.clone();
            p.upper = p.mean.clone();
        }
    }
    Ok(p)
}

/// Shortest training part a calibration or backtest fit may use.
pub fn min_train(season: usize) -> usize {
    (2 * season.max(1)).max(10)
}

/// Fits and forecasts with an interval: the model's own, or conformal when it has none.
///
/// # Errors
/// As [`fit_predict_raw`].
pub fn fit_predict(
    name: &str,
    values: &[f64],
    h: usize,
    level: f64,
    season: usize,
) -> Result<Prediction, SdkError> {
    let p = fit_predict_raw(name, values, h, level, season)?;
    if p.intervals == "model" {
        return Ok(p);
    }
    let mut f =
        |train: &[f64], h: usize, level: f64| fit_predict_raw(name, train, h, level, season);
    conformal::widen(values, p, min_train(season), &mut f)
}

/// Forecasts the conditional volatility (standard deviation of the next returns) with a
/// GARCH(1,1) fitted on `returns`.
///
/// # Errors
/// Too few returns, a failed fit.
pub fn garch_volatility(returns: &[f64], h: usize) -> Result<(Vec<f64>, [f64; 3]), SdkError> {
    use anofox_forecast::models::GARCH;
    if returns.len() < 30 {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("GARCH needs at least 30 returns, got {}", returns.len()),
        ));
    }
    let mut g = GARCH::garch_1_1();
    g.fit(&series(returns)?)
        .map_err(|e| SdkError::new(ErrorKind::Unavailable, format!("GARCH fit failed: {e}")))?;
    let var = g.forecast_variance(h).map_err(|e| {
        SdkError::new(
            ErrorKind::Unavailable,
            format!("GARCH forecast failed: {e}"),
        )
    })?;
    let params = [
        g.omega(),
        g.alpha_params().first().copied().unwrap_or(f64::NAN),
        g.beta_params().first().copied().unwrap_or(f64::NAN),
    ];
    Ok((var.iter().map(|v| v.max(0.0).sqrt()).collect(), params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal_series(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                100.0
                    + 0.1 * i as f64
                    + 5.0 * ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
            })
            .collect()
    }

    #[test]
    fn every_model_forecasts_finite_values_with_an_interval() {
        let y = seasonal_series(24 * 12);
        for (name, _, _) in MODELS {
            let season = if name == "Croston" { 1 } else { 24 };
            let p =
                fit_predict(name, &y, 12, 0.9, season).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.mean.len(), 12, "{name}");
            assert!(p.is_finite(), "{name}");
            assert!(p.has_interval(), "{name} has no interval");
            for j in 0..12 {
                assert!(
                    p.lower[j] <= p.mean[j] && p.mean[j] <= p.upper[j],
                    "{name} step {j}"
                );
            }
        }
    }

    #[test]
    fn seasonal_models_refuse_a_missing_season_and_unknown_models_are_not_found() {
        let y = seasonal_series(100);
        assert_eq!(
            fit_predict("MSTL", &y, 3, 0.9, 1).unwrap_err().kind,
            ErrorKind::InvalidArgs
        );
        assert_eq!(
            fit_predict("Prophet9", &y, 3, 0.9, 1).unwrap_err().kind,
            ErrorKind::NotFound
        );
    }

    #[test]
    fn naive_is_the_last_value_and_seasonal_naive_repeats_the_season() {
        let y = seasonal_series(72);
        let p = fit_predict_raw("Naive", &y, 3, 0.9, 1).unwrap();
        assert_eq!(p.mean, vec![y[71]; 3]);
        let p = fit_predict_raw("SeasonalNaive", &y, 24, 0.9, 24).unwrap();
        assert_eq!(p.mean, y[48..72].to_vec());
    }

    #[test]
    fn garch_volatility_is_positive() {
        // Deterministic pseudo-returns with volatility clusters.
        let r: Vec<f64> = (0..500)
            .map(|i| {
                let x = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
                x * if (i / 50) % 2 == 0 { 0.01 } else { 0.03 }
            })
            .collect();
        let (vol, _) = garch_volatility(&r, 5).unwrap();
        assert_eq!(vol.len(), 5);
        assert!(vol.iter().all(|v| *v > 0.0 && v.is_finite()));
    }
}
