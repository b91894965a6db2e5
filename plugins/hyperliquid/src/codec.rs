//! The Hyperliquid WebSocket codec, sans-IO.
//!
//! * One connection to `/ws`; per coin `l2Book`, `trades` and `activeAssetCtx` subscriptions.
//! * Books: every `l2Book` message is a full image (20 levels per side): it is emitted as a
//!   snapshot, never a delta. There is no sequence number: an image older than the last applied
//!   one (by block time) is dropped as stale, and so is the same image again within one
//!   connection (a repeated frame: same block time, same bytes).
//! * Trades: the increasing `tid` is the trade id; repeats and older ones are dropped.
//! * `activeAssetCtx`: mark and oracle price, hourly funding (next settlement on the next hour),
//!   open interest. Hyperliquid has no public liquidation stream and no 24 h high/low in its
//!   context: the plugin emits neither (see the capability notes in the README).
//! * Keep-alive: `{"method":"ping"}` every 30 s (the server closes a connection silent for 60 s).

use crate::common::{VENUE, WS_PATH, ms};
use crate::messages::{AssetCtxMsg, Envelope, L2Book, WsTrade};
use crate::parse::{parse_asset_ctx, parse_l2_book, parse_trade};
use orderflow_plugin_common::dedup::TradeDedup;
use orderflow_tool_sdk::std_types::RSome;
use orderflow_tool_sdk::{
    BookUpdate, ClientPing, Codec, CodecConfig, CodecOutput, ConnectionPlan, ConnectionSpec,
    EventBody, HostAction, MarketEvent, NoticeKind, SdkError,
};
use serde_json::json;
use std::collections::BTreeMap;

/// Subscriptions per coin.
pub const CHANNELS: [&str; 3] = ["l2Book", "trades", "activeAssetCtx"];

/// The codec.
#[derive(Debug)]
pub struct HyperliquidCodec {
    cfg: CodecConfig,
    by_coin: BTreeMap<String, u32>,
    /// Block time (ms) and a digest of the last applied book image per coin.
    book_time: Vec<Option<(u64, u64)>>,
    trades: TradeDedup,
}

impl HyperliquidCodec {
    /// A codec for venue `hyperliquid`.
    ///
    /// # Errors
    /// Another venue, or too many instruments.
    pub fn new(cfg: CodecConfig) -> Result<Self, SdkError> {
        if cfg.venue != VENUE {
            return Err(SdkError::invalid_args(format!(
                "hyperliquid plugin does not serve venue {:?}",
                cfg.venue
            )));
        }
        let mut by_coin = BTreeMap::new();
        for (i, m) in cfg.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_coin.insert(m.venue_symbol.clone(), i);
        }
        let n = cfg.instruments.len();
        Ok(Self {
            cfg,
            by_coin,
            book_time: vec![None; n],
            trades: TradeDedup::new(n),
        })
    }

    fn inst(&self, coin: &str, out: &mut CodecOutput) -> Option<u32> {
        let i = self.by_coin.get(coin).copied();
        if i.is_none() {
            out.notice(NoticeKind::UnknownSymbol, coin.to_owned());
        }
        i
    }

    fn on_book(&mut self, raw: &str, ts_recv: u64, out: &mut CodecOutput) -> Result<(), SdkError> {
        let b: L2Book<'_> =
            serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("l2Book: {e}")))?;
        let levels = parse_l2_book(&b)?;
        let Some(inst) = self.inst(b.coin, out) else {
            return Ok(());
        };
        if let Some(last) = self.book_time.get_mut(inst as usize) {
            let digest = {
                use std::hash::{Hash, Hasher};
                let mut h = std::hash::DefaultHasher::new();
                raw.hash(&mut h);
                h.finish()
            };
            let why = match *last {
                Some((t, _)) if b.time < t => Some("image older than the last"),
                Some((t, d)) if b.time == t && d == digest => Some("the last image repeated"),
                _ => None,
            };
            if let (false, Some(why)) = (self.cfg.decode_only, why) {
                out.notice(NoticeKind::Stale, format!("book {inst}: {why}"));
                return Ok(());
            }
            *last = Some((b.time, digest));
        }
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event: ms(b.time),
            ts_recv,
            body: EventBody::BookSnapshot(BookUpdate {
                levels: levels.into(),
                sequence: b.time,
            }),
        });
        Ok(())
    }

    fn on_trades(
        &mut self,
        raw: &str,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let rows: Vec<WsTrade<'_>> =
            serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("trades: {e}")))?;
        // Parse the whole message first: a bad trade leaves the de-duplication state as it was.
        let mut parsed = Vec::with_capacity(rows.len());
        for t in &rows {
            if let Some(inst) = self.inst(t.coin, out) {
                parsed.push((inst, parse_trade(inst, t, ts_recv)?));
            }
        }
        for (inst, e) in parsed {
            if let EventBody::Trade(t) = &e.body
                && !self.cfg.decode_only
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
        Ok(())
    }
}

impl Codec for HyperliquidCodec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: WS_PATH.into(),
            }]
            .into(),
            timer_interval_ms: 0,
            idle_timeout_ms: 60_000,
            client_ping: RSome(ClientPing {
                interval_ms: 30_000,
                text: r#"{"method":"ping"}"#.into(),
            }),
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }

    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        self.book_time.iter_mut().for_each(|t| *t = None);
        for m in &self.cfg.instruments {
            for channel in CHANNELS {
                out.actions.push(HostAction::Send {
                    conn,
                    text: json!({"method": "subscribe", "subscription": {"type": channel, "coin": m.venue_symbol}})
                        .to_string()
                        .into(),
                });
            }
        }
        out
    }

    fn on_frame(&mut self, _conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let env: Envelope<'_> =
            serde_json::from_str(frame).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        let mut out = CodecOutput::default();
        let raw = env.data.map(|d| d.get());
        match (env.channel, raw) {
            ("l2Book", Some(raw)) => self.on_book(raw, ts_recv, &mut out)?,
            ("trades", Some(raw)) => self.on_trades(raw, ts_recv, &mut out)?,
            ("activeAssetCtx", Some(raw)) => {
                let c: AssetCtxMsg<'_> = serde_json::from_str(raw)
                    .map_err(|e| SdkError::decode(format!("activeAssetCtx: {e}")))?;
                let events = parse_asset_ctx(0, &c.ctx, ts_recv)?;
                if let Some(inst) = self.inst(c.coin, &mut out) {
                    out.events.extend(events.into_iter().map(|mut e| {
                        e.instrument = inst;
                        e
                    }));
                }
            }
            ("subscriptionResponse", _) => out.notice(NoticeKind::Subscribed, raw.unwrap_or("")),
            ("error", _) => out.notice(NoticeKind::Rejected, raw.unwrap_or("")),
            ("pong", _) => {}
            (other, None) => return Err(SdkError::decode(format!("{other} without data"))),
            (other, Some(_)) => out.notice(NoticeKind::Stale, format!("unhandled channel {other}")),
        }
        Ok(out)
    }

    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.book_time.iter_mut().for_each(|t| *t = None);
        CodecOutput::default()
    }
}
