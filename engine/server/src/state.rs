//! Shared state of the handlers.

use orderflow_dataflow::{EngineMetrics, FeatureStore};
use orderflow_model::Universe;
use orderflow_plugin_host::driver::VenueStatus;
use orderflow_plugin_host::live::LiveStore;
use orderflow_plugin_host::registry::ToolRegistry;
use orderflow_sink_duckdb::History;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: usize,
    /// Open MCP sessions (2025-11-25 era) at most; a further `initialize` is refused.
    pub mcp_max_sessions: usize,
    /// An MCP session idle this long is closed.
    pub mcp_session_idle: std::time::Duration,
    /// Open TCP connections at most; more are closed at once (counted).
    pub max_connections: usize,
    /// A connection must send a request's headers within this time (also ends idle
    /// keep-alive connections).
    pub header_read_timeout: std::time::Duration,
    /// Tools per MCP `tools/list` page.
    pub mcp_page_size: usize,
    /// Answer stateless JSON `tools/call` requests directly instead of through rmcp's
    /// per-request service ([`mcp_fast`](crate::mcp_fast)).
    pub mcp_fast_path: bool,
    /// Open dashboard live streams (`GET /live`) at most.
    pub max_live_streams: usize,
    /// The running configuration as JSON, for `GET /settings` (secrets are masked there).
    pub config_view: serde_json::Value,
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
            max_json_depth: 64,
            mcp_max_sessions: 256,
            mcp_session_idle: std::time::Duration::from_secs(120),
            max_connections: 1024,
            header_read_timeout: std::time::Duration::from_secs(10),
            mcp_page_size: crate::mcp::DEFAULT_PAGE_SIZE,
            mcp_fast_path: true,
            max_live_streams: 32,
            config_view: serde_json::Value::Null,
            shutdown: CancellationToken::new(),
        }
    }
}

/// Every limit the HTTP/MCP side enforced, counted (shown in `/streaming/status` under
/// `limits`).
#[derive(Debug, Default)]
pub struct LimitCounters {
    /// Requests refused for their `Host` (missing, non-UTF-8, repeated or not allowed).
    pub forbidden_host: AtomicU64,
    /// Requests refused for their `Origin`.
    pub forbidden_origin: AtomicU64,
    /// Requests without the right bearer token.
    pub unauthorized: AtomicU64,
    /// Bodies over `max_body_bytes` (413).
    pub body_too_large: AtomicU64,
    /// Bodies that are not JSON / not UTF-8 (400 or JSON-RPC -32700).
    pub bad_json: AtomicU64,
    /// JSON nested deeper than allowed.
    pub too_deep: AtomicU64,
    /// MCP `initialize` refused: the session cap was reached.
    pub mcp_sessions_refused: AtomicU64,
    /// MCP `initialize` refused: oversized client info.
    pub mcp_client_info_too_large: AtomicU64,
    /// Connections refused at the connection cap.
    pub connections_refused: AtomicU64,
    /// Dashboard live streams (`GET /live`) open now.
    pub live_streams_open: AtomicU64,
    /// Live streams refused at `max_live_streams`.
    pub live_streams_refused: AtomicU64,
}

impl LimitCounters {
    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "forbidden_host": g(&self.forbidden_host),
            "forbidden_origin": g(&self.forbidden_origin),
            "unauthorized": g(&self.unauthorized),
            "body_too_large": g(&self.body_too_large),
            "bad_json": g(&self.bad_json),
            "too_deep": g(&self.too_deep),
            "mcp_sessions_refused": g(&self.mcp_sessions_refused),
            "mcp_client_info_too_large": g(&self.mcp_client_info_too_large),
            "connections_refused": g(&self.connections_refused),
            "live_streams_open": g(&self.live_streams_open),
            "live_streams_refused": g(&self.live_streams_refused),
        })
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
    /// Limits hit on the HTTP/MCP side.
    pub limits: Arc<LimitCounters>,
    /// The MCP session manager (set by [`app`](crate::app)), for the session cap.
    pub mcp_sessions: crate::mcp_gate::McpSessions,
    /// The storage writer's counters and gap ledger (absent when storage is off).
    pub sink_stats: Option<Arc<orderflow_sink_duckdb::SinkStats>>,
    /// Requests per route, method and status (for `/metrics`).
    pub requests: crate::metrics::RequestCounters,
    /// MCP `tools/call` requests answered by the direct path ([`mcp_fast`](crate::mcp_fast)).
    pub mcp_fast_calls: AtomicU64,
    /// Reads the process's memory by part (`orderflow_process_memory_bytes{part}` in
    /// `/metrics`); the binary supplies it, as only it knows its allocators.
    pub memory: Option<MemoryProbe>,
}

/// The process's memory (see [`MemoryReading`]).
pub type MemoryProbe = fn() -> MemoryReading;

/// One reading of the process's memory, bytes.
#[derive(Clone, Debug, Default)]
pub struct MemoryReading {
    /// By part (e.g. `("rss", …)`, `("rust_heap_committed", …)`).
    pub parts: Vec<(&'static str, f64)>,
    /// Each plugin's own heap, for the plugins that count it (SDK ≥ 1.4).
    pub plugin_heaps: Vec<(String, f64)>,
}
