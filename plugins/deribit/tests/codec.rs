//! The Deribit codec: real payloads through the codec, the codec against its emulator (book
//! equal to the venue's, inverse and linear, before and after a `change_id` gap; heartbeats
//! answered), REST answers through the tools, and arbitrary bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_deribit::codec::DeribitCodec;
use orderflow_plugin_deribit::common::{Margin, load_fixture, usd_to_base};
use orderflow_plugin_deribit::emulator::DeribitEmulator;
use orderflow_tool_sdk::prelude::*;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn cfg(names: &[&str]) -> CodecConfig {
    CodecConfig::new(
        "deribit",
        names
            .iter()
            .map(|p| InstrumentMapping {
                symbol: format!("{}USDT", p.split(['-', '_']).next().unwrap()),
                venue_symbol: (*p).into(),
            })
            .collect(),
    )
}

fn notices(out: &CodecOutput, kind: NoticeKind) -> usize {
    out.notices.iter().filter(|n| n.kind == kind).count()
}

fn change(prev: u64, id: u64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"book.BTC-PERPETUAL.100ms","data":{{"type":"change","timestamp":1699999999100,"prev_change_id":{prev},"instrument_name":"BTC-PERPETUAL","change_id":{id},"bids":[["delete",42500.0,0.0]],"asks":[["change",42501.0,1200.0]]}}}}}}"#
    )
}

#[test]
fn real_payloads_through_the_codec() {
    let mut c = DeribitCodec::new(cfg(&["BTC-PERPETUAL"])).unwrap();
    let out = c
        .on_frame(0, &load_fixture("ws_book_snapshot.json"), 5)
        .unwrap();
    assert!(matches!(out.events[0].body, EventBody::BookSnapshot(_)));
    assert_eq!(c.change_id(0), Some(123_456_789));
    let out = c.on_frame(0, &change(123_456_789, 123_456_795), 6).unwrap();
    let EventBody::BookDelta(u) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(u.levels.len(), 2);
    assert_eq!(u.levels[0].size, FixedDecimal::ZERO, "delete");
    assert_eq!(
        u.levels[1].size,
        FixedDecimal::parse("0.02823463").unwrap(),
        "1200 USD / 42501"
    );
    let out = c.on_frame(0, &change(123_456_789, 123_456_795), 6).unwrap();
    assert!(
        out.events.is_empty() && notices(&out, NoticeKind::Stale) == 1,
        "a repeat is stale"
    );
    let out = c.on_frame(0, &change(123_456_800, 123_456_801), 6).unwrap();
    assert_eq!(
        (
            notices(&out, NoticeKind::Gap),
            notices(&out, NoticeKind::Resync)
        ),
        (1, 1)
    );
    assert_eq!(out.actions.len(), 2, "unsubscribe + subscribe");
    let out = c.on_frame(0, &change(123_456_801, 123_456_802), 6).unwrap();
    assert!(out.events.is_empty(), "refused until a snapshot");
    // Trades (two, de-duplicated by trade_seq) and the ticker (four events).
    let out = c.on_frame(0, &load_fixture("ws_trades.json"), 7).unwrap();
    assert_eq!(out.events.len(), 2);
    assert!(
        c.on_frame(0, &load_fixture("ws_trades.json"), 7)
            .unwrap()
            .events
            .is_empty()
    );
    assert_eq!(
        c.on_frame(0, &load_fixture("ws_ticker.json"), 8)
            .unwrap()
            .events
            .len(),
        4
    );
    // Heartbeat test_request → public/test; answers and errors.
    let out = c
        .on_frame(
            0,
            r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#,
            9,
        )
        .unwrap();
    let [HostAction::Send { text, .. }] = out.actions.as_slice() else {
        panic!()
    };
    assert!(text.contains("public/test"));
    let out = c
        .on_frame(
            0,
            r#"{"jsonrpc":"2.0","id":2,"result":["book.BTC-PERPETUAL.100ms"]}"#,
            9,
        )
        .unwrap();
    assert_eq!(notices(&out, NoticeKind::Subscribed), 1);
    let out = c
        .on_frame(
            0,
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":11050,"message":"bad_request"}}"#,
            9,
        )
        .unwrap();
    assert_eq!(notices(&out, NoticeKind::Rejected), 1);
    let unknown = load_fixture("ws_ticker.json").replace("BTC-PERPETUAL", "ADA-PERPETUAL");
    assert_eq!(
        notices(
            &c.on_frame(0, &unknown, 9).unwrap(),
            NoticeKind::UnknownSymbol
        ),
        1
    );
}

#[test]
fn malformed_frames_are_errors_and_change_nothing() {
    let mut c = DeribitCodec::new(cfg(&["BTC-PERPETUAL"])).unwrap();
    c.on_frame(0, &load_fixture("ws_book_snapshot.json"), 5)
        .unwrap();
    for bad in [
        "".to_owned(),
        "{".to_owned(),
        "[]".to_owned(),
        r#"{"jsonrpc":"2.0"}"#.to_owned(),
        change(123_456_789, 123_456_790).replace("42501.0", "\"x\""),
        change(123_456_789, 123_456_790).replace(r#""prev_change_id":123456789,"#, ""),
        load_fixture("ws_trades.json").replace("\"sell\"", "\"up\""),
    ] {
        assert!(c.on_frame(0, &bad, 6).is_err(), "{bad:?}");
    }
    assert_eq!(c.change_id(0), Some(123_456_789), "state untouched");
}

/// A codec and emulator pair wired in-process, one inverse and one linear instrument.
struct Link {
    codec: DeribitCodec,
    emu: DeribitEmulator,
    books: Vec<[BTreeMap<i64, FixedDecimal>; 2]>,
    notices: Vec<NoticeKind>,
    closed: bool,
}

const NAMES: [&str; 2] = ["BTC-PERPETUAL", "SOL_USDC-PERPETUAL"];

impl Link {
    fn new(answer_heartbeats: bool) -> Self {
        let inst = |symbol: &str, venue_symbol: &str, start_price, tick: &str, lot: &str| {
            EmulatedInstrument {
                symbol: symbol.into(),
                venue_symbol: venue_symbol.into(),
                start_price,
                tick_size: tick.into(),
                lot_size: lot.into(),
            }
        };
        let emu = DeribitEmulator::new(&EmulatorConfig {
            venue: "deribit".into(),
            seed: 5,
            instruments: vec![
                inst("BTCUSDT", NAMES[0], 97_000.0, "0.5", "0.001"),
                inst("SOLUSDT", NAMES[1], 190.0, "0.01", "0.1"),
            ],
            msgs_per_sec: 3_000.0,
            start_ns: T0,
        })
        .unwrap();
        let mut l = Self {
            codec: DeribitCodec::new(cfg(&NAMES)).unwrap(),
            emu,
            books: vec![Default::default(); 2],
            notices: Vec::new(),
            closed: false,
        };
        assert!(l.emu.ws_open(1, "/ws/api/v2", T0).is_empty());
        let out = l.codec.on_connected(0, T0);
        l.apply(out, T0, answer_heartbeats);
        l
    }

    fn key(p: FixedDecimal) -> i64 {
        p.to_scale(2).unwrap()
    }

    fn apply(&mut self, out: CodecOutput, t: u64, answer: bool) {
        self.notices.extend(out.notices.iter().map(|n| n.kind));
        for e in out.events.iter() {
            let (levels, reset) = match &e.body {
                EventBody::BookSnapshot(u) => (&u.levels, true),
                EventBody::BookDelta(u) => (&u.levels, false),
                _ => continue,
            };
            let book = &mut self.books[e.instrument as usize];
            if reset {
                book.iter_mut().for_each(BTreeMap::clear);
            }
            for l in levels.iter() {
                let side = &mut book[usize::from(l.side == Side::Sell)];
                if l.size.mantissa == 0 {
                    side.remove(&Self::key(l.price));
                } else {
                    side.insert(Self::key(l.price), l.size);
                }
            }
        }
        let mut replies = Vec::new();
        for a in out.actions.iter() {
            if let HostAction::Send { text, .. } = a {
                if !answer && text.contains("public/test") {
                    continue;
                }
                replies.extend(self.emu.ws_message(1, text.as_str(), t));
            }
        }
        self.deliver(replies, t, answer);
    }

    fn deliver(&mut self, frames: Vec<EmuFrame>, t: u64, answer: bool) {
        for f in frames {
            if f.close_after {
                self.closed = true;
                continue;
            }
            let out = self.codec.on_frame(0, f.text.as_str(), t).unwrap();
            self.apply(out, t, answer);
        }
    }

    fn run(&mut self, from: u64, ms: u64, answer: bool) {
        for k in 0..ms {
            let t = from + k * MS;
            let frames = self.emu.advance(t);
            self.deliver(frames, t, answer);
        }
    }

    fn assert_book_is_venue_book(&mut self) {
        for (i, name) in NAMES.iter().enumerate() {
            let truth: Value = serde_json::from_str(
                &self
                    .emu
                    .control(&format!(r#"{{"op":"book","symbol":"{name}","depth":25}}"#))
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                truth["size_unit"],
                if Margin::of(name) == Margin::Inverse {
                    "usd"
                } else {
                    "base"
                }
            );
            for (k, side) in ["bids", "asks"].into_iter().enumerate() {
                let want: Vec<(i64, FixedDecimal)> = truth[side]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        let p = FixedDecimal::parse(l[0].as_str().unwrap()).unwrap();
                        let a = FixedDecimal::parse(l[1].as_str().unwrap()).unwrap();
                        let size = if Margin::of(name) == Margin::Inverse {
                            usd_to_base(a, p).unwrap()
                        } else {
                            a
                        };
                        (Self::key(p), size)
                    })
                    .collect();
                let book = &self.books[i][k];
                let ours: Vec<(i64, FixedDecimal)> = if k == 0 {
                    book.iter().rev().take(25).map(|(p, s)| (*p, *s)).collect()
                } else {
                    book.iter().take(25).map(|(p, s)| (*p, *s)).collect()
                };
                assert_eq!(ours, want, "{name} {side}");
            }
        }
    }
}

#[test]
fn book_follows_the_emulator_and_a_gap_is_detected_and_repaired() {
    let mut l = Link::new(true);
    l.run(T0, 2_000, true);
    assert!(!l.notices.contains(&NoticeKind::Gap));
    assert!(l.notices.contains(&NoticeKind::Subscribed));
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
    l.emu.control(r#"{"op":"resume"}"#).unwrap();
    l.emu
        .control(r#"{"op":"fault","kind":"gap","symbol":"BTC-PERPETUAL"}"#)
        .unwrap();
    l.run(T0 + 2_000 * MS, 2_000, true);
    let count = |k| l.notices.iter().filter(|n| **n == k).count();
    assert_eq!(count(NoticeKind::Gap), 1);
    assert!(count(NoticeKind::Resync) >= 1);
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
}

#[test]
fn heartbeats_answered_keep_the_connection_unanswered_close_it() {
    // 30 s heartbeats: three intervals pass.
    let mut l = Link::new(true);
    for k in 0..100 {
        l.run(T0 + k * 1_000 * MS, 1, true);
    }
    assert!(!l.closed, "answered test_requests keep it open");
    let mut l = Link::new(false);
    for k in 0..100 {
        l.run(T0 + k * 1_000 * MS, 1, false);
    }
    assert!(l.closed, "an unanswered test_request closes it");
}

#[test]
fn rest_payloads_decode_through_the_tools() {
    let m = orderflow_plugin_deribit::root_module();
    struct NoHost;
    impl HostView for NoHost {
        fn query(&self, _: RStr<'_>) -> orderflow_tool_sdk::std_types::RResult<RString, SdkError> {
            orderflow_tool_sdk::std_types::RResult::RErr(SdkError::new(
                ErrorKind::Unavailable,
                "no host",
            ))
        }
    }
    let resume = |name: &str, state: &str, body: String| -> Value {
        let step = (m.resume_tool())(
            RStr::from_str(name),
            RStr::from_str(state),
            HttpResponse {
                status: 200,
                body: body.into(),
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
        "deribit_get_rest_trades",
        r#"{"symbol":"ETHUSDT","instrument":"ETH-PERPETUAL","keep":2}"#,
        load_fixture("rest_last_trades.json"),
    );
    let rows = t["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["amount"], 1.0, "the raw USD amount is kept");
    // 1 USD / 2968.3 = 0.000336890…
    assert_eq!(rows[0]["size"], "0.00033689");
    let c = resume(
        "deribit_get_candles",
        r#"{"symbol":"BTCUSDT","instrument":"BTC-PERPETUAL","keep":3}"#,
        load_fixture("rest_chart_data.json"),
    );
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the last three of five");
    assert_eq!(
        (rows[2]["close"].as_f64(), rows[2]["open_time"].as_u64()),
        (Some(87_456.0), Some(1_766_483_700_000))
    );
    let err = (m.resume_tool())(
        RStr::from_str("deribit_get_rest_ticker"),
        RStr::from_str(r#"{"symbol":"BTCUSDT","instrument":"BTC-PERPETUAL","keep":1}"#),
        HttpResponse {
            status: 400,
            body: r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"}}"#.into(),
        },
        orderflow_tool_sdk::host_view(&NoHost),
    )
    .into_result()
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgs);
    assert!((m.tools())().len() >= 15);
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(s in "\\PC{0,200}") {
        let mut c = DeribitCodec::new(cfg(&["BTC-PERPETUAL"])).unwrap();
        let _ = c.on_frame(0, &s, 1);
    }

    #[test]
    fn mutated_real_payloads_never_panic(i in 0usize..3, cut in 0usize..900, b in any::<u8>()) {
        let name = ["ws_book_snapshot.json", "ws_trades.json", "ws_ticker.json"][i];
        let mut bytes = load_fixture(name).into_bytes();
        let at = cut % bytes.len();
        bytes[at] = b;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut c = DeribitCodec::new(cfg(&["BTC-PERPETUAL"])).unwrap();
        let _ = c.on_frame(0, &text, 1);
    }
}
