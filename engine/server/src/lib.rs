//! # orderflow-server — the HTTP API
//!
//! [`app`] builds the axum router over an [`AppState`]: `GET /health`, `GET /tools`,
//! `POST /tools/{name}`, `GET /features/{symbol}?venue=`, `GET /exchanges`,
//! `GET /symbols/{exchange}`, `GET /streaming/status`. Built-in tools (history SQL, feature
//! groups, streaming status) are in [`tools`]. Testable with `tower::ServiceExt::oneshot`.

mod error;
mod routes;
mod state;
pub mod tools;

pub use error::ApiError;
pub use routes::app;
pub use state::{AppState, PluginSummary};
