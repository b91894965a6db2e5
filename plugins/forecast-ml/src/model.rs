//! The learning problem and the two learners.
//!
//! Row `t` of the design matrix holds the last `lags` log returns of the target
//! (`r_t … r_{t−lags+1}`) and, per covariate, its value and its change at `t`; every column is
//! z-scored on the training rows. The label is `r_{t+1}`. A forecast of `h` steps feeds each
//! predicted return back as a lag and holds the covariates at their last values (change 0):
//! their future is unknown. Prices are the last close compounded by the predicted returns.

use orderflow_tool_sdk::{ErrorKind, SdkError};
use perpetual::objective::Objective;
use perpetual::{Matrix, PerpetualBooster};

/// Which learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learner {
    /// Gradient-boosted trees (perpetual, squared loss).
    Gbdt,
    /// Ridge regression.
    Ridge,
}

impl Learner {
    /// Parses `gbdt` / `ridge`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gbdt" => Some(Self::Gbdt),
            "ridge" => Some(Self::Ridge),
            _ => None,
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gbdt => "GBDT",
            Self::Ridge => "Ridge",
        }
    }
}

/// Settings of a fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Return lags.
    pub lags: usize,
    /// Ridge penalty on the z-scored coefficients.
    pub lambda: f64,
    /// perpetual's budget.
    pub budget: f32,
}

/// A fitted model.
pub struct Fitted {
    learner: Learner,
    lags: usize,
    n_cov: usize,
    mean: Vec<f64>,
    std: Vec<f64>,
    ridge: Option<(Vec<f64>, f64)>,
    gbdt: Option<PerpetualBooster>,
    /// Feature names in column order.
    pub names: Vec<String>,
}

fn log_returns(v: &[f64]) -> Vec<f64> {
    v.windows(2)
        .map(|w| {
            if w[0] > 0.0 && w[1] > 0.0 {
                (w[1] / w[0]).ln()
            } else {
                0.0
            }
        })
        .collect()
}

/// The raw (unscaled) feature row at return index `t` (returns `r[t]` is the latest).
fn row(r: &[f64], covs: &[Vec<f64>], t: usize, lags: usize) -> Vec<f64> {
    let mut x = Vec::with_capacity(lags + 2 * covs.len());
    for k in 0..lags {
        x.push(r[t - k]);
    }
    for c in covs {
        // Covariates are aligned with the values: return index t ends at value index t + 1.
        let i = t + 1;
        x.push(c[i]);
        x.push(c[i] - c[i - 1]);
    }
    x
}

/// Fits on `values` (prices, oldest first) and covariates of the same length.
///
/// # Errors
/// Too few points, a covariate of the wrong length, a failed fit.
pub fn fit(
    learner: Learner,
    values: &[f64],
    covs: &[(String, Vec<f64>)],
    s: &Settings,
) -> Result<Fitted, SdkError> {
    let r = log_returns(values);
    let lags = s.lags.max(1);
    if r.len() < lags + 20 {
        return Err(SdkError::new(
            ErrorKind::Unavailable,
            format!(
                "{} points; the ML models need at least {}",
                values.len(),
                lags + 21
            ),
        ));
    }
    for (name, c) in covs {
        if c.len() != values.len() {
            return Err(SdkError::invalid_args(format!(
                "covariate {name} has {} values for {} points",
                c.len(),
                values.len()
            )));
        }
    }
    let cv: Vec<Vec<f64>> = covs.iter().map(|c| c.1.clone()).collect();
    let rows: Vec<Vec<f64>> = ((lags - 1)..(r.len() - 1))
        .map(|t| row(&r, &cv, t, lags))
        .collect();
    let y: Vec<f64> = ((lags - 1)..(r.len() - 1)).map(|t| r[t + 1]).collect();
    let p = rows[0].len();
    let n = rows.len();
    let mut mean = vec![0.0; p];
    let mut std = vec![0.0; p];
    for j in 0..p {
        let m = rows.iter().map(|x| x[j]).sum::<f64>() / n as f64;
        let v = rows.iter().map(|x| (x[j] - m).powi(2)).sum::<f64>() / n as f64;
        mean[j] = m;
        std[j] = if v > 0.0 { v.sqrt() } else { 1.0 };
    }
    let z: Vec<Vec<f64>> = rows
        .iter()
        .map(|x| (0..p).map(|j| (x[j] - mean[j]) / std[j]).collect())
        .collect();
    let mut names: Vec<String> = (1..=lags).map(|k| format!("return_lag_{k}")).collect();
    for (name, _) in covs {
        names.push(name.clone());
        names.push(format!("{name}_change"));
    }
    let mut f = Fitted {
        learner,
        lags,
        n_cov: covs.len(),
        mean,
        std,
        ridge: None,
        gbdt: None,
        names,
    };
    match learner {
        Learner::Ridge => {
            let ym = y.iter().sum::<f64>() / n as f64;
            let x = nalgebra::DMatrix::from_fn(n, p, |i, j| z[i][j]);
            let yc = nalgebra::DVector::from_iterator(n, y.iter().map(|v| v - ym));
            let mut a = x.transpose() * &x;
            for j in 0..p {
                a[(j, j)] += s.lambda;
            }
            let b = x.transpose() * yc;
            let chol = a.cholesky().ok_or_else(|| {
                SdkError::new(
                    ErrorKind::Unavailable,
                    "ridge: the normal equations are not positive definite",
                )
            })?;
            let beta = chol.solve(&b);
            f.ridge = Some((beta.iter().copied().collect(), ym));
        }
        Learner::Gbdt => {
            // perpetual reads column-major data.
            let data: Vec<f64> = (0..p).flat_map(|j| z.iter().map(move |x| x[j])).collect();
            let m = Matrix::new(&data, n, p);
            let mut b = PerpetualBooster::default()
                .set_objective(Objective::SquaredLoss)
                .set_budget(s.budget);
            b.fit(&m, &y, None, None).map_err(|e| {
                SdkError::new(ErrorKind::Unavailable, format!("GBDT fit failed: {e}"))
            })?;
            f.gbdt = Some(b);
        }
    }
    Ok(f)
}

impl std::fmt::Debug for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fitted")
            .field("learner", &self.learner)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl Fitted {
    fn predict_row(&self, raw: &[f64]) -> f64 {
        let z: Vec<f64> = raw
            .iter()
            .enumerate()
            .map(|(j, v)| (v - self.mean[j]) / self.std[j])
            .collect();
        match (&self.ridge, &self.gbdt) {
            (Some((beta, ym)), _) => ym + beta.iter().zip(&z).map(|(b, x)| b * x).sum::<f64>(),
            (None, Some(g)) => {
                let m = Matrix::new(&z, 1, z.len());
                g.predict(&m, false).first().copied().unwrap_or(0.0)
            }
            (None, None) => 0.0,
        }
    }

    /// Forecasts `h` prices after `values` (the covariates held at their last values).
    pub fn forecast(&self, values: &[f64], covs: &[(String, Vec<f64>)], h: usize) -> Vec<f64> {
        let mut r = log_returns(values);
        let last_cov: Vec<f64> = covs
            .iter()
            .map(|c| c.1.last().copied().unwrap_or(0.0))
            .collect();
        let mut price = values.last().copied().unwrap_or(0.0);
        let mut out = Vec::with_capacity(h);
        for step in 0..h {
            let t = r.len() - 1;
            let mut raw: Vec<f64> = (0..self.lags).map(|k| r[t - k]).collect();
            for (i, c) in last_cov.iter().enumerate().take(self.n_cov) {
                raw.push(*c);
                // The first step's change is the observed one; later ones are unknown (0).
                let change = if step == 0 {
                    covs[i].1.last().copied().unwrap_or(0.0)
                        - covs[i].1.iter().rev().nth(1).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                raw.push(change);
            }
            let ret = self.predict_row(&raw);
            price *= ret.exp();
            r.push(ret);
            out.push(price);
        }
        out
    }

    /// Importance of each feature: the absolute z-scored ridge coefficient, or perpetual's gain
    /// share; normalised to sum 1.
    pub fn importance(&self) -> Vec<(String, f64)> {
        let raw: Vec<f64> = match (&self.ridge, &self.gbdt) {
            (Some((beta, _)), _) => beta.iter().map(|b| b.abs()).collect(),
            (None, Some(g)) => {
                let m = g.calculate_feature_importance(
                    perpetual::booster::config::ImportanceMethod::TotalGain,
                    true,
                );
                (0..self.names.len())
                    .map(|j| f64::from(m.get(&j).copied().unwrap_or(0.0)))
                    .collect()
            }
            (None, None) => vec![0.0; self.names.len()],
        };
        let total: f64 = raw.iter().sum();
        let mut v: Vec<(String, f64)> = self
            .names
            .iter()
            .cloned()
            .zip(
                raw.iter()
                    .map(|x| if total > 0.0 { x / total } else { 0.0 }),
            )
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }

    /// The learner.
    pub fn learner(&self) -> Learner {
        self.learner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prices whose next return is 0.5 × the previous one plus a covariate's change effect.
    fn ar_series(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut s = 7u64;
        let mut noise = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.002
        };
        let mut p = vec![100.0];
        let mut cov = vec![0.0];
        let mut r = 0.0;
        for _ in 1..n {
            let c = noise();
            r = 0.5 * r + noise() + c;
            cov.push(cov[cov.len() - 1] + c * 0.0); // level only
            p.push(p[p.len() - 1] * f64::exp(r));
        }
        (p, cov)
    }

    #[test]
    fn ridge_recovers_an_autoregressive_coefficient() {
        let (p, _) = ar_series(3_000);
        let f = fit(
            Learner::Ridge,
            &p,
            &[],
            &Settings {
                lags: 3,
                lambda: 1e-6,
                budget: 0.5,
            },
        )
        .unwrap();
        let (beta, _) = f.ridge.as_ref().unwrap();
        // In original units the first lag's coefficient is beta / std.
        let b1 = beta[0] / f.std[0];
        assert!((b1 - 0.5).abs() < 0.08, "{b1}");
        let imp = f.importance();
        assert_eq!(imp[0].0, "return_lag_1");
    }

    #[test]
    fn both_learners_forecast_finite_prices() {
        let (p, cov) = ar_series(600);
        let covs = vec![("x".to_owned(), cov)];
        for l in [Learner::Ridge, Learner::Gbdt] {
            let f = fit(
                l,
                &p,
                &covs,
                &Settings {
                    lags: 5,
                    lambda: 1.0,
                    budget: 0.3,
                },
            )
            .unwrap();
            let out = f.forecast(&p, &covs, 10);
            assert_eq!(out.len(), 10);
            assert!(
                out.iter().all(|v| v.is_finite() && *v > 0.0),
                "{l:?}: {out:?}"
            );
            assert_eq!(f.names.len(), 7);
        }
    }
}
