//! Gate.io decode throughput: the payloads in `plugins/gateio/test_data/` through the codec in
//! decode-only mode, side by side with a plain `serde_json::from_slice::<serde_json::Value>` of
//! the same bytes. (One bench binary per plugin: each plugin rlib exports the abi_stable
//! root-module symbol.)
//!
//! Run with: `cargo bench -p orderflow-benches --bench decode_gateio`

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, CodecConfig, InstrumentMapping};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    use orderflow_plugin_gateio::codec::GateioCodec;
    #[allow(unused_mut)]
    let mut cfg = CodecConfig::new(
        "gateio",
        ["BTC_USD", "BTC_USDT"]
            .iter()
            .map(|v| InstrumentMapping {
                symbol: format!("{v}-sym"),
                venue_symbol: (*v).into(),
            })
            .collect(),
    );
    cfg.decode_only = true;
    // Contract sizes known up front (the live codec fetches them first).
    let q: serde_json::Map<String, serde_json::Value> = ["BTC_USD", "BTC_USDT"]
        .iter()
        .map(|c| ((*c).to_owned(), serde_json::json!("0.0001")))
        .collect();
    cfg.options
        .insert("quanto_multipliers".into(), serde_json::Value::Object(q));
    let mut codec = GateioCodec::new(cfg).unwrap();
    let mut g = c.benchmark_group("decode_gateio_fixture");
    for name in [
        "ws_order_book_update.json",
        "ws_trades.json",
        "ws_tickers.json",
        "ws_public_liquidates.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&orderflow_plugin_gateio::common::load_fixture(name)).unwrap();
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

criterion_group!(benches, bench);
criterion_main!(benches);
