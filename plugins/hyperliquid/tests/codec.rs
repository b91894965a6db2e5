//! The Hyperliquid codec: real payloads through the codec, the codec against its emulator (the
//! live book equals the venue's), `info` REST answers through the tools, and arbitrary bytes
//! never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_hyperliquid::codec::HyperliquidCodec;
use orderflow_plugin_hyperliquid::common::load_fixture;
use orderflow_plugin_hyperliquid::emulator::HyperliquidEmulator;
use orderflow_tool_sdk::prelude::*;
use proptest::prelude::*;
use serde_json::Value;

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn cfg(coins: &[&str]) -> CodecConfig {
    CodecConfig::new(
        "hyperliquid",
        coins
            .iter()
            .map(|c| InstrumentMapping {
                symbol: format!("{c}USDT"),
                venue_symbol: (*c).into(),
            })
            .collect(),
    )
}

fn wrap(channel: &str, data: &str) -> String {
    format!(r#"{{"channel":"{channel}","data":{data}}}"#)
}

#[test]
fn real_payloads_through_the_codec() {
    let mut c = HyperliquidCodec::new(cfg(&["BTC"])).unwrap();
    let book = wrap("l2Book", &load_fixture("ws_l2_book.json"));
    let out = c.on_frame(0, &book, 5).unwrap();
    let EventBody::BookSnapshot(u) = &out.events[0].body else {
        panic!("{out:?}")
    };
    assert_eq!(u.levels.len(), 10);
    // An older image is stale, and so is the same image again (a repeated frame); another
    // image of the same block time is applied, and after a reconnect the same image is too.
    let older = book.replace("1703875200000", "1703875199000");
    let out = c.on_frame(0, &older, 6).unwrap();
    assert!(out.events.is_empty() && out.notices.iter().any(|n| n.kind == NoticeKind::Stale));
    let out = c.on_frame(0, &book, 7).unwrap();
    assert!(out.events.is_empty() && out.notices.iter().any(|n| n.kind == NoticeKind::Stale));
    let changed = book.replacen(r#""2.5""#, r#""12.5""#, 1);
    assert_ne!(changed, book);
    assert_eq!(c.on_frame(0, &changed, 7).unwrap().events.len(), 1);
    c.on_disconnected(0, 7);
    c.on_connected(1, 7);
    assert_eq!(c.on_frame(1, &changed, 7).unwrap().events.len(), 1);
    let trades = r#"{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"98451.0","sz":"0.5","hash":"0x1","time":1703875200001,"tid":7,"users":["0xa","0xb"]}]}"#;
    assert_eq!(c.on_frame(0, trades, 8).unwrap().events.len(), 1);
    assert!(
        c.on_frame(0, trades, 8).unwrap().events.is_empty(),
        "repeated tid dropped"
    );
    // allMids is not subscribed: a frame of it is counted, not an error.
    let out = c.on_frame(0, &load_fixture("ws_all_mids.json"), 9).unwrap();
    assert!(out.events.is_empty() && out.notices.iter().any(|n| n.kind == NoticeKind::Stale));
    assert!(
        c.on_frame(0, r#"{"channel":"pong"}"#, 9)
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn malformed_frames_are_errors() {
    let mut c = HyperliquidCodec::new(cfg(&["BTC"])).unwrap();
    for bad in [
        "",
        "{",
        r#"{"data":1}"#,
        r#"{"channel":"l2Book"}"#,
        r#"{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[{"px":"x","sz":"1"}],[]]}}"#,
    ] {
        assert!(c.on_frame(0, bad, 1).is_err(), "{bad:?}");
    }
}

#[test]
fn book_follows_the_emulator() {
    let mut emu = HyperliquidEmulator::new(&EmulatorConfig {
        venue: "hyperliquid".into(),
        seed: 5,
        instruments: vec![EmulatedInstrument {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTC".into(),
            start_price: 97_000.0,
            tick_size: "1".into(),
            lot_size: "0.00001".into(),
        }],
        msgs_per_sec: 3_000.0,
        start_ns: T0,
    })
    .unwrap();
    let mut codec = HyperliquidCodec::new(cfg(&["BTC"])).unwrap();
    assert!(emu.ws_open(1, "/ws", T0).is_empty());
    let mut last_book = None;
    let feed = |codec: &mut HyperliquidCodec,
                frames: Vec<EmuFrame>,
                t: u64,
                last: &mut Option<BookUpdate>| {
        for f in frames {
            for e in codec.on_frame(0, f.text.as_str(), t).unwrap().events.iter() {
                if let EventBody::BookSnapshot(u) = &e.body {
                    *last = Some(u.clone());
                }
            }
        }
    };
    for a in codec.on_connected(0, T0).actions.iter() {
        let HostAction::Send { text, .. } = a else {
            continue;
        };
        let replies = emu.ws_message(1, text.as_str(), T0);
        feed(&mut codec, replies, T0, &mut last_book);
    }
    for k in 0..2_000 {
        let t = T0 + k * MS;
        let frames = emu.advance(t);
        feed(&mut codec, frames, t, &mut last_book);
    }
    emu.control(r#"{"op":"pause"}"#).unwrap();
    for k in 2_000..2_300 {
        let t = T0 + k * MS;
        let frames = emu.advance(t);
        feed(&mut codec, frames, t, &mut last_book);
    }
    let truth: Value = serde_json::from_str(
        &emu.control(r#"{"op":"book","symbol":"BTC","depth":20}"#)
            .unwrap(),
    )
    .unwrap();
    let book = last_book.unwrap();
    let bids: Vec<(String, String)> = book
        .levels
        .iter()
        .filter(|l| l.side == Side::Buy)
        .map(|l| (l.price.to_string(), l.size.to_string()))
        .collect();
    let want: Vec<(String, String)> = truth["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                FixedDecimal::parse(l[0].as_str().unwrap())
                    .unwrap()
                    .to_string(),
                FixedDecimal::parse(l[1].as_str().unwrap())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(bids, want);
}

#[test]
fn info_answers_decode_through_the_tools() {
    let m = orderflow_plugin_hyperliquid::root_module();
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
    let f = resume(
        "hyperliquid_get_funding_history",
        r#"{"symbol":"BTCUSDT","coin":"BTC","keep":2}"#,
        "rest_funding_history.json",
    );
    let rows = f["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0]["funding_rate"].as_f64(),
            rows[1]["premium"].is_null()
        ),
        (Some(-0.0000081), true)
    );
    let b = resume(
        "hyperliquid_get_depth_snapshot",
        r#"{"symbol":"BTCUSDT","coin":"BTC","keep":3}"#,
        "rest_l2_book_snapshot.json",
    );
    assert_eq!(b["rows"][0]["bids"].as_array().unwrap().len(), 3);
    assert_eq!(b["rows"][0]["asks"][0][0].as_f64(), Some(98451.0));
    assert!((m.tools())().len() >= 10);
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(s in "\\PC{0,200}") {
        let mut c = HyperliquidCodec::new(cfg(&["BTC"])).unwrap();
        let _ = c.on_frame(0, &s, 1);
    }

    #[test]
    fn mutated_book_images_never_panic(cut in 0usize..900, b in any::<u8>()) {
        let mut bytes = wrap("l2Book", &load_fixture("ws_l2_book.json")).into_bytes();
        let at = cut % bytes.len();
        bytes[at] = b;
        let mut c = HyperliquidCodec::new(cfg(&["BTC"])).unwrap();
        let _ = c.on_frame(0, &String::from_utf8_lossy(&bytes), 1);
    }
}
