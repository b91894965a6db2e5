//! `orderflow`: run the engine against emulated (`demo`) or real (`serve`) venues, query the
//! history, decode payloads, list plugins, measure latency.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, bail};

/// mimalloc: the server's hot paths (HTTP, MCP, JSON) are allocation-heavy; glibc malloc/free
/// was ~20% of the CPU profile under MCP load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options};
use orderflow_node::{cluster, init_tracing, latency, mcp_load, parse, replay};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "orderflow",
    version,
    about = "Crypto market microstructure engine and tool server"
)]
struct Cli {
    /// Configuration file (default: the built-in config/default.toml).
    #[arg(long, global = true, env = "ORDERFLOW_CONFIG")]
    config: Option<PathBuf>,
    /// A further plugin folder (repeatable): every plugin library in it is loaded, besides the
    /// configured plugins from the built-in folder (`plugins.dir`, default: beside this binary).
    #[arg(long, global = true, env = "ORDERFLOW_PLUGINS", value_delimiter = ':')]
    plugins: Vec<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// HTTP bind address.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Data folder (database: <DIR>/orderflow.duckdb).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Dataflow worker threads.
    #[arg(long)]
    workers: Option<usize>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Also record every raw venue input into this folder (replay with `orderflow replay`).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Only these venues, comma-separated (default: every enabled venue).
    #[arg(long, value_delimiter = ',')]
    venues: Option<Vec<String>>,
    #[command(flatten)]
    cluster: ClusterFlags,
}

/// Timely cluster flags (docs/cluster.md).
#[derive(Debug, Clone, clap::Args)]
struct ClusterFlags {
    /// Processes of a timely cluster (with --process and --hostfile).
    #[arg(long)]
    processes: Option<usize>,
    /// This process's index in the cluster, 0..N.
    #[arg(long)]
    process: Option<usize>,
    /// Timely hostfile: one host:port per line, process 0 first.
    #[arg(long)]
    hostfile: Option<PathBuf>,
    /// Run as a cluster of N processes on loopback: starts processes 1..N-1 of this same
    /// command and is process 0.
    #[arg(long, conflicts_with_all = ["processes", "process", "hostfile"])]
    local_cluster: Option<usize>,
}

impl ClusterFlags {
    /// This process's cluster, and the processes it started for `--local-cluster`.
    fn resolve(
        &self,
    ) -> anyhow::Result<(
        Option<orderflow_dataflow::ClusterConfig>,
        Option<cluster::LocalCluster>,
    )> {
        if let Some(n) = self.local_cluster {
            let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
            let lc = cluster::spawn_local(n, &cluster::without_local_cluster(&args))?;
            return Ok((Some(lc.config.clone()), Some(lc)));
        }
        Ok((
            cluster::from_flags(self.processes, self.process, self.hostfile.as_deref())?,
            None,
        ))
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start loopback venue emulators, connect the real plugins to them, run everything.
    Demo {
        #[command(flatten)]
        run: RunArgs,
        /// Emulator messages per second per venue.
        #[arg(long)]
        rate: Option<f64>,
    },
    /// Connect to the real venues of the configuration and run everything.
    Serve {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Serve the tools over MCP on stdio (for desktop MCP clients), with the whole pipeline
    /// running behind them; logs go to stderr. The HTTP server also runs (ephemeral port unless
    /// --http is given).
    Mcp {
        #[command(flatten)]
        run: RunArgs,
        /// Run against loopback emulators instead of the real venues.
        #[arg(long)]
        demo: bool,
    },
    /// Record raw venue feeds (frames with receive times, REST answers) without running the
    /// engine or storage.
    Record {
        /// Venues to record (default: every enabled venue).
        #[arg(long, value_delimiter = ',')]
        venues: Option<Vec<String>>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Record the loopback emulators instead of the real venues.
        #[arg(long)]
        demo: bool,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        duration: Option<f64>,
    },
    /// Replay a recording through the same codecs, engine and storage, deterministically.
    Replay {
        /// Recording folder.
        dir: PathBuf,
        /// Write a database into this folder.
        #[arg(long)]
        data: Option<PathBuf>,
        /// `max`, or a multiple of recorded time (e.g. `1`, `10`).
        #[arg(long, default_value = "max")]
        speed: String,
        /// Only inputs received at or after this Unix time (ns).
        #[arg(long)]
        from: Option<u64>,
        /// Only inputs received before this Unix time (ns).
        #[arg(long)]
        to: Option<u64>,
        /// Dataflow workers (per process in a cluster).
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Write the report as JSON (a cluster's process I > 0: `<stem>.process-I.json`).
        #[arg(long)]
        json: Option<PathBuf>,
        #[command(flatten)]
        cluster: ClusterFlags,
    },
    /// Run one read-only SQL query on a stopped database.
    Query {
        /// Data folder.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Row cap.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// The SQL (one SELECT/WITH statement).
        sql: String,
    },
    /// Export a stopped database's tables as Hive-partitioned Parquet
    /// (`OUT/<table>/venue=/symbol=/date=/…parquet`), readable by DuckDB, Polars and pandas.
    Export {
        /// Data folder.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Rows with `ts` at or after this time (e.g. 2026-12-01 or 2026-12-01T10:00:00).
        #[arg(long)]
        from: Option<String>,
        /// Rows with `ts` before this time.
        #[arg(long)]
        to: Option<String>,
        /// Tables (comma-separated; default: all).
        #[arg(long, value_delimiter = ',')]
        tables: Vec<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decode raw payload files into normalized events (JSON lines on stdout).
    Parse {
        /// Venue id, e.g. binance.
        #[arg(long)]
        venue: String,
        /// `ws` (stream payloads, the default), `rest` (a REST answer, its kind detected), or a
        /// REST tool name such as `kraken_get_candles`.
        #[arg(long, default_value = "ws")]
        kind: String,
        /// Symbol a REST answer is about (selects its row in multi-instrument answers).
        #[arg(long, default_value = "BTCUSDT")]
        symbol: String,
        /// Payload files (one JSON payload per file, or one per line).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Forecast (and backtest) an offline series — a CSV column or a stored pair's bars —
    /// with the forecast_stats plugin.
    Forecast {
        /// CSV file (a banner line before the header is skipped; a date column orders rows).
        #[arg(long, conflicts_with = "data")]
        csv: Option<PathBuf>,
        /// Column of the CSV to forecast.
        #[arg(long, default_value = "close")]
        column: String,
        /// Data folder of a stopped orderflow (bars from its trades table).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Symbol (with --data).
        #[arg(long)]
        symbol: Option<String>,
        /// Venue (with --data).
        #[arg(long)]
        venue: Option<String>,
        /// Bar interval, seconds (with --data).
        #[arg(long, default_value_t = 60)]
        interval: u64,
        /// Use only the most recent this many points (the tools take at most 20,000).
        #[arg(long, default_value_t = 3000)]
        limit: usize,
        /// Steps ahead.
        #[arg(long, default_value_t = 24)]
        horizon: u64,
        /// `auto` (the router) or a model of `list_forecast_models` (e.g. AutoETS, AutoARIMA).
        #[arg(long, default_value = "auto")]
        model: String,
        /// Router priority with --model auto.
        #[arg(long, default_value = "balanced")]
        priority: String,
        /// Season length in steps (default: from the interval, e.g. 24 for hourly).
        #[arg(long)]
        season: Option<u64>,
        /// Also run a rolling-origin backtest (with auto: a comparison of the baseline and
        /// automatic models).
        #[arg(long)]
        backtest: bool,
        /// Backtest folds.
        #[arg(long, default_value_t = 5)]
        folds: u64,
        /// Backtest point forecasts only (fit+predict timing without interval calibration).
        #[arg(long)]
        no_intervals: bool,
        /// Interval coverage.
        #[arg(long, default_value_t = 0.9)]
        level: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List loaded plugins and their tools.
    Plugins,
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCmd {
    /// Closed-loop MCP `tools/call` load against any streamable-HTTP MCP endpoint.
    Mcp {
        /// MCP endpoint, e.g. http://127.0.0.1:8000/mcp.
        #[arg(long)]
        url: String,
        /// Tool name.
        #[arg(long, default_value = "binance_get_book_ticker")]
        tool: String,
        /// Tool arguments (JSON object).
        #[arg(long, default_value = r#"{"symbol":"BTCUSDT"}"#)]
        args: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Open loop: calls per second over all clients, on a fixed schedule, latency measured
        /// from each call's scheduled start (default: closed loop, each client calls again as
        /// soon as it is answered).
        #[arg(long)]
        rate: Option<f64>,
        /// Session-based 2025-11-25 clients (`initialize`, then calls with `Mcp-Session-Id`)
        /// instead of stateless 2026-07-28 requests.
        #[arg(long)]
        session: bool,
        /// Write the report as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Frame-received → feature-visible latency against the loopback emulator.
    Latency {
        /// Total emulator rate (market changes per second), shared equally by the venues.
        #[arg(long, default_value_t = 20_000.0)]
        rate: f64,
        /// Venues to drive (comma-separated; `all`: every enabled venue of the configuration).
        #[arg(long, value_delimiter = ',', default_value = "binance")]
        venues: Vec<String>,
        /// Measured seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Warm-up seconds.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Dataflow workers.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Also write DuckDB while measuring.
        #[arg(long)]
        with_storage: bool,
        /// Raise the rate by 1.5× per step until p99 exceeds 5 ms or received frames stop
        /// growing (the emulator's limit); report every step and the highest rate that held.
        #[arg(long)]
        ramp: bool,
        /// Write the report as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let thp_off = orderflow_node::memory::disable_transparent_huge_pages();
    let cli = Cli::parse();
    init_tracing();
    if !thp_off {
        tracing::warn!("could not turn transparent huge pages off (latency may spike)");
    }
    let cfg = Config::load(cli.config.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("orderflow-io")
        .build()?;
    match cli.cmd {
        Cmd::Demo { run, rate } => rt.block_on(run_system(cfg, Mode::Demo, run, rate, cli.plugins)),
        Cmd::Serve { run } => rt.block_on(run_system(cfg, Mode::Serve, run, None, cli.plugins)),
        Cmd::Mcp { run, demo } => rt.block_on(run_mcp_stdio(cfg, if demo { Mode::Demo } else { Mode::Serve }, run, cli.plugins)),
        Cmd::Record { venues, out, demo, duration } => rt.block_on(async {
            let mut opts = Options::new(cfg, if demo { Mode::Demo } else { Mode::Serve });
            opts.http = Some(([127, 0, 0, 1], 0).into());
            opts.no_storage = true;
            opts.record_dir = Some(out.clone());
            opts.venues = venues;
            opts.plugin_dirs = pipeline::PluginDirs::extra(cli.plugins);
            let running = pipeline::start(opts).await?;
            eprintln!("recording into {}", out.display());
            match duration {
                Some(s) => tokio::time::sleep(std::time::Duration::from_secs_f64(s)).await,
                None => tokio::signal::ctrl_c().await?,
            }
            running.shutdown().await
        }),
        Cmd::Replay { dir, data, speed, from, to, workers, json, cluster } => {
            let speed = match speed.as_str() {
                "max" => replay::Speed::Max,
                x => replay::Speed::Times(x.parse().with_context(|| format!("--speed {x:?}: use max or a number"))?),
            };
            let (cluster, local) = cluster.resolve()?;
            let process = cluster.as_ref().map(|c| c.process);
            let a = replay::ReplayArgs { dir, data_dir: data, speed, from, to, workers, plugin_dirs: pipeline::PluginDirs::extra(cli.plugins), progress: process.is_none(), cluster };
            let r = replay::run(&cfg, &a)?;
            if let Some(lc) = local {
                lc.wait()?;
            }
            let json = match (json, process) {
                (Some(p), Some(i)) if i > 0 => Some(p.with_extension(format!("process-{i}.json"))),
                (j, _) => j,
            };
            println!(
                "{}replayed {} inputs ({} frames) → {} events in {:.2}s: {:.0} frames/s; {} decode errors{}",
                process.map(|i| format!("process {i}: ")).unwrap_or_default(),
                r.inputs, r.frames, r.events, r.seconds, r.frames_per_sec, r.decode_errors,
                r.db_path.as_ref().map(|p| format!("; database {}", p.display())).unwrap_or_default()
            );
            for p in &r.problems {
                eprintln!("problem: {p}");
            }
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_string_pretty(&r)?)?;
            }
            Ok(())
        }
        Cmd::Export { data, out, from, to, tables, json } => {
            let opts = orderflow_sink_duckdb::ExportOptions { tables, from, to };
            let done = orderflow_sink_duckdb::export_parquet(&data.join("orderflow.duckdb"), &out, &opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                for t in &done {
                    println!("{:<16} {:>12} rows  partitioned by {}", t.table, t.rows, if t.partitioned_by.is_empty() { "-".to_owned() } else { t.partitioned_by.join(", ") });
                }
                eprintln!("written under {}", out.display());
            }
            Ok(())
        }
        Cmd::Query { data, json, limit, sql } => query(&data, &sql, limit, json, cfg.storage.queries.limits()),
        Cmd::Parse { venue, kind, symbol, files } => {
            let plugins = pipeline::load_plugins(&cfg, &pipeline::PluginDirs::extra(cli.plugins))?;
            let mut cfg = cfg;
            pipeline::apply_venue_defaults(&mut cfg, &plugins);
            let vc = cfg.venues.get(&venue).with_context(|| format!("unknown venue {venue:?}"))?;
            let plugin = plugins.iter().find(|p| p.name() == vc.plugin && p.serves(&venue)).with_context(|| format!("no loaded plugin serves {venue}"))?;
            let universe = cfg.universe(std::slice::from_ref(&venue))?;
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
            let s = if kind == "ws" {
                parse::run(plugin, &venue, &universe, &files, &mut out, &mut err)?
            } else {
                let venue_symbol = universe.find(&venue, &symbol).and_then(|id| universe.get(id)).map(|i| i.venue_symbol.clone()).with_context(|| format!("{symbol} is not configured on {venue}"))?;
                let tool = (kind != "rest").then_some(kind.as_str());
                parse::run_rest(plugin, &venue, tool, &symbol, &venue_symbol, &files, &mut out, &mut err)?
            };
            eprintln!("{} payloads, {} events, {} failures", s.payloads, s.events, s.failures);
            if s.failures > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Cmd::Forecast { csv, column, data, symbol, venue, interval, limit, horizon, model, priority, season, backtest, folds, no_intervals, level, json } => {
            use orderflow_node::offline_forecast as of;
            let mut cfg = cfg;
            cfg.plugins.load = vec![of::PLUGIN.to_owned()];
            let plugins = pipeline::load_plugins(&cfg, &pipeline::PluginDirs::extra(cli.plugins))?;
            let plugin = plugins.iter().find(|p| p.name() == of::PLUGIN).with_context(|| format!("the {} plugin is not loaded (plugins.load, or --plugins DIR)", of::PLUGIN))?;
            let series = match (csv, data) {
                (Some(path), _) => {
                    let (s, skipped) = of::read_csv(&path, &column)?;
                    if skipped > 0 {
                        eprintln!("{skipped} rows without a usable {column:?} or date were skipped");
                    }
                    s.last(limit)
                }
                (None, Some(dir)) => {
                    let symbol = symbol.context("--data needs --symbol")?;
                    let venue = venue.context("--data needs --venue")?;
                    of::read_db(&dir, &venue, &symbol, interval, "close", limit)?
                }
                (None, None) => bail!("give --csv FILE or --data DIR --symbol S --venue V"),
            };
            let job = of::Job { model, priority, horizon, season, backtest, folds, intervals: !no_intervals, level };
            let out = of::run(plugin, &series, &job)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print!("{}", of::render(&out));
            }
            Ok(())
        }
        Cmd::Plugins => {
            let plugins = pipeline::load_plugins(&cfg, &pipeline::PluginDirs::extra(cli.plugins))?;
            println!("host ABI: orderflow-tool-sdk {}", orderflow_tool_sdk::SDK_VERSION);
            for p in plugins {
                let venues: Vec<String> = p.manifest.venues.iter().map(|v| v.id.to_string()).collect();
                println!("{} {} (sdk {}, {}) venues={:?} tools={} path={}", p.name(), p.manifest.version, p.manifest.sdk_version, p.manifest.profile, venues, p.tools.len(), p.path.display());
                for t in &p.tools {
                    println!("  {:<32} {}", t.name, t.description);
                }
            }
            Ok(())
        }
        Cmd::Bench { what: BenchCmd::Mcp { url, tool, args, concurrency, duration, rate, session, json } } => rt.block_on(async {
            let args: serde_json::Value = serde_json::from_str(&args).context("--args must be a JSON object")?;
            let a = mcp_load::McpLoadArgs { url, tool, args, concurrency, duration, rate, session };
            let r = mcp_load::run(&a).await?;
            println!(
                "{}: {} clients{}, {:.0} calls/s ({} ok, {} errors) | latency µs p50 {:.0} p90 {:.0} p99 {:.0} max {:.0}",
                r.url, r.concurrency,
                r.target_rate.map(|t| format!(" open loop at {t:.0}/s ({} late starts; warm-up {:.0} ms; timer slack p50 {:.0} p99 {:.0} µs, not counted)", r.late_starts, r.warmup_max_us / 1e3, r.timer_slack_p50_us, r.timer_slack_p99_us)).unwrap_or_default(),
                r.calls_per_sec, r.ok, r.errors, r.p50_us, r.p90_us, r.p99_us, r.max_us
            );
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_string_pretty(&r)?)?;
            }
            Ok(())
        }),
        Cmd::Bench { what: BenchCmd::Latency { rate, venues, duration, warmup, workers, with_storage, ramp, json } } => rt.block_on(async {
            let venues = if venues.iter().any(|v| v == "all") { Vec::new() } else { venues };
            let mut reports = Vec::new();
            let mut r = rate;
            loop {
                let a = latency::LatencyArgs { rate: r, duration, warmup, workers, with_storage, plugin_dirs: pipeline::PluginDirs::extra(cli.plugins.clone()), venues: venues.clone() };
                let rep = latency::run_once(&cfg, &a).await?;
                println!(
                    "{} | rate {:>9.0}/s: frames {:>9.0}/s events {:>9.0}/s batches {:>7.0}/s | latency µs p50 {:>7.1} p90 {:>7.1} p99 {:>7.1} p99.9 {:>8.1} max {:>8.1} ({} samples) | {} grid cuts, p50 {:.0} µs, max {:.0} µs | step p50 {:.0} p99 {:.0} µs, queued p50 {:.0} p99 {:.0} µs",
                    rep.venues.join(","), rep.target_rate, rep.frames_per_sec, rep.events_per_sec, rep.batches_per_sec, rep.p50_us, rep.p90_us, rep.p99_us, rep.p999_us, rep.max_us, rep.samples, rep.grid_cuts, rep.grid_p50_us, rep.grid_max_us,
                    rep.step_p50_us, rep.step_p99_us, rep.queued_p50_us, rep.queued_p99_us
                );
                // Sustained: latency stays bounded (a growing backlog shows as an exploding
                // p99). The ramp also stops when frames stop growing: the emulator, on the
                // same cores, is then the limit, not the engine.
                let held = rep.p99_us <= SUSTAINED_P99_US;
                let grew = reports.last().is_none_or(|p: &latency::LatencyReport| rep.frames_per_sec >= 1.1 * p.frames_per_sec);
                reports.push(rep);
                if !ramp || !held || !grew || reports.len() >= 12 {
                    break;
                }
                r *= 1.5;
            }
            if ramp {
                let held: Vec<_> = reports.iter().filter(|x| x.p99_us <= SUSTAINED_P99_US).collect();
                if let Some(best) = held.iter().max_by(|a, b| a.frames_per_sec.total_cmp(&b.frames_per_sec)) {
                    println!("max sustained: {:.0} frames/s (p99 {:.1} µs)", best.frames_per_sec, best.p99_us);
                }
            }
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_string_pretty(&reports)?)?;
            }
            Ok(())
        }),
    }
}

/// `println!` that ignores a closed stdout (`orderflow demo | head` must not panic the server).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// p99 bound (µs) under which a rate counts as sustained in `bench latency --ramp`.
const SUSTAINED_P99_US: f64 = 5_000.0;

async fn run_system(
    cfg: Config,
    mode: Mode,
    run: RunArgs,
    rate: Option<f64>,
    plugins: Vec<PathBuf>,
) -> anyhow::Result<()> {
    let (cluster, local) = run.cluster.resolve()?;
    let mut opts = Options::new(cfg, mode);
    // A cluster's process I serves HTTP on the given port + I (an ephemeral port stays one).
    opts.http = match (run.http, &cluster) {
        (Some(mut a), Some(c)) if a.port() != 0 => {
            a.set_port(a.port() + u16::try_from(c.process).unwrap_or(0));
            Some(a)
        }
        (h, _) => h,
    };
    opts.data_dir = run.data;
    opts.workers = run.workers;
    opts.plugin_dirs = pipeline::PluginDirs::extra(plugins);
    opts.emulator_rate = rate;
    opts.record_dir = run.record;
    opts.venues = run.venues;
    opts.cluster = cluster.clone();
    let running = pipeline::start(opts).await?;
    if let Some(c) = &cluster {
        say!(
            "cluster process {} of {} ({})",
            c.process,
            c.processes(),
            c.addresses.join(", ")
        );
    }
    let base = format!("http://{}", running.http_addr);
    say!(
        "orderflow {} — {}",
        if mode == Mode::Demo {
            "demo (emulated venues on loopback)"
        } else {
            "serve"
        },
        base
    );
    for (venue, e) in &running.emulators {
        say!(
            "  emulator {venue:<12} ws {}  rest {}",
            e.ws_url(),
            e.rest_url()
        );
    }
    say!("  health     {base}/health");
    say!("  tools      {base}/tools   (POST {base}/tools/{{name}} with JSON arguments)");
    say!("  features   {base}/features/BTCUSDT?venue=binance");
    say!("  status     {base}/streaming/status");
    say!("  mcp        {base}/mcp   (streamable HTTP; `orderflow mcp` for stdio)");
    say!("  openapi    {base}/openapi.json");
    if let Some(db) = &running.db_path {
        say!(
            "  database   {} (query_history tool; `orderflow query --data {} \"SQL\"` once stopped)",
            db.display(),
            // A cluster process's database is DATA/process-I/…: query the cluster as one.
            db.parent()
                .and_then(|p| if cluster.is_some() {
                    p.parent()
                } else {
                    Some(p)
                })
                .map_or(".".into(), |p| p.display().to_string())
        );
    }
    let engine = &running.engine;
    let engine_stopped = async {
        while engine.is_running() {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    };
    let stopped = tokio::select! {
        r = async {
            match run.duration {
                Some(s) => tokio::time::sleep(std::time::Duration::from_secs_f64(s)).await,
                None => {
                    tokio::signal::ctrl_c().await?;
                    eprintln!("stopping…");
                }
            }
            anyhow::Ok(())
        } => { r?; false }
        () = engine_stopped => true,
    };
    if stopped {
        let _ = running.shutdown().await;
        bail!(
            "the dataflow stopped: a worker failed{}",
            if cluster.is_some() {
                " (in a cluster: another process was lost; restart every process)"
            } else {
                ""
            }
        );
    }
    running.shutdown().await?;
    match local {
        Some(lc) => tokio::task::block_in_place(|| lc.wait()),
        None => Ok(()),
    }
}

async fn run_mcp_stdio(
    cfg: Config,
    mode: Mode,
    run: RunArgs,
    plugins: Vec<PathBuf>,
) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    if run.cluster.local_cluster.is_some() {
        bail!(
            "orderflow mcp cannot start a local cluster (its processes would share one stdio): \
             start the cluster with `serve --local-cluster N` and use a process's /mcp"
        );
    }
    let mut opts = Options::new(cfg, mode);
    opts.cluster = run.cluster.resolve()?.0;
    opts.http = Some(run.http.unwrap_or(([127, 0, 0, 1], 0).into()));
    opts.data_dir = run.data;
    opts.workers = run.workers;
    opts.plugin_dirs = pipeline::PluginDirs::extra(plugins);
    opts.venues = run.venues;
    let running = pipeline::start(opts).await?;
    eprintln!(
        "orderflow mcp on stdio; HTTP at http://{}",
        running.http_addr
    );
    let handler = orderflow_server::mcp::McpHandler::new(
        running.state.registry.clone(),
        running.state.options.mcp_page_size,
    );
    let service = handler
        .serve(rmcp::transport::stdio())
        .await
        .context("starting MCP on stdio")?;
    tokio::select! {
        r = service.waiting() => { r.context("MCP stdio session")?; }
        r = tokio::signal::ctrl_c() => { r?; }
    }
    running.shutdown().await
}

fn query(
    data: &std::path::Path,
    sql: &str,
    limit: usize,
    json: bool,
    limits: orderflow_sink_duckdb::QueryLimits,
) -> anyhow::Result<()> {
    // A cluster's per-process databases are read as one.
    let conn = cluster::open_query(data)?;
    let h = orderflow_sink_duckdb::History::with_limits(conn, limits);
    let r = match h.query(sql, limit) {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("{}", r.columns.join("\t"));
    for row in &r.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                o => o.to_string(),
            })
            .collect();
        println!("{}", cells.join("\t"));
    }
    if r.truncated {
        eprintln!(
            "(truncated at the {} cap: {} rows shown)",
            r.truncated_by.unwrap_or("row"),
            r.rows.len()
        );
    }
    Ok(())
}
