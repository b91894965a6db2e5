//! `okx_*` tools. Live-state tools read the host's view; derived tools compute from it through
//! [`orderflow_plugin_common::derived`]; REST tools describe a request that the host performs
//! against OKX and decode the answer when resumed.

use crate::common::VENUE;
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

fn depth() -> Value {
    json!({"depth": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20, "description": "levels per side"}})
}
fn limit(default: u64, max: u64) -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": max, "default": default, "description": "most recent first, at most this many"}})
}

fn specs() -> Vec<Spec> {
    let none = || json!({});
    vec![
        Spec {
            name: "okx_get_ticker",
            source: Source::Live("ticker"),
            extra: none(),
            description: "Latest 24h ticker of an OKX USDT perpetual swap from the live tickers channel: last, open, high, low and base volume (quote volume is base × last, an estimate: OKX sends none for swaps).",
        },
        Spec {
            name: "okx_get_orderbook",
            source: Source::Live("book"),
            extra: depth(),
            description: "Top N levels per side of the live OKX book (sizes in base currency), kept in sync by seqId continuity and verified against OKX's CRC32 checksum on every update.",
        },
        Spec {
            name: "okx_get_recent_trades",
            source: Source::Live("trades"),
            extra: limit(50, 1000),
            description: "Most recent trades of an OKX perpetual swap from the live trades channel: price, base size, taker side, time.",
        },
        Spec {
            name: "okx_get_funding_rate",
            source: Source::Live("funding"),
            extra: none(),
            description: "Current funding rate of an OKX perpetual swap and its settlement time, from the live funding-rate channel.",
        },
        Spec {
            name: "okx_get_open_interest",
            source: Source::Live("open_interest"),
            extra: none(),
            description: "Latest open interest of an OKX perpetual swap in base currency, from the live open-interest channel.",
        },
        Spec {
            name: "okx_get_mark_price",
            source: Source::Live("mark_price"),
            extra: none(),
            description: "Latest mark price of an OKX perpetual swap (mark-price channel) with the index price (index-tickers channel) and the basis in bps.",
        },
        Spec {
            name: "okx_get_liquidations",
            source: Source::Live("liquidations"),
            extra: limit(50, 1000),
            description: "Recent liquidation orders of an OKX perpetual swap from the live liquidation-orders channel: order side (sell = long liquidated), bankruptcy price, base size.",
        },
        Spec {
            name: "okx_get_book_ticker",
            source: Source::Derived,
            extra: none(),
            description: "Best bid and ask of an OKX perpetual swap with sizes, mid, spread (absolute and bps) and microprice, from the live checksum-verified book.",
        },
        Spec {
            name: "okx_get_orderbook_imbalance",
            source: Source::Derived,
            extra: depth(),
            description: "Bid/ask volume and notional over the top N levels of the live OKX book, their imbalance in [-1, 1] and the largest level on each side.",
        },
        Spec {
            name: "okx_get_trade_flow",
            source: Source::Derived,
            extra: limit(200, 1000),
            description: "Aggressive flow over the most recent live OKX trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        },
        Spec {
            name: "okx_get_basis",
            source: Source::Derived,
            extra: none(),
            description: "Perpetual premium on OKX from live data: mark, index, mark–index basis (bps), last vs mark (bps), funding rate and its annualized value.",
        },
        Spec {
            name: "okx_get_market_summary",
            source: Source::Derived,
            extra: none(),
            description: "One-call live snapshot of an OKX perpetual swap: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason.",
        },
        Spec {
            name: "okx_get_candles",
            source: Source::Rest,
            extra: json!({"bar": {"type": "string", "enum": ["1m", "5m", "15m", "1H", "4H", "1D"], "default": "1m"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 300, "default": 100}}),
            description: "OHLCV candles of an OKX perpetual swap from REST market/candles (oldest first): open time, OHLC, volume in contracts and base currency, whether the candle is closed.",
        },
        Spec {
            name: "okx_get_instrument",
            source: Source::Rest,
            extra: none(),
            description: "Contract specification of an OKX perpetual swap from REST public/instruments: contract value and currency, tick size, lot size, minimum size, state.",
        },
        Spec {
            name: "okx_get_funding_rate_history",
            source: Source::Rest,
            extra: limit(30, 100),
            description: "Settled funding rates of an OKX perpetual swap from REST public/funding-rate-history (oldest first).",
        },
        Spec {
            name: "okx_get_depth_snapshot",
            source: Source::Rest,
            extra: json!({"depth": {"type": "integer", "minimum": 1, "maximum": 400, "default": 20, "description": "levels per side"}}),
            description: "Order-book snapshot of an OKX perpetual swap straight from REST market/books (sizes in contracts), independent of the live stream: use to cross-check.",
        },
        Spec {
            name: "okx_get_index_price",
            source: Source::Rest,
            extra: none(),
            description: "Index price of the swap's underlying (e.g. BTC-USDT) from REST market/index-tickers.",
        },
        Spec {
            name: "okx_get_rest_trades",
            source: Source::Rest,
            extra: limit(100, 500),
            description: "Recent trades of an OKX perpetual swap from REST market/trades (oldest first), sizes in contracts.",
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
                    "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "inst_id": {"type": "string"}, "rows": {"type": "array"}}}),
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
    let symbol = symbol_arg(&v)?;
    match spec.source {
        Source::Live(kind) => {
            let limit = match kind {
                "book" => uint_arg(&v, "depth", 20, 100)?,
                "trades" | "liquidations" => uint_arg(&v, "limit", 50, 1000)?,
                _ => 1,
            };
            let q = json!({"op": "live", "venue": VENUE, "symbol": symbol, "kind": kind, "limit": limit});
            Ok(ToolStep::Done(
                host.query(RStr::from_str(&q.to_string())).into_result()?,
            ))
        }
        Source::Derived => {
            let suffix = name.strip_prefix("okx_").unwrap_or(name);
            let out = orderflow_plugin_common::derived::call(suffix, VENUE, &symbol, &v, host)?;
            Ok(ToolStep::Done(out.to_string().into()))
        }
        Source::Rest => {
            let id = venue_symbol(host, VENUE, &symbol)?;
            let index = crate::codec::index_of(&id).to_owned();
            let path = match name {
                "okx_get_candles" => {
                    let bar = v["bar"].as_str().unwrap_or("1m");
                    if !["1m", "5m", "15m", "1H", "4H", "1D"].contains(&bar) {
                        return Err(SdkError::invalid_args(format!(
                            "`bar` {bar:?} is not supported"
                        )));
                    }
                    format!(
                        "/api/v5/market/candles?instId={id}&bar={bar}&limit={}",
                        uint_arg(&v, "limit", 100, 300)?
                    )
                }
                "okx_get_instrument" => "/api/v5/public/instruments?instType=SWAP".to_owned(),
                "okx_get_funding_rate_history" => {
                    format!(
                        "/api/v5/public/funding-rate-history?instId={id}&limit={}",
                        uint_arg(&v, "limit", 30, 100)?
                    )
                }
                "okx_get_depth_snapshot" => {
                    format!(
                        "/api/v5/market/books?instId={id}&sz={}",
                        uint_arg(&v, "depth", 20, 400)?
                    )
                }
                "okx_get_index_price" => format!("/api/v5/market/index-tickers?instId={index}"),
                _ => format!(
                    "/api/v5/market/trades?instId={id}&limit={}",
                    uint_arg(&v, "limit", 100, 500)?
                ),
            };
            Ok(ToolStep::Fetch {
                request: HttpRequest::get(VENUE, path),
                state: json!({"symbol": symbol, "inst_id": id}).to_string().into(),
            })
        }
    }
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (HTTP status, OKX `code` ≠ "0") and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    if resp.status != 200 || body["code"] != "0" {
        let msg = body["msg"]
            .as_str()
            .map_or_else(|| resp.body.to_string(), str::to_owned);
        let kind = if resp.status == 400 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!(
                "OKX answered HTTP {} code {}: {msg}",
                resp.status, body["code"]
            ),
        ));
    }
    let data = body["data"].as_array().cloned().unwrap_or_default();
    let id = st["inst_id"].as_str().unwrap_or("");
    let rows: Vec<Value> = match name {
        "okx_get_candles" => data
            .iter()
            .rev()
            .map(|k| json!({"open_time": wire_number(&k[0]), "open": wire_number(&k[1]), "high": wire_number(&k[2]), "low": wire_number(&k[3]),
                            "close": wire_number(&k[4]), "contracts": wire_number(&k[5]), "volume": wire_number(&k[6]), "closed": k[8] == "1"}))
            .collect(),
        "okx_get_instrument" => data
            .iter()
            .filter(|r| r["instId"] == id)
            .map(|r| json!({"inst_id": r["instId"], "contract_value": wire_number(&r["ctVal"]), "contract_currency": r["ctValCcy"],
                            "tick_size": wire_number(&r["tickSz"]), "lot_size": wire_number(&r["lotSz"]), "min_size": wire_number(&r["minSz"]), "state": r["state"]}))
            .collect(),
        "okx_get_funding_rate_history" => data
            .iter()
            .rev()
            .map(|r| json!({"funding_time": wire_number(&r["fundingTime"]), "funding_rate": wire_number(&r["fundingRate"]), "realized_rate": wire_number(&r["realizedRate"])}))
            .collect(),
        "okx_get_depth_snapshot" => data
            .iter()
            .map(|b| {
                let side = |k: &str| -> Vec<Value> {
                    b[k].as_array().map(|a| a.iter().map(|l| json!([wire_number(&l[0]), wire_number(&l[1])])).collect()).unwrap_or_default()
                };
                json!({"bids": side("bids"), "asks": side("asks"), "time": wire_number(&b["ts"])})
            })
            .collect(),
        "okx_get_index_price" => data
            .iter()
            .map(|r| json!({"index": r["instId"], "index_price": wire_number(&r["idxPx"]), "time": wire_number(&r["ts"])}))
            .collect(),
        "okx_get_rest_trades" => data
            .iter()
            .rev()
            .map(|t| json!({"trade_id": wire_number(&t["tradeId"]), "price": wire_number(&t["px"]), "contracts": wire_number(&t["sz"]), "side": t["side"], "time": wire_number(&t["ts"])}))
            .collect(),
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    if name == "okx_get_instrument" && rows.is_empty() {
        return Err(SdkError::new(
            ErrorKind::NotFound,
            format!("{id} is not listed"),
        ));
    }
    Ok(ToolStep::Done(
        json!({"venue": VENUE, "symbol": st["symbol"], "inst_id": id, "rows": rows})
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
