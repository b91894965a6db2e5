//! Tool-argument checks and answer formatting shared by every venue plugin's tools.

use orderflow_tool_sdk::std_types::RStr;
use orderflow_tool_sdk::{ErrorKind, HostViewRef, SdkError};
use serde_json::{Value, json};

/// The `symbol` argument: an upper-case orderflow symbol such as `BTCUSDT`.
///
/// # Errors
/// Missing or malformed.
pub fn symbol_arg(v: &Value) -> Result<String, SdkError> {
    v.get("symbol")
        .and_then(Value::as_str)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 20
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            SdkError::invalid_args("`symbol` must be an upper-case symbol such as BTCUSDT")
        })
}

/// An optional integer argument in `1..=max`, `default` when absent.
///
/// # Errors
/// Present but not an integer in range.
pub fn uint_arg(v: &Value, key: &str, default: u64, max: u64) -> Result<u64, SdkError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => x.as_u64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            SdkError::invalid_args(format!("`{key}` must be an integer in 1..={max}"))
        }),
    }
}

/// A venue's decimal string as a JSON number: integers stay integers (ids, ms timestamps),
/// anything that is not a number is kept as it was.
pub fn wire_number(v: &Value) -> Value {
    match v {
        Value::String(s) => s
            .parse::<i64>()
            .map(|i| json!(i))
            .or_else(|_| s.parse::<f64>().map(|f| json!(f)))
            .unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// The last `n` of `rows` (rows oldest first): a tool's `limit` over a venue answer.
pub fn last_n(mut rows: Vec<Value>, n: usize) -> Vec<Value> {
    let skip = rows.len().saturating_sub(n);
    rows.split_off(skip)
}

/// The venue's instrument name for a configured symbol, asked from the host.
///
/// # Errors
/// The host's error, or the symbol is not configured on `venue`.
pub fn venue_symbol(host: &HostViewRef<'_>, venue: &str, symbol: &str) -> Result<String, SdkError> {
    let q = json!({"op": "instrument", "venue": venue, "symbol": symbol});
    let ans = host.query(RStr::from_str(&q.to_string())).into_result()?;
    let v: Value = serde_json::from_str(ans.as_str())
        .map_err(|e| SdkError::decode(format!("instrument answer: {e}")))?;
    v["venue_symbol"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            SdkError::new(
                ErrorKind::NotFound,
                format!("{symbol} is not configured on {venue}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_numbers() {
        assert_eq!(
            symbol_arg(&json!({"symbol": "BTCUSDT"})).unwrap(),
            "BTCUSDT"
        );
        assert!(symbol_arg(&json!({"symbol": "btc"})).is_err());
        assert_eq!(uint_arg(&json!({}), "limit", 5, 10).unwrap(), 5);
        assert!(uint_arg(&json!({"limit": 11}), "limit", 5, 10).is_err());
        assert_eq!(wire_number(&json!("1795")), json!(1795));
        assert_eq!(wire_number(&json!("0.5")), json!(0.5));
        assert_eq!(wire_number(&json!("x")), json!("x"));
    }
}
