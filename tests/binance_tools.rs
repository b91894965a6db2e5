//! The Binance tool catalogue against the loopback emulator, with the market paused so every
//! answer can be checked against another source: the emulator's true book, the live stream's
//! trades, the venue's klines, the tool's own formula over raw data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{start_demo, wait_for};

async fn call(c: &reqwest::Client, base: &str, name: &str, args: Value) -> Value {
    let r = c
        .post(format!("{base}/tools/{name}"))
        .json(&args)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{name}: {v}");
    v
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| v.as_str().unwrap().parse().unwrap())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_binance_tool_answers_consistently_with_another_source() {
    let running = start_demo(None, 3_000.0, None).await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    let emu = &running.emulators["binance"];
    // Wait for trades and mark prices, then freeze the market.
    wait_for(Duration::from_secs(20), || async {
        let r = c
            .post(format!("{base}/tools/binance_get_recent_trades"))
            .json(&json!({"symbol": "BTCUSDT", "limit": 200}))
            .send()
            .await
            .ok()?;
        let v: Value = r.json().await.ok()?;
        (v["data"].as_array()?.len() >= 200).then_some(())
    })
    .await
    .expect("live trades");
    emu.control(r#"{"op":"pause"}"#).unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sym = json!({"symbol": "BTCUSDT"});

    let tools: Value = c
        .get(format!("{base}/tools"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let binance = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("binance_"))
        .count();
    assert!(binance >= 25, "{binance} Binance tools");

    // Top of book = the emulator's true touch; microprice by its formula.
    let truth: Value = serde_json::from_str(
        &emu.control(r#"{"op":"book","symbol":"BTCUSDT","depth":5}"#)
            .unwrap(),
    )
    .unwrap();
    let (bp, bq, ap, aq) = (
        f(&truth["bids"][0][0]),
        f(&truth["bids"][0][1]),
        f(&truth["asks"][0][0]),
        f(&truth["asks"][0][1]),
    );
    // In-flight frames land within a bounded time (not a fixed one on a loaded machine).
    let bt = wait_for(Duration::from_secs(30), || async {
        let bt = call(&c, &base, "binance_get_book_ticker", sym.clone()).await;
        let touch = (
            f(&bt["bid_price"]),
            f(&bt["bid_size"]),
            f(&bt["ask_price"]),
            f(&bt["ask_size"]),
        );
        (touch == (bp, bq, ap, aq)).then_some(bt)
    })
    .await
    .expect("the live touch converges to the true touch");
    assert_eq!((f(&bt["bid_price"]), f(&bt["ask_price"])), (bp, ap));
    assert!(close(f(&bt["microprice"]), (bp * aq + ap * bq) / (bq + aq)));
    // The REST depth snapshot (a different path through the venue) agrees with the true book.
    let snap = call(
        &c,
        &base,
        "binance_get_depth_snapshot",
        json!({"symbol": "BTCUSDT", "limit": 5}),
    )
    .await;
    assert_eq!(
        snap["rows"][0]["bids"],
        json!(
            truth["bids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| json!([f(&l[0]), f(&l[1])]))
                .collect::<Vec<_>>()
        )
    );

    // Imbalance: the formula over the live book's levels.
    let ob = call(
        &c,
        &base,
        "binance_get_orderbook",
        json!({"symbol": "BTCUSDT", "depth": 10}),
    )
    .await;
    let im = call(
        &c,
        &base,
        "binance_get_orderbook_imbalance",
        json!({"symbol": "BTCUSDT", "depth": 10}),
    )
    .await;
    let vol = |k: &str| {
        ob["data"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| f(&l[1]))
            .sum::<f64>()
    };
    let (bv, av) = (vol("bids"), vol("asks"));
    assert!(close(f(&im["imbalance"]), (bv - av) / (bv + av)), "{im}");

    // Trade flow and large trades: over the same live trades as binance_get_recent_trades.
    let recent = call(
        &c,
        &base,
        "binance_get_recent_trades",
        json!({"symbol": "BTCUSDT", "limit": 200}),
    )
    .await;
    let rows = recent["data"].as_array().unwrap();
    let buy: f64 = rows
        .iter()
        .filter(|r| r["side"] == "buy")
        .map(|r| f(&r["size"]))
        .sum();
    let flow = call(
        &c,
        &base,
        "binance_get_trade_flow",
        json!({"symbol": "BTCUSDT", "limit": 200}),
    )
    .await;
    assert_eq!(flow["trades"], json!(rows.len()));
    assert!(close(f(&flow["buy_volume"]), buy), "{flow}");
    let min = 5_000.0;
    let big = rows
        .iter()
        .filter(|r| f(&r["price"]) * f(&r["size"]) >= min)
        .count();
    let large = call(
        &c,
        &base,
        "binance_get_large_trades",
        json!({"symbol": "BTCUSDT", "limit": 200, "min_notional": min}),
    )
    .await;
    assert_eq!(large["count"], json!(big));
    // REST aggTrades (the venue's own record) contain the newest live trade.
    let agg = call(
        &c,
        &base,
        "binance_get_agg_trades",
        json!({"symbol": "BTCUSDT", "limit": 50}),
    )
    .await;
    let newest_rest = agg["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(newest_rest["id"], rows[0]["trade_id"]);
    assert_eq!(f(&newest_rest["price"]), f(&rows[0]["price"]));

    // Taker volume per period = the taker-buy and total volume of the venue's klines.
    let taker = call(
        &c,
        &base,
        "binance_get_taker_volume",
        json!({"symbol": "BTCUSDT", "period": "1h", "limit": 1}),
    )
    .await;
    let kl = call(
        &c,
        &base,
        "binance_get_klines",
        json!({"symbol": "BTCUSDT", "interval": "1h", "limit": 1}),
    )
    .await;
    let (t0, k0) = (&taker["rows"][0], &kl["rows"][0]);
    assert_eq!(f(&t0["time"]), f(&k0["open_time"]));
    assert!(
        close(f(&t0["buy_volume"]), f(&k0["taker_buy_volume"])),
        "{t0} vs {k0}"
    );
    assert!(close(
        f(&t0["buy_volume"]) + f(&t0["sell_volume"]),
        f(&k0["volume"])
    ));
    for name in [
        "binance_get_long_short_ratio",
        "binance_get_top_trader_ratio",
    ] {
        let r = call(
            &c,
            &base,
            name,
            json!({"symbol": "BTCUSDT", "period": "5m"}),
        )
        .await;
        let row = &r["rows"][0];
        assert!(
            (f(&row["long_share"]) + f(&row["short_share"]) - 1.0).abs() < 1e-3,
            "{row}"
        );
        assert!(
            (f(&row["long_short_ratio"]) - f(&row["long_share"]) / f(&row["short_share"])).abs()
                < 1e-3
        );
    }
    let oih = call(
        &c,
        &base,
        "binance_get_open_interest_history",
        json!({"symbol": "BTCUSDT", "period": "5m"}),
    )
    .await;
    assert!(f(&oih["rows"][0]["open_interest"]) > 0.0);

    // 24h statistics over REST = the live ticker while the market is frozen.
    let stats = call(&c, &base, "binance_get_24h_stats", sym.clone()).await;
    let ticker = call(&c, &base, "binance_get_ticker", sym.clone()).await;
    assert_eq!(
        f(&stats["rows"][0]["last_price"]),
        f(&ticker["data"]["last_price"])
    );
    let info = call(&c, &base, "binance_get_exchange_info", sym.clone()).await;
    assert_eq!(info["rows"][0]["status"], "TRADING");
    assert!(f(&info["rows"][0]["tick_size"]) > 0.0);

    // Basis and summary reuse the live mark/funding; liquidation stats count the live list.
    let basis = call(&c, &base, "binance_get_basis", sym.clone()).await;
    let mark = call(&c, &base, "binance_get_mark_price", sym.clone()).await;
    assert_eq!(basis["basis_bps"], mark["data"]["basis_bps"]);
    let summary = call(&c, &base, "binance_get_market_summary", sym.clone()).await;
    for part in ["ticker", "mark_price", "funding", "top_of_book"] {
        assert!(summary[part].is_object(), "{part} missing: {summary}");
    }
    let liq = call(
        &c,
        &base,
        "binance_get_liquidations",
        json!({"symbol": "BTCUSDT", "limit": 50}),
    )
    .await;
    let stats = call(
        &c,
        &base,
        "binance_get_liquidation_stats",
        json!({"symbol": "BTCUSDT", "limit": 50}),
    )
    .await;
    assert_eq!(stats["count"], json!(liq["data"].as_array().unwrap().len()));

    // Bad arguments are refused by the schema before the plugin runs.
    let r = c
        .post(format!("{base}/tools/binance_get_taker_volume"))
        .json(&json!({"symbol": "BTCUSDT", "period": "7m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // HTTP conveniences: one-call dashboard (same live book), OpenAPI with every tool, signals,
    // and a forecast refused clearly while there is too little data.
    let dash: Value = c
        .get(format!("{base}/dashboard/BTCUSDT?depth=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let top3: Vec<Value> = ob["data"]["bids"].as_array().unwrap()[..3].to_vec();
    assert_eq!(dash["live"]["book"]["data"]["bids"], Value::Array(top3));
    assert!(
        dash["features"]["features"]["mid_price"].is_number(),
        "{dash}"
    );
    let doc: Value = c
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for t in tools["tools"].as_array().unwrap() {
        let path = format!("/tools/{}", t["name"].as_str().unwrap());
        assert_eq!(
            doc["paths"][&path]["post"]["requestBody"]["content"]["application/json"]["schema"],
            t["input_schema"],
            "{path}"
        );
    }
    assert!(doc["paths"]["/dashboard/{symbol}"]["get"].is_object());
    let r = c
        .get(format!("{base}/forecast/BTCUSDT"))
        .send()
        .await
        .unwrap();
    // Seconds of data are too few one-minute bars for a forecast: a clear 503, no placeholder.
    assert_eq!(r.status().as_u16(), 503, "forecast");
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs at least")
            || body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no bars data"),
        "{body}"
    );
    let reg: Value = c
        .get(format!("{base}/regimes/BTCUSDT"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!reg["venues"].as_array().unwrap().is_empty(), "{reg}");
    // The same over the tool registry (so over MCP), with the cross-venue classification's
    // place held until the 15-minute windows fill; an unknown symbol is a clear error.
    let tool: Value = c
        .post(format!("{base}/tools/get_market_regime"))
        .json(&json!({"symbol": "BTCUSDT"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tool["symbol"], "BTCUSDT", "{tool}");
    assert_eq!(
        tool["venues"].as_array().unwrap().len(),
        reg["venues"].as_array().unwrap().len()
    );
    assert!(tool["across_venues"].is_object(), "{tool}");
    let bad = c
        .post(format!("{base}/tools/get_market_regime"))
        .json(&json!({"symbol": "NOPEUSDT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    // Signals: computed from the same feature vector the features route serves.
    let sig: Value = c
        .get(format!("{base}/signals/BTCUSDT?venue=binance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v = &sig["venues"][0];
    let names: Vec<&str> = v["signals"]
        .as_array()
        .unwrap_or_else(|| panic!("{sig}"))
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for want in [
        "market_maker_activity",
        "execution_quality",
        "composite_risk",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for s in v["signals"].as_array().unwrap() {
        let (x, c) = (
            s["value"].as_f64().unwrap(),
            s["confidence"].as_f64().unwrap(),
        );
        assert!((-1.0..=1.0).contains(&x) && c > 0.0 && c <= 1.0, "{s}");
    }
    assert!(
        ["long", "short", "neutral"].contains(&v["recommendation"]["action"].as_str().unwrap())
    );
    assert!(
        dash["signals"]["signals"].is_array(),
        "the dashboard carries the signals"
    );
    let r = c
        .get(format!("{base}/signals/NOPEUSDT"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    emu.control(r#"{"op":"resume"}"#).unwrap();
    running.shutdown().await.unwrap();
}
