//! One parse function per Hyperliquid channel: wire data to exact values and events. Pure; the
//! codec keeps the last book time (out-of-order images are stale) and de-duplicates trades.

use crate::common::{dec, ms, next_funding_ns};
use crate::messages::{AssetCtx, L2Book, WsTrade};
use orderflow_tool_sdk::{
    BookLevel, EventBody, Funding, MarkPrice, MarketEvent, OpenInterest, SdkError, Side, Trade,
};

/// `l2Book`: the whole image as levels, bids then asks.
///
/// # Errors
/// An unparseable price or size.
pub fn parse_l2_book(b: &L2Book<'_>) -> Result<Vec<BookLevel>, SdkError> {
    let mut out = Vec::with_capacity(b.levels[0].len() + b.levels[1].len());
    for (side, rows) in [(Side::Buy, &b.levels[0]), (Side::Sell, &b.levels[1])] {
        for l in rows {
            out.push(BookLevel {
                side,
                price: dec(l.px, "px")?,
                size: dec(l.sz, "sz")?,
            });
        }
    }
    Ok(out)
}

/// One `trades` trade (`B` = the taker bought).
///
/// # Errors
/// An unparseable price, size or side.
pub fn parse_trade(inst: u32, t: &WsTrade<'_>, ts_recv: u64) -> Result<MarketEvent, SdkError> {
    let aggressor = match t.side {
        "B" => Side::Buy,
        "A" => Side::Sell,
        other => return Err(SdkError::decode(format!("side {other:?}"))),
    };
    Ok(MarketEvent {
        instrument: inst,
        ts_event: ms(t.time),
        ts_recv,
        body: EventBody::Trade(Trade {
            price: dec(t.px, "px")?,
            size: dec(t.sz, "sz")?,
            aggressor,
            trade_id: t.tid,
        }),
    })
}

/// `activeAssetCtx`: mark and oracle (index) price, the hourly funding rate with the next
/// settlement, open interest. Hyperliquid sends no time with it: events carry the receive time.
///
/// # Errors
/// An unparseable field.
pub fn parse_asset_ctx(
    inst: u32,
    c: &AssetCtx<'_>,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event: ts_recv,
        ts_recv,
        body,
    };
    Ok(vec![
        ev(EventBody::MarkPrice(MarkPrice {
            mark: dec(c.mark_px, "markPx")?,
            index: dec(c.oracle_px, "oraclePx")?,
        })),
        ev(EventBody::Funding(Funding {
            rate: dec(c.funding, "funding")?,
            next_funding_ns: next_funding_ns(ts_recv / 1_000_000),
        })),
        ev(EventBody::OpenInterest(OpenInterest {
            open_interest: dec(c.open_interest, "openInterest")?,
        })),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use orderflow_tool_sdk::FixedDecimal;

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    #[test]
    fn real_payloads_one_function_per_channel() {
        let text = load_fixture("ws_l2_book.json");
        let b: L2Book<'_> = serde_json::from_str(&text).unwrap();
        let levels = parse_l2_book(&b).unwrap();
        assert_eq!(levels.len(), 10);
        assert_eq!(
            (levels[0].side, levels[0].price, levels[0].size),
            (Side::Buy, fx("98450.5"), fx("2.5"))
        );
        assert_eq!(
            (levels[5].side, levels[5].price, levels[5].size),
            (Side::Sell, fx("98451"), fx("1.5"))
        );
        assert_eq!(b.time, 1_703_875_200_000);
        let t: WsTrade<'_> = serde_json::from_str(r#"{"coin":"BTC","side":"A","px":"98450.5","sz":"0.01","hash":"0x1","time":1703875200001,"tid":42,"users":["0xa","0xb"]}"#).unwrap();
        let e = parse_trade(2, &t, 5).unwrap();
        let EventBody::Trade(tr) = e.body else {
            panic!()
        };
        assert_eq!(
            (tr.aggressor, tr.trade_id, tr.size),
            (Side::Sell, 42, fx("0.01"))
        );
        let c: AssetCtx<'_> = serde_json::from_str(r#"{"funding":"0.0000125","openInterest":"446072.075","oraclePx":"3230.1","markPx":"3227.4","midPx":"3228.25","prevDayPx":"3100","dayNtlVlm":"1.5"}"#).unwrap();
        let ev = parse_asset_ctx(0, &c, 1_703_875_200_000_000_000).unwrap();
        let EventBody::Funding(f) = &ev[1].body else {
            panic!()
        };
        assert_eq!(
            (f.rate, f.next_funding_ns),
            (fx("0.0000125"), 1_703_876_400_000_000_000)
        );
    }

    #[test]
    fn bad_fields_are_errors() {
        let t: WsTrade<'_> =
            serde_json::from_str(r#"{"coin":"BTC","side":"X","px":"1","sz":"1","time":1,"tid":1}"#)
                .unwrap();
        assert!(parse_trade(0, &t, 0).is_err());
        let b: L2Book<'_> =
            serde_json::from_str(r#"{"coin":"BTC","time":1,"levels":[[{"px":"x","sz":"1"}],[]]}"#)
                .unwrap();
        assert!(parse_l2_book(&b).is_err());
    }
}
