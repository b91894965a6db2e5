//! The Gate.io futures emulator: the server side of the WebSocket v4 and REST v4 APIs for
//! USDT-settled perpetuals over the shared seeded market ([`EmuCore`]), sans-IO.
//!
//! WebSocket `/v4/ws/usdt`: requests `{"time","channel","event","payload"}`; `futures.ping` →
//! `futures.pong`; subscriptions to `futures.order_book_update` (`[contract, "20ms"|"100ms",
//! level]`; one update per book change, `U`/`u` consecutive, sizes in contracts),
//! `futures.trades` (signed sizes), `futures.tickers` (every second) and
//! `futures.public_liquidates`, each acknowledged or answered with an `error` for an unknown
//! contract or channel. One contract is one lot of the instrument (`quanto_multiplier` = lot).
//! REST under `/api/v4/futures/usdt`: `contracts`, `contracts/{c}`, `order_book` (`with_id`),
//! `trades`, `candlesticks`, `funding_rate`, `tickers`, `liq_orders`, `contract_stats`.
//!
//! Faults: `gap` (the next book update of a contract skips one update id), plus the core's.

use crate::common::{API, WS_PATH};
use orderflow_market_sim::{BookSide, SimChange, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, MS, TradeRecord, frame_to, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::prelude::*;
use serde_json::{Value, json};
use std::collections::VecDeque;

const MAX_RECENT_TRADES: usize = 1_000;
const MAX_LIQUIDATIONS: usize = 200;

/// Channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Book,
    Trades,
    Tickers,
    Liquidations,
}

impl Channel {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "futures.order_book_update" => Self::Book,
            "futures.trades" => Self::Trades,
            "futures.tickers" => Self::Tickers,
            "futures.public_liquidates" => Self::Liquidations,
            _ => return None,
        })
    }
}

/// A liquidation kept for REST `liq_orders`: time ms, price ticks, signed lots.
type LiqRecord = (u64, i64, i64);

/// The emulator state.
#[derive(Debug)]
pub struct GateioEmulator {
    core: EmuCore<Channel>,
    /// Book update id per contract.
    update_id: Vec<u64>,
    /// Last mark (ticks), index (ticks), funding per 8 h.
    marks: Vec<(f64, f64, f64)>,
    liquidations: Vec<VecDeque<LiqRecord>>,
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T, max: usize) {
    if q.len() >= max {
        q.pop_front();
    }
    q.push_back(v);
}

impl GateioEmulator {
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
                (m, m, 0.000_1)
            })
            .collect();
        Ok(Self {
            update_id: (0..n)
                .map(|i| 2_000_000_000 + core.sim.update_id(i))
                .collect(),
            marks,
            liquidations: vec![VecDeque::new(); n],
            core,
        })
    }

    fn envelope(&self, channel: &str, event: &str, result: &str) -> String {
        let now = ms(self.core.now_ns);
        format!(
            r#"{{"time":{},"time_ms":{now},"channel":"{channel}","event":"{event}","result":{result}}}"#,
            now / 1_000
        )
    }

    fn error_frame(&self, channel: &str, event: &str, msg: &str) -> String {
        let now = ms(self.core.now_ns);
        json!({"time": now / 1_000, "time_ms": now, "channel": channel, "event": event,
               "error": {"code": 2, "message": msg}, "result": {"status": "failed"}})
        .to_string()
    }

    fn levels(&self, inst: usize, side: BookSide, n: usize) -> Vec<Value> {
        self.core.sim.book(inst).map_or_else(Vec::new, |b| {
            b.top(side, n)
                .into_iter()
                .map(|(t, l)| json!({"p": self.core.px(inst, t), "s": l}))
                .collect()
        })
    }

    fn trade_json(&self, inst: usize, t: &TradeRecord) -> Value {
        let signed = if t.buy {
            t.lots as i64
        } else {
            -(t.lots as i64)
        };
        json!({"size": signed, "id": t.id, "create_time": t.ts_ns / 1_000_000_000, "create_time_ms": ms(t.ts_ns),
               "price": self.core.px(inst, t.ticks), "contract": self.core.venue_symbol(inst)})
    }

    fn ticker_json(&self, inst: usize) -> Value {
        let (open, high, low, last, lots, _) = self.core.sim.stats(inst).unwrap_or_default();
        let (mark, index, rate) = self.marks.get(inst).copied().unwrap_or_default();
        let quote = self.core.inst(inst).map_or(0.0, |i| i.notional(last, lots));
        let change = if open > 0 {
            (last - open) as f64 / open as f64 * 100.0
        } else {
            0.0
        };
        let book = self.core.sim.book(inst);
        let best = |side| {
            book.and_then(|b| b.top(side, 1).into_iter().next())
                .unwrap_or_default()
        };
        let (bid, ask) = (best(BookSide::Bid), best(BookSide::Ask));
        json!({"contract": self.core.venue_symbol(inst), "last": self.core.px(inst, last), "change_percentage": format!("{change:.2}"),
               "funding_rate": format!("{rate:.6}"), "funding_rate_indicative": format!("{rate:.6}"),
               "mark_price": self.core.px_f(inst, mark), "index_price": self.core.px_f(inst, index),
               "total_size": format!("{}", self.core.sim.open_interest_lots(inst).round() as u64),
               "volume_24h": format!("{lots}"), "volume_24h_base": self.core.qty(inst, lots), "volume_24h_quote": format!("{quote:.2}"),
               "volume_24h_settle": format!("{quote:.2}"), "low_24h": self.core.px(inst, low), "high_24h": self.core.px(inst, high),
               "highest_bid": self.core.px(inst, bid.0), "highest_size": format!("{}", bid.1),
               "lowest_ask": self.core.px(inst, ask.0), "lowest_size": format!("{}", ask.1)})
    }

    fn contract_json(&self, inst: usize) -> Value {
        let i = self.core.inst(inst);
        let t = self.ticker_json(inst);
        let next = (ms(self.core.now_ns) / 28_800_000 + 1) * 28_800;
        json!({"name": self.core.venue_symbol(inst), "type": "direct", "quanto_multiplier": i.map(|x| x.lot.to_string()),
               "order_price_round": i.map(|x| x.tick.to_string()), "mark_price_round": i.map(|x| x.tick.to_string()),
               "last_price": t["last"], "mark_price": t["mark_price"], "index_price": t["index_price"],
               "funding_rate": t["funding_rate"], "funding_rate_indicative": t["funding_rate"], "funding_interval": 28_800,
               "funding_next_apply": next, "maintenance_rate": "0.005", "leverage_min": "1", "leverage_max": "100",
               "maker_fee_rate": "-0.0001", "taker_fee_rate": "0.00075", "order_size_min": 1, "order_size_max": 1_000_000,
               "position_size": self.core.sim.open_interest_lots(inst).round() as u64, "orderbook_id": self.update_id.get(inst),
               "in_delisting": false, "status": "trading"})
    }

    fn on_change(&mut self, c: SimChange, out: &mut Vec<EmuFrame>) {
        let inst = c.inst;
        match c.kind {
            SimChangeKind::Trade {
                id,
                ticks,
                lots,
                buyer_aggressor,
            } => {
                let t = TradeRecord {
                    id,
                    ticks,
                    lots,
                    buy: buyer_aggressor,
                    ts_ns: c.ts_ns,
                };
                let text = self.envelope(
                    "futures.trades",
                    "update",
                    &json!([self.trade_json(inst, &t)]).to_string(),
                );
                self.core.push(out, inst, Channel::Trades, &text);
                self.core.record_trade(inst, t);
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                let signed = if buy { lots as i64 } else { -(lots as i64) };
                if let Some(q) = self.liquidations.get_mut(inst) {
                    push_bounded(q, (ms(c.ts_ns), ticks, signed), MAX_LIQUIDATIONS);
                }
                let row = json!([{"price": serde_json::from_str::<Value>(&self.core.px(inst, ticks)).unwrap_or(Value::Null),
                                  "size": signed.to_string(), "time_ms": ms(c.ts_ns), "contract": self.core.venue_symbol(inst)}]);
                let text = self.envelope("futures.public_liquidates", "update", &row.to_string());
                self.core.push(out, inst, Channel::Liquidations, &text);
            }
            SimChangeKind::Book { levels, .. } => {
                let Some(prev) = self.update_id.get(inst).copied() else {
                    return;
                };
                let mut first = prev + 1;
                if self.core.faults.take("gap", inst) {
                    first += 1;
                }
                if let Some(slot) = self.update_id.get_mut(inst) {
                    *slot = first;
                }
                let side = |s: BookSide| -> Vec<Value> {
                    levels
                        .iter()
                        .filter(|l| l.side == s)
                        .map(|l| json!({"p": self.core.px(inst, l.ticks), "s": l.lots}))
                        .collect()
                };
                let result = json!({"t": ms(c.ts_ns), "s": self.core.venue_symbol(inst), "U": first, "u": first,
                                    "b": side(BookSide::Bid), "a": side(BookSide::Ask)});
                let text =
                    self.envelope("futures.order_book_update", "update", &result.to_string());
                self.core.push(out, inst, Channel::Book, &text);
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                ..
            } => {
                if let Some(m) = self.marks.get_mut(inst) {
                    *m = (mark_ticks, index_ticks, funding_rate);
                }
            }
        }
    }

    fn rest(&self, path: &str, query: &str) -> (u16, Value) {
        let err =
            |status, label: &str, msg: &str| (status, json!({"label": label, "message": msg}));
        let inst = query_param(query, "contract").and_then(|s| self.core.find(s));
        let limit = |default: usize, max: usize| {
            query_param(query, "limit")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(default)
                .clamp(1, max)
        };
        let need = || err(400, "INVALID_PARAM_VALUE", "contract not found");
        let now = ms(self.core.now_ns);
        match path.strip_prefix(API).unwrap_or("") {
            "/contracts" => (
                200,
                json!(
                    (0..self.core.insts.len())
                        .map(|i| self.contract_json(i))
                        .collect::<Vec<_>>()
                ),
            ),
            p if p.starts_with("/contracts/") => match self.core.find(&p["/contracts/".len()..]) {
                Some(i) => (200, self.contract_json(i)),
                None => err(404, "CONTRACT_NOT_FOUND", "contract not found"),
            },
            "/order_book" => {
                let Some(i) = inst else { return need() };
                let n = limit(10, 300);
                let mut v = json!({"current": now as f64 / 1_000.0, "update": now as f64 / 1_000.0,
                                   "asks": self.levels(i, BookSide::Ask, n), "bids": self.levels(i, BookSide::Bid, n)});
                if query_param(query, "with_id") == Some("true") {
                    v["id"] = json!(self.update_id.get(i));
                }
                (200, v)
            }
            "/trades" => {
                let Some(i) = inst else { return need() };
                let rows: Vec<Value> = self
                    .core
                    .tape
                    .recent(i)
                    .rev()
                    .take(limit(100, 1_000))
                    .map(|t| self.trade_json(i, t))
                    .collect();
                (200, json!(rows))
            }
            "/tickers" => {
                let rows: Vec<Value> = (0..self.core.insts.len())
                    .filter(|&i| inst.is_none_or(|x| x == i))
                    .map(|i| self.ticker_json(i))
                    .collect();
                (200, json!(rows))
            }
            "/candlesticks" => {
                let Some(i) = inst else { return need() };
                let minutes = match query_param(query, "interval").unwrap_or("5m") {
                    "1m" => 1,
                    "5m" => 5,
                    "15m" => 15,
                    "30m" => 30,
                    "1h" => 60,
                    "4h" => 240,
                    "8h" => 480,
                    "1d" => 1_440,
                    _ => return err(400, "INVALID_PARAM_VALUE", "interval"),
                };
                let rows: Vec<Value> = self.core.tape.bars(i, minutes, limit(100, 2_000)).into_iter()
                    .map(|(m, c)| json!({"t": m * 60, "v": c.lots, "o": self.core.px(i, c.open), "h": self.core.px(i, c.high),
                                         "l": self.core.px(i, c.low), "c": self.core.px(i, c.close), "sum": format!("{:.2}", c.quote)}))
                    .collect();
                (200, json!(rows))
            }
            "/funding_rate" => {
                let Some(i) = inst else { return need() };
                let period = 28_800u64;
                let rows: Vec<Value> = (1..=limit(100, 1_000) as u64)
                    .map(|k| {
                        let t = (now / 1_000 / period).saturating_sub(k) * period;
                        let r = ((t / period * 7_919 + i as u64 * 104_729) % 300) as f64 / 1e6
                            - 0.000_1;
                        json!({"t": t, "r": format!("{r:.6}")})
                    })
                    .collect();
                (200, json!(rows))
            }
            "/liq_orders" => {
                let Some(i) = inst else { return need() };
                let rows: Vec<Value> = self.liquidations.get(i).into_iter().flatten().rev().take(limit(100, 1_000))
                    .map(|(t, ticks, lots)| json!({"time": t / 1_000, "contract": self.core.venue_symbol(i), "size": lots,
                        "order_price": self.core.px(i, *ticks), "fill_price": self.core.px(i, *ticks), "left": 0}))
                    .collect();
                (200, json!(rows))
            }
            "/contract_stats" => {
                let Some(i) = inst else { return need() };
                let bars = self.core.tape.bars(i, 5, limit(30, 500));
                let mark = self.marks.get(i).map_or(0.0, |m| m.0);
                let rows: Vec<Value> = bars.into_iter()
                    .map(|(m, c)| json!({"time": m * 60, "open_interest": c.oi_lots,
                        "open_interest_usd": self.core.inst(i).map_or(0.0, |x| x.notional(mark.round() as i64, c.oi_lots)),
                        "lsr_taker": if c.lots > c.taker_buy_lots { c.taker_buy_lots as f64 / (c.lots - c.taker_buy_lots) as f64 } else { 1.0 },
                        "long_liq_size": 0, "short_liq_size": 0, "mark_price": self.core.px(i, c.close)}))
                    .collect();
                (200, json!(rows))
            }
            _ => err(404, "NOT_FOUND", "not found"),
        }
    }
}

impl Emulator for GateioEmulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        if path.split('?').next() != Some(WS_PATH) {
            return vec![EmuFrame {
                conn,
                text: "".into(),
                close_after: true,
            }];
        }
        self.core.open(conn);
        Vec::new()
    }

    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![frame_to(conn, self.error_frame("", "", "invalid argument"))];
        };
        let channel = v["channel"].as_str().unwrap_or("");
        let event = v["event"].as_str().unwrap_or("");
        if channel == "futures.ping" {
            return vec![frame_to(conn, self.envelope("futures.pong", "", "null"))];
        }
        let fail =
            |this: &Self, msg: &str| vec![frame_to(conn, this.error_frame(channel, event, msg))];
        let Some(ch) = Channel::parse(channel) else {
            return fail(self, &format!("unknown channel {channel}"));
        };
        if event != "subscribe" && event != "unsubscribe" {
            return fail(self, &format!("unknown event {event}"));
        }
        let payload: Vec<&str> = v["payload"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let contracts: &[&str] = if ch == Channel::Book {
            if payload.len() < 2 || !matches!(payload[1], "20ms" | "100ms") {
                return fail(self, "payload: [contract, frequency, level]");
            }
            &payload[..1]
        } else {
            &payload
        };
        let mut insts = Vec::new();
        for c in contracts {
            match self.core.find(c) {
                Some(i) => insts.push(i),
                None => return fail(self, &format!("unknown contract {c}")),
            }
        }
        for i in insts {
            self.core.set_subscribed(conn, i, ch, event == "subscribe");
        }
        vec![frame_to(
            conn,
            self.envelope(channel, event, r#"{"status":"success"}"#),
        )]
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
        let changes = self.core.begin(
            now,
            r#"{"time":1,"channel":"futures.trades","event":"update","result":[{"si"#,
            &mut out,
        );
        for c in changes {
            self.on_change(c, &mut out);
        }
        if self.core.periodic(now, 1_000 * MS) {
            for i in 0..self.core.insts.len() {
                let text = self.envelope(
                    "futures.tickers",
                    "update",
                    &json!([self.ticker_json(i)]).to_string(),
                );
                self.core.push(&mut out, i, Channel::Tickers, &text);
            }
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
                            .map(|(t, l)| json!([self.core.px(i, t), l.to_string()]))
                            .collect()
                    })
                };
                let lot = self.core.inst(i).map(|x| x.lot.to_string());
                Ok(json!({"update_id": self.update_id.get(i), "base_per_size": lot, "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
