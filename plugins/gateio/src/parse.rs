//! One parse function per Gate.io feed: messages to exact values and normalized events. Sizes
//! arrive in contracts; each becomes base units by the contract's `quanto_multiplier`
//! ([`crate::common::mul`]). Pure; book sync and trade de-duplication are the codec's. Tested
//! against the documentation's payloads in `test_data/`.

use crate::common::{ms, mul, num};
use crate::messages::{BookUpdateMsg, Level, LiquidationMsg, TickerMsg, TradeMsg};
use orderflow_plugin_common::decimal::open_from_change;
use orderflow_tool_sdk::{
    BookLevel, EventBody, FixedDecimal, Funding, Liquidation, MarkPrice, MarketEvent, OpenInterest,
    SdkError, Side, Ticker24h, Trade,
};
use serde_json::value::RawValue;

fn opt(v: Option<&RawValue>, what: &str) -> Result<Option<FixedDecimal>, SdkError> {
    v.filter(|r| !matches!(r.get(), "null" | "\"\""))
        .map(|r| num(r, what))
        .transpose()
}

fn abs(d: FixedDecimal) -> FixedDecimal {
    FixedDecimal::new(d.mantissa.saturating_abs(), d.scale)
}

/// Price levels, bids then asks, sizes in base units.
///
/// # Errors
/// An unparseable price or size.
pub fn parse_levels(
    bids: &[Level<'_>],
    asks: &[Level<'_>],
    quanto: FixedDecimal,
) -> Result<Vec<BookLevel>, SdkError> {
    let mut out = Vec::with_capacity(bids.len() + asks.len());
    for (rows, side) in [(bids, Side::Buy), (asks, Side::Sell)] {
        for l in rows {
            out.push(BookLevel {
                side,
                price: num(l.p, "price")?,
                size: mul(num(l.s, "size")?, quanto)?,
            });
        }
    }
    Ok(out)
}

/// An `order_book_update`'s levels.
///
/// # Errors
/// See [`parse_levels`].
pub fn parse_book_update(
    m: &BookUpdateMsg<'_>,
    quanto: FixedDecimal,
) -> Result<Vec<BookLevel>, SdkError> {
    parse_levels(&m.b, &m.a, quanto)
}

/// A trade: the sign of `size` is the taker's side; the id is the de-duplication key.
///
/// # Errors
/// An unparseable field, or no time.
pub fn parse_trade(
    inst: u32,
    t: &TradeMsg<'_>,
    quanto: FixedDecimal,
    ts_recv: u64,
) -> Result<MarketEvent, SdkError> {
    let signed = num(t.size, "size")?;
    let ts = t
        .create_time_ms
        .or_else(|| t.create_time.map(|s| s.saturating_mul(1_000)))
        .ok_or_else(|| SdkError::decode("trade without create_time_ms"))?;
    Ok(MarketEvent {
        instrument: inst,
        ts_event: ms(ts),
        ts_recv,
        body: EventBody::Trade(Trade {
            price: num(t.price, "price")?,
            size: mul(abs(signed), quanto)?,
            aggressor: if signed.mantissa < 0 {
                Side::Sell
            } else {
                Side::Buy
            },
            trade_id: t.id,
        }),
    })
}

/// A public liquidation: the sign of `size` is the liquidation order's side (negative: a sell,
/// i.e. a long position closed).
///
/// # Errors
/// An unparseable field.
pub fn parse_liquidation(
    inst: u32,
    l: &LiquidationMsg<'_>,
    quanto: FixedDecimal,
    ts_recv: u64,
) -> Result<MarketEvent, SdkError> {
    let signed = num(l.size, "size")?;
    Ok(MarketEvent {
        instrument: inst,
        ts_event: ms(l.time_ms),
        ts_recv,
        body: EventBody::Liquidation(Liquidation {
            side: if signed.mantissa < 0 {
                Side::Sell
            } else {
                Side::Buy
            },
            price: num(l.price, "price")?,
            size: mul(abs(signed), quanto)?,
        }),
    })
}

/// A ticker: 24 h ticker (open derived from the change), mark and index, funding (the current
/// period's rate; the next funding time is not in the message) and open interest
/// (`total_size` contracts × quanto).
///
/// # Errors
/// A present but unparseable field.
pub fn parse_ticker(
    inst: u32,
    t: &TickerMsg<'_>,
    quanto: FixedDecimal,
    ts_event: u64,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event,
        ts_recv,
        body,
    };
    let mut out = Vec::with_capacity(4);
    let (last, high, low) = (
        opt(t.last, "last")?,
        opt(t.high_24h, "high_24h")?,
        opt(t.low_24h, "low_24h")?,
    );
    let change = opt(t.change_percentage, "change_percentage")?;
    if let (Some(last), Some(high), Some(low), Some(change)) = (last, high, low, change)
        && let Some(open) = open_from_change(last, change)
    {
        out.push(ev(EventBody::Ticker(Ticker24h {
            last,
            open,
            high,
            low,
            volume: opt(t.volume_24h_base, "volume_24h_base")?.unwrap_or(FixedDecimal::ZERO),
            quote_volume: opt(t.volume_24h_quote, "volume_24h_quote")?
                .unwrap_or(FixedDecimal::ZERO),
            trade_count: 0,
        })));
    }
    if let Some(mark) = opt(t.mark_price, "mark_price")? {
        out.push(ev(EventBody::MarkPrice(MarkPrice {
            mark,
            index: opt(t.index_price, "index_price")?.unwrap_or(FixedDecimal::ZERO),
        })));
    }
    if let Some(rate) = opt(t.funding_rate, "funding_rate")? {
        out.push(ev(EventBody::Funding(Funding {
            rate,
            next_funding_ns: 0,
        })));
    }
    if let Some(oi) = opt(t.total_size, "total_size")? {
        out.push(ev(EventBody::OpenInterest(OpenInterest {
            open_interest: mul(oi, quanto)?,
        })));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use crate::messages::{BookSnapshotMsg, ContractMsg, Envelope};

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    fn result(text: &str) -> String {
        let e: Envelope<'_> = serde_json::from_str(text).unwrap();
        e.result.unwrap().get().to_owned()
    }

    #[test]
    fn documented_payloads_one_function_per_feed() {
        let q = fx("0.0001");
        // Contract: the multiplier.
        let text = load_fixture("rest_contract.json");
        let c: ContractMsg<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (
                c.name,
                num(c.quanto_multiplier, "q").unwrap(),
                c.funding_interval
            ),
            ("BTC_USDT", q, Some(28_800))
        );
        // Book update: absolute sizes × quanto; 0 removes.
        let r = result(&load_fixture("ws_order_book_update.json"));
        let m: BookUpdateMsg<'_> = serde_json::from_str(&r).unwrap();
        assert_eq!((m.first, m.last), (2_517_661_101, 2_517_661_113));
        let levels = parse_book_update(&m, q).unwrap();
        assert_eq!(levels.len(), 4);
        assert_eq!(
            (levels[0].side, levels[0].price, levels[0].size),
            (Side::Buy, fx("54672.1"), FixedDecimal::ZERO)
        );
        assert_eq!(
            (levels[1].price, levels[1].size),
            (fx("54664.5"), fx("5.8794"))
        );
        assert_eq!((levels[3].side, levels[3].size), (Side::Sell, fx("0.0095")));
        // REST snapshot with id.
        let text = load_fixture("rest_order_book.json");
        let s: BookSnapshotMsg<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(s.id, 123_456);
        assert_eq!(
            parse_levels(&s.bids, &s.asks, fx("10")).unwrap()[0].size,
            fx("1500")
        );
        // Trade: negative size = taker sold.
        let r = result(&load_fixture("ws_trades.json"));
        let trades: Vec<TradeMsg<'_>> = serde_json::from_str(&r).unwrap();
        let t = parse_trade(1, &trades[0], q, 7).unwrap();
        let EventBody::Trade(tr) = t.body else {
            panic!()
        };
        assert_eq!(
            (tr.price, tr.size, tr.aggressor, tr.trade_id),
            (fx("96.4"), fx("0.0108"), Side::Sell, 27_753_479)
        );
        assert_eq!(t.ts_event, 1_545_136_464_123_000_000);
        // Ticker: four events; OI = 73648 contracts × 0.0001.
        let r = result(&load_fixture("ws_tickers.json"));
        let tickers: Vec<TickerMsg<'_>> = serde_json::from_str(&r).unwrap();
        let ev = parse_ticker(0, &tickers[0], q, 5, 6).unwrap();
        assert_eq!(ev.len(), 4);
        let EventBody::Ticker(k) = &ev[0].body else {
            panic!()
        };
        // 118.4 / 1.0077 = 117.495…
        assert_eq!(
            (k.last, k.open, k.high, k.low, k.volume),
            (
                fx("118.4"),
                fx("117.5"),
                fx("132.5"),
                fx("99.2"),
                fx("5526")
            )
        );
        let EventBody::Funding(f) = &ev[2].body else {
            panic!()
        };
        assert_eq!(f.rate, fx("-0.000114"));
        let EventBody::OpenInterest(oi) = &ev[3].body else {
            panic!()
        };
        assert_eq!(oi.open_interest, fx("7.3648"));
        // Liquidations: sign = order side.
        let r = result(&load_fixture("ws_public_liquidates.json"));
        let liqs: Vec<LiquidationMsg<'_>> = serde_json::from_str(&r).unwrap();
        let EventBody::Liquidation(l) = parse_liquidation(0, &liqs[0], q, 1).unwrap().body else {
            panic!()
        };
        assert_eq!(
            (l.side, l.price, l.size),
            (Side::Sell, fx("86650.5"), fx("0.25"))
        );
        let EventBody::Liquidation(l) = parse_liquidation(0, &liqs[1], q, 1).unwrap().body else {
            panic!()
        };
        assert_eq!(l.side, Side::Buy);
    }

    #[test]
    fn bad_fields_are_errors() {
        let t: TradeMsg<'_> = serde_json::from_str(
            r#"{"size":"x","id":1,"create_time_ms":1,"price":"1","contract":"A"}"#,
        )
        .unwrap();
        assert!(parse_trade(0, &t, fx("1"), 0).is_err());
        let t: TradeMsg<'_> =
            serde_json::from_str(r#"{"size":1,"id":1,"price":"1","contract":"A"}"#).unwrap();
        assert!(parse_trade(0, &t, fx("1"), 0).is_err(), "no time");
    }
}
