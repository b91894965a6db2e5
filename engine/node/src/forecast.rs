//! The forecast refresher: every `refresh_s`, a routed forecast of each configured pair's bar
//! series through the forecasting plugin (`route_forecast`), cached for `GET /forecast` and
//! written to the `forecasts` table; every `backtest_every` refreshes a `compare_models`
//! backtest per series into `model_registry` (which also teaches the plugin's router the scores).

use crate::config::ForecastSection;
use orderflow_server::AppState;
use orderflow_server::forecast::{ROUTE_TOOL, cache_key};
use orderflow_sink_duckdb::{ForecastRow, ModelScoreRow, SinkMsg};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn now_ns() -> u64 {
    orderflow_plugin_host::now_ns()
}

/// The pairs to forecast: each configured symbol (or the listed ones) on its first venue.
fn pairs(cfg: &ForecastSection, st: &AppState) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for i in st.universe.iter() {
        if !cfg.symbols.is_empty() && !cfg.symbols.contains(&i.symbol) {
            continue;
        }
        if !out.iter().any(|(_, s)| *s == i.symbol) {
            out.push((i.venue.clone(), i.symbol.clone()));
        }
    }
    out
}

fn forecast_rows(v: &Value, venue: &str, symbol: &str, interval_s: u64) -> Vec<ForecastRow> {
    let time = now_ns();
    let model = v["model"].as_str().unwrap_or("").to_owned();
    let level = v["level"].as_f64().unwrap_or(f64::NAN);
    let series = v["series"]["label"].as_str().unwrap_or("").to_owned();
    v["forecast"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| ForecastRow {
                    time,
                    venue: venue.to_owned(),
                    symbol: symbol.to_owned(),
                    interval_s: u32::try_from(interval_s).unwrap_or(u32::MAX),
                    series: series.clone(),
                    model: model.clone(),
                    step: s["step"]
                        .as_u64()
                        .and_then(|x| u32::try_from(x).ok())
                        .unwrap_or(0),
                    target: s["ts_ms"].as_u64().unwrap_or(0).saturating_mul(1_000_000),
                    mean: s["mean"].as_f64().unwrap_or(f64::NAN),
                    lower: s["lower"].as_f64().unwrap_or(f64::NAN),
                    upper: s["upper"].as_f64().unwrap_or(f64::NAN),
                    level,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn score_rows(
    v: &Value,
    venue: &str,
    symbol: &str,
    cfg: &ForecastSection,
    chosen: &str,
) -> Vec<ModelScoreRow> {
    let time = now_ns();
    let series = v["series"]["label"].as_str().unwrap_or("").to_owned();
    v["ranking"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let model = r["model"].as_str().unwrap_or("").to_owned();
                    ModelScoreRow {
                        time,
                        venue: venue.to_owned(),
                        symbol: symbol.to_owned(),
                        interval_s: u32::try_from(cfg.interval_s).unwrap_or(u32::MAX),
                        series: series.clone(),
                        chosen: model == chosen,
                        model,
                        horizon: u32::try_from(cfg.horizon).unwrap_or(u32::MAX),
                        folds: v["folds"]
                            .as_u64()
                            .and_then(|x| u32::try_from(x).ok())
                            .unwrap_or(0),
                        mase: r["mase"].as_f64().unwrap_or(f64::NAN),
                        smape: r["smape"].as_f64().unwrap_or(f64::NAN),
                        coverage: r["coverage"].as_f64().unwrap_or(f64::NAN),
                        grade: r["grade"].as_str().unwrap_or("F").to_owned(),
                        fit_ms: r["fit_ms_median"].as_f64().unwrap_or(f64::NAN),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One refresh of every pair. Returns the forecasts made.
pub async fn refresh_once(
    cfg: &ForecastSection,
    st: &AppState,
    sink: &Option<orderflow_sink_duckdb::SinkTx>,
    backtest: bool,
) -> usize {
    let mut made = 0;
    for (venue, symbol) in pairs(cfg, st) {
        let args = json!({"venue": venue, "symbol": symbol, "interval_s": cfg.interval_s,
            "horizon": cfg.horizon, "level": 0.9, "priority": cfg.priority});
        let chosen = match st.registry.call(ROUTE_TOOL, args.clone()).await {
            Ok(v) => {
                let rows = forecast_rows(&v, &venue, &symbol, cfg.interval_s);
                let model = v["model"].as_str().unwrap_or("").to_owned();
                st.forecasts.put(cache_key(ROUTE_TOOL, &args), v);
                if let Some(tx) = sink
                    && !rows.is_empty()
                {
                    let _ = tx.send(SinkMsg::Forecasts(rows));
                }
                made += 1;
                model
            }
            Err(e) => {
                tracing::debug!(%venue, %symbol, error = %e, "no forecast this round");
                continue;
            }
        };
        if backtest {
            let args = json!({"venue": venue, "symbol": symbol, "interval_s": cfg.interval_s,
                "horizon": cfg.horizon, "models": cfg.compare_models, "folds": 3});
            match st.registry.call("compare_models", args).await {
                Ok(v) => {
                    let rows = score_rows(&v, &venue, &symbol, cfg, &chosen);
                    if let Some(tx) = sink
                        && !rows.is_empty()
                    {
                        let _ = tx.send(SinkMsg::ModelScores(rows));
                    }
                }
                Err(e) => tracing::debug!(%venue, %symbol, error = %e, "no backtest this round"),
            }
        }
    }
    made
}

/// Starts the refresher; it stops with `shutdown`.
pub fn spawn_refresher(
    cfg: ForecastSection,
    st: Arc<AppState>,
    sink: Option<orderflow_sink_duckdb::SinkTx>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(cfg.refresh_s.max(1)));
        let mut round: u64 = 0;
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = iv.tick() => {
                    let backtest = cfg.backtest_every > 0 && round.is_multiple_of(u64::from(cfg.backtest_every));
                    let made = refresh_once(&cfg, &st, &sink, backtest).await;
                    tracing::debug!(made, round, "forecasts refreshed");
                    round += 1;
                }
            }
        }
    })
}
