//! # orderflow-plugin-okx — OKX v5 perpetual swaps venue plugin
//!
//! A cdylib loaded by the engine through `orderflow-tool-sdk` (and an rlib for tests):
//! * [`codec`]: the sans-IO codec — contract values over REST, subscriptions, parsing, book
//!   continuity ([`book`]) and the CRC32 checksum ([`checksum`]), resubscribe on failure;
//! * [`emulator`]: the server side of the same protocol over the shared synthetic market, with
//!   fault injection (gap, wrong checksum, disconnect, malformed frame);
//! * [`tools`]: `okx_*` tools (live state, derived, REST).
//!
//! Venue id `okx`; instruments are USDT-margined swaps such as `BTC-USDT-SWAP`.

// The library's global allocator counts its heap (the SDK's `heap` query, /metrics).
extern crate orderflow_plugin_heap;

pub mod book;
pub mod checksum;
pub mod codec;
pub mod common;
pub mod emulator;
pub mod messages;
pub mod parse;
pub mod tools;

use orderflow_tool_sdk::STREAMS as ALL_STREAMS;
use orderflow_tool_sdk::prelude::*;

/// The plugin: venue `okx`, its codec and emulator, and the `okx_*` tools.
#[derive(Debug)]
pub struct OkxPlugin;

impl Plugin for OkxPlugin {
    const NAME: &'static str = "okx";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn venues() -> Vec<VenueInfo> {
        vec![VenueInfo::new(
            common::VENUE,
            "OKX USDT-margined perpetual swaps (v5 public API)",
            true,
        )]
    }
    fn capabilities() -> Vec<VenueCapabilities> {
        vec![VenueCapabilities::new(
            common::VENUE,
            &ALL_STREAMS,
            "books snapshot + updates linked by prevSeqId, CRC32 checksum of the top 25; mismatch → resubscribe",
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
        Ok(Box::new(codec::OkxCodec::new(config)?))
    }
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        if config.venue != common::VENUE {
            return Err(SdkError::invalid_args(format!(
                "okx plugin has no emulator for {:?}",
                config.venue
            )));
        }
        Ok(Box::new(emulator::OkxEmulator::new(&config)?))
    }
}

export_plugin!(OkxPlugin);
