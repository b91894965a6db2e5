//! # orderflow-plugin-binance — Binance USD-M futures and spot venue plugin
//!
//! A cdylib (loaded by the engine through `orderflow-tool-sdk`) and an rlib (for in-process tests
//! and benches). It contains:
//! * [`codec`]: the sans-IO codec — subscriptions, parsing, book sync, OI polling;
//! * [`emulator`]: the server side of the same protocol over a seeded synthetic market;
//! * [`tools`]: `binance_*` tools (live state through the host view, klines etc. through REST);
//! * [`websocket`]: wire messages and parse functions; the book sync rule is
//!   `orderflow_plugin_common::snapshot_sync`.
//!
//! Venues: `binance` (USD-M futures) and `binance_spot` (spot), see [`common::Market`].

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod codec;
pub mod common;
pub mod emulator;

pub mod tools;
pub mod websocket;

use orderflow_tool_sdk::STREAMS as ALL_STREAMS;
use orderflow_tool_sdk::prelude::*;

/// The plugin: two venues, their codecs and emulators, and the `binance_*` tools.
#[derive(Debug)]
pub struct BinancePlugin;

impl Plugin for BinancePlugin {
    const NAME: &'static str = "binance";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![
            VenueInfo::new(
                common::VENUE_FUTURES,
                "Binance USD-M perpetual futures",
                true,
            ),
            VenueInfo::new(common::VENUE_SPOT, "Binance spot", true),
        ]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![
            VenueCapabilities::new(
                common::VENUE_FUTURES,
                &ALL_STREAMS,
                "REST depth snapshot + diff stream U/u/pu; gap → new snapshot",
            ),
            VenueCapabilities::new(
                common::VENUE_SPOT,
                &ALL_STREAMS,
                "REST depth snapshot + diff stream U/u (U = previous u + 1); gap → new snapshot",
            )
            .without("funding", "spot markets have no funding")
            .without("open_interest", "spot markets have no open interest")
            .without("mark_price", "spot markets have no mark price")
            .without("liquidations", "spot markets have no liquidations"),
        ]
    }
    fn tools() -> Vec<ToolDescriptor> {
        tools::descriptors()
    }
    fn call_tool(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        tools::call(name, args, host)
    }
    fn resume_tool(
        name: &str,
        state: &str,
        response: &HttpResponse,
        _host: &HostViewRef<'_>,
    ) -> Result<ToolStep, SdkError> {
        tools::resume(name, state, response)
    }
    fn new_codec(config: CodecConfig) -> Result<Box<dyn Codec>, SdkError> {
        Ok(Box::new(codec::FuturesCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        Ok(Box::new(emulator::FuturesEmulator::new(&config)?))
    }
}

export_plugin!(BinancePlugin);
