//! Binance tools. Live-state tools read the host's [`HostView`]; REST tools describe a request
//! that the host performs and decode the answer when resumed.
//!
//! [`HostView`]: orderflow_tool_sdk::HostView

use crate::common::{FAPI, VENUE_FUTURES};
use abi_stable::std_types::{RResult, RStr};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

const SYMBOL_SCHEMA: &str = r#"{"type":"string","description":"orderflow symbol, e.g. BTCUSDT","pattern":"^[A-Z0-9]{2,20}$"}"#;

fn symbol_schema() -> Value {
    serde_json::from_str(SYMBOL_SCHEMA).unwrap_or(Value::Null)
}

/// How a tool gets its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Host live state of this kind.
    Live(&'static str),
    /// A REST endpoint.
    Rest,
}

struct Spec {
    name: &'static str,
    description: &'static str,
    source: Source,
    /// Extra properties beyond `symbol`.
    extra: fn() -> Value,
    output: fn() -> Value,
}

fn no_extra() -> Value {
    json!({})
}
fn depth_extra() -> Value {
    json!({"depth": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20, "description": "levels per side"}})
}
fn limit_extra() -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50, "description": "most recent first, at most this many"}})
}
fn kline_extra() -> Value {
    json!({"interval": {"type": "string", "enum": ["1m","3m","5m","15m","30m","1h","2h","4h","1d"], "default": "1h"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 1500, "default": 100}})
}
fn live_output() -> Value {
    json!({"type": "object", "required": ["venue", "symbol", "kind", "age_ms", "data"],
           "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "kind": {"type": "string"},
                          "age_ms": {"type": "number", "description": "age of the newest datum in ms (stale if large)"},
                          "ts_recv": {"type": "integer"}, "data": {}}})
}
fn array_output() -> Value {
    json!({"type": "object", "required": ["venue", "symbol", "rows"],
           "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "rows": {"type": "array"}}})
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "binance_get_ticker",
            description: "Latest 24h rolling ticker of a Binance USD-M perpetual from the live stream: last, open, high, low, base and quote volume, trade count. Use for current price and daily range.",
            source: Source::Live("ticker"),
            extra: no_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_orderbook",
            description: "Top N levels per side of the live, sequence-checked Binance USD-M order book (price, size), best first, with the book's update id. Use for liquidity and spread right now.",
            source: Source::Live("book"),
            extra: depth_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_recent_trades",
            description: "Most recent trades of a Binance USD-M perpetual from the live aggTrade stream: price, size, aggressor side, time.",
            source: Source::Live("trades"),
            extra: limit_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_funding_rate",
            description: "Current (predicted) funding rate of a Binance USD-M perpetual and the next funding time, from the live markPrice stream.",
            source: Source::Live("funding"),
            extra: no_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_open_interest",
            description: "Latest open interest (base units) of a Binance USD-M perpetual, polled from REST by the connector.",
            source: Source::Live("open_interest"),
            extra: no_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_mark_price",
            description: "Latest mark and index price of a Binance USD-M perpetual from the live markPrice stream, with the mark–index basis.",
            source: Source::Live("mark_price"),
            extra: no_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_liquidations",
            description: "Recent forced liquidations of a Binance USD-M perpetual from the live forceOrder stream: side (SELL = long liquidated), price, size.",
            source: Source::Live("liquidations"),
            extra: limit_extra,
            output: live_output,
        },
        Spec {
            name: "binance_get_klines",
            description: "OHLCV candles of a Binance USD-M perpetual from the REST API (oldest first): open time, open, high, low, close, volume, quote volume, trade count, taker buy volume.",
            source: Source::Rest,
            extra: kline_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_funding_history",
            description: "Settled funding rates of a Binance USD-M perpetual from the REST API (oldest first), with the mark price at settlement.",
            source: Source::Rest,
            extra: limit_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_premium_index",
            description: "Mark price, index price, last funding rate and next funding time of a Binance USD-M perpetual from the REST premiumIndex endpoint.",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
        },
    ]
}

/// The descriptors of every Binance tool.
pub fn descriptors() -> Vec<ToolDescriptor> {
    specs()
        .into_iter()
        .map(|s| {
            let mut props = json!({"symbol": symbol_schema()});
            if let (Some(p), Value::Object(extra)) = (props.as_object_mut(), (s.extra)()) {
                p.extend(extra);
            }
            let schema = json!({"type": "object", "properties": props, "required": ["symbol"], "additionalProperties": false});
            ToolDescriptor {
                name: s.name.into(),
                description: s.description.into(),
                input_schema: schema.to_string().into(),
                output_schema: (s.output)().to_string().into(),
            }
        })
        .collect()
}

fn args_of(args: &str) -> Result<Value, SdkError> {
    let v: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments are not JSON: {e}")))?;
    if !v.is_object() {
        return Err(SdkError::invalid_args("arguments must be a JSON object"));
    }
    Ok(v)
}

fn symbol_of(v: &Value) -> Result<String, SdkError> {
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

fn uint_of(v: &Value, key: &str, default: u64, max: u64) -> Result<u64, SdkError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => x.as_u64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            SdkError::invalid_args(format!("`{key}` must be an integer in 1..={max}"))
        }),
    }
}

/// Starts a tool call.
///
/// # Errors
/// Unknown tool, invalid arguments, or the host's error for live state.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    let spec = specs()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| SdkError::new(ErrorKind::NotFound, format!("unknown tool {name:?}")))?;
    let v = args_of(args)?;
    let symbol = symbol_of(&v)?;
    match spec.source {
        Source::Live(kind) => {
            let limit = match kind {
                "book" => uint_of(&v, "depth", 20, 100)?,
                "trades" | "liquidations" => uint_of(&v, "limit", 50, 1000)?,
                _ => 1,
            };
            let q = json!({"op": "live", "venue": VENUE_FUTURES, "symbol": symbol, "kind": kind, "limit": limit});
            let ans = host.query(RStr::from_str(&q.to_string())).into_result()?;
            Ok(ToolStep::Done(ans))
        }
        Source::Rest => {
            // Binance USD-M uses the orderflow symbol as its instrument name.
            let path = match name {
                "binance_get_klines" => {
                    let interval = v.get("interval").and_then(Value::as_str).unwrap_or("1h");
                    if !["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"].contains(&interval)
                    {
                        return Err(SdkError::invalid_args(format!(
                            "`interval` {interval:?} is not supported"
                        )));
                    }
                    let limit = uint_of(&v, "limit", 100, 1500)?;
                    format!("{FAPI}/klines?symbol={symbol}&interval={interval}&limit={limit}")
                }
                "binance_get_funding_history" => {
                    let limit = uint_of(&v, "limit", 50, 1000)?;
                    format!("{FAPI}/fundingRate?symbol={symbol}&limit={limit}")
                }
                _ => format!("{FAPI}/premiumIndex?symbol={symbol}"),
            };
            Ok(ToolStep::Fetch {
                request: HttpRequest::get(VENUE_FUTURES, path),
                state: json!({"symbol": symbol}).to_string().into(),
            })
        }
    }
}

fn num(v: &Value) -> Value {
    match v {
        Value::String(s) => s.parse::<f64>().map_or_else(|_| v.clone(), |f| json!(f)),
        other => other.clone(),
    }
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (non-200, venue error body) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let symbol = st.get("symbol").cloned().unwrap_or(Value::Null);
    if resp.status != 200 {
        let detail = serde_json::from_str::<Value>(&resp.body)
            .ok()
            .and_then(|v| v.get("msg").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| resp.body.to_string());
        let kind = if resp.status == 400 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!("Binance answered HTTP {}: {detail}", resp.status),
        ));
    }
    let body: Value = serde_json::from_str(&resp.body)
        .map_err(|e| SdkError::decode(format!("Binance answer: {e}")))?;
    let rows = match name {
        "binance_get_klines" => body
            .as_array()
            .ok_or_else(|| SdkError::decode("klines: expected an array"))?
            .iter()
            .map(|k| {
                json!({"open_time": k[0], "open": num(&k[1]), "high": num(&k[2]), "low": num(&k[3]), "close": num(&k[4]),
                       "volume": num(&k[5]), "close_time": k[6], "quote_volume": num(&k[7]), "trades": k[8],
                       "taker_buy_volume": num(&k[9])})
            })
            .collect(),
        "binance_get_funding_history" => body
            .as_array()
            .ok_or_else(|| SdkError::decode("fundingRate: expected an array"))?
            .iter()
            .map(|r| json!({"funding_time": r["fundingTime"], "funding_rate": num(&r["fundingRate"]), "mark_price": num(&r["markPrice"])}))
            .collect(),
        "binance_get_premium_index" => vec![json!({
            "mark_price": num(&body["markPrice"]), "index_price": num(&body["indexPrice"]),
            "last_funding_rate": num(&body["lastFundingRate"]), "next_funding_time": body["nextFundingTime"], "time": body["time"]})],
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    Ok(ToolStep::Done(
        json!({"venue": VENUE_FUTURES, "symbol": symbol, "rows": rows})
            .to_string()
            .into(),
    ))
}

/// ABI entry helper.
pub fn call_guarded(
    name: RStr<'_>,
    args: RStr<'_>,
    host: HostViewRef<'_>,
) -> RResult<ToolStep, SdkError> {
    orderflow_tool_sdk::guard_result(|| call(name.as_str(), args.as_str(), &host))
}

/// ABI entry helper.
pub fn resume_guarded(
    name: RStr<'_>,
    state: RStr<'_>,
    resp: HttpResponse,
) -> RResult<ToolStep, SdkError> {
    orderflow_tool_sdk::guard_result(|| resume(name.as_str(), state.as_str(), &resp))
}
