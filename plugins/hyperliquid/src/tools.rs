//! `hyperliquid_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], and the `info` REST endpoint (a POST the host performs,
//! decoded on resume). No liquidation or 24 h ticker tools: Hyperliquid publishes neither.

use crate::common::{INFO, VENUE};
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
        spec("hyperliquid_get_orderbook", Live("book"), "Top N levels per side of the live Hyperliquid book (each l2Book message is a full 20-level image).").args(depth_arg(20)),
        spec("hyperliquid_get_recent_trades", Live("trades"), "Most recent trades of a Hyperliquid perpetual from the live trades channel: price, base size, taker side, time.").args(limit_arg(50, 1000)),
        spec("hyperliquid_get_funding_rate", Live("funding"), "Current hourly funding rate of a Hyperliquid perpetual and the next settlement (on the hour), from the live activeAssetCtx channel."),
        spec("hyperliquid_get_open_interest", Live("open_interest"), "Latest open interest of a Hyperliquid perpetual in base units, from the live activeAssetCtx channel."),
        spec("hyperliquid_get_mark_price", Live("mark_price"), "Latest mark price and oracle (index) price of a Hyperliquid perpetual from the live activeAssetCtx channel."),
        spec("hyperliquid_get_book_ticker", Derived, "Best bid and ask of a Hyperliquid perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book."),
        spec("hyperliquid_get_orderbook_imbalance", Derived, "Bid/ask volume and notional over the top N levels of the live Hyperliquid book, their imbalance in [-1, 1] and the largest level on each side.").args(depth_arg(20)),
        spec("hyperliquid_get_trade_flow", Derived, "Aggressive flow over the most recent live Hyperliquid trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.").args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})),
        spec("hyperliquid_get_large_trades", Derived, "Recent Hyperliquid trades whose notional (price × size) is at least min_notional.").args(json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDC"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})),
        spec("hyperliquid_get_basis", Derived, "Perpetual premium on Hyperliquid from live data: mark, oracle, mark–oracle basis (bps), funding rate and its annualized value."),
        spec("hyperliquid_get_market_summary", Derived, "One-call live snapshot of a Hyperliquid perpetual: top of book, mark/oracle, funding, open interest; missing parts (no 24h ticker, no liquidations on Hyperliquid) are listed with the reason."),
        spec("hyperliquid_get_asset_context", Rest, "The perpetual's context from info metaAndAssetCtxs: mark, oracle and mid price, hourly funding, premium, open interest, day notional and base volume, previous day price, size decimals, max leverage."),
        spec("hyperliquid_get_depth_snapshot", Rest, "Order-book image of a Hyperliquid perpetual straight from info l2Book, independent of the live stream: use to cross-check.").args(depth_arg(20)),
        spec("hyperliquid_get_rest_trades", Rest, "Recent trades of a Hyperliquid perpetual from info recentTrades (oldest first).").args(limit_arg(50, 100)),
        spec("hyperliquid_get_funding_history", Rest, "Settled hourly funding rates and premiums of a Hyperliquid perpetual from info fundingHistory over the last N hours (oldest first).").args(json!({"hours": {"type": "integer", "minimum": 1, "maximum": 500, "default": 24, "description": "how far back"}})),
        spec("hyperliquid_get_candles", Rest, "OHLCV candles of a Hyperliquid perpetual from info candleSnapshot (oldest first).").args(json!({"interval": {"type": "string", "enum": ["1m", "5m", "15m", "1h", "4h", "1d"], "default": "1h"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100, "description": "most recent candles"}})),
    ])
}

/// Tool descriptors.
pub fn descriptors() -> Vec<ToolDescriptor> {
    TOOLS.descriptors()
}

/// Starts a tool call. REST times are relative to the host's answer: `candleSnapshot` and
/// `fundingHistory` take a start time, so the tools ask for everything since `0` and keep the
/// most recent rows on resume (the sans-IO plugin reads no clock).
///
/// # Errors
/// Unknown tool, invalid arguments, or the host's error.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    let set = &*TOOLS;
    let (spec, v, symbol) = match set.start(name, args, host)? {
        Started::Done(step) => return Ok(step),
        Started::Rest { spec, args, symbol } => (spec, args, symbol),
    };
    let coin = venue_symbol(host, VENUE, &symbol)?;
    let (body, keep) = match spec.suffix() {
        "get_asset_context" => (json!({"type": "metaAndAssetCtxs"}), 1),
        "get_depth_snapshot" => (
            json!({"type": "l2Book", "coin": coin}),
            spec.uint(&v, "depth")?,
        ),
        "get_rest_trades" => (
            json!({"type": "recentTrades", "coin": coin}),
            spec.uint(&v, "limit")?,
        ),
        "get_funding_history" => (
            json!({"type": "fundingHistory", "coin": coin, "startTime": 0}),
            spec.uint(&v, "hours")?,
        ),
        _ => (
            json!({"type": "candleSnapshot", "req": {"coin": coin, "interval": spec.string(&v, "interval")?, "startTime": 0}}),
            spec.uint(&v, "limit")?,
        ),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::post(VENUE, INFO, body.to_string()),
        state: json!({"symbol": symbol, "coin": coin, "keep": keep})
            .to_string()
            .into(),
    })
}

/// Finishes an `info` tool call.
///
/// # Errors
/// Upstream errors (HTTP status) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    if resp.status != 200 {
        let kind = if resp.status == 422 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!("Hyperliquid answered HTTP {}: {}", resp.status, resp.body),
        ));
    }
    let body: Value = serde_json::from_str(&resp.body)
        .map_err(|e| SdkError::decode(format!("Hyperliquid answer: {e}")))?;
    let spec = TOOLS.get(name)?.clone();
    let coin = st["coin"].as_str().unwrap_or("");
    let keep = usize::try_from(st["keep"].as_u64().unwrap_or(100)).unwrap_or(100);
    let n = |v: &Value| wire_number(v);
    let rows: Vec<Value> = match spec.suffix() {
        "get_asset_context" => {
            let universe = body[0]["universe"].as_array().cloned().unwrap_or_default();
            let at = universe.iter().position(|u| u["name"] == coin);
            at.map(|i| {
                let (u, c) = (&universe[i], &body[1][i]);
                json!({"coin": coin, "mark_price": n(&c["markPx"]), "oracle_price": n(&c["oraclePx"]), "mid_price": n(&c["midPx"]),
                       "funding_rate": n(&c["funding"]), "premium": n(&c["premium"]), "open_interest": n(&c["openInterest"]),
                       "day_notional_volume": n(&c["dayNtlVlm"]), "day_base_volume": n(&c["dayBaseVlm"]),
                       "prev_day_price": n(&c["prevDayPx"]), "size_decimals": u["szDecimals"], "max_leverage": u["maxLeverage"]})
            })
            .into_iter()
            .collect()
        }
        "get_depth_snapshot" => {
            if body.is_null() {
                Vec::new()
            } else {
                let side = |k: usize| -> Vec<Value> {
                    body["levels"][k].as_array().into_iter().flatten().take(keep)
                        .map(|l| json!([n(&l["px"]), n(&l["sz"]), l["n"]])).collect()
                };
                vec![json!({"time": body["time"], "bids": side(0), "asks": side(1)})]
            }
        }
        "get_rest_trades" => {
            let mut rows: Vec<Value> = body.as_array().into_iter().flatten()
                .map(|t| json!({"trade_id": t["tid"], "time": t["time"], "price": n(&t["px"]), "size": n(&t["sz"]),
                                "side": if t["side"] == "B" { "buy" } else { "sell" }}))
                .collect();
            rows.sort_by_key(|r| r["trade_id"].as_u64());
            last_n(rows, keep)
        }
        "get_funding_history" => last_n(
            body.as_array().into_iter().flatten()
                .map(|r| json!({"time": r["time"], "funding_rate": n(&r["fundingRate"]), "premium": n(&r["premium"])}))
                .collect(),
            keep,
        ),
        "get_candles" => last_n(
            body.as_array().into_iter().flatten()
                .map(|c| json!({"open_time": c["t"], "close_time": c["T"], "open": n(&c["o"]), "high": n(&c["h"]),
                                "low": n(&c["l"]), "close": n(&c["c"]), "volume": n(&c["v"]), "trades": c["n"]}))
                .collect(),
            keep,
        ),
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    if matches!(spec.suffix(), "get_asset_context" | "get_depth_snapshot") && rows.is_empty() {
        return Err(SdkError::new(
            ErrorKind::NotFound,
            format!("{coin} is not listed"),
        ));
    }
    Ok(ToolStep::Done(
        json!({"venue": VENUE, "symbol": st["symbol"], "coin": coin, "rows": rows})
            .to_string()
            .into(),
    ))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::HyperliquidPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
