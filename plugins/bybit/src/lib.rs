//! # orderflow-plugin-bybit — Bybit v5 USDT perpetuals venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO codec — topics, parsing, book continuity by update id, ticker
//!   snapshot/delta merging, resubscribe on a gap;
//! * [`emulator`]: the server side of the same protocol over the shared synthetic market, with
//!   faults (gap, disconnect, malformed frame);
//! * [`tools`]: `bybit_*` tools (live state, derived, REST).
//!
//! Venue ids `bybit` (linear USDT perpetuals) and `bybit_spot` (spot), see [`common::Category`].

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

/// The plugin: venues `bybit` and `bybit_spot`, their codecs and emulators, the `bybit_*` tools.
#[derive(Debug)]
pub struct BybitPlugin;

impl Plugin for BybitPlugin {
    const NAME: &'static str = "bybit";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![
            VenueInfo::new(
                common::VENUE,
                "Bybit USDT linear perpetuals (v5 public API)",
                true,
            ),
            VenueInfo::new(common::VENUE_SPOT, "Bybit spot (v5 public API)", true),
        ]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![
            VenueCapabilities::new(
                common::VENUE,
                &ALL_STREAMS,
                "orderbook snapshot + deltas with consecutive u; gap → resubscribe",
            ),
            VenueCapabilities::new(
                common::VENUE_SPOT,
                &ALL_STREAMS,
                "orderbook snapshot + deltas with consecutive u; gap → resubscribe",
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
        Ok(Box::new(codec::BybitCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        Ok(Box::new(emulator::BybitEmulator::new(&config)?))
    }
}

export_plugin!(BybitPlugin);
