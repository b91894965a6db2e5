//! Transport and venue faults against every venue's emulator, through the real plugins and the
//! host driver: each fault is detected, counted in `/streaming/status`, recovered from, never
//! panics, and afterwards the live book equals the venue's book.
//!
//! Venues: Binance futures and spot, Bybit linear and spot, OKX. Faults: duplicated frames,
//! out-of-order frames, a silent stall (the host's idle timeout reconnects, the codec
//! resubscribes and resyncs), a malformed frame and a dropped connection (each venue's own
//! emulator), REST 429s while the Binance book needs a snapshot, sequence gaps (Binance spot),
//! and REST 500s on an OKX tool call. After each venue's faults, its features are fresh again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options, Running};
use serde_json::{Value, json};
use std::time::Duration;
use support::{target_dir, wait_for};

async fn status(c: &reqwest::Client, base: &str, venue: &str) -> Value {
    let s: Value = c
        .get(format!("{base}/streaming/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s["venues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue"] == venue)
        .cloned()
        .unwrap()
}

fn notice(s: &Value, name: &str) -> u64 {
    s["notices"][name].as_u64().unwrap_or(0)
}

/// Pauses the venue's market and compares the live book with the emulator's, level by level.
async fn assert_book_is_venue_book(
    running: &Running,
    c: &reqwest::Client,
    base: &str,
    venue: &str,
    symbol: &str,
    venue_symbol: &str,
    lot: f64,
) {
    let emu = &running.emulators[venue];
    emu.control(r#"{"op":"pause"}"#).unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let truth: Value = serde_json::from_str(
        &emu.control(&json!({"op": "book", "symbol": venue_symbol, "depth": 10}).to_string())
            .unwrap(),
    )
    .unwrap();
    let live: Value = c
        .post(format!("{base}/tools/{venue}_get_orderbook"))
        .json(&json!({"symbol": symbol, "depth": 10}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for side in ["bids", "asks"] {
        let t: Vec<(f64, f64)> = truth[side]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let n = |x: &Value| -> f64 { x.as_str().unwrap().parse().unwrap() };
                (n(&l[0]), (n(&l[1]) * lot * 1e8).round() / 1e8)
            })
            .collect();
        let ours: Vec<(f64, f64)> = live["data"][side]
            .as_array()
            .unwrap_or_else(|| panic!("{venue}: {live}"))
            .iter()
            .map(|l| (l[0].as_f64().unwrap(), l[1].as_f64().unwrap()))
            .collect();
        assert_eq!(ours, t, "{venue} {symbol} {side}");
    }
    emu.control(r#"{"op":"resume"}"#).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_detected_counted_and_recovered_on_every_venue() {
    let mut cfg = Config::load(None).unwrap();
    for v in ["binance", "binance_spot", "bybit", "bybit_spot", "okx"] {
        cfg.venues.get_mut(v).unwrap().idle_timeout_ms = Some(1_500);
    }
    cfg.override_option("depth_speed", "0ms".into());
    let mut opts = Options::new(cfg, Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dir = Some(target_dir());
    opts.no_storage = true;
    opts.emulator_rate = Some(1_500.0);
    let running = pipeline::start(opts).await.unwrap();
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    for (venue, sym) in [
        ("binance", "BTCUSDT"),
        ("binance_spot", "BTCUSDT"),
        ("bybit", "BTCUSDT"),
        ("bybit_spot", "BTCUSDT"),
        ("okx", "BTCUSDT"),
    ] {
        wait_for(Duration::from_secs(20), || async {
            let f: Value = c
                .get(format!("{base}/features/{sym}?venue={venue}"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            f["features"]["mid_price"].as_f64()
        })
        .await
        .unwrap_or_else(|| panic!("{venue} features"));
    }

    for (venue, venue_symbol, lot) in [
        ("binance", "BTCUSDT", 1.0),
        ("binance_spot", "BTCUSDT", 1.0),
        ("bybit", "BTCUSDT", 1.0),
        ("bybit_spot", "BTCUSDT", 1.0),
        ("okx", "BTC-USDT-SWAP", 0.001),
    ] {
        let emu = &running.emulators[venue];
        let before = status(&c, &base, venue).await;

        // Duplicates: repeated trades and book updates are dropped as stale, nothing breaks.
        emu.control(r#"{"op":"fault","kind":"duplicate"}"#).unwrap();
        // Reordering: two swapped frames (a book update ahead of its predecessor is a gap).
        tokio::time::sleep(Duration::from_millis(300)).await;
        emu.control(r#"{"op":"fault","kind":"reorder"}"#).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let s = wait_for(Duration::from_secs(10), || async {
            let s = status(&c, &base, venue).await;
            (notice(&s, "stale_dropped") + notice(&s, "gaps")
                > notice(&before, "stale_dropped") + notice(&before, "gaps"))
            .then_some(s)
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: duplicates/reordering not noticed"));
        assert_eq!(s["decode_errors"], before["decode_errors"], "{venue}");

        // A silent stall: the idle timeout reconnects, the codec resubscribes.
        emu.control(r#"{"op":"fault","kind":"stall"}"#).unwrap();
        wait_for(Duration::from_secs(15), || async {
            let s = status(&c, &base, venue).await;
            (s["reconnects"].as_u64() > before["reconnects"].as_u64() && s["connected"] == true)
                .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: no reconnect after a stall"));
        tokio::time::sleep(Duration::from_millis(1_500)).await;

        // The venue's own faults: a truncated frame is counted as a decode error (nothing
        // else lost); a dropped connection is reconnected and resubscribed.
        let mid = status(&c, &base, venue).await;
        emu.control(r#"{"op":"fault","kind":"malformed","symbol":"BTCUSDT"}"#)
            .unwrap();
        wait_for(Duration::from_secs(10), || async {
            let s = status(&c, &base, venue).await;
            (s["decode_errors"].as_u64() > mid["decode_errors"].as_u64()).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: malformed frame not counted"));
        emu.control(r#"{"op":"fault","kind":"disconnect","symbol":"BTCUSDT"}"#)
            .unwrap();
        wait_for(Duration::from_secs(15), || async {
            let s = status(&c, &base, venue).await;
            (s["reconnects"].as_u64() > mid["reconnects"].as_u64() && s["connected"] == true)
                .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: no reconnect after a dropped connection"));
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_book_is_venue_book(&running, &c, &base, venue, "BTCUSDT", venue_symbol, lot).await;
        let f: Value = c
            .get(format!("{base}/features/BTCUSDT?venue={venue}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            f["age_ms"].as_f64().unwrap() < 5_000.0,
            "{venue}: features stale after recovery: {f}"
        );
    }

    // Binance: REST 429s while a gap forces a snapshot; the codec retries until it syncs.
    let emu = &running.emulators["binance"];
    let before = status(&c, &base, "binance").await;
    emu.control(r#"{"op":"fault","kind":"rest_error","status":429,"count":3}"#)
        .unwrap();
    emu.control(r#"{"op":"fault","kind":"gap","symbol":"BTCUSDT"}"#)
        .unwrap();
    wait_for(Duration::from_secs(20), || async {
        let s = status(&c, &base, "binance").await;
        (notice(&s, "rejections") > notice(&before, "rejections")
            && notice(&s, "resyncs") > notice(&before, "resyncs"))
        .then_some(())
    })
    .await
    .expect("429s counted and the book resynced");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_book_is_venue_book(&running, &c, &base, "binance", "BTCUSDT", "BTCUSDT", 1.0).await;

    // Binance spot: a gap breaks the spot rule (U = previous u + 1); the book resyncs.
    let before = status(&c, &base, "binance_spot").await;
    running.emulators["binance_spot"]
        .control(r#"{"op":"fault","kind":"gap","symbol":"BTCUSDT"}"#)
        .unwrap();
    wait_for(Duration::from_secs(20), || async {
        let s = status(&c, &base, "binance_spot").await;
        (notice(&s, "gaps") > notice(&before, "gaps")
            && notice(&s, "resyncs") > notice(&before, "resyncs"))
        .then_some(())
    })
    .await
    .expect("spot gap detected and resynced");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_book_is_venue_book(
        &running,
        &c,
        &base,
        "binance_spot",
        "BTCUSDT",
        "BTCUSDT",
        1.0,
    )
    .await;

    // OKX: a REST 500 on a tool call is a clear upstream error; the next call works.
    running.emulators["okx"]
        .control(r#"{"op":"fault","kind":"rest_error","status":500,"count":1}"#)
        .unwrap();
    let r = c
        .post(format!("{base}/tools/okx_get_candles"))
        .json(&json!({"symbol": "BTCUSDT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("500"),
        "{body}"
    );
    let r = c
        .post(format!("{base}/tools/okx_get_candles"))
        .json(&json!({"symbol": "BTCUSDT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    running.shutdown().await.unwrap();
}
