#!/usr/bin/env bash
# MCP tools/call load, each server measured alone (the other is stopped), with two load
# generators: orderflow's own (`orderflow bench mcp`: closed loop, N clients, one keep-alive
# connection each) and wrk 4.1 (Debian; a generator orderflow did not write, benches/mcp/wrk_mcp.lua),
# both sending stateless 2026-07-28 requests of the same tool and arguments.
#   * peer: the official Python SDK's MCPServer (formerly FastMCP, PyPI mcp 2.3.0) with a tool of
#     the same name computed from an in-memory book (benches/mcp/fastmcp_peer.py), measured in
#     both of its response modes (one-event SSE, and stateless JSON) and compared in the faster;
#   * orderflow: release `demo` with its live emulated feed at RATE msgs/s per venue (the tool
#     answers from live state through the Binance plugin).
# Then the latency goal at the throughput goal: orderflow again, driven in an **open loop**
# (`orderflow bench mcp --rate`: the same clients start calls on a fixed schedule, latency
# measured from each call's scheduled start) at 10x the calls/s the peer reached under its own
# closed loop with the same generator.
# Sessions too: clients of the session-based 2025-11-25 revision (`bench mcp --session`:
# initialize, then calls with Mcp-Session-Id), against the peer in its stateful (SSE) mode and
# orderflow, own generator only (wrk's script is stateless).
# The open loop is confirmed with oha 1.16 (crates.io, built into .deps/oha on first use; a
# generator orderflow did not write) at the same rate, 64 connections, `--latency-correction`
# (latency from each request's scheduled start). oha judges answers by HTTP status only, so the
# run also reads the server's tool counter (`orderflow_tool_calls_total{outcome="ok"}`) before
# and after: every request oha counts as answered must be a tool call answered without error.
# VENUES limits the demo's feed (e.g. `binance`: the tool's own venue only), to measure the MCP
# path without the full nine-venue analytic load on the same two cores; default all.
# Writes benches/mcp/results.json (results-VENUES.json when VENUES is not all) and prints a
# table. Loopback only.
#
#   benches/mcp/run.sh [CONCURRENCY=64] [SECONDS=10] [RATE=200] [VENUES=all]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
conc="${1:-64}"
secs="${2:-10}"
rate="${3:-200}"
venues="${4:-all}"
venue_args=()
[ "$venues" != "all" ] && venue_args=(--venues "$venues")
./scripts/setup.sh >/dev/null
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing Debian wrk (the independent load generator of this benchmark)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi
cargo build --release --quiet --workspace --bins --lib
oha=".deps/oha/bin/oha"
if [ ! -x "$oha" ]; then
  echo "building oha 1.16.0 from crates.io into .deps/oha (the independent open-loop generator)"
  CARGO_TARGET_DIR="$HOME/.cache/oha-target" cargo install --quiet --locked oha --version 1.16.0 --root .deps/oha
fi
bin="$CARGO_TARGET_DIR/release/orderflow"
tmp="$(mktemp -d)"
server=""
stop() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; }
trap 'stop; rm -rf "$tmp"' EXIT
port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
export MCP_TOOL=binance_get_book_ticker MCP_ARGS='{"symbol":"BTCUSDT"}'

measure() {  # NAME URL: both generators against one server
  local name="$1" url="$2"
  "$bin" bench mcp --url "$url" --concurrency "$conc" --duration "$secs" --json "$tmp/$name.own.json" >/dev/null
  sleep 1
  wrk -t 2 -c "$conc" -d "${secs}s" --latency -s benches/mcp/wrk_mcp.lua "$url" \
    | grep '^{"generator"' > "$tmp/$name.wrk.json"
}

echo "== $(date -u +%FT%TZ), $(nproc) cores, $conc clients, ${secs}s per generator and server"
# The peer in both of its response modes (SSE, and stateless JSON); the faster is compared.
for mode in sse json; do
  port="$(port_of)"
  .deps/py/bin/python benches/mcp/fastmcp_peer.py "$port" "$mode" >"$tmp/peer-$mode.log" 2>&1 &
  server=$!
  sleep 5
  measure "peer-$mode" "http://127.0.0.1:$port/mcp"
  if [ "$mode" = sse ]; then
    sleep 1
    "$bin" bench mcp --url "http://127.0.0.1:$port/mcp" --session --concurrency "$conc" \
      --duration "$secs" --json "$tmp/peer.session.json" >/dev/null
  fi
  stop
done
best="$(python3 -c "import json; r={m: json.load(open('$tmp/peer-'+m+'.own.json'))['calls_per_sec'] for m in ('sse','json')}; print(max(r, key=r.get))")"
for f in own.json wrk.json; do cp "$tmp/peer-$best.$f" "$tmp/peer.$f"; done
port="$(port_of)"
"$bin" --plugins "$CARGO_TARGET_DIR/release" demo --http "127.0.0.1:$port" --data "$tmp/data" \
  --rate "$rate" "${venue_args[@]}" >"$tmp/orderflow.log" 2>&1 &
server=$!
sleep 20
measure orderflow "http://127.0.0.1:$port/mcp"
target="$(python3 -c "import json; print(round(10 * json.load(open('$tmp/peer.own.json'))['calls_per_sec']))")"
# Let the demo catch up after the closed-loop runs (storage writer, snapshots) before the open
# loop, which measures the steady state.
sleep 5
"$bin" bench mcp --url "http://127.0.0.1:$port/mcp" --concurrency "$conc" --duration "$secs" \
  --rate "$target" --json "$tmp/orderflow.open.json" >/dev/null
sleep 3
# The same open loop from oha, with the server's own count of answered tool calls around it.
ok_calls() {
  curl -s "http://127.0.0.1:$port/metrics" | python3 -c '
import sys
key = "orderflow_tool_calls_total{tool=\"" + sys.argv[1] + "\",outcome=\"ok\"}"
print(sum(float(l.rsplit(" ", 1)[1]) for l in sys.stdin if l.startswith(key)))' "$MCP_TOOL"
}
body="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$MCP_TOOL\",\"arguments\":$MCP_ARGS,\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{},\"io.modelcontextprotocol/clientInfo\":{\"name\":\"oha\",\"version\":\"1.16.0\"}}}}"
before="$(ok_calls)"
"$oha" --no-tui -z "${secs}s" -c "$conc" -q "$target" --latency-correction -m POST -T application/json \
  -H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2026-07-28" \
  -H "Mcp-Method: tools/call" -H "Mcp-Name: $MCP_TOOL" -d "$body" --output-format json \
  "http://127.0.0.1:$port/mcp" > "$tmp/orderflow.oha.json"
after="$(ok_calls)"
echo "{\"before\": $before, \"after\": $after}" > "$tmp/orderflow.oha-ok.json"
sleep 1
"$bin" bench mcp --url "http://127.0.0.1:$port/mcp" --session --concurrency "$conc" \
  --duration "$secs" --json "$tmp/orderflow.session.json" >/dev/null
stop
out=benches/mcp/results.json
[ "$venues" != "all" ] && out="benches/mcp/results-${venues//,/-}.json"
python3 - "$tmp" "$conc" "$secs" "$rate" "$venues" "$best" > "$out" <<'PY'
import json, sys, os, platform, datetime
tmp, conc, secs, rate, venues, best = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
def oha_summary(tmp, target):
    o = json.load(open(f"{tmp}/orderflow.oha.json"))
    ok = json.load(open(f"{tmp}/orderflow.oha-ok.json"))
    codes = o.get("statusCodeDistribution", {})
    answered = int(codes.get("200", 0))
    pct = o["latencyPercentiles"]
    return {"generator": "oha 1.16.0 --latency-correction", "target_rate": target,
            "calls_per_sec": o["summary"]["requestsPerSec"], "success_rate": o["summary"]["successRate"],
            "status_codes": codes, "errors": o.get("errorDistribution", {}),
            "p50_us": round(pct["p50"] * 1e6), "p90_us": round(pct["p90"] * 1e6),
            "p99_us": round(pct["p99"] * 1e6), "max_us": round(o["summary"]["slowest"] * 1e6),
            "bytes_per_answer": o["summary"]["sizePerRequest"],
            # The server's count of tool calls answered without error during the run: it must
            # cover every HTTP 200 oha counted (it may be higher: requests cut by oha's deadline).
            "server_ok_tool_calls": round(ok["after"] - ok["before"]), "http_200": answered}

r = {}
for server in ("peer-sse", "peer-json", "peer", "orderflow"):
    own = json.load(open(f"{tmp}/{server}.own.json"))
    wrk = json.loads(open(f"{tmp}/{server}.wrk.json").read())
    r[server] = {"orderflow_bench_mcp": {k: own[k] for k in ("calls_per_sec", "errors", "p50_us", "p90_us", "p99_us", "max_us") if k in own},
                 "wrk": wrk}
out = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": f"{os.cpu_count()} cores, {platform.machine()}",
    "concurrency": conc, "seconds": secs, "orderflow_demo_rate_per_venue": rate,
    "orderflow_demo_venues": venues,
    "tool": "binance_get_book_ticker",
    "peer_mode_compared": best,
    "servers": r,
    "throughput_ratio": {g: round(r["orderflow"][g]["calls_per_sec"] / r["peer"][g]["calls_per_sec"], 2)
                         for g in ("orderflow_bench_mcp", "wrk")},
    "orderflow_open_loop_at_10x_peer": {k: v for k, v in json.load(open(f"{tmp}/orderflow.open.json")).items()
                                        if k != "url"},
    "orderflow_open_loop_at_10x_peer_oha": oha_summary(tmp, json.load(open(f"{tmp}/orderflow.open.json"))["target_rate"]),
    # Session-based 2025-11-25 clients, own generator: the peer in its stateful mode.
    "sessions": {s: {k: v for k, v in json.load(open(f"{tmp}/{s}.session.json")).items()
                     if k in ("calls_per_sec", "errors", "p50_us", "p90_us", "p99_us", "max_us")}
                 for s in ("peer", "orderflow")},
}
out["sessions"]["ratio"] = round(out["sessions"]["orderflow"]["calls_per_sec"]
                                 / out["sessions"]["peer"]["calls_per_sec"], 2)
print(json.dumps(out, indent=1))
PY
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{'server':<10} {'generator':<20} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for s, gens in ((k, v) for k, v in d["servers"].items() if k != "peer"):
    for g, m in gens.items():
        print(f"{s:<10} {g:<20} {m['calls_per_sec']:>9.0f} {m['p50_us']/1e3:>8.2f} {m['p99_us']/1e3:>8.2f} {m['max_us']/1e3:>8.2f}")
print(f"throughput ratio orderflow / MCPServer ({d['peer_mode_compared']} mode, the peer's faster):", d["throughput_ratio"])
o = d["orderflow_open_loop_at_10x_peer"]
print(f"orderflow, open loop at {o['target_rate']:.0f} calls/s (10x the peer): {o['calls_per_sec']:.0f} calls/s, "
      f"p50 {o['p50_us']/1e3:.2f} ms, p99 {o['p99_us']/1e3:.2f} ms, max {o['max_us']/1e3:.2f} ms, "
      f"{o['late_starts']} late starts, {o['errors']} errors")
h = d["orderflow_open_loop_at_10x_peer_oha"]
print(f"  the same from oha: {h['calls_per_sec']:.0f} calls/s, p50 {h['p50_us']/1e3:.2f} ms, p99 {h['p99_us']/1e3:.2f} ms, "
      f"max {h['max_us']/1e3:.2f} ms; {h['http_200']} answers 200, {h['server_ok_tool_calls']} tool calls answered without error by the server's count"
      + ("" if h['server_ok_tool_calls'] >= h['http_200'] else "  <- FEWER: some 200s were not good answers"))
s = d["sessions"]
print(f"sessions (2025-11-25, own generator): orderflow {s['orderflow']['calls_per_sec']:.0f} calls/s "
      f"(p99 {s['orderflow']['p99_us']/1e3:.2f} ms), MCPServer {s['peer']['calls_per_sec']:.0f} calls/s "
      f"(p99 {s['peer']['p99_us']/1e3:.2f} ms): {s['ratio']}x")
PY
