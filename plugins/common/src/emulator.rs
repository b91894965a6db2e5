//! The plumbing every venue emulator shares, so that a plugin's emulator holds only its
//! protocol: the instrument table and wire formatting from each instrument's tick and lot, the
//! seeded market ([`orderflow_market_sim`]) and its clock, connections and their subscriptions,
//! the trade tape behind REST trade and candle endpoints, fault injection, and the standard
//! control commands.
//!
//! A venue emulator owns an [`EmuCore`]; in `advance` it calls [`EmuCore::begin`] (which emits
//! the requested disconnect/malformed faults and returns the market changes due), turns each
//! change into frames with [`EmuCore::push`], and ends with [`EmuCore::finish`]. Its `control`
//! passes commands to [`EmuCore::control`] and handles only what that returns as
//! [`Control::Venue`].
//!
//! Control commands (JSON) handled here: `{"op":"stats"}`, `{"op":"pause"}`,
//! `{"op":"resume"}`, `{"op":"faults"}` (the fault kinds this venue implements),
//! `{"op":"fault","kind":"disconnect"|"malformed"}` and `{"op":"fault","kind":K,"symbol":S}` for
//! each per-instrument fault kind the venue declares (e.g. `gap`, `checksum`). Anything else goes
//! to the venue, which must answer at least `{"op":"book","symbol":S,"depth":N}` with the true
//! book, `{"bids":[[price,size]…],"asks":…}` best first, sizes as the venue's wire shows them
//! and, when those are not base units, `"base_per_size"` (a decimal string) to convert them.

use orderflow_market_sim::{MarketSim, SimChange, SimInstrument};
use orderflow_tool_sdk::{EmuFrame, EmulatorConfig, ErrorKind, FixedDecimal, SdkError};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Nanoseconds per millisecond.
pub const MS: u64 = 1_000_000;
/// Minute candles kept per instrument (a day and then some).
const MAX_CANDLES: usize = 1_500;

/// Unix ns → ms, the unit most venues put on the wire.
pub const fn ms(ns: u64) -> u64 {
    ns / MS
}

/// Unix ms as an ISO 8601 UTC timestamp with milliseconds (`2025-11-17T00:34:37.524Z`), as REST
/// APIs that do not send epoch numbers write their times.
pub fn iso8601_ms(ms: u64) -> String {
    let days = i64::try_from(ms / 86_400_000).unwrap_or(0);
    let rem = ms % 86_400_000;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1_000 % 60,
        rem % 1_000
    )
}

/// The value of `key` in a URL query string (`a=1&b=2`), undecoded.
pub fn query_param<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    })
}

/// One emulated instrument: its names and how its prices and sizes are written on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmuInstrument {
    /// orderflow symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// The venue's instrument name, e.g. `BTC-USDT-SWAP`.
    pub venue_symbol: String,
    /// Price tick.
    pub tick: FixedDecimal,
    /// Size lot.
    pub lot: FixedDecimal,
}

impl EmuInstrument {
    /// An exact price of `ticks` ticks, e.g. `97000.1`.
    pub fn px(&self, ticks: i64) -> String {
        FixedDecimal::new(self.tick.mantissa.saturating_mul(ticks), self.tick.scale).to_string()
    }

    /// A derived (non-tick) price such as a mark or index price: two more decimals than the
    /// tick, at most 8.
    pub fn px_f(&self, ticks: f64) -> String {
        let prec = usize::from(self.tick.scale + 2).min(8);
        format!("{:.prec$}", ticks * self.tick.to_f64())
    }

    /// An exact size of `lots` lots in base units, e.g. `0.015`.
    pub fn qty(&self, lots: u64) -> String {
        let lots = i64::try_from(lots).unwrap_or(i64::MAX);
        FixedDecimal::new(self.lot.mantissa.saturating_mul(lots), self.lot.scale).to_string()
    }

    /// `ticks × tick × lots × lot` as a float (turnover estimates).
    pub fn notional(&self, ticks: i64, lots: u64) -> f64 {
        ticks as f64 * self.tick.to_f64() * lots as f64 * self.lot.to_f64()
    }
}

/// One trade as the emulator published it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeRecord {
    /// Venue trade id.
    pub id: u64,
    /// Price in ticks.
    pub ticks: i64,
    /// Size in lots.
    pub lots: u64,
    /// Buyer was the aggressor.
    pub buy: bool,
    /// Trade time, Unix ns.
    pub ts_ns: u64,
}

/// One minute of trades.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Candle {
    /// First trade price (ticks).
    pub open: i64,
    /// Highest price (ticks).
    pub high: i64,
    /// Lowest price (ticks).
    pub low: i64,
    /// Last trade price (ticks).
    pub close: i64,
    /// Volume (lots).
    pub lots: u64,
    /// Quote volume.
    pub quote: f64,
    /// Number of trades.
    pub trades: u64,
    /// Volume of buyer-initiated trades (lots).
    pub taker_buy_lots: u64,
    /// Open interest (lots) at the minute's last trade.
    pub oi_lots: u64,
}

/// Recent trades and minute candles per instrument, for REST trade and kline endpoints.
#[derive(Clone, Debug)]
pub struct TradeTape {
    recent: Vec<VecDeque<TradeRecord>>,
    candles: Vec<BTreeMap<u64, Candle>>,
    max_recent: usize,
}

impl TradeTape {
    /// A tape for `instruments` instruments keeping the last `max_recent` trades of each.
    pub fn new(instruments: usize, max_recent: usize) -> Self {
        Self {
            recent: vec![VecDeque::new(); instruments],
            candles: vec![BTreeMap::new(); instruments],
            max_recent,
        }
    }

    /// Records a trade of `inst` (`notional` = its quote value, `oi_lots` = open interest after).
    pub fn record(&mut self, inst: usize, t: TradeRecord, notional: f64, oi_lots: u64) {
        if let Some(candles) = self.candles.get_mut(inst) {
            let c = candles.entry(t.ts_ns / (60_000 * MS)).or_insert(Candle {
                open: t.ticks,
                high: t.ticks,
                low: t.ticks,
                close: t.ticks,
                ..Candle::default()
            });
            c.high = c.high.max(t.ticks);
            c.low = c.low.min(t.ticks);
            c.close = t.ticks;
            c.lots += t.lots;
            c.quote += notional;
            c.trades += 1;
            if t.buy {
                c.taker_buy_lots += t.lots;
            }
            c.oi_lots = oi_lots;
            while candles.len() > MAX_CANDLES {
                candles.pop_first();
            }
        }
        if let Some(r) = self.recent.get_mut(inst) {
            r.push_back(t);
            while r.len() > self.max_recent {
                r.pop_front();
            }
        }
    }

    /// Recent trades of `inst`, oldest first.
    pub fn recent(&self, inst: usize) -> impl DoubleEndedIterator<Item = &TradeRecord> + '_ {
        self.recent.get(inst).into_iter().flatten()
    }

    /// Minute candles of `inst` by minute number (Unix ms / 60 000), oldest first.
    pub fn candles(&self, inst: usize) -> Option<&BTreeMap<u64, Candle>> {
        self.candles.get(inst)
    }

    /// Candles of `minutes` minutes each: the last `n`, oldest first, keyed by their first
    /// minute number.
    pub fn bars(&self, inst: usize, minutes: u64, n: usize) -> Vec<(u64, Candle)> {
        let mut bars: BTreeMap<u64, Candle> = BTreeMap::new();
        for (&m, c) in self.candles(inst).into_iter().flatten() {
            let start = m / minutes.max(1) * minutes.max(1);
            let b = bars.entry(start).or_insert(Candle {
                open: c.open,
                high: c.high,
                low: c.low,
                ..Candle::default()
            });
            b.high = b.high.max(c.high);
            b.low = b.low.min(c.low);
            b.close = c.close;
            b.lots += c.lots;
            b.quote += c.quote;
            b.trades += c.trades;
            b.taker_buy_lots += c.taker_buy_lots;
            b.oi_lots = c.oi_lots;
        }
        let skip = bars.len().saturating_sub(n);
        bars.into_iter().skip(skip).collect()
    }
}

/// Faults requested through the control channel and not yet applied.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    disconnect: bool,
    malformed: bool,
    per_instrument: BTreeSet<(&'static str, usize)>,
}

impl Faults {
    /// Consumes a pending per-instrument fault `kind` of `inst`: true once per request.
    pub fn take(&mut self, kind: &str, inst: usize) -> bool {
        let key = self
            .per_instrument
            .iter()
            .find(|(k, i)| *k == kind && *i == inst)
            .copied();
        key.is_some_and(|k| self.per_instrument.remove(&k))
    }
}

/// One client connection: its subscriptions (instrument, topic) and the venue's own state.
#[derive(Clone, Debug)]
pub struct Conn<T, X> {
    /// Subscribed (instrument index, topic) pairs.
    pub topics: BTreeSet<(usize, T)>,
    /// Venue-specific connection state (e.g. Binance's combined-stream framing).
    pub ext: X,
}

impl<T, X: Default> Default for Conn<T, X> {
    fn default() -> Self {
        Self {
            topics: BTreeSet::new(),
            ext: X::default(),
        }
    }
}

/// What [`EmuCore::control`] did with a command.
#[derive(Debug)]
pub enum Control {
    /// Handled; the JSON answer.
    Done(String),
    /// Not a standard command: the venue handles it (parsed command).
    Venue(Value),
}

/// The shared state of an emulator over topics `T` with per-connection state `X`.
#[derive(Debug)]
pub struct EmuCore<T, X = ()> {
    /// The seeded market.
    pub sim: MarketSim,
    /// Instruments, in configuration order (the simulator's indices).
    pub insts: Vec<EmuInstrument>,
    /// Open connections.
    pub conns: BTreeMap<u64, Conn<T, X>>,
    /// Published trades and candles.
    pub tape: TradeTape,
    /// Pending faults.
    pub faults: Faults,
    /// Latest emulator time, Unix ns.
    pub now_ns: u64,
    /// Frames sent so far.
    pub frames_sent: u64,
    /// The market is paused: no changes (periodic pushes go on, see [`EmuCore::periodic`]).
    pub paused: bool,
    /// Per-instrument fault kinds this venue implements.
    instrument_faults: &'static [&'static str],
    next_periodic_ns: u64,
}

impl<T: Ord + Copy, X: Default> EmuCore<T, X> {
    /// Builds the market from `cfg`: each instrument starts at its price with a touch worth about
    /// 20 000 quote units. `instrument_faults` names the per-instrument faults the venue
    /// implements; `max_recent` bounds the trade tape per instrument.
    ///
    /// # Errors
    /// Unparseable or non-positive tick/lot sizes.
    pub fn new(
        cfg: &EmulatorConfig,
        instrument_faults: &'static [&'static str],
        max_recent: usize,
    ) -> Result<Self, SdkError> {
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
            insts.push(EmuInstrument {
                symbol: i.symbol.clone(),
                venue_symbol: i.venue_symbol.clone(),
                tick,
                lot,
            });
        }
        let n = insts.len();
        Ok(Self {
            sim: MarketSim::new(cfg.seed, specs, cfg.msgs_per_sec, cfg.start_ns),
            insts,
            conns: BTreeMap::new(),
            tape: TradeTape::new(n, max_recent),
            faults: Faults::default(),
            now_ns: cfg.start_ns,
            frames_sent: 0,
            paused: false,
            instrument_faults,
            next_periodic_ns: cfg.start_ns + 1_000 * MS,
        })
    }

    /// Instrument `i`.
    pub fn inst(&self, i: usize) -> Option<&EmuInstrument> {
        self.insts.get(i)
    }

    /// [`EmuInstrument::px`] of instrument `inst` (empty for an unknown index).
    pub fn px(&self, inst: usize, ticks: i64) -> String {
        self.inst(inst).map_or_else(String::new, |i| i.px(ticks))
    }

    /// [`EmuInstrument::px_f`] of instrument `inst`.
    pub fn px_f(&self, inst: usize, ticks: f64) -> String {
        self.inst(inst).map_or_else(String::new, |i| i.px_f(ticks))
    }

    /// [`EmuInstrument::qty`] of instrument `inst`.
    pub fn qty(&self, inst: usize, lots: u64) -> String {
        self.inst(inst).map_or_else(String::new, |i| i.qty(lots))
    }

    /// The venue name of instrument `inst`.
    pub fn venue_symbol(&self, inst: usize) -> &str {
        self.inst(inst).map_or("", |i| i.venue_symbol.as_str())
    }

    /// The index of the instrument the venue calls `venue_symbol`.
    pub fn find(&self, venue_symbol: &str) -> Option<usize> {
        self.insts
            .iter()
            .position(|i| i.venue_symbol == venue_symbol)
    }

    /// Like [`EmuCore::find`], as a `NotFound` error.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn require(&self, venue_symbol: &str) -> Result<usize, SdkError> {
        self.find(venue_symbol).ok_or_else(|| {
            SdkError::new(
                ErrorKind::NotFound,
                format!("unknown instrument {venue_symbol:?}"),
            )
        })
    }

    /// A client connected.
    pub fn open(&mut self, conn: u64) {
        self.conns.entry(conn).or_default();
    }

    /// A client left.
    pub fn close(&mut self, conn: u64) {
        self.conns.remove(&conn);
    }

    /// Subscribes (`on`) or unsubscribes a connection to `(inst, topic)`.
    pub fn set_subscribed(&mut self, conn: u64, inst: usize, topic: T, on: bool) {
        if let Some(c) = self.conns.get_mut(&conn) {
            if on {
                c.topics.insert((inst, topic));
            } else {
                c.topics.remove(&(inst, topic));
            }
        }
    }

    /// Whether any connection is subscribed to `(inst, topic)`.
    pub fn any_subscribed(&self, inst: usize, topic: T) -> bool {
        self.conns
            .values()
            .any(|c| c.topics.contains(&(inst, topic)))
    }

    /// Sends `text` to every connection subscribed to `(inst, topic)`.
    pub fn push(&self, out: &mut Vec<EmuFrame>, inst: usize, topic: T, text: &str) {
        self.push_with(out, inst, topic, |_| text.to_owned());
    }

    /// Like [`EmuCore::push`], framing the text per connection (e.g. combined streams).
    pub fn push_with(
        &self,
        out: &mut Vec<EmuFrame>,
        inst: usize,
        topic: T,
        frame: impl Fn(&Conn<T, X>) -> String,
    ) {
        for (id, c) in &self.conns {
            if c.topics.contains(&(inst, topic)) {
                out.push(frame_to(*id, frame(c)));
            }
        }
    }

    /// Starts an `advance` to `now`: emits pending disconnect (close every connection) and
    /// malformed (`malformed` sent to every connection) faults into `out`, and returns the
    /// market changes due (none while paused).
    pub fn begin(&mut self, now: u64, malformed: &str, out: &mut Vec<EmuFrame>) -> Vec<SimChange> {
        if std::mem::take(&mut self.faults.disconnect) {
            out.extend(self.conns.keys().map(|id| EmuFrame {
                conn: *id,
                text: "".into(),
                close_after: true,
            }));
        }
        if std::mem::take(&mut self.faults.malformed) {
            out.extend(
                self.conns
                    .keys()
                    .map(|id| frame_to(*id, malformed.to_owned())),
            );
        }
        self.now_ns = self.now_ns.max(now);
        if self.paused {
            Vec::new()
        } else {
            self.sim.advance(now)
        }
    }

    /// True once per `period_ns` of emulator time: periodic pushes such as tickers and open
    /// interest. They go on while the market is paused, as a venue keeps publishing its (then
    /// unchanging) statistics, so a paused market's live state converges to the venue's.
    pub fn periodic(&mut self, now: u64, period_ns: u64) -> bool {
        if now < self.next_periodic_ns {
            return false;
        }
        self.next_periodic_ns = now + period_ns;
        true
    }

    /// Ends an `advance`: counts the frames.
    pub fn finish(&mut self, out: &[EmuFrame]) {
        self.frames_sent += out.len() as u64;
    }

    /// Records a published trade on the tape.
    pub fn record_trade(&mut self, inst: usize, t: TradeRecord) {
        let notional = self.inst(inst).map_or(0.0, |i| i.notional(t.ticks, t.lots));
        let oi = self.sim.open_interest_lots(inst).round() as u64;
        self.tape.record(inst, t, notional, oi);
    }

    /// Handles the standard control commands; returns the others for the venue.
    ///
    /// # Errors
    /// Not JSON, an unknown fault kind, or an unknown instrument for a per-instrument fault.
    pub fn control(&mut self, cmd: &str) -> Result<Control, SdkError> {
        let v: Value = serde_json::from_str(cmd)
            .map_err(|e| SdkError::invalid_args(format!("control: {e}")))?;
        let done = |v: Value| Ok(Control::Done(v.to_string()));
        match v.get("op").and_then(Value::as_str) {
            Some("stats") => done(json!({"frames_sent": self.frames_sent,
                "connections": self.conns.len(), "now_ns": self.now_ns})),
            Some("pause") => {
                self.paused = true;
                done(json!({"paused": true,
                    "update_ids": (0..self.insts.len()).map(|i| self.sim.update_id(i)).collect::<Vec<_>>()}))
            }
            Some("resume") => {
                self.paused = false;
                done(json!({"paused": false}))
            }
            Some("faults") => done(json!({"connection": ["disconnect", "malformed"],
                "instrument": self.instrument_faults})),
            Some("fault") => {
                match v.get("kind").and_then(Value::as_str) {
                    Some("disconnect") => self.faults.disconnect = true,
                    Some("malformed") => self.faults.malformed = true,
                    Some(kind) => {
                        let Some(&kind) = self.instrument_faults.iter().find(|k| **k == kind)
                        else {
                            return Err(SdkError::invalid_args(format!(
                                "unknown fault {kind:?} (this venue: disconnect, malformed, {})",
                                self.instrument_faults.join(", ")
                            )));
                        };
                        let s = v.get("symbol").and_then(Value::as_str).unwrap_or("");
                        let inst = self.require(s)?;
                        self.faults.per_instrument.insert((kind, inst));
                    }
                    None => return Err(SdkError::invalid_args("fault without `kind`")),
                }
                done(json!({"ok": true}))
            }
            _ => Ok(Control::Venue(v)),
        }
    }
}

/// A text frame to one connection.
pub fn frame_to(conn: u64, text: String) -> EmuFrame {
    EmuFrame {
        conn,
        text: text.into(),
        close_after: false,
    }
}

/// A JSON error for an unknown control command (for the venue's fallback arm).
pub fn unknown_control(v: &Value) -> SdkError {
    SdkError::invalid_args(format!("unknown control op {:?}", v.get("op")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_tool_sdk::EmulatedInstrument;

    fn core() -> EmuCore<u8> {
        let cfg = EmulatorConfig {
            venue: "x".into(),
            seed: 7,
            instruments: vec![EmulatedInstrument {
                symbol: "BTCUSDT".into(),
                venue_symbol: "BTC-PERP".into(),
                start_price: 97_000.0,
                tick_size: "0.1".into(),
                lot_size: "0.001".into(),
            }],
            msgs_per_sec: 1_000.0,
            start_ns: 1_700_000_000_000_000_000,
        };
        EmuCore::new(&cfg, &["gap"], 10).unwrap()
    }

    #[test]
    fn formats_prices_and_sizes_from_tick_and_lot() {
        let c = core();
        let i = c.inst(0).unwrap();
        assert_eq!(i.px(970_001), "97000.1");
        assert_eq!(i.qty(15), "0.015");
        assert_eq!(i.px_f(970_001.25), "97000.125");
        assert_eq!(c.find("BTC-PERP"), Some(0));
        assert_eq!(query_param("a=1&symbol=X&b=2", "symbol"), Some("X"));
        assert_eq!(iso8601_ms(1_763_339_677_524), "2025-11-17T00:34:37.524Z");
        assert_eq!(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn faults_are_one_shot_and_validated() {
        let mut c = core();
        c.open(1);
        assert!(matches!(
            c.control(r#"{"op":"fault","kind":"gap","symbol":"BTC-PERP"}"#)
                .unwrap(),
            Control::Done(_)
        ));
        assert!(c.faults.take("gap", 0));
        assert!(!c.faults.take("gap", 0));
        assert!(
            c.control(r#"{"op":"fault","kind":"checksum","symbol":"BTC-PERP"}"#)
                .is_err()
        );
        assert!(
            c.control(r#"{"op":"fault","kind":"gap","symbol":"NOPE"}"#)
                .is_err()
        );
        c.control(r#"{"op":"fault","kind":"disconnect"}"#).unwrap();
        c.control(r#"{"op":"fault","kind":"malformed"}"#).unwrap();
        let mut out = Vec::new();
        let _ = c.begin(c.now_ns + MS, "{bad", &mut out);
        assert_eq!(out.len(), 2);
        assert!(out[0].close_after && out[1].text.as_str() == "{bad");
        out.clear();
        let _ = c.begin(c.now_ns + MS, "{bad", &mut out);
        assert!(out.is_empty(), "faults fire once");
        assert!(matches!(
            c.control(r#"{"op":"book"}"#).unwrap(),
            Control::Venue(_)
        ));
    }

    #[test]
    fn pause_stops_the_market_and_tape_builds_bars() {
        let mut c = core();
        c.control(r#"{"op":"pause"}"#).unwrap();
        let mut out = Vec::new();
        assert!(c.begin(c.now_ns + 5_000 * MS, "", &mut out).is_empty());
        c.control(r#"{"op":"resume"}"#).unwrap();
        let t0 = 1_700_000_000_000_000_000u64;
        for (k, ticks) in [10i64, 12, 9, 11].into_iter().enumerate() {
            let t = TradeRecord {
                id: k as u64,
                ticks,
                lots: 2,
                buy: k % 2 == 0,
                ts_ns: t0 + k as u64 * 30_000 * MS,
            };
            c.record_trade(0, t);
        }
        let bars = c.tape.bars(0, 1, 10);
        assert_eq!(bars.len(), 2);
        assert_eq!(
            (
                bars[0].1.open,
                bars[0].1.high,
                bars[0].1.close,
                bars[0].1.lots
            ),
            (10, 12, 12, 4)
        );
        let five = c.tape.bars(0, 5, 10);
        assert_eq!(five.len(), 1, "{five:?}");
        assert_eq!(
            (
                five[0].1.low,
                five[0].1.close,
                five[0].1.trades,
                five[0].1.taker_buy_lots
            ),
            (9, 11, 4, 4)
        );
        assert_eq!(c.tape.recent(0).count(), 4);
    }
}
