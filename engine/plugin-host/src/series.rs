//! Series for analytic plugins (the SDK's `series` host-view op): bars built from trades and
//! mid-price samples kept in memory, bounded, plus the hook through which the server adds the
//! longer DuckDB history ([`HistorySeries`]).
//!
//! Memory keeps, per instrument, one-second bars for the last [`SECOND_BARS`] seconds and
//! one-minute bars for the last [`MINUTE_BARS`] minutes (exchange time), and the last mid price
//! of each second for [`SECOND_BARS`] seconds. An interval that is a multiple of 60 s is built
//! from the minute bars, any other from the second bars.

use orderflow_tool_sdk::{ErrorKind, SdkError, Series, SeriesKind, SeriesRequest};
use std::collections::VecDeque;

/// One-second bars (and mid samples) kept per instrument: two hours.
pub const SECOND_BARS: usize = 7_200;
/// One-minute bars kept per instrument: one week.
pub const MINUTE_BARS: usize = 10_080;
/// Most points one request may ask for.
pub const MAX_POINTS: usize = 20_000;

/// One OHLCV bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Start of the bar, Unix seconds.
    pub start_s: u64,
    /// First trade price.
    pub open: f64,
    /// Highest trade price.
    pub high: f64,
    /// Lowest trade price.
    pub low: f64,
    /// Last trade price.
    pub close: f64,
    /// Base volume.
    pub volume: f64,
    /// Base volume of buyer-initiated trades.
    pub buy_volume: f64,
    /// Σ price × size.
    pub notional: f64,
    /// Trade count.
    pub trades: u64,
}

impl Bar {
    fn new(start_s: u64, price: f64, size: f64, buy: bool) -> Self {
        Self {
            start_s,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: size,
            buy_volume: if buy { size } else { 0.0 },
            notional: price * size,
            trades: 1,
        }
    }

    fn add(&mut self, price: f64, size: f64, buy: bool) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume += size;
        if buy {
            self.buy_volume += size;
        }
        self.notional += price * size;
        self.trades += 1;
    }

    /// Merges a later bar into this one (aggregation to a coarser interval).
    pub fn merge(&mut self, later: &Bar) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        self.volume += later.volume;
        self.buy_volume += later.buy_volume;
        self.notional += later.notional;
        self.trades += later.trades;
    }

    /// The value of a bar field, `None` for an unknown field.
    pub fn field(&self, field: &str) -> Option<f64> {
        Some(match field {
            "" | "close" => self.close,
            "open" => self.open,
            "high" => self.high,
            "low" => self.low,
            "volume" => self.volume,
            "buy_volume" => self.buy_volume,
            "sell_volume" => self.volume - self.buy_volume,
            "delta" => 2.0 * self.buy_volume - self.volume,
            "vwap" => {
                if self.volume > 0.0 {
                    self.notional / self.volume
                } else {
                    self.close
                }
            }
            "trades" => self.trades as f64,
            _ => return None,
        })
    }
}

/// The bar fields a series may ask for.
pub const BAR_FIELDS: [&str; 11] = [
    "open",
    "high",
    "low",
    "close",
    "volume",
    "buy_volume",
    "sell_volume",
    "delta",
    "vwap",
    "trades",
    "log_return",
];

fn add_to_ring(
    ring: &mut VecDeque<Bar>,
    cap: usize,
    start_s: u64,
    price: f64,
    size: f64,
    buy: bool,
) {
    match ring.back_mut() {
        Some(b) if b.start_s == start_s => b.add(price, size, buy),
        Some(b) if b.start_s > start_s => {
            // A late trade: add it to its bar while that bar is still kept.
            if let Some(b) = ring.iter_mut().rev().find(|b| b.start_s <= start_s)
                && b.start_s == start_s
            {
                b.add(price, size, buy);
            }
        }
        _ => {
            ring.push_back(Bar::new(start_s, price, size, buy));
            if ring.len() > cap {
                ring.pop_front();
            }
        }
    }
}

/// Bars and mid samples of one instrument.
#[derive(Clone, Debug, Default)]
pub struct InstSeries {
    seconds: VecDeque<Bar>,
    minutes: VecDeque<Bar>,
    mids: VecDeque<(u64, f64)>,
}

impl InstSeries {
    /// Adds a trade at exchange time `ts_ns`.
    pub fn trade(&mut self, ts_ns: u64, price: f64, size: f64, buy: bool) {
        if !(price.is_finite() && size.is_finite()) {
            return;
        }
        let s = ts_ns / 1_000_000_000;
        add_to_ring(&mut self.seconds, SECOND_BARS, s, price, size, buy);
        add_to_ring(
            &mut self.minutes,
            MINUTE_BARS,
            s / 60 * 60,
            price,
            size,
            buy,
        );
    }

    /// Records the mid price at `ts_ns` (the last one of each second is kept).
    pub fn mid(&mut self, ts_ns: u64, mid: f64) {
        let s = ts_ns / 1_000_000_000;
        match self.mids.back_mut() {
            Some((t, m)) if *t == s => *m = mid,
            Some((t, _)) if *t > s => {}
            _ => {
                self.mids.push_back((s, mid));
                if self.mids.len() > SECOND_BARS {
                    self.mids.pop_front();
                }
            }
        }
    }

    /// Answers a request from memory (`None` for a feature, which memory does not keep).
    ///
    /// # Errors
    /// Unknown bar field.
    pub fn answer(&self, req: &SeriesRequest) -> Result<Option<Series>, SdkError> {
        let interval = req.interval_s.max(1);
        let points: Vec<(u64, f64)> = match req.kind {
            SeriesKind::Feature => return Ok(None),
            SeriesKind::Mid => self.mids.iter().copied().collect(),
            SeriesKind::Bars => {
                let ring = if interval.is_multiple_of(60) {
                    &self.minutes
                } else {
                    &self.seconds
                };
                let bars = aggregate(ring.iter().copied(), interval);
                return bar_series(req, &bars, "memory").map(Some);
            }
        };
        Ok(Some(point_series(req, &points, "memory")))
    }
}

/// Aggregates bars (oldest first) into `interval_s` buckets.
pub fn aggregate(bars: impl Iterator<Item = Bar>, interval_s: u64) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    for b in bars {
        let start = b.start_s / interval_s * interval_s;
        match out.last_mut() {
            Some(last) if last.start_s == start => last.merge(&b),
            _ => out.push(Bar {
                start_s: start,
                ..b
            }),
        }
    }
    out
}

fn check_field(field: &str) -> Result<(), SdkError> {
    if field.is_empty() || BAR_FIELDS.contains(&field) {
        Ok(())
    } else {
        Err(SdkError::invalid_args(format!(
            "unknown bar field {field:?}; one of {}",
            BAR_FIELDS.join(", ")
        )))
    }
}

/// A bar series: evenly spaced, a missing bar is a flat bar at the previous close (volume 0).
///
/// # Errors
/// Unknown field.
pub fn bar_series(req: &SeriesRequest, bars: &[Bar], origin: &str) -> Result<Series, SdkError> {
    check_field(&req.field)?;
    let interval = req.interval_s.max(1);
    let mut filled_bars: Vec<Bar> = Vec::with_capacity(bars.len());
    let mut filled = 0;
    for b in bars {
        if let Some(prev) = filled_bars.last().copied() {
            let mut t = prev.start_s + interval;
            while t < b.start_s {
                filled_bars.push(Bar {
                    start_s: t,
                    open: prev.close,
                    high: prev.close,
                    low: prev.close,
                    close: prev.close,
                    volume: 0.0,
                    buy_volume: 0.0,
                    notional: 0.0,
                    trades: 0,
                });
                filled += 1;
                t += interval;
            }
        }
        filled_bars.push(*b);
    }
    let limit = req.limit.clamp(1, MAX_POINTS);
    let (ts, values): (Vec<i64>, Vec<f64>) = if req.field == "log_return" {
        let n = filled_bars.len();
        let from = n.saturating_sub(limit + 1);
        filled_bars[from..]
            .windows(2)
            .map(|w| {
                let r = if w[0].close > 0.0 && w[1].close > 0.0 {
                    (w[1].close / w[0].close).ln()
                } else {
                    0.0
                };
                (ms(w[1].start_s), r)
            })
            .unzip()
    } else {
        let from = filled_bars.len().saturating_sub(limit);
        filled_bars[from..]
            .iter()
            .map(|b| (ms(b.start_s), b.field(&req.field).unwrap_or(b.close)))
            .unzip()
    };
    Ok(Series {
        venue: req.venue.clone(),
        symbol: req.symbol.clone(),
        kind: req.kind,
        field: if req.field.is_empty() {
            "close".into()
        } else {
            req.field.clone()
        },
        interval_s: interval,
        ts_ms: ts,
        values,
        filled: filled.min(limit),
        origin: origin.into(),
    })
}

/// A series of point samples `(unix s, value)` (oldest first), the last one in each interval,
/// an empty interval carrying the previous value forward.
pub fn point_series(req: &SeriesRequest, points: &[(u64, f64)], origin: &str) -> Series {
    let interval = req.interval_s.max(1);
    let mut buckets: Vec<(u64, f64)> = Vec::new();
    for &(t, v) in points {
        if !v.is_finite() {
            continue;
        }
        let b = t / interval * interval;
        match buckets.last_mut() {
            Some(last) if last.0 == b => last.1 = v,
            Some(last) if last.0 > b => {}
            _ => buckets.push((b, v)),
        }
    }
    let mut out: Vec<(u64, f64)> = Vec::with_capacity(buckets.len());
    let mut filled = 0;
    for (b, v) in buckets {
        if let Some(&(pt, pv)) = out.last() {
            let mut t = pt + interval;
            while t < b {
                out.push((t, pv));
                filled += 1;
                t += interval;
            }
        }
        out.push((b, v));
    }
    let limit = req.limit.clamp(1, MAX_POINTS);
    let from = out.len().saturating_sub(limit);
    let (ts_ms, values) = out[from..].iter().map(|&(t, v)| (ms(t), v)).unzip();
    Series {
        venue: req.venue.clone(),
        symbol: req.symbol.clone(),
        kind: req.kind,
        field: req.field.clone(),
        interval_s: interval,
        ts_ms,
        values,
        filled: filled.min(limit),
        origin: origin.into(),
    }
}

fn ms(s: u64) -> i64 {
    i64::try_from(s.saturating_mul(1_000)).unwrap_or(i64::MAX)
}

/// Longer history than memory keeps (the server implements it over DuckDB).
pub trait HistorySeries: Send + Sync + std::fmt::Debug {
    /// The series from stored history; `Ok(None)` when storage is off.
    ///
    /// # Errors
    /// A storage error or bad request.
    fn series(&self, req: &SeriesRequest) -> Result<Option<Series>, SdkError>;
}

/// Validates the parts of a request every source shares.
///
/// # Errors
/// Interval 0 or over a day, limit 0.
pub fn validate(req: &SeriesRequest) -> Result<(), SdkError> {
    if req.interval_s == 0 || req.interval_s > 86_400 {
        return Err(SdkError::invalid_args(
            "interval_s must be between 1 and 86400",
        ));
    }
    if req.limit == 0 {
        return Err(SdkError::invalid_args("limit must be at least 1"));
    }
    if req.kind == SeriesKind::Feature && req.field.is_empty() {
        return Err(SdkError::new(
            ErrorKind::InvalidArgs,
            "a feature series needs field = the feature name",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: SeriesKind, interval: u64, field: &str, limit: usize) -> SeriesRequest {
        SeriesRequest::new(kind, "v", "S", interval, field, limit)
    }

    #[test]
    fn bars_aggregate_and_fill_gaps_with_the_previous_close() {
        let mut s = InstSeries::default();
        let sec = 1_000_000_000u64;
        s.trade(100 * sec, 10.0, 1.0, true);
        s.trade(100 * sec + 5, 12.0, 2.0, false);
        s.trade(103 * sec, 11.0, 1.0, true);
        let out = s
            .answer(&req(SeriesKind::Bars, 1, "close", 10))
            .unwrap()
            .unwrap();
        assert_eq!(out.values, vec![12.0, 12.0, 12.0, 11.0]);
        assert_eq!(out.ts_ms, vec![100_000, 101_000, 102_000, 103_000]);
        assert_eq!(out.filled, 2);
        let vol = s
            .answer(&req(SeriesKind::Bars, 2, "volume", 10))
            .unwrap()
            .unwrap();
        // Buckets [100,102) and [102,104).
        assert_eq!(vol.values, vec![3.0, 1.0]);
        let delta = s
            .answer(&req(SeriesKind::Bars, 2, "delta", 10))
            .unwrap()
            .unwrap();
        assert_eq!(delta.values, vec![1.0 - 2.0, 1.0]);
        let r = s
            .answer(&req(SeriesKind::Bars, 1, "log_return", 2))
            .unwrap()
            .unwrap();
        assert_eq!(r.values.len(), 2);
        assert!((r.values[1] - (11.0f64 / 12.0).ln()).abs() < 1e-12);
        assert!(s.answer(&req(SeriesKind::Bars, 1, "nope", 2)).is_err());
    }

    #[test]
    fn mid_keeps_the_last_sample_of_each_interval() {
        let mut s = InstSeries::default();
        let sec = 1_000_000_000u64;
        s.mid(10 * sec, 1.0);
        s.mid(10 * sec + 1, 2.0);
        s.mid(13 * sec, 3.0);
        let out = s.answer(&req(SeriesKind::Mid, 1, "", 3)).unwrap().unwrap();
        assert_eq!(out.values, vec![2.0, 2.0, 3.0]);
        assert_eq!(out.ts_ms, vec![11_000, 12_000, 13_000]);
    }

    #[test]
    fn late_trades_join_their_bar_and_rings_are_bounded() {
        let mut s = InstSeries::default();
        let sec = 1_000_000_000u64;
        for t in 0..(SECOND_BARS as u64 + 10) {
            s.trade(t * sec, 1.0, 1.0, true);
        }
        assert_eq!(s.seconds.len(), SECOND_BARS);
        s.trade((SECOND_BARS as u64) * sec, 5.0, 1.0, false);
        let b = s
            .seconds
            .iter()
            .find(|b| b.start_s == SECOND_BARS as u64)
            .unwrap();
        assert_eq!((b.trades, b.high), (2, 5.0));
    }
}
