//! Cross-venue features in a running demo (four venues, emulated on loopback): `GET
//! /features/{symbol}` without a venue, every cross-exchange tool, and the stored
//! `cross_venue` rows checked against SQL recomputations over the stored `orderbook` and
//! `features` rows of the same snapshot — an independent reference over the tables.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options};
use serde_json::{Value, json};
use std::time::Duration;
use support::{target_dir, wait_for};

async fn post(c: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = c.post(url).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_venue_features_tools_and_storage() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = Options::new(Config::load(None).unwrap(), Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.emulator_rate = Some(400.0);
    opts.data_dir = Some(dir.path().to_path_buf());
    opts.venues = Some(
        ["binance", "binance_spot", "bybit", "okx"]
            .map(String::from)
            .to_vec(),
    );
    let running = pipeline::start(opts).await.unwrap();
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();

    // Without a venue, /features answers the cross-venue features once a snapshot exists.
    let cv = wait_for(Duration::from_secs(20), || {
        let (c, base) = (c.clone(), base.clone());
        async move {
            let r = c
                .get(format!("{base}/features/BTCUSDT"))
                .send()
                .await
                .ok()?;
            let v: Value = r.json().await.ok()?;
            let f = &v["features"];
            (f["venue_count"].as_f64()? >= 4.0 && f["funding_spread_8h"].is_number()).then_some(v)
        }
    })
    .await
    .expect("cross-venue features of BTCUSDT over four venues");
    let f = &cv["features"];
    for name in [
        "price_dispersion_bps",
        "price_range_bps",
        "best_bid",
        "best_ask",
        "consolidated_spread_bps",
        "max_abs_basis_bps",
        "funding_spread_8h",
        "cvd_total",
        "arbitrage_best_net_bps",
    ] {
        assert!(f[name].is_number(), "{name} missing in {f}");
    }
    assert_eq!(
        cv["basis"].as_array().unwrap().len(),
        6,
        "4 venues → 6 pairs"
    );
    assert_eq!(cv["per_venue"].as_array().unwrap().len(), 4);
    // With a venue, the per-venue features as before.
    let one: Value = c
        .get(format!("{base}/features/BTCUSDT?venue=okx"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["venue"], "okx");
    // Every feature carries its age; windows not yet filled are flagged as warming up.
    let n = one["features"].as_object().unwrap().len();
    assert_eq!(one["ages_ms"].as_object().unwrap().len(), n);
    let warming: Vec<&str> = one["warming_up"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        warming.contains(&"volume_1h") || !one["features"]["volume_1h"].is_number(),
        "{warming:?}"
    );
    assert!(!warming.contains(&"mid_price"));
    assert_eq!(
        one["warm"], false,
        "a run of seconds has not filled its 1 h windows"
    );
    // The arbitrage signal reads the cross-venue edge (not the single-venue stand-in), and the
    // regime-transition signal the regime classifier once it has classified the pair.
    let sig: Value = c
        .get(format!("{base}/signals/BTCUSDT?venue=binance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let find = |name: &str| {
        sig["venues"][0]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
    };
    let arb = find("arbitrage_opportunity").expect("arbitrage_opportunity");
    assert_eq!(arb["components"][0][0], "cross_venue_net_bps", "{arb}");
    let regime: Value = c
        .get(format!("{base}/regimes/BTCUSDT?venue=binance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if let Some(rt) = find("regime_transition")
        && regime.to_string().contains("\"since")
    {
        assert_eq!(
            rt["components"][0][0], "seconds_since_regime_change",
            "{rt} {regime}"
        );
    }
    // Unknown symbol: 404.
    let r = c
        .get(format!("{base}/features/NOPEUSDT"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // Every cross-exchange tool answers over HTTP (the registry serves MCP from the same list).
    let tools: Value = c
        .get(format!("{base}/tools"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cross: Vec<String> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["category"] == "cross_exchange")
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(cross.len() >= 10, "{cross:?}");
    for name in &cross {
        let args = match name.as_str() {
            "get_fee_schedule" | "get_cross_venue_summary" => json!({}),
            "get_arbitrage_opportunities" => json!({"min_net_bps": -1000}),
            "get_funding_arbitrage" => json!({}),
            "get_cross_venue_history" => {
                json!({"symbol": "BTCUSDT", "feature": "price_dispersion_bps", "minutes": 5, "interval": "1s"})
            }
            _ => json!({"symbol": "BTCUSDT"}),
        };
        let (status, v) = post(&c, format!("{base}/tools/{name}"), args).await;
        assert_eq!(status, 200, "{name}: {v}");
    }
    let (_, arb) = post(
        &c,
        format!("{base}/tools/get_arbitrage_opportunities"),
        json!({"symbol": "BTCUSDT", "min_net_bps": -1000}),
    )
    .await;
    for a in arb["opportunities"].as_array().unwrap() {
        let (gross, fees, net) = (
            a["gross_bps"].as_f64().unwrap(),
            a["fees_bps"].as_f64().unwrap(),
            a["net_bps"].as_f64().unwrap(),
        );
        assert!((gross - fees - net).abs() < 1e-9, "{a}");
        assert_ne!(a["buy_venue"], a["sell_venue"]);
    }
    let (_, fees) = post(&c, format!("{base}/tools/get_fee_schedule"), json!({})).await;
    assert!(fees["venues"].as_array().unwrap().len() >= 4);
    // A wrong argument is a clear 400.
    let (status, _) = post(
        &c,
        format!("{base}/tools/get_basis_matrix"),
        json!({"symbol": "NOPE"}),
    )
    .await;
    assert_eq!(status, 400);

    // Order-flow staples and the seed's feature tools, on a paused market (so the stored trades
    // do not move between the tool call and the SQL check).
    for v in ["binance", "binance_spot", "bybit", "okx"] {
        running.emulators[v].control(r#"{"op":"pause"}"#).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, fp) = post(
        &c,
        format!("{base}/tools/get_footprint"),
        json!({"symbol": "BTCUSDT", "venue": "binance", "interval": "1h", "bars": 1, "price_step": 0.5}),
    )
    .await;
    assert_eq!(status, 200, "{fp}");
    let bar = &fp["bars"][0];
    let start = bar["start_ns"].as_i64().unwrap();
    let (mut buy, mut sell) = (0.0, 0.0);
    for l in bar["levels"].as_array().unwrap() {
        buy += l["buy"].as_f64().unwrap();
        sell += l["sell"].as_f64().unwrap();
        // Level prices are multiples of the step.
        let p = l["price"].as_f64().unwrap();
        assert!((p / 0.5 - (p / 0.5).round()).abs() < 1e-9, "{p}");
    }
    // The same totals straight from the trades table (no bucketing).
    let (_, q) = post(
        &c,
        format!("{base}/tools/query_history"),
        json!({"sql": format!(
            "SELECT coalesce(sum(size) FILTER (WHERE side = 'buy'), 0)::DOUBLE, coalesce(sum(size) FILTER (WHERE side = 'sell'), 0)::DOUBLE, \
             (sum(price * size) / sum(size))::DOUBLE FROM trades WHERE venue = 'binance' AND symbol = 'BTCUSDT' \
             AND coalesce(nullif(ts_event_ns, 0), ts_recv_ns) >= {start} AND coalesce(nullif(ts_event_ns, 0), ts_recv_ns) < {start} + 3600000000000")}),
    )
    .await;
    let row = &q["rows"][0];
    let (sql_buy, sql_sell) = (row[0].as_f64().unwrap(), row[1].as_f64().unwrap());
    assert!(sql_buy + sql_sell > 0.0, "no trades stored: {q}");
    assert!(
        (buy - sql_buy).abs() < 1e-6 * sql_buy.max(1.0),
        "{buy} vs {sql_buy}"
    );
    assert!(
        (sell - sql_sell).abs() < 1e-6 * sql_sell.max(1.0),
        "{sell} vs {sql_sell}"
    );
    assert!(
        (bar["delta"].as_f64().unwrap() - (sql_buy - sql_sell)).abs() < 1e-6 * (sql_buy + sql_sell)
    );
    let va = &bar["value_area"];
    let (val, poc, vah) = (
        va["val"].as_f64().unwrap(),
        va["poc"].as_f64().unwrap(),
        va["vah"].as_f64().unwrap(),
    );
    assert!(val <= poc && poc <= vah, "{va}");
    assert!(va["area_volume"].as_f64().unwrap() >= 0.7 * va["volume"].as_f64().unwrap() - 1e-9);
    let sql_vwap = row[2].as_f64().unwrap();
    let vwap = bar["ohlc"]["vwap"].as_f64().unwrap();
    assert!(
        (vwap - sql_vwap).abs() < 1e-9 * sql_vwap,
        "{vwap} vs {sql_vwap}"
    );

    for (tool, args) in [
        (
            "get_stacked_imbalances",
            json!({"symbol": "BTCUSDT", "venue": "okx", "interval": "1m", "bars": 2}),
        ),
        (
            "get_session_stats",
            json!({"symbol": "BTCUSDT", "venue": "bybit"}),
        ),
        (
            "get_session_volume_profile",
            json!({"symbol": "BTCUSDT", "venue": "bybit", "session": "london"}),
        ),
        (
            "get_cvd_analysis",
            json!({"symbol": "BTCUSDT", "venue": "binance"}),
        ),
        (
            "get_wall_detection",
            json!({"symbol": "BTCUSDT", "venue": "binance"}),
        ),
        (
            "get_whale_detection",
            json!({"symbol": "BTCUSDT", "venue": "binance", "minutes": 60}),
        ),
        (
            "get_leverage_risk",
            json!({"symbol": "BTCUSDT", "venue": "binance"}),
        ),
        (
            "get_liquidity_heatmap",
            json!({"symbol": "BTCUSDT", "venue": "binance", "minutes": 5, "interval": "10s"}),
        ),
        (
            "export_features_csv",
            json!({"symbol": "BTCUSDT", "venue": "binance", "minutes": 5, "features": ["cvd", "mid_price"]}),
        ),
    ] {
        let (status, v) = post(&c, format!("{base}/tools/{tool}"), args).await;
        assert_eq!(status, 200, "{tool}: {v}");
        match tool {
            "get_session_stats" => {
                let s = v["sessions"].as_array().unwrap();
                assert_eq!(s.len(), 6, "3 sessions × current/previous");
                // The demo has traded only in the last seconds: a session that is developing
                // now has stats (its VWAP in [low, high]); a closed one has none. Between
                // 22:00 and 24:00 UTC no default session is open.
                for x in s {
                    let developing = x["status"] == "developing";
                    assert_eq!(x["stats"].is_object(), developing, "{x}");
                }
                let live = s
                    .iter()
                    .filter(|x| x["stats"].is_object())
                    .collect::<Vec<_>>();
                for x in live {
                    let st = &x["stats"];
                    let (lo, hi, vw) = (
                        st["low"].as_f64().unwrap(),
                        st["high"].as_f64().unwrap(),
                        st["vwap"].as_f64().unwrap(),
                    );
                    assert!(lo <= vw && vw <= hi, "{st}");
                }
            }
            "get_whale_detection" => {
                let (n, all) = (
                    v["whale_trades"].as_f64().unwrap(),
                    v["trades_in_window"].as_f64().unwrap(),
                );
                assert!(n >= 1.0 && n <= all, "{v}");
            }
            "export_features_csv" => {
                let csv = v["csv"].as_str().unwrap();
                assert_eq!(
                    csv.lines().count(),
                    v["rows"].as_u64().unwrap() as usize + 1
                );
                assert!(
                    csv.lines()
                        .skip(1)
                        .all(|l| l.contains(",cvd,") || l.contains(",mid_price,"))
                );
            }
            "get_cvd_analysis" => assert_eq!(v["windows"].as_array().unwrap().len(), 5),
            "get_liquidity_heatmap" => assert!(v["cells"].as_u64().unwrap() > 0, "{v}"),
            _ => {}
        }
    }
    // Bad arguments: a clear 400, no panic.
    let (status, _) = post(
        &c,
        format!("{base}/tools/get_footprint"),
        json!({"symbol": "BTCUSDT", "venue": "binance", "price_step": -1}),
    )
    .await;
    assert_eq!(status, 400);

    tokio::time::sleep(Duration::from_secs(3)).await;
    let db = running.db_path.clone().unwrap();
    running.shutdown().await.unwrap();
    let conn = orderflow_sink_duckdb::open_read_only(&db).unwrap();

    // Reference 1: dispersion, range and the consolidated quote from the stored level-1 book
    // rows of the same snapshot (every demo book is fresh, so every venue with a book counts).
    let (snaps, differing): (i64, i64) = conn
        .query_row(
            "WITH t AS (
               SELECT ts_ns, symbol, venue,
                 max(price) FILTER (WHERE side = 'buy' AND level = 1)::DOUBLE AS bid,
                 min(price) FILTER (WHERE side = 'sell' AND level = 1)::DOUBLE AS ask
               FROM orderbook GROUP BY ALL HAVING bid IS NOT NULL AND ask IS NOT NULL),
             r AS (
               SELECT ts_ns, symbol, count(*) AS n,
                 1e4 * stddev_pop((bid + ask) / 2) / avg((bid + ask) / 2) AS dispersion,
                 1e4 * (max((bid + ask) / 2) - min((bid + ask) / 2)) / avg((bid + ask) / 2) AS range,
                 max(bid) AS best_bid, min(ask) AS best_ask
               FROM t GROUP BY ALL HAVING count(*) >= 2),
             c AS (
               SELECT ts_ns, symbol,
                 max(value) FILTER (WHERE feature = 'venue_count') AS n,
                 max(value) FILTER (WHERE feature = 'price_dispersion_bps') AS dispersion,
                 max(value) FILTER (WHERE feature = 'price_range_bps') AS range,
                 max(value) FILTER (WHERE feature = 'best_bid') AS best_bid,
                 max(value) FILTER (WHERE feature = 'best_ask') AS best_ask
               FROM cross_venue GROUP BY ALL)
             SELECT count(*), count(*) FILTER (WHERE r.n <> c.n
                 OR abs(r.dispersion - c.dispersion) > 1e-6
                 OR abs(r.range - c.range) > 1e-6
                 OR abs(r.best_bid - c.best_bid) > 1e-9 * r.best_bid
                 OR abs(r.best_ask - c.best_ask) > 1e-9 * r.best_ask)
             FROM r JOIN c USING (ts_ns, symbol)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(snaps > 10, "only {snaps} snapshots joined");
    assert_eq!(differing, 0, "{differing} of {snaps} snapshots differ");

    // Reference 2: totals and the funding spread from the stored per-venue features.
    let (joined, bad): (i64, i64) = conn
        .query_row(
            "WITH f AS (
               SELECT ts_ns, symbol,
                 sum(value) FILTER (WHERE feature = 'cvd') AS cvd,
                 max(value) FILTER (WHERE feature = 'funding_rate_8h')
                   - min(value) FILTER (WHERE feature = 'funding_rate_8h') AS fs,
                 count(*) FILTER (WHERE feature = 'funding_rate_8h') AS nf
               FROM features GROUP BY ALL),
             c AS (
               SELECT ts_ns, symbol,
                 max(value) FILTER (WHERE feature = 'cvd_total') AS cvd,
                 max(value) FILTER (WHERE feature = 'funding_spread_8h') AS fs
               FROM cross_venue GROUP BY ALL)
             SELECT count(*), count(*) FILTER (WHERE
                 abs(f.cvd - c.cvd) > 1e-9 * greatest(abs(f.cvd), 1)
                 OR (f.nf >= 2 AND abs(f.fs - c.fs) > 1e-12))
             FROM f JOIN c USING (ts_ns, symbol) WHERE f.cvd IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(joined > 10, "only {joined} joined");
    assert_eq!(bad, 0, "{bad} of {joined} snapshots differ");
}
