#!/usr/bin/env bash
# Regenerates plugins/forecast-onnx/models/btc_1h_gbr.{onnx,json} from the real hourly BTC bars in
# plugins/forecast-stats/test_data, in a pinned Python venv (.deps/train). Not part of the tests:
# the trained model is committed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.deps/train"
req="$root/plugins/forecast-onnx/train/requirements.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi
"$venv/bin/python" "$root/plugins/forecast-onnx/train/train_btc_1h.py"
