//! The 15 signals from one feature vector ([`compute`]). Formulas: [`crate::catalogue`].

use crate::catalogue::{Kind, SIGNALS, ids};
use crate::{Context, Features};
use orderflow_dataflow::FeatureId;
use orderflow_dataflow::catalogue::ids as f;

/// One signal's value.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Signal {
    /// Name (see `docs/signals.md`).
    pub name: &'static str,
    /// Value: [−1, 1] for directional signals, [0, 1] for level signals.
    pub value: f64,
    /// Share of the signal's inputs that were present, in (0, 1].
    pub confidence: f64,
    /// The named components the value is made of.
    pub components: Vec<(&'static str, f64)>,
}

fn clamp(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

fn sgn(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Reads inputs and counts which were present.
struct Inputs<'a> {
    f: &'a Features,
    ctx: &'a Context,
    asked: u32,
    found: u32,
}

impl Inputs<'_> {
    fn get(&mut self, id: FeatureId) -> Option<f64> {
        self.asked += 1;
        let v = self.f.get(&id).copied().filter(|v| v.is_finite());
        self.found += u32::from(v.is_some());
        v
    }
    /// An optional input: 0 when missing (lowering the confidence).
    fn or0(&mut self, id: FeatureId) -> f64 {
        self.get(id).unwrap_or(0.0)
    }
    /// A context value (counted like a feature input).
    fn ctx(&mut self, v: Option<f64>) -> Option<f64> {
        self.asked += 1;
        let v = v.filter(|v| v.is_finite());
        self.found += u32::from(v.is_some());
        v
    }
    fn confidence(&self) -> f64 {
        if self.asked == 0 {
            0.0
        } else {
            f64::from(self.found) / f64::from(self.asked)
        }
    }
}

/// Large-trade tilt: `sgn(flow)·clamp01(ln(avg_short / avg_long))`; 0 when the ratio is
/// undefined (0 / 0).
fn whale(flow: f64, avg_short: f64, avg_long: f64) -> f64 {
    let r = (avg_short / avg_long).ln();
    if r.is_nan() {
        0.0
    } else {
        sgn(flow) * clamp01(r)
    }
}

/// Notional depth of the best 10 levels per side, as a share of 10⁶ quote units.
fn depth_share(i: &mut Inputs<'_>) -> Option<f64> {
    let depth = i.get(f::BID_DEPTH_10)? + i.get(f::ASK_DEPTH_10)?;
    Some((depth * i.get(f::MID_PRICE)? / 1e6).min(1.0))
}

type Parts = (f64, Vec<(&'static str, f64)>);

fn signal(index: usize, i: &mut Inputs<'_>) -> Option<Parts> {
    Some(match index {
        ids::SMART_MONEY_INDEX => {
            let flow = 2.0 * i.get(f::AGGRESSIVE_RATIO_1M)? - 1.0;
            let absorption = -flow * (1.0 - i.or0(f::RETURN_BPS_1M).abs() / 10.0).max(0.0);
            let net1m = i.or0(f::NET_FLOW_1M);
            let whale_c = match (i.get(f::AVG_TRADE_SIZE_1M), i.get(f::AVG_TRADE_SIZE_1H)) {
                (Some(s), Some(l)) => whale(net1m, s, l),
                _ => 0.0,
            };
            let (net5, ret5) = (i.or0(f::NET_FLOW_5M), i.or0(f::RETURN_BPS_5M));
            let divergence = if sgn(net5) != 0.0 && sgn(net5) == -sgn(ret5) {
                sgn(net5) * (ret5.abs() / 20.0).min(1.0)
            } else {
                0.0
            };
            let v = 0.25 * absorption + 0.30 * whale_c + 0.20 * flow + 0.25 * divergence;
            (
                clamp(v),
                vec![
                    ("absorption", absorption),
                    ("whale", whale_c),
                    ("flow_toxicity", flow),
                    ("cvd_divergence", divergence),
                ],
            )
        }
        ids::SQUEEZE_PROBABILITY => {
            let funding = clamp01(-i.get(f::FUNDING_RATE_8H)? / 0.0005);
            let oi = clamp01(i.or0(f::OI_DELTA_PCT_15M) / 2.0);
            let price = clamp01(i.or0(f::RETURN_BPS_15M) / 50.0);
            (
                0.4 * funding + 0.3 * oi + 0.3 * price,
                vec![
                    ("negative_funding", funding),
                    ("oi_rising", oi),
                    ("price_rising", price),
                ],
            )
        }
        ids::STOP_HUNT => {
            let v1 = i.get(f::TOTAL_LIQ_VALUE_1M)?;
            let v15 = i.get(f::TOTAL_LIQ_VALUE_15M)?;
            // No liquidation in 15 minutes: no burst (not an undefined 0 / 0).
            let burst = if v15 > 0.0 {
                clamp01(v1 / (v15 / 15.0) / 5.0)
            } else {
                0.0
            };
            let returned = (1.0 - i.or0(f::RETURN_BPS_5M).abs() / 50.0).max(0.0);
            (
                burst * returned,
                vec![("liquidation_burst", burst), ("price_returned", returned)],
            )
        }
        ids::MOMENTUM_QUALITY => {
            let ret = i.get(f::RETURN_BPS_5M)?;
            let net = i.get(f::NET_FLOW_5M)?;
            let flow = (2.0 * i.get(f::AGGRESSIVE_RATIO_5M)? - 1.0).abs();
            let size = (ret.abs() / 20.0).min(1.0);
            let aligned = sgn(ret) != 0.0 && sgn(ret) == sgn(net);
            (
                if aligned { size * flow } else { 0.0 },
                vec![
                    ("move", size),
                    ("flow_strength", flow),
                    ("aligned", f64::from(u8::from(aligned))),
                ],
            )
        }
        ids::COMPOSITE_RISK => {
            let spread = clamp01(i.get(f::SPREAD_BPS)? / 10.0);
            let vol = clamp01(i.or0(f::REALIZED_VOL_BPS_1M) / 20.0);
            let liq = i.or0(f::LIQ_IMBALANCE_5M).abs();
            let funding = clamp01(i.or0(f::FUNDING_RATE_8H).abs() / 0.001);
            (
                (spread + vol + liq + funding) / 4.0,
                vec![
                    ("spread", spread),
                    ("volatility", vol),
                    ("liquidation_imbalance", liq),
                    ("funding", funding),
                ],
            )
        }
        ids::MARKET_MAKER_ACTIVITY => {
            let tight = clamp01(1.0 - i.get(f::SPREAD_BPS)? / 5.0);
            let spread_out = 1.0 - i.get(f::LIQUIDITY_CONCENTRATION_IDX)?;
            (
                tight * spread_out,
                vec![("tight_spread", tight), ("dispersed_depth", spread_out)],
            )
        }
        ids::LIQUIDATION_CASCADE_RISK => {
            let cluster = (i.or0(f::TOTAL_LIQ_COUNT_1M) / 5.0).min(1.0);
            let leverage = clamp01(i.or0(f::OI_DELTA_PCT_1H) / 5.0);
            let thin = 1.0 - depth_share(i)?;
            let funding = (i.or0(f::FUNDING_RATE_8H).abs() / 0.001).min(1.0);
            (
                0.35 * cluster + 0.30 * leverage + 0.20 * thin + 0.15 * funding,
                vec![
                    ("liquidation_cluster", cluster),
                    ("leverage_stress", leverage),
                    ("thin_liquidity", thin),
                    ("funding_pressure", funding),
                ],
            )
        }
        ids::INSTITUTIONAL_PHASE => {
            let flow = 2.0 * i.get(f::AGGRESSIVE_RATIO_1H)? - 1.0;
            let quiet = (1.0 - i.or0(f::RETURN_BPS_1H).abs() / 50.0).max(0.0);
            (
                clamp(flow * quiet),
                vec![("flow_1h", flow), ("price_quiet", quiet)],
            )
        }
        ids::VOLATILITY_BREAKOUT => {
            let ratio =
                i.get(f::REALIZED_VOL_BPS_1M)? * 60f64.sqrt() / i.get(f::REALIZED_VOL_BPS_1H)?;
            if !ratio.is_finite() {
                return None;
            }
            (clamp01(ratio - 1.0), vec![("vol_ratio", ratio)])
        }
        ids::MEAN_REVERSION => {
            let stretch = i.get(f::PRICE_VS_VWAP_15M)?;
            (-clamp(stretch / 30.0), vec![("price_vs_vwap_15m", stretch)])
        }
        ids::MOMENTUM_EXHAUSTION => {
            let ret = i.get(f::RETURN_BPS_15M)?;
            let flow = 2.0 * i.get(f::AGGRESSIVE_RATIO_1M)? - 1.0;
            let size = (ret.abs() / 50.0).min(1.0);
            let against = (-sgn(ret) * flow).max(0.0);
            (
                size * against,
                vec![("move_15m", size), ("flow_against", against)],
            )
        }
        ids::SMART_MONEY_FLOW => {
            let flow = 2.0 * i.get(f::AGGRESSIVE_RATIO_15M)? - 1.0;
            let net = i.or0(f::NET_FLOW_15M);
            let w = match (i.get(f::AVG_TRADE_SIZE_15M), i.get(f::AVG_TRADE_SIZE_1H)) {
                (Some(s), Some(l)) => whale(net, s, l),
                _ => 0.0,
            };
            (
                clamp(0.5 * flow + 0.5 * w),
                vec![("flow_15m", flow), ("large_trades", w)],
            )
        }
        ids::ARBITRAGE_OPPORTUNITY if i.ctx.arbitrage_net_bps.is_some() => {
            let net = i.ctx(i.ctx.arbitrage_net_bps)?;
            (clamp01(net / 5.0), vec![("cross_venue_net_bps", net)])
        }
        ids::REGIME_TRANSITION if i.ctx.regime_age_s.is_some() => {
            let age = i.ctx(i.ctx.regime_age_s)?.max(0.0);
            (
                0.5f64.powf(age / 60.0),
                vec![("seconds_since_regime_change", age)],
            )
        }
        ids::ARBITRAGE_OPPORTUNITY => {
            let basis = i.get(f::MARK_INDEX_BASIS_BPS)?;
            (
                (basis.abs() / 20.0).min(1.0),
                vec![("mark_index_basis_bps", basis)],
            )
        }
        ids::REGIME_TRANSITION => {
            let ratio =
                i.get(f::REALIZED_VOL_BPS_1M)? * 60f64.sqrt() / i.get(f::REALIZED_VOL_BPS_1H)?;
            let shift = ratio.ln().abs();
            if !shift.is_finite() {
                return None;
            }
            (shift.min(1.0), vec![("vol_ratio", ratio)])
        }
        ids::EXECUTION_QUALITY => {
            let spread = clamp01(i.get(f::SPREAD_BPS)? / 10.0);
            let skew = clamp01(i.or0(f::MICROPRICE_DEVIATION).abs() / 5.0);
            let thin = 1.0 - depth_share(i)?;
            (
                1.0 - 0.5 * spread - 0.25 * skew - 0.25 * thin,
                vec![
                    ("spread", spread),
                    ("microprice_skew", skew),
                    ("thin_liquidity", thin),
                ],
            )
        }
        _ => return None,
    })
}

/// Every signal that `features` allows (absent ones are left out), in catalogue order, without
/// context (the regime and arbitrage signals use their single-venue stand-ins).
pub fn compute(features: &Features) -> Vec<Signal> {
    compute_with(features, &Context::default())
}

/// [`compute`] with the regime classifier's and the cross-venue layer's context.
pub fn compute_with(features: &Features, ctx: &Context) -> Vec<Signal> {
    (0..SIGNALS.len())
        .filter_map(|k| {
            let mut i = Inputs {
                f: features,
                ctx,
                asked: 0,
                found: 0,
            };
            let (value, components) = signal(k, &mut i)?;
            // Inputs outside their usual range (e.g. a concentration above 1) cannot push a
            // signal out of its own.
            let value = match SIGNALS[k].kind {
                Kind::Directional => clamp(value),
                Kind::Level => clamp01(value),
            };
            value.is_finite().then(|| Signal {
                name: SIGNALS[k].name,
                value,
                confidence: i.confidence(),
                components,
            })
        })
        .collect()
}
