//! Binance tools. Live-state tools read the host's [`HostView`]; REST tools describe a request
//! that the host performs and decode the answer when resumed.
//!
//! [`HostView`]: orderflow_tool_sdk::HostView

use crate::common::{Market, VENUE_FUTURES, VENUE_SPOT};
use orderflow_plugin_common::args::wire_number;
use orderflow_plugin_common::tools::{Source, Started, ToolSet, ToolSpec, depth_arg, limit_arg};
use orderflow_tool_sdk::{
    ErrorKind, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor, ToolStep,
};
use serde_json::{Value, json};

fn kline_args() -> Value {
    json!({"interval": {"type": "string", "enum": ["1m","3m","5m","15m","30m","1h","2h","4h","1d"], "default": "1h"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 1500, "default": 100}})
}
fn period_args() -> Value {
    json!({"period": {"type": "string", "enum": PERIODS, "default": "5m", "description": "statistics period"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 30, "description": "most recent periods"}})
}
fn rest_depth_args() -> Value {
    json!({"limit": {"type": "integer", "enum": [5, 10, 20, 50, 100, 500, 1000], "default": 20, "description": "levels per side"}})
}
fn large_args() -> Value {
    json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USDT"},
           "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})
}
fn flow_args() -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})
}

/// The tools, built once: each spec carries its JSON Schema, too costly to rebuild per call.
static TOOLS: std::sync::LazyLock<ToolSet> = std::sync::LazyLock::new(tool_set);

/// Every Binance tool, futures (`binance_*`) and spot (`binance_spot_*`).
fn tool_set() -> ToolSet {
    ToolSet::new(vec![
        ToolSpec::new(
            "binance_spot_get_ticker",
            VENUE_SPOT,
            Source::Live("ticker"),
            "Latest 24h rolling ticker of a Binance spot pair from the live stream: last, open, high, low, base and quote volume, trade count.",
        ),
        ToolSpec::new(
            "binance_spot_get_orderbook",
            VENUE_SPOT,
            Source::Live("book"),
            "Top N levels per side of the live Binance spot order book, kept in sync by the spot rule (REST snapshot, then U = previous u + 1; a gap resyncs).",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "binance_spot_get_recent_trades",
            VENUE_SPOT,
            Source::Live("trades"),
            "Most recent trades of a Binance spot pair from the live aggTrade stream: price, size, aggressor side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_spot_get_book_ticker",
            VENUE_SPOT,
            Source::Derived,
            "Best bid and ask of a Binance spot pair with sizes, mid, spread (absolute and bps) and microprice, from the live book.",
        ),
        ToolSpec::new(
            "binance_spot_get_orderbook_imbalance",
            VENUE_SPOT,
            Source::Derived,
            "Bid/ask volume and notional over the top N levels of the live Binance spot book, their imbalance in [-1, 1] and the largest level per side.",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "binance_spot_get_trade_flow",
            VENUE_SPOT,
            Source::Derived,
            "Aggressive flow over the most recent live Binance spot trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.",
        )
        .args(flow_args()),
        ToolSpec::new(
            "binance_spot_get_large_trades",
            VENUE_SPOT,
            Source::Derived,
            "Recent live Binance spot trades with notional at least `min_notional` (quote currency), newest first, with their share of the scanned notional.",
        )
        .args(large_args()),
        ToolSpec::new(
            "binance_spot_get_market_summary",
            VENUE_SPOT,
            Source::Derived,
            "One-call live snapshot of a Binance spot pair: 24h ticker and top of book with ages; spot has no mark, funding or open interest, listed under `missing`.",
        ),
        ToolSpec::new(
            "binance_spot_get_klines",
            VENUE_SPOT,
            Source::Rest,
            "OHLCV candles of a Binance spot pair from REST /api/v3/klines (oldest first): open time, OHLC, volume, quote volume, trade count, taker buy volume.",
        )
        .args(kline_args()),
        ToolSpec::new(
            "binance_spot_get_exchange_info",
            VENUE_SPOT,
            Source::Rest,
            "Trading rules of a Binance spot pair from REST /api/v3/exchangeInfo: status, price tick size and quantity step size.",
        ),
        ToolSpec::new(
            "binance_spot_get_depth_snapshot",
            VENUE_SPOT,
            Source::Rest,
            "Order-book snapshot of a Binance spot pair straight from REST /api/v3/depth (independent of the live stream): bids, asks, lastUpdateId.",
        )
        .args(rest_depth_args()),
        ToolSpec::new(
            "binance_spot_get_agg_trades",
            VENUE_SPOT,
            Source::Rest,
            "Recent aggregate trades of a Binance spot pair from REST /api/v3/aggTrades (oldest first): id, price, size, aggressor side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_spot_get_24h_stats",
            VENUE_SPOT,
            Source::Rest,
            "24h rolling statistics of a Binance spot pair from REST /api/v3/ticker/24hr: last, open, high, low, change %, volumes, trade count.",
        ),
        ToolSpec::new(
            "binance_spot_get_avg_price",
            VENUE_SPOT,
            Source::Rest,
            "Average price of a Binance spot pair over the last 5 minutes from REST /api/v3/avgPrice.",
        ),
        ToolSpec::new(
            "binance_spot_get_rest_book_ticker",
            VENUE_SPOT,
            Source::Rest,
            "Best bid and ask with quantities of a Binance spot pair from REST /api/v3/ticker/bookTicker (a cross-check of the live top of book).",
        ),
        ToolSpec::new(
            "binance_get_ticker",
            VENUE_FUTURES,
            Source::Live("ticker"),
            "Latest 24h rolling ticker of a Binance USD-M perpetual from the live stream: last, open, high, low, base and quote volume, trade count. Use for current price and daily range.",
        ),
        ToolSpec::new(
            "binance_get_orderbook",
            VENUE_FUTURES,
            Source::Live("book"),
            "Top N levels per side of the live, sequence-checked Binance USD-M order book (price, size), best first, with the book's update id. Use for liquidity and spread right now.",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "binance_get_recent_trades",
            VENUE_FUTURES,
            Source::Live("trades"),
            "Most recent trades of a Binance USD-M perpetual from the live aggTrade stream: price, size, aggressor side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_get_funding_rate",
            VENUE_FUTURES,
            Source::Live("funding"),
            "Current (predicted) funding rate of a Binance USD-M perpetual and the next funding time, from the live markPrice stream.",
        ),
        ToolSpec::new(
            "binance_get_open_interest",
            VENUE_FUTURES,
            Source::Live("open_interest"),
            "Latest open interest (base units) of a Binance USD-M perpetual, polled from REST by the connector.",
        ),
        ToolSpec::new(
            "binance_get_mark_price",
            VENUE_FUTURES,
            Source::Live("mark_price"),
            "Latest mark and index price of a Binance USD-M perpetual from the live markPrice stream, with the mark–index basis.",
        ),
        ToolSpec::new(
            "binance_get_liquidations",
            VENUE_FUTURES,
            Source::Live("liquidations"),
            "Recent forced liquidations of a Binance USD-M perpetual from the live forceOrder stream: side (SELL = long liquidated), price, size.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_get_klines",
            VENUE_FUTURES,
            Source::Rest,
            "OHLCV candles of a Binance USD-M perpetual from the REST API (oldest first): open time, open, high, low, close, volume, quote volume, trade count, taker buy volume.",
        )
        .args(kline_args()),
        ToolSpec::new(
            "binance_get_funding_history",
            VENUE_FUTURES,
            Source::Rest,
            "Settled funding rates of a Binance USD-M perpetual from the REST API (oldest first), with the mark price at settlement.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_get_book_ticker",
            VENUE_FUTURES,
            Source::Derived,
            "Best bid and ask of a Binance USD-M perpetual with their sizes, mid, spread (absolute and bps) and microprice, from the live sequence-checked book.",
        ),
        ToolSpec::new(
            "binance_get_orderbook_imbalance",
            VENUE_FUTURES,
            Source::Derived,
            "Bid/ask volume and notional over the top N levels of the live Binance USD-M book, their imbalance in [-1, 1] (positive = more bids), and the largest level (wall) on each side.",
        )
        .args(depth_arg(100)),
        ToolSpec::new(
            "binance_get_trade_flow",
            VENUE_FUTURES,
            Source::Derived,
            "Aggressive flow over the most recent live trades of a Binance USD-M perpetual: buy and sell volume, delta, buy ratio, VWAP, trade count and the time span covered.",
        )
        .args(flow_args()),
        ToolSpec::new(
            "binance_get_large_trades",
            VENUE_FUTURES,
            Source::Derived,
            "Recent live trades of a Binance USD-M perpetual with notional (price × size) at least `min_notional` USDT, newest first, with their share of the scanned volume. Whale/block detection.",
        )
        .args(large_args()),
        ToolSpec::new(
            "binance_get_basis",
            VENUE_FUTURES,
            Source::Derived,
            "Perpetual premium of a Binance USD-M contract from live data: mark, index, mark–index basis (bps), last trade vs mark (bps), current funding rate and its annualized value.",
        ),
        ToolSpec::new(
            "binance_get_market_summary",
            VENUE_FUTURES,
            Source::Derived,
            "One-call snapshot of a Binance USD-M perpetual from live state: 24h ticker, best bid/ask and spread, mark/index, funding, open interest and the last liquidation, each with its age; missing parts are listed under `missing`.",
        ),
        ToolSpec::new(
            "binance_get_liquidation_stats",
            VENUE_FUTURES,
            Source::Derived,
            "Summary of the recent live forced liquidations of a Binance USD-M perpetual: count, size and notional of long liquidations (SELL orders) and short liquidations (BUY orders), their net notional and the time span covered. Empty when none were seen yet.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_get_exchange_info",
            VENUE_FUTURES,
            Source::Rest,
            "Contract specification of a Binance USD-M perpetual from the REST exchangeInfo endpoint: status, contract type, price tick size and quantity step size.",
        ),
        ToolSpec::new(
            "binance_get_depth_snapshot",
            VENUE_FUTURES,
            Source::Rest,
            "Order-book snapshot of a Binance USD-M perpetual straight from the REST depth endpoint (independent of the live stream): bids, asks and lastUpdateId. Use to cross-check the live book.",
        )
        .args(rest_depth_args()),
        ToolSpec::new(
            "binance_get_agg_trades",
            VENUE_FUTURES,
            Source::Rest,
            "Recent aggregate trades of a Binance USD-M perpetual from the REST aggTrades endpoint (oldest first): id, price, size, aggressor side, time.",
        )
        .args(limit_arg(50, 1000)),
        ToolSpec::new(
            "binance_get_24h_stats",
            VENUE_FUTURES,
            Source::Rest,
            "24h rolling statistics of a Binance USD-M perpetual from the REST ticker/24hr endpoint: last, open, high, low, change %, base and quote volume, trade count.",
        ),
        ToolSpec::new(
            "binance_get_open_interest_history",
            VENUE_FUTURES,
            Source::Rest,
            "Open interest per period of a Binance USD-M perpetual from the REST openInterestHist statistics endpoint (oldest first): base units and USDT value.",
        )
        .args(period_args()),
        ToolSpec::new(
            "binance_get_taker_volume",
            VENUE_FUTURES,
            Source::Rest,
            "Taker buy and sell volume per period of a Binance USD-M perpetual from the REST takerlongshortRatio endpoint (oldest first), with the buy/sell ratio.",
        )
        .args(period_args()),
        ToolSpec::new(
            "binance_get_long_short_ratio",
            VENUE_FUTURES,
            Source::Rest,
            "Global long/short account ratio per period of a Binance USD-M perpetual from the REST globalLongShortAccountRatio endpoint (oldest first): long and short account shares and their ratio.",
        )
        .args(period_args()),
        ToolSpec::new(
            "binance_get_top_trader_ratio",
            VENUE_FUTURES,
            Source::Rest,
            "Top traders' long/short position ratio per period of a Binance USD-M perpetual from the REST topLongShortPositionRatio endpoint (oldest first).",
        )
        .args(period_args()),
        ToolSpec::new(
            "binance_get_premium_index",
            VENUE_FUTURES,
            Source::Rest,
            "Mark price, index price, last funding rate and next funding time of a Binance USD-M perpetual from the REST premiumIndex endpoint.",
        ),
    ])
}

/// The descriptors of every Binance tool.
pub fn descriptors() -> Vec<ToolDescriptor> {
    TOOLS.descriptors()
}

/// Starts a tool call.
///
/// # Errors
/// Unknown tool, invalid arguments, or the host's error for live state.
pub fn call(name: &str, args: &str, host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
    let set = &*TOOLS;
    let (spec, v, symbol) = match set.start(name, args, host)? {
        Started::Done(step) => return Ok(step),
        Started::Rest { spec, args, symbol } => (spec, args, symbol),
    };
    let market = Market::of_venue(spec.venue).unwrap_or(Market::Futures);
    // Binance uses the orderflow symbol as its instrument name.
    let api = market.rest();
    let limit = || spec.uint(&v, "limit");
    let path = match spec.suffix() {
        "get_klines" => format!(
            "{api}/klines?symbol={symbol}&interval={}&limit={}",
            spec.string(&v, "interval")?,
            limit()?
        ),
        "get_funding_history" => format!("{api}/fundingRate?symbol={symbol}&limit={}", limit()?),
        "get_exchange_info" => format!("{api}/exchangeInfo"),
        "get_depth_snapshot" => format!("{api}/depth?symbol={symbol}&limit={}", limit()?),
        "get_agg_trades" => format!("{api}/aggTrades?symbol={symbol}&limit={}", limit()?),
        "get_24h_stats" => format!("{api}/ticker/24hr?symbol={symbol}"),
        suffix @ ("get_open_interest_history"
        | "get_taker_volume"
        | "get_long_short_ratio"
        | "get_top_trader_ratio") => {
            let endpoint = match suffix {
                "get_open_interest_history" => "openInterestHist",
                "get_taker_volume" => "takerlongshortRatio",
                "get_long_short_ratio" => "globalLongShortAccountRatio",
                _ => "topLongShortPositionRatio",
            };
            format!(
                "/futures/data/{endpoint}?symbol={symbol}&period={}&limit={}",
                spec.string(&v, "period")?,
                limit()?
            )
        }
        "get_avg_price" => format!("{api}/avgPrice?symbol={symbol}"),
        "get_rest_book_ticker" => format!("{api}/ticker/bookTicker?symbol={symbol}"),
        _ => format!("{api}/premiumIndex?symbol={symbol}"),
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(spec.venue, path),
        state: json!({"symbol": symbol}).to_string().into(),
    })
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
    let spec = TOOLS.get(name)?.clone();
    let rows = match spec.suffix() {
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
        json!({"venue": spec.venue, "symbol": symbol, "rows": rows})
            .to_string()
            .into(),
    ))
}

fn array_of<'a>(body: &'a Value, what: &str) -> Result<&'a Vec<Value>, SdkError> {
    body.as_array()
        .ok_or_else(|| SdkError::decode(format!("{what}: expected an array")))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::BinancePlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
