#!/usr/bin/env bash
# Set-up, release build, then `orderflow demo` (emulated venues on loopback; Ctrl-C stops and
# flushes). Extra arguments go to `orderflow demo`, e.g. `--http 127.0.0.1:8000 --data ./data`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
./scripts/setup.sh
cargo build --release --workspace --bins --lib
exec "$CARGO_TARGET_DIR/release/orderflow" demo "$@"
