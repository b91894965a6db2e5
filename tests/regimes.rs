//! Property test: the regime tracker (fed feature vectors as the engine feeds it at each
//! snapshot) labels every step as the independent reference does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_dataflow::catalogue::ids;
use orderflow_dataflow::{FeatureVector, RegimeTracker, reference};
use orderflow_model::InstrumentId;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn step() -> impl Strategy<Value = Option<(f64, f64, f64)>> {
    // Values around every threshold: trend in ±3, vol ratio 0.2–2.
    prop::option::weighted(
        0.9,
        (
            -3.0f64..3.0,
            0.2f64..2.0,
            prop_oneof![Just(0.0), 1.0f64..50.0],
        )
            .prop_map(|(t, v, rv15)| (t * rv15, v * rv15 / 15f64.sqrt(), rv15)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn tracker_equals_the_reference(steps in prop::collection::vec(step(), 1..60)) {
        let inst = InstrumentId(0);
        let mut tracker = RegimeTracker::default();
        let mut got = Vec::new();
        for (k, s) in steps.iter().enumerate() {
            let mut values = BTreeMap::new();
            if let Some((ret, rv1, rv15)) = s {
                values.insert(ids::RETURN_BPS_15M, *ret);
                values.insert(ids::REALIZED_VOL_BPS_1M, *rv1);
                values.insert(ids::REALIZED_VOL_BPS_15M, *rv15);
            }
            let fv = FeatureVector { time: k as u64, values };
            tracker.update(k as u64, &[(inst, fv)].into());
            got.push(tracker.states().get(&inst).map(|s| s.regime.name()));
        }
        prop_assert_eq!(got, reference::regimes_over(&steps));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The cross-venue classifier of a symbol labels every step as the reference does on the
    /// median of the venues' inputs (computed here by sorting, independently of the tracker).
    #[test]
    fn symbol_tracker_equals_the_reference_on_median_inputs(
        steps in prop::collection::vec(
            prop::collection::vec((-3.0f64..3.0, 0.2f64..2.0), 0..5),
            1..60,
        )
    ) {
        let mut tracker = orderflow_dataflow::SymbolRegimeTracker::default();
        let mut got = Vec::new();
        let mut want_steps = Vec::new();
        for (k, venues) in steps.iter().enumerate() {
            let xs: Vec<orderflow_dataflow::regime::RegimeInputs> = venues
                .iter()
                .map(|(t, v)| orderflow_dataflow::regime::RegimeInputs { trend: *t, vol_ratio: *v })
                .collect();
            tracker.update(k as u64, &[("BTCUSDT".to_owned(), xs)].into());
            got.push(tracker.states().get("BTCUSDT").map(|s| s.regime.name()));
            let mid = |mut v: Vec<f64>| {
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let n = v.len();
                if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
            };
            want_steps.push((!venues.is_empty()).then(|| {
                let t = mid(venues.iter().map(|x| x.0).collect());
                let v = mid(venues.iter().map(|x| x.1).collect());
                // As (return, rv_1m, rv_15m) with rv_15m = 1.
                (t, v / 15f64.sqrt(), 1.0)
            }));
        }
        prop_assert_eq!(got, reference::regimes_over(&want_steps));
    }
}
