//! Criterion benchmarks live under `benches/` as explicit `[[bench]]` targets.
