//! The Bybit v5 public emulator (linear or spot, by venue), sans-IO, over the shared seeded
//! market. Spot serves `/v5/public/spot`, no `allLiquidation`, and tickers without mark,
//! funding or open interest.
//!
//! WebSocket `/v5/public/linear`: `subscribe`/`unsubscribe` with acknowledgements (failures for
//! unknown topics), `{"op":"ping"}` → pong; topics `orderbook.50.<S>` (snapshot on subscribe,
//! then one delta per book change, `u` consecutive), `publicTrade.<S>`, `tickers.<S>` (snapshot
//! on subscribe, then deltas with the changed fields every second) and `allLiquidation.<S>`.
//! REST under `/v5/market`: `orderbook`, `kline`, `tickers`, `recent-trade`, `instruments-info`,
//! `funding/history`, `open-interest`.
//!
//! Control (JSON): `stats`, `book` (true published book of a symbol), `pause`/`resume`, and
//! faults `gap` (the next delta of a symbol skips one `u`), `disconnect`, `malformed`.

use crate::common::{BOOK_DEPTH, Category};
use orderflow_market_sim::{Book, BookSide, SimChange, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, MS, TradeRecord, frame_to, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::{EmuFrame, Emulator, EmulatorConfig, HttpRequest, HttpResponse, SdkError};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    Book,
    Trade,
    Ticker,
    Liquidation,
}

/// The emulator state.
#[derive(Debug)]
pub struct BybitEmulator {
    core: EmuCore<Topic>,
    /// The book as published and its last update id `u`.
    published: Vec<(Book, u64)>,
    /// Last mark (ticks), index (ticks), funding rate, next funding (ns).
    marks: Vec<(f64, f64, f64, u64)>,
    category: Category,
}

impl BybitEmulator {
    /// A new emulator.
    ///
    /// # Errors
    /// Invalid tick/lot sizes.
    pub fn new(cfg: &EmulatorConfig) -> Result<Self, SdkError> {
        let category = Category::of_venue(&cfg.venue).ok_or_else(|| {
            SdkError::invalid_args(format!("bybit plugin has no emulator for {:?}", cfg.venue))
        })?;
        let core = EmuCore::new(cfg, &["gap"], 500)?;
        let n = core.insts.len();
        let published = (0..n)
            .map(|i| {
                let book = core.sim.book(i).cloned().unwrap_or_default();
                (book, core.sim.update_id(i))
            })
            .collect();
        let marks = (0..n)
            .map(|i| {
                let m = core.sim.mark(i).map_or(0.0, |m| m.0);
                (m, m, 0.0001, cfg.start_ns)
            })
            .collect();
        Ok(Self {
            core,
            published,
            marks,
            category,
        })
    }

    fn rows(&self, inst: usize, side: BookSide, n: usize) -> Vec<Value> {
        self.published.get(inst).map_or_else(Vec::new, |(b, _)| {
            b.top(side, n)
                .into_iter()
                .map(|(t, l)| json!([self.core.px(inst, t), self.core.qty(inst, l)]))
                .collect()
        })
    }

    fn book_snapshot(&self, inst: usize) -> String {
        let s = &self.core.venue_symbol(inst);
        json!({"topic": format!("orderbook.{BOOK_DEPTH}.{s}"), "type": "snapshot", "ts": ms(self.core.now_ns),
               "data": {"s": s, "b": self.rows(inst, BookSide::Bid, BOOK_DEPTH), "a": self.rows(inst, BookSide::Ask, BOOK_DEPTH),
                        "u": self.published[inst].1, "seq": self.published[inst].1 * 7},
               "cts": ms(self.core.now_ns)})
        .to_string()
    }

    fn ticker(&self, inst: usize, full: bool) -> Value {
        let (open, high, low, last, lots, _) = self.core.sim.stats(inst).unwrap_or_default();
        let (mark, index, rate, next) = self.marks[inst];
        let oi = self.core.sim.open_interest_lots(inst).round() as u64;
        let turnover = self.core.inst(inst).map_or(0.0, |i| i.notional(last, lots));
        let mut v = json!({"symbol": self.core.venue_symbol(inst), "lastPrice": self.core.px(inst, last),
            "highPrice24h": self.core.px(inst, high), "lowPrice24h": self.core.px(inst, low),
            "volume24h": self.core.qty(inst, lots), "turnover24h": format!("{turnover:.4}"),
            "markPrice": self.core.px_f(inst, mark), "indexPrice": self.core.px_f(inst, index),
            "openInterest": self.core.qty(inst, oi), "fundingRate": format!("{rate:.6}"),
            "nextFundingTime": ms(next).to_string()});
        if self.category == Category::Spot {
            for k in [
                "markPrice",
                "indexPrice",
                "openInterest",
                "fundingRate",
                "nextFundingTime",
            ] {
                if let Some(o) = v.as_object_mut() {
                    o.remove(k);
                }
            }
        }
        if full {
            v["prevPrice24h"] = json!(self.core.px(inst, open));
            v["price24hPcnt"] = json!(format!(
                "{:.6}",
                if open != 0 {
                    (last - open) as f64 / open as f64
                } else {
                    0.0
                }
            ));
        }
        v
    }

    fn on_change(&mut self, c: SimChange, out: &mut Vec<EmuFrame>) {
        let inst = c.inst;
        let ts = ms(c.ts_ns);
        let sym = self.core.venue_symbol(inst).to_owned();
        match c.kind {
            SimChangeKind::Trade {
                id,
                ticks,
                lots,
                buyer_aggressor,
            } => {
                let msg = json!({"topic": format!("publicTrade.{sym}"), "type": "snapshot", "ts": ts,
                    "data": [{"T": ts, "s": sym, "S": if buyer_aggressor { "Buy" } else { "Sell" },
                              "v": self.core.qty(inst, lots), "p": self.core.px(inst, ticks), "L": "ZeroPlusTick",
                              "i": format!("00000000-0000-4000-8000-{id:012}"), "BT": false}]});
                self.core.push(out, inst, Topic::Trade, &msg.to_string());
                self.core.record_trade(
                    inst,
                    TradeRecord {
                        id,
                        ticks,
                        lots,
                        buy: buyer_aggressor,
                        ts_ns: c.ts_ns,
                    },
                );
            }
            SimChangeKind::Book { levels, update_id } => {
                let (book, u) = &mut self.published[inst];
                for l in &levels {
                    let side = book.side_mut(l.side);
                    if l.lots == 0 {
                        side.remove(&l.ticks);
                    } else {
                        side.insert(l.ticks, l.lots);
                    }
                }
                *u = update_id;
                let mut sent_u = update_id;
                if self.core.faults.take("gap", inst) {
                    sent_u += 1;
                }
                let (mut b, mut a) = (Vec::new(), Vec::new());
                for l in &levels {
                    let row = json!([self.core.px(inst, l.ticks), self.core.qty(inst, l.lots)]);
                    match l.side {
                        BookSide::Bid => b.push(row),
                        BookSide::Ask => a.push(row),
                    }
                }
                let msg = json!({"topic": format!("orderbook.{BOOK_DEPTH}.{sym}"), "type": "delta", "ts": ts,
                    "data": {"s": sym, "b": b, "a": a, "u": sent_u, "seq": update_id * 7}, "cts": ts});
                self.core.push(out, inst, Topic::Book, &msg.to_string());
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                next_funding_ns,
            } => {
                self.marks[inst] = (mark_ticks, index_ticks, funding_rate, next_funding_ns);
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                // `S` is the liquidated position's side: a sell order (buy = false) closes a long.
                let msg = json!({"topic": format!("allLiquidation.{sym}"), "type": "snapshot", "ts": ts,
                    "data": [{"T": ts, "s": sym, "S": if buy { "Sell" } else { "Buy" },
                              "v": self.core.qty(inst, lots), "p": self.core.px(inst, ticks)}]});
                self.core
                    .push(out, inst, Topic::Liquidation, &msg.to_string());
            }
        }
    }
}

impl Emulator for BybitEmulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        if path.split('?').next() != Some(self.category.ws_path()) {
            return vec![EmuFrame {
                conn,
                text: r#"{"success":false,"ret_msg":"invalid path"}"#.into(),
                close_after: true,
            }];
        }
        self.core.open(conn);
        Vec::new()
    }
    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let reply = |t: String| frame_to(conn, t);
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![reply(json!({"success": false, "ret_msg": format!("error:invalid request {text}"), "op": ""}).to_string())];
        };
        let op = v["op"].as_str().unwrap_or("");
        let req_id = v["req_id"].clone();
        let cid = format!("emu-{conn}");
        if op == "ping" {
            return vec![reply(json!({"success": true, "ret_msg": "pong", "conn_id": cid, "req_id": req_id, "op": "ping"}).to_string())];
        }
        if op != "subscribe" && op != "unsubscribe" {
            return vec![reply(json!({"success": false, "ret_msg": format!("error:unknown op {op}"), "conn_id": cid, "op": op}).to_string())];
        }
        let mut parsed = Vec::new();
        for a in v["args"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let t = a.as_str().unwrap_or("");
            let (kind, sym) = t.rsplit_once('.').unwrap_or((t, ""));
            let topic = match kind {
                k if k == format!("orderbook.{BOOK_DEPTH}") => Topic::Book,
                "publicTrade" => Topic::Trade,
                "tickers" => Topic::Ticker,
                "allLiquidation" if self.category == Category::Linear => Topic::Liquidation,
                _ => return vec![reply(json!({"success": false, "ret_msg": format!("error:handler not found,topic:{t}"), "conn_id": cid, "req_id": req_id, "op": op}).to_string())],
            };
            let Some(inst) = self.core.find(sym) else {
                return vec![reply(json!({"success": false, "ret_msg": format!("error:symbol not found,topic:{t}"), "conn_id": cid, "req_id": req_id, "op": op}).to_string())];
            };
            parsed.push((inst, topic));
        }
        let mut out = vec![reply(
            json!({"success": true, "ret_msg": "", "conn_id": cid, "req_id": req_id, "op": op})
                .to_string(),
        )];
        for (inst, topic) in parsed {
            self.core
                .set_subscribed(conn, inst, topic, op == "subscribe");
            if op == "subscribe" {
                match topic {
                    Topic::Book => out.push(reply(self.book_snapshot(inst))),
                    Topic::Ticker => out.push(reply(json!({"topic": format!("tickers.{}", self.core.venue_symbol(inst)), "type": "snapshot",
                        "ts": ms(self.core.now_ns), "cs": ms(self.core.now_ns), "data": self.ticker(inst, true)}).to_string())),
                    _ => {}
                }
            }
        }
        out
    }
    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.core.close(conn);
    }
    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let now = ms(self.core.now_ns);
        let ok = |result: Value| {
            HttpResponse {
            status: 200,
            body: json!({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now}).to_string().into(),
        }
        };
        let err = |code: i64, msg: &str| HttpResponse {
            status: 200,
            body:
                json!({"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": now})
                    .to_string()
                    .into(),
        };
        let pq = req.path_and_query.as_str();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        let Some(endpoint) = path.strip_prefix("/v5/market") else {
            return HttpResponse {
                status: 404,
                body: "Not Found".into(),
            };
        };
        let Some(inst) = query_param(query, "symbol").and_then(|s| self.core.find(s)) else {
            return err(10001, "params error: symbol invalid");
        };
        let sym = self.core.venue_symbol(inst).to_owned();
        let limit = |d: usize, max: usize| {
            query_param(query, "limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(d)
                .clamp(1, max)
        };
        match endpoint {
            "/orderbook" => {
                let n = limit(25, 500);
                ok(
                    json!({"s": sym, "b": self.rows(inst, BookSide::Bid, n), "a": self.rows(inst, BookSide::Ask, n),
                          "ts": now, "u": self.published[inst].1, "seq": self.published[inst].1 * 7, "cts": now}),
                )
            }
            "/tickers" => {
                ok(json!({"category": self.category.name(), "list": [self.ticker(inst, true)]}))
            }
            "/recent-trade" => {
                let n = limit(60, 1000);
                let list: Vec<Value> = self.core.tape.recent(inst).rev().take(n).map(|t| json!({
                    "execId": format!("00000000-0000-4000-8000-{:012}", t.id), "symbol": sym, "price": self.core.px(inst, t.ticks),
                    "size": self.core.qty(inst, t.lots), "side": if t.buy { "Buy" } else { "Sell" }, "time": ms(t.ts_ns).to_string(),
                    "isBlockTrade": false})).collect();
                ok(json!({"category": self.category.name(), "list": list}))
            }
            "/kline" => {
                let minutes: u64 = match query_param(query, "interval").unwrap_or("1") {
                    "1" => 1,
                    "5" => 5,
                    "15" => 15,
                    "60" => 60,
                    "240" => 240,
                    "D" => 1_440,
                    _ => return err(10001, "params error: interval invalid"),
                };
                let n = limit(200, 1000);
                let list: Vec<Value> = self
                    .core
                    .tape
                    .bars(inst, minutes, n)
                    .iter()
                    .rev()
                    .map(|(b, c)| {
                        let vol = self.core.qty(inst, c.lots);
                        json!([
                            (b * 60_000).to_string(),
                            self.core.px(inst, c.open),
                            self.core.px(inst, c.high),
                            self.core.px(inst, c.low),
                            self.core.px(inst, c.close),
                            vol,
                            format!("{:.4}", c.quote)
                        ])
                    })
                    .collect();
                ok(json!({"category": self.category.name(), "symbol": sym, "list": list}))
            }
            "/instruments-info" => {
                let Some(i) = self.core.inst(inst) else {
                    return err(10001, "params error: symbol invalid");
                };
                ok(
                    json!({"category": self.category.name(), "list": [{"symbol": sym, "contractType": "LinearPerpetual", "status": "Trading",
                    "baseCoin": sym.strip_suffix("USDT").unwrap_or(&sym), "quoteCoin": "USDT", "fundingInterval": 480,
                    "priceFilter": {"tickSize": i.tick.to_string()}, "lotSizeFilter": {"qtyStep": i.lot.to_string(), "minOrderQty": i.lot.to_string()}}]}),
                )
            }
            "/funding/history" => {
                let n = limit(50, 200);
                let period = 8 * 3_600_000;
                let list: Vec<Value> = (1..=n as u64).map(|k| {
                    let t = (now / period).saturating_sub(k) * period;
                    let r = ((k * 7_919 + inst as u64 * 104_729) % 200) as f64 / 1e6;
                    json!({"symbol": sym, "fundingRate": format!("{r:.6}"), "fundingRateTimestamp": t.to_string()})
                }).collect();
                ok(json!({"category": self.category.name(), "list": list}))
            }
            "/open-interest" => {
                let oi = self.core.sim.open_interest_lots(inst).round() as u64;
                ok(
                    json!({"category": self.category.name(), "symbol": sym, "list": [{"openInterest": self.core.qty(inst, oi), "timestamp": now.to_string()}], "nextPageCursor": ""}),
                )
            }
            _ => HttpResponse {
                status: 404,
                body: "Not Found".into(),
            },
        }
    }
    fn advance(&mut self, now: u64) -> Vec<EmuFrame> {
        let mut out = Vec::new();
        let changes = self
            .core
            .begin(now, "{\"topic\":\"publicTrade.BTC", &mut out);
        for c in changes {
            self.on_change(c, &mut out);
        }
        if self.core.periodic(now, 1_000 * MS) {
            for inst in 0..self.core.insts.len() {
                let msg = json!({"topic": format!("tickers.{}", self.core.venue_symbol(inst)), "type": "delta",
                    "ts": ms(now), "cs": ms(now), "data": self.ticker(inst, false)});
                self.core
                    .push(&mut out, inst, Topic::Ticker, &msg.to_string());
            }
        }
        self.core.finish(&out);
        out
    }
    fn control(&mut self, cmd: &str) -> Result<String, SdkError> {
        let v = match self.core.control(cmd)? {
            Control::Done(answer) => return Ok(answer),
            Control::Venue(v) => v,
        };
        match v["op"].as_str() {
            Some("book") => {
                let i = self.core.require(v["symbol"].as_str().unwrap_or(""))?;
                let n = v["depth"].as_u64().unwrap_or(20) as usize;
                Ok(json!({"u": self.published[i].1, "bids": self.rows(i, BookSide::Bid, n), "asks": self.rows(i, BookSide::Ask, n)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
