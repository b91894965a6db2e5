//! The latency harness: drives a loopback emulator at a target rate and measures
//! frame-received → feature-visible latency (hdrhistogram) and throughput.
//!
//! Receive time is taken by the driver when a WebSocket frame has been read; "feature visible"
//! is when the engine's probe has passed the batch that carried it (every feature of the batch
//! is then in the feature store). The emulator, the driver, the engine and the server all run
//! in this process on this machine, so the figures include the load of generating the feed.

use crate::config::Config;
use crate::pipeline::{self, Mode, Options};
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Harness settings.
#[derive(Clone, Debug)]
pub struct LatencyArgs {
    /// Emulator rate (market changes per second; each becomes one or more frames).
    pub rate: f64,
    /// Measured seconds.
    pub duration: f64,
    /// Unmeasured warm-up seconds.
    pub warmup: f64,
    /// Engine workers.
    pub workers: usize,
    /// Also write DuckDB while measuring.
    pub with_storage: bool,
    /// Plugin folder.
    pub plugin_dirs: crate::pipeline::PluginDirs,
    /// Venues to drive (empty: every enabled venue of the configuration); `rate` is shared
    /// equally among them.
    pub venues: Vec<String>,
}

/// One measured run.
#[derive(Clone, Debug, Serialize)]
pub struct LatencyReport {
    /// Target emulator rate.
    pub target_rate: f64,
    /// Frames received per second.
    pub frames_per_sec: f64,
    /// Normalized events per second.
    pub events_per_sec: f64,
    /// Engine batches per second.
    pub batches_per_sec: f64,
    /// Latency percentiles, µs.
    pub p50_us: f64,
    /// p90.
    pub p90_us: f64,
    /// p99.
    pub p99_us: f64,
    /// p99.9.
    pub p999_us: f64,
    /// Max.
    pub max_us: f64,
    /// Samples.
    pub samples: u64,
    /// Grid cuts (snapshots) while measuring.
    pub grid_cuts: u64,
    /// Median wall time of a grid cut, µs (the engine takes no input meanwhile).
    pub grid_p50_us: f64,
    /// Longest grid cut, µs.
    pub grid_max_us: f64,
    /// Engine steps: median wall time of one (a batch through the graph), µs.
    pub step_p50_us: f64,
    /// p99 of the step time, µs.
    pub step_p99_us: f64,
    /// Per event, receive → taken off the engine's queue (decode, queue, the step before), µs.
    pub queued_p50_us: f64,
    /// p99 of the queued time, µs.
    pub queued_p99_us: f64,
    /// Workers.
    pub workers: usize,
    /// Venues driven (the rate was shared among them).
    pub venues: Vec<String>,
}

/// Runs one measurement.
///
/// # Errors
/// Start-up errors.
pub async fn run_once(cfg: &Config, a: &LatencyArgs) -> anyhow::Result<LatencyReport> {
    let mut cfg = cfg.clone();
    // One diff per book change: every emulated change is a frame whose latency is measured.
    cfg.override_option("depth_speed", "0ms".into());
    for v in &a.venues {
        anyhow::ensure!(
            cfg.venues.contains_key(v),
            "unknown venue {v:?} (configured: {})",
            cfg.venues.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if !a.venues.is_empty() {
        for (id, v) in &mut cfg.venues {
            v.enabled = a.venues.contains(id);
        }
    }
    let venues: Vec<String> = cfg
        .venues
        .iter()
        .filter(|(_, v)| v.enabled)
        .map(|(id, _)| id.clone())
        .collect();
    anyhow::ensure!(!venues.is_empty(), "no venue to drive");
    let mut opts = Options::new(cfg, Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    // The emulator's rate is per venue: the total is shared equally.
    #[allow(clippy::cast_precision_loss)]
    let per_venue = a.rate / venues.len() as f64;
    opts.emulator_rate = Some(per_venue);
    opts.workers = Some(a.workers);
    opts.plugin_dirs = a.plugin_dirs.clone();
    let tmp;
    if a.with_storage {
        tmp = std::env::temp_dir().join(format!("orderflow-bench-{}", std::process::id()));
        opts.data_dir = Some(tmp.clone());
    } else {
        opts.no_storage = true;
    }
    let running = pipeline::start(opts).await?;
    tokio::time::sleep(Duration::from_secs_f64(a.warmup)).await;
    let frames = |r: &pipeline::Running| {
        r.state
            .venues
            .iter()
            .map(|v| v.frames.load(Ordering::Relaxed))
            .sum::<u64>()
    };
    let m = running.engine.metrics();
    m.latency_ns.lock().reset();
    m.grid_ns.lock().reset();
    m.step_ns.lock().reset();
    m.queued_ns.lock().reset();
    let (f0, e0, b0) = (
        frames(&running),
        m.events.load(Ordering::Relaxed),
        m.batches.load(Ordering::Relaxed),
    );
    let t0 = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(a.duration)).await;
    let secs = t0.elapsed().as_secs_f64();
    let (f1, e1, b1) = (
        frames(&running),
        m.events.load(Ordering::Relaxed),
        m.batches.load(Ordering::Relaxed),
    );
    let report = {
        let h = m.latency_ns.lock();
        // One guard: a second `lock()` in the same statement would wait for the first.
        let grid = m.grid_ns.lock();
        let (step, queued) = (m.step_ns.lock(), m.queued_ns.lock());
        let us = |h: &hdrhistogram::Histogram<u64>, x: f64| h.value_at_quantile(x) as f64 / 1e3;
        LatencyReport {
            target_rate: a.rate,
            frames_per_sec: (f1 - f0) as f64 / secs,
            events_per_sec: (e1 - e0) as f64 / secs,
            batches_per_sec: (b1 - b0) as f64 / secs,
            p50_us: us(&h, 0.5),
            p90_us: us(&h, 0.9),
            p99_us: us(&h, 0.99),
            p999_us: us(&h, 0.999),
            max_us: h.max() as f64 / 1e3,
            samples: h.len(),
            grid_cuts: grid.len(),
            grid_p50_us: us(&grid, 0.5),
            grid_max_us: grid.max() as f64 / 1e3,
            step_p50_us: us(&step, 0.5),
            step_p99_us: us(&step, 0.99),
            queued_p50_us: us(&queued, 0.5),
            queued_p99_us: us(&queued, 0.99),
            workers: a.workers,
            venues,
        }
    };
    running.shutdown().await?;
    Ok(report)
}
