//! The OKX codec against real payloads and against its emulator: the contract-value handshake,
//! subscriptions, book sync with checksum verification on every update, and recovery from a
//! sequence gap, a wrong checksum and malformed frames. Decoding never panics (proptest).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_okx::codec::OkxCodec;
use orderflow_plugin_okx::common::load_fixture;
use orderflow_plugin_okx::emulator::OkxEmulator;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use orderflow_tool_sdk::{
    CodecConfig, CodecOutput, EmulatedInstrument, EmulatorConfig, EventBody, FixedDecimal,
    HostAction, InstrumentMapping, NoticeKind,
};
use proptest::prelude::*;
use serde_json::Value;

fn cfg(pairs: &[(&str, &str)]) -> CodecConfig {
    CodecConfig {
        venue: "okx".into(),
        instruments: pairs
            .iter()
            .map(|(s, v)| InstrumentMapping {
                symbol: (*s).into(),
                venue_symbol: (*v).into(),
            })
            .collect(),
        decode_only: false,
        options: Default::default(),
    }
}

fn count(o: &CodecOutput, kind: NoticeKind) -> usize {
    o.notices.iter().filter(|n| n.kind == kind).count()
}

#[test]
fn real_payloads_decode_to_exact_events() {
    // The fixtures use spot and inverse instrument names; map them like swaps.
    let c = cfg(&[
        ("BTCUSD", "BTC-USD"),
        ("BTCUSDT", "BTC-USDT"),
        ("BTCUSDTP", "BTC-USDT-SWAP"),
    ]);
    let mut codec = OkxCodec::new(c).unwrap().without_book_sync();
    let out = codec
        .on_frame(0, &load_fixture("ws_trades.json"), 7)
        .unwrap();
    let EventBody::Trade(t) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(t.price, FixedDecimal::parse("42219.9").unwrap());
    assert_eq!(t.size, FixedDecimal::parse("0.12060306").unwrap());
    assert_eq!(t.trade_id, 130_639_474);
    assert_eq!(out.events[0].ts_event, 1_630_048_897_897_000_000);
    assert_eq!(out.events[0].ts_recv, 7);

    let out = codec
        .on_frame(0, &load_fixture("ws_books_snapshot.json"), 7)
        .unwrap();
    let EventBody::BookSnapshot(b) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(b.levels.len(), 16);
    assert_eq!(b.sequence, 123_456);

    let out = codec
        .on_frame(0, &load_fixture("ws_funding_rate.json"), 7)
        .unwrap();
    let EventBody::Funding(f) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(f.rate, FixedDecimal::parse("0.0001").unwrap());
    assert_eq!(f.next_funding_ns, 1_744_590_349_506_000_000);

    let out = codec
        .on_frame(0, &load_fixture("ws_tickers.json"), 7)
        .unwrap();
    let EventBody::Ticker(t) = &out.events[0].body else {
        panic!()
    };
    assert_eq!(t.last, FixedDecimal::parse("9999.99").unwrap());
    assert_eq!(t.volume, FixedDecimal::parse("2222").unwrap());
}

#[test]
fn a_snapshot_whose_checksum_does_not_match_is_resubscribed() {
    // The documented snapshot fixture is an excerpt: its checksum belongs to the full book, so
    // the syncing codec must refuse it and ask for a fresh snapshot.
    let mut codec = OkxCodec::new(cfg(&[("BTCUSDT", "BTC-USDT")])).unwrap();
    let _ = codec.on_connected(0, 0);
    let out = codec
        .on_frame(0, &load_fixture("ws_books_snapshot.json"), 7)
        .unwrap();
    assert_eq!(count(&out, NoticeKind::ChecksumMismatch), 1);
    assert_eq!(count(&out, NoticeKind::Resync), 1);
    assert!(out.events.is_empty(), "no book from a failed checksum");
    let sends: Vec<&str> = out
        .actions
        .iter()
        .filter_map(|a| match a {
            HostAction::Send { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(sends[0].contains("unsubscribe") && sends[1].contains("\"subscribe\""));
    assert!(!codec.book(0).unwrap().is_synced());
}

/// Drives codec ⇄ emulator in-process: host actions are performed against the emulator.
struct Loop {
    codec: OkxCodec,
    emu: OkxEmulator,
    now: u64,
    notices: Vec<(NoticeKind, String)>,
    events: usize,
    kinds: std::collections::BTreeSet<&'static str>,
    /// Remove `seqId`/`prevSeqId` from book frames (older API, channels without them).
    strip_seq: bool,
}

impl Loop {
    fn new() -> Self {
        let emu = OkxEmulator::new(&EmulatorConfig {
            venue: "okx".into(),
            seed: 11,
            instruments: vec![
                EmulatedInstrument {
                    symbol: "BTCUSDT".into(),
                    venue_symbol: "BTC-USDT-SWAP".into(),
                    start_price: 97_000.0,
                    tick_size: "0.1".into(),
                    lot_size: "0.001".into(),
                },
                EmulatedInstrument {
                    symbol: "XRPUSDT".into(),
                    venue_symbol: "XRP-USDT-SWAP".into(),
                    start_price: 2.3,
                    tick_size: "0.0001".into(),
                    lot_size: "0.1".into(),
                },
            ],
            msgs_per_sec: 3_000.0,
            start_ns: 1_000_000_000,
        })
        .unwrap();
        let codec = OkxCodec::new(cfg(&[
            ("BTCUSDT", "BTC-USDT-SWAP"),
            ("XRPUSDT", "XRP-USDT-SWAP"),
        ]))
        .unwrap();
        let mut l = Self {
            codec,
            emu,
            now: 1_000_000_000,
            notices: Vec::new(),
            events: 0,
            kinds: Default::default(),
            strip_seq: false,
        };
        let _ = l.emu.ws_open(1, "/ws/v5/public", 0);
        let out = l.codec.on_connected(0, 0);
        l.absorb(out);
        l
    }

    fn absorb(&mut self, out: CodecOutput) {
        for n in out.notices.iter() {
            self.notices.push((n.kind, n.detail.to_string()));
        }
        for e in out.events.iter() {
            self.kinds.insert(e.body.kind_name());
        }
        self.events += out.events.len();
        for a in out.actions.into_iter() {
            match a {
                HostAction::Send { text, .. } => {
                    for f in self.emu.ws_message(1, text.as_str(), 0) {
                        self.frame(f.text.as_str());
                    }
                }
                HostAction::Http { tag, request } => {
                    let resp = self.emu.http(&request, 0);
                    let out = self.codec.on_http(tag, &resp, 0).unwrap();
                    self.absorb(out);
                }
                HostAction::Reconnect { .. } => panic!("no reconnect expected"),
            }
        }
    }

    fn frame(&mut self, text: &str) {
        let stripped;
        let text = if self.strip_seq && text.contains("\"seqId\"") {
            let mut v: Value = serde_json::from_str(text).unwrap();
            for d in v["data"].as_array_mut().unwrap() {
                let d = d.as_object_mut().unwrap();
                d.remove("seqId");
                d.remove("prevSeqId");
            }
            stripped = v.to_string();
            stripped.as_str()
        } else {
            text
        };
        let out = self.codec.on_frame(0, text, self.now).unwrap();
        self.absorb(out);
    }

    fn run_ms(&mut self, ms: u64) {
        for _ in 0..ms {
            self.now += 1_000_000;
            for f in self.emu.advance(self.now) {
                if f.close_after {
                    continue;
                }
                self.frame(f.text.as_str());
            }
        }
    }

    fn n(&self, kind: NoticeKind) -> usize {
        self.notices.iter().filter(|(k, _)| *k == kind).count()
    }

    /// The codec's top levels equal the emulator's true book (strings as sent).
    fn assert_book_matches(&mut self, inst: u32, venue_symbol: &str) {
        let truth: Value = serde_json::from_str(
            &self
                .emu
                .control(&format!(
                    r#"{{"op":"book","symbol":"{venue_symbol}","depth":25}}"#
                ))
                .unwrap(),
        )
        .unwrap();
        let book = self.codec.book(inst).unwrap();
        assert!(book.is_synced(), "{venue_symbol} not synced");
        let (bids, asks) = book.top(25);
        let ours = |ls: &[&orderflow_plugin_okx::book::Level]| -> Vec<Value> {
            ls.iter()
                .map(|l| serde_json::json!([l.price_str, l.size_str]))
                .collect()
        };
        assert_eq!(
            Value::Array(ours(&bids)),
            truth["bids"],
            "{venue_symbol} bids"
        );
        assert_eq!(
            Value::Array(ours(&asks)),
            truth["asks"],
            "{venue_symbol} asks"
        );
        assert_eq!(book.checksum(), truth["checksum"].as_i64().unwrap() as i32);
    }
}

#[test]
fn handshake_sync_and_every_update_verified_against_the_emulator() {
    let mut l = Loop::new();
    assert!(l.n(NoticeKind::Subscribed) >= 15, "{:?}", l.notices);
    assert_eq!(l.n(NoticeKind::Rejected), 0, "{:?}", l.notices);
    l.run_ms(3_000);
    assert_eq!(l.n(NoticeKind::ChecksumMismatch), 0);
    assert_eq!(l.n(NoticeKind::Gap), 0);
    assert!(l.events > 1_000, "{} events", l.events);
    for k in [
        "trade",
        "book_snapshot",
        "book_delta",
        "ticker",
        "open_interest",
        "mark_price",
        "funding",
    ] {
        assert!(l.kinds.contains(k), "no {k} event: {:?}", l.kinds);
    }
    l.assert_book_matches(0, "BTC-USDT-SWAP");
    l.assert_book_matches(1, "XRP-USDT-SWAP");
}

#[test]
fn gap_and_wrong_checksum_are_counted_and_resynced() {
    let mut l = Loop::new();
    l.run_ms(500);
    l.emu
        .control(r#"{"op":"fault","kind":"gap","symbol":"BTC-USDT-SWAP"}"#)
        .unwrap();
    l.run_ms(500);
    assert_eq!(l.n(NoticeKind::Gap), 1, "{:?}", l.notices);
    assert!(l.n(NoticeKind::Resync) >= 1);
    l.emu
        .control(r#"{"op":"fault","kind":"checksum","symbol":"XRP-USDT-SWAP"}"#)
        .unwrap();
    l.run_ms(500);
    assert_eq!(l.n(NoticeKind::ChecksumMismatch), 1, "{:?}", l.notices);
    assert!(l.n(NoticeKind::Resync) >= 2);
    l.run_ms(500);
    l.assert_book_matches(0, "BTC-USDT-SWAP");
    l.assert_book_matches(1, "XRP-USDT-SWAP");
}

#[test]
fn a_book_stream_without_sequence_numbers_is_validated_by_its_checksum_alone() {
    let mut l = Loop::new();
    l.strip_seq = true;
    l.run_ms(2_000);
    // Every update applied (none dropped as stale), every checksum matched.
    let stale: Vec<_> = l
        .notices
        .iter()
        .filter(|(k, d)| *k == NoticeKind::Stale && d.starts_with("book"))
        .collect();
    assert!(stale.is_empty(), "{stale:?}");
    assert_eq!(l.n(NoticeKind::ChecksumMismatch), 0);
    assert_eq!(l.n(NoticeKind::Gap), 0);
    l.assert_book_matches(0, "BTC-USDT-SWAP");
    l.assert_book_matches(1, "XRP-USDT-SWAP");
    // (The emulator's "gap" fault skips a seqId without losing levels: invisible here, and
    // rightly so.) A wrong checksum is caught, and the book resyncs.
    l.emu
        .control(r#"{"op":"fault","kind":"checksum","symbol":"BTC-USDT-SWAP"}"#)
        .unwrap();
    let resyncs = l.n(NoticeKind::Resync);
    l.run_ms(1_000);
    assert!(l.n(NoticeKind::ChecksumMismatch) >= 1, "{:?}", l.notices);
    assert!(l.n(NoticeKind::Resync) > resyncs);
    l.run_ms(500);
    l.assert_book_matches(0, "BTC-USDT-SWAP");
}

#[test]
fn malformed_frames_are_errors_and_change_nothing() {
    let mut l = Loop::new();
    l.run_ms(300);
    let before = l.codec.book(0).unwrap().checksum();
    for bad in [
        "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT-SWAP\"},\"action\":\"update\",\"data\":[{\"asks\":[[\"x\",\"1\"]],\"bids\":[],\"ts\":\"1\",\"seqId\":1,\"prevSeqId\":0}]}",
        "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-US",
        "[]",
        "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"tradeId\":\"1\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"up\",\"ts\":\"1\"}]}",
    ] {
        assert!(l.codec.on_frame(0, bad, 1).is_err(), "{bad}");
    }
    assert_eq!(l.codec.book(0).unwrap().checksum(), before);
    // Unknown instruments are counted, not errors.
    let out = l
        .codec
        .on_frame(
            0,
            r#"{"arg":{"channel":"trades","instId":"DOGE-USDT-SWAP"},"data":[]}"#,
            1,
        )
        .unwrap();
    assert_eq!(count(&out, NoticeKind::UnknownSymbol), 1);
    assert_eq!(l.codec.on_frame(0, "pong", 1).unwrap().events.len(), 0);
}

proptest! {
    #[test]
    fn decoding_never_panics(cut in 0usize..400, which in 0usize..4) {
        let fixtures = ["ws_trades.json", "ws_books_snapshot.json", "ws_funding_rate.json", "ws_tickers.json"];
        let text = load_fixture(fixtures[which]);
        let cut = cut.min(text.len());
        let mut codec = OkxCodec::new(cfg(&[("BTCUSDT", "BTC-USDT"), ("BTCUSD", "BTC-USD")])).unwrap();
        let _ = codec.on_frame(0, text.get(..cut).unwrap_or(""), 1);
    }
}
