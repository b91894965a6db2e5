//! `bybit_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], REST through the host (request described here, answer
//! decoded on resume).

use crate::common::Category;
use abi_stable::std_types::{RResult, RStr};
use orderflow_plugin_common::args::{symbol_arg, uint_arg, venue_symbol, wire_number};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Live(&'static str),
    Derived,
    Rest,
}

struct Spec {
    name: &'static str,
    description: &'static str,
    source: Source,
    extra: Value,
}

fn limit(default: u64, max: u64) -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": max, "default": default, "description": "most recent first, at most this many"}})
}
fn depth() -> Value {
    json!({"depth": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20, "description": "levels per side"}})
}

/// The category a tool serves and its name without the venue prefix (`get_klines`).
fn split_name(name: &str) -> (Category, &str) {
    match name.strip_prefix("bybit_spot_") {
        Some(rest) => (Category::Spot, rest),
        None => (
            Category::Linear,
            name.strip_prefix("bybit_").unwrap_or(name),
        ),
    }
}

fn spot_specs() -> Vec<Spec> {
    let none = || json!({});
    vec![
        Spec {
            name: "bybit_spot_get_ticker",
            source: Source::Live("ticker"),
            extra: none(),
            description: "Latest 24h ticker of a Bybit spot pair from the live tickers topic: last, 24h open, high, low, volume, turnover.",
        },
        Spec {
            name: "bybit_spot_get_orderbook",
            source: Source::Live("book"),
            extra: depth(),
            description: "Top N levels per side of the live Bybit spot book (orderbook.50), kept in sync by consecutive update ids; a gap resubscribes.",
        },
        Spec {
            name: "bybit_spot_get_recent_trades",
            source: Source::Live("trades"),
            extra: limit(50, 1000),
            description: "Most recent trades of a Bybit spot pair from the live publicTrade topic: price, size, taker side, time.",
        },
        Spec {
            name: "bybit_spot_get_book_ticker",
            source: Source::Derived,
            extra: none(),
            description: "Best bid and ask of a Bybit spot pair with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        },
        Spec {
            name: "bybit_spot_get_orderbook_imbalance",
            source: Source::Derived,
            extra: depth(),
            description: "Bid/ask volume and notional over the top N levels of the live Bybit spot book, their imbalance in [-1, 1] and the largest level per side.",
        },
        Spec {
            name: "bybit_spot_get_trade_flow",
            source: Source::Derived,
            extra: limit(200, 1000),
            description: "Aggressive flow over the most recent live Bybit spot trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        },
        Spec {
            name: "bybit_spot_get_klines",
            source: Source::Rest,
            extra: json!({"interval": {"type": "string", "enum": ["1", "5", "15", "60", "240", "D"], "default": "60", "description": "minutes, or D"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}),
            description: "OHLCV candles of a Bybit spot pair from REST /v5/market/kline (oldest first): start, OHLC, volume, turnover.",
        },
        Spec {
            name: "bybit_spot_get_depth_snapshot",
            source: Source::Rest,
            extra: json!({"limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 25, "description": "levels per side"}}),
            description: "Order-book snapshot of a Bybit spot pair straight from REST /v5/market/orderbook (independent of the live stream), with its update id.",
        },
        Spec {
            name: "bybit_spot_get_rest_trades",
            source: Source::Rest,
            extra: limit(60, 60),
            description: "Recent trades of a Bybit spot pair from REST /v5/market/recent-trade (oldest first).",
        },
        Spec {
            name: "bybit_spot_get_instrument_info",
            source: Source::Rest,
            extra: none(),
            description: "Trading rules of a Bybit spot pair from REST /v5/market/instruments-info: status, tick size, quantity step, minimum size.",
        },
    ]
}

fn specs() -> Vec<Spec> {
    let mut all = linear_specs();
    all.extend(spot_specs());
    all
}

fn linear_specs() -> Vec<Spec> {
    let none = || json!({});
    vec![
        Spec {
            name: "bybit_get_ticker",
            source: Source::Live("ticker"),
            extra: none(),
            description: "Latest 24h ticker of a Bybit USDT perpetual from the live tickers topic (snapshot merged with its deltas): last, 24h open, high, low, volume, turnover.",
        },
        Spec {
            name: "bybit_get_orderbook",
            source: Source::Live("book"),
            extra: depth(),
            description: "Top N levels per side of the live Bybit book (orderbook.50 topic), kept in sync by consecutive update ids; a gap resubscribes for a fresh snapshot.",
        },
        Spec {
            name: "bybit_get_recent_trades",
            source: Source::Live("trades"),
            extra: limit(50, 1000),
            description: "Most recent trades of a Bybit USDT perpetual from the live publicTrade topic: price, size, taker side, time.",
        },
        Spec {
            name: "bybit_get_funding_rate",
            source: Source::Live("funding"),
            extra: none(),
            description: "Current funding rate of a Bybit USDT perpetual and the next funding time, from the live tickers topic.",
        },
        Spec {
            name: "bybit_get_open_interest",
            source: Source::Live("open_interest"),
            extra: none(),
            description: "Latest open interest (base units) of a Bybit USDT perpetual from the live tickers topic.",
        },
        Spec {
            name: "bybit_get_mark_price",
            source: Source::Live("mark_price"),
            extra: none(),
            description: "Latest mark and index price of a Bybit USDT perpetual from the live tickers topic, with the basis in bps.",
        },
        Spec {
            name: "bybit_get_liquidations",
            source: Source::Live("liquidations"),
            extra: limit(50, 1000),
            description: "Recent liquidations of a Bybit USDT perpetual from the live allLiquidation topic: order side (sell = long liquidated), price, size.",
        },
        Spec {
            name: "bybit_get_book_ticker",
            source: Source::Derived,
            extra: none(),
            description: "Best bid and ask of a Bybit USDT perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        },
        Spec {
            name: "bybit_get_orderbook_imbalance",
            source: Source::Derived,
            extra: depth(),
            description: "Bid/ask volume and notional over the top N levels of the live Bybit book, their imbalance in [-1, 1] and the largest level per side.",
        },
        Spec {
            name: "bybit_get_trade_flow",
            source: Source::Derived,
            extra: limit(200, 1000),
            description: "Aggressive flow over the most recent live Bybit trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        },
        Spec {
            name: "bybit_get_large_trades",
            source: Source::Derived,
            extra: json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDT"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}}),
            description: "Recent live Bybit trades with notional at least `min_notional` USDT, newest first, with their share of the scanned notional.",
        },
        Spec {
            name: "bybit_get_liquidation_stats",
            source: Source::Derived,
            extra: limit(50, 1000),
            description: "Summary of recent live Bybit liquidations: count, size and notional of long and short liquidations, net notional, time span.",
        },
        Spec {
            name: "bybit_get_basis",
            source: Source::Derived,
            extra: none(),
            description: "Perpetual premium on Bybit from live data: mark, index, basis (bps), last vs mark (bps), funding rate and its annualized value.",
        },
        Spec {
            name: "bybit_get_market_summary",
            source: Source::Derived,
            extra: none(),
            description: "One-call live snapshot of a Bybit USDT perpetual: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason.",
        },
        Spec {
            name: "bybit_get_klines",
            source: Source::Rest,
            extra: json!({"interval": {"type": "string", "enum": ["1", "5", "15", "60", "240", "D"], "default": "60", "description": "minutes, or D"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}),
            description: "OHLCV candles of a Bybit USDT perpetual from REST /v5/market/kline (oldest first): start, OHLC, volume, turnover.",
        },
        Spec {
            name: "bybit_get_instrument_info",
            source: Source::Rest,
            extra: none(),
            description: "Contract specification of a Bybit USDT perpetual from REST /v5/market/instruments-info: status, tick size, quantity step, minimum size, funding interval.",
        },
        Spec {
            name: "bybit_get_depth_snapshot",
            source: Source::Rest,
            extra: json!({"limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 25, "description": "levels per side"}}),
            description: "Order-book snapshot of a Bybit USDT perpetual straight from REST /v5/market/orderbook (independent of the live stream), with its update id.",
        },
        Spec {
            name: "bybit_get_rest_trades",
            source: Source::Rest,
            extra: limit(60, 1000),
            description: "Recent trades of a Bybit USDT perpetual from REST /v5/market/recent-trade (oldest first).",
        },
        Spec {
            name: "bybit_get_funding_history",
            source: Source::Rest,
            extra: limit(50, 200),
            description: "Settled funding rates of a Bybit USDT perpetual from REST /v5/market/funding/history (oldest first).",
        },
        Spec {
            name: "bybit_get_open_interest_history",
            source: Source::Rest,
            extra: none(),
            description: "Open interest of a Bybit USDT perpetual from REST /v5/market/open-interest (base units, with timestamps).",
        },
    ]
}

/// Tool descriptors.
pub fn descriptors() -> Vec<ToolDescriptor> {
    specs()
        .into_iter()
        .map(|s| {
            let mut props = json!({"symbol": {"type": "string", "description": "orderflow symbol, e.g. BTCUSDT", "pattern": "^[A-Z0-9]{2,20}$"}});
            if let (Some(p), Value::Object(extra)) = (props.as_object_mut(), s.extra) {
                p.extend(extra);
            }
            let output = match s.source {
                Source::Rest => json!({"type": "object", "required": ["venue", "symbol", "rows"],
                    "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "rows": {"type": "array"}}}),
                _ => json!({"type": "object", "required": ["venue", "symbol"],
                    "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}}}),
            };
            ToolDescriptor {
                name: s.name.into(),
                description: s.description.into(),
                input_schema: json!({"type": "object", "properties": props, "required": ["symbol"], "additionalProperties": false}).to_string().into(),
                output_schema: output.to_string().into(),
            }
        })
        .collect()
}

/// Starts a tool call.
///
/// # Errors
/// Unknown tool, invalid arguments, or the host's error.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    let spec = specs()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| SdkError::new(ErrorKind::NotFound, format!("unknown tool {name:?}")))?;
    let v: Value = serde_json::from_str(args)
        .map_err(|e| SdkError::invalid_args(format!("arguments are not JSON: {e}")))?;
    let (category, suffix) = split_name(name);
    let venue = category.venue();
    let cat = category.name();
    let symbol = symbol_arg(&v)?;
    match spec.source {
        Source::Live(kind) => {
            let limit = match kind {
                "book" => uint_arg(&v, "depth", 20, 50)?,
                "trades" | "liquidations" => uint_arg(&v, "limit", 50, 1000)?,
                _ => 1,
            };
            let q = json!({"op": "live", "venue": venue, "symbol": symbol, "kind": kind, "limit": limit});
            Ok(ToolStep::Done(
                host.query(RStr::from_str(&q.to_string())).into_result()?,
            ))
        }
        Source::Derived => {
            let out = orderflow_plugin_common::derived::call(suffix, venue, &symbol, &v, host)?;
            Ok(ToolStep::Done(out.to_string().into()))
        }
        Source::Rest => {
            let s = venue_symbol(host, venue, &symbol)?;
            let path = match suffix {
                "get_klines" => {
                    let interval = v["interval"].as_str().unwrap_or("60");
                    if !["1", "5", "15", "60", "240", "D"].contains(&interval) {
                        return Err(SdkError::invalid_args(format!(
                            "`interval` {interval:?} is not supported"
                        )));
                    }
                    format!(
                        "/v5/market/kline?category={cat}&symbol={s}&interval={interval}&limit={}",
                        uint_arg(&v, "limit", 100, 1000)?
                    )
                }
                "get_instrument_info" => {
                    format!("/v5/market/instruments-info?category={cat}&symbol={s}")
                }
                "get_depth_snapshot" => format!(
                    "/v5/market/orderbook?category={cat}&symbol={s}&limit={}",
                    uint_arg(&v, "limit", 25, 500)?
                ),
                "get_rest_trades" => format!(
                    "/v5/market/recent-trade?category={cat}&symbol={s}&limit={}",
                    uint_arg(&v, "limit", 60, 1000)?
                ),
                "get_funding_history" => format!(
                    "/v5/market/funding/history?category={cat}&symbol={s}&limit={}",
                    uint_arg(&v, "limit", 50, 200)?
                ),
                _ => {
                    format!("/v5/market/open-interest?category={cat}&symbol={s}&intervalTime=5min")
                }
            };
            Ok(ToolStep::Fetch {
                request: HttpRequest::get(venue, path),
                state: json!({"symbol": symbol}).to_string().into(),
            })
        }
    }
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (HTTP status, `retCode` ≠ 0) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    if resp.status != 200 || body["retCode"] != 0 {
        let msg = body["retMsg"]
            .as_str()
            .map_or_else(|| resp.body.to_string(), str::to_owned);
        let kind = if resp.status == 200 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!(
                "Bybit answered HTTP {} retCode {}: {msg}",
                resp.status, body["retCode"]
            ),
        ));
    }
    let (category, suffix) = split_name(name);
    let r = &body["result"];
    let list = r["list"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Value> = match suffix {
        "get_klines" => list
            .iter()
            .rev()
            .map(|k| json!({"start": wire_number(&k[0]), "open": wire_number(&k[1]), "high": wire_number(&k[2]), "low": wire_number(&k[3]), "close": wire_number(&k[4]), "volume": wire_number(&k[5]), "turnover": wire_number(&k[6])}))
            .collect(),
        "get_instrument_info" => list
            .iter()
            .map(|i| json!({"status": i["status"], "contract_type": i["contractType"], "tick_size": wire_number(&i["priceFilter"]["tickSize"]),
                            "qty_step": wire_number(&i["lotSizeFilter"]["qtyStep"]), "min_qty": wire_number(&i["lotSizeFilter"]["minOrderQty"]),
                            "funding_interval_min": i["fundingInterval"]}))
            .collect(),
        "get_depth_snapshot" => {
            let side = |k: &str| -> Vec<Value> {
                r[k].as_array().map(|a| a.iter().map(|l| json!([wire_number(&l[0]), wire_number(&l[1])])).collect()).unwrap_or_default()
            };
            vec![json!({"bids": side("b"), "asks": side("a"), "update_id": r["u"], "time": r["ts"]})]
        }
        "get_rest_trades" => list
            .iter()
            .rev()
            .map(|t| json!({"id": t["execId"], "price": wire_number(&t["price"]), "size": wire_number(&t["size"]), "side": t["side"], "time": wire_number(&t["time"])}))
            .collect(),
        "get_funding_history" => list
            .iter()
            .rev()
            .map(|f| json!({"funding_rate": wire_number(&f["fundingRate"]), "funding_time": wire_number(&f["fundingRateTimestamp"])}))
            .collect(),
        "get_open_interest_history" => list
            .iter()
            .rev()
            .map(|o| json!({"open_interest": wire_number(&o["openInterest"]), "time": wire_number(&o["timestamp"])}))
            .collect(),
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    Ok(ToolStep::Done(
        json!({"venue": category.venue(), "symbol": st["symbol"], "rows": rows})
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
