//! Shared inputs: real fixtures and deterministic emulator frames.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use orderflow_plugin_binance::emulator::FuturesEmulator;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use orderflow_tool_sdk::{EmulatedInstrument, EmulatorConfig, InstrumentMapping};

pub(crate) const NS: u64 = 1_000_000_000;

pub(crate) fn instruments() -> Vec<(String, f64, &'static str, &'static str)> {
    vec![
        ("BTCUSDT".into(), 97_000.0, "0.1", "0.001"),
        ("ETHUSDT".into(), 3_400.0, "0.01", "0.001"),
        ("SOLUSDT".into(), 190.0, "0.01", "0.01"),
    ]
}

pub(crate) fn mappings() -> Vec<InstrumentMapping> {
    instruments()
        .into_iter()
        .map(|(s, ..)| InstrumentMapping {
            symbol: s.clone(),
            venue_symbol: s,
        })
        .collect()
}

/// `seconds` of emulator output (combined-stream frames, one diff per book change), seeded.
pub(crate) fn emulator_frames(seconds: u64, rate: f64) -> Vec<String> {
    let cfg = EmulatorConfig {
        venue: "binance".into(),
        seed: 7,
        instruments: instruments()
            .into_iter()
            .map(|(s, p, t, l)| EmulatedInstrument {
                symbol: s.clone(),
                venue_symbol: s,
                start_price: p,
                tick_size: t.into(),
                lot_size: l.into(),
            })
            .collect(),
        msgs_per_sec: rate,
        start_ns: NS,
    };
    let mut emu = FuturesEmulator::new(&cfg).unwrap();
    emu.ws_open(1, "/stream", 0);
    let streams: Vec<String> = instruments()
        .iter()
        .flat_map(|(s, ..)| {
            let s = s.to_lowercase();
            [
                format!("{s}@aggTrade"),
                format!("{s}@depth@0ms"),
                format!("{s}@markPrice@1s"),
                format!("{s}@ticker"),
            ]
        })
        .collect();
    emu.ws_message(
        1,
        &serde_json::json!({"method": "SUBSCRIBE", "params": streams, "id": 1}).to_string(),
        0,
    );
    let mut out = Vec::new();
    for ms in 1..=seconds * 1_000 {
        out.extend(
            emu.advance(NS + ms * 1_000_000)
                .into_iter()
                .map(|f| f.text.to_string()),
        );
    }
    out
}
