//! # orderflow-server — the HTTP API
//!
//! [`app`] builds the axum router over an [`AppState`]: `GET /health`, `GET /tools`,
//! `POST /tools/{name}`, `GET /features/{symbol}?venue=`, `GET /exchanges`,
//! `GET /symbols/{exchange}`, `GET /streaming/status`, `GET /metrics` (Prometheus, [`metrics`]), the dashboard at `/` with its live stream `GET /live` and `GET /settings` ([`live`], assets from `orderflow-dashboard`), and MCP at `/mcp` ([`mcp`]). Built-in
//! tools (history SQL, feature groups, streaming status) are in [`tools`], the historical ones in
//! [`history_tools`], the cross-exchange ones in [`cross_tools`], the order-flow staples (footprint, sessions) in
//! [`staple_tools`] and the seed's per-stream analysis tools in [`feature_tools`]. Testable with `tower::ServiceExt::oneshot`.

pub mod cross_tools;
mod error;
pub mod feature_tools;
pub mod footprint;
pub mod forecast;
mod guard;
pub mod history_tools;
pub mod live;
pub mod mcp;
pub mod mcp_fast;
pub mod mcp_gate;
pub mod metrics;
mod routes;
pub mod staple_tools;
mod state;
pub mod stored_series;
pub mod tools;

pub use error::ApiError;
pub use routes::app;
pub use state::{
    AppState, LimitCounters, MemoryProbe, MemoryReading, PluginSummary, ServerOptions,
};
