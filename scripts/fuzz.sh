#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 10: the smoke run of the test command;
# benches/README.md records long runs): one per venue plugin (WebSocket frames and REST answers
# through its codec; inputs starting 0xFF: its tools with arguments generated from their
# schemas), `sql_guard` (query_history's guard and limits on a live-settings database) and
# `http_guard` (Host/Origin/bearer and JSON body checks). Seeds: the plugin's real payloads in
# plugins/<venue>/test_data and fuzz/seeds/<target>. Optional TARGETS limit the run. The corpus grows in
# $CARGO_TARGET_DIR/fuzz-corpus; a crash stops the run (exit 1) and leaves its input in
# fuzz/artifacts/<target>/ — turn it into a regression test in the plugin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
secs="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(binance bybit okx kraken gateio hyperliquid deribit sql_guard http_guard)
# libduckdb.so (scripts/setup.sh) for sql_guard: the fuzz binaries carry no rpath to it.
export LD_LIBRARY_PATH="$PWD/.deps/duckdb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "fuzz: cargo-fuzz missing: run ./scripts/setup.sh" >&2; exit 1; }
# One fuzz build dir per checkout: the fuzz crate is its own workspace with path dependencies
# on the plugins, and two checkouts sharing one dir (CI's clone and a working copy) left a
# plugin built from the other checkout's sources against this one's SDK ("multiple different
# versions of crate `orderflow_tool_sdk`").
fuzz_dir="$CARGO_TARGET_DIR/fuzz-$(pwd -P | cksum | cut -d' ' -f1)"
cargo +nightly fuzz build --target-dir "$fuzz_dir"
for target in "${targets[@]}"; do
  seeds=()
  [ -d "plugins/$target/test_data" ] && seeds+=("plugins/$target/test_data") && seeds+=(fuzz/seeds/tools)
  [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
  corpus="$CARGO_TARGET_DIR/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run --target-dir "$fuzz_dir" "$target" "$corpus" "${seeds[@]}" \
      -- -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $target FAILED (input in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  stats="$(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 || true)"
  echo "fuzz: $target ok in ${secs}s: ${stats:-no stats}"
  rm -f "$log"
done
