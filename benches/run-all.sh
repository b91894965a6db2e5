#!/usr/bin/env bash
# Reruns every benchmark on this machine and rewrites benches/SUMMARY.md: one table with the
# date, the machine and the headline figure of each (medians; each script's own JSON under
# benches/ keeps the detail). Loopback only. Takes about 30 minutes on 2 cores (plus the soak
# when asked for).
#
#   benches/run-all.sh [--soak MINUTES] [--quick]
#     --soak M   also run the soak (benches/soak/run.sh M) and include it
#     --quick    shorter runs (criterion --quick, 5 s latency steps, 1,000-point forecasts)
#     --summary-only  rewrite benches/SUMMARY.md from the results already there (each row says
#                when its figure was measured)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
soak=""; quick=""; only=""; soak_json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --summary-only) only=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
./scripts/setup.sh >/dev/null
cargo build --release --quiet --workspace --bins --lib
bin="$CARGO_TARGET_DIR/release/orderflow"
res="$root/benches/results"
mkdir -p "$res"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
started="$(date -u +%FT%TZ)"
log() { echo "== $(date -u +%T) $*"; }
if [ -z "$only" ]; then

log "criterion (decode per venue, engine)"
crit_args=(); [ -n "$quick" ] && crit_args=(-- --quick)
cargo bench --quiet -p orderflow-benches "${crit_args[@]}" > "$tmp/criterion.log" 2>&1 || { cat "$tmp/criterion.log"; exit 1; }
python3 - "$CARGO_TARGET_DIR/criterion" > "$res/criterion.json" <<'PY'
import json, os, sys
out = {}
for dirpath, _, files in os.walk(sys.argv[1]):
    if dirpath.endswith(os.sep + "new") and "estimates.json" in files:
        name = os.path.relpath(os.path.dirname(dirpath), sys.argv[1])
        est = json.load(open(os.path.join(dirpath, "estimates.json")))
        bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
        tp = bench.get("throughput") or {}
        out[name] = {"median_ns": est["median"]["point_estimate"], "throughput": tp}
print(json.dumps(out, indent=1, sort_keys=True))
PY

step=10; [ -n "$quick" ] && step=5
log "latency harness: Binance ramp, then all venues at 20,000 msgs/s"
"$bin" bench latency --ramp --rate 20000 --duration "$step" --json "$res/latency-ramp.json" > "$tmp/ramp.log" 2>&1
"$bin" bench latency --venues all --rate 20000 --duration "$step" --json "$res/latency-all-venues.json" > "$tmp/all.log" 2>&1

log "replay throughput (a 15 s recording of the nine-venue demo)"
"$bin" --plugins "$CARGO_TARGET_DIR/release" demo --rate 2000 --duration 15 --http 127.0.0.1:0 \
  --data "$tmp/rec-data" --record "$tmp/rec" > "$tmp/rec.log" 2>&1
"$bin" --plugins "$CARGO_TARGET_DIR/release" replay "$tmp/rec" --json "$res/replay.json" > "$tmp/replay.log" 2>&1

log "cluster: one recording replayed by 1×1, 1×2, 2×1, 2×2 (processes × workers)"
if [ -n "$quick" ]; then benches/cluster/run.sh 10 1000 1 > "$tmp/cluster.log" 2>&1; else benches/cluster/run.sh 20 2000 2 > "$tmp/cluster.log" 2>&1; fi

log "MCP under 64 clients (each server alone; two load generators)"
benches/mcp/run.sh 64 10 > "$tmp/mcp.log" 2>&1
benches/mcp/run.sh 64 10 200 binance > "$tmp/mcp-binance.log" 2>&1
log "forecasting vs statsforecast"
if [ -n "$quick" ]; then benches/forecast/run.sh 1000 2 > "$tmp/forecast.log" 2>&1; else benches/forecast/run.sh 3000 3 > "$tmp/forecast.log" 2>&1; fi
log "dashboard (page weight, first chart, CPU of 10 dashboards)"
benches/dashboard/run.sh > "$tmp/dashboard.log" 2>&1
soak_json=""
if [ -n "$soak" ]; then
  log "soak, $soak minutes"
  benches/soak/run.sh "$soak" > "$tmp/soak.log"
  soak_json="$(ls -t benches/soak/*-"${soak}"min.json | head -1)"
fi

fi
log "summary"
python3 - "$res" "$started" "$soak_json" > benches/SUMMARY.md <<'PY'
import json, os, platform, sys, subprocess
res, started, soak = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda p: json.load(open(p))
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = int(open("/proc/meminfo").readline().split()[1]) / 2**20
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
rows = []
def row(area, what, value, detail=""):
    rows.append(f"| {area} | {what} | {value} | {detail} |")

crit = load(f"{res}/criterion.json")
for name, c in sorted(crit.items()):
    tp = c["throughput"]
    per = ""
    if "Elements" in tp:
        per = f"{tp['Elements'] / (c['median_ns'] / 1e9):,.0f} elements/s"
    elif "Bytes" in tp:
        per = f"{tp['Bytes'] / (c['median_ns'] / 1e9) / 2**20:,.0f} MiB/s"
    row("criterion", name, f"{c['median_ns'] / 1e3:,.1f} µs median", per)
ramp = load(f"{res}/latency-ramp.json")
held = [r for r in ramp if r["p99_us"] <= 5000]
first = ramp[0]
row("latency harness", "Binance, target 20,000 changes/s", f"p50 {first['p50_us']:,.0f} µs, p99 {first['p99_us']:,.0f} µs", f"{first['frames_per_sec']:,.0f} frames/s")
if held:
    best = max(held, key=lambda r: r["frames_per_sec"])
    row("latency harness", "Binance, max sustained (p99 ≤ 5 ms)", f"{best['frames_per_sec']:,.0f} frames/s", f"p99 {best['p99_us']:,.0f} µs")
allv = load(f"{res}/latency-all-venues.json")[0]
row("latency harness", f"all {len(allv['venues'])} venues, 20,000 changes/s in total", f"p50 {allv['p50_us']:,.0f} µs, p99 {allv['p99_us']:,.0f} µs", f"{allv['frames_per_sec']:,.0f} frames/s")
rep = load(f"{res}/replay.json")
row("replay", "nine-venue recording, one worker, no storage", f"{rep['frames_per_sec']:,.0f} frames/s", f"{rep['frames']:,} frames")
cl = load("benches/cluster/results.json")
for shape, m in cl["medians"].items():
    if not shape.startswith("1x1"):
        row("cluster replay", f"{shape} (processes × workers)", f"{m['frames_per_s']:,} frames/s ({m['vs_1x1']}× of 1×1)", f"{cl['recording_s']:.0f} s recording, {cl['rounds']} rounds; measured {cl['date']}")
mcp = load("benches/mcp/results.json")
for g in ("orderflow_bench_mcp", "wrk"):
    o, p = mcp["servers"]["orderflow"][g], mcp["servers"]["peer"][g]
    row("MCP tools/call, 64 clients", f"orderflow vs Python MCPServer ({g.replace('_', ' ')})",
        f"{o['calls_per_sec']:,.0f} vs {p['calls_per_sec']:,.0f} calls/s ({mcp['throughput_ratio'][g]}×)",
        f"p99 {o['p99_us'] / 1e3:.2f} ms vs {p['p99_us'] / 1e3:.2f} ms; measured {mcp['date']}")
for f, feed in (("results.json", "all nine venues"), ("results-binance.json", "the tool's venue (Binance) only")):
    m = load(f"benches/mcp/{f}")
    ol = m["orderflow_open_loop_at_10x_peer"]
    row("MCP tools/call, 64 clients, open loop", f"orderflow at 10× the peer's calls/s, demo feed: {feed}",
        f"p99 {ol['p99_us'] / 1e3:.2f} ms at {ol['calls_per_sec']:,.0f} calls/s", f"p50 {ol['p50_us'] / 1e3:.2f} ms, {ol['late_starts']:,} late starts; measured {m['date']}")
    oh = m.get("orderflow_open_loop_at_10x_peer_oha")
    if oh:
        row("MCP tools/call, 64 clients, open loop (oha)", f"the same rate from oha 1.16 (--latency-correction), demo feed: {feed}",
            f"p99 {oh['p99_us'] / 1e3:.2f} ms at {oh['calls_per_sec']:,.0f} calls/s",
            f"p50 {oh['p50_us'] / 1e3:.2f} ms; {oh['http_200']:,} answers 200, {oh['server_ok_tool_calls']:,} answered tool calls by the server's count; measured {m['date']}")
    if "sessions" in m:
        se = m["sessions"]
        row("MCP tools/call, 64 clients, sessions (2025-11-25)", f"orderflow vs Python MCPServer (stateful), demo feed: {feed}",
            f"{se['orderflow']['calls_per_sec']:,.0f} vs {se['peer']['calls_per_sec']:,.0f} calls/s ({se['ratio']}×)",
            f"p99 {se['orderflow']['p99_us'] / 1e3:.2f} ms vs {se['peer']['p99_us'] / 1e3:.2f} ms; measured {m['date']}")
fc = load("benches/forecast/results.json")
by = {(r["model"], r["h"]): r for r in fc["statsforecast"]}
for r in fc["orderflow"]:
    s = by.get((r["model"], r["h"]))
    if s:
        row("forecast (BTC 1h bars)", f"{r['model']} h={r['h']}", f"{r['ms_median']:.2f} ms vs {s['ms_median']:.2f} ms ({s['ms_median'] / max(r['ms_median'], 1e-9):.1f}× speed-up)", f"MASE {r['mase']:.4f} vs {s['mase']:.4f}; measured {fc['date']}")
d = load("benches/dashboard/results.json")
row("dashboard", "page weight (compressed)", f"{d['page_weight_total_bytes'] / 1024:,.0f} KiB", ", ".join(f"{k} {v / 1024:,.1f} KiB" for k, v in d["page_weight_bytes"].items()))
row("dashboard", "time to first chart", f"{d['first_chart_ms']} ms", f"sign-in included; measured {d['date']}")
for view, v in d["server_cpu_10_dashboards"].items():
    row("dashboard", f"server CPU of 10 open dashboards on #/{view}", f"{v['cost_10_dashboards_pct_of_a_core']:+.1f} % of one core", f"medians {v['median_without_pct']} % → {v['median_with_10_pct']} % (demo at {d['demo_rate_per_venue']}/s per venue)")
if soak:
    s = load(soak)
    row("soak", f"{s['minutes']:.0f} min at {s['target_total_rate']:,.0f} msgs/s", f"RSS slope {s['rss_slope_mb_per_min_after_warmup']} MB/min after warm-up", f"RSS {s['rss_mb_first_after_warmup']} → {s['rss_mb_last']} MB, DB {s['db_mb_last']} MB")
print(f"""# Benchmark summary

Rewritten by `benches/run-all.sh` — do not edit by hand. Written {started}, commit `{commit}`,
{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, release build, everything on loopback on this one
machine (load generators and emulators share its cores). Methods and history: benches/README.md.

| area | benchmark | result | detail |
|---|---|---|---|
""" + "\n".join(rows))
PY
cat benches/SUMMARY.md
