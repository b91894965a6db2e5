#!/usr/bin/env bash
# MCP tools/call load, side by side in one run: orderflow (release build, `demo` with its live
# emulated feed) and the official Python SDK's MCPServer (formerly FastMCP) serving one
# equivalent in-memory tool. Same load generator (`orderflow bench mcp`: closed loop, N clients,
# stateless 2026-07-28 requests), same tool name and arguments. Everything on loopback.
#
#   benches/mcp/run.sh [CONCURRENCY] [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
conc="${1:-64}"
secs="${2:-10}"
./scripts/setup.sh >/dev/null
cargo build --release --quiet -p orderflow-node -p orderflow-plugin-binance
bin="$CARGO_TARGET_DIR/release/orderflow"
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
of_port="$(port_of)"
py_port="$(port_of)"
"$bin" --plugins "$CARGO_TARGET_DIR/release" demo --http "127.0.0.1:$of_port" --data "$tmp/data" \
  >"$tmp/orderflow.log" 2>&1 &
pids+=($!)
.deps/py/bin/python benches/mcp/fastmcp_peer.py "$py_port" >"$tmp/peer.log" 2>&1 &
pids+=($!)
sleep 6

echo "== $(date -u +%FT%TZ), $(nproc) cores, $conc clients, ${secs}s each"
"$bin" bench mcp --url "http://127.0.0.1:$py_port/mcp" --concurrency "$conc" --duration "$secs" --json "$tmp/peer.json"
"$bin" bench mcp --url "http://127.0.0.1:$of_port/mcp" --concurrency "$conc" --duration "$secs" --json "$tmp/of.json"
python3 - "$tmp/peer.json" "$tmp/of.json" <<'PY'
import json, sys
peer, of = (json.load(open(p)) for p in sys.argv[1:3])
print(f"throughput ratio orderflow / MCPServer(FastMCP): {of['calls_per_sec'] / peer['calls_per_sec']:.1f}x; "
      f"p99 {of['p99_us'] / 1000:.2f} ms vs {peer['p99_us'] / 1000:.2f} ms")
PY
