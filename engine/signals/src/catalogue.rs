//! The signal catalogue: name, kind, range and definition of each of the 15 signals. Notation:
//! `clamp(x)` limits to [−1, 1], `clamp01(x)` to [0, 1], `sgn` is the sign (0 at 0); feature
//! names are those of `docs/features.md`. A signal is absent when one of its required inputs
//! is; optional inputs count as 0 when missing and lower the confidence.

/// What a signal's value means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// In [−1, 1]: > 0 bullish, < 0 bearish.
    Directional,
    /// In [0, 1]: the strength of a condition (risk, quality, probability).
    Level,
}

/// One signal's definition.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct SignalDef {
    /// snake_case name (the seed's, in code, API and DuckDB).
    pub name: &'static str,
    /// Directional or level.
    pub kind: Kind,
    /// Definition.
    pub formula: &'static str,
}

macro_rules! signals {
    ($( $id:ident = $name:literal, $kind:ident, $formula:literal; )*) => {
        /// Signal indices in [`SIGNALS`].
        #[allow(missing_docs)]
        pub mod ids { signals!(@ids 0usize, $($id)*); }
        /// Every signal, in catalogue order.
        pub static SIGNALS: &[SignalDef] = &[ $( SignalDef { name: $name, kind: Kind::$kind, formula: $formula }, )* ];
    };
    (@ids $n:expr, $id:ident $($rest:ident)*) => {
        pub const $id: usize = $n;
        signals!(@ids $n + 1usize, $($rest)*);
    };
    (@ids $n:expr,) => {};
}

signals! {
    SMART_MONEY_INDEX = "smart_money_index", Directional, "0.25·absorption + 0.30·whale + 0.20·flow_toxicity + 0.25·cvd_divergence, with flow = 2·aggressive_ratio_1m − 1; absorption = −flow·max(0, 1 − |return_bps_1m| / 10) (aggression that does not move price is absorbed by the other side); whale = sgn(net_flow_1m)·clamp01(ln(avg_trade_size_1m / avg_trade_size_1h)); flow_toxicity = flow; cvd_divergence = sgn(net_flow_5m)·min(1, |return_bps_5m| / 20) when sgn(net_flow_5m) = −sgn(return_bps_5m), else 0";
    SQUEEZE_PROBABILITY = "squeeze_probability", Level, "0.4·clamp01(−funding_rate_8h / 0.0005) + 0.3·clamp01(oi_delta_pct_15m / 2) + 0.3·clamp01(return_bps_15m / 50): shorts paying funding while open interest and price rise";
    STOP_HUNT = "stop_hunt", Level, "clamp01(total_liquidation_value_1m / (total_liquidation_value_15m / 15) / 5) · max(0, 1 − |return_bps_5m| / 50): a burst of liquidations (5× the 15-minute rate) while price ends where it was; 0 when the 15-minute window holds no liquidation";
    MOMENTUM_QUALITY = "momentum_quality", Level, "min(1, |return_bps_5m| / 20) · |2·aggressive_ratio_5m − 1| when sgn(return_bps_5m) = sgn(net_flow_5m), else 0: a move carried by aggressive flow in its own direction";
    COMPOSITE_RISK = "composite_risk", Level, "mean of clamp01(spread_bps / 10), clamp01(realized_vol_bps_1m / 20), |liquidation_imbalance_5m| (0 if absent), clamp01(|funding_rate_8h| / 0.001)";
    MARKET_MAKER_ACTIVITY = "market_maker_activity", Level, "clamp01(1 − spread_bps / 5) · (1 − liquidity_concentration_idx): a tight spread over depth spread across many levels";
    LIQUIDATION_CASCADE_RISK = "liquidation_cascade_risk", Level, "0.35·cluster + 0.30·leverage_stress + 0.20·thin_liquidity + 0.15·funding_pressure; cluster = min(1, total_liquidation_count_1m / 5); leverage_stress = clamp01(oi_delta_pct_1h / 5); thin_liquidity = 1 − min(1, (bid_depth_10 + ask_depth_10)·mid_price / 10⁶); funding_pressure = min(1, |funding_rate_8h| / 0.001)";
    INSTITUTIONAL_PHASE = "institutional_phase", Directional, "(2·aggressive_ratio_1h − 1) · max(0, 1 − |return_bps_1h| / 50): > 0 accumulation (net buying that does not lift price), < 0 distribution";
    VOLATILITY_BREAKOUT = "volatility_breakout", Level, "clamp01(realized_vol_bps_1m·√60 / realized_vol_bps_1h − 1): the last minute's volatility, scaled to an hour, above the hour's";
    MEAN_REVERSION = "mean_reversion", Directional, "−clamp(price_vs_vwap_15m / 30): stretched above the 15-minute VWAP points down, below points up";
    MOMENTUM_EXHAUSTION = "momentum_exhaustion", Level, "min(1, |return_bps_15m| / 50) · max(0, −sgn(return_bps_15m)·(2·aggressive_ratio_1m − 1)): a 15-minute move while the last minute's flow turns against it";
    SMART_MONEY_FLOW = "smart_money_flow", Directional, "0.5·(2·aggressive_ratio_15m − 1) + 0.5·sgn(net_flow_15m)·clamp01(ln(avg_trade_size_15m / avg_trade_size_1h)): flow over 15 minutes, weighted towards larger-than-usual trades";
    ARBITRAGE_OPPORTUNITY = "arbitrage_opportunity", Level, "clamp01(n / 5) with n the best net edge (bps, after both taker fees) of the symbol's cross-venue arbitrages that buy or sell on this venue (docs/cross-venue.md): 1 at 5 bps net; without cross-venue data (one venue), min(1, |mark_index_basis_bps| / 20)";
    REGIME_TRANSITION = "regime_transition", Level, "0.5^(a / 60) with a the seconds since the pair's regime classifier (docs/regimes.md) last changed regime: 1 at a change, halving every minute; before the first classification, min(1, |ln(realized_vol_bps_1m·√60 / realized_vol_bps_1h)|)";
    EXECUTION_QUALITY = "execution_quality", Level, "1 − 0.5·clamp01(spread_bps / 10) − 0.25·clamp01(|microprice_deviation| / 5) − 0.25·(1 − min(1, (bid_depth_10 + ask_depth_10)·mid_price / 10⁶))";
}

/// The catalogue as `docs/signals.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Signal catalogue\n\n\
         Generated from `engine/signals/src/catalogue.rs` (`cargo test -p orderflow-signals` checks that this file is\n\
         current; regenerate with `UPDATE_DOCS=1 cargo test -p orderflow-signals catalogue`).\n\n\
         Each signal is a pure function of one (venue, symbol)'s feature vector (`docs/features.md`) — plus, for\n\
         `regime_transition` and `arbitrage_opportunity`, the pair's regime age and the symbol's cross-venue\n\
         arbitrage edges at the same snapshot (`Context`) — computed when\n\
         served (`GET /signals/{symbol}`) and at every feature snapshot. `confidence` is the share of the signal's\n\
         inputs that are present; a signal whose required inputs are missing is absent. Directional signals are in\n\
         [−1, 1] (> 0 bullish); level signals in [0, 1] (every value is finally clamped into its range).\n\
         `engine/signals/src/reference.rs` recomputes every signal\n\
         independently for the property test. Notation: clamp limits to [−1, 1], clamp01 to [0, 1], sgn is the sign.\n\n\
         The aggregator ranks the signals by |value|·confidence, takes the confidence-weighted mean of the\n\
         directional ones as the direction, damps its strength by the risk signals (composite_risk,\n\
         liquidation_cascade_risk, stop_hunt, momentum_exhaustion), reports directional signals that disagree with\n\
         the majority as conflicts, and recommends long / short / neutral (|direction| < 0.15 is neutral).\n\n\
         | # | name | kind | definition |\n|---|---|---|---|\n",
    );
    for (i, d) in SIGNALS.iter().enumerate() {
        let kind = match d.kind {
            Kind::Directional => "directional [−1, 1]",
            Kind::Level => "level [0, 1]",
        };
        s.push_str(&format!(
            "| {i} | `{}` | {kind} | {} |\n",
            d.name, d.formula
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_signals_with_the_seeds_names() {
        assert_eq!(SIGNALS.len(), 15);
        assert_eq!(SIGNALS[ids::SMART_MONEY_INDEX].name, "smart_money_index");
        assert_eq!(SIGNALS[ids::EXECUTION_QUALITY].name, "execution_quality");
    }

    #[test]
    fn catalogue_doc_is_current() {
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../../docs/signals.md");
        let want = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/signals.md is stale: run UPDATE_DOCS=1 cargo test -p orderflow-signals catalogue"
        );
    }
}
