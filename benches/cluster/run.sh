#!/usr/bin/env bash
# Cluster speed-up (issue 13): one demo recording (all venues, RATE msgs/s each, SECONDS long)
# replayed as fast as possible by 1 process × 1 worker, 1 × 2, a local cluster of 2 processes ×
# 1 worker and 2 × 2, without storage (engine only) and with storage; each shape ROUNDS times,
# interleaved; wall time of the whole command (process start and cluster connection included).
# Medians and ratios to 1 × 1 → benches/cluster/results.json. Release build, loopback only.
#
#   benches/cluster/run.sh [SECONDS=30] [RATE=2000] [ROUNDS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
secs="${1:-30}"
rate="${2:-2000}"
rounds="${3:-3}"
./scripts/setup.sh >/dev/null
cargo build --release --quiet --workspace --bins --lib
bin="$CARGO_TARGET_DIR/release/orderflow"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "== $(date -u +%FT%TZ), $(nproc) cores: recording ${secs}s of the demo at ${rate} msgs/s per venue"
"$bin" demo --http 127.0.0.1:0 --data "$tmp/live" --rate "$rate" --duration "$secs" \
  --record "$tmp/rec" >/dev/null 2>"$tmp/demo.log"
rm -rf "$tmp/live"
: > "$tmp/runs.tsv"
for r in $(seq "$rounds"); do
  for storage in off on; do
    for shape in 1x1 1x2 2x1 2x2; do
      p="${shape%x*}"
      w="${shape#*x}"
      args=(replay "$tmp/rec" --workers "$w" --json "$tmp/report.json")
      if [ "$p" -gt 1 ]; then args+=(--local-cluster "$p"); fi
      if [ "$storage" = on ]; then args+=(--data "$tmp/db"); fi
      rm -rf "$tmp/db"
      t0=$(date +%s.%N)
      "$bin" "${args[@]}" >"$tmp/out.txt" 2>"$tmp/err.txt" || { cat "$tmp/err.txt"; exit 1; }
      t1=$(date +%s.%N)
      frames=$(python3 -c "import re,sys; print(sum(int(m) for m in re.findall(r'\((\d+) frames\)', open(sys.argv[1]).read())))" "$tmp/out.txt")
      printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$storage" "$shape" "$frames" "$(python3 -c "print($t1 - $t0)")" | tee -a "$tmp/runs.tsv"
    done
  done
done
python3 - "$tmp/runs.tsv" "$root/benches/cluster/results.json" "$secs" "$rate" "$rounds" <<'PY'
import json, statistics, subprocess, sys, datetime, os
runs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
       "cores": os.cpu_count(), "recording_s": float(sys.argv[3]), "rate_per_venue": float(sys.argv[4]),
       "rounds": int(sys.argv[5]), "runs": [], "medians": {}}
for r, storage, shape, frames, wall in runs:
    out["runs"].append({"round": int(r), "storage": storage, "shape": shape, "frames": int(frames),
                        "wall_s": round(float(wall), 3), "frames_per_s": round(int(frames) / float(wall))})
for storage in ("off", "on"):
    base = None
    for shape in ("1x1", "1x2", "2x1", "2x2"):
        xs = [x["frames_per_s"] for x in out["runs"] if x["storage"] == storage and x["shape"] == shape]
        if not xs:
            continue
        m = statistics.median(xs)
        base = base or m
        out["medians"][f"{shape} storage {storage}"] = {"frames_per_s": round(m), "vs_1x1": round(m / base, 2)}
json.dump(out, open(sys.argv[2], "w"), indent=1)
print(json.dumps(out["medians"], indent=1))
PY
