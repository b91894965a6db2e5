//! # orderflow-plugin-forecast-stats — statistical forecasting and time-series analytics
//!
//! A tool-only plugin (no venue): its tools read a series from the host through the SDK's
//! `series` op (bars from trades, mid prices, any feature's history) or take one inline, and
//! * forecast it with the statistical models of [`models`] (anofox-forecast: Naive, Seasonal
//!   Naive, Drift, SES, Holt, Holt-Winters, AutoETS, AutoARIMA, Theta, AutoTheta, MSTL, TBATS,
//!   Croston; GARCH for volatility), each with a prediction interval;
//! * route a series to a model (priorities realtime … research), backtest and compare models,
//!   detect drift of live errors;
//! * analyse it ([`analytics`]): anomalies, change points, seasonality, Hurst exponent,
//!   sample entropy, stationarity.
//!
//! Tools compute for up to seconds (AutoARIMA, TBATS on long series); the host runs plugin
//! calls on blocking threads.

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod analytics;
pub mod models;
pub mod tools;

use orderflow_tool_sdk::prelude::*;

/// The plugin.
#[derive(Debug)]
pub struct ForecastStatsPlugin;

impl Plugin for ForecastStatsPlugin {
    const NAME: &'static str = "forecast_stats";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn tools() -> Vec<ToolDescriptor> {
        tools::descriptors()
    }
    fn call_tool(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        tools::call(name, args, host)
    }
}

export_plugin!(ForecastStatsPlugin);
