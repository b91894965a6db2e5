//! Venues, symbols and the instrument universe.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Venue ids of the seed system, in its order.
pub const VENUES: [&str; 8] = [
    "binance",
    "binance_spot",
    "bybit",
    "okx",
    "kraken",
    "gateio",
    "hyperliquid",
    "deribit",
];

/// Dense index of a (venue, symbol) pair in the [`Universe`]; cheap to copy, `Ord + Hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentId(pub u32);

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One (venue, symbol) pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Instrument {
    /// Dense id.
    pub id: InstrumentId,
    /// Venue id, e.g. `binance`.
    pub venue: String,
    /// orderflow symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// The venue's own instrument name.
    pub venue_symbol: String,
}

/// Errors building or querying a [`Universe`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UniverseError {
    /// The pair was listed twice.
    #[error("instrument {venue}/{symbol} listed twice")]
    Duplicate {
        /// Venue.
        venue: String,
        /// Symbol.
        symbol: String,
    },
    /// Too many instruments for a `u32` id.
    #[error("too many instruments")]
    TooMany,
}

/// The configured symbol × venue matrix, with dense ids.
#[derive(Clone, Debug, Default)]
pub struct Universe {
    instruments: Vec<Instrument>,
    by_name: BTreeMap<(String, String), InstrumentId>,
}

impl Universe {
    /// Builds a universe from `(venue, symbol, venue_symbol)` triples, ids in the given order.
    ///
    /// # Errors
    /// [`UniverseError::Duplicate`] when a pair repeats.
    pub fn new<I, S>(pairs: I) -> Result<Self, UniverseError>
    where
        I: IntoIterator<Item = (S, S, S)>,
        S: Into<String>,
    {
        let mut u = Self::default();
        for (venue, symbol, venue_symbol) in pairs {
            let (venue, symbol) = (venue.into(), symbol.into());
            let key = (venue.clone(), symbol.clone());
            if u.by_name.contains_key(&key) {
                return Err(UniverseError::Duplicate { venue, symbol });
            }
            let id = InstrumentId(
                u32::try_from(u.instruments.len()).map_err(|_| UniverseError::TooMany)?,
            );
            u.by_name.insert(key, id);
            u.instruments.push(Instrument {
                id,
                venue,
                symbol,
                venue_symbol: venue_symbol.into(),
            });
        }
        Ok(u)
    }

    /// Looks up a pair.
    pub fn find(&self, venue: &str, symbol: &str) -> Option<InstrumentId> {
        self.by_name
            .get(&(venue.to_owned(), symbol.to_owned()))
            .copied()
    }

    /// The instrument with this id.
    pub fn get(&self, id: InstrumentId) -> Option<&Instrument> {
        self.instruments.get(usize::try_from(id.0).ok()?)
    }

    /// All instruments, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }

    /// Instruments of one venue, by id.
    pub fn of_venue<'a>(&'a self, venue: &'a str) -> impl Iterator<Item = &'a Instrument> + 'a {
        self.instruments.iter().filter(move |i| i.venue == venue)
    }

    /// Distinct venues, in first-listed order.
    pub fn venues(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for i in &self.instruments {
            if !out.contains(&i.venue.as_str()) {
                out.push(&i.venue);
            }
        }
        out
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_ids_and_lookup() {
        let u = Universe::new([
            ("binance", "BTCUSDT", "BTCUSDT"),
            ("okx", "BTCUSDT", "BTC-USDT-SWAP"),
        ])
        .unwrap();
        assert_eq!(u.find("okx", "BTCUSDT"), Some(InstrumentId(1)));
        assert_eq!(
            u.get(InstrumentId(1)).unwrap().venue_symbol,
            "BTC-USDT-SWAP"
        );
        assert_eq!(u.find("okx", "ETHUSDT"), None);
        assert_eq!(u.venues(), vec!["binance", "okx"]);
        assert!(Universe::new([("a", "B", "B"), ("a", "B", "C")]).is_err());
    }
}
