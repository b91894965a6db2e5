#!/usr/bin/env bash
# Soak: `orderflow demo` (release build, storage on) for MINUTES at TOTAL msgs/s over all demo
# venues, with an HTTP client (tools, features, query_history) and an MCP client (2025-11-25
# sessions, tools/call) calling meanwhile; one sample per minute into benches/soak/<date>.csv,
# plotted with matplotlib (pinned, installed here into .deps/bench-soak) into <date>.png, and a
# summary <date>.json (RSS slope after warm-up against the database's growth). Loopback only.
#
#   benches/soak/run.sh [MINUTES=60] [TOTAL_RATE=20000] [SAMPLE_S=60]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
minutes="${1:-60}"
rate="${2:-20000}"
sample="${3:-60}"
MPL="matplotlib==3.9.2"
venv="$root/.deps/bench-soak"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pkg" 2>/dev/null)" != "$MPL" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$MPL"
  echo "$MPL" > "$venv/.pkg"
fi
./scripts/setup.sh >/dev/null
cargo build --release --quiet --workspace --bins --lib
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$root/benches/soak/$(date -u +%Y-%m-%d)-${minutes}min"
echo "== $(date -u +%FT%TZ), $(nproc) cores, ${minutes} min at ${rate} msgs/s; output $out.{csv,png,json}"
"$venv/bin/python" benches/soak/soak.py --bin "$CARGO_TARGET_DIR/release/orderflow" \
  --plugins "$CARGO_TARGET_DIR/release" --minutes "$minutes" --total-rate "$rate" \
  --sample-s "$sample" --warmup-min "$(python3 -c "print(min(10, $minutes / 4))")" \
  --data "$tmp/data" --out "$out"
