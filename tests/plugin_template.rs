//! The out-of-tree plugin path, end to end, as a third-party author takes it:
//! `scripts/new-plugin.sh` writes a venue plugin and a forecasting-style tool plugin into a temp
//! dir outside the workspace; each builds with `cargo build --release` against this checkout's
//! `orderflow-tool-sdk`; `orderflow plugins --plugins DIR` lists them beside the built-in ones;
//! `orderflow demo --plugins DIR` runs the new venue against its own emulator (from the plugin's
//! venue defaults: no configuration edited, no engine code) and serves its tools over HTTP and
//! MCP; the engine computes features for the new venue.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{orderflow_bin, spawn_demo, target_dir};

fn repo() -> PathBuf {
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("..")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// Generates plugin `name` of `kind` in `dir` and builds it in release mode; returns the library.
fn generate_and_build(name: &str, kind: &str, dir: &Path) -> PathBuf {
    run(Command::new("bash")
        .arg(repo().join("scripts/new-plugin.sh"))
        .args([name, dir.to_str().unwrap(), "--kind", kind]));
    // A target dir of its own, kept beside this checkout's (warm on the next run).
    let target = target_dir().parent().unwrap().join("plugin-template");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--release", "--quiet"]));
    let lib = target.join(format!(
        "release/liborderflow_plugin_{name}{}",
        std::env::consts::DLL_SUFFIX
    ));
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

async fn post(c: &reqwest::Client, base: &str, tool: &str, args: Value) -> (u16, Value) {
    let r = c
        .post(format!("{base}/tools/{tool}"))
        .json(&args)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(c: &reqwest::Client, url: &str) -> Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_plugin_built_outside_the_repo_runs_in_the_demo_over_http_and_mcp() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for (name, kind) in [("tplvenue", "venue"), ("tplfc", "tools")] {
        let lib = generate_and_build(name, kind, &tmp.path().join(name));
        std::fs::copy(&lib, plugins.join(lib.file_name().unwrap())).unwrap();
    }

    // Listed beside the built-in plugins.
    let listing = run(Command::new(orderflow_bin()).args([
        "--plugins",
        plugins.to_str().unwrap(),
        "plugins",
    ]));
    for want in [
        "tplvenue 0.1.0",
        "tplvenue_get_orderbook",
        "tplvenue_get_instruments",
        "tplfc 0.1.0",
        "tplfc_forecast_naive",
        "binance ",
        "okx ",
    ] {
        assert!(listing.contains(want), "{want:?} not in:\n{listing}");
    }

    // The demo runs the new venue against its emulator.
    let demo = spawn_demo(
        &["--plugins", plugins.to_str().unwrap()],
        &tmp.path().join("data"),
        180,
    );
    let c = reqwest::Client::new();

    let exchanges = get(&c, &format!("{}/exchanges", demo.base)).await;
    assert!(exchanges.to_string().contains("tplvenue"), "{exchanges}");
    let tools = get(&c, &format!("{}/tools", demo.base)).await;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for want in [
        "tplvenue_get_orderbook",
        "tplvenue_get_instruments",
        "tplfc_forecast_naive",
    ] {
        assert!(names.contains(&want), "{want} not served");
    }

    // REST through the host to the emulator.
    let (status, inst) = post(
        &c,
        &demo.base,
        "tplvenue_get_instruments",
        json!({"symbol": "BTCUSDT"}),
    )
    .await;
    assert_eq!(status, 200, "{inst}");
    assert_eq!(inst["rows"][0]["symbol"], "BTC-PERP");
    assert_eq!(inst["rows"][0]["tick_size"], "0.1");

    // Live state from the codec's events: the book fills, trades flow, features are computed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let book = loop {
        let (status, b) = post(
            &c,
            &demo.base,
            "tplvenue_get_orderbook",
            json!({"symbol": "BTCUSDT", "depth": 5}),
        )
        .await;
        if status == 200 && b["data"]["bids"].as_array().is_some_and(|a| a.len() == 5) {
            break b;
        }
        assert!(Instant::now() < deadline, "no live book: {status} {b}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let (bid, ask) = (
        book["data"]["bids"][0][0].as_f64().unwrap(),
        book["data"]["asks"][0][0].as_f64().unwrap(),
    );
    assert!(bid < ask, "crossed book {book}");
    // A bad argument is refused by the schema the plugin declared.
    let (status, _) = post(
        &c,
        &demo.base,
        "tplvenue_get_orderbook",
        json!({"symbol": "BTCUSDT", "depth": 500}),
    )
    .await;
    assert_eq!(status, 400);

    let forecast = loop {
        let (status, f) = post(
            &c,
            &demo.base,
            "tplfc_forecast_naive",
            json!({"venue": "tplvenue", "symbol": "BTCUSDT", "horizon": 3}),
        )
        .await;
        if status == 200 {
            break f;
        }
        assert!(Instant::now() < deadline, "no forecast: {status} {f}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(forecast["forecast"].as_array().unwrap().len(), 3);
    let mean = forecast["forecast"][0]["mean"].as_f64().unwrap();
    assert!(
        (mean - bid).abs() / bid < 0.01,
        "forecast {mean} far from the book {bid}"
    );

    let features = loop {
        let f = get(
            &c,
            &format!("{}/features/BTCUSDT?venue=tplvenue", demo.base),
        )
        .await;
        if f["features"]["microprice"].as_f64().is_some()
            && f["features"]["trade_count_1m"].as_f64().unwrap_or(0.0) > 0.0
        {
            break f;
        }
        assert!(
            Instant::now() < deadline,
            "no features for the new venue: {f}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(features["features"]["microprice"].as_f64().unwrap() > 0.0);
    let status = get(&c, &format!("{}/streaming/status", demo.base)).await;
    assert!(status.to_string().contains("tplvenue"), "{status}");

    // MCP: the official Python SDK lists and calls the new tools.
    let py = std::env::var_os("ORDERFLOW_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".deps/py/bin/python"));
    assert!(
        py.exists(),
        "{} missing: run ./scripts/setup.sh",
        py.display()
    );
    for (tool, args) in [
        (
            "tplvenue_get_orderbook",
            r#"{"symbol":"BTCUSDT","depth":3}"#,
        ),
        (
            "tplfc_forecast_naive",
            r#"{"venue":"tplvenue","symbol":"BTCUSDT","horizon":2}"#,
        ),
    ] {
        let out = run(Command::new(&py)
            .arg(repo().join("tests/mcp/check_client.py"))
            .args(["call", &demo.base, "auto", tool, args]));
        assert!(out.contains(&format!("ok call auto {tool}")), "{out}");
    }
}
