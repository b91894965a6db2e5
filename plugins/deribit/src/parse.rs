//! One parse function per Deribit channel: channel data to exact values and normalized events.
//! Pure; book continuity (`prev_change_id`) and trade de-duplication are the codec's. Inverse
//! amounts (USD) become base sizes by [`crate::common::usd_to_base`] at the level's or trade's
//! own price. Tested one to one against the real payloads in `test_data/`.

use crate::common::{Margin, base_size, ms, num};
use crate::messages::{BookData, TickerData, TradeData};
use orderflow_plugin_common::decimal::open_from_change;
use orderflow_tool_sdk::{
    BookLevel, EventBody, FixedDecimal, Funding, Liquidation, MarkPrice, MarketEvent, OpenInterest,
    SdkError, Side, Ticker24h, Trade,
};
use serde_json::value::RawValue;

fn side_of(s: &str) -> Result<Side, SdkError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("direction {other:?}"))),
    }
}

fn opt(v: Option<&RawValue>, what: &str) -> Result<Option<FixedDecimal>, SdkError> {
    v.filter(|r| r.get() != "null")
        .map(|r| num(r, what))
        .transpose()
}

/// A book message's levels, bids then asks, sizes in base units (`delete` → 0).
///
/// # Errors
/// An unknown action or an unparseable price or amount.
pub fn parse_book(margin: Margin, b: &BookData<'_>) -> Result<Vec<BookLevel>, SdkError> {
    let mut levels = Vec::with_capacity(b.bids.len() + b.asks.len());
    for (rows, side) in [(&b.bids, Side::Buy), (&b.asks, Side::Sell)] {
        for (action, price, amount) in rows {
            let price = num(price, "price")?;
            let size = match *action {
                "delete" => FixedDecimal::ZERO,
                "new" | "change" => base_size(margin, num(amount, "amount")?, price)?,
                other => return Err(SdkError::decode(format!("book action {other:?}"))),
            };
            levels.push(BookLevel { side, price, size });
        }
    }
    Ok(levels)
}

/// A trade, keyed by its `trade_seq`, and a liquidation event when a liquidated side took part:
/// `T`/`MT` (the taker was liquidated) → the taker's side; `M` (only the maker) → the opposite.
///
/// # Errors
/// An unparseable field.
pub fn parse_trade(
    inst: u32,
    margin: Margin,
    t: &TradeData<'_>,
    ts_recv: u64,
) -> Result<(MarketEvent, Option<MarketEvent>), SdkError> {
    let price = num(t.price, "price")?;
    let size = base_size(margin, num(t.amount, "amount")?, price)?;
    let aggressor = side_of(t.direction)?;
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event: ms(t.timestamp),
        ts_recv,
        body,
    };
    let trade = ev(EventBody::Trade(Trade {
        price,
        size,
        aggressor,
        trade_id: t.trade_seq,
    }));
    let liquidated = match t.liquidation {
        Some("T" | "MT") => Some(aggressor),
        Some("M") => Some(match aggressor {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }),
        _ => None,
    };
    let liquidation =
        liquidated.map(|side| ev(EventBody::Liquidation(Liquidation { side, price, size })));
    Ok((trade, liquidation))
}

/// A ticker: 24 h ticker (open derived from the change), mark and index, funding (`funding_8h`,
/// a fraction per 8 h; perpetual funding is continuous so there is no next-funding time) and
/// open interest in base units (inverse: USD ÷ mark price by the inverse rule).
///
/// # Errors
/// A present but unparseable field.
pub fn parse_ticker(
    inst: u32,
    margin: Margin,
    t: &TickerData<'_>,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    let ev = |body| MarketEvent {
        instrument: inst,
        ts_event: ms(t.timestamp),
        ts_recv,
        body,
    };
    let mut out = Vec::with_capacity(4);
    let last = opt(t.last_price, "last_price")?;
    let (high, low) = (opt(t.stats.high, "high")?, opt(t.stats.low, "low")?);
    let change = opt(t.stats.price_change, "price_change")?;
    if let (Some(last), Some(high), Some(low), Some(change)) = (last, high, low, change)
        && let Some(open) = open_from_change(last, change)
    {
        out.push(ev(EventBody::Ticker(Ticker24h {
            last,
            open,
            high,
            low,
            volume: opt(t.stats.volume, "volume")?.unwrap_or(FixedDecimal::ZERO),
            quote_volume: opt(t.stats.volume_usd, "volume_usd")?.unwrap_or(FixedDecimal::ZERO),
            trade_count: 0,
        })));
    }
    let mark = opt(t.mark_price, "mark_price")?;
    if let Some(mark) = mark {
        out.push(ev(EventBody::MarkPrice(MarkPrice {
            mark,
            index: opt(t.index_price, "index_price")?.unwrap_or(FixedDecimal::ZERO),
        })));
    }
    if let Some(rate) = opt(t.funding_8h, "funding_8h")? {
        out.push(ev(EventBody::Funding(Funding {
            rate,
            next_funding_ns: 0,
        })));
    }
    if let (Some(oi), Some(mark)) = (opt(t.open_interest, "open_interest")?, mark) {
        out.push(ev(EventBody::OpenInterest(OpenInterest {
            open_interest: base_size(margin, oi, mark)?,
        })));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use crate::messages::Envelope;

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    fn data(text: &str) -> String {
        let e: Envelope<'_> = serde_json::from_str(text).unwrap();
        e.params.unwrap().data.unwrap().get().to_owned()
    }

    #[test]
    fn real_payloads_one_function_per_channel() {
        // 1. Book snapshot: USD amounts to base at each level's price.
        let d = data(&load_fixture("ws_book_snapshot.json"));
        let b: BookData<'_> = serde_json::from_str(&d).unwrap();
        assert_eq!((b.change_id, b.prev_change_id), (123_456_789, None));
        let levels = parse_book(Margin::Inverse, &b).unwrap();
        assert_eq!(levels.len(), 10);
        // 1000 USD / 42500 = 0.0235294117… → 0.02352941
        assert_eq!(
            (levels[0].side, levels[0].price, levels[0].size),
            (Side::Buy, fx("42500"), fx("0.02352941"))
        );
        assert_eq!((levels[5].side, levels[5].price), (Side::Sell, fx("42501")));
        // 2. Trades: taker side, trade_seq as id, base size.
        let d = data(&load_fixture("ws_trades.json"));
        let trades: Vec<TradeData<'_>> = serde_json::from_str(&d).unwrap();
        let (t, liq) = parse_trade(2, Margin::Inverse, &trades[1], 9).unwrap();
        let EventBody::Trade(tr) = t.body else {
            panic!()
        };
        assert_eq!(
            (tr.price, tr.size, tr.aggressor, tr.trade_id),
            (fx("92288.5"), fx("0.00812669"), Side::Sell, 271_252_855)
        );
        assert_eq!((t.ts_event, t.ts_recv), (1_765_531_356_452_000_000, 9));
        assert!(liq.is_none());
        // A linear instrument keeps the amount.
        let (t, _) = parse_trade(2, Margin::Linear, &trades[1], 9).unwrap();
        let EventBody::Trade(tr) = t.body else {
            panic!()
        };
        assert_eq!(tr.size, fx("750"));
        // 3. Ticker: 24 h, mark/index, funding_8h, OI in base (1132329370 USD / 92281.78).
        let d = data(&load_fixture("ws_ticker.json"));
        let k: TickerData<'_> = serde_json::from_str(&d).unwrap();
        let ev = parse_ticker(0, Margin::Inverse, &k, 1).unwrap();
        assert_eq!(ev.len(), 4);
        let EventBody::Ticker(tk) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (tk.last, tk.high, tk.low),
            (fx("92283.5"), fx("93612"), fx("89277.5"))
        );
        // 92283.5 / 1.023275 = 90184.46…
        assert_eq!(tk.open, fx("90184.5"));
        assert_eq!(tk.volume, fx("11897.27640428"));
        let EventBody::MarkPrice(mp) = &ev[1].body else {
            panic!()
        };
        assert_eq!((mp.mark, mp.index), (fx("92281.78"), fx("92263.55")));
        let EventBody::Funding(f) = &ev[2].body else {
            panic!()
        };
        assert_eq!(f.rate, fx("0.00001742"));
        let EventBody::OpenInterest(oi) = &ev[3].body else {
            panic!()
        };
        assert_eq!(oi.open_interest, fx("12270.34599896"));
    }

    #[test]
    fn liquidation_sides_and_bad_fields() {
        let t = |liq: &str, dir: &str| {
            format!(
                r#"{{"instrument_name":"BTC-PERPETUAL","timestamp":1,"trade_seq":1,"price":100.0,"amount":10.0,"direction":"{dir}","liquidation":"{liq}"}}"#
            )
        };
        let side = |liq, dir| {
            let text = t(liq, dir);
            let tr: TradeData<'_> = serde_json::from_str(&text).unwrap();
            match parse_trade(0, Margin::Inverse, &tr, 0)
                .unwrap()
                .1
                .map(|e| e.body)
            {
                Some(EventBody::Liquidation(l)) => Some(l.side),
                _ => None,
            }
        };
        assert_eq!(side("T", "sell"), Some(Side::Sell));
        assert_eq!(side("MT", "buy"), Some(Side::Buy));
        assert_eq!(side("M", "sell"), Some(Side::Buy));
        assert_eq!(side("", "sell"), None);
        let bad =
            r#"{"instrument_name":"X","timestamp":1,"change_id":2,"bids":[["move",1.0,1.0]]}"#;
        let b: BookData<'_> = serde_json::from_str(bad).unwrap();
        assert!(parse_book(Margin::Linear, &b).is_err());
        let text = t("", "up");
        let tr: TradeData<'_> = serde_json::from_str(&text).unwrap();
        assert!(parse_trade(0, Margin::Inverse, &tr, 0).is_err());
    }
}
