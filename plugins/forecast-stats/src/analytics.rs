//! Time-series analytics (the seed's "Kats-equivalent" calculators): anomalies, change points,
//! seasonality, Hurst exponent, sample entropy, stationarity.
//!
//! Where a well-kept implementation exists it is used (anofox-forecast for outliers, change
//! points, periods, entropy, ADF/KPSS; extended-isolation-forest for the isolation forest);
//! the tabular CUSUM and the rescaled-range Hurst estimate are short textbook formulas written
//! here, each with its definition.

use anofox_forecast::changepoint::{
    BinsegDetector, CostFunction, CostL2, Detector, PeltConfig, Signal, pelt_detect,
};
use anofox_forecast::detection::{
    OutlierConfig, PeriodDetectionConfig, detect_outliers, detect_periods,
};
use orderflow_tool_sdk::SdkError;
use serde_json::{Value, json};

/// Mean and (population) standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// Robust noise scale: MAD of first differences / 0.6745 / √2 (the σ of white noise around a
/// slowly moving level). Falls back to the standard deviation, then 1.
pub fn noise_sigma(v: &[f64]) -> f64 {
    let mut d: Vec<f64> = v.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    d.sort_by(f64::total_cmp);
    let mad = d.get(d.len() / 2).copied().unwrap_or(0.0);
    let s = mad / 0.6745 / std::f64::consts::SQRT_2;
    if s > 0.0 && s.is_finite() {
        s
    } else {
        let (_, sd) = mean_std(v);
        if sd > 0.0 { sd } else { 1.0 }
    }
}

/// The anomaly methods.
pub const ANOMALY_METHODS: [&str; 5] = [
    "zscore",
    "iqr",
    "modified_zscore",
    "cusum",
    "isolation_forest",
];

/// Flags anomalous points. `threshold` is the method's own unit: z for `zscore` (default 3)
/// and `modified_zscore` (3.5), the IQR multiplier for `iqr` (1.5), the decision interval `h`
/// in σ for `cusum` (5, slack k = 0.5σ), the anomaly score for `isolation_forest` (0.6).
///
/// # Errors
/// Unknown method, too few points.
pub fn anomalies(v: &[f64], method: &str, threshold: Option<f64>) -> Result<Value, SdkError> {
    let (indices, scores, thr): (Vec<usize>, Vec<f64>, f64) = match method {
        "zscore" | "iqr" | "modified_zscore" => {
            let cfg = match method {
                "zscore" => OutlierConfig::z_score(threshold.unwrap_or(3.0)),
                "iqr" => OutlierConfig::iqr(threshold.unwrap_or(1.5)),
                _ => OutlierConfig::modified_z_score(threshold.unwrap_or(3.5)),
            };
            let r = detect_outliers(v, &cfg);
            (r.outlier_indices, r.scores, r.threshold)
        }
        "cusum" => {
            let h = threshold.unwrap_or(5.0);
            let (idx, s) = cusum_alarms(v, 0.5, h);
            (idx, s, h)
        }
        "isolation_forest" => {
            let t = threshold.unwrap_or(0.6);
            let s = isolation_scores(v)?;
            let idx = s
                .iter()
                .enumerate()
                .filter(|(_, x)| **x > t)
                .map(|(i, _)| i)
                .collect();
            (idx, s, t)
        }
        other => {
            return Err(SdkError::invalid_args(format!(
                "unknown method {other:?}; one of {}",
                ANOMALY_METHODS.join(", ")
            )));
        }
    };
    let points: Vec<Value> = indices
        .iter()
        .take(500)
        .map(|&i| json!({"index": i, "value": v[i], "score": scores.get(i)}))
        .collect();
    Ok(
        json!({"method": method, "threshold": thr, "count": indices.len(),
        "share": indices.len() as f64 / v.len().max(1) as f64, "anomalies": points,
        "truncated": indices.len() > 500}),
    )
}

/// Two-sided tabular CUSUM on standardised values (Page 1954; Montgomery's form): with
/// `z_t = (y_t − μ)/σ`, `C⁺_t = max(0, C⁺_{t−1} + z_t − k)`, `C⁻_t = max(0, C⁻_{t−1} − z_t − k)`;
/// an alarm at `t` when either exceeds `h`, after which both restart at 0. μ is the median of
/// the first quarter (the in-control level), σ the robust noise scale. Returns the alarm
/// indices and `max(C⁺, C⁻)` per point.
pub fn cusum_alarms(v: &[f64], k: f64, h: f64) -> (Vec<usize>, Vec<f64>) {
    let base = &v[..(v.len() / 4).max(1).min(v.len())];
    let mut b = base.to_vec();
    b.sort_by(f64::total_cmp);
    let mu = b.get(b.len() / 2).copied().unwrap_or(0.0);
    let sigma = noise_sigma(v);
    let (mut hi, mut lo) = (0.0f64, 0.0f64);
    let mut alarms = Vec::new();
    let mut stat = Vec::with_capacity(v.len());
    for (t, y) in v.iter().enumerate() {
        let z = (y - mu) / sigma;
        hi = (hi + z - k).max(0.0);
        lo = (lo - z - k).max(0.0);
        stat.push(hi.max(lo));
        if hi > h || lo > h {
            alarms.push(t);
            hi = 0.0;
            lo = 0.0;
        }
    }
    (alarms, stat)
}

/// Isolation-forest anomaly scores (0–1, higher = more isolated) of each point described by
/// (standardised value, standardised change from the previous point).
///
/// # Errors
/// Fewer than 16 points, or the forest refuses the data.
pub fn isolation_scores(v: &[f64]) -> Result<Vec<f64>, SdkError> {
    use extended_isolation_forest::{Forest, ForestOptions};
    if v.len() < 16 {
        return Err(SdkError::invalid_args(
            "isolation_forest needs at least 16 points",
        ));
    }
    let (m, s) = mean_std(v);
    let s = if s > 0.0 { s } else { 1.0 };
    let d: Vec<f64> = std::iter::once(0.0)
        .chain(v.windows(2).map(|w| w[1] - w[0]))
        .collect();
    let (dm, ds) = mean_std(&d);
    let ds = if ds > 0.0 { ds } else { 1.0 };
    let pts: Vec<[f64; 2]> = v
        .iter()
        .zip(&d)
        .map(|(x, dx)| [(x - m) / s, (dx - dm) / ds])
        .collect();
    let opts = ForestOptions {
        n_trees: 100,
        sample_size: 256.min(pts.len()),
        max_tree_depth: None,
        extension_level: 1,
    };
    let forest = Forest::from_slice(&pts, &opts)
        .map_err(|e| SdkError::invalid_args(format!("isolation forest: {e:?}")))?;
    Ok(pts.iter().map(|p| forest.score(p)).collect())
}

/// The change-point methods.
pub const CHANGEPOINT_METHODS: [&str; 3] = ["pelt", "binseg", "cusum"];

/// Detects changes in the mean. The series is standardised by its robust noise scale, so the
/// default penalty `2·ln n` is the BIC of a mean shift in unit-variance noise.
///
/// * `pelt`: PELT (Killick et al. 2012), L2 cost — the exact optimum for the penalty;
/// * `binseg`: binary segmentation, L2 cost — greedy, faster;
/// * `cusum`: PELT with the CUSUM cost (sustained shifts).
///
/// # Errors
/// Unknown method, too few points, detector failure.
pub fn changepoints(
    v: &[f64],
    method: &str,
    penalty: Option<f64>,
    min_size: usize,
) -> Result<Value, SdkError> {
    if v.len() < 2 * min_size.max(2) {
        return Err(SdkError::invalid_args(format!(
            "{} points are too few for segments of at least {min_size}",
            v.len()
        )));
    }
    let sigma = noise_sigma(v);
    let z: Vec<f64> = v.iter().map(|x| x / sigma).collect();
    let pen = penalty.unwrap_or(2.0 * (v.len() as f64).ln());
    let cps: Vec<usize> = match method {
        "pelt" | "cusum" => {
            let cost = if method == "pelt" {
                CostFunction::L2
            } else {
                CostFunction::Cusum
            };
            let cfg = PeltConfig::default()
                .cost_function(cost)
                .penalty(pen)
                .min_segment_length(min_size.max(2));
            pelt_detect(&z, &cfg).changepoints
        }
        "binseg" => {
            let signal = Signal::from_row_major(&z, z.len(), 1)
                .map_err(|e| SdkError::invalid_args(format!("signal: {e}")))?;
            let mut det = BinsegDetector::new(CostL2::new()).min_size(min_size.max(2));
            let r = det
                .fit_predict_pen(&signal, pen)
                .map_err(|e| SdkError::invalid_args(format!("binseg: {e}")))?;
            r.bkps.into_iter().filter(|b| *b < v.len()).collect()
        }
        other => {
            return Err(SdkError::invalid_args(format!(
                "unknown method {other:?}; one of {}",
                CHANGEPOINT_METHODS.join(", ")
            )));
        }
    };
    let mut bounds = vec![0];
    bounds.extend(cps.iter().copied());
    bounds.push(v.len());
    let segments: Vec<Value> = bounds
        .windows(2)
        .map(|w| {
            let (m, s) = mean_std(&v[w[0]..w[1]]);
            json!({"from": w[0], "to": w[1], "mean": m, "std": s})
        })
        .collect();
    Ok(
        json!({"method": method, "penalty": pen, "noise_sigma": sigma, "changepoints": cps, "segments": segments}),
    )
}

/// Dominant periods from the Welch periodogram (FFT), confirmed by autocorrelation.
pub fn seasonality(v: &[f64], max_period: Option<usize>) -> Value {
    let cfg = PeriodDetectionConfig {
        max_period,
        ..PeriodDetectionConfig::default()
    };
    let periods: Vec<Value> = detect_periods(v, &cfg)
        .into_iter()
        .map(|p| json!({"period": p.period, "power": p.power, "strength": p.strength, "acf": p.acf, "cycles": p.n_cycles}))
        .collect();
    json!({"periods": periods, "dominant": periods.first().and_then(|p| p.get("period")).cloned()})
}

/// The Hurst exponent by rescaled-range (R/S) analysis (Hurst 1951; Mandelbrot & Wallis 1969)
/// of the series' increments: for window sizes `w` (powers of two from 8 to n/2) the mean over
/// non-overlapping windows of `R/S` — range of the cumulative deviations from the window mean
/// over the window's standard deviation — and `H` = slope of `log(R/S)` on `log w` (least
/// squares). ≈ 0.5 random walk, > 0.5 trending (persistent), < 0.5 mean-reverting.
///
/// # Errors
/// Fewer than 32 points.
pub fn hurst(v: &[f64]) -> Result<Value, SdkError> {
    if v.len() < 33 {
        return Err(SdkError::invalid_args(
            "the Hurst exponent needs at least 33 points",
        ));
    }
    let x: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    let mut pts = Vec::new();
    let mut w = 8;
    while w <= x.len() / 2 {
        let mut rs = Vec::new();
        for chunk in x.chunks_exact(w) {
            let (m, s) = mean_std(chunk);
            if s <= 0.0 {
                continue;
            }
            let (mut cum, mut lo, mut hi) = (0.0f64, 0.0f64, 0.0f64);
            for c in chunk {
                cum += c - m;
                lo = lo.min(cum);
                hi = hi.max(cum);
            }
            rs.push((hi - lo) / s);
        }
        if !rs.is_empty() {
            pts.push((
                (w as f64).ln(),
                (rs.iter().sum::<f64>() / rs.len() as f64).ln(),
            ));
        }
        w *= 2;
    }
    if pts.len() < 2 {
        return Err(SdkError::invalid_args(
            "too little variation for R/S analysis",
        ));
    }
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let h = sxy / sxx;
    let reading = if h > 0.55 {
        "persistent (trending)"
    } else if h < 0.45 {
        "anti-persistent (mean-reverting)"
    } else {
        "close to a random walk"
    };
    Ok(json!({"hurst": h, "reading": reading, "windows": pts.len()}))
}

/// Sample entropy SampEn(m, r) (Richman & Moorman 2000) of the increments, `r` = `r_factor` ×
/// their standard deviation; lower = more regular.
pub fn sample_entropy(v: &[f64], m: usize, r_factor: f64) -> Value {
    let x: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    let (_, s) = mean_std(&x);
    let r = r_factor * s;
    let e = anofox_forecast::features::entropy::sample_entropy(&x, m, r);
    json!({"sample_entropy": if e.is_finite() { json!(e) } else { Value::Null }, "m": m, "r": r, "of": "first differences"})
}

/// ADF and KPSS stationarity tests.
pub fn stationarity(v: &[f64]) -> Value {
    use anofox_forecast::validation::stationarity::{adf_test, kpss_test};
    let adf = adf_test(v, None);
    let kpss = kpss_test(v, None);
    json!({
        "adf": {"statistic": adf.statistic, "p_value": adf.p_value, "lags": adf.lags, "stationary": adf.is_stationary},
        "kpss": {"statistic": kpss.statistic, "p_value": kpss.p_value, "lags": kpss.lags, "stationary": kpss.is_stationary},
        "verdict": match (adf.is_stationary, kpss.is_stationary) {
            (true, true) => "stationary",
            (false, false) => "non-stationary (unit root)",
            (true, false) => "difference-stationary or trend; inconclusive",
            (false, true) => "trend-stationary or too short; inconclusive",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        // A small LCG: deterministic, roughly uniform in [-0.5, 0.5).
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn a_spike_is_an_anomaly_for_every_method() {
        let mut v = noise(300, 1);
        v[200] = 8.0;
        for m in ANOMALY_METHODS {
            let r = anomalies(&v, m, None).unwrap();
            let idx: Vec<u64> = r["anomalies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["index"].as_u64().unwrap())
                .collect();
            assert!(idx.contains(&200), "{m}: {idx:?}");
        }
        assert!(anomalies(&v, "nope", None).is_err());
    }

    #[test]
    fn a_level_shift_is_found_near_its_place() {
        let mut v = noise(200, 2);
        for x in &mut v[120..] {
            *x += 5.0;
        }
        for m in CHANGEPOINT_METHODS {
            let r = changepoints(&v, m, None, 5).unwrap();
            let cps: Vec<u64> = r["changepoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect();
            assert!(cps.iter().any(|c| (115..=125).contains(c)), "{m}: {cps:?}");
        }
    }

    #[test]
    fn hurst_separates_trending_from_mean_reverting() {
        // Persistent increments (a smoothed noise) vs alternating ones.
        let e = noise(1024, 3);
        let mut trend = vec![0.0];
        let mut inc = 0.0;
        for x in &e {
            inc = 0.9 * inc + x;
            trend.push(trend[trend.len() - 1] + inc);
        }
        let alt: Vec<f64> = (0..1025)
            .map(|i| if i % 2 == 0 { 0.0 } else { 1.0 } + 0.01 * e[i % 1024])
            .collect();
        let ht = hurst(&trend).unwrap()["hurst"].as_f64().unwrap();
        let ha = hurst(&alt).unwrap()["hurst"].as_f64().unwrap();
        assert!(ht > 0.6, "{ht}");
        assert!(ha < 0.4, "{ha}");
    }

    #[test]
    fn seasonality_finds_the_period() {
        let v: Vec<f64> = (0..480)
            .map(|i| (i as f64 * std::f64::consts::TAU / 24.0).sin())
            .collect();
        let r = seasonality(&v, Some(100));
        assert_eq!(r["dominant"].as_u64(), Some(24), "{r}");
    }
}
