//! `okx_*` tools. Live-state tools read the host's view; derived tools compute from it through
//! [`orderflow_plugin_common::derived`]; REST tools describe a request that the host performs
//! against OKX and decode the answer when resumed.

use crate::common::VENUE;
use orderflow_plugin_common::args::{venue_symbol, wire_number};
use orderflow_plugin_common::tools::{Source, Started, ToolSet, ToolSpec, depth_arg, limit_arg};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

/// The tools, built once: each spec carries its JSON Schema, too costly to rebuild per call.
static TOOLS: std::sync::LazyLock<ToolSet> = std::sync::LazyLock::new(tool_set);

/// The `okx_*` tools.
fn tool_set() -> ToolSet {
    ToolSet::new(vec![
        ToolSpec::new(
            "okx_get_ticker",
            VENUE,
            Source::Live("ticker"),
            "Latest 24h ticker of an OKX USDT perpetual swap from the live tickers channel: last, open, high, low and base volume (quote volume is base × last, an estimate: OKX sends none for swaps).",
        ),
        ToolSpec::new(
            "okx_get_orderbook",
            VENUE,
            Source::Live("book"),
            "Top N levels per side of the live OKX book (sizes in base currency), kept in sync by seqId continuity and verified against OKX's CRC32 checksum on every update.",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "okx_get_recent_trades",
            VENUE,
            Source::Live("trades"),
            "Most recent trades of an OKX perpetual swap from the live trades channel: price, base size, taker side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "okx_get_funding_rate",
            VENUE,
            Source::Live("funding"),
            "Current funding rate of an OKX perpetual swap and its settlement time, from the live funding-rate channel.",
        ),
        ToolSpec::new(
            "okx_get_open_interest",
            VENUE,
            Source::Live("open_interest"),
            "Latest open interest of an OKX perpetual swap in base currency, from the live open-interest channel.",
        ),
        ToolSpec::new(
            "okx_get_mark_price",
            VENUE,
            Source::Live("mark_price"),
            "Latest mark price of an OKX perpetual swap (mark-price channel) with the index price (index-tickers channel) and the basis in bps.",
        ),
        ToolSpec::new(
            "okx_get_liquidations",
            VENUE,
            Source::Live("liquidations"),
            "Recent liquidation orders of an OKX perpetual swap from the live liquidation-orders channel: order side (sell = long liquidated), bankruptcy price, base size.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "okx_get_book_ticker",
            VENUE,
            Source::Derived,
            "Best bid and ask of an OKX perpetual swap with sizes, mid, spread (absolute and bps) and microprice, from the live checksum-verified book.",
        ),
        ToolSpec::new(
            "okx_get_orderbook_imbalance",
            VENUE,
            Source::Derived,
            "Bid/ask volume and notional over the top N levels of the live OKX book, their imbalance in [-1, 1] and the largest level on each side.",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "okx_get_trade_flow",
            VENUE,
            Source::Derived,
            "Aggressive flow over the most recent live OKX trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        )
        .args(limit_arg(200, 1000)),
        ToolSpec::new(
            "okx_get_basis",
            VENUE,
            Source::Derived,
            "Perpetual premium on OKX from live data: mark, index, mark–index basis (bps), last vs mark (bps), funding rate and its annualized value.",
        ),
        ToolSpec::new(
            "okx_get_market_summary",
            VENUE,
            Source::Derived,
            "One-call live snapshot of an OKX perpetual swap: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason.",
        ),
        ToolSpec::new(
            "okx_get_candles",
            VENUE,
            Source::Rest,
            "OHLCV candles of an OKX perpetual swap from REST market/candles (oldest first): open time, OHLC, volume in contracts and base currency, whether the candle is closed.",
        )
        .args(json!({"bar": {"type": "string", "enum": ["1m", "5m", "15m", "1H", "4H", "1D"], "default": "1m"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 300, "default": 100}})),
        ToolSpec::new(
            "okx_get_instrument",
            VENUE,
            Source::Rest,
            "Contract specification of an OKX perpetual swap from REST public/instruments: contract value and currency, tick size, lot size, minimum size, state.",
        ),
        ToolSpec::new(
            "okx_get_funding_rate_history",
            VENUE,
            Source::Rest,
            "Settled funding rates of an OKX perpetual swap from REST public/funding-rate-history (oldest first).",
        )
        .args(limit_arg(30, 100)),
        ToolSpec::new(
            "okx_get_depth_snapshot",
            VENUE,
            Source::Rest,
            "Order-book snapshot of an OKX perpetual swap straight from REST market/books (sizes in contracts), independent of the live stream: use to cross-check.",
        )
        .args(json!({"depth": {"type": "integer", "minimum": 1, "maximum": 400, "default": 20, "description": "levels per side"}})),
        ToolSpec::new(
            "okx_get_index_price",
            VENUE,
            Source::Rest,
            "Index price of the swap's underlying (e.g. BTC-USDT) from REST market/index-tickers.",
        ),
        ToolSpec::new(
            "okx_get_rest_trades",
            VENUE,
            Source::Rest,
            "Recent trades of an OKX perpetual swap from REST market/trades (oldest first), sizes in contracts.",
        )
        .args(limit_arg(100, 500)),
    ])
}

/// Tool descriptors.
pub fn descriptors() -> Vec<ToolDescriptor> {
    TOOLS.descriptors()
}

/// Starts a tool call.
///
/// # Errors
/// Unknown tool, invalid arguments, or the host's error.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    let set = &*TOOLS;
    let (spec, v, symbol) = match set.start(name, args, host)? {
        Started::Done(step) => return Ok(step),
        Started::Rest { spec, args, symbol } => (spec, args, symbol),
    };
    let id = venue_symbol(host, VENUE, &symbol)?;
    let index = crate::codec::index_of(&id).to_owned();
    let path = match spec.suffix() {
        "get_candles" => format!(
            "/api/v5/market/candles?instId={id}&bar={}&limit={}",
            spec.string(&v, "bar")?,
            spec.uint(&v, "limit")?
        ),
        "get_instrument" => "/api/v5/public/instruments?instType=SWAP".to_owned(),
        "get_funding_rate_history" => format!(
            "/api/v5/public/funding-rate-history?instId={id}&limit={}",
            spec.uint(&v, "limit")?
        ),
        "get_depth_snapshot" => format!(
            "/api/v5/market/books?instId={id}&sz={}",
            spec.uint(&v, "depth")?
        ),
        "get_index_price" => format!("/api/v5/market/index-tickers?instId={index}"),
        _ => format!(
            "/api/v5/market/trades?instId={id}&limit={}",
            spec.uint(&v, "limit")?
        ),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(VENUE, path),
        state: json!({"symbol": symbol, "inst_id": id}).to_string().into(),
    })
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

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::OkxPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
