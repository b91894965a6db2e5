//! # orderflow-plugin-kraken — Kraken Futures venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO WebSocket v1 codec — book snapshot + deltas with `seq` continuity
//!   (gap → counted resubscribe), trades (liquidations are trades of type `liquidation`), ticker
//!   with mark/index, relative funding and open interest, heartbeat;
//! * [`messages`] and [`parse`]: the wire message and one parse function per feed;
//! * [`emulator`]: the server side of the same protocol and REST API over the shared market;
//! * [`tools`]: `kraken_*` tools (live state, derived, REST).
//!
//! Venue id `kraken`; instruments are the multi-collateral linear perpetuals (`PF_XBTUSD`, …),
//! whose contract is one unit of the base currency.

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

/// The plugin: venue `kraken`, its codec and emulator, and the `kraken_*` tools.
#[derive(Debug)]
pub struct KrakenPlugin;

impl Plugin for KrakenPlugin {
    const NAME: &'static str = "kraken";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![VenueInfo::new(
            common::VENUE,
            "Kraken Futures multi-collateral perpetuals (WebSocket v1, REST v3)",
            true,
        )]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![VenueCapabilities::new(
            common::VENUE,
            &ALL_STREAMS,
            "book_snapshot + consecutive seq per product; gap → resubscribe",
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
        Ok(Box::new(codec::KrakenCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        if config.venue != common::VENUE {
            return Err(SdkError::invalid_args(format!(
                "kraken plugin has no emulator for {:?}",
                config.venue
            )));
        }
        Ok(Box::new(emulator::KrakenEmulator::new(&config)?))
    }
}

export_plugin!(KrakenPlugin);
