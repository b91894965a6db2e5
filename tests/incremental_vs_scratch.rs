//! Property test: every feature the dataflow maintains equals a from-scratch batch computation
//! over the same events, at every engine time.
//!
//! Random event sequences over two instruments: book snapshots and deltas on a narrow price grid
//! (so the best-20 set churns, levels are removed, including levels that do not exist), trades
//! (with duplicates and out-of-order receive times inside a batch), mark/index, funding and open
//! interest, liquidations and 24 h tickers; batch gaps of up to 67 minutes so every trade window (10 s … 1 h) fills and
//! expires. Cases: `PROPTEST_CASES` (default 64).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use differential_dataflow::input::Input as _;
use orderflow_dataflow::{FeatureId, Ingress, reference};
use orderflow_model::{Event, EventKind, Fixed, InstrumentId, Level, Side};
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Whale threshold of these tests (quote).
const WHALE: f64 = 200.0;
/// Sessions of the graph tests: a one-hour session, one wrapping past midnight and one all
/// day, so that batch gaps (up to 67 minutes) cross instances. Receive times start at 1e12 ns
/// (00:16:40 UTC).
const SESSIONS: [Option<(u32, u32)>; 3] = [Some((0, 1)), Some((23, 2)), Some((0, 24))];
/// Retraction bucket of the 1m–1h trade windows in the graph tests (ns): 1 s, the engine's
/// default snapshot interval; batch times fall both on and between its multiples.
const BUCKET: u64 = 1_000_000_000;

fn px(ticks: i64) -> Fixed {
    Fixed::from_raw(100_000_000_000 + ticks * 10_000_000) // 1000.00 + ticks × 0.1
}

fn arb_kind() -> impl Strategy<Value = EventKind> {
    let level = (any::<bool>(), 0i64..60, 0i64..5).prop_map(|(buy, t, s)| Level {
        side: if buy { Side::Buy } else { Side::Sell },
        // Bids below 30, asks above 30: a sane but churning book.
        price: if buy { px(t / 2) } else { px(30 + t / 2) },
        size: Fixed::from_raw(s * 25_000_000),
    });
    prop_oneof![
        3 => prop::collection::vec(level.clone(), 1..6).prop_map(|levels| EventKind::Book { snapshot: false, levels, sequence: 0 }),
        1 => prop::collection::vec(level, 0..45).prop_map(|levels| {
            let levels = levels.into_iter().filter(|l| !l.size.is_zero()).collect();
            EventKind::Book { snapshot: true, levels, sequence: 0 }
        }),
        4 => (0i64..60, 1i64..40, any::<bool>()).prop_map(|(t, s, buy)| EventKind::Trade {
            price: px(t),
            size: Fixed::from_raw(s * 1_000_000),
            aggressor: if buy { Side::Buy } else { Side::Sell },
            trade_id: 0,
        }),
        1 => (0i64..60, 0i64..60).prop_map(|(m, i)| EventKind::MarkPrice { mark: px(m), index: if i == 0 { Fixed::ZERO } else { px(i) } }),
        1 => (-100i64..100).prop_map(|r| EventKind::Funding { rate: Fixed::from_raw(r * 1_000), next_funding_ns: 0 }),
        1 => (1i64..1000).prop_map(|oi| EventKind::OpenInterest { open_interest: Fixed::from_raw(oi * 100_000_000) }),
        1 => (0i64..60, 1i64..40, any::<bool>()).prop_map(|(t, s, sell)| EventKind::Liquidation {
            side: if sell { Side::Sell } else { Side::Buy },
            price: px(t),
            size: Fixed::from_raw(s * 1_000_000),
        }),
        1 => (0i64..60, 0i64..60, 0i64..60, 0i64..60, 0u32..1_000_000).prop_map(|(l, o, h, lo, v)| EventKind::Ticker {
            last: px(l),
            open: px(o),
            high: px(l.max(h)),
            low: px(l.min(lo)),
            volume: f64::from(v) / 8.0,
            quote_volume: f64::from(v) * 125.0,
            trade_count: 0,
        }),
    ]
}

/// A batch: a gap (ms) before it, and events (instrument, kind, receive-time jitter).
type Batch = (u64, Vec<(u32, EventKind, u64)>);

fn arb_batches() -> impl Strategy<Value = Vec<Batch>> {
    // Gaps on a 500 ms / 10 s grid land exactly on window boundaries (t + W) often.
    let gap = prop_oneof![
        3 => 1u64..2_000,
        3 => (1u64..21).prop_map(|k| k * 500),
        2 => (1u64..32).prop_map(|k| k * 10_000),
        1 => 70_000u64..400_000,
        // 15 min to 67 min: the 15m and 1h windows fill and expire too.
        1 => 900_000u64..4_000_000,
        // About a day: the sessions' next instances begin.
        1 => 82_800_000u64..90_000_000,
    ];
    let ev = (0u32..2, arb_kind(), 0u64..1_000, any::<bool>());
    prop::collection::vec(
        (gap, prop::collection::vec(ev, 0..8)).prop_map(|(g, evs)| {
            let mut out = Vec::new();
            for (inst, kind, jitter, dup) in evs {
                if dup && matches!(kind, EventKind::Trade { .. }) {
                    out.push((inst, kind.clone(), jitter));
                }
                out.push((inst, kind, jitter));
            }
            (g, out)
        }),
        1..40,
    )
}

type Out = Rc<
    RefCell<
        BTreeMap<(InstrumentId, FeatureId), BTreeMap<orderflow_dataflow::records::Value, isize>>,
    >,
>;

fn accumulated(out: &Out) -> BTreeMap<(InstrumentId, FeatureId), f64> {
    out.borrow()
        .iter()
        .filter_map(|(k, vals)| {
            let live: Vec<_> = vals.iter().filter(|(_, n)| **n != 0).collect();
            assert!(
                live.len() <= 1,
                "feature {:?} has several values: {live:?}",
                k.1.name()
            );
            live.first().map(|(v, n)| {
                assert_eq!(**n, 1, "multiplicity of {:?}", k.1.name());
                (*k, v.0)
            })
        })
        .collect()
}

fn run(batches: Vec<Batch>) -> Result<(), TestCaseError> {
    let failure = timely::execute_directly(move |worker| {
        let mut failure: Option<String> = None;
        let out: Out = Rc::new(RefCell::new(BTreeMap::new()));
        let out2 = out.clone();
        let (mut inputs, probe) = worker.dataflow::<u64, _, _>(|scope| {
            let (inputs, features) = orderflow_dataflow::build(scope, BUCKET);
            let (probe, _) = features
                .inspect(move |((inst, id, v), _t, d)| {
                    *out2
                        .borrow_mut()
                        .entry((*inst, *id))
                        .or_default()
                        .entry(*v)
                        .or_insert(0) += d;
                })
                .probe();
            let _ = scope.new_collection::<u8, isize>(); // unused input: closes immediately
            (inputs, probe)
        });
        // Instrument 1 funds hourly (Kraken, Hyperliquid); instrument 0 every 8 h.
        let intervals: BTreeMap<InstrumentId, u32> = [(InstrumentId(1), 1)].into();
        // A low whale threshold so random trades (notional up to ~400) include whales.
        let mut ingress = Ingress::with_funding_intervals(intervals.clone())
            .with_whale_notional(WHALE)
            .with_sessions(SESSIONS);
        let mut history: Vec<(u64, Event)> = Vec::new();
        let mut now: u64 = 1_000_000_000_000;
        for (gap_ms, events) in batches {
            now += gap_ms * 1_000_000;
            inputs.advance_to(now);
            for (inst, kind, jitter) in events {
                // Receive times inside a batch are out of order; engine time is the batch's.
                // Exchange times on a coarse grid: consecutive trades often share one (one
                // taker order), so sweeps of two and three prices both occur.
                let ev = Event {
                    inst: InstrumentId(inst),
                    ts_event: now - (jitter % 3) * 100,
                    ts_recv: now - jitter,
                    kind,
                };
                ingress.apply(&ev, &mut inputs);
                history.push((now, ev));
            }
            ingress.flush(&mut inputs);
            inputs.advance_to(now + 1);
            inputs.flush();
            while probe.less_than(&(now + 1)) {
                worker.step();
            }
            let have = accumulated(&out);
            let want =
                reference::features_at_full(&history, now, &intervals, WHALE, BUCKET, &SESSIONS);
            if !reference::agree(&have, &want) && failure.is_none() {
                let mut diff = Vec::new();
                for k in have.keys().chain(want.keys()) {
                    let same = matches!((have.get(k), want.get(k)), (Some(x), Some(y)) if reference::close(*x, *y));
                    if !same {
                        diff.push(format!(
                            "{}#{} dataflow={:?} scratch={:?}",
                            k.1.name(),
                            k.0,
                            have.get(k),
                            want.get(k)
                        ));
                    }
                }
                diff.dedup();
                failure = Some(format!("at t={now}: {}", diff.join("; ")));
            }
        }
        failure
    });
    match failure {
        Some(f) => Err(TestCaseError::fail(f)),
        None => Ok(()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_feature_equals_the_batch_computation(batches in arb_batches()) {
        run(batches)?;
    }
}

/// A hand-written sequence that exercises every feature at least once.
#[test]
fn every_catalogue_feature_is_produced_and_checked() {
    let mut batches = Vec::new();
    let mut levels = Vec::new();
    for t in 0..25 {
        levels.push(Level {
            side: Side::Buy,
            price: px(t),
            size: Fixed::from_raw((t + 1) * 10_000_000),
        });
        levels.push(Level {
            side: Side::Sell,
            price: px(30 + t),
            size: Fixed::from_raw((t + 2) * 10_000_000),
        });
    }
    batches.push((
        1,
        vec![(
            0,
            EventKind::Book {
                snapshot: true,
                levels,
                sequence: 1,
            },
            0,
        )],
    ));
    for (i, p) in [10, 12, 11, 15].iter().enumerate() {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        batches.push((
            500,
            vec![(
                0,
                EventKind::Trade {
                    price: px(*p),
                    size: Fixed::from_raw(5_000_000),
                    aggressor: side,
                    trade_id: 0,
                },
                0,
            )],
        ));
    }
    batches.push((
        10,
        vec![
            (
                0,
                EventKind::MarkPrice {
                    mark: px(20),
                    index: px(19),
                },
                0,
            ),
            (
                0,
                EventKind::Funding {
                    rate: Fixed::from_raw(10_000),
                    next_funding_ns: 0,
                },
                0,
            ),
            (
                0,
                EventKind::OpenInterest {
                    open_interest: Fixed::from_raw(123_400_000_000),
                },
                0,
            ),
            (
                0,
                EventKind::Liquidation {
                    side: Side::Sell,
                    price: px(9),
                    size: Fixed::from_raw(30_000_000),
                },
                0,
            ),
            (
                0,
                EventKind::Liquidation {
                    side: Side::Buy,
                    price: px(16),
                    size: Fixed::from_raw(10_000_000),
                },
                0,
            ),
            (
                0,
                EventKind::Ticker {
                    last: px(15),
                    open: px(11),
                    high: px(18),
                    low: px(5),
                    volume: 1234.5,
                    quote_volume: 1_250_000.0,
                    trade_count: 99,
                },
                0,
            ),
        ],
    ));
    // 61 minutes later: open interest changed (oi_delta_* need a value an hour old), and fresh
    // trades and liquidations so the short windows are not empty.
    let mut late = vec![(
        0,
        EventKind::OpenInterest {
            open_interest: Fixed::from_raw(130_000_000_000),
        },
        0,
    )];
    for (p, side) in [(12, Side::Buy), (13, Side::Sell)] {
        late.push((
            0,
            EventKind::Trade {
                price: px(p),
                size: Fixed::from_raw(7_000_000),
                aggressor: side,
                trade_id: 0,
            },
            0,
        ));
        late.push((
            0,
            EventKind::Liquidation {
                side,
                price: px(p),
                size: Fixed::from_raw(2_000_000),
            },
            0,
        ));
    }
    // One taker order sweeping three ask prices at one exchange time (a sweep, ask hits, and
    // whales: 0.3 × ~1003 ≥ 200).
    for p in [30, 31, 31, 32] {
        late.push((
            0,
            EventKind::Trade {
                price: px(p),
                size: Fixed::from_raw(30_000_000),
                aggressor: Side::Buy,
                trade_id: 0,
            },
            0,
        ));
    }
    // Two fills at px(33), whose ask shows 0.5: together exactly what was shown, so neither is
    // an iceberg fill (the two 0.3 fills at px(31) above, showing 0.3, make one).
    for _ in 0..2 {
        late.push((
            0,
            EventKind::Trade {
                price: px(33),
                size: Fixed::from_raw(25_000_000),
                aggressor: Side::Buy,
                trade_id: 0,
            },
            0,
        ));
    }
    batches.push((3_660_000, late));
    run(batches.clone()).unwrap();
    // And the reference itself produces the whole catalogue for this sequence.
    let mut history = Vec::new();
    let mut now = 0;
    for (gap, evs) in batches {
        now += gap * 1_000_000;
        for (inst, kind, _) in evs {
            history.push((
                now,
                Event {
                    inst: InstrumentId(inst),
                    ts_event: now,
                    ts_recv: now,
                    kind,
                },
            ));
        }
    }
    let got =
        reference::features_at_full(&history, now, &BTreeMap::new(), WHALE, BUCKET, &SESSIONS);
    // (The sampled second stage is checked by engine/dataflow/tests/series_vs_reference.rs.)
    for def in orderflow_dataflow::CATALOGUE
        .iter()
        .filter(|d| !d.is_sampled())
    {
        assert!(
            got.contains_key(&(InstrumentId(0), def.id)),
            "{} not produced",
            def.name
        );
    }
}

/// Events with strictly increasing receive times (`gaps` in ms), on two instruments.
fn timed_events(spec: &[(u64, u32, EventKind)]) -> Vec<orderflow_model::Event> {
    let mut now: u64 = 1_000_000_000_000;
    spec.iter()
        .map(|(gap_ms, inst, kind)| {
            now += gap_ms * 1_000_000 + 1;
            Event {
                inst: InstrumentId(*inst),
                ts_event: now,
                ts_recv: now,
                kind: kind.clone(),
            }
        })
        .collect()
}

type FeatureMap = BTreeMap<(InstrumentId, FeatureId), f64>;

/// Runs the engine over `events` cut into steps of the given sizes (cycled); returns its
/// snapshots as (time, features).
fn engine_snapshots(events: &[Event], steps: &[usize]) -> Vec<(u64, FeatureMap)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = orderflow_dataflow::Engine::start(
        orderflow_dataflow::EngineConfig {
            workers: 1,
            snapshot_interval_ns: 1_000_000_000,
            ..Default::default()
        },
        Some(tx),
    )
    .unwrap();
    let mut i = 0;
    let mut k = 0;
    while i < events.len() {
        let n = steps[k % steps.len()].max(1).min(events.len() - i);
        k += 1;
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        engine
            .sender()
            .send(orderflow_dataflow::Command::Step(
                std::sync::Arc::new(events[i..i + n].to_vec()),
                done_tx,
            ))
            .unwrap();
        done_rx.recv().unwrap();
        i += n;
    }
    engine.shutdown().unwrap();
    rx.try_iter()
        .map(|s| {
            let flat = s
                .features
                .iter()
                .flat_map(|(inst, fv)| fv.values.iter().map(move |(id, v)| ((*inst, *id), *v)))
                .collect();
            (s.time, flat)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    /// The engine's feature snapshots depend on the events' own receive times only: cut into
    /// engine steps in two different ways, the snapshots are identical, and each equals the
    /// from-scratch computation at its time with every event at its own receive time (windows
    /// of 10 s expire inside the runs).
    #[test]
    fn snapshots_depend_only_on_receive_times(
        spec in prop::collection::vec(
            (prop_oneof![3 => 0u64..400, 1 => 400u64..4_000, 1 => 9_000u64..12_000], 0u32..2, arb_kind()),
            1..120,
        ),
        steps_a in prop::collection::vec(1usize..40, 1..6),
        steps_b in prop::collection::vec(1usize..40, 1..6),
    ) {
        let events = timed_events(&spec);
        let a = engine_snapshots(&events, &steps_a);
        let b = engine_snapshots(&events, &steps_b);
        let history: Vec<(u64, Event)> = events.iter().map(|e| (e.ts_recv, e.clone())).collect();
        let common: Vec<u64> = a.iter().map(|(t, _)| *t).filter(|t| b.iter().any(|(u, _)| u == t)).collect();
        for (t, fa) in &a {
            if let Some((_, fb)) = b.iter().find(|(u, _)| u == t) {
                prop_assert_eq!(fa, fb, "different snapshots at {} for steps {:?} / {:?}", t, &steps_a, &steps_b);
            }
            let want = reference::features_at(&history, *t);
            let dataflow_only: FeatureMap = fa.iter().filter(|((_, id), _)| !id.def().is_sampled()).map(|(k, v)| (*k, *v)).collect();
            prop_assert!(reference::agree(&dataflow_only, &want), "snapshot at {} differs from the batch computation", t);
        }
        // Both runs snapshot every grid time between their first and last event.
        prop_assert!(common.len() + 1 >= a.len().min(b.len()));
    }
}
