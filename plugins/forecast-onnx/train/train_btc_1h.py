"""Trains the ONNX model shipped with the forecast_onnx plugin, on real data.

Data: Coinbase BTC-USD hourly bars (plugins/forecast-stats/test_data/coinbase_btcusd_1h.csv;
banner line, header, rows newest first with 12-hour stamps). The series is sorted by time.

Model: scikit-learn GradientBoostingRegressor predicting the next hour's log return of the
close from the last LAGS log returns (oldest first), each divided by the training returns'
standard deviation (`scale` in the metadata). Exported with skl2onnx (float32 input [N, LAGS],
output [N, 1]); the plugin applies it recursively for longer horizons.

The last HOLDOUT hours are not used for training: the script prints the model's and the naive
forecast's one-step MAE on them, and the plugin's tests replay those figures.

Usage: scripts/train-onnx-model.sh (creates a pinned venv and runs this file).
"""

import datetime as dt
import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
from sklearn.ensemble import GradientBoostingRegressor
from skl2onnx import to_onnx

ROOT = pathlib.Path(__file__).resolve().parents[3]
CSV = ROOT / "plugins/forecast-stats/test_data/coinbase_btcusd_1h.csv"
OUT = ROOT / "plugins/forecast-onnx/models"
NAME = "btc_1h_gbr"
LAGS = 24
HOLDOUT = 2000
SEED = 7


def read_closes():
    rows = []
    with open(CSV, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[1].split(",")
    ci, di = header.index("close"), header.index("date")
    for line in lines[2:]:
        cells = line.split(",")
        stamp = dt.datetime.strptime(cells[di].replace("-AM", " AM").replace("-PM", " PM"), "%Y-%m-%d %I %p")
        rows.append((stamp, float(cells[ci])))
    rows.sort()
    return np.array([c for _, c in rows], dtype=np.float64)


def windows(r, lags):
    x = np.stack([r[i : i + lags] for i in range(len(r) - lags)])
    y = r[lags:]
    return x, y


def main():
    close = read_closes()
    r = np.diff(np.log(close))
    train_r = r[: len(r) - HOLDOUT]
    scale = float(np.std(train_r))
    x, y = windows(r / scale, LAGS)
    n_train = len(train_r) - LAGS
    xt, yt = x[:n_train], y[:n_train]
    xh, yh = x[n_train:], y[n_train:]
    model = GradientBoostingRegressor(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=SEED
    )
    model.fit(xt, yt)
    onx = to_onnx(model, xt[:1].astype(np.float32), target_opset=17)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{NAME}.onnx").write_bytes(onx.SerializeToString())
    sess = ort.InferenceSession(str(OUT / f"{NAME}.onnx"))
    pred = sess.run(None, {sess.get_inputs()[0].name: xh.astype(np.float32)})[0].ravel()
    mae_model = float(np.mean(np.abs(pred - yh)) * scale)
    mae_zero = float(np.mean(np.abs(yh)) * scale)  # naive price forecast = zero return
    meta = {
        "name": NAME,
        "description": "Next-hour log return of BTC from the last 24 hourly log returns "
        "(gradient-boosted trees, scikit-learn, trained on Coinbase BTC-USD 2017-07 .. 2019-07)",
        "input": "log_return",
        "lags": LAGS,
        "scale": scale,
        "output": "log_return",
        "interval_s": 3600,
        "max_horizon": 48,
        "input_name": sess.get_inputs()[0].name,
        "trained_on": {"file": "coinbase_btcusd_1h.csv", "points": int(len(close)), "holdout": HOLDOUT},
        "holdout_mae_log_return": {"model": mae_model, "naive": mae_zero},
        "regenerate": "scripts/train-onnx-model.sh",
    }
    (OUT / f"{NAME}.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta["holdout_mae_log_return"]), file=sys.stderr)


if __name__ == "__main__":
    main()
