//! Plugin events → engine events, validated at the boundary.

use orderflow_model::{Event, EventKind, Fixed, FixedError, InstrumentId, Level, Side};
use orderflow_tool_sdk::{EventBody, FixedDecimal, MarketEvent, Side as SdkSide};

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The instrument index is not one the host configured.
    #[error("unknown instrument index {0}")]
    UnknownInstrument(u32),
    /// A number does not fit the engine's fixed point.
    #[error("{field}: {source}")]
    Number {
        /// Field.
        field: &'static str,
        /// Cause.
        #[source]
        source: FixedError,
    },
}

fn fx(field: &'static str, d: FixedDecimal) -> Result<Fixed, ConvertError> {
    Fixed::from_parts(d.mantissa, d.scale).map_err(|source| ConvertError::Number { field, source })
}

fn side(s: SdkSide) -> Side {
    match s {
        SdkSide::Buy => Side::Buy,
        SdkSide::Sell => Side::Sell,
    }
}

/// Converts one plugin event; `instruments[i]` is the engine id of the codec's instrument `i`.
///
/// # Errors
/// [`ConvertError`] for an unknown instrument or a number out of the fixed-point domain.
pub fn convert(ev: &MarketEvent, instruments: &[InstrumentId]) -> Result<Event, ConvertError> {
    let inst = usize::try_from(ev.instrument)
        .ok()
        .and_then(|i| instruments.get(i))
        .copied()
        .ok_or(ConvertError::UnknownInstrument(ev.instrument))?;
    let kind = match &ev.body {
        EventBody::Trade(t) => EventKind::Trade {
            price: fx("price", t.price)?,
            size: fx("size", t.size)?,
            aggressor: side(t.aggressor),
            trade_id: t.trade_id,
        },
        EventBody::BookSnapshot(b) | EventBody::BookDelta(b) => EventKind::Book {
            snapshot: matches!(ev.body, EventBody::BookSnapshot(_)),
            levels: b
                .levels
                .iter()
                .map(|l| {
                    Ok(Level {
                        side: side(l.side),
                        price: fx("level price", l.price)?,
                        size: fx("level size", l.size)?,
                    })
                })
                .collect::<Result<_, ConvertError>>()?,
            sequence: b.sequence,
        },
        EventBody::Funding(f) => EventKind::Funding {
            // Rates may carry more than 8 places (Kraken); rounded, not refused.
            rate: Fixed::from_parts_rounded(f.rate.mantissa, f.rate.scale).map_err(|source| {
                ConvertError::Number {
                    field: "funding rate",
                    source,
                }
            })?,
            next_funding_ns: f.next_funding_ns,
        },
        EventBody::OpenInterest(o) => EventKind::OpenInterest {
            open_interest: fx("open interest", o.open_interest)?,
        },
        EventBody::Liquidation(l) => EventKind::Liquidation {
            side: side(l.side),
            price: fx("price", l.price)?,
            size: fx("size", l.size)?,
        },
        EventBody::MarkPrice(m) => EventKind::MarkPrice {
            mark: fx("mark", m.mark)?,
            index: fx("index", m.index)?,
        },
        EventBody::Ticker(t) => EventKind::Ticker {
            last: fx("last", t.last)?,
            open: fx("open", t.open)?,
            high: fx("high", t.high)?,
            low: fx("low", t.low)?,
            volume: t.volume.to_f64(),
            quote_volume: t.quote_volume.to_f64(),
            trade_count: t.trade_count,
        },
    };
    Ok(Event {
        inst,
        ts_event: ev.ts_event,
        ts_recv: ev.ts_recv,
        kind,
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use orderflow_tool_sdk::Funding;

    fn funding(mantissa: i64, scale: u8) -> MarketEvent {
        MarketEvent {
            instrument: 0,
            ts_event: 1,
            ts_recv: 2,
            body: EventBody::Funding(Funding {
                rate: FixedDecimal { mantissa, scale },
                next_funding_ns: 0,
            }),
        }
    }

    #[test]
    fn a_funding_rate_with_more_than_eight_places_is_rounded_not_refused() {
        // Kraken's emulated relative funding rate 0.00001260291 (11 places).
        let e =
            convert(&funding(1_260_291, 11), &[InstrumentId(3)]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.inst, InstrumentId(3));
        let EventKind::Funding { rate, .. } = e.kind else {
            panic!("not funding")
        };
        assert_eq!(rate.raw(), 1_260);
        // Unknown instruments are still refused.
        assert!(convert(&funding(1, 4), &[]).is_err());
    }
}
