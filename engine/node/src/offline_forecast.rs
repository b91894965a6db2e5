//! `orderflow forecast`: forecasts and backtests of an offline series — a CSV column, or a
//! stored pair's bars from a stopped database — through the same forecasting plugin the server
//! loads (`forecast_stats`), with the series passed inline.

use abi_stable::std_types::{RResult, RStr, RString};
use anyhow::{Context, anyhow, bail};
use chrono::{NaiveDate, NaiveDateTime};
use orderflow_plugin_host::loader::LoadedPlugin;
use orderflow_plugin_host::series::HistorySeries;
use orderflow_tool_sdk::{ErrorKind, HostView, SdkError, SeriesKind, SeriesRequest, ToolStep};
use serde_json::{Value, json};
use std::path::Path;

/// The plugin the command uses.
pub const PLUGIN: &str = "forecast_stats";

/// A series read from a file or a database: timestamps (Unix ms) and values, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineSeries {
    /// Unix ms per value (None when the file has no time column).
    pub ts_ms: Option<Vec<i64>>,
    /// Values.
    pub values: Vec<f64>,
    /// Spacing, s (the most common gap, or 3600 when unknown).
    pub interval_s: u64,
}

impl OfflineSeries {
    /// The most recent `n` points.
    #[must_use]
    pub fn last(mut self, n: usize) -> Self {
        let from = self.values.len().saturating_sub(n);
        self.values.drain(..from);
        if let Some(ts) = &mut self.ts_ms {
            ts.drain(..from);
        }
        self
    }
}

fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        // Unix seconds or ms.
        return Some(if n > 100_000_000_000 { n } else { n * 1_000 });
    }
    const FORMATS: [&str; 5] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %I:%M %p",
    ];
    // 12-hour stamps without minutes ("2019-10-17 09-AM", CryptoDataDownload's format).
    let twelve = s
        .strip_suffix("-AM")
        .map(|h| (h, "AM"))
        .or_else(|| s.strip_suffix("-PM").map(|h| (h, "PM")));
    let rewritten = twelve.map(|(h, ampm)| format!("{h}:00 {ampm}"));
    let s = rewritten.as_deref().unwrap_or(s);
    for f in FORMATS {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Reads `column` of a CSV file. Lines before the header (a banner) are skipped: the header is
/// the first line that has `column` as a field. A time column (`date`, `time`, `timestamp`,
/// `datetime`, `ts`, `unix`) orders the rows (files in descending time are common); rows whose
/// value does not parse are counted and skipped.
///
/// # Errors
/// Unreadable file, no header with the column, no usable row.
pub fn read_csv(path: &Path, column: &str) -> anyhow::Result<(OfflineSeries, usize)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut rows: Vec<(Option<i64>, f64)> = Vec::new();
    let mut skipped = 0usize;
    let (mut vcol, mut tcol) = (0usize, None);
    for rec in rdr.records() {
        let rec = rec.context("reading a CSV record")?;
        match &header {
            None => {
                let fields: Vec<String> =
                    rec.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
                if let Some(i) = fields
                    .iter()
                    .position(|f| f == &column.to_ascii_lowercase())
                {
                    vcol = i;
                    tcol = fields.iter().position(|f| {
                        matches!(
                            f.as_str(),
                            "date" | "time" | "timestamp" | "datetime" | "ts" | "unix"
                        )
                    });
                    header = Some(fields);
                }
            }
            Some(_) => {
                let v = rec
                    .get(vcol)
                    .and_then(|x| x.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite());
                let t = tcol.and_then(|i| rec.get(i)).and_then(parse_time);
                match (v, tcol.is_some(), t) {
                    (Some(v), false, _) => rows.push((None, v)),
                    (Some(v), true, Some(t)) => rows.push((Some(t), v)),
                    _ => skipped += 1,
                }
            }
        }
    }
    if header.is_none() {
        bail!(
            "{}: no header line with a column {column:?}",
            path.display()
        );
    }
    if rows.is_empty() {
        bail!("{}: no row with a number in {column:?}", path.display());
    }
    let ts_ms = if tcol.is_some() {
        rows.sort_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        Some(rows.iter().map(|r| r.0.unwrap_or(0)).collect::<Vec<i64>>())
    } else {
        None
    };
    let interval_s = ts_ms
        .as_ref()
        .and_then(|t| {
            // The most common gap (the smaller one on a tie): missing rows leave longer gaps.
            let mut counts: std::collections::BTreeMap<i64, usize> =
                std::collections::BTreeMap::new();
            for g in t.windows(2).map(|w| w[1] - w[0]).filter(|g| *g > 0) {
                *counts.entry(g).or_default() += 1;
            }
            counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(g, _)| *g)
        })
        .map_or(3_600, |g| (g / 1_000).max(1) as u64);
    Ok((
        OfflineSeries {
            ts_ms,
            values: rows.iter().map(|r| r.1).collect(),
            interval_s,
        },
        skipped,
    ))
}

/// Reads a stored pair's bars (`field` of `interval_s` bars) from a stopped database.
///
/// # Errors
/// No database, no rows.
pub fn read_db(
    data: &Path,
    venue: &str,
    symbol: &str,
    interval_s: u64,
    field: &str,
    limit: usize,
) -> anyhow::Result<OfflineSeries> {
    let conn = orderflow_sink_duckdb::open_read_only(&data.join("orderflow.duckdb"))?;
    let src = orderflow_server::stored_series::StoredSeries::from_history(
        orderflow_sink_duckdb::History::from_connection(conn),
    );
    let req = SeriesRequest::new(SeriesKind::Bars, venue, symbol, interval_s, field, limit);
    let s = src
        .series(&req)
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("no history"))?;
    if s.values.is_empty() {
        bail!("no trades of {symbol} on {venue} in {}", data.display());
    }
    Ok(OfflineSeries {
        ts_ms: Some(s.ts_ms),
        values: s.values,
        interval_s: s.interval_s,
    })
}

struct NoLiveState;

impl HostView for NoLiveState {
    fn query(&self, _: RStr<'_>) -> RResult<RString, SdkError> {
        RResult::RErr(SdkError::new(
            ErrorKind::NotFound,
            "orderflow forecast passes its series inline; there is no live state",
        ))
    }
}

/// Calls a tool of the forecasting plugin.
///
/// # Errors
/// The tool's error.
pub fn call(plugin: &LoadedPlugin, tool: &str, args: &Value) -> anyhow::Result<Value> {
    let args = args.to_string();
    let step = (plugin.module.call_tool())(
        RStr::from_str(tool),
        RStr::from_str(&args),
        orderflow_tool_sdk::host_view(&NoLiveState),
    )
    .into_result()
    .map_err(|e| anyhow!("{tool}: {e}"))?;
    match step {
        ToolStep::Done(json) => serde_json::from_str(json.as_str()).context("tool result"),
        ToolStep::Fetch { .. } => {
            bail!("{tool} asked for a REST request; forecasting tools never do")
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// `auto` (the router) or a model name.
    pub model: String,
    /// Router priority for `auto`.
    pub priority: String,
    /// Steps ahead.
    pub horizon: u64,
    /// Season (None: from the interval).
    pub season: Option<u64>,
    /// Backtest instead of (besides) forecasting.
    pub backtest: bool,
    /// Folds.
    pub folds: u64,
    /// Backtest with intervals (false: point forecasts only).
    pub intervals: bool,
    /// Interval level.
    pub level: f64,
}

/// Runs the job on a series: the forecast, and the backtest when asked.
///
/// # Errors
/// The plugin's errors.
pub fn run(plugin: &LoadedPlugin, s: &OfflineSeries, job: &Job) -> anyhow::Result<Value> {
    let mut args = json!({"values": s.values, "interval_s": s.interval_s, "horizon": job.horizon, "level": job.level});
    if let Some(ts) = &s.ts_ms {
        args["timestamps_ms"] = json!(ts);
    }
    if let Some(season) = job.season {
        args["season"] = json!(season);
    }
    let forecast = if job.model == "auto" {
        let mut a = args.clone();
        a["priority"] = json!(job.priority);
        call(plugin, "route_forecast", &a)?
    } else {
        let mut a = args.clone();
        a["model"] = json!(job.model);
        call(plugin, "forecast_statistical", &a)?
    };
    let mut out = json!({"forecast": forecast});
    if job.backtest {
        let mut a = args;
        a["folds"] = json!(job.folds);
        a["intervals"] = json!(job.intervals);
        out["backtest"] = if job.model == "auto" {
            a["models"] = json!([
                "Naive",
                "SeasonalNaive",
                "AutoETS",
                "AutoARIMA",
                "AutoTheta"
            ]);
            call(plugin, "compare_models", &a)?
        } else {
            a["model"] = json!(job.model);
            call(plugin, "backtest_model", &a)?
        };
    }
    Ok(out)
}

/// A human-readable rendering of [`run`]'s result.
pub fn render(out: &Value) -> String {
    let f = &out["forecast"];
    let mut s = format!(
        "model {} | {} points every {} s | interval {} at {:.0} % | fit {:.1} ms\n",
        f["model"].as_str().unwrap_or("?"),
        f["series"]["n"],
        f["series"]["interval_s"],
        f["intervals"].as_str().unwrap_or("?"),
        100.0 * f["level"].as_f64().unwrap_or(f64::NAN),
        f["fit_ms"].as_f64().unwrap_or(f64::NAN)
    );
    if let Some(reasons) = f["route"]["reasons"].as_array() {
        for r in reasons {
            s.push_str(&format!("  route: {}\n", r.as_str().unwrap_or("")));
        }
    }
    s.push_str("step\tts_ms\tmean\tlower\tupper\n");
    for p in f["forecast"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "{}\t{}\t{:.4}\t{:.4}\t{:.4}\n",
            p["step"],
            p["ts_ms"],
            p["mean"].as_f64().unwrap_or(f64::NAN),
            p["lower"].as_f64().unwrap_or(f64::NAN),
            p["upper"].as_f64().unwrap_or(f64::NAN)
        ));
    }
    let b = &out["backtest"];
    let row = |r: &Value| {
        format!(
            "{}\t{:.4}\t{:.3}\t{:.3}\t{}\t{:.1}\n",
            r["model"].as_str().unwrap_or("?"),
            r["mase"].as_f64().unwrap_or(f64::NAN),
            r["smape"].as_f64().unwrap_or(f64::NAN),
            r["coverage"].as_f64().unwrap_or(f64::NAN),
            r["grade"].as_str().unwrap_or("?"),
            r["fit_ms_median"].as_f64().unwrap_or(f64::NAN)
        )
    };
    if let Some(ranking) = b["ranking"].as_array() {
        s.push_str("\nbacktest (rolling origin)\nmodel\tMASE\tsMAPE\tcoverage\tgrade\tfit_ms\n");
        for r in ranking {
            s.push_str(&row(r));
        }
        for f in b["failed"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "{}\tfailed: {}\n",
                f["model"].as_str().unwrap_or("?"),
                f["error"].as_str().unwrap_or("")
            ));
        }
    } else if b.get("backtest").is_some() {
        s.push_str("\nbacktest (rolling origin)\nmodel\tMASE\tsMAPE\tcoverage\tgrade\tfit_ms\n");
        s.push_str(&row(&b["backtest"]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bannered_descending_csv_is_read_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(
            &p,
            "https://example banner\ndate,symbol,close\n2019-10-17 10-AM,BTCUSD,3\n2019-10-17 09-AM,BTCUSD,2\n2019-10-17 08-AM,BTCUSD,oops\n2019-10-17 07-AM,BTCUSD,1\n",
        )
        .unwrap();
        let (s, skipped) = read_csv(&p, "close").unwrap();
        assert_eq!(s.values, vec![1.0, 2.0, 3.0]);
        assert_eq!(skipped, 1);
        assert_eq!(s.interval_s, 3_600);
        let ts = s.ts_ms.unwrap();
        assert_eq!(ts[1] - ts[0], 7_200_000);
        assert!(read_csv(&p, "volume").is_err());
    }
}
