//! Gate.io futures constants, exact number parsing (numbers arrive as JSON strings or numbers),
//! the contract-size rule and the test-data reader.

use orderflow_tool_sdk::{FixedDecimal, SdkError};
use serde_json::value::RawValue;

/// Venue id.
pub const VENUE: &str = "gateio";
/// WebSocket path (USDT-settled perpetuals) under the venue's WebSocket base URL.
pub const WS_PATH: &str = "/v4/ws/usdt";
/// REST prefix of USDT-settled futures.
pub const API: &str = "/api/v4/futures/usdt";

/// A number sent as a JSON string (`"96.4"`) or number (`-108`), as an exact decimal.
///
/// # Errors
/// Neither, or not representable exactly.
pub fn num(v: &RawValue, what: &str) -> Result<FixedDecimal, SdkError> {
    let text = v.get();
    let parsed = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => FixedDecimal::parse(inner),
        None => FixedDecimal::parse_json_number(text),
    };
    parsed.map_err(|e| SdkError::decode(format!("{what} {text}: {e}")))
}

/// `a × b` exactly (contracts × `quanto_multiplier` = base units), trailing zeros removed.
///
/// # Errors
/// A product that does not fit the fixed-point range.
pub fn mul(a: FixedDecimal, b: FixedDecimal) -> Result<FixedDecimal, SdkError> {
    let out_of_range = || SdkError::decode("size × quanto_multiplier out of range");
    let mut m = i128::from(a.mantissa) * i128::from(b.mantissa);
    let mut scale = u16::from(a.scale) + u16::from(b.scale);
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if scale > u16::from(orderflow_tool_sdk::MAX_SCALE) {
        return Err(out_of_range());
    }
    let m = i64::try_from(m).map_err(|_| out_of_range())?;
    Ok(FixedDecimal::new(
        m,
        u8::try_from(scale).map_err(|_| out_of_range())?,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    #[test]
    fn strings_numbers_and_contract_sizes() {
        let raw = |s: &str| serde_json::from_str::<Box<RawValue>>(s).unwrap();
        assert_eq!(num(&raw(r#""96.4""#), "p").unwrap(), fx("96.4"));
        assert_eq!(num(&raw("-108"), "s").unwrap(), fx("-108"));
        assert!(num(&raw(r#""x""#), "p").is_err());
        assert_eq!(mul(fx("-108"), fx("0.0001")).unwrap(), fx("-0.0108"));
        assert_eq!(mul(fx("2500"), fx("0.01")).unwrap(), fx("25"));
        assert!(mul(fx("9223372036854775807"), fx("10")).is_err());
    }
}
