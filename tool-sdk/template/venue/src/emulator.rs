//! The server side of the template venue's protocol over orderflow's seeded market.
//!
//! The plumbing — instruments and wire formatting, market clock, connections, trade tape,
//! faults (`disconnect`, `malformed`, and the per-instrument `gap` declared below), the standard
//! control commands — is [`EmuCore`]; this file holds only the protocol.

use orderflow_market_sim::{BookSide, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, TradeRecord, frame_to, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::prelude::*;
use serde_json::{Value, json};

/// Levels per side in a book snapshot.
const SNAPSHOT_LEVELS: usize = 500;

/// What a connection subscribes to, per instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    Trades,
    Book,
}

/// The emulator.
#[derive(Debug)]
pub struct {{Name}}Emulator {
    core: EmuCore<Topic>,
}

impl {{Name}}Emulator {
    /// An emulator for `config`.
    ///
    /// # Errors
    /// Invalid tick or lot sizes.
    pub fn new(config: &EmulatorConfig) -> Result<Self, SdkError> {
        Ok(Self {
            core: EmuCore::new(config, &["gap"], 500)?,
        })
    }

    fn rows(&self, inst: usize, side: BookSide, n: usize) -> Vec<Value> {
        self.core.sim.book(inst).map_or_else(Vec::new, |b| {
            b.top(side, n)
                .into_iter()
                .map(|(t, l)| json!([self.core.px(inst, t), self.core.qty(inst, l)]))
                .collect()
        })
    }

    fn snapshot(&self, inst: usize) -> String {
        json!({"channel": "book", "symbol": self.core.venue_symbol(inst), "type": "snapshot",
               "seq": self.core.sim.update_id(inst), "ts": ms(self.core.now_ns),
               "bids": self.rows(inst, BookSide::Bid, SNAPSHOT_LEVELS),
               "asks": self.rows(inst, BookSide::Ask, SNAPSHOT_LEVELS)})
        .to_string()
    }
}

impl Emulator for {{Name}}Emulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        if path != "/ws" {
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
            return vec![reply(json!({"event": "error", "msg": "invalid JSON"}))];
        };
        let op = v["op"].as_str().unwrap_or("");
        if op == "ping" {
            return vec![reply(json!({"event": "pong"}))];
        }
        if op != "subscribe" && op != "unsubscribe" {
            return vec![reply(json!({"event": "error", "msg": format!("unknown op {op:?}")}))];
        }
        let mut out = Vec::new();
        for arg in v["args"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let arg = arg.as_str().unwrap_or("");
            let (topic, symbol) = arg.split_once('.').unwrap_or((arg, ""));
            let topic = match topic {
                "trades" => Topic::Trades,
                "book" => Topic::Book,
                _ => {
                    out.push(reply(json!({"event": "error", "msg": format!("unknown topic {arg}")})));
                    continue;
                }
            };
            let Some(inst) = self.core.find(symbol) else {
                out.push(reply(json!({"event": "error", "msg": format!("unknown symbol {arg}")})));
                continue;
            };
            self.core.set_subscribed(conn, inst, topic, op == "subscribe");
            out.push(reply(json!({"event": format!("{op}d"), "arg": arg})));
            if op == "subscribe" && topic == Topic::Book {
                out.push(frame_to(conn, self.snapshot(inst)));
            }
        }
        out
    }

    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.core.close(conn);
    }

    fn http(&mut self, request: &HttpRequest, _now: u64) -> HttpResponse {
        let pq = request.path_and_query.as_str();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        let answer = |status: u16, v: Value| HttpResponse {
            status,
            body: v.to_string().into(),
        };
        let inst = query_param(query, "symbol").and_then(|s| self.core.find(s));
        match (path, inst) {
            ("/api/instruments", Some(i)) => {
                let spec = self.core.inst(i).map(|s| {
                    json!({"symbol": s.venue_symbol, "tick_size": s.tick.to_string(), "lot_size": s.lot.to_string()})
                });
                answer(200, json!({"instruments": [spec]}))
            }
            ("/api/trades", Some(i)) => {
                let n = query_param(query, "limit")
                    .and_then(|l| l.parse::<usize>().ok())
                    .unwrap_or(100)
                    .clamp(1, 500);
                let trades: Vec<Value> = self
                    .core
                    .tape
                    .recent(i)
                    .rev()
                    .take(n)
                    .map(|t| json!({"id": t.id, "price": self.core.px(i, t.ticks), "size": self.core.qty(i, t.lots),
                                    "side": if t.buy { "buy" } else { "sell" }, "ts": ms(t.ts_ns)}))
                    .collect();
                answer(200, json!({"trades": trades}))
            }
            ("/api/instruments" | "/api/trades", None) => {
                answer(400, json!({"error": "unknown or missing symbol"}))
            }
            _ => answer(404, json!({"error": "not found"})),
        }
    }

    fn advance(&mut self, now: u64) -> Vec<EmuFrame> {
        let mut out = Vec::new();
        for c in self.core.begin(now, r#"{"channel":"trades","symbol":"BT"#, &mut out) {
            let (inst, ts) = (c.inst, ms(c.ts_ns));
            let symbol = self.core.venue_symbol(inst).to_owned();
            match c.kind {
                SimChangeKind::Trade {
                    id,
                    ticks,
                    lots,
                    buyer_aggressor,
                } => {
                    let msg = json!({"channel": "trades", "symbol": symbol,
                        "data": [{"id": id, "price": self.core.px(inst, ticks), "size": self.core.qty(inst, lots),
                                  "side": if buyer_aggressor { "buy" } else { "sell" }, "ts": ts}]});
                    self.core.push(&mut out, inst, Topic::Trades, &msg.to_string());
                    let trade = TradeRecord {
                        id,
                        ticks,
                        lots,
                        buy: buyer_aggressor,
                        ts_ns: c.ts_ns,
                    };
                    self.core.record_trade(inst, trade);
                }
                SimChangeKind::Book { levels, update_id } => {
                    // Fault `gap`: this update goes out with the next id, one is never sent.
                    let seq = update_id + u64::from(self.core.faults.take("gap", inst));
                    let side = |s: BookSide| -> Vec<Value> {
                        levels
                            .iter()
                            .filter(|l| l.side == s)
                            .map(|l| json!([self.core.px(inst, l.ticks), self.core.qty(inst, l.lots)]))
                            .collect()
                    };
                    let msg = json!({"channel": "book", "symbol": symbol, "type": "update", "seq": seq, "ts": ts,
                                     "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)});
                    self.core.push(&mut out, inst, Topic::Book, &msg.to_string());
                }
                // This venue publishes no mark prices or liquidations.
                SimChangeKind::Mark { .. } | SimChangeKind::Liquidation { .. } => {}
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
                Ok(json!({"seq": self.core.sim.update_id(i), "bids": self.rows(i, BookSide::Bid, n),
                          "asks": self.rows(i, BookSide::Ask, n)})
                .to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
