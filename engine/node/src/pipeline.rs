//! Starts and stops the whole system.
//!
//! ```text
//! venue (or loopback emulator) ──WS/REST──► driver ──► plugin codec ──► events
//!     events ──► live store (tools) ──► dataflow engine (features) ──► DuckDB sink
//!                                     └► feature snapshots ─────────────┘
//! HTTP server ◄── tool registry (plugin tools + built-ins), feature store, history SQL
//! ```

use crate::config::Config;
use crate::snapshots::SnapshotConsumer;
use abi_stable::std_types::RStr;
use anyhow::{Context, anyhow, bail};
use orderflow_crossvenue::{CrossVenueStore, CrossVenueTracker};
use orderflow_dataflow::{Command, Engine, EngineConfig, Snapshot};
use orderflow_model::{Event, Universe};
use orderflow_plugin_host::driver::{DriverConfig, EventSink, VenueDriver};
use orderflow_plugin_host::emulator::EmulatorServer;
use orderflow_plugin_host::live::LiveStore;
use orderflow_plugin_host::loader::{LoadedPlugin, load_dir};
use orderflow_plugin_host::record::{Recorder, Rotation};
use orderflow_plugin_host::registry::{ToolRegistry, VenueEndpoints};
use orderflow_plugin_host::{IngestClock, now_ns};
use orderflow_server::{AppState, PluginSummary, ServerOptions};
use orderflow_sink_duckdb::{Sink, SinkMsg};
use orderflow_tool_sdk::{EmulatedInstrument, EmulatorConfig};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Real venues or loopback emulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Emulated venues on 127.0.0.1.
    Demo,
    /// The venues' real URLs from the configuration.
    Serve,
}

/// Start options (CLI flags override the configuration).
#[derive(Clone, Debug)]
pub struct Options {
    /// Configuration.
    pub config: Config,
    /// Mode.
    pub mode: Mode,
    /// HTTP bind address override.
    pub http: Option<SocketAddr>,
    /// Data folder override (the database is `<dir>/orderflow.duckdb`).
    pub data_dir: Option<PathBuf>,
    /// Worker override.
    pub workers: Option<usize>,
    /// Where plugins are loaded from.
    pub plugin_dirs: PluginDirs,
    /// Emulator rate override (msgs/s per venue).
    pub emulator_rate: Option<f64>,
    /// Disable storage.
    pub no_storage: bool,
    /// Record every raw codec input into this folder (`orderflow record`, `demo --record`).
    pub record_dir: Option<PathBuf>,
    /// Only these venues (default: every enabled venue).
    pub venues: Option<Vec<String>>,
    /// Run as one process of a timely cluster: connect only this process's venues, store in
    /// `DATA/process-I/`, record into `RECORD/process-I/` (docs/cluster.md).
    pub cluster: Option<orderflow_dataflow::ClusterConfig>,
}

impl Options {
    /// Defaults for a mode.
    pub fn new(config: Config, mode: Mode) -> Self {
        Self {
            config,
            mode,
            http: None,
            data_dir: None,
            workers: None,
            plugin_dirs: PluginDirs::default(),
            emulator_rate: None,
            no_storage: false,
            record_dir: None,
            venues: None,
            cluster: None,
        }
    }
}

/// The folder of the running executable (where cargo puts the plugin libraries too).
pub fn default_plugin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where plugins come from.
#[derive(Clone, Debug, Default)]
pub struct PluginDirs {
    /// The built-in plugin folder, searched for the names in `plugins.load`; `None`: the
    /// configuration's `plugins.dir`, else the folder of the binary.
    pub builtin: Option<PathBuf>,
    /// Further folders (`--plugins DIR`): every plugin library in them is loaded, e.g. one
    /// built outside this repository. A folder that is the built-in one adds nothing.
    pub extra: Vec<PathBuf>,
}

impl PluginDirs {
    /// Only extra folders (the CLI's `--plugins`).
    pub fn extra(extra: Vec<PathBuf>) -> Self {
        Self {
            builtin: None,
            extra,
        }
    }
}

/// Loads the configured plugins from the built-in folder and every plugin in the extra
/// folders. Plugins are trusted native code: only these folders are searched.
///
/// # Errors
/// A folder cannot be read; a configured plugin is missing or refused; a plugin in an extra
/// folder is refused; two different libraries claim the same plugin name.
pub fn load_plugins(cfg: &Config, dirs: &PluginDirs) -> anyhow::Result<Vec<Arc<LoadedPlugin>>> {
    let dir = dirs
        .builtin
        .clone()
        .or_else(|| (!cfg.plugins.dir.as_os_str().is_empty()).then(|| cfg.plugins.dir.clone()))
        .unwrap_or_else(default_plugin_dir);
    let (mut ok, failed) = load_dir(&dir, Some(&cfg.plugins.load))?;
    if let Some(e) = failed.into_iter().next() {
        return Err(anyhow!(e)).context("loading plugins");
    }
    for name in &cfg.plugins.load {
        if !ok.iter().any(|p| p.name() == name) {
            bail!(
                "plugin {name:?} not found in {} (expected liborderflow_plugin_{name}{}); build it with `cargo build --workspace`",
                dir.display(),
                std::env::consts::DLL_SUFFIX
            );
        }
    }
    let same_dir = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    for extra in &dirs.extra {
        if same_dir(extra, &dir) {
            continue;
        }
        let (more, failed) =
            load_dir(extra, None).with_context(|| format!("plugin folder {}", extra.display()))?;
        if let Some(e) = failed.into_iter().next() {
            return Err(anyhow!(e))
                .with_context(|| format!("loading plugins from {}", extra.display()));
        }
        for p in more {
            if let Some(other) = ok.iter().find(|o| o.name() == p.name()) {
                bail!(
                    "plugin {:?} found twice: {} and {}",
                    p.name(),
                    other.path.display(),
                    p.path.display()
                );
            }
            ok.push(p);
        }
    }
    Ok(ok.into_iter().map(Arc::new).collect())
}

/// UTC hours of the sessions with scalar features (`asia`, `london`, `new_york` in
/// `[sessions]`; a session the configuration does not name has none).
pub(crate) fn engine_sessions(cfg: &Config) -> [Option<(u32, u32)>; 3] {
    orderflow_dataflow::records::SESSIONS.map(|name| {
        cfg.sessions
            .get(name)
            .map(|h| (h.start_utc_h % 24, h.end_utc_h))
    })
}

/// Each instrument's funding interval in hours, from `venues.<id>.funding_interval_h`.
pub fn funding_intervals(
    cfg: &Config,
    universe: &orderflow_model::Universe,
) -> std::collections::BTreeMap<orderflow_model::InstrumentId, u32> {
    universe
        .iter()
        .filter_map(|i| {
            let h = cfg.venues.get(&i.venue)?.funding_interval_h?;
            Some((i.id, h))
        })
        .collect()
}

/// Adds each loaded plugin's default venue settings for venues the configuration does not
/// list (the configuration always wins), so a plugin dropped into a plugin folder runs as it
/// is. A default symbol that is not in the symbol matrix is left out, with a warning: the matrix
/// holds each symbol's emulator parameters.
pub fn apply_venue_defaults(cfg: &mut Config, plugins: &[Arc<LoadedPlugin>]) {
    for p in plugins {
        for d in p.venue_defaults().unwrap_or_default() {
            if !p.serves(&d.venue) {
                tracing::warn!(plugin = p.name(), venue = %d.venue, "defaults for a venue the plugin does not serve ignored");
                continue;
            }
            if cfg.venues.contains_key(&d.venue) {
                continue;
            }
            tracing::info!(plugin = p.name(), venue = %d.venue, "venue added from the plugin's defaults");
            cfg.venues.insert(
                d.venue.clone(),
                crate::config::VenueConfig {
                    enabled: true,
                    plugin: p.name().to_owned(),
                    ws_url: d.ws_url.clone(),
                    rest_url: d.rest_url.clone(),
                    idle_timeout_ms: None,
                    funding_interval_h: None,
                    options: d.options.clone(),
                },
            );
            for (symbol, venue_symbol) in &d.symbols {
                match cfg.symbols.iter_mut().find(|r| &r.symbol == symbol) {
                    Some(row) => {
                        row.venues
                            .entry(d.venue.clone())
                            .or_insert_with(|| venue_symbol.clone());
                    }
                    None => {
                        tracing::warn!(venue = %d.venue, %symbol, "symbol not in the symbol matrix; left out")
                    }
                }
            }
        }
    }
}

/// A running system.
#[allow(missing_debug_implementations)]
pub struct Running {
    /// HTTP address.
    pub http_addr: SocketAddr,
    /// Database file, if storage is on.
    pub db_path: Option<PathBuf>,
    /// Handler state.
    pub state: Arc<AppState>,
    /// Emulators by venue (demo).
    pub emulators: BTreeMap<String, EmulatorServer>,
    /// Engine.
    pub engine: Engine,
    drivers: Vec<VenueDriver>,
    sink: Option<Sink>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    snapshot_thread: Option<std::thread::JoinHandle<()>>,
    recorder: Option<Arc<Recorder>>,
}

/// Snapshots queued between the engine and the snapshot thread (one per second of engine time
/// live; the engine waits when the thread is this far behind).
pub(crate) const SNAPSHOT_QUEUE: usize = 1_024;

/// How long the ingest waits for room in a full engine queue before it drops the batch (and
/// records it as a gap).
const ENGINE_QUEUE_WAIT: Duration = Duration::from_millis(500);

/// Starts everything.
///
/// # Errors
/// Plugin, storage, bind or configuration errors.
pub async fn start(opts: Options) -> anyhow::Result<Running> {
    let plugins = load_plugins(&opts.config, &opts.plugin_dirs)?;
    let mut config = opts.config.clone();
    apply_venue_defaults(&mut config, &plugins);
    let cfg = &config;
    let all_venues = select_venues(cfg, opts.venues.as_deref(), &plugins)?;
    // Every process of a cluster has the same universe (the same instrument ids) and connects
    // its own share of the venues.
    let universe = Arc::new(cfg.universe(&all_venues)?);
    let cluster = opts.cluster.as_ref();
    let venues: Vec<String> = all_venues
        .iter()
        .filter(|v| crate::cluster::owns(cluster, &all_venues, v))
        .cloned()
        .collect();
    let writes = crate::snapshots::Writes::of(
        cluster,
        universe
            .iter()
            .filter(|i| venues.contains(&i.venue))
            .map(|i| i.id),
    );
    let live = Arc::new(LiveStore::new(universe.clone()));

    let (db_path, sink) = open_storage(cfg, &opts, &universe)?;
    let sink_tx = sink.as_ref().map(Sink::sender);

    // Engine.
    let (snap_tx, snap_rx) = crossbeam_channel::bounded::<Snapshot>(SNAPSHOT_QUEUE);
    let engine = Engine::start(
        EngineConfig {
            workers: opts.workers.unwrap_or(cfg.engine.workers),
            snapshot_interval_ns: cfg.storage.feature_snapshot_ms * 1_000_000,
            funding_interval_h: funding_intervals(cfg, &universe),
            whale_notional: cfg.engine.whale_notional,
            sessions: crate::pipeline::engine_sessions(cfg),
            cluster: opts.cluster.clone(),
            ..EngineConfig::default()
        },
        Some(snap_tx),
    )?;
    let engine_tx = engine.sender();

    // Feature and book snapshots → cross-venue features, and the sink.
    let cross_store: Arc<CrossVenueStore> = Arc::default();
    let symbol_regime_store: Arc<orderflow_dataflow::SymbolRegimeStore> = Arc::default();
    let consumer = SnapshotConsumer {
        cross: CrossVenueTracker::new(&universe, cfg.fee_schedule(), cfg.cross_venue.to_config()),
        cross_store: cross_store.clone(),
        sink: sink_tx.clone(),
        levels: cfg.storage.orderbook_levels,
        universe: universe.clone(),
        symbol_regimes: orderflow_dataflow::SymbolRegimeTracker::default(),
        symbol_regime_store: symbol_regime_store.clone(),
        series: orderflow_dataflow::series::Series::default(),
        store: engine.store(),
        writes,
    };
    let snapshot_thread = Some(
        std::thread::Builder::new()
            .name("snapshots".into())
            .spawn(move || snapshot_loop(snap_rx, consumer))?,
    );

    let (emulators, endpoints) = venue_endpoints(cfg, &opts, &venues, &plugins).await?;

    let state_cell: Arc<OnceLock<Arc<AppState>>> = Arc::new(OnceLock::new());
    let registry = build_registry(
        cfg,
        &opts,
        &plugins,
        (&venues, &all_venues),
        &universe,
        {
            let mut r = ToolRegistry::new(live.clone(), endpoints.clone());
            r.set_history_series(Arc::new(
                orderflow_server::stored_series::StoredSeries::new(state_cell.clone()),
            ));
            r.set_plugin_settings(cfg.plugins.settings_json());
            r
        },
        &state_cell,
    )?;

    // Drivers.
    let sink_fn: EventSink = {
        let (live, engine_tx, sink_tx) = (live.clone(), engine_tx.clone(), sink_tx.clone());
        let metrics = engine.metrics();
        Arc::new(move |events: Vec<Event>| {
            live.apply(&events);
            let events = Arc::new(events);
            // A full engine queue: wait a little (back-pressure onto this venue's socket), then
            // drop the batch, count it and record the interval as a gap.
            let queued = match engine_tx.try_send(Command::Events(events.clone())) {
                Ok(()) => true,
                Err(crossbeam_channel::TrySendError::Full(cmd)) => {
                    engine_tx.send_timeout(cmd, ENGINE_QUEUE_WAIT).is_ok()
                }
                Err(crossbeam_channel::TrySendError::Disconnected(_)) => true,
            };
            if !queued {
                metrics
                    .dropped_events
                    .fetch_add(events.len() as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(
                    events = events.len(),
                    "engine queue full: batch dropped (recorded in gaps)"
                );
                if let Some(tx) = &sink_tx {
                    tx.record_lost(
                        &events,
                        "engine_backpressure",
                        "the engine's input queue stayed full",
                    );
                }
            }
            if let Some(tx) = &sink_tx {
                let _ = tx.send(SinkMsg::Events(events));
            }
        })
    };
    let recorder = opts
        .record_dir
        .as_ref()
        .map(|d| match &opts.cluster {
            Some(c) => crate::cluster::process_dir(d, c.process),
            None => d.clone(),
        })
        .map(|d| Recorder::start(&d, Rotation::default()).map(Arc::new))
        .transpose()
        .context("starting the recorder")?;
    // One receive clock for all venues and the engine's ticks: engine time replays.
    let clock = Arc::new(IngestClock::default());
    let drivers = start_drivers(
        cfg, &venues, &plugins, &universe, &endpoints, &recorder, &sink_fn, &clock, &sink_tx,
    )?;

    // Host clock ticks: windows expire even without events.
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    {
        let (tx, mut rx, clock) = (engine_tx.clone(), shutdown_rx.clone(), clock.clone());
        tasks.push(tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = rx.changed() => return,
                    // Stamped by the receive clock, so no event can arrive behind a tick.
                    _ = iv.tick() => clock.stamp(|ts| { let _ = tx.send(Command::Tick(ts)); }),
                }
            }
        }));
    }

    // HTTP.
    let bind = opts.http.unwrap_or(cfg.server.bind);
    crate::memory::watch_plugins(&plugins);
    let state = Arc::new(AppState {
        universe: universe.clone(),
        registry,
        features: engine.store(),
        engine: engine.metrics(),
        venues: drivers.iter().map(VenueDriver::status).collect(),
        plugins: plugins
            .iter()
            .map(|p| PluginSummary {
                name: p.name().to_owned(),
                version: p.manifest.version.to_string(),
                sdk_version: p.manifest.sdk_version.to_string(),
                venues: p.manifest.venues.iter().map(|v| v.id.to_string()).collect(),
                tools: p.tools.len(),
                capabilities: p
                    .capabilities()
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .collect(),
                path: p.path.display().to_string(),
            })
            .collect(),
        history: sink.as_ref().map(Sink::history),
        started: Instant::now(),
        options: server_options(cfg, bind)?,
        live: live.clone(),
        regimes: engine.regimes(),
        symbol_regimes: symbol_regime_store,
        cross_venue: cross_store,
        fees: cfg.fee_schedule(),
        forecasts: Arc::new(orderflow_server::forecast::ForecastCache::new(
            Duration::from_secs(cfg.forecast.refresh_s.max(1)),
        )),
        limits: Arc::default(),
        mcp_sessions: Default::default(),
        sink_stats: sink.as_ref().map(Sink::stats),
        requests: Default::default(),
        mcp_fast_calls: Default::default(),
        memory: Some(crate::memory::reading),
    });
    let _ = state_cell.set(state.clone());
    if cfg.forecast.enabled
        && state
            .registry
            .get(orderflow_server::forecast::ROUTE_TOOL)
            .is_some()
    {
        tasks.push(crate::forecast::spawn_refresher(
            cfg.forecast.clone(),
            state.clone(),
            sink_tx.clone(),
            shutdown_rx.clone(),
        ));
    }
    let (http_addr, server) = serve_http(bind, state.clone(), shutdown_rx).await?;
    tasks.push(server);
    tracing::info!(%http_addr, venues = ?venues, instruments = universe.len(), "orderflow running");
    Ok(Running {
        http_addr,
        db_path,
        state,
        emulators,
        engine,
        drivers,
        sink,
        shutdown,
        tasks,
        snapshot_thread,
        recorder,
    })
}

/// The venues to run: those requested (or every enabled one) that a loaded plugin serves.
///
/// # Errors
/// A requested venue that is not configured.
fn select_venues(
    cfg: &Config,
    requested: Option<&[String]>,
    plugins: &[Arc<LoadedPlugin>],
) -> anyhow::Result<Vec<String>> {
    let mut venues = Vec::new();
    let wanted: Vec<String> = match requested {
        Some(list) => {
            for v in list {
                if !cfg.venues.contains_key(v) {
                    bail!(
                        "unknown venue {v:?} (configured: {:?})",
                        cfg.venues.keys().collect::<Vec<_>>()
                    );
                }
            }
            list.to_vec()
        }
        None => cfg.enabled_venues(),
    };
    for v in wanted {
        let vc = &cfg.venues[&v];
        if plugins
            .iter()
            .any(|p| p.name() == vc.plugin && p.serves(&v))
        {
            venues.push(v);
        } else {
            tracing::warn!(venue = %v, plugin = %vc.plugin, "venue enabled but no loaded plugin serves it; skipped");
        }
    }
    Ok(venues)
}

/// Opens the DuckDB sink unless storage is off.
///
/// # Errors
/// The database cannot be opened.
fn open_storage(
    cfg: &Config,
    opts: &Options,
    universe: &Arc<Universe>,
) -> anyhow::Result<(Option<PathBuf>, Option<Sink>)> {
    let db_path = (!opts.no_storage && cfg.storage.enabled).then(|| match &opts.data_dir {
        Some(d) => crate::cluster::db_path(d, opts.cluster.as_ref()),
        None => match &opts.cluster {
            Some(c) => crate::cluster::process_dir(
                cfg.storage
                    .path
                    .parent()
                    .unwrap_or(std::path::Path::new(".")),
                c.process,
            )
            .join("orderflow.duckdb"),
            None => cfg.storage.path.clone(),
        },
    });
    let sink = match &db_path {
        Some(p) => Some(
            Sink::start(cfg.storage.sink_config(p.clone()), universe.clone())
                .with_context(|| format!("opening {}", p.display()))?,
        ),
        None => None,
    };
    Ok((db_path, sink))
}

/// Each venue's URLs: the configured ones (`serve`), or a loopback emulator started from the
/// venue's plugin with the symbol matrix's emulator parameters (`demo`).
///
/// # Errors
/// A plugin refuses its emulator configuration; a loopback port cannot be bound.
async fn venue_endpoints(
    cfg: &Config,
    opts: &Options,
    venues: &[String],
    plugins: &[Arc<LoadedPlugin>],
) -> anyhow::Result<(
    BTreeMap<String, EmulatorServer>,
    BTreeMap<String, VenueEndpoints>,
)> {
    let mut emulators = BTreeMap::new();
    let mut endpoints = BTreeMap::new();
    for v in venues {
        let vc = &cfg.venues[v];
        let ep = match opts.mode {
            Mode::Serve => VenueEndpoints {
                ws_url: vc.ws_url.clone(),
                rest_url: vc.rest_url.clone(),
            },
            Mode::Demo => {
                let plugin = plugins
                    .iter()
                    .find(|p| p.name() == vc.plugin)
                    .ok_or_else(|| anyhow!("no plugin {}", vc.plugin))?;
                let emu_cfg = EmulatorConfig {
                    venue: v.clone(),
                    seed: cfg.emulator.seed,
                    instruments: cfg
                        .symbols
                        .iter()
                        .filter_map(|row| {
                            row.venues.get(v).map(|vs| EmulatedInstrument {
                                symbol: row.symbol.clone(),
                                venue_symbol: vs.clone(),
                                start_price: row.emulator.start_price,
                                tick_size: row.emulator.tick_size.clone(),
                                lot_size: row.emulator.lot_size.clone(),
                            })
                        })
                        .collect(),
                    msgs_per_sec: opts.emulator_rate.unwrap_or(cfg.emulator.msgs_per_sec),
                    start_ns: now_ns(),
                };
                let emu = (plugin.module.new_emulator())(RStr::from_str(&serde_json::to_string(
                    &emu_cfg,
                )?))
                .into_result()
                .map_err(|e| anyhow!("{v} emulator: {e}"))?;
                let server = EmulatorServer::start(
                    emu,
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                    Duration::from_millis(cfg.emulator.tick_ms.max(1)),
                )
                .await?;
                let ep = VenueEndpoints {
                    ws_url: server.ws_url(),
                    rest_url: server.rest_url(),
                };
                emulators.insert(v.clone(), server);
                ep
            }
        };
        endpoints.insert(v.clone(), ep);
    }
    Ok((emulators, endpoints))
}

/// One tool catalogue: every plugin's tools (with the symbols its venues list), the history
/// tools when storage is on, and the built-in feature and streaming tools. `(venues, all)`: the
/// venues this process connects and stores, and every venue of the engine (a cluster's
/// gathered features answer for all of them).
///
/// # Errors
/// Two built-in tools with one name.
fn build_registry(
    cfg: &Config,
    opts: &Options,
    plugins: &[Arc<LoadedPlugin>],
    (venues, all_venues): (&[String], &[String]),
    universe: &Universe,
    mut registry: ToolRegistry,
    state_cell: &Arc<OnceLock<Arc<AppState>>>,
) -> anyhow::Result<Arc<ToolRegistry>> {
    for p in plugins {
        let symbols: Vec<String> = universe
            .iter()
            .filter(|i| p.serves(&i.venue))
            .map(|i| i.symbol.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for problem in registry.add_plugin(p.clone(), &symbols) {
            tracing::warn!(plugin = p.name(), %problem, "tool skipped");
        }
    }
    let all_symbols: Vec<String> = cfg
        .symbols
        .iter()
        .filter(|r| all_venues.iter().any(|v| r.venues.contains_key(v)))
        .map(|r| r.symbol.clone())
        .collect();
    let mut history_tools = if cfg.storage.enabled && !opts.no_storage {
        orderflow_server::history_tools::history_tools(state_cell.clone(), &all_symbols, venues)
    } else {
        Vec::new()
    };
    if cfg.storage.enabled && !opts.no_storage {
        history_tools.extend(orderflow_server::staple_tools::staple_tools(
            state_cell.clone(),
            &all_symbols,
            venues,
            cfg.sessions.clone(),
        ));
    }
    history_tools.extend(orderflow_server::feature_tools::feature_tools(
        state_cell.clone(),
        &all_symbols,
        all_venues,
    ));
    let cross_tools = orderflow_server::cross_tools::cross_tools(state_cell.clone(), &all_symbols);
    for t in history_tools
        .into_iter()
        .chain(cross_tools)
        .chain(orderflow_server::tools::builtins(
            state_cell.clone(),
            all_symbols,
            all_venues.to_vec(),
        ))
    {
        registry.add_builtin(t).map_err(|e| anyhow!(e))?;
    }
    Ok(Arc::new(registry))
}

/// One driver per venue: the venue's codec from its plugin, fed by the host's connections.
///
/// # Errors
/// A plugin refuses the codec configuration.
#[allow(clippy::too_many_arguments)]
fn start_drivers(
    cfg: &Config,
    venues: &[String],
    plugins: &[Arc<LoadedPlugin>],
    universe: &Universe,
    endpoints: &BTreeMap<String, VenueEndpoints>,
    recorder: &Option<Arc<Recorder>>,
    sink: &EventSink,
    clock: &Arc<IngestClock>,
    sink_tx: &Option<orderflow_sink_duckdb::SinkTx>,
) -> anyhow::Result<Vec<VenueDriver>> {
    // Disconnects and book resyncs become rows of the `gaps` table.
    let gaps = sink_tx.clone().map(|tx| {
        orderflow_plugin_host::driver::GapSink(Arc::new(move |g| {
            let _ = tx.send(SinkMsg::Gap(gap_row(g)));
        }))
    });
    let mut drivers = Vec::new();
    for v in venues {
        let vc = &cfg.venues[v];
        let plugin = plugins
            .iter()
            .find(|p| p.name() == vc.plugin)
            .ok_or_else(|| anyhow!("no plugin {}", vc.plugin))?;
        let endpoints = endpoints
            .get(v)
            .cloned()
            .ok_or_else(|| anyhow!("no endpoints for {v}"))?;
        let dc = DriverConfig {
            venue: v.clone(),
            endpoints,
            instruments: universe
                .of_venue(v)
                .map(|i| (i.id, i.symbol.clone(), i.venue_symbol.clone()))
                .collect(),
            codec_options: vc.options.clone(),
            recorder: recorder.clone(),
            idle_timeout_ms: vc.idle_timeout_ms,
            clock: Some(clock.clone()),
            gaps: gaps.clone(),
        };
        drivers.push(VenueDriver::start(plugin, dc, sink.clone())?);
    }
    Ok(drivers)
}

/// Binds the HTTP listener (HTTP API, MCP, `/openapi.json`) and serves until `shutdown`.
///
/// # Errors
/// The address cannot be bound.
async fn serve_http(
    bind: SocketAddr,
    state: Arc<AppState>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let http_addr = listener.local_addr()?;
    let app = orderflow_server::app(state.clone());
    let task = tokio::spawn(accept_loop(listener, app, state, shutdown));
    Ok((http_addr, task))
}

/// Serves connections until `shutdown`: at most `max_connections` at once (a further one is
/// closed at once and counted), each with hyper's header-read timeout (a client that sends no
/// complete request head in time, or idles on a keep-alive connection, is disconnected).
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;
    let permits = Arc::new(tokio::sync::Semaphore::new(state.options.max_connections));
    let header_timeout = state.options.header_read_timeout;
    loop {
        let (tcp, _) = tokio::select! {
            _ = shutdown.changed() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            state
                .limits
                .connections_refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            drop(tcp);
            continue;
        };
        // Nagle off: answers (and MCP's SSE frames) are small writes; with Nagle on, delayed
        // ACKs stall each one by ~40 ms.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // hyper's header-read timer starts once a request's first byte is in; a client
            // that connects and sends nothing is dropped here.
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(header_timeout, tcp.peek(&mut first)).await,
                Ok(Ok(1..))
            ) {
                return;
            }
            let svc =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    app.clone().oneshot(req)
                });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
    }
}

fn snapshot_loop(rx: crossbeam_channel::Receiver<Snapshot>, mut consumer: SnapshotConsumer) {
    for snap in rx {
        consumer.consume(snap);
    }
}

impl Running {
    /// Stops everything in order and flushes storage.
    ///
    /// # Errors
    /// A worker panicked.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        for d in self.drivers {
            d.stop().await;
        }
        if let Some(r) = &self.recorder {
            let n = r.finish().context("closing the recording")?;
            tracing::info!(records = n, dir = %r.dir().display(), "recording closed");
        }
        for (_, e) in self.emulators {
            e.stop().await;
        }
        let _ = self.shutdown.send(true);
        self.state.options.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        self.engine.shutdown()?;
        if let Some(t) = self.snapshot_thread {
            let _ = t.join();
        }
        if let Some(s) = self.sink {
            s.shutdown();
        }
        Ok(())
    }

    /// Flushes storage now.
    ///
    /// # Errors
    /// The sink stopped.
    pub fn flush(&self) -> anyhow::Result<()> {
        if let Some(s) = &self.sink {
            s.flush()?;
        }
        Ok(())
    }
}

/// The server's network settings from `[server]`; refuses a non-loopback bind without a token.
///
/// # Errors
/// A non-loopback bind with no `auth_token` (nor `ORDERFLOW_AUTH_TOKEN`).
pub fn server_options(cfg: &Config, bind: SocketAddr) -> anyhow::Result<ServerOptions> {
    let mut o = ServerOptions::default();
    let token = std::env::var("ORDERFLOW_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| cfg.server.auth_token.clone().filter(|t| !t.is_empty()));
    if !bind.ip().is_loopback() && token.is_none() {
        anyhow::bail!(
            "refusing to serve on non-loopback address {bind} without a bearer token: set \
             server.auth_token or ORDERFLOW_AUTH_TOKEN"
        );
    }
    o.bearer_token = token;
    o.allowed_hosts
        .extend(cfg.server.allowed_hosts.iter().cloned());
    o.allowed_origins
        .extend(cfg.server.allowed_origins.iter().cloned());
    o.max_body_bytes = cfg.server.max_body_bytes;
    o.mcp_page_size = cfg.server.mcp_page_size;
    o.mcp_fast_path = cfg.server.mcp_fast_path;
    o.max_json_depth = cfg.server.max_json_depth.max(2);
    o.mcp_max_sessions = cfg.server.mcp_max_sessions;
    o.mcp_session_idle = Duration::from_secs(cfg.server.mcp_session_idle_s.max(1));
    o.max_connections = cfg.server.max_connections.max(1);
    o.header_read_timeout = Duration::from_secs(cfg.server.header_read_timeout_s.max(1));
    o.max_live_streams = cfg.server.max_live_streams;
    o.config_view = serde_json::to_value(&cfg.source).unwrap_or_default();
    Ok(o)
}

/// A venue data gap as a row of the `gaps` table.
pub(crate) fn gap_row(g: orderflow_plugin_host::gaps::DataGap) -> orderflow_sink_duckdb::GapRow {
    orderflow_sink_duckdb::GapRow {
        venue: g.venue,
        symbol: g.symbol,
        stream: g.stream.to_owned(),
        from_ns: g.from_ns,
        to_ns: g.to_ns,
        reason: g.reason.to_owned(),
        detail: g.detail,
        lost: 0,
    }
}
