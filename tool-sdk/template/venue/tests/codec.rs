//! The codec against its emulator, in-process: the book the codec's events build equals the
//! venue's, and a gap is detected, counted and repaired.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_{{name}}::{codec::{{Name}}Codec, emulator::{{Name}}Emulator};
use orderflow_tool_sdk::prelude::*;
use std::collections::BTreeMap;

/// Price levels of one side, keyed by the exact decimal's text (normalized: `97000` not
/// `97000.0`).
type Levels = BTreeMap<String, String>;

fn norm(s: &str) -> String {
    FixedDecimal::parse(s).unwrap().to_string()
}

/// The best `n` levels of each side, best first.
fn top(book: &[Levels; 2], n: usize) -> Vec<Vec<(String, String)>> {
    let by_price = |side: &Levels, desc: bool| {
        let mut v: Vec<(String, String)> = side.iter().map(|(p, s)| (p.clone(), s.clone())).collect();
        v.sort_by(|a, b| {
            let (x, y) = (a.0.parse::<f64>().unwrap(), b.0.parse::<f64>().unwrap());
            if desc { y.total_cmp(&x) } else { x.total_cmp(&y) }
        });
        v.truncate(n);
        v
    };
    vec![by_price(&book[0], true), by_price(&book[1], false)]
}

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn pair() -> ({{Name}}Codec, {{Name}}Emulator) {
    let codec = {{Name}}Codec::new(CodecConfig::new(
        "{{name}}",
        vec![InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTC-PERP".into(),
        }],
    ))
    .unwrap();
    let emu = {{Name}}Emulator::new(&EmulatorConfig {
        venue: "{{name}}".into(),
        seed: 1,
        instruments: vec![EmulatedInstrument {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTC-PERP".into(),
            start_price: 97_000.0,
            tick_size: "0.1".into(),
            lot_size: "0.001".into(),
        }],
        msgs_per_sec: 2_000.0,
        start_ns: T0,
    })
    .unwrap();
    (codec, emu)
}

/// Runs the pair for `ms` milliseconds, applying book events to `book`; returns notices.
fn run(
    codec: &mut {{Name}}Codec,
    emu: &mut {{Name}}Emulator,
    book: &mut [Levels; 2],
    from: u64,
    ms: u64,
) -> Vec<NoticeKind> {
    let mut notices = Vec::new();
    let mut apply = |out: CodecOutput, emu: &mut {{Name}}Emulator, t: u64| -> Vec<EmuFrame> {
        notices.extend(out.notices.iter().map(|n| n.kind));
        for e in out.events.iter() {
            let (levels, reset) = match &e.body {
                EventBody::BookSnapshot(u) => (&u.levels, true),
                EventBody::BookDelta(u) => (&u.levels, false),
                _ => continue,
            };
            if reset {
                book.iter_mut().for_each(BTreeMap::clear);
            }
            for l in levels.iter() {
                let side = &mut book[usize::from(l.side == Side::Sell)];
                if l.size.mantissa == 0 {
                    side.remove(&l.price.to_string());
                } else {
                    side.insert(l.price.to_string(), l.size.to_string());
                }
            }
        }
        let mut replies = Vec::new();
        for a in out.actions.iter() {
            if let HostAction::Send { text, .. } = a {
                replies.extend(emu.ws_message(1, text.as_str(), t));
            }
        }
        replies
    };
    for k in 0..ms {
        let t = from + k * MS;
        let mut frames = emu.advance(t);
        while !frames.is_empty() {
            let mut next = Vec::new();
            for f in frames {
                let out = codec.on_frame(0, f.text.as_str(), t).unwrap();
                next.extend(apply(out, emu, t));
            }
            frames = next;
        }
    }
    notices
}

fn venue_book(emu: &mut {{Name}}Emulator) -> [Levels; 2] {
    let v: serde_json::Value =
        serde_json::from_str(&emu.control(r#"{"op":"book","symbol":"BTC-PERP","depth":10000}"#).unwrap()).unwrap();
    let side = |k: &str| {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|l| (norm(l[0].as_str().unwrap()), norm(l[1].as_str().unwrap())))
            .collect()
    };
    [side("bids"), side("asks")]
}

#[test]
fn book_follows_the_venue_and_a_gap_is_repaired() {
    let (mut codec, mut emu) = pair();
    assert!(emu.ws_open(1, "/ws", T0).is_empty());
    let hello = codec.on_connected(0, T0);
    let mut book = [BTreeMap::new(), BTreeMap::new()];
    // Subscribe: the emulator's answers go through the codec like any frame.
    for a in hello.actions.iter() {
        let HostAction::Send { text, .. } = a else { continue };
        for f in emu.ws_message(1, text.as_str(), T0) {
            let out = codec.on_frame(0, f.text.as_str(), T0).unwrap();
            for e in out.events.iter() {
                if let EventBody::BookSnapshot(u) = &e.body {
                    for l in u.levels.iter() {
                        book[usize::from(l.side == Side::Sell)].insert(l.price.to_string(), l.size.to_string());
                    }
                }
            }
        }
    }
    let notices = run(&mut codec, &mut emu, &mut book, T0, 2_000);
    assert!(!notices.contains(&NoticeKind::Gap));
    emu.control(r#"{"op":"pause"}"#).unwrap();
    assert_eq!(top(&book, 50), top(&venue_book(&mut emu), 50));
    emu.control(r#"{"op":"resume"}"#).unwrap();

    emu.control(r#"{"op":"fault","kind":"gap","symbol":"BTC-PERP"}"#).unwrap();
    let notices = run(&mut codec, &mut emu, &mut book, T0 + 2_000 * MS, 2_000);
    assert_eq!(notices.iter().filter(|k| **k == NoticeKind::Gap).count(), 1);
    assert!(notices.contains(&NoticeKind::Resync));
    emu.control(r#"{"op":"pause"}"#).unwrap();
    assert_eq!(
        top(&book, 50),
        top(&venue_book(&mut emu), 50),
        "book repaired after the gap"
    );
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let (mut codec, _) = pair();
    for bad in ["", "{", "[1,2]", r#"{"channel":"book","symbol":"BTC-PERP","seq":1,"bids":[["x","1"]]}"#] {
        assert!(codec.on_frame(0, bad, 1).is_err(), "{bad:?}");
    }
}
