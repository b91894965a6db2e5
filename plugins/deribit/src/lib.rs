//! # orderflow-plugin-deribit — Deribit venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO JSON-RPC WebSocket codec — book snapshot + changes with
//!   `change_id`/`prev_change_id` continuity (gap → counted resubscribe), trades (with
//!   liquidation markers), ticker with mark/index, 8 h funding and open interest, heartbeats
//!   answered;
//! * [`messages`] and [`parse`]: the wire messages and one parse function per channel;
//! * [`emulator`]: the server side of the same protocol and REST API over the shared market;
//! * [`tools`]: `deribit_*` tools (live state, derived, REST incl. the options summary).
//!
//! Venue id `deribit`; instruments are the perpetuals: inverse `BTC-PERPETUAL`/`ETH-PERPETUAL`
//! (amounts in USD, normalized to base by [`common::usd_to_base`]) and the USDC-margined linear
//! ones (`SOL_USDC-PERPETUAL`, …; amounts in base).

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

/// The plugin: venue `deribit`, its codec and emulator, and the `deribit_*` tools.
#[derive(Debug)]
pub struct DeribitPlugin;

impl Plugin for DeribitPlugin {
    const NAME: &'static str = "deribit";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![VenueInfo::new(
            common::VENUE,
            "Deribit perpetuals, inverse and USDC-linear (JSON-RPC WebSocket, REST v2)",
            true,
        )]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![VenueCapabilities::new(
            common::VENUE,
            &ALL_STREAMS,
            "snapshot on subscribe + changes linked by prev_change_id; gap → resubscribe",
        )]
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
        Ok(Box::new(codec::DeribitCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        if config.venue != common::VENUE {
            return Err(SdkError::invalid_args(format!(
                "deribit plugin has no emulator for {:?}",
                config.venue
            )));
        }
        Ok(Box::new(emulator::DeribitEmulator::new(&config)?))
    }
}

export_plugin!(DeribitPlugin);
