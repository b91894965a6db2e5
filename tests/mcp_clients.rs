//! MCP with real clients: the official Python SDK (PyPI `mcp`, installed into `.deps/py` by
//! `scripts/setup.sh`) drives a spawned `orderflow demo` over streamable HTTP in both protocol
//! eras (`mode="auto"` → 2026-07-28, `mode="legacy"` → 2025-11-25), over stdio
//! (`orderflow mcp --demo`), and watches `notifications/tools/list_changed` when a plugin is
//! disabled. The checks themselves are in `tests/mcp/check_client.py`; each compares MCP answers
//! with the plain HTTP API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::{DemoProcess, orderflow_bin, spawn_demo, target_dir};

/// One demo at a time: each test spawns a full demo (five emulated venues, ten plugins, DuckDB)
/// plus a client (Python, or Node for the inspector); four of them at once on a two-core debug
/// build starved each other until clients timed out. Poisoning is ignored so that one failure
/// does not fail the others.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn repo() -> PathBuf {
    PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("..")
}

/// The set-up's Python with the MCP SDK; a missing one is an error, never a skip.
fn python() -> PathBuf {
    let p = std::env::var_os("ORDERFLOW_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".deps/py/bin/python"));
    assert!(
        p.exists(),
        "{} missing: run ./scripts/setup.sh (installs the Python MCP SDK used by these tests)",
        p.display()
    );
    p
}

/// A demo process on an ephemeral port (killed on drop) and its data folder.
struct Demo {
    _process: DemoProcess,
    base: String,
    _dir: tempfile::TempDir,
}

fn start_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let process = spawn_demo(
        &["--plugins", target_dir().to_str().unwrap()],
        dir.path(),
        240,
    );
    // Let the emulated feed fill books and write some history.
    std::thread::sleep(std::time::Duration::from_secs(4));
    Demo {
        base: process.base.clone(),
        _process: process,
        _dir: dir,
    }
}

fn run_check(args: &[&str]) {
    let out = Command::new(python())
        .arg(repo().join("tests/mcp/check_client.py"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "check {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("ok "), "{stdout}");
}

#[test]
fn python_sdk_over_streamable_http_both_eras_and_list_changed() {
    let _serial = serial();
    let demo = start_demo();
    run_check(&["http", &demo.base, "auto"]);
    run_check(&["http", &demo.base, "legacy"]);
    run_check(&["list-changed", &demo.base, "auto"]);
    run_check(&["list-changed", &demo.base, "legacy"]);
}

/// The MCP Inspector CLI (npm `@modelcontextprotocol/inspector`, installed by the set-up).
fn inspector(args: &[&str]) -> (bool, String, String) {
    let bin = repo().join(".deps/inspector/node_modules/.bin/mcp-inspector");
    assert!(
        bin.exists(),
        "{} missing: run ./scripts/setup.sh",
        bin.display()
    );
    let out = Command::new(bin).arg("--cli").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn mcp_inspector_cli_lists_and_calls_tools_in_both_eras() {
    let _serial = serial();
    let demo = start_demo();
    let url = format!("{}/mcp", demo.base);
    let http: serde_json::Value = serde_json::from_str(
        &String::from_utf8(
            Command::new("curl")
                .args(["-s", &format!("{}/tools", demo.base)])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .unwrap();
    for era in ["legacy", "modern"] {
        // --strict: every schema must also be portable (exit 6 and a report otherwise).
        let (ok, out, err) = inspector(&[
            &url,
            "--method",
            "tools/list",
            "--strict",
            "--protocol-era",
            era,
            "-q",
            "--format",
            "json",
        ]);
        assert!(ok, "{era}: {err}");
        assert!(
            !err.contains("Warning"),
            "{era}: schema portability warnings:\n{err}"
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["result"]["tools"].as_array().unwrap().len(),
            http["count"].as_u64().unwrap() as usize,
            "{era}: inspector sees every page"
        );
        let (ok, out, err) = inspector(&[
            &url,
            "--method",
            "tools/call",
            "--tool-name",
            "binance_get_book_ticker",
            "--tool-arg",
            "symbol=BTCUSDT",
            "--protocol-era",
            era,
            "-q",
            "--format",
            "json",
        ]);
        assert!(ok, "{era}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let sc = &v["result"]["structuredContent"];
        assert!(
            sc["bid_price"].as_f64().unwrap() < sc["ask_price"].as_f64().unwrap(),
            "{v}"
        );
        let (ok, _, err) = inspector(&[
            &url,
            "--method",
            "tools/call",
            "--tool-name",
            "binance_get_book_ticker",
            "--tool-arg",
            "symbol=NOPE",
            "--protocol-era",
            era,
            "-q",
        ]);
        assert!(!ok, "{era}: bad symbol accepted");
        assert!(err.contains("symbol"), "{era}: {err}");
    }
}

#[test]
fn python_sdk_over_stdio() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    run_check(&[
        "stdio",
        "-",
        orderflow_bin().to_str().unwrap(),
        target_dir().to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
}

#[test]
fn mcp_endpoint_refuses_foreign_hosts_and_origins() {
    let _serial = serial();
    let demo = start_demo();
    let port = demo.base.rsplit(':').next().unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;
    let status = |extra: &[&str]| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
            .args(["-H", "content-type: application/json"])
            .args(["-H", "accept: application/json, text/event-stream"])
            .args(extra)
            .args(["--data", body])
            .arg(format!("http://127.0.0.1:{port}/mcp"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(status(&["-H", "Host: evil.example"]), "403");
    assert_eq!(status(&["-H", "Origin: http://evil.example"]), "403");
    // An allowed origin passes the guard (the bare request then fails protocol checks, not 403).
    let allowed = status(&["-H", "Origin: http://localhost:3000"]);
    assert_ne!(allowed, "403");
    assert_ne!(status(&[]), "403");
}
