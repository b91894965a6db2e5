//! The root module every plugin exports, and its manifest.

use crate::abi::{
    codec::{HttpResponse, VenueCodecBox},
    emulator::VenueEmulatorBox,
    error::SdkError,
    tool::{HostViewRef, ToolDescriptor, ToolStep},
};
use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString, RVec},
};

/// Version of this SDK = the plugin ABI version.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A venue a plugin serves.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct VenueInfo {
    /// Venue id, e.g. `binance`, `binance_spot`.
    pub id: RString,
    /// One-line description.
    pub description: RString,
    /// Whether the plugin ships an emulator for it.
    pub has_emulator: bool,
}

/// Identity and build information of a plugin, logged and checked by the host.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct PluginManifest {
    /// Plugin name, e.g. `binance`.
    pub name: RString,
    /// Plugin version.
    pub version: RString,
    /// The SDK (ABI) version the plugin was built against.
    pub sdk_version: RString,
    /// Build profile (`debug` / `release`).
    pub profile: RString,
    /// Venues served (empty for tool-only plugins such as forecasters).
    pub venues: RVec<VenueInfo>,
}

/// Fills `sdk_version` and `profile` for a plugin's manifest.
pub fn manifest(name: &str, version: &str, venues: Vec<VenueInfo>) -> PluginManifest {
    PluginManifest {
        name: name.into(),
        version: version.into(),
        sdk_version: SDK_VERSION.into(),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
        venues: venues.into(),
    }
}

/// The root module of a plugin. Fields may only be appended (minor version); the host gets
/// `None` for a field an older plugin lacks.
#[repr(C)]
#[derive(StableAbi)]
#[allow(missing_debug_implementations)] // a table of function pointers
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Plugin identity.
    pub manifest: extern "C" fn() -> PluginManifest,
    /// Tools the plugin serves.
    pub tools: extern "C" fn() -> RVec<ToolDescriptor>,
    /// Starts a tool call: `(name, args_json, host)`.
    pub call_tool:
        extern "C" fn(RStr<'_>, RStr<'_>, HostViewRef<'_>) -> RResult<ToolStep, SdkError>,
    /// Resumes a tool call after a [`ToolStep::Fetch`]: `(name, state, response, host)`.
    pub resume_tool: extern "C" fn(
        RStr<'_>,
        RStr<'_>,
        HttpResponse,
        HostViewRef<'_>,
    ) -> RResult<ToolStep, SdkError>,
    /// Creates a codec from a JSON [`crate::CodecConfig`].
    pub new_codec: extern "C" fn(RStr<'_>) -> RResult<VenueCodecBox, SdkError>,
    /// Creates an emulator from a JSON [`crate::EmulatorConfig`].
    #[sabi(last_prefix_field)]
    pub new_emulator: extern "C" fn(RStr<'_>) -> RResult<VenueEmulatorBox, SdkError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "orderflow_plugin";
    const NAME: &'static str = "orderflow_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
