//! The Kraken Futures WebSocket v1 codec, sans-IO.
//!
//! * One connection to `/ws/v1`; feeds `book`, `trade` and `ticker` subscribed for every
//!   configured product, plus `heartbeat` (one per minute keeps the connection alive; the host's
//!   idle timeout reconnects a silent one).
//! * Books: `book_snapshot` (on subscribe) resets the book; each `book` message sets one level
//!   and carries `seq` = previous + 1 per product. A repeat is stale; a jump is a gap: counted,
//!   the book unsubscribed and subscribed again (Kraken answers with a fresh snapshot).
//! * Trades: `trade_snapshot` then `trade`; the per-product trade `seq` is the trade id, repeats
//!   and older ones are dropped. Trades of `type` `liquidation` also give a liquidation event.
//! * Ticker: 24 h statistics, mark and index, the relative funding rate (a fraction per hourly
//!   funding period) with the next funding time, open interest (`PF_` contracts are 1 base unit).

use crate::common::{VENUE, WS_PATH, ms};
use crate::messages::Msg;
use crate::parse::{parse_book_delta, parse_book_snapshot, parse_ticker, parse_trade};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_plugin_common::sequencer::{ConsecutiveSequencer, SequenceError};
use orderflow_tool_sdk::std_types::RNone;
use orderflow_tool_sdk::{
    BookUpdate, Codec, CodecConfig, CodecOutput, ConnectionPlan, ConnectionSpec, EventBody,
    HostAction, MarketEvent, NoticeKind, SdkError,
};
use serde_json::json;
use std::collections::BTreeMap;

/// Feeds subscribed per product.
pub const FEEDS: [&str; 3] = ["book", "trade", "ticker"];

/// The codec.
#[derive(Debug)]
pub struct KrakenCodec {
    cfg: CodecConfig,
    by_product: BTreeMap<String, u32>,
    books: Vec<ConsecutiveSequencer>,
    trades: TradeDedup,
}

impl KrakenCodec {
    /// A codec for venue `kraken`.
    ///
    /// # Errors
    /// Another venue, or too many instruments.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        if cfg.venue != VENUE {
            return Err(SdkError::invalid_args(format!(
                "kraken plugin does not serve venue {:?}",
                cfg.venue
            )));
        }
        let mut by_product = BTreeMap::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_product.insert(m.venue_symbol.clone(), i);
        }
        let n = cfg.instruments.len();
        Ok(Self {
            cfg,
            by_product,
            books: vec![ConsecutiveSequencer::default(); n],
            trades: TradeDedup::new(n),
        })
    }

    /// The last applied book `seq` of an instrument (tests).
    pub fn book_seq(&self, inst: u32) -> Option<u64> {
        self.books
            .get(inst as usize)
            .and_then(ConsecutiveSequencer::last)
    }

    fn send(out: &mut CodecOutput, conn: u32, v: serde_json::Value) {
        out.actions.push(HostAction::Send {
            conn,
            text: v.to_string().into(),
        });
    }

    fn inst(&self, m: &Msg<'_>, out: &mut CodecOutput) -> Option<u32> {
        let p = m.product_id.unwrap_or("");
        let i = self.by_product.get(p).copied();
        if i.is_none() {
            out.notice(NoticeKind::UnknownSymbol, p.to_owned());
        }
        i
    }

    fn push_book(
        &self,
        inst: u32,
        m: &Msg<'_>,
        body: EventBody,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) {
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event: m.timestamp.map_or(ts_recv, ms),
            ts_recv,
            body,
        });
    }

    fn on_book_snapshot(
        &mut self,
        m: &Msg<'_>,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let levels = parse_book_snapshot(m)?;
        let seq = m
            .seq
            .ok_or_else(|| SdkError::decode("book_snapshot without seq"))?;
        let Some(inst) = self.inst(m, out) else {
            return Ok(());
        };
        if let Some(s) = self.books.get_mut(inst as usize) {
            s.snapshot(seq);
        }
        let update = BookUpdate {
            levels: levels.into(),
            sequence: seq,
        };
        self.push_book(inst, m, EventBody::BookSnapshot(update), ts_recv, out);
        Ok(())
    }

    fn on_book(
        &mut self,
        conn: u32,
        m: &Msg<'_>,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let level = parse_book_delta(m)?;
        let seq = m.seq.ok_or_else(|| SdkError::decode("book without seq"))?;
        let Some(inst) = self.inst(m, out) else {
            return Ok(());
        };
        if !self.cfg.decode_only
            && let Some(s) = self.books.get_mut(inst as usize)
            && let Err(e) = s.delta(seq)
        {
            match e {
                SequenceError::NotSynced | SequenceError::Stale { .. } => {
                    out.notice(NoticeKind::Stale, format!("book {inst}: {e}"));
                }
                SequenceError::Gap { .. } => {
                    out.notice(NoticeKind::Gap, format!("book {inst}: {e}"));
                    let product = m.product_id.unwrap_or("");
                    for event in ["unsubscribe", "subscribe"] {
                        Self::send(
                            out,
                            conn,
                            json!({"event": event, "feed": "book", "product_ids": [product]}),
                        );
                    }
                    out.notice(NoticeKind::Resync, product.to_owned());
                }
            }
            return Ok(());
        }
        let update = BookUpdate {
            levels: vec![level].into(),
            sequence: seq,
        };
        self.push_book(inst, m, EventBody::BookDelta(update), ts_recv, out);
        Ok(())
    }

    fn on_trades(
        &mut self,
        inst: u32,
        trades: &[&Msg<'_>],
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        // Parse the whole message first: a bad trade leaves the de-duplication state as it was.
        let parsed = trades
            .iter()
            .map(|t| parse_trade(inst, t, ts_recv))
            .collect::<Result<Vec<_>, _>>()?;
        for (trade, liquidation) in parsed {
            if let EventBody::Trade(t) = &trade.body
                && !self.cfg.decode_only
                && !self.trades.keep(inst, t.trade_id)
            {
                out.notice(
                    NoticeKind::Stale,
                    format!("repeated trade {} of {inst}", t.trade_id),
                );
                continue;
            }
            out.events.push(trade);
            out.events.extend(liquidation);
        }
        Ok(())
    }
}

impl Codec for KrakenCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: WS_PATH.into(),
            }]
            .into(),
            timer_interval_ms: 0,
            // Heartbeats arrive every 60 s.
            idle_timeout_ms: 90_000,
            client_ping: RNone,
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }

    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        let products: Vec<&str> = self
            .cfg
            .instruments
            .iter()
            .map(|m| m.venue_symbol.as_str())
            .collect();
        for feed in FEEDS {
            Self::send(
                &mut out,
                conn,
                json!({"event": "subscribe", "feed": feed, "product_ids": products}),
            );
        }
        Self::send(
            &mut out,
            conn,
            json!({"event": "subscribe", "feed": "heartbeat"}),
        );
        out
    }

    fn on_frame(&mut self, conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let m: Msg<'_> =
            serde_json::from_str(frame).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        let mut out = CodecOutput::default();
        if let Some(event) = m.event {
            match event {
                "subscribed" => out.notice(NoticeKind::Subscribed, m.feed.unwrap_or("")),
                "error" | "subscribed_failed" | "unsubscribed_failed" => out.notice(
                    NoticeKind::Rejected,
                    format!("{event}: {}", m.message.unwrap_or("")),
                ),
                _ => {} // info, unsubscribed, alert
            }
            return Ok(out);
        }
        match m.feed {
            Some("book_snapshot") => self.on_book_snapshot(&m, ts_recv, &mut out)?,
            Some("book") => self.on_book(conn, &m, ts_recv, &mut out)?,
            Some("trade") => {
                if let Some(inst) = self.inst(&m, &mut out) {
                    self.on_trades(inst, &[&m], ts_recv, &mut out)?;
                }
            }
            Some("trade_snapshot") => {
                if let Some(inst) = self.inst(&m, &mut out) {
                    let trades: Vec<&Msg<'_>> = m.trades.iter().collect();
                    self.on_trades(inst, &trades, ts_recv, &mut out)?;
                }
            }
            Some("ticker") => {
                if let Some(inst) = self.inst(&m, &mut out) {
                    out.events.extend(parse_ticker(inst, &m, ts_recv)?);
                }
            }
            Some("heartbeat") => {}
            Some(other) => out.notice(NoticeKind::Stale, format!("unhandled feed {other}")),
            None => return Err(SdkError::decode("frame has neither event nor feed")),
        }
        Ok(out)
    }

    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        CodecOutput::default()
    }
}
