//! Built-in tools: history SQL, feature groups, catalogue, streaming status.

use crate::AppState;
use orderflow_dataflow::{CATALOGUE, FeatureId, Group};
use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::now_ns;
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// A built-in tool bound to the app state (set once the state exists).
#[derive(Debug)]
pub struct Builtin {
    kind: Kind,
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
    venues: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    QueryHistory,
    AllFeatures,
    Group(Group, &'static str, &'static str),
    ListFeatures,
    StreamingStatus,
    VenueStatus,
    EngineMetrics,
    DataFreshness,
    ListExchanges,
    ListSymbols,
    StreamErrors,
    PipelineHealth,
    SignalDashboard,
    ListSignals,
    /// One composite signal: (signal name, tool name, description).
    OneSignal(&'static str, &'static str, &'static str),
    MarketRegime,
    DataGaps,
}

/// The seed's per-signal tools.
const SIGNAL_TOOLS: [(&str, &str, &str); 6] = [
    (
        "squeeze_probability",
        "get_short_squeeze_probability",
        "Short-squeeze probability of a perpetual in [0, 1] (negative funding, rising open interest, rising price), per venue, with its components and confidence.",
    ),
    (
        "stop_hunt",
        "get_stop_hunt_detector",
        "Stop-hunt detector in [0, 1]: a burst of liquidations while price ends where it was, per venue, with its components and confidence.",
    ),
    (
        "smart_money_index",
        "get_smart_money_index",
        "Smart Money Index in [−1, 1] (absorption 0.25, whale 0.30, flow toxicity 0.20, CVD divergence 0.25), per venue, with its components and confidence.",
    ),
    (
        "liquidation_cascade_risk",
        "get_liquidation_cascade_risk",
        "Liquidation cascade risk in [0, 1] (liquidation cluster 0.35, leverage stress 0.30, thin liquidity 0.20, funding pressure 0.15), per venue, with its components.",
    ),
    (
        "volatility_breakout",
        "get_volatility_breakout",
        "Volatility breakout in [0, 1]: the last minute's realized volatility, scaled to an hour, above the hour's; per venue.",
    ),
    (
        "momentum_quality",
        "get_momentum_quality",
        "Momentum quality in [0, 1]: a 5-minute move carried by aggressive flow in its own direction; per venue.",
    ),
];

const GROUP_TOOLS: [(Group, &str, &str); 8] = [
    (
        Group::Prices,
        "get_price_features",
        "Live price features of a pair: best bid/ask, mid, spread (bps), microprice and its deviation, pressure ratios, last price vs VWAP.",
    ),
    (
        Group::Orderbook,
        "get_orderbook_features",
        "Live order-book features of a pair: depth at 5/10/20 levels, depth imbalance at L1/L5/L10/L20, cumulative imbalance, bid/ask walls, VWAP of depth, concentration, support/resistance strength.",
    ),
    (
        Group::Trades,
        "get_trade_features",
        "Live trade-flow features of a pair over 10s/1m/5m windows: trade count, volume, buy/sell volume, net flow (aggressive delta), VWAP, log return and realized volatility (bps), intensity; CVD since start.",
    ),
    (
        Group::Funding,
        "get_funding_features",
        "Live funding features of a perpetual: current funding rate and its annualized value.",
    ),
    (
        Group::OpenInterest,
        "get_oi_features",
        "Live open-interest features of a perpetual.",
    ),
    (
        Group::MarkPrices,
        "get_mark_price_features",
        "Live mark/index features of a perpetual: mark price, index price, mark-index basis (bps), mark vs last and mid, last vs index.",
    ),
    (
        Group::Liquidations,
        "get_liquidation_features",
        "Live liquidation features of a perpetual over 1m/5m/15m: long, short and total liquidation counts and values, and their imbalance.",
    ),
    (
        Group::Ticker,
        "get_ticker_features",
        "The venue's 24 h ticker as features: price change %, high-low range (bps), position in the range, base and quote volume.",
    ),
];

/// Every built-in tool over a state that is filled in later.
pub fn builtins(
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
    venues: Vec<String>,
) -> Vec<Arc<dyn BuiltinTool>> {
    let mut kinds = vec![
        Kind::QueryHistory,
        Kind::AllFeatures,
        Kind::ListFeatures,
        Kind::StreamingStatus,
        Kind::VenueStatus,
        Kind::EngineMetrics,
        Kind::DataFreshness,
        Kind::ListExchanges,
        Kind::ListSymbols,
        Kind::StreamErrors,
        Kind::PipelineHealth,
        Kind::DataGaps,
    ];
    kinds.extend(GROUP_TOOLS.iter().map(|(g, n, d)| Kind::Group(*g, n, d)));
    kinds.extend([Kind::SignalDashboard, Kind::ListSignals, Kind::MarketRegime]);
    kinds.extend(
        SIGNAL_TOOLS
            .iter()
            .map(|(s, n, d)| Kind::OneSignal(s, n, d)),
    );
    kinds
        .into_iter()
        .map(|kind| {
            Arc::new(Builtin {
                kind,
                state: state.clone(),
                symbols: symbols.clone(),
                venues: venues.clone(),
            }) as Arc<dyn BuiltinTool>
        })
        .collect()
}

impl Builtin {
    fn pair_schema(&self) -> Value {
        json!({"type": "object", "additionalProperties": false, "required": ["symbol"], "properties": {
            "symbol": {"type": "string", "enum": self.symbols, "description": "orderflow symbol"},
            "venue": {"type": "string", "enum": self.venues, "description": "venue id; default: the first venue listing the symbol"}}})
    }

    fn signal_schema(&self) -> Value {
        json!({"type": "object", "additionalProperties": false, "required": ["symbol"], "properties": {
            "symbol": {"type": "string", "enum": self.symbols, "description": "orderflow symbol"},
            "venue": {"type": "string", "enum": self.venues, "description": "venue id; default: every venue listing the symbol"}}})
    }

    fn state(&self) -> Result<&Arc<AppState>, ToolError> {
        self.state
            .get()
            .ok_or_else(|| ToolError::Unavailable("server is starting".into()))
    }
}

fn features_tool(
    st: &AppState,
    args: &Value,
    filter: impl Fn(FeatureId) -> bool,
) -> Result<Value, ToolError> {
    let symbol = args
        .get("symbol")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let venue = args.get("venue").and_then(Value::as_str);
    crate::routes::features_json(st, symbol, venue, filter)
        .map_err(|e| ToolError::InvalidArgs(e.to_string()))
}

/// The signals of a symbol (all, or only `only`), per venue.
fn signals_tool(st: &AppState, args: &Value, only: Option<&str>) -> Result<Value, ToolError> {
    let symbol = args
        .get("symbol")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let venue = args.get("venue").and_then(Value::as_str);
    let mut v = crate::routes::signals_json(st, symbol, venue)
        .map_err(|e| ToolError::InvalidArgs(e.to_string()))?;
    if let Some(name) = only
        && let Some(venues) = v["venues"].as_array_mut()
    {
        for entry in venues.iter_mut() {
            if let Some(obj) = entry.as_object_mut() {
                let one = obj
                    .get("signals")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|s| s["name"] == name).cloned());
                obj.remove("signals");
                obj.remove("recommendation");
                obj.remove("count");
                obj.insert("signal".into(), one.unwrap_or(Value::Null));
            }
        }
    }
    Ok(v)
}

impl BuiltinTool for Builtin {
    fn descriptor(&self) -> ToolInfo {
        let (name, category, description, schema) = match self.kind {
            Kind::QueryHistory => (
                "query_history",
                "historical",
                "Read-only SQL (DuckDB dialect) over the recorded history: tables trades, book_updates, orderbook, funding, open_interest, liquidations, mark_prices, tickers, features, and per-pair views such as btcusdt_binance_trades. One SELECT/WITH statement; no file or network access; at most `limit` rows.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "required": ["sql"], "properties": {
                    "sql": {"type": "string", "minLength": 1, "description": "one SELECT or WITH statement"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
                    "format": {"type": "string", "enum": ["json", "csv", "parquet"], "default": "json",
                               "description": "json: rows in the answer; csv or parquet: a file — over HTTP the answer is the file itself (a download), over MCP the CSV text or the Parquet bytes in base64"}}}),
            ),
            Kind::AllFeatures => ("get_all_features", "features", "Every live feature of a pair (see docs/features.md for formulas, units, windows), with the engine time and age of the newest change.".to_owned(), self.pair_schema()),
            Kind::Group(_, name, desc) => (name, "features", desc.to_owned(), self.pair_schema()),
            Kind::ListFeatures => (
                "list_features",
                "features",
                "The feature catalogue: name, group, unit, window and formula of every feature the engine maintains.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "group": {"type": "string", "enum": ["prices", "orderbook", "trades", "funding", "oi", "mark_prices", "liquidations", "ticker"]}}}),
            ),
            Kind::DataGaps => (
                "get_data_gaps",
                "historical",
                "Where the stored history is incomplete: every interval (venue, symbol, stream, from, to, reason, rows lost) from a disconnect, a book resync after a sequence gap or checksum mismatch, storage back-pressure, a failed write or a full engine queue — newest first — with the storage counters. `*` as venue/symbol means all of them.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "venue": {"type": "string", "enum": self.venues, "description": "only this venue (and venue-wide `*` rows)"},
                    "symbol": {"type": "string", "enum": self.symbols, "description": "only this symbol (and `*` rows)"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}}),
            ),
            Kind::StreamingStatus => (
                "get_streaming_status",
                "streaming",
                "Health of every venue connection (connected, msgs/s, last message age, gaps, resyncs, reconnects, decode errors) and the engine's event count and receive→feature latency.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::VenueStatus => (
                "get_venue_status",
                "streaming",
                "Connection health of one venue: connections planned and open, frames and events received, msgs/s, age of the last frame, reconnects, connect failures, decode errors, gaps and resyncs.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "required": ["venue"], "properties": {
                    "venue": {"type": "string", "enum": self.venues, "description": "venue id"}}}),
            ),
            Kind::EngineMetrics => (
                "get_engine_metrics",
                "Dataflow engine counters: events and batches processed, events per batch, engine time (receive-time ns of the newest batch), and the receive→feature-visible latency distribution (p50/p90/p99/p99.9/max µs) since start.".to_owned(),
                "streaming",
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ).reorder(),
            Kind::DataFreshness => (
                "get_data_freshness",
                "streaming",
                "Per pair: how old the newest feature update is (ms) and how many features are live; flags pairs with no data or older than `stale_after_ms`. Use before trusting a feature value.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "symbol": {"type": "string", "enum": self.symbols, "description": "only this symbol"},
                    "stale_after_ms": {"type": "integer", "minimum": 1, "default": 5000, "description": "age above which a pair is stale"}}}),
            ),
            Kind::ListExchanges => (
                "list_exchanges",
                "streaming",
                "Configured venues with their number of symbols and live connection status.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::ListSymbols => (
                "list_symbols",
                "streaming",
                "Symbols configured on a venue, with the venue's own instrument name for each (e.g. BTCUSDT ↔ BTC-USDT-SWAP on OKX).".to_owned(),
                json!({"type": "object", "additionalProperties": false, "required": ["venue"], "properties": {
                    "venue": {"type": "string", "enum": self.venues, "description": "venue id"}}}),
            ),
            Kind::StreamErrors => (
                "get_stream_errors",
                "streaming",
                "Data-quality counters per venue: decode errors (malformed frames), rejected events (unknown symbols), sequence gaps, book resyncs, reconnects and connect failures, with totals.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::SignalDashboard => (
                "get_signal_dashboard",
                "signals",
                "All 15 composite signals of a symbol (see docs/signals.md) with components and confidence, and the aggregator's recommendation (long/short/neutral, direction, strength, conflicts, reasons), on one venue or on every venue that lists the symbol.".to_owned(),
                self.signal_schema(),
            ),
            Kind::ListSignals => (
                "list_signals",
                "signals",
                "The signal catalogue: name, kind (directional [−1, 1] or level [0, 1]) and definition of each of the 15 composite signals.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::OneSignal(_, name, desc) => (name, "signals", desc.to_owned(), self.signal_schema()),
            Kind::MarketRegime => (
                "get_market_regime",
                "signals",
                "Market regime of a symbol (volatile, trending_up, trending_down, compression, ranging; see docs/regimes.md): per venue with since-when and the classifier's inputs (15-minute drift over noise, 1m-vs-15m volatility ratio), and the symbol's own classification across venues (median inputs, with hysteresis).".to_owned(),
                self.signal_schema(),
            ),
            Kind::PipelineHealth => (
                "get_pipeline_health",
                "One-call health summary: uptime, loaded plugins and tool count, storage on/off, venues connected vs configured, engine events and p99 latency, and a list of problems (disconnected venues, stale pairs, decode errors).".to_owned(),
                "streaming",
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ).reorder(),
        };
        ToolInfo {
            name: name.to_owned(),
            description,
            category: category.to_owned(),
            input_schema: schema,
            output_schema: None,
        }
    }

    fn call(&self, args: &Value) -> Result<Value, ToolError> {
        let st = self.state()?;
        match self.kind {
            Kind::QueryHistory => {
                let history = st
                    .history
                    .as_ref()
                    .ok_or_else(|| ToolError::Unavailable("storage is disabled".into()))?;
                let sql = args.get("sql").and_then(Value::as_str).unwrap_or_default();
                let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(1_000) as usize;
                let format = args.get("format").and_then(Value::as_str).unwrap_or("json");
                if format == "json" {
                    let r = crate::history_tools::governed_query(history, sql, limit, true)?;
                    return Ok(json!(r));
                }
                let r = crate::history_tools::governed_arrow(history, sql, limit)?;
                let bytes = crate::history_tools::encode_download(&r, format)?;
                let mut out = json!({"format": format, "rows": r.rows(), "bytes": bytes.len(),
                    "truncated": r.truncated_by.is_some(), "truncated_by": r.truncated_by});
                if format == "csv" {
                    out["content"] = json!(String::from_utf8_lossy(&bytes));
                } else {
                    use base64::Engine as _;
                    out["content_base64"] =
                        json!(base64::engine::general_purpose::STANDARD.encode(&bytes));
                }
                Ok(out)
            }
            Kind::AllFeatures => features_tool(st, args, |_| true),
            Kind::Group(g, _, _) => features_tool(st, args, |id| id.def().group == g),
            Kind::ListFeatures => {
                let g = args.get("group").and_then(Value::as_str);
                let defs: Vec<_> = CATALOGUE
                    .iter()
                    .filter(|d| g.is_none_or(|g| d.group.name() == g))
                    .collect();
                Ok(json!({"count": defs.len(), "features": defs}))
            }
            Kind::StreamingStatus => Ok(crate::routes::streaming_json(st)),
            Kind::VenueStatus => {
                let v = args
                    .get("venue")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                st.venues
                    .iter()
                    .find(|s| s.venue == v)
                    .map(|s| s.to_json(now_ns()))
                    .ok_or_else(|| {
                        ToolError::Unavailable(format!("venue {v} has no running connection"))
                    })
            }
            Kind::EngineMetrics => Ok(engine_metrics(st)),
            Kind::DataFreshness => Ok(freshness(st, args)),
            Kind::ListExchanges => Ok(crate::routes::exchanges_json(st)),
            Kind::ListSymbols => {
                let v = args
                    .get("venue")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                crate::routes::symbols_json(st, v)
                    .map_err(|e| ToolError::InvalidArgs(e.to_string()))
            }
            Kind::StreamErrors => Ok(stream_errors(st)),
            Kind::PipelineHealth => Ok(pipeline_health(st)),
            Kind::DataGaps => data_gaps(st, args, &self.venues, &self.symbols),
            Kind::SignalDashboard => signals_tool(st, args, None),
            Kind::ListSignals => Ok(
                json!({"count": orderflow_signals::SIGNALS.len(), "signals": orderflow_signals::SIGNALS}),
            ),
            Kind::OneSignal(signal, _, _) => signals_tool(st, args, Some(signal)),
            Kind::MarketRegime => {
                let symbol = args
                    .get("symbol")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let venue = args.get("venue").and_then(Value::as_str);
                crate::routes::regimes_json(st, symbol, venue)
                    .map_err(|e| ToolError::InvalidArgs(e.to_string()))
            }
        }
    }
}

/// Lets a descriptor tuple be written (name, description, category, schema) and reordered to
/// (name, category, description, schema).
trait Reorder {
    fn reorder(self) -> (&'static str, &'static str, String, Value);
}

impl Reorder for (&'static str, String, &'static str, Value) {
    fn reorder(self) -> (&'static str, &'static str, String, Value) {
        (self.0, self.2, self.1, self.3)
    }
}

fn engine_metrics(st: &AppState) -> Value {
    let events = st.engine.events.load(Ordering::Relaxed);
    let batches = st.engine.batches.load(Ordering::Relaxed);
    let lat = st.engine.latency_ns.lock();
    let q = |x: f64| lat.value_at_quantile(x) as f64 / 1e3;
    json!({
        "events": events,
        "batches": batches,
        "events_per_batch": if batches > 0 { events as f64 / batches as f64 } else { 0.0 },
        "engine_time_ns": st.engine.time.load(Ordering::Relaxed),
        "uptime_s": st.started.elapsed().as_secs_f64(),
        "latency_us": {"p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "p999": q(0.999),
                       "max": lat.max() as f64 / 1e3, "samples": lat.len()},
    })
}

fn freshness(st: &AppState, args: &Value) -> Value {
    let only = args.get("symbol").and_then(Value::as_str);
    let stale_ms = args
        .get("stale_after_ms")
        .and_then(Value::as_f64)
        .unwrap_or(5_000.0);
    let mut pairs = Vec::new();
    for inst in st.universe.iter() {
        if only.is_some_and(|s| s != inst.symbol) {
            continue;
        }
        let entry =
            match crate::routes::features_json(st, &inst.symbol, Some(&inst.venue), |_| true) {
                Ok(v) => {
                    let age = v.get("age_ms").and_then(Value::as_f64);
                    json!({"symbol": inst.symbol, "venue": inst.venue, "age_ms": age,
                       "features": v.get("count"), "stale": age.is_none_or(|a| a > stale_ms)})
                }
                Err(e) => json!({"symbol": inst.symbol, "venue": inst.venue, "age_ms": null,
                             "features": 0, "stale": true, "reason": e.to_string()}),
            };
        pairs.push(entry);
    }
    let stale = pairs.iter().filter(|p| p["stale"] == true).count();
    json!({"pairs": pairs, "stale": stale, "stale_after_ms": stale_ms})
}

fn stream_errors(st: &AppState) -> Value {
    let now = now_ns();
    let keys = [
        "decode_errors",
        "rejected_events",
        "gaps",
        "resyncs",
        "reconnects",
        "connect_failures",
    ];
    let mut totals = serde_json::Map::new();
    let venues: Vec<Value> = st
        .venues
        .iter()
        .map(|s| {
            let full = s.to_json(now);
            let mut out = serde_json::Map::new();
            out.insert("venue".into(), Value::from(s.venue.clone()));
            for k in keys {
                let n = full.get(k).and_then(Value::as_u64).unwrap_or(0);
                out.insert(k.into(), Value::from(n));
                let t = totals.entry(k).or_insert(Value::from(0u64));
                *t = Value::from(t.as_u64().unwrap_or(0) + n);
            }
            Value::Object(out)
        })
        .collect();
    json!({"venues": venues, "totals": totals})
}

fn pipeline_health(st: &AppState) -> Value {
    let now = now_ns();
    let mut problems = Vec::new();
    let mut connected = 0;
    for s in &st.venues {
        let v = s.to_json(now);
        if v.get("connected").and_then(Value::as_bool).unwrap_or(false) {
            connected += 1;
        } else {
            problems.push(format!("venue {} is not connected", s.venue));
        }
        let errs = v.get("decode_errors").and_then(Value::as_u64).unwrap_or(0);
        if errs > 0 {
            problems.push(format!(
                "venue {}: {errs} frames could not be decoded",
                s.venue
            ));
        }
    }
    let fresh = freshness(st, &json!({}));
    let stale = fresh["stale"].as_u64().unwrap_or(0);
    if stale > 0 {
        problems.push(format!(
            "{stale} pairs have no feature update in the last 5 s"
        ));
    }
    let lat = st.engine.latency_ns.lock();
    json!({
        "status": if problems.is_empty() { "ok" } else { "degraded" },
        "problems": problems,
        "uptime_s": st.started.elapsed().as_secs_f64(),
        "plugins": st.plugins.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "tools": st.registry.len(),
        "storage": st.history.is_some(),
        "venues_connected": connected,
        "venues_configured": st.universe.venues().len(),
        "engine_events": st.engine.events.load(Ordering::Relaxed),
        "latency_p99_us": lat.value_at_quantile(0.99) as f64 / 1e3,
    })
}

/// `get_data_gaps`: the `gaps` table (newest first), filtered; values checked against the
/// configured lists before they reach the SQL.
fn data_gaps(
    st: &AppState,
    args: &Value,
    venues: &[String],
    symbols: &[String],
) -> Result<Value, ToolError> {
    let history = st.history.as_ref().ok_or_else(|| {
        ToolError::Unavailable("storage is disabled: no history, so no gaps in it".into())
    })?;
    let pick = |key: &str, allowed: &[String]| -> Result<Option<String>, ToolError> {
        match args.get(key).and_then(Value::as_str) {
            None => Ok(None),
            Some(v) if allowed.iter().any(|a| a == v) => Ok(Some(v.to_owned())),
            Some(v) => Err(ToolError::InvalidArgs(format!("unknown {key} {v:?}"))),
        }
    };
    let mut filters = Vec::new();
    if let Some(v) = pick("venue", venues)? {
        filters.push(format!("venue IN ('{v}', '*')"));
    }
    if let Some(s) = pick("symbol", symbols)? {
        filters.push(format!("symbol IN ('{s}', '*')"));
    }
    let limit = args
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .clamp(1, 1000);
    let sql = format!(
        "SELECT venue, symbol, stream, ts_from, ts_to, (to_ns - from_ns) / 1e9 AS seconds, reason, lost, detail \
         FROM gaps {} ORDER BY to_ns DESC LIMIT {limit}",
        if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filters.join(" AND "))
        }
    );
    let r = crate::history_tools::governed_query(history, &sql, 1000, false)?;
    Ok(json!({
        "count": r.rows.len(),
        "columns": r.columns,
        "gaps": r.rows,
        "storage": st.sink_stats.as_ref().map(|s| s.to_json()),
        "engine_dropped_events": st.engine.dropped_events.load(std::sync::atomic::Ordering::Relaxed),
    }))
}
