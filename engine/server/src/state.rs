//! Shared state of the handlers.

use orderflow_dataflow::{EngineMetrics, FeatureStore};
use orderflow_model::Universe;
use orderflow_plugin_host::driver::VenueStatus;
use orderflow_plugin_host::registry::ToolRegistry;
use orderflow_sink_duckdb::History;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// A loaded plugin, as `/health` and `orderflow plugins` show it.
#[derive(Clone, Debug, Serialize)]
pub struct PluginSummary {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// ABI version it was built against.
    pub sdk_version: String,
    /// Venues.
    pub venues: Vec<String>,
    /// Tools.
    pub tools: usize,
    /// Path.
    pub path: String,
}

/// Everything the handlers read.
#[derive(Debug)]
pub struct AppState {
    /// Configured pairs.
    pub universe: Arc<Universe>,
    /// Tools.
    pub registry: Arc<ToolRegistry>,
    /// Current features.
    pub features: Arc<FeatureStore>,
    /// Engine counters.
    pub engine: Arc<EngineMetrics>,
    /// Per-venue connection status.
    pub venues: Vec<Arc<VenueStatus>>,
    /// Loaded plugins.
    pub plugins: Vec<PluginSummary>,
    /// History reader (absent when storage is off).
    pub history: Option<History>,
    /// Start time.
    pub started: Instant,
}
