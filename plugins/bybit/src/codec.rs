//! The Bybit v5 public codec, sans-IO, for linear perpetuals and spot ([`Category`]; spot has
//! no `allLiquidation` topic and its tickers carry no mark, funding or open interest).
//!
//! * Topics per instrument: `orderbook.50.<S>`, `publicTrade.<S>`, `tickers.<S>`,
//!   `allLiquidation.<S>`, subscribed in requests of [`ARGS_PER_REQUEST`] args.
//! * Books: a snapshot (also the `u = 1` snapshot Bybit sends after a service restart) resets
//!   the book; a delta must carry `u` = previous `u` + 1. A repeated or older `u` is dropped as
//!   stale; a jump is a gap: counted, deltas dropped, the topic resubscribed (Bybit answers with a
//!   fresh snapshot).
//! * Tickers arrive as a snapshot then deltas with only the changed fields: the codec merges
//!   them and emits a 24h ticker, mark/index, funding and open interest when their fields change.
//! * Trades carry UUID ids; they become stable 64-bit ids (FNV-1a); a repeat of one of the last
//!   [`RECENT_TRADE_IDS`] ids is dropped as stale.
//! * Keep-alive: `{"op":"ping"}` every 20 s; pongs are swallowed.

use crate::common::{BOOK_DEPTH, Category, ms};
use crate::messages::{BookData, Envelope, LiquidationData, TickerData, TradeData};
use crate::parse::{Ticker, parse_book_levels, parse_liquidations, parse_ticker, parse_trades};
use orderflow_plugin_common::dedup::RecentIds;
use orderflow_plugin_common::sequencer::{ConsecutiveSequencer, SequenceError};
use orderflow_tool_sdk::std_types::RSome;
use orderflow_tool_sdk::{
    BookUpdate, ClientPing, Codec, CodecConfig, CodecOutput, ConnectionPlan, ConnectionSpec,
    EventBody, HostAction, MarketEvent, NoticeKind, SdkError,
};
use serde_json::json;
use std::collections::BTreeMap;

/// Topics per subscribe request.
pub const ARGS_PER_REQUEST: usize = 10;

/// The Bybit codec.
#[derive(Debug)]
pub struct BybitCodec {
    cfg: CodecConfig,
    by_symbol: BTreeMap<String, u32>,
    /// Book continuity per instrument.
    books: Vec<ConsecutiveSequencer>,
    /// Merged tickers per instrument.
    tickers: Vec<Ticker>,
    /// Bybit trade ids are UUIDs (not ordered): repeats are found by membership in the last
    /// [`RECENT_TRADE_IDS`] ids.
    recent_trades: RecentIds,
    next_req: u64,
    sync_books: bool,
    category: Category,
}

/// Trade ids remembered per instrument for duplicate detection.
pub const RECENT_TRADE_IDS: usize = 1_024;

impl BybitCodec {
    /// A codec for venue `bybit`.
    ///
    /// # Errors
    /// Another venue.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        let category = Category::of_venue(&cfg.venue).ok_or_else(|| {
            SdkError::invalid_args(format!("bybit plugin does not serve venue {:?}", cfg.venue))
        })?;
        let mut by_symbol = BTreeMap::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_symbol.insert(m.venue_symbol.clone(), i);
        }
        let n = cfg.instruments.len();
        let decode_only = cfg.decode_only;
        let codec = Self {
            category,
            cfg,
            by_symbol,
            books: vec![ConsecutiveSequencer::default(); n],
            tickers: vec![Ticker::default(); n],
            recent_trades: RecentIds::new(n, RECENT_TRADE_IDS),
            next_req: 1,
            sync_books: true,
        };
        Ok(if decode_only {
            codec.without_book_sync()
        } else {
            codec
        })
    }

    /// Decode-only mode (`orderflow parse`): deltas pass without the `u` state.
    pub fn without_book_sync(mut self) -> Self {
        self.sync_books = false;
        self
    }

    /// Last applied book update id (tests).
    pub fn book_u(&self, inst: u32) -> Option<u64> {
        self.books
            .get(inst as usize)
            .and_then(ConsecutiveSequencer::last)
    }

    fn subscribe(&mut self, conn: u32, op: &str, topics: &[String], out: &mut CodecOutput) {
        for chunk in topics.chunks(ARGS_PER_REQUEST) {
            let id = self.next_req;
            self.next_req += 1;
            out.actions.push(HostAction::Send {
                conn,
                text: json!({"op": op, "args": chunk, "req_id": id.to_string()})
                    .to_string()
                    .into(),
            });
        }
    }

    fn inst(&self, symbol: &str, out: &mut CodecOutput) -> Option<u32> {
        let i = self.by_symbol.get(symbol).copied();
        if i.is_none() {
            out.notice(NoticeKind::UnknownSymbol, symbol.to_owned());
        }
        i
    }
    fn on_book(
        &mut self,
        conn: u32,
        env: &Envelope<'_>,
        symbol: &str,
        raw: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let topic = env.topic.unwrap_or("");
        let d: BookData<'_> =
            serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("orderbook: {e}")))?;
        let levels = parse_book_levels(&d)?;
        let Some(inst) = self.inst(symbol, out) else {
            return Ok(());
        };
        let snapshot = env.kind == Some("snapshot");
        if self.sync_books {
            let seq = &mut self.books[inst as usize];
            if snapshot {
                seq.snapshot(d.u);
            } else if let Err(e) = seq.delta(d.u) {
                match e {
                    SequenceError::NotSynced | SequenceError::Stale { .. } => {
                        out.notice(NoticeKind::Stale, format!("book {inst}: {e}"));
                    }
                    SequenceError::Gap { .. } => {
                        out.notice(NoticeKind::Gap, format!("book {inst}: {e}"));
                        let t = vec![topic.to_owned()];
                        self.subscribe(conn, "unsubscribe", &t, out);
                        self.subscribe(conn, "subscribe", &t, out);
                        out.notice(NoticeKind::Resync, symbol.to_owned());
                    }
                }
                return Ok(());
            }
        }
        let update = BookUpdate {
            levels: levels.into(),
            sequence: d.u,
        };
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event: ms(env.ts.unwrap_or(0)),
            ts_recv,
            body: if snapshot {
                EventBody::BookSnapshot(update)
            } else {
                EventBody::BookDelta(update)
            },
        });
        Ok(())
    }

    fn on_trades(
        &mut self,
        symbol: &str,
        raw: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let rows: Vec<TradeData<'_>> =
            serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("publicTrade: {e}")))?;
        let trades = parse_trades(&rows)?;
        let Some(inst) = self.inst(symbol, out) else {
            return Ok(());
        };
        for (ts_event, trade) in trades {
            // Decode-only use (`orderflow parse`) keeps every payload's trades.
            if self.sync_books && !self.recent_trades.keep(inst, trade.trade_id) {
                out.notice(NoticeKind::Stale, format!("repeated trade of {inst}"));
                continue;
            }
            out.events.push(MarketEvent {
                instrument: inst,
                ts_event,
                ts_recv,
                body: EventBody::Trade(trade),
            });
        }
        Ok(())
    }

    fn on_ticker(
        &mut self,
        env: &Envelope<'_>,
        symbol: &str,
        raw: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let d: TickerData<'_> =
            serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("tickers: {e}")))?;
        let parsed = parse_ticker(&d)?;
        let Some(inst) = self.inst(symbol, out) else {
            return Ok(());
        };
        let ts_event = ms(env.ts.unwrap_or(0));
        if let Some(t) = self.tickers.get_mut(inst as usize) {
            out.events.extend(t.merge(&parsed, inst, ts_event, ts_recv));
        }
        Ok(())
    }

    fn on_liquidations(
        &mut self,
        symbol: &str,
        raw: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let rows: Vec<LiquidationData<'_>> = serde_json::from_str(raw)
            .map_err(|e| SdkError::decode(format!("allLiquidation: {e}")))?;
        let liquidations = parse_liquidations(&rows)?;
        let Some(inst) = self.inst(symbol, out) else {
            return Ok(());
        };
        out.events
            .extend(liquidations.into_iter().map(|(ts_event, l)| MarketEvent {
                instrument: inst,
                ts_event,
                ts_recv,
                body: EventBody::Liquidation(l),
            }));
        Ok(())
    }
}

impl Codec for BybitCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: self.category.ws_path().into(),
            }]
            .into(),
            timer_interval_ms: 0,
            idle_timeout_ms: 30_000,
            client_ping: RSome(ClientPing {
                interval_ms: 20_000,
                text: r#"{"op":"ping"}"#.into(),
            }),
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }
    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        let topics: Vec<String> = self
            .cfg
            .instruments
            .iter()
            .flat_map(|m| {
                let s = &m.venue_symbol;
                let mut t = vec![
                    format!("orderbook.{BOOK_DEPTH}.{s}"),
                    format!("publicTrade.{s}"),
                    format!("tickers.{s}"),
                ];
                if self.category == Category::Linear {
                    t.push(format!("allLiquidation.{s}"));
                }
                t
            })
            .collect();
        self.subscribe(conn, "subscribe", &topics, &mut out);
        out
    }
    fn on_frame(&mut self, conn: u32, text: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        let env: Envelope<'_> =
            serde_json::from_str(text).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        if let Some(op) = env.op {
            match (op, env.success) {
                ("ping" | "pong", _) => {}
                ("subscribe", Some(true)) => out.notice(NoticeKind::Subscribed, "subscribe"),
                (_, Some(false)) => out.notice(
                    NoticeKind::Rejected,
                    format!("{op}: {}", env.ret_msg.unwrap_or("")),
                ),
                _ => {}
            }
            return Ok(out);
        }
        let (Some(topic), Some(data)) = (env.topic, env.data) else {
            return Err(SdkError::decode("frame has neither op nor topic+data"));
        };
        let raw = data.get();
        let (kind, symbol) = topic.rsplit_once('.').unwrap_or((topic, ""));
        match kind {
            k if k.starts_with("orderbook.") => {
                self.on_book(conn, &env, symbol, raw, ts_recv, &mut out)?;
            }
            // `publicTrade.<S>` is the v5 topic; captures also show `trade.<category>.<S>`.
            k if k == "publicTrade" || k.starts_with("trade.") => {
                self.on_trades(symbol, raw, ts_recv, &mut out)?;
            }
            "tickers" => self.on_ticker(&env, symbol, raw, ts_recv, &mut out)?,
            "allLiquidation" => self.on_liquidations(symbol, raw, ts_recv, &mut out)?,
            _ => out.notice(NoticeKind::Stale, format!("unhandled topic {topic}")),
        }
        Ok(out)
    }
    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        CodecOutput::default()
    }
}
