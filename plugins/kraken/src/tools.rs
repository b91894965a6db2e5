//! `kraken_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], REST through the host (request described here, answer
//! decoded on resume).

use crate::common::{API, VENUE};
use orderflow_plugin_common::args::{last_n, venue_symbol, wire_number};
use orderflow_plugin_common::tools::{Source, Started, ToolSet, ToolSpec, depth_arg, limit_arg};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

/// The tools, built once: each spec carries its JSON Schema, too costly to rebuild per call.
static TOOLS: std::sync::LazyLock<ToolSet> = std::sync::LazyLock::new(tool_set);

fn tool_set() -> ToolSet {
    use Source::{Derived, Live, Rest};
    let spec = |name, source, description| ToolSpec::new(name, VENUE, source, description);
    ToolSet::new(vec![
        spec("kraken_get_ticker", Live("ticker"), "Latest 24h ticker of a Kraken Futures perpetual from the live ticker feed: last, open, high, low, volume (base) and quote volume."),
        spec("kraken_get_orderbook", Live("book"), "Top N levels per side of the live Kraken Futures book, kept in sequence by the feed's consecutive seq numbers (a gap resubscribes for a fresh snapshot).").args(depth_arg(100)),
        spec("kraken_get_recent_trades", Live("trades"), "Most recent trades of a Kraken Futures perpetual from the live trade feed: price, base size, taker side, time.").args(limit_arg(50, 1000)),
        spec("kraken_get_funding_rate", Live("funding"), "Current relative funding rate of a Kraken Futures perpetual (fraction of position value per hourly funding period) and the next funding time, from the live ticker."),
        spec("kraken_get_open_interest", Live("open_interest"), "Latest open interest of a Kraken Futures perpetual in base units (one contract = one base unit on PF_ perpetuals), from the live ticker."),
        spec("kraken_get_mark_price", Live("mark_price"), "Latest mark and index price of a Kraken Futures perpetual from the live ticker."),
        spec("kraken_get_liquidations", Live("liquidations"), "Recent liquidations of a Kraken Futures perpetual: the public trade feed's trades of type liquidation (side of the liquidation order, price, base size).").args(limit_arg(50, 1000)),
        spec("kraken_get_book_ticker", Derived, "Best bid and ask of a Kraken Futures perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book."),
        spec("kraken_get_orderbook_imbalance", Derived, "Bid/ask volume and notional over the top N levels of the live Kraken Futures book, their imbalance in [-1, 1] and the largest level on each side.").args(depth_arg(100)),
        spec("kraken_get_trade_flow", Derived, "Aggressive flow over the most recent live Kraken Futures trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.").args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})),
        spec("kraken_get_large_trades", Derived, "Recent Kraken Futures trades whose notional (price × size) is at least min_notional.").args(json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USD"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})),
        spec("kraken_get_liquidation_stats", Derived, "Counts and volumes of the recent Kraken Futures liquidations by side (longs vs shorts liquidated).").args(limit_arg(50, 1000)),
        spec("kraken_get_basis", Derived, "Perpetual premium on Kraken Futures from live data: mark, index, mark–index basis (bps), last vs mark (bps), funding rate and its annualized value."),
        spec("kraken_get_market_summary", Derived, "One-call live snapshot of a Kraken Futures perpetual: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason."),
        spec("kraken_get_rest_ticker", Rest, "The perpetual's row of REST /derivatives/api/v3/tickers: last, bid/ask with sizes, mark, index, 24h volume and range, open interest, funding rate and prediction."),
        spec("kraken_get_instrument", Rest, "Contract specification of a Kraken Futures perpetual from REST /derivatives/api/v3/instruments: type, tick size, contract size, tradeable."),
        spec("kraken_get_funding_history", Rest, "Hourly funding rates of a Kraken Futures perpetual from REST /derivatives/api/v4/historicalfundingrates (oldest first): absolute and relative rate.").args(limit_arg(48, 500)),
        spec("kraken_get_candles", Rest, "OHLCV trade candles of a Kraken Futures perpetual from REST /api/charts/v1/trade (oldest first).").args(json!({"resolution": {"type": "string", "enum": ["1m", "5m", "15m", "30m", "1h", "4h", "12h", "1d"], "default": "1h"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 2000, "default": 100, "description": "most recent candles"}})),
        spec("kraken_get_depth_snapshot", Rest, "Order-book snapshot of a Kraken Futures perpetual straight from REST /derivatives/api/v3/orderbook, independent of the live stream: use to cross-check.").args(depth_arg(100)),
        spec("kraken_get_rest_trades", Rest, "Recent trades of a Kraken Futures perpetual from REST /derivatives/api/v3/history (oldest first).").args(limit_arg(100, 100)),
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
    let product = venue_symbol(host, VENUE, &symbol)?;
    let (path, keep) = match spec.suffix() {
        "get_rest_ticker" => (format!("{API}/tickers"), 1),
        "get_instrument" => (format!("{API}/instruments"), 1),
        "get_funding_history" => (
            format!("/derivatives/api/v4/historicalfundingrates?symbol={product}"),
            spec.uint(&v, "limit")?,
        ),
        "get_candles" => (
            format!(
                "/api/charts/v1/trade/{product}/{}",
                spec.string(&v, "resolution")?
            ),
            spec.uint(&v, "limit")?,
        ),
        "get_depth_snapshot" => (
            format!("{API}/orderbook?symbol={product}"),
            spec.uint(&v, "depth")?,
        ),
        _ => (
            format!("{API}/history?symbol={product}"),
            spec.uint(&v, "limit")?,
        ),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(VENUE, path),
        state: json!({"symbol": symbol, "product": product, "keep": keep})
            .to_string()
            .into(),
    })
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (HTTP status, `result` = `error`) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    if resp.status != 200 || body["result"] == "error" {
        let kind = if resp.status == 400 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!(
                "Kraken answered HTTP {}: {}",
                resp.status,
                body["error"].as_str().unwrap_or(&resp.body)
            ),
        ));
    }
    let spec = TOOLS.get(name)?.clone();
    let product = st["product"].as_str().unwrap_or("");
    let keep = usize::try_from(st["keep"].as_u64().unwrap_or(100)).unwrap_or(100);
    let n = |v: &Value| wire_number(v);
    let rows: Vec<Value> = match spec.suffix() {
        "get_rest_ticker" => body["tickers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["symbol"] == product)
            .map(|t| json!({"last": t["last"], "bid": t["bid"], "bid_size": t["bidSize"], "ask": t["ask"], "ask_size": t["askSize"],
                            "mark_price": t["markPrice"], "index_price": t["indexPrice"], "volume_24h": t["vol24h"],
                            "quote_volume_24h": t["volumeQuote"], "open_24h": t["open24h"], "high_24h": t["high24h"], "low_24h": t["low24h"],
                            "open_interest": t["openInterest"], "funding_rate": t["fundingRate"],
                            "funding_rate_prediction": t["fundingRatePrediction"], "suspended": t["suspended"]}))
            .collect(),
        "get_instrument" => body["instruments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["symbol"] == product)
            .map(|i| json!({"product": i["symbol"], "type": i["type"], "tick_size": i["tickSize"],
                            "contract_size": i["contractSize"], "tradeable": i["tradeable"]}))
            .collect(),
        "get_funding_history" => last_n(
            body["rates"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| json!({"time": r["timestamp"], "funding_rate": r["fundingRate"], "relative_funding_rate": r["relativeFundingRate"]}))
                .collect(),
            keep,
        ),
        "get_candles" => last_n(
            body["candles"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| json!({"open_time": c["time"], "open": n(&c["open"]), "high": n(&c["high"]), "low": n(&c["low"]),
                                "close": n(&c["close"]), "volume": n(&c["volume"])}))
                .collect(),
            keep,
        ),
        "get_depth_snapshot" => {
            let side = |k: &str| -> Vec<Value> {
                body["orderBook"][k].as_array().into_iter().flatten().take(keep).cloned().collect()
            };
            vec![json!({"bids": side("bids"), "asks": side("asks")})]
        }
        "get_rest_trades" => {
            let mut rows: Vec<Value> = body["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| json!({"trade_id": t["trade_id"], "time": t["time"], "price": t["price"], "size": t["size"],
                                "side": t["side"], "type": t["type"]}))
                .collect();
            // Newest first on the wire.
            rows.reverse();
            last_n(rows, keep)
        }
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    if matches!(spec.suffix(), "get_rest_ticker" | "get_instrument") && rows.is_empty() {
        return Err(SdkError::new(
            ErrorKind::NotFound,
            format!("{product} is not listed"),
        ));
    }
    Ok(ToolStep::Done(
        json!({"venue": VENUE, "symbol": st["symbol"], "product": product, "rows": rows})
            .to_string()
            .into(),
    ))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::KrakenPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
