//! The root module every plugin exports, and its manifest.

use crate::abi::{
    codec::{HttpResponse, VenueCodecBox},
    emulator::VenueEmulatorBox,
    error::SdkError,
    tool::{HostViewRef, ToolDescriptor, ToolStep},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

impl VenueInfo {
    /// A venue entry.
    pub fn new(id: &str, description: &str, has_emulator: bool) -> Self {
        Self {
            id: id.into(),
            description: description.into(),
            has_emulator,
        }
    }
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

/// The root module of a plugin: a prefix type, **frozen for a major version**.
///
/// abi_stable's layout check accepts a library whose prefix type has *at least* the host's
/// fields, never fewer, so a field appended in a minor would lock out every plugin built on the
/// previous minor. Minors therefore extend the ABI through JSON channels instead — named
/// [`PluginMod::query`]s, host-view ops, configuration and tool-argument keys — and a new
/// field (or event variant, or trait method) waits for the next major. See
/// `docs/plugins.md`, "Versioning".
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
    pub new_emulator: extern "C" fn(RStr<'_>) -> RResult<VenueEmulatorBox, SdkError>,
    /// Answers a named [`PluginQuery`] with JSON. This is how a minor version extends the root
    /// module (which is frozen for a major, see the type's docs): a plugin built on an older
    /// minor answers a query it does not know with [`crate::ErrorKind::NotFound`].
    #[sabi(last_prefix_field)]
    pub query: extern "C" fn(RStr<'_>) -> RResult<RString, SdkError>,
}

/// The queries [`PluginMod::query`] answers, by name, and the SDK minor that added each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginQuery {
    /// Since 1.1: `[VenueDefaults]` as JSON, the connection settings of each venue for a host
    /// whose configuration does not list it.
    VenueDefaults,
    /// Since 1.2: `[VenueCapabilities]` as JSON, what each venue's stream offers.
    Capabilities,
    /// Since 1.4: [`crate::heap::HeapUsage`] as JSON, the plugin's own heap; `NotFound` when
    /// the plugin does not count it (its allocator is not [`crate::heap::CountingAlloc`]).
    Heap,
}

impl PluginQuery {
    /// The wire name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::VenueDefaults => "venue_defaults",
            Self::Capabilities => "capabilities",
            Self::Heap => "heap",
        }
    }

    /// The query of a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "venue_defaults" => Some(Self::VenueDefaults),
            "capabilities" => Some(Self::Capabilities),
            "heap" => Some(Self::Heap),
            _ => None,
        }
    }
}

/// Default connection settings of one venue, declared by its plugin (since 1.1).
///
/// The host uses them for a venue that has no `[venues.<id>]` entry in its configuration, so a
/// plugin dropped into a plugin folder runs without editing the configuration. A configuration
/// entry always wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueDefaults {
    /// Venue id (one of the plugin's venues).
    pub venue: String,
    /// WebSocket base URL of the real venue.
    pub ws_url: String,
    /// REST base URL of the real venue.
    pub rest_url: String,
    /// orderflow symbol → the venue's instrument name, for the symbols the venue lists.
    pub symbols: BTreeMap<String, String>,
    /// Venue-specific options, passed to the codec as [`crate::CodecConfig::options`].
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// The normalized streams a venue can publish ([`VenueCapabilities::streams`]).
pub const STREAMS: [&str; 7] = [
    "trades",
    "book",
    "ticker",
    "funding",
    "open_interest",
    "mark_price",
    "liquidations",
];

/// What one venue's stream offers, declared by its plugin (since 1.2). The host shows it in
/// `GET /exchanges` and `/symbols/{exchange}`; a plugin registers no live tool for a stream it
/// does not declare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueCapabilities {
    /// Venue id (one of the plugin's venues).
    pub venue: String,
    /// Streams the codec emits, from [`STREAMS`].
    pub streams: Vec<String>,
    /// Streams the venue does not offer, with the reason (e.g. no public liquidation feed).
    #[serde(default)]
    pub unavailable: BTreeMap<String, String>,
    /// How book integrity is kept, e.g. `"REST snapshot + U/u/pu sequence"`.
    #[serde(default)]
    pub book_sync: String,
}

impl VenueCapabilities {
    /// A venue offering `streams`; the other [`STREAMS`] are unavailable for `reason_missing`.
    pub fn new(venue: &str, streams: &[&str], book_sync: &str) -> Self {
        Self {
            venue: venue.to_owned(),
            streams: streams.iter().map(|s| (*s).to_owned()).collect(),
            unavailable: BTreeMap::new(),
            book_sync: book_sync.to_owned(),
        }
    }

    /// Marks `stream` unavailable with a reason.
    #[must_use]
    pub fn without(mut self, stream: &str, reason: &str) -> Self {
        self.streams.retain(|s| s != stream);
        self.unavailable
            .insert(stream.to_owned(), reason.to_owned());
        self
    }
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "orderflow_plugin";
    const NAME: &'static str = "orderflow_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The root module as SDK 1.0 built it: the same frozen layout as [`PluginMod`], with the
/// version strings `1.0.0`. It exists so that the host's tests can build a plugin of the
/// previous minor (`tests/plugin-fixtures/sdk-1-0`) and check that a 1.1 host loads it.
/// Plugin authors never use it.
#[doc(hidden)]
pub mod v1_0 {
    use crate::abi::{
        codec::{HttpResponse, VenueCodecBox},
        emulator::VenueEmulatorBox,
        error::SdkError,
        root::PluginManifest,
        tool::{HostViewRef, ToolDescriptor, ToolStep},
    };
    use abi_stable::{
        StableAbi, declare_root_module_statics,
        library::RootModule,
        sabi_types::VersionStrings,
        std_types::{RResult, RStr, RString, RVec},
    };

    /// SDK 1.0's root module: field for field [`super::PluginMod`].
    #[repr(C)]
    #[derive(StableAbi)]
    #[allow(missing_debug_implementations)]
    #[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
    #[sabi(missing_field(panic))]
    pub struct PluginMod {
        /// Plugin identity.
        pub manifest: extern "C" fn() -> PluginManifest,
        /// Tools the plugin serves.
        pub tools: extern "C" fn() -> RVec<ToolDescriptor>,
        /// Starts a tool call.
        pub call_tool:
            extern "C" fn(RStr<'_>, RStr<'_>, HostViewRef<'_>) -> RResult<ToolStep, SdkError>,
        /// Resumes a tool call.
        pub resume_tool: extern "C" fn(
            RStr<'_>,
            RStr<'_>,
            HttpResponse,
            HostViewRef<'_>,
        ) -> RResult<ToolStep, SdkError>,
        /// Creates a codec.
        pub new_codec: extern "C" fn(RStr<'_>) -> RResult<VenueCodecBox, SdkError>,
        /// Creates an emulator.
        pub new_emulator: extern "C" fn(RStr<'_>) -> RResult<VenueEmulatorBox, SdkError>,
        /// Named queries (1.0 knew none).
        #[sabi(last_prefix_field)]
        pub query: extern "C" fn(RStr<'_>) -> RResult<RString, SdkError>,
    }

    impl RootModule for PluginModRef {
        declare_root_module_statics! {PluginModRef}
        const BASE_NAME: &'static str = "orderflow_plugin";
        const NAME: &'static str = "orderflow_plugin";
        const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.0.0");
    }
}
