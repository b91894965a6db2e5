//! One parse function per OKX channel: a wire message (already split out of its envelope) to
//! normalized events. Pure and stateless — de-duplication, book continuity and the checksum are
//! the codec's and the sequencer's ([`crate::book`]) — and tested one to one against the real
//! payloads in `test_data/`. Sizes in contracts are multiplied by the instrument's contract value
//! `ct`, exactly.

use crate::common::{dec, ms_str_to_ns, mul};
use crate::messages::{
    FundingMsg, IndexMsg, LiquidationMsg, MarkMsg, OpenInterestMsg, TickerMsg, TradeMsg,
};
use orderflow_tool_sdk::{
    EventBody, FixedDecimal, Funding, Liquidation, MarkPrice, MarketEvent, OpenInterest, SdkError,
    Side, Ticker24h, Trade,
};

fn side_of(s: &str) -> Result<Side, SdkError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(SdkError::decode(format!("side {other:?}"))),
    }
}

/// Maps every message to an event, failing on the first bad one (sized up front: one
/// allocation per frame on the hot path).
fn each<T>(
    msgs: &[T],
    f: impl Fn(&T) -> Result<MarketEvent, SdkError>,
) -> Result<Vec<MarketEvent>, SdkError> {
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        out.push(f(m)?);
    }
    Ok(out)
}

fn event(instrument: u32, ts_event: u64, ts_recv: u64, body: EventBody) -> MarketEvent {
    MarketEvent {
        instrument,
        ts_event,
        ts_recv,
        body,
    }
}

/// `trades`: one trade event per message, sizes in base units.
///
/// # Errors
/// Any unparseable field (the whole message is refused).
pub fn parse_trades(
    msgs: &[TradeMsg<'_>],
    inst: u32,
    ct: FixedDecimal,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    each(msgs, |t| {
        let id: u64 = t
            .trade_id
            .parse()
            .map_err(|_| SdkError::decode(format!("tradeId {:?}", t.trade_id)))?;
        Ok(event(
            inst,
            ms_str_to_ns(t.ts)?,
            ts_recv,
            EventBody::Trade(Trade {
                price: dec(t.px, "px")?,
                size: mul(dec(t.sz, "sz")?, ct)?,
                aggressor: side_of(t.side)?,
                trade_id: id,
            }),
        ))
    })
}

/// `tickers`: the 24 h ticker. OKX sends no quote volume for swaps: base volume × last is an
/// estimate (it prices the whole day at the last price).
///
/// # Errors
/// Any unparseable field.
pub fn parse_tickers(
    msgs: &[TickerMsg<'_>],
    inst: u32,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    each(msgs, |t| {
        let last = dec(t.last, "last")?;
        let volume = dec(t.vol_ccy_24h, "volCcy24h")?;
        // Contracts; validated, not used (volCcy24h is already in coin).
        dec(t.vol_24h, "vol24h")?;
        Ok(event(
            inst,
            ms_str_to_ns(t.ts)?,
            ts_recv,
            EventBody::Ticker(Ticker24h {
                last,
                open: dec(t.open_24h, "open24h")?,
                high: dec(t.high_24h, "high24h")?,
                low: dec(t.low_24h, "low24h")?,
                volume,
                quote_volume: mul(volume, last).unwrap_or(FixedDecimal::ZERO),
                trade_count: 0,
            }),
        ))
    })
}

/// `funding-rate`: the current rate and the next settlement time.
///
/// # Errors
/// Any unparseable field.
pub fn parse_funding(
    msgs: &[FundingMsg<'_>],
    inst: u32,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    each(msgs, |f| {
        Ok(event(
            inst,
            f.ts.map(ms_str_to_ns).transpose()?.unwrap_or(ts_recv),
            ts_recv,
            EventBody::Funding(Funding {
                rate: dec(f.funding_rate, "fundingRate")?,
                next_funding_ns: ms_str_to_ns(f.funding_time)?,
            }),
        ))
    })
}

/// `open-interest`: in base units (`oiCcy`, or contracts × `ct`).
///
/// # Errors
/// Any unparseable field.
pub fn parse_open_interest(
    msgs: &[OpenInterestMsg<'_>],
    inst: u32,
    ct: FixedDecimal,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    each(msgs, |o| {
        let base = match o.oi_ccy {
            Some(c) => dec(c, "oiCcy")?,
            None => mul(dec(o.oi, "oi")?, ct)?,
        };
        Ok(event(
            inst,
            ms_str_to_ns(o.ts)?,
            ts_recv,
            EventBody::OpenInterest(OpenInterest {
                open_interest: base,
            }),
        ))
    })
}

/// `mark-price`, paired with the last `index-tickers` price of the instrument's index.
///
/// # Errors
/// Any unparseable field.
pub fn parse_mark(
    msgs: &[MarkMsg<'_>],
    inst: u32,
    index: FixedDecimal,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    each(msgs, |m| {
        Ok(event(
            inst,
            ms_str_to_ns(m.ts)?,
            ts_recv,
            EventBody::MarkPrice(MarkPrice {
                mark: dec(m.mark_px, "markPx")?,
                index,
            }),
        ))
    })
}

/// `index-tickers`: the last index price in the message (no event of its own: it completes the
/// next mark-price event).
///
/// # Errors
/// Any unparseable field.
pub fn parse_index(msgs: &[IndexMsg<'_>]) -> Result<Option<FixedDecimal>, SdkError> {
    let mut px = None;
    for m in msgs {
        ms_str_to_ns(m.ts)?;
        px = Some(dec(m.idx_px, "idxPx")?);
    }
    Ok(px)
}

/// `liquidation-orders` (every swap is pushed): events for the configured instruments, found by
/// `lookup` (instrument index and contract value); the others are skipped.
///
/// # Errors
/// Any unparseable field of a configured instrument.
pub fn parse_liquidations(
    msgs: &[LiquidationMsg<'_>],
    lookup: impl Fn(&str) -> Option<(u32, FixedDecimal)>,
    ts_recv: u64,
) -> Result<Vec<MarketEvent>, SdkError> {
    let mut out = Vec::new();
    for m in msgs {
        let Some((inst, ct)) = lookup(m.inst_id) else {
            continue;
        };
        for d in &m.details {
            out.push(event(
                inst,
                ms_str_to_ns(d.ts)?,
                ts_recv,
                EventBody::Liquidation(Liquidation {
                    side: side_of(d.side)?,
                    price: dec(d.bk_px, "bkPx")?,
                    size: mul(dec(d.sz, "sz")?, ct)?,
                }),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use crate::messages::Envelope;

    /// The `data` array of a real payload, decoded as `T`.
    fn data<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Vec<T> {
        let env: Envelope<'a> = serde_json::from_str(text).unwrap();
        serde_json::from_str(env.data.unwrap().get()).unwrap()
    }

    fn fx(s: &str) -> FixedDecimal {
        FixedDecimal::parse(s).unwrap()
    }

    #[test]
    fn real_payloads_one_function_per_channel() {
        // 1. trades: contracts × ct, exact.
        let text = load_fixture("ws_trades.json");
        let ev = parse_trades(&data(&text), 0, fx("0.01"), 7).unwrap();
        let EventBody::Trade(t) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (t.price, t.size, t.aggressor, t.trade_id),
            (fx("42219.9"), fx("0.0012060306"), Side::Buy, 130_639_474)
        );
        assert_eq!(
            (ev[0].ts_event, ev[0].ts_recv),
            (1_630_048_897_897_000_000, 7)
        );
        // 2. funding-rate.
        let text = load_fixture("ws_funding_rate.json");
        let ev = parse_funding(&data(&text), 1, 7).unwrap();
        let EventBody::Funding(f) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (f.rate, f.next_funding_ns),
            (fx("0.0001"), 1_744_590_349_506_000_000)
        );
        // 3. tickers: quote volume estimated as base volume × last.
        let text = load_fixture("ws_tickers.json");
        let ev = parse_tickers(&data(&text), 2, 7).unwrap();
        let EventBody::Ticker(k) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (k.last, k.open, k.volume),
            (fx("9999.99"), fx("9000"), fx("2222"))
        );
        assert_eq!(k.quote_volume, fx("22219977.78"));
    }

    #[test]
    fn a_bad_field_refuses_the_whole_message() {
        let text = load_fixture("ws_trades.json").replace("\"buy\"", "\"up\"");
        assert!(parse_trades(&data(&text), 0, fx("1"), 0).is_err());
        let text = load_fixture("ws_funding_rate.json").replace("0.0001\"", "x\"");
        assert!(parse_funding(&data(&text), 0, 0).is_err());
    }
}
