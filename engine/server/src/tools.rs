//! Built-in tools: history SQL, feature groups, catalogue, streaming status.

use crate::AppState;
use orderflow_dataflow::{CATALOGUE, FeatureId, Group};
use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use orderflow_sink_duckdb::SinkError;
use serde_json::{Value, json};
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
}

const GROUP_TOOLS: [(Group, &str, &str); 6] = [
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
        "Live mark/index features of a perpetual: mark price, index price, mark-index basis (bps).",
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
    ];
    kinds.extend(GROUP_TOOLS.iter().map(|(g, n, d)| Kind::Group(*g, n, d)));
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

impl BuiltinTool for Builtin {
    fn descriptor(&self) -> ToolInfo {
        let (name, category, description, schema) = match self.kind {
            Kind::QueryHistory => (
                "query_history",
                "historical",
                "Read-only SQL (DuckDB dialect) over the recorded history: tables trades, book_updates, orderbook, funding, open_interest, liquidations, mark_prices, tickers, features, and per-pair views such as btcusdt_binance_trades. One SELECT/WITH statement; no file or network access; at most `limit` rows.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "required": ["sql"], "properties": {
                    "sql": {"type": "string", "minLength": 1, "description": "one SELECT or WITH statement"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}}}),
            ),
            Kind::AllFeatures => ("get_all_features", "features", "Every live feature of a pair (see docs/features.md for formulas, units, windows), with the engine time and age of the newest change.".to_owned(), self.pair_schema()),
            Kind::Group(_, name, desc) => (name, "features", desc.to_owned(), self.pair_schema()),
            Kind::ListFeatures => (
                "list_features",
                "features",
                "The feature catalogue: name, group, unit, window and formula of every feature the engine maintains.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "group": {"type": "string", "enum": ["prices", "orderbook", "trades", "funding", "oi", "mark_prices"]}}}),
            ),
            Kind::StreamingStatus => (
                "get_streaming_status",
                "streaming",
                "Health of every venue connection (connected, msgs/s, last message age, gaps, resyncs, reconnects, decode errors) and the engine's event count and receive→feature latency.".to_owned(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
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
                match history.query(sql, limit) {
                    Ok(r) => Ok(json!(r)),
                    Err(SinkError::Refused { reason }) => Err(ToolError::InvalidArgs(format!(
                        "statement refused: {reason}"
                    ))),
                    Err(SinkError::Duckdb(e)) => {
                        Err(ToolError::InvalidArgs(format!("query failed: {e}")))
                    }
                    Err(e) => Err(ToolError::Internal(e.to_string())),
                }
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
        }
    }
}
