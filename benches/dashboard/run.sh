#!/usr/bin/env bash
# Dashboard cost and weight on the release demo (loopback only):
#   * page weight and time to first chart: tests/dashboard/check.mjs against the running demo
#     (its screenshots of the overview, signal and cross-exchange pages are copied to
#     docs/screenshots/ for the README),
#   * the server's CPU cost of 10 open dashboards: the demo's CPU time (utime+stime of the
#     process) per WINDOW_S window, alternating ROUNDS times without and with the 10 live streams
#     that 10 dashboards on each VIEW hold; medians compared.
#   benches/dashboard/run.sh [WINDOW_S=20] [VIEWS="overview features"] [RATE=100 per venue] [ROUNDS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
export ORDERFLOW_WEB_MODULES="$root/.deps/web/node_modules"
measure="${1:-20}"
views="${2:-overview features}"
rate="${3:-100}"
rounds="${4:-3}"
./scripts/setup.sh >/dev/null
cargo build --release --quiet -p orderflow-node
bin="$CARGO_TARGET_DIR/release/orderflow"
tmp="$(mktemp -d)"
token="bench-$RANDOM$RANDOM"
ORDERFLOW_AUTH_TOKEN="$token" "$bin" --plugins "$CARGO_TARGET_DIR/release" demo --http 127.0.0.1:0 \
  --data "$tmp/data" --rate "$rate" > "$tmp/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 60); do
  base="$(grep -o 'on loopback) — http://127.0.0.1:[0-9]*' "$tmp/demo.log" | grep -o 'http://.*' | head -1 || true)"
  [ -n "$base" ] && break
  sleep 1
done
[ -n "$base" ] || { echo "the demo did not start" >&2; cat "$tmp/demo.log" >&2; exit 1; }
echo "== $(date -u +%FT%TZ), $(nproc) cores, demo at $base ($rate msgs/s per venue)"
sleep 45  # windows fill, every venue connected
cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$demo/stat"; }
window() {  # CPU seconds of the demo over $measure seconds
  local a b
  a="$(cpu_s)"; sleep "$measure"; b="$(cpu_s)"
  python3 -c "print(round(($b - $a) / $measure * 100, 1))"
}
out="$root/benches/dashboard"
node tests/dashboard/check.mjs "$base" "$tmp/screenshots" "$token" > "$tmp/check.json"
mkdir -p "$root/docs/screenshots"
cp "$tmp/screenshots/overview.png" "$tmp/screenshots/signals.png" "$tmp/screenshots/cross.png" "$root/docs/screenshots/"
# The server's cost of 10 open dashboards = the cost of their 10 live streams (a page load is a
# one-off of ~350 KB of static files). The streams are held by curl, exactly as the pages request
# them, so no browser competes for the cores; rounds alternate without / with streams and the
# medians are compared (the demo's own load varies from minute to minute).
topics_of() { case "$1" in
  overview|settings) echo "status" ;; features) echo "status,features_all" ;;
  signals) echo "status,signals" ;; cross) echo "status,cross" ;; book) echo "status,book,features" ;;
  streaming) echo "status,latency" ;; *) echo "status,features" ;; esac; }
results="{"
for view in $views; do
  topics="$(topics_of "$view")"
  without=(); with=()
  for round in $(seq 1 "$rounds"); do
    without+=("$(window)")
    pids=()
    for i in $(seq 1 10); do
      curl -sN -H "Authorization: Bearer $token" "$base/live?symbol=BTCUSDT&venue=binance&topics=$topics" > "$tmp/stream.$i" &
      pids+=($!)
    done
    sleep 2
    with+=("$(window)")
    kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true
  done
  bytes="$(cat "$tmp"/stream.* | wc -c)"
  echo "#/$view ($topics): without ${without[*]} %, with 10 streams ${with[*]} %"
  results="$results\"$view\": {\"topics\": \"$topics\", \"without\": [$(IFS=,; echo "${without[*]}")], \"with_10\": [$(IFS=,; echo "${with[*]}")], \"stream_bytes_last_round\": $bytes},"
done
results="${results%,}}"
python3 - "$tmp/check.json" "$results" "$measure" "$rate" > "$out/results.json" <<'PY'
import json, sys, platform, os, datetime, statistics
check = json.load(open(sys.argv[1]))
views = json.loads(sys.argv[2])
measure, rate = int(sys.argv[3]), int(sys.argv[4])
for v in views.values():
    v["median_without_pct"] = statistics.median(v["without"])
    v["median_with_10_pct"] = statistics.median(v["with_10"])
    v["cost_10_dashboards_pct_of_a_core"] = round(v["median_with_10_pct"] - v["median_without_pct"], 1)
print(json.dumps({
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": f"{os.cpu_count()} cores, {platform.machine()}",
    "demo_rate_per_venue": rate,
    "page_weight_bytes": check["weight"], "page_weight_total_bytes": check["weight_total"],
    "first_chart_ms": check["first_chart_ms"],
    "pages_ok": sum(1 for p in check["pages"].values() if p.get("ok")), "problems": check["problems"],
    "window_s": measure, "server_cpu_10_dashboards": views,
}, indent=1))
PY
cat "$out/results.json"
