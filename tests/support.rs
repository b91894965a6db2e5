//! Shared helpers for the integration tests: where cargo put the binary and the plugins, and a
//! demo pipeline on ephemeral ports in a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options, Running};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `target/<profile>`: the test binary lives in `target/<profile>/deps`.
pub(crate) fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The built `orderflow` binary (`cargo build --workspace` runs before the tests).
pub(crate) fn orderflow_bin() -> PathBuf {
    let p = target_dir().join("orderflow");
    assert!(
        p.exists(),
        "{} missing: run `cargo build --workspace` first",
        p.display()
    );
    p
}

/// A demo on an ephemeral port with the built plugins that records every raw input into `rec`
/// (storage as the caller sets it).
pub(crate) fn recording_demo(cfg: &Config, rec: &Path) -> Options {
    let mut opts = Options::new(cfg.clone(), Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.record_dir = Some(rec.to_path_buf());
    opts
}

/// Replay settings for tests: as fast as possible, one worker, the built plugins, no progress
/// bar, a single process.
pub(crate) fn replay_args(dir: &Path, data: Option<&Path>) -> orderflow_node::replay::ReplayArgs {
    orderflow_node::replay::ReplayArgs {
        dir: dir.to_path_buf(),
        data_dir: data.map(Path::to_path_buf),
        speed: orderflow_node::replay::Speed::Max,
        from: None,
        to: None,
        workers: 1,
        plugin_dirs: orderflow_node::pipeline::PluginDirs {
            builtin: Some(target_dir()),
            extra: Vec::new(),
        },
        progress: false,
        cluster: None,
    }
}

/// A plugin library built by cargo.
pub(crate) fn plugin_lib(name: &str) -> PathBuf {
    let p = target_dir().join(format!("lib{name}{}", std::env::consts::DLL_SUFFIX));
    assert!(
        p.exists(),
        "{} missing: run `cargo build --workspace` first",
        p.display()
    );
    p
}

/// Starts `orderflow demo` in-process: loopback emulators, real plugin library, ephemeral ports.
pub(crate) async fn start_demo(
    data: Option<&Path>,
    rate: f64,
    depth_speed: Option<&str>,
) -> Running {
    start_demo_with(data, rate, |cfg| {
        if let Some(speed) = depth_speed {
            cfg.override_option("depth_speed", speed.into());
        }
    })
    .await
}

/// [`start_demo`] with the default config changed by `edit` first.
pub(crate) async fn start_demo_with(
    data: Option<&Path>,
    rate: f64,
    edit: impl FnOnce(&mut Config),
) -> Running {
    let mut cfg = Config::load(None).expect("default config");
    // The forecast refresher fits models every minute: tests of other parts run without it.
    cfg.forecast.enabled = false;
    edit(&mut cfg);
    let mut opts = Options::new(cfg, Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.emulator_rate = Some(rate);
    match data {
        Some(d) => opts.data_dir = Some(d.to_path_buf()),
        None => opts.no_storage = true,
    }
    pipeline::start(opts).await.expect("demo starts")
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub(crate) async fn wait_for<T, F, Fut>(timeout: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(v) = f().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// An `orderflow demo` child process on an ephemeral port; killed on drop.
pub(crate) struct DemoProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
}

impl DemoProcess {
    /// Owns an already spawned demo (killed on drop).
    pub(crate) fn from_child(child: std::process::Child, base: String) -> Self {
        Self { child, base }
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `orderflow [global…] demo --http 127.0.0.1:0 --duration S --data DATA` and reads the
/// URL from its first stdout line (the rest of stdout is drained so the demo never blocks).
pub(crate) fn spawn_demo(global: &[&str], data: &Path, duration_s: u32) -> DemoProcess {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // The forecast refresher fits models every minute (slow in a debug build, and it competes
    // with the feed on two cores): demos of other tests run without it.
    std::fs::create_dir_all(data).unwrap();
    let config = data.join("test-config.toml");
    let default = std::fs::read_to_string(
        std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../config/default.toml"),
    )
    .unwrap();
    assert!(default.contains("[forecast]\nenabled = true\n"));
    std::fs::write(
        &config,
        default.replace(
            "[forecast]\nenabled = true\n",
            "[forecast]\nenabled = false\n",
        ),
    )
    .unwrap();
    let with_config = !global.contains(&"--config");
    let mut child = Command::new(orderflow_bin())
        .args(if with_config {
            vec!["--config".to_owned(), config.display().to_string()]
        } else {
            Vec::new()
        })
        .args(global)
        .arg("demo")
        .args([
            "--http",
            "127.0.0.1:0",
            "--duration",
            &duration_s.to_string(),
            "--data",
        ])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // First stdout line: "orderflow demo (…) — http://127.0.0.1:PORT".
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    DemoProcess { child, base }
}

/// One MCP POST with the SEP-2243 headers of a 2026-07-28 `tools/call` for `tool`, changed by
/// `edit`; the answer's status, content type and body text.
pub(crate) async fn mcp_stateless(
    c: &reqwest::Client,
    base: &str,
    tool: &str,
    body: &Value,
    edit: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> (u16, String, String) {
    let req = c
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(body.to_string());
    let r = edit(req).send().await.unwrap();
    let code = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    (code, ctype, text)
}

pub(crate) fn stateless_call(id: Value, tool: &str, args: Option<Value>, meta: Value) -> Value {
    let mut params = json!({"name": tool, "_meta": meta});
    if let Some(a) = args {
        params["arguments"] = a;
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
}

pub(crate) fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "orderflow-tests", "version": "1"},
    })
}
