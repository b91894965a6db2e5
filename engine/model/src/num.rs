//! Exact fixed-point numbers: `i64` mantissa with 8 decimal places.
//!
//! Eight places cover every price and size of the configured venues (Binance's finest tick and
//! lot are 1e-8) and keep values `Ord + Hash`, as differential dataflow requires. The range is
//! ±92,233,720,368.54775807; a venue value outside it, or with more than 8 significant decimal
//! places, is rejected with [`FixedError`] (counted by the host), never rounded silently.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Decimal places of [`Fixed`].
pub const FIXED_SCALE: u8 = 8;
const UNIT: i64 = 100_000_000;

/// A value `raw × 10^-8`, exact.
///
/// ```
/// use orderflow_model::Fixed;
/// let p = Fixed::from_parts(1_179_415, 2).unwrap();
/// assert_eq!(p.raw(), 1_179_415_000_000);
/// assert_eq!(p.to_string(), "11794.15");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fixed(i64);

/// Why a decimal cannot be represented as [`Fixed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FixedError {
    /// More than 8 significant decimal places.
    #[error("{mantissa}e-{scale} has more than 8 decimal places")]
    TooPrecise {
        /// Mantissa.
        mantissa: i64,
        /// Scale.
        scale: u8,
    },
    /// Out of the ±9.2e10 range.
    #[error("{mantissa}e-{scale} is out of the fixed-point range")]
    OutOfRange {
        /// Mantissa.
        mantissa: i64,
        /// Scale.
        scale: u8,
    },
}

impl Fixed {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// From the raw mantissa at scale 8.
    pub const fn from_raw(raw: i64) -> Self {
        Self(raw)
    }

    /// The raw mantissa at scale 8.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// From `mantissa × 10^-scale`, exactly.
    ///
    /// # Errors
    /// [`FixedError`] when the value needs more than 8 places or is out of range.
    pub fn from_parts(mantissa: i64, scale: u8) -> Result<Self, FixedError> {
        if scale <= FIXED_SCALE {
            let mul = 10_i64.pow(u32::from(FIXED_SCALE - scale));
            mantissa
                .checked_mul(mul)
                .map(Self)
                .ok_or(FixedError::OutOfRange { mantissa, scale })
        } else {
            let div = 10_i64
                .checked_pow(u32::from(scale - FIXED_SCALE))
                .ok_or(FixedError::TooPrecise { mantissa, scale })?;
            if mantissa % div == 0 {
                Ok(Self(mantissa / div))
            } else {
                Err(FixedError::TooPrecise { mantissa, scale })
            }
        }
    }

    /// From `mantissa × 10^-scale`, rounded half to even at 8 places: for rates (funding),
    /// where a venue may quote more digits than 1e-8 and nothing is keyed on them. Prices and
    /// sizes use [`Fixed::from_parts`] and stay exact.
    ///
    /// # Errors
    /// [`FixedError::OutOfRange`] when the value does not fit.
    pub fn from_parts_rounded(mantissa: i64, scale: u8) -> Result<Self, FixedError> {
        if scale <= FIXED_SCALE {
            return Self::from_parts(mantissa, scale);
        }
        let Some(div) = 10_i64.checked_pow(u32::from(scale - FIXED_SCALE)) else {
            // More than 18 extra places: every representable mantissa rounds to zero.
            return Ok(Self(0));
        };
        let (q, r) = (mantissa / div, mantissa % div);
        let twice = r.unsigned_abs().saturating_mul(2);
        let half = div.unsigned_abs();
        let away = twice > half || (twice == half && q % 2 != 0);
        Ok(Self(if away { q + mantissa.signum() } else { q }))
    }

    /// Lossy conversion for derived (non-keyed) statistics.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / UNIT as f64
    }

    /// Nearest representable value to `v` (for synthetic data and tests only).
    pub fn from_f64_lossy(v: f64) -> Self {
        Self((v * UNIT as f64).round() as i64)
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let unit = UNIT.unsigned_abs();
        let int = abs / unit;
        let mut frac = abs % unit;
        if neg {
            f.write_str("-")?;
        }
        if frac == 0 {
            return write!(f, "{int}");
        }
        let mut width = usize::from(FIXED_SCALE);
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        write!(f, "{int}.{frac:0width$}")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn rates_round_half_to_even_at_eight_places() {
        let r = |m, s| super::Fixed::from_parts_rounded(m, s).map(super::Fixed::raw);
        assert_eq!(r(1_260_291, 11), Ok(1_260)); // 0.00001260291 → 0.00001260
        assert_eq!(r(1_260_591, 11), Ok(1_261));
        assert_eq!(r(-1_260_591, 11), Ok(-1_261));
        assert_eq!(r(1_250, 10), Ok(12)); // half → even
        assert_eq!(r(1_350, 10), Ok(14));
        assert_eq!(r(5, 3), Ok(500_000)); // few places: exact
        assert_eq!(r(i64::MAX, 30), Ok(0));
    }

    use super::*;

    #[test]
    fn conversions() {
        // 1. exact up-scaling
        assert_eq!(Fixed::from_parts(24, 4).unwrap().raw(), 240_000);
        // 2. down-scaling only when exact
        assert_eq!(Fixed::from_parts(1_000, 11).unwrap().raw(), 1);
        assert!(matches!(
            Fixed::from_parts(1_001, 11),
            Err(FixedError::TooPrecise { .. })
        ));
        // 3. range
        assert!(matches!(
            Fixed::from_parts(i64::MAX / 10, 0),
            Err(FixedError::OutOfRange { .. })
        ));
        // 4. display trims zeros and keeps sign
        assert_eq!(Fixed::from_raw(-50_000_000).to_string(), "-0.5");
        assert_eq!(Fixed::from_raw(1).to_string(), "0.00000001");
        assert_eq!(Fixed::from_raw(300_000_000).to_string(), "3");
    }
}
