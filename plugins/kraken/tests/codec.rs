//! The Kraken Futures codec: real payloads through the codec, the codec against its emulator
//! (book equal to the venue's before and after a sequence gap), REST answers through the tools,
//! and arbitrary bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_kraken::codec::KrakenCodec;
use orderflow_plugin_kraken::common::load_fixture;
use orderflow_plugin_kraken::emulator::KrakenEmulator;
use orderflow_tool_sdk::prelude::*;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn cfg(products: &[&str]) -> CodecConfig {
    CodecConfig::new(
        "kraken",
        products
            .iter()
            .map(|p| InstrumentMapping {
                symbol: format!(
                    "{}USDT",
                    p.trim_start_matches("PF_")
                        .trim_start_matches("PI_")
                        .trim_end_matches("USD")
                        .replace("XBT", "BTC")
                ),
                venue_symbol: (*p).into(),
            })
            .collect(),
    )
}

fn notices(out: &CodecOutput, kind: NoticeKind) -> usize {
    out.notices.iter().filter(|n| n.kind == kind).count()
}

#[test]
fn real_payloads_through_the_codec() {
    let mut c = KrakenCodec::new(cfg(&["PI_XBTUSD"])).unwrap();
    let out = c
        .on_frame(0, &load_fixture("ws_book_snapshot.json"), 5)
        .unwrap();
    assert!(matches!(out.events[0].body, EventBody::BookSnapshot(_)));
    assert_eq!(c.book_seq(0), Some(326_072_249));
    // The next delta continues the sequence; one that skips is a gap with a resubscribe.
    let delta = |seq: u64| {
        format!(
            r#"{{"feed":"book","product_id":"PI_XBTUSD","side":"sell","seq":{seq},"price":34911.5,"qty":0.0,"timestamp":1612269825818}}"#
        )
    };
    let out = c.on_frame(0, &delta(326_072_250), 6).unwrap();
    assert!(matches!(out.events[0].body, EventBody::BookDelta(_)));
    let out = c.on_frame(0, &delta(326_072_250), 6).unwrap();
    assert!(
        out.events.is_empty() && notices(&out, NoticeKind::Stale) == 1,
        "a repeat is stale"
    );
    let out = c.on_frame(0, &delta(326_072_252), 6).unwrap();
    assert_eq!(
        (
            notices(&out, NoticeKind::Gap),
            notices(&out, NoticeKind::Resync)
        ),
        (1, 1)
    );
    assert_eq!(out.actions.len(), 2, "unsubscribe + subscribe");
    // Trades and ticker.
    let out = c.on_frame(0, &load_fixture("ws_trade.json"), 7).unwrap();
    assert_eq!(out.events.len(), 1);
    let again = c.on_frame(0, &load_fixture("ws_trade.json"), 7).unwrap();
    assert!(again.events.is_empty(), "repeated trade seq dropped");
    let out = c.on_frame(0, &load_fixture("ws_ticker.json"), 8).unwrap();
    assert_eq!(out.events.len(), 4);
    // Control messages.
    let out = c
        .on_frame(
            0,
            r#"{"event":"subscribed","feed":"book","product_ids":["PI_XBTUSD"]}"#,
            9,
        )
        .unwrap();
    assert_eq!(notices(&out, NoticeKind::Subscribed), 1);
    let out = c
        .on_frame(0, r#"{"event":"error","message":"Invalid product id"}"#, 9)
        .unwrap();
    assert_eq!(notices(&out, NoticeKind::Rejected), 1);
    assert!(
        c.on_frame(0, r#"{"feed":"heartbeat","time":1}"#, 9)
            .unwrap()
            .events
            .is_empty()
    );
    let out = c.on_frame(0, r#"{"feed":"trade","product_id":"PF_NOPE","side":"buy","seq":1,"time":1,"price":1,"qty":1}"#, 9).unwrap();
    assert_eq!(notices(&out, NoticeKind::UnknownSymbol), 1);
}

#[test]
fn malformed_frames_are_errors_and_change_nothing() {
    let mut c = KrakenCodec::new(cfg(&["PI_XBTUSD"])).unwrap();
    c.on_frame(0, &load_fixture("ws_book_snapshot.json"), 5)
        .unwrap();
    for bad in [
        "",
        "{",
        "[]",
        r#"{"feed":"book","product_id":"PI_XBTUSD","side":"sell","seq":326072250,"price":"x","qty":1}"#,
        r#"{"feed":"book","product_id":"PI_XBTUSD","side":"sell","price":1,"qty":1}"#,
        r#"{"feed":"trade","product_id":"PI_XBTUSD","side":"buy","time":1,"price":1,"qty":1}"#,
    ] {
        assert!(c.on_frame(0, bad, 6).is_err(), "{bad:?}");
    }
    assert_eq!(c.book_seq(0), Some(326_072_249), "state untouched");
}

/// A codec and emulator pair wired in-process.
struct Link {
    codec: KrakenCodec,
    emu: KrakenEmulator,
    book: [BTreeMap<i64, String>; 2],
    notices: Vec<NoticeKind>,
}

impl Link {
    fn new() -> Self {
        let emu = KrakenEmulator::new(&EmulatorConfig {
            venue: "kraken".into(),
            seed: 3,
            instruments: vec![EmulatedInstrument {
                symbol: "BTCUSDT".into(),
                venue_symbol: "PF_XBTUSD".into(),
                start_price: 97_000.0,
                tick_size: "0.5".into(),
                lot_size: "0.0001".into(),
            }],
            msgs_per_sec: 3_000.0,
            start_ns: T0,
        })
        .unwrap();
        let mut l = Self {
            codec: KrakenCodec::new(cfg(&["PF_XBTUSD"])).unwrap(),
            emu,
            book: [BTreeMap::new(), BTreeMap::new()],
            notices: Vec::new(),
        };
        let hello = l.emu.ws_open(1, "/ws/v1", T0);
        l.deliver(hello, T0);
        let out = l.codec.on_connected(0, T0);
        l.apply(out, T0);
        l
    }

    /// Price in half-ticks as an integer key (exact for tick 0.5).
    fn key(p: FixedDecimal) -> i64 {
        p.to_scale(1).unwrap()
    }

    fn apply(&mut self, out: CodecOutput, t: u64) {
        self.notices.extend(out.notices.iter().map(|n| n.kind));
        for e in out.events.iter() {
            let (levels, reset) = match &e.body {
                EventBody::BookSnapshot(u) => (&u.levels, true),
                EventBody::BookDelta(u) => (&u.levels, false),
                _ => continue,
            };
            if reset {
                self.book.iter_mut().for_each(BTreeMap::clear);
            }
            for l in levels.iter() {
                let side = &mut self.book[usize::from(l.side == Side::Sell)];
                if l.size.mantissa == 0 {
                    side.remove(&Self::key(l.price));
                } else {
                    side.insert(Self::key(l.price), l.size.to_string());
                }
            }
        }
        let mut replies = Vec::new();
        for a in out.actions.iter() {
            if let HostAction::Send { text, .. } = a {
                replies.extend(self.emu.ws_message(1, text.as_str(), t));
            }
        }
        self.deliver(replies, t);
    }

    fn deliver(&mut self, frames: Vec<EmuFrame>, t: u64) {
        for f in frames {
            let out = self.codec.on_frame(0, f.text.as_str(), t).unwrap();
            self.apply(out, t);
        }
    }

    fn run(&mut self, from: u64, ms: u64) {
        for k in 0..ms {
            let t = from + k * MS;
            let frames = self.emu.advance(t);
            self.deliver(frames, t);
        }
    }

    fn assert_book_is_venue_book(&mut self) {
        let truth: Value = serde_json::from_str(
            &self
                .emu
                .control(r#"{"op":"book","symbol":"PF_XBTUSD","depth":25}"#)
                .unwrap(),
        )
        .unwrap();
        for (k, side) in ["bids", "asks"].into_iter().enumerate() {
            let want: Vec<(i64, String)> = truth[side]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        Self::key(FixedDecimal::parse(l[0].as_str().unwrap()).unwrap()),
                        FixedDecimal::parse(l[1].as_str().unwrap())
                            .unwrap()
                            .to_string(),
                    )
                })
                .collect();
            let ours: Vec<(i64, String)> = if k == 0 {
                self.book[0]
                    .iter()
                    .rev()
                    .take(25)
                    .map(|(p, s)| (*p, s.clone()))
                    .collect()
            } else {
                self.book[1]
                    .iter()
                    .take(25)
                    .map(|(p, s)| (*p, s.clone()))
                    .collect()
            };
            assert_eq!(ours, want, "{side}");
        }
    }
}

#[test]
fn book_follows_the_emulator_and_a_gap_is_detected_and_repaired() {
    let mut l = Link::new();
    l.run(T0, 2_000);
    assert!(!l.notices.contains(&NoticeKind::Gap));
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
    l.emu.control(r#"{"op":"resume"}"#).unwrap();
    l.emu
        .control(r#"{"op":"fault","kind":"gap","symbol":"PF_XBTUSD"}"#)
        .unwrap();
    l.run(T0 + 2_000 * MS, 2_000);
    let count = |k| l.notices.iter().filter(|n| **n == k).count();
    assert_eq!(count(NoticeKind::Gap), 1);
    assert!(count(NoticeKind::Resync) >= 1);
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
}

#[test]
fn rest_payloads_decode_through_the_tools() {
    let m = orderflow_plugin_kraken::root_module();
    struct NoHost;
    impl HostView for NoHost {
        fn query(&self, _: RStr<'_>) -> orderflow_tool_sdk::std_types::RResult<RString, SdkError> {
            orderflow_tool_sdk::std_types::RResult::RErr(SdkError::new(
                ErrorKind::Unavailable,
                "no host",
            ))
        }
    }
    let resume = |name: &str, state: &str, fixture: &str| -> Value {
        let step = (m.resume_tool())(
            RStr::from_str(name),
            RStr::from_str(state),
            HttpResponse {
                status: 200,
                body: load_fixture(fixture).into(),
            },
            orderflow_tool_sdk::host_view(&NoHost),
        )
        .into_result()
        .unwrap();
        let ToolStep::Done(json) = step else {
            panic!("not done")
        };
        serde_json::from_str(json.as_str()).unwrap()
    };
    let t = resume(
        "kraken_get_rest_ticker",
        r#"{"symbol":"ETHUSDT","product":"PF_ETHUSD","keep":1}"#,
        "rest_tickers.json",
    );
    assert_eq!(t["rows"][0]["mark_price"], 3205.25);
    assert_eq!(t["rows"][0]["funding_rate"], 1.5e-05);
    let c = resume(
        "kraken_get_candles",
        r#"{"symbol":"BTCUSDT","product":"PI_XBTUSD","keep":2}"#,
        "rest_candles_trade.json",
    );
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the last two of three");
    assert_eq!(
        (rows[1]["close"].as_f64(), rows[1]["open_time"].as_u64()),
        (Some(91_490.5), Some(1_731_722_400_000))
    );
    assert_eq!((m.tools())().len(), 20);
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(s in "\\PC{0,200}") {
        let mut c = KrakenCodec::new(cfg(&["PF_XBTUSD"])).unwrap();
        let _ = c.on_frame(0, &s, 1);
    }

    #[test]
    fn mutated_real_payloads_never_panic(i in 0usize..3, cut in 0usize..900, b in any::<u8>()) {
        let name = ["ws_book_snapshot.json", "ws_trade.json", "ws_ticker.json"][i];
        let mut bytes = load_fixture(name).into_bytes();
        let at = cut % bytes.len();
        bytes[at] = b;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut c = KrakenCodec::new(cfg(&["PI_XBTUSD"])).unwrap();
        let _ = c.on_frame(0, &text, 1);
    }
}
