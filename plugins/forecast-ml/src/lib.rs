//! # orderflow-plugin-forecast-ml — gradient-boosted trees and ridge regression
//!
//! Forecasts the next log return of a series from its own lags and order-flow covariates (any
//! catalogue feature's history through the SDK's `series` op, e.g. CVD, depth imbalance,
//! funding, open interest), with a GBDT ([`perpetual`]) or a ridge regression ([`nalgebra`]'s
//! Cholesky solve), recursively for longer horizons, with split-conformal intervals; plus
//! rolling-origin backtests and feature importance. See [`model`].

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod model;
pub mod tools;

use orderflow_tool_sdk::prelude::*;

/// The plugin.
#[derive(Debug)]
pub struct ForecastMlPlugin;

impl Plugin for ForecastMlPlugin {
    const NAME: &'static str = "forecast_ml";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn tools() -> Vec<ToolDescriptor> {
        tools::descriptors()
    }
    fn call_tool(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        tools::call(name, args, host)
    }
}

export_plugin!(ForecastMlPlugin);
