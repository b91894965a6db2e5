//! `deribit_*` tools: live state through the host view, derived tools through
//! [`orderflow_plugin_common::derived`], REST through the host (request described here, answer
//! decoded on resume). REST answers keep Deribit's own amounts (USD for inverse instruments)
//! beside the base sizes the tools add.

use crate::common::{API, Margin, VENUE, num, usd_to_base};
use orderflow_plugin_common::args::{last_n, venue_symbol};
use orderflow_plugin_common::tools::{Source, Started, ToolSet, ToolSpec, depth_arg, limit_arg};
use orderflow_tool_sdk::{
    ErrorKind, FixedDecimal, HostViewRef, HttpRequest, HttpResponse, SdkError, ToolDescriptor,
    ToolStep,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The tools, built once: each spec carries its JSON Schema, too costly to rebuild per call.
static TOOLS: std::sync::LazyLock<ToolSet> = std::sync::LazyLock::new(tool_set);

fn tool_set() -> ToolSet {
    use Source::{Derived, Live, Rest};
    let spec = |name, source, description| ToolSpec::new(name, VENUE, source, description);
    ToolSet::new(vec![
        spec("deribit_get_ticker", Live("ticker"), "Latest 24h ticker of a Deribit perpetual from the live ticker channel: last, open (from the 24h change), high, low, base volume and USD volume."),
        spec("deribit_get_orderbook", Live("book"), "Top N levels per side of the live Deribit book (sizes in base units; inverse USD amounts converted at each level's price), kept in sequence by change_id/prev_change_id.").args(depth_arg(100)),
        spec("deribit_get_recent_trades", Live("trades"), "Most recent trades of a Deribit perpetual from the live trades channel: price, base size, taker side, time.").args(limit_arg(50, 1000)),
        spec("deribit_get_funding_rate", Live("funding"), "Current Deribit perpetual funding as funding_8h (fraction of position value over 8 hours at the current rate; Deribit funds continuously), from the live ticker."),
        spec("deribit_get_open_interest", Live("open_interest"), "Latest open interest of a Deribit perpetual in base units (inverse: USD open interest divided by the mark price), from the live ticker."),
        spec("deribit_get_mark_price", Live("mark_price"), "Latest mark and index price of a Deribit perpetual from the live ticker."),
        spec("deribit_get_liquidations", Live("liquidations"), "Recent liquidations on a Deribit perpetual: public trades carrying a liquidation marker (side of the liquidated order, price, base size).").args(limit_arg(50, 1000)),
        spec("deribit_get_book_ticker", Derived, "Best bid and ask of a Deribit perpetual with sizes, mid, spread (absolute and bps) and microprice, from the live book."),
        spec("deribit_get_orderbook_imbalance", Derived, "Bid/ask volume and notional over the top N levels of the live Deribit book, their imbalance in [-1, 1] and the largest level on each side.").args(depth_arg(100)),
        spec("deribit_get_trade_flow", Derived, "Aggressive flow over the most recent live Deribit trades: buy and sell volume, delta, buy ratio, VWAP, count and time span.").args(json!({"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200, "description": "most recent trades to aggregate"}})),
        spec("deribit_get_large_trades", Derived, "Recent Deribit trades whose notional (price × base size) is at least min_notional.").args(json!({"min_notional": {"type": "number", "minimum": 0, "default": 50000, "description": "minimum price × size in USD"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000, "description": "recent trades to scan"}})),
        spec("deribit_get_liquidation_stats", Derived, "Counts and volumes of the recent Deribit liquidations by side (longs vs shorts liquidated).").args(limit_arg(50, 1000)),
        spec("deribit_get_basis", Derived, "Perpetual premium on Deribit from live data: mark, index, mark–index basis (bps), last vs mark (bps), funding rate and its annualized value."),
        spec("deribit_get_market_summary", Derived, "One-call live snapshot of a Deribit perpetual: ticker, top of book, mark/index, funding, open interest, last liquidation; missing parts are listed with the reason."),
        spec("deribit_get_rest_ticker", Rest, "Ticker of a Deribit perpetual from REST public/ticker: last, best bid/ask with amounts, mark, index, funding_8h, open interest (raw amount and base), 24h stats."),
        spec("deribit_get_instrument", Rest, "Contract specification of a Deribit perpetual from REST public/get_instruments: inverse or linear, tick size, contract size, minimum amount, fees."),
        spec("deribit_get_funding_history", Rest, "Hourly funding of a Deribit perpetual from REST public/get_funding_rate_history (oldest first): interest_1h, interest_8h, index price.").args(json!({"hours": {"type": "integer", "minimum": 1, "maximum": 744, "default": 48, "description": "hours back from now"}})),
        spec("deribit_get_candles", Rest, "OHLCV candles of a Deribit perpetual from REST public/get_tradingview_chart_data (oldest first): volume in base, cost in USD.").args(json!({"resolution": {"type": "string", "enum": ["1", "3", "5", "10", "15", "30", "60", "120", "180", "360", "720", "1D"], "default": "60", "description": "minutes, or 1D"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 100, "description": "most recent candles"}})),
        spec("deribit_get_depth_snapshot", Rest, "Order-book snapshot of a Deribit perpetual straight from REST public/get_order_book, independent of the live stream: raw amounts and base sizes.").args(depth_arg(1000)),
        spec("deribit_get_rest_trades", Rest, "Recent trades of a Deribit perpetual from REST public/get_last_trades_by_instrument (oldest first): price, raw amount, base size, direction, liquidation marker.").args(limit_arg(100, 1000)),
        spec("deribit_get_options_summary", Rest, "Options market of the symbol's currency from REST public/get_book_summary_by_currency (kind=option): call and put open interest and volume, put/call ratios, open interest by expiry, and the at-the-money implied volatility of the nearest expiry."),
        spec("deribit_get_index_price", Rest, "Deribit index price of the symbol's currency (e.g. btc_usd) from REST public/get_index_price, with the estimated delivery price."),
        spec("deribit_get_historical_volatility", Rest, "Deribit's historical (realized) volatility of the symbol's currency from REST public/get_historical_volatility, hourly points, annualized percent (oldest first).").args(limit_arg(48, 400)),
    ])
}

/// Tool descriptors.
pub fn descriptors() -> Vec<ToolDescriptor> {
    TOOLS.descriptors()
}

/// The currency of an instrument (`BTC-PERPETUAL` → `BTC`, `SOL_USDC-PERPETUAL` → `SOL`).
fn currency(instrument: &str) -> &str {
    instrument.split(['-', '_']).next().unwrap_or(instrument)
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
    let inst = venue_symbol(host, VENUE, &symbol)?;
    let cur = currency(&inst).to_owned();
    let (path, keep) = match spec.suffix() {
        "get_rest_ticker" => (format!("{API}/ticker?instrument_name={inst}"), 1),
        "get_instrument" => (
            format!(
                "{API}/get_instruments?currency={}&kind=future",
                if Margin::of(&inst) == Margin::Linear {
                    "USDC"
                } else {
                    cur.as_str()
                }
            ),
            1,
        ),
        "get_funding_history" => ("funding".to_owned(), spec.uint(&v, "hours")?),
        "get_candles" => (
            format!("resolution={}", spec.string(&v, "resolution")?),
            spec.uint(&v, "limit")?,
        ),
        "get_depth_snapshot" => {
            let depth = spec.uint(&v, "depth")?;
            (
                format!("{API}/get_order_book?instrument_name={inst}&depth={depth}"),
                depth,
            )
        }
        "get_rest_trades" => {
            let n = spec.uint(&v, "limit")?;
            (
                format!("{API}/get_last_trades_by_instrument?instrument_name={inst}&count={n}"),
                n,
            )
        }
        "get_options_summary" => (
            format!("{API}/get_book_summary_by_currency?currency={cur}&kind=option"),
            0,
        ),
        "get_index_price" => (
            format!(
                "{API}/get_index_price?index_name={}_usd",
                cur.to_ascii_lowercase()
            ),
            1,
        ),
        _ => (
            format!("{API}/get_historical_volatility?currency={cur}"),
            spec.uint(&v, "limit")?,
        ),
    };
    // Time-windowed methods: the window ends at the host's clock.
    let path = if path == "funding" || path.starts_with("resolution=") {
        {
            let now_ms = host_now_ms(host)?;
            if path == "funding" {
                let start = now_ms.saturating_sub(keep * 3_600_000);
                format!(
                    "{API}/get_funding_rate_history?instrument_name={inst}&start_timestamp={start}&end_timestamp={now_ms}"
                )
            } else {
                let res = path.trim_start_matches("resolution=");
                let minutes = if res == "1D" {
                    1_440
                } else {
                    res.parse::<u64>().unwrap_or(60)
                };
                let start = now_ms.saturating_sub((keep + 1) * minutes * 60_000);
                format!(
                    "{API}/get_tradingview_chart_data?instrument_name={inst}&resolution={res}&start_timestamp={start}&end_timestamp={now_ms}"
                )
            }
        }
    } else {
        path
    };
    Ok(ToolStep::Fetch {
        request: HttpRequest::get(VENUE, path),
        state: json!({"symbol": symbol, "instrument": inst, "keep": keep})
            .to_string()
            .into(),
    })
}

/// The host's wall clock (Unix ms), for the methods that take a time window.
fn host_now_ms(host: &HostViewRef<'_>) -> Result<u64, SdkError> {
    use orderflow_tool_sdk::std_types::RStr;
    let q = json!({"op": "clock"}).to_string();
    let answer = host.query(RStr::from_str(&q)).into_result()?;
    serde_json::from_str::<Value>(&answer)
        .ok()
        .and_then(|v| v["now_ms"].as_u64())
        .ok_or_else(|| SdkError::decode(format!("host clock answer {answer}")))
}

/// A JSON value (number) as an exact decimal.
fn dec(v: &Value) -> Option<FixedDecimal> {
    let text = v.to_string();
    let raw: &RawValue = serde_json::from_str(&text).ok()?;
    num(raw, "value").ok()
}

/// Base size of a raw amount at `price`, as a decimal string (`null` when not computable).
fn base_of(margin: Margin, amount: &Value, price: &Value) -> Value {
    match (margin, dec(amount), dec(price)) {
        (Margin::Linear, Some(a), _) => json!(a.to_string()),
        (Margin::Inverse, Some(a), Some(p)) => {
            usd_to_base(a, p).map_or(Value::Null, |b| json!(b.to_string()))
        }
        _ => Value::Null,
    }
}

fn options_summary(rows: &[Value]) -> Value {
    let (mut call_oi, mut put_oi, mut call_vol, mut put_vol) = (0.0, 0.0, 0.0, 0.0);
    let mut by_expiry: std::collections::BTreeMap<u64, (f64, f64)> =
        std::collections::BTreeMap::new();
    for r in rows {
        let oi = r["open_interest"].as_f64().unwrap_or(0.0);
        let vol = r["volume"].as_f64().unwrap_or(0.0);
        let is_call = r["instrument_name"]
            .as_str()
            .is_some_and(|n| n.ends_with("-C"));
        let exp = r["expiration_timestamp"].as_u64().unwrap_or(0);
        let e = by_expiry.entry(exp).or_default();
        if is_call {
            call_oi += oi;
            call_vol += vol;
            e.0 += oi;
        } else {
            put_oi += oi;
            put_vol += vol;
            e.1 += oi;
        }
    }
    // ATM IV of the nearest expiry: the strike closest to the underlying.
    let nearest = by_expiry.keys().next().copied();
    let atm = rows
        .iter()
        .filter(|r| r["expiration_timestamp"].as_u64() == nearest)
        .min_by(|a, b| {
            let d = |r: &Value| {
                (r["strike"].as_f64().unwrap_or(0.0)
                    - r["underlying_price"].as_f64().unwrap_or(0.0))
                .abs()
            };
            d(a).total_cmp(&d(b))
        });
    let ratio = |p: f64, c: f64| if c > 0.0 { json!(p / c) } else { Value::Null };
    json!({"instruments": rows.len(), "call_open_interest": call_oi, "put_open_interest": put_oi,
           "put_call_oi_ratio": ratio(put_oi, call_oi), "call_volume": call_vol, "put_volume": put_vol,
           "put_call_volume_ratio": ratio(put_vol, call_vol),
           "atm_iv_nearest": atm.map(|r| r["mark_iv"].clone()), "atm_strike_nearest": atm.map(|r| r["strike"].clone()),
           "nearest_expiry": nearest,
           "open_interest_by_expiry": by_expiry.iter().map(|(e, (c, p))| json!({"expiry": e, "calls": c, "puts": p})).collect::<Vec<_>>()})
}

/// Finishes a REST tool call.
///
/// # Errors
/// Upstream errors (HTTP status, JSON-RPC `error`) and undecodable answers.
pub fn resume(name: &str, state: &str, resp: &HttpResponse) -> Result<ToolStep, SdkError> {
    let st: Value =
        serde_json::from_str(state).map_err(|e| SdkError::decode(format!("tool state: {e}")))?;
    let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    if resp.status != 200 || !body["error"].is_null() {
        let kind = if resp.status == 400 {
            ErrorKind::InvalidArgs
        } else {
            ErrorKind::Upstream
        };
        return Err(SdkError::new(
            kind,
            format!(
                "Deribit answered HTTP {}: {}",
                resp.status,
                body["error"]["message"].as_str().unwrap_or(&resp.body)
            ),
        ));
    }
    let spec = TOOLS.get(name)?.clone();
    let inst = st["instrument"].as_str().unwrap_or("");
    let margin = Margin::of(inst);
    let keep = usize::try_from(st["keep"].as_u64().unwrap_or(100)).unwrap_or(100);
    let r = &body["result"];
    let rows: Value = match spec.suffix() {
        "get_rest_ticker" => json!([{"last": r["last_price"], "bid": r["best_bid_price"], "bid_amount": r["best_bid_amount"],
            "ask": r["best_ask_price"], "ask_amount": r["best_ask_amount"], "mark_price": r["mark_price"], "index_price": r["index_price"],
            "funding_8h": r["funding_8h"], "current_funding": r["current_funding"], "open_interest_amount": r["open_interest"],
            "open_interest_base": base_of(margin, &r["open_interest"], &r["mark_price"]),
            "high_24h": r["stats"]["high"], "low_24h": r["stats"]["low"], "volume_24h_base": r["stats"]["volume"],
            "volume_24h_usd": r["stats"]["volume_usd"], "price_change_24h_pct": r["stats"]["price_change"]}]),
        "get_instrument" => {
            let list: Vec<Value> = r.as_array().into_iter().flatten().filter(|i| i["instrument_name"] == inst)
                .map(|i| json!({"instrument": i["instrument_name"], "type": i["instrument_type"], "settlement": i["settlement_currency"],
                                "tick_size": i["tick_size"], "contract_size": i["contract_size"], "min_trade_amount": i["min_trade_amount"],
                                "amount_unit": if margin == Margin::Inverse { "USD" } else { "base" },
                                "taker_fee": i["taker_commission"], "maker_fee": i["maker_commission"], "active": i["is_active"]}))
                .collect();
            if list.is_empty() {
                return Err(SdkError::new(ErrorKind::NotFound, format!("{inst} is not listed")));
            }
            json!(list)
        }
        "get_funding_history" => json!(last_n(r.as_array().into_iter().flatten()
            .map(|f| json!({"time": f["timestamp"], "interest_1h": f["interest_1h"], "interest_8h": f["interest_8h"], "index_price": f["index_price"]}))
            .collect(), keep)),
        "get_candles" => {
            let col = |k: &str| r[k].as_array().cloned().unwrap_or_default();
            let (t, o, h, l, c, v, cost) = (col("ticks"), col("open"), col("high"), col("low"), col("close"), col("volume"), col("cost"));
            json!(last_n((0..t.len()).map(|i| json!({"open_time": t[i], "open": o.get(i), "high": h.get(i), "low": l.get(i),
                "close": c.get(i), "volume": v.get(i), "cost": cost.get(i)})).collect(), keep))
        }
        "get_depth_snapshot" => {
            let side = |k: &str| -> Vec<Value> {
                r[k].as_array().into_iter().flatten().take(keep)
                    .map(|l| json!({"price": l[0], "amount": l[1], "size": base_of(margin, &l[1], &l[0])})).collect()
            };
            json!([{"change_id": r["change_id"], "bids": side("bids"), "asks": side("asks")}])
        }
        "get_rest_trades" => json!(last_n(r["trades"].as_array().into_iter().flatten()
            .map(|t| json!({"trade_seq": t["trade_seq"], "trade_id": t["trade_id"], "time": t["timestamp"], "price": t["price"],
                            "amount": t["amount"], "size": base_of(margin, &t["amount"], &t["price"]), "side": t["direction"],
                            "liquidation": t["liquidation"]}))
            .collect(), keep)),
        "get_options_summary" => {
            let list = r.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return Err(SdkError::new(ErrorKind::NotFound, format!("no options listed for {}", currency(inst))));
            }
            json!([options_summary(&list)])
        }
        "get_index_price" => json!([{"index": format!("{}_usd", currency(inst).to_ascii_lowercase()), "index_price": r["index_price"],
                                     "estimated_delivery_price": r["estimated_delivery_price"]}]),
        "get_historical_volatility" => json!(last_n(r.as_array().into_iter().flatten()
            .map(|p| json!({"time": p[0], "volatility_pct": p[1]})).collect(), keep)),
        other => return Err(SdkError::new(ErrorKind::NotFound, format!("tool {other:?} has no REST step"))),
    };
    Ok(ToolStep::Done(
        json!({"venue": VENUE, "symbol": st["symbol"], "instrument": inst, "rows": rows})
            .to_string()
            .into(),
    ))
}

#[cfg(test)]
mod capability_tests {
    use orderflow_tool_sdk::prelude::Plugin;

    #[test]
    fn live_tools_read_declared_streams_only() {
        let caps = crate::DeribitPlugin::capabilities();
        assert!(!caps.is_empty());
        orderflow_plugin_common::tools::check_capabilities(&super::tool_set(), &caps).unwrap();
    }
}
