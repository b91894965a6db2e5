//! Engine throughput on one worker: normalized events → ingress → differential graph → feature
//! store, in batches, until the probe has passed each batch (every feature reflects it).
//! Also the whole in-process path from raw frames: codec decode + boundary conversion + engine.
//!
//! Inputs: 5 s of deterministic emulator frames (3 instruments, one diff per book change).
//!
//! Run with: `cargo bench -p orderflow-benches --bench engine`

#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orderflow_dataflow::{Command, Engine, EngineConfig};
use orderflow_model::{Event, InstrumentId};
use orderflow_plugin_binance::codec::FuturesCodec;
use orderflow_plugin_host::convert::convert;
use orderflow_tool_sdk::CodecConfig;
#[allow(unused_imports)]
use orderflow_tool_sdk::{Codec, Emulator};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn codec() -> FuturesCodec {
    let cfg = CodecConfig {
        venue: "binance".into(),
        instruments: support::mappings(),
        decode_only: true,
        options: serde_json::json!({"depth_speed": "0ms", "open_interest_poll_ms": 0})
            .as_object()
            .cloned()
            .unwrap(),
    };
    FuturesCodec::new(cfg).unwrap()
}

fn decode_all(frames: &[String], base_ns: u64) -> Vec<Event> {
    let ids: Vec<InstrumentId> = (0..3).map(InstrumentId).collect();
    let mut c = codec();
    let mut out = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let o = c.on_frame(0, f, base_ns + i as u64 * 1_000).unwrap();
        out.extend(o.events.iter().map(|e| convert(e, &ids).unwrap()));
    }
    out
}

fn feed(engine: &Engine, events: Vec<Event>, batch: usize) {
    let tx = engine.sender();
    for chunk in events.chunks(batch) {
        tx.send(Command::Events(Arc::new(chunk.to_vec()))).unwrap();
    }
    engine.barrier().unwrap();
}

fn bench_engine(c: &mut Criterion) {
    let frames = support::emulator_frames(5, 20_000.0);
    let events = decode_all(&frames, support::NS);
    let mut g = c.benchmark_group("engine_one_worker");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for batch in [1_000usize, 10_000] {
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function(BenchmarkId::new("events", batch), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let engine = Engine::start(
                        EngineConfig {
                            workers: 1,
                            snapshot_interval_ns: 0,
                            max_batch: batch,
                            ..EngineConfig::default()
                        },
                        None,
                    )
                    .unwrap();
                    // Shift times so each iteration is a fresh, increasing stream.
                    let evs: Vec<Event> = events
                        .iter()
                        .cloned()
                        .map(|mut e| {
                            e.ts_recv += i * 100 * support::NS;
                            e
                        })
                        .collect();
                    let t = Instant::now();
                    feed(&engine, evs, batch);
                    total += t.elapsed();
                    engine.shutdown().unwrap();
                }
                total
            })
        });
    }
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function(
        BenchmarkId::new("frames_decode_convert_engine", 1_000),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let engine = Engine::start(
                        EngineConfig {
                            workers: 1,
                            snapshot_interval_ns: 0,
                            max_batch: 1_000,
                            ..EngineConfig::default()
                        },
                        None,
                    )
                    .unwrap();
                    let t = Instant::now();
                    let evs = decode_all(&frames, support::NS + i * 100 * support::NS);
                    feed(&engine, evs, 1_000);
                    total += t.elapsed();
                    engine.shutdown().unwrap();
                }
                total
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
