//! `orderflow replay`: feeds a recording's codec inputs through the same plugin codecs and the
//! same engine and storage, deterministically.
//!
//! Determinism: inputs are applied in recorded order (the live run's receive-clock order) and
//! their events go to the engine in steps of [`GROUP`] inputs (`Command::Step`). The engine cuts
//! feature snapshots at exact grid times and window membership at them depends on each event's
//! own receive time, so the snapshots depend only on the recording — they equal the live run's.
//! Engine time is the recorded receive time; the wall clock only paces `--speed X`. Up to [`IN_FLIGHT`] steps are in the engine while this thread decodes the next
//! ones; as each step completes, its events are applied to the live book state and the
//! snapshots it produced are written from that state, so two replays write identical
//! `features` and `orderbook` rows.

use crate::config::Config;
use crate::pipeline::load_plugins;
use crate::snapshots::SnapshotConsumer;
use abi_stable::std_types::RStr;
use anyhow::{Context, anyhow};
use orderflow_dataflow::{Command, Engine, EngineConfig, Snapshot};
use orderflow_model::{Event, InstrumentId, Universe};
use orderflow_plugin_host::convert::convert;
use orderflow_plugin_host::driver::apply;
use orderflow_plugin_host::live::LiveStore;
use orderflow_plugin_host::record::{Entry, read_entries, read_meta, total_bytes};
use orderflow_sink_duckdb::{Sink, SinkMsg};
use orderflow_tool_sdk::{CodecConfig, VenueCodecBox};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Inputs per engine step.
pub const GROUP: usize = 4_096;
/// Engine steps in flight while decoding continues.
pub const IN_FLIGHT: usize = 4;

/// Replay pacing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as possible.
    Max,
    /// This multiple of recorded time.
    Times(f64),
}

/// Replay settings.
#[derive(Clone, Debug)]
pub struct ReplayArgs {
    /// Recording folder.
    pub dir: PathBuf,
    /// Write a database into this folder (`<dir>/orderflow.duckdb`).
    pub data_dir: Option<PathBuf>,
    /// Pacing.
    pub speed: Speed,
    /// Only inputs received at or after this time (Unix ns).
    pub from: Option<u64>,
    /// Only inputs received before this time (Unix ns).
    pub to: Option<u64>,
    /// Engine workers.
    pub workers: usize,
    /// Plugin folder.
    pub plugin_dirs: crate::pipeline::PluginDirs,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Run as one process of a timely cluster: decode only this process's venues, write
    /// `DATA/process-I/orderflow.duckdb` (docs/cluster.md).
    pub cluster: Option<orderflow_dataflow::ClusterConfig>,
}

/// What a replay did.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    /// Inputs applied.
    pub inputs: u64,
    /// Of which frames.
    pub frames: u64,
    /// Normalized events into the engine.
    pub events: u64,
    /// Inputs the codecs refused.
    pub decode_errors: u64,
    /// Decoded events the host refused (e.g. an instrument index out of range), as the live
    /// driver's `rejected_events`.
    pub rejected_events: u64,
    /// Codec notices per venue and kind (`gaps`, `resyncs`, `checksum_mismatches`,
    /// `stale_dropped`, …), as the live `/streaming/status` counts them.
    pub notices: BTreeMap<String, BTreeMap<String, u64>>,
    /// Unreadable or truncated files (earlier records of each were replayed).
    pub problems: Vec<String>,
    /// Wall seconds.
    pub seconds: f64,
    /// Frames per wall second.
    pub frames_per_sec: f64,
    /// Recorded time span, ns.
    pub recorded_span_ns: u64,
    /// Database written, if any.
    pub db_path: Option<PathBuf>,
}

struct VenueCodec {
    codec: VenueCodecBox,
    ids: Vec<InstrumentId>,
    /// The live driver's gap accounting, on recorded times: the replayed `gaps` table.
    gaps: orderflow_plugin_host::gaps::GapTracker,
}

/// Writes the snapshots taken up to engine time `upto`, in order (each carries its own books).
fn write_snapshots(
    snaps: &crossbeam_channel::Receiver<Snapshot>,
    queued: &mut std::collections::VecDeque<Snapshot>,
    upto: u64,
    consumer: &mut SnapshotConsumer,
) {
    queued.extend(snaps.try_iter());
    while queued.front().is_some_and(|s| s.time <= upto) {
        let Some(snap) = queued.pop_front() else {
            break;
        };
        consumer.consume(snap);
    }
}

/// The recording's universe (the instruments its codecs were configured with, not today's
/// configuration) and a codec per recorded venue, configured exactly as recorded.
///
/// # Errors
/// A recorded codec configuration that does not parse, a plugin that is not loaded or refuses
/// the configuration.
fn open_codecs(
    meta: &orderflow_plugin_host::record::Meta,
    plugins: &[Arc<orderflow_plugin_host::loader::LoadedPlugin>],
) -> anyhow::Result<(Arc<Universe>, BTreeMap<String, VenueCodec>)> {
    let mut triples = Vec::new();
    let mut configs = BTreeMap::new();
    for (venue, vm) in &meta.venues {
        let cc: CodecConfig = serde_json::from_str(&vm.codec_config)
            .with_context(|| format!("codec config of {venue} in the recording"))?;
        for m in &cc.instruments {
            triples.push((venue.clone(), m.symbol.clone(), m.venue_symbol.clone()));
        }
        configs.insert(venue.clone(), cc);
    }
    let universe = Arc::new(Universe::new(triples)?);
    let mut codecs: BTreeMap<String, VenueCodec> = BTreeMap::new();
    for (venue, vm) in &meta.venues {
        let plugin = plugins
            .iter()
            .find(|p| p.name() == vm.plugin)
            .ok_or_else(|| anyhow!("the recording needs plugin {:?}, not loaded", vm.plugin))?;
        let codec = (plugin.module.new_codec())(RStr::from_str(&vm.codec_config))
            .into_result()
            .map_err(|e| anyhow!("{venue} codec: {e}"))?;
        let ids = configs[venue]
            .instruments
            .iter()
            .filter_map(|m| universe.find(venue, &m.symbol))
            .collect();
        let gaps = orderflow_plugin_host::gaps::GapTracker::new(
            venue,
            configs[venue]
                .instruments
                .iter()
                .map(|m| (m.symbol.to_string(), m.venue_symbol.to_string()))
                .collect(),
        );
        codecs.insert(venue.clone(), VenueCodec { codec, ids, gaps });
    }
    Ok((universe, codecs))
}

/// Runs a replay to the end of the recording.
///
/// # Errors
/// Missing recording metadata, plugins, storage.
pub fn run(cfg: &Config, a: &ReplayArgs) -> anyhow::Result<ReplayReport> {
    let meta = read_meta(&a.dir)?;
    let plugins = load_plugins(cfg, &a.plugin_dirs)?;
    let (universe, mut codecs) = open_codecs(&meta, &plugins)?;
    // In a cluster, this process decodes its own venues only (every process reads the whole
    // recording: the universe, and with it every instrument id, is the same everywhere).
    let all_venues: Vec<String> = meta.venues.keys().cloned().collect();
    let cluster = a.cluster.as_ref();
    let foreign: std::collections::BTreeSet<String> = all_venues
        .iter()
        .filter(|v| !crate::cluster::owns(cluster, &all_venues, v))
        .cloned()
        .collect();
    let writes = crate::snapshots::Writes::of(
        cluster,
        codecs
            .iter()
            .filter(|(v, _)| !foreign.contains(*v))
            .flat_map(|(_, vc)| vc.ids.iter().copied()),
    );
    let live = LiveStore::new(universe.clone());
    let db_path = a
        .data_dir
        .as_ref()
        .map(|d| crate::cluster::db_path(d, cluster));
    let sink = match &db_path {
        Some(p) => Some(Sink::start(
            cfg.storage.sink_config(p.clone()),
            universe.clone(),
        )?),
        None => None,
    };
    // Replay waits for the writer rather than dropping: the database is the point of it.
    let sink_tx = sink.as_ref().map(|s| s.sender().waiting());
    let (snap_tx, snap_rx) =
        crossbeam_channel::bounded::<Snapshot>(crate::pipeline::SNAPSHOT_QUEUE);
    let engine = Engine::start(
        EngineConfig {
            workers: a.workers,
            snapshot_interval_ns: cfg.storage.feature_snapshot_ms * 1_000_000,
            funding_interval_h: crate::pipeline::funding_intervals(cfg, &universe),
            whale_notional: cfg.engine.whale_notional,
            sessions: crate::pipeline::engine_sessions(cfg),
            cluster: a.cluster.clone(),
            ..EngineConfig::default()
        },
        sink_tx.is_some().then_some(snap_tx),
    )?;
    let engine_tx = engine.sender();

    let bytes = Arc::new(AtomicU64::new(0));
    let bar = a.progress.then(|| {
        let b = indicatif::ProgressBar::new(total_bytes(&a.dir));
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let start = Instant::now();
    let mut r = ReplayReport {
        inputs: 0,
        frames: 0,
        events: 0,
        decode_errors: 0,
        rejected_events: 0,
        notices: BTreeMap::new(),
        problems: Vec::new(),
        seconds: 0.0,
        frames_per_sec: 0.0,
        recorded_span_ns: 0,
        db_path: db_path.clone(),
    };
    let mut group: Vec<Event> = Vec::new();
    let mut in_group = 0usize;
    let (mut first_t, mut last_t) = (None::<u64>, 0u64);
    let consumer = sink_tx.as_ref().map(|tx| {
        std::cell::RefCell::new(SnapshotConsumer {
            cross: orderflow_crossvenue::CrossVenueTracker::new(
                &universe,
                cfg.fee_schedule(),
                cfg.cross_venue.to_config(),
            ),
            cross_store: Arc::default(),
            sink: Some(tx.clone()),
            levels: cfg.storage.orderbook_levels,
            universe: universe.clone(),
            symbol_regimes: orderflow_dataflow::SymbolRegimeTracker::default(),
            symbol_regime_store: Arc::default(),
            series: orderflow_dataflow::series::Series::default(),
            store: engine.store(),
            writes: writes.clone(),
        })
    });
    let mut in_flight: std::collections::VecDeque<(
        Arc<Vec<Event>>,
        crossbeam_channel::Receiver<u64>,
    )> = std::collections::VecDeque::new();
    // Waits for the oldest step, then applies its events to the live state and writes the
    // snapshots it produced.
    let queued = std::cell::RefCell::new(std::collections::VecDeque::new());
    let complete = |in_flight: &mut std::collections::VecDeque<(
        Arc<Vec<Event>>,
        crossbeam_channel::Receiver<u64>,
    )>| {
        if let Some((evs, done)) = in_flight.pop_front() {
            let t = done.recv().unwrap_or(u64::MAX);
            live.apply(&evs);
            if let Some(c) = &consumer {
                write_snapshots(&snap_rx, &mut queued.borrow_mut(), t, &mut c.borrow_mut());
            }
        }
    };
    let step = |group: &mut Vec<Event>,
                in_flight: &mut std::collections::VecDeque<(
        Arc<Vec<Event>>,
        crossbeam_channel::Receiver<u64>,
    )>| {
        let evs = Arc::new(std::mem::take(group));
        if let Some(tx) = &sink_tx {
            let _ = tx.send(SinkMsg::Events(evs.clone()));
        }
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let _ = engine_tx.send(Command::Step(evs.clone(), done_tx));
        in_flight.push_back((evs, done_rx));
        while in_flight.len() > IN_FLIGHT {
            complete(in_flight);
        }
    };
    // Decompression and record parsing run on their own thread, in chunks, ahead of decoding.
    // Another process's venues are read for their receive times only (`Entry::Skipped`).
    let (chunks_tx, chunks_rx) = crossbeam_channel::bounded::<Vec<Entry>>(8);
    let reader = {
        let (dir, bytes, foreign) = (a.dir.clone(), bytes.clone(), foreign.clone());
        std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || {
                let mut chunk = Vec::with_capacity(GROUP);
                let mine = |v: &str| !foreign.contains(v);
                let res = read_entries(&dir, Some(bytes), mine, |rec| {
                    chunk.push(rec);
                    if chunk.len() >= GROUP {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(GROUP));
                        return chunks_tx.send(full).is_ok();
                    }
                    true
                });
                if !chunk.is_empty() {
                    let _ = chunks_tx.send(chunk);
                }
                res
            })?
    };
    let mut on_record = |entry: Entry| -> bool {
        let t = match &entry {
            Entry::Record(rec) => rec.t,
            Entry::Skipped { t } => *t,
        };
        if a.from.is_some_and(|f| t < f) {
            return true;
        }
        if a.to.is_some_and(|to| t >= to) {
            return false;
        }
        let t0 = *first_t.get_or_insert(t);
        last_t = last_t.max(t);
        if let Speed::Times(x) = a.speed {
            let due = Duration::from_secs_f64(t.saturating_sub(t0) as f64 / 1e9 / x.max(1e-6));
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let Entry::Record(rec) = entry else {
            return true;
        };
        let Some(vc) = codecs.get_mut(&rec.v) else {
            r.decode_errors += 1;
            return true;
        };
        r.inputs += 1;
        if matches!(
            rec.input,
            orderflow_plugin_host::record::Input::Frame { .. }
        ) {
            r.frames += 1;
        }
        let mut closed = Vec::new();
        match &rec.input {
            orderflow_plugin_host::record::Input::Frame { .. } => {
                closed.extend(vc.gaps.frame(rec.t));
            }
            orderflow_plugin_host::record::Input::Disconnected { c } => {
                vc.gaps.disconnected(rec.t, *c);
            }
            _ => {}
        }
        match apply(&mut vc.codec, &rec.input, rec.t) {
            Ok(out) => {
                // As the live driver: notices open book gaps, then snapshots end them.
                for n in out.notices.iter() {
                    vc.gaps.notice(n.kind, &n.detail, rec.t);
                }
                for e in out.events.iter() {
                    if matches!(e.body, orderflow_tool_sdk::EventBody::BookSnapshot(_)) {
                        closed.extend(vc.gaps.book_snapshot(e.instrument, rec.t));
                    }
                }
                // Counted as the live driver counts them (`/streaming/status`).
                for e in out.events.iter() {
                    match convert(e, &vc.ids) {
                        Ok(ev) => group.push(ev),
                        Err(_) => r.rejected_events += 1,
                    }
                }
                for n in out.notices.iter() {
                    *r.notices
                        .entry(rec.v.clone())
                        .or_default()
                        .entry(n.kind.name().to_owned())
                        .or_insert(0) += 1;
                }
            }
            Err(_) => r.decode_errors += 1,
        }
        if let Some(tx) = &sink_tx {
            for g in closed {
                tx.send(SinkMsg::Gap(crate::pipeline::gap_row(g)));
            }
        }
        in_group += 1;
        if in_group >= GROUP {
            r.events += group.len() as u64;
            step(&mut group, &mut in_flight);
            in_group = 0;
            if let Some(b) = &bar {
                b.set_position(bytes.load(Ordering::Relaxed));
                let secs = start.elapsed().as_secs_f64().max(1e-9);
                b.set_message(format!("{:.0} msgs/s", r.frames as f64 / secs));
            }
        }
        true
    };
    'chunks: for chunk in chunks_rx.iter() {
        for rec in chunk {
            if !on_record(rec) {
                break 'chunks;
            }
        }
    }
    drop(chunks_rx);
    let problems = reader
        .join()
        .map_err(|_| anyhow!("replay reader panicked"))??;
    r.events += group.len() as u64;
    step(&mut group, &mut in_flight);
    // The engine's clock to the recording's last receive time: the grid snapshots up to it are
    // cut even where this process's own venues ended earlier (a cluster process cuts the same
    // snapshots as a single process replaying everything).
    if let Some(t) = first_t.map(|_| last_t) {
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let _ = engine_tx.send(Command::Tick(t));
        let _ = engine_tx.send(Command::Barrier(done_tx));
        in_flight.push_back((Arc::new(Vec::new()), done_rx));
    }
    while !in_flight.is_empty() {
        complete(&mut in_flight);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    r.problems = problems.iter().map(ToString::to_string).collect();
    r.seconds = start.elapsed().as_secs_f64();
    r.frames_per_sec = r.frames as f64 / r.seconds.max(1e-9);
    r.recorded_span_ns = last_t.saturating_sub(first_t.unwrap_or(last_t));
    engine.shutdown()?;
    if let Some(s) = sink {
        s.shutdown();
    }
    Ok(r)
}
