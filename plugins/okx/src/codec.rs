//! The OKX v5 public codec, sans-IO.
//!
//! * Start-up: contract values (`ctVal`) come from REST `/api/v5/public/instruments` before any
//!   subscription, so swap sizes (in contracts) become exact base-currency sizes.
//! * Subscriptions per instrument: `trades`, `books`, `tickers`, `funding-rate`,
//!   `open-interest`, `mark-price`, `index-tickers` (on the index, e.g. `BTC-USDT`), plus
//!   `liquidation-orders` for all swaps; sent in batches of [`ARGS_PER_FRAME`].
//! * Books: a snapshot resets the book; an update must continue the sequence
//!   (`prevSeqId` = last `seqId`) and, once applied, match the venue's CRC32 of the top 25
//!   levels. A gap or a checksum mismatch is counted and the book is resubscribed (OKX answers
//!   with a fresh snapshot); updates until then are dropped and counted as stale. A stream
//!   without `seqId`/`prevSeqId` (older API, channels without them) is validated by the
//!   checksum alone.
//! * Keep-alive: the text `ping` every 20 s (OKX closes an idle connection after 30 s); `pong`
//!   is swallowed.

use crate::book::{BookError, Level, LocalBook};
use crate::common::{VENUE, WS_PATH, dec, ms_str_to_ns, mul};
use crate::messages::{
    BooksMsg, BooksPush, Envelope, FundingMsg, IndexMsg, LiquidationMsg, MarkMsg, OpenInterestMsg,
    TickerMsg, TradeMsg, WireLevel, is_books_push,
};
use crate::parse::{
    parse_funding, parse_index, parse_liquidations, parse_mark, parse_open_interest, parse_tickers,
    parse_trades,
};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_tool_sdk::std_types::RSome;
use orderflow_tool_sdk::{
    BookLevel, BookUpdate, ClientPing, Codec, CodecConfig, CodecOutput, ConnectionPlan,
    ConnectionSpec, EventBody, FixedDecimal, HostAction, HttpRequest, HttpResponse, MarketEvent,
    NoticeKind, SdkError, Side,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Subscription arguments per `subscribe` frame.
pub const ARGS_PER_FRAME: usize = 20;
const PER_INSTRUMENT: [&str; 6] = [
    "trades",
    "books",
    "tickers",
    "funding-rate",
    "open-interest",
    "mark-price",
];
const TAG_INSTRUMENTS: u64 = 1;

/// The index an instrument's `index-tickers` channel uses: `BTC-USDT-SWAP` → `BTC-USDT`.
pub fn index_of(inst_id: &str) -> &str {
    inst_id.strip_suffix("-SWAP").unwrap_or(inst_id)
}

/// The OKX codec.
#[derive(Debug)]
pub struct OkxCodec {
    cfg: CodecConfig,
    by_inst_id: BTreeMap<String, u32>,
    by_index: BTreeMap<String, Vec<u32>>,
    ct_val: Vec<Option<FixedDecimal>>,
    books: Vec<LocalBook>,
    last_index: Vec<FixedDecimal>,
    /// Connections waiting for contract values before subscribing.
    waiting: Vec<u32>,
    instruments_in_flight: bool,
    sync_books: bool,
    trades: TradeDedup,
}

impl OkxCodec {
    /// A codec for `cfg` (venue `okx`).
    ///
    /// # Errors
    /// Another venue, or no instruments.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        if cfg.venue != VENUE {
            return Err(SdkError::invalid_args(format!(
                "okx plugin does not serve venue {:?}",
                cfg.venue
            )));
        }
        let mut by_inst_id = BTreeMap::new();
        let mut by_index: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_inst_id.insert(m.venue_symbol.clone(), i);
            by_index
                .entry(index_of(&m.venue_symbol).to_owned())
                .or_default()
                .push(i);
        }
        let n = cfg.instruments.len();
        let decode_only = cfg.decode_only;
        let codec = Self {
            cfg,
            by_inst_id,
            by_index,
            ct_val: vec![None; n],
            books: vec![LocalBook::default(); n],
            last_index: vec![FixedDecimal::ZERO; n],
            waiting: Vec::new(),
            instruments_in_flight: false,
            sync_books: true,
            trades: TradeDedup::new(n),
        };
        Ok(if decode_only {
            codec.without_book_sync()
        } else {
            codec
        })
    }

    /// Decode-only mode for `orderflow parse`: books are emitted as received, without sequence
    /// or checksum state, and sizes stay in contracts (no `ctVal` known).
    pub fn without_book_sync(mut self) -> Self {
        self.sync_books = false;
        self.ct_val = vec![Some(FixedDecimal::new(1, 0)); self.ct_val.len()];
        self
    }

    /// The local book of an instrument (tests, tools).
    pub fn book(&self, inst: u32) -> Option<&LocalBook> {
        self.books.get(inst as usize)
    }

    fn subscribe_frames(&self, conn: u32, out: &mut CodecOutput) {
        let mut args: Vec<Value> = Vec::new();
        for m in &self.cfg.instruments {
            for ch in PER_INSTRUMENT {
                args.push(json!({"channel": ch, "instId": m.venue_symbol}));
            }
        }
        for index in self.by_index.keys() {
            args.push(json!({"channel": "index-tickers", "instId": index}));
        }
        args.push(json!({"channel": "liquidation-orders", "instType": "SWAP"}));
        for chunk in args.chunks(ARGS_PER_FRAME) {
            out.actions.push(HostAction::Send {
                conn,
                text: json!({"op": "subscribe", "args": chunk}).to_string().into(),
            });
        }
    }

    fn request_instruments(&mut self, out: &mut CodecOutput) {
        if self.instruments_in_flight {
            return;
        }
        self.instruments_in_flight = true;
        out.actions.push(HostAction::Http {
            tag: TAG_INSTRUMENTS,
            request: HttpRequest::get(VENUE, "/api/v5/public/instruments?instType=SWAP"),
        });
    }

    /// The contract value of instrument `i` (1 until the instruments answer arrives).
    fn contract_value(&self, i: u32) -> FixedDecimal {
        self.ct_val
            .get(i as usize)
            .copied()
            .flatten()
            .unwrap_or(FixedDecimal::new(1, 0))
    }

    /// Emits decoded events, dropping repeated trades (decode-only use keeps every payload's).
    fn emit(&mut self, inst: u32, events: Vec<MarketEvent>, out: &mut CodecOutput) {
        for e in events {
            if let EventBody::Trade(t) = &e.body
                && self.sync_books
                && !self.trades.keep(inst, t.trade_id)
            {
                out.notice(
                    NoticeKind::Stale,
                    format!("repeated trade {} of {inst}", t.trade_id),
                );
                continue;
            }
            out.events.push(e);
        }
    }

    fn inst(&self, inst_id: &str, out: &mut CodecOutput) -> Option<(u32, FixedDecimal)> {
        match self.by_inst_id.get(inst_id) {
            Some(&i) => Some((
                i,
                self.ct_val[i as usize].unwrap_or(FixedDecimal::new(1, 0)),
            )),
            None => {
                out.notice(NoticeKind::UnknownSymbol, inst_id.to_owned());
                None
            }
        }
    }

    fn resync(&mut self, inst: u32, conn: u32, out: &mut CodecOutput) {
        let Some(m) = self.cfg.instruments.get(inst as usize) else {
            return;
        };
        let arg = json!([{"channel": "books", "instId": m.venue_symbol}]);
        if let Some(b) = self.books.get_mut(inst as usize) {
            b.reset();
        }
        out.actions.push(HostAction::Send {
            conn,
            text: json!({"op": "unsubscribe", "args": arg}).to_string().into(),
        });
        out.actions.push(HostAction::Send {
            conn,
            text: json!({"op": "subscribe", "args": arg}).to_string().into(),
        });
        out.notice(NoticeKind::Resync, m.venue_symbol.clone());
    }

    #[allow(clippy::too_many_arguments)]
    fn on_books(
        &mut self,
        inst: u32,
        ct: FixedDecimal,
        conn: u32,
        snapshot: bool,
        m: &BooksMsg<'_>,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        // Parse everything before touching state: a bad level leaves the book as it was.
        let parse_side =
            |rows: &[WireLevel<'_>]| -> Result<Vec<(FixedDecimal, FixedDecimal)>, SdkError> {
                rows.iter()
                    .map(|(p, s, _, _)| Ok((dec(p, "price")?, dec(s, "size")?)))
                    .collect()
            };
        let bid_px = parse_side(&m.bids)?;
        let ask_px = parse_side(&m.asks)?;
        let ts_event = ms_str_to_ns(m.ts)?;
        let seq = m.seq_id.unwrap_or(0);
        let mut levels = Vec::with_capacity(bid_px.len() + ask_px.len());
        for (side, rows) in [(Side::Buy, &bid_px), (Side::Sell, &ask_px)] {
            for (price, size) in rows {
                levels.push(BookLevel {
                    side,
                    price: *price,
                    size: mul(*size, ct)?,
                });
            }
        }
        // The checksum needs the venue's own strings; only the syncing codec keeps them.
        let keep =
            |rows: &[WireLevel<'_>], parsed: Vec<(FixedDecimal, FixedDecimal)>| -> Vec<Level> {
                rows.iter()
                    .zip(parsed)
                    .map(|((p, s, _, _), (price, size))| Level {
                        price,
                        size,
                        price_str: (*p).to_owned(),
                        size_str: (*s).to_owned(),
                    })
                    .collect()
            };
        let update = BookUpdate {
            levels: levels.into(),
            sequence: u64::try_from(seq).unwrap_or(0),
        };
        if !self.sync_books {
            out.events.push(MarketEvent {
                instrument: inst,
                ts_event,
                ts_recv,
                body: if snapshot {
                    EventBody::BookSnapshot(update)
                } else {
                    EventBody::BookDelta(update)
                },
            });
            return Ok(());
        }
        let bids = keep(&m.bids, bid_px);
        let asks = keep(&m.asks, ask_px);
        let Some(book) = self.books.get_mut(inst as usize) else {
            return Ok(());
        };
        if snapshot {
            book.apply_snapshot(bids, asks, seq);
        } else if m.seq_id.is_none() && m.prev_seq_id.is_none() {
            // No sequence numbers (older API, channels without them): continuity is checked
            // by the checksum alone, below.
            let Some(last) = book.seq() else {
                out.notice(NoticeKind::Stale, format!("book {inst} not synced"));
                return Ok(());
            };
            book.apply_update(bids, asks, last);
        } else {
            // A repeat of an update already applied (seqId not above the last) is dropped;
            // anything else out of sequence is a gap.
            if let Some(last) = book.seq()
                && seq <= last
                && m.prev_seq_id != Some(last)
            {
                out.notice(
                    NoticeKind::Stale,
                    format!("book {inst}: seqId {seq} ≤ {last}"),
                );
                return Ok(());
            }
            match book.check_sequence(m.prev_seq_id.unwrap_or(-1)) {
                Ok(()) => book.apply_update(bids, asks, seq),
                Err(BookError::NotSynced) => {
                    out.notice(NoticeKind::Stale, format!("book {inst} not synced"));
                    return Ok(());
                }
                Err(e) => {
                    out.notice(NoticeKind::Gap, format!("instrument {inst}: {e:?}"));
                    self.resync(inst, conn, out);
                    return Ok(());
                }
            }
        }
        if let Some(sent) = m.checksum
            && let Err(e) = book.verify(sent)
        {
            out.notice(
                NoticeKind::ChecksumMismatch,
                format!("instrument {inst}: {e:?}"),
            );
            self.resync(inst, conn, out);
            return Ok(());
        }
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event,
            ts_recv,
            body: if snapshot {
                EventBody::BookSnapshot(update)
            } else {
                EventBody::BookDelta(update)
            },
        });
        Ok(())
    }
}

impl Codec for OkxCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: WS_PATH.into(),
            }]
            .into(),
            timer_interval_ms: 1_000,
            idle_timeout_ms: 35_000,
            client_ping: RSome(ClientPing {
                interval_ms: 20_000,
                text: "ping".into(),
            }),
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }
    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        for b in &mut self.books {
            b.reset();
        }
        if self.ct_val.iter().all(Option::is_some) {
            self.subscribe_frames(conn, &mut out);
        } else {
            if !self.waiting.contains(&conn) {
                self.waiting.push(conn);
            }
            self.request_instruments(&mut out);
        }
        out
    }
    fn on_frame(&mut self, conn: u32, text: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        if text == "pong" {
            return Ok(out);
        }
        if is_books_push(text) {
            let push: BooksPush<'_> =
                serde_json::from_str(text).map_err(|e| SdkError::decode(format!("books: {e}")))?;
            let Some((inst, ct)) = self.inst(push.arg.inst_id.unwrap_or(""), &mut out) else {
                return Ok(out);
            };
            let snapshot = push.action == Some("snapshot");
            for m in push.data {
                self.on_books(inst, ct, conn, snapshot, &m, ts_recv, &mut out)?;
            }
            return Ok(out);
        }
        let env: Envelope<'_> =
            serde_json::from_str(text).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        if let Some(event) = env.event {
            let what = env.arg.as_ref().map_or_else(String::new, |a| {
                format!("{} {}", a.channel, a.inst_id.unwrap_or(""))
            });
            match event {
                "subscribe" => out.notice(NoticeKind::Subscribed, what),
                "error" => out.notice(
                    NoticeKind::Rejected,
                    format!("{} {}", env.code.unwrap_or("?"), env.msg.unwrap_or("")),
                ),
                _ => {}
            }
            return Ok(out);
        }
        let (Some(arg), Some(data)) = (env.arg, env.data) else {
            return Err(SdkError::decode("frame has neither event nor arg+data"));
        };
        let raw = data.get();
        let de = |what: &str, e: serde_json::Error| SdkError::decode(format!("{what}: {e}"));
        let channel = arg.channel;
        let id = arg.inst_id.unwrap_or("");
        match channel {
            "books" => {
                let msgs: Vec<BooksMsg<'_>> =
                    serde_json::from_str(raw).map_err(|e| de(channel, e))?;
                let Some((inst, ct)) = self.inst(id, &mut out) else {
                    return Ok(out);
                };
                let snapshot = env.action == Some("snapshot");
                for m in msgs {
                    self.on_books(inst, ct, conn, snapshot, &m, ts_recv, &mut out)?;
                }
            }
            "liquidation-orders" => {
                let msgs: Vec<LiquidationMsg<'_>> =
                    serde_json::from_str(raw).map_err(|e| de(channel, e))?;
                let lookup = |inst_id: &str| {
                    let &i = self.by_inst_id.get(inst_id)?;
                    Some((i, self.contract_value(i)))
                };
                out.events
                    .extend(parse_liquidations(&msgs, lookup, ts_recv)?);
            }
            "index-tickers" => {
                let msgs: Vec<IndexMsg<'_>> =
                    serde_json::from_str(raw).map_err(|e| de(channel, e))?;
                match (self.by_index.get(id), parse_index(&msgs)?) {
                    (Some(insts), Some(p)) => {
                        for &i in insts {
                            self.last_index[i as usize] = p;
                        }
                    }
                    (None, _) => out.notice(NoticeKind::UnknownSymbol, id.to_owned()),
                    _ => {}
                }
            }
            "trades" | "tickers" | "funding-rate" | "open-interest" | "mark-price" => {
                let Some((inst, ct)) = self.inst(id, &mut out) else {
                    return Ok(out);
                };
                let events = match channel {
                    "trades" => parse_trades(
                        &serde_json::from_str::<Vec<TradeMsg<'_>>>(raw)
                            .map_err(|e| de(channel, e))?,
                        inst,
                        ct,
                        ts_recv,
                    )?,
                    "tickers" => parse_tickers(
                        &serde_json::from_str::<Vec<TickerMsg<'_>>>(raw)
                            .map_err(|e| de(channel, e))?,
                        inst,
                        ts_recv,
                    )?,
                    "funding-rate" => parse_funding(
                        &serde_json::from_str::<Vec<FundingMsg<'_>>>(raw)
                            .map_err(|e| de(channel, e))?,
                        inst,
                        ts_recv,
                    )?,
                    "open-interest" => parse_open_interest(
                        &serde_json::from_str::<Vec<OpenInterestMsg<'_>>>(raw)
                            .map_err(|e| de(channel, e))?,
                        inst,
                        ct,
                        ts_recv,
                    )?,
                    _ => parse_mark(
                        &serde_json::from_str::<Vec<MarkMsg<'_>>>(raw)
                            .map_err(|e| de(channel, e))?,
                        inst,
                        self.last_index[inst as usize],
                        ts_recv,
                    )?,
                };
                self.emit(inst, events, &mut out);
            }
            other => out.notice(NoticeKind::Stale, format!("unhandled channel {other}")),
        }
        Ok(out)
    }
    fn on_http(
        &mut self,
        tag: u64,
        resp: &HttpResponse,
        _ts_recv: u64,
    ) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        if tag != TAG_INSTRUMENTS {
            out.notice(NoticeKind::Stale, format!("answer for unknown tag {tag}"));
            return Ok(out);
        }
        self.instruments_in_flight = false;
        if resp.status != 200 {
            out.notice(
                NoticeKind::Rejected,
                format!("instruments: HTTP {} {}", resp.status, resp.body),
            );
            return Ok(out);
        }
        let v: Value = serde_json::from_str(&resp.body)
            .map_err(|e| SdkError::decode(format!("instruments: {e}")))?;
        if v["code"] != "0" {
            out.notice(NoticeKind::Rejected, format!("instruments: {}", v["msg"]));
            return Ok(out);
        }
        let mut found = vec![None; self.ct_val.len()];
        for row in v["data"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let (Some(id), Some(ct)) = (row["instId"].as_str(), row["ctVal"].as_str()) else {
                continue;
            };
            if let Some(&i) = self.by_inst_id.get(id) {
                found[i as usize] = Some(dec(ct, "ctVal")?);
            }
        }
        for (i, f) in found.into_iter().enumerate() {
            match f {
                Some(ct) => self.ct_val[i] = Some(ct),
                None => out.notice(
                    NoticeKind::UnknownSymbol,
                    format!(
                        "{} is not a listed swap",
                        self.cfg.instruments[i].venue_symbol
                    ),
                ),
            }
        }
        // Subscribe with what is known; unlisted instruments are refused by the venue and
        // counted, the rest run.
        for i in 0..self.ct_val.len() {
            if self.ct_val[i].is_none() {
                self.ct_val[i] = Some(FixedDecimal::new(1, 0));
            }
        }
        for conn in std::mem::take(&mut self.waiting) {
            self.subscribe_frames(conn, &mut out);
        }
        Ok(out)
    }
    fn on_timer(&mut self, _now: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        if !self.waiting.is_empty() {
            self.request_instruments(&mut out);
        }
        out
    }
    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        for b in &mut self.books {
            b.reset();
        }
        CodecOutput::default()
    }
}
