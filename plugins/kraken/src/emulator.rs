//! The Kraken Futures emulator: the server side of the WebSocket v1 and REST protocols over the
//! shared seeded market ([`EmuCore`]), sans-IO.
//!
//! WebSocket `/ws/v1`: `{"event":"info","version":1}` on connect; `subscribe`/`unsubscribe` with
//! `feed` and `product_ids` (acknowledged, `error` for an unknown feed or product); `book`
//! (`book_snapshot` on subscribe, then one message per level change with `seq` + 1 per product),
//! `trade` (`trade_snapshot` of recent trades on subscribe; liquidations are trades of `type`
//! `liquidation`), `ticker` (on subscribe and every second), `heartbeat` (every 60 s). Numbers
//! are JSON numbers, written from the exact decimals. REST under `/derivatives/api/v3`:
//! `tickers`, `instruments`, `orderbook`, `history`; `/derivatives/api/v4/historicalfundingrates`;
//! `/api/charts/v1/trade/{symbol}/{resolution}`.
//!
//! Faults: `gap` (the next book message of a product skips one `seq`), plus the core's.

use crate::common::{API, WS_PATH};
use orderflow_market_sim::{BookSide, SimChange, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, MS, TradeRecord, frame_to, iso8601_ms, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::prelude::*;
use serde_json::{Value, json};
use std::fmt::Write as _;

const MAX_RECENT_TRADES: usize = 500;
const SNAPSHOT_LEVELS: usize = 500;

/// Feeds a connection subscribes to, per product (`Heartbeat` on product 0 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Feed {
    Book,
    Trade,
    Ticker,
    Heartbeat,
}

impl Feed {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "book" => Self::Book,
            "trade" => Self::Trade,
            "ticker" => Self::Ticker,
            "heartbeat" => Self::Heartbeat,
            _ => return None,
        })
    }
}

/// The emulator state.
#[derive(Debug)]
pub struct KrakenEmulator {
    core: EmuCore<Feed>,
    /// Book `seq` per product: one per level message.
    book_seq: Vec<u64>,
    /// Trade `seq` per product: one per trade, liquidations included.
    trade_seq: Vec<u64>,
    /// Last mark (ticks), index (ticks), relative funding rate, next funding (ns).
    marks: Vec<(f64, f64, f64, u64)>,
    next_heartbeat_ns: u64,
}

impl KrakenEmulator {
    /// A new emulator.
    ///
    /// # Errors
    /// Invalid tick/lot sizes.
    pub fn new(cfg: &EmulatorConfig) -> Result<Self, SdkError> {
        let core = EmuCore::new(cfg, &["gap"], MAX_RECENT_TRADES)?;
        let n = core.insts.len();
        let marks = (0..n)
            .map(|i| {
                let m = core.sim.mark(i).map_or(0.0, |m| m.0);
                (m, m, 0.000_012_5, cfg.start_ns)
            })
            .collect();
        Ok(Self {
            book_seq: (0..n).map(|i| core.sim.update_id(i) * 4).collect(),
            trade_seq: vec![0; n],
            marks,
            next_heartbeat_ns: cfg.start_ns + 60_000 * MS,
            core,
        })
    }

    fn levels_json(&self, inst: usize, side: BookSide, n: usize) -> String {
        let mut s = String::from("[");
        if let Some(b) = self.core.sim.book(inst) {
            for (k, (t, l)) in b.top(side, n).into_iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let _ = write!(
                    s,
                    r#"{{"price":{},"qty":{}}}"#,
                    self.core.px(inst, t),
                    self.core.qty(inst, l)
                );
            }
        }
        s.push(']');
        s
    }

    fn book_snapshot(&self, inst: usize) -> String {
        format!(
            r#"{{"feed":"book_snapshot","product_id":"{}","timestamp":{},"seq":{},"tickSize":null,"bids":{},"asks":{}}}"#,
            self.core.venue_symbol(inst),
            ms(self.core.now_ns),
            self.book_seq.get(inst).copied().unwrap_or(0),
            self.levels_json(inst, BookSide::Bid, SNAPSHOT_LEVELS),
            self.levels_json(inst, BookSide::Ask, SNAPSHOT_LEVELS)
        )
    }

    fn trade_json(&self, inst: usize, t: &TradeRecord, kind: &str, feed: bool) -> String {
        let head = if feed {
            format!(
                r#""feed":"trade","product_id":"{}","#,
                self.core.venue_symbol(inst)
            )
        } else {
            String::new()
        };
        format!(
            r#"{{{head}"uid":"00000000-0000-4000-8000-{:012}","side":"{}","type":"{kind}","seq":{},"time":{},"qty":{},"price":{}}}"#,
            t.id,
            if t.buy { "buy" } else { "sell" },
            t.id,
            ms(t.ts_ns),
            self.core.qty(inst, t.lots),
            self.core.px(inst, t.ticks)
        )
    }

    fn trade_snapshot(&self, inst: usize) -> String {
        let trades: Vec<String> = self
            .core
            .tape
            .recent(inst)
            .rev()
            .take(100)
            .map(|t| self.trade_json(inst, t, "fill", false))
            .collect();
        format!(
            r#"{{"feed":"trade_snapshot","product_id":"{}","trades":[{}]}}"#,
            self.core.venue_symbol(inst),
            trades.join(",")
        )
    }

    fn ticker(&self, inst: usize) -> String {
        let (open, high, low, last, lots, _) = self.core.sim.stats(inst).unwrap_or_default();
        let (mark, index, rate, next) = self.marks.get(inst).copied().unwrap_or_default();
        let oi = self.core.sim.open_interest_lots(inst).round() as u64;
        let quote = self.core.inst(inst).map_or(0.0, |i| i.notional(last, lots));
        let book = self.core.sim.book(inst);
        let best = |side| {
            book.and_then(|b| b.top(side, 1).into_iter().next())
                .unwrap_or_default()
        };
        let (bid, ask) = (best(BookSide::Bid), best(BookSide::Ask));
        let px = |t| self.core.px(inst, t);
        format!(
            r#"{{"time":{},"product_id":"{}","funding_rate":{rate:.12},"relative_funding_rate":{rate:.12},"next_funding_rate_time":{},"feed":"ticker","bid":{},"ask":{},"bid_size":{},"ask_size":{},"volume":{},"dtm":0,"leverage":"50x","index":{},"premium":0.0,"last":{},"change":0.0,"suspended":false,"tag":"perpetual","pair":"{}","openInterest":{},"markPrice":{},"maturityTime":0,"post_only":false,"volumeQuote":{quote:.2},"open":{},"high":{},"low":{}}}"#,
            ms(self.core.now_ns),
            self.core.venue_symbol(inst),
            ms(next),
            px(bid.0),
            px(ask.0),
            self.core.qty(inst, bid.1),
            self.core.qty(inst, ask.1),
            self.core.qty(inst, lots),
            self.core.px_f(inst, index),
            px(last),
            self.core.venue_symbol(inst).trim_start_matches("PF_"),
            self.core.qty(inst, oi),
            self.core.px_f(inst, mark),
            px(open),
            px(high),
            px(low),
        )
    }

    fn next_trade_seq(&mut self, inst: usize) -> u64 {
        self.trade_seq.get_mut(inst).map_or(0, |s| {
            *s += 1;
            *s
        })
    }

    fn on_change(&mut self, c: SimChange, out: &mut Vec<EmuFrame>) {
        let inst = c.inst;
        match c.kind {
            SimChangeKind::Trade {
                ticks,
                lots,
                buyer_aggressor,
                ..
            } => {
                let t = TradeRecord {
                    id: self.next_trade_seq(inst),
                    ticks,
                    lots,
                    buy: buyer_aggressor,
                    ts_ns: c.ts_ns,
                };
                let text = self.trade_json(inst, &t, "fill", true);
                self.core.push(out, inst, Feed::Trade, &text);
                self.core.record_trade(inst, t);
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                // A liquidation is a trade of type `liquidation`, in the same `seq`.
                let t = TradeRecord {
                    id: self.next_trade_seq(inst),
                    ticks,
                    lots,
                    buy,
                    ts_ns: c.ts_ns,
                };
                let text = self.trade_json(inst, &t, "liquidation", true);
                self.core.push(out, inst, Feed::Trade, &text);
            }
            SimChangeKind::Book { levels, .. } => {
                let product = self.core.venue_symbol(inst).to_owned();
                for l in levels {
                    let Some(seq) = self.book_seq.get_mut(inst) else {
                        return;
                    };
                    *seq += 1;
                    if self.core.faults.take("gap", inst) {
                        *seq += 1;
                    }
                    let text = format!(
                        r#"{{"feed":"book","product_id":"{product}","side":"{}","seq":{},"price":{},"qty":{},"timestamp":{}}}"#,
                        if l.side == BookSide::Bid {
                            "buy"
                        } else {
                            "sell"
                        },
                        *seq,
                        self.core.px(inst, l.ticks),
                        self.core.qty(inst, l.lots),
                        ms(c.ts_ns)
                    );
                    self.core.push(out, inst, Feed::Book, &text);
                }
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                next_funding_ns,
            } => {
                if let Some(m) = self.marks.get_mut(inst) {
                    *m = (mark_ticks, index_ticks, funding_rate / 8.0, next_funding_ns);
                }
            }
        }
    }

    fn rest(&self, path: &str, query: &str) -> (u16, Value) {
        let err = |status, msg: &str| (status, json!({"result": "error", "error": msg}));
        let now = ms(self.core.now_ns);
        let server_time = iso8601_ms(now);
        let inst = query_param(query, "symbol").and_then(|s| self.core.find(s));
        let json_of = |text: String| serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
        match path.strip_prefix(API) {
            Some("/tickers") => {
                let tickers: Vec<Value> = (0..self.core.insts.len())
                    .map(|i| {
                        let t = json_of(self.ticker(i));
                        json!({"symbol": self.core.venue_symbol(i), "last": t["last"], "tag": "perpetual",
                               "pair": t["pair"], "markPrice": t["markPrice"], "bid": t["bid"], "bidSize": t["bid_size"],
                               "ask": t["ask"], "askSize": t["ask_size"], "vol24h": t["volume"], "volumeQuote": t["volumeQuote"],
                               "openInterest": t["openInterest"], "open24h": t["open"], "high24h": t["high"], "low24h": t["low"],
                               "fundingRate": t["funding_rate"], "fundingRatePrediction": t["funding_rate"],
                               "suspended": false, "indexPrice": t["index"], "postOnly": false})
                    })
                    .collect();
                (
                    200,
                    json!({"result": "success", "serverTime": server_time, "tickers": tickers}),
                )
            }
            Some("/instruments") => {
                let list: Vec<Value> = self
                    .core
                    .insts
                    .iter()
                    .map(|i| json!({"symbol": i.venue_symbol, "type": "flexible_futures", "tradeable": true,
                                    "tickSize": i.tick.to_f64(), "contractSize": 1, "contractValueTradePrecision": i.lot.scale,
                                    "underlying": i.venue_symbol.trim_start_matches("PF_"), "fundingRateCoefficient": 8}))
                    .collect();
                (
                    200,
                    json!({"result": "success", "serverTime": server_time, "instruments": list}),
                )
            }
            Some("/orderbook") => {
                let Some(i) = inst else {
                    return err(400, "invalidArgument: symbol");
                };
                let side = |s| -> Vec<Value> {
                    self.core.sim.book(i).map_or_else(Vec::new, |b| {
                        b.top(s, 100)
                            .into_iter()
                            .map(|(t, l)| {
                                json!([json_of(self.core.px(i, t)), json_of(self.core.qty(i, l))])
                            })
                            .collect()
                    })
                };
                (
                    200,
                    json!({"result": "success", "serverTime": server_time,
                             "orderBook": {"bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}}),
                )
            }
            Some("/history") => {
                let Some(i) = inst else {
                    return err(400, "invalidArgument: symbol");
                };
                let history: Vec<Value> = self
                    .core
                    .tape
                    .recent(i)
                    .rev()
                    .take(100)
                    .map(|t| json!({"time": iso8601_ms(ms(t.ts_ns)), "trade_id": t.id, "price": json_of(self.core.px(i, t.ticks)),
                                    "size": json_of(self.core.qty(i, t.lots)), "side": if t.buy { "buy" } else { "sell" },
                                    "type": "fill", "uid": format!("00000000-0000-4000-8000-{:012}", t.id)}))
                    .collect();
                (
                    200,
                    json!({"result": "success", "serverTime": server_time, "history": history}),
                )
            }
            _ => match path {
                "/derivatives/api/v4/historicalfundingrates" => {
                    let Some(i) = inst else {
                        return err(400, "invalidArgument: symbol");
                    };
                    let mark = self.marks.get(i).map_or(0.0, |m| m.0)
                        * self.core.inst(i).map_or(0.0, |x| x.tick.to_f64());
                    let hour = 3_600_000;
                    let rates: Vec<Value> = (1..=48u64)
                        .rev()
                        .map(|k| {
                            let t = (now / hour).saturating_sub(k) * hour;
                            let rel = ((k * 7_919 + i as u64 * 104_729) % 200) as f64 / 1e7 - 0.000_005;
                            json!({"timestamp": iso8601_ms(t), "fundingRate": rel * mark, "relativeFundingRate": rel})
                        })
                        .collect();
                    (200, json!({"rates": rates}))
                }
                p if p.starts_with("/api/charts/v1/trade/") => {
                    let mut parts = p.trim_start_matches("/api/charts/v1/trade/").split('/');
                    let (Some(sym), Some(res)) = (parts.next(), parts.next()) else {
                        return err(404, "not found");
                    };
                    let Some(i) = self.core.find(sym) else {
                        return err(400, "invalidArgument: symbol");
                    };
                    let minutes = match res {
                        "1m" => 1,
                        "5m" => 5,
                        "15m" => 15,
                        "30m" => 30,
                        "1h" => 60,
                        "4h" => 240,
                        "12h" => 720,
                        "1d" => 1_440,
                        _ => return err(400, "invalidArgument: resolution"),
                    };
                    let candles: Vec<Value> = self
                        .core
                        .tape
                        .bars(i, minutes, 2_000)
                        .into_iter()
                        .map(|(m, c)| json!({"time": m * 60_000, "open": self.core.px(i, c.open), "high": self.core.px(i, c.high),
                                             "low": self.core.px(i, c.low), "close": self.core.px(i, c.close),
                                             "volume": self.core.qty(i, c.lots)}))
                        .collect();
                    (200, json!({"candles": candles, "more_candles": false}))
                }
                _ => err(404, "not found"),
            },
        }
    }
}

impl Emulator for KrakenEmulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        if path.split('?').next() != Some(WS_PATH) {
            return vec![EmuFrame {
                conn,
                text: "".into(),
                close_after: true,
            }];
        }
        self.core.open(conn);
        vec![frame_to(conn, r#"{"event":"info","version":1}"#.to_owned())]
    }

    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let reply = |v: Value| frame_to(conn, v.to_string());
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![reply(json!({"event": "error", "message": "Json Error"}))];
        };
        let event = v["event"].as_str().unwrap_or("");
        if event != "subscribe" && event != "unsubscribe" {
            return vec![reply(
                json!({"event": "error", "message": format!("Invalid event {event:?}")}),
            )];
        }
        let on = event == "subscribe";
        let Some(feed) = v["feed"].as_str().and_then(Feed::parse) else {
            return vec![reply(json!({"event": "error", "message": "Invalid feed"}))];
        };
        let mut out = Vec::new();
        if feed == Feed::Heartbeat {
            self.core.set_subscribed(conn, 0, feed, on);
            out.push(reply(
                json!({"event": format!("{event}d"), "feed": "heartbeat"}),
            ));
            return out;
        }
        let products: Vec<&str> = v["product_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut insts = Vec::new();
        for p in &products {
            match self.core.find(p) {
                Some(i) => insts.push(i),
                None => {
                    return vec![reply(
                        json!({"event": "error", "message": format!("Invalid product id {p}")}),
                    )];
                }
            }
        }
        out.push(reply(
            json!({"event": format!("{event}d"), "feed": v["feed"], "product_ids": products}),
        ));
        for i in insts {
            self.core.set_subscribed(conn, i, feed, on);
            if on {
                let text = match feed {
                    Feed::Book => self.book_snapshot(i),
                    Feed::Trade => self.trade_snapshot(i),
                    Feed::Ticker => self.ticker(i),
                    Feed::Heartbeat => continue,
                };
                out.push(frame_to(conn, text));
            }
        }
        out
    }

    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.core.close(conn);
    }

    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let pq = req.path_and_query.as_str();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        let (status, body) = self.rest(path, query);
        HttpResponse {
            status,
            body: body.to_string().into(),
        }
    }

    fn advance(&mut self, now: u64) -> Vec<EmuFrame> {
        let mut out = Vec::new();
        let changes = self
            .core
            .begin(now, r#"{"feed":"trade","product_id":"PF_XB"#, &mut out);
        for c in changes {
            self.on_change(c, &mut out);
        }
        if self.core.periodic(now, 1_000 * MS) {
            for i in 0..self.core.insts.len() {
                let text = self.ticker(i);
                self.core.push(&mut out, i, Feed::Ticker, &text);
            }
        }
        if now >= self.next_heartbeat_ns {
            self.next_heartbeat_ns = now + 60_000 * MS;
            let text = format!(r#"{{"feed":"heartbeat","time":{}}}"#, ms(now));
            self.core.push(&mut out, 0, Feed::Heartbeat, &text);
        }
        self.core.finish(&out);
        out
    }

    fn control(&mut self, command: &str) -> Result<String, SdkError> {
        let v = match self.core.control(command)? {
            Control::Done(answer) => return Ok(answer),
            Control::Venue(v) => v,
        };
        match v["op"].as_str() {
            Some("book") => {
                let i = self.core.require(v["symbol"].as_str().unwrap_or(""))?;
                let n = v["depth"].as_u64().unwrap_or(20) as usize;
                let side = |s| -> Vec<Value> {
                    self.core.sim.book(i).map_or_else(Vec::new, |b| {
                        b.top(s, n)
                            .into_iter()
                            .map(|(t, l)| json!([self.core.px(i, t), self.core.qty(i, l)]))
                            .collect()
                    })
                };
                Ok(json!({"seq": self.book_seq.get(i), "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
