//! Kraken Futures constants, number parsing and the test-data reader.

use orderflow_tool_sdk::{FixedDecimal, SdkError};
use serde_json::value::RawValue;

/// Venue id.
pub const VENUE: &str = "kraken";
/// WebSocket path under the venue's WebSocket base URL.
pub const WS_PATH: &str = "/ws/v1";
/// REST API prefix.
pub const API: &str = "/derivatives/api/v3";

/// A JSON number (Kraken Futures sends numbers, not strings) as an exact decimal.
///
/// # Errors
/// Not a number, or not representable exactly.
pub fn num(v: &RawValue, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse_json_number(v.get())
        .map_err(|e| SdkError::decode(format!("{what} {}: {e}", v.get())))
}

/// Unix ms → ns.
pub const fn ms(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
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
