//! The plugin's tools.

use crate::model::{self, Learner, Settings};
use orderflow_forecast_common::backtest::{self, BacktestConfig};
use orderflow_forecast_common::input::{self, Input};
use orderflow_forecast_common::tool::{done, number, series_tool, string, uint};
use orderflow_forecast_common::{Prediction, conformal};
use orderflow_tool_sdk::prelude::*;
use orderflow_tool_sdk::{ErrorKind, SdkError, fetch_series};
use serde_json::{Value, json};
use std::time::Instant;

/// Covariates read for a venue/symbol series when none are named.
pub const DEFAULT_COVARIATES: [&str; 4] =
    ["cvd", "depth_imbalance_5", "funding_rate", "open_interest"];

fn props(extra: Value) -> Value {
    let mut m = json!({
        "horizon": {"type": "integer", "minimum": 1, "maximum": 200, "default": 12, "description": "steps ahead (recursive)"},
        "level": {"type": "number", "minimum": 0.5, "maximum": 0.99, "default": 0.9},
        "lags": {"type": "integer", "minimum": 1, "maximum": 100, "default": 12, "description": "return lags used as features"},
        "covariates": {"type": "array", "items": {"type": "string"}, "maxItems": 10,
            "description": "feature names whose stored history joins the lags (venue/symbol series; default cvd, depth_imbalance_5, funding_rate, open_interest; [] for none)"},
        "covariate_values": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "number"}},
            "description": "inline covariates (with inline values): name → one value per point"},
        "lambda": {"type": "number", "minimum": 0, "maximum": 1000000, "default": 1.0, "description": "ridge penalty"},
        "budget": {"type": "number", "minimum": 0.1, "maximum": 2.0, "default": 0.5, "description": "GBDT budget (perpetual)"}
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut m, extra) {
        o.extend(e);
    }
    m
}

/// Every tool's descriptor.
pub fn descriptors() -> Vec<ToolDescriptor> {
    let model = json!({"model": {"type": "string", "enum": ["gbdt", "ridge"], "default": "gbdt"}});
    vec![
        series_tool(
            "forecast_ml",
            "Machine-learning forecast of a series' next prices: gradient-boosted trees (perpetual) or ridge regression on its return lags and order-flow covariates (CVD, depth imbalance, funding, open interest …), with a split-conformal interval per step.",
            props(model.clone()),
        ),
        series_tool(
            "forecast_gbdt",
            "Gradient-boosted-trees forecast (perpetual) on return lags and order-flow covariates, with a conformal interval.",
            props(json!({})),
        ),
        series_tool(
            "forecast_ridge",
            "Ridge-regression forecast on return lags and order-flow covariates, with a conformal interval and the coefficients.",
            props(json!({})),
        ),
        series_tool(
            "ml_feature_importance",
            "Which lags and order-flow covariates drive the ML model: GBDT total-gain share or |z-scored ridge coefficient| share.",
            props(model.clone()),
        ),
        series_tool(
            "backtest_ml",
            "Rolling-origin backtest of the GBDT or ridge model: MASE, sMAPE, coverage, grade.",
            props({
                let mut m = model;
                m["folds"] = json!({"type": "integer", "minimum": 1, "maximum": 20, "default": 3});
                m
            }),
        ),
    ]
}

/// Named covariate series, each aligned with the target's points.
type Covariates = Vec<(String, Vec<f64>)>;

struct Call {
    args: Value,
    input: Input,
    covs: Vec<(String, Vec<f64>)>,
    skipped: Vec<Value>,
    settings: Settings,
    h: usize,
    level: f64,
}

/// Reads the covariates and aligns them with the series' timestamps (the last value at or
/// before each point; points before a covariate's first value take its first value).
fn covariates(
    args: &Value,
    input: &Input,
    host: &HostViewRef<'_>,
) -> Result<(Covariates, Vec<Value>), SdkError> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    if let Some(obj) = args.get("covariate_values").and_then(Value::as_object) {
        for (name, v) in obj {
            let vals: Vec<f64> = v
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            if vals.len() != input.values.len() {
                return Err(SdkError::invalid_args(format!(
                    "covariate {name} has {} values for {} points",
                    vals.len(),
                    input.values.len()
                )));
            }
            out.push((name.clone(), vals));
        }
        return Ok((out, skipped));
    }
    let (Some(venue), Some(symbol)) = (
        args.get("venue").and_then(Value::as_str),
        args.get("symbol").and_then(Value::as_str),
    ) else {
        return Ok((out, skipped));
    };
    let names: Vec<String> = match args.get("covariates").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => DEFAULT_COVARIATES.iter().map(|s| (*s).to_owned()).collect(),
    };
    for name in names {
        let req = SeriesRequest::new(
            SeriesKind::Feature,
            venue,
            symbol,
            input.interval_s,
            &name,
            input.values.len() + 10,
        );
        match fetch_series(host, &req) {
            Ok(s) if !s.values.is_empty() => {
                let mut j = 0;
                let aligned: Vec<f64> = input
                    .ts_ms
                    .iter()
                    .map(|t| {
                        while j + 1 < s.ts_ms.len() && s.ts_ms[j + 1] <= *t {
                            j += 1;
                        }
                        s.values[j]
                    })
                    .collect();
                out.push((name, aligned));
            }
            Ok(_) => skipped.push(json!({"covariate": name, "reason": "no history"})),
            Err(e) if e.kind == ErrorKind::InvalidArgs => return Err(e),
            Err(e) => skipped.push(json!({"covariate": name, "reason": e.message.to_string()})),
        }
    }
    Ok((out, skipped))
}

fn prepare(args: &str, host: &HostViewRef<'_>) -> Result<Call, SdkError> {
    let args: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments: {e}")))?;
    let lags = uint(&args, "lags", 12, 1, 100)? as usize;
    let input = input::read(&args, host, lags + 22)?;
    let (covs, skipped) = covariates(&args, &input, host)?;
    let settings = Settings {
        lags,
        lambda: number(&args, "lambda", 1.0, 0.0, 1e6)?,
        budget: number(&args, "budget", 0.5, 0.1, 2.0)? as f32,
    };
    let h = uint(&args, "horizon", 12, 1, 200)? as usize;
    let level = number(&args, "level", 0.9, 0.5, 0.99)?;
    Ok(Call {
        args,
        input,
        covs,
        skipped,
        settings,
        h,
        level,
    })
}

fn learner_of(name: &str, args: &Value) -> Result<Learner, SdkError> {
    let m = match name {
        "forecast_gbdt" => "gbdt",
        "forecast_ridge" => "ridge",
        _ => string(args, "model", "gbdt"),
    };
    Learner::parse(m)
        .ok_or_else(|| SdkError::invalid_args(format!("unknown model {m:?}: gbdt or ridge")))
}

fn slice_covs(covs: &[(String, Vec<f64>)], n: usize) -> Vec<(String, Vec<f64>)> {
    covs.iter()
        .map(|(k, v)| (k.clone(), v[..n].to_vec()))
        .collect()
}

fn forecaster<'a>(
    learner: Learner,
    c: &'a Call,
) -> impl FnMut(&[f64], usize, f64) -> Result<Prediction, SdkError> + 'a {
    move |train: &[f64], h: usize, level: f64| {
        let covs = slice_covs(&c.covs, train.len());
        let f = model::fit(learner, train, &covs, &c.settings)?;
        Ok(Prediction::point(f.forecast(train, &covs, h), level))
    }
}

/// Runs a tool.
///
/// # Errors
/// Unknown tool, bad arguments, too little data, failed fits.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    if ![
        "forecast_ml",
        "forecast_gbdt",
        "forecast_ridge",
        "ml_feature_importance",
        "backtest_ml",
    ]
    .contains(&name)
    {
        return Err(SdkError::new(
            ErrorKind::NotFound,
            format!("unknown tool {name:?}"),
        ));
    }
    let c = prepare(args, host)?;
    let learner = learner_of(name, &c.args)?;
    let t = Instant::now();
    let out = match name {
        "ml_feature_importance" => {
            let f = model::fit(learner, &c.input.values, &c.covs, &c.settings)?;
            json!({"model": learner.name(), "series": c.input.describe(), "importance": f.importance().into_iter().map(|(k, v)| json!({"feature": k, "share": v})).collect::<Vec<_>>(),
                "covariates_skipped": c.skipped, "fit_ms": t.elapsed().as_secs_f64() * 1e3})
        }
        "backtest_ml" => {
            let folds = uint(&c.args, "folds", 3, 1, 20)? as usize;
            let cfg = BacktestConfig {
                folds,
                horizon: c.h,
                step: c.h,
                level: c.level,
                mase_season: 1,
                min_train: c.settings.lags + 22,
            };
            let mut point = forecaster(learner, &c);
            let mut with_interval =
                |train: &[f64], h: usize, level: f64| -> Result<Prediction, SdkError> {
                    let p = point(train, h, level)?;
                    let mut g = forecaster(learner, &c);
                    conformal::widen(train, p, c.settings.lags + 22, &mut g)
                };
            let r = backtest::run(learner.name(), &c.input.values, &cfg, &mut with_interval)?;
            json!({"series": c.input.describe(), "covariates": c.covs.iter().map(|x| x.0.clone()).collect::<Vec<_>>(), "covariates_skipped": c.skipped, "backtest": r})
        }
        _ => {
            let f = model::fit(learner, &c.input.values, &c.covs, &c.settings)?;
            let mean = f.forecast(&c.input.values, &c.covs, c.h);
            let mut g = forecaster(learner, &c);
            let p = conformal::widen(
                &c.input.values,
                Prediction::point(mean, c.level),
                c.settings.lags + 22,
                &mut g,
            )?;
            let ts = c.input.future_ts(c.h);
            let steps: Vec<Value> = (0..c.h)
                .map(|j| json!({"step": j + 1, "ts_ms": ts[j], "mean": p.mean[j], "lower": p.lower[j], "upper": p.upper[j]}))
                .collect();
            json!({"model": f.learner().name(), "series": c.input.describe(), "horizon": c.h, "level": c.level,
                "intervals": p.intervals, "lags": c.settings.lags,
                "covariates": c.covs.iter().map(|x| x.0.clone()).collect::<Vec<_>>(), "covariates_skipped": c.skipped,
                "top_features": f.importance().into_iter().take(5).map(|(k, v)| json!({"feature": k, "share": v})).collect::<Vec<_>>(),
                "fit_ms": t.elapsed().as_secs_f64() * 1e3, "forecast": steps})
        }
    };
    done(&out)
}
