//! Hyperliquid constants, number parsing and the test-data reader.

use orderflow_tool_sdk::{FixedDecimal, SdkError};

/// Venue id.
pub const VENUE: &str = "hyperliquid";
/// WebSocket path under the venue's WebSocket base URL.
pub const WS_PATH: &str = "/ws";
/// The one REST endpoint: every query is a POST of `{"type": …}` here.
pub const INFO: &str = "/info";

/// A decimal string (Hyperliquid sends prices and sizes as strings) as an exact decimal.
///
/// # Errors
/// Not a decimal.
pub fn dec(s: &str, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse(s).map_err(|e| SdkError::decode(format!("{what} {s:?}: {e}")))
}

/// Unix ms → ns.
pub const fn ms(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// Funding settles every hour on the hour: the next settlement after `ts_ms`, in ns.
pub const fn next_funding_ns(ts_ms: u64) -> u64 {
    ms((ts_ms / 3_600_000 + 1) * 3_600_000)
}

/// A fixture from `test_data/`.
///
/// # Panics
/// When the file is missing (tests only).
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::expect_used)]
pub fn load_fixture(name: &str) -> String {
    orderflow_plugin_common::fixtures::read_test_data(env!("CARGO_MANIFEST_DIR"), name)
        .expect("fixture exists")
}
