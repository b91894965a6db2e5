//! The sans-IO codec for Binance USD-M futures.
//!
//! Serves both markets ([`Market`]): spot subscribes `aggTrade`, `depth@<speed>` and `ticker`
//! and syncs books by the spot rule. For futures, per configured instrument it subscribes
//! `aggTrade`, `depth@<speed>`, `markPrice@1s`,
//! `forceOrder` and `ticker` on combined-stream connections (≤ 200 streams each), keeps each book
//! in sync with the [`BookSequencer`] (REST snapshot requested when a subscription is
//! acknowledged, and again after every gap), polls open interest over REST, and asks for a
//! reconnect before Binance's 24-hour connection limit.

use crate::common::{FAPI, Market, SymbolMap, VENUE_FUTURES, ms_to_ns};
use crate::websocket::{
    Channel, Decoded, DepthDiff, DepthSnapshot, MAX_STREAMS_PER_CONNECTION, OpenInterestAnswer,
    RestError, decode_frame, depth_levels, stream_name, subscribe_frames,
};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_plugin_common::snapshot_sync::{BookSequencer, Continuity, DiffOutcome};
use orderflow_plugin_common::tags::{tag, untag};
use orderflow_tool_sdk::std_types::RNone;
use orderflow_tool_sdk::{
    BookUpdate, Codec, CodecConfig, CodecOutput, ConnectionPlan, ConnectionSpec, EventBody,
    HostAction, HttpRequest, HttpResponse, MarketEvent, NoticeKind, OpenInterest, SdkError,
};
use std::collections::BTreeMap;

const TAG_SNAPSHOT: u64 = 1;
const TAG_OPEN_INTEREST: u64 = 2;
/// Reconnect before Binance closes connections at 24 h.
const MAX_CONNECTION_AGE_NS: u64 = (23 * 3600 + 50 * 60) * 1_000_000_000;
const SNAPSHOT_RETRY_NS: u64 = 2_000_000_000;

#[derive(Clone, Debug)]
struct BookSync {
    seq: BookSequencer<DepthDiff>,
    generation: u32,
    in_flight: bool,
    retry_at: u64,
    conn: u32,
}

/// Codec state for one Binance USD-M futures session.
#[derive(Debug)]
pub struct FuturesCodec {
    symbols: SymbolMap,
    depth_speed: String,
    books: Vec<BookSync>,
    /// Streams per connection.
    conns: Vec<Vec<String>>,
    connected_at: Vec<Option<u64>>,
    next_request_id: u64,
    /// Subscription request id → instruments whose depth stream it carries.
    pending: BTreeMap<u64, Vec<u32>>,
    last_oi_poll: u64,
    /// When false, depth diffs are emitted as decoded, without the snapshot sync (decode-only
    /// use: `orderflow parse`).
    sync_books: bool,
    /// Repeated or out-of-order aggregate trades are dropped.
    trades: TradeDedup,
    /// Futures or spot.
    market: Market,
    options: BinanceOptions,
}

/// The `[venues.binance]` / `[venues.binance_spot]` options this codec reads.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinanceOptions {
    /// Depth stream speed: `100ms`, `250ms` (= plain `@depth`), `500ms`, or `0ms` (emulator
    /// only: one diff per book change).
    pub depth_speed: String,
    /// Levels of the REST depth snapshot used for book sync.
    pub depth_snapshot_limit: u32,
    /// Poll open interest over REST this often (ms); 0 disables (futures only).
    pub open_interest_poll_ms: u64,
}

impl Default for BinanceOptions {
    fn default() -> Self {
        Self {
            depth_speed: "100ms".to_owned(),
            depth_snapshot_limit: 1000,
            open_interest_poll_ms: 5_000,
        }
    }
}

impl FuturesCodec {
    /// Builds a codec from its configuration and its [`BinanceOptions`].
    ///
    /// # Errors
    /// [`SdkError`] when no instrument is configured or an option is invalid.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        let options: BinanceOptions = cfg.options()?;
        let depth_speed = options.depth_speed.as_str();
        let market = Market::of_venue(&cfg.venue).ok_or_else(|| {
            SdkError::invalid_args(format!(
                "binance plugin does not serve venue {:?}",
                cfg.venue
            ))
        })?;
        if cfg.instruments.is_empty() {
            return Err(SdkError::invalid_args(
                "binance codec: no instruments configured",
            ));
        }
        let symbols = SymbolMap::new(&cfg.instruments);
        let cfg_decode_only = cfg.decode_only;
        let speed = if depth_speed == "250ms" {
            String::new()
        } else {
            depth_speed.to_owned()
        };
        // Group all streams of an instrument on one connection.
        let per_inst = Channel::of(market).len();
        let insts_per_conn = (MAX_STREAMS_PER_CONNECTION / per_inst).max(1);
        let mut conns: Vec<Vec<String>> = Vec::new();
        let mut books = Vec::new();
        for (i, inst) in cfg.instruments.iter().enumerate() {
            let conn = i / insts_per_conn;
            if conns.len() <= conn {
                conns.push(Vec::new());
            }
            if let Some(streams) = conns.get_mut(conn) {
                streams.extend(
                    Channel::of(market)
                        .iter()
                        .map(|c| stream_name(&inst.venue_symbol, *c, &speed)),
                );
            }
            books.push(BookSync {
                seq: BookSequencer::new(
                    match market {
                        Market::Futures => Continuity::PrevFinalId,
                        Market::Spot => Continuity::Consecutive,
                    },
                    10_000,
                ),
                generation: 0,
                in_flight: false,
                retry_at: 0,
                conn: u32::try_from(conn).unwrap_or(0),
            });
        }
        let n = conns.len();
        let trades = TradeDedup::new(books.len());
        Ok(Self {
            market,
            trades,
            symbols,
            depth_speed: speed,
            books,
            conns,
            connected_at: vec![None; n],
            next_request_id: 1,
            pending: BTreeMap::new(),
            last_oi_poll: 0,
            sync_books: !cfg_decode_only,
            options,
        })
    }

    /// Decode-only mode: depth diffs are emitted as they are decoded, without book sync.
    pub fn without_book_sync(mut self) -> Self {
        self.sync_books = false;
        self
    }

    /// The configured depth stream speed suffix.
    pub fn depth_speed(&self) -> &str {
        &self.depth_speed
    }

    fn request_snapshot(&mut self, inst: u32, out: &mut CodecOutput) {
        let limit = self.options.depth_snapshot_limit;
        let Some(symbol) = self.symbols.venue_symbol(inst).map(str::to_owned) else {
            return;
        };
        let Some(b) = self.books.get_mut(inst as usize) else {
            return;
        };
        b.generation = b.generation.wrapping_add(1) & 0x00ff_ffff;
        b.in_flight = true;
        out.actions.push(HostAction::Http {
            tag: tag(TAG_SNAPSHOT, b.generation, inst),
            request: HttpRequest::get(
                self.market.venue(),
                format!("{}/depth?symbol={symbol}&limit={limit}", self.market.rest()),
            ),
        });
    }

    fn delta_event(d: DepthDiff, ts_recv: u64) -> MarketEvent {
        MarketEvent {
            instrument: d.instrument,
            ts_event: d.ts_event,
            ts_recv,
            body: EventBody::BookDelta(BookUpdate {
                levels: d.levels,
                sequence: d.final_update_id,
            }),
        }
    }

    fn on_depth(&mut self, d: DepthDiff, ts_recv: u64, out: &mut CodecOutput) {
        if !self.sync_books {
            out.events.push(Self::delta_event(d, ts_recv));
            return;
        }
        let inst = d.instrument;
        let Some(b) = self.books.get_mut(inst as usize) else {
            return;
        };
        match b.seq.on_diff(d) {
            DiffOutcome::Apply(d) => out.events.push(Self::delta_event(d, ts_recv)),
            DiffOutcome::Buffered => {}
            DiffOutcome::Stale => out.notice(
                NoticeKind::Stale,
                format!("instrument {inst}: old depth diff"),
            ),
            DiffOutcome::Gap { expected, got } => {
                out.notice(
                    NoticeKind::Gap,
                    format!("instrument {inst}: expected pu {expected}, got {got}"),
                );
                if !b.in_flight {
                    self.request_snapshot(inst, out);
                }
            }
        }
    }
}

impl Codec for FuturesCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: (0..self.conns.len())
                .map(|i| ConnectionSpec {
                    conn: u32::try_from(i).unwrap_or(0),
                    path: "/stream".into(),
                })
                .collect(),
            timer_interval_ms: 500,
            idle_timeout_ms: 30_000,
            client_ping: RNone,
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }
    fn on_connected(&mut self, conn: u32, ts: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        let Some(streams) = self.conns.get(conn as usize).cloned() else {
            return out;
        };
        if let Some(c) = self.connected_at.get_mut(conn as usize) {
            *c = Some(ts);
        }
        for b in self.books.iter_mut().filter(|b| b.conn == conn) {
            b.seq.reset();
            b.in_flight = false;
        }
        let frames = subscribe_frames(&streams, self.next_request_id);
        self.next_request_id += frames.len() as u64;
        for (id, text) in frames {
            // Instruments whose depth stream is in this request.
            let insts: Vec<u32> = (0..self.books.len())
                .filter_map(|i| u32::try_from(i).ok())
                .filter(|i| {
                    self.symbols.venue_symbol(*i).is_some_and(|s| {
                        let depth = stream_name(s, Channel::Depth, &self.depth_speed);
                        text.contains(&format!("\"{depth}\""))
                    })
                })
                .collect();
            self.pending.insert(id, insts);
            out.actions.push(HostAction::Send {
                conn,
                text: text.into(),
            });
        }
        out
    }
    fn on_frame(&mut self, _conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        match decode_frame(frame, ts_recv, &self.symbols)? {
            Decoded::Events(events) => {
                for e in events {
                    // Decode-only use (`orderflow parse`) keeps every payload's trades.
                    if let EventBody::Trade(t) = &e.body
                        && self.sync_books
                        && !self.trades.keep(e.instrument, t.trade_id)
                    {
                        out.notice(
                            NoticeKind::Stale,
                            format!(
                                "repeated trade {} of instrument {}",
                                t.trade_id, e.instrument
                            ),
                        );
                        continue;
                    }
                    out.events.push(e);
                }
            }
            Decoded::Depth(d) => self.on_depth(d, ts_recv, &mut out),
            Decoded::Ack { id } => {
                out.notice(NoticeKind::Subscribed, format!("request {id}"));
                for inst in self.pending.remove(&id).unwrap_or_default() {
                    self.request_snapshot(inst, &mut out);
                }
            }
            Decoded::Rejected { id, message } => {
                self.pending.remove(&id);
                out.notice(NoticeKind::Rejected, format!("request {id}: {message}"));
            }
            Decoded::UnknownSymbol(s) => out.notice(NoticeKind::UnknownSymbol, s),
            Decoded::Ignored(_) => {}
        }
        Ok(out)
    }
    fn on_http(
        &mut self,
        tag: u64,
        resp: &HttpResponse,
        ts_recv: u64,
    ) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        let (kind, generation, inst) = untag(tag);
        match kind {
            TAG_SNAPSHOT => {
                let Some(b) = self.books.get_mut(inst as usize) else {
                    return Ok(out);
                };
                // Only the answer to the request in flight counts: a superseded or repeated
                // answer could be older than the live book.
                if generation != b.generation || !b.in_flight {
                    out.notice(
                        NoticeKind::Stale,
                        format!("instrument {inst}: superseded or repeated snapshot"),
                    );
                    return Ok(out);
                }
                b.in_flight = false;
                if resp.status != 200 {
                    b.retry_at = ts_recv + SNAPSHOT_RETRY_NS;
                    let msg = serde_json::from_str::<RestError<'_>>(&resp.body)
                        .map(|e| format!("{} {}", e.code, e.msg))
                        .unwrap_or_else(|_| resp.body.to_string());
                    out.notice(
                        NoticeKind::Rejected,
                        format!("depth snapshot HTTP {}: {msg}", resp.status),
                    );
                    return Ok(out);
                }
                let snap: DepthSnapshot<'_> = match serde_json::from_str(&resp.body) {
                    Ok(s) => s,
                    Err(e) => {
                        b.retry_at = ts_recv + SNAPSHOT_RETRY_NS;
                        return Err(SdkError::decode(format!("depth snapshot: {e}")));
                    }
                };
                let levels = match depth_levels(&snap.bids, &snap.asks) {
                    Ok(l) => l,
                    Err(e) => {
                        b.retry_at = ts_recv + SNAPSHOT_RETRY_NS;
                        return Err(e);
                    }
                };
                match b.seq.on_snapshot(snap.last_update_id) {
                    Ok(diffs) => {
                        out.notice(
                            NoticeKind::Resync,
                            format!("instrument {inst}: snapshot {}", snap.last_update_id),
                        );
                        let ts_event = if snap.transaction_time > 0 {
                            ms_to_ns(snap.transaction_time)
                        } else {
                            ts_recv
                        };
                        out.events.push(MarketEvent {
                            instrument: inst,
                            ts_event,
                            ts_recv,
                            body: EventBody::BookSnapshot(BookUpdate {
                                levels,
                                sequence: snap.last_update_id,
                            }),
                        });
                        out.events
                            .extend(diffs.into_iter().map(|d| Self::delta_event(d, ts_recv)));
                    }
                    Err(too_old) => {
                        out.notice(
                            NoticeKind::Gap,
                            format!(
                                "instrument {inst}: snapshot {} older than stream {}",
                                too_old.snapshot_id, too_old.first_buffered
                            ),
                        );
                        self.request_snapshot(inst, &mut out);
                    }
                }
            }
            TAG_OPEN_INTEREST => {
                if resp.status != 200 {
                    out.notice(
                        NoticeKind::Rejected,
                        format!("openInterest HTTP {}", resp.status),
                    );
                    return Ok(out);
                }
                let a: OpenInterestAnswer<'_> = serde_json::from_str(&resp.body)
                    .map_err(|e| SdkError::decode(format!("openInterest: {e}")))?;
                match self.symbols.index(a.symbol) {
                    Some(i) => out.events.push(MarketEvent {
                        instrument: i,
                        ts_event: ms_to_ns(a.time),
                        ts_recv,
                        body: EventBody::OpenInterest(OpenInterest {
                            open_interest: crate::common::dec("openInterest", a.open_interest)?,
                        }),
                    }),
                    None => out.notice(NoticeKind::UnknownSymbol, a.symbol),
                }
            }
            _ => return Err(SdkError::decode(format!("unknown request tag {tag:#x}"))),
        }
        Ok(out)
    }
    fn on_timer(&mut self, now: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        let poll = self.options.open_interest_poll_ms.saturating_mul(1_000_000);
        if poll > 0
            && self.market == Market::Futures
            && now.saturating_sub(self.last_oi_poll) >= poll
            && self.connected_at.iter().any(Option::is_some)
        {
            self.last_oi_poll = now;
            for i in 0..self.symbols.len() {
                let Ok(i) = u32::try_from(i) else { continue };
                if let Some(s) = self.symbols.venue_symbol(i) {
                    out.actions.push(HostAction::Http {
                        tag: tag(TAG_OPEN_INTEREST, 0, i),
                        request: HttpRequest::get(
                            VENUE_FUTURES,
                            format!("{FAPI}/openInterest?symbol={s}"),
                        ),
                    });
                }
            }
        }
        let retry: Vec<u32> = self
            .books
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.seq.is_syncing()
                    && !b.in_flight
                    && b.retry_at != 0
                    && b.retry_at <= now
                    && self
                        .connected_at
                        .get(b.conn as usize)
                        .is_some_and(Option::is_some)
            })
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect();
        for i in retry {
            if let Some(b) = self.books.get_mut(i as usize) {
                b.retry_at = 0;
            }
            self.request_snapshot(i, &mut out);
        }
        for (conn, at) in self.connected_at.iter().enumerate() {
            if let Some(at) = at
                && now.saturating_sub(*at) > MAX_CONNECTION_AGE_NS
            {
                out.actions.push(HostAction::Reconnect {
                    conn: u32::try_from(conn).unwrap_or(0),
                    reason: "connection older than 23h50m (Binance closes at 24h)".into(),
                });
            }
        }
        out
    }
    fn on_disconnected(&mut self, conn: u32, _now: u64) -> CodecOutput {
        if let Some(c) = self.connected_at.get_mut(conn as usize) {
            *c = None;
        }
        for b in self.books.iter_mut().filter(|b| b.conn == conn) {
            b.seq.reset();
            b.in_flight = false;
            b.generation = b.generation.wrapping_add(1) & 0x00ff_ffff;
        }
        self.pending.clear();
        CodecOutput::default()
    }
}
