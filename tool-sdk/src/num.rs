//! Exact decimal numbers on the wire: a mantissa and a base-10 scale.
//!
//! Venues send prices and sizes as decimal strings (`"11794.15000000"`). Parsing them to `f64`
//! loses exactness, so plugins parse them into [`FixedDecimal`] (`mantissa × 10^-scale`), which the
//! engine converts to its canonical fixed-point types.

use abi_stable::StableAbi;
use std::fmt;

/// Largest scale a [`FixedDecimal`] may carry.
pub const MAX_SCALE: u8 = 18;

/// An exact decimal `mantissa × 10^-scale`, as sent by the venue (trailing zeros trimmed).
///
/// ```
/// use orderflow_tool_sdk::FixedDecimal;
/// let p = FixedDecimal::parse("11794.15000000").unwrap();
/// assert_eq!((p.mantissa, p.scale), (1_179_415, 2));
/// assert_eq!(p.to_string(), "11794.15");
/// ```
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FixedDecimal {
    /// Signed integer mantissa.
    pub mantissa: i64,
    /// Number of decimal places (`0..=18`).
    pub scale: u8,
}

/// Why a decimal string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalParseError {
    /// Empty input.
    Empty,
    /// A character that is not a digit, a sign or a single decimal point.
    InvalidChar,
    /// The value does not fit a 64-bit mantissa at its precision.
    Overflow,
}

impl fmt::Display for DecimalParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty decimal"),
            Self::InvalidChar => f.write_str("invalid character in decimal"),
            Self::Overflow => f.write_str("decimal out of range for 64-bit mantissa"),
        }
    }
}

impl std::error::Error for DecimalParseError {}

impl FixedDecimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        scale: 0,
    };

    /// Builds a decimal from parts (no normalization).
    pub const fn new(mantissa: i64, scale: u8) -> Self {
        Self { mantissa, scale }
    }

    /// Parses a plain decimal string (`-12.340`, `0.001`, `100`); no exponents.
    /// Trailing fractional zeros are trimmed, so equal values have equal parts.
    ///
    /// # Errors
    /// [`DecimalParseError`] for empty input, a bad character or a value out of range.
    pub fn parse(s: &str) -> Result<Self, DecimalParseError> {
        let bytes = s.as_bytes();
        let (neg, digits) = match bytes.first() {
            None => return Err(DecimalParseError::Empty),
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            Some(_) => (false, bytes),
        };
        if digits.is_empty() {
            return Err(DecimalParseError::Empty);
        }
        let mut mantissa: i64 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut pending_zeros: u32 = 0;
        let mut any_digit = false;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    any_digit = true;
                    let d = i64::from(b - b'0');
                    if seen_point {
                        if d == 0 {
                            // Defer fractional zeros: trailing ones are dropped.
                            pending_zeros += 1;
                            continue;
                        }
                        for _ in 0..pending_zeros {
                            mantissa = mantissa
                                .checked_mul(10)
                                .ok_or(DecimalParseError::Overflow)?;
                        }
                        scale += pending_zeros + 1;
                        pending_zeros = 0;
                    }
                    mantissa = mantissa
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(d))
                        .ok_or(DecimalParseError::Overflow)?;
                }
                b'.' if !seen_point => seen_point = true,
                _ => return Err(DecimalParseError::InvalidChar),
            }
        }
        if !any_digit {
            return Err(DecimalParseError::InvalidChar);
        }
        if scale > u32::from(MAX_SCALE) {
            return Err(DecimalParseError::Overflow);
        }
        let scale = u8::try_from(scale).map_err(|_| DecimalParseError::Overflow)?;
        Ok(Self {
            mantissa: if neg { -mantissa } else { mantissa },
            scale,
        })
    }

    /// Parses a JSON number's text exactly, including exponent notation (`1.5e-05`,
    /// `-3.995839963e-09`, `2E3`), as venues that send numbers rather than strings do (Kraken
    /// Futures, Deribit, Hyperliquid). The value is exact or refused: never rounded.
    ///
    /// ```
    /// use orderflow_tool_sdk::FixedDecimal;
    /// assert_eq!(FixedDecimal::parse_json_number("1.5e-05").unwrap().to_string(), "0.000015");
    /// assert_eq!(FixedDecimal::parse_json_number("2E3").unwrap().to_string(), "2000");
    /// assert_eq!(FixedDecimal::parse_json_number("34892.5").unwrap().to_string(), "34892.5");
    /// ```
    ///
    /// # Errors
    /// [`DecimalParseError`]: a bad number, or one that needs more than [`MAX_SCALE`] places or
    /// overflows the mantissa.
    pub fn parse_json_number(s: &str) -> Result<Self, DecimalParseError> {
        let Some(e) = s.find(['e', 'E']) else {
            return Self::parse(s);
        };
        let (base, exp) = (&s[..e], &s[e + 1..]);
        let exp: i32 = exp.parse().map_err(|_| DecimalParseError::InvalidChar)?;
        let d = Self::parse(base)?;
        let scale = i32::from(d.scale) - exp;
        if scale < 0 {
            let mul = 10_i64
                .checked_pow(scale.unsigned_abs())
                .ok_or(DecimalParseError::Overflow)?;
            let mantissa = d
                .mantissa
                .checked_mul(mul)
                .ok_or(DecimalParseError::Overflow)?;
            Ok(Self::new(mantissa, 0))
        } else {
            let scale = u8::try_from(scale)
                .ok()
                .filter(|s| *s <= MAX_SCALE)
                .ok_or(DecimalParseError::Overflow)?;
            Ok(Self::new(d.mantissa, scale))
        }
    }

    /// Rescales to exactly `scale` decimal places, if that is exact and in range.
    pub fn to_scale(self, scale: u8) -> Option<i64> {
        if scale >= self.scale {
            let mul = 10_i64.checked_pow(u32::from(scale - self.scale))?;
            self.mantissa.checked_mul(mul)
        } else {
            let div = 10_i64.checked_pow(u32::from(self.scale - scale))?;
            (self.mantissa % div == 0).then_some(self.mantissa / div)
        }
    }

    /// Lossy conversion for display and derived statistics.
    pub fn to_f64(self) -> f64 {
        // Exact for |mantissa| < 2^53; the power of ten is exact up to 10^22.
        (self.mantissa as f64) / 10f64.powi(i32::from(self.scale))
    }
}

impl fmt::Display for FixedDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.mantissa);
        }
        let neg = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{}{}.{}", if neg { "-" } else { "" }, int, frac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_trims() {
        // 1. plain
        assert_eq!(
            FixedDecimal::parse("100").unwrap(),
            FixedDecimal::new(100, 0)
        );
        // 2. trailing zeros trimmed
        assert_eq!(
            FixedDecimal::parse("25.35190000").unwrap(),
            FixedDecimal::new(253_519, 4)
        );
        // 3. leading zeros in fraction kept
        assert_eq!(
            FixedDecimal::parse("0.0024").unwrap(),
            FixedDecimal::new(24, 4)
        );
        // 4. negative
        assert_eq!(
            FixedDecimal::parse("-131.40000000").unwrap(),
            FixedDecimal::new(-1314, 1)
        );
        // 5. zero with fraction
        assert_eq!(
            FixedDecimal::parse("0.00000000").unwrap(),
            FixedDecimal::new(0, 0)
        );
        // 6. interior zeros
        assert_eq!(
            FixedDecimal::parse("1.0205").unwrap(),
            FixedDecimal::new(10205, 4)
        );
    }

    #[test]
    fn json_numbers_with_exponents_are_exact() {
        let p = |s: &str| FixedDecimal::parse_json_number(s).map(|d| d.to_string());
        assert_eq!(p("-3.995839963e-09").unwrap(), "-0.000000003995839963");
        assert_eq!(p("6.272058425e-08").unwrap(), "0.00000006272058425");
        assert_eq!(p("1e2").unwrap(), "100");
        assert_eq!(p("21979.68641534714").unwrap(), "21979.68641534714");
        assert!(p("1e-30").is_err(), "needs more than 18 places");
        assert!(p("9e30").is_err(), "overflows");
        assert!(p("1e").is_err() && p("e5").is_err() && p("1.2.3e1").is_err());
    }

    #[test]
    fn rejects_bad_input() {
        for bad in ["", "-", ".", "1.2.3", "1e5", "abc", "12a", " 1"] {
            assert!(
                FixedDecimal::parse(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
        assert_eq!(
            FixedDecimal::parse("99999999999999999999"),
            Err(DecimalParseError::Overflow)
        );
    }

    #[test]
    fn rescales_exactly() {
        let p = FixedDecimal::parse("11794.15").unwrap();
        assert_eq!(p.to_scale(8), Some(1_179_415_000_000));
        assert_eq!(p.to_scale(1), None, "would lose a digit");
        assert_eq!(p.to_string(), "11794.15");
        assert_eq!(FixedDecimal::new(-5, 3).to_string(), "-0.005");
    }
}
