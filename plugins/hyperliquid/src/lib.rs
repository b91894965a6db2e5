//! # orderflow-plugin-hyperliquid — Hyperliquid perpetuals venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO WebSocket codec — `l2Book` full images emitted as snapshots (stale
//!   images dropped by block time), trades (`tid` de-duplication), `activeAssetCtx` (mark,
//!   oracle, hourly funding, open interest), ping;
//! * [`messages`] and [`parse`]: the wire messages and one parse function per channel;
//! * [`emulator`]: the server side of the WebSocket and `info` REST protocols;
//! * [`tools`]: `hyperliquid_*` tools (live state, derived, `info` REST).
//!
//! Venue id `hyperliquid`; instruments are coins (`BTC`, `ETH`, …) quoted in USDC. Hyperliquid
//! has no public liquidation stream and no 24 h ticker stream: the plugin serves neither.

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod codec;
pub mod common;
pub mod emulator;
pub mod messages;
pub mod parse;
pub mod tools;

use orderflow_tool_sdk::STREAMS as ALL_STREAMS;
use orderflow_tool_sdk::prelude::*;

/// The plugin: venue `hyperliquid`, its codec and emulator, and the `hyperliquid_*` tools.
#[derive(Debug)]
pub struct HyperliquidPlugin;

impl Plugin for HyperliquidPlugin {
    const NAME: &'static str = "hyperliquid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![VenueInfo::new(
            common::VENUE,
            "Hyperliquid perpetuals (WebSocket, info REST)",
            true,
        )]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![VenueCapabilities::new(
            common::VENUE,
            &ALL_STREAMS,
            "every l2Book message is a full snapshot (older and repeated ones dropped as stale)",
        )
        .without("liquidations", "Hyperliquid publishes no public liquidation stream (liquidations are per-user events)")
        .without("ticker", "Hyperliquid publishes no 24h ticker stream (activeAssetCtx carries mark, oracle, funding, OI)")]
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
        Ok(Box::new(codec::HyperliquidCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        if config.venue != common::VENUE {
            return Err(SdkError::invalid_args(format!(
                "hyperliquid plugin has no emulator for {:?}",
                config.venue
            )));
        }
        Ok(Box::new(emulator::HyperliquidEmulator::new(&config)?))
    }
}

export_plugin!(HyperliquidPlugin);
