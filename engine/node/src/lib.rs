//! # orderflow-node — the `orderflow` binary's library: configuration and wiring
//!
//! [`config`] reads `config/default.toml` (embedded) or a user file; [`pipeline`] starts the
//! whole system (plugins → venue drivers or loopback emulators → live store, dataflow engine,
//! DuckDB sink → HTTP server); [`parse`] decodes raw payload files; [`latency`] is the latency
//! harness. `anyhow` is allowed here (binary crate).

#![allow(clippy::disallowed_types)]

pub mod cluster;
pub mod config;
pub mod forecast;
pub mod latency;
pub mod mcp_load;
pub mod memory;
pub mod offline_forecast;
pub mod parse;
pub mod pipeline;
pub mod replay;
mod snapshots;

/// Installs the tracing subscriber (stderr; `RUST_LOG` overrides `orderflow=info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,tower_http=warn,hyper=warn,tokio_tungstenite=warn,tungstenite=warn",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
