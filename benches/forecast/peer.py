"""statsforecast side of benches/forecast: the same series, folds and metric as orderflow.

Series: the last N hourly closes of coinbase_btcusd_1h.csv (sorted by time). Rolling origin:
fold k of K trains on y[:o_k] and forecasts h steps, o_k = n - h - (K-1-k)*h. Metric: MASE with
the in-sample one-step naive MAE of each fold's training part as the scale. Time: one
`model.forecast(y=train, h=h)` call (fit + predict) per fold, median over folds; numba is
warmed up by one untimed call per model first.
"""

import datetime as dt
import json
import statistics
import sys
import time

import numpy as np
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive


def closes(path, n):
    rows = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[1].split(",")
    ci, di = header.index("close"), header.index("date")
    for line in lines[2:]:
        c = line.split(",")
        t = dt.datetime.strptime(c[di].replace("-AM", " AM").replace("-PM", " PM"), "%Y-%m-%d %I %p")
        rows.append((t, float(c[ci])))
    rows.sort()
    return np.array([v for _, v in rows[-n:]], dtype=np.float64)


def mase(train, test, fc):
    scale = np.mean(np.abs(np.diff(train)))
    return float(np.mean(np.abs(test - fc)) / scale)


def main():
    path, n, folds, season = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    horizons = [int(h) for h in sys.argv[5].split(",")]
    y = closes(path, n)
    models = {
        "Naive": lambda: Naive(),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
        "AutoETS": lambda: AutoETS(season_length=season),
        "AutoARIMA": lambda: AutoARIMA(season_length=season),
        "AutoARIMA(approximation)": lambda: AutoARIMA(season_length=season, approximation=True),
        "AutoTheta": lambda: AutoTheta(season_length=season),
    }
    only = set(sys.argv[6].split(",")) if len(sys.argv) > 6 else None
    out = []
    for h in horizons:
        for name, make in models.items():
            if only and name not in only:
                continue
            make().forecast(y=y[:200], h=h)  # numba warm-up, untimed
            times, scores = [], []
            for k in range(folds):
                o = len(y) - h - (folds - 1 - k) * h
                train, test = y[:o], y[o : o + h]
                t = time.perf_counter()
                fc = make().forecast(y=train, h=h)["mean"]
                times.append((time.perf_counter() - t) * 1e3)
                scores.append(mase(train, test, fc))
            row = {"model": name, "h": h, "mase": statistics.mean(scores), "ms_median": statistics.median(times)}
            print(json.dumps(row), file=sys.stderr)
            out.append(row)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
