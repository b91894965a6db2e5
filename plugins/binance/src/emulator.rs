//! The Binance USD-M futures emulator: the server side of the protocol, sans-IO.
//!
//! Serves combined streams on `/stream` (and raw streams on `/ws`), answers `SUBSCRIBE`,
//! `UNSUBSCRIBE` and `LIST_SUBSCRIPTIONS`, and the REST endpoints the codec and tools use:
//! `depth`, `openInterest`, `klines`, `ticker/24hr`, `premiumIndex`, `fundingRate`, `trades`,
//! `exchangeInfo`, `aggTrades`, `ping`, `time` under `/fapi/v1`, and `openInterestHist`,
//! `takerlongshortRatio`, `globalLongShortAccountRatio`, `topLongShortPositionRatio` under
//! `/futures/data`. The market comes from
//! [`orderflow_market_sim`]. Depth streams: `@depth@0ms` (emulator extension: one diff per book
//! change, used by the latency harness), `@depth@100ms`, `@depth` (250 ms), `@depth@500ms`.
//!
//! Control commands (JSON): `{"op":"stats"}`, `{"op":"book","symbol":S,"depth":N}` (the true
//! book), `{"op":"pause"}` / `{"op":"resume"}` (freeze the market; pending aggregated diffs still
//! flush), `{"op":"fault","kind":"gap"|"disconnect"|"malformed","symbol":S}`.

use crate::common::Market;
use orderflow_market_sim::{BookSide, SimChange, SimChangeKind, SimLevel};
use orderflow_plugin_common::emulator::{
    Conn, Control, EmuCore, MS, TradeRecord, frame_to, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::{EmuFrame, Emulator, EmulatorConfig, HttpRequest, HttpResponse, SdkError};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const MAX_RECENT_TRADES: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    AggTrade,
    Depth(u64),
    MarkPrice,
    ForceOrder,
    Ticker,
}

#[derive(Clone, Debug, Default)]
struct PendingDepth {
    first_u: u64,
    prev_u: u64,
    last_u: u64,
    levels: BTreeMap<(u8, i64), u64>,
    next_flush_ns: u64,
}

/// Binance's per-connection state beside the subscriptions.
#[derive(Clone, Debug, Default)]
struct ConnState {
    /// Combined-stream framing (`/stream`): `{"stream":…,"data":…}`.
    combined: bool,
    /// Aggregated diffs per (instrument, speed ms) not yet flushed.
    pending: BTreeMap<(usize, u64), PendingDepth>,
}

/// Periods of the `/futures/data/*` statistics endpoints, in minutes.
const DATA_PERIODS: [(&str, u64); 9] = [
    ("5m", 5),
    ("15m", 15),
    ("30m", 30),
    ("1h", 60),
    ("2h", 120),
    ("4h", 240),
    ("6h", 360),
    ("12h", 720),
    ("1d", 1_440),
];

/// The emulator state.
#[derive(Debug)]
pub struct FuturesEmulator {
    core: EmuCore<Kind, ConnState>,
    /// Lower-case stream names of the instruments (`btcusdt`).
    lower: Vec<String>,
    funding_history: Vec<Vec<(u64, f64, f64)>>,
    /// Futures or spot protocol.
    market: Market,
}

impl FuturesEmulator {
    /// A new emulator.
    ///
    /// # Errors
    /// Invalid tick/lot sizes.
    pub fn new(cfg: &EmulatorConfig) -> Result<Self, SdkError> {
        let market = Market::of_venue(&cfg.venue).ok_or_else(|| {
            SdkError::invalid_args(format!(
                "binance plugin has no emulator for {:?}",
                cfg.venue
            ))
        })?;
        let core = EmuCore::new(cfg, &["gap"], MAX_RECENT_TRADES)?;
        let n = core.insts.len();
        let sim = &core.sim;
        // Deterministic funding history: 30 settlements every 8 h before start.
        let period = 8 * 3600 * 1_000 * MS;
        let mut funding_history = Vec::new();
        for i in 0..n {
            let mark = sim.mark(i).map_or(0.0, |m| m.0);
            let start = cfg.start_ns / period * period;
            let hist = (1..=30u64)
                .rev()
                .map(|k| {
                    let t = start.saturating_sub(k * period);
                    let wiggle =
                        ((k * 7919 + i as u64 * 104_729) % 200) as f64 / 1_000_000.0 - 0.0001;
                    (t, 0.0001 + wiggle, mark)
                })
                .collect();
            funding_history.push(hist);
        }
        let lower = core
            .insts
            .iter()
            .map(|i| i.venue_symbol.to_ascii_lowercase())
            .collect();
        Ok(Self {
            core,
            lower,
            funding_history,
            market,
        })
    }

    fn inst_by_lower(&self, s: &str) -> Option<usize> {
        self.lower.iter().position(|l| l == s)
    }

    fn parse_stream(&self, name: &str) -> Option<(usize, Kind)> {
        let (sym, kind) = name.split_once('@')?;
        let inst = self.inst_by_lower(sym)?;
        let kind = match kind {
            "aggTrade" => Kind::AggTrade,
            "depth" => Kind::Depth(250),
            "depth@0ms" => Kind::Depth(0),
            "depth@100ms" => Kind::Depth(100),
            "depth@500ms" => Kind::Depth(500),
            "markPrice" | "markPrice@1s" if self.market == Market::Futures => Kind::MarkPrice,
            "forceOrder" if self.market == Market::Futures => Kind::ForceOrder,
            "ticker" => Kind::Ticker,
            _ => return None,
        };
        Some((inst, kind))
    }

    fn stream_name(&self, inst: usize, kind: Kind) -> String {
        let s = self.lower.get(inst).map_or("", String::as_str);
        match kind {
            Kind::AggTrade => format!("{s}@aggTrade"),
            Kind::Depth(250) => format!("{s}@depth"),
            Kind::Depth(ms) => format!("{s}@depth@{ms}ms"),
            Kind::MarkPrice => format!("{s}@markPrice@1s"),
            Kind::ForceOrder => format!("{s}@forceOrder"),
            Kind::Ticker => format!("{s}@ticker"),
        }
    }

    fn push(&self, out: &mut Vec<EmuFrame>, inst: usize, kind: Kind, data: &str) {
        let name = self.stream_name(inst, kind);
        self.core.push_with(out, inst, kind, |c| {
            if c.ext.combined {
                format!("{{\"stream\":\"{name}\",\"data\":{data}}}")
            } else {
                data.to_owned()
            }
        });
    }

    fn depth_json(
        &self,
        inst: usize,
        ts_ns: u64,
        first_u: u64,
        last_u: u64,
        prev_u: u64,
        levels: &[(u8, i64, u64)],
    ) -> String {
        let sym = self.core.venue_symbol(inst);
        let mut bids = String::new();
        let mut asks = String::new();
        for (side, ticks, lots) in levels {
            let buf = if *side == 0 { &mut bids } else { &mut asks };
            if !buf.is_empty() {
                buf.push(',');
            }
            let _ = write!(
                buf,
                "[\"{}\",\"{}\"]",
                self.core.px(inst, *ticks),
                self.core.qty(inst, *lots)
            );
        }
        let t = ms(ts_ns);
        match self.market {
            Market::Futures => format!(
                "{{\"e\":\"depthUpdate\",\"E\":{t},\"T\":{t},\"s\":\"{sym}\",\"U\":{first_u},\"u\":{last_u},\"pu\":{prev_u},\"b\":[{bids}],\"a\":[{asks}]}}"
            ),
            // Spot diffs carry no transaction time and no `pu`: continuity is U = previous u + 1.
            Market::Spot => format!(
                "{{\"e\":\"depthUpdate\",\"E\":{t},\"s\":\"{sym}\",\"U\":{first_u},\"u\":{last_u},\"b\":[{bids}],\"a\":[{asks}]}}"
            ),
        }
    }

    fn on_change(&mut self, c: SimChange, out: &mut Vec<EmuFrame>) {
        let inst = c.inst;
        let sym = self.core.venue_symbol(inst).to_owned();
        let t = ms(c.ts_ns);
        match c.kind {
            SimChangeKind::Trade {
                id,
                ticks,
                lots,
                buyer_aggressor,
            } => {
                let data = format!(
                    "{{\"e\":\"aggTrade\",\"E\":{t},\"a\":{id},\"s\":\"{sym}\",\"p\":\"{}\",\"q\":\"{}\",\"f\":{id},\"l\":{id},\"T\":{t},\"m\":{}}}",
                    self.core.px(inst, ticks),
                    self.core.qty(inst, lots),
                    !buyer_aggressor
                );
                self.push(out, inst, Kind::AggTrade, &data);
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
                self.on_book(inst, c.ts_ns, &levels, update_id, out)
            }
            SimChangeKind::Mark {
                mark_ticks,
                index_ticks,
                funding_rate,
                next_funding_ns,
            } => {
                let data = format!(
                    "{{\"e\":\"markPriceUpdate\",\"E\":{t},\"s\":\"{sym}\",\"p\":\"{}\",\"i\":\"{}\",\"P\":\"{}\",\"r\":\"{:.8}\",\"T\":{}}}",
                    self.core.px_f(inst, mark_ticks),
                    self.core.px_f(inst, index_ticks),
                    self.core.px_f(inst, mark_ticks),
                    funding_rate,
                    ms(next_funding_ns)
                );
                self.push(out, inst, Kind::MarkPrice, &data);
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                let (p, q) = (self.core.px(inst, ticks), self.core.qty(inst, lots));
                let side = if buy { "BUY" } else { "SELL" };
                let data = format!(
                    "{{\"e\":\"forceOrder\",\"E\":{t},\"o\":{{\"s\":\"{sym}\",\"S\":\"{side}\",\"o\":\"LIMIT\",\"f\":\"IOC\",\"q\":\"{q}\",\"p\":\"{p}\",\"ap\":\"{p}\",\"X\":\"FILLED\",\"l\":\"{q}\",\"z\":\"{q}\",\"T\":{t}}}}}"
                );
                self.push(out, inst, Kind::ForceOrder, &data);
            }
        }
    }

    fn on_book(
        &mut self,
        inst: usize,
        ts_ns: u64,
        levels: &[SimLevel],
        update_id: u64,
        out: &mut Vec<EmuFrame>,
    ) {
        let flat: Vec<(u8, i64, u64)> = levels
            .iter()
            .map(|l| (u8::from(l.side == BookSide::Ask), l.ticks, l.lots))
            .collect();
        let prev = update_id - 1;
        if self.core.faults.take("gap", inst) {
            // Fault: this change is never sent, so the next diff's pu does not chain.
            // Aggregating subscribers: drop what is pending and continue the chain from the
            // never-sent change, so the next diff's `pu` names an id the client never saw.
            for c in self.core.conns.values_mut() {
                for ((i, _), p) in &mut c.ext.pending {
                    if *i == inst {
                        p.levels.clear();
                        p.first_u = 0;
                        p.prev_u = update_id;
                    }
                }
            }
            return;
        }
        // Immediate (0 ms) subscribers.
        if self.core.any_subscribed(inst, Kind::Depth(0)) {
            let data = self.depth_json(inst, ts_ns, update_id, update_id, prev, &flat);
            self.push(out, inst, Kind::Depth(0), &data);
        }
        // Aggregating subscribers.
        for c in self.core.conns.values_mut() {
            for &(i, k) in &c.topics {
                let Kind::Depth(speed) = k else { continue };
                if i != inst || speed == 0 {
                    continue;
                }
                let p = c.ext.pending.entry((inst, speed)).or_default();
                if p.first_u == 0 {
                    p.first_u = update_id;
                    if p.prev_u == 0 {
                        p.prev_u = prev;
                    }
                }
                p.last_u = update_id;
                for (s, t, l) in &flat {
                    p.levels.insert((*s, *t), *l);
                }
            }
        }
    }

    fn flush_depth(&mut self, now: u64, out: &mut Vec<EmuFrame>) {
        let mut frames = Vec::new();
        for (id, c) in &mut self.core.conns {
            for ((inst, speed), p) in &mut c.ext.pending {
                if now < p.next_flush_ns {
                    continue;
                }
                p.next_flush_ns = (now / (speed * MS) + 1) * speed * MS;
                if p.first_u == 0 {
                    continue;
                }
                let levels: Vec<(u8, i64, u64)> =
                    p.levels.iter().map(|((s, t), l)| (*s, *t, *l)).collect();
                frames.push((*id, *inst, *speed, p.first_u, p.last_u, p.prev_u, levels));
                p.prev_u = p.last_u;
                p.first_u = 0;
                p.levels.clear();
            }
        }
        for (id, inst, speed, first_u, last_u, prev_u, levels) in frames {
            let data = self.depth_json(inst, now, first_u, last_u, prev_u, &levels);
            let combined = self.core.conns.get(&id).is_some_and(|c| c.ext.combined);
            let text = if combined {
                format!(
                    "{{\"stream\":\"{}\",\"data\":{data}}}",
                    self.stream_name(inst, Kind::Depth(speed))
                )
            } else {
                data
            };
            out.push(EmuFrame {
                conn: id,
                text: text.into(),
                close_after: false,
            });
        }
    }

    fn ticker_json(&self, inst: usize, now: u64) -> String {
        let Some((open, high, low, last, vol_lots, count)) = self.core.sim.stats(inst) else {
            return "{}".into();
        };
        let sym = self.core.venue_symbol(inst);
        let change = last - open;
        let pct = if open != 0 {
            change as f64 / open as f64 * 100.0
        } else {
            0.0
        };
        let quote = self
            .core
            .inst(inst)
            .map_or(0.0, |i| i.notional(last, vol_lots));
        let t = ms(now);
        format!(
            "{{\"e\":\"24hrTicker\",\"E\":{t},\"s\":\"{sym}\",\"p\":\"{}\",\"P\":\"{pct:.3}\",\"w\":\"{}\",\"c\":\"{}\",\"Q\":\"{}\",\"o\":\"{}\",\"h\":\"{}\",\"l\":\"{}\",\"v\":\"{}\",\"q\":\"{quote:.2}\",\"O\":{},\"C\":{t},\"F\":1,\"L\":{count},\"n\":{count}}}",
            self.core.px(inst, change),
            self.core.px(inst, last),
            self.core.px(inst, last),
            self.core.qty(inst, 1),
            self.core.px(inst, open),
            self.core.px(inst, high),
            self.core.px(inst, low),
            self.core.qty(inst, vol_lots),
            t.saturating_sub(86_400_000),
        )
    }

    /// `/futures/data/*`: open-interest history, taker buy/sell volume and long/short ratios per
    /// period, from the emulator's per-minute candles. Account ratios are synthetic (a real venue
    /// derives them from positions the emulator does not model): they lean with the taker flow,
    /// the global ratio with the cumulative flow, the top-trader ratio with the period's flow.
    fn futures_data(&self, endpoint: &str, query: &str) -> HttpResponse {
        let ok = |v: Value| HttpResponse {
            status: 200,
            body: v.to_string().into(),
        };
        let err = |status: u16, code: i64, msg: &str| HttpResponse {
            status,
            body: json!({"code": code, "msg": msg}).to_string().into(),
        };
        let Some(symbol) = query_param(query, "symbol") else {
            return err(
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            );
        };
        let Some(inst) = self.core.find(symbol) else {
            return err(400, -1121, "Invalid symbol.");
        };
        let period = query_param(query, "period").unwrap_or("");
        let Some(&(_, minutes)) = DATA_PERIODS.iter().find(|(p, _)| *p == period) else {
            return err(400, -1120, "Invalid period.");
        };
        let n = query_param(query, "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(30)
            .clamp(1, 500);
        let (Some(candles), Some(spec)) = (self.core.tape.candles(inst), self.core.inst(inst))
        else {
            return err(500, -1000, "no data");
        };
        let lot = spec.lot.to_f64();
        // Aggregate minutes into periods: volume, taker buy volume, last OI, last close.
        let mut agg: BTreeMap<u64, (u64, u64, u64, i64)> = BTreeMap::new();
        for (m, c) in candles {
            let e = agg.entry(m / minutes * minutes).or_default();
            e.0 += c.lots;
            e.1 += c.taker_buy_lots;
            e.2 = c.oi_lots;
            e.3 = c.close;
        }
        let mut cum_delta = 0.0_f64;
        let mut cum_vol = 0.0_f64;
        let mut rows: Vec<Value> = Vec::new();
        for (b, (lots, buy, oi, close)) in &agg {
            let ts = b * 60_000;
            let (vol, buy_v) = (*lots as f64 * lot, *buy as f64 * lot);
            let sell_v = vol - buy_v;
            cum_delta += buy_v - sell_v;
            cum_vol += vol;
            let lean = |x: f64| 0.5 + 0.15 * x.tanh();
            let ratio_row = |long: f64| {
                json!({"symbol": symbol, "longShortRatio": format!("{:.4}", long / (1.0 - long)),
                       "longAccount": format!("{long:.4}"), "shortAccount": format!("{:.4}", 1.0 - long), "timestamp": ts})
            };
            rows.push(match endpoint {
                "/openInterestHist" => {
                    let oi_base = *oi as f64 * lot;
                    let px = *close as f64 * spec.tick.to_f64();
                    json!({"symbol": symbol, "sumOpenInterest": format!("{oi_base:.8}"),
                           "sumOpenInterestValue": format!("{:.8}", oi_base * px), "timestamp": ts})
                }
                "/takerlongshortRatio" => json!({
                    "buySellRatio": if sell_v > 0.0 { format!("{:.4}", buy_v / sell_v) } else { "0".into() },
                    "buyVol": format!("{buy_v:.4}"), "sellVol": format!("{sell_v:.4}"), "timestamp": ts}),
                "/globalLongShortAccountRatio" => {
                    ratio_row(lean(3.0 * cum_delta / cum_vol.max(f64::MIN_POSITIVE)))
                }
                "/topLongShortPositionRatio" | "/topLongShortAccountRatio" => {
                    ratio_row(lean(5.0 * (buy_v - sell_v) / vol.max(f64::MIN_POSITIVE)))
                }
                _ => return err(404, -5, "Not found"),
            });
        }
        let skip = rows.len().saturating_sub(n);
        ok(Value::Array(rows.split_off(skip)))
    }

    fn klines(&self, inst: usize, minutes: u64, n: usize) -> Option<Value> {
        let i = self.core.inst(inst)?;
        let rows: Vec<Value> = self
            .core
            .tape
            .bars(inst, minutes, n)
            .into_iter()
            .map(|(b, c)| {
                let open_ms = b * 60_000;
                json!([
                    open_ms,
                    i.px(c.open),
                    i.px(c.high),
                    i.px(c.low),
                    i.px(c.close),
                    i.qty(c.lots),
                    open_ms + minutes * 60_000 - 1,
                    format!("{:.8}", c.quote),
                    c.trades,
                    i.qty(c.taker_buy_lots),
                    "0",
                    "0"
                ])
            })
            .collect();
        Some(Value::Array(rows))
    }
}

impl Emulator for FuturesEmulator {
    fn ws_open(&mut self, conn: u64, path: &str, _now: u64) -> Vec<EmuFrame> {
        let (base, query) = path.split_once('?').unwrap_or((path, ""));
        let mut c = Conn::<Kind, ConnState>::default();
        if base == "/stream" {
            c.ext.combined = true;
            if let Some(streams) = query.strip_prefix("streams=") {
                for s in streams.split('/') {
                    if let Some(k) = self.parse_stream(s) {
                        c.topics.insert(k);
                    }
                }
            }
        } else if let Some(stream) = base.strip_prefix("/ws/") {
            if let Some(k) = self.parse_stream(stream) {
                c.topics.insert(k);
            }
        } else if base != "/ws" {
            return vec![EmuFrame {
                conn,
                text: "".into(),
                close_after: true,
            }];
        }
        self.core.conns.insert(conn, c);
        Vec::new()
    }
    fn ws_message(&mut self, conn: u64, text: &str, _now: u64) -> Vec<EmuFrame> {
        let reply = |t: String| vec![frame_to(conn, t)];
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return reply(json!({"code": 3, "msg": "Invalid JSON", "id": null}).to_string());
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let method = v.get("method").and_then(Value::as_str).unwrap_or("");
        let params: Vec<String> = v
            .get("params")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match method {
            "SUBSCRIBE" | "UNSUBSCRIBE" => {
                let mut parsed = Vec::new();
                for p in &params {
                    match self.parse_stream(p) {
                        Some(k) => parsed.push(k),
                        None => {
                            return reply(json!({"code": 2, "msg": format!("Invalid request: unknown stream {p}"), "id": id}).to_string());
                        }
                    }
                }
                if let Some(c) = self.core.conns.get_mut(&conn) {
                    for k in parsed {
                        if method == "SUBSCRIBE" {
                            c.topics.insert(k);
                        } else {
                            c.topics.remove(&k);
                        }
                    }
                }
                reply(json!({"result": null, "id": id}).to_string())
            }
            "LIST_SUBSCRIPTIONS" => {
                let subs: Vec<String> = self
                    .core
                    .conns
                    .get(&conn)
                    .map(|c| {
                        c.topics
                            .iter()
                            .map(|(i, k)| self.stream_name(*i, *k))
                            .collect()
                    })
                    .unwrap_or_default();
                reply(json!({"result": subs, "id": id}).to_string())
            }
            "SET_PROPERTY" | "GET_PROPERTY" => reply(json!({"result": null, "id": id}).to_string()),
            _ => reply(json!({"code": 0, "msg": "Unknown property", "id": id}).to_string()),
        }
    }
    fn ws_close(&mut self, conn: u64, _now: u64) {
        self.core.conns.remove(&conn);
    }
    fn http(&mut self, req: &HttpRequest, _now: u64) -> HttpResponse {
        let ok = |v: Value| HttpResponse {
            status: 200,
            body: v.to_string().into(),
        };
        let err = |status: u16, code: i64, msg: &str| HttpResponse {
            status,
            body: json!({"code": code, "msg": msg}).to_string().into(),
        };
        let pq = req.path_and_query.as_str();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        if let Some(endpoint) = path
            .strip_prefix("/futures/data")
            .filter(|_| self.market == Market::Futures)
        {
            return self.futures_data(endpoint, query);
        }
        let Some(endpoint) = path.strip_prefix(self.market.rest()) else {
            return err(404, -5, "Not found");
        };
        let futures_only = ["/openInterest", "/premiumIndex", "/fundingRate"];
        let spot_only = ["/avgPrice", "/ticker/price", "/ticker/bookTicker"];
        if (self.market == Market::Spot && futures_only.contains(&endpoint))
            || (self.market == Market::Futures && spot_only.contains(&endpoint))
        {
            return err(404, -5, "Not found");
        }
        let now = self.core.now_ns;
        match endpoint {
            "/ping" => return ok(json!({})),
            "/time" => return ok(json!({"serverTime": ms(now)})),
            "/exchangeInfo" => {
                let symbols: Vec<Value> = self
                    .core
                    .insts
                    .iter()
                    .map(|i| {
                        let filters = json!([{"filterType": "PRICE_FILTER", "tickSize": i.tick.to_string()},
                                             {"filterType": "LOT_SIZE", "stepSize": i.lot.to_string()}]);
                        match self.market {
                            Market::Futures => json!({"symbol": i.venue_symbol, "pair": i.venue_symbol, "contractType": "PERPETUAL",
                                                      "status": "TRADING", "filters": filters}),
                            Market::Spot => json!({"symbol": i.venue_symbol, "status": "TRADING",
                                                   "baseAsset": i.venue_symbol.strip_suffix("USDT").unwrap_or(&i.venue_symbol),
                                                   "quoteAsset": "USDT", "filters": filters}),
                        }
                    })
                    .collect();
                return ok(json!({"timezone": "UTC", "serverTime": ms(now), "symbols": symbols}));
            }
            _ => {}
        }
        let Some(symbol) = query_param(query, "symbol") else {
            return err(
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            );
        };
        let Some(inst) = self.core.find(symbol) else {
            return err(400, -1121, "Invalid symbol.");
        };
        let limit = |default: usize, max: usize| {
            query_param(query, "limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(default)
                .clamp(1, max)
        };
        match endpoint {
            "/depth" => {
                let n = limit(500, 1000);
                let Some(book) = self.core.sim.book(inst) else {
                    return err(500, -1000, "no book");
                };
                let side = |s: BookSide| -> Vec<Value> {
                    book.top(s, n)
                        .into_iter()
                        .map(|(t, l)| json!([self.core.px(inst, t), self.core.qty(inst, l)]))
                        .collect()
                };
                ok(
                    json!({"lastUpdateId": self.core.sim.update_id(inst), "E": ms(now), "T": ms(now),
                    "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}),
                )
            }
            "/openInterest" => {
                let lots = self.core.sim.open_interest_lots(inst).round() as u64;
                ok(
                    json!({"openInterest": self.core.qty(inst, lots), "symbol": symbol, "time": ms(now)}),
                )
            }
            "/premiumIndex" => {
                let (mark, rate) = self.core.sim.mark(inst).unwrap_or((0.0, 0.0));
                let period = 8 * 3600 * 1_000;
                ok(
                    json!({"symbol": symbol, "markPrice": self.core.px_f(inst, mark), "indexPrice": self.core.px_f(inst, mark * 0.9998),
                    "estimatedSettlePrice": self.core.px_f(inst, mark), "lastFundingRate": format!("{rate:.8}"),
                    "interestRate": "0.00010000", "nextFundingTime": (ms(now) / period + 1) * period, "time": ms(now)}),
                )
            }
            "/fundingRate" => {
                let n = limit(100, 1000);
                let hist = self.funding_history.get(inst).cloned().unwrap_or_default();
                let rows: Vec<Value> = hist
                    .iter()
                    .rev()
                    .take(n)
                    .rev()
                    .map(|(t, r, m)| json!({"symbol": symbol, "fundingRate": format!("{r:.8}"), "fundingTime": ms(*t), "markPrice": self.core.px_f(inst, *m)}))
                    .collect();
                ok(Value::Array(rows))
            }
            "/trades" => {
                let n = limit(500, 1000);
                let rows: Vec<Value> = self.core.tape.recent(inst).rev().take(n).collect::<Vec<_>>().into_iter().rev()
                    .map(|t| json!({"id": t.id, "price": self.core.px(inst, t.ticks), "qty": self.core.qty(inst, t.lots),
                                "time": ms(t.ts_ns), "isBuyerMaker": !t.buy}))
                    .collect();
                ok(Value::Array(rows))
            }
            "/aggTrades" => {
                let n = limit(500, 1000);
                let rows: Vec<Value> = self.core.tape.recent(inst).rev().take(n).collect::<Vec<_>>().into_iter().rev()
                    .map(|t| json!({"a": t.id, "p": self.core.px(inst, t.ticks), "q": self.core.qty(inst, t.lots),
                                "f": t.id, "l": t.id, "T": ms(t.ts_ns), "m": !t.buy}))
                    .collect();
                ok(Value::Array(rows))
            }
            "/avgPrice" => {
                // Spot: average price of the last 5 minutes of trades.
                let cutoff = now.saturating_sub(300_000 * MS);
                let (sum, n) = self
                    .core
                    .tape
                    .recent(inst)
                    .filter(|t| t.ts_ns >= cutoff)
                    .fold((0.0, 0u64), |(s, n), t| (s + t.ticks as f64, n + 1));
                let avg = if n > 0 {
                    sum / n as f64
                } else {
                    self.core.sim.best_bid(inst) as f64
                };
                ok(json!({"mins": 5, "price": self.core.px_f(inst, avg), "closeTime": ms(now)}))
            }
            "/ticker/price" => {
                let (_, _, _, last, _, _) = self.core.sim.stats(inst).unwrap_or_default();
                ok(json!({"symbol": symbol, "price": self.core.px(inst, last)}))
            }
            "/ticker/bookTicker" => {
                let Some(book) = self.core.sim.book(inst) else {
                    return err(500, -1000, "no book");
                };
                let (b, a) = (
                    book.best_bid().unwrap_or_default(),
                    book.best_ask().unwrap_or_default(),
                );
                ok(
                    json!({"symbol": symbol, "bidPrice": self.core.px(inst, b.0), "bidQty": self.core.qty(inst, b.1),
                          "askPrice": self.core.px(inst, a.0), "askQty": self.core.qty(inst, a.1)}),
                )
            }
            "/ticker/24hr" => {
                let v: Value =
                    serde_json::from_str(&self.ticker_json(inst, now)).unwrap_or(Value::Null);
                ok(
                    json!({"symbol": symbol, "priceChange": v["p"], "priceChangePercent": v["P"], "lastPrice": v["c"],
                    "openPrice": v["o"], "highPrice": v["h"], "lowPrice": v["l"], "volume": v["v"], "quoteVolume": v["q"],
                    "count": v["n"], "closeTime": ms(now)}),
                )
            }
            "/klines" => {
                let interval = query_param(query, "interval").unwrap_or("");
                let minutes: u64 = match interval {
                    "1m" => 1,
                    "3m" => 3,
                    "5m" => 5,
                    "15m" => 15,
                    "30m" => 30,
                    "1h" => 60,
                    "2h" => 120,
                    "4h" => 240,
                    "1d" => 1_440,
                    _ => return err(400, -1120, "Invalid interval."),
                };
                let n = limit(500, 1500);
                self.klines(inst, minutes, n)
                    .map_or_else(|| err(500, -1000, "no candles"), ok)
            }
            _ => err(404, -5, "Not found"),
        }
    }
    fn advance(&mut self, now: u64) -> Vec<EmuFrame> {
        let mut out = Vec::new();
        let changes = self.core.begin(
            now,
            "{\"stream\":\"btcusdt@aggTrade\",\"data\":{\"e\":\"aggTr",
            &mut out,
        );
        for c in changes {
            self.on_change(c, &mut out);
        }
        // Pending aggregated diffs flush even while paused.
        self.flush_depth(now, &mut out);
        if self.core.periodic(now, 1_000 * MS) {
            for inst in 0..self.core.insts.len() {
                let data = self.ticker_json(inst, now);
                self.push(&mut out, inst, Kind::Ticker, &data);
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
        match v.get("op").and_then(Value::as_str) {
            Some("book") => {
                let inst = self
                    .core
                    .require(v.get("symbol").and_then(Value::as_str).unwrap_or(""))?;
                let n = v.get("depth").and_then(Value::as_u64).unwrap_or(20) as usize;
                let book = self
                    .core
                    .sim
                    .book(inst)
                    .ok_or_else(|| SdkError::decode("no book"))?;
                let side = |s: BookSide| -> Vec<Value> {
                    book.top(s, n)
                        .into_iter()
                        .map(|(t, l)| json!([self.core.px(inst, t), self.core.qty(inst, l)]))
                        .collect()
                };
                Ok(json!({"update_id": self.core.sim.update_id(inst), "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
