//! The Gate.io codec: documented payloads through the codec, the codec against its emulator
//! (contract sizes fetched first; book equal to the venue's before and after an update-id gap),
//! REST answers through the tools, and arbitrary bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_gateio::codec::GateioCodec;
use orderflow_plugin_gateio::common::load_fixture;
use orderflow_plugin_gateio::emulator::GateioEmulator;
use orderflow_tool_sdk::prelude::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn cfg(contracts: &[&str], quanto: Option<&str>) -> CodecConfig {
    let mut c = CodecConfig::new(
        "gateio",
        contracts
            .iter()
            .map(|p| InstrumentMapping {
                symbol: p.replace('_', ""),
                venue_symbol: (*p).into(),
            })
            .collect(),
    );
    if let Some(q) = quanto {
        let map: serde_json::Map<String, Value> = contracts
            .iter()
            .map(|c| ((*c).to_owned(), json!(q)))
            .collect();
        c.options
            .insert("quanto_multipliers".into(), Value::Object(map));
    }
    c
}

fn notices(out: &CodecOutput, kind: NoticeKind) -> usize {
    out.notices.iter().filter(|n| n.kind == kind).count()
}

fn update(first: u64, last: u64) -> String {
    load_fixture("ws_order_book_update.json")
        .replace("2517661101", &first.to_string())
        .replace("2517661113", &last.to_string())
}

#[test]
fn documented_payloads_through_the_codec() {
    let mut c = GateioCodec::new(cfg(&["BTC_USD"], Some("0.0001"))).unwrap();
    let out = c.on_connected(0, T0);
    assert_eq!(
        out.actions.len(),
        4,
        "book, trades, tickers, liquidations; no contracts request"
    );
    // Updates are buffered; the first asks for the with_id snapshot.
    let out = c.on_frame(0, &update(100, 105), 1).unwrap();
    assert!(out.events.is_empty());
    let [HostAction::Http { tag, request }] = out.actions.as_slice() else {
        panic!("{:?}", out.actions)
    };
    assert!(request.path_and_query.contains("with_id=true"));
    let tag = *tag;
    c.on_frame(0, &update(106, 110), 1).unwrap();
    let snap = load_fixture("rest_order_book.json").replace("123456", "104");
    let out = c
        .on_http(
            tag,
            &HttpResponse {
                status: 200,
                body: snap.into(),
            },
            2,
        )
        .unwrap();
    assert!(matches!(out.events[0].body, EventBody::BookSnapshot(_)));
    assert_eq!(
        out.events.len(),
        3,
        "snapshot + both buffered updates (the first holds 105 = L+1)"
    );
    // Continuity U = u + 1; a jump is a gap and a new snapshot request.
    assert_eq!(c.on_frame(0, &update(111, 111), 3).unwrap().events.len(), 1);
    assert_eq!(
        notices(
            &c.on_frame(0, &update(111, 111), 3).unwrap(),
            NoticeKind::Stale
        ),
        1
    );
    let out = c.on_frame(0, &update(115, 116), 3).unwrap();
    assert_eq!(notices(&out, NoticeKind::Gap), 1);
    assert!(matches!(out.actions.as_slice(), [HostAction::Http { .. }]));
    // Trades (de-duplicated), tickers, liquidations, acks and errors.
    assert_eq!(
        c.on_frame(0, &load_fixture("ws_trades.json"), 4)
            .unwrap()
            .events
            .len(),
        1
    );
    assert!(
        c.on_frame(0, &load_fixture("ws_trades.json"), 4)
            .unwrap()
            .events
            .is_empty()
    );
    assert_eq!(
        c.on_frame(0, &load_fixture("ws_tickers.json"), 4)
            .unwrap()
            .events
            .len(),
        4
    );
    let liq = load_fixture("ws_public_liquidates.json").replace("BTC_USDT", "BTC_USD");
    assert_eq!(c.on_frame(0, &liq, 4).unwrap().events.len(), 2);
    let ack = r#"{"time":1,"time_ms":1,"channel":"futures.trades","event":"subscribe","result":{"status":"success"}}"#;
    assert_eq!(
        notices(&c.on_frame(0, ack, 5).unwrap(), NoticeKind::Subscribed),
        1
    );
    let err = r#"{"time":1,"channel":"futures.trades","event":"subscribe","error":{"code":2,"message":"unknown contract"},"result":{"status":"failed"}}"#;
    assert_eq!(
        notices(&c.on_frame(0, err, 5).unwrap(), NoticeKind::Rejected),
        1
    );
    let unknown = load_fixture("ws_tickers.json").replace("BTC_USD", "ADA_USDT");
    assert_eq!(
        notices(
            &c.on_frame(0, &unknown, 5).unwrap(),
            NoticeKind::UnknownSymbol
        ),
        1
    );
}

#[test]
fn contract_sizes_come_first_and_bad_frames_change_nothing() {
    let mut c = GateioCodec::new(cfg(&["BTC_USDT"], None)).unwrap();
    let out = c.on_connected(0, T0);
    let [HostAction::Http { tag, request }] = out.actions.as_slice() else {
        panic!()
    };
    assert!(request.path_and_query.ends_with("/contracts"));
    let body = format!("[{}]", load_fixture("rest_contract.json"));
    let out = c
        .on_http(
            *tag,
            &HttpResponse {
                status: 200,
                body: body.into(),
            },
            1,
        )
        .unwrap();
    assert_eq!(out.actions.len(), 4, "subscriptions follow the multipliers");
    assert_eq!(c.quanto(0), Some(FixedDecimal::parse("0.0001").unwrap()));
    for bad in [
        "",
        "{",
        "[]",
        r#"{"channel":"futures.trades","event":"update","result":[{"size":"x","id":1,"create_time_ms":1,"price":"1","contract":"BTC_USDT"}]}"#,
    ] {
        assert!(c.on_frame(0, bad, 2).is_err(), "{bad:?}");
    }
    // A trade rejected as malformed did not enter the de-duplication window.
    let ok = r#"{"channel":"futures.trades","event":"update","result":[{"size":3,"id":1,"create_time_ms":1,"price":"1","contract":"BTC_USDT"}]}"#;
    assert_eq!(c.on_frame(0, ok, 2).unwrap().events.len(), 1);
}

/// A codec and emulator pair wired in-process (WebSocket and REST).
struct Link {
    codec: GateioCodec,
    emu: GateioEmulator,
    book: [BTreeMap<i64, FixedDecimal>; 2],
    notices: Vec<NoticeKind>,
}

impl Link {
    fn new() -> Self {
        let emu = GateioEmulator::new(&EmulatorConfig {
            venue: "gateio".into(),
            seed: 11,
            instruments: vec![EmulatedInstrument {
                symbol: "BTCUSDT".into(),
                venue_symbol: "BTC_USDT".into(),
                start_price: 97_000.0,
                tick_size: "0.1".into(),
                lot_size: "0.0001".into(),
            }],
            msgs_per_sec: 3_000.0,
            start_ns: T0,
        })
        .unwrap();
        let mut l = Self {
            codec: GateioCodec::new(cfg(&["BTC_USDT"], None)).unwrap(),
            emu,
            book: Default::default(),
            notices: Vec::new(),
        };
        assert!(l.emu.ws_open(1, "/v4/ws/usdt", T0).is_empty());
        let out = l.codec.on_connected(0, T0);
        l.apply(out, T0);
        l
    }

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
                    side.insert(Self::key(l.price), l.size);
                }
            }
        }
        for a in out.actions.iter() {
            match a {
                HostAction::Send { text, .. } => {
                    let replies = self.emu.ws_message(1, text.as_str(), t);
                    self.deliver(replies, t);
                }
                HostAction::Http { tag, request } => {
                    let resp = self.emu.http(request, t);
                    let out = self.codec.on_http(*tag, &resp, t).unwrap();
                    self.apply(out, t);
                }
                _ => {}
            }
        }
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
            let out = self.codec.on_timer(t);
            self.apply(out, t);
        }
    }

    fn assert_book_is_venue_book(&mut self) {
        let truth: Value = serde_json::from_str(
            &self
                .emu
                .control(r#"{"op":"book","symbol":"BTC_USDT","depth":25}"#)
                .unwrap(),
        )
        .unwrap();
        let lot = FixedDecimal::parse(truth["base_per_size"].as_str().unwrap()).unwrap();
        for (k, side) in ["bids", "asks"].into_iter().enumerate() {
            let want: Vec<(i64, f64)> = truth[side]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let p = FixedDecimal::parse(l[0].as_str().unwrap()).unwrap();
                    let contracts: f64 = l[1].as_str().unwrap().parse().unwrap();
                    (
                        Self::key(p),
                        ((contracts * lot.to_f64()) * 1e8).round() / 1e8,
                    )
                })
                .collect();
            let rows = self.book[k]
                .iter()
                .map(|(p, s)| (*p, (s.to_f64() * 1e8).round() / 1e8));
            let ours: Vec<(i64, f64)> = if k == 0 {
                rows.rev().take(25).collect()
            } else {
                rows.take(25).collect()
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
    assert!(
        l.notices.contains(&NoticeKind::Resync),
        "synced from the snapshot"
    );
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
    l.emu.control(r#"{"op":"resume"}"#).unwrap();
    l.emu
        .control(r#"{"op":"fault","kind":"gap","symbol":"BTC_USDT"}"#)
        .unwrap();
    l.run(T0 + 2_000 * MS, 2_000);
    let count = |k| l.notices.iter().filter(|n| **n == k).count();
    assert_eq!(count(NoticeKind::Gap), 1);
    assert!(count(NoticeKind::Resync) >= 2);
    l.emu.control(r#"{"op":"pause"}"#).unwrap();
    l.assert_book_is_venue_book();
}

#[test]
fn rest_payloads_decode_through_the_tools() {
    let m = orderflow_plugin_gateio::root_module();
    struct NoHost;
    impl HostView for NoHost {
        fn query(&self, _: RStr<'_>) -> orderflow_tool_sdk::std_types::RResult<RString, SdkError> {
            orderflow_tool_sdk::std_types::RResult::RErr(SdkError::new(
                ErrorKind::Unavailable,
                "no host",
            ))
        }
    }
    let resume = |name: &str, status: u16, body: String| {
        (m.resume_tool())(
            RStr::from_str(name),
            RStr::from_str(r#"{"symbol":"BTCUSDT","contract":"BTC_USDT"}"#),
            HttpResponse {
                status,
                body: body.into(),
            },
            orderflow_tool_sdk::host_view(&NoHost),
        )
        .into_result()
    };
    let ToolStep::Done(json) = resume(
        "gateio_get_contract",
        200,
        load_fixture("rest_contract.json"),
    )
    .unwrap() else {
        panic!()
    };
    let v: Value = serde_json::from_str(json.as_str()).unwrap();
    assert_eq!(
        (
            v["rows"][0]["quanto_multiplier"].as_str(),
            v["rows"][0]["funding_interval_s"].as_u64()
        ),
        (Some("0.0001"), Some(28_800))
    );
    let ToolStep::Done(json) = resume(
        "gateio_get_depth_snapshot",
        200,
        load_fixture("rest_order_book.json"),
    )
    .unwrap() else {
        panic!()
    };
    let v: Value = serde_json::from_str(json.as_str()).unwrap();
    assert_eq!(v["rows"][0]["id"], 123_456);
    let err = resume(
        "gateio_get_contract",
        404,
        r#"{"label":"CONTRACT_NOT_FOUND","message":"contract not found"}"#.into(),
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!((m.tools())().len() >= 12);
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(s in "\\PC{0,200}") {
        let mut c = GateioCodec::new(cfg(&["BTC_USD"], Some("0.0001"))).unwrap();
        let _ = c.on_frame(0, &s, 1);
    }

    #[test]
    fn mutated_documented_payloads_never_panic(i in 0usize..4, cut in 0usize..900, b in any::<u8>()) {
        let name = ["ws_order_book_update.json", "ws_trades.json", "ws_tickers.json", "ws_public_liquidates.json"][i];
        let mut bytes = load_fixture(name).into_bytes();
        let at = cut % bytes.len();
        bytes[at] = b;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut c = GateioCodec::new(cfg(&["BTC_USD", "BTC_USDT"], Some("0.0001"))).unwrap();
        let _ = c.on_frame(0, &text, 1);
    }
}
