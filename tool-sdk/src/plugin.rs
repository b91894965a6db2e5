//! The native side of the SDK: the plain Rust traits a plugin implements, and the generic
//! adapters behind [`crate::export_plugin!`] that turn them into the abi_stable root module.
//!
//! A plugin author writes ordinary Rust — `impl Codec for MyCodec`, `impl Emulator for MyEmu`,
//! `impl Plugin for MyPlugin` — and one `export_plugin!(MyPlugin);`. Everything that crosses the
//! FFI boundary (the `#[sabi_trait]` objects, `extern "C"` entry points, the panic guard, JSON
//! decoding of the host's configuration) is generated here, once, for every plugin.

use crate::abi::{
    CodecConfig, CodecOutput, ConnectionPlan, EmuFrame, EmulatorConfig, ErrorKind, HostViewRef,
    HttpRequest, HttpResponse, PluginManifest, PluginMod, PluginModRef, PluginQuery, SdkError,
    ToolDescriptor, ToolStep, VenueCapabilities, VenueCodec, VenueCodec_TO, VenueCodecBox,
    VenueDefaults, VenueEmulator, VenueEmulator_TO, VenueEmulatorBox, VenueInfo, manifest,
};
use crate::guard::{guard, guard_result};
use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::prelude::TD_Opaque,
    std_types::{RResult, RStr, RString, RVec},
};

/// A sans-IO venue codec (see [`crate::VenueCodec`] for the protocol). The host owns sockets,
/// timers and clocks; every input arrives with its time, so the same inputs replay exactly.
///
/// Errors returned from [`Codec::on_frame`] / [`Codec::on_http`] are counted by the host as
/// decode errors; a codec must leave its state as if a rejected input never arrived. A panic is
/// caught by the SDK and reported as [`ErrorKind::Panicked`].
pub trait Codec: Send + 'static {
    /// The connections to open and how to run them.
    fn plan(&self) -> ConnectionPlan;
    /// A connection was (re)opened at `ts_recv`: typically subscription frames.
    fn on_connected(&mut self, conn: u32, ts_recv: u64) -> CodecOutput;
    /// A text frame arrived on `conn` at local time `ts_recv` (Unix ns).
    ///
    /// # Errors
    /// The frame could not be decoded.
    fn on_frame(&mut self, conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError>;
    /// The answer to a [`crate::HostAction::Http`] with `tag`. The default, for codecs that
    /// make no REST requests, counts any answer as stale.
    ///
    /// # Errors
    /// The answer could not be decoded.
    fn on_http(
        &mut self,
        tag: u64,
        response: &HttpResponse,
        ts_recv: u64,
    ) -> Result<CodecOutput, SdkError> {
        let _ = (response, ts_recv);
        let mut out = CodecOutput::default();
        out.notice(
            crate::abi::NoticeKind::Stale,
            format!("answer for unknown tag {tag}"),
        );
        Ok(out)
    }
    /// Periodic tick (see [`ConnectionPlan::timer_interval_ms`]); the default does nothing.
    fn on_timer(&mut self, now: u64) -> CodecOutput {
        let _ = now;
        CodecOutput::default()
    }
    /// A connection was lost; the host reconnects with backoff.
    fn on_disconnected(&mut self, conn: u32, now: u64) -> CodecOutput;
}

/// The server side of a venue's protocol, sans-IO (see [`crate::VenueEmulator`]).
pub trait Emulator: Send + 'static {
    /// A client opened a WebSocket at `path` (path and query).
    fn ws_open(&mut self, conn: u64, path: &str, now: u64) -> Vec<EmuFrame>;
    /// A client sent a text frame.
    fn ws_message(&mut self, conn: u64, text: &str, now: u64) -> Vec<EmuFrame>;
    /// A client connection closed.
    fn ws_close(&mut self, conn: u64, now: u64);
    /// A REST request.
    fn http(&mut self, request: &HttpRequest, now: u64) -> HttpResponse;
    /// Moves the synthetic market to `now` and returns the stream frames due.
    fn advance(&mut self, now: u64) -> Vec<EmuFrame>;
    /// Control channel: statistics, the true book, fault injection (JSON in, JSON out).
    ///
    /// # Errors
    /// Unknown command, instrument or fault.
    fn control(&mut self, command: &str) -> Result<String, SdkError>;
}

/// A plugin: identity, tools and, for venue plugins, codecs and emulators. Every method but the
/// identity has a default, so a tool-only plugin (a forecaster) implements `tools`, `call_tool`
/// and nothing else.
pub trait Plugin: 'static {
    /// Plugin name: the library must be `liborderflow_plugin_<NAME>.so` (crate
    /// `orderflow-plugin-<NAME>`), and `plugins.load` lists it under this name.
    const NAME: &'static str;
    /// Plugin version (usually `env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;

    /// Venues this plugin serves (empty for tool-only plugins).
    fn venues() -> Vec<VenueInfo> {
        Vec::new()
    }
    /// Default connection settings per venue, used by the host for a venue that the
    /// configuration does not list (query [`PluginQuery::VenueDefaults`], since SDK 1.1).
    fn venue_defaults() -> Vec<VenueDefaults> {
        Vec::new()
    }
    /// What each venue's stream offers (query [`PluginQuery::Capabilities`], since SDK 1.2).
    fn capabilities() -> Vec<VenueCapabilities> {
        Vec::new()
    }
    /// The tools this plugin serves.
    fn tools() -> Vec<ToolDescriptor> {
        Vec::new()
    }
    /// Starts a tool call: answer at once, or ask the host to fetch something first.
    ///
    /// # Errors
    /// Unknown tool ([`ErrorKind::NotFound`]), bad arguments ([`ErrorKind::InvalidArgs`]) …
    fn call_tool(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        let _ = (args, host);
        Err(SdkError::new(
            ErrorKind::NotFound,
            format!("unknown tool {name:?}"),
        ))
    }
    /// Resumes a tool call after a [`ToolStep::Fetch`].
    ///
    /// # Errors
    /// Upstream errors, undecodable answers.
    fn resume_tool(
        name: &str,
        state: &str,
        response: &HttpResponse,
        host: &HostViewRef<'_>,
    ) -> Result<ToolStep, SdkError> {
        let _ = (state, response, host);
        Err(SdkError::new(
            ErrorKind::NotFound,
            format!("tool {name:?} has no REST step"),
        ))
    }
    /// A codec for one of [`Plugin::venues`].
    ///
    /// # Errors
    /// Unknown venue, invalid configuration.
    fn new_codec(config: CodecConfig) -> Result<Box<dyn Codec>, SdkError> {
        Err(SdkError::new(
            ErrorKind::NotFound,
            format!("plugin {} has no codec for {:?}", Self::NAME, config.venue),
        ))
    }
    /// An emulator for one of [`Plugin::venues`].
    ///
    /// # Errors
    /// Unknown venue, invalid configuration.
    fn new_emulator(config: EmulatorConfig) -> Result<Box<dyn Emulator>, SdkError> {
        Err(SdkError::new(
            ErrorKind::NotFound,
            format!(
                "plugin {} has no emulator for {:?}",
                Self::NAME,
                config.venue
            ),
        ))
    }
}

/// Carries a native codec across the boundary; every call runs inside the panic guard.
struct CodecAdapter(Box<dyn Codec>);

impl VenueCodec for CodecAdapter {
    fn plan(&self) -> ConnectionPlan {
        // `plan` has no error channel: a panicking plan yields an empty plan (no connections),
        // which the host reports as a venue with nothing to connect.
        match guard(|| self.0.plan()) {
            RResult::ROk(p) => p,
            RResult::RErr(_) => ConnectionPlan {
                connections: RVec::new(),
                timer_interval_ms: 0,
                idle_timeout_ms: 0,
                client_ping: abi_stable::std_types::ROption::RNone,
                min_backoff_ms: 1_000,
                max_backoff_ms: 60_000,
            },
        }
    }
    fn on_connected(&mut self, conn: u32, ts_recv: u64) -> RResult<CodecOutput, SdkError> {
        guard(|| self.0.on_connected(conn, ts_recv))
    }
    fn on_frame(
        &mut self,
        conn: u32,
        frame: RStr<'_>,
        ts_recv: u64,
    ) -> RResult<CodecOutput, SdkError> {
        guard_result(|| self.0.on_frame(conn, frame.as_str(), ts_recv))
    }
    fn on_http(
        &mut self,
        tag: u64,
        response: HttpResponse,
        ts_recv: u64,
    ) -> RResult<CodecOutput, SdkError> {
        guard_result(|| self.0.on_http(tag, &response, ts_recv))
    }
    fn on_timer(&mut self, now: u64) -> RResult<CodecOutput, SdkError> {
        guard(|| self.0.on_timer(now))
    }
    fn on_disconnected(&mut self, conn: u32, now: u64) -> RResult<CodecOutput, SdkError> {
        guard(|| self.0.on_disconnected(conn, now))
    }
}

/// Carries a native emulator across the boundary; every call runs inside the panic guard.
struct EmulatorAdapter(Box<dyn Emulator>);

impl VenueEmulator for EmulatorAdapter {
    fn ws_open(
        &mut self,
        conn: u64,
        path: RStr<'_>,
        now: u64,
    ) -> RResult<RVec<EmuFrame>, SdkError> {
        guard(|| self.0.ws_open(conn, path.as_str(), now).into())
    }
    fn ws_message(
        &mut self,
        conn: u64,
        text: RStr<'_>,
        now: u64,
    ) -> RResult<RVec<EmuFrame>, SdkError> {
        guard(|| self.0.ws_message(conn, text.as_str(), now).into())
    }
    fn ws_close(&mut self, conn: u64, now: u64) {
        // No error channel; a panic here is contained and the connection is gone either way.
        let _ = guard(|| self.0.ws_close(conn, now));
    }
    fn http(&mut self, request: HttpRequest, now: u64) -> RResult<HttpResponse, SdkError> {
        guard(|| self.0.http(&request, now))
    }
    fn advance(&mut self, now: u64) -> RResult<RVec<EmuFrame>, SdkError> {
        guard(|| self.0.advance(now).into())
    }
    fn control(&mut self, command: RStr<'_>) -> RResult<RString, SdkError> {
        guard_result(|| self.0.control(command.as_str()).map(RString::from))
    }
}

/// Boxes a native codec as the FFI-safe trait object the host holds (also useful in-process).
pub fn codec_box(codec: Box<dyn Codec>) -> VenueCodecBox {
    VenueCodec_TO::from_value(CodecAdapter(codec), TD_Opaque)
}

/// Boxes a native emulator as the FFI-safe trait object the host holds.
pub fn emulator_box(emulator: Box<dyn Emulator>) -> VenueEmulatorBox {
    VenueEmulator_TO::from_value(EmulatorAdapter(emulator), TD_Opaque)
}

/// Borrows any [`crate::HostView`] implementation as the view tools receive: what the host
/// does for each call, and what a plugin's tests do with a stand-in host.
pub fn host_view<V: crate::HostView>(view: &V) -> HostViewRef<'_> {
    crate::HostView_TO::from_ptr(view, TD_Opaque)
}

fn parse_config<T: serde::de::DeserializeOwned>(what: &str, json: RStr<'_>) -> Result<T, SdkError> {
    serde_json::from_str(json.as_str())
        .map_err(|e| SdkError::invalid_args(format!("{what} config: {e}")))
}

extern "C" fn manifest_entry<P: Plugin>() -> PluginManifest {
    match guard(|| manifest(P::NAME, P::VERSION, P::venues())) {
        RResult::ROk(m) => m,
        // The identity is still known without the venue list.
        RResult::RErr(_) => manifest(P::NAME, P::VERSION, Vec::new()),
    }
}

extern "C" fn tools_entry<P: Plugin>() -> RVec<ToolDescriptor> {
    guard(|| RVec::from(P::tools())).unwrap_or_default()
}

extern "C" fn query_entry<P: Plugin>(name: RStr<'_>) -> RResult<RString, SdkError> {
    guard_result(|| match PluginQuery::parse(name.as_str()) {
        Some(PluginQuery::VenueDefaults) => serde_json::to_string(&P::venue_defaults())
            .map(RString::from)
            .map_err(|e| SdkError::new(ErrorKind::Internal, e.to_string())),
        Some(PluginQuery::Capabilities) => serde_json::to_string(&P::capabilities())
            .map(RString::from)
            .map_err(|e| SdkError::new(ErrorKind::Internal, e.to_string())),
        Some(PluginQuery::Heap) => match crate::heap::usage() {
            Some(u) => serde_json::to_string(&u)
                .map(RString::from)
                .map_err(|e| SdkError::new(ErrorKind::Internal, e.to_string())),
            None => Err(SdkError::new(
                ErrorKind::NotFound,
                "this plugin does not count its heap",
            )),
        },
        None => Err(unknown_query(name)),
    })
}

fn unknown_query(name: RStr<'_>) -> SdkError {
    SdkError::new(
        ErrorKind::NotFound,
        format!("unknown plugin query {:?}", name.as_str()),
    )
}

/// SDK 1.0 answered no query (compatibility fixture only).
extern "C" fn query_entry_v1_0(name: RStr<'_>) -> RResult<RString, SdkError> {
    RResult::RErr(unknown_query(name))
}

extern "C" fn call_tool_entry<P: Plugin>(
    name: RStr<'_>,
    args: RStr<'_>,
    host: HostViewRef<'_>,
) -> RResult<ToolStep, SdkError> {
    guard_result(|| P::call_tool(name.as_str(), args.as_str(), &host))
}

extern "C" fn resume_tool_entry<P: Plugin>(
    name: RStr<'_>,
    state: RStr<'_>,
    response: HttpResponse,
    host: HostViewRef<'_>,
) -> RResult<ToolStep, SdkError> {
    guard_result(|| P::resume_tool(name.as_str(), state.as_str(), &response, &host))
}

extern "C" fn new_codec_entry<P: Plugin>(config: RStr<'_>) -> RResult<VenueCodecBox, SdkError> {
    guard_result(|| {
        let cfg: CodecConfig = parse_config("codec", config)?;
        P::new_codec(cfg).map(codec_box)
    })
}

extern "C" fn new_emulator_entry<P: Plugin>(
    config: RStr<'_>,
) -> RResult<VenueEmulatorBox, SdkError> {
    guard_result(|| {
        let cfg: EmulatorConfig = parse_config("emulator", config)?;
        P::new_emulator(cfg).map(emulator_box)
    })
}

/// The root module of plugin `P`. [`crate::export_plugin!`] exports it; tests and benches call
/// it to use a plugin in-process exactly as the host would through the loaded library.
pub fn root_module_of<P: Plugin>() -> PluginModRef {
    PluginMod {
        manifest: manifest_entry::<P>,
        tools: tools_entry::<P>,
        call_tool: call_tool_entry::<P>,
        resume_tool: resume_tool_entry::<P>,
        new_codec: new_codec_entry::<P>,
        new_emulator: new_emulator_entry::<P>,
        query: query_entry::<P>,
    }
    .leak_into_prefix()
}

/// Plugin `P` as SDK 1.0 built it (version 1.0.0, no queries): only for the host's
/// compatibility fixture, see [`crate::abi::v1_0`].
#[doc(hidden)]
pub fn root_module_v1_0_of<P: Plugin>() -> crate::abi::v1_0::PluginModRef {
    crate::abi::v1_0::PluginMod {
        manifest: manifest_entry::<P>,
        tools: tools_entry::<P>,
        call_tool: call_tool_entry::<P>,
        resume_tool: resume_tool_entry::<P>,
        new_codec: new_codec_entry::<P>,
        new_emulator: new_emulator_entry::<P>,
        query: query_entry_v1_0,
    }
    .leak_into_prefix()
}

/// Exports a [`Plugin`] implementation as the library's root module.
///
/// Expands to `pub fn root_module()` (for in-process use) and the `#[export_root_module]`
/// entry point the host looks up. Use it once, at the crate root of a `cdylib`.
///
/// ```
/// struct MyPlugin;
/// impl orderflow_tool_sdk::Plugin for MyPlugin {
///     const NAME: &'static str = "myvenue";
///     const VERSION: &'static str = "0.1.0";
/// }
/// orderflow_tool_sdk::export_plugin!(MyPlugin);
///
/// # fn main() {
/// let manifest = (root_module().manifest())();
/// assert_eq!(manifest.name.as_str(), "myvenue");
/// # }
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The plugin's root module, built in-process (tests, benches).
        pub fn root_module() -> $crate::PluginModRef {
            $crate::root_module_of::<$plugin>()
        }
        $crate::__export_root_module!($crate::PluginModRef);
    };
}

/// Emits the library header for `root_module()` of type `$module`: what abi_stable's
/// `#[export_root_module]` emits, written with paths into this SDK so that a plugin needs no
/// direct `abi_stable` dependency. The symbol is abi_stable's
/// `library::ROOT_MODULE_LOADER_NAME` (checked by a test in the SDK).
#[doc(hidden)]
#[macro_export]
macro_rules! __export_root_module {
    ($module:ty) => {
        #[doc(hidden)]
        #[allow(unsafe_code, missing_docs, non_upper_case_globals)]
        #[unsafe(export_name = "_1as_0lib_1header_0root_bmodule_bloader")]
        pub static __orderflow_plugin_lib_header: $crate::__abi_stable::library::LibHeader = {
            extern "C" fn erased_module() -> $crate::__abi_stable::library::RootModuleResult {
                $crate::__abi_stable::library::__call_root_module_loader(root_module)
            }
            // SAFETY: `erased_module` returns the root module of type `$module`, the type the
            // header is built for; its layout is checked by the host at load time.
            unsafe {
                $crate::__abi_stable::library::LibHeader::from_constructor::<$module>(
                    erased_module,
                    $crate::__abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{InstrumentMapping, VenueDefaults};

    struct Probe;

    impl Plugin for Probe {
        const NAME: &'static str = "probe";
        const VERSION: &'static str = "0.0.1";

        fn venue_defaults() -> Vec<VenueDefaults> {
            vec![VenueDefaults {
                venue: "probe".into(),
                ws_url: "wss://example.invalid".into(),
                rest_url: "https://example.invalid".into(),
                symbols: [("BTCUSDT".to_owned(), "BTC".to_owned())].into(),
                options: serde_json::Map::new(),
            }]
        }
        #[allow(clippy::panic)]
        fn new_codec(_config: CodecConfig) -> Result<Box<dyn Codec>, SdkError> {
            panic!("codec construction exploded")
        }
    }

    #[test]
    fn queries_answer_known_names_and_refuse_unknown_ones() {
        let m = root_module_of::<Probe>();
        let ans = (m.query())(RStr::from_str("venue_defaults")).unwrap();
        let d: Vec<VenueDefaults> = serde_json::from_str(ans.as_str()).unwrap();
        assert_eq!(d[0].symbols["BTCUSDT"], "BTC");
        let e = (m.query())(RStr::from_str("no_such_query")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        // What SDK 1.0 built knows no query at all.
        let old = root_module_v1_0_of::<Probe>();
        let e = (old.query())(RStr::from_str("venue_defaults")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[test]
    fn defaults_and_panics_become_errors_not_unwinds() {
        let m = root_module_of::<Probe>();
        let cfg = CodecConfig::new(
            "probe",
            vec![InstrumentMapping {
                symbol: "BTCUSDT".into(),
                venue_symbol: "BTC".into(),
            }],
        );
        let json = serde_json::to_string(&cfg).unwrap();
        let e = (m.new_codec())(RStr::from_str(&json))
            .into_result()
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::Panicked);
        assert!(e.message.contains("exploded"), "{}", e.message);
        // A plugin without an emulator says so.
        let e = (m.new_emulator())(RStr::from_str("{}"))
            .into_result()
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidArgs, "{e}");
        assert_eq!((m.tools())().len(), 0);
        assert_eq!((m.manifest())().name.as_str(), "probe");
    }
}
