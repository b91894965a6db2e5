//! Forecasting through the plugin SDK: the `forecast_stats` plugin on real hourly BTC closes
//! (the CLI, checked against a naive backtest computed here from the CSV), and live in the
//! demo (series from the host's memory checked against the live trades, `GET /forecast`, the
//! refresher's `forecasts` and `model_registry` rows, errors for bad requests).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{orderflow_bin, target_dir, wait_for};

fn csv_path() -> PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../plugins/forecast-stats/test_data/coinbase_btcusd_1h.csv")
}

/// The closes of the CSV in time order, read here without the project's reader: the rows are
/// newest first with 12-hour stamps, so reversing the file order gives time order (checked).
fn closes() -> Vec<f64> {
    let text = std::fs::read_to_string(csv_path()).unwrap();
    let mut rows: Vec<(String, f64)> = text
        .lines()
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[5].parse().unwrap())
        })
        .collect();
    assert!(rows[0].0 > rows[rows.len() - 1].0, "file is newest first");
    rows.reverse();
    rows.into_iter().map(|r| r.1).collect()
}

#[test]
fn the_cli_forecasts_and_backtests_real_closes_like_a_hand_computed_naive() {
    let out = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "forecast",
            "--csv",
        ])
        .arg(csv_path())
        .args([
            "--column",
            "close",
            "--horizon",
            "24",
            "--model",
            "Naive",
            "--backtest",
        ])
        .args(["--folds", "3", "--limit", "600", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let y = closes();
    let y = &y[y.len() - 600..];
    let last = y[y.len() - 1];
    let f = &v["forecast"];
    assert_eq!(f["model"], "Naive");
    assert_eq!(f["series"]["n"], 600);
    assert_eq!(f["series"]["interval_s"], 3600);
    let steps = f["forecast"].as_array().unwrap();
    assert_eq!(steps.len(), 24);
    for s in steps {
        assert_eq!(s["mean"].as_f64().unwrap(), last);
        assert!(s["lower"].as_f64().unwrap() < last && s["upper"].as_f64().unwrap() > last);
    }
    // The naive backtest by hand: folds end at the last point, 24 steps each; MASE on each
    // fold's training part's one-step naive MAE.
    let mut mases = Vec::new();
    for k in 0..3 {
        let o = y.len() - 24 - (2 - k) * 24;
        let (train, test) = (&y[..o], &y[o..o + 24]);
        let scale =
            train.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (train.len() - 1) as f64;
        let mae = test.iter().map(|a| (a - train[o - 1]).abs()).sum::<f64>() / 24.0;
        mases.push(mae / scale);
    }
    let want = mases.iter().sum::<f64>() / 3.0;
    let got = v["backtest"]["backtest"]["mase"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9, "MASE {got} vs hand {want}");
    assert_eq!(
        v["backtest"]["backtest"]["folds"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn the_cli_refuses_a_missing_column_with_a_message() {
    let out = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "forecast",
            "--csv",
        ])
        .arg(csv_path())
        .args(["--column", "nope"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no header line with a column \"nope\""),
        "{err}"
    );
}

async fn post(c: &reqwest::Client, base: &str, name: &str, args: Value) -> (u16, Value) {
    let r = c
        .post(format!("{base}/tools/{name}"))
        .json(&args)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_series_forecasts_and_the_refresher_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::load(None).unwrap();
    cfg.forecast.refresh_s = 2;
    cfg.forecast.interval_s = 1;
    cfg.forecast.horizon = 5;
    cfg.forecast.priority = "fast".into();
    cfg.forecast.backtest_every = 1;
    cfg.forecast.compare_models = vec!["Naive".into(), "Theta".into()];
    cfg.forecast.symbols = vec!["BTCUSDT".into()];
    let mut opts = Options::new(cfg, Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.emulator_rate = Some(1_000.0);
    opts.venues = Some(vec!["binance".into()]);
    opts.data_dir = Some(dir.path().to_path_buf());
    let running = pipeline::start(opts).await.unwrap();
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();

    // The forecasting tools are in the one catalogue.
    let tools: Value = c
        .get(format!("{base}/tools"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<String> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for t in [
        "forecast_quick",
        "route_forecast",
        "backtest_model",
        "detect_anomalies",
        "detect_changepoints",
        "hurst_exponent",
        "list_forecast_models",
    ] {
        assert!(names.iter().any(|n| n == t), "{t} missing");
    }

    // Wait for 40 one-second bars, then freeze the market so that the series and the trades
    // describe the same stream.
    wait_for(Duration::from_secs(60), || async {
        let (s, v) = post(
            &c,
            &base,
            "get_series",
            json!({"venue": "binance", "symbol": "BTCUSDT", "interval_s": 1, "limit": 100}),
        )
        .await;
        (s == 200 && v["values"].as_array()?.len() >= 40).then_some(v)
    })
    .await
    .expect("40 one-second bars");
    let emu = &running.emulators["binance"];
    emu.control(r#"{"op":"pause"}"#).unwrap();
    // In-flight frames land within a bounded time: wait until the newest trade is stable.
    let newest = || async {
        let (_, t) = post(
            &c,
            &base,
            "binance_get_recent_trades",
            json!({"symbol": "BTCUSDT", "limit": 1}),
        )
        .await;
        t["data"][0]["trade_id"].as_u64()
    };
    wait_for(Duration::from_secs(10), || async {
        let a = newest().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        (newest().await? == a).then_some(())
    })
    .await
    .expect("the trade stream settles after the pause");
    let (_, series) = post(
        &c,
        &base,
        "get_series",
        json!({"venue": "binance", "symbol": "BTCUSDT", "interval_s": 1, "limit": 100}),
    )
    .await;
    assert_eq!(series["series"]["origin"], "memory");
    // Each bar's close is the last trade of its second: check against the live trades.
    let (_, trades) = post(
        &c,
        &base,
        "binance_get_recent_trades",
        json!({"symbol": "BTCUSDT", "limit": 1000}),
    )
    .await;
    let mut last_in_second: BTreeMap<i64, f64> = BTreeMap::new();
    let mut rows: Vec<(i64, u64, f64)> = trades["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["ts_event_ms"].as_i64().unwrap(),
                t["trade_id"].as_u64().unwrap(),
                t["price"].as_f64().unwrap(),
            )
        })
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    for (ts, _, p) in &rows {
        last_in_second.insert(ts / 1000 * 1000, *p);
    }
    let oldest_trade_second = rows[0].0 / 1000 * 1000 + 1000; // a full second of trades
    let ts: Vec<i64> = series["ts_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    let vals: Vec<f64> = series["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    let mut checked = 0;
    for (t, v) in ts.iter().zip(&vals) {
        if *t >= oldest_trade_second
            && let Some(p) = last_in_second.get(t)
        {
            assert!((p - v).abs() < 1e-9, "bar {t}: close {v} vs last trade {p}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} bars checked");
    emu.control(r#"{"op":"resume"}"#).unwrap();

    // GET /forecast: a routed forecast with an interval per step.
    let r = c
        .get(format!(
            "{base}/forecast/BTCUSDT?interval=1&horizon=6&priority=realtime"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let f: Value = r.json().await.unwrap();
    assert_eq!(f["model"], "Theta");
    assert_eq!(f["forecast"].as_array().unwrap().len(), 6);
    for s in f["forecast"].as_array().unwrap() {
        let (l, m, u) = (
            s["lower"].as_f64().unwrap(),
            s["mean"].as_f64().unwrap(),
            s["upper"].as_f64().unwrap(),
        );
        assert!(l <= m && m <= u, "{s}");
    }
    // Errors: unknown symbol 404, bad interval 400, unknown model 404 (from the plugin), a
    // feature that does not exist 400.
    assert_eq!(
        c.get(format!("{base}/forecast/NOPEUSDT"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        c.get(format!("{base}/forecast/BTCUSDT?interval=7x"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    let (s, _) = post(
        &c,
        &base,
        "forecast_statistical",
        json!({"venue": "binance", "symbol": "BTCUSDT", "interval_s": 1, "model": "Prophet"}),
    )
    .await;
    assert_eq!(s, 400, "enum in the schema");
    let (s, v) = post(&c, &base, "get_series", json!({"venue": "binance", "symbol": "BTCUSDT", "source": "feature", "field": "no_such_feature"})).await;
    assert_eq!(s, 400, "{v}");
    // A stored feature's history (storage is on): the spread in basis points.
    let fs = wait_for(Duration::from_secs(30), || async {
        let (s, v) = post(&c, &base, "get_series", json!({"venue": "binance", "symbol": "BTCUSDT", "source": "feature", "field": "spread_bps", "interval_s": 1, "limit": 20})).await;
        (s == 200 && v["values"].as_array()?.len() >= 5).then_some(v)
    })
    .await
    .expect("feature history");
    assert_eq!(fs["series"]["origin"], "duckdb");

    // ML on the live bars with an order-flow covariate from the stored features.
    let (s, v) = post(&c, &base, "forecast_ml", json!({"venue": "binance", "symbol": "BTCUSDT", "interval_s": 1,
        "limit": 200, "model": "ridge", "lags": 3, "horizon": 4, "covariates": ["depth_imbalance_5"]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["covariates"], json!(["depth_imbalance_5"]), "{v}");
    assert_eq!(v["forecast"].as_array().unwrap().len(), 4);
    assert_eq!(v["intervals"], "conformal");
    // ONNX: the shipped hourly model on the real closes given inline (the model refuses the
    // demo's 1-second bars: it was trained on hourly data).
    let closes = closes();
    let tail = &closes[closes.len() - 300..];
    let (s, v) = post(
        &c,
        &base,
        "forecast_onnx_btc_1h_gbr",
        json!({"values": tail, "horizon": 6}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["model"], "onnx:btc_1h_gbr");
    assert!(v["inference_us_median"].as_f64().unwrap() > 0.0);
    let (s, v) = post(
        &c,
        &base,
        "forecast_onnx",
        json!({"model": "btc_1h_gbr", "venue": "binance", "symbol": "BTCUSDT", "interval_s": 1}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let n_forecasting = names
        .iter()
        .filter(|n| {
            let t = tools["tools"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == n.as_str())
                .unwrap();
            matches!(
                t["category"].as_str(),
                Some("forecast_stats" | "forecast_ml" | "forecast_onnx")
            )
        })
        .count();
    assert!(n_forecasting >= 30, "{n_forecasting} forecasting tools");

    // The refresher's rows.
    let rows = wait_for(Duration::from_secs(40), || async {
        running.flush().ok()?;
        let h = running.state.history.as_ref()?;
        let f = h.query("SELECT count(*), count(DISTINCT model) FROM forecasts WHERE symbol = 'BTCUSDT' AND lower <= mean AND mean <= upper", 1).ok()?;
        let m = h.query("SELECT count(*), count(*) FILTER (WHERE chosen) FROM model_registry WHERE symbol = 'BTCUSDT' AND mase > 0", 1).ok()?;
        let (nf, nm) = (f.rows[0][0].as_u64()?, m.rows[0][0].as_u64()?);
        (nf >= 5 && nm >= 2).then_some((f.rows[0].clone(), m.rows[0].clone()))
    })
    .await
    .expect("forecasts and model_registry rows");
    assert!(rows.0[1].as_u64().unwrap() >= 1);
    running.shutdown().await.unwrap();
}
