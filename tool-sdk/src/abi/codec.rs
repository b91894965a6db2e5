//! The sans-IO venue codec: what to connect to, what to send, and how inputs become events.
//!
//! The host owns every socket, timer, clock read and retry. It calls the codec with inputs and
//! performs the [`HostAction`]s the codec returns. Because a codec never performs I/O and never
//! reads a clock, feeding it the same inputs (frames with their receive times, REST answers, timer
//! ticks) replays exactly.

use crate::abi::{error::SdkError, events::MarketEvent};
use abi_stable::{
    StableAbi, sabi_trait,
    std_types::{RBox, ROption, RResult, RStr, RString, RVec},
};
use serde::{Deserialize, Serialize};

/// A REST request the host performs on a plugin's behalf (against the venue's configured REST
/// base URL, which the host prepends to `path_and_query`).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Venue id whose REST base URL to use (e.g. `binance`).
    pub venue: RString,
    /// `GET` or `POST`.
    pub method: RString,
    /// Path and query, e.g. `/fapi/v1/depth?symbol=BTCUSDT&limit=1000`.
    pub path_and_query: RString,
    /// Request body (empty for GET).
    pub body: RString,
}

impl HttpRequest {
    /// A POST request with a JSON (or other) body.
    pub fn post(venue: &str, path_and_query: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            venue: venue.into(),
            method: "POST".into(),
            path_and_query: RString::from(path_and_query.into()),
            body: RString::from(body.into()),
        }
    }

    /// A GET request.
    pub fn get(venue: &str, path_and_query: impl Into<String>) -> Self {
        Self {
            venue: venue.into(),
            method: "GET".into(),
            path_and_query: RString::from(path_and_query.into()),
            body: RString::new(),
        }
    }
}

/// The answer to an [`HttpRequest`]. Transport failures arrive as status 0 with the reason in
/// `body`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status; 0 when the request failed before a response.
    pub status: u16,
    /// Response body (or the transport error for status 0).
    pub body: RString,
}

/// One WebSocket connection the codec wants the host to hold open.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// Codec-chosen connection number, echoed back in every callback.
    pub conn: u32,
    /// Path and query appended to the venue's WebSocket base URL (e.g. `/stream`).
    pub path: RString,
}

/// How the host should run the codec's connections.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct ConnectionPlan {
    /// Connections to open.
    pub connections: RVec<ConnectionSpec>,
    /// Call [`VenueCodec::on_timer`] this often (ms); 0 = never.
    pub timer_interval_ms: u64,
    /// Reconnect a connection that received nothing for this long (ms); 0 = never.
    pub idle_timeout_ms: u64,
    /// Application-level ping the client must send (text, interval ms), if the venue needs one.
    /// WebSocket protocol pings from the server are always answered by the host.
    pub client_ping: ROption<ClientPing>,
    /// First reconnect delay (ms); doubles per failed attempt up to `max_backoff_ms`.
    pub min_backoff_ms: u64,
    /// Reconnect delay cap (ms).
    pub max_backoff_ms: u64,
}

/// An application-level ping (e.g. OKX `"ping"`).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct ClientPing {
    /// Interval in ms.
    pub interval_ms: u64,
    /// Text frame to send.
    pub text: RString,
}

/// Something the codec asks the host to do.
#[repr(u8)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub enum HostAction {
    /// Send a text frame on a connection.
    Send {
        /// Connection number.
        conn: u32,
        /// Frame text.
        text: RString,
    },
    /// Perform a REST request; the answer comes back through [`VenueCodec::on_http`] with `tag`.
    Http {
        /// Codec-chosen tag.
        tag: u64,
        /// The request.
        request: HttpRequest,
    },
    /// Drop and re-open a connection (the host applies its backoff).
    Reconnect {
        /// Connection number.
        conn: u32,
        /// Why (logged).
        reason: RString,
    },
}

/// What kind of thing a [`Notice`] reports; the host keeps one counter per kind and venue.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    /// A sequence gap was detected.
    Gap = 0,
    /// The book was (re)synchronised from a snapshot.
    Resync = 1,
    /// A frame could not be decoded and was skipped.
    Malformed = 2,
    /// A book checksum did not match.
    ChecksumMismatch = 3,
    /// A subscription was acknowledged.
    Subscribed = 4,
    /// The venue refused a subscription or request.
    Rejected = 5,
    /// A message was dropped as stale or duplicate.
    Stale = 6,
    /// A symbol the codec does not know.
    UnknownSymbol = 7,
}

impl NoticeKind {
    /// Stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gap => "gaps",
            Self::Resync => "resyncs",
            Self::Malformed => "malformed",
            Self::ChecksumMismatch => "checksum_mismatches",
            Self::Subscribed => "subscriptions",
            Self::Rejected => "rejections",
            Self::Stale => "stale_dropped",
            Self::UnknownSymbol => "unknown_symbols",
        }
    }
}

/// A countable occurrence with a short detail for the log.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Kind.
    pub kind: NoticeKind,
    /// Detail (instrument, ids).
    pub detail: RString,
}

/// Everything one codec call produced.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq)]
pub struct CodecOutput {
    /// Normalized events, in venue order.
    pub events: RVec<MarketEvent>,
    /// Requests for the host.
    pub actions: RVec<HostAction>,
    /// Countable occurrences.
    pub notices: RVec<Notice>,
}

impl CodecOutput {
    /// Adds a notice.
    pub fn notice(&mut self, kind: NoticeKind, detail: impl Into<String>) {
        self.notices.push(Notice {
            kind,
            detail: RString::from(detail.into()),
        });
    }
}

/// A venue codec. Created per venue by [`crate::PluginMod`]'s `new_codec` from a
/// JSON [`CodecConfig`]. Implementations must not panic (wrap bodies in [`crate::guard`]).
#[sabi_trait]
pub trait VenueCodec: Send {
    /// The connections to open and how to run them.
    fn plan(&self) -> ConnectionPlan;

    /// A connection was (re)opened: typically returns subscription frames.
    fn on_connected(&mut self, conn: u32, ts_recv: u64) -> RResult<CodecOutput, SdkError>;

    /// A text frame arrived at local time `ts_recv` (Unix ns).
    ///
    /// A frame that cannot be decoded returns `Err` (the host counts it); the codec's state is
    /// left as if the frame never arrived.
    fn on_frame(
        &mut self,
        conn: u32,
        frame: RStr<'_>,
        ts_recv: u64,
    ) -> RResult<CodecOutput, SdkError>;

    /// The answer to a [`HostAction::Http`].
    fn on_http(
        &mut self,
        tag: u64,
        response: HttpResponse,
        ts_recv: u64,
    ) -> RResult<CodecOutput, SdkError>;

    /// Periodic tick (see [`ConnectionPlan::timer_interval_ms`]).
    fn on_timer(&mut self, now: u64) -> RResult<CodecOutput, SdkError>;

    /// A connection was lost; the host will reconnect with backoff.
    #[sabi(last_prefix_field)]
    fn on_disconnected(&mut self, conn: u32, now: u64) -> RResult<CodecOutput, SdkError>;
}

/// An owned, boxed codec as returned by a plugin.
pub type VenueCodecBox = VenueCodec_TO<'static, RBox<()>>;

/// Maps one orderflow symbol to the venue's instrument name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentMapping {
    /// orderflow symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Venue instrument name, e.g. `BTCUSDT`, `BTC-USDT-SWAP`.
    pub venue_symbol: String,
}

/// Configuration the host passes (as JSON) to `new_codec`. Unknown keys are ignored, so fields
/// can be added without an ABI change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodecConfig {
    /// Venue id (one of the plugin's venues).
    pub venue: String,
    /// Instruments; events carry the index into this list.
    pub instruments: Vec<InstrumentMapping>,
    /// Decode-only use (`orderflow parse`): emit what each payload says, without book
    /// synchronisation, sequence state or de-duplication.
    #[serde(default)]
    pub decode_only: bool,
    /// Venue-specific options: the keys of the venue's `[venues.<id>]` configuration table that
    /// the host does not interpret itself (e.g. Binance's `depth_speed`). Each plugin reads them
    /// into its own typed struct with [`CodecConfig::options`].
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

impl CodecConfig {
    /// A configuration without options.
    pub fn new(venue: impl Into<String>, instruments: Vec<InstrumentMapping>) -> Self {
        Self {
            venue: venue.into(),
            instruments,
            decode_only: false,
            options: serde_json::Map::new(),
        }
    }

    /// The options as the plugin's typed struct (use `#[serde(default)]` fields and
    /// `#[serde(deny_unknown_fields)]` to refuse misspelt keys).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidArgs`] naming the venue and the serde error.
    pub fn options<T: serde::de::DeserializeOwned>(&self) -> Result<T, SdkError> {
        serde_json::from_value(serde_json::Value::Object(self.options.clone()))
            .map_err(|e| SdkError::invalid_args(format!("options of venue {:?}: {e}", self.venue)))
    }
}
