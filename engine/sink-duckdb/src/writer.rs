//! The writer thread: buffers rows per table and appends them in batches.

use crate::{GapLedger, GapRow, History, QueryLimits, Result, SinkError, schema};
use duckdb::types::{TimeUnit, Value};
use duckdb::{Connection, params};
use orderflow_model::{Event, EventKind, Fixed, InstrumentId, Side, Universe};
use parking_lot::Mutex;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Sink settings.
#[derive(Clone, Debug)]
pub struct SinkConfig {
    /// Database file.
    pub path: PathBuf,
    /// Flush at least this often.
    pub flush_interval: Duration,
    /// Flush when this many rows are buffered.
    pub flush_rows: usize,
    /// DuckDB `memory_limit` for the database (e.g. `"1GB"`).
    pub memory_limit: String,
    /// Limits of the read side ([`History`]).
    pub queries: QueryLimits,
    /// Messages the writer's queue holds; beyond, messages are dropped and recorded as gaps.
    pub queue_capacity: usize,
}

/// Default [`SinkConfig::queue_capacity`]: at 20 k msgs/s in batches, several seconds of feed.
pub const DEFAULT_QUEUE_CAPACITY: usize = 65_536;

impl SinkConfig {
    /// A config with the default flush cadence, memory limit and query limits.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            flush_interval: Duration::from_millis(250),
            flush_rows: 200_000,
            memory_limit: crate::MEMORY_LIMIT.to_owned(),
            queries: QueryLimits::default(),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }
}

/// Feature values of one snapshot, long format.
#[derive(Clone, Debug, Default)]
pub struct FeatureRows {
    /// Snapshot time (engine time, ns).
    pub time: u64,
    /// (instrument, feature name, value).
    pub rows: Vec<(InstrumentId, &'static str, f64)>,
}

/// Signal values of one snapshot: (instrument, signal name, value, confidence).
#[derive(Clone, Debug, Default)]
pub struct SignalRows {
    /// Snapshot time (engine time, ns).
    pub time: u64,
    /// Rows.
    pub rows: Vec<(InstrumentId, &'static str, f64, f64)>,
}

/// Cross-venue features of one snapshot: (symbol, feature name, value).
#[derive(Clone, Debug, Default)]
pub struct CrossVenueRows {
    /// Snapshot time (engine time, ns).
    pub time: u64,
    /// Rows.
    pub rows: Vec<(String, String, f64)>,
}

/// A change of market regime of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct RegimeRow {
    /// Engine time, ns.
    pub time: u64,
    /// Instrument.
    pub inst: InstrumentId,
    /// New regime.
    pub regime: &'static str,
    /// Previous regime (`None` for the first classification).
    pub previous: Option<&'static str>,
    /// The classifier's trend input.
    pub trend: f64,
    /// The classifier's volatility-ratio input.
    pub vol_ratio: f64,
}

/// One step of a stored forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastRow {
    /// When the forecast was made, Unix ns.
    pub time: u64,
    /// Venue.
    pub venue: String,
    /// Symbol.
    pub symbol: String,
    /// Series spacing, s.
    pub interval_s: u32,
    /// What was forecast, e.g. `bars close`.
    pub series: String,
    /// Model (or ensemble) name.
    pub model: String,
    /// Step ahead (1 …).
    pub step: u32,
    /// The time the step forecasts, Unix ns.
    pub target: u64,
    /// Point forecast.
    pub mean: f64,
    /// Interval lower bound.
    pub lower: f64,
    /// Interval upper bound.
    pub upper: f64,
    /// Nominal interval coverage.
    pub level: f64,
}

/// A model's backtest on a series (the model registry).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelScoreRow {
    /// When, Unix ns.
    pub time: u64,
    /// Venue.
    pub venue: String,
    /// Symbol.
    pub symbol: String,
    /// Series spacing, s.
    pub interval_s: u32,
    /// What was backtested, e.g. `bars close`.
    pub series: String,
    /// Model.
    pub model: String,
    /// Horizon.
    pub horizon: u32,
    /// Folds.
    pub folds: u32,
    /// Mean MASE.
    pub mase: f64,
    /// Mean sMAPE, %.
    pub smape: f64,
    /// Mean interval coverage.
    pub coverage: f64,
    /// S–F grade.
    pub grade: String,
    /// Median fit time, ms.
    pub fit_ms: f64,
    /// Whether the router chose this model for the series.
    pub chosen: bool,
}

/// A change of a symbol's cross-venue regime (stored in `regimes` with venue `all`).
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolRegimeRow {
    /// Engine time, ns.
    pub time: u64,
    /// Symbol.
    pub symbol: String,
    /// New regime.
    pub regime: &'static str,
    /// Previous regime (`None` for the first classification).
    pub previous: Option<&'static str>,
    /// Median trend input over the venues.
    pub trend: f64,
    /// Median volatility-ratio input over the venues.
    pub vol_ratio: f64,
}

/// One level of a periodic order-book snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookSnapshotRow {
    /// Snapshot time, ns.
    pub time: u64,
    /// Instrument.
    pub inst: InstrumentId,
    /// Side.
    pub side: Side,
    /// 1 = best.
    pub level: u32,
    /// Price.
    pub price: Fixed,
    /// Size.
    pub size: Fixed,
}

/// Messages to the writer.
#[derive(Debug)]
pub enum SinkMsg {
    /// Normalized events.
    Events(Arc<Vec<Event>>),
    /// A feature snapshot.
    Features(FeatureRows),
    /// A periodic book snapshot.
    Orderbook(Vec<BookSnapshotRow>),
    /// The composite signals of a feature snapshot.
    Signals(SignalRows),
    /// Regime transitions.
    Regimes(Vec<RegimeRow>),
    /// Cross-venue (per-symbol) regime transitions.
    SymbolRegimes(Vec<SymbolRegimeRow>),
    /// The cross-venue features of a snapshot.
    CrossVenue(CrossVenueRows),
    /// Forecasts made by the forecast refresher (`forecasts` table).
    Forecasts(Vec<ForecastRow>),
    /// Backtest scores of models on series (`model_registry` table).
    ModelScores(Vec<ModelScoreRow>),
    /// An interval of incomplete history seen by the host (disconnect, book resync).
    Gap(GapRow),
    /// Flush now and answer.
    Flush(crossbeam_channel::Sender<()>),
    /// Flush, checkpoint and stop the writer.
    Shutdown,
}

/// Writer counters.
#[derive(Debug, Default)]
pub struct SinkStats {
    /// Rows appended and committed.
    pub rows_written: AtomicU64,
    /// Flushes.
    pub flushes: AtomicU64,
    /// Failed flushes (their rows are dropped and counted here).
    pub rows_dropped: AtomicU64,
    /// Last error.
    pub last_error: Mutex<Option<String>>,
    /// Incomplete-history accounting (`gaps` table).
    pub gaps: GapLedger,
    /// True while a database is open for writing.
    pub available: std::sync::atomic::AtomicBool,
    /// Times the database was opened again after it failed or could not be opened.
    pub reopened: AtomicU64,
    /// Messages waiting in the writer's queue (sampled by the writer at each receive).
    pub queue_depth: AtomicU64,
    /// Total time spent in flushes that wrote rows, ns.
    pub flush_ns: AtomicU64,
    /// Duration of the last flush that wrote rows, µs.
    pub last_flush_us: AtomicU64,
    /// Memory held by DuckDB's buffer manager (`duckdb_memory()`, bounded by `memory_limit`),
    /// sampled by the writer every 10 s.
    pub duckdb_memory_bytes: AtomicU64,
    /// Temporary storage DuckDB spilled to disk (`duckdb_memory()`), sampled with the above.
    pub duckdb_temp_bytes: AtomicU64,
}

impl SinkStats {
    /// As JSON (for `/streaming/status`).
    pub fn to_json(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "rows_written": g(&self.rows_written),
            "flushes": g(&self.flushes),
            "rows_dropped": g(&self.rows_dropped),
            "available": self.available.load(Ordering::Relaxed),
            "reopened": g(&self.reopened),
            "queue_depth": g(&self.queue_depth),
            "flush_seconds_total": g(&self.flush_ns) as f64 / 1e9,
            "last_flush_ms": g(&self.last_flush_us) as f64 / 1e3,
            "duckdb_memory_bytes": g(&self.duckdb_memory_bytes),
            "duckdb_temp_bytes": g(&self.duckdb_temp_bytes),
            "queue_dropped": g(&self.gaps.queue_dropped),
            "gaps_recorded": g(&self.gaps.recorded),
            "last_error": self.last_error.lock().clone(),
        })
    }
}

/// The sending side of the sink: never blocks the caller. A message the full queue refuses is
/// dropped, counted, and recorded as a gap (per instrument for events) that the writer stores
/// with its next flush.
#[derive(Clone, Debug)]
pub struct SinkTx {
    tx: crossbeam_channel::Sender<SinkMsg>,
    stats: Arc<SinkStats>,
    universe: Arc<Universe>,
    wait: bool,
}

impl SinkTx {
    /// A sender that waits for room instead of dropping (replay: back-pressure, not loss).
    #[must_use]
    pub fn waiting(mut self) -> Self {
        self.wait = true;
        self
    }

    /// Offers `msg`; false when it was dropped (queue full, or the writer stopped).
    pub fn send(&self, msg: SinkMsg) -> bool {
        if self.wait {
            return self.tx.send(msg).is_ok();
        }
        match self.tx.try_send(msg) {
            Ok(()) => true,
            Err(crossbeam_channel::TrySendError::Full(msg)) => {
                self.account(&msg);
                false
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => false,
        }
    }

    /// Records events lost before they reached the sink (e.g. the engine's queue was full): the
    /// history holds them, but the engine never saw them — derived tables are incomplete.
    pub fn record_lost(&self, events: &[Event], reason: &str, detail: &str) {
        self.stats
            .gaps
            .add_events(&self.universe, events, "features", reason, detail);
    }

    fn account(&self, msg: &SinkMsg) {
        let gaps = &self.stats.gaps;
        gaps.queue_dropped.fetch_add(1, Ordering::Relaxed);
        let detail = "the sink queue was full (storage slower than the feed)";
        let now = crate::gaps_now_ns();
        let other = |stream: &str, lost: usize| {
            gaps.add(GapRow {
                venue: "*".into(),
                symbol: "*".into(),
                stream: stream.to_owned(),
                from_ns: now,
                to_ns: now,
                reason: "sink_backpressure".into(),
                detail: detail.into(),
                lost: lost as u64,
            });
        };
        match msg {
            SinkMsg::Events(evs) => {
                gaps.add_events(&self.universe, evs, "events", "sink_backpressure", detail);
            }
            SinkMsg::Features(f) => other("features", f.rows.len()),
            SinkMsg::Orderbook(b) => other("orderbook", b.len()),
            SinkMsg::Signals(s) => other("signals", s.rows.len()),
            SinkMsg::Regimes(r) => other("regimes", r.len()),
            SinkMsg::SymbolRegimes(r) => other("symbol_regimes", r.len()),
            SinkMsg::CrossVenue(c) => other("cross_venue", c.rows.len()),
            SinkMsg::Forecasts(f) => other("forecasts", f.len()),
            SinkMsg::ModelScores(m) => other("model_registry", m.len()),
            SinkMsg::Gap(g) => gaps.add(g.clone()),
            SinkMsg::Flush(_) | SinkMsg::Shutdown => {}
        }
    }
}

/// A running sink.
#[derive(Debug)]
pub struct Sink {
    tx: crossbeam_channel::Sender<SinkMsg>,
    handle: Option<JoinHandle<()>>,
    stats: Arc<SinkStats>,
    history: History,
    universe: Arc<Universe>,
}

fn ts(ns: u64) -> Value {
    Value::Timestamp(
        TimeUnit::Microsecond,
        i64::try_from(ns / 1_000).unwrap_or(i64::MAX),
    )
}
fn ns(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
fn dec(f: Fixed) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(f.raw()), 8)
}

#[derive(Default)]
struct Buffers {
    events: Vec<Arc<Vec<Event>>>,
    // Derived tables: see `derived_spans`.
    features: Vec<FeatureRows>,
    signals: Vec<SignalRows>,
    regimes: Vec<RegimeRow>,
    symbol_regimes: Vec<SymbolRegimeRow>,
    cross: Vec<CrossVenueRows>,
    books: Vec<BookSnapshotRow>,
    forecasts: Vec<ForecastRow>,
    scores: Vec<ModelScoreRow>,
    gaps: Vec<GapRow>,
    rows: usize,
}

impl Buffers {
    /// The derived rows held, per table: (stream, rows, first time, last time), for the gap
    /// record of a flush that lost them.
    fn derived_spans(&self) -> Vec<(&'static str, u64, u64, u64)> {
        fn span<T>(
            stream: &'static str,
            items: &[T],
            time: impl Fn(&T) -> u64,
            rows: impl Fn(&T) -> usize,
        ) -> Option<(&'static str, u64, u64, u64)> {
            let n: usize = items.iter().map(&rows).sum();
            let from = items.iter().map(&time).min()?;
            let to = items.iter().map(&time).max()?;
            (n > 0).then_some((stream, n as u64, from, to))
        }
        [
            span("features", &self.features, |f| f.time, |f| f.rows.len()),
            span("signals", &self.signals, |s| s.time, |s| s.rows.len()),
            span("cross_venue", &self.cross, |c| c.time, |c| c.rows.len()),
            span("orderbook", &self.books, |b| b.time, |_| 1),
            span("regimes", &self.regimes, |r| r.time, |_| 1),
            span("symbol_regimes", &self.symbol_regimes, |r| r.time, |_| 1),
            span("forecasts", &self.forecasts, |f| f.time, |_| 1),
            span("model_registry", &self.scores, |m| m.time, |_| 1),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Sink {
    /// Opens the database, migrates the schema, creates the pair views and starts the writer.
    ///
    /// # Errors
    /// DuckDB or filesystem errors.
    pub fn start(cfg: SinkConfig, universe: Arc<Universe>) -> Result<Self> {
        let stats = Arc::new(SinkStats::default());
        // A database that cannot be opened now (locked by another process, read-only, a bad
        // path) is an error in the status, not a failed start: the live side keeps serving and
        // the writer retries; what it could not store is recorded in `gaps`.
        let (conn, history) = match open_db(&cfg, &universe) {
            Ok(conn) => {
                let h = History::with_limits(conn.try_clone()?, cfg.queries.clone());
                stats.available.store(true, Ordering::Relaxed);
                (Some(conn), h)
            }
            Err(e) => {
                tracing::error!(path = %cfg.path.display(), error = %e, "cannot open the database; storage retries every {:?}", REOPEN_EVERY);
                *stats.last_error.lock() = Some(e.to_string());
                (
                    None,
                    History::unavailable(cfg.queries.clone(), &e.to_string()),
                )
            }
        };
        let (tx, rx) = crossbeam_channel::bounded::<SinkMsg>(cfg.queue_capacity.max(16));
        let writer = Writer {
            conn,
            cfg,
            universe: universe.clone(),
            stats: stats.clone(),
            history: history.clone(),
            down_since: None,
            last_attempt: Instant::now(),
        };
        let handle = std::thread::Builder::new()
            .name("duckdb-sink".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| SinkError::Io {
                path: PathBuf::from("<thread>"),
                source,
            })?;
        Ok(Self {
            tx,
            handle: Some(handle),
            stats,
            history,
            universe,
        })
    }

    /// Channel to the writer (never blocks; a refused message is recorded as a gap).
    pub fn sender(&self) -> SinkTx {
        SinkTx {
            tx: self.tx.clone(),
            stats: self.stats.clone(),
            universe: self.universe.clone(),
            wait: false,
        }
    }

    /// Read-only SQL over the same database.
    pub fn history(&self) -> History {
        self.history.clone()
    }

    /// Counters.
    pub fn stats(&self) -> Arc<SinkStats> {
        self.stats.clone()
    }

    /// Flushes everything sent so far.
    ///
    /// # Errors
    /// [`SinkError::Stopped`] when the writer is gone.
    pub fn flush(&self) -> Result<()> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.tx
            .send(SinkMsg::Flush(tx))
            .map_err(|_| SinkError::Stopped)?;
        rx.recv().map_err(|_| SinkError::Stopped)
    }

    /// Flushes and stops the writer (the database is checkpointed on close). Messages sent
    /// after this by other holders of the channel are dropped.
    pub fn shutdown(mut self) {
        let _ = self.tx.send(SinkMsg::Shutdown);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// How often the writer tries to (re)open a database it does not have.
const REOPEN_EVERY: Duration = Duration::from_secs(5);

/// How often the writer samples `duckdb_memory()` into [`SinkStats`].
const MEMORY_SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// DuckDB's buffer-managed memory and spilled temporary storage, bytes.
fn duckdb_memory(conn: &Connection) -> Result<(u64, u64)> {
    let (mem, tmp): (i64, i64) = conn.query_row(
        "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT, \
         coalesce(sum(temporary_storage_bytes), 0)::BIGINT FROM duckdb_memory()",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((
        u64::try_from(mem).unwrap_or_default(),
        u64::try_from(tmp).unwrap_or_default(),
    ))
}

/// Opens the database and migrates the schema.
fn open_db(cfg: &SinkConfig, universe: &Universe) -> Result<Connection> {
    let conn = crate::open_with(&cfg.path, &cfg.memory_limit)?;
    let pairs: Vec<(String, String)> = universe
        .iter()
        .map(|i| (i.venue.clone(), i.symbol.clone()))
        .collect();
    schema::migrate(&conn, &pairs)?;
    Ok(conn)
}

/// DuckDB invalidates a database instance after a fatal error (e.g. a checkpoint that hit a
/// full disk): every later statement fails until it is opened again.
fn is_fatal(e: &SinkError) -> bool {
    let m = e.to_string();
    m.contains("invalidated") || m.contains("FATAL")
}

struct Writer {
    /// `None` while the database is unavailable.
    conn: Option<Connection>,
    cfg: SinkConfig,
    universe: Arc<Universe>,
    stats: Arc<SinkStats>,
    history: History,
    /// Since when (Unix ns) nothing could be stored.
    down_since: Option<u64>,
    last_attempt: Instant,
}

impl Writer {
    /// Reopens the database when it is down and the retry interval has passed. The old
    /// instance must be fully closed first (readers retired), or two instances would write one
    /// file.
    fn reopen(&mut self) {
        if self.conn.is_some() || self.last_attempt.elapsed() < REOPEN_EVERY {
            return;
        }
        self.last_attempt = Instant::now();
        match open_db(&self.cfg, &self.universe) {
            Ok(conn) => match conn.try_clone() {
                Ok(reader) => {
                    self.history.install(reader);
                    self.conn = Some(conn);
                    self.stats.available.store(true, Ordering::Relaxed);
                    self.stats.reopened.fetch_add(1, Ordering::Relaxed);
                    let since = self.down_since.take().unwrap_or_else(crate::gaps_now_ns);
                    tracing::info!(path = %self.cfg.path.display(), down_s = (crate::gaps_now_ns().saturating_sub(since)) as f64 / 1e9, "database open again; storage resumed");
                    self.stats.gaps.add(GapRow {
                        venue: "*".into(),
                        symbol: "*".into(),
                        stream: "all".into(),
                        from_ns: since,
                        to_ns: crate::gaps_now_ns(),
                        reason: "storage_unavailable".into(),
                        detail: self.stats.last_error.lock().clone().unwrap_or_default(),
                        lost: 0,
                    });
                }
                Err(e) => *self.stats.last_error.lock() = Some(e.to_string()),
            },
            Err(e) => {
                tracing::debug!(error = %e, "database still cannot be opened");
                *self.stats.last_error.lock() = Some(e.to_string());
            }
        }
    }

    /// Gives up a database that failed fatally: readers retired, connection closed.
    fn take_down(&mut self, why: &str) {
        tracing::error!(path = %self.cfg.path.display(), error = why, "database failed; storage is down and will be reopened");
        if !self.history.retire(why, Duration::from_secs(30)) {
            tracing::warn!(
                "a history query still holds the failed database; reopening waits for it"
            );
        }
        self.conn = None;
        self.stats.available.store(false, Ordering::Relaxed);
        self.down_since.get_or_insert_with(crate::gaps_now_ns);
        self.last_attempt = Instant::now();
    }

    fn run(mut self, rx: crossbeam_channel::Receiver<SinkMsg>) {
        let stats = self.stats.clone();
        let universe = self.universe.clone();
        let mut buf = Buffers::default();
        let mut last_flush = Instant::now();
        let mut last_memory_sample: Option<Instant> = None;
        loop {
            let timeout = self.cfg.flush_interval.saturating_sub(last_flush.elapsed());
            let msg = rx.recv_timeout(timeout);
            stats.queue_depth.store(rx.len() as u64, Ordering::Relaxed);
            let mut ack = None;
            let mut done = false;
            match msg {
                Ok(SinkMsg::Events(evs)) => {
                    buf.rows += evs
                        .iter()
                        .map(|e| match &e.kind {
                            EventKind::Book { levels, .. } => levels.len(),
                            _ => 1,
                        })
                        .sum::<usize>();
                    buf.events.push(evs);
                }
                Ok(SinkMsg::Features(f)) => {
                    buf.rows += f.rows.len();
                    buf.features.push(f);
                }
                Ok(SinkMsg::Orderbook(b)) => {
                    buf.rows += b.len();
                    buf.books.extend(b);
                }
                Ok(SinkMsg::Regimes(r)) => {
                    buf.rows += r.len();
                    buf.regimes.extend(r);
                }
                Ok(SinkMsg::SymbolRegimes(r)) => {
                    buf.rows += r.len();
                    buf.symbol_regimes.extend(r);
                }
                Ok(SinkMsg::CrossVenue(c)) => {
                    buf.rows += c.rows.len();
                    buf.cross.push(c);
                }
                Ok(SinkMsg::Signals(sg)) => {
                    buf.rows += sg.rows.len();
                    buf.signals.push(sg);
                }
                Ok(SinkMsg::Forecasts(f)) => {
                    buf.rows += f.len();
                    buf.forecasts.extend(f);
                }
                Ok(SinkMsg::ModelScores(m)) => {
                    buf.rows += m.len();
                    buf.scores.extend(m);
                }
                Ok(SinkMsg::Gap(g)) => {
                    stats.gaps.remember(&g);
                    buf.rows += 1;
                    buf.gaps.push(g);
                }
                Ok(SinkMsg::Flush(tx)) => ack = Some(tx),
                Ok(SinkMsg::Shutdown) => done = true,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => done = true,
            }
            if done
                || ack.is_some()
                || buf.rows >= self.cfg.flush_rows
                || last_flush.elapsed() >= self.cfg.flush_interval
            {
                // Storage-side gaps recorded since the last flush go into this one.
                buf.gaps.extend(stats.gaps.take());
                let n = buf.rows;
                self.reopen();
                if n > 0 || !buf.gaps.is_empty() {
                    let started = Instant::now();
                    let result = match &self.conn {
                        Some(conn) => flush(conn, &buf, &universe),
                        None => Err(SinkError::Unavailable {
                            reason: stats.last_error.lock().clone().unwrap_or_default(),
                        }),
                    };
                    if let Err(e) = &result
                        && self.conn.is_some()
                        && is_fatal(e)
                    {
                        self.take_down(&e.to_string());
                    }
                    match result {
                        Ok(()) => {
                            let took = started.elapsed();
                            stats.flush_ns.fetch_add(
                                u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
                                Ordering::Relaxed,
                            );
                            stats.last_flush_us.store(
                                u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
                                Ordering::Relaxed,
                            );
                            stats.rows_written.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) => {
                            stats.rows_dropped.fetch_add(n as u64, Ordering::Relaxed);
                            // While the database is down, `last_error` keeps the cause; a
                            // repeated failure is logged once, not every flush.
                            if !matches!(e, SinkError::Unavailable { .. }) {
                                let msg = e.to_string();
                                let mut last = stats.last_error.lock();
                                if last.as_deref() != Some(msg.as_str()) {
                                    tracing::error!(error = %e, rows = n, "duckdb flush failed; rows dropped and recorded as gaps");
                                }
                                *last = Some(msg);
                            }
                            // The gaps of this flush are kept for the next one; the lost events
                            // become gaps themselves.
                            stats.gaps.restore(std::mem::take(&mut buf.gaps));
                            let detail = format!("flush failed: {e}");
                            for evs in &buf.events {
                                stats.gaps.add_events(
                                    &universe,
                                    evs,
                                    "events",
                                    "storage_error",
                                    &detail,
                                );
                            }
                            // Derived rows lost with it: per table, over all pairs.
                            for (stream, lost, from_ns, to_ns) in buf.derived_spans() {
                                stats.gaps.add(GapRow {
                                    venue: "*".into(),
                                    symbol: "*".into(),
                                    stream: stream.into(),
                                    from_ns,
                                    to_ns,
                                    reason: "storage_error".into(),
                                    detail: detail.clone(),
                                    lost,
                                });
                            }
                        }
                    }
                    stats.flushes.fetch_add(1, Ordering::Relaxed);
                }
                buf = Buffers::default();
                last_flush = Instant::now();
                if let Some(conn) = &self.conn
                    && last_memory_sample.is_none_or(|t| t.elapsed() >= MEMORY_SAMPLE_EVERY)
                {
                    last_memory_sample = Some(last_flush);
                    match duckdb_memory(conn) {
                        Ok((mem, tmp)) => {
                            stats.duckdb_memory_bytes.store(mem, Ordering::Relaxed);
                            stats.duckdb_temp_bytes.store(tmp, Ordering::Relaxed);
                        }
                        Err(e) => tracing::debug!(error = %e, "duckdb_memory() failed"),
                    }
                }
                if let Some(tx) = ack {
                    let _ = tx.send(());
                }
            }
            if done {
                break;
            }
        }
        if let Some(conn) = &self.conn
            && let Err(e) = conn.execute_batch("CHECKPOINT")
        {
            tracing::warn!(error = %e, "checkpoint on shutdown failed");
        }
    }
}

fn flush(conn: &Connection, buf: &Buffers, u: &Universe) -> Result<()> {
    let name = |i: InstrumentId| {
        u.get(i)
            .map_or(("?", "?"), |x| (x.venue.as_str(), x.symbol.as_str()))
    };
    let mut trades = conn.appender("trades")?;
    let mut books = conn.appender("book_updates")?;
    let mut funding = conn.appender("funding")?;
    let mut oi = conn.appender("open_interest")?;
    let mut liq = conn.appender("liquidations")?;
    let mut mark = conn.appender("mark_prices")?;
    let mut tick = conn.appender("tickers")?;
    {
        let mut gaps = conn.appender("gaps")?;
        for g in &buf.gaps {
            gaps.append_row(params![
                ts(g.from_ns),
                ts(g.to_ns),
                ns(g.from_ns),
                ns(g.to_ns),
                g.venue,
                g.symbol,
                g.stream,
                g.reason,
                g.detail,
                i64::try_from(g.lost).unwrap_or(i64::MAX)
            ])?;
        }
        // Explicitly: an appender dropped unflushed loses a failed write without an error.
        gaps.flush()?;
    }
    for evs in &buf.events {
        for e in evs.iter() {
            let (venue, symbol) = name(e.inst);
            let (t, te, tr) = (ts(e.ts_event), ns(e.ts_event), ns(e.ts_recv));
            match &e.kind {
                EventKind::Trade {
                    price,
                    size,
                    aggressor,
                    trade_id,
                } => {
                    trades.append_row(params![
                        t,
                        te,
                        tr,
                        venue,
                        symbol,
                        dec(*price),
                        dec(*size),
                        aggressor.as_str(),
                        trade_id
                    ])?;
                }
                EventKind::Book {
                    snapshot,
                    levels,
                    sequence,
                } => {
                    for l in levels {
                        books.append_row(params![
                            t.clone(),
                            te,
                            tr,
                            venue,
                            symbol,
                            sequence,
                            snapshot,
                            l.side.as_str(),
                            dec(l.price),
                            dec(l.size)
                        ])?;
                    }
                }
                EventKind::Funding {
                    rate,
                    next_funding_ns,
                } => {
                    funding.append_row(params![
                        t,
                        te,
                        tr,
                        venue,
                        symbol,
                        dec(*rate),
                        ts(*next_funding_ns)
                    ])?;
                }
                EventKind::OpenInterest { open_interest } => {
                    oi.append_row(params![t, te, tr, venue, symbol, dec(*open_interest)])?;
                }
                EventKind::Liquidation { side, price, size } => {
                    liq.append_row(params![
                        t,
                        te,
                        tr,
                        venue,
                        symbol,
                        side.as_str(),
                        dec(*price),
                        dec(*size)
                    ])?;
                }
                EventKind::MarkPrice { mark: m, index } => {
                    let index = if index.is_zero() {
                        None
                    } else {
                        Some(dec(*index))
                    };
                    mark.append_row(params![t, te, tr, venue, symbol, dec(*m), index])?;
                }
                EventKind::Ticker {
                    last,
                    open,
                    high,
                    low,
                    volume,
                    quote_volume,
                    trade_count,
                } => {
                    tick.append_row(params![
                        t,
                        te,
                        tr,
                        venue,
                        symbol,
                        dec(*last),
                        dec(*open),
                        dec(*high),
                        dec(*low),
                        volume,
                        quote_volume,
                        trade_count
                    ])?;
                }
            }
        }
    }
    let mut feats = conn.appender("features")?;
    for f in &buf.features {
        for (inst, feature, value) in &f.rows {
            let (venue, symbol) = name(*inst);
            feats.append_row(params![
                ts(f.time),
                ns(f.time),
                venue,
                symbol,
                feature,
                value
            ])?;
        }
    }
    let mut sigs = conn.appender("signals")?;
    for sg in &buf.signals {
        for (inst, signal, value, confidence) in &sg.rows {
            let (venue, symbol) = name(*inst);
            sigs.append_row(params![
                ts(sg.time),
                ns(sg.time),
                venue,
                symbol,
                signal,
                value,
                confidence
            ])?;
        }
    }
    let mut cross = conn.appender("cross_venue")?;
    for c in &buf.cross {
        for (symbol, feature, value) in &c.rows {
            cross.append_row(params![ts(c.time), ns(c.time), symbol, feature, value])?;
        }
    }
    let mut fc = conn.appender("forecasts")?;
    for f in &buf.forecasts {
        fc.append_row(params![
            ts(f.time),
            ns(f.time),
            f.venue,
            f.symbol,
            f.interval_s,
            f.series,
            f.model,
            f.step,
            ts(f.target),
            f.mean,
            f.lower,
            f.upper,
            f.level
        ])?;
    }
    let mut mr = conn.appender("model_registry")?;
    for m in &buf.scores {
        mr.append_row(params![
            ts(m.time),
            ns(m.time),
            m.venue,
            m.symbol,
            m.interval_s,
            m.series,
            m.model,
            m.horizon,
            m.folds,
            m.mase,
            m.smape,
            m.coverage,
            m.grade,
            m.fit_ms,
            m.chosen
        ])?;
    }
    let mut reg = conn.appender("regimes")?;
    for r in &buf.regimes {
        let (venue, symbol) = name(r.inst);
        reg.append_row(params![
            ts(r.time),
            ns(r.time),
            venue,
            symbol,
            r.regime,
            r.previous,
            r.trend,
            r.vol_ratio
        ])?;
    }
    for r in &buf.symbol_regimes {
        reg.append_row(params![
            ts(r.time),
            ns(r.time),
            "all",
            r.symbol,
            r.regime,
            r.previous,
            r.trend,
            r.vol_ratio
        ])?;
    }
    let mut ob = conn.appender("orderbook")?;
    for r in &buf.books {
        let (venue, symbol) = name(r.inst);
        ob.append_row(params![
            ts(r.time),
            ns(r.time),
            venue,
            symbol,
            r.side.as_str(),
            r.level,
            dec(r.price),
            dec(r.size)
        ])?;
    }
    // Every appender is flushed here: one dropped unflushed would lose a failed write without
    // an error, and its rows would count as written.
    for app in [
        &mut trades,
        &mut books,
        &mut funding,
        &mut oi,
        &mut liq,
        &mut mark,
        &mut tick,
        &mut feats,
        &mut sigs,
        &mut cross,
        &mut fc,
        &mut mr,
        &mut reg,
        &mut ob,
    ] {
        app.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_flush_names_each_derived_table_with_its_rows_and_times() {
        let inst = InstrumentId(0);
        let buf = Buffers {
            features: vec![
                FeatureRows {
                    time: 2_000,
                    rows: vec![(inst, "mid_price", 1.0), (inst, "spread", 0.1)],
                },
                FeatureRows {
                    time: 1_000,
                    rows: vec![(inst, "mid_price", 1.0)],
                },
            ],
            books: vec![
                BookSnapshotRow {
                    time: 1_500,
                    inst,
                    side: Side::Buy,
                    level: 1,
                    price: Fixed::ZERO,
                    size: Fixed::ZERO,
                };
                4
            ],
            // A snapshot without rows loses nothing.
            signals: vec![SignalRows {
                time: 9,
                rows: Vec::new(),
            }],
            ..Buffers::default()
        };
        assert_eq!(
            buf.derived_spans(),
            vec![
                ("features", 3, 1_000, 2_000),
                ("orderbook", 4, 1_500, 1_500)
            ]
        );
        assert!(Buffers::default().derived_spans().is_empty());
    }
}
