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

// abi_stable's export macros expand to `unsafe` items; no hand-written unsafe code here.
#![allow(unsafe_code)]

pub mod codec;
pub mod common;
pub mod emulator;
pub mod tools;

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_extern_fn,
    sabi_trait::prelude::TD_Opaque,
    std_types::{RResult, RStr, RVec},
};
use orderflow_tool_sdk::{
    CodecConfig, EmulatorConfig, HostViewRef, HttpResponse, PluginManifest, PluginMod,
    PluginModRef, SdkError, ToolDescriptor, ToolStep, VenueCodec_TO, VenueCodecBox,
    VenueEmulator_TO, VenueEmulatorBox, VenueInfo, guard_result, manifest as sdk_manifest,
};

/// Builds the root module (also used in-process by tests).
pub fn root_module() -> PluginModRef {
    PluginMod {
        manifest,
        tools,
        call_tool,
        resume_tool,
        new_codec,
        new_emulator,
    }
    .leak_into_prefix()
}

/// Entry point the host loads (the macro also emits the library header static).
mod export {
    #![allow(missing_docs)]
    use super::{PluginModRef, export_root_module, root_module};

    /// Entry point the host loads.
    #[export_root_module]
    pub fn get_library() -> PluginModRef {
        root_module()
    }
}
pub use export::get_library;

#[sabi_extern_fn]
fn manifest() -> PluginManifest {
    sdk_manifest(
        "bybit",
        env!("CARGO_PKG_VERSION"),
        vec![
            VenueInfo {
                id: common::VENUE.into(),
                description: "Bybit USDT linear perpetuals (v5 public API)".into(),
                has_emulator: true,
            },
            VenueInfo {
                id: common::VENUE_SPOT.into(),
                description: "Bybit spot (v5 public API)".into(),
                has_emulator: true,
            },
        ],
    )
}

#[sabi_extern_fn]
fn tools() -> RVec<ToolDescriptor> {
    tools::descriptors().into()
}

#[sabi_extern_fn]
fn call_tool(name: RStr<'_>, args: RStr<'_>, host: HostViewRef<'_>) -> RResult<ToolStep, SdkError> {
    tools::call_guarded(name, args, host)
}

#[sabi_extern_fn]
fn resume_tool(
    name: RStr<'_>,
    state: RStr<'_>,
    resp: HttpResponse,
    _host: HostViewRef<'_>,
) -> RResult<ToolStep, SdkError> {
    tools::resume_guarded(name, state, resp)
}

#[sabi_extern_fn]
fn new_codec(config: RStr<'_>) -> RResult<VenueCodecBox, SdkError> {
    guard_result(|| {
        let cfg: CodecConfig = serde_json::from_str(config.as_str())
            .map_err(|e| SdkError::invalid_args(format!("codec config: {e}")))?;
        let extra = serde_json::from_str::<serde_json::Value>(config.as_str()).unwrap_or_default();
        let mut codec = codec::BybitCodec::new(cfg)?;
        if extra.get("sync_books").and_then(serde_json::Value::as_bool) == Some(false) {
            codec = codec.without_book_sync();
        }
        Ok(VenueCodec_TO::from_value(
            codec::GuardedCodec(codec),
            TD_Opaque,
        ))
    })
}

#[sabi_extern_fn]
fn new_emulator(config: RStr<'_>) -> RResult<VenueEmulatorBox, SdkError> {
    guard_result(|| {
        let cfg: EmulatorConfig = serde_json::from_str(config.as_str())
            .map_err(|e| SdkError::invalid_args(format!("emulator config: {e}")))?;
        let emu = emulator::BybitEmulator::new(&cfg)?;
        Ok(VenueEmulator_TO::from_value(
            emulator::GuardedEmulator(emu),
            TD_Opaque,
        ))
    })
}
