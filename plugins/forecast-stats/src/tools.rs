//! The plugin's tools: forecasts (one model, routed, ensemble, volatility), backtests and model
//! comparison, drift, and the time-series analytics.

use crate::{analytics, models};
use orderflow_forecast_common::Prediction;
use orderflow_forecast_common::backtest::{self, BacktestConfig, Report, median};
use orderflow_forecast_common::input::{self, Input};
use orderflow_forecast_common::router::{self, Priority, RouteInput, Strategy};
use orderflow_forecast_common::tool::{
    done, forecast_properties, number, season_for, series_tool, string, uint,
};
use orderflow_tool_sdk::prelude::*;
use orderflow_tool_sdk::{ErrorKind, SdkError};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Past backtest MASE per series label and model, kept for the plugin's life: the router's
/// "past backtest scores" (the host also stores them in its `model_registry` table).
type Scores = Mutex<HashMap<String, Vec<(String, f64)>>>;

fn scores() -> &'static Scores {
    static S: OnceLock<Scores> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

fn remember(label: &str, report: &Report) {
    let mut s = scores()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let v = s.entry(label.to_owned()).or_default();
    v.retain(|(m, _)| *m != report.model);
    v.push((report.model.clone(), report.mase));
    if s.len() > 1_000 {
        s.clear();
    }
}

fn past(label: &str) -> Vec<(String, f64)> {
    scores()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(label)
        .cloned()
        .unwrap_or_default()
}

fn model_names() -> Vec<&'static str> {
    models::MODELS.iter().map(|m| m.0).collect()
}

fn props(v: Value) -> Value {
    let mut m = match forecast_properties() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(extra) = v {
        m.extend(extra);
    }
    Value::Object(m)
}

fn backtest_props() -> Value {
    json!({
        "folds": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3, "description": "rolling origins"},
        "step": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "steps between origins (default: the horizon)"},
        "intervals": {"type": "boolean", "default": true, "description": "false: point forecasts only — fit+predict time without interval calibration; coverage is then not measured"}
    })
}

/// Single-model tools: (tool, model, description).
const MODEL_TOOLS: [(&str, &str, &str); 8] = [
    (
        "forecast_arima",
        "AutoARIMA",
        "AutoARIMA (seasonal when a season applies) forecast with its own prediction interval.",
    ),
    (
        "forecast_ets",
        "AutoETS",
        "AutoETS (error/trend/season state-space model chosen by AICc) forecast with its own interval.",
    ),
    (
        "forecast_theta",
        "AutoTheta",
        "AutoTheta (best of the Theta family) forecast with a conformal interval.",
    ),
    (
        "forecast_holt_winters",
        "HoltWinters",
        "Additive Holt-Winters forecast (needs a season) with its own interval.",
    ),
    (
        "forecast_mstl",
        "MSTL",
        "MSTL decomposition forecast (needs a season) with a conformal interval.",
    ),
    (
        "forecast_tbats",
        "TBATS",
        "TBATS forecast (needs a season; slow on long series) with its own interval.",
    ),
    (
        "forecast_croston",
        "Croston",
        "Croston's method for intermittent series (e.g. liquidation counts).",
    ),
    (
        "forecast_ses",
        "SES",
        "Simple exponential smoothing (level only) with its own interval.",
    ),
];

/// Every tool's descriptor.
pub fn descriptors() -> Vec<ToolDescriptor> {
    let mut d = vec![
        orderflow_forecast_common::tool::descriptor(
            "list_forecast_models",
            "Lists the statistical models of forecast_statistical with what each is and whether it needs a season, plus the router's priorities.",
            Map::new(),
        ),
        series_tool(
            "forecast_quick",
            "Fast forecast of a series (default: minute bars' close of venue/symbol) chosen by the router at priority `fast` (or `realtime`), with a prediction interval per step.",
            props(
                json!({"priority": {"type": "string", "enum": ["realtime", "fast"], "default": "fast"}}),
            ),
        ),
        series_tool(
            "route_forecast",
            "Routes a series to a model by priority (realtime / fast / balanced / accurate / research), series length, seasonality, time budget and past backtests, explains the choice and returns the forecast.",
            props(
                json!({"priority": {"type": "string", "enum": Priority::NAMES, "default": "balanced"},
                "time_budget_ms": {"type": "number", "minimum": 1, "maximum": 600000, "description": "rough limit on fitting time"},
                "folds": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}}),
            ),
        ),
        series_tool(
            "forecast_statistical",
            "Forecast with one named statistical model (see list_forecast_models) and its prediction interval (the model's own, else conformal).",
            props(
                json!({"model": {"type": "string", "enum": model_names(), "default": "AutoETS"}}),
            ),
        ),
        series_tool(
            "forecast_naive",
            "Baseline forecasts: naive (last value), seasonal naive or drift — the yardsticks every other model is scored against.",
            props(
                json!({"method": {"type": "string", "enum": ["naive", "seasonal_naive", "drift"], "default": "naive"}}),
            ),
        ),
        series_tool(
            "forecast_ensemble",
            "Median ensemble of several models (default AutoETS, AutoTheta, Theta); the interval is the widest envelope of the members'.",
            props(
                json!({"models": {"type": "array", "items": {"type": "string", "enum": model_names()}, "minItems": 2, "maxItems": 6}}),
            ),
        ),
        series_tool(
            "forecast_volatility",
            "GARCH(1,1) forecast of the per-interval volatility of log returns (bars' close), with the annualised figure.",
            props(json!({})),
        ),
        series_tool(
            "backtest_model",
            "Rolling-origin backtest of one model: MASE, sMAPE, MAE, RMSE, interval coverage per fold, fit time and the S–F grade.",
            props({
                let mut b = backtest_props();
                b["model"] = json!({"type": "string", "enum": model_names(), "default": "AutoETS"});
                b
            }),
        ),
        series_tool(
            "compare_models",
            "Backtests several models on the same folds and ranks them by MASE (with grades and fit times); the scores feed the router.",
            props({
                let mut b = backtest_props();
                b["models"] = json!({"type": "array", "items": {"type": "string", "enum": model_names()}, "minItems": 1, "maxItems": 8});
                b
            }),
        ),
        series_tool(
            "detect_forecast_drift",
            "Drift of a model's live errors: one-step-ahead errors over the recent window against the earlier ones (error ratio and a Page-Hinkley test); says whether to refit or re-route.",
            props(
                json!({"model": {"type": "string", "enum": model_names(), "default": "Theta"},
                "window": {"type": "integer", "minimum": 5, "maximum": 500, "default": 30, "description": "recent one-step forecasts"},
                "reference": {"type": "integer", "minimum": 5, "maximum": 2000, "default": 120, "description": "earlier one-step forecasts to compare with"}}),
            ),
        ),
        series_tool(
            "detect_anomalies",
            "Anomalous points of a series: z-score, IQR, modified z-score, tabular CUSUM or isolation forest.",
            json!({"method": {"type": "string", "enum": analytics::ANOMALY_METHODS, "default": "zscore"},
                "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}}),
        ),
        series_tool(
            "detect_changepoints",
            "Change points in the mean of a series: PELT, binary segmentation or CUSUM cost; segments with their means.",
            json!({"method": {"type": "string", "enum": analytics::CHANGEPOINT_METHODS, "default": "pelt"},
                "penalty": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000},
                "min_size": {"type": "integer", "minimum": 2, "maximum": 1000, "default": 5}}),
        ),
        series_tool(
            "detect_seasonality",
            "Dominant periods of a series from its FFT (Welch) periodogram, confirmed by autocorrelation.",
            json!({"max_period": {"type": "integer", "minimum": 2, "maximum": 10000}}),
        ),
        series_tool(
            "hurst_exponent",
            "Hurst exponent (rescaled range) of a series' increments: trending (> 0.5), random walk (≈ 0.5) or mean-reverting (< 0.5).",
            json!({}),
        ),
        series_tool(
            "sample_entropy",
            "Sample entropy of a series' increments: lower = more regular, more predictable.",
            json!({"m": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
                "r": {"type": "number", "minimum": 0.05, "maximum": 1, "default": 0.2, "description": "tolerance as a fraction of the increments' std"}}),
        ),
        series_tool(
            "test_stationarity",
            "ADF and KPSS stationarity tests of a series with a combined verdict.",
            json!({}),
        ),
        series_tool(
            "analyze_series",
            "One-call profile of a series: length, level and spread, returns, Hurst exponent, sample entropy, dominant period, stationarity, anomaly share and the router's suggestion.",
            json!({}),
        ),
        series_tool(
            "get_series",
            "The series itself as the forecasting tools see it (bars, mid samples or a feature's history; evenly spaced, gaps filled forward).",
            json!({}),
        ),
    ];
    for (tool, model, desc) in MODEL_TOOLS {
        let _ = model;
        d.push(series_tool(tool, desc, props(json!({}))));
    }
    d
}

struct Call {
    args: Value,
    input: Input,
    h: usize,
    level: f64,
    season: usize,
}

fn prepare(args: &str, host: &HostViewRef<'_>, min_len: usize) -> Result<Call, SdkError> {
    let args: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments: {e}")))?;
    let input = input::read(&args, host, min_len)?;
    let h = uint(&args, "horizon", 12, 1, 1_000)? as usize;
    let level = number(&args, "level", 0.9, 0.5, 0.99)?;
    let season = season_for(&args, input.interval_s)?;
    Ok(Call {
        args,
        input,
        h,
        level,
        season,
    })
}

/// The season a model may use on this series: none when there are fewer than two seasons.
fn usable_season(season: usize, n: usize) -> usize {
    if season > 1 && n >= 2 * season {
        season
    } else {
        1
    }
}

fn forecast_json(call: &Call, model: &str, p: &Prediction, fit_ms: f64, extra: Value) -> Value {
    let ts = call.input.future_ts(p.mean.len());
    let steps: Vec<Value> = (0..p.mean.len())
        .map(|j| json!({"step": j + 1, "ts_ms": ts[j], "mean": p.mean[j], "lower": p.lower[j], "upper": p.upper[j]}))
        .collect();
    let mut out = json!({"model": model, "series": call.input.describe(), "horizon": p.mean.len(),
        "level": p.level, "intervals": p.intervals, "season": usable_season(call.season, call.input.values.len()),
        "fit_ms": fit_ms, "forecast": steps});
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    out
}

fn timed<T>(f: impl FnOnce() -> Result<T, SdkError>) -> Result<(T, f64), SdkError> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed().as_secs_f64() * 1e3))
}

fn one_model(call: &Call, model: &str) -> Result<Value, SdkError> {
    let season = usable_season(call.season, call.input.values.len());
    let (p, ms) =
        timed(|| models::fit_predict(model, &call.input.values, call.h, call.level, season))?;
    Ok(forecast_json(call, model, &p, ms, json!({})))
}

fn bt_config(call: &Call, folds_default: u64) -> Result<BacktestConfig, SdkError> {
    let folds = uint(&call.args, "folds", folds_default, 1, 20)? as usize;
    let step = uint(&call.args, "step", call.h as u64, 1, 1_000)? as usize;
    Ok(BacktestConfig {
        folds,
        horizon: call.h,
        step,
        level: call.level,
        mase_season: 1,
        min_train: models::min_train(usable_season(call.season, call.input.values.len())),
    })
}

fn backtest_one(call: &Call, model: &str, cfg: &BacktestConfig) -> Result<Report, SdkError> {
    let season = usable_season(call.season, call.input.values.len());
    let intervals = call
        .args
        .get("intervals")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut f = |train: &[f64], h: usize, level: f64| {
        let s = usable_season(season, train.len());
        if intervals {
            models::fit_predict(model, train, h, level, s)
        } else {
            models::fit_predict_raw(model, train, h, level, s)
        }
    };
    let r = backtest::run(model, &call.input.values, cfg, &mut f)?;
    remember(&call.input.label, &r);
    Ok(r)
}

fn ensemble(call: &Call, members: &[String]) -> Result<(Prediction, Vec<Value>), SdkError> {
    let season = usable_season(call.season, call.input.values.len());
    let mut preds = Vec::new();
    let mut notes = Vec::new();
    for m in members {
        match models::fit_predict(m, &call.input.values, call.h, call.level, season) {
            Ok(p) => preds.push(p),
            Err(e) => notes.push(json!({"model": m, "error": e.message.to_string()})),
        }
    }
    if preds.len() < 2 {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("ensemble needs two members that fit; failures: {notes:?}"),
        ));
    }
    let h = call.h;
    let col = |f: &dyn Fn(&Prediction) -> f64| -> f64 {
        let v: Vec<f64> = preds.iter().map(f).collect();
        median(&v)
    };
    let mut p = Prediction::point(
        (0..h).map(|j| col(&|p: &Prediction| p.mean[j])).collect(),
        call.level,
    );
    p.lower = (0..h)
        .map(|j| {
            preds
                .iter()
                .map(|p| p.lower[j])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    p.upper = (0..h)
        .map(|j| {
            preds
                .iter()
                .map(|p| p.upper[j])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    p.intervals = "envelope";
    Ok((p, notes))
}

fn route_call(call: &Call, priority: Priority) -> Result<Value, SdkError> {
    let n = call.input.values.len();
    let zeros = call.input.values.iter().filter(|v| **v == 0.0).count();
    let budget = match call.args.get("time_budget_ms") {
        Some(v) if !v.is_null() => Some(number(&call.args, "time_budget_ms", 0.0, 1.0, 600_000.0)?),
        _ => None,
    };
    let folds = uint(&call.args, "folds", 3, 1, 10)? as usize;
    let route = router::route(
        priority,
        &RouteInput {
            n,
            season: call.season,
            zero_share: zeros as f64 / n.max(1) as f64,
            budget_ms: budget,
            past: past(&call.input.label),
            folds,
        },
    );
    let t = Instant::now();
    let (model, p, scored) = match route.strategy {
        Strategy::Single => {
            let season = usable_season(call.season, n);
            let p =
                models::fit_predict(&route.model, &call.input.values, call.h, call.level, season)?;
            (route.model.clone(), p, Vec::new())
        }
        Strategy::SelectByBacktest | Strategy::Ensemble => {
            let cfg = BacktestConfig {
                folds,
                ..bt_config(call, folds as u64)?
            };
            let mut reports: Vec<Report> = route
                .candidates
                .iter()
                .filter_map(|m| backtest_one(call, m, &cfg).ok())
                .collect();
            reports.sort_by(|a, b| a.mase.total_cmp(&b.mase));
            if reports.is_empty() {
                return Err(SdkError::new(
                    ErrorKind::Unavailable,
                    "no candidate could be backtested on this series",
                ));
            }
            let scored: Vec<Value> = reports.iter().map(|r| json!({"model": r.model, "mase": r.mase, "grade": r.grade, "coverage": r.coverage, "fit_ms_median": r.fit_ms_median})).collect();
            if route.strategy == Strategy::SelectByBacktest || reports.len() < 2 {
                let best = reports[0].model.clone();
                let season = usable_season(call.season, n);
                let p = models::fit_predict(&best, &call.input.values, call.h, call.level, season)?;
                (best, p, scored)
            } else {
                let top: Vec<String> = reports.iter().take(3).map(|r| r.model.clone()).collect();
                let (p, _) = ensemble(call, &top)?;
                (format!("Ensemble({})", top.join(", ")), p, scored)
            }
        }
    };
    let ms = t.elapsed().as_secs_f64() * 1e3;
    Ok(forecast_json(
        call,
        &model,
        &p,
        ms,
        json!({"route": route, "backtests": scored}),
    ))
}

/// Page-Hinkley test on a sequence (alarm when the cumulative deviation above the running mean
/// exceeds `lambda`, with tolerance `delta`): the index of the first alarm.
fn page_hinkley(x: &[f64], delta: f64, lambda: f64) -> Option<usize> {
    let (mut mean, mut m, mut min_m) = (0.0, 0.0f64, 0.0f64);
    for (i, v) in x.iter().enumerate() {
        mean += (v - mean) / (i + 1) as f64;
        m += v - mean - delta;
        min_m = min_m.min(m);
        if m - min_m > lambda {
            return Some(i);
        }
    }
    None
}

fn drift(call: &Call) -> Result<Value, SdkError> {
    let model = string(&call.args, "model", "Theta");
    let window = uint(&call.args, "window", 30, 5, 500)? as usize;
    let reference = uint(&call.args, "reference", 120, 5, 2_000)? as usize;
    let n = call.input.values.len();
    let season = usable_season(call.season, n);
    let need = window + reference + models::min_train(season);
    if n < need {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("{n} points; drift needs {need}"),
        ));
    }
    // One-step-ahead errors at each of the last window + reference origins (refit each time).
    let mut errors = Vec::with_capacity(window + reference);
    for o in (n - window - reference)..n {
        let p = models::fit_predict_raw(
            model,
            &call.input.values[..o],
            1,
            call.level,
            usable_season(season, o),
        )?;
        errors.push((call.input.values[o] - p.mean[0]).abs());
    }
    let (early, recent) = errors.split_at(reference);
    let mae = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (e0, e1) = (mae(early), mae(recent));
    let ratio = if e0 > 0.0 { e1 / e0 } else { f64::NAN };
    let scale = e0.max(f64::MIN_POSITIVE);
    let scaled: Vec<f64> = errors.iter().map(|e| e / scale).collect();
    let alarm = page_hinkley(&scaled, 0.05, 10.0);
    let drifted = ratio > 1.5 || alarm.is_some_and(|i| i >= reference);
    Ok(
        json!({"model": model, "series": call.input.describe(), "reference_mae": e0, "recent_mae": e1,
        "error_ratio": ratio, "page_hinkley_alarm_at": alarm.map(|i| n - window - reference + i),
        "drift": drifted,
        "advice": if drifted { "errors have grown: refit, or re-route with route_forecast (priority accurate)" } else { "no drift: keep the model" }}),
    )
}

fn analyze(call: &Call) -> Result<Value, SdkError> {
    let v = &call.input.values;
    let (m, s) = analytics::mean_std(v);
    let rets: Vec<f64> = v
        .windows(2)
        .filter(|w| w[0] > 0.0 && w[1] > 0.0)
        .map(|w| (w[1] / w[0]).ln())
        .collect();
    let (rm, rs) = analytics::mean_std(&rets);
    let zeros = v.iter().filter(|x| **x == 0.0).count();
    let route = router::route(
        Priority::Balanced,
        &RouteInput {
            n: v.len(),
            season: call.season,
            zero_share: zeros as f64 / v.len().max(1) as f64,
            budget_ms: None,
            past: past(&call.input.label),
            folds: 3,
        },
    );
    Ok(json!({"series": call.input.describe(), "mean": m, "std": s,
        "min": v.iter().copied().fold(f64::INFINITY, f64::min), "max": v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "log_returns": {"mean": rm, "std": rs, "n": rets.len()},
        "hurst": analytics::hurst(v).ok(), "sample_entropy": analytics::sample_entropy(v, 2, 0.2),
        "seasonality": analytics::seasonality(v, None), "stationarity": analytics::stationarity(v),
        "anomalies_zscore": analytics::anomalies(v, "zscore", None).ok().map(|a| json!({"count": a["count"], "share": a["share"]})),
        "suggested_model": route.model, "route_reasons": route.reasons}))
}

/// Runs a tool.
///
/// # Errors
/// Unknown tool, bad arguments, a series that is too short, a model that fails.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    if name == "list_forecast_models" {
        let models: Vec<Value> = models::MODELS.iter().map(|(m, s, d)| json!({"model": m, "needs_season": s, "description": d,
            "cost_ms_per_1000_points": {"seasonal": router::cost_per_1000(m).0, "non_seasonal": router::cost_per_1000(m).1}})).collect();
        return done(&json!({"models": models, "priorities": Priority::NAMES,
            "intervals": "the model's own where it has one, else split-conformal from refits at earlier origins",
            "library": "anofox-forecast 0.19"}));
    }
    if let Some((_, model, _)) = MODEL_TOOLS.iter().find(|(t, _, _)| *t == name) {
        let c = prepare(args, host, 10)?;
        return done(&one_model(&c, model)?);
    }
    let out = match name {
        "forecast_quick" => {
            let c = prepare(args, host, 3)?;
            let pr = if string(&c.args, "priority", "fast") == "realtime" {
                Priority::Realtime
            } else {
                Priority::Fast
            };
            route_call(&c, pr)?
        }
        "route_forecast" => {
            let c = prepare(args, host, 3)?;
            let name = string(&c.args, "priority", "balanced");
            let pr = Priority::parse(name)
                .ok_or_else(|| SdkError::invalid_args(format!("unknown priority {name:?}")))?;
            route_call(&c, pr)?
        }
        "forecast_statistical" => {
            let c = prepare(args, host, 3)?;
            let m = string(&c.args, "model", "AutoETS").to_owned();
            one_model(&c, &m)?
        }
        "forecast_naive" => {
            let c = prepare(args, host, 2)?;
            let m = match string(&c.args, "method", "naive") {
                "naive" => "Naive",
                "seasonal_naive" => "SeasonalNaive",
                "drift" => "Drift",
                other => return Err(SdkError::invalid_args(format!("unknown method {other:?}"))),
            };
            one_model(&c, m)?
        }
        "forecast_ensemble" => {
            let c = prepare(args, host, 10)?;
            let members: Vec<String> = match c.args.get("models").and_then(Value::as_array) {
                Some(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                None => vec!["AutoETS".into(), "AutoTheta".into(), "Theta".into()],
            };
            let ((p, notes), ms) = timed(|| ensemble(&c, &members))?;
            forecast_json(
                &c,
                &format!("Ensemble({})", members.join(", ")),
                &p,
                ms,
                json!({"failed_members": notes}),
            )
        }
        "forecast_volatility" => {
            let c = prepare(args, host, 31)?;
            let v = &c.input.values;
            let rets: Vec<f64> = v
                .windows(2)
                .filter(|w| w[0] > 0.0 && w[1] > 0.0)
                .map(|w| (w[1] / w[0]).ln())
                .collect();
            let ((vol, params), ms) = timed(|| models::garch_volatility(&rets, c.h))?;
            let per_year = 365.25 * 86_400.0 / c.input.interval_s as f64;
            let (_, realized) = analytics::mean_std(&rets[rets.len().saturating_sub(100)..]);
            json!({"model": "GARCH(1,1)", "series": c.input.describe(), "fit_ms": ms,
                "params": {"omega": params[0], "alpha": params[1], "beta": params[2]},
                "volatility_per_interval": vol, "annualized": vol.iter().map(|s| s * per_year.sqrt()).collect::<Vec<_>>(),
                "realized_last_100": realized, "basis": "log returns of the series, per interval"})
        }
        "backtest_model" => {
            let c = prepare(args, host, 10)?;
            let m = string(&c.args, "model", "AutoETS").to_owned();
            let cfg = bt_config(&c, 3)?;
            let r = backtest_one(&c, &m, &cfg)?;
            json!({"series": c.input.describe(), "backtest": r})
        }
        "compare_models" => {
            let c = prepare(args, host, 10)?;
            let members: Vec<String> = match c.args.get("models").and_then(Value::as_array) {
                Some(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                None => vec![
                    "Naive".into(),
                    "Theta".into(),
                    "AutoETS".into(),
                    "AutoTheta".into(),
                ],
            };
            let cfg = bt_config(&c, 3)?;
            let mut ranked = Vec::new();
            let mut failed = Vec::new();
            for m in &members {
                match backtest_one(&c, m, &cfg) {
                    Ok(r) => ranked.push(r),
                    Err(e) => failed.push(json!({"model": m, "error": e.message.to_string()})),
                }
            }
            ranked.sort_by(|a, b| a.mase.total_cmp(&b.mase));
            let table: Vec<Value> = ranked.iter().map(|r| json!({"model": r.model, "mase": r.mase, "smape": r.smape, "coverage": r.coverage, "grade": r.grade, "fit_ms_median": r.fit_ms_median})).collect();
            json!({"series": c.input.describe(), "horizon": c.h, "folds": cfg.folds, "ranking": table,
                "best": ranked.first().map(|r| r.model.clone()), "failed": failed})
        }
        "detect_forecast_drift" => drift(&prepare(args, host, 20)?)?,
        "detect_anomalies" => {
            let c = prepare(args, host, 5)?;
            let thr = c.args.get("threshold").and_then(Value::as_f64);
            let mut r =
                analytics::anomalies(&c.input.values, string(&c.args, "method", "zscore"), thr)?;
            r["series"] = c.input.describe();
            add_ts(&mut r, "anomalies", &c.input);
            r
        }
        "detect_changepoints" => {
            let c = prepare(args, host, 10)?;
            let pen = c.args.get("penalty").and_then(Value::as_f64);
            let min = uint(&c.args, "min_size", 5, 2, 1_000)? as usize;
            let mut r = analytics::changepoints(
                &c.input.values,
                string(&c.args, "method", "pelt"),
                pen,
                min,
            )?;
            let ts: Vec<Value> = r["changepoints"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .map(|i| json!(c.input.ts_ms.get(i as usize)))
                        .collect()
                })
                .unwrap_or_default();
            r["changepoint_ts_ms"] = Value::Array(ts);
            r["series"] = c.input.describe();
            r
        }
        "detect_seasonality" => {
            let c = prepare(args, host, 16)?;
            let max = c
                .args
                .get("max_period")
                .and_then(Value::as_u64)
                .map(|v| v as usize);
            let mut r = analytics::seasonality(&c.input.values, max);
            r["series"] = c.input.describe();
            r
        }
        "hurst_exponent" => {
            let c = prepare(args, host, 33)?;
            let mut r = analytics::hurst(&c.input.values)?;
            r["series"] = c.input.describe();
            r
        }
        "sample_entropy" => {
            let c = prepare(args, host, 20)?;
            let m = uint(&c.args, "m", 2, 1, 5)? as usize;
            let r_factor = number(&c.args, "r", 0.2, 0.05, 1.0)?;
            let mut r = analytics::sample_entropy(&c.input.values, m, r_factor);
            r["series"] = c.input.describe();
            r
        }
        "test_stationarity" => {
            let c = prepare(args, host, 20)?;
            let mut r = analytics::stationarity(&c.input.values);
            r["series"] = c.input.describe();
            r
        }
        "analyze_series" => analyze(&prepare(args, host, 33)?)?,
        "get_series" => {
            let c = prepare(args, host, 1)?;
            json!({"series": c.input.describe(), "ts_ms": c.input.ts_ms, "values": c.input.values})
        }
        other => {
            return Err(SdkError::new(
                ErrorKind::NotFound,
                format!("unknown tool {other:?}"),
            ));
        }
    };
    done(&out)
}

fn add_ts(r: &mut Value, key: &str, input: &Input) {
    if let Some(a) = r.get_mut(key).and_then(Value::as_array_mut) {
        for p in a {
            if let Some(i) = p.get("index").and_then(Value::as_u64) {
                p["ts_ms"] = json!(input.ts_ms.get(i as usize));
            }
        }
    }
}
