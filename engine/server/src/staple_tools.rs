//! Order-flow staples as tools, from the stored trades: footprint bars, stacked imbalances,
//! session volume profiles (point of control, value area) and session VWAP/high/low. DuckDB does
//! the bucketing (bounded rows); [`crate::footprint`] does the rest.
//!
//! Trade time is the venue's event time (the receive time when a venue sends none). Windows end
//! at the newest stored trade of the pair, so a database read after the run answers like a live
//! one.

use crate::AppState;
use crate::footprint::{
    Level, SessionHours, nice_step, session_window, stacked_imbalances, value_area,
};
use crate::history_tools::PipeRequired;
use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use orderflow_sink_duckdb::QueryResult;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

const T: &str = "coalesce(nullif(ts_event_ns, 0), ts_recv_ns)";
const MAX_ROWS: usize = 20_000;
const INTERVALS: [(&str, u64); 4] = [("1m", 60), ("5m", 300), ("15m", 900), ("1h", 3600)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Footprint,
    Stacked,
    SessionProfile,
    SessionStats,
}

/// A staple tool bound to the app state (set once the state exists).
#[derive(Debug)]
pub struct StapleTool {
    kind: Kind,
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
    venues: Vec<String>,
    sessions: BTreeMap<String, SessionHours>,
}

/// The default sessions (UTC): Asia 00–09, London 07–16, New York 13–22.
pub fn default_sessions() -> BTreeMap<String, SessionHours> {
    [("asia", 0, 9), ("london", 7, 16), ("new_york", 13, 22)]
        .into_iter()
        .map(|(n, s, e)| {
            (
                n.to_owned(),
                SessionHours {
                    start_utc_h: s,
                    end_utc_h: e,
                },
            )
        })
        .collect()
}

/// Every staple tool.
pub fn staple_tools(
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: &[String],
    venues: &[String],
    sessions: BTreeMap<String, SessionHours>,
) -> Vec<Arc<dyn BuiltinTool>> {
    [
        Kind::Footprint,
        Kind::Stacked,
        Kind::SessionProfile,
        Kind::SessionStats,
    ]
    .into_iter()
    .map(|kind| {
        Arc::new(StapleTool {
            kind,
            state: state.clone(),
            symbols: symbols.to_vec(),
            venues: venues.to_vec(),
            sessions: sessions.clone(),
        }) as Arc<dyn BuiltinTool>
    })
    .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0)
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| num(v) as i64)
}

impl StapleTool {
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
            json!({"type": "string", "enum": self.venues, "default": self.venues.first()}),
        );
        if let Value::Object(m) = extra {
            props.extend(m);
        }
        json!({"type": "object", "additionalProperties": false, "required": ["symbol"], "properties": props})
    }

    fn bar_args() -> Value {
        json!({
            "interval": {"type": "string", "enum": INTERVALS.iter().map(|(n, _)| *n).collect::<Vec<_>>(), "default": "5m"},
            "bars": {"type": "integer", "minimum": 1, "maximum": 100, "default": 6, "description": "bars ending at the newest stored trade"},
            "price_step": {"type": "number", "exclusiveMinimum": 0, "description": "price level width; default: a round step giving about 30 levels over the window's range"},
        })
    }

    fn info(&self) -> (&'static str, &'static str, Value) {
        match self.kind {
            Kind::Footprint => (
                "get_footprint",
                "Footprint bars from stored trades: per bar (1m–1h) the volume at each price level split by aggressor (buy = lifting the ask, sell = hitting the bid), delta, OHLC, point of control, 70 % value area and stacked imbalances.",
                self.schema(Self::bar_args()),
            ),
            Kind::Stacked => (
                "get_stacked_imbalances",
                "Stacked diagonal imbalances per footprint bar: runs of ≥ min_stack consecutive price levels where ask-lifting volume is ≥ ratio × the bid-hitting volume one level below (buy), or bid-hitting ≥ ratio × ask-lifting one level above (sell).",
                self.schema({
                    let mut a = Self::bar_args();
                    if let Some(m) = a.as_object_mut() {
                        m.insert("ratio".into(), json!({"type": "number", "minimum": 1.1, "maximum": 20, "default": 3}));
                        m.insert("min_stack".into(), json!({"type": "integer", "minimum": 2, "maximum": 20, "default": 3}));
                    }
                    a
                }),
            ),
            Kind::SessionProfile => (
                "get_session_volume_profile",
                "Volume profile of a trading session (UTC hours in [sessions] of the configuration) for the developing and the previous session: volume per price level, point of control, value-area high/low (70 % by default), VWAP, high, low.",
                self.schema(json!({
                    "session": {"type": "string", "enum": self.sessions.keys().collect::<Vec<_>>()},
                    "price_step": {"type": "number", "exclusiveMinimum": 0},
                    "value_area_pct": {"type": "number", "minimum": 0.5, "maximum": 0.95, "default": 0.7}
                }))
                .pipe_required("session"),
            ),
            Kind::SessionStats => (
                "get_session_stats",
                "Session VWAP, open, high, low, close, volume, buy/sell volume and trade count of each configured trading session (Asia, London, New York by default; UTC hours) — the current (developing or last closed) and the previous instance.",
                self.schema(json!({})),
            ),
        }
    }

    fn pair(&self, args: &Value) -> Result<(String, String), ToolError> {
        let symbol = args.get("symbol").and_then(Value::as_str).unwrap_or("");
        let venue = args
            .get("venue")
            .and_then(Value::as_str)
            .or(self.venues.first().map(String::as_str))
            .unwrap_or("");
        // Checked against the configured lists, so only known names reach the SQL below.
        if !self.symbols.iter().any(|s| s == symbol) || !self.venues.iter().any(|v| v == venue) {
            return Err(ToolError::InvalidArgs(format!(
                "unknown symbol {symbol:?} or venue {venue:?}"
            )));
        }
        Ok((venue.to_owned(), symbol.to_owned()))
    }

    fn query(st: &AppState, sql: &str) -> Result<QueryResult, ToolError> {
        let h = st
            .history
            .as_ref()
            .ok_or_else(|| ToolError::Unavailable("storage is disabled".into()))?;
        crate::history_tools::governed_query(h, sql, MAX_ROWS, false)
    }

    /// Newest trade time of the pair.
    fn last_trade(st: &AppState, pair: &str) -> Result<u64, ToolError> {
        let r = Self::query(st, &format!("SELECT max({T}) FROM trades WHERE {pair}"))?;
        r.rows
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| ToolError::Unavailable("no stored trades for this pair yet".into()))
    }

    /// Levels per bucket between `from` and `to` (ns), bucket = bar start (or 0 for one
    /// bucket), and whether rows were cut.
    fn levels(
        st: &AppState,
        pair: &str,
        from: u64,
        to: u64,
        bar_ns: Option<u64>,
        step: f64,
    ) -> Result<(BTreeMap<i64, Vec<Level>>, bool), ToolError> {
        let bucket = bar_ns.map_or("0".to_owned(), |b| format!("({T} // {b}) * {b}"));
        let r = Self::query(
            st,
            &format!(
                "SELECT {bucket} AS bar, CAST(floor(CAST(price AS DOUBLE) / {step}) AS BIGINT) AS lvl, \
                 coalesce(sum(CAST(size AS DOUBLE)) FILTER (WHERE side = 'buy'), 0) AS buy, \
                 coalesce(sum(CAST(size AS DOUBLE)) FILTER (WHERE side = 'sell'), 0) AS sell \
                 FROM trades WHERE {pair} AND {T} >= {from} AND {T} < {to} GROUP BY ALL HAVING count(*) > 0 ORDER BY bar, lvl"
            ),
        )?;
        let mut sparse: BTreeMap<i64, BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
        for row in &r.rows {
            if let [bar, lvl, buy, sell] = row.as_slice() {
                sparse
                    .entry(int(bar))
                    .or_default()
                    .insert(int(lvl), (num(buy), num(sell)));
            }
        }
        // Contiguous, zero-filled levels (what the diagonal comparison needs).
        let out = sparse
            .into_iter()
            .map(|(bar, lv)| {
                let (lo, hi) = (
                    lv.keys().next().copied().unwrap_or(0),
                    lv.keys().last().copied().unwrap_or(0),
                );
                let levels = (lo..=hi)
                    .map(|i| {
                        let (buy, sell) = lv.get(&i).copied().unwrap_or((0.0, 0.0));
                        Level {
                            price: i as f64 * step,
                            buy,
                            sell,
                        }
                    })
                    .collect();
                (bar, levels)
            })
            .collect();
        Ok((out, r.truncated))
    }

    /// OHLC, VWAP and counts per bucket.
    fn stats(
        st: &AppState,
        pair: &str,
        from: u64,
        to: u64,
        bar_ns: Option<u64>,
    ) -> Result<BTreeMap<i64, Value>, ToolError> {
        let bucket = bar_ns.map_or("0".to_owned(), |b| format!("({T} // {b}) * {b}"));
        let r = Self::query(
            st,
            &format!(
                "SELECT {bucket} AS bar, arg_min(CAST(price AS DOUBLE), {T}) AS open, max(CAST(price AS DOUBLE)) AS high, \
                 min(CAST(price AS DOUBLE)) AS low, arg_max(CAST(price AS DOUBLE), {T}) AS close, \
                 sum(CAST(price AS DOUBLE) * CAST(size AS DOUBLE)) / sum(CAST(size AS DOUBLE)) AS vwap, \
                 sum(CAST(size AS DOUBLE)) AS volume, \
                 coalesce(sum(CAST(size AS DOUBLE)) FILTER (WHERE side = 'buy'), 0) AS buy_volume, \
                 coalesce(sum(CAST(size AS DOUBLE)) FILTER (WHERE side = 'sell'), 0) AS sell_volume, count(*) AS trades \
                 FROM trades WHERE {pair} AND {T} >= {from} AND {T} < {to} GROUP BY ALL HAVING count(*) > 0 ORDER BY bar"
            ),
        )?;
        let mut out = BTreeMap::new();
        for row in &r.rows {
            let mut m = Map::new();
            for (c, v) in r.columns.iter().zip(row).skip(1) {
                m.insert(c.clone(), v.clone());
            }
            if let Some(bar) = row.first() {
                out.insert(int(bar), Value::Object(m));
            }
        }
        Ok(out)
    }

    fn step(st: &AppState, pair: &str, from: u64, to: u64, args: &Value) -> Result<f64, ToolError> {
        if let Some(s) = args.get("price_step").and_then(Value::as_f64) {
            if !(s.is_finite() && s > 0.0) {
                return Err(ToolError::InvalidArgs("price_step must be > 0".into()));
            }
            return Ok(s);
        }
        let r = Self::query(
            st,
            &format!(
                "SELECT max(CAST(price AS DOUBLE)) - min(CAST(price AS DOUBLE)), max(CAST(price AS DOUBLE)) FROM trades \
                 WHERE {pair} AND {T} >= {from} AND {T} < {to}"
            ),
        )?;
        let (range, top) = r
            .rows
            .first()
            .map_or((0.0, 0.0), |row| (num(&row[0]), num(&row[1])));
        // About 30 levels over the range; at least 1e-6 of the price so a flat window stays small.
        Ok(nice_step((range / 30.0).max(top * 1e-6)))
    }

    fn bars(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (venue, symbol) = self.pair(args)?;
        let pair = format!("venue = '{venue}' AND symbol = '{symbol}'");
        let iv_name = args.get("interval").and_then(Value::as_str).unwrap_or("5m");
        let iv = INTERVALS
            .iter()
            .find(|(n, _)| *n == iv_name)
            .map(|(_, s)| *s)
            .ok_or_else(|| ToolError::InvalidArgs(format!("unknown interval {iv_name:?}")))?;
        let n = args
            .get("bars")
            .and_then(Value::as_u64)
            .unwrap_or(6)
            .clamp(1, 100);
        let bar_ns = iv * 1_000_000_000;
        let last = Self::last_trade(st, &pair)?;
        let to = last - last % bar_ns + bar_ns;
        let from = to.saturating_sub(n * bar_ns);
        let step = Self::step(st, &pair, from, to, args)?;
        let (levels, truncated) = Self::levels(st, &pair, from, to, Some(bar_ns), step)?;
        let stats = Self::stats(st, &pair, from, to, Some(bar_ns))?;
        let ratio = args.get("ratio").and_then(Value::as_f64).unwrap_or(3.0);
        let min_stack = args
            .get("min_stack")
            .and_then(Value::as_u64)
            .map_or(3, |v| usize::try_from(v).unwrap_or(3));
        let bars: Vec<Value> = levels
            .iter()
            .map(|(bar, lv)| {
                let stacks = stacked_imbalances(lv, ratio, min_stack, 1e-12);
                let mut b = json!({"start_ns": bar, "stacked_imbalances": stacks});
                if self.kind == Kind::Footprint {
                    let (buy, sell) = lv.iter().fold((0.0, 0.0), |(b, s), l| (b + l.buy, s + l.sell));
                    b["ohlc"] = stats.get(bar).cloned().unwrap_or(Value::Null);
                    b["buy_volume"] = json!(buy);
                    b["sell_volume"] = json!(sell);
                    b["delta"] = json!(buy - sell);
                    b["value_area"] = json!(value_area(lv, 0.7));
                    b["levels"] = json!(lv
                        .iter()
                        .filter(|l| l.volume() > 0.0)
                        .map(|l| json!({"price": l.price, "buy": l.buy, "sell": l.sell, "delta": l.buy - l.sell}))
                        .collect::<Vec<_>>());
                }
                b
            })
            .collect();
        Ok(
            json!({"symbol": symbol, "venue": venue, "interval": iv_name, "price_step": step,
                  "ratio": ratio, "min_stack": min_stack, "truncated": truncated,
                  "count": bars.len(), "bars": bars}),
        )
    }

    fn session_profile(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (venue, symbol) = self.pair(args)?;
        let pair = format!("venue = '{venue}' AND symbol = '{symbol}'");
        let name = args.get("session").and_then(Value::as_str).unwrap_or("");
        let hours = *self
            .sessions
            .get(name)
            .ok_or_else(|| ToolError::InvalidArgs(format!("unknown session {name:?}")))?;
        let share = args
            .get("value_area_pct")
            .and_then(Value::as_f64)
            .unwrap_or(0.7);
        let last = Self::last_trade(st, &pair)?;
        let mut out = Vec::new();
        for (label, back) in [("current", 0), ("previous", 1)] {
            let (from, to) = session_window(hours, last, back);
            let step = Self::step(st, &pair, from, to, args)?;
            let (levels, truncated) = Self::levels(st, &pair, from, to, None, step)?;
            let stats = Self::stats(st, &pair, from, to, None)?;
            let lv = levels.get(&0).cloned().unwrap_or_default();
            out.push(json!({
                "instance": label,
                "status": if last < to { "developing" } else { "closed" },
                "start_ns": from, "end_ns": to, "price_step": step, "truncated": truncated,
                "stats": stats.get(&0),
                "value_area_pct": share,
                "profile": value_area(&lv, share),
                "levels": lv.iter().filter(|l| l.volume() > 0.0).collect::<Vec<_>>(),
            }));
        }
        Ok(
            json!({"symbol": symbol, "venue": venue, "session": name, "hours_utc": hours, "sessions": out}),
        )
    }

    fn session_stats(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let (venue, symbol) = self.pair(args)?;
        let pair = format!("venue = '{venue}' AND symbol = '{symbol}'");
        let last = Self::last_trade(st, &pair)?;
        let mut out = Vec::new();
        for (name, hours) in &self.sessions {
            for (label, back) in [("current", 0), ("previous", 1)] {
                let (from, to) = session_window(*hours, last, back);
                let stats = Self::stats(st, &pair, from, to, None)?;
                out.push(json!({
                    "session": name, "instance": label, "hours_utc": hours,
                    "status": if last < to { "developing" } else { "closed" },
                    "start_ns": from, "end_ns": to,
                    "stats": stats.get(&0),
                }));
            }
        }
        Ok(json!({"symbol": symbol, "venue": venue, "as_of_ns": last, "sessions": out}))
    }
}

impl BuiltinTool for StapleTool {
    fn descriptor(&self) -> ToolInfo {
        let (name, description, schema) = self.info();
        ToolInfo {
            name: name.to_owned(),
            description: description.to_owned(),
            category: "orderflow".to_owned(),
            input_schema: schema,
            output_schema: None,
        }
    }

    fn call(&self, args: &Value) -> Result<Value, ToolError> {
        let st = self.state()?;
        match self.kind {
            Kind::Footprint | Kind::Stacked => self.bars(st, args),
            Kind::SessionProfile => self.session_profile(st, args),
            Kind::SessionStats => self.session_stats(st, args),
        }
    }
}
