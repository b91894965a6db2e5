//! Hyperliquid decode throughput: the payloads in `plugins/hyperliquid/test_data/` through the codec in
//! decode-only mode, side by side with a plain `serde_json::from_slice::<serde_json::Value>` of
//! the same bytes. (One bench binary per plugin: each plugin rlib exports the abi_stable
//! root-module symbol.)
//!
//! Run with: `cargo bench -p orderflow-benches --bench decode_hyperliquid`

#![allow(missing_docs, clippy::unwrap_used, clippy::single_element_loop)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, CodecConfig, InstrumentMapping};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    use orderflow_plugin_hyperliquid::codec::HyperliquidCodec;
    #[allow(unused_mut)]
    let mut cfg = CodecConfig::new(
        "hyperliquid",
        ["BTC", "ETH"]
            .iter()
            .map(|v| InstrumentMapping {
                symbol: format!("{v}-sym"),
                venue_symbol: (*v).into(),
            })
            .collect(),
    );
    cfg.decode_only = true;
    let mut codec = HyperliquidCodec::new(cfg).unwrap();
    let mut g = c.benchmark_group("decode_hyperliquid_fixture");
    for name in ["ws_l2_book.json"] {
        let v: serde_json::Value =
            serde_json::from_str(&orderflow_plugin_hyperliquid::common::load_fixture(name))
                .unwrap();
        // The capture is the `data` of an `l2Book` message: framed as the WebSocket sends it.
        let frame = format!(r#"{{"channel":"l2Book","data":{v}}}"#);
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

criterion_group!(benches, bench);
criterion_main!(benches);
