//! One parse function per Kraken Futures feed: a [`Msg`] to exact values and normalized events.
//! Pure; book continuity is [`orderflow_plugin_common::sequencer`]'s, trade de-duplication the
//! codec's. Tested one to one against the real payloads in `test_data/`.

use crate::common::{ms, num};
use crate::messages::{Level, Msg};
use orderflow_tool_sdk::{
    BookLevel, EventBody, FixedDecimal, Funding, Liquidation, MarkPrice, MarketEvent, OpenInterest,
    SdkError, Side, Ticker24h, Trade,
};
use serde_json::value::RawValue;

fn side_of(s: Option<&str>) -> Result<Side, SdkError> {
    match s {
        Some("buy") => Ok(Side::Buy),
        Some("sell") => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("side {other:?}"))),
    }
}

fn req<'a>(v: Option<&'a RawValue>, what: &str) -> Result<&'a RawValue, SdkError> {
    v.ok_or_else(|| SdkError::decode(format!("missing {what}")))
}

fn opt(v: Option<&RawValue>, what: &str) -> Result<Option<FixedDecimal>, SdkError> {
    v.filter(|r| r.get() != "null")
        .map(|r| num(r, what))
        .transpose()
}

/// `book_snapshot`: every level, bids then asks.
///
/// # Errors
/// An unparseable price or size.
pub fn parse_book_snapshot(m: &Msg<'_>) -> Result<Vec<BookLevel>, SdkError> {
    let side = |rows: &[Level<'_>], side| -> Result<Vec<BookLevel>, SdkError> {
        rows.iter()
            .map(|l| {
                Ok(BookLevel {
                    side,
                    price: num(l.price, "price")?,
                    size: num(l.qty, "qty")?,
                })
            })
            .collect()
    };
    let mut levels = side(&m.bids, Side::Buy)?;
    levels.extend(side(&m.asks, Side::Sell)?);
    Ok(levels)
}

/// `book`: one level's new absolute size.
///
/// # Errors
/// A missing or unparseable side, price or size.
pub fn parse_book_delta(m: &Msg<'_>) -> Result<BookLevel, SdkError> {
    Ok(BookLevel {
        side: side_of(m.side)?,
        price: num(req(m.price, "price")?, "price")?,
        size: num(req(m.qty, "qty")?, "qty")?,
    })
}

/// `trade` (or one entry of `trade_snapshot`): the trade, keyed by its per-product `seq`, and a
/// liquidation event when its `type` is `liquidation` (Kraken has no separate liquidation feed;
/// the taker side of a liquidation trade is the liquidation order's side).
///
/// # Errors
/// A missing or unparseable field.
pub fn parse_trade(
    inst: u32,
    t: &Msg<'_>,
    ts_recv: u64,
) -> Result<(MarketEvent, Option<MarketEvent>), SdkError> {
    let price = num(req(t.price, "price")?, "price")?;
    let size = num(req(t.qty, "qty")?, "qty")?;
    let aggressor = side_of(t.side)?;
    let seq = t.seq.ok_or_else(|| SdkError::decode("trade without seq"))?;
    let ts_event = ms(t
        .time
        .ok_or_else(|| SdkError::decode("trade without time"))?);
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event,
        ts_recv,
        body,
    };
    let trade = ev(EventBody::Trade(Trade {
        price,
        size,
        aggressor,
        trade_id: seq,
    }));
    let liquidation = (t.kind == Some("liquidation")).then(|| {
        ev(EventBody::Liquidation(Liquidation {
            side: aggressor,
            price,
            size,
        }))
    });
    Ok((trade, liquidation))
}

/// `ticker`: 24 h ticker, mark and index, funding (the relative rate, a fraction per funding
/// period) and open interest, each when the message carries its fields.
///
/// # Errors
/// A present but unparseable field.
pub fn parse_ticker(inst: u32, t: &Msg<'_>, ts_recv: u64) -> Result<Vec<MarketEvent>, SdkError> {
    let ts_event = t.time.map_or(ts_recv, ms);
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event,
        ts_recv,
        body,
    };
    let mut out = Vec::with_capacity(4);
    let (last, open, high, low) = (
        opt(t.last, "last")?,
        opt(t.open, "open")?,
        opt(t.high, "high")?,
        opt(t.low, "low")?,
    );
    if let (Some(last), Some(open), Some(high), Some(low)) = (last, open, high, low) {
        out.push(ev(EventBody::Ticker(Ticker24h {
            last,
            open,
            high,
            low,
            volume: opt(t.volume, "volume")?.unwrap_or(FixedDecimal::ZERO),
            quote_volume: opt(t.volume_quote, "volumeQuote")?.unwrap_or(FixedDecimal::ZERO),
            trade_count: 0,
        })));
    }
    if let Some(mark) = opt(t.mark_price, "markPrice")? {
        out.push(ev(EventBody::MarkPrice(MarkPrice {
            mark,
            index: opt(t.index, "index")?.unwrap_or(FixedDecimal::ZERO),
        })));
    }
    if let Some(rate) = opt(t.relative_funding_rate, "relative_funding_rate")? {
        let next = opt(t.next_funding_rate_time, "next_funding_rate_time")?
            .and_then(|d| d.to_scale(0))
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(0);
        out.push(ev(EventBody::Funding(Funding {
            rate,
            next_funding_ns: ms(next),
        })));
    }
    if let Some(oi) = opt(t.open_interest, "openInterest")? {
        out.push(ev(EventBody::OpenInterest(OpenInterest {
            open_interest: oi,
        })));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    #[test]
    fn real_payloads_one_function_per_feed() {
        // 1. Book snapshot: numbers parsed exactly from their JSON text.
        let text = load_fixture("ws_book_snapshot.json");
        let m: Msg<'_> = serde_json::from_str(&text).unwrap();
        let levels = parse_book_snapshot(&m).unwrap();
        assert_eq!(m.seq, Some(326_072_249));
        assert_eq!(
            (levels[0].side, levels[0].price, levels[0].size),
            (Side::Buy, fx("34892.5"), fx("6385"))
        );
        assert_eq!(
            (levels[2].side, levels[2].price),
            (Side::Sell, fx("34911.5"))
        );
        // 2. Trade: taker side, size, seq as the trade id, not a liquidation.
        let text = load_fixture("ws_trade.json");
        let m: Msg<'_> = serde_json::from_str(&text).unwrap();
        let (t, liq) = parse_trade(3, &m, 9).unwrap();
        let EventBody::Trade(tr) = t.body else {
            panic!()
        };
        assert_eq!(
            (tr.price, tr.size, tr.aggressor, tr.trade_id),
            (fx("34969.5"), fx("15000"), Side::Sell, 653_355)
        );
        assert_eq!(
            (t.instrument, t.ts_event, t.ts_recv),
            (3, 1_612_266_317_519_000_000, 9)
        );
        assert!(liq.is_none());
        let liq_text = text.replace("\"fill\"", "\"liquidation\"");
        let m: Msg<'_> = serde_json::from_str(&liq_text).unwrap();
        assert!(matches!(
            parse_trade(3, &m, 9).unwrap().1.unwrap().body,
            EventBody::Liquidation(_)
        ));
        // 3. Ticker: four events; the relative funding rate in exponent notation, exactly.
        let text = load_fixture("ws_ticker.json");
        let m: Msg<'_> = serde_json::from_str(&text).unwrap();
        let ev = parse_ticker(0, &m, 1).unwrap();
        assert_eq!(ev.len(), 4);
        let EventBody::Ticker(k) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (k.last, k.open, k.high, k.low),
            (fx("21983.5"), fx("21968.5"), fx("22123"), fx("21456"))
        );
        let EventBody::MarkPrice(mp) = &ev[1].body else {
            panic!()
        };
        assert_eq!(
            (mp.mark, mp.index),
            (fx("21979.68641534714"), fx("21984.54"))
        );
        let EventBody::Funding(f) = &ev[2].body else {
            panic!()
        };
        assert_eq!(
            (f.rate, f.next_funding_ns),
            (fx("-0.000001380384722222"), 1_676_394_000_000_000_000)
        );
        let EventBody::OpenInterest(oi) = &ev[3].body else {
            panic!()
        };
        assert_eq!(oi.open_interest, fx("30072580"));
    }

    #[test]
    fn bad_fields_are_errors() {
        let m: Msg<'_> =
            serde_json::from_str(r#"{"feed":"book","side":"up","seq":1,"price":1,"qty":1}"#)
                .unwrap();
        assert!(parse_book_delta(&m).is_err());
        let m: Msg<'_> =
            serde_json::from_str(r#"{"feed":"book","side":"buy","seq":1,"price":1}"#).unwrap();
        assert!(parse_book_delta(&m).is_err(), "missing qty");
        let m: Msg<'_> = serde_json::from_str(
            r#"{"feed":"trade","side":"buy","seq":1,"time":1,"price":1e-40,"qty":1}"#,
        )
        .unwrap();
        assert!(parse_trade(0, &m, 0).is_err(), "not exactly representable");
    }
}
