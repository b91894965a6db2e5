//! Live state for tools: the latest of every stream per instrument, fed from normalized events.
//!
//! Tools read it through the SDK's `HostView` (`{"op":"live",...}` queries), so a third-party
//! venue plugin gets its live-state tools without engine changes.

use crate::now_ns;
use crate::series::{HistorySeries, InstSeries};
use abi_stable::std_types::{RResult, RStr, RString};
use orderflow_model::{Event, EventKind, Fixed, InstrumentId, L2Book, Side, Universe};
use orderflow_tool_sdk::{ErrorKind, HostView, SdkError, Series, SeriesKind, SeriesRequest};
use parking_lot::RwLock;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

const MAX_TRADES: usize = 1_000;
const MAX_LIQUIDATIONS: usize = 500;

#[derive(Clone, Debug, Default)]
struct InstLive {
    book: L2Book,
    book_seq: u64,
    book_recv: u64,
    trades: VecDeque<(u64, u64, Fixed, Fixed, Side, u64)>,
    liquidations: VecDeque<(u64, u64, Side, Fixed, Fixed)>,
    ticker: Option<(u64, Value)>,
    funding: Option<(u64, Value)>,
    open_interest: Option<(u64, Value)>,
    mark: Option<(u64, Value)>,
    series: InstSeries,
}

/// `(sequence, receive time, bids best first, asks best first)`.
pub type BookTopView = (u64, u64, Vec<(Fixed, Fixed)>, Vec<(Fixed, Fixed)>);

/// The live-state store.
#[derive(Debug)]
pub struct LiveStore {
    universe: Arc<Universe>,
    inner: RwLock<BTreeMap<InstrumentId, InstLive>>,
}

fn ms(ns: u64) -> u64 {
    ns / 1_000_000
}

fn unavailable(msg: String) -> SdkError {
    SdkError::new(ErrorKind::Unavailable, msg)
}

impl LiveStore {
    /// An empty store for `universe`.
    pub fn new(universe: Arc<Universe>) -> Self {
        Self {
            universe,
            inner: RwLock::new(BTreeMap::new()),
        }
    }

    /// Applies events in order.
    pub fn apply(&self, events: &[Event]) {
        let mut inner = self.inner.write();
        for e in events {
            let s = inner.entry(e.inst).or_default();
            let (te, tr) = (e.ts_event, e.ts_recv);
            match &e.kind {
                EventKind::Trade {
                    price,
                    size,
                    aggressor,
                    trade_id,
                } => {
                    s.series
                        .trade(te, price.to_f64(), size.to_f64(), *aggressor == Side::Buy);
                    s.trades
                        .push_back((te, tr, *price, *size, *aggressor, *trade_id));
                    if s.trades.len() > MAX_TRADES {
                        s.trades.pop_front();
                    }
                }
                EventKind::Book {
                    snapshot,
                    levels,
                    sequence,
                } => {
                    s.book.apply(*snapshot, levels);
                    if let (Some((b, _)), Some((a, _))) = (s.book.best_bid(), s.book.best_ask()) {
                        s.series.mid(te, (b.to_f64() + a.to_f64()) / 2.0);
                    }
                    s.book_seq = *sequence;
                    s.book_recv = tr;
                }
                EventKind::Liquidation { side, price, size } => {
                    s.liquidations.push_back((te, tr, *side, *price, *size));
                    if s.liquidations.len() > MAX_LIQUIDATIONS {
                        s.liquidations.pop_front();
                    }
                }
                EventKind::Funding {
                    rate,
                    next_funding_ns,
                } => {
                    s.funding = Some((
                        tr,
                        json!({"funding_rate": rate.to_f64(), "funding_rate_annualized": rate.to_f64() * 3.0 * 365.0,
                        "next_funding_time_ms": ms(*next_funding_ns), "ts_event_ms": ms(te)}),
                    ));
                }
                EventKind::OpenInterest { open_interest } => {
                    s.open_interest = Some((
                        tr,
                        json!({"open_interest": open_interest.to_f64(), "ts_event_ms": ms(te)}),
                    ));
                }
                EventKind::MarkPrice { mark, index } => {
                    let basis = (!index.is_zero())
                        .then(|| 1e4 * (mark.to_f64() - index.to_f64()) / index.to_f64());
                    s.mark = Some((
                        tr,
                        json!({"mark_price": mark.to_f64(), "index_price": (!index.is_zero()).then(|| index.to_f64()),
                        "basis_bps": basis, "ts_event_ms": ms(te)}),
                    ));
                }
                EventKind::Ticker {
                    last,
                    open,
                    high,
                    low,
                    volume,
                    quote_volume,
                    trade_count,
                } => {
                    let chg = if open.is_zero() {
                        None
                    } else {
                        Some(100.0 * (last.to_f64() - open.to_f64()) / open.to_f64())
                    };
                    s.ticker = Some((
                        tr,
                        json!({"last_price": last.to_f64(), "open_price": open.to_f64(), "high_price": high.to_f64(),
                        "low_price": low.to_f64(), "volume": volume, "quote_volume": quote_volume, "trade_count": trade_count,
                        "price_change_pct": chg, "ts_event_ms": ms(te)}),
                    ));
                }
            }
        }
    }

    /// The best `n` levels of an instrument's book, with its sequence and receive time.
    pub fn book_top(&self, inst: InstrumentId, n: usize) -> Option<BookTopView> {
        let inner = self.inner.read();
        let s = inner.get(&inst)?;
        if s.book.is_empty() {
            return None;
        }
        Some((
            s.book_seq,
            s.book_recv,
            s.book.top(Side::Buy, n),
            s.book.top(Side::Sell, n),
        ))
    }

    /// A series from memory (`Ok(None)` for a feature series, which memory does not keep).
    ///
    /// # Errors
    /// `NotFound` for an unconfigured pair, `InvalidArgs` for a bad field.
    pub fn series(&self, req: &SeriesRequest) -> Result<Option<Series>, SdkError> {
        let inst = self.universe.find(&req.venue, &req.symbol).ok_or_else(|| {
            SdkError::new(
                ErrorKind::NotFound,
                format!("{} is not configured on {}", req.symbol, req.venue),
            )
        })?;
        let inner = self.inner.read();
        match inner.get(&inst) {
            Some(s) => s.series.answer(req),
            None if req.kind == SeriesKind::Feature => Ok(None),
            None => Ok(Some(Series {
                venue: req.venue.clone(),
                symbol: req.symbol.clone(),
                kind: req.kind,
                field: req.field.clone(),
                interval_s: req.interval_s,
                origin: "memory".into(),
                ..Series::default()
            })),
        }
    }

    /// Answers a host-view query: `{"op":"live","venue","symbol","kind","limit"}` (latest state)
    /// , `{"op":"instrument","venue","symbol"}` (the venue's name for a configured symbol, so
    /// a plugin's REST tools can address it) or `{"op":"clock"}` (`{"now_ms"}`, the host's wall
    /// clock, for REST tools whose venue wants an explicit time window).
    ///
    /// # Errors
    /// `InvalidArgs` for a malformed query or unknown kind, `NotFound` for an unconfigured pair,
    /// `Unavailable` when no data has arrived yet.
    pub fn query(&self, request: &str) -> Result<Value, SdkError> {
        let q: Value = serde_json::from_str(request)
            .map_err(|e| SdkError::invalid_args(format!("query: {e}")))?;
        self.query_value(&q)
    }

    /// [`query`](Self::query) for a request already parsed (the host view parses each plugin
    /// request once to route it).
    ///
    /// # Errors
    /// As [`query`](Self::query).
    pub fn query_value(&self, q: &Value) -> Result<Value, SdkError> {
        let get = |k: &str| q.get(k).and_then(Value::as_str).unwrap_or("");
        if get("op") == "instrument" {
            let (venue, symbol) = (get("venue"), get("symbol"));
            let inst = self
                .universe
                .find(venue, symbol)
                .and_then(|id| self.universe.get(id))
                .ok_or_else(|| {
                    SdkError::new(
                        ErrorKind::NotFound,
                        format!("{symbol} is not configured on {venue}"),
                    )
                })?;
            return Ok(
                json!({"venue": inst.venue, "symbol": inst.symbol, "venue_symbol": inst.venue_symbol}),
            );
        }
        if get("op") == "clock" {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            return Ok(json!({"now_ms": now_ms}));
        }
        if get("op") != "live" {
            // NotFound, not InvalidArgs: a plugin built for a newer host probes for ops this
            // host lacks (docs/plugins.md, "Versioning").
            return Err(SdkError::new(
                ErrorKind::NotFound,
                format!("unknown host-view op {:?}", get("op")),
            ));
        }
        let (venue, symbol, kind) = (get("venue"), get("symbol"), get("kind"));
        let limit = q
            .get("limit")
            .and_then(Value::as_u64)
            .unwrap_or(20)
            .clamp(1, 1_000) as usize;
        let inst = self.universe.find(venue, symbol).ok_or_else(|| {
            SdkError::new(
                ErrorKind::NotFound,
                format!("{symbol} is not configured on {venue}"),
            )
        })?;
        let inner = self.inner.read();
        let none = || unavailable(format!("no {kind} data for {symbol} on {venue} yet"));
        let s = inner.get(&inst).ok_or_else(none)?;
        let (ts_recv, data) = match kind {
            "ticker" => s.ticker.clone().ok_or_else(none)?,
            "funding" => s.funding.clone().ok_or_else(none)?,
            "open_interest" => s.open_interest.clone().ok_or_else(none)?,
            "mark_price" => s.mark.clone().ok_or_else(none)?,
            "book" => {
                if s.book.is_empty() {
                    return Err(none());
                }
                let side = |sd| -> Vec<Value> {
                    s.book
                        .top(sd, limit)
                        .into_iter()
                        .map(|(p, q)| json!([p.to_f64(), q.to_f64()]))
                        .collect()
                };
                let (bb, ba) = (s.book.best_bid(), s.book.best_ask());
                let mid = bb
                    .zip(ba)
                    .map(|((b, _), (a, _))| (b.to_f64() + a.to_f64()) / 2.0);
                let spread = bb.zip(ba).map(|((b, _), (a, _))| a.to_f64() - b.to_f64());
                (
                    s.book_recv,
                    json!({"sequence": s.book_seq, "bids": side(Side::Buy), "asks": side(Side::Sell),
                    "mid_price": mid, "spread": spread, "levels": {"bids": s.book.len().0, "asks": s.book.len().1}}),
                )
            }
            "trades" => {
                let last = s.trades.back().ok_or_else(none)?.1;
                let rows: Vec<Value> = s.trades.iter().rev().take(limit).map(|(te, _, p, q, side, id)| {
                    json!({"price": p.to_f64(), "size": q.to_f64(), "side": side.as_str(), "trade_id": id, "ts_event_ms": ms(*te)})
                }).collect();
                (last, Value::Array(rows))
            }
            "liquidations" => {
                let last = s.liquidations.back().map_or(0, |l| l.1);
                let rows: Vec<Value> = s.liquidations.iter().rev().take(limit).map(|(te, _, side, p, q)| {
                    json!({"side": side.as_str(), "price": p.to_f64(), "size": q.to_f64(), "ts_event_ms": ms(*te)})
                }).collect();
                (last, Value::Array(rows))
            }
            other => {
                return Err(SdkError::invalid_args(format!(
                    "unknown live kind {other:?}"
                )));
            }
        };
        let age_ms = if ts_recv == 0 {
            Value::Null
        } else {
            json!((now_ns().saturating_sub(ts_recv)) as f64 / 1e6)
        };
        Ok(
            json!({"venue": venue, "symbol": symbol, "kind": kind, "ts_recv": ts_recv, "age_ms": age_ms, "data": data}),
        )
    }
}

/// The [`HostView`] handed to tool calls.
#[derive(Debug, Clone)]
pub struct HostViewImpl {
    /// The store.
    pub live: Arc<LiveStore>,
    /// Stored history for `series` requests longer than memory (absent: memory only).
    pub history: Option<Arc<dyn HistorySeries>>,
    /// The calling plugin's `[plugins.settings.<name>]` (the `settings` op).
    pub settings: Value,
}

impl HostViewImpl {
    /// A view over live state only.
    pub fn new(live: Arc<LiveStore>) -> Self {
        Self {
            live,
            history: None,
            settings: Value::Object(serde_json::Map::new()),
        }
    }

    /// Answers a `series` op: memory, or the stored history when it holds more points.
    ///
    /// # Errors
    /// Bad request, unconfigured pair, a feature series without storage, no data.
    pub fn series(&self, req: &SeriesRequest) -> Result<Series, SdkError> {
        crate::series::validate(req)?;
        let memory = self.live.series(req)?;
        let stored = match &self.history {
            Some(h) => h.series(req)?,
            None => None,
        };
        let best = match (memory, stored) {
            (Some(m), Some(s)) => {
                if s.values.len() > m.values.len() {
                    s
                } else {
                    m
                }
            }
            (Some(m), None) => m,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(unavailable(format!(
                    "feature history of {} needs storage (the features table)",
                    req.field
                )));
            }
        };
        if best.values.is_empty() {
            let kind = match req.kind {
                SeriesKind::Bars => "bars",
                SeriesKind::Mid => "mid",
                SeriesKind::Feature => "feature",
            };
            return Err(unavailable(format!(
                "no {kind} data for {} on {} yet",
                req.symbol, req.venue
            )));
        }
        Ok(best)
    }

    fn answer(&self, request: &str) -> Result<Value, SdkError> {
        let q: Value = serde_json::from_str(request)
            .map_err(|e| SdkError::invalid_args(format!("query: {e}")))?;
        match q.get("op").and_then(Value::as_str) {
            Some("settings") => Ok(self.settings.clone()),
            Some("series") => {
                let req: SeriesRequest = serde_json::from_value(q)
                    .map_err(|e| SdkError::invalid_args(format!("series request: {e}")))?;
                serde_json::to_value(self.series(&req)?)
                    .map_err(|e| SdkError::decode(format!("series: {e}")))
            }
            _ => self.live.query_value(&q),
        }
    }
}

impl HostView for HostViewImpl {
    fn query(&self, request: RStr<'_>) -> RResult<RString, SdkError> {
        match self.answer(request.as_str()) {
            Ok(v) => RResult::ROk(v.to_string().into()),
            Err(e) => RResult::RErr(e),
        }
    }
}
