//! The OKX v5 emulator: the server side of the public protocol, sans-IO, over the shared
//! seeded market ([`orderflow_market_sim`]).
//!
//! WebSocket `/ws/v5/public`: `subscribe`/`unsubscribe` ops with per-argument acknowledgements
//! (and `error` events for unknown channels or instruments), text `ping` → `pong`; pushes
//! `trades`, `books` (snapshot on subscribe, then one update per book change with
//! `seqId`/`prevSeqId` and the CRC32 checksum of the top 25 levels), `tickers` and
//! `open-interest` (every second), `mark-price`, `index-tickers`, `funding-rate` (with the
//! simulator's mark ticks) and `liquidation-orders`. Sizes are contracts with `ctVal` = the
//! configured lot size. REST under `/api/v5`: `public/instruments`, `market/books`,
//! `market/candles`, `market/ticker`, `market/trades`, `market/index-tickers`,
//! `public/funding-rate`, `public/funding-rate-history`, `public/open-interest`,
//! `public/mark-price`.
//!
//! Control (JSON): `{"op":"stats"}`, `{"op":"book","symbol":S,"depth":N}` (true book, S = the
//! venue instrument), `{"op":"pause"}` / `{"op":"resume"}`, and faults
//! `{"op":"fault","kind":"gap"|"checksum"|"disconnect"|"malformed","symbol":S}` — `gap` skips
//! one sequence number on the next update of S, `checksum` sends its next update with a wrong
//! checksum, `disconnect` closes every connection, `malformed` sends a truncated frame.

use crate::checksum::okx_checksum;
use crate::codec::index_of;
use orderflow_market_sim::{Book, BookSide, MarketSim, SimChange, SimChangeKind, SimInstrument};
use orderflow_tool_sdk::std_types::RString;
use orderflow_tool_sdk::{
    EmuFrame, Emulator, EmulatorConfig, FixedDecimal, HttpRequest, HttpResponse, SdkError,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const MS: u64 = 1_000_000;
const SNAPSHOT_LEVELS: usize = 400;
const MAX_RECENT_TRADES: usize = 500;

#[derive(Clone, Debug)]
struct EmuInst {
    inst_id: String,
    index: String,
    tick: FixedDecimal,
    lot: FixedDecimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ch {
    Trades,
    Books,
    Tickers,
    Funding,
    OpenInterest,
    Mark,
    Index,
}

impl Ch {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "trades" => Self::Trades,
            "books" => Self::Books,
            "tickers" => Self::Tickers,
            "funding-rate" => Self::Funding,
            "open-interest" => Self::OpenInterest,
            "mark-price" => Self::Mark,
            "index-tickers" => Self::Index,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Self::Trades => "trades",
            Self::Books => "books",
            Self::Tickers => "tickers",
            Self::Funding => "funding-rate",
            Self::OpenInterest => "open-interest",
            Self::Mark => "mark-price",
            Self::Index => "index-tickers",
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Conn {
    subs: BTreeSet<(usize, Ch)>,
    liquidations: bool,
}

#[derive(Clone, Debug)]
struct TradeRec {
    id: u64,
    ticks: i64,
    lots: u64,
    buy: bool,
    ts_ns: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Candle {
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    lots: u64,
}

/// The emulator state.
#[derive(Debug)]
pub struct OkxEmulator {
    sim: MarketSim,
    /// The book as published so far and its `seqId`: the simulator applies a whole `advance`
    /// at once, so each update's checksum is computed on this copy, one change at a time.
    published: Vec<(Book, u64)>,
    insts: Vec<EmuInst>,
    conns: BTreeMap<u64, Conn>,
    recent: Vec<VecDeque<TradeRec>>,
    candles: Vec<BTreeMap<u64, Candle>>,
    /// Last mark (ticks), index (ticks), funding rate, next funding (ns).
    marks: Vec<(f64, f64, f64, u64)>,
    next_periodic_ns: u64,
    now_ns: u64,
    frames_sent: u64,
    gap_next: BTreeSet<usize>,
    bad_checksum_next: BTreeSet<usize>,
    disconnect_next: bool,
    malformed_next: bool,
    paused: bool,
}

fn scaled(unit: FixedDecimal, n: i64) -> String {
    FixedDecimal::new(unit.mantissa.saturating_mul(n), unit.scale).to_string()
}

fn ms(ns: u64) -> u64 {
    ns / MS
}

impl OkxEmulator {
    /// A new emulator.
    ///
    /// # Errors
    /// Invalid tick/lot sizes.
    pub fn new(cfg: &EmulatorConfig) -> Result<Self, SdkError> {
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
            let mid_ticks = (i.start_price / tick.to_f64()).round() as i64;
            let base_lots = ((20_000.0 / i.start_price.max(1e-9)) / lot.to_f64()).max(1.0) as u64;
            specs.push(SimInstrument::new(mid_ticks.max(100), base_lots));
            insts.push(EmuInst {
                inst_id: i.venue_symbol.clone(),
                index: index_of(&i.venue_symbol).to_owned(),
                tick,
                lot,
            });
        }
        let n = insts.len();
        let sim = MarketSim::new(cfg.seed, specs, cfg.msgs_per_sec, cfg.start_ns);
        let marks = (0..n)
            .map(|i| {
                let m = sim.mark(i).map_or(0.0, |m| m.0);
                (m, m, 0.0001, cfg.start_ns)
            })
            .collect();
        let published = (0..n)
            .map(|i| (sim.book(i).cloned().unwrap_or_default(), sim.update_id(i)))
            .collect();
        Ok(Self {
            sim,
            published,
            insts,
            conns: BTreeMap::new(),
            recent: vec![VecDeque::new(); n],
            candles: vec![BTreeMap::new(); n],
            marks,
            next_periodic_ns: cfg.start_ns + 1_000 * MS,
            now_ns: cfg.start_ns,
            frames_sent: 0,
            gap_next: BTreeSet::new(),
            bad_checksum_next: BTreeSet::new(),
            disconnect_next: false,
            malformed_next: false,
            paused: false,
        })
    }

    fn inst_by_id(&self, id: &str) -> Option<usize> {
        self.insts.iter().position(|i| i.inst_id == id)
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

    /// Contracts (1 contract = 1 lot).
    fn sz(lots: u64) -> String {
        lots.to_string()
    }

    fn base(&self, inst: usize, lots: u64) -> String {
        self.insts.get(inst).map_or_else(String::new, |i| {
            scaled(i.lot, i64::try_from(lots).unwrap_or(i64::MAX))
        })
    }

    /// Top `n` levels of the published book as wire rows, best first.
    fn rows(&self, inst: usize, side: BookSide, n: usize) -> Vec<(String, String)> {
        self.published
            .get(inst)
            .map(|(b, _)| b)
            .map_or_else(Vec::new, |b| {
                b.top(side, n)
                    .into_iter()
                    .map(|(t, l)| (self.px(inst, t), Self::sz(l)))
                    .collect()
            })
    }

    fn checksum(&self, inst: usize) -> i32 {
        let bids = self.rows(inst, BookSide::Bid, 25);
        let asks = self.rows(inst, BookSide::Ask, 25);
        okx_checksum(
            bids.iter().map(|(p, s)| (p.as_str(), s.as_str())),
            asks.iter().map(|(p, s)| (p.as_str(), s.as_str())),
        )
    }

    fn wire(rows: &[(String, String)]) -> Vec<Value> {
        rows.iter().map(|(p, s)| json!([p, s, "0", "1"])).collect()
    }

    fn push(&self, out: &mut Vec<EmuFrame>, inst: usize, ch: Ch, text: &str) {
        for (id, c) in &self.conns {
            if c.subs.contains(&(inst, ch)) {
                out.push(EmuFrame {
                    conn: *id,
                    text: text.into(),
                    close_after: false,
                });
            }
        }
    }

    fn push_json(&self, out: &mut Vec<EmuFrame>, inst: usize, ch: Ch, data: Value) {
        let Some(i) = self.insts.get(inst) else {
            return;
        };
        let inst_id = if ch == Ch::Index {
            &i.index
        } else {
            &i.inst_id
        };
        let msg = json!({"arg": {"channel": ch.name(), "instId": inst_id}, "data": [data]});
        self.push(out, inst, ch, &msg.to_string());
    }

    fn snapshot(&self, inst: usize) -> String {
        let inst_id = self.insts.get(inst).map_or("", |i| i.inst_id.as_str());
        json!({"arg": {"channel": "books", "instId": inst_id}, "action": "snapshot",
               "data": [{"asks": Self::wire(&self.rows(inst, BookSide::Ask, SNAPSHOT_LEVELS)),
                         "bids": Self::wire(&self.rows(inst, BookSide::Bid, SNAPSHOT_LEVELS)),
                         "ts": ms(self.now_ns).to_string(), "checksum": self.checksum(inst),
                         "prevSeqId": -1, "seqId": self.published.get(inst).map_or(0, |p| p.1)}]})
        .to_string()
    }

    fn on_change(&mut self, c: SimChange, out: &mut Vec<EmuFrame>) {
        let inst = c.inst;
        let ts = ms(c.ts_ns).to_string();
        match c.kind {
            SimChangeKind::Trade {
                id,
                ticks,
                lots,
                buyer_aggressor,
            } => {
                let data = json!({"instId": self.insts[inst].inst_id, "tradeId": id.to_string(),
                    "px": self.px(inst, ticks), "sz": Self::sz(lots),
                    "side": if buyer_aggressor { "buy" } else { "sell" }, "ts": ts, "count": "1"});
                self.push_json(out, inst, Ch::Trades, data);
                self.record_trade(
                    inst,
                    TradeRec {
                        id,
                        ticks,
                        lots,
                        buy: buyer_aggressor,
                        ts_ns: c.ts_ns,
                    },
                );
            }
            SimChangeKind::Book { levels, update_id } => {
                let mut bids = Vec::new();
                let mut asks = Vec::new();
                if let Some((book, seq)) = self.published.get_mut(inst) {
                    for l in &levels {
                        let side = book.side_mut(l.side);
                        if l.lots == 0 {
                            side.remove(&l.ticks);
                        } else {
                            side.insert(l.ticks, l.lots);
                        }
                    }
                    *seq = update_id;
                }
                for l in levels {
                    let row = json!([
                        self.px(inst, l.ticks),
                        Self::sz(l.lots),
                        "0",
                        if l.lots == 0 { "0" } else { "1" }
                    ]);
                    match l.side {
                        BookSide::Bid => bids.push(row),
                        BookSide::Ask => asks.push(row),
                    }
                }
                let seq = i64::try_from(update_id).unwrap_or(i64::MAX);
                let mut prev = seq - 1;
                if self.gap_next.remove(&inst) {
                    prev -= 1;
                }
                let mut checksum = self.checksum(inst);
                if self.bad_checksum_next.remove(&inst) {
                    checksum = checksum.wrapping_add(1);
                }
                let msg = json!({"arg": {"channel": "books", "instId": self.insts[inst].inst_id},
                    "action": "update",
                    "data": [{"asks": asks, "bids": bids, "ts": ts, "checksum": checksum,
                              "prevSeqId": prev, "seqId": seq}]});
                self.push(out, inst, Ch::Books, &msg.to_string());
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                next_funding_ns,
            } => {
                if let Some(m) = self.marks.get_mut(inst) {
                    *m = (mark_ticks, index_ticks, funding_rate, next_funding_ns);
                }
                let id = self.insts[inst].inst_id.clone();
                self.push_json(
                    out,
                    inst,
                    Ch::Mark,
                    json!({"instId": id, "instType": "SWAP",
                    "markPx": self.px_f(inst, mark_ticks), "ts": ts}),
                );
                self.push_json(
                    out,
                    inst,
                    Ch::Index,
                    json!({"instId": self.insts[inst].index,
                    "idxPx": self.px_f(inst, index_ticks), "ts": ts}),
                );
                self.push_json(out, inst, Ch::Funding, json!({"instId": id, "instType": "SWAP",
                    "fundingRate": format!("{funding_rate:.8}"), "nextFundingRate": "",
                    "fundingTime": ms(next_funding_ns).to_string(),
                    "nextFundingTime": (ms(next_funding_ns) + 8 * 3_600_000).to_string(), "ts": ts}));
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                let i = &self.insts[inst];
                let msg = json!({"arg": {"channel": "liquidation-orders", "instType": "SWAP"},
                    "data": [{"instId": i.inst_id, "instType": "SWAP", "uly": i.index, "instFamily": i.index,
                              "details": [{"side": if buy { "buy" } else { "sell" },
                                           "posSide": if buy { "short" } else { "long" },
                                           "bkPx": self.px(inst, ticks), "sz": Self::sz(lots),
                                           "bkLoss": "0", "ccy": "", "ts": ts}]}]})
                .to_string();
                for (id, c) in &self.conns {
                    if c.liquidations {
                        out.push(EmuFrame {
                            conn: *id,
                            text: msg.as_str().into(),
                            close_after: false,
                        });
                    }
                }
            }
        }
    }

    fn record_trade(&mut self, inst: usize, t: TradeRec) {
        if let Some(candles) = self.candles.get_mut(inst) {
            let c = candles.entry(t.ts_ns / (60_000 * MS)).or_insert(Candle {
                open: t.ticks,
                high: t.ticks,
                low: t.ticks,
                close: t.ticks,
                lots: 0,
            });
            c.high = c.high.max(t.ticks);
            c.low = c.low.min(t.ticks);
            c.close = t.ticks;
            c.lots += t.lots;
            while candles.len() > 1_440 {
                candles.pop_first();
            }
        }
        if let Some(r) = self.recent.get_mut(inst) {
            r.push_back(t);
            while r.len() > MAX_RECENT_TRADES {
                r.pop_front();
            }
        }
    }

    fn ticker(&self, inst: usize) -> Value {
        let (open, high, low, last, lots, _count) = self.sim.stats(inst).unwrap_or_default();
        let best = |s| self.rows(inst, s, 1).into_iter().next().unwrap_or_default();
        let (bid, ask) = (best(BookSide::Bid), best(BookSide::Ask));
        json!({"instType": "SWAP", "instId": self.insts[inst].inst_id, "last": self.px(inst, last),
               "lastSz": "1", "askPx": ask.0, "askSz": ask.1, "bidPx": bid.0, "bidSz": bid.1,
               "open24h": self.px(inst, open), "high24h": self.px(inst, high), "low24h": self.px(inst, low),
               "volCcy24h": self.base(inst, lots), "vol24h": lots.to_string(),
               "sodUtc0": self.px(inst, open), "sodUtc8": self.px(inst, open), "ts": ms(self.now_ns).to_string()})
    }

    fn open_interest(&self, inst: usize) -> Value {
        let lots = self.sim.open_interest_lots(inst).round() as u64;
        json!({"instId": self.insts[inst].inst_id, "instType": "SWAP", "oi": lots.to_string(),
               "oiCcy": self.base(inst, lots), "ts": ms(self.now_ns).to_string()})
    }

    fn query_param<'q>(query: &'q str, key: &str) -> Option<&'q str> {
        query.split('&').find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
    }
}

impl Emulator for OkxEmulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        if path.split('?').next() != Some("/ws/v5/public") {
            return vec![EmuFrame {
                conn,
                text: json!({"event": "error", "code": "60004", "msg": format!("Invalid path {path}")})
                    .to_string()
                    .into(),
                close_after: true,
            }];
        }
        self.conns.insert(conn, Conn::default());
        Vec::new()
    }
    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let reply = |t: String| EmuFrame {
            conn,
            text: t.into(),
            close_after: false,
        };
        if text == "ping" {
            return vec![reply("pong".into())];
        }
        let err = |code: &str, msg: &str| {
            reply(json!({"event": "error", "code": code, "msg": msg, "connId": format!("{conn:08x}")}).to_string())
        };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![err("60012", &format!("Invalid request: {text}"))];
        };
        let op = v["op"].as_str().unwrap_or("");
        if op != "subscribe" && op != "unsubscribe" {
            return vec![err("60012", &format!("Invalid request: {text}"))];
        }
        let mut out = Vec::new();
        for a in v["args"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let channel = a["channel"].as_str().unwrap_or("");
            let ack =
                reply(json!({"event": op, "arg": a, "connId": format!("{conn:08x}")}).to_string());
            if channel == "liquidation-orders" {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.liquidations = op == "subscribe";
                }
                out.push(ack);
                continue;
            }
            let Some(ch) = Ch::parse(channel) else {
                out.push(err(
                    "60018",
                    &format!("Wrong URL or channel:{channel} doesn't exist."),
                ));
                continue;
            };
            let id = a["instId"].as_str().unwrap_or("");
            let inst = if ch == Ch::Index {
                self.insts.iter().position(|i| i.index == id)
            } else {
                self.inst_by_id(id)
            };
            let Some(inst) = inst else {
                out.push(err(
                    "60018",
                    &format!("Wrong URL or channel:{channel},instId:{id} doesn't exist."),
                ));
                continue;
            };
            out.push(ack);
            if let Some(c) = self.conns.get_mut(&conn) {
                if op == "subscribe" {
                    c.subs.insert((inst, ch));
                } else {
                    c.subs.remove(&(inst, ch));
                }
            }
            if op == "subscribe" && ch == Ch::Books {
                out.push(reply(self.snapshot(inst)));
            }
        }
        out
    }
    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.conns.remove(&conn);
    }
    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let ok = |data: Value| HttpResponse {
            status: 200,
            body: json!({"code": "0", "msg": "", "data": data})
                .to_string()
                .into(),
        };
        let err = |status: u16, code: &str, msg: &str| HttpResponse {
            status,
            body: json!({"code": code, "msg": msg, "data": []})
                .to_string()
                .into(),
        };
        let pq = req.path_and_query.as_str();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        let now = ms(self.now_ns);
        if path == "/api/v5/public/instruments" {
            let rows: Vec<Value> = self
                .insts
                .iter()
                .map(|i| json!({"instId": i.inst_id, "instType": "SWAP", "uly": i.index, "instFamily": i.index,
                    "ctVal": i.lot.to_string(), "ctValCcy": i.index.split('-').next().unwrap_or(""),
                    "ctType": "linear", "settleCcy": "USDT", "tickSz": i.tick.to_string(),
                    "lotSz": "1", "minSz": "1", "state": "live"}))
                .collect();
            return ok(Value::Array(rows));
        }
        let id = Self::query_param(query, "instId").unwrap_or("");
        let by_index = path == "/api/v5/market/index-tickers";
        let inst = if by_index {
            self.insts.iter().position(|i| i.index == id)
        } else {
            self.inst_by_id(id)
        };
        let Some(inst) = inst else {
            return err(400, "51001", "Instrument ID does not exist");
        };
        let limit = |d: usize, max: usize| {
            Self::query_param(query, "limit")
                .or_else(|| Self::query_param(query, "sz"))
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(d)
                .clamp(1, max)
        };
        let (mark, index, rate, next) = self.marks.get(inst).copied().unwrap_or_default();
        match path {
            "/api/v5/market/books" => {
                let n = limit(1, 400);
                ok(
                    json!([{"asks": Self::wire(&self.rows(inst, BookSide::Ask, n)),
                           "bids": Self::wire(&self.rows(inst, BookSide::Bid, n)), "ts": now.to_string()}]),
                )
            }
            "/api/v5/market/ticker" => ok(json!([self.ticker(inst)])),
            "/api/v5/market/index-tickers" => ok(json!([{"instId": self.insts[inst].index,
                "idxPx": self.px_f(inst, index), "ts": now.to_string()}])),
            "/api/v5/market/trades" => {
                let n = limit(100, 500);
                let rows: Vec<Value> = self.recent[inst]
                    .iter()
                    .rev()
                    .take(n)
                    .map(|t| {
                        json!({"instId": self.insts[inst].inst_id, "tradeId": t.id.to_string(),
                        "px": self.px(inst, t.ticks), "sz": Self::sz(t.lots),
                        "side": if t.buy { "buy" } else { "sell" }, "ts": ms(t.ts_ns).to_string()})
                    })
                    .collect();
                ok(Value::Array(rows))
            }
            "/api/v5/market/candles" => {
                let minutes: u64 = match Self::query_param(query, "bar").unwrap_or("1m") {
                    "1m" => 1,
                    "5m" => 5,
                    "15m" => 15,
                    "1H" => 60,
                    "4H" => 240,
                    "1D" => 1_440,
                    _ => return err(400, "51000", "Parameter bar error"),
                };
                let n = limit(100, 300);
                let mut agg: BTreeMap<u64, Candle> = BTreeMap::new();
                for (m, c) in &self.candles[inst] {
                    let e = agg.entry(m / minutes * minutes).or_insert(Candle {
                        open: c.open,
                        high: c.high,
                        low: c.low,
                        ..Candle::default()
                    });
                    e.high = e.high.max(c.high);
                    e.low = e.low.min(c.low);
                    e.close = c.close;
                    e.lots += c.lots;
                }
                // Newest first, as OKX returns them.
                let rows: Vec<Value> = agg
                    .iter()
                    .rev()
                    .take(n)
                    .map(|(b, c)| {
                        json!([
                            (b * 60_000).to_string(),
                            self.px(inst, c.open),
                            self.px(inst, c.high),
                            self.px(inst, c.low),
                            self.px(inst, c.close),
                            c.lots.to_string(),
                            self.base(inst, c.lots),
                            "0",
                            if b * 60_000 + minutes * 60_000 <= now {
                                "1"
                            } else {
                                "0"
                            }
                        ])
                    })
                    .collect();
                ok(Value::Array(rows))
            }
            "/api/v5/public/funding-rate" => ok(
                json!([{"instId": self.insts[inst].inst_id, "instType": "SWAP",
                "fundingRate": format!("{rate:.8}"), "fundingTime": ms(next).to_string(),
                "nextFundingTime": (ms(next) + 8 * 3_600_000).to_string(), "ts": now.to_string()}]),
            ),
            "/api/v5/public/funding-rate-history" => {
                let n = limit(30, 100);
                let period = 8 * 3_600_000;
                let rows: Vec<Value> = (1..=n as u64)
                    .map(|k| {
                        let t = (now / period).saturating_sub(k) * period;
                        let r = 0.0001 + ((k * 7_919 + inst as u64 * 104_729) % 200) as f64 / 1e6 - 0.0001;
                        json!({"instId": self.insts[inst].inst_id, "instType": "SWAP", "fundingRate": format!("{r:.8}"),
                               "realizedRate": format!("{r:.8}"), "fundingTime": t.to_string()})
                    })
                    .collect();
                ok(Value::Array(rows))
            }
            "/api/v5/public/open-interest" => ok(json!([self.open_interest(inst)])),
            "/api/v5/public/mark-price" => ok(
                json!([{"instId": self.insts[inst].inst_id, "instType": "SWAP",
                "markPx": self.px_f(inst, mark), "ts": now.to_string()}]),
            ),
            _ => err(404, "404", "Not Found"),
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
                    text: "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-US".into(),
                    close_after: false,
                });
            }
        }
        self.now_ns = self.now_ns.max(now);
        if !self.paused {
            for c in self.sim.advance(now) {
                self.on_change(c, &mut out);
            }
        }
        if now >= self.next_periodic_ns && !self.paused {
            self.next_periodic_ns = now + 1_000 * MS;
            for inst in 0..self.insts.len() {
                self.push_json(&mut out, inst, Ch::Tickers, self.ticker(inst));
                self.push_json(&mut out, inst, Ch::OpenInterest, self.open_interest(inst));
            }
        }
        self.frames_sent += out.len() as u64;
        out
    }
    fn control(&mut self, cmd: &str) -> Result<String, SdkError> {
        let v: Value = serde_json::from_str(cmd)
            .map_err(|e| SdkError::invalid_args(format!("control: {e}")))?;
        let inst = |me: &Self| -> Result<usize, SdkError> {
            let s = v["symbol"].as_str().unwrap_or("");
            me.inst_by_id(s).ok_or_else(|| {
                SdkError::new(
                    orderflow_tool_sdk::ErrorKind::NotFound,
                    format!("unknown instrument {s:?}"),
                )
            })
        };
        match v["op"].as_str() {
            Some("stats") => Ok(json!({"frames_sent": self.frames_sent, "connections": self.conns.len(), "now_ns": self.now_ns}).to_string()),
            Some("book") => {
                let i = inst(self)?;
                let n = v["depth"].as_u64().unwrap_or(20) as usize;
                let side = |s| -> Vec<Value> { self.rows(i, s, n).into_iter().map(|(p, q)| json!([p, q])).collect() };
                Ok(json!({"seq_id": self.published.get(i).map_or(0, |p| p.1), "checksum": self.checksum(i),
                          "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
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
                    Some("checksum") => {
                        let i = inst(self)?;
                        self.bad_checksum_next.insert(i);
                    }
                    Some("disconnect") => self.disconnect_next = true,
                    Some("malformed") => self.malformed_next = true,
                    other => return Err(SdkError::invalid_args(format!("unknown fault {other:?}"))),
                }
                Ok("{}".into())
            }
            other => Err(SdkError::invalid_args(format!("unknown control op {other:?}"))),
        }
    }
}
