//! Series for analytic plugins (since SDK 1.3): the host-view ops `series` and `settings`.
//!
//! These are JSON channels, not new ABI types (see `docs/plugins.md`, "Versioning"): a plugin
//! built on 1.3 that runs on an older host gets `NotFound` for the op and must say so.
//!
//! * `{"op":"series", …}` ([`SeriesRequest`]) answers a [`Series`]: bars of a chosen interval
//!   built from trades, one-second mid-price samples, or any feature's stored history, from the
//!   host's memory (recent) or its DuckDB history (longer), evenly spaced, gaps filled forward.
//! * `{"op":"settings"}` answers the calling plugin's own `[plugins.settings.<name>]` table of the
//!   host configuration as a JSON object (empty when there is none).

use crate::abi::{ErrorKind, HostViewRef, SdkError};
use abi_stable::std_types::RStr;
use serde::{Deserialize, Serialize};

/// What a series is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// OHLCV bars from trades; [`SeriesRequest::field`] picks `open`, `high`, `low`, `close`
    /// (default), `volume`, `buy_volume`, `sell_volume`, `delta`, `vwap`, `trades`, or
    /// `log_return` (of `close`).
    #[default]
    Bars,
    /// The book's mid price, last value in each interval.
    Mid,
    /// A feature's stored history ([`SeriesRequest::field`] = the feature name), last value in
    /// each interval.
    Feature,
}

/// The `series` host-view op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesRequest {
    /// Always `"series"`.
    pub op: String,
    /// What to read.
    #[serde(default)]
    pub kind: SeriesKind,
    /// Venue id.
    pub venue: String,
    /// orderflow symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Spacing in seconds (≥ 1).
    pub interval_s: u64,
    /// Bar field or feature name (see [`SeriesKind`]).
    #[serde(default)]
    pub field: String,
    /// At most this many points, the most recent.
    pub limit: usize,
}

impl SeriesRequest {
    /// A request for the newest `limit` points of `kind`/`field` at `interval_s`.
    pub fn new(
        kind: SeriesKind,
        venue: &str,
        symbol: &str,
        interval_s: u64,
        field: &str,
        limit: usize,
    ) -> Self {
        Self {
            op: "series".into(),
            kind,
            venue: venue.into(),
            symbol: symbol.into(),
            interval_s,
            field: field.into(),
            limit,
        }
    }
}

/// The answer to a [`SeriesRequest`]: evenly spaced points, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Venue id.
    pub venue: String,
    /// Symbol.
    pub symbol: String,
    /// What was read.
    pub kind: SeriesKind,
    /// Field or feature.
    pub field: String,
    /// Spacing in seconds.
    pub interval_s: u64,
    /// Start of each interval, Unix ms.
    pub ts_ms: Vec<i64>,
    /// Value of each interval.
    pub values: Vec<f64>,
    /// Intervals without an observation, filled with the previous value.
    pub filled: usize,
    /// Where the points came from: `memory` or `duckdb`.
    pub origin: String,
}

/// Asks the host for a series.
///
/// # Errors
/// The host's error ([`ErrorKind::NotFound`] for an unconfigured pair or an older host,
/// [`ErrorKind::Unavailable`] when there is no data yet), or [`ErrorKind::Decode`] for an
/// answer that is not a [`Series`].
pub fn fetch_series(host: &HostViewRef<'_>, request: &SeriesRequest) -> Result<Series, SdkError> {
    let json = serde_json::to_string(request)
        .map_err(|e| SdkError::new(ErrorKind::InvalidArgs, format!("series request: {e}")))?;
    let answer = host.query(RStr::from_str(&json)).into_result()?;
    serde_json::from_str(answer.as_str())
        .map_err(|e| SdkError::decode(format!("host series answer: {e}")))
}

/// The calling plugin's settings table (`[plugins.settings.<name>]`), `{}` when absent or
/// when the host is older than 1.3.
pub fn fetch_settings(host: &HostViewRef<'_>) -> serde_json::Map<String, serde_json::Value> {
    host.query(RStr::from_str(r#"{"op":"settings"}"#))
        .into_result()
        .ok()
        .and_then(|s| serde_json::from_str(s.as_str()).ok())
        .unwrap_or_default()
}
