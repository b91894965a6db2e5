//! Shared helpers: venue constants, decimal parsing, symbol mapping, fixture loading.

use orderflow_tool_sdk::{FixedDecimal, InstrumentMapping, SdkError, Side};
use std::collections::HashMap;

/// Venue id of Binance USD-M futures.
pub const VENUE_FUTURES: &str = "binance";
/// Venue id of Binance spot.
pub const VENUE_SPOT: &str = "binance_spot";
/// REST path prefix of USD-M futures.
pub const FAPI: &str = "/fapi/v1";
/// REST path prefix of spot.
pub const SPOT_API: &str = "/api/v3";

/// Which Binance market a codec, emulator or tool serves. The wire formats are shared; the
/// differences are the REST prefix, the streams (spot has no mark price, liquidations or open
/// interest) and the depth continuity rule (futures: `pu` = previous `u`; spot: `U` = previous
/// `u` + 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// USD-M perpetual futures (`binance`).
    Futures,
    /// Spot (`binance_spot`).
    Spot,
}

impl Market {
    /// From a venue id.
    pub fn of_venue(venue: &str) -> Option<Self> {
        match venue {
            VENUE_FUTURES => Some(Self::Futures),
            VENUE_SPOT => Some(Self::Spot),
            _ => None,
        }
    }

    /// Venue id.
    pub fn venue(self) -> &'static str {
        match self {
            Self::Futures => VENUE_FUTURES,
            Self::Spot => VENUE_SPOT,
        }
    }

    /// REST prefix.
    pub fn rest(self) -> &'static str {
        match self {
            Self::Futures => FAPI,
            Self::Spot => SPOT_API,
        }
    }
}

/// Milliseconds → nanoseconds.
pub fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// Parses a decimal string field, naming the field in the error.
pub fn dec(field: &str, s: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse(s).map_err(|e| SdkError::decode(format!("field {field}: {e}: {s:?}")))
}

/// `BUY`/`SELL` → side.
pub fn side(s: &str) -> Result<Side, SdkError> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("unknown side {other:?}"))),
    }
}

/// Venue instrument name → index in the codec's instrument list.
#[derive(Clone, Debug, Default)]
pub struct SymbolMap {
    by_venue_symbol: HashMap<String, u32>,
    venue_symbols: Vec<String>,
}

impl SymbolMap {
    /// From the configured mappings.
    pub fn new(instruments: &[InstrumentMapping]) -> Self {
        let mut m = Self::default();
        for (i, inst) in instruments.iter().enumerate() {
            if let Ok(idx) = u32::try_from(i) {
                m.by_venue_symbol
                    .insert(inst.venue_symbol.to_ascii_uppercase(), idx);
                m.venue_symbols.push(inst.venue_symbol.to_ascii_uppercase());
            }
        }
        m
    }

    /// Index of a venue symbol (case-insensitive).
    pub fn index(&self, venue_symbol: &str) -> Option<u32> {
        if let Some(i) = self.by_venue_symbol.get(venue_symbol) {
            return Some(*i);
        }
        self.by_venue_symbol
            .get(&venue_symbol.to_ascii_uppercase())
            .copied()
    }

    /// Venue symbol at an index.
    pub fn venue_symbol(&self, index: u32) -> Option<&str> {
        self.venue_symbols
            .get(usize::try_from(index).ok()?)
            .map(String::as_str)
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.venue_symbols.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.venue_symbols.is_empty()
    }
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
