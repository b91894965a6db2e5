//! OKX end to end through the host: the real plugin library against its loopback emulator,
//! driven by the engine's WebSocket/REST driver. A wrong checksum and a sequence gap injected
//! by the emulator are detected, counted in `/streaming/status`, and recovered from: the live
//! book equals the emulator's published book afterwards, and features keep flowing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{start_demo, wait_for};

async fn get(c: &reqwest::Client, url: String) -> Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

fn okx_status(s: &Value) -> Value {
    s["venues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue"] == "okx")
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_checksum_and_gap_faults_are_detected_counted_and_recovered() {
    let running = start_demo(None, 1_500.0, None).await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    let emu = &running.emulators["okx"];
    wait_for(Duration::from_secs(20), || async {
        let f = get(&c, format!("{base}/features/ETHUSDT?venue=okx")).await;
        f["features"]["mid_price"].as_f64()
    })
    .await
    .expect("okx features");

    emu.control(r#"{"op":"fault","kind":"checksum","symbol":"ETH-USDT-SWAP"}"#)
        .unwrap();
    emu.control(r#"{"op":"fault","kind":"gap","symbol":"BTC-USDT-SWAP"}"#)
        .unwrap();
    let st = wait_for(Duration::from_secs(20), || async {
        let s = okx_status(&get(&c, format!("{base}/streaming/status")).await);
        let n = &s["notices"];
        (n["checksum_mismatches"].as_u64() >= Some(1) && n["gaps"].as_u64() >= Some(1)).then_some(s)
    })
    .await
    .expect("faults counted");
    assert!(st["resyncs"].as_u64().unwrap() >= 2, "{st}");
    assert_eq!(st["decode_errors"], 0);

    // After recovery the live book is the venue's book, level for level (sizes in base units:
    // contracts × ctVal, with ctVal = the emulator's lot size).
    tokio::time::sleep(Duration::from_millis(500)).await;
    emu.control(r#"{"op":"pause"}"#).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    for (sym, inst, lot) in [
        ("ETHUSDT", "ETH-USDT-SWAP", 0.001),
        ("BTCUSDT", "BTC-USDT-SWAP", 0.001),
    ] {
        let truth: Value = serde_json::from_str(
            &emu.control(&json!({"op": "book", "symbol": inst, "depth": 10}).to_string())
                .unwrap(),
        )
        .unwrap();
        // The emulator is paused: wait until every update it sent has been applied (the live
        // sequence reaches the venue's), however slow the machine is.
        let live = wait_for(Duration::from_secs(20), || async {
            let live = c
                .post(format!("{base}/tools/okx_get_orderbook"))
                .json(&json!({"symbol": sym, "depth": 10}))
                .send()
                .await
                .ok()?
                .json::<Value>()
                .await
                .ok()?;
            (live["data"]["sequence"] == truth["seq_id"]).then_some(live)
        })
        .await
        .expect("live book caught up with the paused venue");
        for side in ["bids", "asks"] {
            let t: Vec<(f64, f64)> = truth[side]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let p: f64 = l[0].as_str().unwrap().parse().unwrap();
                    let q: f64 = l[1].as_str().unwrap().parse().unwrap();
                    (p, (q * lot * 1e8).round() / 1e8)
                })
                .collect();
            let ours: Vec<(f64, f64)> = live["data"][side]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| (l[0].as_f64().unwrap(), l[1].as_f64().unwrap()))
                .collect();
            assert_eq!(ours, t, "{sym} {side}");
        }
        assert_eq!(live["data"]["sequence"], truth["seq_id"], "{sym}");
    }
    emu.control(r#"{"op":"resume"}"#).unwrap();
    running.shutdown().await.unwrap();
}
