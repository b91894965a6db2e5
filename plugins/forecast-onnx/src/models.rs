//! The model folder, the metadata format and inference through ONNX Runtime.

use orderflow_tool_sdk::{ErrorKind, SdkError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Default runtime library, relative to the current folder (installed by `scripts/setup.sh`).
pub const DEFAULT_RUNTIME: &str = ".deps/onnxruntime/libonnxruntime.so.1.32.0";
/// Default models folder, relative to the current folder.
pub const DEFAULT_MODELS: &str = "plugins/forecast-onnx/models";

/// What a model's `NAME.json` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Name (the file stem; the tool is `forecast_onnx_<name>`).
    pub name: String,
    /// One line for the tool description.
    pub description: String,
    /// What the model reads: `log_return` (log returns of the series) or `value` (the values).
    pub input: String,
    /// Inputs per call: the last `lags` inputs, oldest first, as a float32 `[1, lags]` tensor.
    pub lags: usize,
    /// Each input is divided by this before the call (and outputs multiplied by it).
    #[serde(default = "one")]
    pub scale: f64,
    /// What the model predicts one step ahead: `log_return` or `value` (same units as input).
    pub output: String,
    /// Spacing the model was trained on, s (a series of another spacing is refused).
    #[serde(default)]
    pub interval_s: u64,
    /// Longest horizon served (steps are predicted recursively).
    #[serde(default = "default_horizon")]
    pub max_horizon: usize,
    /// Name of the input tensor (default: the model's first input).
    #[serde(default)]
    pub input_name: String,
}

fn one() -> f64 {
    1.0
}

fn default_horizon() -> usize {
    48
}

/// `rel` under the current folder or the nearest parent that has it (so that a binary started
/// from a sub-folder of the repository, e.g. a test, finds it too); `rel` itself when none has.
fn find_up(rel: &str) -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let p = dir.join(rel);
            if p.exists() {
                return p;
            }
        }
    }
    PathBuf::from(rel)
}

/// The models folder: `$ORDERFLOW_ONNX_MODELS`, else [`DEFAULT_MODELS`] under the current
/// folder or a parent.
pub fn models_dir() -> PathBuf {
    std::env::var_os("ORDERFLOW_ONNX_MODELS").map_or_else(|| find_up(DEFAULT_MODELS), PathBuf::from)
}

/// The runtime library: `$ORDERFLOW_ONNXRUNTIME`, else [`DEFAULT_RUNTIME`] under the current
/// folder or a parent.
pub fn runtime_path() -> PathBuf {
    std::env::var_os("ORDERFLOW_ONNXRUNTIME")
        .map_or_else(|| find_up(DEFAULT_RUNTIME), PathBuf::from)
}

/// Every model of `dir` with a readable, valid metadata file (sorted by name), and the
/// problems with the others.
pub fn scan(dir: &Path) -> (Vec<(ModelMeta, PathBuf)>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        problems.push(format!("models folder {} is not readable", dir.display()));
        return (out, problems);
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("onnx") {
            continue;
        }
        let meta_path = p.with_extension("json");
        let meta = std::fs::read_to_string(&meta_path)
            .map_err(|e| format!("{}: {e}", meta_path.display()))
            .and_then(|s| {
                serde_json::from_str::<ModelMeta>(&s)
                    .map_err(|e| format!("{}: {e}", meta_path.display()))
            })
            .and_then(|m| {
                validate(&m)
                    .map(|()| m)
                    .map_err(|e| format!("{}: {e}", meta_path.display()))
            });
        match meta {
            Ok(m) => out.push((m, p)),
            Err(e) => problems.push(e),
        }
    }
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    (out, problems)
}

fn validate(m: &ModelMeta) -> Result<(), String> {
    let name_ok = !m.name.is_empty()
        && m.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !name_ok {
        return Err("name must be ASCII letters, digits and _".into());
    }
    if !matches!(m.input.as_str(), "log_return" | "value")
        || !matches!(m.output.as_str(), "log_return" | "value")
    {
        return Err("input and output must be log_return or value".into());
    }
    if m.lags == 0 || m.lags > 10_000 {
        return Err("lags must be 1..10000".into());
    }
    if !(m.scale.is_finite() && m.scale > 0.0) {
        return Err("scale must be positive".into());
    }
    Ok(())
}

struct Runtime {
    env: ort::environment::Environment,
    sessions: Mutex<HashMap<PathBuf, ort::session::Session>>,
}

fn runtime() -> Result<&'static Runtime, SdkError> {
    static RT: OnceLock<Result<Runtime, String>> = OnceLock::new();
    let rt = RT.get_or_init(|| {
        let path = runtime_path();
        let path = std::fs::canonicalize(&path).map_err(|e| {
            format!("ONNX Runtime library {} not found ({e}); run scripts/setup.sh or set ORDERFLOW_ONNXRUNTIME", path.display())
        })?;
        let env = ort::init_from(&path)
            .map_err(|e| format!("loading {}: {e}", path.display()))?
            .with_name("orderflow-forecast-onnx")
            .build()
            .map_err(|e| format!("ONNX Runtime environment: {e}"))?;
        Ok(Runtime {
            env,
            sessions: Mutex::new(HashMap::new()),
        })
    });
    rt.as_ref()
        .map_err(|e| SdkError::new(ErrorKind::Unavailable, e.clone()))
}

/// Runs the model once on `inputs` (already scaled): returns its first output value.
///
/// # Errors
/// Runtime missing, model unreadable, shape mismatch.
pub fn infer(path: &Path, meta: &ModelMeta, inputs: &[f32]) -> Result<f32, SdkError> {
    let rt = runtime()?;
    let err = |what: &str, e: &dyn std::fmt::Display| {
        SdkError::new(
            ErrorKind::Unavailable,
            format!("{}: {what}: {e}", meta.name),
        )
    };
    let mut sessions = rt
        .sessions
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !sessions.contains_key(path) {
        let s = ort::session::Session::builder(&rt.env)
            .and_then(|mut b| b.commit_from_file(path))
            .map_err(|e| err("loading the model", &e))?;
        sessions.insert(path.to_path_buf(), s);
    }
    let session = sessions
        .get_mut(path)
        .ok_or_else(|| SdkError::new(ErrorKind::Unavailable, "session vanished"))?;
    let tensor = ort::value::Tensor::from_array(([1usize, inputs.len()], inputs.to_vec()))
        .map_err(|e| err("input tensor", &e))?;
    let input_name = if meta.input_name.is_empty() {
        session
            .inputs()
            .first()
            .map(|i| i.name().to_owned())
            .unwrap_or_default()
    } else {
        meta.input_name.clone()
    };
    let outputs = session
        .run(ort::inputs![input_name.as_str() => tensor])
        .map_err(|e| err("run", &e))?;
    let (_, data) = outputs[0]
        .try_extract_tensor::<f32>()
        .map_err(|e| err("output", &e))?;
    data.first().copied().ok_or_else(|| {
        SdkError::new(
            ErrorKind::Unavailable,
            format!("{}: empty output", meta.name),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped model through ONNX Runtime reproduces the training script's hold-out error
    /// (computed there by Python onnxruntime on the same windows): the plugin builds the same
    /// inputs (scaled log returns, oldest first) from the real closes.
    #[test]
    fn the_shipped_model_reproduces_its_holdout_error() {
        let dir = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        );
        let (cat, _) = scan(&dir.join("models"));
        let (meta, path) = cat
            .into_iter()
            .find(|(m, _)| m.name == "btc_1h_gbr")
            .unwrap();
        let csv =
            std::fs::read_to_string(dir.join("../forecast-stats/test_data/coinbase_btcusd_1h.csv"))
                .unwrap();
        // Rows are newest first: reversed, they are in time order.
        let mut closes: Vec<f64> = csv
            .lines()
            .skip(2)
            .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
            .collect();
        closes.reverse();
        let r: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let holdout = 2_000;
        let mut abs = 0.0;
        let mut times = Vec::new();
        for k in (r.len() - holdout)..r.len() {
            let x: Vec<f32> = r[k - meta.lags..k]
                .iter()
                .map(|v| (v / meta.scale) as f32)
                .collect();
            let t = std::time::Instant::now();
            let y = f64::from(infer(&path, &meta, &x).unwrap()) * meta.scale;
            times.push(t.elapsed().as_secs_f64() * 1e6);
            abs += (y - r[k]).abs();
        }
        let mae = abs / holdout as f64;
        let meta_json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        let want = meta_json["holdout_mae_log_return"]["model"]
            .as_f64()
            .unwrap();
        assert!(
            (mae - want).abs() < 1e-6 * want.max(1e-3) + 1e-9,
            "plugin {mae} vs training {want}"
        );
        times.sort_by(f64::total_cmp);
        eprintln!(
            "median inference {:.1} µs over {holdout} calls",
            times[holdout / 2]
        );
    }
}
