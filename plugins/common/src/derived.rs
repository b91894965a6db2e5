//! Tools computed by a plugin from the host's live state (book, trades, mark, funding, …):
//! the host answers read-only queries through [`HostView`], the plugin does the arithmetic.
//! Venue-neutral: every function takes the venue id; tool names are the plugin's prefix plus
//! the suffixes [`call`] accepts.
//!
//! [`HostView`]: orderflow_tool_sdk::HostView

use orderflow_tool_sdk::std_types::RStr;
use orderflow_tool_sdk::{ErrorKind, HostViewRef, SdkError};
use serde_json::{Value, json};

/// One live read: `{venue, symbol, kind, ts_recv, age_ms, data}`.
fn live(
    host: &HostViewRef<'_>,
    venue: &str,
    symbol: &str,
    kind: &str,
    limit: u64,
) -> Result<Value, SdkError> {
    let q = json!({"op": "live", "venue": venue, "symbol": symbol, "kind": kind, "limit": limit});
    let ans = host.query(RStr::from_str(&q.to_string())).into_result()?;
    serde_json::from_str(ans.as_str()).map_err(|e| SdkError::decode(format!("live {kind}: {e}")))
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// `[[price, size], …]` → pairs.
fn levels(v: &Value) -> Vec<(f64, f64)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| Some((f(l.get(0)?)?, f(l.get(1)?)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn base(venue: &str, symbol: &str, src: &Value) -> Value {
    json!({"venue": venue, "symbol": symbol, "age_ms": src["age_ms"], "ts_recv": src["ts_recv"]})
}

fn book_ticker(venue: &str, symbol: &str, host: &HostViewRef<'_>) -> Result<Value, SdkError> {
    let b = live(host, venue, symbol, "book", 1)?;
    let (bids, asks) = (levels(&b["data"]["bids"]), levels(&b["data"]["asks"]));
    let (Some(&(bp, bq)), Some(&(ap, aq))) = (bids.first(), asks.first()) else {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!("the {symbol} book has an empty side"),
        ));
    };
    let mid = (bp + ap) / 2.0;
    let micro = if bq + aq > 0.0 {
        (bp * aq + ap * bq) / (bq + aq)
    } else {
        mid
    };
    let mut out = base(venue, symbol, &b);
    out["bid_price"] = json!(bp);
    out["bid_size"] = json!(bq);
    out["ask_price"] = json!(ap);
    out["ask_size"] = json!(aq);
    out["mid_price"] = json!(mid);
    out["spread"] = json!(ap - bp);
    out["spread_bps"] = json!(1e4 * (ap - bp) / mid);
    out["microprice"] = json!(micro);
    out["sequence"] = b["data"]["sequence"].clone();
    Ok(out)
}

fn imbalance(
    venue: &str,
    symbol: &str,
    depth: u64,
    host: &HostViewRef<'_>,
) -> Result<Value, SdkError> {
    let b = live(host, venue, symbol, "book", depth)?;
    let (bids, asks) = (levels(&b["data"]["bids"]), levels(&b["data"]["asks"]));
    let vol = |l: &[(f64, f64)]| l.iter().map(|x| x.1).sum::<f64>();
    let notional = |l: &[(f64, f64)]| l.iter().map(|x| x.0 * x.1).sum::<f64>();
    let wall = |l: &[(f64, f64)]| {
        l.iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(p, q)| json!({"price": p, "size": q}))
    };
    let (bv, av) = (vol(&bids), vol(&asks));
    let mut out = base(venue, symbol, &b);
    out["levels"] = json!({"bids": bids.len(), "asks": asks.len()});
    out["bid_volume"] = json!(bv);
    out["ask_volume"] = json!(av);
    out["bid_notional"] = json!(notional(&bids));
    out["ask_notional"] = json!(notional(&asks));
    out["imbalance"] = if bv + av > 0.0 {
        json!((bv - av) / (bv + av))
    } else {
        Value::Null
    };
    out["bid_wall"] = wall(&bids).unwrap_or(Value::Null);
    out["ask_wall"] = wall(&asks).unwrap_or(Value::Null);
    Ok(out)
}

struct Trade {
    price: f64,
    size: f64,
    buy: bool,
    ts_ms: f64,
}

fn trades(t: &Value) -> Vec<Trade> {
    t["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some(Trade {
                        price: f(&r["price"])?,
                        size: f(&r["size"])?,
                        buy: r["side"] == "buy",
                        ts_ms: f(&r["ts_event_ms"]).unwrap_or(0.0),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn trade_flow(
    venue: &str,
    symbol: &str,
    limit: u64,
    host: &HostViewRef<'_>,
) -> Result<Value, SdkError> {
    let t = live(host, venue, symbol, "trades", limit)?;
    let rows = trades(&t);
    let buy: f64 = rows.iter().filter(|r| r.buy).map(|r| r.size).sum();
    let sell: f64 = rows.iter().filter(|r| !r.buy).map(|r| r.size).sum();
    let notional: f64 = rows.iter().map(|r| r.price * r.size).sum();
    let span = rows
        .iter()
        .map(|r| r.ts_ms)
        .fold(None, |acc: Option<(f64, f64)>, x| {
            Some(acc.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))))
        })
        .map_or(0.0, |(lo, hi)| hi - lo);
    let mut out = base(venue, symbol, &t);
    out["trades"] = json!(rows.len());
    out["buy_volume"] = json!(buy);
    out["sell_volume"] = json!(sell);
    out["delta"] = json!(buy - sell);
    out["buy_ratio"] = if buy + sell > 0.0 {
        json!(buy / (buy + sell))
    } else {
        Value::Null
    };
    out["vwap"] = if buy + sell > 0.0 {
        json!(notional / (buy + sell))
    } else {
        Value::Null
    };
    out["span_ms"] = json!(span);
    Ok(out)
}

fn large_trades(
    venue: &str,
    symbol: &str,
    limit: u64,
    min_notional: f64,
    host: &HostViewRef<'_>,
) -> Result<Value, SdkError> {
    let t = live(host, venue, symbol, "trades", limit)?;
    let rows = trades(&t);
    let total: f64 = rows.iter().map(|r| r.price * r.size).sum();
    let large: Vec<Value> = rows
        .iter()
        .filter(|r| r.price * r.size >= min_notional)
        .map(|r| {
            json!({"price": r.price, "size": r.size, "notional": r.price * r.size,
                   "side": if r.buy { "buy" } else { "sell" }, "ts_event_ms": r.ts_ms})
        })
        .collect();
    let large_notional: f64 = large.iter().filter_map(|r| f(&r["notional"])).sum();
    let mut out = base(venue, symbol, &t);
    out["scanned"] = json!(rows.len());
    out["min_notional"] = json!(min_notional);
    out["count"] = json!(large.len());
    out["share_of_notional"] = if total > 0.0 {
        json!(large_notional / total)
    } else {
        Value::Null
    };
    out["trades"] = Value::Array(large);
    Ok(out)
}

fn liquidation_stats(
    venue: &str,
    symbol: &str,
    limit: u64,
    host: &HostViewRef<'_>,
) -> Result<Value, SdkError> {
    let l = live(host, venue, symbol, "liquidations", limit)?;
    let rows = l["data"].as_array().cloned().unwrap_or_default();
    let mut long = (0_u64, 0.0_f64, 0.0_f64);
    let mut short = (0_u64, 0.0_f64, 0.0_f64);
    let mut times = Vec::new();
    for r in &rows {
        let (Some(p), Some(q)) = (f(&r["price"]), f(&r["size"])) else {
            continue;
        };
        // A SELL liquidation order closes a long position.
        let acc = if r["side"] == "sell" {
            &mut long
        } else {
            &mut short
        };
        acc.0 += 1;
        acc.1 += q;
        acc.2 += p * q;
        if let Some(t) = f(&r["ts_event_ms"]) {
            times.push(t);
        }
    }
    let span = match (
        times.iter().copied().reduce(f64::min),
        times.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => json!(hi - lo),
        _ => Value::Null,
    };
    let mut out = base(venue, symbol, &l);
    out["count"] = json!(rows.len());
    out["long_liquidations"] = json!({"count": long.0, "size": long.1, "notional": long.2});
    out["short_liquidations"] = json!({"count": short.0, "size": short.1, "notional": short.2});
    out["net_notional"] = json!(long.2 - short.2);
    out["span_ms"] = span;
    Ok(out)
}

fn basis(venue: &str, symbol: &str, host: &HostViewRef<'_>) -> Result<Value, SdkError> {
    let m = live(host, venue, symbol, "mark_price", 1)?;
    let mark = f(&m["data"]["mark_price"]);
    let index = f(&m["data"]["index_price"]);
    let mut out = base(venue, symbol, &m);
    out["mark_price"] = json!(mark);
    out["index_price"] = json!(index);
    out["basis_bps"] = m["data"]["basis_bps"].clone();
    out["last_vs_mark_bps"] = match (live(host, venue, symbol, "ticker", 1), mark) {
        (Ok(t), Some(mk)) if mk > 0.0 => {
            f(&t["data"]["last_price"]).map_or(Value::Null, |last| json!(1e4 * (last - mk) / mk))
        }
        _ => Value::Null,
    };
    match live(host, venue, symbol, "funding", 1) {
        Ok(fu) => {
            out["funding_rate"] = fu["data"]["funding_rate"].clone();
            out["funding_rate_annualized"] = fu["data"]["funding_rate_annualized"].clone();
            out["next_funding_time_ms"] = fu["data"]["next_funding_time_ms"].clone();
        }
        Err(_) => out["funding_rate"] = Value::Null,
    }
    Ok(out)
}

fn summary(venue: &str, symbol: &str, host: &HostViewRef<'_>) -> Value {
    let mut out = json!({"venue": venue, "symbol": symbol});
    let mut missing = Vec::new();
    for (key, kind) in [
        ("ticker", "ticker"),
        ("mark_price", "mark_price"),
        ("funding", "funding"),
        ("open_interest", "open_interest"),
    ] {
        match live(host, venue, symbol, kind, 1) {
            Ok(v) => {
                let mut d = v["data"].clone();
                d["age_ms"] = v["age_ms"].clone();
                out[key] = d;
            }
            Err(e) => {
                missing.push(json!({"part": key, "reason": e.to_string()}));
            }
        }
    }
    match book_ticker(venue, symbol, host) {
        Ok(b) => out["top_of_book"] = b,
        Err(e) => missing.push(json!({"part": "top_of_book", "reason": e.to_string()})),
    }
    match live(host, venue, symbol, "liquidations", 1) {
        Ok(l) => out["last_liquidation"] = l["data"].get(0).cloned().unwrap_or(Value::Null),
        Err(e) => missing.push(json!({"part": "last_liquidation", "reason": e.to_string()})),
    }
    out["missing"] = Value::Array(missing);
    out
}

/// Runs a derived tool by suffix (`get_book_ticker`, `get_orderbook_imbalance`, `get_trade_flow`,
/// `get_large_trades`, `get_liquidation_stats`, `get_basis`, `get_market_summary`).
///
/// # Errors
/// Unknown tool, or the host's error (e.g. no live data yet) for the tool's main input.
pub fn call(
    name: &str,
    venue: &str,
    symbol: &str,
    args: &Value,
    host: &HostViewRef<'_>,
) -> Result<Value, SdkError> {
    let uint = |k: &str, d: u64, max: u64| {
        args.get(k)
            .and_then(Value::as_u64)
            .unwrap_or(d)
            .clamp(1, max)
    };
    match name {
        "get_book_ticker" => book_ticker(venue, symbol, host),
        "get_orderbook_imbalance" => imbalance(venue, symbol, uint("depth", 20, 100), host),
        "get_trade_flow" => trade_flow(venue, symbol, uint("limit", 200, 1000), host),
        "get_large_trades" => {
            let min = args
                .get("min_notional")
                .and_then(Value::as_f64)
                .unwrap_or(50_000.0)
                .max(0.0);
            large_trades(venue, symbol, uint("limit", 1000, 1000), min, host)
        }
        "get_liquidation_stats" => liquidation_stats(venue, symbol, uint("limit", 50, 1000), host),
        "get_basis" => basis(venue, symbol, host),
        "get_market_summary" => Ok(summary(venue, symbol, host)),
        other => Err(SdkError::new(
            ErrorKind::NotFound,
            format!("unknown derived tool {other:?}"),
        )),
    }
}
