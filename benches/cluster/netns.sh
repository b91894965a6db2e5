#!/usr/bin/env bash
# A two-machine cluster on one machine (issue 13): each process runs in its own Linux network
# namespace, with its own loopback and one address on a veth pair (10.77.0.1 and 10.77.0.2), so
# the processes reach each other only as two hosts would: by the hostfile's addresses, over a
# real (virtual) link. Checks, with the release build:
#   1. replay: one demo recording replayed by process 0 in namespace A and process 1 in
#      namespace B (process 1 started DELAY seconds first: any start order) writes the same
#      snapshot tables (`features`, `signals`, `orderbook`, `cross_venue`, `regimes`, `trades`:
#      row count and an order-independent hash) as one process replaying alone;
#   2. live: `demo` on both hosts (each connects its own venues' emulators on its own
#      loopback), both serve features of every venue on their own addresses; process 1 is
#      killed and process 0 must exit non-zero saying another process was lost;
#   3. the two hosts' recordings of that live run (`--record`), in one folder, replay as one
#      recording on one process with book events of every venue.
# Needs root (ip netns). Not part of the test suite; the result is reported in benches/README.md.
#
#   sudo benches/cluster/netns.sh [SECONDS=10] [RATE=500] [DELAY=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
secs="${1:-10}"
rate="${2:-500}"
delay="${3:-3}"
[ "$(id -u)" = 0 ] || { echo "netns.sh needs root (ip netns)" >&2; exit 2; }
command -v ip >/dev/null || { echo "netns.sh needs iproute2 (ip)" >&2; exit 2; }
cargo build --release --quiet --workspace --bins --lib
rel="$CARGO_TARGET_DIR/release"
bin() { "$rel/orderflow" --plugins "$rel" "$@"; }
tmp="$(mktemp -d)"
ns=(ofnet-a ofnet-b)
addr=(10.77.0.1 10.77.0.2)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; done
ip link add ofnet-va type veth peer name ofnet-vb
ip link set ofnet-va netns "${ns[0]}"
ip link set ofnet-vb netns "${ns[1]}"
ip -n "${ns[0]}" addr add "${addr[0]}/24" dev ofnet-va
ip -n "${ns[1]}" addr add "${addr[1]}/24" dev ofnet-vb
for i in 0 1; do
  dev=(ofnet-va ofnet-vb)
  ip -n "${ns[$i]}" link set lo up
  ip -n "${ns[$i]}" link set "${dev[$i]}" up
done
in_ns() { local i="$1"; shift; ip netns exec "${ns[$i]}" "$@"; }
printf '%s:24101\n%s:24101\n' "${addr[0]}" "${addr[1]}" > "$tmp/hosts"
echo "== $(date -u +%FT%TZ) hosts: ${addr[*]} (namespaces ${ns[*]}), commit $(git rev-parse --short HEAD)"

# 1. Replay.
bin demo --http 127.0.0.1:0 --data "$tmp/live" --rate "$rate" --duration "$secs" \
  --record "$tmp/rec" >/dev/null 2>"$tmp/record.log"
rm -rf "$tmp/live"
bin replay "$tmp/rec" --data "$tmp/one" > "$tmp/one.txt" 2>"$tmp/one.log"
t0=$(date +%s.%N)
ip netns exec "${ns[1]}" "$rel/orderflow" --plugins "$rel" replay "$tmp/rec" --data "$tmp/two" \
  --processes 2 --process 1 --hostfile "$tmp/hosts" > "$tmp/p1.txt" 2>"$tmp/p1.log" &
p1=$!
pids+=("$p1")
sleep "$delay"
in_ns 0 "$rel/orderflow" --plugins "$rel" replay "$tmp/rec" --data "$tmp/two" \
  --processes 2 --process 0 --hostfile "$tmp/hosts" > "$tmp/p0.txt" 2>"$tmp/p0.log" \
  || { echo "process 0 failed:"; tail -5 "$tmp/p0.log"; exit 1; }
wait "$p1" || { echo "process 1 failed:"; tail -5 "$tmp/p1.log"; exit 1; }
t1=$(date +%s.%N)
cat "$tmp/one.txt" "$tmp/p0.txt" "$tmp/p1.txt"
echo "cluster replay: $(python3 -c "print(round($t1 - $t0 - $delay, 2))") s after process 0 started"
fail=0
for spec in \
  "features:ts_ns, venue, symbol, feature, value" \
  "signals:ts_ns, venue, symbol, signal, value, confidence" \
  "orderbook:ts_ns, venue, symbol, side, level, price, size" \
  "cross_venue:ts_ns, symbol, feature, value" \
  "regimes:ts_ns, venue, symbol, regime, previous, trend, vol_ratio" \
  "trades:ts_recv_ns, venue, symbol, price, size, side"; do
  t="${spec%%:*}"
  cols="${spec#*:}"
  sql="SELECT count(*) AS n, sum(hash($cols)) AS h FROM $t"
  a="$(bin query --data "$tmp/one" "$sql" | tail -1)"
  b="$(bin query --data "$tmp/two" "$sql" | tail -1)"
  if [ "$a" = "$b" ]; then echo "  $t: identical $a"; else echo "  $t: DIFFERENT one=$a two=$b"; fail=1; fi
done
for i in 0 1; do
  echo "  process $i stored venues: $(bin query --data "$tmp/two/process-$i" \
    "SELECT string_agg(DISTINCT venue, ',' ORDER BY venue) AS venues FROM trades" | tail -1)"
done
[ "$fail" = 0 ] || { echo "replay across two hosts: tables differ"; exit 1; }

# 2. Live demo across the two hosts. Serving on an address other than loopback needs a bearer
# token (the server refuses to start without one) and the host names in `server.allowed_hosts`
# (requests naming any other `Host` are refused), as a real deployment does.
export ORDERFLOW_AUTH_TOKEN="netns-$RANDOM$RANDOM"
sed "s/^allowed_hosts = \[\]/allowed_hosts = [\"${addr[0]}\", \"${addr[1]}\"]/" config/default.toml > "$tmp/config.toml"
grep -q "${addr[1]}" "$tmp/config.toml" || { echo "could not set server.allowed_hosts"; exit 1; }
pids=()
for i in 1 0; do
  # Not through a shell function: `$!` must be the process itself (`ip netns exec` execs it).
  ip netns exec "${ns[$i]}" "$rel/orderflow" --plugins "$rel" --config "$tmp/config.toml" demo --http "${addr[$i]}:8080" --rate 100 \
    --duration 300 --processes 2 --process "$i" --hostfile "$tmp/hosts" \
    --data "$tmp/live-$i" --record "$tmp/live-rec" >/dev/null 2>"$tmp/live-$i.log" &
  pids+=($!)
  if [ "$i" = 1 ]; then sleep "$delay"; fi
done
p1="${pids[0]}"
p0="${pids[1]}"
venues="$(bin query --data "$tmp/one" "SELECT string_agg(DISTINCT venue, ' ' ORDER BY venue) AS v FROM trades" | tail -1)"
ready=""
for _ in $(seq 120); do
  sleep 1
  ok=1
  for i in 0 1; do
    for v in $venues; do
      n="$( (in_ns "$i" curl -s --max-time 2 -H "Authorization: Bearer $ORDERFLOW_AUTH_TOKEN" "http://${addr[$i]}:$((8080 + i))/features/BTCUSDT?venue=$v" || true) \
        | python3 -c "import json,sys
try: print(len(json.load(sys.stdin).get('features') or {}))
except Exception: print(0)")"
      [ "$n" -gt 100 ] || { ok=0; break 2; }
    done
  done
  if [ "$ok" = 1 ]; then ready=1; break; fi
done
[ -n "$ready" ] || { echo "live cluster: not every venue served on both hosts within 120 s"; tail -n 3 "$tmp"/live-*.log; exit 1; }
echo "live: both hosts serve features of every venue ($venues)"
kill -9 "$p1"
t_kill=$(date +%s.%N)
code=0
wait "$p0" || code=$?
t_exit=$(date +%s.%N)
if [ "$code" != 0 ] && grep -q "another process was lost" "$tmp/live-0.log"; then
  echo "live: process 1 killed; process 0 exited with $code after $(python3 -c "print(round($t_exit - $t_kill, 2))") s, saying another process was lost"
else
  echo "live: process 0 exited with $code after process 1 was killed"; tail -5 "$tmp/live-0.log"; exit 1
fi
# 3. The two hosts' recordings (`live-rec/process-0`, `live-rec/process-1`, as if copied from
# each machine into one folder) replay as one recording on one process: every venue's book
# events are in its database.
bin replay "$tmp/live-rec" --data "$tmp/live-replayed" > "$tmp/live-replay.txt" 2>"$tmp/live-replay.log"
cat "$tmp/live-replay.txt" "$tmp/live-replay.log" | grep -E "^(replayed|problem)" | sed 's/^/  /'
got="$(bin query --data "$tmp/live-replayed" "SELECT string_agg(DISTINCT venue, ' ' ORDER BY venue) AS v FROM book_updates" | tail -1)"
if [ "$got" = "$venues" ]; then
  echo "replay of both hosts' recordings: book events of every venue ($got)"
else
  echo "replay of both hosts' recordings: venues $got, expected $venues"; exit 1
fi
echo "netns cluster: passed"
