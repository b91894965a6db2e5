//! Series from the DuckDB history for analytic plugins (the SDK's `series` op beyond memory):
//! bars from the `trades` table, mid prices and any feature from the `features` table, bucketed
//! in SQL so that only the returned points leave the database.

use crate::AppState;
use orderflow_plugin_host::series::{Bar, HistorySeries, bar_series, point_series};
use orderflow_sink_duckdb::History;
use orderflow_tool_sdk::{ErrorKind, SdkError, Series, SeriesKind, SeriesRequest};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Reads series from the server's [`History`], when storage is on, or from a given database
/// (`orderflow forecast --data`).
#[derive(Debug, Clone)]
pub struct StoredSeries {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    State(Arc<OnceLock<Arc<AppState>>>),
    History(History),
}

impl StoredSeries {
    /// A reader over the state that will be set once the server starts.
    pub fn new(state: Arc<OnceLock<Arc<AppState>>>) -> Self {
        Self {
            source: Source::State(state),
        }
    }

    /// A reader over one database.
    pub fn from_history(history: History) -> Self {
        Self {
            source: Source::History(history),
        }
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

impl HistorySeries for StoredSeries {
    fn series(&self, req: &SeriesRequest) -> Result<Option<Series>, SdkError> {
        let history = match &self.source {
            Source::State(s) => s.get().and_then(|s| s.history.as_ref()),
            Source::History(h) => Some(h),
        };
        let Some(history) = history else {
            return Ok(None);
        };
        let interval = req.interval_s.max(1);
        let ns = interval.saturating_mul(1_000_000_000);
        let limit = req
            .limit
            .clamp(1, orderflow_plugin_host::series::MAX_POINTS)
            + 1;
        let pair = format!(
            "venue = {} AND symbol = {}",
            quote(&req.venue),
            quote(&req.symbol)
        );
        let storage = |e: orderflow_sink_duckdb::SinkError| {
            SdkError::new(ErrorKind::Unavailable, format!("history: {e}"))
        };
        match req.kind {
            SeriesKind::Bars => {
                let sql = format!(
                    "SELECT ts_event_ns // {ns} * {interval} AS b, \
                     arg_min(price, ts_event_ns)::DOUBLE, max(price)::DOUBLE, min(price)::DOUBLE, \
                     arg_max(price, ts_event_ns)::DOUBLE, sum(size)::DOUBLE, \
                     coalesce(sum(size) FILTER (WHERE side = 'buy'), 0)::DOUBLE, \
                     sum(price::DOUBLE * size::DOUBLE), count(*) \
                     FROM trades WHERE {pair} GROUP BY b ORDER BY b DESC LIMIT {limit}"
                );
                let rows = history.query(&sql, limit).map_err(storage)?.rows;
                let mut bars: Vec<Bar> = rows
                    .iter()
                    .filter(|r| r.len() == 9)
                    .map(|r| Bar {
                        start_s: r[0].as_u64().unwrap_or(0),
                        open: num(&r[1]),
                        high: num(&r[2]),
                        low: num(&r[3]),
                        close: num(&r[4]),
                        volume: num(&r[5]),
                        buy_volume: num(&r[6]),
                        notional: num(&r[7]),
                        trades: r[8].as_u64().unwrap_or(0),
                    })
                    .collect();
                bars.reverse();
                bar_series(req, &bars, "duckdb").map(Some)
            }
            SeriesKind::Mid | SeriesKind::Feature => {
                let feature = if req.kind == SeriesKind::Mid {
                    "mid_price"
                } else {
                    req.field.as_str()
                };
                if orderflow_dataflow::catalogue::by_name(feature).is_none() {
                    return Err(SdkError::invalid_args(format!(
                        "unknown feature {feature:?} (see list_features)"
                    )));
                }
                let sql = format!(
                    "SELECT ts_ns // {ns} * {interval} AS b, arg_max(value, ts_ns) \
                     FROM features WHERE {pair} AND feature = {} \
                     GROUP BY b ORDER BY b DESC LIMIT {limit}",
                    quote(feature)
                );
                let rows = history.query(&sql, limit).map_err(storage)?.rows;
                let mut points: Vec<(u64, f64)> = rows
                    .iter()
                    .filter(|r| r.len() == 2)
                    .map(|r| (r[0].as_u64().unwrap_or(0), num(&r[1])))
                    .collect();
                points.reverse();
                Ok(Some(point_series(req, &points, "duckdb")))
            }
        }
    }
}
