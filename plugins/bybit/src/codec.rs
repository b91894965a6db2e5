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

use crate::common::{BOOK_DEPTH, Category, dec, ms, trade_id};
use orderflow_tool_sdk::std_types::RSome;
use orderflow_tool_sdk::{
    BookLevel, BookUpdate, ClientPing, Codec, CodecConfig, CodecOutput, ConnectionPlan,
    ConnectionSpec, EventBody, FixedDecimal, Funding, HostAction, HttpResponse, Liquidation,
    MarkPrice, MarketEvent, NoticeKind, OpenInterest, SdkError, Side, Ticker24h, Trade,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Topics per subscribe request.
pub const ARGS_PER_REQUEST: usize = 10;

#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    op: Option<&'a str>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, borrow)]
    ret_msg: Option<&'a str>,
    #[serde(default, borrow)]
    topic: Option<&'a str>,
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a str>,
    #[serde(default)]
    ts: Option<u64>,
    #[serde(default, borrow)]
    data: Option<&'a serde_json::value::RawValue>,
}

#[derive(Debug, Deserialize)]
struct BookData<'a> {
    #[serde(borrow)]
    b: Vec<[&'a str; 2]>,
    #[serde(borrow)]
    a: Vec<[&'a str; 2]>,
    u: u64,
}

#[derive(Debug, Deserialize)]
struct TradeData<'a> {
    #[serde(rename = "T")]
    time: u64,
    #[serde(rename = "S")]
    side: &'a str,
    v: &'a str,
    p: &'a str,
    i: &'a str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TickerData<'a> {
    #[serde(default, borrow)]
    last_price: Option<&'a str>,
    #[serde(default, borrow)]
    prev_price24h: Option<&'a str>,
    #[serde(default, borrow)]
    high_price24h: Option<&'a str>,
    #[serde(default, borrow)]
    low_price24h: Option<&'a str>,
    #[serde(default, borrow)]
    volume24h: Option<&'a str>,
    #[serde(default, borrow)]
    turnover24h: Option<&'a str>,
    #[serde(default, borrow)]
    mark_price: Option<&'a str>,
    #[serde(default, borrow)]
    index_price: Option<&'a str>,
    #[serde(default, borrow)]
    open_interest: Option<&'a str>,
    #[serde(default, borrow)]
    funding_rate: Option<&'a str>,
    #[serde(default, borrow)]
    next_funding_time: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
struct LiquidationData<'a> {
    #[serde(rename = "T")]
    time: u64,
    #[serde(rename = "S")]
    side: &'a str,
    v: &'a str,
    p: &'a str,
}

/// The merged ticker of an instrument.
#[derive(Clone, Copy, Debug, Default)]
struct Ticker {
    last: Option<FixedDecimal>,
    open: Option<FixedDecimal>,
    high: Option<FixedDecimal>,
    low: Option<FixedDecimal>,
    volume: Option<FixedDecimal>,
    turnover: Option<FixedDecimal>,
    mark: Option<FixedDecimal>,
    index: Option<FixedDecimal>,
    open_interest: Option<FixedDecimal>,
    funding: Option<FixedDecimal>,
    next_funding_ms: Option<u64>,
}

fn side_of(s: &str) -> Result<Side, SdkError> {
    match s {
        "Buy" => Ok(Side::Buy),
        "Sell" => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("side {other:?}"))),
    }
}

fn opt(v: Option<&str>, what: &str) -> Result<Option<FixedDecimal>, SdkError> {
    v.filter(|s| !s.is_empty())
        .map(|s| dec(s, what))
        .transpose()
}

/// The Bybit codec.
#[derive(Debug)]
pub struct BybitCodec {
    cfg: CodecConfig,
    by_symbol: BTreeMap<String, u32>,
    /// Last applied `u` per instrument; `None` until a snapshot.
    book_u: Vec<Option<u64>>,
    tickers: Vec<Ticker>,
    /// Recent trade ids per instrument: Bybit ids are UUIDs (not ordered), so repeats are found
    /// by membership in the last [`RECENT_TRADE_IDS`] ids.
    recent_trades: Vec<std::collections::VecDeque<u64>>,
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
            book_u: vec![None; n],
            tickers: vec![Ticker::default(); n],
            recent_trades: vec![std::collections::VecDeque::new(); n],
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
        self.book_u.get(inst as usize).copied().flatten()
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
        self.book_u.iter_mut().for_each(|u| *u = None);
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
        let ts = ms(env.ts.unwrap_or(0));
        if kind.starts_with("orderbook.") {
            let d: BookData<'_> = serde_json::from_str(raw)
                .map_err(|e| SdkError::decode(format!("orderbook: {e}")))?;
            let mut levels = Vec::with_capacity(d.b.len() + d.a.len());
            for (side, rows) in [(Side::Buy, &d.b), (Side::Sell, &d.a)] {
                for [p, q] in rows {
                    levels.push(BookLevel {
                        side,
                        price: dec(p, "price")?,
                        size: dec(q, "size")?,
                    });
                }
            }
            let Some(inst) = self.inst(symbol, &mut out) else {
                return Ok(out);
            };
            let snapshot = env.kind == Some("snapshot");
            let update = BookUpdate {
                levels: levels.into(),
                sequence: d.u,
            };
            if self.sync_books {
                let last = &mut self.book_u[inst as usize];
                if snapshot {
                    *last = Some(d.u);
                } else {
                    match *last {
                        None => {
                            out.notice(NoticeKind::Stale, format!("book {inst} not synced"));
                            return Ok(out);
                        }
                        Some(l) if d.u <= l => {
                            out.notice(NoticeKind::Stale, format!("book {inst}: u {} ≤ {l}", d.u));
                            return Ok(out);
                        }
                        Some(l) if d.u != l + 1 => {
                            *last = None;
                            out.notice(
                                NoticeKind::Gap,
                                format!("book {inst}: expected u {}, got {}", l + 1, d.u),
                            );
                            let t = vec![topic.to_owned()];
                            self.subscribe(conn, "unsubscribe", &t, &mut out);
                            self.subscribe(conn, "subscribe", &t, &mut out);
                            out.notice(NoticeKind::Resync, symbol.to_owned());
                            return Ok(out);
                        }
                        Some(_) => *last = Some(d.u),
                    }
                }
            }
            out.events.push(MarketEvent {
                instrument: inst,
                ts_event: ts,
                ts_recv,
                body: if snapshot {
                    EventBody::BookSnapshot(update)
                } else {
                    EventBody::BookDelta(update)
                },
            });
        } else if kind == "publicTrade" || kind.starts_with("trade.") {
            // `publicTrade.<S>` is the v5 topic; captures also show `trade.<category>.<S>`.
            let rows: Vec<TradeData<'_>> = serde_json::from_str(raw)
                .map_err(|e| SdkError::decode(format!("publicTrade: {e}")))?;
            let mut evs = Vec::with_capacity(rows.len());
            for t in &rows {
                evs.push((
                    ms(t.time),
                    Trade {
                        price: dec(t.p, "p")?,
                        size: dec(t.v, "v")?,
                        aggressor: side_of(t.side)?,
                        trade_id: trade_id(t.i),
                    },
                ));
            }
            let Some(inst) = self.inst(symbol, &mut out) else {
                return Ok(out);
            };
            for (t, tr) in evs {
                if self.sync_books {
                    let seen = &mut self.recent_trades[inst as usize];
                    if seen.contains(&tr.trade_id) {
                        out.notice(NoticeKind::Stale, format!("repeated trade of {inst}"));
                        continue;
                    }
                    if seen.len() >= RECENT_TRADE_IDS {
                        seen.pop_front();
                    }
                    seen.push_back(tr.trade_id);
                }
                out.events.push(MarketEvent {
                    instrument: inst,
                    ts_event: t,
                    ts_recv,
                    body: EventBody::Trade(tr),
                });
            }
        } else if kind == "tickers" {
            let d: TickerData<'_> =
                serde_json::from_str(raw).map_err(|e| SdkError::decode(format!("tickers: {e}")))?;
            let parsed = Ticker {
                last: opt(d.last_price, "lastPrice")?,
                open: opt(d.prev_price24h, "prevPrice24h")?,
                high: opt(d.high_price24h, "highPrice24h")?,
                low: opt(d.low_price24h, "lowPrice24h")?,
                volume: opt(d.volume24h, "volume24h")?,
                turnover: opt(d.turnover24h, "turnover24h")?,
                mark: opt(d.mark_price, "markPrice")?,
                index: opt(d.index_price, "indexPrice")?,
                open_interest: opt(d.open_interest, "openInterest")?,
                funding: opt(d.funding_rate, "fundingRate")?,
                next_funding_ms: d
                    .next_funding_time
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<u64>()
                            .map_err(|_| SdkError::decode(format!("nextFundingTime {s:?}")))
                    })
                    .transpose()?,
            };
            let Some(inst) = self.inst(symbol, &mut out) else {
                return Ok(out);
            };
            let t = &mut self.tickers[inst as usize];
            let merge = |old: &mut Option<FixedDecimal>, new: Option<FixedDecimal>| {
                if new.is_some() {
                    *old = new;
                }
            };
            merge(&mut t.last, parsed.last);
            merge(&mut t.open, parsed.open);
            merge(&mut t.high, parsed.high);
            merge(&mut t.low, parsed.low);
            merge(&mut t.volume, parsed.volume);
            merge(&mut t.turnover, parsed.turnover);
            merge(&mut t.mark, parsed.mark);
            merge(&mut t.index, parsed.index);
            merge(&mut t.open_interest, parsed.open_interest);
            merge(&mut t.funding, parsed.funding);
            if parsed.next_funding_ms.is_some() {
                t.next_funding_ms = parsed.next_funding_ms;
            }
            let t = *t;
            let ev = |body| MarketEvent {
                instrument: inst,
                ts_event: ts,
                ts_recv,
                body,
            };
            if (parsed.last.is_some()
                || parsed.volume.is_some()
                || parsed.high.is_some()
                || parsed.low.is_some())
                && let (Some(last), Some(open), Some(high), Some(low)) =
                    (t.last, t.open, t.high, t.low)
            {
                out.events.push(ev(EventBody::Ticker(Ticker24h {
                    last,
                    open,
                    high,
                    low,
                    volume: t.volume.unwrap_or(FixedDecimal::ZERO),
                    quote_volume: t.turnover.unwrap_or(FixedDecimal::ZERO),
                    trade_count: 0,
                })));
            }
            if (parsed.mark.is_some() || parsed.index.is_some())
                && let Some(mark) = t.mark
            {
                out.events.push(ev(EventBody::MarkPrice(MarkPrice {
                    mark,
                    index: t.index.unwrap_or(FixedDecimal::ZERO),
                })));
            }
            if (parsed.funding.is_some() || parsed.next_funding_ms.is_some())
                && let Some(rate) = t.funding
            {
                out.events.push(ev(EventBody::Funding(Funding {
                    rate,
                    next_funding_ns: ms(t.next_funding_ms.unwrap_or(0)),
                })));
            }
            if let Some(oi) = parsed.open_interest {
                out.events.push(ev(EventBody::OpenInterest(OpenInterest {
                    open_interest: oi,
                })));
            }
        } else if kind == "allLiquidation" {
            let rows: Vec<LiquidationData<'_>> = serde_json::from_str(raw)
                .map_err(|e| SdkError::decode(format!("allLiquidation: {e}")))?;
            let mut evs = Vec::with_capacity(rows.len());
            for l in &rows {
                // `S` is the liquidated position's side: a long (Buy) is closed by a sell order.
                let side = match side_of(l.side)? {
                    Side::Buy => Side::Sell,
                    Side::Sell => Side::Buy,
                };
                evs.push((
                    ms(l.time),
                    Liquidation {
                        side,
                        price: dec(l.p, "p")?,
                        size: dec(l.v, "v")?,
                    },
                ));
            }
            let Some(inst) = self.inst(symbol, &mut out) else {
                return Ok(out);
            };
            out.events.extend(evs.into_iter().map(|(t, l)| MarketEvent {
                instrument: inst,
                ts_event: t,
                ts_recv,
                body: EventBody::Liquidation(l),
            }));
        } else {
            out.notice(NoticeKind::Stale, format!("unhandled topic {topic}"));
        }
        Ok(out)
    }
    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.book_u.iter_mut().for_each(|u| *u = None);
        CodecOutput::default()
    }
    /// Bybit's public streams need no REST: any answer is unexpected.
    fn on_http(
        &mut self,
        tag: u64,
        _response: &HttpResponse,
        _ts_recv: u64,
    ) -> Result<CodecOutput, SdkError> {
        let mut out = CodecOutput::default();
        out.notice(NoticeKind::Stale, format!("answer for unknown tag {tag}"));
        Ok(out)
    }
    fn on_timer(&mut self, _now: u64) -> CodecOutput {
        CodecOutput::default()
    }
}
