//! The sans-IO venue emulator: the server side of a venue's protocol.
//!
//! The host listens on loopback, forwards WebSocket opens/messages/closes and HTTP requests to
//! the emulator, calls [`VenueEmulator::advance`] with its clock, and writes the returned frames
//! to the connections they name.

use crate::abi::{
    codec::{HttpRequest, HttpResponse},
    error::SdkError,
};
use abi_stable::{
    StableAbi, sabi_trait,
    std_types::{RBox, RResult, RStr, RString, RVec},
};
use serde::{Deserialize, Serialize};

/// A frame the emulator wants sent to a connection.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct EmuFrame {
    /// Host connection id.
    pub conn: u64,
    /// Frame text.
    pub text: RString,
    /// Close the connection after sending (fault injection, or the venue's own rules).
    pub close_after: bool,
}

/// A venue emulator. Implementations must not panic (wrap bodies in [`crate::guard`]).
#[sabi_trait]
pub trait VenueEmulator: Send {
    /// A client opened a WebSocket at `path` (path and query).
    fn ws_open(&mut self, conn: u64, path: RStr<'_>, now: u64)
    -> RResult<RVec<EmuFrame>, SdkError>;
    /// A client sent a text frame.
    fn ws_message(
        &mut self,
        conn: u64,
        text: RStr<'_>,
        now: u64,
    ) -> RResult<RVec<EmuFrame>, SdkError>;
    /// A client connection closed.
    fn ws_close(&mut self, conn: u64, now: u64);
    /// A REST request (the `venue` field is ignored).
    fn http(&mut self, request: HttpRequest, now: u64) -> RResult<HttpResponse, SdkError>;
    /// Moves the synthetic market to `now` and returns the stream frames due.
    fn advance(&mut self, now: u64) -> RResult<RVec<EmuFrame>, SdkError>;
    /// Control channel (JSON in, JSON out): statistics, the true book, fault injection.
    #[sabi(last_prefix_field)]
    fn control(&mut self, command: RStr<'_>) -> RResult<RString, SdkError>;
}

/// An owned, boxed emulator as returned by a plugin.
pub type VenueEmulatorBox = VenueEmulator_TO<'static, RBox<()>>;

/// One instrument of an emulated market.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmulatedInstrument {
    /// orderflow symbol.
    pub symbol: String,
    /// Venue instrument name.
    pub venue_symbol: String,
    /// Starting mid price.
    pub start_price: f64,
    /// Price tick as a decimal string (e.g. `"0.1"`).
    pub tick_size: String,
    /// Size lot as a decimal string (e.g. `"0.001"`).
    pub lot_size: String,
}

/// Configuration the host passes (as JSON) to `new_emulator`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmulatorConfig {
    /// Venue id.
    pub venue: String,
    /// RNG seed: same seed, same clock inputs ⇒ same market.
    pub seed: u64,
    /// Instruments to emulate.
    pub instruments: Vec<EmulatedInstrument>,
    /// Target stream messages per second, over all instruments.
    pub msgs_per_sec: f64,
    /// Start of the emulated clock, Unix ns.
    pub start_ns: u64,
}
