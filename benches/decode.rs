//! Decode throughput: raw frame → normalized events, per payload kind, side by side with a plain
//! `serde_json::from_slice::<serde_json::Value>` of the same bytes (the generic-parse baseline).
//!
//! Inputs: the real Binance payloads in `plugins/binance/test_data/` and a second of deterministic
//! emulator frames (combined-stream envelopes, as the live feed sends them).
//!
//! Run with: `cargo bench -p orderflow-benches --bench decode`

#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orderflow_plugin_binance::common::{SymbolMap, load_fixture};
use orderflow_plugin_binance::websocket::decode_frame;
use orderflow_tool_sdk::InstrumentMapping;
use std::hint::black_box;

/// Removes whitespace outside JSON strings.
fn compact(json: &str) -> String {
    let (mut out, mut in_str, mut esc) = (String::with_capacity(json.len()), false, false);
    for ch in json.chars() {
        if in_str {
            out.push(ch);
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if ch == '"' {
            in_str = true;
            out.push(ch);
        } else if !ch.is_whitespace() {
            out.push(ch);
        }
    }
    out
}

fn bench_fixtures(c: &mut Criterion) {
    let symbols = SymbolMap::new(&[InstrumentMapping {
        symbol: "BTCUSDT".into(),
        venue_symbol: "BTCUSDT".into(),
    }]);
    let mut g = c.benchmark_group("decode_fixture");
    for name in [
        "ws_agg_trade.json",
        "ws_depth_update.json",
        "ws_mark_price.json",
        "ws_ticker_24h.json",
    ] {
        // Compact the pretty-printed fixture to wire form, keeping the venue's key order (a
        // `Value` round trip would sort the keys).
        let frame = compact(&load_fixture(name));
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("typed", name), &frame, |b, f| {
            b.iter(|| decode_frame(black_box(f), 1, &symbols).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("serde_value", name), &frame, |b, f| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(f.as_bytes())).unwrap())
        });
    }
    g.finish();
}

fn bench_stream(c: &mut Criterion) {
    let frames = support::emulator_frames(1, 20_000.0);
    let symbols = SymbolMap::new(&support::mappings());
    let mut g = c.benchmark_group("decode_stream");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function(BenchmarkId::new("typed", frames.len()), |b| {
        b.iter(|| {
            for f in &frames {
                black_box(decode_frame(f, 1, &symbols).unwrap());
            }
        })
    });
    g.bench_function(BenchmarkId::new("serde_value", frames.len()), |b| {
        b.iter(|| {
            for f in &frames {
                black_box(serde_json::from_slice::<serde_json::Value>(f.as_bytes()).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_fixtures, bench_stream);
criterion_main!(benches);
