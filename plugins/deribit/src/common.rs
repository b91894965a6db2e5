//! Deribit constants, instrument kinds, exact number parsing, the inverse-size rule and the
//! test-data reader.

use orderflow_tool_sdk::{FixedDecimal, SdkError};
use serde_json::value::RawValue;

/// Venue id.
pub const VENUE: &str = "deribit";
/// WebSocket path under the venue's WebSocket base URL.
pub const WS_PATH: &str = "/ws/api/v2";
/// REST prefix (the same JSON-RPC methods as GET endpoints).
pub const API: &str = "/api/v2/public";
/// Decimals of a base amount converted from an inverse contract's USD amount (1 satoshi).
pub const BASE_SCALE: u8 = 8;

/// How an instrument's `amount` is denominated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Margin {
    /// Coin-margined (`BTC-PERPETUAL`, `ETH-PERPETUAL`): amounts in USD.
    Inverse,
    /// USDC-margined linear (`SOL_USDC-PERPETUAL`): amounts in the base currency.
    Linear,
}

impl Margin {
    /// Deribit's naming: linear instruments carry the settlement currency after `_`.
    pub fn of(instrument: &str) -> Self {
        if instrument.contains('_') {
            Self::Linear
        } else {
            Self::Inverse
        }
    }
}

/// A JSON number as an exact decimal.
///
/// # Errors
/// Not a number, or not representable exactly.
pub fn num(v: &RawValue, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse_json_number(v.get())
        .map_err(|e| SdkError::decode(format!("{what} {}: {e}", v.get())))
}

/// The inverse-size rule: a USD amount at `price` is `usd / price` base units, rounded half to
/// even at [`BASE_SCALE`] decimals (exact integer arithmetic; 0 stays 0).
///
/// # Errors
/// A non-positive price or an amount too large to represent.
pub fn usd_to_base(usd: FixedDecimal, price: FixedDecimal) -> Result<FixedDecimal, SdkError> {
    if usd.mantissa == 0 {
        return Ok(FixedDecimal::ZERO);
    }
    if price.mantissa <= 0 {
        return Err(SdkError::decode(format!(
            "inverse size at price {}",
            price.to_f64()
        )));
    }
    // usd_m / 10^us ÷ (p_m / 10^ps) = usd_m · 10^(ps − us) / p_m; scaled by 10^BASE_SCALE.
    let exp = i32::from(BASE_SCALE) + i32::from(price.scale) - i32::from(usd.scale);
    let too_big = || SdkError::decode("inverse size out of range");
    let (num, den) = if exp >= 0 {
        let f = 10i128.checked_pow(exp.unsigned_abs()).ok_or_else(too_big)?;
        (
            i128::from(usd.mantissa)
                .checked_mul(f)
                .ok_or_else(too_big)?,
            i128::from(price.mantissa),
        )
    } else {
        let f = 10i128.checked_pow(exp.unsigned_abs()).ok_or_else(too_big)?;
        (
            i128::from(usd.mantissa),
            i128::from(price.mantissa)
                .checked_mul(f)
                .ok_or_else(too_big)?,
        )
    };
    let (q, r) = (num / den, num % den);
    let twice = r.abs() * 2;
    let q = if twice > den || (twice == den && q % 2 != 0) {
        q + num.signum()
    } else {
        q
    };
    let mut m = i64::try_from(q).map_err(|_| too_big())?;
    // Normalized like `FixedDecimal::parse`: no trailing zeros.
    let mut scale = BASE_SCALE;
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    Ok(FixedDecimal::new(m, scale))
}

/// A size in base units: linear amounts as sent, inverse amounts by [`usd_to_base`].
///
/// # Errors
/// See [`usd_to_base`].
pub fn base_size(
    margin: Margin,
    amount: FixedDecimal,
    price: FixedDecimal,
) -> Result<FixedDecimal, SdkError> {
    match margin {
        Margin::Linear => Ok(amount),
        Margin::Inverse => usd_to_base(amount, price),
    }
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
    fn inverse_rule_rounds_half_to_even_at_satoshis() {
        // 750 USD at 92288.5 = 0.0081266896…
        assert_eq!(
            usd_to_base(fx("750"), fx("92288.5")).unwrap(),
            fx("0.00812669")
        );
        assert_eq!(
            usd_to_base(fx("10"), fx("92294.5")).unwrap(),
            fx("0.00010835")
        );
        // Exactly half a satoshi: 1 USD at 200_000_000 → 0.000000005 → even (0).
        assert_eq!(usd_to_base(fx("1"), fx("200000000")).unwrap(), fx("0"));
        assert_eq!(
            usd_to_base(fx("3"), fx("200000000")).unwrap(),
            fx("0.00000002")
        );
        assert_eq!(usd_to_base(fx("0"), fx("1")).unwrap(), FixedDecimal::ZERO);
        assert!(usd_to_base(fx("10"), fx("0")).is_err());
        assert_eq!(Margin::of("BTC-PERPETUAL"), Margin::Inverse);
        assert_eq!(Margin::of("SOL_USDC-PERPETUAL"), Margin::Linear);
    }
}
