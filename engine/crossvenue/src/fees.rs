//! Trading fees per venue, for arbitrage net of costs.
//!
//! The defaults in `config/default.toml` are each venue's published base-tier (no volume
//! discount, no token discount) perpetual fees; a user with another tier sets their own.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One venue's fees, in basis points of notional.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// Fee for an order that takes liquidity.
    pub taker_bps: f64,
    /// Fee for an order that adds liquidity (negative for a rebate).
    pub maker_bps: f64,
}

/// Fees by venue id.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FeeSchedule {
    by_venue: BTreeMap<String, Fee>,
}

impl FeeSchedule {
    /// A schedule from `(venue, fee)` pairs.
    pub fn new(by_venue: impl IntoIterator<Item = (String, Fee)>) -> Self {
        Self {
            by_venue: by_venue.into_iter().collect(),
        }
    }

    /// The fee of a venue, if known.
    pub fn get(&self, venue: &str) -> Option<Fee> {
        self.by_venue.get(venue).copied()
    }

    /// Every venue's fee.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Fee)> {
        self.by_venue.iter().map(|(v, f)| (v.as_str(), *f))
    }
}
