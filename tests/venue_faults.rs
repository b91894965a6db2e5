//! Transport and venue faults against every venue's emulator, through the real plugins and the
//! host driver: each fault is detected, counted in `/streaming/status`, recovered from, never
//! panics, and afterwards the live book equals the venue's book.
//!
//! Venues: every venue the demo runs (from the configuration and the loaded plugins — a new
//! venue plugin is covered without editing this file). Faults on each: duplicated frames,
//! out-of-order frames, a silent stall (the host's idle timeout reconnects, the codec
//! resubscribes and resyncs), a malformed frame and a dropped connection, and every
//! per-instrument fault the venue's emulator declares (`{"op":"faults"}`: sequence gaps,
//! checksum mismatches), each detected, counted and resynced. Then venue-specific cases: REST
//! 429s while the Binance book needs a snapshot, REST 500s on an OKX tool call. After each
//! venue's faults, its book is the venue's and its features are fresh again.

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

/// Pauses the venue's market and compares the live book with the emulator's, level by level
/// (the emulator's sizes times its `base_per_size`, when it sends one, are base units; with
/// `"size_unit":"usd"` they are USD, divided by the level's price).
async fn assert_book_is_venue_book(
    running: &Running,
    c: &reqwest::Client,
    base: &str,
    venue: &str,
    symbol: &str,
) {
    let venue_symbol = venue_symbol(running, venue, symbol);
    let emu = &running.emulators[venue];
    emu.control(r#"{"op":"pause"}"#).unwrap();
    // In-flight frames land within a bounded time (a loaded 2-core machine in a debug build
    // trails by up to about a second): the live book must converge to the truth within 10 s.
    let start = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        match compare_book(c, base, venue, symbol, &venue_symbol, emu).await {
            Ok(()) => break,
            Err(diff) => assert!(start.elapsed() < Duration::from_secs(10), "{diff}"),
        }
    }
    emu.control(r#"{"op":"resume"}"#).unwrap();
}

/// Compares the live book with the emulator's true book once.
async fn compare_book(
    c: &reqwest::Client,
    base: &str,
    venue: &str,
    symbol: &str,
    venue_symbol: &str,
    emu: &orderflow_plugin_host::emulator::EmulatorServer,
) -> Result<(), String> {
    let truth: Value = serde_json::from_str(
        &emu.control(&json!({"op": "book", "symbol": venue_symbol, "depth": 10}).to_string())
            .unwrap(),
    )
    .unwrap();
    let lot: f64 = truth["base_per_size"]
        .as_str()
        .map_or(1.0, |s| s.parse().unwrap());
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
                let price = n(&l[0]);
                // Deribit's inverse books are in USD: base = USD ÷ price (8 decimals).
                let per = if truth["size_unit"] == "usd" {
                    1.0 / price
                } else {
                    lot
                };
                (price, (n(&l[1]) * per * 1e8).round() / 1e8)
            })
            .collect();
        let ours: Vec<(f64, f64)> = live["data"][side]
            .as_array()
            .unwrap_or_else(|| panic!("{venue}: {live}"))
            .iter()
            .map(|l| (l[0].as_f64().unwrap(), l[1].as_f64().unwrap()))
            .collect();
        // Equal to the satoshi (the codec rounds USD ÷ price half-to-even in exact decimals).
        let same = ours.len() == t.len()
            && ours
                .iter()
                .zip(&t)
                .all(|(a, b)| a.0 == b.0 && (a.1 - b.1).abs() < 1.5e-8);
        if !same {
            return Err(format!("{venue} {symbol} {side}: {ours:?} != {t:?}"));
        }
    }
    Ok(())
}

/// The venue's instrument name for `symbol`.
fn venue_symbol(running: &Running, venue: &str, symbol: &str) -> String {
    let id = running.state.universe.find(venue, symbol).unwrap();
    running.state.universe.get(id).unwrap().venue_symbol.clone()
}

/// Per-instrument faults the venue's emulator implements (gap, checksum, …).
fn instrument_faults(running: &Running, venue: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(
        &running.emulators[venue]
            .control(r#"{"op":"faults"}"#)
            .unwrap(),
    )
    .unwrap();
    v["instrument"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_detected_counted_and_recovered_on_every_venue() {
    let mut cfg = Config::load(None).unwrap();
    // The forecast refresher fits models every minute (slow in a debug build): not under test.
    cfg.forecast.enabled = false;
    for vc in cfg.venues.values_mut() {
        vc.idle_timeout_ms = Some(1_500);
    }
    cfg.override_option("depth_speed", "0ms".into());
    let mut opts = Options::new(cfg, Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.no_storage = true;
    // Nine venues in one debug-build process on two cores: a rate that leaves CPU headroom,
    // so that timeouts measure the faults, not a saturated machine.
    opts.emulator_rate = Some(400.0);
    let running = pipeline::start(opts).await.unwrap();
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    let venues: Vec<String> = running.emulators.keys().cloned().collect();
    // All eight venues of the seed (Binance and Bybit also as spot) run in the demo.
    for v in [
        "binance",
        "binance_spot",
        "bybit",
        "bybit_spot",
        "okx",
        "kraken",
        "gateio",
        "hyperliquid",
        "deribit",
    ] {
        assert!(venues.iter().any(|x| x == v), "{v} missing from {venues:?}");
    }
    let sym = "BTCUSDT";
    for venue in &venues {
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

    for venue in &venues {
        let venue = venue.as_str();
        let emu = &running.emulators[venue];
        let before = status(&c, &base, venue).await;

        // Duplicates: repeated trades and book updates are dropped as stale, nothing breaks.
        // Reordering: two swapped frames (a book update ahead of its predecessor is a gap).
        // The faults hit whichever frames come next; where those carry no sequence, id or time
        // (a duplicated context update, two swapped frames of different coins) nothing can
        // notice them, and nothing is harmed: so the faults are injected up to five times.
        let mut noticed = None;
        for _ in 0..5 {
            emu.control(r#"{"op":"fault","kind":"duplicate"}"#).unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            emu.control(r#"{"op":"fault","kind":"reorder"}"#).unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            noticed = wait_for(Duration::from_secs(4), || async {
                let s = status(&c, &base, venue).await;
                (notice(&s, "stale_dropped") + notice(&s, "gaps")
                    > notice(&before, "stale_dropped") + notice(&before, "gaps"))
                .then_some(s)
            })
            .await;
            if noticed.is_some() {
                break;
            }
        }
        let s = noticed.unwrap_or_else(|| panic!("{venue}: duplicates/reordering not noticed"));
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
        emu.control(r#"{"op":"fault","kind":"malformed"}"#).unwrap();
        wait_for(Duration::from_secs(10), || async {
            let s = status(&c, &base, venue).await;
            (s["decode_errors"].as_u64() > mid["decode_errors"].as_u64()).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: malformed frame not counted"));
        emu.control(r#"{"op":"fault","kind":"disconnect"}"#)
            .unwrap();
        wait_for(Duration::from_secs(15), || async {
            let s = status(&c, &base, venue).await;
            (s["reconnects"].as_u64() > mid["reconnects"].as_u64() && s["connected"] == true)
                .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{venue}: no reconnect after a dropped connection"));
        tokio::time::sleep(Duration::from_millis(1_500)).await;

        // The venue's own sequence faults: each detected, counted and resynced.
        let vs = venue_symbol(&running, venue, sym);
        for kind in instrument_faults(&running, venue) {
            let before = status(&c, &base, venue).await;
            emu.control(&json!({"op": "fault", "kind": kind, "symbol": vs}).to_string())
                .unwrap();
            let detected = |s: &Value| notice(s, "gaps") + notice(s, "checksum_mismatches");
            wait_for(Duration::from_secs(20), || async {
                let s = status(&c, &base, venue).await;
                (detected(&s) > detected(&before)
                    && notice(&s, "resyncs") > notice(&before, "resyncs"))
                .then_some(())
            })
            .await
            .unwrap_or_else(|| panic!("{venue}: fault {kind} not detected and resynced"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_book_is_venue_book(&running, &c, &base, venue, sym).await;
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
    assert_book_is_venue_book(&running, &c, &base, "binance", "BTCUSDT").await;

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
