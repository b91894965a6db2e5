//! # orderflow-plugin-gateio — Gate.io USDT perpetual futures venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO WebSocket v4 codec — `order_book_update` synced against the REST
//!   snapshot with `with_id=true` (buffer, `U ≤ L+1 ≤ u`, then `U = u+1`; gap → counted new
//!   snapshot), signed-size trades, tickers (funding, mark, index, OI), public liquidations,
//!   contract sizes from `quanto_multiplier` so every size is an exact base amount;
//! * [`messages`] and [`parse`]: the wire messages and one parse function per feed;
//! * [`emulator`]: the server side of the same protocol and REST API over the shared market;
//! * [`tools`]: `gateio_*` tools (live state, derived, REST).
//!
//! Venue id `gateio`; instruments are USDT-settled perpetuals (`BTC_USDT`, …).

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

/// The plugin: venue `gateio`, its codec and emulator, and the `gateio_*` tools.
#[derive(Debug)]
pub struct GateioPlugin;

impl Plugin for GateioPlugin {
    const NAME: &'static str = "gateio";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![VenueInfo::new(
            common::VENUE,
            "Gate.io USDT-settled perpetual futures (WebSocket v4, REST v4)",
            true,
        )]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![VenueCapabilities::new(
            common::VENUE,
            &ALL_STREAMS,
            "REST order_book?with_id=true + order_book_update U/u (U = previous u + 1); gap → new snapshot",
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
        Ok(Box::new(codec::GateioCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        if config.venue != common::VENUE {
            return Err(SdkError::invalid_args(format!(
                "gateio plugin has no emulator for {:?}",
                config.venue
            )));
        }
        Ok(Box::new(emulator::GateioEmulator::new(&config)?))
    }
}

export_plugin!(GateioPlugin);
