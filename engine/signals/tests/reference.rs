//! Property test: the signals computed from a feature vector equal the independent reference's,
//! value and confidence, for arbitrary vectors with arbitrary features missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_dataflow::{CATALOGUE, FeatureId};
use orderflow_signals::{SIGNALS, compute, compute_with, reference};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn arb_features() -> impl Strategy<Value = BTreeMap<FeatureId, f64>> {
    // Each feature present with probability ~0.8, values across signs and scales.
    let value = prop_oneof![
        Just(0.0),
        -2.0f64..2.0,
        -200.0f64..200.0,
        0.0f64..1.0,
        1.0f64..200_000.0,
        -0.002f64..0.002,
    ];
    prop::collection::vec(prop::option::weighted(0.8, value), CATALOGUE.len()).prop_map(|vs| {
        vs.into_iter()
            .enumerate()
            .filter_map(|(k, v)| v.map(|v| (CATALOGUE[k].id, v)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn signals_equal_the_independent_reference(
        f in arb_features(),
        age in prop::option::of(0.0..1_000.0f64),
        net in prop::option::of(-50.0..50.0f64),
    ) {
        let ctx = orderflow_signals::Context { regime_age_s: age, arbitrage_net_bps: net };
        let got: BTreeMap<&str, (f64, f64)> =
            compute_with(&f, &ctx).into_iter().map(|s| (s.name, (s.value, s.confidence))).collect();
        let want = reference::signals_with(&f, age, net);
        prop_assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (name, (v, c)) in &got {
            let (rv, rc) = want[name];
            prop_assert!((v - rv).abs() <= 1e-9 * v.abs().max(1.0), "{} value {} vs {}", name, v, rv);
            prop_assert!((c - rc).abs() <= 1e-12, "{} confidence {} vs {}", name, c, rc);
            let def = SIGNALS.iter().find(|d| d.name == *name).unwrap();
            let (lo, hi) = match def.kind {
                orderflow_signals::Kind::Directional => (-1.0, 1.0),
                orderflow_signals::Kind::Level => (0.0, 1.0),
            };
            prop_assert!(*v >= lo - 1e-12 && *v <= hi + 1e-12, "{} = {} outside its range", name, v);
        }
    }
}

/// Golden values on one hand-made vector.
#[test]
fn golden_values() {
    use orderflow_dataflow::catalogue::ids as f;
    let f: BTreeMap<FeatureId, f64> = [
        (f::AGGRESSIVE_RATIO_1M, 0.75), // flow = 0.5
        (f::RETURN_BPS_1M, 2.0),        // absorption = −0.5·0.8 = −0.4
        (f::NET_FLOW_1M, 3.0),
        (f::AVG_TRADE_SIZE_1M, 2.0 * std::f64::consts::E), // whale = +1 (ln(2e/1) > 1)
        (f::AVG_TRADE_SIZE_1H, 1.0),
        (f::NET_FLOW_5M, -1.0),
        (f::RETURN_BPS_5M, 10.0), // divergence = −0.5
        (f::PRICE_VS_VWAP_15M, 15.0),
        (f::MARK_INDEX_BASIS_BPS, -5.0),
    ]
    .into();
    let s: BTreeMap<&str, f64> = compute(&f).into_iter().map(|s| (s.name, s.value)).collect();
    // 0.25·(−0.4) + 0.30·1 + 0.20·0.5 + 0.25·(−0.5) = 0.175
    assert!((s["smart_money_index"] - 0.175).abs() < 1e-12);
    assert!((s["mean_reversion"] + 0.5).abs() < 1e-12);
    assert!((s["arbitrage_opportunity"] - 0.25).abs() < 1e-12);
    assert!(
        !s.contains_key("execution_quality"),
        "no book features: absent"
    );
}

/// Empty windows are 0, not absent: with no liquidation in 15 minutes (a spot pair, a quiet
/// market) the stop-hunt signal is 0, not an undefined 0 / 0 that would drop it.
#[test]
fn stop_hunt_is_zero_without_liquidations() {
    use orderflow_dataflow::catalogue::ids as f;
    let f: BTreeMap<FeatureId, f64> = [
        (f::TOTAL_LIQ_VALUE_1M, 0.0),
        (f::TOTAL_LIQ_VALUE_15M, 0.0),
        (f::RETURN_BPS_5M, 3.0),
    ]
    .into();
    let s: BTreeMap<&str, f64> = compute(&f).into_iter().map(|s| (s.name, s.value)).collect();
    assert_eq!(s.get("stop_hunt"), Some(&0.0));
    // A burst: 1-minute value at 15× the 15-minute rate, price back where it was.
    let f: BTreeMap<FeatureId, f64> = [
        (f::TOTAL_LIQ_VALUE_1M, 100.0),
        (f::TOTAL_LIQ_VALUE_15M, 100.0),
        (f::RETURN_BPS_5M, 0.0),
    ]
    .into();
    let s: BTreeMap<&str, f64> = compute(&f).into_iter().map(|s| (s.name, s.value)).collect();
    assert_eq!(s.get("stop_hunt"), Some(&1.0));
}
