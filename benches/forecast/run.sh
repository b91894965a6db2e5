#!/usr/bin/env bash
# Forecasting benchmark: orderflow's forecast_stats plugin (anofox-forecast) side by side with
# Python statsforecast 2.1.1 (pinned, installed into .deps/bench-forecast by this script) on the
# same real series (last N hourly BTC closes), horizons, folds and MASE definition. Each side runs
# while the other is stopped. Writes benches/forecast/results.json and prints a table.
#   benches/forecast/run.sh [N=3000] [FOLDS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
N="${1:-3000}"; FOLDS="${2:-3}"; SEASON=24; HORIZONS="24,168"
CSV="$root/plugins/forecast-stats/test_data/coinbase_btcusd_1h.csv"
venv="$root/.deps/bench-forecast"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pkg" 2>/dev/null)" != "statsforecast==2.1.1" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "statsforecast==2.1.1"
  echo "statsforecast==2.1.1" > "$venv/.pkg"
fi
cargo build --release -q -p orderflow-node -p orderflow-plugin-forecast-stats
bin="$CARGO_TARGET_DIR/release/orderflow"
out="$root/benches/forecast/results.json"
echo "orderflow (anofox-forecast via the forecast_stats plugin) …" >&2
rust_rows="["
for h in ${HORIZONS//,/ }; do
  for m in Naive SeasonalNaive AutoETS AutoARIMA AutoTheta; do
    j="$("$bin" --plugins "$CARGO_TARGET_DIR/release" forecast --csv "$CSV" --limit "$N" --horizon "$h" \
          --season "$SEASON" --model "$m" --backtest --folds "$FOLDS" --no-intervals --json 2>/dev/null)"
    row="$(printf '%s' "$j" | python3 -c 'import json,sys; b=json.load(sys.stdin)["backtest"]["backtest"]; print(json.dumps({"model": b["model"], "h": b["horizon"], "mase": b["mase"], "ms_median": b["fit_ms_median"]}))')"
    echo "$row" >&2
    rust_rows="$rust_rows$row,"
  done
done
rust_rows="${rust_rows%,}]"
echo "statsforecast 2.1.1 …" >&2
py_rows="$("$venv/bin/python" "$root/benches/forecast/peer.py" "$CSV" "$N" "$FOLDS" "$SEASON" "$HORIZONS")"
python3 - "$out" "$N" "$FOLDS" <<PY
import json, sys, platform, datetime, os
rust = json.loads('''$rust_rows''')
py = json.loads('''$py_rows''')
out, n, folds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
       "series": f"last {n} hourly closes of coinbase_btcusd_1h.csv", "folds": folds, "season": 24,
       "orderflow": rust, "statsforecast": py}
json.dump(res, open(out, "w"), indent=2)
print(f"| h | model | orderflow MASE | statsforecast MASE | orderflow ms | statsforecast ms | speed-up |")
print("|---|---|---|---|---|---|---|")
for r in rust:
    for p in [p for p in py if p["h"] == r["h"] and p["model"].split("(")[0] == r["model"]]:
        print(f"| {r['h']} | {p['model']} | {r['mase']:.4f} | {p['mase']:.4f} | {r['ms_median']:.1f} | {p['ms_median']:.1f} | {p['ms_median']/r['ms_median']:.1f}× |")
PY
echo "ONNX inference latency (shipped model, 2,000 calls through the plugin's inference path, release):" >&2
cargo test --release -q -p orderflow-plugin-forecast-onnx -- --nocapture the_shipped_model 2>&1 | grep "median inference" || true
