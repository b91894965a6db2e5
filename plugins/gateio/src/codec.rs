//! The Gate.io USDT perpetual futures codec (WebSocket v4 + REST v4), sans-IO.
//!
//! * Contract sizes first: sizes on the wire are contracts; each contract's
//!   `quanto_multiplier` (base units per contract) comes from REST `/contracts` before anything
//!   is subscribed, so every size the codec emits is an exact base amount. (Known multipliers
//!   can also be given as the option `quanto_multipliers`, e.g. for `orderflow parse`.)
//! * One connection to `/v4/ws/usdt`: `futures.order_book_update` per contract
//!   (`[contract, "100ms", "100"]`), `futures.trades`, `futures.tickers` and
//!   `futures.public_liquidates` for all contracts; `futures.ping` every 10 s (the host sends it).
//! * Books follow Gate.io's rule (the same discipline as Binance spot, [`BookSequencer`] with
//!   [`Continuity::Consecutive`]): updates are buffered, the REST snapshot
//!   `order_book?with_id=true` (id = L) is fetched on the first buffered update, updates with
//!   `u < L + 1` are dropped, the first applied has `U ≤ L + 1 ≤ u`, and each next one has
//!   `U = previous u + 1`; otherwise the gap is counted and a new snapshot fetched.
//! * Trades: `size` sign = taker side, de-duplicated by id. Liquidations: `size` sign = the
//!   liquidation order's side.

use crate::common::{API, VENUE, WS_PATH, ms, num};
use crate::messages::{
    BookSnapshotMsg, BookUpdateMsg, ContractMsg, Envelope, LiquidationMsg, TickerMsg, TradeMsg,
};
use crate::parse::{parse_book_update, parse_levels, parse_liquidation, parse_ticker, parse_trade};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_plugin_common::snapshot_sync::{BookSequencer, Continuity, DiffOutcome, UpdateRange};
use orderflow_plugin_common::tags::{tag, untag};
use orderflow_tool_sdk::std_types::RSome;
use orderflow_tool_sdk::{
    BookLevel, BookUpdate, ClientPing, Codec, CodecConfig, CodecOutput, ConnectionPlan,
    ConnectionSpec, EventBody, FixedDecimal, HostAction, HttpRequest, HttpResponse, MarketEvent,
    NoticeKind, SdkError,
};
use serde_json::json;
use std::collections::BTreeMap;

const TAG_CONTRACTS: u64 = 1;
const TAG_SNAPSHOT: u64 = 2;
const RETRY_NS: u64 = 2_000_000_000;
const MAX_BUFFER: usize = 2_000;

/// A book update waiting for, or checked against, the snapshot; levels already in base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    first: u64,
    last: u64,
    ts_event: u64,
    levels: Vec<BookLevel>,
}

impl UpdateRange for Diff {
    fn first_id(&self) -> u64 {
        self.first
    }
    fn final_id(&self) -> u64 {
        self.last
    }
    fn prev_final_id(&self) -> Option<u64> {
        None
    }
}

/// The `[venues.gateio]` options this codec reads.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateioOptions {
    /// `order_book_update` frequency: `20ms` or `100ms`.
    pub depth_frequency: String,
    /// `order_book_update` levels (`20`, `50`, `100`) and REST snapshot limit.
    pub depth_levels: u32,
    /// Known `quanto_multiplier`s by contract (otherwise fetched from REST `/contracts`).
    pub quanto_multipliers: BTreeMap<String, String>,
}

impl Default for GateioOptions {
    fn default() -> Self {
        Self {
            depth_frequency: "100ms".to_owned(),
            depth_levels: 100,
            quanto_multipliers: BTreeMap::new(),
        }
    }
}

#[derive(Debug)]
struct BookSync {
    seq: BookSequencer<Diff>,
    generation: u32,
    in_flight: bool,
    retry_at: u64,
}

/// The codec.
#[derive(Debug)]
pub struct GateioCodec {
    cfg: CodecConfig,
    options: GateioOptions,
    by_contract: BTreeMap<String, u32>,
    quanto: Vec<Option<FixedDecimal>>,
    books: Vec<BookSync>,
    trades: TradeDedup,
    /// A connection waiting for the contract sizes before it subscribes.
    waiting_conn: Option<u32>,
    contracts_in_flight: bool,
    contracts_retry_at: u64,
}

impl GateioCodec {
    /// A codec for venue `gateio`.
    ///
    /// # Errors
    /// Another venue, too many instruments, or invalid options.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        if cfg.venue != VENUE {
            return Err(SdkError::invalid_args(format!(
                "gateio plugin does not serve venue {:?}",
                cfg.venue
            )));
        }
        let options: GateioOptions = cfg.options()?;
        if !matches!(options.depth_frequency.as_str(), "20ms" | "100ms") {
            return Err(SdkError::invalid_args("depth_frequency: 20ms or 100ms"));
        }
        let mut by_contract = BTreeMap::new();
        let mut quanto = Vec::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_contract.insert(m.venue_symbol.clone(), i);
            let known = options
                .quanto_multipliers
                .get(&m.venue_symbol)
                .map(|q| FixedDecimal::parse(q))
                .transpose()
                .map_err(|e| SdkError::invalid_args(format!("quanto_multipliers: {e}")))?;
            quanto.push(known);
        }
        let n = cfg.instruments.len();
        let books = (0..n)
            .map(|_| BookSync {
                seq: BookSequencer::new(Continuity::Consecutive, MAX_BUFFER),
                generation: 0,
                in_flight: false,
                retry_at: 0,
            })
            .collect();
        Ok(Self {
            cfg,
            options,
            by_contract,
            quanto,
            books,
            trades: TradeDedup::new(n),
            waiting_conn: None,
            contracts_in_flight: false,
            contracts_retry_at: 0,
        })
    }

    /// The contract multiplier of an instrument, once known (tests).
    pub fn quanto(&self, inst: u32) -> Option<FixedDecimal> {
        self.quanto.get(inst as usize).copied().flatten()
    }

    fn contracts(&self) -> Vec<&str> {
        self.cfg
            .instruments
            .iter()
            .map(|m| m.venue_symbol.as_str())
            .collect()
    }

    fn request(channel: &str, payload: serde_json::Value, ts: u64) -> String {
        json!({"time": ts / 1_000_000_000, "channel": channel, "event": "subscribe", "payload": payload})
            .to_string()
    }

    fn subscribe(&self, conn: u32, ts: u64, out: &mut CodecOutput) {
        let mut send = |text: String| {
            out.actions.push(HostAction::Send {
                conn,
                text: text.into(),
            });
        };
        for c in self.contracts() {
            send(Self::request(
                "futures.order_book_update",
                json!([
                    c,
                    self.options.depth_frequency,
                    self.options.depth_levels.to_string()
                ]),
                ts,
            ));
        }
        for channel in [
            "futures.trades",
            "futures.tickers",
            "futures.public_liquidates",
        ] {
            send(Self::request(channel, json!(self.contracts()), ts));
        }
    }

    fn request_contracts(&mut self, out: &mut CodecOutput) {
        self.contracts_in_flight = true;
        out.actions.push(HostAction::Http {
            tag: tag(TAG_CONTRACTS, 0, 0),
            request: HttpRequest::get(VENUE, format!("{API}/contracts")),
        });
    }

    fn request_snapshot(&mut self, inst: u32, out: &mut CodecOutput) {
        let limit = self.options.depth_levels;
        let Some(contract) = self
            .cfg
            .instruments
            .get(inst as usize)
            .map(|m| m.venue_symbol.clone())
        else {
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
                VENUE,
                format!("{API}/order_book?contract={contract}&limit={limit}&with_id=true"),
            ),
        });
    }

    fn inst(&self, contract: &str, out: &mut CodecOutput) -> Option<(u32, FixedDecimal)> {
        let Some(&i) = self.by_contract.get(contract) else {
            out.notice(NoticeKind::UnknownSymbol, contract.to_owned());
            return None;
        };
        match self.quanto(i) {
            Some(q) => Some((i, q)),
            // Only reachable in decode-only use without `quanto_multipliers`: the live codec
            // subscribes after the multipliers are known.
            None => {
                out.notice(
                    NoticeKind::Rejected,
                    format!("{contract}: quanto_multiplier unknown, sizes cannot be converted"),
                );
                None
            }
        }
    }

    fn delta_event(inst: u32, d: Diff, ts_recv: u64) -> MarketEvent {
        MarketEvent {
            instrument: inst,
            ts_event: d.ts_event,
            ts_recv,
            body: EventBody::BookDelta(BookUpdate {
                levels: d.levels.into(),
                sequence: d.last,
            }),
        }
    }

    fn on_book(
        &mut self,
        result: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let m: BookUpdateMsg<'_> = serde_json::from_str(result)
            .map_err(|e| SdkError::decode(format!("order_book_update: {e}")))?;
        let Some((inst, q)) = self.inst(m.s, out) else {
            return Ok(());
        };
        let d = Diff {
            first: m.first,
            last: m.last,
            ts_event: ms(m.t),
            levels: parse_book_update(&m, q)?,
        };
        if self.cfg.decode_only {
            out.events.push(Self::delta_event(inst, d, ts_recv));
            return Ok(());
        }
        let Some(b) = self.books.get_mut(inst as usize) else {
            return Ok(());
        };
        match b.seq.on_diff(d) {
            DiffOutcome::Apply(d) => out.events.push(Self::delta_event(inst, d, ts_recv)),
            DiffOutcome::Buffered => {
                if !b.in_flight && ts_recv >= b.retry_at {
                    self.request_snapshot(inst, out);
                }
            }
            DiffOutcome::Stale => out.notice(
                NoticeKind::Stale,
                format!("instrument {inst}: old book update"),
            ),
            DiffOutcome::Gap { expected, got } => {
                out.notice(
                    NoticeKind::Gap,
                    format!("instrument {inst}: expected U {expected}, got {got}"),
                );
                if !b.in_flight {
                    self.request_snapshot(inst, out);
                }
            }
        }
        Ok(())
    }

    fn on_snapshot(
        &mut self,
        generation: u32,
        inst: u32,
        resp: &HttpResponse,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let q = self.quanto(inst);
        let Some(b) = self.books.get_mut(inst as usize) else {
            return Ok(());
        };
        if generation != b.generation || !b.in_flight {
            out.notice(
                NoticeKind::Stale,
                format!("instrument {inst}: superseded or repeated snapshot"),
            );
            return Ok(());
        }
        b.in_flight = false;
        if resp.status != 200 {
            b.retry_at = ts_recv + RETRY_NS;
            out.notice(
                NoticeKind::Rejected,
                format!("order_book snapshot HTTP {}: {}", resp.status, resp.body),
            );
            return Ok(());
        }
        let parsed = serde_json::from_str::<BookSnapshotMsg<'_>>(&resp.body)
            .map_err(|e| SdkError::decode(format!("order_book snapshot: {e}")))
            .and_then(|s| {
                let q = q.ok_or_else(|| SdkError::decode("snapshot before quanto_multiplier"))?;
                Ok((s.id, parse_levels(&s.bids, &s.asks, q)?))
            });
        let (id, levels) = match parsed {
            Ok(p) => p,
            Err(e) => {
                b.retry_at = ts_recv + RETRY_NS;
                return Err(e);
            }
        };
        match b.seq.on_snapshot(id) {
            Ok(diffs) => {
                out.notice(
                    NoticeKind::Resync,
                    format!("instrument {inst}: snapshot {id}"),
                );
                out.events.push(MarketEvent {
                    instrument: inst,
                    ts_event: ts_recv,
                    ts_recv,
                    body: EventBody::BookSnapshot(BookUpdate {
                        levels: levels.into(),
                        sequence: id,
                    }),
                });
                out.events.extend(
                    diffs
                        .into_iter()
                        .map(|d| Self::delta_event(inst, d, ts_recv)),
                );
            }
            Err(too_old) => {
                out.notice(
                    NoticeKind::Gap,
                    format!(
                        "instrument {inst}: snapshot {} older than stream {}",
                        too_old.snapshot_id, too_old.first_buffered
                    ),
                );
                self.request_snapshot(inst, out);
            }
        }
        Ok(())
    }

    fn on_contracts(
        &mut self,
        resp: &HttpResponse,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        self.contracts_in_flight = false;
        if resp.status != 200 {
            self.contracts_retry_at = ts_recv + RETRY_NS;
            out.notice(
                NoticeKind::Rejected,
                format!("contracts HTTP {}: {}", resp.status, resp.body),
            );
            return Ok(());
        }
        let list: Vec<ContractMsg<'_>> = match serde_json::from_str(&resp.body) {
            Ok(l) => l,
            Err(e) => {
                self.contracts_retry_at = ts_recv + RETRY_NS;
                return Err(SdkError::decode(format!("contracts: {e}")));
            }
        };
        for c in &list {
            if let Some(&i) = self.by_contract.get(c.name)
                && let Some(slot) = self.quanto.get_mut(i as usize)
            {
                *slot = Some(num(c.quanto_multiplier, "quanto_multiplier")?);
            }
        }
        for (i, m) in self.cfg.instruments.iter().enumerate() {
            if self.quanto.get(i).copied().flatten().is_none() {
                out.notice(
                    NoticeKind::UnknownSymbol,
                    format!("{} is not listed", m.venue_symbol),
                );
            }
        }
        if let Some(conn) = self.waiting_conn.take() {
            self.subscribe(conn, ts_recv, out);
        }
        Ok(())
    }
}

impl Codec for GateioCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: WS_PATH.into(),
            }]
            .into(),
            timer_interval_ms: 500,
            idle_timeout_ms: 30_000,
            client_ping: RSome(ClientPing {
                interval_ms: 10_000,
                text: r#"{"time":0,"channel":"futures.ping"}"#.into(),
            }),
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }

    fn on_connected(&mut self, conn: u32, ts: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        for b in &mut self.books {
            b.seq.reset();
            b.in_flight = false;
            b.retry_at = 0;
        }
        if self.quanto.iter().all(Option::is_some) {
            self.subscribe(conn, ts, &mut out);
        } else {
            self.waiting_conn = Some(conn);
            if !self.contracts_in_flight {
                self.request_contracts(&mut out);
            }
        }
        out
    }

    fn on_frame(&mut self, _conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let e: Envelope<'_> =
            serde_json::from_str(frame).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        let mut out = CodecOutput::default();
        let channel = e
            .channel
            .ok_or_else(|| SdkError::decode("frame without channel"))?;
        if let Some(err) = e.error {
            out.notice(
                NoticeKind::Rejected,
                format!("{channel}: {} {}", err.code, err.message),
            );
            return Ok(out);
        }
        match e.event {
            Some("subscribe") => {
                out.notice(NoticeKind::Subscribed, channel);
                return Ok(out);
            }
            Some("update" | "all") => {}
            _ => return Ok(out), // unsubscribe acks, pong
        }
        let result = e
            .result
            .ok_or_else(|| SdkError::decode(format!("{channel} update without result")))?
            .get();
        match channel {
            "futures.order_book_update" => self.on_book(result, ts_recv, &mut out)?,
            "futures.trades" => {
                let trades: Vec<TradeMsg<'_>> = serde_json::from_str(result)
                    .map_err(|e| SdkError::decode(format!("trades: {e}")))?;
                let mut parsed = Vec::with_capacity(trades.len());
                for t in &trades {
                    if let Some((inst, q)) = self.inst(t.contract, &mut out) {
                        parsed.push(parse_trade(inst, t, q, ts_recv)?);
                    }
                }
                for ev in parsed {
                    if let EventBody::Trade(t) = &ev.body
                        && !self.cfg.decode_only
                        && !self.trades.keep(ev.instrument, t.trade_id)
                    {
                        out.notice(
                            NoticeKind::Stale,
                            format!("repeated trade {} of {}", t.trade_id, ev.instrument),
                        );
                        continue;
                    }
                    out.events.push(ev);
                }
            }
            "futures.tickers" => {
                let tickers: Vec<TickerMsg<'_>> = serde_json::from_str(result)
                    .map_err(|e| SdkError::decode(format!("tickers: {e}")))?;
                let ts_event = e.time_ms.map_or(ts_recv, ms);
                let mut events = Vec::new();
                for t in &tickers {
                    if let Some((inst, q)) = self.inst(t.contract, &mut out) {
                        events.extend(parse_ticker(inst, t, q, ts_event, ts_recv)?);
                    }
                }
                out.events.extend(events);
            }
            "futures.public_liquidates" => {
                let liqs: Vec<LiquidationMsg<'_>> = serde_json::from_str(result)
                    .map_err(|e| SdkError::decode(format!("public_liquidates: {e}")))?;
                let mut events = Vec::new();
                for l in &liqs {
                    if let Some((inst, q)) = self.inst(l.contract, &mut out) {
                        events.push(parse_liquidation(inst, l, q, ts_recv)?);
                    }
                }
                out.events.extend(events);
            }
            other => out.notice(NoticeKind::Stale, format!("unhandled channel {other}")),
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
            TAG_CONTRACTS => self.on_contracts(resp, ts_recv, &mut out)?,
            TAG_SNAPSHOT => self.on_snapshot(generation, inst, resp, ts_recv, &mut out)?,
            _ => out.notice(NoticeKind::Stale, format!("unknown request tag {tag:#x}")),
        }
        Ok(out)
    }

    fn on_timer(&mut self, now: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        if self.waiting_conn.is_some()
            && !self.contracts_in_flight
            && now >= self.contracts_retry_at
        {
            self.request_contracts(&mut out);
        }
        let due: Vec<u32> = self
            .books
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.seq.is_syncing() && !b.in_flight && b.retry_at != 0 && now >= b.retry_at
            })
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect();
        for inst in due {
            if let Some(b) = self.books.get_mut(inst as usize) {
                b.retry_at = 0;
            }
            self.request_snapshot(inst, &mut out);
        }
        out
    }

    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        for b in &mut self.books {
            b.seq.reset();
            b.in_flight = false;
        }
        CodecOutput::default()
    }
}
