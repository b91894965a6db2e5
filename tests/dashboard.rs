//! The dashboard in a real browser: a demo on loopback with a bearer token and storage, driven
//! by `tests/dashboard/check.mjs` (npm playwright-core + Debian's headless Chromium, both
//! installed by scripts/setup.sh). Every page loads, shows live data that changes between two
//! reads, has no console error, failed request or error message; the page asks for the token
//! and keeps it out of URLs; screenshots of every page (and one at a phone's width) are written
//! to `<target dir>/debug/test-output/dashboard/`. Plus the server side: the assets need no token, the
//! live stream does, and its limits are answered and counted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{start_demo_with, target_dir, wait_for};

const TOKEN: &str = "dash-s3cret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_live_data_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_demo_with(Some(dir.path()), 300.0, |cfg| {
        cfg.server.auth_token = Some(TOKEN.into());
        cfg.server.max_live_streams = 4;
    })
    .await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();

    // The page and its assets are public (no data in them); everything else needs the token.
    let page = c.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(page.text().await.unwrap().contains("/assets/app.js"));
    let js = c
        .get(format!("{base}/assets/echarts.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.bytes().await.unwrap().len() > 500_000,
        "ECharts is embedded whole"
    );
    for path in [
        "/settings",
        "/live?topics=status",
        "/features/BTCUSDT?venue=binance",
    ] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path} without the token");
    }
    let auth = format!("Bearer {TOKEN}");
    let settings: Value = c
        .get(format!("{base}/settings"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = settings.to_string();
    assert!(!text.contains(TOKEN), "the token is masked in /settings");
    assert_eq!(
        settings["config"]["server"]["auth_token"],
        Value::Null,
        "the default config has no token; the running one comes from the test"
    );
    assert!(settings["symbols"].as_array().unwrap().len() > 20);
    assert!(
        settings["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["enabled"].is_boolean())
    );

    // Live stream: bad requests are answered clearly; the cap is enforced and counted.
    for (q, status) in [
        ("topics=nope", 400),
        ("topics=features", 400),
        ("symbol=NOPE&topics=features", 404),
        ("symbol=BTCUSDT&venue=nope&topics=book", 404),
    ] {
        let r = c
            .get(format!("{base}/live?{q}"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{q}");
    }
    let mut open = Vec::new();
    for _ in 0..4 {
        let r = c
            .get(format!(
                "{base}/live?symbol=BTCUSDT&topics=status,features&interval_ms=250"
            ))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        open.push(r);
    }
    let refused = c
        .get(format!("{base}/live?topics=status"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        429,
        "the fifth stream is over max_live_streams"
    );
    // A snapshot arrives on an open stream and carries the requested topics.
    let mut first = open.pop().unwrap();
    let mut buf = String::new();
    while !buf.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), first.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = buf.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let snap: Value = serde_json::from_str(data).unwrap();
    assert!(
        snap["topics"]["status"]["venues"].is_array() && snap["topics"]["features"].is_object(),
        "{snap}"
    );
    drop(first);
    drop(open);
    let status: Value = wait_for(Duration::from_secs(10), || async {
        let s: Value = c
            .get(format!("{base}/streaming/status"))
            .header("authorization", &auth)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (s["limits"]["http"]["live_streams_open"] == 0).then_some(s)
    })
    .await
    .expect("closed streams are released");
    assert_eq!(status["limits"]["http"]["live_streams_refused"], 1);

    // Let the windows fill a little (features, signals, cross-venue, a few stored snapshots).
    wait_for(Duration::from_secs(90), || async {
        let f: Value = c
            .get(format!("{base}/features/BTCUSDT?venue=binance"))
            .header("authorization", &auth)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (f["count"].as_u64()? > 100).then_some(())
    })
    .await
    .expect("features computed");
    tokio::time::sleep(Duration::from_secs(20)).await;

    let out = target_dir().join("test-output/dashboard");
    let _ = std::fs::remove_dir_all(&out);
    let root = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("..");
    let base2 = base.clone();
    let out2 = out.clone();
    let res = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(root.join("tests/dashboard/check.mjs"))
            .args([&base2, &out2.display().to_string(), TOKEN])
            .env("ORDERFLOW_WEB_MODULES", root.join(".deps/web/node_modules"))
            .output()
            .expect("node runs (scripts/setup.sh installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    eprintln!("{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    assert!(res.status.success(), "browser check failed: {stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(report["problems"].as_array().unwrap().is_empty());
    let pages = report["pages"].as_object().unwrap();
    assert_eq!(pages.len(), 10);
    for (name, r) in pages {
        assert_eq!(r["ok"], true, "{name}: {r}");
        assert!(
            out.join(format!("{name}.png")).is_file(),
            "{name} screenshot"
        );
    }
    assert!(out.join("overview-mobile.png").is_file());
    assert_eq!(report["mobile"]["menu_opens"], true);
    running.shutdown().await.unwrap();
}
