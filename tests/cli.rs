//! The `orderflow` binary: parse real payloads, refuse malformed ones with a non-zero exit, list
//! plugins, run a short demo and query its database once stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;
use support::{orderflow_bin, target_dir};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../plugins/binance/test_data")
    .join(name)
}

#[test]
fn parse_prints_normalized_events_of_real_payloads() {
    let out = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "parse",
            "--venue",
            "binance",
        ])
        .arg(fixture("ws_agg_trade.json"))
        .arg(fixture("ws_depth_update.json"))
        .arg(fixture("ws_mark_price.json"))
        .arg(fixture("ws_ticker_24h.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["trade", "book", "mark_price", "funding", "ticker"]);
    assert_eq!(lines[0]["symbol"], "BTCUSDT");
    assert_eq!(
        lines[0]["price"], "0.001",
        "decimal strings, not fixed-point mantissas"
    );
    assert_eq!(lines[2]["mark"], "11794.15");
}

#[test]
fn parse_reports_bad_payloads_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(fixture("ws_agg_trade.json"))
        .unwrap()
        .replace('\n', "");
    std::fs::write(&bad, format!("{good}\n{{\"e\":\"aggTrade\",\"s\":\"BTCUSDT\"\n{{\"e\":\"aggTrade\",\"E\":1,\"a\":1,\"s\":\"BTCUSDT\",\"p\":\"1x\",\"q\":\"1\",\"T\":1,\"m\":true}}\n{good}\n")).unwrap();
    let out = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "parse",
            "--venue",
            "binance",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        2,
        "both good payloads still decoded: {stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad.jsonl#2: cannot decode"), "{stderr}");
    assert!(
        stderr.contains("bad.jsonl#3: cannot decode") && stderr.contains("field p"),
        "{stderr}"
    );
}

#[test]
fn plugins_lists_the_binance_plugin_and_its_tools() {
    let out = Command::new(orderflow_bin())
        .args(["--plugins", target_dir().to_str().unwrap(), "plugins"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("binance 0.1.0") && s.contains("binance_get_klines"),
        "{s}"
    );
}

#[test]
fn demo_runs_for_a_while_then_query_reads_the_stopped_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "demo",
            "--http",
            "127.0.0.1:0",
            "--duration",
            "4",
            "--data",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("/features/BTCUSDT"));
    let q = Command::new(orderflow_bin())
        .args(["query", "--data"])
        .arg(dir.path())
        .arg("SELECT count(*) > 0 FROM btcusdt_binance_trades")
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    assert!(String::from_utf8(q.stdout).unwrap().lines().nth(1) == Some("true"));
    let refused = Command::new(orderflow_bin())
        .args(["query", "--data"])
        .arg(dir.path())
        .arg("DROP TABLE trades")
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

#[test]
fn rows_flushed_before_a_kill_9_survive_and_two_workers_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "demo",
            "--http",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--duration",
            "60",
            "--data",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The first stdout line says the system runs (plugins loaded, venues connecting): five
    // seconds of data from then on, however long the start took on a loaded machine.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.contains("http://"), "{line}");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    std::thread::sleep(std::time::Duration::from_secs(5));
    child.kill().unwrap(); // SIGKILL: no flush, no checkpoint
    let _ = child.wait();
    let q = Command::new(orderflow_bin())
        .args(["query", "--data"])
        .arg(dir.path())
        .arg("SELECT count(*) FROM trades, (SELECT count(*) AS f FROM features) WHERE f > 0")
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let n: i64 = String::from_utf8(q.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > 100, "only {n} trades survived");
    // The next start opens the same database and appends to it.
    let again = Command::new(orderflow_bin())
        .args([
            "--plugins",
            target_dir().to_str().unwrap(),
            "demo",
            "--http",
            "127.0.0.1:0",
            "--duration",
            "5",
            "--data",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(again.success());
    let q = Command::new(orderflow_bin())
        .args(["query", "--data"])
        .arg(dir.path())
        .arg("SELECT count(*) FROM trades")
        .output()
        .unwrap();
    let m: i64 = String::from_utf8(q.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(m > n, "the second run appended nothing: {m} ≤ {n}");
}

#[test]
fn parse_decodes_rest_answers_of_the_new_venues_with_decimal_strings() {
    let run = |venue: &str, kind: &str, symbol: &str, file: &str| -> Vec<serde_json::Value> {
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../plugins")
        .join(file);
        let out = Command::new(orderflow_bin())
            .args([
                "--plugins",
                target_dir().to_str().unwrap(),
                "parse",
                "--venue",
                venue,
                "--kind",
                kind,
                "--symbol",
                symbol,
            ])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // Detected: Deribit last trades, with the raw USD amount and the base size.
    let t = run(
        "deribit",
        "rest",
        "ETHUSDT",
        "deribit/test_data/rest_last_trades.json",
    );
    assert_eq!(t[0]["kind"], "deribit_get_rest_trades");
    assert_eq!(
        (t[0]["row"]["price"].as_str(), t[0]["row"]["size"].as_str()),
        (Some("2968.3"), Some("0.00033689"))
    );
    assert_eq!(t[0]["row"]["trade_seq"], 203_024_587, "ids stay numbers");
    // Detected: Hyperliquid funding history, Kraken candles (integer-valued prices as strings).
    assert_eq!(
        run(
            "hyperliquid",
            "rest",
            "BTCUSDT",
            "hyperliquid/test_data/rest_funding_history.json"
        )[0]["kind"],
        "hyperliquid_get_funding_history"
    );
    let c = run(
        "kraken",
        "rest",
        "BTCUSDT",
        "kraken/test_data/rest_candles_trade.json",
    );
    assert_eq!(
        (c[0]["kind"].as_str(), c[0]["row"]["open"].as_str()),
        (Some("kraken_get_candles"), Some("91069"))
    );
    // Chosen with --kind: Gate.io's with_id snapshot.
    let b = run(
        "gateio",
        "gateio_get_depth_snapshot",
        "BTCUSDT",
        "gateio/test_data/rest_order_book.json",
    );
    assert_eq!(b[0]["row"]["id"], 123_456);
    // Stream payloads print decimal strings too.
    let w = run(
        "deribit",
        "ws",
        "BTCUSDT",
        "deribit/test_data/ws_trades.json",
    );
    assert_eq!(
        (w[1]["price"].as_str(), w[1]["size"].as_str()),
        (Some("92288.5"), Some("0.00812669"))
    );
}
