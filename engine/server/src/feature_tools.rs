//! The seed's per-stream feature tools that are more than a feature-group listing: CVD
//! analysis, wall detection, whale detection, leverage risk, the liquidity heatmap and the CSV
//! export of stored features. Live values come from the engine's features and the live book;
//! windows over the past from DuckDB (ending at the newest stored row of the pair).

use crate::AppState;
use orderflow_dataflow::{CATALOGUE, FeatureId};
use orderflow_model::InstrumentId;
use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use orderflow_sink_duckdb::QueryResult;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

const MAX_ROWS: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Cvd,
    Walls,
    Whales,
    Leverage,
    Heatmap,
    ExportCsv,
}

/// A feature tool bound to the app state (set once the state exists).
#[derive(Debug)]
pub struct FeatureTool {
    kind: Kind,
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
    venues: Vec<String>,
}

/// Every tool of this module.
pub fn feature_tools(
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: &[String],
    venues: &[String],
) -> Vec<Arc<dyn BuiltinTool>> {
    [
        Kind::Cvd,
        Kind::Walls,
        Kind::Whales,
        Kind::Leverage,
        Kind::Heatmap,
        Kind::ExportCsv,
    ]
    .into_iter()
    .map(|kind| {
        Arc::new(FeatureTool {
            kind,
            state: state.clone(),
            symbols: symbols.to_vec(),
            venues: venues.to_vec(),
        }) as Arc<dyn BuiltinTool>
    })
    .collect()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn sign(x: f64) -> i32 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

fn id(name: &str) -> Option<FeatureId> {
    CATALOGUE.iter().find(|d| d.name == name).map(|d| d.id)
}

impl FeatureTool {
    fn state(&self) -> Result<&Arc<AppState>, ToolError> {
        self.state
            .get()
            .ok_or_else(|| ToolError::Unavailable("server is starting".into()))
    }

    fn schema(&self, extra: Value) -> Value {
        let mut props = Map::new();
        props.insert(
            "symbol".into(),
            json!({"type": "string", "enum": self.symbols}),
        );
        props.insert(
            "venue".into(),
            json!({"type": "string", "enum": self.venues, "description": "venue id; default: the first venue listing the symbol"}),
        );
        if let Value::Object(m) = extra {
            props.extend(m);
        }
        json!({"type": "object", "additionalProperties": false, "required": ["symbol"], "properties": props})
    }

    fn info(&self) -> (&'static str, &'static str, &'static str, Value) {
        let minutes =
            |d: u64| json!({"type": "integer", "minimum": 1, "maximum": 1440, "default": d});
        match self.kind {
            Kind::Cvd => (
                "get_cvd_analysis",
                "features",
                "Cumulative volume delta of a pair: live CVD and net flow per window (10s–1h) with price-flow divergence per window, and from the stored features the CVD slope (base/s) over the last 15 minutes and its acceleration (last 5 minutes' slope minus the 5 before).",
                self.schema(json!({})),
            ),
            Kind::Walls => (
                "get_wall_detection",
                "features",
                "Order-book walls of a pair from the live book: every level among the best `depth` whose size is ≥ `multiple` × the mean level size of its side, with its distance from the mid (bps) and notional; plus the engine's wall, support and resistance features.",
                self.schema(json!({
                    "depth": {"type": "integer", "minimum": 5, "maximum": 200, "default": 50},
                    "multiple": {"type": "number", "minimum": 1.5, "maximum": 50, "default": 3}})),
            ),
            Kind::Whales => (
                "get_whale_detection",
                "features",
                "Whale trades of a pair from the stored trades over the last N minutes: trades whose notional is at least `min_notional` (default: the window's 99th percentile of notional), their count, buy/sell split, average size, net direction and the largest ones.",
                self.schema(json!({
                    "minutes": minutes(60),
                    "min_notional": {"type": "number", "exclusiveMinimum": 0},
                    "top": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}})),
            ),
            Kind::Leverage => (
                "get_leverage_risk",
                "features",
                "Leverage risk of a perpetual: open interest (base and notional) and its changes, OI relative to an hour of turnover (leverage_index), funding on an 8-hour and annual basis, mark-index basis, recent liquidations, and the liquidation-cascade-risk signal with its components.",
                self.schema(json!({})),
            ),
            Kind::Heatmap => (
                "get_liquidity_heatmap",
                "features",
                "Liquidity heatmap of a pair from the stored order-book snapshots: resting size per (time bucket, price level) over the last N minutes, bid and ask apart — where liquidity sat and moved.",
                self.schema(json!({
                    "minutes": minutes(15),
                    "interval": {"type": "string", "enum": ["10s", "1m", "5m"], "default": "1m"},
                    "price_step": {"type": "number", "exclusiveMinimum": 0, "description": "price level width; default: a round step giving about 40 levels"}})),
            ),
            Kind::ExportCsv => (
                "export_features_csv",
                "historical",
                "Stored feature snapshots of a pair as CSV text (ts_ns, feature, value; long format) over the last N minutes, optionally only some features; at most `max_rows` rows (the CSV says when it was cut).",
                self.schema(json!({
                    "minutes": minutes(10),
                    "features": {"type": "array", "items": {"type": "string", "enum": CATALOGUE.iter().map(|d| d.name).collect::<Vec<_>>()}, "maxItems": 200},
                    "max_rows": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 10000}})),
            ),
        }
    }

    fn inst(
        &self,
        st: &AppState,
        args: &Value,
    ) -> Result<(InstrumentId, String, String), ToolError> {
        let symbol = args.get("symbol").and_then(Value::as_str).unwrap_or("");
        let inst = match args.get("venue").and_then(Value::as_str) {
            Some(v) => st.universe.find(v, symbol),
            None => st
                .universe
                .iter()
                .find(|i| i.symbol == symbol)
                .map(|i| i.id),
        }
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!("{symbol} is not configured on that venue"))
        })?;
        let i = st
            .universe
            .get(inst)
            .ok_or_else(|| ToolError::InvalidArgs(symbol.to_owned()))?;
        Ok((inst, i.venue.clone(), i.symbol.clone()))
    }

    fn query(st: &AppState, sql: &str, max: usize) -> Result<QueryResult, ToolError> {
        let h = st
            .history
            .as_ref()
            .ok_or_else(|| ToolError::Unavailable("storage is disabled".into()))?;
        crate::history_tools::governed_query(h, sql, max, false)
    }

    fn features(st: &AppState, inst: InstrumentId) -> BTreeMap<FeatureId, f64> {
        st.features.get(inst).map(|f| f.values).unwrap_or_default()
    }

    fn cvd(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (inst, venue, symbol) = self.inst(st, args)?;
        let f = Self::features(st, inst);
        let get = |n: &str| id(n).and_then(|i| f.get(&i).copied());
        let windows: Vec<Value> = ["10s", "1m", "5m", "15m", "1h"]
            .iter()
            .map(|w| {
                let flow = get(&format!("net_flow_{w}"));
                let ret = get(&format!("return_bps_{w}"));
                let divergence = match (flow, ret) {
                    (Some(fl), Some(r)) if sign(fl) != 0 && sign(r) != 0 && sign(fl) != sign(r) => {
                        if fl > 0.0 {
                            "bullish (net buying while price fell: sells absorbed)"
                        } else {
                            "bearish (net selling while price rose: buys absorbed)"
                        }
                    }
                    (Some(_), Some(_)) => "none",
                    _ => "unknown",
                };
                json!({"window": w, "net_flow": flow, "return_bps": ret,
                       "aggressive_ratio": get(&format!("aggressive_ratio_{w}")), "divergence": divergence})
            })
            .collect();
        let mut out =
            json!({"symbol": symbol, "venue": venue, "cvd": get("cvd"), "windows": windows});
        if st.history.is_some() {
            let sql = format!(
                "WITH c AS (SELECT ts_ns, value FROM features WHERE venue = '{venue}' AND symbol = '{symbol}' AND feature = 'cvd'), \
                 l AS (SELECT max(ts_ns) AS last FROM c) \
                 SELECT regr_slope(value, ts_ns / 1e9) FILTER (WHERE ts_ns > last - 900e9), \
                        regr_slope(value, ts_ns / 1e9) FILTER (WHERE ts_ns > last - 300e9), \
                        regr_slope(value, ts_ns / 1e9) FILTER (WHERE ts_ns > last - 600e9 AND ts_ns <= last - 300e9), \
                        count(*) FILTER (WHERE ts_ns > last - 900e9) FROM c, l"
            );
            let r = Self::query(st, &sql, 1)?;
            if let Some(row) = r.rows.first() {
                let s15 = row.first().and_then(num);
                let (s5, sp) = (row.get(1).and_then(num), row.get(2).and_then(num));
                out["cvd_slope_15m_per_s"] = json!(s15);
                out["cvd_slope_5m_per_s"] = json!(s5);
                out["cvd_acceleration"] = json!(s5.zip(sp).map(|(a, b)| a - b));
                out["snapshots_15m"] = row.get(3).cloned().unwrap_or(Value::Null);
            }
        }
        Ok(out)
    }

    fn walls(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (inst, venue, symbol) = self.inst(st, args)?;
        let depth = args
            .get("depth")
            .and_then(Value::as_u64)
            .unwrap_or(50)
            .clamp(5, 200);
        let multiple = args.get("multiple").and_then(Value::as_f64).unwrap_or(3.0);
        let (_, recv, bids, asks) = st
            .live
            .book_top(inst, usize::try_from(depth).unwrap_or(50))
            .ok_or_else(|| {
                ToolError::Unavailable(format!("no book for {symbol} on {venue} yet"))
            })?;
        let mid = match (bids.first(), asks.first()) {
            (Some(b), Some(a)) => (b.0.to_f64() + a.0.to_f64()) / 2.0,
            _ => {
                return Err(ToolError::Unavailable(
                    "one side of the book is empty".into(),
                ));
            }
        };
        let side = |levels: &[(orderflow_model::Fixed, orderflow_model::Fixed)], name: &str| {
            let sizes: Vec<f64> = levels.iter().map(|l| l.1.to_f64()).collect();
            let mean = sizes.iter().sum::<f64>() / sizes.len().max(1) as f64;
            let walls: Vec<Value> = levels
                .iter()
                .filter(|l| mean > 0.0 && l.1.to_f64() >= multiple * mean)
                .map(|l| {
                    let (p, s) = (l.0.to_f64(), l.1.to_f64());
                    json!({"price": p, "size": s, "notional": p * s, "size_vs_mean": s / mean,
                           "distance_bps": 1e4 * (p - mid).abs() / mid})
                })
                .collect();
            json!({"side": name, "levels": levels.len(), "mean_size": mean, "walls": walls})
        };
        let f = Self::features(st, inst);
        let get = |n: &str| id(n).and_then(|i| f.get(&i).copied());
        Ok(
            json!({"symbol": symbol, "venue": venue, "book_recv_ns": recv, "mid": mid, "multiple": multiple,
                  "bids": side(&bids, "bid"), "asks": side(&asks, "ask"),
                  "features": {"bid_wall_price": get("bid_wall_price"), "bid_wall_size": get("bid_wall_size"),
                               "ask_wall_price": get("ask_wall_price"), "ask_wall_size": get("ask_wall_size"),
                               "support_strength": get("support_strength"), "resistance_strength": get("resistance_strength")}}),
        )
    }

    fn whales(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (_, venue, symbol) = self.inst(st, args)?;
        let minutes = args
            .get("minutes")
            .and_then(Value::as_u64)
            .unwrap_or(60)
            .clamp(1, 1440);
        let top = args
            .get("top")
            .and_then(Value::as_u64)
            .unwrap_or(10)
            .clamp(1, 100);
        let threshold = match args.get("min_notional").and_then(Value::as_f64) {
            Some(x) if x.is_finite() && x > 0.0 => format!("{x}"),
            Some(_) => return Err(ToolError::InvalidArgs("min_notional must be > 0".into())),
            None => "(SELECT quantile_cont(n, 0.99) FROM w)".to_owned(),
        };
        let base = format!(
            "WITH l AS (SELECT max(ts_recv_ns) AS last FROM trades WHERE venue = '{venue}' AND symbol = '{symbol}'), \
             w AS (SELECT ts_recv_ns, CAST(price AS DOUBLE) AS p, CAST(size AS DOUBLE) AS s, CAST(price AS DOUBLE) * CAST(size AS DOUBLE) AS n, side \
                   FROM trades, l WHERE venue = '{venue}' AND symbol = '{symbol}' AND ts_recv_ns > l.last - {win}), \
             t AS (SELECT {threshold} AS threshold), \
             big AS (SELECT w.* FROM w, t WHERE n >= t.threshold)",
            win = minutes * 60_000_000_000
        );
        let summary = Self::query(
            st,
            &format!(
                "{base} SELECT (SELECT threshold FROM t), (SELECT count(*) FROM w), count(*), \
                 count(*) FILTER (WHERE side = 'buy'), count(*) FILTER (WHERE side = 'sell'), \
                 coalesce(sum(s) FILTER (WHERE side = 'buy'), 0), coalesce(sum(s) FILTER (WHERE side = 'sell'), 0), avg(s), sum(n) FROM big"
            ),
            1,
        )?;
        let row = summary.rows.first().cloned().unwrap_or_default();
        let g = |i: usize| row.get(i).and_then(num);
        let (buy, sell) = (g(5).unwrap_or(0.0), g(6).unwrap_or(0.0));
        let largest = Self::query(
            st,
            &format!(
                "{base} SELECT ts_recv_ns, p AS price, s AS size, n AS notional, side FROM big ORDER BY n DESC LIMIT {top}"
            ),
            usize::try_from(top).unwrap_or(10),
        )?;
        Ok(json!({"symbol": symbol, "venue": venue, "minutes": minutes,
                  "threshold_notional": g(0), "trades_in_window": g(1), "whale_trades": g(2),
                  "whale_buys": g(3), "whale_sells": g(4), "whale_buy_volume": buy, "whale_sell_volume": sell,
                  "whale_avg_size": g(7), "whale_notional": g(8),
                  "direction": if buy + sell > 0.0 { (buy - sell) / (buy + sell) } else { 0.0 },
                  "largest": largest}))
    }

    fn leverage(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (inst, venue, symbol) = self.inst(st, args)?;
        let f = Self::features(st, inst);
        let get = |n: &str| id(n).and_then(|i| f.get(&i).copied());
        let turnover = get("volume_1h").zip(get("vwap_1h")).map(|(v, p)| v * p);
        let leverage_index = get("oi_notional")
            .zip(turnover)
            .filter(|(_, t)| *t > 0.0)
            .map(|(oi, t)| oi / t);
        let cascade = orderflow_signals::compute(&f)
            .into_iter()
            .find(|s| s.name == "liquidation_cascade_risk");
        Ok(json!({"symbol": symbol, "venue": venue,
            "open_interest": get("open_interest"), "oi_notional": get("oi_notional"),
            "oi_delta_pct_5m": get("oi_delta_pct_5m"), "oi_delta_pct_15m": get("oi_delta_pct_15m"), "oi_delta_pct_1h": get("oi_delta_pct_1h"),
            "leverage_index": leverage_index,
            "leverage_index_definition": "oi_notional / (volume_1h · vwap_1h): open interest in hours of turnover",
            "funding_rate_8h": get("funding_rate_8h"), "funding_rate_annualized": get("funding_rate_annualized"),
            "mark_index_basis_bps": get("mark_index_basis_bps"),
            "long_liquidation_value_5m": get("long_liquidation_value_5m"), "short_liquidation_value_5m": get("short_liquidation_value_5m"),
            "liquidation_cascade_risk": cascade}))
    }

    fn heatmap(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (_, venue, symbol) = self.inst(st, args)?;
        let minutes = args
            .get("minutes")
            .and_then(Value::as_u64)
            .unwrap_or(15)
            .clamp(1, 1440);
        let iv = match args.get("interval").and_then(Value::as_str).unwrap_or("1m") {
            "10s" => 10u64,
            "5m" => 300,
            _ => 60,
        };
        let pair = format!("venue = '{venue}' AND symbol = '{symbol}'");
        let win = format!(
            "ts_ns > (SELECT max(ts_ns) FROM orderbook WHERE {pair}) - {}",
            minutes * 60_000_000_000
        );
        let step = match args.get("price_step").and_then(Value::as_f64) {
            Some(s) if s.is_finite() && s > 0.0 => s,
            Some(_) => return Err(ToolError::InvalidArgs("price_step must be > 0".into())),
            None => {
                let r = Self::query(
                    st,
                    &format!(
                        "SELECT max(CAST(price AS DOUBLE)) - min(CAST(price AS DOUBLE)), max(CAST(price AS DOUBLE)) FROM orderbook WHERE {pair} AND {win}"
                    ),
                    1,
                )?;
                let row = r.rows.first().cloned().unwrap_or_default();
                let (range, top) = (
                    row.first().and_then(num).unwrap_or(0.0),
                    row.get(1).and_then(num).unwrap_or(0.0),
                );
                crate::footprint::nice_step((range / 40.0).max(top * 1e-6))
            }
        };
        // Mean resting size per level over the snapshots of each time bucket.
        let r = Self::query(
            st,
            &format!(
                "WITH s AS (SELECT ts_ns // {b} * {b} AS bucket, ts_ns, side, floor(CAST(price AS DOUBLE) / {step}) * {step} AS level, sum(CAST(size AS DOUBLE)) AS size \
                 FROM orderbook WHERE {pair} AND {win} GROUP BY ALL), \
                 n AS (SELECT bucket, count(DISTINCT ts_ns) AS snaps FROM s GROUP BY bucket) \
                 SELECT bucket, side, level, sum(size) / any_value(snaps) AS mean_size FROM s JOIN n USING (bucket) GROUP BY bucket, side, level ORDER BY bucket, side, level",
                b = iv * 1_000_000_000
            ),
            MAX_ROWS,
        )?;
        Ok(
            json!({"symbol": symbol, "venue": venue, "minutes": minutes, "interval_s": iv, "price_step": step,
                  "columns": r.columns, "cells": r.rows.len(), "truncated": r.truncated, "rows": r.rows,
                  "definition": "mean size resting at each price level (level = floor(price / step) · step) over the stored snapshots of the bucket (orderbook table: the best storage.orderbook_levels per side)"}),
        )
    }

    fn export_csv(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (_, venue, symbol) = self.inst(st, args)?;
        let minutes = args
            .get("minutes")
            .and_then(Value::as_u64)
            .unwrap_or(10)
            .clamp(1, 1440);
        let max_rows = args
            .get("max_rows")
            .and_then(Value::as_u64)
            .map_or(10_000, |v| usize::try_from(v).unwrap_or(10_000))
            .clamp(1, 100_000);
        let mut filter = String::new();
        if let Some(list) = args.get("features").and_then(Value::as_array) {
            let mut names = Vec::new();
            for n in list {
                let n = n.as_str().unwrap_or("");
                // Only catalogue names reach the SQL.
                if id(n).is_none() {
                    return Err(ToolError::InvalidArgs(format!("unknown feature {n:?}")));
                }
                names.push(format!("'{n}'"));
            }
            if !names.is_empty() {
                filter = format!(" AND feature IN ({})", names.join(", "));
            }
        }
        let pair = format!("venue = '{venue}' AND symbol = '{symbol}'");
        let r = Self::query(
            st,
            &format!(
                "SELECT ts_ns, feature, value FROM features WHERE {pair}{filter} \
                 AND ts_ns > (SELECT max(ts_ns) FROM features WHERE {pair}) - {} ORDER BY ts_ns, feature",
                minutes * 60_000_000_000
            ),
            max_rows,
        )?;
        let mut csv = String::from("ts_ns,venue,symbol,feature,value\n");
        for row in &r.rows {
            let cell = |i: usize| match row.get(i) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            };
            csv.push_str(&format!(
                "{},{venue},{symbol},{},{}\n",
                cell(0),
                cell(1),
                cell(2)
            ));
        }
        Ok(
            json!({"symbol": symbol, "venue": venue, "rows": r.rows.len(), "truncated": r.truncated,
                  "content_type": "text/csv", "csv": csv}),
        )
    }
}

impl BuiltinTool for FeatureTool {
    fn descriptor(&self) -> ToolInfo {
        let (name, category, description, schema) = self.info();
        ToolInfo {
            name: name.to_owned(),
            description: description.to_owned(),
            category: category.to_owned(),
            input_schema: schema,
            output_schema: None,
        }
    }

    fn call(&self, args: &Value) -> Result<Value, ToolError> {
        let st = self.state()?;
        match self.kind {
            Kind::Cvd => self.cvd(st, args),
            Kind::Walls => self.walls(st, args),
            Kind::Whales => self.whales(st, args),
            Kind::Leverage => self.leverage(st, args),
            Kind::Heatmap => self.heatmap(st, args),
            Kind::ExportCsv => self.export_csv(st, args),
        }
    }
}
