//! The Hyperliquid emulator: the server side of the WebSocket and `info` REST protocols over the
//! shared seeded market ([`EmuCore`]), sans-IO.
//!
//! WebSocket `/ws`: `{"method":"subscribe"|"unsubscribe","subscription":{"type":T,"coin":C}}`
//! answered with `subscriptionResponse` (or `error`), `{"method":"ping"}` → `pong`; pushes
//! `l2Book` (a full 20-level image on subscribe and at most every 100 ms while the book changes),
//! `trades` and `activeAssetCtx` (every second). REST: `POST /info` with `type`
//! `metaAndAssetCtxs`, `l2Book`, `recentTrades`, `fundingHistory`, `candleSnapshot`.
//!
//! Faults: the core's `disconnect` and `malformed`. Books carry no sequence, so there is no
//! sequence fault to inject.

use crate::common::{INFO, WS_PATH};
use orderflow_market_sim::{BookSide, SimChange, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, MS, TradeRecord, frame_to, ms, unknown_control,
};
use orderflow_tool_sdk::prelude::*;
use serde_json::{Value, json};

const MAX_RECENT_TRADES: usize = 500;
/// Levels per side in a book image.
const BOOK_LEVELS: usize = 20;
/// Book images of a changing book go out at most this often.
const BOOK_INTERVAL_NS: u64 = 100 * MS;

/// Subscriptions, per coin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ch {
    Book,
    Trades,
    Ctx,
}

impl Ch {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "l2Book" => Self::Book,
            "trades" => Self::Trades,
            "activeAssetCtx" => Self::Ctx,
            _ => return None,
        })
    }
}

/// The emulator state.
#[derive(Debug)]
pub struct HyperliquidEmulator {
    core: EmuCore<Ch>,
    /// Books changed since their last image.
    dirty: Vec<bool>,
    next_book_ns: u64,
    /// Last mark (ticks), oracle (ticks), funding rate (hourly).
    marks: Vec<(f64, f64, f64)>,
    next_tid: u64,
}

impl HyperliquidEmulator {
    /// A new emulator.
    ///
    /// # Errors
    /// Invalid tick/lot sizes.
    pub fn new(cfg: &EmulatorConfig) -> Result<Self, SdkError> {
        let core = EmuCore::new(cfg, &[], MAX_RECENT_TRADES)?;
        let n = core.insts.len();
        let marks = (0..n)
            .map(|i| {
                let m = core.sim.mark(i).map_or(0.0, |m| m.0);
                (m, m, 0.000_012_5)
            })
            .collect();
        Ok(Self {
            dirty: vec![false; n],
            next_book_ns: cfg.start_ns,
            marks,
            next_tid: 1,
            core,
        })
    }

    fn levels(&self, inst: usize, side: BookSide) -> Vec<Value> {
        self.core.sim.book(inst).map_or_else(Vec::new, |b| {
            b.top(side, BOOK_LEVELS)
                .into_iter()
                .map(|(t, l)| json!({"px": self.core.px(inst, t), "sz": self.core.qty(inst, l), "n": 1}))
                .collect()
        })
    }

    fn book(&self, inst: usize) -> Value {
        json!({"coin": self.core.venue_symbol(inst), "time": ms(self.core.now_ns),
               "levels": [self.levels(inst, BookSide::Bid), self.levels(inst, BookSide::Ask)]})
    }

    fn ctx(&self, inst: usize) -> Value {
        let (open, _, _, last, lots, _) = self.core.sim.stats(inst).unwrap_or_default();
        let (mark, oracle, funding) = self.marks.get(inst).copied().unwrap_or_default();
        let oi = self.core.sim.open_interest_lots(inst).round() as u64;
        let ntl = self.core.inst(inst).map_or(0.0, |i| i.notional(last, lots));
        let mid = match self
            .core
            .sim
            .book(inst)
            .map(|b| (b.best_bid(), b.best_ask()))
        {
            Some((Some((b, _)), Some((a, _)))) => self.core.px_f(inst, (b + a) as f64 / 2.0),
            _ => self.core.px(inst, last),
        };
        json!({"funding": format!("{funding:.7}"), "openInterest": self.core.qty(inst, oi),
               "prevDayPx": self.core.px(inst, open), "dayNtlVlm": format!("{ntl:.2}"),
               "premium": "0.0", "oraclePx": self.core.px_f(inst, oracle), "markPx": self.core.px_f(inst, mark),
               "midPx": mid, "impactPxs": [mid, mid], "dayBaseVlm": self.core.qty(inst, lots)})
    }

    fn trade(&self, inst: usize, t: &TradeRecord) -> Value {
        json!({"coin": self.core.venue_symbol(inst), "side": if t.buy { "B" } else { "A" },
               "px": self.core.px(inst, t.ticks), "sz": self.core.qty(inst, t.lots),
               "hash": format!("0x{:064x}", t.id), "time": ms(t.ts_ns), "tid": t.id, "users": ["0x0", "0x1"]})
    }

    fn push(&self, out: &mut Vec<EmuFrame>, inst: usize, ch: Ch, channel: &str, data: Value) {
        let text = json!({"channel": channel, "data": data}).to_string();
        self.core.push(out, inst, ch, &text);
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
                    id: self.next_tid,
                    ticks,
                    lots,
                    buy: buyer_aggressor,
                    ts_ns: c.ts_ns,
                };
                self.next_tid += 1;
                let data = json!([self.trade(inst, &t)]);
                self.push(out, inst, Ch::Trades, "trades", data);
                self.core.record_trade(inst, t);
            }
            SimChangeKind::Book { .. } => {
                if let Some(d) = self.dirty.get_mut(inst) {
                    *d = true;
                }
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                ..
            } => {
                if let Some(m) = self.marks.get_mut(inst) {
                    // The simulator's rate is per 8 h; Hyperliquid's is hourly.
                    *m = (mark_ticks, index_ticks, funding_rate / 8.0);
                }
            }
            // No public liquidation stream on Hyperliquid.
            SimChangeKind::Liquidation { .. } => {}
        }
    }

    fn info(&self, body: &str) -> (u16, Value) {
        let Ok(q) = serde_json::from_str::<Value>(body) else {
            return (422, json!("Failed to deserialize the JSON body"));
        };
        let coin_of = |v: &Value| v.as_str().and_then(|c| self.core.find(c));
        let now = ms(self.core.now_ns);
        match q["type"].as_str() {
            Some("metaAndAssetCtxs") => {
                let universe: Vec<Value> = self
                    .core
                    .insts
                    .iter()
                    .map(|i| json!({"name": i.venue_symbol, "szDecimals": i.lot.scale, "maxLeverage": 50}))
                    .collect();
                let ctxs: Vec<Value> = (0..self.core.insts.len()).map(|i| self.ctx(i)).collect();
                (200, json!([{"universe": universe}, ctxs]))
            }
            Some("l2Book") => match coin_of(&q["coin"]) {
                Some(i) => (200, self.book(i)),
                None => (200, Value::Null),
            },
            Some("recentTrades") => match coin_of(&q["coin"]) {
                Some(i) => (
                    200,
                    Value::Array(
                        self.core
                            .tape
                            .recent(i)
                            .rev()
                            .take(100)
                            .map(|t| self.trade(i, t))
                            .collect(),
                    ),
                ),
                None => (200, json!([])),
            },
            Some("fundingHistory") => {
                let Some(i) = coin_of(&q["coin"]) else {
                    return (200, json!([]));
                };
                let start = q["startTime"].as_u64().unwrap_or(0);
                let hour = 3_600_000;
                let rows: Vec<Value> = (1..=500u64)
                    .rev()
                    .map(|k| (now / hour).saturating_sub(k) * hour)
                    .filter(|t| *t >= start)
                    .map(|t| {
                        let r = ((t / hour * 7_919 + i as u64 * 104_729) % 250) as f64 / 1e7 - 0.000_005;
                        json!({"coin": self.core.venue_symbol(i), "fundingRate": format!("{r:.7}"), "premium": format!("{:.8}", r * 0.8), "time": t})
                    })
                    .collect();
                (200, Value::Array(rows))
            }
            Some("candleSnapshot") => {
                let req = &q["req"];
                let Some(i) = coin_of(&req["coin"]) else {
                    return (200, json!([]));
                };
                let minutes = match req["interval"].as_str() {
                    Some("1m") => 1,
                    Some("5m") => 5,
                    Some("15m") => 15,
                    Some("1h") => 60,
                    Some("4h") => 240,
                    Some("1d") => 1_440,
                    _ => return (422, json!("invalid interval")),
                };
                let (from, to) = (
                    req["startTime"].as_u64().unwrap_or(0),
                    req["endTime"].as_u64().unwrap_or(u64::MAX),
                );
                let rows: Vec<Value> = self
                    .core
                    .tape
                    .bars(i, minutes, 5_000)
                    .into_iter()
                    .filter(|(m, _)| (from..=to).contains(&(m * 60_000)))
                    .map(|(m, c)| json!({"t": m * 60_000, "T": (m + minutes) * 60_000 - 1, "s": self.core.venue_symbol(i),
                                         "i": req["interval"], "o": self.core.px(i, c.open), "c": self.core.px(i, c.close),
                                         "h": self.core.px(i, c.high), "l": self.core.px(i, c.low),
                                         "v": self.core.qty(i, c.lots), "n": c.trades}))
                    .collect();
                (200, Value::Array(rows))
            }
            _ => (
                422,
                json!("Failed to deserialize the JSON body into the target type"),
            ),
        }
    }
}

impl Emulator for HyperliquidEmulator {
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
        let reply = |v: Value| frame_to(conn, v.to_string());
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![reply(
                json!({"channel": "error", "data": format!("Invalid message: {text}")}),
            )];
        };
        let method = v["method"].as_str().unwrap_or("");
        if method == "ping" {
            return vec![reply(json!({"channel": "pong"}))];
        }
        if method != "subscribe" && method != "unsubscribe" {
            return vec![reply(
                json!({"channel": "error", "data": format!("Unknown method: {text}")}),
            )];
        }
        let sub = &v["subscription"];
        let (Some(ch), Some(inst)) = (
            sub["type"].as_str().and_then(Ch::parse),
            sub["coin"].as_str().and_then(|c| self.core.find(c)),
        ) else {
            return vec![reply(
                json!({"channel": "error", "data": format!("Invalid subscription {sub}")}),
            )];
        };
        let on = method == "subscribe";
        self.core.set_subscribed(conn, inst, ch, on);
        let mut out = vec![reply(
            json!({"channel": "subscriptionResponse", "data": {"method": method, "subscription": sub}}),
        )];
        if on {
            match ch {
                Ch::Book => out.push(reply(json!({"channel": "l2Book", "data": self.book(inst)}))),
                Ch::Ctx => out.push(reply(json!({"channel": "activeAssetCtx", "data": {"coin": self.core.venue_symbol(inst), "ctx": self.ctx(inst)}}))),
                Ch::Trades => {}
            }
        }
        out
    }

    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.core.close(conn);
    }

    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let (status, body) = if req.path_and_query.as_str() == INFO && req.method.as_str() == "POST"
        {
            self.info(req.body.as_str())
        } else {
            (404, json!("Not Found"))
        };
        HttpResponse {
            status,
            body: body.to_string().into(),
        }
    }

    fn advance(&mut self, now: u64) -> Vec<EmuFrame> {
        let mut out = Vec::new();
        let changes = self
            .core
            .begin(now, r#"{"channel":"trades","data":[{"coin":"BT"#, &mut out);
        for c in changes {
            self.on_change(c, &mut out);
        }
        if now >= self.next_book_ns {
            self.next_book_ns = now + BOOK_INTERVAL_NS;
            for i in 0..self.dirty.len() {
                if std::mem::take(&mut self.dirty[i]) {
                    let data = self.book(i);
                    self.push(&mut out, i, Ch::Book, "l2Book", data);
                }
            }
        }
        if self.core.periodic(now, 1_000 * MS) {
            for i in 0..self.core.insts.len() {
                let data = json!({"coin": self.core.venue_symbol(i), "ctx": self.ctx(i)});
                self.push(&mut out, i, Ch::Ctx, "activeAssetCtx", data);
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
                            .map(|(t, l)| json!([self.core.px(i, t), self.core.qty(i, l)]))
                            .collect()
                    })
                };
                Ok(json!({"bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
