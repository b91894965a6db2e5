//! The 15 signals recomputed for the property test, written independently of
//! [`crate::compute`]: inputs are looked up by feature *name*, each formula is restated from
//! `docs/signals.md`, and no helper of `compute` is used. Returns name → (value, confidence).

use orderflow_dataflow::CATALOGUE;
use std::collections::BTreeMap;

type Named = BTreeMap<&'static str, f64>;

struct Ask<'a> {
    v: &'a Named,
    n: f64,
    have: f64,
}

impl Ask<'_> {
    fn must(&mut self, name: &str) -> Option<f64> {
        self.n += 1.0;
        let x = self.v.get(name).copied().filter(|x| x.is_finite());
        if x.is_some() {
            self.have += 1.0;
        }
        x
    }
    fn may(&mut self, name: &str) -> f64 {
        self.must(name).unwrap_or(0.0)
    }
}

fn sign(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x.signum() }
}

/// [0, 1], NaN kept (an undefined ratio makes the signal absent).
fn unit(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// [−1, 1], NaN kept.
fn both(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

/// The large-trade tilt; 0 when the size ratio is 0 / 0.
fn tilt(flow: f64, short: f64, long: f64) -> f64 {
    let q = (short / long).ln();
    if q.is_nan() {
        0.0
    } else {
        sign(flow) * unit(q)
    }
}

fn one(name: &str, a: &mut Ask<'_>) -> Option<f64> {
    let v = match name {
        "smart_money_index" => {
            let ar = a.must("aggressive_ratio_1m")?;
            let fl = ar + ar - 1.0;
            let r1 = a.may("return_bps_1m");
            let nf = a.may("net_flow_1m");
            let s1 = a.must("avg_trade_size_1m");
            let sh = a.must("avg_trade_size_1h");
            let big = match (s1, sh) {
                (Some(x), Some(y)) => tilt(nf, x, y),
                _ => 0.0,
            };
            let n5 = a.may("net_flow_5m");
            let r5 = a.may("return_bps_5m");
            let div = if n5 != 0.0 && sign(n5) + sign(r5) == 0.0 {
                sign(n5) * (r5.abs() / 20.0).min(1.0)
            } else {
                0.0
            };
            let absorb = if r1.abs() < 10.0 {
                -fl * (1.0 - r1.abs() / 10.0)
            } else {
                0.0
            };
            both(absorb * 0.25 + big * 0.30 + fl * 0.20 + div * 0.25)
        }
        "squeeze_probability" => {
            let f8 = a.must("funding_rate_8h")?;
            unit(-f8 * 2000.0) * 0.4
                + unit(a.may("oi_delta_pct_15m") * 0.5) * 0.3
                + unit(a.may("return_bps_15m") * 0.02) * 0.3
        }
        "stop_hunt" => {
            let v1 = a.must("total_liquidation_value_1m")?;
            let v15 = a.must("total_liquidation_value_15m")?;
            let r5 = a.may("return_bps_5m");
            let burst = if v15 <= 0.0 {
                0.0
            } else {
                unit(v1 * 15.0 / v15 / 5.0)
            };
            burst * unit(1.0 - r5.abs() / 50.0)
        }
        "momentum_quality" => {
            let r = a.must("return_bps_5m")?;
            let n = a.must("net_flow_5m")?;
            let ar = a.must("aggressive_ratio_5m")?;
            if r != 0.0 && sign(r) == sign(n) {
                (r.abs() / 20.0).min(1.0) * (ar * 2.0 - 1.0).abs()
            } else {
                0.0
            }
        }
        "composite_risk" => {
            let sp = a.must("spread_bps")?;
            let parts = [
                unit(sp / 10.0),
                unit(a.may("realized_vol_bps_1m") / 20.0),
                a.may("liquidation_imbalance_5m").abs(),
                unit(a.may("funding_rate_8h").abs() * 1000.0),
            ];
            parts.iter().sum::<f64>() / 4.0
        }
        "market_maker_activity" => {
            let sp = a.must("spread_bps")?;
            let hhi = a.must("liquidity_concentration_idx")?;
            unit(1.0 - sp / 5.0) * (1.0 - hhi)
        }
        "liquidation_cascade_risk" => {
            let c = (a.may("total_liquidation_count_1m") / 5.0).min(1.0);
            let l = unit(a.may("oi_delta_pct_1h") / 5.0);
            let b = a.must("bid_depth_10")?;
            let k = a.must("ask_depth_10")?;
            let m = a.must("mid_price")?;
            let fp = (a.may("funding_rate_8h").abs() / 0.001).min(1.0);
            0.35 * c + 0.30 * l + 0.20 * (1.0 - ((b + k) * m / 1e6).min(1.0)) + 0.15 * fp
        }
        "institutional_phase" => {
            let ar = a.must("aggressive_ratio_1h")?;
            let r = a.may("return_bps_1h");
            both((ar * 2.0 - 1.0) * unit(1.0 - r.abs() / 50.0))
        }
        "volatility_breakout" => {
            let q = a.must("realized_vol_bps_1m")? * (60.0f64).sqrt()
                / a.must("realized_vol_bps_1h")?;
            if !q.is_finite() {
                return None;
            }
            unit(q - 1.0)
        }
        "mean_reversion" => -both(a.must("price_vs_vwap_15m")? / 30.0),
        "momentum_exhaustion" => {
            let r = a.must("return_bps_15m")?;
            let ar = a.must("aggressive_ratio_1m")?;
            (r.abs() / 50.0).min(1.0) * (-sign(r) * (ar * 2.0 - 1.0)).max(0.0)
        }
        "smart_money_flow" => {
            let ar = a.must("aggressive_ratio_15m")?;
            let n = a.may("net_flow_15m");
            let s15 = a.must("avg_trade_size_15m");
            let s1h = a.must("avg_trade_size_1h");
            let big = match (s15, s1h) {
                (Some(x), Some(y)) => tilt(n, x, y),
                _ => 0.0,
            };
            both((ar * 2.0 - 1.0) * 0.5 + big * 0.5)
        }
        "arbitrage_opportunity" => (a.must("mark_index_basis_bps")?.abs() / 20.0).min(1.0),
        "regime_transition" => {
            let q = a.must("realized_vol_bps_1m")? * (60.0f64).sqrt()
                / a.must("realized_vol_bps_1h")?;
            let s = q.ln().abs();
            if !s.is_finite() {
                return None;
            }
            s.min(1.0)
        }
        "execution_quality" => {
            let sp = a.must("spread_bps")?;
            let md = a.may("microprice_deviation");
            let b = a.must("bid_depth_10")?;
            let k = a.must("ask_depth_10")?;
            let m = a.must("mid_price")?;
            1.0 - unit(sp / 10.0) / 2.0
                - unit(md.abs() / 5.0) / 4.0
                - (1.0 - ((b + k) * m / 1e6).min(1.0)) / 4.0
        }
        _ => return None,
    };
    (!v.is_nan()).then_some(v)
}

/// [`signals`] with the context: regime age (s) and the best cross-venue net edge (bps); each
/// replaces its signal's stand-in when present.
pub fn signals_with(
    features: &BTreeMap<orderflow_dataflow::FeatureId, f64>,
    regime_age_s: Option<f64>,
    arbitrage_net_bps: Option<f64>,
) -> BTreeMap<&'static str, (f64, f64)> {
    let mut out = signals(features);
    if let Some(age) = regime_age_s.filter(|a| a.is_finite()) {
        // Halves each minute since the change.
        out.insert("regime_transition", ((-age.max(0.0) / 60.0).exp2(), 1.0));
    }
    if let Some(net) = arbitrage_net_bps.filter(|n| n.is_finite()) {
        out.insert("arbitrage_opportunity", (unit(net * 0.2), 1.0));
    }
    out
}

/// Every signal: name → (value, confidence), from feature values keyed by feature id.
pub fn signals(
    features: &BTreeMap<orderflow_dataflow::FeatureId, f64>,
) -> BTreeMap<&'static str, (f64, f64)> {
    let named: Named = CATALOGUE
        .iter()
        .filter_map(|d| features.get(&d.id).map(|v| (d.name, *v)))
        .collect();
    let names = [
        "smart_money_index",
        "squeeze_probability",
        "stop_hunt",
        "momentum_quality",
        "composite_risk",
        "market_maker_activity",
        "liquidation_cascade_risk",
        "institutional_phase",
        "volatility_breakout",
        "mean_reversion",
        "momentum_exhaustion",
        "smart_money_flow",
        "arbitrage_opportunity",
        "regime_transition",
        "execution_quality",
    ];
    let mut out = BTreeMap::new();
    for name in names {
        let mut a = Ask {
            v: &named,
            n: 0.0,
            have: 0.0,
        };
        if let Some(v) = one(name, &mut a) {
            let directional = matches!(
                name,
                "smart_money_index" | "institutional_phase" | "mean_reversion" | "smart_money_flow"
            );
            let v = if directional { both(v) } else { unit(v) };
            out.insert(name, (v, a.have / a.n));
        }
    }
    out
}
