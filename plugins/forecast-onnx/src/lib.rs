//! # orderflow-plugin-forecast-onnx — forecasts with ONNX models
//!
//! ONNX Runtime is loaded at run time (`ort` with `load-dynamic`) from
//! `$ORDERFLOW_ONNXRUNTIME`, else `.deps/onnxruntime/libonnxruntime.so.1.32.0` under the current
//! folder (what `scripts/setup.sh` installs). Models are read from `$ORDERFLOW_ONNX_MODELS`, else
//! `plugins/forecast-onnx/models`: every `NAME.onnx` with a `NAME.json` metadata file
//! ([`models::ModelMeta`]) becomes a tool `forecast_onnx_NAME`, besides `forecast_onnx`
//! (any model by name), `backtest_onnx` and `list_onnx_models`.
//!
//! The shipped model (`btc_1h_gbr`) is a gradient-boosted tree ensemble trained on real hourly
//! BTC bars by `plugins/forecast-onnx/train/train_btc_1h.py` (scikit-learn + skl2onnx).

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod models;
pub mod tools;

use orderflow_tool_sdk::prelude::*;

/// The plugin.
#[derive(Debug)]
pub struct ForecastOnnxPlugin;

impl Plugin for ForecastOnnxPlugin {
    const NAME: &'static str = "forecast_onnx";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn tools() -> Vec<ToolDescriptor> {
        tools::descriptors()
    }
    fn call_tool(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        tools::call(name, args, host)
    }
}

export_plugin!(ForecastOnnxPlugin);
