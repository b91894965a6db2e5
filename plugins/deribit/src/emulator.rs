//! The Deribit emulator: the server side of the JSON-RPC WebSocket API and the public REST API
//! over the shared seeded market ([`EmuCore`]), sans-IO.
//!
//! WebSocket `/ws/api/v2`: `public/subscribe` / `public/unsubscribe` with `channels`
//! (`book.{inst}.{100ms|raw}`, `trades.{inst}.{100ms|raw}`, `ticker.{inst}.{100ms|raw}`; an
//! unknown channel or instrument is a JSON-RPC error), `public/set_heartbeat` (then a
//! `test_request` every interval; a connection that has not answered the previous one with
//! `public/test` is closed, as Deribit does), `public/test`. Books: a `snapshot` on subscribe,
//! then one `change` per book change with `prev_change_id`; trades as arrays with `trade_seq`
//! (liquidations marked `"liquidation":"T"`); a ticker every second. Inverse instruments
//! (`BTC-PERPETUAL`, `ETH-PERPETUAL`) quote amounts in USD, whole contracts of 10 USD (BTC) or
//! 1 USD (others); linear ones in base units. REST under `/api/v2/public/`:
//! `get_last_trades_by_instrument`, `get_order_book`, `ticker`, `get_instruments`,
//! `get_funding_rate_history`, `get_tradingview_chart_data`, `get_book_summary_by_currency`
//! (futures: the perpetuals; options: a seeded chain around the mark), `get_index_price`,
//! `get_historical_volatility`.
//!
//! Faults: `gap` (the next book change of an instrument names a `prev_change_id` that was never
//! sent), plus the core's.

use crate::common::{API, Margin, WS_PATH};
use orderflow_market_sim::{BookSide, SimChange, SimChangeKind};
use orderflow_plugin_common::emulator::{
    Control, EmuCore, MS, TradeRecord, frame_to, ms, query_param, unknown_control,
};
use orderflow_tool_sdk::prelude::*;
use serde_json::{Value, json};

const MAX_RECENT_TRADES: usize = 1_000;
const SNAPSHOT_LEVELS: usize = 500;

/// Channel kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Book,
    Trades,
    Ticker,
}

/// Per-connection heartbeat state.
#[derive(Clone, Copy, Debug, Default)]
struct Heartbeat {
    interval_ns: u64,
    next_ns: u64,
    awaiting_test: bool,
}

/// The emulator state.
#[derive(Debug)]
pub struct DeribitEmulator {
    core: EmuCore<Channel, Heartbeat>,
    /// Last book `change_id` per instrument.
    change_id: Vec<u64>,
    /// Trade sequence per instrument.
    trade_seq: Vec<u64>,
    /// Last mark (ticks), index (ticks), 8 h funding.
    marks: Vec<(f64, f64, f64)>,
}

fn rpc_result(id: &Value, result: Value, now_ms: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result, "usIn": now_ms * 1000, "usOut": now_ms * 1000 + 50,
           "usDiff": 50, "testnet": false})
    .to_string()
}

fn rpc_error(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}, "testnet": false})
        .to_string()
}

fn notification(channel: &str, data: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"{channel}","data":{data}}}}}"#
    )
}

impl DeribitEmulator {
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
            change_id: (0..n)
                .map(|i| 60_000_000_000 + core.sim.update_id(i) * 7)
                .collect(),
            trade_seq: vec![200_000_000; n],
            marks,
            core,
        })
    }

    fn margin(&self, inst: usize) -> Margin {
        Margin::of(self.core.venue_symbol(inst))
    }

    /// USD per contract of an inverse instrument.
    fn contract_usd(&self, inst: usize) -> f64 {
        if self.core.venue_symbol(inst).starts_with("BTC") {
            10.0
        } else {
            1.0
        }
    }

    /// A size on the wire: base units (linear), or whole USD contracts (inverse; at least one
    /// contract for a non-empty level).
    fn amount(&self, inst: usize, ticks: i64, lots: u64) -> String {
        match self.margin(inst) {
            Margin::Linear => self.core.qty(inst, lots),
            Margin::Inverse => {
                if lots == 0 {
                    return "0.0".into();
                }
                let cs = self.contract_usd(inst);
                let usd = self
                    .core
                    .inst(inst)
                    .map_or(0.0, |i| i.notional(ticks, lots));
                format!("{:.1}", ((usd / cs).round().max(1.0)) * cs)
            }
        }
    }

    fn channel_name(&self, inst: usize, c: Channel) -> String {
        let kind = match c {
            Channel::Book => "book",
            Channel::Trades => "trades",
            Channel::Ticker => "ticker",
        };
        format!("{kind}.{}.100ms", self.core.venue_symbol(inst))
    }

    fn levels(&self, inst: usize, side: BookSide, n: usize, action: bool) -> String {
        let rows: Vec<String> = self.core.sim.book(inst).map_or_else(Vec::new, |b| {
            b.top(side, n)
                .into_iter()
                .map(|(t, l)| {
                    let (px, amt) = (self.core.px(inst, t), self.amount(inst, t, l));
                    if action {
                        format!(r#"["new",{px},{amt}]"#)
                    } else {
                        format!("[{px},{amt}]")
                    }
                })
                .collect()
        });
        format!("[{}]", rows.join(","))
    }

    fn book_snapshot(&self, inst: usize) -> String {
        let data = format!(
            r#"{{"type":"snapshot","timestamp":{},"instrument_name":"{}","change_id":{},"bids":{},"asks":{}}}"#,
            ms(self.core.now_ns),
            self.core.venue_symbol(inst),
            self.change_id.get(inst).copied().unwrap_or(0),
            self.levels(inst, BookSide::Bid, SNAPSHOT_LEVELS, true),
            self.levels(inst, BookSide::Ask, SNAPSHOT_LEVELS, true),
        );
        notification(&self.channel_name(inst, Channel::Book), &data)
    }

    fn trade_json(&self, inst: usize, t: &TradeRecord, liquidation: bool) -> String {
        let (mark, index, _) = self.marks.get(inst).copied().unwrap_or_default();
        let cs = self.contract_usd(inst);
        let amount = self.amount(inst, t.ticks, t.lots);
        let contracts = match self.margin(inst) {
            Margin::Inverse => amount.parse::<f64>().unwrap_or(0.0) / cs,
            Margin::Linear => amount.parse::<f64>().unwrap_or(0.0),
        };
        format!(
            r#"{{"timestamp":{},"price":{},"amount":{amount},"direction":"{}","index_price":{},"instrument_name":"{}","trade_seq":{},"mark_price":{},"tick_direction":0,"contracts":{contracts:.1},"trade_id":"{}"{}}}"#,
            ms(t.ts_ns),
            self.core.px(inst, t.ticks),
            if t.buy { "buy" } else { "sell" },
            self.core.px_f(inst, index),
            self.core.venue_symbol(inst),
            t.id,
            self.core.px_f(inst, mark),
            t.id + 100_000_000,
            if liquidation {
                r#","liquidation":"T""#
            } else {
                ""
            }
        )
    }

    fn ticker_data(&self, inst: usize) -> String {
        let (open, high, low, last, lots, _) = self.core.sim.stats(inst).unwrap_or_default();
        let (mark, index, f8h) = self.marks.get(inst).copied().unwrap_or_default();
        let book = self.core.sim.book(inst);
        let best = |side| {
            book.and_then(|b| b.top(side, 1).into_iter().next())
                .unwrap_or_default()
        };
        let (bid, ask) = (best(BookSide::Bid), best(BookSide::Ask));
        let oi_lots = self.core.sim.open_interest_lots(inst).round() as u64;
        let oi = self.amount(inst, mark.round() as i64, oi_lots);
        let usd = self.core.inst(inst).map_or(0.0, |i| i.notional(last, lots));
        let change = if open > 0 {
            (last - open) as f64 / open as f64 * 100.0
        } else {
            0.0
        };
        format!(
            r#"{{"timestamp":{},"state":"open","stats":{{"high":{},"low":{},"price_change":{change:.4},"volume":{},"volume_usd":{usd:.1},"volume_notional":{usd:.1}}},"index_price":{},"instrument_name":"{}","last_price":{},"settlement_price":{},"min_price":{},"max_price":{},"open_interest":{oi},"mark_price":{},"interest_value":0.0,"best_ask_price":{},"best_bid_price":{},"estimated_delivery_price":{},"best_ask_amount":{},"best_bid_amount":{},"current_funding":0.0,"funding_8h":{f8h:.8}}}"#,
            ms(self.core.now_ns),
            self.core.px(inst, high),
            self.core.px(inst, low),
            self.core.qty(inst, lots),
            self.core.px_f(inst, index),
            self.core.venue_symbol(inst),
            self.core.px(inst, last),
            self.core.px_f(inst, mark),
            self.core.px_f(inst, mark * 0.985),
            self.core.px_f(inst, mark * 1.015),
            self.core.px_f(inst, mark),
            self.core.px(inst, ask.0),
            self.core.px(inst, bid.0),
            self.core.px_f(inst, index),
            self.amount(inst, ask.0, ask.1),
            self.amount(inst, bid.0, bid.1),
        )
    }

    fn next_trade(
        &mut self,
        inst: usize,
        c: &SimChange,
        ticks: i64,
        lots: u64,
        buy: bool,
    ) -> TradeRecord {
        let id = self.trade_seq.get_mut(inst).map_or(0, |s| {
            *s += 1;
            *s
        });
        TradeRecord {
            id,
            ticks,
            lots,
            buy,
            ts_ns: c.ts_ns,
        }
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
                let t = self.next_trade(inst, &c, ticks, lots, buyer_aggressor);
                let text = notification(
                    &self.channel_name(inst, Channel::Trades),
                    &format!("[{}]", self.trade_json(inst, &t, false)),
                );
                self.core.push(out, inst, Channel::Trades, &text);
                self.core.record_trade(inst, t);
            }
            SimChangeKind::Liquidation { buy, ticks, lots } => {
                let t = self.next_trade(inst, &c, ticks, lots, buy);
                let text = notification(
                    &self.channel_name(inst, Channel::Trades),
                    &format!("[{}]", self.trade_json(inst, &t, true)),
                );
                self.core.push(out, inst, Channel::Trades, &text);
            }
            SimChangeKind::Book { levels, .. } => {
                let Some(prev) = self.change_id.get(inst).copied() else {
                    return;
                };
                // Deribit's change ids increase but are not consecutive.
                let mut id = prev + 1 + (c.ts_ns / 1_000) % 3;
                let mut linked = prev;
                if self.core.faults.take("gap", inst) {
                    linked = id;
                    id += 2;
                }
                if let Some(slot) = self.change_id.get_mut(inst) {
                    *slot = id;
                }
                let row = |l: &orderflow_market_sim::SimLevel| {
                    let action = if l.lots == 0 { "delete" } else { "change" };
                    format!(
                        r#"["{action}",{},{}]"#,
                        self.core.px(inst, l.ticks),
                        self.amount(inst, l.ticks, l.lots)
                    )
                };
                let side = |s: BookSide| -> String {
                    let rows: Vec<String> =
                        levels.iter().filter(|l| l.side == s).map(row).collect();
                    format!("[{}]", rows.join(","))
                };
                let data = format!(
                    r#"{{"type":"change","timestamp":{},"prev_change_id":{linked},"instrument_name":"{}","change_id":{id},"bids":{},"asks":{}}}"#,
                    ms(c.ts_ns),
                    self.core.venue_symbol(inst),
                    side(BookSide::Bid),
                    side(BookSide::Ask)
                );
                let text = notification(&self.channel_name(inst, Channel::Book), &data);
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

    fn parse_channel(&self, ch: &str) -> Option<(usize, Channel)> {
        let mut parts = ch.split('.');
        let kind = match parts.next()? {
            "book" => Channel::Book,
            "trades" => Channel::Trades,
            "ticker" => Channel::Ticker,
            _ => return None,
        };
        let inst = self.core.find(parts.next()?)?;
        matches!(parts.next()?, "100ms" | "raw").then_some(())?;
        parts.next().is_none().then_some((inst, kind))
    }

    fn mark_usd(&self, i: usize) -> f64 {
        self.marks.get(i).map_or(0.0, |m| m.0) * self.core.inst(i).map_or(0.0, |x| x.tick.to_f64())
    }

    fn instrument_json(&self, i: usize) -> Value {
        let inst = self.core.inst(i);
        let name = self.core.venue_symbol(i);
        let (base, quote) = name
            .trim_end_matches("-PERPETUAL")
            .split_once('_')
            .unwrap_or((name.trim_end_matches("-PERPETUAL"), "USD"));
        let linear = self.margin(i) == Margin::Linear;
        json!({"instrument_name": name, "kind": "future", "settlement_period": "perpetual", "is_active": true,
               "base_currency": base, "quote_currency": quote, "settlement_currency": if linear { quote } else { base },
               "counter_currency": quote, "instrument_type": if linear { "linear" } else { "reversed" },
               "tick_size": inst.map(|x| x.tick.to_f64()), "contract_size": if linear { inst.map_or(0.0, |x| x.lot.to_f64()) } else { self.contract_usd(i) },
               "min_trade_amount": if linear { inst.map_or(0.0, |x| x.lot.to_f64()) } else { self.contract_usd(i) },
               "taker_commission": 0.0005, "maker_commission": 0.0, "expiration_timestamp": 32_503_708_800_000u64})
    }

    /// A seeded option chain around the mark: strikes at ±0, 5, 10, 20 %, three expiries.
    fn option_summaries(&self, currency: &str) -> Vec<Value> {
        let Some(i) = (0..self.core.insts.len())
            .find(|&i| self.core.venue_symbol(i) == format!("{currency}-PERPETUAL"))
        else {
            return Vec::new();
        };
        let mark = self.mark_usd(i);
        let now = ms(self.core.now_ns);
        let day = 86_400_000;
        let mut out = Vec::new();
        for (k, days) in [7u64, 28, 91].into_iter().enumerate() {
            let expiry = (now / day + days) * day + 8 * 3_600_000;
            for pct in [-20i32, -10, -5, 0, 5, 10, 20] {
                let strike = ((mark * (1.0 + f64::from(pct) / 100.0)) / 1_000.0)
                    .round()
                    .max(1.0)
                    * 1_000.0;
                for (kind, sign) in [("C", 1.0), ("P", -1.0)] {
                    let moneyness = f64::from(pct) / 100.0;
                    let iv = 45.0 + 60.0 * moneyness * moneyness + 2.0 * k as f64
                        - 3.0 * sign * moneyness;
                    let seed =
                        (strike as u64 / 1_000 * 31 + days * 7 + if sign > 0.0 { 3 } else { 5 })
                            % 97;
                    let oi = 50.0 + seed as f64 * 12.5;
                    let intrinsic = (sign * (mark - strike)).max(0.0) / mark.max(1.0);
                    let time_value = iv / 100.0 * (days as f64 / 365.0).sqrt() * 0.4;
                    let name = format!("{currency}-{}-{}-{kind}", expiry / day, strike as u64);
                    out.push(json!({"instrument_name": name, "base_currency": currency, "quote_currency": currency,
                                    "underlying_price": mark, "underlying_index": format!("{currency}-PERPETUAL"),
                                    "mark_price": ((intrinsic + time_value) * 1e4).round() / 1e4, "mark_iv": (iv * 100.0).round() / 100.0,
                                    "open_interest": oi, "volume": (oi * 0.1).round(), "volume_usd": (oi * 0.1 * mark).round(),
                                    "bid_price": null, "ask_price": null, "creation_timestamp": now, "expiration_timestamp": expiry,
                                    "strike": strike, "option_type": if sign > 0.0 { "call" } else { "put" }}));
                }
            }
        }
        out
    }

    fn rest(&self, path: &str, query: &str) -> (u16, Value) {
        let now = ms(self.core.now_ns);
        let ok = |result: Value| {
            (
                200,
                json!({"jsonrpc": "2.0", "result": result, "usIn": now * 1000, "usOut": now * 1000 + 40, "usDiff": 40, "testnet": false}),
            )
        };
        let err = |code: i64, msg: &str| {
            (
                400,
                json!({"jsonrpc": "2.0", "error": {"code": code, "message": msg}, "testnet": false}),
            )
        };
        let inst = query_param(query, "instrument_name").and_then(|s| self.core.find(s));
        let need = |what: &str| err(-32602, &format!("Invalid params: {what}"));
        let json_of = |text: String| serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
        let count = |default: usize, max: usize| {
            query_param(query, "count")
                .or_else(|| query_param(query, "depth"))
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(default)
                .clamp(1, max)
        };
        match path.strip_prefix(API).unwrap_or("") {
            "/get_last_trades_by_instrument" => {
                let Some(i) = inst else {
                    return need("instrument_name");
                };
                let n = count(10, 1000);
                let mut trades: Vec<Value> = self
                    .core
                    .tape
                    .recent(i)
                    .rev()
                    .take(n)
                    .map(|t| json_of(self.trade_json(i, t, false)))
                    .collect();
                trades.reverse();
                ok(json!({"trades": trades, "has_more": false}))
            }
            "/get_order_book" => {
                let Some(i) = inst else {
                    return need("instrument_name");
                };
                let n = count(20, 10_000);
                let mut t = json_of(self.ticker_data(i));
                t["bids"] = json_of(self.levels(i, BookSide::Bid, n, false));
                t["asks"] = json_of(self.levels(i, BookSide::Ask, n, false));
                t["change_id"] = json!(self.change_id.get(i));
                ok(t)
            }
            "/ticker" => {
                let Some(i) = inst else {
                    return need("instrument_name");
                };
                ok(json_of(self.ticker_data(i)))
            }
            "/get_instruments" => {
                let currency = query_param(query, "currency").unwrap_or("any");
                let kind = query_param(query, "kind").unwrap_or("future");
                if kind != "future" {
                    return ok(json!([]));
                }
                let list: Vec<Value> = (0..self.core.insts.len())
                    .map(|i| self.instrument_json(i))
                    .filter(|v| {
                        currency == "any"
                            || v["base_currency"] == currency
                            || v["settlement_currency"] == currency
                    })
                    .collect();
                ok(json!(list))
            }
            "/get_funding_rate_history" => {
                let Some(i) = inst else {
                    return need("instrument_name");
                };
                let hour = 3_600_000;
                let end = query_param(query, "end_timestamp")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(now)
                    .min(now);
                let start = query_param(query, "start_timestamp")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(end.saturating_sub(48 * hour));
                let mark = self.mark_usd(i);
                let rows: Vec<Value> = (start / hour + 1..=end / hour)
                    .rev()
                    .take(744)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(|h| {
                        let r8 = ((h * 7_919 + i as u64 * 104_729) % 300) as f64 / 1e6 - 0.000_1;
                        json!({"timestamp": h * hour, "index_price": mark, "prev_index_price": mark, "interest_8h": r8, "interest_1h": r8 / 8.0})
                    })
                    .collect();
                ok(json!(rows))
            }
            "/get_tradingview_chart_data" => {
                let Some(i) = inst else {
                    return need("instrument_name");
                };
                let minutes: u64 = match query_param(query, "resolution").unwrap_or("60") {
                    "1" => 1,
                    "3" => 3,
                    "5" => 5,
                    "10" => 10,
                    "15" => 15,
                    "30" => 30,
                    "60" => 60,
                    "120" => 120,
                    "180" => 180,
                    "360" => 360,
                    "720" => 720,
                    "1D" => 1_440,
                    _ => return need("resolution"),
                };
                let start = query_param(query, "start_timestamp")
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
                let end = query_param(query, "end_timestamp")
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(now);
                let bars: Vec<(u64, orderflow_plugin_common::emulator::Candle)> = self
                    .core
                    .tape
                    .bars(i, minutes, 5_000)
                    .into_iter()
                    .filter(|(m, _)| m * 60_000 >= start && m * 60_000 <= end)
                    .collect();
                let col = |f: &dyn Fn(&orderflow_plugin_common::emulator::Candle) -> Value| -> Vec<Value> { bars.iter().map(|(_, c)| f(c)).collect() };
                ok(
                    json!({"status": if bars.is_empty() { "no_data" } else { "ok" },
                          "ticks": bars.iter().map(|(m, _)| m * 60_000).collect::<Vec<_>>(),
                          "open": col(&|c| json_of(self.core.px(i, c.open))), "high": col(&|c| json_of(self.core.px(i, c.high))),
                          "low": col(&|c| json_of(self.core.px(i, c.low))), "close": col(&|c| json_of(self.core.px(i, c.close))),
                          "volume": col(&|c| json_of(self.core.qty(i, c.lots))),
                          "cost": col(&|c| json!((c.quote * 10.0).round() / 10.0))}),
                )
            }
            "/get_book_summary_by_currency" => {
                let Some(currency) = query_param(query, "currency") else {
                    return need("currency");
                };
                match query_param(query, "kind").unwrap_or("future") {
                    "option" => ok(json!(self.option_summaries(currency))),
                    "future" => {
                        let rows: Vec<Value> = (0..self.core.insts.len())
                            .filter(|&i| self.instrument_json(i)["base_currency"] == currency)
                            .map(|i| {
                                let t = json_of(self.ticker_data(i));
                                json!({"instrument_name": self.core.venue_symbol(i), "base_currency": currency, "mark_price": t["mark_price"],
                                       "last": t["last_price"], "open_interest": t["open_interest"], "volume": t["stats"]["volume"],
                                       "volume_usd": t["stats"]["volume_usd"], "funding_8h": t["funding_8h"], "current_funding": 0.0,
                                       "bid_price": t["best_bid_price"], "ask_price": t["best_ask_price"], "creation_timestamp": now})
                            })
                            .collect();
                        ok(json!(rows))
                    }
                    _ => need("kind"),
                }
            }
            "/get_index_price" => {
                let Some(name) = query_param(query, "index_name") else {
                    return need("index_name");
                };
                let cur = name.split('_').next().unwrap_or("").to_ascii_uppercase();
                let Some(i) = (0..self.core.insts.len()).find(|&i| {
                    self.core.venue_symbol(i).starts_with(&format!("{cur}-"))
                        || self.core.venue_symbol(i).starts_with(&format!("{cur}_"))
                }) else {
                    return err(10_003, "index_name not found");
                };
                let index = self.marks.get(i).map_or(0.0, |m| m.1)
                    * self.core.inst(i).map_or(0.0, |x| x.tick.to_f64());
                ok(json!({"index_price": index, "estimated_delivery_price": index}))
            }
            "/get_historical_volatility" => {
                let Some(cur) = query_param(query, "currency") else {
                    return need("currency");
                };
                let Some(i) = (0..self.core.insts.len())
                    .find(|&i| self.core.venue_symbol(i).starts_with(&format!("{cur}-")))
                else {
                    return err(10_003, "currency not found");
                };
                // Annualized stdev of hourly log returns over the tape's bars, one row per hour.
                let bars = self.core.tape.bars(i, 60, 400);
                let closes: Vec<(u64, f64)> = bars
                    .iter()
                    .map(|(m, c)| (m * 60_000, c.close as f64))
                    .collect();
                let rows: Vec<Value> = closes
                    .windows(2)
                    .map(|w| {
                        let r = (w[1].1 / w[0].1.max(1e-9)).ln();
                        json!([
                            w[1].0,
                            ((r.abs() * (24.0f64 * 365.0).sqrt()) * 1e4 * 100.0).round() / 1e4
                        ])
                    })
                    .collect();
                ok(json!(rows))
            }
            _ => (
                404,
                json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}}),
            ),
        }
    }
}

impl Emulator for DeribitEmulator {
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

    fn ws_message(&mut self, conn: u64, text: &str, now: u64) -> Vec<EmuFrame> {
        let now_ms = ms(now.max(self.core.now_ns));
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![frame_to(
                conn,
                rpc_error(&Value::Null, -32700, "Parse error"),
            )];
        };
        let id = v["id"].clone();
        let reply = |s: String| vec![frame_to(conn, s)];
        match v["method"].as_str().unwrap_or("") {
            "public/test" => {
                if let Some(c) = self.core.conns.get_mut(&conn) {
                    c.ext.awaiting_test = false;
                }
                reply(rpc_result(&id, json!({"version": "1.2.26"}), now_ms))
            }
            "public/set_heartbeat" => {
                let Some(interval) = v["params"]["interval"].as_u64().filter(|s| *s >= 10) else {
                    return reply(rpc_error(
                        &id,
                        11_029,
                        "invalid_arguments: interval (≥ 10 s)",
                    ));
                };
                if let Some(c) = self.core.conns.get_mut(&conn) {
                    c.ext = Heartbeat {
                        interval_ns: interval * 1_000 * MS,
                        next_ns: now + interval * 1_000 * MS,
                        awaiting_test: false,
                    };
                }
                reply(rpc_result(&id, json!("ok"), now_ms))
            }
            m @ ("public/subscribe" | "public/unsubscribe") => {
                let on = m == "public/subscribe";
                let Some(list) = v["params"]["channels"].as_array() else {
                    return reply(rpc_error(&id, -32602, "Invalid params: channels"));
                };
                let mut parsed = Vec::new();
                for ch in list {
                    let name = ch.as_str().unwrap_or("");
                    match self.parse_channel(name) {
                        Some(p) => parsed.push((name.to_owned(), p)),
                        None => {
                            return reply(rpc_error(
                                &id,
                                11_050,
                                &format!("bad_request: channel {name}"),
                            ));
                        }
                    }
                }
                let names: Vec<&str> = parsed.iter().map(|(n, _)| n.as_str()).collect();
                let mut out = reply(rpc_result(&id, json!(names), now_ms));
                for (_, (inst, c)) in &parsed {
                    self.core.set_subscribed(conn, *inst, *c, on);
                    if on {
                        match c {
                            Channel::Book => out.push(frame_to(conn, self.book_snapshot(*inst))),
                            Channel::Ticker => out.push(frame_to(
                                conn,
                                notification(
                                    &self.channel_name(*inst, Channel::Ticker),
                                    &self.ticker_data(*inst),
                                ),
                            )),
                            Channel::Trades => {}
                        }
                    }
                }
                out
            }
            other => reply(rpc_error(
                &id,
                -32601,
                &format!("Method not found: {other}"),
            )),
        }
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
            r#"{"jsonrpc":"2.0","method":"subscription","params":{"chan"#,
            &mut out,
        );
        for c in changes {
            self.on_change(c, &mut out);
        }
        if self.core.periodic(now, 1_000 * MS) {
            for i in 0..self.core.insts.len() {
                let text =
                    notification(&self.channel_name(i, Channel::Ticker), &self.ticker_data(i));
                self.core.push(&mut out, i, Channel::Ticker, &text);
            }
        }
        // Heartbeats: a test_request each interval; one left unanswered closes the connection.
        let mut closing = Vec::new();
        for (id, c) in &mut self.core.conns {
            let hb = &mut c.ext;
            if hb.interval_ns == 0 || now < hb.next_ns {
                continue;
            }
            hb.next_ns = now + hb.interval_ns;
            if hb.awaiting_test {
                closing.push(*id);
                continue;
            }
            hb.awaiting_test = true;
            out.push(frame_to(
                *id,
                r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#
                    .to_owned(),
            ));
        }
        out.extend(closing.into_iter().map(|conn| EmuFrame {
            conn,
            text: "".into(),
            close_after: true,
        }));
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
                            .map(|(t, l)| json!([self.core.px(i, t), self.amount(i, t, l)]))
                            .collect()
                    })
                };
                let unit = match self.margin(i) {
                    Margin::Inverse => "usd",
                    Margin::Linear => "base",
                };
                Ok(json!({"change_id": self.change_id.get(i), "size_unit": unit, "bids": side(BookSide::Bid), "asks": side(BookSide::Ask)}).to_string())
            }
            _ => Err(unknown_control(&v)),
        }
    }
}
