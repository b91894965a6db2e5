//! The plugin's tools: one per model in the models folder, plus `forecast_onnx`,
//! `backtest_onnx` and `list_onnx_models`.

use crate::models::{self, ModelMeta};
use orderflow_forecast_common::backtest::{self, BacktestConfig};
use orderflow_forecast_common::input::{self, Input};
use orderflow_forecast_common::tool::{descriptor, done, number, series_tool, string, uint};
use orderflow_forecast_common::{Prediction, conformal};
use orderflow_tool_sdk::prelude::*;
use orderflow_tool_sdk::{ErrorKind, SdkError};
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::time::Instant;

fn catalogue() -> Vec<(ModelMeta, PathBuf)> {
    models::scan(&models::models_dir()).0
}

fn horizon_props(extra: Value) -> Value {
    let mut m = json!({
        "horizon": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 12, "description": "steps ahead (predicted recursively, at most the model's max_horizon)"},
        "level": {"type": "number", "minimum": 0.5, "maximum": 0.99, "default": 0.9, "description": "conformal interval coverage"}
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut m, extra) {
        o.extend(e);
    }
    m
}

/// Every tool's descriptor (the models are scanned once, when the host loads the plugin).
pub fn descriptors() -> Vec<ToolDescriptor> {
    let cat = catalogue();
    let names: Vec<String> = cat.iter().map(|(m, _)| m.name.clone()).collect();
    let model_arg = if names.is_empty() {
        json!({"type": "string", "description": "model name (none found in the models folder)"})
    } else {
        json!({"type": "string", "enum": names, "description": "model name (see list_onnx_models)"})
    };
    let mut d = vec![
        descriptor(
            "list_onnx_models",
            "Lists the ONNX forecasting models in the models folder with their metadata (inputs, lags, scaling, interval, horizon), the folder and the ONNX Runtime library used, and any model file that was refused.",
            Map::new(),
        ),
        series_tool(
            "forecast_onnx",
            "Forecast with one of the ONNX models (see list_onnx_models): recursive one-step predictions with a split-conformal interval per step and the inference time per call.",
            horizon_props(json!({"model": model_arg.clone()})),
        ),
        series_tool(
            "backtest_onnx",
            "Rolling-origin backtest of an ONNX model on a series: MASE, sMAPE, interval coverage, S–F grade.",
            horizon_props(json!({"model": model_arg,
                "folds": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}})),
        ),
    ];
    for (m, _) in &cat {
        d.push(series_tool(
            &format!("forecast_onnx_{}", m.name),
            &format!(
                "ONNX model {}: {} Conformal interval per step.",
                m.name, m.description
            ),
            horizon_props(json!({})),
        ));
    }
    d
}

/// Predicts `h` steps from `values` with the model, recursively. Returns the path and the
/// inference times, µs.
///
/// # Errors
/// Too few values, inference errors.
pub fn predict(
    meta: &ModelMeta,
    path: &std::path::Path,
    values: &[f64],
    h: usize,
) -> Result<(Vec<f64>, Vec<f64>), SdkError> {
    let need = meta.lags + usize::from(meta.input == "log_return");
    if values.len() < need {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("{} needs {need} points, got {}", meta.name, values.len()),
        ));
    }
    let log_in = meta.input == "log_return";
    let mut window: Vec<f32> = if log_in {
        values[values.len() - need..]
            .windows(2)
            .map(|w| {
                if w[0] > 0.0 && w[1] > 0.0 {
                    ((w[1] / w[0]).ln() / meta.scale) as f32
                } else {
                    0.0
                }
            })
            .collect()
    } else {
        values[values.len() - need..]
            .iter()
            .map(|v| (v / meta.scale) as f32)
            .collect()
    };
    let mut last = values[values.len() - 1];
    let mut out = Vec::with_capacity(h);
    let mut times = Vec::with_capacity(h);
    for _ in 0..h {
        let t = Instant::now();
        let y = f64::from(models::infer(path, meta, &window)?) * meta.scale;
        times.push(t.elapsed().as_secs_f64() * 1e6);
        let next = match meta.output.as_str() {
            "log_return" => last * y.exp(),
            _ => y,
        };
        // The model's next input, in its own units.
        let next_in = match (log_in, meta.output.as_str()) {
            (true, "log_return") => y,
            (true, _) => {
                if last > 0.0 && next > 0.0 {
                    (next / last).ln()
                } else {
                    0.0
                }
            }
            (false, _) => next,
        };
        window.remove(0);
        window.push((next_in / meta.scale) as f32);
        out.push(next);
        last = next;
    }
    Ok((out, times))
}

fn find(name: &str) -> Result<(ModelMeta, PathBuf), SdkError> {
    let (cat, problems) = models::scan(&models::models_dir());
    cat.into_iter()
        .find(|(m, _)| m.name == name)
        .ok_or_else(|| {
            SdkError::new(
                ErrorKind::NotFound,
                format!(
                    "no ONNX model {name:?} in {} ({})",
                    models::models_dir().display(),
                    problems.join("; ")
                ),
            )
        })
}

struct Call {
    args: Value,
    input: Input,
    h: usize,
    level: f64,
}

fn prepare(args: &str, host: &HostViewRef<'_>, meta: &ModelMeta) -> Result<Call, SdkError> {
    let mut args: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments: {e}")))?;
    if meta.interval_s > 0 && args.get("interval_s").is_none() {
        args["interval_s"] = json!(meta.interval_s);
    }
    let input = input::read(&args, host, meta.lags + 2)?;
    if meta.interval_s > 0 && input.interval_s != meta.interval_s {
        return Err(SdkError::invalid_args(format!(
            "{} was trained on {} s intervals; the series is {} s",
            meta.name, meta.interval_s, input.interval_s
        )));
    }
    let h = uint(&args, "horizon", 12, 1, 1_000)? as usize;
    if h > meta.max_horizon {
        return Err(SdkError::invalid_args(format!(
            "{} serves at most {} steps",
            meta.name, meta.max_horizon
        )));
    }
    let level = number(&args, "level", 0.9, 0.5, 0.99)?;
    Ok(Call {
        args,
        input,
        h,
        level,
    })
}

fn forecast(meta: &ModelMeta, path: &std::path::Path, c: &Call) -> Result<Value, SdkError> {
    let t = Instant::now();
    let (mean, times) = predict(meta, path, &c.input.values, c.h)?;
    let mut f = |train: &[f64], h: usize, level: f64| {
        predict(meta, path, train, h).map(|(m, _)| Prediction::point(m, level))
    };
    let p = conformal::widen(
        &c.input.values,
        Prediction::point(mean, c.level),
        meta.lags + 2,
        &mut f,
    )?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let ts = c.input.future_ts(c.h);
    let steps: Vec<Value> = (0..c.h)
        .map(|j| json!({"step": j + 1, "ts_ms": ts[j], "mean": p.mean[j], "lower": p.lower[j], "upper": p.upper[j]}))
        .collect();
    let median_us = orderflow_forecast_common::backtest::median(&times);
    Ok(
        json!({"model": format!("onnx:{}", meta.name), "series": c.input.describe(), "horizon": c.h,
        "level": c.level, "intervals": p.intervals, "fit_ms": ms, "inference_us_median": median_us,
        "runtime": "ONNX Runtime (ort, load-dynamic)", "forecast": steps}),
    )
}

/// Runs a tool.
///
/// # Errors
/// Unknown tool or model, bad arguments, runtime or model errors.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    if name == "list_onnx_models" {
        let dir = models::models_dir();
        let (cat, problems) = models::scan(&dir);
        let list: Vec<Value> = cat
            .iter()
            .map(|(m, p)| json!({"meta": m, "file": p.display().to_string(), "tool": format!("forecast_onnx_{}", m.name),
                "bytes": std::fs::metadata(p).map(|x| x.len()).ok()}))
            .collect();
        return done(
            &json!({"models_dir": dir.display().to_string(), "runtime": models::runtime_path().display().to_string(),
            "models": list, "refused": problems,
            "add_a_model": "drop NAME.onnx and NAME.json (name, description, input, lags, scale, output, interval_s, max_horizon) into the folder and restart"}),
        );
    }
    let raw: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments: {e}")))?;
    let model = match name.strip_prefix("forecast_onnx_") {
        Some(m) => m.to_owned(),
        None if name == "forecast_onnx" || name == "backtest_onnx" => {
            string(&raw, "model", "").to_owned()
        }
        None => {
            return Err(SdkError::new(
                ErrorKind::NotFound,
                format!("unknown tool {name:?}"),
            ));
        }
    };
    if model.is_empty() {
        return Err(SdkError::invalid_args(
            "model is required (see list_onnx_models)",
        ));
    }
    let (meta, path) = find(&model)?;
    let mut stripped = raw.clone();
    if let Some(o) = stripped.as_object_mut() {
        o.remove("model");
        o.remove("folds");
    }
    let c = prepare(&stripped.to_string(), host, &meta)?;
    if name == "backtest_onnx" {
        let folds = uint(&raw, "folds", 5, 1, 50)? as usize;
        let cfg = BacktestConfig {
            folds,
            horizon: c.h,
            step: c.h,
            level: c.level,
            mase_season: 1,
            min_train: meta.lags + 2,
        };
        let mut f = |train: &[f64], h: usize, level: f64| -> Result<Prediction, SdkError> {
            let (mean, _) = predict(&meta, &path, train, h)?;
            let mut g = |t: &[f64], h: usize, level: f64| {
                predict(&meta, &path, t, h).map(|(m, _)| Prediction::point(m, level))
            };
            conformal::widen(train, Prediction::point(mean, level), meta.lags + 2, &mut g)
        };
        let r = backtest::run(
            &format!("onnx:{}", meta.name),
            &c.input.values,
            &cfg,
            &mut f,
        )?;
        let _ = &c.args;
        return done(&json!({"series": c.input.describe(), "backtest": r}));
    }
    done(&forecast(&meta, &path, &c)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_dir() -> PathBuf {
        std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("models")
    }

    #[test]
    fn the_shipped_metadata_is_valid() {
        let (cat, problems) = models::scan(&model_dir());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(cat.len(), 1);
        assert_eq!(cat[0].0.name, "btc_1h_gbr");
        assert_eq!(cat[0].0.lags, 24);
    }

    #[test]
    fn a_bad_metadata_file_is_refused_with_its_reason() {
        let dir = std::env::temp_dir().join(format!("onnx-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("x.onnx"), b"not a model").unwrap();
        std::fs::write(dir.join("x.json"), br#"{"name":"x y","description":"","input":"log_return","lags":3,"output":"log_return"}"#).unwrap();
        let (cat, problems) = models::scan(&dir);
        assert!(cat.is_empty());
        assert!(problems[0].contains("name must be"), "{problems:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
