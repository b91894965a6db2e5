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
