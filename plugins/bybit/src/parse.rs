//! One parse function per Bybit topic: wire data ([`crate::messages`]) to exact values and
//! normalized events. Pure; book continuity is [`orderflow_plugin_common::sequencer`]'s and ticker merging is
//! [`Ticker::merge`]'s.

use crate::common::{dec, ms, trade_id};
use crate::messages::{BookData, LiquidationData, TickerData, TradeData};
use orderflow_tool_sdk::{
    BookLevel, EventBody, FixedDecimal, Funding, Liquidation, MarkPrice, MarketEvent, OpenInterest,
    SdkError, Side, Ticker24h, Trade,
};

fn side_of(s: &str) -> Result<Side, SdkError> {
    match s {
        "Buy" => Ok(Side::Buy),
        "Sell" => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("side {other:?}"))),
    }
}

fn opt(v: Option<&str>, what: &str) -> Result<Option<FixedDecimal>, SdkError> {
    v.filter(|s| !s.is_empty())
        .map(|s| dec(s, what))
        .transpose()
}

/// `orderbook`: the levels of a snapshot or delta (bids, then asks).
///
/// # Errors
/// An unparseable price or size.
pub fn parse_book_levels(d: &BookData<'_>) -> Result<Vec<BookLevel>, SdkError> {
    let mut levels = Vec::with_capacity(d.b.len() + d.a.len());
    for (side, rows) in [(Side::Buy, &d.b), (Side::Sell, &d.a)] {
        for [p, q] in rows {
            levels.push(BookLevel {
                side,
                price: dec(p, "price")?,
                size: dec(q, "size")?,
            });
        }
    }
    Ok(levels)
}

/// `publicTrade`: `(ts_event ns, trade)` per row; UUID ids become stable 64-bit ids.
///
/// # Errors
/// Any unparseable field (the whole message is refused).
pub fn parse_trades(rows: &[TradeData<'_>]) -> Result<Vec<(u64, Trade)>, SdkError> {
    rows.iter()
        .map(|t| {
            Ok((
                ms(t.time),
                Trade {
                    price: dec(t.p, "p")?,
                    size: dec(t.v, "v")?,
                    aggressor: side_of(t.side)?,
                    trade_id: trade_id(t.i),
                },
            ))
        })
        .collect()
}

/// `allLiquidation`: `(ts_event ns, liquidation)` per row. Bybit's `S` is the liquidated
/// position's side; the normalized side is the liquidation *order's* (a long is closed by a
/// sell).
///
/// # Errors
/// Any unparseable field.
pub fn parse_liquidations(
    rows: &[LiquidationData<'_>],
) -> Result<Vec<(u64, Liquidation)>, SdkError> {
    rows.iter()
        .map(|l| {
            let side = match side_of(l.side)? {
                Side::Buy => Side::Sell,
                Side::Sell => Side::Buy,
            };
            Ok((
                ms(l.time),
                Liquidation {
                    side,
                    price: dec(l.p, "p")?,
                    size: dec(l.v, "v")?,
                },
            ))
        })
        .collect()
}

/// A ticker's fields, each present when the message carried it (snapshot: all; delta: the
/// changed ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticker {
    /// Last price.
    pub last: Option<FixedDecimal>,
    /// Price 24 h ago.
    pub open: Option<FixedDecimal>,
    /// 24 h high.
    pub high: Option<FixedDecimal>,
    /// 24 h low.
    pub low: Option<FixedDecimal>,
    /// 24 h base volume.
    pub volume: Option<FixedDecimal>,
    /// 24 h quote turnover.
    pub turnover: Option<FixedDecimal>,
    /// Mark price.
    pub mark: Option<FixedDecimal>,
    /// Index price.
    pub index: Option<FixedDecimal>,
    /// Open interest (base).
    pub open_interest: Option<FixedDecimal>,
    /// Funding rate.
    pub funding: Option<FixedDecimal>,
    /// Next funding time, ms.
    pub next_funding_ms: Option<u64>,
}

/// `tickers`: the fields a snapshot or delta carries.
///
/// # Errors
/// A present but unparseable field.
pub fn parse_ticker(d: &TickerData<'_>) -> Result<Ticker, SdkError> {
    Ok(Ticker {
        last: opt(d.last_price, "lastPrice")?,
        open: opt(d.prev_price24h, "prevPrice24h")?,
        high: opt(d.high_price24h, "highPrice24h")?,
        low: opt(d.low_price24h, "lowPrice24h")?,
        volume: opt(d.volume24h, "volume24h")?,
        turnover: opt(d.turnover24h, "turnover24h")?,
        mark: opt(d.mark_price, "markPrice")?,
        index: opt(d.index_price, "indexPrice")?,
        open_interest: opt(d.open_interest, "openInterest")?,
        funding: opt(d.funding_rate, "fundingRate")?,
        next_funding_ms: d
            .next_funding_time
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>()
                    .map_err(|_| SdkError::decode(format!("nextFundingTime {s:?}")))
            })
            .transpose()?,
    })
}

impl Ticker {
    /// Merges a snapshot or delta into this (the instrument's merged ticker) and returns the
    /// events whose fields changed: 24 h ticker, mark/index, funding, open interest.
    pub fn merge(
        &mut self,
        new: &Ticker,
        inst: u32,
        ts_event: u64,
        ts_recv: u64,
    ) -> Vec<MarketEvent> {
        fn set<T: Copy>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        set(&mut self.last, new.last);
        set(&mut self.open, new.open);
        set(&mut self.high, new.high);
        set(&mut self.low, new.low);
        set(&mut self.volume, new.volume);
        set(&mut self.turnover, new.turnover);
        set(&mut self.mark, new.mark);
        set(&mut self.index, new.index);
        set(&mut self.open_interest, new.open_interest);
        set(&mut self.funding, new.funding);
        set(&mut self.next_funding_ms, new.next_funding_ms);
        let t = *self;
        let ev = |body| MarketEvent {
            instrument: inst,
            ts_event,
            ts_recv,
            body,
        };
        let mut out = Vec::new();
        if (new.last.is_some() || new.volume.is_some() || new.high.is_some() || new.low.is_some())
            && let (Some(last), Some(open), Some(high), Some(low)) = (t.last, t.open, t.high, t.low)
        {
            out.push(ev(EventBody::Ticker(Ticker24h {
                last,
                open,
                high,
                low,
                volume: t.volume.unwrap_or(FixedDecimal::ZERO),
                quote_volume: t.turnover.unwrap_or(FixedDecimal::ZERO),
                trade_count: 0,
            })));
        }
        if (new.mark.is_some() || new.index.is_some())
            && let Some(mark) = t.mark
        {
            out.push(ev(EventBody::MarkPrice(MarkPrice {
                mark,
                index: t.index.unwrap_or(FixedDecimal::ZERO),
            })));
        }
        if (new.funding.is_some() || new.next_funding_ms.is_some())
            && let Some(rate) = t.funding
        {
            out.push(ev(EventBody::Funding(Funding {
                rate,
                next_funding_ns: ms(t.next_funding_ms.unwrap_or(0)),
            })));
        }
        if let Some(oi) = new.open_interest {
            out.push(ev(EventBody::OpenInterest(OpenInterest {
                open_interest: oi,
            })));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use crate::messages::Envelope;

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    #[test]
    fn real_payloads_one_function_per_topic() {
        let data = |text: &'static str| -> &'static str {
            let env: Envelope<'static> = serde_json::from_str(text).unwrap();
            env.data.unwrap().get()
        };
        // Fixtures live for the test: leak them to borrow from.
        let load = |f: &str| -> &'static str { Box::leak(load_fixture(f).into_boxed_str()) };
        // 1. Trades: taker side, exact price and size, UUID → stable id.
        let rows: Vec<TradeData<'_>> =
            serde_json::from_str(data(load("ws_public_trade.json"))).unwrap();
        let (ts, t) = parse_trades(&rows).unwrap()[0];
        assert_eq!(
            (ts, t.price, t.size, t.aggressor),
            (
                1_709_891_679_000_000_000,
                fx("27451.00"),
                fx("0.010"),
                Side::Buy
            )
        );
        assert_eq!(t.trade_id, trade_id("9dc75fca-4bdd-4773-9f78-6f5d7ab2a110"));
        // 2. Book: bids then asks.
        let d: BookData<'_> =
            serde_json::from_str(data(load("ws_orderbook_snapshot.json"))).unwrap();
        let levels = parse_book_levels(&d).unwrap();
        assert_eq!(
            (levels[0].side, levels[0].price, levels[0].size),
            (Side::Buy, fx("27450.00"), fx("0.500"))
        );
        assert_eq!(
            levels.iter().filter(|l| l.side == Side::Sell).count(),
            d.a.len()
        );
        // 3. A ticker snapshot gives the four event kinds; a delta with only the mark, one.
        let d: TickerData<'_> = serde_json::from_str(data(load("ws_ticker_linear.json"))).unwrap();
        let snap = parse_ticker(&d).unwrap();
        assert_eq!(
            (snap.funding, snap.next_funding_ms),
            (Some(fx("-0.000212")), Some(1_673_280_000_000))
        );
        let mut merged = Ticker::default();
        assert_eq!(merged.merge(&snap, 0, 1, 2).len(), 4);
        let delta = Ticker {
            mark: Some(fx("17220.01")),
            ..Ticker::default()
        };
        let ev = merged.merge(&delta, 0, 3, 4);
        assert_eq!(ev.len(), 1);
        let EventBody::MarkPrice(m) = &ev[0].body else {
            panic!("{ev:?}")
        };
        assert_eq!(
            (m.mark, m.index),
            (fx("17220.01"), fx("17227.36")),
            "index kept from the snapshot"
        );
    }
}
