//! Configuration: `config/default.toml` is compiled in; `--config FILE` replaces it.

use anyhow::{Context, bail};
use orderflow_model::Universe;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default configuration file's text.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/default.toml");

/// Top-level configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// DuckDB storage.
    pub storage: StorageConfig,
    /// Dataflow engine.
    pub engine: EngineSection,
    /// Plugin loading.
    pub plugins: PluginsConfig,
    /// Emulators (demo).
    pub emulator: EmulatorSection,
    /// Venues by id.
    pub venues: BTreeMap<String, VenueConfig>,
    /// The symbol × venue matrix.
    pub symbols: Vec<SymbolRow>,
    /// Cross-venue features.
    #[serde(default)]
    pub cross_venue: CrossVenueSection,
    /// Taker and maker fees per venue id (bps), for arbitrage net of costs.
    #[serde(default)]
    pub fees: BTreeMap<String, orderflow_crossvenue::Fee>,
    /// Trading sessions by name (UTC hours), for the session tools.
    #[serde(default = "orderflow_server::staple_tools::default_sessions")]
    pub sessions: BTreeMap<String, orderflow_server::footprint::SessionHours>,
    /// The forecast refresher.
    #[serde(default)]
    pub forecast: ForecastSection,
    /// The text this configuration was parsed from, as a table (shown, secrets masked, by the
    /// dashboard's Settings page through `GET /settings`).
    #[serde(skip)]
    pub source: toml::Table,
}

/// `[forecast]`: forecasts refreshed on a cadence for the configured pairs (needs the
/// `forecast_stats` plugin), stored in the `forecasts` table and served by `GET /forecast`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForecastSection {
    /// Run the refresher.
    pub enabled: bool,
    /// Seconds between refreshes (also how long `GET /forecast` serves a cached forecast).
    pub refresh_s: u64,
    /// Bar interval of the forecast series, s.
    pub interval_s: u64,
    /// Steps ahead.
    pub horizon: u64,
    /// Router priority.
    pub priority: String,
    /// Every this many refreshes, backtest `compare_models` on each series (model registry).
    pub backtest_every: u32,
    /// Models compared in those backtests.
    pub compare_models: Vec<String>,
    /// Symbols to forecast (empty: every configured symbol), each on its first venue.
    pub symbols: Vec<String>,
}

impl Default for ForecastSection {
    fn default() -> Self {
        Self {
            enabled: true,
            refresh_s: 60,
            interval_s: 10,
            horizon: 12,
            priority: "balanced".into(),
            backtest_every: 5,
            compare_models: vec![
                "Naive".into(),
                "Theta".into(),
                "AutoETS".into(),
                "AutoTheta".into(),
            ],
            symbols: Vec::new(),
        }
    }
}

/// `[cross_venue]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrossVenueSection {
    /// A venue whose book has not changed for longer than this (ms of engine time) is left out
    /// of cross-venue prices, basis and arbitrage.
    pub max_book_age_ms: u64,
    /// Mid samples (one per feature snapshot) in the lead-lag window.
    pub lead_lag_samples: usize,
    /// Largest lead or lag tried, in samples.
    pub lead_lag_max_lag: usize,
    /// Fewest return pairs behind a lead-lag correlation.
    pub lead_lag_min_pairs: usize,
}

impl Default for CrossVenueSection {
    fn default() -> Self {
        let d = orderflow_crossvenue::CrossVenueConfig::default();
        Self {
            max_book_age_ms: d.max_book_age_ms,
            lead_lag_samples: d.lead_lag_samples,
            lead_lag_max_lag: d.lead_lag_max_lag,
            lead_lag_min_pairs: d.lead_lag_min_pairs,
        }
    }
}

impl CrossVenueSection {
    /// As the cross-venue crate's settings.
    pub fn to_config(&self) -> orderflow_crossvenue::CrossVenueConfig {
        orderflow_crossvenue::CrossVenueConfig {
            max_book_age_ms: self.max_book_age_ms,
            lead_lag_samples: self.lead_lag_samples,
            lead_lag_max_lag: self.lead_lag_max_lag,
            lead_lag_min_pairs: self.lead_lag_min_pairs,
        }
    }
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Bind address.
    pub bind: SocketAddr,
    /// Bearer token required by every route but `/health` (also `ORDERFLOW_AUTH_TOKEN`).
    /// Mandatory when `bind` is not a loopback address.
    #[serde(default)]
    pub auth_token: Option<String>,
    /// Extra names accepted in the `Host` header besides localhost/127.0.0.1/::1.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted besides http://localhost:* and http://127.0.0.1:*.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Request body limit, bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Tools per MCP `tools/list` page.
    #[serde(default = "default_mcp_page_size")]
    pub mcp_page_size: usize,
    /// Answer stateless (2026-07-28) JSON `tools/call` requests directly; `false` sends every
    /// MCP request through rmcp's per-request service.
    #[serde(default = "default_true")]
    pub mcp_fast_path: bool,
    /// Deepest JSON nesting accepted in a request body.
    #[serde(default = "default_max_json_depth")]
    pub max_json_depth: usize,
    /// Open MCP sessions (2025-11-25 era) at most.
    #[serde(default = "default_mcp_max_sessions")]
    pub mcp_max_sessions: usize,
    /// Seconds after which an idle MCP session is closed.
    #[serde(default = "default_mcp_session_idle_s")]
    pub mcp_session_idle_s: u64,
    /// Open TCP connections at most.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds a connection has to send a request's headers (ends idle keep-alive too).
    #[serde(default = "default_header_read_timeout_s")]
    pub header_read_timeout_s: u64,
    /// Open dashboard live streams (`GET /live`) at most.
    #[serde(default = "default_max_live_streams")]
    pub max_live_streams: usize,
}

fn default_max_live_streams() -> usize {
    orderflow_server::ServerOptions::default().max_live_streams
}

fn default_max_json_depth() -> usize {
    orderflow_server::ServerOptions::default().max_json_depth
}
fn default_mcp_max_sessions() -> usize {
    orderflow_server::ServerOptions::default().mcp_max_sessions
}
fn default_mcp_session_idle_s() -> u64 {
    orderflow_server::ServerOptions::default()
        .mcp_session_idle
        .as_secs()
}
fn default_max_connections() -> usize {
    orderflow_server::ServerOptions::default().max_connections
}
fn default_header_read_timeout_s() -> u64 {
    orderflow_server::ServerOptions::default()
        .header_read_timeout
        .as_secs()
}

fn default_max_body_bytes() -> usize {
    1 << 20
}

fn default_true() -> bool {
    true
}

fn default_mcp_page_size() -> usize {
    orderflow_server::mcp::DEFAULT_PAGE_SIZE
}

/// `[storage]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Write to DuckDB at all.
    pub enabled: bool,
    /// Database file.
    pub path: PathBuf,
    /// Flush interval, ms.
    pub flush_interval_ms: u64,
    /// Flush row threshold.
    pub flush_rows: usize,
    /// Feature snapshot cadence, ms of engine time.
    pub feature_snapshot_ms: u64,
    /// Levels per side in the `orderbook` table.
    pub orderbook_levels: usize,
    /// DuckDB `memory_limit` of the database (writer and history queries share it).
    #[serde(default = "default_memory_limit")]
    pub memory_limit: String,
    /// Limits of history queries (`query_history`, historical tools, `orderflow query`).
    #[serde(default)]
    pub queries: QueriesConfig,
    /// Messages the writer's queue holds; beyond, messages are dropped and recorded in `gaps`.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
}

fn default_queue_capacity() -> usize {
    orderflow_sink_duckdb::DEFAULT_QUEUE_CAPACITY
}

fn default_memory_limit() -> String {
    orderflow_sink_duckdb::MEMORY_LIMIT.to_owned()
}

/// `[storage.queries]`: governance of history queries (docs/operations.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueriesConfig {
    /// A query running longer is interrupted inside DuckDB (ms).
    pub timeout_ms: u64,
    /// Queries running at once (read connections).
    pub max_concurrent: usize,
    /// How long a query waits for a free read connection before it is refused (ms).
    pub queue_wait_ms: u64,
    /// Hard row cap of one answer.
    pub max_rows: usize,
    /// Cap on one answer's size in bytes.
    pub max_result_bytes: usize,
}

impl Default for QueriesConfig {
    fn default() -> Self {
        let d = orderflow_sink_duckdb::QueryLimits::default();
        Self {
            timeout_ms: u64::try_from(d.timeout.as_millis()).unwrap_or(u64::MAX),
            max_concurrent: d.max_concurrent,
            queue_wait_ms: u64::try_from(d.queue_wait.as_millis()).unwrap_or(u64::MAX),
            max_rows: d.max_rows,
            max_result_bytes: d.max_result_bytes,
        }
    }
}

impl QueriesConfig {
    /// As the sink's limits.
    pub fn limits(&self) -> orderflow_sink_duckdb::QueryLimits {
        orderflow_sink_duckdb::QueryLimits {
            timeout: std::time::Duration::from_millis(self.timeout_ms),
            max_concurrent: self.max_concurrent.max(1),
            queue_wait: std::time::Duration::from_millis(self.queue_wait_ms),
            max_rows: self.max_rows.max(1),
            max_result_bytes: self.max_result_bytes.max(1024),
        }
    }
}

impl StorageConfig {
    /// The sink's config for a database at `path`.
    pub fn sink_config(&self, path: std::path::PathBuf) -> orderflow_sink_duckdb::SinkConfig {
        orderflow_sink_duckdb::SinkConfig {
            path,
            flush_interval: std::time::Duration::from_millis(self.flush_interval_ms),
            flush_rows: self.flush_rows,
            memory_limit: self.memory_limit.clone(),
            queries: self.queries.limits(),
            queue_capacity: self.queue_capacity,
        }
    }
}

/// `[engine]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// Worker threads.
    pub workers: usize,
    /// Notional (quote units) from which a trade is a whale trade (`whale_*` features).
    #[serde(default = "default_whale_notional")]
    pub whale_notional: f64,
}

fn default_whale_notional() -> f64 {
    orderflow_dataflow::DEFAULT_WHALE_NOTIONAL
}

/// `[plugins]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Folder; empty = beside the binary.
    pub dir: PathBuf,
    /// Plugin names to load.
    pub load: Vec<String>,
    /// `[plugins.settings.<name>]`: each plugin's own settings, answered to it (and only to it)
    /// by the SDK's `settings` host-view op.
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Table>,
}

impl PluginsConfig {
    /// The settings of each plugin as JSON.
    pub fn settings_json(&self) -> BTreeMap<String, serde_json::Value> {
        self.settings
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), serde_json::to_value(v).ok()?)))
            .collect()
    }
}

/// `[emulator]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorSection {
    /// RNG seed.
    pub seed: u64,
    /// Messages per second per venue.
    pub msgs_per_sec: f64,
    /// Clock tick, ms.
    pub tick_ms: u64,
}

/// `[venues.<id>]`: the keys the host interprets, and the venue-specific rest.
#[derive(Clone, Debug, Deserialize)]
pub struct VenueConfig {
    /// Connect this venue.
    pub enabled: bool,
    /// Plugin that serves it.
    pub plugin: String,
    /// WebSocket base URL.
    pub ws_url: String,
    /// REST base URL.
    pub rest_url: String,
    /// Reconnect a connection silent for this long (ms), overriding the plugin's choice.
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
    /// Hours between funding payments of the venue's perpetuals (funding features annualise and
    /// normalise by it); absent: 8.
    #[serde(default)]
    pub funding_interval_h: Option<u32>,
    /// Every other key of the table (e.g. Binance's `depth_speed`): passed to the venue's codec
    /// as `CodecConfig::options`, typed and validated by the plugin.
    #[serde(flatten)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// Emulator parameters of a symbol.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorSymbol {
    /// Start price.
    pub start_price: f64,
    /// Tick size.
    pub tick_size: String,
    /// Lot size.
    pub lot_size: String,
}

/// One row of the symbol matrix: `symbol`, `emulator` and venue → instrument name.
#[derive(Clone, Debug, Deserialize)]
pub struct SymbolRow {
    /// orderflow symbol.
    pub symbol: String,
    /// Emulator parameters.
    pub emulator: EmulatorSymbol,
    /// Venue id → venue instrument name.
    #[serde(flatten)]
    pub venues: BTreeMap<String, String>,
}

impl Config {
    /// Parses a configuration text.
    ///
    /// # Errors
    /// Syntax errors, unknown keys, unknown venues in the matrix.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut cfg: Self = toml::from_str(text).context("parsing configuration")?;
        cfg.source = toml::from_str(text).context("parsing configuration")?;
        for row in &cfg.symbols {
            for v in row.venues.keys() {
                if !cfg.venues.contains_key(v) {
                    bail!(
                        "symbol {} lists venue {v:?}, which has no [venues.{v}] section",
                        row.symbol
                    );
                }
            }
        }
        for (v, fee) in &cfg.fees {
            if !fee.taker_bps.is_finite() || !fee.maker_bps.is_finite() || fee.taker_bps < 0.0 {
                bail!("fees.{v}: taker_bps must be a finite number ≥ 0 and maker_bps finite");
            }
        }
        for (name, h) in &cfg.sessions {
            if h.start_utc_h > 23 || h.end_utc_h > 24 || h.start_utc_h == h.end_utc_h {
                bail!("sessions.{name}: start_utc_h must be 0–23, end_utc_h 0–24 and different");
            }
        }
        // Snapshots are exact (and replay) when every window is a whole number of snapshot
        // intervals: the shortest window is 10 s, and every other is a multiple of it.
        let ms = cfg.storage.feature_snapshot_ms;
        if ms > 0 && 10_000 % ms != 0 {
            bail!("storage.feature_snapshot_ms must divide 10000 (the 10 s window), got {ms}");
        }
        if cfg.engine.workers == 0 {
            bail!("engine.workers must be at least 1");
        }
        if !(cfg.engine.whale_notional.is_finite() && cfg.engine.whale_notional > 0.0) {
            bail!(
                "engine.whale_notional must be a positive number, got {}",
                cfg.engine.whale_notional
            );
        }
        Ok(cfg)
    }

    /// The embedded default, or `path` when given.
    ///
    /// # Errors
    /// Read or parse errors.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        match path {
            None => Self::parse(DEFAULT_CONFIG),
            Some(p) => Self::parse(
                &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            ),
        }
    }

    /// Sets venue option `key` to `value` on every venue whose table has that key (e.g. every
    /// venue with a `depth_speed`), leaving the others alone. Used by the latency harness and
    /// tests; the host itself never interprets the key.
    pub fn override_option(&mut self, key: &str, value: serde_json::Value) {
        for vc in self.venues.values_mut() {
            if let Some(v) = vc.options.get_mut(key) {
                *v = value.clone();
            }
        }
    }

    /// Enabled venues, in `orderflow_model::VENUES` order.
    pub fn enabled_venues(&self) -> Vec<String> {
        orderflow_model::VENUES
            .iter()
            .filter(|v| self.venues.get(**v).is_some_and(|c| c.enabled))
            .map(|v| (*v).to_owned())
            .chain(
                self.venues
                    .iter()
                    .filter(|(k, c)| c.enabled && !orderflow_model::VENUES.contains(&k.as_str()))
                    .map(|(k, _)| k.clone()),
            )
            .collect()
    }

    /// The fee schedule.
    pub fn fee_schedule(&self) -> orderflow_crossvenue::FeeSchedule {
        orderflow_crossvenue::FeeSchedule::new(self.fees.iter().map(|(v, f)| (v.clone(), *f)))
    }

    /// The universe of (venue, symbol) pairs for `venues`.
    ///
    /// # Errors
    /// Duplicate pairs.
    pub fn universe(&self, venues: &[String]) -> anyhow::Result<Universe> {
        let mut pairs = Vec::new();
        for v in venues {
            for row in &self.symbols {
                if let Some(vs) = row.venues.get(v) {
                    pairs.push((v.clone(), row.symbol.clone(), vs.clone()));
                }
            }
        }
        Ok(Universe::new(pairs)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses_and_has_the_seed_matrix() {
        let c = Config::parse(DEFAULT_CONFIG).unwrap();
        assert_eq!(c.symbols.len(), 9);
        // The seed's 8 exchanges, with Binance and Bybit each as perpetuals and spot.
        assert_eq!(c.venues.len(), 9);
        assert_eq!(
            c.enabled_venues(),
            // The seed's venues first, in its order, then the others (bybit_spot).
            vec![
                "binance",
                "binance_spot",
                "bybit",
                "okx",
                "kraken",
                "gateio",
                "hyperliquid",
                "deribit",
                "bybit_spot"
            ]
        );
        let u = c.universe(&c.enabled_venues()).unwrap();
        let n = |v: &str| c.universe(&[v.to_owned()]).unwrap().len();
        // Binance futures lists all 9 symbols, OKX 6 (the seed's matrix holes).
        assert_eq!((n("binance"), n("okx")), (9, 6));
        assert_eq!(
            n("bybit_spot"),
            4,
            "majors only until listings are verified"
        );
        assert_eq!(
            u.len(),
            9 + n("binance_spot")
                + n("bybit")
                + 4
                + 6
                + n("kraken")
                + n("hyperliquid")
                + 4
                + n("gateio")
        );
        assert_eq!(n("deribit"), 4, "BTC, ETH inverse; SOL, XRP USDC-linear");
        // Every venue has a fee for cross-venue arbitrage.
        for v in c.venues.keys() {
            assert!(c.fee_schedule().get(v).is_some(), "no fee for {v}");
        }
        let all: Vec<String> = c.venues.keys().cloned().collect();
        let full = c.universe(&all).unwrap();
        assert!(full.find("okx", "BTCUSDT").is_some());
        assert!(
            full.find("okx", "BRETTUSDT").is_none(),
            "matrix holes follow the seed"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let bad = DEFAULT_CONFIG.replace("[engine]\n", "[engine]\nworkerz = 3\n");
        assert!(Config::parse(&bad).is_err());
    }
}
