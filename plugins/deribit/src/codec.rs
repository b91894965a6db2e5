//! The Deribit JSON-RPC WebSocket codec, sans-IO.
//!
//! * One connection to `/ws/api/v2`. On connect: `public/set_heartbeat` (30 s) and one
//!   `public/subscribe` with `book.{inst}.100ms`, `trades.{inst}.100ms` and
//!   `ticker.{inst}.100ms` for every configured instrument. Each `test_request` heartbeat is
//!   answered with `public/test` (Deribit closes a connection that does not answer).
//! * Books: the first message after subscribing is a `snapshot`; each `change` carries
//!   `prev_change_id`, which must equal the previous message's `change_id`. A repeat or older
//!   id is stale; a broken link is a gap — counted, the book channel unsubscribed and subscribed
//!   again (Deribit answers with a fresh snapshot), changes refused until it arrives.
//! * Trades: de-duplicated by the per-instrument `trade_seq`; trades with a `liquidation` marker
//!   also give a liquidation event.
//! * Inverse instruments (`BTC-PERPETUAL`, `ETH-PERPETUAL`) quote amounts in USD; sizes become
//!   base units by [`crate::common::usd_to_base`]. The raw USD amount stays in the recorded
//!   frame (and the REST tools show it).

use crate::common::{Margin, VENUE, WS_PATH, ms};
use crate::messages::{BookData, Envelope, TickerData, TradeData};
use crate::parse::{parse_book, parse_ticker, parse_trade};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_plugin_common::sequencer::{ConsecutiveSequencer, SequenceError};
use orderflow_tool_sdk::std_types::RNone;
use orderflow_tool_sdk::{
    BookUpdate, Codec, CodecConfig, CodecOutput, ConnectionPlan, ConnectionSpec, EventBody,
    HostAction, MarketEvent, NoticeKind, SdkError,
};
use serde_json::json;
use std::collections::BTreeMap;

/// Channel interval subscribed.
pub const INTERVAL: &str = "100ms";
/// Heartbeat interval asked of the server, seconds.
pub const HEARTBEAT_S: u64 = 30;

const ID_HEARTBEAT: u64 = 1;
const ID_SUBSCRIBE: u64 = 2;
const ID_RESUBSCRIBE: u64 = 3;
const ID_TEST: u64 = 4;

/// The codec.
#[derive(Debug)]
pub struct DeribitCodec {
    cfg: CodecConfig,
    by_name: BTreeMap<String, (u32, Margin)>,
    books: Vec<ConsecutiveSequencer>,
    trades: TradeDedup,
}

impl DeribitCodec {
    /// A codec for venue `deribit`.
    ///
    /// # Errors
    /// Another venue, or too many instruments.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        if cfg.venue != VENUE {
            return Err(SdkError::invalid_args(format!(
                "deribit plugin does not serve venue {:?}",
                cfg.venue
            )));
        }
        let mut by_name = BTreeMap::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_name.insert(m.venue_symbol.clone(), (i, Margin::of(&m.venue_symbol)));
        }
        let n = cfg.instruments.len();
        Ok(Self {
            cfg,
            by_name,
            books: vec![ConsecutiveSequencer::default(); n],
            trades: TradeDedup::new(n),
        })
    }

    /// The last applied book `change_id` of an instrument (tests).
    pub fn change_id(&self, inst: u32) -> Option<u64> {
        self.books
            .get(inst as usize)
            .and_then(ConsecutiveSequencer::last)
    }

    fn send(out: &mut CodecOutput, conn: u32, id: u64, method: &str, params: serde_json::Value) {
        out.actions.push(HostAction::Send {
            conn,
            text: json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
                .to_string()
                .into(),
        });
    }

    fn inst(&self, name: &str, out: &mut CodecOutput) -> Option<(u32, Margin)> {
        let i = self.by_name.get(name).copied();
        if i.is_none() {
            out.notice(NoticeKind::UnknownSymbol, name.to_owned());
        }
        i
    }

    fn on_book(
        &mut self,
        conn: u32,
        data: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let b: BookData<'_> =
            serde_json::from_str(data).map_err(|e| SdkError::decode(format!("book: {e}")))?;
        let Some((inst, margin)) = self.inst(b.instrument_name, out) else {
            return Ok(());
        };
        let levels = parse_book(margin, &b)?;
        let snapshot = b.kind != Some("change");
        if !self.cfg.decode_only
            && let Some(s) = self.books.get_mut(inst as usize)
        {
            if snapshot {
                s.snapshot(b.change_id);
            } else {
                let prev = b
                    .prev_change_id
                    .ok_or_else(|| SdkError::decode("book change without prev_change_id"))?;
                if let Err(e) = s.linked(prev, b.change_id) {
                    match e {
                        SequenceError::NotSynced | SequenceError::Stale { .. } => {
                            out.notice(NoticeKind::Stale, format!("book {inst}: {e}"));
                        }
                        SequenceError::Gap { .. } => {
                            out.notice(NoticeKind::Gap, format!("book {inst}: {e}"));
                            let channel = format!("book.{}.{INTERVAL}", b.instrument_name);
                            for method in ["public/unsubscribe", "public/subscribe"] {
                                Self::send(
                                    out,
                                    conn,
                                    ID_RESUBSCRIBE,
                                    method,
                                    json!({"channels": [channel]}),
                                );
                            }
                            out.notice(NoticeKind::Resync, b.instrument_name.to_owned());
                        }
                    }
                    return Ok(());
                }
            }
        }
        let update = BookUpdate {
            levels: levels.into(),
            sequence: b.change_id,
        };
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event: ms(b.timestamp),
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
        data: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let trades: Vec<TradeData<'_>> =
            serde_json::from_str(data).map_err(|e| SdkError::decode(format!("trades: {e}")))?;
        // Parse the whole message first: a bad trade leaves the de-duplication state as it was.
        let mut parsed = Vec::with_capacity(trades.len());
        for t in &trades {
            let Some((inst, margin)) = self.inst(t.instrument_name, out) else {
                continue;
            };
            parsed.push((inst, parse_trade(inst, margin, t, ts_recv)?));
        }
        for (inst, (trade, liquidation)) in parsed {
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

    fn on_ticker(
        &mut self,
        data: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let t: TickerData<'_> =
            serde_json::from_str(data).map_err(|e| SdkError::decode(format!("ticker: {e}")))?;
        if let Some((inst, margin)) = self.inst(t.instrument_name, out) {
            out.events.extend(parse_ticker(inst, margin, &t, ts_recv)?);
        }
        Ok(())
    }
}

impl Codec for DeribitCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: WS_PATH.into(),
            }]
            .into(),
            timer_interval_ms: 0,
            // Heartbeats every 30 s once set; silence for three of them reconnects.
            idle_timeout_ms: HEARTBEAT_S * 3 * 1_000,
            client_ping: RNone,
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }

    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        Self::send(
            &mut out,
            conn,
            ID_HEARTBEAT,
            "public/set_heartbeat",
            json!({"interval": HEARTBEAT_S}),
        );
        let channels: Vec<String> = self
            .cfg
            .instruments
            .iter()
            .flat_map(|m| {
                ["book", "trades", "ticker"].map(|c| format!("{c}.{}.{INTERVAL}", m.venue_symbol))
            })
            .collect();
        Self::send(
            &mut out,
            conn,
            ID_SUBSCRIBE,
            "public/subscribe",
            json!({"channels": channels}),
        );
        out
    }

    fn on_frame(&mut self, conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let e: Envelope<'_> =
            serde_json::from_str(frame).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        let mut out = CodecOutput::default();
        match (e.method, e.params) {
            (Some("subscription"), Some(p)) => {
                let channel = p.channel.unwrap_or("");
                let data = p
                    .data
                    .ok_or_else(|| SdkError::decode(format!("{channel} without data")))?
                    .get();
                match channel.split('.').next() {
                    Some("book") => self.on_book(conn, data, ts_recv, &mut out)?,
                    Some("trades") => self.on_trades(data, ts_recv, &mut out)?,
                    Some("ticker") => self.on_ticker(data, ts_recv, &mut out)?,
                    _ => out.notice(NoticeKind::Stale, format!("unhandled channel {channel}")),
                }
            }
            (Some("heartbeat"), Some(p)) => {
                if p.kind == Some("test_request") {
                    Self::send(&mut out, conn, ID_TEST, "public/test", json!({}));
                }
            }
            (Some(other), _) => out.notice(NoticeKind::Stale, format!("unhandled method {other}")),
            (None, _) => match (e.id, e.error) {
                (_, Some(err)) => out.notice(
                    NoticeKind::Rejected,
                    format!("request {:?}: {} {}", e.id, err.code, err.message),
                ),
                (Some(ID_SUBSCRIBE | ID_RESUBSCRIBE), None) => out.notice(
                    NoticeKind::Subscribed,
                    e.result.map_or("", |r| r.get()).to_owned(),
                ),
                (Some(_), None) => {} // heartbeat set, test answered
                (None, None) => return Err(SdkError::decode("frame has neither method nor id")),
            },
        }
        Ok(out)
    }

    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.books.iter_mut().for_each(ConsecutiveSequencer::reset);
        CodecOutput::default()
    }
}
