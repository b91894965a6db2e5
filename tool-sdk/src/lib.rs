//! # orderflow-tool-sdk — the stable plugin ABI
//!
//! This crate is the *interface* crate of the abi_stable three-crate pattern: the engine (host)
//! and every plugin (cdylib) depend on it, never on each other. Its package version **is the ABI
//! version**: a plugin built against another major (or, while 0.x, a newer minor) version is
//! refused at load time with both versions in the message.
//!
//! What a plugin exports ([`PluginMod`]):
//! * a [`PluginManifest`]: name, version, the venues it serves, build information;
//! * its tools ([`ToolDescriptor`]: name, description, JSON Schema of the arguments) and a
//!   sans-IO call entry ([`ToolStep`]): the plugin either answers from the host's read-only
//!   [`HostView`] or asks the host to perform an HTTP request and resumes with the answer;
//! * for venue plugins a **sans-IO codec** ([`VenueCodec`]): the host owns sockets, timers, clocks
//!   and retries; the codec says what to connect to and what to send, and turns every input
//!   (frame + receive time, REST answer, timer tick) into normalized [`MarketEvent`]s plus
//!   [`HostAction`]s;
//! * an optional **emulator** ([`VenueEmulator`]): the server side of the same protocol, also
//!   sans-IO, which the host serves on loopback for tests and the demo.
//!
//! Every entry point runs inside [`guard`], so a panic in a plugin becomes
//! [`SdkError`] with kind [`ErrorKind::Panicked`] instead of unwinding across the FFI boundary.
//!
//! Only abi_stable types cross the boundary; tool arguments and results are JSON strings.

// abi_stable's derive and sabi_trait macros expand to `unsafe` blocks and impls; this crate
// contains no hand-written unsafe code.
#![allow(unsafe_code)]
// `#[sabi_trait]` expands to impls of abi_stable's traits inside a generated module.
#![allow(non_local_definitions)]

pub mod abi;
mod guard;
pub mod heap;
pub mod num;
mod plugin;
pub mod series;

pub use abi::*;
pub use guard::{guard, guard_result};
pub use num::{DecimalParseError, FixedDecimal, MAX_SCALE};
pub use plugin::{
    Codec, Emulator, Plugin, codec_box, emulator_box, host_view, root_module_of,
    root_module_v1_0_of,
};
pub use series::{Series, SeriesKind, SeriesRequest, fetch_series, fetch_settings};

/// abi_stable's FFI-safe standard types (`RString`, `RVec`, `ROption`, …) that appear in the
/// ABI, so that a plugin needs no direct dependency on abi_stable.
pub use abi_stable::std_types;

/// abi_stable, for the code that [`export_plugin!`] generates inside plugin crates (which then
/// need no direct dependency on it). Not part of the SDK's API.
#[doc(hidden)]
pub use abi_stable as __abi_stable;

/// What a plugin needs: the ABI types, the native traits, and the abi_stable standard types
/// that appear in them.
pub mod prelude {
    pub use crate::abi::*;
    pub use crate::export_plugin;
    pub use crate::num::FixedDecimal;
    pub use crate::plugin::{Codec, Emulator, Plugin};
    pub use crate::series::{Series, SeriesKind, SeriesRequest, fetch_series, fetch_settings};
    pub use abi_stable::std_types::{RNone, ROption, RSome, RStr, RString, RVec};
}

#[cfg(test)]
mod tests {
    #[test]
    fn export_symbol_is_abi_stables_root_module_loader_name() {
        // export_plugin! hard-codes the symbol name; it must be the one the loader looks up.
        assert_eq!(
            "_1as_0lib_1header_0root_bmodule_bloader",
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}
