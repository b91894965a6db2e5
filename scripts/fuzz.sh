#!/usr/bin/env bash
# Runs every cargo-fuzz target (one per venue codec: WebSocket frames and REST answers) for
# SECONDS each (default 10: the smoke run of the test command; benches/README.md records long
# runs). Seeds: the plugin's real payloads in plugins/<venue>/test_data. The corpus grows in
# $CARGO_TARGET_DIR/fuzz-corpus; a crash stops the run (exit 1) and leaves its input in
# fuzz/artifacts/<target>/ — turn it into a regression test in the plugin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
secs="${1:-10}"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "fuzz: cargo-fuzz missing: run ./scripts/setup.sh" >&2; exit 1; }
cargo +nightly fuzz build --target-dir "$CARGO_TARGET_DIR/fuzz"
for target in binance bybit okx kraken gateio hyperliquid deribit; do
  corpus="$CARGO_TARGET_DIR/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run --target-dir "$CARGO_TARGET_DIR/fuzz" "$target" "$corpus" "plugins/$target/test_data" \
      -- -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $target FAILED (input in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  stats="$(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 || true)"
  echo "fuzz: $target ok in ${secs}s: ${stats:-no stats}"
  rm -f "$log"
done
