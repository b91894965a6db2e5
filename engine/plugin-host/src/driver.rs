//! Runs a venue codec: the host side of the sans-IO contract.
//!
//! One task per WebSocket connection of the codec's plan (connect, feed frames with their receive
//! time, send what the codec asks, reconnect with exponential backoff after any drop or idle
//! timeout), one timer task, and one task per REST request. Everything the codec reports is
//! counted in [`VenueStatus`] (served at `/streaming/status`).

use crate::convert::convert;
use crate::loader::LoadedPlugin;
use crate::record::{Input, Record, Recorder, VenueMeta};
use crate::registry::{VenueEndpoints, http_fetch};
use crate::{PluginError, now_ns};
use abi_stable::std_types::RStr;
use futures_util::{SinkExt, StreamExt};
use orderflow_model::{Event, InstrumentId};
use orderflow_tool_sdk::{
    CodecConfig, CodecOutput, HostAction, InstrumentMapping, NoticeKind, SdkError, VenueCodecBox,
};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Where normalized events go.
pub type EventSink = Arc<dyn Fn(Vec<Event>) + Send + Sync>;

/// Per-venue counters.
#[derive(Debug, Default)]
pub struct VenueStatus {
    /// Venue id.
    pub venue: String,
    /// Connections in the plan.
    pub planned_connections: AtomicU64,
    /// Connections open now.
    pub connected: AtomicI64,
    /// Frames received.
    pub frames: AtomicU64,
    /// Events produced.
    pub events: AtomicU64,
    /// Receive time of the last frame, Unix ns.
    pub last_frame_ns: AtomicU64,
    /// Reconnections after a drop.
    pub reconnects: AtomicU64,
    /// Failed connection attempts.
    pub connect_failures: AtomicU64,
    /// Frames or REST answers the codec could not decode.
    pub decode_errors: AtomicU64,
    /// Events the host refused (unknown instrument, number out of range).
    pub rejected_events: AtomicU64,
    /// REST requests performed.
    pub http_requests: AtomicU64,
    /// Codec notices by kind (`gaps`, `resyncs`, …).
    pub notices: Mutex<BTreeMap<&'static str, u64>>,
    /// First and last second of the rate window: (second, frames in that second).
    rate: Mutex<(u64, u64, f64)>,
}

impl VenueStatus {
    fn new(venue: &str) -> Self {
        Self {
            venue: venue.to_owned(),
            ..Self::default()
        }
    }

    fn count_frame(&self, ts: u64) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.last_frame_ns.store(ts, Ordering::Relaxed);
        let sec = ts / 1_000_000_000;
        let mut r = self.rate.lock();
        if r.0 == sec {
            r.1 += 1;
        } else {
            // Frames per second over the last completed second.
            r.2 = if sec == r.0 + 1 { r.1 as f64 } else { 0.0 };
            *r = (sec, 1, r.2);
        }
    }

    /// A count of one notice kind.
    pub fn notice(&self, name: &str) -> u64 {
        self.notices.lock().get(name).copied().unwrap_or(0)
    }

    /// JSON for `/streaming/status`.
    pub fn to_json(&self, now: u64) -> Value {
        let last = self.last_frame_ns.load(Ordering::Relaxed);
        let r = *self.rate.lock();
        let msgs_per_sec = if now / 1_000_000_000 == r.0 + 1 {
            r.1 as f64
        } else if now / 1_000_000_000 == r.0 {
            r.2
        } else {
            0.0
        };
        let notices = self.notices.lock().clone();
        json!({
            "venue": self.venue,
            "connected": self.connected.load(Ordering::Relaxed) > 0
                && self.connected.load(Ordering::Relaxed) as u64 == self.planned_connections.load(Ordering::Relaxed),
            "connections_open": self.connected.load(Ordering::Relaxed),
            "connections_planned": self.planned_connections.load(Ordering::Relaxed),
            "msgs_per_sec": msgs_per_sec,
            "frames": self.frames.load(Ordering::Relaxed),
            "events": self.events.load(Ordering::Relaxed),
            "last_message_age_ms": if last == 0 { Value::Null } else { json!(now.saturating_sub(last) as f64 / 1e6) },
            "gaps": notices.get("gaps").copied().unwrap_or(0),
            "resyncs": notices.get("resyncs").copied().unwrap_or(0),
            "reconnects": self.reconnects.load(Ordering::Relaxed),
            "connect_failures": self.connect_failures.load(Ordering::Relaxed),
            "decode_errors": self.decode_errors.load(Ordering::Relaxed),
            "rejected_events": self.rejected_events.load(Ordering::Relaxed),
            "http_requests": self.http_requests.load(Ordering::Relaxed),
            "notices": notices,
        })
    }
}

/// What a driver needs besides the plugin.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Venue id.
    pub venue: String,
    /// Base URLs.
    pub endpoints: VenueEndpoints,
    /// (engine id, symbol, venue symbol) per instrument.
    pub instruments: Vec<(InstrumentId, String, String)>,
    /// The venue's own options (`CodecConfig::options`), e.g. Binance's `depth_speed`.
    pub codec_options: serde_json::Map<String, Value>,
    /// Record every codec input here (raw-feed recording).
    pub recorder: Option<Arc<Recorder>>,
    /// Overrides the codec plan's idle timeout (ms): the host owns timers.
    pub idle_timeout_ms: Option<u64>,
    /// The pipeline's receive clock, shared by all its drivers (absent: one of this driver's
    /// own, ordered within the venue only).
    pub clock: Option<Arc<crate::IngestClock>>,
    /// Where intervals of incomplete data go (the `gaps` table), if anywhere.
    pub gaps: Option<GapSink>,
}

pub use crate::gaps::DataGap;

/// Receives [`DataGap`]s.
#[derive(Clone)]
pub struct GapSink(pub Arc<dyn Fn(DataGap) + Send + Sync>);

impl std::fmt::Debug for GapSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GapSink")
    }
}

/// Messages queued for one connection's writer (subscriptions, pings); a writer this far
/// behind is stuck, and what does not fit is dropped and counted (`outbound_dropped`).
const OUTBOUND_QUEUE: usize = 4_096;

/// Bytes read from a venue socket at a time. tungstenite zero-fills the part of its read buffer
/// it reads into, up to this much, before every read (snapview/tungstenite-rs#547), including
/// the read that finds the socket empty. With its 128 KiB default that `memset` was 9 % of the
/// runtime threads' samples in the idle nine-venue demo; 7.5 % with 16 KiB (4 KiB gave 7 %, at
/// more reads per large frame). A frame larger than this still arrives whole: it takes more
/// reads.
const WS_READ_CHUNK: usize = 16 * 1024;

/// The connectors' WebSocket limits: tungstenite's message and frame caps (64 MiB, 16 MiB) are
/// kept, the read chunk is [`WS_READ_CHUNK`].
fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(WS_READ_CHUNK)
}

fn outbound(ctx: &Ctx, tx: &mpsc::Sender<Outbound>, m: Outbound) {
    if let Err(mpsc::error::TrySendError::Full(m)) = tx.try_send(m) {
        *ctx.status
            .notices
            .lock()
            .entry("outbound_dropped")
            .or_insert(0) += 1;
        tracing::warn!(venue = %ctx.venue, message = ?m, "connection writer queue full; message dropped");
    }
}

#[derive(Debug)]
enum Outbound {
    Text(String),
    Reconnect(String),
}

struct Ctx {
    venue: String,
    codec: Mutex<VenueCodecBox>,
    instruments: Vec<InstrumentId>,
    endpoints: BTreeMap<String, VenueEndpoints>,
    http: reqwest::Client,
    status: Arc<VenueStatus>,
    sink: EventSink,
    outbound: Mutex<BTreeMap<u32, mpsc::Sender<Outbound>>>,
    recorder: Option<Arc<Recorder>>,
    clock: Arc<crate::IngestClock>,
    gaps: Option<GapSink>,
    /// Open intervals of incomplete data (reported to `gaps` when they close).
    gap_tracker: Mutex<crate::gaps::GapTracker>,
}

impl Ctx {
    /// Reports closed gaps.
    fn report(&self, closed: Vec<DataGap>) {
        if let Some(sink) = &self.gaps {
            for g in closed {
                (sink.0)(g);
            }
        }
    }

    /// Stamps, feeds and handles one input under the receive clock ([`crate::IngestClock`]).
    fn ingest(self: &Arc<Self>, input: Input) {
        self.clock.stamp(|ts| {
            if let (Some(_), Input::Disconnected { c }) = (&self.gaps, &input) {
                self.gap_tracker.lock().disconnected(ts, *c);
            }
            let r = self.feed(ts, input);
            handle(self, r, ts);
        });
    }

    /// [`Self::ingest`] for a text frame.
    fn ingest_frame(self: &Arc<Self>, conn: u32, text: &str) {
        self.clock.stamp(|ts| {
            self.status.count_frame(ts);
            // Frames flow again after a disconnect: the venue-wide gap ends here (books resync
            // on their own notices).
            if self.gaps.is_some() {
                let closed = self.gap_tracker.lock().frame(ts);
                self.report(closed);
            }
            let r = self.feed_frame(conn, text, ts);
            handle(self, r, ts);
        });
    }

    /// Feeds one input to the codec, recording it first (under the codec's lock, so the
    /// recording has the order the codec saw).
    fn feed(&self, ts: u64, input: Input) -> Result<CodecOutput, SdkError> {
        let mut codec = self.codec.lock();
        let r = apply(&mut codec, &input, ts);
        if let Some(rec) = &self.recorder {
            rec.record(Record {
                t: ts,
                v: self.venue.clone(),
                input,
            });
        }
        r
    }

    /// [`Self::feed`] for a frame, copying the payload only when recording.
    fn feed_frame(&self, conn: u32, text: &str, ts: u64) -> Result<CodecOutput, SdkError> {
        if self.recorder.is_some() {
            return self.feed(
                ts,
                Input::Frame {
                    c: conn,
                    p: text.to_owned(),
                },
            );
        }
        self.codec
            .lock()
            .on_frame(conn, RStr::from_str(text), ts)
            .into_result()
    }
}

/// Applies a recorded (or live) input to a codec: the one place inputs become codec calls, so
/// live runs and replays feed codecs identically.
///
/// # Errors
/// The codec's error for that input.
pub fn apply(codec: &mut VenueCodecBox, input: &Input, ts: u64) -> Result<CodecOutput, SdkError> {
    match input {
        Input::Connected { c } => codec.on_connected(*c, ts),
        Input::Frame { c, p } => codec.on_frame(*c, RStr::from_str(p), ts),
        Input::Http { g, s, p } => codec.on_http(
            *g,
            orderflow_tool_sdk::HttpResponse {
                status: *s,
                body: p.as_str().into(),
            },
            ts,
        ),
        Input::Timer => codec.on_timer(ts),
        Input::Disconnected { c } => codec.on_disconnected(*c, ts),
    }
    .into_result()
}

/// The codec configuration JSON a driver passes to `new_codec` (recorded for replays).
pub fn codec_config_json(cfg: &DriverConfig) -> String {
    let mut codec_cfg = CodecConfig::new(
        cfg.venue.clone(),
        cfg.instruments
            .iter()
            .map(|(_, s, v)| InstrumentMapping {
                symbol: s.clone(),
                venue_symbol: v.clone(),
            })
            .collect(),
    );
    codec_cfg.options = cfg.codec_options.clone();
    serde_json::to_string(&codec_cfg).unwrap_or_default()
}

/// A running venue connection set.
#[derive(Debug)]
pub struct VenueDriver {
    status: Arc<VenueStatus>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl VenueDriver {
    /// Creates the codec and starts the tasks (call inside a tokio runtime).
    ///
    /// # Errors
    /// [`PluginError`] when the plugin refuses the configuration.
    pub fn start(
        plugin: &LoadedPlugin,
        cfg: DriverConfig,
        sink: EventSink,
    ) -> Result<Self, PluginError> {
        let codec_cfg = codec_config_json(&cfg);
        let codec = (plugin.module.new_codec())(RStr::from_str(&codec_cfg)).into_result()?;
        if let Some(rec) = &cfg.recorder {
            rec.venue(
                &cfg.venue,
                VenueMeta {
                    plugin: plugin.name().to_owned(),
                    codec_config: codec_cfg.clone(),
                },
            );
        }
        let mut plan = codec.plan();
        if let Some(ms) = cfg.idle_timeout_ms {
            plan.idle_timeout_ms = ms;
        }
        let status = Arc::new(VenueStatus::new(&cfg.venue));
        status
            .planned_connections
            .store(plan.connections.len() as u64, Ordering::Relaxed);
        let ctx = Arc::new(Ctx {
            venue: cfg.venue.clone(),
            codec: Mutex::new(codec),
            instruments: cfg.instruments.iter().map(|(i, _, _)| *i).collect(),
            endpoints: BTreeMap::from([(cfg.venue.clone(), cfg.endpoints.clone())]),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            status: status.clone(),
            sink,
            outbound: Mutex::new(BTreeMap::new()),
            recorder: cfg.recorder.clone(),
            clock: cfg.clock.clone().unwrap_or_default(),
            gaps: cfg.gaps.clone(),
            gap_tracker: Mutex::new(crate::gaps::GapTracker::new(
                &cfg.venue,
                cfg.instruments
                    .iter()
                    .map(|(_, s, v)| (s.clone(), v.clone()))
                    .collect(),
            )),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        for c in plan.connections.iter() {
            let url = format!("{}{}", cfg.endpoints.ws_url.trim_end_matches('/'), c.path);
            let (ctx, rx, conn) = (ctx.clone(), shutdown_rx.clone(), c.conn);
            let p = plan.clone();
            tasks.push(tokio::spawn(async move {
                connection_task(ctx, conn, url, p, rx).await
            }));
        }
        if plan.timer_interval_ms > 0 {
            let (ctx, mut rx) = (ctx.clone(), shutdown_rx.clone());
            let every = Duration::from_millis(plan.timer_interval_ms);
            tasks.push(tokio::spawn(async move {
                let mut iv = tokio::time::interval(every);
                iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    tokio::select! {
                        _ = rx.changed() => return,
                        _ = iv.tick() => {
                            ctx.ingest(Input::Timer);
                        }
                    }
                }
            }));
        }
        tracing::info!(venue = %cfg.venue, connections = plan.connections.len(), ws = %cfg.endpoints.ws_url, rest = %cfg.endpoints.rest_url, "venue driver started");
        Ok(Self {
            status,
            shutdown,
            tasks,
        })
    }

    /// Counters.
    pub fn status(&self) -> Arc<VenueStatus> {
        self.status.clone()
    }

    /// Stops all tasks.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn handle(ctx: &Arc<Ctx>, r: Result<CodecOutput, SdkError>, ts: u64) {
    match r {
        Ok(out) => process(ctx, out, ts),
        Err(e) => {
            ctx.status.decode_errors.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(venue = %ctx.venue, error = %e, "codec refused input");
        }
    }
}

/// `ts`: the input's receive stamp (gap intervals use it, so a replay reproduces them).
fn process(ctx: &Arc<Ctx>, out: CodecOutput, ts: u64) {
    // Gap accounting first from the notices, then the snapshots that end book gaps.
    if ctx.gaps.is_some() {
        let mut t = ctx.gap_tracker.lock();
        for n in out.notices.iter() {
            t.notice(n.kind, &n.detail, ts);
        }
        let mut closed = Vec::new();
        for e in out.events.iter() {
            if matches!(e.body, orderflow_tool_sdk::EventBody::BookSnapshot(_)) {
                closed.extend(t.book_snapshot(e.instrument, ts));
            }
        }
        drop(t);
        ctx.report(closed);
    }
    if !out.events.is_empty() {
        let mut events = Vec::with_capacity(out.events.len());
        for e in out.events.iter() {
            match convert(e, &ctx.instruments) {
                Ok(ev) => events.push(ev),
                Err(err) => {
                    ctx.status.rejected_events.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(venue = %ctx.venue, error = %err, "event rejected");
                }
            }
        }
        ctx.status
            .events
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        if !events.is_empty() {
            (ctx.sink)(events);
        }
    }
    for n in out.notices.iter() {
        *ctx.status.notices.lock().entry(n.kind.name()).or_insert(0) += 1;
        match n.kind {
            NoticeKind::Gap | NoticeKind::ChecksumMismatch | NoticeKind::Rejected => {
                tracing::warn!(venue = %ctx.venue, kind = n.kind.name(), detail = %n.detail, "codec notice");
            }
            NoticeKind::Resync | NoticeKind::Subscribed => {
                tracing::info!(venue = %ctx.venue, kind = n.kind.name(), detail = %n.detail, "codec notice");
            }
            _ => {
                tracing::debug!(venue = %ctx.venue, kind = n.kind.name(), detail = %n.detail, "codec notice")
            }
        }
    }
    for a in out.actions.into_iter() {
        match a {
            HostAction::Send { conn, text } => {
                if let Some(tx) = ctx.outbound.lock().get(&conn) {
                    outbound(ctx, tx, Outbound::Text(text.into()));
                }
            }
            HostAction::Reconnect { conn, reason } => {
                if let Some(tx) = ctx.outbound.lock().get(&conn) {
                    outbound(ctx, tx, Outbound::Reconnect(reason.into()));
                }
            }
            HostAction::Http { tag, request } => {
                let ctx = ctx.clone();
                ctx.status.http_requests.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let resp = http_fetch(&ctx.http, &ctx.endpoints, &request).await;
                    ctx.ingest(Input::Http {
                        g: tag,
                        s: resp.status,
                        p: resp.body.into(),
                    });
                });
            }
        }
    }
}

/// Why a connection ended. Classified by type, not by message text: only
/// [`Disconnect::Shutdown`] is terminal; every other reason reconnects with backoff.
#[derive(Debug)]
enum Disconnect {
    /// The host is stopping.
    Shutdown,
    /// Nothing received for the idle timeout.
    Idle(Duration),
    /// The peer ended the stream.
    ClosedByPeer,
    /// The peer sent a close frame.
    CloseFrame,
    /// Reading failed.
    Read(tokio_tungstenite::tungstenite::Error),
    /// Writing (a frame or the application ping) failed.
    Write(tokio_tungstenite::tungstenite::Error),
    /// The codec asked for a reconnect (`HostAction::Reconnect`), with its reason.
    CodecRequested(String),
}

impl Disconnect {
    /// True when the connection must not be re-opened.
    fn is_terminal(&self) -> bool {
        matches!(self, Self::Shutdown)
    }
}

impl std::fmt::Display for Disconnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shutdown => write!(f, "shutdown"),
            Self::Idle(d) => write!(f, "no message for {} ms", d.as_millis()),
            Self::ClosedByPeer => write!(f, "closed by peer"),
            Self::CloseFrame => write!(f, "close frame"),
            Self::Read(e) => write!(f, "read error: {e}"),
            Self::Write(e) => write!(f, "write error: {e}"),
            Self::CodecRequested(r) => write!(f, "codec asked to reconnect: {r}"),
        }
    }
}

async fn connection_task(
    ctx: Arc<Ctx>,
    conn: u32,
    url: String,
    plan: orderflow_tool_sdk::ConnectionPlan,
    mut shutdown: watch::Receiver<bool>,
) {
    let min = Duration::from_millis(plan.min_backoff_ms.max(10));
    let max = Duration::from_millis(plan.max_backoff_ms.max(plan.min_backoff_ms.max(10)));
    let idle = if plan.idle_timeout_ms == 0 {
        Duration::from_secs(86_400)
    } else {
        Duration::from_millis(plan.idle_timeout_ms)
    };
    let ping = plan.client_ping.clone().into_option();
    let mut backoff = min;
    let mut first = true;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let attempt = tokio::time::timeout(
            Duration::from_secs(10),
            // Nagle off: frames are small and latency matters more than packet count.
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_config()), true),
        )
        .await;
        match attempt {
            Ok(Ok((ws, _))) => {
                if !first {
                    ctx.status.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                first = false;
                backoff = min;
                ctx.status.connected.fetch_add(1, Ordering::Relaxed);
                let (tx, mut rx) = mpsc::channel(OUTBOUND_QUEUE);
                ctx.outbound.lock().insert(conn, tx);
                tracing::info!(venue = %ctx.venue, conn, %url, "connected");
                ctx.ingest(Input::Connected { c: conn });
                let (mut write, mut read) = ws.split();
                let mut ping_iv = tokio::time::interval(Duration::from_millis(
                    ping.as_ref().map_or(86_400_000, |p| p.interval_ms.max(100)),
                ));
                ping_iv.tick().await;
                let reason: Disconnect = loop {
                    tokio::select! {
                        _ = shutdown.changed() => break Disconnect::Shutdown,
                        m = tokio::time::timeout(idle, read.next()) => match m {
                            Err(_) => break Disconnect::Idle(idle),
                            Ok(None) => break Disconnect::ClosedByPeer,
                            Ok(Some(Err(e))) => break Disconnect::Read(e),
                            Ok(Some(Ok(Message::Text(t)))) => ctx.ingest_frame(conn, t.as_str()),
                            Ok(Some(Ok(Message::Binary(b)))) => {
                                match std::str::from_utf8(&b) {
                                    Ok(t) => ctx.ingest_frame(conn, t),
                                    Err(_) => {
                                        ctx.status.count_frame(now_ns());
                                        ctx.status.decode_errors.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            }
                            Ok(Some(Ok(Message::Close(_)))) => break Disconnect::CloseFrame,
                            Ok(Some(Ok(_))) => {} // ping/pong: tungstenite answers pings itself
                        },
                        o = rx.recv() => match o {
                            Some(Outbound::Text(t)) => {
                                if let Err(e) = write.send(Message::Text(t.into())).await {
                                    break Disconnect::Write(e);
                                }
                            }
                            Some(Outbound::Reconnect(r)) => break Disconnect::CodecRequested(r),
                            None => {}
                        },
                        _ = ping_iv.tick(), if ping.is_some() => {
                            if let Some(p) = &ping
                                && let Err(e) = write.send(Message::Text(p.text.to_string().into())).await {
                                    break Disconnect::Write(e);
                                }
                        }
                    }
                };
                ctx.outbound.lock().remove(&conn);
                ctx.status.connected.fetch_sub(1, Ordering::Relaxed);
                ctx.ingest(Input::Disconnected { c: conn });
                if reason.is_terminal() {
                    let _ = write.send(Message::Close(None)).await;
                    return;
                }
                tracing::warn!(venue = %ctx.venue, conn, %reason, backoff_ms = backoff.as_millis() as u64, "disconnected; reconnecting");
            }
            Ok(Err(e)) => {
                ctx.status.connect_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(venue = %ctx.venue, conn, %url, error = %e, backoff_ms = backoff.as_millis() as u64, "connect failed");
            }
            Err(_) => {
                ctx.status.connect_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(venue = %ctx.venue, conn, %url, "connect timed out");
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(max);
    }
}
