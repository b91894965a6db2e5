//! `bybit_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], REST through the host (request described here, answer
//! decoded on resume).

use crate::common::Category;
use crate::common::{VENUE, VENUE_SPOT};
use orderflow_plugin_common::args::{venue_symbol, wire_number};
use orderflow_plugin_common::tools::{Source, Started, ToolSet, ToolSpec, depth_arg, limit_arg};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

/// The tools, built once: each spec carries its JSON Schema, too costly to rebuild per call.
static TOOLS: std::sync::LazyLock<ToolSet> = std::sync::LazyLock::new(tool_set);

/// The `bybit_*` and `bybit_spot_*` tools.
fn tool_set() -> ToolSet {
    ToolSet::new(vec![
        ToolSpec::new(
            "bybit_spot_get_ticker",
            VENUE_SPOT,
            Source::Live("ticker"),
            "Latest 24h ticker of a Bybit spot pair from the live tickers topic: last, 24h open, high, low, volume, turnover.",
        ),
        ToolSpec::new(
            "bybit_spot_get_orderbook",
            VENUE_SPOT,
            Source::Live("book"),
            "Top N levels per side of the live Bybit spot book (orderbook.50), kept in sync by consecutive update ids; a gap resubscribes.",
        )
        .args(depth_arg(50)),
        ToolSpec::new(
            "bybit_spot_get_recent_trades",
            VENUE_SPOT,
            Source::Live("trades"),
            "Most recent trades of a Bybit spot pair from the live publicTrade topic: price, size, taker side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "bybit_spot_get_book_ticker",
            VENUE_SPOT,
            Source::Derived,
            "Best bid and ask of a Bybit spot pair with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        ),
        ToolSpec::new(
            "bybit_spot_get_orderbook_imbalance",
            VENUE_SPOT,
            Source::Derived,
            "Bid/ask volume and notional over the top N levels of the live Bybit spot book, their imbalance in [-1, 1] and the largest level per side.",
        )
        .args(depth_arg(50)),
        ToolSpec::new(
            "bybit_spot_get_trade_flow",
            VENUE_SPOT,
            Source::Derived,
            "Aggressive flow over the most recent live Bybit spot trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        )
        .args(limit_arg(200, 1000)),
        ToolSpec::new(
            "bybit_spot_get_klines",
            VENUE_SPOT,
            Source::Rest,
            "OHLCV candles of a Bybit spot pair from REST /v5/market/kline (oldest first): start, OHLC, volume, turnover.",
        )
        .args(json!({"interval": {"type": "string", "enum": ["1", "5", "15", "60", "240", "D"], "default": "60", "description": "minutes, or D"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}})),
        ToolSpec::new(
            "bybit_spot_get_depth_snapshot",
            VENUE_SPOT,
            Source::Rest,
            "Order-book snapshot of a Bybit spot pair straight from REST /v5/market/orderbook (independent of the live stream), with its update id.",
        )
        .args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 25, "description": "levels per side"}})),
        ToolSpec::new(
            "bybit_spot_get_rest_trades",
            VENUE_SPOT,
            Source::Rest,
            "Recent trades of a Bybit spot pair from REST /v5/market/recent-trade (oldest first).",
        )
        .args(limit_arg(60, 60)),
        ToolSpec::new(
            "bybit_spot_get_instrument_info",
            VENUE_SPOT,
            Source::Rest,
            "Trading rules of a Bybit spot pair from REST /v5/market/instruments-info: status, tick size, quantity step, minimum size.",
        ),
        ToolSpec::new(
            "bybit_get_ticker",
            VENUE,
            Source::Live("ticker"),
            "Latest 24h ticker of a Bybit USDT perpetual from the live tickers topic (snapshot merged with its deltas): last, 24h open, high, low, volume, turnover.",
        ),
        ToolSpec::new(
            "bybit_get_orderbook",
            VENUE,
            Source::Live("book"),
            "Top N levels per side of the live Bybit book (orderbook.50 topic), kept in sync by consecutive update ids; a gap resubscribes for a fresh snapshot.",
        )
        .args(depth_arg(50)),
        ToolSpec::new(
            "bybit_get_recent_trades",
            VENUE,
            Source::Live("trades"),
            "Most recent trades of a Bybit USDT perpetual from the live publicTrade topic: price, size, taker side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "bybit_get_funding_rate",
            VENUE,
            Source::Live("funding"),
            "Current funding rate of a Bybit USDT perpetual and the next funding time, from the live tickers topic.",
        ),
        ToolSpec::new(
            "bybit_get_open_interest",
            VENUE,
            Source::Live("open_interest"),
            "Latest open interest (base units) of a Bybit USDT perpetual from the live tickers topic.",
        ),
        ToolSpec::new(
            "bybit_get_mark_price",
            VENUE,
            Source::Live("mark_price"),
            "Latest mark and index price of a Bybit USDT perpetual from the live tickers topic, with the basis in bps.",
        ),
        ToolSpec::new(
            "bybit_get_liquidations",
            VENUE,
            Source::Live("liquidations"),
            "Recent liquidations of a Bybit USDT perpetual from the live allLiquidation topic: order side (sell = long liquidated), price, size.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "bybit_get_book_ticker",
            VENUE,
            Source::Derived,
            "Best bid and ask of a Bybit USDT perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        ),
        ToolSpec::new(
            "bybit_get_orderbook_imbalance",
            VENUE,
            Source::Derived,
            "Bid/ask volume and notional over the top N levels of the live Bybit book, their imbalance in [-1, 1] and the largest level per side.",
        )
        .args(depth_arg(50)),
        ToolSpec::new(
            "bybit_get_trade_flow",
            VENUE,
            Source::Derived,
            "Aggressive flow over the most recent live Bybit trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        )
        .args(limit_arg(200, 1000)),
        ToolSpec::new(
            "bybit_get_large_trades",
            VENUE,
            Source::Derived,
            "Recent live Bybit trades with notional at least `min_notional` USDT, newest first, with their share of the scanned notional.",
        )
        .args(json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDT"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})),
        ToolSpec::new(
            "bybit_get_liquidation_stats",
            VENUE,
            Source::Derived,
            "Summary of recent live Bybit liquidations: count, size and notional of long and short liquidations, net notional, time span.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "bybit_get_basis",
            VENUE,
            Source::Derived,
            "Perpetual premium on Bybit from live data: mark, index, basis (bps), last vs mark (bps), funding rate and its annualized value.",
        ),
        ToolSpec::new(
            "bybit_get_market_summary",
            VENUE,
            Source::Derived,
            "One-call live snapshot of a Bybit USDT perpetual: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason.",
        ),
        ToolSpec::new(
            "bybit_get_klines",
            VENUE,
            Source::Rest,
            "OHLCV candles of a Bybit USDT perpetual from REST /v5/market/kline (oldest first): start, OHLC, volume, turnover.",
        )
        .args(json!({"interval": {"type": "string", "enum": ["1", "5", "15", "60", "240", "D"], "default": "60", "description": "minutes, or D"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}})),
        ToolSpec::new(
            "bybit_get_instrument_info",
            VENUE,
            Source::Rest,
            "Contract specification of a Bybit USDT perpetual from REST /v5/market/instruments-info: status, tick size, quantity step, minimum size, funding interval.",
        ),
        ToolSpec::new(
            "bybit_get_depth_snapshot",
            VENUE,
            Source::Rest,
            "Order-book snapshot of a Bybit USDT perpetual straight from REST /v5/market/orderbook (independent of the live stream), with its update id.",
        )
        .args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 25, "description": "levels per side"}})),
        ToolSpec::new(
            "bybit_get_rest_trades",
            VENUE,
            Source::Rest,
            "Recent trades of a Bybit USDT perpetual from REST /v5/market/recent-trade (oldest first).",
        )
        .args(limit_arg(60, 1000)),
        ToolSpec::new(
            "bybit_get_funding_history",
            VENUE,
            Source::Rest,
            "Settled funding rates of a Bybit USDT perpetual from REST /v5/market/funding/history (oldest first).",
        )
        .args(limit_arg(50, 200)),
        ToolSpec::new(
            "bybit_get_open_interest_history",
            VENUE,
            Source::Rest,
            "Open interest of a Bybit USDT perpetual from REST /v5/market/open-interest (base units, with timestamps).",
        ),
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
    let venue = spec.venue;
    let cat = Category::of_venue(venue).map_or("linear", Category::name);
    let s = venue_symbol(host, venue, &symbol)?;
    let path = match spec.suffix() {
        "get_klines" => format!(
            "/v5/market/kline?category={cat}&symbol={s}&interval={}&limit={}",
            spec.string(&v, "interval")?,
            spec.uint(&v, "limit")?
        ),
        "get_instrument_info" => format!("/v5/market/instruments-info?category={cat}&symbol={s}"),
        "get_depth_snapshot" => format!(
            "/v5/market/orderbook?category={cat}&symbol={s}&limit={}",
            spec.uint(&v, "limit")?
        ),
        "get_rest_trades" => format!(
            "/v5/market/recent-trade?category={cat}&symbol={s}&limit={}",
            spec.uint(&v, "limit")?
        ),
        "get_funding_history" => format!(
            "/v5/market/funding/history?category={cat}&symbol={s}&limit={}",
            spec.uint(&v, "limit")?
        ),
        _ => format!("/v5/market/open-interest?category={cat}&symbol={s}&intervalTime=5min"),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(venue, path),
        state: json!({"symbol": symbol}).to_string().into(),
    })
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
    let spec = TOOLS.get(name)?.clone();
    let suffix = spec.suffix();
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
        json!({"venue": spec.venue, "symbol": st["symbol"], "rows": rows})
            .to_string()
            .into(),
    ))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::BybitPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
