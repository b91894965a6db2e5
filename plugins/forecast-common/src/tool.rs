//! Tool descriptors and argument helpers shared by the forecasting plugins.

use orderflow_tool_sdk::SdkError;
use orderflow_tool_sdk::prelude::*;
use serde_json::{Map, Value, json};

/// A tool descriptor whose schema has the series arguments ([`crate::input`]) plus `extra`.
pub fn series_tool(name: &str, description: &str, extra: Value) -> ToolDescriptor {
    let mut props = crate::input::schema_properties();
    if let Value::Object(m) = extra {
        props.extend(m);
    }
    descriptor(name, description, props)
}

/// A tool descriptor with the given properties (no required keys; closed schema).
pub fn descriptor(name: &str, description: &str, props: Map<String, Value>) -> ToolDescriptor {
    let schema = json!({"type": "object", "properties": props, "additionalProperties": false});
    ToolDescriptor {
        name: name.into(),
        description: description.into(),
        input_schema: schema.to_string().into(),
        output_schema: RString::new(),
    }
}

/// The forecast-shape arguments shared by forecasting tools.
pub fn forecast_properties() -> Value {
    json!({
        "horizon": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 12, "description": "steps ahead"},
        "level": {"type": "number", "minimum": 0.5, "maximum": 0.99, "default": 0.9, "description": "nominal coverage of the prediction interval"},
        "season": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "season length in steps; absent: chosen from interval_s (24 for hourly, 60 for minute bars…) or detected; 0: none"}
    })
}

/// An integer argument with a default, accepting whole-number floats (JSON Schema's `integer`
/// accepts `100.0`), bounded to `[min, max]`.
///
/// # Errors
/// Not a whole number, or out of bounds.
pub fn uint(args: &Value, key: &str, default: u64, min: u64, max: u64) -> Result<u64, SdkError> {
    let v = match args.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| {
                SdkError::invalid_args(format!("{key} must be a non-negative integer"))
            })?,
    };
    if v < min || v > max {
        return Err(SdkError::invalid_args(format!(
            "{key} must be between {min} and {max}"
        )));
    }
    Ok(v)
}

/// A number argument with a default, bounded to `[min, max]`.
///
/// # Errors
/// Not a number, or out of bounds.
pub fn number(args: &Value, key: &str, default: f64, min: f64, max: f64) -> Result<f64, SdkError> {
    let v = match args.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| SdkError::invalid_args(format!("{key} must be a number")))?,
    };
    if !(min..=max).contains(&v) {
        return Err(SdkError::invalid_args(format!(
            "{key} must be between {min} and {max}"
        )));
    }
    Ok(v)
}

/// A string argument with a default.
pub fn string<'a>(args: &'a Value, key: &str, default: &'a str) -> &'a str {
    args.get(key).and_then(Value::as_str).unwrap_or(default)
}

/// The season length for a series: the `season` argument when given, else one day of
/// intervals for hourly data (24), an hour of minute bars (60), a minute of second bars (60),
/// else none (1). The router's callers may replace "none" by a detected period.
pub fn season_for(args: &Value, interval_s: u64) -> Result<usize, SdkError> {
    if args.get("season").is_some_and(|v| !v.is_null()) {
        return Ok(uint(args, "season", 0, 0, 10_000)?.max(1) as usize);
    }
    Ok(match interval_s {
        3_600 => 24,
        60 | 1 => 60,
        900 => 96,
        300 => 288,
        86_400 => 7,
        _ => 1,
    })
}

/// A JSON result from a serializable value.
///
/// # Errors
/// Serialization failure (not expected for plain data).
pub fn done(v: &Value) -> Result<ToolStep, SdkError> {
    Ok(ToolStep::Done(v.to_string().into()))
}
