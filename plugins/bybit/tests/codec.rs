//! The Bybit codec against real payloads and against its emulator: subscription, book sync by
//! consecutive update ids (the book rebuilt from the codec's events equals the emulator's),
//! recovery from a gap, ticker delta merging, malformed frames; decoding never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_bybit::codec::BybitCodec;
use orderflow_plugin_bybit::common::load_fixture;
use orderflow_plugin_bybit::emulator::BybitEmulator;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use orderflow_tool_sdk::{
    CodecConfig, CodecOutput, EmulatedInstrument, EmulatorConfig, EventBody, FixedDecimal,
    HostAction, InstrumentMapping, NoticeKind, Side,
};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn cfg() -> CodecConfig {
    CodecConfig {
        venue: "bybit".into(),
        instruments: vec![InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
        }],
        decode_only: false,
        options: Default::default(),
    }
}

fn count(o: &CodecOutput, k: NoticeKind) -> usize {
    o.notices.iter().filter(|n| n.kind == k).count()
}

#[test]
fn real_payloads_decode_to_exact_events() {
    let mut c = BybitCodec::new(cfg()).unwrap();
    let _ = c.on_connected(0, 0);
    let out = c
        .on_frame(0, &load_fixture("ws_orderbook_snapshot.json"), 5)
        .unwrap();
    let EventBody::BookSnapshot(b) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(b.sequence, 123_456_789);
    assert_eq!(b.levels.len(), 4);
    assert_eq!(b.levels[0].price, FixedDecimal::parse("27450.00").unwrap());
    assert_eq!(c.book_u(0), Some(123_456_789));
    let out = c
        .on_frame(0, &load_fixture("ws_public_trade.json"), 5)
        .unwrap();
    let EventBody::Trade(t) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(
        (t.price, t.size, t.aggressor),
        (
            FixedDecimal::parse("27451").unwrap(),
            FixedDecimal::parse("0.01").unwrap(),
            Side::Buy
        )
    );
    assert_eq!(out.events[0].ts_event, 1_709_891_679_000_000_000);
    // The same trade again is a repeat.
    let again = c
        .on_frame(0, &load_fixture("ws_public_trade.json"), 5)
        .unwrap();
    assert!(again.events.is_empty() && count(&again, NoticeKind::Stale) == 1);
    let out = c
        .on_frame(0, &load_fixture("ws_ticker_linear.json"), 5)
        .unwrap();
    let kinds: Vec<&str> = out.events.iter().map(|e| e.body.kind_name()).collect();
    assert_eq!(kinds, ["ticker", "mark_price", "funding", "open_interest"]);
    let EventBody::Funding(f) = &out.events[2].body else {
        panic!()
    };
    assert_eq!(f.rate, FixedDecimal::parse("-0.000212").unwrap());
    // A ticker delta carries only what changed: the merged state fills the rest.
    let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","ts":1,"data":{"symbol":"BTCUSDT","lastPrice":"17300.00"}}"#;
    let out = c.on_frame(0, delta, 6).unwrap();
    let EventBody::Ticker(t) = &out.events[0].body else {
        panic!("{out:?}")
    };
    assert_eq!(t.last, FixedDecimal::parse("17300").unwrap());
    assert_eq!(
        t.open,
        FixedDecimal::parse("16926.5").unwrap(),
        "open kept from the snapshot"
    );
    assert_eq!(
        out.events.len(),
        1,
        "no mark/funding/OI event without those fields"
    );
}

#[test]
fn rest_payloads_decode_through_the_tools() {
    use orderflow_tool_sdk::HttpResponse;
    for (tool, fixture) in [
        ("bybit_get_depth_snapshot", "rest_orderbook.json"),
        ("bybit_get_klines", "rest_klines_linear.json"),
    ] {
        let step = orderflow_plugin_bybit::tools::resume(
            tool,
            r#"{"symbol":"BTCUSDT"}"#,
            &HttpResponse {
                status: 200,
                body: load_fixture(fixture).into(),
            },
        )
        .unwrap();
        let orderflow_tool_sdk::ToolStep::Done(j) = step else {
            panic!()
        };
        let v: Value = serde_json::from_str(j.as_str()).unwrap();
        assert!(!v["rows"].as_array().unwrap().is_empty(), "{tool}: {v}");
    }
}

struct Loop {
    codec: BybitCodec,
    emu: BybitEmulator,
    now: u64,
    notices: Vec<NoticeKind>,
    bids: BTreeMap<i64, f64>,
    asks: BTreeMap<i64, f64>,
    events: usize,
}

impl Loop {
    fn new() -> Self {
        let emu = BybitEmulator::new(&EmulatorConfig {
            venue: "bybit".into(),
            seed: 5,
            instruments: vec![EmulatedInstrument {
                symbol: "BTCUSDT".into(),
                venue_symbol: "BTCUSDT".into(),
                start_price: 97_000.0,
                tick_size: "0.1".into(),
                lot_size: "0.001".into(),
            }],
            msgs_per_sec: 2_000.0,
            start_ns: 1_000_000_000,
        })
        .unwrap();
        let mut l = Self {
            codec: BybitCodec::new(cfg()).unwrap(),
            emu,
            now: 1_000_000_000,
            notices: vec![],
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            events: 0,
        };
        let _ = l.emu.ws_open(1, "/v5/public/linear", 0);
        let out = l.codec.on_connected(0, 0);
        l.absorb(out);
        l
    }

    fn absorb(&mut self, out: CodecOutput) {
        self.notices.extend(out.notices.iter().map(|n| n.kind));
        self.events += out.events.len();
        for e in out.events.iter() {
            let (snapshot, u) = match &e.body {
                EventBody::BookSnapshot(u) => (true, u),
                EventBody::BookDelta(u) => (false, u),
                _ => continue,
            };
            if snapshot {
                self.bids.clear();
                self.asks.clear();
            }
            for l in u.levels.iter() {
                let key = (l.price.to_f64() * 10.0).round() as i64;
                let side = if l.side == Side::Buy {
                    &mut self.bids
                } else {
                    &mut self.asks
                };
                if l.size.mantissa == 0 {
                    side.remove(&key);
                } else {
                    side.insert(key, l.size.to_f64());
                }
            }
        }
        for a in out.actions.into_iter() {
            if let HostAction::Send { text, .. } = a {
                for f in self.emu.ws_message(1, text.as_str(), 0) {
                    let out = self.codec.on_frame(0, f.text.as_str(), self.now).unwrap();
                    self.absorb(out);
                }
            }
        }
    }

    fn run_ms(&mut self, ms: u64) {
        for _ in 0..ms {
            self.now += 1_000_000;
            for f in self.emu.advance(self.now) {
                let out = self.codec.on_frame(0, f.text.as_str(), self.now).unwrap();
                self.absorb(out);
            }
        }
    }

    fn assert_book(&mut self) {
        let truth: Value = serde_json::from_str(
            &self
                .emu
                .control(r#"{"op":"book","symbol":"BTCUSDT","depth":10}"#)
                .unwrap(),
        )
        .unwrap();
        let t = |k: &str| -> Vec<(i64, f64)> {
            truth[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let p: f64 = l[0].as_str().unwrap().parse().unwrap();
                    (
                        (p * 10.0).round() as i64,
                        l[1].as_str().unwrap().parse().unwrap(),
                    )
                })
                .collect()
        };
        let bids: Vec<(i64, f64)> = self
            .bids
            .iter()
            .rev()
            .take(10)
            .map(|(k, v)| (*k, *v))
            .collect();
        let asks: Vec<(i64, f64)> = self.asks.iter().take(10).map(|(k, v)| (*k, *v)).collect();
        assert_eq!(bids, t("bids"));
        assert_eq!(asks, t("asks"));
        assert_eq!(self.codec.book_u(0), truth["u"].as_u64());
    }
}

#[test]
fn sync_gap_recovery_against_the_emulator() {
    let mut l = Loop::new();
    assert!(
        l.notices
            .iter()
            .filter(|k| **k == NoticeKind::Subscribed)
            .count()
            >= 1
    );
    assert!(!l.notices.contains(&NoticeKind::Rejected));
    l.run_ms(2_000);
    assert!(l.events > 500, "{}", l.events);
    assert!(!l.notices.contains(&NoticeKind::Gap));
    l.assert_book();
    l.emu
        .control(r#"{"op":"fault","kind":"gap","symbol":"BTCUSDT"}"#)
        .unwrap();
    l.run_ms(1_000);
    assert_eq!(
        l.notices.iter().filter(|k| **k == NoticeKind::Gap).count(),
        1
    );
    assert_eq!(
        l.notices
            .iter()
            .filter(|k| **k == NoticeKind::Resync)
            .count(),
        1
    );
    l.assert_book();
    // Malformed frames are errors and change nothing.
    let u = l.codec.book_u(0);
    for bad in [
        "{\"topic\":\"publicTrade.BTC",
        "[]",
        r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["x","1"]],"a":[],"u":1}}"#,
    ] {
        assert!(l.codec.on_frame(0, bad, 1).is_err(), "{bad}");
    }
    assert_eq!(l.codec.book_u(0), u);
    let out = l
        .codec
        .on_frame(
            0,
            r#"{"topic":"publicTrade.DOGEUSDT","type":"snapshot","ts":1,"data":[]}"#,
            1,
        )
        .unwrap();
    assert_eq!(count(&out, NoticeKind::UnknownSymbol), 1);
}

proptest! {
    #[test]
    fn decoding_never_panics(cut in 0usize..600, which in 0usize..3) {
        let f = ["ws_orderbook_snapshot.json", "ws_public_trade.json", "ws_ticker_linear.json"];
        let text = load_fixture(f[which]);
        let mut c = BybitCodec::new(cfg()).unwrap();
        let _ = c.on_frame(0, text.get(..cut.min(text.len())).unwrap_or(""), 1);
    }
}

#[test]
fn spot_subscribes_without_liquidations_and_syncs_against_its_emulator() {
    let mut c = cfg();
    c.venue = "bybit_spot".into();
    let mut codec = BybitCodec::new(c).unwrap();
    assert_eq!(codec.plan().connections[0].path.as_str(), "/v5/public/spot");
    let mut emu = BybitEmulator::new(&EmulatorConfig {
        venue: "bybit_spot".into(),
        seed: 9,
        instruments: vec![EmulatedInstrument {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
            start_price: 97_000.0,
            tick_size: "0.1".into(),
            lot_size: "0.001".into(),
        }],
        msgs_per_sec: 1_000.0,
        start_ns: 1_000_000_000,
    })
    .unwrap();
    assert!(
        emu.ws_open(1, "/v5/public/linear", 0)[0].close_after,
        "spot emulator refuses the linear path"
    );
    assert!(emu.ws_open(2, "/v5/public/spot", 0).is_empty());
    let out = codec.on_connected(0, 0);
    let mut kinds = std::collections::BTreeSet::new();
    let mut rejected = 0;
    for a in out.actions.iter() {
        let HostAction::Send { text, .. } = a else {
            continue;
        };
        assert!(!text.contains("allLiquidation"), "{text}");
        for f in emu.ws_message(2, text.as_str(), 0) {
            let o = codec.on_frame(0, f.text.as_str(), 1).unwrap();
            rejected += count(&o, NoticeKind::Rejected);
            kinds.extend(o.events.iter().map(|e| e.body.kind_name()));
        }
    }
    assert_eq!(rejected, 0);
    assert!(codec.book_u(0).is_some(), "snapshot applied");
    // Spot tickers carry no derivatives fields: only a 24h ticker event.
    assert!(
        kinds.contains("ticker") && !kinds.contains("mark_price") && !kinds.contains("funding"),
        "{kinds:?}"
    );
    let mut now = 1_000_000_000;
    let mut gaps = 0;
    for _ in 0..1_500 {
        now += 1_000_000;
        for f in emu.advance(now) {
            gaps += count(
                &codec.on_frame(0, f.text.as_str(), now).unwrap(),
                NoticeKind::Gap,
            );
        }
    }
    assert_eq!(gaps, 0);
    let truth: Value = serde_json::from_str(
        &emu.control(r#"{"op":"book","symbol":"BTCUSDT","depth":1}"#)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(codec.book_u(0), truth["u"].as_u64());
}
