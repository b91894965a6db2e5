//! Historical tools: fixed questions over the DuckDB history, each a parameterised read-only
//! query through the same guarded [`History`](orderflow_sink_duckdb::History) reader as
//! `query_history`. Windows are relative to the newest stored row of the pair, so a database
//! read after the run answers like a live one ("the last 60 minutes of data").
//!
//! Symbol and venue values are restricted to the configured lists by each tool's schema and
//! quoted again here; numbers are validated integers.

use crate::AppState;
use orderflow_dataflow::CATALOGUE;
use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use orderflow_sink_duckdb::{History, QueryResult, SinkError};
use serde_json::{Map, Value, json};
use std::sync::{Arc, OnceLock};

/// Runs `sql` under the history's limits, interruptible by the current tool call's
/// cancellation (the client went away), and maps every limit to its [`ToolError`]: busy → 429,
/// time/memory/answer size → 422. `user_sql`: the statement is the caller's (its errors are
/// invalid arguments), not one a tool generated (its errors are internal).
///
/// # Errors
/// As above.
pub fn governed_query(
    history: &History,
    sql: &str,
    max_rows: usize,
    user_sql: bool,
) -> Result<QueryResult, ToolError> {
    let cancel = orderflow_plugin_host::cancel::current();
    let r = history.query_with(sql, max_rows, |interrupter| {
        cancel.on_cancel(move || interrupter.interrupt())
    });
    r.map_err(|e| tool_error(e, user_sql))
}

/// [`governed_query`] with the answer as Arrow batches (for downloads); the statement is the
/// caller's.
///
/// # Errors
/// As [`governed_query`].
pub fn governed_arrow(
    history: &History,
    sql: &str,
    max_rows: usize,
) -> Result<orderflow_sink_duckdb::ArrowResult, ToolError> {
    let cancel = orderflow_plugin_host::cancel::current();
    history
        .query_arrow_with(sql, max_rows, |interrupter| {
            cancel.on_cancel(move || interrupter.interrupt())
        })
        .map_err(|e| tool_error(e, true))
}

/// Formats of `query_history` downloads.
pub const DOWNLOAD_FORMATS: [&str; 2] = ["csv", "parquet"];

/// An answer as a file: CSV (header row, RFC 4180 quoting, timestamps in ISO 8601) or Parquet
/// (DuckDB's column types, Snappy-compressed).
///
/// # Errors
/// [`ToolError::Internal`] when the encoder fails; [`ToolError::InvalidArgs`] for another format.
pub fn encode_download(
    r: &orderflow_sink_duckdb::ArrowResult,
    format: &str,
) -> Result<Vec<u8>, ToolError> {
    let internal =
        |e: &dyn std::fmt::Display| ToolError::Internal(format!("{format} encoding failed: {e}"));
    match format {
        "csv" => {
            let mut w = arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(Vec::new());
            if r.batches.is_empty() {
                // The header alone, from the schema.
                let empty = duckdb::arrow::record_batch::RecordBatch::new_empty(r.schema.clone());
                w.write(&empty).map_err(|e| internal(&e))?;
            }
            for b in &r.batches {
                w.write(b).map_err(|e| internal(&e))?;
            }
            Ok(w.into_inner())
        }
        "parquet" => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build();
            let mut w =
                parquet::arrow::ArrowWriter::try_new(Vec::new(), r.schema.clone(), Some(props))
                    .map_err(|e| internal(&e))?;
            for b in &r.batches {
                w.write(b).map_err(|e| internal(&e))?;
            }
            w.into_inner().map_err(|e| internal(&e))
        }
        other => Err(ToolError::InvalidArgs(format!("unknown format {other:?}"))),
    }
}

fn tool_error(e: SinkError, user_sql: bool) -> ToolError {
    match e {
        SinkError::Refused { reason } if user_sql => {
            ToolError::InvalidArgs(format!("statement refused: {reason}"))
        }
        SinkError::Duckdb(e) if user_sql => ToolError::InvalidArgs(format!("query failed: {e}")),
        e @ SinkError::Busy { .. } => ToolError::Busy(e.to_string()),
        e if e.is_limit() => ToolError::LimitExceeded(e.to_string()),
        e @ SinkError::Unavailable { .. } => ToolError::Unavailable(e.to_string()),
        e => ToolError::Internal(format!("history query failed: {e}")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    TableStats,
    TradeHistory,
    LargeTrades,
    Ohlcv,
    VolumeProfile,
    TradeFlow,
    FeatureHistory,
    FundingHistory,
    OpenInterestHistory,
    LiquidationHistory,
    MarkPriceHistory,
    OrderbookHistory,
}

const ALL: [Kind; 12] = [
    Kind::TableStats,
    Kind::TradeHistory,
    Kind::LargeTrades,
    Kind::Ohlcv,
    Kind::VolumeProfile,
    Kind::TradeFlow,
    Kind::FeatureHistory,
    Kind::FundingHistory,
    Kind::OpenInterestHistory,
    Kind::LiquidationHistory,
    Kind::MarkPriceHistory,
    Kind::OrderbookHistory,
];

const INTERVALS: [(&str, u64); 7] = [
    ("1s", 1),
    ("10s", 10),
    ("1m", 60),
    ("5m", 300),
    ("15m", 900),
    ("1h", 3600),
    ("4h", 14400),
];

/// A historical tool bound to the app state (filled in once the state exists).
#[derive(Debug)]
pub struct HistoryTool {
    kind: Kind,
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
    venues: Vec<String>,
}

/// Every historical tool except `query_history` (in [`crate::tools`]).
pub fn history_tools(
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: &[String],
    venues: &[String],
) -> Vec<Arc<dyn BuiltinTool>> {
    ALL.iter()
        .map(|&kind| {
            Arc::new(HistoryTool {
                kind,
                state: state.clone(),
                symbols: symbols.to_vec(),
                venues: venues.to_vec(),
            }) as Arc<dyn BuiltinTool>
        })
        .collect()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn int(args: &Value, key: &str, default: u64) -> u64 {
    args.get(key).and_then(Value::as_u64).unwrap_or(default)
}

impl HistoryTool {
    fn schema(&self, extra: Value, pair: bool) -> Value {
        let mut props = Map::new();
        let mut required = Vec::new();
        if pair {
            props.insert(
                "symbol".into(),
                json!({"type": "string", "enum": self.symbols, "description": "orderflow symbol, e.g. BTCUSDT"}),
            );
            props.insert(
                "venue".into(),
                json!({"type": "string", "enum": self.venues, "default": self.venues.first(), "description": "venue id"}),
            );
            required.push("symbol");
        }
        if let Value::Object(m) = extra {
            props.extend(m);
        }
        json!({"type": "object", "additionalProperties": false, "required": required, "properties": props})
    }

    fn minutes() -> Value {
        json!({"type": "integer", "minimum": 1, "maximum": 10080, "default": 60,
               "description": "window length in minutes, ending at the newest stored row of the pair"})
    }

    fn limit(default: u64) -> Value {
        json!({"type": "integer", "minimum": 1, "maximum": 10000, "default": default, "description": "row cap"})
    }

    fn interval() -> Value {
        json!({"type": "string", "enum": INTERVALS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
               "default": "1m", "description": "bucket width"})
    }

    fn info(&self) -> (&'static str, &'static str, Value) {
        match self.kind {
            Kind::TableStats => (
                "get_table_stats",
                "Row count, first and last timestamp of every history table (trades, book_updates, orderbook, funding, open_interest, liquidations, mark_prices, tickers, features), optionally for one venue. Use it to see what history exists before querying.",
                self.schema(json!({"venue": {"type": "string", "enum": self.venues, "description": "only this venue"}}), false),
            ),
            Kind::TradeHistory => (
                "get_trade_history",
                "Stored trades of a pair, newest first: time, price, size, aggressor side, trade id, over the last `minutes` of stored data.",
                self.schema(json!({"minutes": Self::minutes(), "limit": Self::limit(500)}), true),
            ),
            Kind::LargeTrades => (
                "get_large_trades",
                "Stored trades of a pair whose notional (price × size, quote currency) is at least `min_notional`, newest first: block-trade and whale detection.",
                self.schema(json!({"minutes": Self::minutes(), "limit": Self::limit(200),
                    "min_notional": {"type": "number", "minimum": 0, "default": 100000, "description": "minimum price × size"}}), true),
            ),
            Kind::Ohlcv => (
                "get_ohlcv",
                "OHLCV bars built from stored trades of a pair: bucket start, open, high, low, close, volume, notional, trade count, VWAP.",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::VolumeProfile => (
                "get_volume_profile",
                "Volume profile of a pair from stored trades: traded volume, buy and sell volume per price bin over the window, and the point of control (bin with most volume).",
                self.schema(json!({"minutes": Self::minutes(),
                    "bins": {"type": "integer", "minimum": 2, "maximum": 200, "default": 20, "description": "number of equal-width price bins"}}), true),
            ),
            Kind::TradeFlow => (
                "get_trade_flow_history",
                "Aggressive order flow of a pair per bucket from stored trades: buy volume, sell volume, delta (buy − sell), cumulative volume delta, trade count.",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::FeatureHistory => (
                "get_feature_history",
                "Stored snapshots of one engine feature for a pair (the `features` table, written at the configured cadence): time and value, newest first.",
                self.schema(json!({
                    "feature": {"type": "string", "enum": CATALOGUE.iter().map(|d| d.name).collect::<Vec<_>>(), "description": "feature name, see list_features"},
                    "minutes": Self::minutes(), "limit": Self::limit(1000)}), true)
                    .pipe_required("feature"),
            ),
            Kind::FundingHistory => (
                "get_funding_rate_history",
                "Stored funding-rate updates of a perpetual (from the venue's stream), bucketed: last funding rate per bucket, annualized (3 fundings/day), and the next funding time.",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::OpenInterestHistory => (
                "get_open_interest_history",
                "Stored open-interest observations of a perpetual, bucketed: last value per bucket and its change from the previous bucket.",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::LiquidationHistory => (
                "get_liquidation_history",
                "Stored forced liquidations of a perpetual per bucket: count, size and notional of long liquidations (sell orders) and short liquidations (buy orders).",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::MarkPriceHistory => (
                "get_mark_price_history",
                "Stored mark and index prices of a perpetual, bucketed: last mark, last index, and the mark-index basis in basis points.",
                self.schema(json!({"interval": Self::interval(), "minutes": Self::minutes(), "limit": Self::limit(1000)}), true),
            ),
            Kind::OrderbookHistory => (
                "get_orderbook_history",
                "Stored order-book snapshots of a pair (the `orderbook` table): for each of the newest `snapshots` snapshots, best bid/ask, spread in bps, and bid/ask depth over the stored levels.",
                self.schema(json!({"snapshots": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20, "description": "number of snapshots"}}), true),
            ),
        }
    }

    fn sql(&self, args: &Value) -> String {
        let sym = quote(
            args.get("symbol")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        let venue = quote(
            args.get("venue")
                .and_then(Value::as_str)
                .or(self.venues.first().map(String::as_str))
                .unwrap_or_default(),
        );
        let minutes = int(args, "minutes", 60);
        let limit = int(args, "limit", 1000);
        let bucket = args
            .get("interval")
            .and_then(Value::as_str)
            .and_then(|i| INTERVALS.iter().find(|(n, _)| *n == i))
            .map_or(60, |(_, s)| *s);
        let pair = format!("venue = {venue} AND symbol = {sym}");
        let window = |table: &str| {
            format!(
                "{pair} AND ts >= (SELECT max(ts) FROM {table} WHERE {pair}) - INTERVAL {minutes} MINUTE"
            )
        };
        let b = format!("time_bucket(INTERVAL {bucket} SECOND, ts)");
        match self.kind {
            Kind::TableStats => {
                let filter = args
                    .get("venue")
                    .and_then(Value::as_str)
                    .map(|v| format!(" WHERE venue = {}", quote(v)))
                    .unwrap_or_default();
                [
                    "trades",
                    "book_updates",
                    "orderbook",
                    "funding",
                    "open_interest",
                    "liquidations",
                    "mark_prices",
                    "tickers",
                    "features",
                ]
                .iter()
                .map(|t| {
                    format!(
                        "SELECT '{t}' AS table_name, count(*) AS rows, min(ts) AS first_ts, max(ts) AS last_ts, count(DISTINCT symbol) AS symbols FROM {t}{filter}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
            }
            Kind::TradeHistory => format!(
                "SELECT ts, price, size, side, trade_id FROM trades WHERE {} ORDER BY ts DESC, trade_id DESC LIMIT {limit}",
                window("trades")
            ),
            Kind::LargeTrades => {
                let min = args
                    .get("min_notional")
                    .and_then(Value::as_f64)
                    .unwrap_or(100_000.0);
                format!(
                    "SELECT ts, price, size, side, CAST(price * size AS DOUBLE) AS notional FROM trades WHERE {} AND price * size >= {min} ORDER BY ts DESC LIMIT {limit}",
                    window("trades")
                )
            }
            Kind::Ohlcv => format!(
                "SELECT {b} AS bucket, arg_min(price, ts) AS open, max(price) AS high, min(price) AS low, arg_max(price, ts) AS close, sum(size) AS volume, CAST(sum(price * size) AS DOUBLE) AS notional, count(*) AS trades, CAST(sum(price * size) / sum(size) AS DOUBLE) AS vwap FROM trades WHERE {} GROUP BY bucket ORDER BY bucket LIMIT {limit}",
                window("trades")
            ),
            Kind::VolumeProfile => {
                let bins = int(args, "bins", 20);
                format!(
                    "WITH t AS (SELECT CAST(price AS DOUBLE) AS p, CAST(size AS DOUBLE) AS s, side FROM trades WHERE {w}), \
                     r AS (SELECT min(p) AS lo, greatest(max(p) - min(p), 1e-12) AS span FROM t), \
                     b AS (SELECT least(CAST(floor((p - lo) / span * {bins}) AS INTEGER), {bins} - 1) AS bin, s, side, lo, span FROM t, r) \
                     SELECT bin, any_value(lo) + bin * any_value(span) / {bins} AS price_low, any_value(lo) + (bin + 1) * any_value(span) / {bins} AS price_high, \
                     sum(s) AS volume, sum(s) FILTER (WHERE side = 'buy') AS buy_volume, sum(s) FILTER (WHERE side = 'sell') AS sell_volume, \
                     sum(s) = max(sum(s)) OVER () AS point_of_control FROM b GROUP BY bin ORDER BY bin",
                    w = window("trades")
                )
            }
            Kind::TradeFlow => format!(
                "WITH f AS (SELECT {b} AS bucket, sum(size) FILTER (WHERE side = 'buy') AS buy_volume, sum(size) FILTER (WHERE side = 'sell') AS sell_volume, count(*) AS trades FROM trades WHERE {} GROUP BY bucket) \
                 SELECT bucket, coalesce(buy_volume, 0) AS buy_volume, coalesce(sell_volume, 0) AS sell_volume, coalesce(buy_volume, 0) - coalesce(sell_volume, 0) AS delta, \
                 sum(coalesce(buy_volume, 0) - coalesce(sell_volume, 0)) OVER (ORDER BY bucket) AS cvd, trades FROM f ORDER BY bucket LIMIT {limit}",
                window("trades")
            ),
            Kind::FeatureHistory => {
                let feature = quote(
                    args.get("feature")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
                format!(
                    "SELECT ts, value FROM features WHERE {pair} AND feature = {feature} AND ts >= (SELECT max(ts) FROM features WHERE {pair}) - INTERVAL {minutes} MINUTE ORDER BY ts DESC LIMIT {limit}"
                )
            }
            Kind::FundingHistory => format!(
                "SELECT {b} AS bucket, arg_max(funding_rate, ts) AS funding_rate, CAST(arg_max(funding_rate, ts) AS DOUBLE) * 3 * 365 AS annualized, arg_max(next_funding_time, ts) AS next_funding_time FROM funding WHERE {} GROUP BY bucket ORDER BY bucket LIMIT {limit}",
                window("funding")
            ),
            Kind::OpenInterestHistory => format!(
                "WITH o AS (SELECT {b} AS bucket, arg_max(open_interest, ts) AS open_interest FROM open_interest WHERE {} GROUP BY bucket) \
                 SELECT bucket, open_interest, open_interest - lag(open_interest) OVER (ORDER BY bucket) AS change FROM o ORDER BY bucket LIMIT {limit}",
                window("open_interest")
            ),
            Kind::LiquidationHistory => format!(
                "SELECT {b} AS bucket, count(*) FILTER (WHERE side = 'sell') AS long_liquidations, coalesce(sum(size) FILTER (WHERE side = 'sell'), 0) AS long_size, \
                 CAST(coalesce(sum(price * size) FILTER (WHERE side = 'sell'), 0) AS DOUBLE) AS long_notional, count(*) FILTER (WHERE side = 'buy') AS short_liquidations, \
                 coalesce(sum(size) FILTER (WHERE side = 'buy'), 0) AS short_size, CAST(coalesce(sum(price * size) FILTER (WHERE side = 'buy'), 0) AS DOUBLE) AS short_notional \
                 FROM liquidations WHERE {} GROUP BY bucket ORDER BY bucket LIMIT {limit}",
                window("liquidations")
            ),
            Kind::MarkPriceHistory => format!(
                "SELECT {b} AS bucket, arg_max(mark_price, ts) AS mark_price, arg_max(index_price, ts) AS index_price, \
                 CAST((arg_max(mark_price, ts) - arg_max(index_price, ts)) / arg_max(index_price, ts) * 10000 AS DOUBLE) AS basis_bps FROM mark_prices WHERE {} GROUP BY bucket ORDER BY bucket LIMIT {limit}",
                window("mark_prices")
            ),
            Kind::OrderbookHistory => {
                let n = int(args, "snapshots", 20);
                format!(
                    "WITH s AS (SELECT DISTINCT ts_ns FROM orderbook WHERE {pair} ORDER BY ts_ns DESC LIMIT {n}) \
                     SELECT any_value(o.ts) AS ts, max(o.price) FILTER (WHERE o.side = 'buy') AS best_bid, min(o.price) FILTER (WHERE o.side = 'sell') AS best_ask, \
                     CAST((min(o.price) FILTER (WHERE o.side = 'sell') - max(o.price) FILTER (WHERE o.side = 'buy')) / ((min(o.price) FILTER (WHERE o.side = 'sell') + max(o.price) FILTER (WHERE o.side = 'buy')) / 2) * 10000 AS DOUBLE) AS spread_bps, \
                     sum(o.size) FILTER (WHERE o.side = 'buy') AS bid_depth, sum(o.size) FILTER (WHERE o.side = 'sell') AS ask_depth, count(*) AS levels \
                     FROM orderbook o JOIN s USING (ts_ns) WHERE {pair} GROUP BY o.ts_ns ORDER BY o.ts_ns DESC"
                )
            }
        }
    }
}

/// Adds a key to a JSON Schema's `required` list (shared by the tool modules).
pub(crate) trait PipeRequired {
    /// The schema with `key` required.
    fn pipe_required(self, key: &str) -> Self;
}

impl PipeRequired for Value {
    fn pipe_required(mut self, key: &str) -> Self {
        if let Some(Value::Array(r)) = self.get_mut("required") {
            r.push(Value::from(key));
        }
        self
    }
}

impl BuiltinTool for HistoryTool {
    fn descriptor(&self) -> ToolInfo {
        let (name, description, schema) = self.info();
        ToolInfo {
            name: name.to_owned(),
            description: description.to_owned(),
            category: "historical".to_owned(),
            input_schema: schema,
            output_schema: Some(
                json!({"type": "object", "required": ["columns", "rows", "truncated"], "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "array"}},
                "truncated": {"type": "boolean"},
                "sql": {"type": "string"}}}),
            ),
        }
    }

    fn call(&self, args: &Value) -> Result<Value, ToolError> {
        let st = self
            .state
            .get()
            .ok_or_else(|| ToolError::Unavailable("server is starting".into()))?;
        let history = st
            .history
            .as_ref()
            .ok_or_else(|| ToolError::Unavailable("storage is disabled".into()))?;
        let sql = self.sql(args);
        let r = governed_query(history, &sql, 10_000, false)?;
        let mut v = json!(r);
        v["sql"] = Value::from(sql);
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_single_quotes() {
        assert_eq!(quote("a'b"), "'a''b'");
    }

    #[test]
    fn every_tool_has_a_schema_that_names_its_fields() {
        let tools = history_tools(
            Arc::new(OnceLock::new()),
            &["BTCUSDT".into()],
            &["binance".into()],
        );
        assert_eq!(tools.len(), 12);
        for t in tools {
            let d = t.descriptor();
            assert_eq!(d.input_schema["type"], "object", "{}", d.name);
            assert!(d.description.len() > 40, "{}", d.name);
            let err = t.call(&json!({"symbol": "BTCUSDT"})).unwrap_err();
            assert!(
                matches!(err, ToolError::Unavailable(_)),
                "{}: {err}",
                d.name
            );
        }
    }
}
