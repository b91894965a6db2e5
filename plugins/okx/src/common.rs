//! Venue constants, decimal helpers and the test fixture loader.

use orderflow_tool_sdk::{FixedDecimal, MAX_SCALE, SdkError};

/// Venue id of OKX perpetual swaps.
pub const VENUE: &str = "okx";
/// Public WebSocket path (appended to the configured base URL).
pub const WS_PATH: &str = "/ws/v5/public";

/// Parses a decimal string from the wire.
///
/// # Errors
/// Not a decimal.
pub fn dec(s: &str, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse(s).map_err(|e| SdkError::decode(format!("{what} {s:?}: {e}")))
}

/// Exact product of two decimals (contracts × contract value), trailing zeros trimmed.
///
/// # Errors
/// Out of the 64-bit mantissa / 18-digit scale range.
pub fn mul(a: FixedDecimal, b: FixedDecimal) -> Result<FixedDecimal, SdkError> {
    let mut m = a
        .mantissa
        .checked_mul(b.mantissa)
        .ok_or_else(|| SdkError::decode(format!("{a} × {b} overflows")))?;
    let mut scale = a.scale + b.scale;
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return Err(SdkError::decode(format!("{a} × {b}: too many decimals")));
    }
    Ok(FixedDecimal::new(m, scale))
}

/// Milliseconds (decimal string) → Unix ns.
pub fn ms_str_to_ns(s: &str) -> Result<u64, SdkError> {
    s.parse::<u64>()
        .map(|ms| ms.saturating_mul(1_000_000))
        .map_err(|_| SdkError::decode(format!("timestamp {s:?} is not integer milliseconds")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_value_products_are_exact() {
        let p = mul(dec("12", "sz").unwrap(), dec("0.01", "ctVal").unwrap()).unwrap();
        assert_eq!(p, FixedDecimal::new(12, 2));
        let p = mul(dec("100", "sz").unwrap(), dec("0.1", "ctVal").unwrap()).unwrap();
        assert_eq!(p, FixedDecimal::new(10, 0));
        assert!(mul(FixedDecimal::new(i64::MAX, 0), FixedDecimal::new(10, 0)).is_err());
    }
}
