//! The feature graph. One screen: inputs → book / trade-window / liquidation-window / latest
//! groups → one collection of `(instrument, feature, value)` whose accumulation is the current
//! feature vector.

use crate::expire::{Pending, Window, per_window};
use crate::features::{book, latest, liquidations, trades};
use crate::ingress::UpdateSink;
use crate::records::{
    BookTop, LIQ_WINDOWS, Latest, LatestKind, LiqAgg, LiqRec, OI_WINDOWS, TOTAL_WINDOW, TradeAgg,
    TradeRec, Value, WINDOWS,
};
use crate::{FeatureId, Time};
use differential_dataflow::VecCollection;
use differential_dataflow::input::{Input, InputSession};
use differential_dataflow::operators::CountTotal;
use orderflow_model::InstrumentId;
use timely::dataflow::Scope;

/// The graph's output: `(instrument, feature, value)` with `isize` multiplicities.
pub type FeatureCollection<'s> = VecCollection<'s, Time, (InstrumentId, FeatureId, Value), isize>;

/// The graph's input sessions.
#[allow(missing_debug_implementations)] // differential's InputSession is not Debug
pub struct Inputs {
    /// Published book tops.
    pub books: InputSession<Time, (InstrumentId, BookTop), isize>,
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
        self.books.advance_to(t);
        self.trades.advance_to(t);
        self.latest.advance_to(t);
        self.liquidations.advance_to(t);
    }
    /// Flushes every input.
    pub fn flush(&mut self) {
        self.books.flush();
        self.trades.flush();
        self.latest.flush();
        self.liquidations.flush();
    }
    /// The inputs' current time.
    pub fn time(&self) -> Time {
        *self.books.time()
    }
}

impl UpdateSink for Inputs {
    fn book(&mut self, inst: InstrumentId, top: BookTop, diff: isize) {
        self.books.update((inst, top), diff);
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
    let (books_in, book_tops) = scope.new_collection::<(InstrumentId, BookTop), isize>();
    let (trades_in, trade_recs) = scope.new_collection::<(InstrumentId, TradeRec), isize>();
    let (latest_in, latest_vals) =
        scope.new_collection::<((InstrumentId, LatestKind), Latest), isize>();
    let (liq_in, liq_recs) = scope.new_collection::<(InstrumentId, LiqRec), isize>();

    // Book group: each book's published top (the ingress mirror's exact best levels), every
    // book feature derived from it.
    let book_features =
        book_tops.flat_map(|(inst, top)| expand(inst, book::derive(&top)).collect::<Vec<_>>());

    // Trade group: each trade becomes its additive `TradeAgg` difference, counted in window w
    // from t until it is retracted W later, and forever in the total; `count_total`
    // accumulates the sums. Windows of a minute and longer retract per snapshot-interval bucket
    // (exact at every snapshot time, and their state is bounded by buckets, not by the trade
    // rate); the 10 s window retracts each trade at t + 10 s. All windows in one operator.
    let trade_aggs = trade_recs
        .clone()
        .explode(|(inst, t)| Some((inst, TradeAgg::of(&t))));
    let trade_windows = Window::table(&WINDOWS, |len| {
        if len >= BUCKETED_FROM_NS {
            bucket_ns
        } else {
            1
        }
    });
    let windowed = per_window(
        trade_aggs,
        Pending::Windows {
            total: Some(TOTAL_WINDOW),
        },
        trade_windows,
        |inst: &InstrumentId, w| (*inst, w),
    );
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

    // Latest values by kind, each arranged once and shared by the joins below.
    let last_price = latest_vals
        .clone()
        .flat_map(|((inst, _), l)| match l {
            Latest::LastPrice(p) => Some((inst, p)),
            _ => None,
        })
        .arrange_by_key_named("LastPrice");
    let marks = latest_vals
        .clone()
        .flat_map(|((inst, _), l)| match l {
            Latest::Mark { mark, index } => Some((inst, (mark, index))),
            _ => None,
        })
        .arrange_by_key_named("Marks");
    let oi_now = latest_vals.clone().flat_map(|((inst, _), l)| match l {
        Latest::OpenInterest(oi) => Some((inst, oi)),
        _ => None,
    });
    let oi = oi_now.clone().arrange_by_key_named("OpenInterest");

    // price_vs_vwap: window aggregates joined with the last trade price.
    let vs_vwap = aggregates
        .flat_map(|((inst, w), agg)| (w != TOTAL_WINDOW).then_some((inst, (w, agg))))
        .arrange_by_key_named("WindowAggregates")
        .join_core(last_price.clone(), |inst, (w, agg), p| {
            expand(*inst, trades::price_vs_vwap(*w, agg, *p)).collect::<Vec<_>>()
        });

    // Liquidation group: the same sliding windows, over the exact `LiqAgg` sums.
    let liq_windows = Window::table(&LIQ_WINDOWS, |_| 1);
    let liq_windowed = per_window(
        liq_recs.clone(),
        Pending::Windows { total: None },
        liq_windows,
        |(inst, l), w| ((*inst, w), *l),
    );
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
    let mark_last = marks
        .clone()
        .join_core(last_price, |inst, (mark, index), last| {
            expand(*inst, latest::mark_and_last(*mark, *index, *last)).collect::<Vec<_>>()
        });
    let oi_mark = oi.clone().join_core(marks.clone(), |inst, oi, (mark, _)| {
        expand(*inst, latest::oi_and_mark(*oi, *mark)).collect::<Vec<_>>()
    });
    let mids = book_features
        .clone()
        .flat_map(|(inst, id, v)| (id == crate::catalogue::ids::MID_PRICE).then_some((inst, v)))
        .arrange_by_key_named("Mids");
    let mark_mid = marks.join_core(mids, |inst, (mark, _), mid| {
        expand(*inst, latest::mark_and_mid(*mark, mid.0)).collect::<Vec<_>>()
    });

    // Open-interest changes: the latest value delayed by W (every update re-enters W later) is
    // the value in force at T − W, joined with the current one; all windows in one delay
    // operator and one join.
    let oi_windows = Window::table(&OI_WINDOWS, |_| 1);
    let oi_changes = per_window(oi_now, Pending::Delays, oi_windows, |(inst, oi), w| {
        (*inst, (w, *oi))
    })
    .arrange_by_key_named("OpenInterestThen")
    .join_core(oi, |inst, (w, then), now| {
        expand(*inst, latest::oi_change(usize::from(*w), *now, *then)).collect::<Vec<_>>()
    });

    let latest_features =
        latest_vals.flat_map(|((inst, _), l)| expand(inst, latest::derive(&l)).collect::<Vec<_>>());

    let features = book_features.concatenate([
        trade_features,
        vs_vwap,
        latest_features,
        liq_features,
        empty_trade_windows,
        empty_liq_windows,
        mark_last,
        oi_mark,
        mark_mid,
        oi_changes,
    ]);
    (
        Inputs {
            books: books_in,
            trades: trades_in,
            latest: latest_in,
            liquidations: liq_in,
        },
        features,
    )
}
