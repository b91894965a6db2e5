//! The codec through the plugin's ABI root module (in-process), and fuzzing of the decoder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_plugin_binance::codec::FuturesCodec;
use orderflow_plugin_binance::common::load_fixture;
use orderflow_plugin_binance::emulator::FuturesEmulator;
use orderflow_tool_sdk::std_types::RStr;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use orderflow_tool_sdk::{
    CodecConfig, CodecOutput, EmulatedInstrument, EmulatorConfig, EventBody, HostAction,
    InstrumentMapping, NoticeKind,
};
use proptest::prelude::*;

/// The test configuration with Binance options: depth stream `speed`, a 100-level snapshot and
/// no open-interest polling.
fn with_speed(mut c: CodecConfig, speed: &str) -> CodecConfig {
    c.options = serde_json::json!({"depth_speed": speed, "depth_snapshot_limit": 100, "open_interest_poll_ms": 0})
        .as_object()
        .cloned()
        .unwrap();
    c
}

fn cfg() -> CodecConfig {
    CodecConfig {
        venue: "binance".into(),
        instruments: vec![InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
        }],
        decode_only: false,
        options: Default::default(),
    }
}

fn notices(o: &CodecOutput, kind: NoticeKind) -> usize {
    o.notices.iter().filter(|n| n.kind == kind).count()
}

#[test]
fn root_module_exposes_codec_emulator_and_tools() {
    let m = orderflow_plugin_binance::root_module();
    let manifest = (m.manifest())();
    assert_eq!(manifest.name.as_str(), "binance");
    assert_eq!((m.tools())().len(), 25 + 15, "futures + spot");
    let codec = (m.new_codec())(RStr::from_str(&serde_json::to_string(&cfg()).unwrap()))
        .into_result()
        .unwrap();
    let plan = codec.plan();
    assert_eq!(plan.connections.len(), 1);
    assert_eq!(plan.connections[0].path.as_str(), "/stream");
    // Wrong venue and bad JSON are errors, not panics.
    assert!(
        (m.new_codec())(RStr::from_str(r#"{"venue":"okx","instruments":[]}"#))
            .into_result()
            .is_err()
    );
    assert!((m.new_codec())(RStr::from_str("{")).into_result().is_err());
    assert!(
        (m.new_emulator())(RStr::from_str("[]"))
            .into_result()
            .is_err()
    );
}

/// Subscribe → ack → snapshot request → snapshot → live diffs; then a gap → counted resync.
#[test]
fn sync_handshake_against_the_emulator_and_gap_resync() {
    let emu_cfg = EmulatorConfig {
        venue: "binance".into(),
        seed: 3,
        instruments: vec![EmulatedInstrument {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
            start_price: 97_000.0,
            tick_size: "0.1".into(),
            lot_size: "0.001".into(),
        }],
        msgs_per_sec: 2_000.0,
        start_ns: 1_000_000_000,
    };
    let mut emu = FuturesEmulator::new(&emu_cfg).unwrap();
    let mut codec = FuturesCodec::new(with_speed(cfg(), "0ms")).unwrap();
    emu.ws_open(1, "/stream", 0);
    let out = codec.on_connected(0, 1);
    let HostAction::Send { text, .. } = &out.actions[0] else {
        panic!("expected a SUBSCRIBE frame")
    };
    assert!(text.contains("btcusdt@depth@0ms") && text.contains("SUBSCRIBE"));
    let ack = emu.ws_message(1, text, 0);
    let out = codec.on_frame(0, &ack[0].text, 2).unwrap();
    assert_eq!(notices(&out, NoticeKind::Subscribed), 1);
    let HostAction::Http { tag, request } = &out.actions[0] else {
        panic!("expected a snapshot request")
    };
    assert_eq!(
        request.path_and_query.as_str(),
        "/fapi/v1/depth?symbol=BTCUSDT&limit=100"
    );

    // Diffs arrive before the snapshot answer: buffered.
    let mut t = 1_000_000_000;
    let mut frames = Vec::new();
    while frames.len() < 50 {
        t += 1_000_000;
        frames.extend(emu.advance(t));
    }
    let mut deltas = 0;
    for f in &frames[..20] {
        let o = codec.on_frame(0, &f.text, t).unwrap();
        deltas += o
            .events
            .iter()
            .filter(|e| matches!(e.body, EventBody::BookDelta(_)))
            .count();
    }
    assert_eq!(deltas, 0, "diffs are buffered until the snapshot");
    let snap = emu.http(request, 0);
    assert_eq!(snap.status, 200);
    let o = codec.on_http(*tag, &snap, t).unwrap();
    assert_eq!(notices(&o, NoticeKind::Resync), 1);
    assert!(matches!(o.events[0].body, EventBody::BookSnapshot(_)));
    for f in &frames[20..] {
        let o = codec.on_frame(0, &f.text, t).unwrap();
        assert_eq!(notices(&o, NoticeKind::Gap), 0, "continuous stream");
    }

    // A gap: the emulator never sends one change.
    emu.control(r#"{"op":"fault","kind":"gap","symbol":"BTCUSDT"}"#)
        .unwrap();
    let mut gap = None;
    for _ in 0..2_000 {
        t += 1_000_000;
        for f in emu.advance(t) {
            let o = codec.on_frame(0, &f.text, t).unwrap();
            if notices(&o, NoticeKind::Gap) > 0 {
                gap = o.actions.iter().find_map(|a| match a {
                    HostAction::Http { tag, request } => Some((*tag, request.clone())),
                    _ => None,
                });
            }
        }
        if gap.is_some() {
            break;
        }
    }
    let (tag, request) = gap.expect("gap detected with a new snapshot request");
    let o = codec.on_http(tag, &emu.http(&request, 0), t).unwrap();
    assert_eq!(notices(&o, NoticeKind::Resync), 1);
    // A stale answer to an old request is ignored, not applied.
    let o = codec.on_http(tag, &emu.http(&request, 0), t).unwrap();
    assert_eq!(notices(&o, NoticeKind::Stale), 1);
    assert!(o.events.is_empty());
}

#[test]
fn rest_errors_are_counted_and_retried() {
    let mut codec = FuturesCodec::new(with_speed(cfg(), "100ms")).unwrap();
    codec.on_connected(0, 1);
    let o = codec.on_frame(0, r#"{"result":null,"id":1}"#, 2).unwrap();
    let HostAction::Http { tag, .. } = o.actions[0].clone() else {
        panic!()
    };
    let o = codec
        .on_http(
            tag,
            &orderflow_tool_sdk::HttpResponse {
                status: 429,
                body: r#"{"code":-1003,"msg":"Too many requests"}"#.into(),
            },
            3,
        )
        .unwrap();
    assert_eq!(notices(&o, NoticeKind::Rejected), 1);
    // Retried by the timer after the back-off.
    let o = codec.on_timer(3 + 3_000_000_000);
    let Some(HostAction::Http { tag, .. }) = o.actions.first().cloned() else {
        panic!("snapshot retried")
    };
    // An undecodable snapshot body is an error (counted by the host) and is retried too.
    assert!(
        codec
            .on_http(
                tag,
                &orderflow_tool_sdk::HttpResponse {
                    status: 200,
                    body: "{not json".into()
                },
                4
            )
            .is_err()
    );
    let o = codec.on_timer(4 + 3_000_000_000);
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, HostAction::Http { .. })),
        "retried again"
    );
}

fn fixtures() -> Vec<String> {
    [
        "ws_agg_trade.json",
        "ws_depth_update.json",
        "ws_mark_price.json",
        "ws_ticker_24h.json",
        "ws_book_ticker.json",
        "ws_kline_closed.json",
    ]
    .iter()
    .map(|f| load_fixture(f))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut codec = FuturesCodec::new(with_speed(cfg(), "100ms")).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        let _ = codec.on_frame(0, &s, 1);
    }

    #[test]
    fn mutated_real_payloads_never_panic(idx in 0usize..6, cut in 0usize..600, pos in 0usize..600, byte in any::<u8>()) {
        let mut codec = FuturesCodec::new(with_speed(cfg(), "0ms")).unwrap().without_book_sync();
        let f = fixtures()[idx].clone();
        let mut b = f.into_bytes();
        if !b.is_empty() {
            let p = pos % b.len();
            b[p] = byte;
            b.truncate(cut.max(1).min(b.len()));
        }
        let s = String::from_utf8_lossy(&b);
        let _ = codec.on_frame(0, &s, 1);
    }
}

/// Binance spot: the real REST answers (depth snapshot, klines, 24h ticker) through the spot
/// codec and the spot tools; the spot continuity rule on diffs after the snapshot.
#[test]
fn spot_real_rest_payloads_and_sync_rule() {
    use orderflow_tool_sdk::HttpResponse;
    let mut c = cfg();
    c.venue = "binance_spot".into();
    c.instruments[0].venue_symbol = "BNBBTC".into();
    let mut codec = FuturesCodec::new(with_speed(c, "100ms")).unwrap();
    let _ = codec.on_connected(0, 1);
    // The subscription's acknowledgement starts the book sync.
    let out = codec.on_frame(0, r#"{"result":null,"id":1}"#, 1).unwrap();
    let (tag, path) = out
        .actions
        .iter()
        .find_map(|a| match a {
            HostAction::Http { tag, request } => Some((*tag, request.path_and_query.to_string())),
            _ => None,
        })
        .expect("snapshot request");
    assert_eq!(path, "/api/v3/depth?symbol=BNBBTC&limit=100");
    let out = codec
        .on_http(
            tag,
            &HttpResponse {
                status: 200,
                body: load_fixture("spot_rest_depth_snapshot.json").into(),
            },
            2,
        )
        .unwrap();
    let EventBody::BookSnapshot(b) = &out.events[0].body else {
        panic!("{out:?}")
    };
    assert_eq!(b.sequence, 1_027_024);
    assert_eq!(b.levels.len(), 2);
    // Spot diffs: drop u <= lastUpdateId; then U must be previous u + 1 (no `pu`).
    let diff = |u0: u64, u1: u64| {
        format!(
            r#"{{"stream":"bnbbtc@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BNBBTC","U":{u0},"u":{u1},"b":[["4.00000000","1.0"]],"a":[]}}}}"#
        )
    };
    let out = codec.on_frame(0, &diff(1_027_020, 1_027_024), 3).unwrap();
    assert!(out.events.is_empty() && notices(&out, NoticeKind::Stale) == 1);
    let out = codec.on_frame(0, &diff(1_027_025, 1_027_030), 3).unwrap();
    assert_eq!(out.events.len(), 1);
    let out = codec.on_frame(0, &diff(1_027_032, 1_027_033), 3).unwrap();
    assert_eq!(notices(&out, NoticeKind::Gap), 1, "U skipped 1027031");

    // Tools: the spot REST answers decode.
    let m = orderflow_plugin_binance::root_module();
    let resume = |name: &str, fixture: &str| -> serde_json::Value {
        let step = (m.resume_tool())(
            RStr::from_str(name),
            RStr::from_str(r#"{"symbol":"BNBBTC"}"#),
            HttpResponse {
                status: 200,
                body: load_fixture(fixture).into(),
            },
            orderflow_tool_sdk::host_view(&NoHost),
        )
        .into_result()
        .unwrap();
        let orderflow_tool_sdk::ToolStep::Done(json) = step else {
            panic!("not done")
        };
        serde_json::from_str(json.as_str()).unwrap()
    };
    let k = resume("binance_spot_get_klines", "spot_rest_klines.json");
    assert_eq!(k["venue"], "binance_spot");
    assert!(k["rows"][0]["open"].as_f64().unwrap() > 0.0, "{k}");
    let t = resume("binance_spot_get_24h_stats", "spot_rest_ticker_24h.json");
    assert_eq!(t["rows"][0]["last_price"], serde_json::json!(4.000002));
}

/// A host view that answers nothing (REST tool resumes do not read live state).
struct NoHost;

impl orderflow_tool_sdk::HostView for NoHost {
    fn query(
        &self,
        _request: RStr<'_>,
    ) -> orderflow_tool_sdk::std_types::RResult<
        orderflow_tool_sdk::std_types::RString,
        orderflow_tool_sdk::SdkError,
    > {
        orderflow_tool_sdk::std_types::RErr(orderflow_tool_sdk::SdkError::invalid_args("no host"))
    }
}
