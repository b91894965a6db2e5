//! `GET /forecast/{symbol}`: a forecast of a symbol's series by the forecasting plugin's router,
//! answered from the cache the forecast refresher fills (when it matches and is fresh) or
//! computed on demand through the tool registry — the same tools MCP serves.

use crate::{ApiError, AppState};
use orderflow_plugin_host::ToolError;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The tool `GET /forecast` calls without `model`.
pub const ROUTE_TOOL: &str = "route_forecast";
/// The tool `GET /forecast` calls with `model`.
pub const MODEL_TOOL: &str = "forecast_statistical";
/// Most cached forecasts.
const MAX_ENTRIES: usize = 1_000;

/// Recent forecasts by request key, each kept for `ttl`.
#[derive(Debug)]
pub struct ForecastCache {
    ttl: Duration,
    entries: Mutex<BTreeMap<String, (Instant, Value)>>,
}

impl Default for ForecastCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

impl ForecastCache {
    /// A cache whose entries are fresh for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// A fresh entry.
    pub fn get(&self, key: &str) -> Option<(Duration, Value)> {
        let e = self.entries.lock();
        let (at, v) = e.get(key)?;
        let age = at.elapsed();
        (age <= self.ttl).then(|| (age, v.clone()))
    }

    /// Stores an entry (dropping stale ones when full).
    pub fn put(&self, key: String, value: Value) {
        let mut e = self.entries.lock();
        if e.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            e.retain(|_, (at, _)| at.elapsed() <= ttl);
            if e.len() >= MAX_ENTRIES {
                e.clear();
            }
        }
        e.insert(key, (Instant::now(), value));
    }
}

/// Query parameters of `GET /forecast/{symbol}`.
#[derive(Debug, Default, Deserialize)]
pub struct ForecastQuery {
    /// Venue (default: the first venue that lists the symbol).
    pub venue: Option<String>,
    /// Steps ahead (default 12).
    pub horizon: Option<u64>,
    /// Bar interval: seconds, or `30s`, `1m`, `1h` (default 60 s).
    pub interval: Option<String>,
    /// Router priority (default `fast`).
    pub priority: Option<String>,
    /// A model name instead of the router.
    pub model: Option<String>,
    /// Interval level (default 0.9).
    pub level: Option<f64>,
}

/// Parses `60`, `30s`, `5m`, `1h`, `1d` into seconds.
pub fn parse_interval(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1),
        'm' => (&s[..s.len() - 1], 60),
        'h' => (&s[..s.len() - 1], 3_600),
        'd' => (&s[..s.len() - 1], 86_400),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .map(|n| n * mult)
        .filter(|v| (1..=86_400).contains(v))
}

/// The tool, its arguments and the cache key of a request.
///
/// # Errors
/// Unknown symbol or venue, bad interval.
pub fn request(
    st: &AppState,
    symbol: &str,
    q: &ForecastQuery,
) -> Result<(&'static str, Value, String), ApiError> {
    let symbol = symbol.to_ascii_uppercase();
    let venue = match &q.venue {
        Some(v) => v.clone(),
        None => st
            .universe
            .iter()
            .find(|i| i.symbol == symbol)
            .map(|i| i.venue.clone())
            .ok_or_else(|| ApiError::NotFound(format!("{symbol} is not configured")))?,
    };
    if st.universe.find(&venue, &symbol).is_none() {
        return Err(ApiError::NotFound(format!(
            "{symbol} is not configured on {venue}"
        )));
    }
    let interval_s = match &q.interval {
        Some(s) => parse_interval(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "interval {s:?}: seconds or 30s / 1m / 1h, at most 1d"
            ))
        })?,
        None => 60,
    };
    let horizon = q.horizon.unwrap_or(12);
    let mut args = json!({"venue": venue, "symbol": symbol, "interval_s": interval_s,
        "horizon": horizon, "level": q.level.unwrap_or(0.9)});
    let tool = match &q.model {
        Some(m) => {
            args["model"] = json!(m);
            MODEL_TOOL
        }
        None => {
            args["priority"] = json!(q.priority.as_deref().unwrap_or("fast"));
            ROUTE_TOOL
        }
    };
    let key = cache_key(tool, &args);
    Ok((tool, args, key))
}

/// The cache key of a tool call.
pub fn cache_key(tool: &str, args: &Value) -> String {
    format!("{tool} {args}")
}

/// Answers `GET /forecast/{symbol}`.
///
/// # Errors
/// Unknown symbol/venue, bad parameters, no forecasting plugin, too little data.
pub async fn answer(st: &AppState, symbol: &str, q: &ForecastQuery) -> Result<Value, ApiError> {
    let (tool, args, key) = request(st, symbol, q)?;
    if let Some((age, mut v)) = st.forecasts.get(&key) {
        v["cached"] = json!({"age_s": age.as_secs_f64()});
        return Ok(v);
    }
    if st.registry.get(tool).is_none() {
        return Err(ApiError::Tool(ToolError::Unavailable(format!(
            "no forecasting plugin is loaded (add forecast_stats to plugins.load): tool {tool} is missing"
        ))));
    }
    let v = st.registry.call(tool, args).await?;
    st.forecasts.put(key, v.clone());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_units_and_bounds() {
        assert_eq!(parse_interval("60"), Some(60));
        assert_eq!(parse_interval("5m"), Some(300));
        assert_eq!(parse_interval("1h"), Some(3_600));
        assert_eq!(parse_interval("2d"), None);
        assert_eq!(parse_interval("0"), None);
        assert_eq!(parse_interval("x"), None);
    }

    #[test]
    fn the_cache_expires_entries() {
        let c = ForecastCache::new(Duration::from_millis(0));
        c.put("k".into(), json!(1));
        std::thread::sleep(Duration::from_millis(2));
        assert!(c.get("k").is_none());
        let c = ForecastCache::default();
        c.put("k".into(), json!(1));
        assert_eq!(c.get("k").map(|x| x.1), Some(json!(1)));
    }
}
