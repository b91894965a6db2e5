//! Plain functions from raw messages to normalized events.

use super::messages::{
    AggTrade, DepthUpdate, Envelope, EventType, ForceOrder, MarkPriceUpdate, RawTrade,
    RequestAnswer, Ticker24h,
};
use crate::common::{SymbolMap, dec, ms_to_ns, side};
use orderflow_tool_sdk::std_types::RVec;
use orderflow_tool_sdk::{
    BookLevel, EventBody, Funding, Liquidation, MarkPrice, MarketEvent, SdkError, Side,
    Ticker24h as SdkTicker, Trade,
};

/// A depth diff, before the book sequencer has checked its continuity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthDiff {
    /// Instrument index.
    pub instrument: u32,
    /// `U`.
    pub first_update_id: u64,
    /// `u`.
    pub final_update_id: u64,
    /// `pu` (futures).
    pub prev_final_update_id: Option<u64>,
    /// Exchange time, ns.
    pub ts_event: u64,
    /// Levels.
    pub levels: RVec<BookLevel>,
}

impl orderflow_plugin_common::snapshot_sync::UpdateRange for DepthDiff {
    fn first_id(&self) -> u64 {
        self.first_update_id
    }
    fn final_id(&self) -> u64 {
        self.final_update_id
    }
    fn prev_final_id(&self) -> Option<u64> {
        self.prev_final_update_id
    }
}

/// What one frame decoded into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Ready events.
    Events(Vec<MarketEvent>),
    /// A depth diff for the sequencer.
    Depth(DepthDiff),
    /// A request was acknowledged.
    Ack {
        /// Request id.
        id: u64,
    },
    /// A request was refused.
    Rejected {
        /// Request id (0 if absent).
        id: u64,
        /// Venue message.
        message: String,
    },
    /// A valid message for a symbol that is not configured.
    UnknownSymbol(String),
    /// A valid message of a kind this codec does not normalize (e.g. `bookTicker`).
    Ignored(String),
}

fn json_err(what: &str, e: &serde_json::Error) -> SdkError {
    SdkError::decode(format!("{what}: {e}"))
}

/// Converts `[price, qty]` pairs of both sides into levels.
///
/// # Errors
/// A decode error naming the bad field.
pub fn depth_levels(bids: &[[&str; 2]], asks: &[[&str; 2]]) -> Result<RVec<BookLevel>, SdkError> {
    let mut out = RVec::with_capacity(bids.len() + asks.len());
    for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
        for [p, q] in levels {
            out.push(BookLevel {
                side,
                price: dec("price", p)?,
                size: dec("qty", q)?,
            });
        }
    }
    Ok(out)
}

fn event(instrument: u32, ts_event_ms: u64, ts_recv: u64, body: EventBody) -> MarketEvent {
    MarketEvent {
        instrument,
        ts_event: ms_to_ns(ts_event_ms),
        ts_recv,
        body,
    }
}

/// Decodes one WebSocket frame: a combined-stream envelope, a raw event, or a request answer.
///
/// # Errors
/// A decode error for malformed JSON, missing fields or bad numbers; nothing is half-applied.
pub fn decode_frame(frame: &str, ts_recv: u64, symbols: &SymbolMap) -> Result<Decoded, SdkError> {
    let trimmed = frame.trim_start();
    if trimmed.starts_with("{\"stream\"") {
        let env: Envelope<'_> =
            serde_json::from_str(frame).map_err(|e| json_err("envelope", &e))?;
        let kind = env.stream.split_once('@').map_or("", |(_, k)| k);
        let data = env.data.get();
        let kind = if kind.starts_with("depth") {
            "depthUpdate"
        } else if kind.starts_with("markPrice") {
            "markPriceUpdate"
        } else if kind == "ticker" {
            "24hrTicker"
        } else {
            kind
        };
        return decode_event(kind, data, ts_recv, symbols);
    }
    // Raw events lead with their type (`{"e":"depthUpdate",…}`): read it from the first bytes
    // instead of parsing the whole frame twice.
    if let Some(kind) = leading_event_type(trimmed) {
        return decode_event(kind, frame, ts_recv, symbols);
    }
    let head: EventType<'_> = serde_json::from_str(frame).map_err(|e| json_err("message", &e))?;
    match (head.event_type, head.id) {
        (Some(kind), _) => decode_event(kind, frame, ts_recv, symbols),
        (None, Some(_)) => {
            let ans: RequestAnswer<'_> =
                serde_json::from_str(frame).map_err(|e| json_err("answer", &e))?;
            let id = ans.id.unwrap_or(0);
            Ok(match (ans.error, ans.code) {
                (Some(err), _) => Decoded::Rejected {
                    id,
                    message: format!("{} {}", err.code, err.msg),
                },
                (None, Some(code)) => Decoded::Rejected {
                    id,
                    message: format!("{code} {}", ans.msg.unwrap_or_default()),
                },
                (None, None) => Decoded::Ack { id },
            })
        }
        (None, None) => Err(SdkError::decode(
            "message has neither an event type nor a request id",
        )),
    }
}

/// The value of a leading `"e"` field (`{"e":"aggTrade",…}`), if the frame starts with one.
fn leading_event_type(frame: &str) -> Option<&str> {
    let rest = frame.strip_prefix("{\"e\":\"")?;
    let end = rest.find('"')?;
    let kind = rest.get(..end)?;
    kind.bytes()
        .all(|b| b.is_ascii_alphanumeric())
        .then_some(kind)
}

fn lookup(symbols: &SymbolMap, symbol: &str) -> Option<u32> {
    symbols.index(symbol)
}

fn decode_event(
    kind: &str,
    data: &str,
    ts_recv: u64,
    symbols: &SymbolMap,
) -> Result<Decoded, SdkError> {
    match kind {
        "aggTrade" => {
            let m: AggTrade<'_> =
                serde_json::from_str(data).map_err(|e| json_err("aggTrade", &e))?;
            let Some(inst) = lookup(symbols, m.symbol) else {
                return Ok(Decoded::UnknownSymbol(m.symbol.into()));
            };
            let body = EventBody::Trade(Trade {
                price: dec("p", m.price)?,
                size: dec("q", m.qty)?,
                aggressor: if m.buyer_is_maker {
                    Side::Sell
                } else {
                    Side::Buy
                },
                trade_id: m.agg_id,
            });
            let _ = m.event_time;
            Ok(Decoded::Events(vec![event(
                inst,
                m.trade_time,
                ts_recv,
                body,
            )]))
        }
        "trade" => {
            let m: RawTrade<'_> = serde_json::from_str(data).map_err(|e| json_err("trade", &e))?;
            let Some(inst) = lookup(symbols, m.symbol) else {
                return Ok(Decoded::UnknownSymbol(m.symbol.into()));
            };
            if matches!(m.exec_type, Some(x) if x != "MARKET") {
                return Ok(Decoded::Ignored(format!("trade with X={:?}", m.exec_type)));
            }
            let body = EventBody::Trade(Trade {
                price: dec("p", m.price)?,
                size: dec("q", m.qty)?,
                aggressor: if m.buyer_is_maker {
                    Side::Sell
                } else {
                    Side::Buy
                },
                trade_id: m.trade_id,
            });
            let _ = m.event_time;
            Ok(Decoded::Events(vec![event(
                inst,
                m.trade_time,
                ts_recv,
                body,
            )]))
        }
        "depthUpdate" => {
            let m: DepthUpdate<'_> =
                serde_json::from_str(data).map_err(|e| json_err("depthUpdate", &e))?;
            let Some(inst) = lookup(symbols, m.symbol) else {
                return Ok(Decoded::UnknownSymbol(m.symbol.into()));
            };
            if m.final_update_id < m.first_update_id {
                return Err(SdkError::decode(format!(
                    "depthUpdate with u {} < U {}",
                    m.final_update_id, m.first_update_id
                )));
            }
            let t = if m.transaction_time > 0 {
                m.transaction_time
            } else {
                m.event_time
            };
            Ok(Decoded::Depth(DepthDiff {
                instrument: inst,
                first_update_id: m.first_update_id,
                final_update_id: m.final_update_id,
                prev_final_update_id: m.prev_final_update_id,
                ts_event: ms_to_ns(t),
                levels: depth_levels(&m.bids, &m.asks)?,
            }))
        }
        "markPriceUpdate" => {
            let m: MarkPriceUpdate<'_> =
                serde_json::from_str(data).map_err(|e| json_err("markPriceUpdate", &e))?;
            let Some(inst) = lookup(symbols, m.symbol) else {
                return Ok(Decoded::UnknownSymbol(m.symbol.into()));
            };
            let mark = EventBody::MarkPrice(MarkPrice {
                mark: dec("p", m.mark)?,
                index: dec("i", m.index)?,
            });
            let funding = EventBody::Funding(Funding {
                rate: dec("r", m.funding_rate)?,
                next_funding_ns: ms_to_ns(m.next_funding_time),
            });
            Ok(Decoded::Events(vec![
                event(inst, m.event_time, ts_recv, mark),
                event(inst, m.event_time, ts_recv, funding),
            ]))
        }
        "forceOrder" => {
            let m: ForceOrder<'_> =
                serde_json::from_str(data).map_err(|e| json_err("forceOrder", &e))?;
            let o = &m.order;
            let Some(inst) = lookup(symbols, o.symbol) else {
                return Ok(Decoded::UnknownSymbol(o.symbol.into()));
            };
            let avg = dec("ap", o.avg_price)?;
            let filled = dec("z", o.filled_qty)?;
            let body = EventBody::Liquidation(Liquidation {
                side: side(o.side)?,
                price: if avg.mantissa != 0 {
                    avg
                } else {
                    dec("p", o.price)?
                },
                size: if filled.mantissa != 0 {
                    filled
                } else {
                    dec("q", o.orig_qty)?
                },
            });
            let _ = m.event_time;
            Ok(Decoded::Events(vec![event(
                inst,
                o.trade_time,
                ts_recv,
                body,
            )]))
        }
        "24hrTicker" => {
            let m: Ticker24h<'_> =
                serde_json::from_str(data).map_err(|e| json_err("24hrTicker", &e))?;
            let Some(inst) = lookup(symbols, m.symbol) else {
                return Ok(Decoded::UnknownSymbol(m.symbol.into()));
            };
            let body = EventBody::Ticker(SdkTicker {
                last: dec("c", m.last)?,
                open: dec("o", m.open)?,
                high: dec("h", m.high)?,
                low: dec("l", m.low)?,
                volume: dec("v", m.volume)?,
                quote_volume: dec("q", m.quote_volume)?,
                trade_count: m.trade_count,
            });
            Ok(Decoded::Events(vec![event(
                inst,
                m.event_time,
                ts_recv,
                body,
            )]))
        }
        "bookTicker" | "kline" | "continuous_kline" | "compositeIndex" => {
            Ok(Decoded::Ignored(kind.to_owned()))
        }
        other => Err(SdkError::decode(format!("unknown event type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::load_fixture;
    use orderflow_tool_sdk::{FixedDecimal, InstrumentMapping};

    fn symbols() -> SymbolMap {
        SymbolMap::new(&[InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
        }])
    }

    fn events(frame: &str) -> Vec<MarketEvent> {
        match decode_frame(frame, 7, &symbols()).unwrap() {
            Decoded::Events(e) => e,
            other => panic!("expected events, got {other:?}"),
        }
    }

    #[test]
    fn agg_trade_fixture() {
        let ev = events(&load_fixture("ws_agg_trade.json"));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].ts_event, 123_456_785_000_000);
        assert_eq!(ev[0].ts_recv, 7);
        let EventBody::Trade(t) = &ev[0].body else {
            panic!()
        };
        assert_eq!(t.price, FixedDecimal::new(1, 3));
        assert_eq!(t.size, FixedDecimal::new(100, 0));
        assert_eq!(
            t.aggressor,
            Side::Sell,
            "m=true: buyer is maker, seller aggressed"
        );
        assert_eq!(t.trade_id, 5_933_014);
    }

    #[test]
    fn depth_update_fixture() {
        let Decoded::Depth(d) =
            decode_frame(&load_fixture("ws_depth_update.json"), 1, &symbols()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (d.first_update_id, d.final_update_id, d.prev_final_update_id),
            (157, 160, Some(149))
        );
        assert_eq!(
            d.ts_event, 123_456_788_000_000,
            "transaction time T preferred"
        );
        assert_eq!(d.levels.len(), 2);
        assert_eq!(
            d.levels[0],
            BookLevel {
                side: Side::Buy,
                price: FixedDecimal::new(24, 4),
                size: FixedDecimal::new(10, 0)
            }
        );
        assert_eq!(d.levels[1].side, Side::Sell);
    }

    #[test]
    fn mark_price_fixture_gives_mark_and_funding() {
        let ev = events(&load_fixture("ws_mark_price.json"));
        let EventBody::MarkPrice(m) = &ev[0].body else {
            panic!()
        };
        assert_eq!(m.mark.to_string(), "11794.15");
        assert_eq!(m.index.to_string(), "11784.62659091");
        let EventBody::Funding(f) = &ev[1].body else {
            panic!()
        };
        assert_eq!(f.rate.to_string(), "0.00038167");
        assert_eq!(f.next_funding_ns, 1_562_306_400_000_000_000);
    }

    #[test]
    fn ticker_fixture() {
        let ev = events(&load_fixture("ws_ticker_24h.json"));
        let EventBody::Ticker(t) = &ev[0].body else {
            panic!()
        };
        assert_eq!(t.last.to_string(), "16584.6");
        assert_eq!(t.quote_volume.to_string(), "2036102085.697464");
        assert_eq!(t.trade_count, 142_853);
    }

    #[test]
    fn book_ticker_and_kline_are_ignored_not_errors() {
        let s = SymbolMap::new(&[InstrumentMapping {
            symbol: "BNBUSDT".into(),
            venue_symbol: "BNBUSDT".into(),
        }]);
        assert!(matches!(
            decode_frame(&load_fixture("ws_book_ticker.json"), 0, &s).unwrap(),
            Decoded::Ignored(_)
        ));
        assert!(matches!(
            decode_frame(&load_fixture("ws_kline_closed.json"), 0, &symbols()).unwrap(),
            Decoded::Ignored(_)
        ));
    }

    #[test]
    fn combined_envelope_and_force_order() {
        let frame = r#"{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}}"#;
        let ev = events(frame);
        let EventBody::Liquidation(l) = &ev[0].body else {
            panic!()
        };
        assert_eq!(
            (l.side, l.price.to_string(), l.size.to_string()),
            (Side::Sell, "9910".into(), "0.014".into())
        );
    }

    #[test]
    fn answers_unknown_symbols_and_errors() {
        assert_eq!(
            decode_frame(r#"{"result":null,"id":3}"#, 0, &symbols()).unwrap(),
            Decoded::Ack { id: 3 }
        );
        assert!(matches!(
            decode_frame(
                r#"{"error":{"code":2,"msg":"Invalid request"},"id":4}"#,
                0,
                &symbols()
            )
            .unwrap(),
            Decoded::Rejected { id: 4, .. }
        ));
        assert!(matches!(
            decode_frame(
                r#"{"code":0,"msg":"Unknown property","id":5}"#,
                0,
                &symbols()
            )
            .unwrap(),
            Decoded::Rejected { id: 5, .. }
        ));
        let eth = load_fixture("ws_agg_trade.json").replace("BTCUSDT", "ETHUSDT");
        assert_eq!(
            decode_frame(&eth, 0, &symbols()).unwrap(),
            Decoded::UnknownSymbol("ETHUSDT".into())
        );
        for bad in [
            "",
            "{",
            "[]",
            r#"{"e":"aggTrade"}"#,
            r#"{"e":"aggTrade","E":1,"a":1,"s":"BTCUSDT","p":"x","q":"1","T":1,"m":true}"#,
            r#"{"e":"nope","E":1}"#,
            r#"{"x":1}"#,
        ] {
            assert!(
                decode_frame(bad, 0, &symbols()).is_err(),
                "{bad:?} must be an error"
            );
        }
    }
}
