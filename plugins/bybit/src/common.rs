//! Venue constants, decimal helpers and the test fixture loader.

use orderflow_tool_sdk::{FixedDecimal, SdkError};

/// Venue id of Bybit USDT linear perpetuals.
pub const VENUE: &str = "bybit";
/// Venue id of Bybit spot.
pub const VENUE_SPOT: &str = "bybit_spot";
/// Public linear WebSocket path (appended to the configured base URL).
pub const WS_PATH: &str = "/v5/public/linear";

/// Bybit product category. Spot has no liquidations, mark, funding or open interest, and its
/// own WebSocket path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// USDT linear perpetuals (`bybit`).
    Linear,
    /// Spot (`bybit_spot`).
    Spot,
}

impl Category {
    /// From a venue id.
    pub fn of_venue(venue: &str) -> Option<Self> {
        match venue {
            VENUE => Some(Self::Linear),
            VENUE_SPOT => Some(Self::Spot),
            _ => None,
        }
    }
    /// Venue id.
    pub fn venue(self) -> &'static str {
        match self {
            Self::Linear => VENUE,
            Self::Spot => VENUE_SPOT,
        }
    }
    /// The `category` REST parameter.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Spot => "spot",
        }
    }
    /// Public WebSocket path.
    pub fn ws_path(self) -> &'static str {
        match self {
            Self::Linear => WS_PATH,
            Self::Spot => "/v5/public/spot",
        }
    }
}
/// Order-book depth subscribed (`orderbook.50.<symbol>`).
pub const BOOK_DEPTH: usize = 50;

/// Parses a decimal string from the wire.
///
/// # Errors
/// Not a decimal.
pub fn dec(s: &str, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse(s).map_err(|e| SdkError::decode(format!("{what} {s:?}: {e}")))
}

/// Milliseconds → ns.
pub fn ms(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// A stable 64-bit id for Bybit's UUID trade ids (FNV-1a): trades keep an integer id, equal
/// strings give equal ids.
pub fn trade_id(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Test helper: reads `test_data/<name>` of this crate.
///
/// # Panics
/// When the file is missing (tests only).
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::expect_used)]
pub fn load_fixture(name: &str) -> String {
    orderflow_plugin_common::fixtures::read_test_data(env!("CARGO_MANIFEST_DIR"), name)
        .expect("fixture exists")
}
