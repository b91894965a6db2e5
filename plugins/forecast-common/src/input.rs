//! The series a forecasting tool works on.
//!
//! Either inline (`values`, optional `timestamps_ms` and `interval_s`) — what the CLI and
//! scripts with their own data send — or read from the host (`venue`, `symbol`, `source`,
//! `field`, `interval_s`, `limit`) through the SDK's `series` op.

use orderflow_tool_sdk::prelude::*;
use orderflow_tool_sdk::{SdkError, fetch_series};
use serde::Serialize;
use serde_json::{Value, json};

/// Longest series a tool accepts.
pub const MAX_POINTS: usize = 20_000;
/// Default number of points read from the host.
pub const DEFAULT_LIMIT: usize = 1_000;

/// A series ready for a model: values oldest first, evenly spaced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Input {
    /// Values.
    pub values: Vec<f64>,
    /// Start of each interval, Unix ms (inline series without timestamps: 0, 1·Δ, 2·Δ …).
    pub ts_ms: Vec<i64>,
    /// Spacing, seconds.
    pub interval_s: u64,
    /// What it is, e.g. `binance BTCUSDT bars close 60s` or `inline`.
    pub label: String,
    /// Where it came from: `inline`, `memory` or `duckdb`.
    pub origin: String,
    /// Points filled forward for empty intervals.
    pub filled: usize,
}

impl Input {
    /// Timestamps of the `h` steps after the last point.
    pub fn future_ts(&self, h: usize) -> Vec<i64> {
        let last = self.ts_ms.last().copied().unwrap_or(0);
        let step = i64::try_from(self.interval_s.saturating_mul(1_000)).unwrap_or(1_000);
        (1..=h as i64).map(|k| last + k * step).collect()
    }

    /// A short description for results.
    pub fn describe(&self) -> Value {
        json!({"label": self.label, "n": self.values.len(), "interval_s": self.interval_s,
            "origin": self.origin, "filled": self.filled,
            "first_ts_ms": self.ts_ms.first(), "last_ts_ms": self.ts_ms.last(),
            "last_value": self.values.last()})
    }
}

/// JSON Schema properties of the series arguments (merged into every tool's schema).
pub fn schema_properties() -> serde_json::Map<String, Value> {
    let v = json!({
        "values": {"type": "array", "items": {"type": "number"}, "maxItems": MAX_POINTS,
            "description": "inline series, oldest first (instead of venue/symbol)"},
        "timestamps_ms": {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_POINTS,
            "description": "Unix ms of each inline value (optional)"},
        "venue": {"type": "string", "description": "venue id, e.g. binance (with symbol: read the series from orderflow)"},
        "symbol": {"type": "string", "description": "e.g. BTCUSDT"},
        "source": {"type": "string", "enum": ["bars", "mid", "feature"], "default": "bars",
            "description": "bars from trades, mid-price samples, or a feature's stored history"},
        "field": {"type": "string", "description": "bar field (open, high, low, close, volume, buy_volume, sell_volume, delta, vwap, trades, log_return; default close) or the feature name"},
        "interval_s": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 60,
            "description": "spacing of the series in seconds"},
        "limit": {"type": "integer", "minimum": 10, "maximum": MAX_POINTS, "default": DEFAULT_LIMIT,
            "description": "most recent points to use"}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn uint(args: &Value, key: &str, default: u64) -> Result<u64, SdkError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| SdkError::invalid_args(format!("{key} must be a non-negative integer"))),
    }
}

/// Reads the series of a tool call.
///
/// # Errors
/// Neither `values` nor `venue`+`symbol`; non-finite values; fewer than `min_len` points; the
/// host's errors (unknown pair, no data yet, no storage for a feature history).
pub fn read(args: &Value, host: &HostViewRef<'_>, min_len: usize) -> Result<Input, SdkError> {
    let interval_s = uint(args, "interval_s", 60)?.clamp(1, 86_400);
    let input = if let Some(vals) = args.get("values") {
        let values: Vec<f64> = vals
            .as_array()
            .ok_or_else(|| SdkError::invalid_args("values must be an array of numbers"))?
            .iter()
            .map(|v| v.as_f64())
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| SdkError::invalid_args("values must be numbers"))?;
        if values.len() > MAX_POINTS {
            return Err(SdkError::invalid_args(format!(
                "at most {MAX_POINTS} values"
            )));
        }
        let step = i64::try_from(interval_s * 1_000).unwrap_or(1_000);
        let ts_ms: Vec<i64> = match args.get("timestamps_ms").and_then(Value::as_array) {
            Some(ts) => {
                let ts: Vec<i64> = ts.iter().filter_map(Value::as_i64).collect();
                if ts.len() != values.len() {
                    return Err(SdkError::invalid_args(
                        "timestamps_ms must have one integer per value",
                    ));
                }
                ts
            }
            None => (0..values.len() as i64).map(|i| i * step).collect(),
        };
        Input {
            values,
            ts_ms,
            interval_s,
            label: "inline".into(),
            origin: "inline".into(),
            filled: 0,
        }
    } else {
        let venue = args.get("venue").and_then(Value::as_str);
        let symbol = args.get("symbol").and_then(Value::as_str);
        let (Some(venue), Some(symbol)) = (venue, symbol) else {
            return Err(SdkError::invalid_args(
                "give either values (an inline series) or venue and symbol",
            ));
        };
        let kind = match args.get("source").and_then(Value::as_str).unwrap_or("bars") {
            "bars" => SeriesKind::Bars,
            "mid" => SeriesKind::Mid,
            "feature" => SeriesKind::Feature,
            other => return Err(SdkError::invalid_args(format!("unknown source {other:?}"))),
        };
        let field = args.get("field").and_then(Value::as_str).unwrap_or("");
        let limit = uint(args, "limit", DEFAULT_LIMIT as u64)?.clamp(1, MAX_POINTS as u64) as usize;
        let req = SeriesRequest::new(kind, venue, symbol, interval_s, field, limit);
        let s = fetch_series(host, &req)?;
        let kind_name = match kind {
            SeriesKind::Bars => "bars",
            SeriesKind::Mid => "mid",
            SeriesKind::Feature => "feature",
        };
        Input {
            label: format!("{venue} {symbol} {kind_name} {} {}s", s.field, s.interval_s),
            values: s.values,
            ts_ms: s.ts_ms,
            interval_s: s.interval_s,
            origin: s.origin,
            filled: s.filled,
        }
    };
    if let Some(i) = input.values.iter().position(|v| !v.is_finite()) {
        return Err(SdkError::invalid_args(format!("value {i} is not finite")));
    }
    if input.values.len() < min_len {
        return Err(SdkError::new(
            orderflow_tool_sdk::ErrorKind::Unavailable,
            format!(
                "{} has {} points; this needs at least {min_len}",
                input.label,
                input.values.len()
            ),
        ));
    }
    Ok(input)
}
