//! OKX decode throughput: the real payloads in `plugins/okx/test_data/` through the codec,
//! side by side with a plain `serde_json::from_slice::<serde_json::Value>` of the same bytes.
//! (A separate bench binary: each plugin rlib exports the abi_stable root-module symbol, so two
//! plugins cannot link into one executable.)
//!
//! Run with: `cargo bench -p orderflow-benches --bench decode_okx`

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orderflow_tool_sdk::InstrumentMapping;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use std::hint::black_box;

/// OKX: the real payloads through the codec in decode-only mode (books without the sync state,
/// sizes in contracts), beside the generic parse of the same bytes.
fn bench_okx(c: &mut Criterion) {
    use orderflow_plugin_okx::codec::OkxCodec;
    use orderflow_tool_sdk::CodecConfig;
    let cfg = CodecConfig {
        venue: "okx".into(),
        instruments: ["BTC-USD", "BTC-USDT", "BTC-USDT-SWAP"]
            .iter()
            .map(|v| InstrumentMapping {
                symbol: v.replace('-', ""),
                venue_symbol: (*v).into(),
            })
            .collect(),
        decode_only: false,
        options: Default::default(),
    };
    let mut codec = OkxCodec::new(cfg).unwrap().without_book_sync();
    let mut g = c.benchmark_group("decode_okx_fixture");
    for name in [
        "ws_trades.json",
        "ws_books_snapshot.json",
        "ws_funding_rate.json",
        "ws_tickers.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&orderflow_plugin_okx::common::load_fixture(name)).unwrap();
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

criterion_group!(benches, bench_okx);
criterion_main!(benches);
