//! The feature graph. One screen: inputs → book / trade-window / liquidation-window / latest
//! groups → one collection of `(instrument, feature, value)` whose accumulation is the current
//! feature vector.

use crate::expire::{retract_after, retract_after_bucketed};
use crate::features::{book, latest, liquidations, trades};
use crate::ingress::UpdateSink;
use crate::records::{
    BookTop, LIQ_WINDOWS, Latest, LatestKind, LevelRec, LiqAgg, LiqRec, OI_WINDOWS, TOTAL_WINDOW,
    TradeAgg, TradeRec, Value, WINDOWS,
};
use crate::{FeatureId, Time};
use differential_dataflow::VecCollection;
use differential_dataflow::input::{Input, InputSession};
use differential_dataflow::operators::CountTotal;
use orderflow_model::{InstrumentId, Side};
use timely::dataflow::Scope;

/// The graph's output: `(instrument, feature, value)` with `isize` multiplicities.
pub type FeatureCollection<'s> = VecCollection<'s, Time, (InstrumentId, FeatureId, Value), isize>;

/// The graph's input sessions.
#[allow(missing_debug_implementations)] // differential's InputSession is not Debug
pub struct Inputs {
    /// Published book levels.
    pub levels: InputSession<Time, (InstrumentId, LevelRec), isize>,
    /// Trades.
    pub trades: InputSession<Time, (InstrumentId, TradeRec), isize>,
    /// Latest values, keyed by kind.
    pub latest: InputSession<Time, ((InstrumentId, LatestKind), Latest), isize>,
    /// Liquidations.
    pub liquidations: InputSession<Time, (InstrumentId, LiqRec), isize>,
}

impl Inputs {
    /// Advances every input to `t`.
    pub fn advance_to(&mut self, t: Time) {
        self.levels.advance_to(t);
        self.trades.advance_to(t);
        self.latest.advance_to(t);
        self.liquidations.advance_to(t);
    }
    /// Flushes every input.
    pub fn flush(&mut self) {
        self.levels.flush();
        self.trades.flush();
        self.latest.flush();
        self.liquidations.flush();
    }
    /// The inputs' current time.
    pub fn time(&self) -> Time {
        *self.levels.time()
    }
}

impl UpdateSink for Inputs {
    fn level(&mut self, inst: InstrumentId, rec: LevelRec, diff: isize) {
        self.levels.update((inst, rec), diff);
    }
    fn trade(&mut self, inst: InstrumentId, rec: TradeRec) {
        self.trades.update((inst, rec), 1);
    }
    fn latest(&mut self, inst: InstrumentId, value: Latest, diff: isize) {
        self.latest.update(((inst, value.kind()), value), diff);
    }
    fn liquidation(&mut self, inst: InstrumentId, rec: LiqRec) {
        self.liquidations.update((inst, rec), 1);
    }
}

fn expand<I: IntoIterator<Item = (FeatureId, f64)>>(
    inst: InstrumentId,
    it: I,
) -> impl Iterator<Item = (InstrumentId, FeatureId, Value)> {
    it.into_iter().map(move |(id, v)| (inst, id, Value(v)))
}

/// Trade windows at least this long (ns) retract per bucket of the snapshot interval.
pub(crate) const BUCKETED_FROM_NS: u64 = 60_000_000_000;

/// Builds the graph in `scope`. `bucket_ns`: the snapshot interval, the retraction bucket of
/// the trade windows of a minute and longer (1 = every trade retracted at its own t + W).
pub fn build(scope: Scope<'_, Time>, bucket_ns: u64) -> (Inputs, FeatureCollection<'_>) {
    let (levels_in, levels) = scope.new_collection::<(InstrumentId, LevelRec), isize>();
    let (trades_in, trade_recs) = scope.new_collection::<(InstrumentId, TradeRec), isize>();
    let (latest_in, latest_vals) =
        scope.new_collection::<((InstrumentId, LatestKind), Latest), isize>();
    let (liq_in, liq_recs) = scope.new_collection::<(InstrumentId, LiqRec), isize>();

    // Book group: gather the ≤ 2×20 published levels per instrument, derive from exact state.
    let book_features = levels
        .reduce_named(
            "BookTop",
            |_inst, input: &[(&LevelRec, isize)], output: &mut Vec<(BookTop, isize)>| {
                let mut top = BookTop::default();
                // Values arrive sorted by (side, price, size): bids ascending, then asks ascending.
                for (rec, n) in input {
                    if *n > 0 {
                        match rec.side {
                            Side::Buy => top.bids.push((rec.price, rec.size)),
                            Side::Sell => top.asks.push((rec.price, rec.size)),
                        }
                    }
                }
                top.bids.reverse();
                output.push((top, 1));
            },
        )
        .flat_map(|(inst, top)| expand(inst, book::derive(&top)).collect::<Vec<_>>());

    // Trade group: each trade becomes its additive `TradeAgg` difference, counted in window w
    // from t until it is retracted W later, and forever in the total; `count_total`
    // accumulates the sums. Windows of a minute and longer retract per snapshot-interval bucket
    // (`retract_after_bucketed`): exact at every snapshot time, and their state is bounded by
    // buckets, not by the trade rate; the 10 s window retracts each trade at t + 10 s.
    let trade_aggs = trade_recs
        .clone()
        .explode(|(inst, t)| Some((inst, TradeAgg::of(&t))));
    let mut windowed = trade_aggs.clone().map(|inst| (inst, TOTAL_WINDOW));
    for (w, (len, _)) in WINDOWS.iter().enumerate() {
        let (len, w) = (*len, w as u8);
        let keyed = trade_aggs.clone().map(move |inst| (inst, w));
        let bucket = if len >= BUCKETED_FROM_NS {
            bucket_ns
        } else {
            1
        };
        windowed = windowed
            .concat(keyed.clone())
            .concat(retract_after_bucketed(keyed, len, bucket));
    }
    let aggregates = windowed.count_total();
    let trade_features = aggregates
        .clone()
        .flat_map(|((inst, w), agg)| expand(inst, trades::derive(w, &agg)).collect::<Vec<_>>());
    // Empty windows of a pair that has traded: 0, not absent. Every traded pair has its total
    // aggregate; each of its windows either has an aggregate or is empty (linear: no reduce).
    let all_windows = aggregates
        .clone()
        .filter(|((_, w), _)| *w == TOTAL_WINDOW)
        .flat_map(|((inst, _), _)| (0..WINDOWS.len()).map(move |w| (inst, w as u8)));
    let empty_trade_windows = aggregates
        .clone()
        .filter(|((_, w), _)| *w != TOTAL_WINDOW)
        .map(|(key, _)| key)
        .negate()
        .concat(all_windows)
        .flat_map(|(inst, w)| expand(inst, trades::empty_window(w)).collect::<Vec<_>>());

    // price_vs_vwap: window aggregates joined with the last trade price.
    let last_price = latest_vals
        .clone()
        .filter(|((_, kind), _)| *kind == LatestKind::LastPrice)
        .map(|((inst, _), l)| (inst, l));
    let vs_vwap = aggregates
        .filter(|((_, w), _)| *w != TOTAL_WINDOW)
        .map(|((inst, w), agg)| (inst, (w, agg)))
        .join(last_price)
        .flat_map(|(inst, ((w, agg), last))| match last {
            Latest::LastPrice(p) => {
                expand(inst, trades::price_vs_vwap(w, &agg, p)).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        });

    // Liquidation group: the same sliding windows, over the exact `LiqAgg` sums.
    let mut liq_windowed = liq_recs
        .clone()
        .filter(|_| false)
        .map(|(inst, l)| ((inst, 0u8), l));
    for (w, (len, _)) in LIQ_WINDOWS.iter().enumerate() {
        let (len, w) = (*len, w as u8);
        let keyed = liq_recs.clone().map(move |(inst, l)| ((inst, w), l));
        liq_windowed = liq_windowed
            .concat(keyed.clone())
            .concat(retract_after(keyed, len));
    }
    let liq_aggs = liq_windowed
        .explode(|(key, l)| Some((key, LiqAgg::of(&l))))
        .count_total();
    let liq_features = liq_aggs.clone().flat_map(|((inst, w), agg)| {
        expand(inst, liquidations::derive(w, &agg)).collect::<Vec<_>>()
    });
    // Empty windows of a pair that has had a liquidation: 0 (liquidations are rare: `distinct`
    // over them is cheap).
    let empty_liq_windows = liq_recs
        .map(|(inst, _)| inst)
        .distinct()
        .flat_map(|inst| (0..LIQ_WINDOWS.len()).map(move |w| (inst, w as u8)))
        .concat(liq_aggs.map(|(key, _)| key).negate())
        .flat_map(|(inst, w)| expand(inst, liquidations::empty_window(w)).collect::<Vec<_>>());

    // Pairs of latest values, and the mark against the book's mid.
    let latest_of = |kind: LatestKind| {
        latest_vals
            .clone()
            .filter(move |((_, k), _)| *k == kind)
            .map(|((inst, _), l)| (inst, l))
    };
    let marks = latest_of(LatestKind::Mark).flat_map(|(inst, l)| match l {
        Latest::Mark { mark, index } => Some((inst, (mark, index))),
        _ => None,
    });
    let mark_last = marks
        .clone()
        .join(latest_of(LatestKind::LastPrice))
        .flat_map(|(inst, ((mark, index), last))| match last {
            Latest::LastPrice(p) => expand(inst, latest::mark_and_last(mark, index, p)).collect(),
            _ => Vec::new(),
        });
    let oi_mark = latest_of(LatestKind::OpenInterest)
        .join(marks.clone())
        .flat_map(|(inst, (oi, (mark, _)))| match oi {
            Latest::OpenInterest(oi) => expand(inst, latest::oi_and_mark(oi, mark)).collect(),
            _ => Vec::new(),
        });
    let mids = book_features
        .clone()
        .filter(|(_, id, _)| *id == crate::catalogue::ids::MID_PRICE)
        .map(|(inst, _, v)| (inst, v));
    let mark_mid = marks.join(mids).flat_map(|(inst, ((mark, _), mid))| {
        expand(inst, latest::mark_and_mid(mark, mid.0)).collect::<Vec<_>>()
    });

    // Open-interest changes: the latest value delayed by W (`retract_after` negated: every
    // update re-enters W later) is the value in force at T − W, joined with the current one.
    let oi_now = latest_of(LatestKind::OpenInterest).flat_map(|(inst, l)| match l {
        Latest::OpenInterest(oi) => Some((inst, oi)),
        _ => None,
    });
    let mut oi_changes = oi_now
        .clone()
        .filter(|_| false)
        .map(|_| (InstrumentId(0), FeatureId(0), Value(0.0)));
    for (w, (len, _)) in OI_WINDOWS.iter().enumerate() {
        let then = retract_after(oi_now.clone(), *len).negate();
        oi_changes = oi_changes.concat(oi_now.clone().join(then).flat_map(
            move |(inst, (now, then))| {
                expand(inst, latest::oi_change(w, now, then)).collect::<Vec<_>>()
            },
        ));
    }

    let latest_features =
        latest_vals.flat_map(|((inst, _), l)| expand(inst, latest::derive(&l)).collect::<Vec<_>>());

    let features = book_features
        .concat(trade_features)
        .concat(vs_vwap)
        .concat(latest_features)
        .concat(liq_features)
        .concat(empty_trade_windows)
        .concat(empty_liq_windows)
        .concat(mark_last)
        .concat(oi_mark)
        .concat(mark_mid)
        .concat(oi_changes);
    (
        Inputs {
            levels: levels_in,
            trades: trades_in,
            latest: latest_in,
            liquidations: liq_in,
        },
        features,
    )
}
