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
use orderflow_market_sim::{Book, BookSide, MarketSim, SimChange, SimChangeKind, SimInstrument};
use orderflow_tool_sdk::std_types::RString;
use orderflow_tool_sdk::{
    EmuFrame, Emulator, EmulatorConfig, FixedDecimal, HttpRequest, HttpResponse, SdkError,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const MS: u64 = 1_000_000;

#[derive(Clone, Debug)]
struct Inst {
    symbol: String,
    tick: FixedDecimal,
    lot: FixedDecimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    Book,
    Trade,
    Ticker,
    Liquidation,
}

/// Open, high, low, close (ticks) and volume (lots) of one minute.
type Candle = (i64, i64, i64, i64, u64);

#[derive(Clone, Debug)]
struct TradeRec {
    id: u64,
    ticks: i64,
    lots: u64,
    buy: bool,
    ts_ns: u64,
}

/// The emulator state.
#[derive(Debug)]
pub struct BybitEmulator {
    sim: MarketSim,
    insts: Vec<Inst>,
    published: Vec<(Book, u64)>,
    conns: BTreeMap<u64, BTreeSet<(usize, Topic)>>,
    recent: Vec<VecDeque<TradeRec>>,
    candles: Vec<BTreeMap<u64, Candle>>,
    marks: Vec<(f64, f64, f64, u64)>,
    next_ticker_ns: u64,
    now_ns: u64,
    frames_sent: u64,
    gap_next: BTreeSet<usize>,
    disconnect_next: bool,
    malformed_next: bool,
    paused: bool,
    category: Category,
}

fn scaled(unit: FixedDecimal, n: i64) -> String {
    FixedDecimal::new(unit.mantissa.saturating_mul(n), unit.scale).to_string()
}

fn ms(ns: u64) -> u64 {
    ns / MS
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
        let mut insts = Vec::new();
        let mut specs = Vec::new();
        for i in &cfg.instruments {
            let tick = FixedDecimal::parse(&i.tick_size)
                .map_err(|e| SdkError::invalid_args(format!("tick_size: {e}")))?;
            let lot = FixedDecimal::parse(&i.lot_size)
                .map_err(|e| SdkError::invalid_args(format!("lot_size: {e}")))?;
            if tick.mantissa <= 0 || lot.mantissa <= 0 {
                return Err(SdkError::invalid_args(
                    "tick and lot sizes must be positive",
                ));
            }
            let mid = (i.start_price / tick.to_f64()).round() as i64;
            let base = ((20_000.0 / i.start_price.max(1e-9)) / lot.to_f64()).max(1.0) as u64;
            specs.push(SimInstrument::new(mid.max(100), base));
            insts.push(Inst {
                symbol: i.venue_symbol.clone(),
                tick,
                lot,
            });
        }
        let n = insts.len();
        let sim = MarketSim::new(cfg.seed, specs, cfg.msgs_per_sec, cfg.start_ns);
        let published = (0..n)
            .map(|i| (sim.book(i).cloned().unwrap_or_default(), sim.update_id(i)))
            .collect();
        let marks = (0..n)
            .map(|i| {
                let m = sim.mark(i).map_or(0.0, |m| m.0);
                (m, m, 0.0001, cfg.start_ns)
            })
            .collect();
        Ok(Self {
            sim,
            insts,
            published,
            conns: BTreeMap::new(),
            recent: vec![VecDeque::new(); n],
            candles: vec![BTreeMap::new(); n],
            marks,
            next_ticker_ns: cfg.start_ns + 1_000 * MS,
            now_ns: cfg.start_ns,
            frames_sent: 0,
            gap_next: BTreeSet::new(),
            disconnect_next: false,
            malformed_next: false,
            paused: false,
            category,
        })
    }

    fn inst_by_symbol(&self, s: &str) -> Option<usize> {
        self.insts.iter().position(|i| i.symbol == s)
    }

    fn px(&self, inst: usize, ticks: i64) -> String {
        self.insts
            .get(inst)
            .map_or_else(String::new, |i| scaled(i.tick, ticks))
    }

    fn px_f(&self, inst: usize, ticks: f64) -> String {
        self.insts.get(inst).map_or_else(String::new, |i| {
            let prec = usize::from(i.tick.scale + 1).min(8);
            format!("{:.prec$}", ticks * i.tick.to_f64())
        })
    }

    fn qty(&self, inst: usize, lots: u64) -> String {
        self.insts.get(inst).map_or_else(String::new, |i| {
            scaled(i.lot, i64::try_from(lots).unwrap_or(i64::MAX))
        })
    }

    fn rows(&self, inst: usize, side: BookSide, n: usize) -> Vec<Value> {
        self.published.get(inst).map_or_else(Vec::new, |(b, _)| {
            b.top(side, n)
                .into_iter()
                .map(|(t, l)| json!([self.px(inst, t), self.qty(inst, l)]))
                .collect()
        })
    }

    fn push(&self, out: &mut Vec<EmuFrame>, inst: usize, t: Topic, text: &str) {
        for (id, subs) in &self.conns {
            if subs.contains(&(inst, t)) {
                out.push(EmuFrame {
                    conn: *id,
                    text: text.into(),
                    close_after: false,
                });
            }
        }
    }

    fn book_snapshot(&self, inst: usize) -> String {
        let s = &self.insts[inst].symbol;
        json!({"topic": format!("orderbook.{BOOK_DEPTH}.{s}"), "type": "snapshot", "ts": ms(self.now_ns),
               "data": {"s": s, "b": self.rows(inst, BookSide::Bid, BOOK_DEPTH), "a": self.rows(inst, BookSide::Ask, BOOK_DEPTH),
                        "u": self.published[inst].1, "seq": self.published[inst].1 * 7},
               "cts": ms(self.now_ns)})
        .to_string()
    }

    fn ticker(&self, inst: usize, full: bool) -> Value {
        let (open, high, low, last, lots, _) = self.sim.stats(inst).unwrap_or_default();
        let (mark, index, rate, next) = self.marks[inst];
        let oi = self.sim.open_interest_lots(inst).round() as u64;
        let turnover = last as f64
            * self.insts[inst].tick.to_f64()
            * lots as f64
            * self.insts[inst].lot.to_f64();
        let mut v = json!({"symbol": self.insts[inst].symbol, "lastPrice": self.px(inst, last),
            "highPrice24h": self.px(inst, high), "lowPrice24h": self.px(inst, low),
            "volume24h": self.qty(inst, lots), "turnover24h": format!("{turnover:.4}"),
            "markPrice": self.px_f(inst, mark), "indexPrice": self.px_f(inst, index),
            "openInterest": self.qty(inst, oi), "fundingRate": format!("{rate:.6}"),
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
            v["prevPrice24h"] = json!(self.px(inst, open));
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
        let sym = self.insts[inst].symbol.clone();
        match c.kind {
            SimChangeKind::Trade {
                id,
                ticks,
                lots,
                buyer_aggressor,
            } => {
                let msg = json!({"topic": format!("publicTrade.{sym}"), "type": "snapshot", "ts": ts,
                    "data": [{"T": ts, "s": sym, "S": if buyer_aggressor { "Buy" } else { "Sell" },
                              "v": self.qty(inst, lots), "p": self.px(inst, ticks), "L": "ZeroPlusTick",
                              "i": format!("00000000-0000-4000-8000-{id:012}"), "BT": false}]});
                self.push(out, inst, Topic::Trade, &msg.to_string());
                let c2 = self.candles[inst]
                    .entry(c.ts_ns / (60_000 * MS))
                    .or_insert((ticks, ticks, ticks, ticks, 0));
                c2.1 = c2.1.max(ticks);
                c2.2 = c2.2.min(ticks);
                c2.3 = ticks;
                c2.4 += lots;
                let r = &mut self.recent[inst];
                r.push_back(TradeRec {
                    id,
                    ticks,
                    lots,
                    buy: buyer_aggressor,
                    ts_ns: c.ts_ns,
                });
                if r.len() > 500 {
                    r.pop_front();
                }
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
                if self.gap_next.remove(&inst) {
                    sent_u += 1;
                }
                let (mut b, mut a) = (Vec::new(), Vec::new());
                for l in &levels {
                    let row = json!([self.px(inst, l.ticks), self.qty(inst, l.lots)]);
                    match l.side {
                        BookSide::Bid => b.push(row),
                        BookSide::Ask => a.push(row),
                    }
                }
                let msg = json!({"topic": format!("orderbook.{BOOK_DEPTH}.{sym}"), "type": "delta", "ts": ts,
                    "data": {"s": sym, "b": b, "a": a, "u": sent_u, "seq": update_id * 7}, "cts": ts});
                self.push(out, inst, Topic::Book, &msg.to_string());
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
                              "v": self.qty(inst, lots), "p": self.px(inst, ticks)}]});
                self.push(out, inst, Topic::Liquidation, &msg.to_string());
            }
        }
    }

    fn param<'q>(query: &'q str, key: &str) -> Option<&'q str> {
        query.split('&').find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
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
        self.conns.insert(conn, BTreeSet::new());
        Vec::new()
    }
    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let reply = |t: String| EmuFrame {
            conn,
            text: t.into(),
            close_after: false,
        };
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
            let Some(inst) = self.inst_by_symbol(sym) else {
                return vec![reply(json!({"success": false, "ret_msg": format!("error:symbol not found,topic:{t}"), "conn_id": cid, "req_id": req_id, "op": op}).to_string())];
            };
            parsed.push((inst, topic));
        }
        let mut out = vec![reply(
            json!({"success": true, "ret_msg": "", "conn_id": cid, "req_id": req_id, "op": op})
                .to_string(),
        )];
        for (inst, topic) in parsed {
            if let Some(subs) = self.conns.get_mut(&conn) {
                if op == "subscribe" {
                    subs.insert((inst, topic));
                } else {
                    subs.remove(&(inst, topic));
                }
            }
            if op == "subscribe" {
                match topic {
                    Topic::Book => out.push(reply(self.book_snapshot(inst))),
                    Topic::Ticker => out.push(reply(json!({"topic": format!("tickers.{}", self.insts[inst].symbol), "type": "snapshot",
                        "ts": ms(self.now_ns), "cs": ms(self.now_ns), "data": self.ticker(inst, true)}).to_string())),
                    _ => {}
                }
            }
        }
        out
    }
    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.conns.remove(&conn);
    }
    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let now = ms(self.now_ns);
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
        let Some(inst) = Self::param(query, "symbol").and_then(|s| self.inst_by_symbol(s)) else {
            return err(10001, "params error: symbol invalid");
        };
        let sym = self.insts[inst].symbol.clone();
        let limit = |d: usize, max: usize| {
            Self::param(query, "limit")
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
                let list: Vec<Value> = self.recent[inst].iter().rev().take(n).map(|t| json!({
                    "execId": format!("00000000-0000-4000-8000-{:012}", t.id), "symbol": sym, "price": self.px(inst, t.ticks),
                    "size": self.qty(inst, t.lots), "side": if t.buy { "Buy" } else { "Sell" }, "time": ms(t.ts_ns).to_string(),
                    "isBlockTrade": false})).collect();
                ok(json!({"category": self.category.name(), "list": list}))
            }
            "/kline" => {
                let minutes: u64 = match Self::param(query, "interval").unwrap_or("1") {
                    "1" => 1,
                    "5" => 5,
                    "15" => 15,
                    "60" => 60,
                    "240" => 240,
                    "D" => 1_440,
                    _ => return err(10001, "params error: interval invalid"),
                };
                let n = limit(200, 1000);
                let mut agg: BTreeMap<u64, Candle> = BTreeMap::new();
                for (m, c) in &self.candles[inst] {
                    let e = agg
                        .entry(m / minutes * minutes)
                        .or_insert((c.0, c.1, c.2, c.3, 0));
                    e.1 = e.1.max(c.1);
                    e.2 = e.2.min(c.2);
                    e.3 = c.3;
                    e.4 += c.4;
                }
                let list: Vec<Value> = agg
                    .iter()
                    .rev()
                    .take(n)
                    .map(|(b, c)| {
                        let vol = self.qty(inst, c.4);
                        let turnover = c.3 as f64
                            * self.insts[inst].tick.to_f64()
                            * c.4 as f64
                            * self.insts[inst].lot.to_f64();
                        json!([
                            (b * 60_000).to_string(),
                            self.px(inst, c.0),
                            self.px(inst, c.1),
                            self.px(inst, c.2),
                            self.px(inst, c.3),
                            vol,
                            format!("{turnover:.4}")
                        ])
                    })
                    .collect();
                ok(json!({"category": self.category.name(), "symbol": sym, "list": list}))
            }
            "/instruments-info" => {
                let i = &self.insts[inst];
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
                let oi = self.sim.open_interest_lots(inst).round() as u64;
                ok(
                    json!({"category": self.category.name(), "symbol": sym, "list": [{"openInterest": self.qty(inst, oi), "timestamp": now.to_string()}], "nextPageCursor": ""}),
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
        if std::mem::take(&mut self.disconnect_next) {
            for id in self.conns.keys() {
                out.push(EmuFrame {
                    conn: *id,
                    text: RString::new(),
                    close_after: true,
                });
            }
        }
        if std::mem::take(&mut self.malformed_next) {
            for id in self.conns.keys() {
                out.push(EmuFrame {
                    conn: *id,
                    text: "{\"topic\":\"publicTrade.BTC".into(),
                    close_after: false,
                });
            }
        }
        self.now_ns = self.now_ns.max(now);
        if !self.paused {
            for c in self.sim.advance(now) {
                self.on_change(c, &mut out);
            }
            if now >= self.next_ticker_ns {
                self.next_ticker_ns = now + 1_000 * MS;
                for inst in 0..self.insts.len() {
                    let msg = json!({"topic": format!("tickers.{}", self.insts[inst].symbol), "type": "delta",
                        "ts": ms(now), "cs": ms(now), "data": self.ticker(inst, false)});
                    self.push(&mut out, inst, Topic::Ticker, &msg.to_string());
                }
            }
        }
        self.frames_sent += out.len() as u64;
        out
    }
    fn control(&mut self, cmd: &str) -> Result<String, SdkError> {
        let v: Value = serde_json::from_str(cmd)
            .map_err(|e| SdkError::invalid_args(format!("control: {e}")))?;
        let inst = |me: &Self| {
            let s = v["symbol"].as_str().unwrap_or("");
            me.inst_by_symbol(s).ok_or_else(|| {
                SdkError::new(
                    orderflow_tool_sdk::ErrorKind::NotFound,
                    format!("unknown symbol {s:?}"),
                )
            })
        };
        match v["op"].as_str() {
            Some("stats") => Ok(
                json!({"frames_sent": self.frames_sent, "connections": self.conns.len()})
                    .to_string(),
            ),
            Some("book") => {
                let i = inst(self)?;
                let n = v["depth"].as_u64().unwrap_or(20) as usize;
                Ok(json!({"u": self.published[i].1, "bids": self.rows(i, BookSide::Bid, n), "asks": self.rows(i, BookSide::Ask, n)}).to_string())
            }
            Some("pause") => {
                self.paused = true;
                Ok("{}".into())
            }
            Some("resume") => {
                self.paused = false;
                Ok("{}".into())
            }
            Some("fault") => {
                match v["kind"].as_str() {
                    Some("gap") => {
                        let i = inst(self)?;
                        self.gap_next.insert(i);
                    }
                    Some("disconnect") => self.disconnect_next = true,
                    Some("malformed") => self.malformed_next = true,
                    other => {
                        return Err(SdkError::invalid_args(format!("unknown fault {other:?}")));
                    }
                }
                Ok("{}".into())
            }
            other => Err(SdkError::invalid_args(format!(
                "unknown control op {other:?}"
            ))),
        }
    }
}
