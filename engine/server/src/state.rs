//! Shared state of the handlers.

use orderflow_dataflow::{EngineMetrics, FeatureStore};
use orderflow_model::Universe;
use orderflow_plugin_host::driver::VenueStatus;
use orderflow_plugin_host::live::LiveStore;
use orderflow_plugin_host::registry::ToolRegistry;
use orderflow_sink_duckdb::History;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Network-facing settings of the server (from `[server]` in the config).
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Hosts accepted in `Host` (DNS-rebinding protection); loopback names by default.
    pub allowed_hosts: Vec<String>,
    /// Origins accepted in `Origin` when a browser sends one (scheme://host:port, `:*` for any
    /// port).
    pub allowed_origins: Vec<String>,
    /// When set, every route but `/health` requires `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    /// Request body limit, bytes.
    pub max_body_bytes: usize,
    /// Tools per MCP `tools/list` page.
    pub mcp_page_size: usize,
    /// Cancelled at shutdown: ends MCP sessions and their SSE streams.
    pub shutdown: CancellationToken,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            allowed_origins: vec![
                "http://localhost:*".into(),
                "http://127.0.0.1:*".into(),
                "http://[::1]:*".into(),
            ],
            bearer_token: None,
            max_body_bytes: 1 << 20,
            mcp_page_size: crate::mcp::DEFAULT_PAGE_SIZE,
            shutdown: CancellationToken::new(),
        }
    }
}

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
    /// What each of its venues offers (`VenueCapabilities` as JSON; empty before SDK 1.2).
    pub capabilities: Vec<serde_json::Value>,
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
    /// Network-facing settings.
    pub options: ServerOptions,
    /// Latest venue state (books, trades, ticker, mark, funding, OI) for `/dashboard`.
    pub live: Arc<LiveStore>,
    /// Current market regimes per instrument.
    pub regimes: Arc<orderflow_dataflow::RegimeStore>,
    /// Current regimes per symbol across venues.
    pub symbol_regimes: Arc<orderflow_dataflow::SymbolRegimeStore>,
    /// Latest cross-venue features per symbol (updated at each feature snapshot).
    pub cross_venue: Arc<orderflow_crossvenue::CrossVenueStore>,
    /// Fees per venue (arbitrage net of costs).
    pub fees: orderflow_crossvenue::FeeSchedule,
    /// Recent forecasts (filled by the refresher and by `GET /forecast`).
    pub forecasts: Arc<crate::forecast::ForecastCache>,
}
