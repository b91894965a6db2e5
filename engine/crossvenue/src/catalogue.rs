//! The cross-venue features: one name, unit and definition each (the same strings in the API,
//! the DuckDB `cross_venue` table and `docs/cross-venue.md`).

/// One cross-venue scalar feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrossFeatureDef {
    /// snake_case name.
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Definition.
    pub definition: &'static str,
}

macro_rules! cross_features {
    ($($id:ident = $name:literal, $unit:literal, $def:literal;)*) => {
        /// Names of the cross-venue features, as constants.
        pub mod names {
            $(
                #[doc = $def]
                pub const $id: &str = $name;
            )*
        }
        /// Every cross-venue feature, in a fixed order.
        pub const CROSS_FEATURES: &[CrossFeatureDef] = &[
            $(CrossFeatureDef { name: $name, unit: $unit, definition: $def },)*
        ];
    };
}

cross_features! {
    VENUE_COUNT = "venue_count", "count", "venues with a fresh two-sided book (book updated within `max_book_age_ms` of T)";
    PRICE_DISPERSION_BPS = "price_dispersion_bps", "bps", "10⁴ · population standard deviation of the fresh venues' mids / their mean (≥ 2 venues)";
    PRICE_RANGE_BPS = "price_range_bps", "bps", "10⁴ · (highest mid − lowest mid) / mean mid over the fresh venues (≥ 2 venues)";
    BEST_BID = "best_bid", "price", "highest best bid over the fresh venues";
    BEST_ASK = "best_ask", "price", "lowest best ask over the fresh venues";
    CONSOLIDATED_SPREAD_BPS = "consolidated_spread_bps", "bps", "10⁴ · (best_ask − best_bid) / ((best_ask + best_bid) / 2); negative when the venues' quotes cross";
    MAX_ABS_BASIS_BPS = "max_abs_basis_bps", "bps", "largest |basis_bps| over the venue pairs (basis of a pair (a, b) = 10⁴ · (mid_a − mid_b) / mid_b)";
    FUNDING_SPREAD_8H = "funding_spread_8h", "fraction per 8 h", "highest − lowest funding_rate_8h over the venues that have one (≥ 2 venues)";
    FUNDING_SPREAD_ANNUALIZED = "funding_spread_annualized", "fraction per year", "funding_spread_8h · 1095 (three 8-hour periods a day, 365 days)";
    CVD_TOTAL = "cvd_total", "base", "Σ cvd over the venues (each since its own start)";
    NET_FLOW_5M_TOTAL = "net_flow_5m_total", "base", "Σ net_flow_5m over the venues";
    VOLUME_5M_TOTAL = "volume_5m_total", "base", "Σ volume_5m over the venues";
    OPEN_INTEREST_TOTAL = "open_interest_total", "base", "Σ open_interest over the venues that report it";
    OI_NOTIONAL_TOTAL = "oi_notional_total", "quote", "Σ oi_notional over the venues that report it";
    LONG_LIQUIDATION_VALUE_5M_TOTAL = "long_liquidation_value_5m_total", "quote", "Σ long_liquidation_value_5m over the venues";
    SHORT_LIQUIDATION_VALUE_5M_TOTAL = "short_liquidation_value_5m_total", "quote", "Σ short_liquidation_value_5m over the venues";
    LIQUIDATION_IMBALANCE_5M_TOTAL = "liquidation_imbalance_5m_total", "ratio [-1,1]", "(long − short) / (long + short) of the two totals above; 0 when both are 0";
    ARBITRAGE_BEST_NET_BPS = "arbitrage_best_net_bps", "bps", "max over ordered fresh venue pairs (A ≠ B, both with a fee) of 10⁴ · (bid_B − ask_A) / ask_A − taker_A − taker_B: buy at A's ask, sell at B's bid";
    ARBITRAGE_OPPORTUNITIES = "arbitrage_opportunities", "count", "ordered venue pairs whose net edge above is > 0";
    LEAD_LAG_MAX_CORR = "lead_lag_max_corr", "correlation [-1,1]", "highest lagged correlation of mid returns over the venue pairs (see lead-lag below); absent until the window holds enough samples";
}

/// The catalogue as `docs/cross-venue.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Cross-venue features\n\n\
         Generated from `engine/crossvenue/src/catalogue.rs` (`cargo test -p orderflow-crossvenue` checks that this\n\
         file is current; regenerate with `UPDATE_DOCS=1 cargo test -p orderflow-crossvenue catalogue`).\n\n\
         Per symbol, over every venue that lists it (Deribit's BTC/ETH perpetuals are USD-quoted, the others USDT or\n\
         USDC: their difference is part of the basis). They are computed at each feature snapshot\n\
         (`storage.feature_snapshot_ms`, engine time T) from the per-venue features and books of that same snapshot,\n\
         so they replay like the per-venue features; stored in the DuckDB `cross_venue` table (`ts_ns, symbol,\n\
         feature, value`, plus `basis_bps:<a>:<b>` per venue pair) and served by `GET /features/{symbol}` without a\n\
         venue and by the `cross_exchange` tools.\n\n\
         * **Fresh**: a venue takes part in prices, basis and arbitrage when its book changed within\n\
           `cross_venue.max_book_age_ms` of T (default 5 s); stale venues still count in flows, funding and OI.\n\
         * **Fees**: `[fees.<venue>] taker_bps, maker_bps` (defaults: each venue's published base tier). Arbitrage\n\
           is top-of-book only, net of both taker fees, with the smaller of the two touch sizes; no latency,\n\
           transfer or funding cost.\n\
         * **Lead-lag**: mids sampled at each snapshot; for each venue pair the lag ℓ ∈ [−L, L] samples\n\
           (`lead_lag_max_lag`, default 5) that maximises the Pearson correlation of r_a(k) with r_b(k+ℓ), r the\n\
           log return of the mid between samples, over the last `lead_lag_samples` (300) samples and at least\n\
           `lead_lag_min_pairs` (30) return pairs; ℓ > 0: a leads. Ties prefer the smaller |ℓ|. The leader is the\n\
           venue that leads the most pairs net of those it trails (none on a tie). Resolution is the snapshot\n\
           cadence (1 s by default): sub-second leads show as ℓ = 0.\n\n\
         The independent reference is `engine/crossvenue/tests/reference.rs` (random quotes, 2,000 cases, plus\n\
         hand-computed values); `tests/cross_venue.rs` recomputes dispersion, range, consolidated quote, CVD total\n\
         and funding spread in SQL from the stored `orderbook` and `features` rows of each snapshot.\n\n",
    );
    s.push_str("| name | unit | definition |\n|---|---|---|\n");
    for f in CROSS_FEATURES {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.name, f.unit, f.definition
        ));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_doc_is_current() {
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../../docs/cross-venue.md");
        let want = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap_or_default();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/cross-venue.md is stale: run UPDATE_DOCS=1 cargo test -p orderflow-crossvenue catalogue"
        );
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for f in CROSS_FEATURES {
            assert!(seen.insert(f.name), "{} twice", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
        }
    }
}
