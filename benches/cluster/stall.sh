#!/usr/bin/env bash
# Tries to reproduce the rare cluster stall (docs/cluster.md, "Known issue"): two 2-process x
# 2-worker replays of one short demo recording at once, ROUNDS times, starved of CPU (HOGS busy
# loops at normal priority, the replays in an autogroup at nice 19), with the cluster's grid cuts
# and book-part exchanges logged (RUST_LOG target orderflow::cluster). A round that runs past
# LIMIT seconds is reported as stuck and its logs kept in WORK/stuck-<round>-{a,b}.err; attach
# gdb to its processes before they are killed to see where each worker waits. Loopback only.
#
#   benches/cluster/stall.sh [ROUNDS=6] [HOGS=1] [LIMIT=300] [PROFILE=debug]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
rounds="${1:-6}"
hogs="${2:-1}"
limit="${3:-300}"
profile="${4:-debug}"
bin="$CARGO_TARGET_DIR/$profile/orderflow"
export LD_LIBRARY_PATH="$root/.deps/duckdb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
work="$(mktemp -d)"
echo "== $(date -u +%FT%TZ), $(nproc) cores, $rounds rounds, $hogs hogs; work $work"
"$bin" --plugins "$CARGO_TARGET_DIR/$profile" record --demo --duration 4 --out "$work/rec" \
  > "$work/rec.log" 2>&1 || { echo "recording failed: $work/rec.log"; exit 1; }
pids=()
for _ in $(seq 1 "$hogs"); do (while :; do :; done) & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null; pkill -f "replay $work/rec" 2>/dev/null' EXIT
echo 19 > /proc/self/autogroup 2>/dev/null || renice -n 19 $$ >/dev/null
export RUST_LOG="orderflow=info,orderflow::cluster=trace,warn"
stuck=0
for i in $(seq 1 "$rounds"); do
  rm -rf "$work/a" "$work/b"
  start=$(date +%s)
  for x in a b; do
    timeout "$limit" "$bin" --plugins "$CARGO_TARGET_DIR/$profile" replay "$work/rec" \
      --data "$work/$x" --workers 2 --local-cluster 2 > "$work/$x.out" 2> "$work/$x.err" &
  done
  # The hogs never exit, so the next two children to end are the two replays.
  wait -n; r1=$?; wait -n; r2=$?
  pkill -f "replay $work/rec" 2>/dev/null
  echo "round $i: exit codes $r1 $r2 in $(( $(date +%s) - start )) s"
  if [ "$r1" -ne 0 ] || [ "$r2" -ne 0 ]; then
    stuck=$((stuck + 1))
    cp "$work/a.err" "$work/stuck-$i-a.err"; cp "$work/b.err" "$work/stuck-$i-b.err"
  fi
done
echo "stuck rounds: $stuck of $rounds (logs in $work)"
