//! The sans-IO codec: what to connect to, what to send, and how frames become events.
//!
//! Protocol (the template venue's): one WebSocket at `/ws`; the client sends
//! `{"op":"subscribe","args":["trades.BTC-PERP","book.BTC-PERP"]}` and `{"op":"ping"}`; the venue
//! pushes `trades` (`{"channel":"trades","symbol":S,"data":[{"id","price","size","side","ts"}]}`)
//! and `book` (`{"channel":"book","symbol":S,"type":"snapshot"|"update","seq":N,"ts":T,
//! "bids":[[p,s]],"asks":[[p,s]]}`, sizes absolute, `0` removes a level). Each update's `seq` is
//! the previous one plus 1: anything else is a gap, counted, and the book is resubscribed (the
//! venue answers with a fresh snapshot).

use orderflow_tool_sdk::prelude::*;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// One frame from the venue (every field optional: events, pushes and answers share it).
#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    event: Option<&'a str>,
    channel: Option<&'a str>,
    symbol: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    seq: Option<u64>,
    ts: Option<u64>,
    #[serde(default, borrow)]
    bids: Vec<(&'a str, &'a str)>,
    #[serde(default, borrow)]
    asks: Vec<(&'a str, &'a str)>,
    #[serde(default, borrow)]
    data: Vec<WireTrade<'a>>,
    msg: Option<&'a str>,
}

/// One trade on the wire.
#[derive(Debug, Deserialize)]
struct WireTrade<'a> {
    id: u64,
    price: &'a str,
    size: &'a str,
    side: &'a str,
    ts: u64,
}

/// The codec state.
#[derive(Debug)]
pub struct {{Name}}Codec {
    config: CodecConfig,
    by_symbol: BTreeMap<String, u32>,
    /// Last applied book `seq` per instrument; `None` until a snapshot.
    book_seq: Vec<Option<u64>>,
}

fn dec(s: &str, what: &str) -> Result<FixedDecimal, SdkError> {
    FixedDecimal::parse(s).map_err(|e| SdkError::decode(format!("{what} {s:?}: {e}")))
}

fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// Decodes one trade (pure: the unit of a real-payload test).
///
/// # Errors
/// An unparseable price, size or side.
fn parse_trade(inst: u32, t: &WireTrade<'_>, ts_recv: u64) -> Result<MarketEvent, SdkError> {
    let aggressor = match t.side {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        other => return Err(SdkError::decode(format!("side {other:?}"))),
    };
    Ok(MarketEvent {
        instrument: inst,
        ts_event: ms_to_ns(t.ts),
        ts_recv,
        body: EventBody::Trade(Trade {
            price: dec(t.price, "price")?,
            size: dec(t.size, "size")?,
            aggressor,
            trade_id: t.id,
        }),
    })
}

/// Decodes the levels of a book message.
///
/// # Errors
/// An unparseable price or size.
fn parse_levels(f: &Frame<'_>) -> Result<Vec<BookLevel>, SdkError> {
    let side = |rows: &[(&str, &str)], side: Side| -> Result<Vec<BookLevel>, SdkError> {
        rows.iter()
            .map(|(p, s)| {
                Ok(BookLevel {
                    side,
                    price: dec(p, "price")?,
                    size: dec(s, "size")?,
                })
            })
            .collect()
    };
    let mut levels = side(&f.bids, Side::Buy)?;
    levels.extend(side(&f.asks, Side::Sell)?);
    Ok(levels)
}

impl {{Name}}Codec {
    /// A codec for `config`.
    ///
    /// # Errors
    /// Another venue, or no instruments.
    pub fn new(config: CodecConfig) -> Result<Self, SdkError> {
        if config.venue != crate::VENUE {
            return Err(SdkError::invalid_args(format!(
                "plugin {} does not serve venue {:?}",
                crate::VENUE,
                config.venue
            )));
        }
        if config.instruments.is_empty() {
            return Err(SdkError::invalid_args("no instruments configured"));
        }
        let mut by_symbol = BTreeMap::new();
        for (i, m) in config.instruments.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| SdkError::invalid_args("too many instruments"))?;
            by_symbol.insert(m.venue_symbol.clone(), i);
        }
        let n = config.instruments.len();
        Ok(Self {
            config,
            by_symbol,
            book_seq: vec![None; n],
        })
    }

    fn send(out: &mut CodecOutput, conn: u32, op: &str, args: Vec<String>) {
        out.actions.push(HostAction::Send {
            conn,
            text: json!({"op": op, "args": args}).to_string().into(),
        });
    }

    fn on_book(
        &mut self,
        inst: u32,
        conn: u32,
        f: &Frame<'_>,
        ts_recv: u64,
        out: &mut CodecOutput,
    ) -> Result<(), SdkError> {
        let levels = parse_levels(f)?; // parse first: a bad frame leaves the book as it was
        let seq = f.seq.ok_or_else(|| SdkError::decode("book without seq"))?;
        let snapshot = f.kind == Some("snapshot");
        let Some(last) = self.book_seq.get_mut(inst as usize) else {
            return Ok(());
        };
        if !snapshot && !self.config.decode_only {
            match *last {
                None => {
                    out.notice(NoticeKind::Stale, format!("update before snapshot, seq {seq}"));
                    return Ok(());
                }
                Some(prev) if seq != prev + 1 => {
                    out.notice(NoticeKind::Gap, format!("seq {prev} → {seq}"));
                    *last = None;
                    let topic = format!("book.{}", f.symbol.unwrap_or(""));
                    Self::send(out, conn, "unsubscribe", vec![topic.clone()]);
                    Self::send(out, conn, "subscribe", vec![topic]);
                    out.notice(NoticeKind::Resync, f.symbol.unwrap_or("").to_owned());
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        *last = Some(seq);
        let update = BookUpdate {
            levels: levels.into(),
            sequence: seq,
        };
        out.events.push(MarketEvent {
            instrument: inst,
            ts_event: f.ts.map_or(ts_recv, ms_to_ns),
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

impl Codec for {{Name}}Codec {
    fn plan(&self) -> ConnectionPlan {
        ConnectionPlan {
            connections: vec![ConnectionSpec {
                conn: 0,
                path: "/ws".into(),
            }]
            .into(),
            timer_interval_ms: 0,
            idle_timeout_ms: 30_000,
            client_ping: RSome(ClientPing {
                interval_ms: 15_000,
                text: r#"{"op":"ping"}"#.into(),
            }),
            min_backoff_ms: 250,
            max_backoff_ms: 30_000,
        }
    }

    fn on_connected(&mut self, conn: u32, _ts_recv: u64) -> CodecOutput {
        let mut out = CodecOutput::default();
        self.book_seq.iter_mut().for_each(|s| *s = None);
        let args = self
            .config
            .instruments
            .iter()
            .flat_map(|m| [format!("trades.{}", m.venue_symbol), format!("book.{}", m.venue_symbol)])
            .collect();
        Self::send(&mut out, conn, "subscribe", args);
        out
    }

    fn on_frame(&mut self, conn: u32, frame: &str, ts_recv: u64) -> Result<CodecOutput, SdkError> {
        let f: Frame<'_> =
            serde_json::from_str(frame).map_err(|e| SdkError::decode(format!("frame: {e}")))?;
        let mut out = CodecOutput::default();
        match (f.event, f.channel) {
            (Some("subscribed"), _) => out.notice(NoticeKind::Subscribed, frame.to_owned()),
            (Some("error"), _) => out.notice(NoticeKind::Rejected, f.msg.unwrap_or("").to_owned()),
            (Some(_), _) => {} // pong and other events
            (None, Some(channel)) => {
                let symbol = f.symbol.unwrap_or("");
                let Some(&inst) = self.by_symbol.get(symbol) else {
                    out.notice(NoticeKind::UnknownSymbol, symbol.to_owned());
                    return Ok(out);
                };
                match channel {
                    "trades" => {
                        let events: Result<Vec<_>, _> =
                            f.data.iter().map(|t| parse_trade(inst, t, ts_recv)).collect();
                        out.events.extend(events?);
                    }
                    "book" => self.on_book(inst, conn, &f, ts_recv, &mut out)?,
                    other => out.notice(NoticeKind::Stale, format!("unhandled channel {other}")),
                }
            }
            (None, None) => return Err(SdkError::decode("frame has neither event nor channel")),
        }
        Ok(out)
    }


    fn on_disconnected(&mut self, _conn: u32, _now: u64) -> CodecOutput {
        self.book_seq.iter_mut().for_each(|s| *s = None);
        CodecOutput::default()
    }
}
