//! `gateio_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], REST through the host (request described here, answer
//! decoded on resume). REST answers keep Gate.io's contract sizes beside base sizes where the
//! answer carries the contract's `quanto_multiplier`.

use crate::common::{API, VENUE};
use orderflow_plugin_common::args::venue_symbol;
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
        spec("gateio_get_ticker", Live("ticker"), "Latest 24h ticker of a Gate.io USDT perpetual from the live futures.tickers channel: last, open (from the 24h change), high, low, base and quote volume."),
        spec("gateio_get_orderbook", Live("book"), "Top N levels per side of the live Gate.io book (base units: contracts × quanto_multiplier), synced from the with_id REST snapshot and U/u update ids.").args(depth_arg(100)),
        spec("gateio_get_recent_trades", Live("trades"), "Most recent trades of a Gate.io USDT perpetual from the live futures.trades channel: price, base size, taker side, time.").args(limit_arg(50, 1000)),
        spec("gateio_get_funding_rate", Live("funding"), "Current Gate.io funding rate of the perpetual (fraction per funding interval, 8 h by default), from the live ticker."),
        spec("gateio_get_open_interest", Live("open_interest"), "Latest open interest of a Gate.io perpetual in base units (total_size contracts × quanto_multiplier), from the live ticker."),
        spec("gateio_get_mark_price", Live("mark_price"), "Latest mark and index price of a Gate.io perpetual from the live ticker."),
        spec("gateio_get_liquidations", Live("liquidations"), "Recent liquidations on a Gate.io perpetual from the futures.public_liquidates channel (order side, price, base size).").args(limit_arg(50, 1000)),
        spec("gateio_get_book_ticker", Derived, "Best bid and ask of a Gate.io perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book."),
        spec("gateio_get_orderbook_imbalance", Derived, "Bid/ask volume and notional over the top N levels of the live Gate.io book, their imbalance in [-1, 1] and the largest level on each side.").args(depth_arg(100)),
        spec("gateio_get_trade_flow", Derived, "Aggressive flow over the most recent live Gate.io trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.").args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})),
        spec("gateio_get_large_trades", Derived, "Recent Gate.io trades whose notional (price × base size) is at least min_notional.").args(json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDT"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})),
        spec("gateio_get_liquidation_stats", Derived, "Counts and volumes of the recent Gate.io liquidations by side (longs vs shorts liquidated).").args(limit_arg(50, 1000)),
        spec("gateio_get_basis", Derived, "Perpetual premium on Gate.io from live data: mark, index, mark–index basis (bps), last vs mark (bps), funding rate and its annualized value."),
        spec("gateio_get_market_summary", Derived, "One-call live snapshot of a Gate.io perpetual: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason."),
        spec("gateio_get_contract", Rest, "Contract specification of a Gate.io USDT perpetual from REST /futures/usdt/contracts/{contract}: quanto_multiplier, price round, funding interval and next apply time, fees, leverage, position size."),
        spec("gateio_get_rest_ticker", Rest, "The perpetual's row of REST /futures/usdt/tickers: last, best bid/ask with sizes, mark, index, funding rate, open interest (contracts), 24h volumes and range."),
        spec("gateio_get_funding_history", Rest, "Funding rates of a Gate.io perpetual from REST /futures/usdt/funding_rate (oldest first).").args(limit_arg(30, 1000)),
        spec("gateio_get_candles", Rest, "OHLCV candles of a Gate.io perpetual from REST /futures/usdt/candlesticks (oldest first): volume in contracts, sum in USDT.").args(json!({"interval": {"type": "string", "enum": ["1m", "5m", "15m", "30m", "1h", "4h", "8h", "1d"], "default": "1h"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 2000, "default": 100, "description": "most recent candles"}})),
        spec("gateio_get_depth_snapshot", Rest, "Order-book snapshot of a Gate.io perpetual straight from REST /futures/usdt/order_book (with its id), independent of the live stream: sizes in contracts.").args(depth_arg(300)),
        spec("gateio_get_rest_trades", Rest, "Recent trades of a Gate.io perpetual from REST /futures/usdt/trades (oldest first): signed size in contracts (positive = taker bought).").args(limit_arg(100, 1000)),
        spec("gateio_get_liquidation_history", Rest, "Recent liquidation orders of a Gate.io perpetual from REST /futures/usdt/liq_orders (oldest first): signed size in contracts, order and fill price.").args(limit_arg(100, 1000)),
        spec("gateio_get_contract_stats", Rest, "Contract statistics of a Gate.io perpetual from REST /futures/usdt/contract_stats (oldest first): open interest and its USD value, taker long/short ratio, liquidation sizes.").args(json!({"interval": {"type": "string", "enum": ["5m", "15m", "30m", "1h", "4h", "1d"], "default": "5m"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 30, "description": "most recent points"}})),
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
    let c = venue_symbol(host, VENUE, &symbol)?;
    let path = match spec.suffix() {
        "get_contract" => format!("{API}/contracts/{c}"),
        "get_rest_ticker" => format!("{API}/tickers?contract={c}"),
        "get_funding_history" => format!(
            "{API}/funding_rate?contract={c}&limit={}",
            spec.uint(&v, "limit")?
        ),
        "get_candles" => format!(
            "{API}/candlesticks?contract={c}&interval={}&limit={}",
            spec.string(&v, "interval")?,
            spec.uint(&v, "limit")?
        ),
        "get_depth_snapshot" => format!(
            "{API}/order_book?contract={c}&limit={}&with_id=true",
            spec.uint(&v, "depth")?
        ),
        "get_rest_trades" => format!(
            "{API}/trades?contract={c}&limit={}",
            spec.uint(&v, "limit")?
        ),
        "get_liquidation_history" => format!(
            "{API}/liq_orders?contract={c}&limit={}",
            spec.uint(&v, "limit")?
        ),
        _ => format!(
            "{API}/contract_stats?contract={c}&interval={}&limit={}",
            spec.string(&v, "interval")?,
            spec.uint(&v, "limit")?
        ),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(VENUE, path),
        state: json!({"symbol": symbol, "contract": c}).to_string().into(),
    })
}

/// Rows newest first on the wire → oldest first.
fn oldest_first(v: &Value) -> Vec<Value> {
    let mut rows = v.as_array().cloned().unwrap_or_default();
    let newest_first = rows.first().zip(rows.last()).is_some_and(|(a, b)| {
        let t = |r: &Value| {
            r["t"]
                .as_u64()
                .or_else(|| r["time"].as_u64())
                .or_else(|| r["create_time_ms"].as_u64())
                .unwrap_or(0)
        };
        t(a) > t(b)
    });
    if newest_first {
        rows.reverse();
    }
    rows
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (HTTP status with Gate.io's `label`/`message`) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let body: Value = serde_json::from_str(&resp.body).map_err(|e| {
        SdkError::new(
            ErrorKind::Upstream,
            format!("Gate.io answered HTTP {} with non-JSON: {e}", resp.status),
        )
    })?;
    if resp.status != 200 {
        let kind = match resp.status {
            400 => ErrorKind::InvalidArgs,
            404 => ErrorKind::NotFound,
            _ => ErrorKind::Upstream,
        };
        return Err(SdkError::new(
            kind,
            format!(
                "Gate.io answered HTTP {}: {} {}",
                resp.status,
                body["label"].as_str().unwrap_or(""),
                body["message"].as_str().unwrap_or("")
            ),
        ));
    }
    let spec = TOOLS.get(name)?.clone();
    let c = st["contract"].as_str().unwrap_or("");
    let rows: Value = match spec.suffix() {
        "get_contract" => json!([{"contract": body["name"], "quanto_multiplier": body["quanto_multiplier"], "price_round": body["order_price_round"],
            "mark_price": body["mark_price"], "index_price": body["index_price"], "funding_rate": body["funding_rate"],
            "funding_interval_s": body["funding_interval"], "funding_next_apply": body["funding_next_apply"],
            "maker_fee": body["maker_fee_rate"], "taker_fee": body["taker_fee_rate"], "leverage_max": body["leverage_max"],
            "position_size": body["position_size"], "in_delisting": body["in_delisting"]}]),
        "get_rest_ticker" => {
            let rows: Vec<Value> = body.as_array().into_iter().flatten().filter(|t| t["contract"] == c).cloned().collect();
            if rows.is_empty() {
                return Err(SdkError::new(ErrorKind::NotFound, format!("{c} is not listed")));
            }
            json!(rows)
        }
        "get_funding_history" => json!(oldest_first(&body).into_iter().map(|r| json!({"time": r["t"], "funding_rate": r["r"]})).collect::<Vec<_>>()),
        "get_candles" => json!(oldest_first(&body).into_iter().map(|k| json!({"open_time": k["t"], "open": k["o"], "high": k["h"], "low": k["l"],
            "close": k["c"], "volume_contracts": k["v"], "quote_volume": k["sum"]})).collect::<Vec<_>>()),
        "get_depth_snapshot" => json!([{"id": body["id"], "bids": body["bids"], "asks": body["asks"]}]),
        "get_rest_trades" => json!(oldest_first(&body).into_iter().map(|t| json!({"trade_id": t["id"], "time_ms": t["create_time_ms"],
            "price": t["price"], "size_contracts": t["size"], "side": if t["size"].as_i64().unwrap_or(0) < 0 { "sell" } else { "buy" }})).collect::<Vec<_>>()),
        "get_liquidation_history" => json!(oldest_first(&body).into_iter().map(|l| json!({"time": l["time"], "size_contracts": l["size"],
            "order_price": l["order_price"], "fill_price": l["fill_price"]})).collect::<Vec<_>>()),
        "get_contract_stats" => json!(oldest_first(&body)),
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    Ok(ToolStep::Done(
        json!({"venue": VENUE, "symbol": st["symbol"], "contract": c, "rows": rows})
            .to_string()
            .into(),
    ))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::GateioPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
