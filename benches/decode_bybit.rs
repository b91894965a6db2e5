//! Bybit decode throughput: the real payloads in `plugins/bybit/test_data/` through the codec
//! (decode-only mode), side by side with `serde_json::from_slice::<serde_json::Value>` of the
//! same bytes. Its own bench binary: two plugin rlibs cannot link into one executable.
//!
//! Run with: `cargo bench -p orderflow-benches --bench decode_bybit`

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orderflow_plugin_bybit::codec::BybitCodec;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use orderflow_tool_sdk::{CodecConfig, InstrumentMapping};
use std::hint::black_box;

fn bench_bybit(c: &mut Criterion) {
    let cfg = CodecConfig {
        venue: "bybit".into(),
        instruments: vec![InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: "BTCUSDT".into(),
        }],
        decode_only: false,
        options: Default::default(),
    };
    let mut codec = BybitCodec::new(cfg).unwrap().without_book_sync();
    let mut g = c.benchmark_group("decode_bybit_fixture");
    for name in [
        "ws_orderbook_snapshot.json",
        "ws_public_trade.json",
        "ws_ticker_linear.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&orderflow_plugin_bybit::common::load_fixture(name)).unwrap();
        let frame = v.to_string();
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("typed", name), &frame, |b, f| {
            b.iter(|| codec.on_frame(0, black_box(f), 1).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("serde_value", name), &frame, |b, f| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(f.as_bytes())).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_bybit);
criterion_main!(benches);
