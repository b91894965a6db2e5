//! Binance tools. Live-state tools read the host's [`HostView`]; REST tools describe a request
//! that the host performs and decode the answer when resumed.
//!
//! [`HostView`]: orderflow_tool_sdk::HostView

use crate::common::Market;
use abi_stable::std_types::{RResult, RStr};
use orderflow_plugin_common::args::{symbol_arg, uint_arg, wire_number};
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
    /// Computed by the plugin from one or more live-state reads.
    Derived,
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
fn period_extra() -> Value {
    json!({"period": {"type": "string", "enum": ["5m","15m","30m","1h","2h","4h","6h","12h","1d"], "default": "5m", "description": "statistics period"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 30, "description": "most recent periods"}})
}
fn rest_depth_extra() -> Value {
    json!({"limit": {"type": "integer", "enum": [5, 10, 20, 50, 100, 500, 1000], "default": 20, "description": "levels per side"}})
}
fn large_extra() -> Value {
    json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDT"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})
}
fn flow_extra() -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})
}
fn object_output() -> Value {
    json!({"type": "object", "required": ["venue", "symbol"], "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}}})
}
fn live_output() -> Value {
    json!({"type": "object", "required": ["venue", "symbol", "kind", "age_ms", "data"],
           "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "kind": {"type": "string"},
                          "age_ms": {"type": "number", "description": "age of the newest datum in ms (stale if large)"},
                          "ts_recv": {"type": "integer"},
                          "data": {"anyOf": [{"type": "object"}, {"type": "array"}], "description": "the datum (an object) or the most recent items (an array)"}}})
}
fn array_output() -> Value {
    json!({"type": "object", "required": ["venue", "symbol", "rows"],
           "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "rows": {"type": "array"}}})
}

/// The market a tool serves, and its name without the venue prefix (`get_klines`).
fn split_name(name: &str) -> (Market, &str) {
    match name.strip_prefix("binance_spot_") {
        Some(rest) => (Market::Spot, rest),
        None => (
            Market::Futures,
            name.strip_prefix("binance_").unwrap_or(name),
        ),
    }
}

fn spot_specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "binance_spot_get_ticker",
            source: Source::Live("ticker"),
            extra: no_extra,
            output: live_output,
            description: "Latest 24h rolling ticker of a Binance spot pair from the live stream: last, open, high, low, base and quote volume, trade count.",
        },
        Spec {
            name: "binance_spot_get_orderbook",
            source: Source::Live("book"),
            extra: depth_extra,
            output: live_output,
            description: "Top N levels per side of the live Binance spot order book, kept in sync by the spot rule (REST snapshot, then U = previous u + 1; a gap resyncs).",
        },
        Spec {
            name: "binance_spot_get_recent_trades",
            source: Source::Live("trades"),
            extra: limit_extra,
            output: live_output,
            description: "Most recent trades of a Binance spot pair from the live aggTrade stream: price, size, aggressor side, time.",
        },
        Spec {
            name: "binance_spot_get_book_ticker",
            source: Source::Derived,
            extra: no_extra,
            output: object_output,
            description: "Best bid and ask of a Binance spot pair with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        },
        Spec {
            name: "binance_spot_get_orderbook_imbalance",
            source: Source::Derived,
            extra: depth_extra,
            output: object_output,
            description: "Bid/ask volume and notional over the top N levels of the live Binance spot book, their imbalance in [-1, 1] and the largest level per side.",
        },
        Spec {
            name: "binance_spot_get_trade_flow",
            source: Source::Derived,
            extra: flow_extra,
            output: object_output,
            description: "Aggressive flow over the most recent live Binance spot trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        },
        Spec {
            name: "binance_spot_get_large_trades",
            source: Source::Derived,
            extra: large_extra,
            output: object_output,
            description: "Recent live Binance spot trades with notional at least `min_notional` (quote currency), newest first, with their share of the scanned notional.",
        },
        Spec {
            name: "binance_spot_get_market_summary",
            source: Source::Derived,
            extra: no_extra,
            output: object_output,
            description: "One-call live snapshot of a Binance spot pair: 24h ticker and top of book with ages; spot has no mark, funding or open interest, listed under `missing`.",
        },
        Spec {
            name: "binance_spot_get_klines",
            source: Source::Rest,
            extra: kline_extra,
            output: array_output,
            description: "OHLCV candles of a Binance spot pair from REST /api/v3/klines (oldest first): open time, OHLC, volume, quote volume, trade count, taker buy volume.",
        },
        Spec {
            name: "binance_spot_get_exchange_info",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
            description: "Trading rules of a Binance spot pair from REST /api/v3/exchangeInfo: status, price tick size and quantity step size.",
        },
        Spec {
            name: "binance_spot_get_depth_snapshot",
            source: Source::Rest,
            extra: rest_depth_extra,
            output: array_output,
            description: "Order-book snapshot of a Binance spot pair straight from REST /api/v3/depth (independent of the live stream): bids, asks, lastUpdateId.",
        },
        Spec {
            name: "binance_spot_get_agg_trades",
            source: Source::Rest,
            extra: limit_extra,
            output: array_output,
            description: "Recent aggregate trades of a Binance spot pair from REST /api/v3/aggTrades (oldest first): id, price, size, aggressor side, time.",
        },
        Spec {
            name: "binance_spot_get_24h_stats",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
            description: "24h rolling statistics of a Binance spot pair from REST /api/v3/ticker/24hr: last, open, high, low, change %, volumes, trade count.",
        },
        Spec {
            name: "binance_spot_get_avg_price",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
            description: "Average price of a Binance spot pair over the last 5 minutes from REST /api/v3/avgPrice.",
        },
        Spec {
            name: "binance_spot_get_rest_book_ticker",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
            description: "Best bid and ask with quantities of a Binance spot pair from REST /api/v3/ticker/bookTicker (a cross-check of the live top of book).",
        },
    ]
}

fn specs() -> Vec<Spec> {
    let mut all = futures_specs();
    all.extend(spot_specs());
    all
}

fn futures_specs() -> Vec<Spec> {
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
            name: "binance_get_book_ticker",
            description: "Best bid and ask of a Binance USD-M perpetual with their sizes, mid, spread (absolute and bps) and microprice, from the live sequence-checked book.",
            source: Source::Derived,
            extra: no_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_orderbook_imbalance",
            description: "Bid/ask volume and notional over the top N levels of the live Binance USD-M book, their imbalance in [-1, 1] (positive = more bids), and the largest level (wall) on each side.",
            source: Source::Derived,
            extra: depth_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_trade_flow",
            description: "Aggressive flow over the most recent live trades of a Binance USD-M perpetual: buy and sell volume, delta, buy ratio, VWAP, trade count and the time span covered.",
            source: Source::Derived,
            extra: flow_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_large_trades",
            description: "Recent live trades of a Binance USD-M perpetual with notional (price × size) at least `min_notional` USDT, newest first, with their share of the scanned volume. Whale/block detection.",
            source: Source::Derived,
            extra: large_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_basis",
            description: "Perpetual premium of a Binance USD-M contract from live data: mark, index, mark–index basis (bps), last trade vs mark (bps), current funding rate and its annualized value.",
            source: Source::Derived,
            extra: no_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_market_summary",
            description: "One-call snapshot of a Binance USD-M perpetual from live state: 24h ticker, best bid/ask and spread, mark/index, funding, open interest and the last liquidation, each with its age; missing parts are listed under `missing`.",
            source: Source::Derived,
            extra: no_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_liquidation_stats",
            description: "Summary of the recent live forced liquidations of a Binance USD-M perpetual: count, size and notional of long liquidations (SELL orders) and short liquidations (BUY orders), their net notional and the time span covered. Empty when none were seen yet.",
            source: Source::Derived,
            extra: limit_extra,
            output: object_output,
        },
        Spec {
            name: "binance_get_exchange_info",
            description: "Contract specification of a Binance USD-M perpetual from the REST exchangeInfo endpoint: status, contract type, price tick size and quantity step size.",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_depth_snapshot",
            description: "Order-book snapshot of a Binance USD-M perpetual straight from the REST depth endpoint (independent of the live stream): bids, asks and lastUpdateId. Use to cross-check the live book.",
            source: Source::Rest,
            extra: rest_depth_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_agg_trades",
            description: "Recent aggregate trades of a Binance USD-M perpetual from the REST aggTrades endpoint (oldest first): id, price, size, aggressor side, time.",
            source: Source::Rest,
            extra: limit_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_24h_stats",
            description: "24h rolling statistics of a Binance USD-M perpetual from the REST ticker/24hr endpoint: last, open, high, low, change %, base and quote volume, trade count.",
            source: Source::Rest,
            extra: no_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_open_interest_history",
            description: "Open interest per period of a Binance USD-M perpetual from the REST openInterestHist statistics endpoint (oldest first): base units and USDT value.",
            source: Source::Rest,
            extra: period_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_taker_volume",
            description: "Taker buy and sell volume per period of a Binance USD-M perpetual from the REST takerlongshortRatio endpoint (oldest first), with the buy/sell ratio.",
            source: Source::Rest,
            extra: period_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_long_short_ratio",
            description: "Global long/short account ratio per period of a Binance USD-M perpetual from the REST globalLongShortAccountRatio endpoint (oldest first): long and short account shares and their ratio.",
            source: Source::Rest,
            extra: period_extra,
            output: array_output,
        },
        Spec {
            name: "binance_get_top_trader_ratio",
            description: "Top traders' long/short position ratio per period of a Binance USD-M perpetual from the REST topLongShortPositionRatio endpoint (oldest first).",
            source: Source::Rest,
            extra: period_extra,
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
    let symbol = symbol_arg(&v)?;
    let (market, suffix) = split_name(name);
    match spec.source {
        Source::Live(kind) => {
            let limit = match kind {
                "book" => uint_arg(&v, "depth", 20, 100)?,
                "trades" | "liquidations" => uint_arg(&v, "limit", 50, 1000)?,
                _ => 1,
            };
            let q = json!({"op": "live", "venue": market.venue(), "symbol": symbol, "kind": kind, "limit": limit});
            let ans = host.query(RStr::from_str(&q.to_string())).into_result()?;
            Ok(ToolStep::Done(ans))
        }
        Source::Derived => {
            let out =
                orderflow_plugin_common::derived::call(suffix, market.venue(), &symbol, &v, host)?;
            Ok(ToolStep::Done(out.to_string().into()))
        }
        Source::Rest => {
            // Binance uses the orderflow symbol as its instrument name.
            let api = market.rest();
            let path = match suffix {
                "get_klines" => {
                    let interval = v.get("interval").and_then(Value::as_str).unwrap_or("1h");
                    if !["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"].contains(&interval)
                    {
                        return Err(SdkError::invalid_args(format!(
                            "`interval` {interval:?} is not supported"
                        )));
                    }
                    let limit = uint_arg(&v, "limit", 100, 1500)?;
                    format!("{api}/klines?symbol={symbol}&interval={interval}&limit={limit}")
                }
                "get_funding_history" => {
                    let limit = uint_arg(&v, "limit", 50, 1000)?;
                    format!("{api}/fundingRate?symbol={symbol}&limit={limit}")
                }
                "get_exchange_info" => format!("{api}/exchangeInfo"),
                "get_depth_snapshot" => {
                    let limit = uint_arg(&v, "limit", 20, 1000)?;
                    if ![5, 10, 20, 50, 100, 500, 1000].contains(&limit) {
                        return Err(SdkError::invalid_args(
                            "`limit` must be one of 5, 10, 20, 50, 100, 500, 1000",
                        ));
                    }
                    format!("{api}/depth?symbol={symbol}&limit={limit}")
                }
                "get_agg_trades" => {
                    let limit = uint_arg(&v, "limit", 50, 1000)?;
                    format!("{api}/aggTrades?symbol={symbol}&limit={limit}")
                }
                "get_24h_stats" => format!("{api}/ticker/24hr?symbol={symbol}"),
                "get_open_interest_history"
                | "get_taker_volume"
                | "get_long_short_ratio"
                | "get_top_trader_ratio" => {
                    let period = v.get("period").and_then(Value::as_str).unwrap_or("5m");
                    if !PERIODS.contains(&period) {
                        return Err(SdkError::invalid_args(format!(
                            "`period` {period:?} is not supported"
                        )));
                    }
                    let limit = uint_arg(&v, "limit", 30, 500)?;
                    let endpoint = match suffix {
                        "get_open_interest_history" => "openInterestHist",
                        "get_taker_volume" => "takerlongshortRatio",
                        "get_long_short_ratio" => "globalLongShortAccountRatio",
                        _ => "topLongShortPositionRatio",
                    };
                    format!(
                        "/futures/data/{endpoint}?symbol={symbol}&period={period}&limit={limit}"
                    )
                }
                "get_avg_price" => format!("{api}/avgPrice?symbol={symbol}"),
                "get_rest_book_ticker" => format!("{api}/ticker/bookTicker?symbol={symbol}"),
                _ => format!("{api}/premiumIndex?symbol={symbol}"),
            };
            Ok(ToolStep::Fetch {
                request: HttpRequest::get(market.venue(), path),
                state: json!({"symbol": symbol}).to_string().into(),
            })
        }
    }
}

const PERIODS: [&str; 9] = ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

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
    let (market, suffix) = split_name(name);
    let rows = match suffix {
        "get_avg_price" => vec![json!({"minutes": body["mins"], "price": wire_number(&body["price"]), "close_time": body["closeTime"]})],
        "get_rest_book_ticker" => vec![json!({"bid_price": wire_number(&body["bidPrice"]), "bid_size": wire_number(&body["bidQty"]),
                                             "ask_price": wire_number(&body["askPrice"]), "ask_size": wire_number(&body["askQty"])})],
        "get_klines" => body
            .as_array()
            .ok_or_else(|| SdkError::decode("klines: expected an array"))?
            .iter()
            .map(|k| {
                json!({"open_time": k[0], "open": wire_number(&k[1]), "high": wire_number(&k[2]), "low": wire_number(&k[3]), "close": wire_number(&k[4]),
                       "volume": wire_number(&k[5]), "close_time": k[6], "quote_volume": wire_number(&k[7]), "trades": k[8],
                       "taker_buy_volume": wire_number(&k[9])})
            })
            .collect(),
        "get_funding_history" => body
            .as_array()
            .ok_or_else(|| SdkError::decode("fundingRate: expected an array"))?
            .iter()
            .map(|r| json!({"funding_time": r["fundingTime"], "funding_rate": wire_number(&r["fundingRate"]), "mark_price": wire_number(&r["markPrice"])}))
            .collect(),
        "get_exchange_info" => {
            let sym = symbol.as_str().unwrap_or_default();
            let s = body["symbols"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["symbol"] == sym))
                .ok_or_else(|| SdkError::new(ErrorKind::NotFound, format!("{sym} is not listed in exchangeInfo")))?;
            let filter = |t: &str, k: &str| {
                s["filters"].as_array().and_then(|f| f.iter().find(|x| x["filterType"] == t)).map_or(Value::Null, |x| wire_number(&x[k]))
            };
            vec![json!({"status": s["status"], "contract_type": s["contractType"], "pair": s["pair"],
                        "tick_size": filter("PRICE_FILTER", "tickSize"), "step_size": filter("LOT_SIZE", "stepSize")})]
        }
        "get_depth_snapshot" => {
            let side = |k: &str| -> Vec<Value> {
                body[k].as_array().map(|a| a.iter().map(|l| json!([wire_number(&l[0]), wire_number(&l[1])])).collect()).unwrap_or_default()
            };
            vec![json!({"last_update_id": body["lastUpdateId"], "bids": side("bids"), "asks": side("asks"), "time": body["T"]})]
        }
        "get_agg_trades" => body
            .as_array()
            .ok_or_else(|| SdkError::decode("aggTrades: expected an array"))?
            .iter()
            .map(|t| json!({"id": t["a"], "price": wire_number(&t["p"]), "size": wire_number(&t["q"]), "time": t["T"],
                            "side": if t["m"].as_bool().unwrap_or(false) { "sell" } else { "buy" }}))
            .collect(),
        "get_24h_stats" => vec![json!({
            "last_price": wire_number(&body["lastPrice"]), "open_price": wire_number(&body["openPrice"]), "high_price": wire_number(&body["highPrice"]),
            "low_price": wire_number(&body["lowPrice"]), "price_change_pct": wire_number(&body["priceChangePercent"]), "volume": wire_number(&body["volume"]),
            "quote_volume": wire_number(&body["quoteVolume"]), "trade_count": body["count"], "close_time": body["closeTime"]})],
        "get_open_interest_history" => array_of(&body, "openInterestHist")?
            .iter()
            .map(|r| json!({"time": wire_number(&r["timestamp"]), "open_interest": wire_number(&r["sumOpenInterest"]), "open_interest_value": wire_number(&r["sumOpenInterestValue"])}))
            .collect(),
        "get_taker_volume" => array_of(&body, "takerlongshortRatio")?
            .iter()
            .map(|r| json!({"time": wire_number(&r["timestamp"]), "buy_volume": wire_number(&r["buyVol"]), "sell_volume": wire_number(&r["sellVol"]), "buy_sell_ratio": wire_number(&r["buySellRatio"])}))
            .collect(),
        "get_long_short_ratio" | "get_top_trader_ratio" => array_of(&body, "long/short ratio")?
            .iter()
            .map(|r| json!({"time": wire_number(&r["timestamp"]), "long_short_ratio": wire_number(&r["longShortRatio"]), "long_share": wire_number(&r["longAccount"]), "short_share": wire_number(&r["shortAccount"])}))
            .collect(),
        "get_premium_index" => vec![json!({
            "mark_price": wire_number(&body["markPrice"]), "index_price": wire_number(&body["indexPrice"]),
            "last_funding_rate": wire_number(&body["lastFundingRate"]), "next_funding_time": body["nextFundingTime"], "time": body["time"]})],
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    Ok(ToolStep::Done(
        json!({"venue": market.venue(), "symbol": symbol, "rows": rows})
            .to_string()
            .into(),
    ))
}

fn array_of<'a>(body: &'a Value, what: &str) -> Result<&'a Vec<Value>, SdkError> {
    body.as_array()
        .ok_or_else(|| SdkError::decode(format!("{what}: expected an array")))
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
