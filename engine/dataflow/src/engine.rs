//! Runs the graph on timely workers and feeds it from a channel.
//!
//! Worker 0 owns the [`Ingress`] and the inputs; the other workers close their inputs at once
//! and take their share of the keyed work (differential exchanges records by key hash, i.e. by
//! instrument).
//!
//! In a cluster ([`ClusterConfig`], timely's own multi-process mode) every process has such a
//! first worker fed by its own channel (the venues it connects to); the keyed work is exchanged
//! across all workers of all processes. Every update of the feature collection is also sent to
//! each process's first worker, which holds it until its time is final everywhere
//! ([`FeatureStore::settle`]); at each grid snapshot the first workers also exchange their
//! books, so every process cuts the same complete [`Snapshot`] at the same time. Each loop iteration drains what has arrived, ingests it at one engine time
//! (`max(previous + 1, newest receive time)`), advances the inputs and steps until the probe
//! has passed that time: then every feature reflects every event of the batch. Host ticks
//! advance time without events, so windows expire on time.

use crate::graph;
use crate::ingress::Ingress;
use crate::records::SideLevels;
use crate::regime::{RegimeState, RegimeTracker, Transition};
use crate::store::FeatureStore;
use crate::{FeatureVector, Time};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use hdrhistogram::Histogram;
use orderflow_model::{Event, InstrumentId};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};

/// Errors starting or stopping the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Timely could not start its workers.
    #[error("starting timely workers: {0}")]
    Start(String),
    /// A worker panicked.
    #[error("a dataflow worker panicked")]
    WorkerPanicked,
    /// The cluster's network failed (another process was lost): timely's communication
    /// threads stopped with an error.
    #[error("the cluster's network failed (another process was lost)")]
    ClusterNetwork,
}

/// What the engine is fed.
#[derive(Debug)]
pub enum Command {
    /// Normalized events, in arrival order (shared with the sink, hence the `Arc`).
    Events(Arc<Vec<Event>>),
    /// The host clock (Unix ns): advance engine time without events.
    Tick(Time),
    /// Reply with the engine time once everything sent before has been processed.
    Barrier(Sender<Time>),
    /// Exactly one engine step: these events alone form a batch (never merged with other
    /// commands), then the engine time is sent back. Replays use it so batch boundaries — and
    /// with them every engine time — depend only on the input, not on thread timing.
    Step(Arc<Vec<Event>>, Sender<Time>),
    /// Process what was sent before, then stop.
    Shutdown,
}

/// A feature snapshot for storage: the features and the books they were computed from, both at
/// the same engine time (the books are the engine's own, not the live store's).
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Engine time of the snapshot.
    pub time: Time,
    /// Features per instrument.
    pub features: BTreeMap<InstrumentId, FeatureVector>,
    /// Each instrument's best bids and asks (up to the dataflow's 20 levels) at `time`.
    pub books: BTreeMap<InstrumentId, (SideLevels, SideLevels)>,
    /// Receive time (Unix ns) of each instrument's latest book event, for staleness.
    pub book_times: BTreeMap<InstrumentId, Time>,
    /// Regime changes decided at `time`.
    pub transitions: Vec<Transition>,
    /// Every instrument's regime after the evaluation at `time`.
    pub regimes: BTreeMap<InstrumentId, RegimeState>,
}

/// Where this engine's process stands in a timely cluster (`--processes N --process I`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// This process's index, `0..addresses.len()`.
    pub process: usize,
    /// `host:port` of every process, in process order (timely's hostfile).
    pub addresses: Vec<String>,
}

impl ClusterConfig {
    /// Processes in the cluster.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }
}

/// One instrument's book in a [`BookPart`]: bids, asks, time of its latest book event.
type PartBook = (InstrumentId, SideLevels, SideLevels, Option<Time>);

/// One process's book state at a grid time: `(time, process, books)`.
type BookPart = (Time, u64, Vec<PartBook>);

/// The book parts a process's first worker has received, by (process, time).
#[derive(Debug, Default)]
struct BookParts {
    parts: Mutex<BTreeMap<(u64, Time), Vec<PartBook>>>,
}

/// Books and their times per instrument.
type MergedBooks = (
    BTreeMap<InstrumentId, (SideLevels, SideLevels)>,
    BTreeMap<InstrumentId, Time>,
);

impl BookParts {
    fn insert(&self, data: &[BookPart]) {
        let mut parts = self.parts.lock();
        for (t, p, part) in data {
            parts.insert((*p, *t), part.clone());
        }
    }

    /// Every process's latest part at or before `at` (a process that sent none since has not
    /// changed its books), older parts dropped.
    fn merged(&self, at: Time) -> MergedBooks {
        let mut parts = self.parts.lock();
        let processes: Vec<u64> = parts.keys().map(|(p, _)| *p).collect();
        let (mut books, mut times) = (BTreeMap::new(), BTreeMap::new());
        let mut keep = BTreeMap::new();
        for p in processes
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            let Some((&key, part)) = parts.range((p, 0)..=(p, at)).next_back() else {
                continue;
            };
            for (inst, bids, asks, t) in part {
                books.insert(*inst, (bids.clone(), asks.clone()));
                if let Some(t) = t {
                    times.insert(*inst, *t);
                }
            }
            keep.insert(p, key);
        }
        parts.retain(|(p, t), _| keep.get(p).is_none_or(|k| *t >= k.1));
        (books, times)
    }
}

/// Current regimes per instrument, shared with the server.
pub type RegimeStore = Mutex<BTreeMap<InstrumentId, RegimeState>>;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Timely workers (threads).
    pub workers: usize,
    /// Emit a [`Snapshot`] whenever engine time crosses a multiple of this (ns); 0 = never.
    pub snapshot_interval_ns: u64,
    /// Most events ingested per batch.
    pub max_batch: usize,
    /// Funding interval per instrument, hours (absent: 8).
    pub funding_interval_h: std::collections::BTreeMap<orderflow_model::InstrumentId, u32>,
    /// Notional (quote) from which a trade is a whale trade.
    pub whale_notional: f64,
    /// UTC hours `[start, end)` of the sessions `records::SESSIONS` (`None`: not configured).
    pub sessions: [Option<(u32, u32)>; 3],
    /// Commands (event batches) the engine's input queue holds; a producer that finds it full
    /// waits or drops and accounts (see the node's ingest).
    pub queue_capacity: usize,
    /// Run as one process of a timely cluster (`None`: a single process).
    pub cluster: Option<ClusterConfig>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 1,
            snapshot_interval_ns: 1_000_000_000,
            max_batch: 65_536,
            funding_interval_h: std::collections::BTreeMap::new(),
            whale_notional: crate::ingress::DEFAULT_WHALE_NOTIONAL,
            sessions: crate::records::DEFAULT_SESSION_HOURS,
            queue_capacity: 65_536,
            cluster: None,
        }
    }
}

/// Counters and the frame→feature latency histogram.
#[derive(Debug)]
pub struct EngineMetrics {
    /// Events ingested.
    pub events: AtomicU64,
    /// Batches (engine times) processed.
    pub batches: AtomicU64,
    /// Engine time of the last completed batch.
    pub time: AtomicU64,
    /// Events that arrived behind engine time (given the engine time instead of their own:
    /// a replay of them would differ). Zero when every input goes through one receive clock.
    pub late_events: AtomicU64,
    /// Receive → feature-visible latency, ns.
    pub latency_ns: Mutex<Histogram<u64>>,
    /// Events dropped because the engine's input queue stayed full (recorded as gaps).
    pub dropped_events: AtomicU64,
    /// The same latency over the last completed minute (rotated by the engine).
    pub latency_minute: Mutex<MinuteWindow>,
    /// Commands waiting in the engine's input queue (sampled at each step).
    pub queue_depth: AtomicU64,
    /// Snapshots waiting for their consumer (sampled when one is sent).
    pub snapshot_queue_depth: AtomicU64,
    /// Wall time of each grid cut, ns: from closing the grid time to the snapshot sent (the
    /// engine takes no new input meanwhile, so this bounds what a grid time adds to latency).
    pub grid_ns: Mutex<Histogram<u64>>,
    /// The two parts of the latency. Wall time of each engine step, ns: from taking a batch off
    /// the queue to the probe passing it (grid cuts inside the step included).
    pub step_ns: Mutex<Histogram<u64>>,
    /// Per event, ns: from its receive time to the engine taking its batch off the queue
    /// (decoding, the queue, and the wait for the step before).
    pub queued_ns: Mutex<Histogram<u64>>,
}

impl EngineMetrics {
    fn new() -> Result<Self, EngineError> {
        Ok(Self {
            events: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            time: AtomicU64::new(0),
            late_events: AtomicU64::new(0),
            latency_ns: Mutex::new(new_histogram()?),
            dropped_events: AtomicU64::new(0),
            latency_minute: Mutex::new(MinuteWindow {
                current: new_histogram()?,
                last: new_histogram()?,
                started: std::time::Instant::now(),
            }),
            queue_depth: AtomicU64::new(0),
            snapshot_queue_depth: AtomicU64::new(0),
            grid_ns: Mutex::new(new_histogram()?),
            step_ns: Mutex::new(new_histogram()?),
            queued_ns: Mutex::new(new_histogram()?),
        })
    }
}

/// A latency histogram per minute: `last` is the latest completed minute (empty in the first).
#[derive(Debug)]
pub struct MinuteWindow {
    current: Histogram<u64>,
    /// The latest completed minute.
    pub last: Histogram<u64>,
    started: std::time::Instant,
}

impl MinuteWindow {
    fn record(&mut self, v: u64) {
        if self.started.elapsed() >= Duration::from_secs(60) {
            std::mem::swap(&mut self.current, &mut self.last);
            self.current.reset();
            self.started = std::time::Instant::now();
        }
        let _ = self.current.record(v);
    }
}

/// An auto-resizing histogram with 3 significant figures.
///
/// # Errors
/// [`EngineError::Start`] if hdrhistogram refuses the precision (it accepts up to 5 figures).
pub(crate) fn new_histogram() -> Result<Histogram<u64>, EngineError> {
    Histogram::new(3).map_err(|e| EngineError::Start(format!("latency histogram: {e}")))
}

/// A running engine.
#[allow(missing_debug_implementations)] // timely's WorkerGuards is not Debug
pub struct Engine {
    tx: Sender<Command>,
    guards: Option<timely::communication::initialize::WorkerGuards<()>>,
    store: Arc<FeatureStore>,
    metrics: Arc<EngineMetrics>,
    regimes: Arc<RegimeStore>,
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl Engine {
    /// Starts the workers. Snapshots go to `snapshots` if given.
    ///
    /// # Errors
    /// [`EngineError::Start`] when timely cannot start.
    pub fn start(
        cfg: EngineConfig,
        snapshots: Option<Sender<Snapshot>>,
    ) -> Result<Self, EngineError> {
        let (tx, rx) = crossbeam_channel::bounded::<Command>(cfg.queue_capacity.max(16));
        let store = Arc::new(FeatureStore::default());
        let metrics = Arc::new(EngineMetrics::new()?);
        let regimes = Arc::new(RegimeStore::default());
        let (store2, metrics2, regimes2) = (store.clone(), metrics.clone(), regimes.clone());
        let workers = cfg.workers.max(1);
        // Trade windows of a minute and longer retract per snapshot interval (exact at
        // snapshots, state bounded by the interval count rather than the trade rate).
        let bucket = cfg.snapshot_interval_ns.max(1);
        let (allocators, communication) = match &cfg.cluster {
            None => timely::CommunicationConfig::Process(workers)
                .try_build()
                .map_err(EngineError::Start)?,
            Some(c) => cluster_allocators(c, workers)?,
        };
        let process = cfg.cluster.as_ref().map_or(0, |c| c.process);
        let parts_store = Arc::new(BookParts::default());
        let worker_config = timely::WorkerConfig::default();
        let guards = timely::execute::execute_from(
            allocators,
            communication,
            worker_config,
            move |worker| {
                let index = worker.index();
                let processes = (worker.peers() / workers).max(1);
                let first = index % workers == 0;
                let store = store2.clone();
                let parts_seen = parts_store.clone();
                let probe = ProbeHandle::new();
                let parts_probe = ProbeHandle::new();
                let (mut inputs, mut parts_in) = worker.dataflow::<Time, _, _>(|scope| {
                    let (inputs, features) = graph::build(scope, bucket);
                    if processes == 1 {
                        features
                            .inspect_batch(move |_, updates| store.apply(updates))
                            .probe_with(&probe);
                    } else {
                        // Every update to the first worker of every process, held until final.
                        features
                            .flat_map(move |u| (0..processes).map(move |p| (p, u)))
                            .inner
                            .exchange(move |((p, _), _, _)| (p * workers) as u64)
                            .inspect_core(move |ev| {
                                if let Ok((_, data)) = ev {
                                    store.stage(data.iter().map(|((_, u), t, d)| (*u, *t, *d)));
                                }
                            })
                            .probe_with(&probe);
                    }
                    let (parts_in, parts) = scope.new_input::<Vec<BookPart>>();
                    parts
                        .broadcast()
                        .inspect_core(move |ev| {
                            if let (true, Ok((_, data))) = (first, ev) {
                                parts_seen.insert(data);
                            }
                        })
                        .probe_with(&parts_probe);
                    (inputs, parts_in)
                });
                if !first {
                    drop(inputs);
                    drop(parts_in);
                    while !probe.done() || !parts_probe.done() {
                        worker.step_or_park(None);
                    }
                    return;
                }
                let cluster = (processes > 1).then_some(ClusterRun {
                    parts_in: &mut parts_in,
                    probe: &parts_probe,
                    parts: &parts_store,
                    process: process as u64,
                });
                run_worker0(
                    worker,
                    &mut inputs,
                    &probe,
                    &rx,
                    &cfg,
                    snapshots.as_ref(),
                    &store2,
                    &metrics2,
                    &regimes2,
                    cluster,
                );
                drop(inputs);
                drop(parts_in);
                while !probe.done() || !parts_probe.done() {
                    wait_step(worker);
                }
            },
        )
        .map_err(EngineError::Start)?;
        Ok(Self {
            tx,
            guards: Some(guards),
            store,
            metrics,
            regimes,
        })
    }

    /// Channel to feed the engine.
    pub fn sender(&self) -> Sender<Command> {
        self.tx.clone()
    }

    /// Current regimes (evaluated at each snapshot interval).
    pub fn regimes(&self) -> Arc<RegimeStore> {
        self.regimes.clone()
    }

    /// Current features.
    pub fn store(&self) -> Arc<FeatureStore> {
        self.store.clone()
    }

    /// Counters and latency.
    pub fn metrics(&self) -> Arc<EngineMetrics> {
        self.metrics.clone()
    }

    /// Whether every worker is still running (false after a worker failed: in a cluster, when
    /// another process was lost and timely's network failed).
    pub fn is_running(&self) -> bool {
        self.guards
            .as_ref()
            .is_some_and(|g| g.guards().iter().all(|h| !h.is_finished()))
    }

    /// Waits until everything sent so far is processed; returns the engine time.
    pub fn barrier(&self) -> Option<Time> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.tx.send(Command::Barrier(tx)).ok()?;
        rx.recv().ok()
    }

    /// Stops the workers after processing what was sent.
    ///
    /// # Errors
    /// [`EngineError::WorkerPanicked`].
    pub fn shutdown(mut self) -> Result<(), EngineError> {
        let _ = self.tx.send(Command::Shutdown);
        if let Some(g) = self.guards.take() {
            // Joining also drops timely's communication guard, which panics when its network
            // threads did (a lost cluster peer): that is an error to report, not a panic.
            let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.join()))
                .map_err(|_| EngineError::ClusterNetwork)?;
            for r in joined {
                r.map_err(|_| EngineError::WorkerPanicked)?;
            }
        }
        Ok(())
    }
}

impl Drop for Engine {
    /// Stops the workers if [`Engine::shutdown`] was not called (e.g. while unwinding), so
    /// dropping never blocks on workers waiting for input.
    fn drop(&mut self) {
        if let Some(g) = self.guards.take() {
            let _ = self.tx.send(Command::Shutdown);
            // See `shutdown`: a failed cluster network must not turn a drop into a panic.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(g))).is_err() {
                tracing::error!("the cluster's network had failed (another process was lost)");
            }
        }
    }
}

/// timely's allocators for one process of a cluster, over sockets connected by
/// [`crate::connect`] (timely's own set-up waits a second per refused connection).
///
/// # Errors
/// [`EngineError::Start`] when the processes cannot be connected.
fn cluster_allocators(
    c: &ClusterConfig,
    workers: usize,
) -> Result<
    (
        Vec<timely::communication::AllocatorBuilder>,
        Box<dyn std::any::Any + Send>,
    ),
    EngineError,
> {
    use timely::communication::allocator::ProcessBuilder;
    use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
    let sockets = crate::connect::connect(&c.addresses, c.process)
        .map_err(|e| EngineError::Start(format!("connecting the cluster: {e}")))?;
    let hooks = timely::communication::Hooks::default();
    let local =
        ProcessBuilder::new_typed_vector(workers, hooks.refill.clone(), hooks.spill.clone());
    let (builders, guard) =
        initialize_networking_from_sockets(local, sockets, c.process, workers, hooks)
            .map_err(|e| EngineError::Start(format!("starting the cluster's network: {e}")))?;
    Ok((
        builders
            .into_iter()
            .map(timely::communication::AllocatorBuilder::Tcp)
            .collect(),
        Box::new(guard),
    ))
}

/// One step of a worker that waits for the dataflow (a probe to pass): it parks when it has
/// nothing to do, until a message arrives or 1 ms has passed, instead of spinning. A spinning
/// wait takes the core from the threads it waits for — the other workers, and in a cluster the
/// network threads and the other processes — and on a machine with fewer cores than busy threads
/// it turned a cluster step of milliseconds into minutes.
fn wait_step(worker: &mut timely::worker::Worker) {
    worker.step_or_park(Some(Duration::from_millis(1)));
}

/// A cluster process's first worker: its book-part input and what it has received.
struct ClusterRun<'a> {
    parts_in: &'a mut timely::dataflow::InputHandleVec<Time, BookPart>,
    probe: &'a ProbeHandle<Time>,
    parts: &'a BookParts,
    process: u64,
}

impl ClusterRun<'_> {
    /// Sends this process's books at `at`, waits for every process's, returns them merged.
    fn exchange_books(
        &mut self,
        worker: &mut timely::worker::Worker,
        ingress: &Ingress,
        at: Time,
    ) -> MergedBooks {
        let times = ingress.book_times();
        let part = ingress
            .books(crate::records::TOP_LEVELS)
            .into_iter()
            .map(|(inst, (b, a))| (inst, b, a, times.get(&inst).copied()))
            .collect();
        tracing::debug!(
            target: "orderflow::cluster",
            process = self.process,
            at,
            parts_time = *self.parts_in.time(),
            "exchanging books"
        );
        if *self.parts_in.time() <= at {
            self.parts_in.advance_to(at);
        }
        self.parts_in.send((at, self.process, part));
        self.parts_in.advance_to(at.saturating_add(1));
        self.parts_in.flush();
        while self.probe.less_than(&at.saturating_add(1)) {
            wait_step(worker);
        }
        tracing::debug!(target: "orderflow::cluster", process = self.process, at, "books exchanged");
        self.parts.merged(at)
    }

    /// Tells the other processes that this one sends no part before `t` (its next grid time,
    /// or its input time if sooner): without it a process whose venues are quiet would hold
    /// every other process's snapshots while it waits for them in turn.
    fn advance_parts(&mut self, t: Time) {
        tracing::trace!(
            target: "orderflow::cluster",
            process = self.process,
            t,
            parts_time = *self.parts_in.time(),
            "parts advanced"
        );
        if *self.parts_in.time() < t {
            self.parts_in.advance_to(t);
            self.parts_in.flush();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_worker0(
    worker: &mut timely::worker::Worker,
    inputs: &mut graph::Inputs,
    probe: &ProbeHandle<Time>,
    rx: &Receiver<Command>,
    cfg: &EngineConfig,
    snapshots: Option<&Sender<Snapshot>>,
    store: &FeatureStore,
    metrics: &EngineMetrics,
    regimes: &RegimeStore,
    mut cluster: Option<ClusterRun<'_>>,
) {
    let mut tracker = RegimeTracker::default();
    let mut ingress = Ingress::with_funding_intervals(cfg.funding_interval_h.clone())
        .with_whale_notional(cfg.whale_notional)
        .with_sessions(cfg.sessions);
    let mut next_time: Time = 0;
    let mut next_snapshot: Time = 0;
    let mut batch: Vec<Event> = Vec::new();
    let mut barriers: Vec<Sender<Time>> = Vec::new();
    // A `Step` met while collecting other commands waits for the next round.
    let mut pending: Option<Command> = None;
    loop {
        let first = match pending.take() {
            Some(c) => Some(c),
            None => match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        let mut tick: Time = 0;
        let mut stop = false;
        let mut push =
            |c: Command, batch: &mut Vec<Event>, barriers: &mut Vec<Sender<Time>>| match c {
                Command::Events(evs) => batch.extend(evs.iter().cloned()),
                Command::Tick(t) => tick = tick.max(t),
                Command::Barrier(s) => barriers.push(s),
                Command::Step(evs, s) => {
                    batch.extend(evs.iter().cloned());
                    barriers.push(s);
                }
                Command::Shutdown => stop = true,
            };
        let single_step = matches!(first, Some(Command::Step(..)));
        if let Some(c) = first {
            push(c, &mut batch, &mut barriers);
        }
        while !single_step && batch.len() < cfg.max_batch {
            match rx.try_recv() {
                Ok(c @ Command::Step(..)) => {
                    pending = Some(c);
                    break;
                }
                Ok(c) => push(c, &mut batch, &mut barriers),
                Err(_) => break,
            }
        }
        metrics
            .queue_depth
            .store(rx.len() as u64, Ordering::Relaxed);
        if batch.is_empty() && tick < next_time && barriers.is_empty() {
            if stop {
                break;
            }
            worker.step_or_park(Some(Duration::ZERO));
            continue;
        }
        let step_started = std::time::Instant::now();
        {
            let taken = wall_ns();
            let mut q = metrics.queued_ns.lock();
            for ev in batch.iter().filter(|e| e.ts_recv > 0) {
                let _ = q.record(taken.saturating_sub(ev.ts_recv).max(1));
            }
        }
        // Grid snapshots (every multiple of the interval) are cut exactly: the state at a grid
        // time T holds every item received at or before T and nothing later. Between grid
        // times, an engine step enters at the input's time (its start); since a step never
        // spans a grid time and every window length is a multiple of the interval, an event
        // is inside a window at T exactly when its own receive time is — so the snapshots
        // depend on the events' receive times only, not on how they were batched, and a
        // replay reproduces them.
        let mut snap = |worker: &mut timely::worker::Worker,
                        inputs: &mut graph::Inputs,
                        ingress: &mut Ingress,
                        at: Time| {
            let started = std::time::Instant::now();
            tracing::debug!(target: "orderflow::cluster", at, "grid cut");
            // This process's next book part is at `at`: say so before waiting. A process whose
            // venues began after another's first grid time never cuts that one; if its first
            // step then reached its own first grid time, it waited here for the other, which
            // waited in its book exchange for this process's parts: a deadlock (reproduced by
            // `tests/cluster.rs`, a recording whose venues of process 1 start 0.8 s later).
            if let Some(c) = cluster.as_mut() {
                c.advance_parts(at);
            }
            ingress.flush(inputs);
            inputs.advance_to(at.saturating_add(1));
            inputs.flush();
            while probe.less_than(&at.saturating_add(1)) {
                wait_step(worker);
            }
            // In a cluster the books of every process, at the same time.
            let (books, book_times) = match cluster.as_mut() {
                Some(c) => {
                    store.settle(at);
                    c.exchange_books(worker, ingress, at)
                }
                None => (
                    ingress.books(crate::records::TOP_LEVELS),
                    ingress.book_times().clone(),
                ),
            };
            // Regimes are evaluated at every snapshot, stored or not; the sampled features
            // (`crate::series`) are added by the snapshot's consumer, off this thread.
            let features = store.base_all();
            let transitions = tracker.update(at, &features);
            regimes.lock().clone_from(tracker.states());
            if let Some(s) = snapshots {
                let _ = s.send(Snapshot {
                    time: at,
                    features,
                    books,
                    book_times,
                    transitions,
                    regimes: tracker.states().clone(),
                });
                metrics
                    .snapshot_queue_depth
                    .store(s.len() as u64, Ordering::Relaxed);
            }
            let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let _ = metrics.grid_ns.lock().record(took.max(1));
        };
        // `cur`: the inputs' time; `last`: the newest item time of this step.
        let mut cur = next_time;
        let mut last = cur;
        let mut late = 0u64;
        // The events, then the tick (which moves time without data).
        let items = batch
            .iter()
            .map(|e| (e.ts_recv, Some(e)))
            .chain((tick > 0).then_some((tick, None)));
        for (ts, ev) in items {
            let t = if ts < cur {
                if ev.is_some() {
                    late += 1;
                }
                cur
            } else {
                ts
            };
            if let Some(k) = t.checked_div(cfg.snapshot_interval_ns) {
                if next_snapshot == 0 {
                    next_snapshot = (k + 1) * cfg.snapshot_interval_ns;
                }
                while next_snapshot < t {
                    if next_snapshot.saturating_add(1) >= cur {
                        snap(worker, inputs, &mut ingress, next_snapshot);
                        cur = next_snapshot.saturating_add(1);
                    }
                    next_snapshot = next_snapshot.saturating_add(cfg.snapshot_interval_ns);
                }
                // Enter no earlier than the grid interval of `t` (the first step starts at 0).
                let floor = next_snapshot
                    .saturating_sub(cfg.snapshot_interval_ns)
                    .saturating_add(1);
                if cur < floor {
                    inputs.advance_to(floor);
                    cur = floor;
                }
            }
            last = last.max(t);
            if let Some(ev) = ev {
                ingress.apply(ev, inputs);
            }
        }
        ingress.flush(inputs);
        let t = last.max(cur);
        next_time = t.saturating_add(1);
        inputs.advance_to(next_time);
        inputs.flush();
        if let Some(c) = cluster.as_mut() {
            c.advance_parts(next_snapshot.min(next_time));
        }
        while probe.less_than(&next_time) {
            wait_step(worker);
        }
        if cluster.is_some() {
            store.settle(t);
        }
        let now = wall_ns();
        let took = u64::try_from(step_started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let _ = metrics.step_ns.lock().record(took.max(1));
        {
            let mut h = metrics.latency_ns.lock();
            let mut m = metrics.latency_minute.lock();
            for ev in &batch {
                if ev.ts_recv > 0 {
                    let v = now.saturating_sub(ev.ts_recv).max(1_000);
                    let _ = h.record(v);
                    m.record(v);
                }
            }
        }
        metrics
            .events
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        metrics.late_events.fetch_add(late, Ordering::Relaxed);
        metrics.batches.fetch_add(1, Ordering::Relaxed);
        metrics.time.store(t, Ordering::Relaxed);
        batch.clear();
        for b in barriers.drain(..) {
            let _ = b.send(t);
        }
        if stop {
            break;
        }
    }
}
