//! Storage faults against the real binary: a full disk (a 24 MiB tmpfs, mounted in a private
//! mount namespace with `unshare -rm`, so no privileges are needed and nothing outside sees it).
//! While the disk is full, rows are dropped, counted and recorded as gaps, and the live side
//! keeps serving; when space is freed, storage resumes by itself and writes the `gaps` rows of
//! the lost interval, which `get_data_gaps` then shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{DemoProcess, orderflow_bin, target_dir};

fn get(url: &str) -> Option<Value> {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", url])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn post(url: &str, body: &Value) -> Option<Value> {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", "-X", "POST", "-d", &body.to_string(), url])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

#[test]
fn a_full_disk_drops_counted_rows_keeps_serving_and_storage_resumes_when_space_returns() {
    let mnt = tempfile::tempdir().unwrap();
    let conf_dir = tempfile::tempdir().unwrap();
    let config = conf_dir.path().join("config.toml");
    let default = std::fs::read_to_string(
        std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../config/default.toml"),
    )
    .unwrap();
    std::fs::write(
        &config,
        default.replace(
            "[forecast]\nenabled = true\n",
            "[forecast]\nenabled = false\n",
        ),
    )
    .unwrap();
    let m = mnt.path().display().to_string();
    // 24 MiB, of which a 14 MB ballast file: the database fills the rest within seconds.
    let script = format!(
        "mount -t tmpfs -o size=24m tmpfs '{m}' && head -c 14000000 /dev/zero > '{m}/ballast' && exec \"$0\" \"$@\""
    );
    let mut child = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .arg(orderflow_bin())
        .args(["--config", &config.display().to_string()])
        .args(["--plugins", target_dir().to_str().unwrap()])
        .args([
            "demo",
            "--http",
            "127.0.0.1:0",
            "--duration",
            "300",
            "--rate",
            "2000",
            "--data",
            &m,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("unshare (util-linux) is needed for the full-disk test");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let pid = child.id();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| {
            panic!("the demo did not start in a private tmpfs (unshare -rm + mount): {line:?}")
        })
        .to_owned();
    let _demo = DemoProcess::from_child(child, base.clone());
    let storage = || get(&format!("{base}/streaming/status")).map(|s| s["storage"].clone());

    // The disk fills: flushes fail, rows are dropped and counted, the cause is shown.
    let full = wait_until(Duration::from_secs(120), || {
        let s = storage()?;
        (s["rows_dropped"].as_u64()? > 0).then_some(s)
    })
    .expect("the disk never filled");
    assert!(
        full["last_error"]
            .as_str()
            .unwrap()
            .contains("No space left"),
        "{full}"
    );
    // The live side keeps serving fresh features.
    let f = get(&format!("{base}/features/BTCUSDT?venue=binance")).unwrap();
    assert!(f["age_ms"].as_f64().unwrap() < 10_000.0, "{}", f["age_ms"]);
    let written_when_full = full["rows_written"].as_u64().unwrap();

    // Space comes back (the ballast is removed through the demo's own view of its mounts).
    std::fs::remove_file(format!("/proc/{pid}/root{m}/ballast")).unwrap();
    let resumed = wait_until(Duration::from_secs(90), || {
        let s = storage()?;
        (s["available"] == true && s["rows_written"].as_u64()? > written_when_full + 1_000)
            .then_some(s)
    })
    .expect("storage did not resume after space was freed");
    // The lost interval is in the history, per instrument, with the rows lost: asked of the
    // gaps table itself, and of the agent-facing tool.
    let lost_sql = json!({"sql": "SELECT coalesce(sum(lost), 0)::BIGINT, count(DISTINCT venue || symbol) \
                                  FROM gaps WHERE reason = 'storage_error'"});
    let query = || post(&format!("{base}/tools/query_history"), &lost_sql);
    let Some(gaps) = wait_until(Duration::from_secs(30), || {
        let q = query()?;
        (q["rows"][0][0].as_u64()? > 0).then_some(q["rows"][0].clone())
    }) else {
        let tool = post(
            &format!("{base}/tools/get_data_gaps"),
            &json!({"limit": 20}),
        );
        panic!(
            "no storage_error gaps written after the recovery\nquery: {:?}\nget_data_gaps: {tool:?}\nstorage: {:?}\nwhen resumed: {resumed}",
            query(),
            storage()
        );
    };
    assert!(gaps[1].as_u64().unwrap() > 1, "per instrument: {gaps}");
    let g = post(
        &format!("{base}/tools/get_data_gaps"),
        &json!({"limit": 1000}),
    )
    .unwrap();
    let listed: u64 = g["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[6] == "storage_error")
        .map(|r| r[7].as_u64().unwrap_or(0))
        .sum();
    assert!(listed > 0, "{g}");
}
