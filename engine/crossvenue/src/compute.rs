//! The cross-venue features of one symbol at one time, from each venue's quote and features.

use crate::catalogue::names;
use crate::fees::FeeSchedule;
use crate::leadlag::LeadLag;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one venue contributes at time T (prices in quote units, sizes in base units).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VenueQuote {
    /// Venue id.
    pub venue: String,
    /// Best bid (price, size).
    pub bid: Option<(f64, f64)>,
    /// Best ask (price, size).
    pub ask: Option<(f64, f64)>,
    /// Whether the book was updated within the freshness limit (a stale book takes no part in
    /// prices, dispersion, basis or arbitrage; its flows and open interest still count).
    pub fresh: bool,
    /// Milliseconds since the venue's last book update.
    pub book_age_ms: Option<f64>,
    /// `funding_rate_8h`.
    pub funding_rate_8h: Option<f64>,
    /// `cvd`.
    pub cvd: Option<f64>,
    /// `net_flow_5m`.
    pub net_flow_5m: Option<f64>,
    /// `volume_5m`.
    pub volume_5m: Option<f64>,
    /// `open_interest`.
    pub open_interest: Option<f64>,
    /// `oi_notional`.
    pub oi_notional: Option<f64>,
    /// `long_liquidation_value_5m`.
    pub long_liquidation_value_5m: Option<f64>,
    /// `short_liquidation_value_5m`.
    pub short_liquidation_value_5m: Option<f64>,
}

impl VenueQuote {
    /// (bid + ask) / 2 of a two-sided book.
    pub fn mid(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some((b, _)), Some((a, _))) if b > 0.0 && a > 0.0 => Some((b + a) / 2.0),
            _ => None,
        }
    }

    fn fresh_mid(&self) -> Option<f64> {
        self.fresh.then(|| self.mid()).flatten()
    }
}

/// One venue in a [`CrossVenue`] answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VenueSummary {
    /// Venue id.
    pub venue: String,
    /// Mid (absent without a two-sided book).
    pub mid: Option<f64>,
    /// Best bid price.
    pub bid: Option<f64>,
    /// Best ask price.
    pub ask: Option<f64>,
    /// Whether its book is fresh.
    pub fresh: bool,
    /// Milliseconds since its last book update.
    pub book_age_ms: Option<f64>,
    /// Its share of the symbol's 5-minute volume.
    pub volume_share_5m: Option<f64>,
    /// `funding_rate_8h`.
    pub funding_rate_8h: Option<f64>,
    /// `cvd`.
    pub cvd: Option<f64>,
    /// `open_interest`.
    pub open_interest: Option<f64>,
    /// `oi_notional`.
    pub oi_notional: Option<f64>,
    /// `net_flow_5m`.
    pub net_flow_5m: Option<f64>,
    /// `volume_5m`.
    pub volume_5m: Option<f64>,
    /// `long_liquidation_value_5m`.
    pub long_liquidation_value_5m: Option<f64>,
    /// `short_liquidation_value_5m`.
    pub short_liquidation_value_5m: Option<f64>,
}

/// The best price on one side, and where.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Best {
    /// Venue id.
    pub venue: String,
    /// Price.
    pub price: f64,
    /// Size at that price on that venue.
    pub size: f64,
}

/// The basis of one venue pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Basis {
    /// First venue.
    pub a: String,
    /// Second venue.
    pub b: String,
    /// 10⁴ · (mid_a − mid_b) / mid_b.
    pub basis_bps: f64,
}

/// Funding across venues.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FundingSpread {
    /// Venue with the highest funding_rate_8h (where a short collects the most).
    pub highest: String,
    /// Its rate.
    pub highest_rate_8h: f64,
    /// Venue with the lowest funding_rate_8h (where a long pays the least).
    pub lowest: String,
    /// Its rate.
    pub lowest_rate_8h: f64,
    /// highest − lowest.
    pub spread_8h: f64,
    /// spread_8h · 1095.
    pub spread_annualized: f64,
}

/// Buy at one venue's ask, sell at another's bid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arbitrage {
    /// Where to buy (its ask).
    pub buy_venue: String,
    /// Where to sell (its bid).
    pub sell_venue: String,
    /// The ask paid.
    pub buy_price: f64,
    /// The bid received.
    pub sell_price: f64,
    /// 10⁴ · (sell_price − buy_price) / buy_price.
    pub gross_bps: f64,
    /// taker fee of both venues.
    pub fees_bps: f64,
    /// gross − fees.
    pub net_bps: f64,
    /// Size available at both touches (the smaller), base units.
    pub size: f64,
    /// size · buy_price · net_bps / 10⁴, quote units (negative when fees exceed the edge).
    pub net_profit: f64,
}

/// Everything cross-venue about one symbol at one time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossVenue {
    /// orderflow symbol.
    pub symbol: String,
    /// Engine time (Unix ns).
    pub time: u64,
    /// Scalar features by name ([`crate::catalogue::CROSS_FEATURES`]); absent when undefined.
    pub features: BTreeMap<&'static str, f64>,
    /// Each venue.
    pub venues: Vec<VenueSummary>,
    /// Highest bid over the fresh venues.
    pub best_bid: Option<Best>,
    /// Lowest ask over the fresh venues.
    pub best_ask: Option<Best>,
    /// Every pair of fresh venues, in venue order.
    pub basis: Vec<Basis>,
    /// Funding extremes.
    pub funding: Option<FundingSpread>,
    /// Every ordered pair of fresh venues with a positive gross edge, best net first.
    pub arbitrage: Vec<Arbitrage>,
    /// Lead-lag of the venues' mids (absent until enough samples).
    pub lead_lag: Option<LeadLag>,
}

impl CrossVenue {
    /// The best net edge (bps) of the arbitrages that buy or sell on `venue`: absent when the
    /// venue takes no part (stale, no book, or fewer than two fresh venues with fees); when no
    /// pair involving it has a positive gross edge, the symbol's best net edge capped at 0.
    pub fn net_edge_for(&self, venue: &str) -> Option<f64> {
        let best_all = *self.features.get(names::ARBITRAGE_BEST_NET_BPS)?;
        if !self
            .venues
            .iter()
            .any(|v| v.venue == venue && v.fresh && v.mid.is_some())
        {
            return None;
        }
        let best = self
            .arbitrage
            .iter()
            .filter(|a| a.buy_venue == venue || a.sell_venue == venue)
            .map(|a| a.net_bps)
            .max_by(f64::total_cmp);
        Some(best.unwrap_or(best_all.min(0.0)))
    }
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// The cross-venue features of `symbol` at `time` from its venues' quotes (in venue order).
pub fn compute(
    symbol: &str,
    time: u64,
    quotes: &[VenueQuote],
    fees: &FeeSchedule,
    lead_lag: Option<LeadLag>,
) -> CrossVenue {
    let mut f: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mids: Vec<(&VenueQuote, f64)> = quotes
        .iter()
        .filter_map(|q| q.fresh_mid().map(|m| (q, m)))
        .collect();
    f.insert(names::VENUE_COUNT, mids.len() as f64);
    if mids.len() >= 2 {
        let n = mids.len() as f64;
        let mean = mids.iter().map(|(_, m)| m).sum::<f64>() / n;
        let var = mids.iter().map(|(_, m)| (m - mean).powi(2)).sum::<f64>() / n;
        let (lo, hi) = mids
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, m)| {
                (lo.min(*m), hi.max(*m))
            });
        f.insert(names::PRICE_DISPERSION_BPS, 1e4 * var.sqrt() / mean);
        f.insert(names::PRICE_RANGE_BPS, 1e4 * (hi - lo) / mean);
    }

    // Consolidated quote: the first venue (in venue order) wins a tie.
    let mut best_bid: Option<Best> = None;
    let mut best_ask: Option<Best> = None;
    for (q, _) in &mids {
        if let Some((p, s)) = q.bid
            && best_bid.as_ref().is_none_or(|b| p > b.price)
        {
            best_bid = Some(Best {
                venue: q.venue.clone(),
                price: p,
                size: s,
            });
        }
        if let Some((p, s)) = q.ask
            && best_ask.as_ref().is_none_or(|b| p < b.price)
        {
            best_ask = Some(Best {
                venue: q.venue.clone(),
                price: p,
                size: s,
            });
        }
    }
    if let (Some(b), Some(a)) = (&best_bid, &best_ask) {
        f.insert(names::BEST_BID, b.price);
        f.insert(names::BEST_ASK, a.price);
        f.insert(
            names::CONSOLIDATED_SPREAD_BPS,
            1e4 * (a.price - b.price) / ((a.price + b.price) / 2.0),
        );
    }

    let mut basis = Vec::new();
    for (i, (qa, ma)) in mids.iter().enumerate() {
        for (qb, mb) in &mids[i + 1..] {
            basis.push(Basis {
                a: qa.venue.clone(),
                b: qb.venue.clone(),
                basis_bps: 1e4 * (ma - mb) / mb,
            });
        }
    }
    if let Some(max) = basis
        .iter()
        .map(|b| b.basis_bps.abs())
        .max_by(f64::total_cmp)
    {
        f.insert(names::MAX_ABS_BASIS_BPS, max);
    }

    let funded: Vec<(&VenueQuote, f64)> = quotes
        .iter()
        .filter_map(|q| q.funding_rate_8h.map(|r| (q, r)))
        .collect();
    let funding = if funded.len() >= 2 {
        let mut hi = funded[0];
        let mut lo = funded[0];
        for x in &funded[1..] {
            if x.1 > hi.1 {
                hi = *x;
            }
            if x.1 < lo.1 {
                lo = *x;
            }
        }
        let spread = hi.1 - lo.1;
        f.insert(names::FUNDING_SPREAD_8H, spread);
        f.insert(names::FUNDING_SPREAD_ANNUALIZED, spread * 1095.0);
        Some(FundingSpread {
            highest: hi.0.venue.clone(),
            highest_rate_8h: hi.1,
            lowest: lo.0.venue.clone(),
            lowest_rate_8h: lo.1,
            spread_8h: spread,
            spread_annualized: spread * 1095.0,
        })
    } else {
        None
    };

    let totals = [
        (names::CVD_TOTAL, sum(quotes.iter().map(|q| q.cvd))),
        (
            names::NET_FLOW_5M_TOTAL,
            sum(quotes.iter().map(|q| q.net_flow_5m)),
        ),
        (
            names::VOLUME_5M_TOTAL,
            sum(quotes.iter().map(|q| q.volume_5m)),
        ),
        (
            names::OPEN_INTEREST_TOTAL,
            sum(quotes.iter().map(|q| q.open_interest)),
        ),
        (
            names::OI_NOTIONAL_TOTAL,
            sum(quotes.iter().map(|q| q.oi_notional)),
        ),
        (
            names::LONG_LIQUIDATION_VALUE_5M_TOTAL,
            sum(quotes.iter().map(|q| q.long_liquidation_value_5m)),
        ),
        (
            names::SHORT_LIQUIDATION_VALUE_5M_TOTAL,
            sum(quotes.iter().map(|q| q.short_liquidation_value_5m)),
        ),
    ];
    for (name, v) in totals {
        if let Some(v) = v {
            f.insert(name, v);
        }
    }
    if let (Some(l), Some(s)) = (
        f.get(names::LONG_LIQUIDATION_VALUE_5M_TOTAL).copied(),
        f.get(names::SHORT_LIQUIDATION_VALUE_5M_TOTAL).copied(),
    ) {
        let imb = if l + s > 0.0 { (l - s) / (l + s) } else { 0.0 };
        f.insert(names::LIQUIDATION_IMBALANCE_5M_TOTAL, imb);
    }

    // Arbitrage: every ordered pair of fresh venues with fees known.
    let mut arbitrage = Vec::new();
    let mut best_net: Option<f64> = None;
    let mut opportunities = 0u32;
    for (qa, _) in &mids {
        for (qb, _) in &mids {
            if qa.venue == qb.venue {
                continue;
            }
            let (Some((ask, ask_size)), Some((bid, bid_size))) = (qa.ask, qb.bid) else {
                continue;
            };
            let (Some(fa), Some(fb)) = (fees.get(&qa.venue), fees.get(&qb.venue)) else {
                continue;
            };
            let gross = 1e4 * (bid - ask) / ask;
            let fees_bps = fa.taker_bps + fb.taker_bps;
            let net = gross - fees_bps;
            best_net = Some(best_net.map_or(net, |b: f64| b.max(net)));
            if net > 0.0 {
                opportunities += 1;
            }
            if gross > 0.0 {
                let size = ask_size.min(bid_size);
                arbitrage.push(Arbitrage {
                    buy_venue: qa.venue.clone(),
                    sell_venue: qb.venue.clone(),
                    buy_price: ask,
                    sell_price: bid,
                    gross_bps: gross,
                    fees_bps,
                    net_bps: net,
                    size,
                    net_profit: size * ask * net / 1e4,
                });
            }
        }
    }
    arbitrage.sort_by(|x, y| y.net_bps.total_cmp(&x.net_bps));
    if let Some(b) = best_net {
        f.insert(names::ARBITRAGE_BEST_NET_BPS, b);
        f.insert(names::ARBITRAGE_OPPORTUNITIES, f64::from(opportunities));
    }
    if let Some(c) = lead_lag.as_ref().and_then(LeadLag::max_corr) {
        f.insert(names::LEAD_LAG_MAX_CORR, c);
    }

    let volume_total = f.get(names::VOLUME_5M_TOTAL).copied().unwrap_or(0.0);
    let venues = quotes
        .iter()
        .map(|q| VenueSummary {
            venue: q.venue.clone(),
            mid: q.mid(),
            bid: q.bid.map(|b| b.0),
            ask: q.ask.map(|a| a.0),
            fresh: q.fresh,
            book_age_ms: q.book_age_ms,
            volume_share_5m: q
                .volume_5m
                .filter(|_| volume_total > 0.0)
                .map(|v| v / volume_total),
            funding_rate_8h: q.funding_rate_8h,
            cvd: q.cvd,
            open_interest: q.open_interest,
            oi_notional: q.oi_notional,
            net_flow_5m: q.net_flow_5m,
            volume_5m: q.volume_5m,
            long_liquidation_value_5m: q.long_liquidation_value_5m,
            short_liquidation_value_5m: q.short_liquidation_value_5m,
        })
        .collect();
    CrossVenue {
        symbol: symbol.to_owned(),
        time,
        features: f,
        venues,
        best_bid,
        best_ask,
        basis,
        funding,
        arbitrage,
        lead_lag,
    }
}
