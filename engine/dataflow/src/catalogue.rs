//! The feature catalogue: every feature defined once — id, name, group, unit, window, formula.
//!
//! `docs/features.md` is generated from this table ([`markdown`]) and a test keeps it in sync.
//! Names follow the original system's where the meaning matches (`microprice`, `spread_bps`,
//! `depth_imbalance_5`, `cvd`, …).

use serde::{Deserialize, Serialize};

/// Dense id of a feature (index into [`CATALOGUE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeatureId(pub u16);

impl FeatureId {
    /// The feature's definition.
    pub fn def(self) -> &'static FeatureDef {
        // Ids are only minted by the `features!` table below, so the index is in range.
        &CATALOGUE[usize::from(self.0) % CATALOGUE.len()]
    }
    /// The feature's snake_case name.
    pub fn name(self) -> &'static str {
        self.def().name
    }
}

/// Feature group (the original system's calculators).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Prices and spread from the book's touch.
    Prices,
    /// Order book depth, imbalance and walls.
    Orderbook,
    /// Trade flow over windows.
    Trades,
    /// Funding.
    Funding,
    /// Open interest.
    OpenInterest,
    /// Mark / index prices.
    MarkPrices,
    /// Forced liquidations over windows.
    Liquidations,
    /// The venue's 24 h ticker.
    Ticker,
}

impl Group {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Prices => "prices",
            Self::Orderbook => "orderbook",
            Self::Trades => "trades",
            Self::Funding => "funding",
            Self::OpenInterest => "oi",
            Self::MarkPrices => "mark_prices",
            Self::Liquidations => "liquidations",
            Self::Ticker => "ticker",
        }
    }
}

/// One feature's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FeatureDef {
    /// Id.
    pub id: FeatureId,
    /// snake_case name (the same string in code, docs, DuckDB and the API).
    pub name: &'static str,
    /// Group.
    pub group: Group,
    /// Unit.
    pub unit: &'static str,
    /// Window (`-` for instantaneous state).
    pub window: &'static str,
    /// Formula.
    pub formula: &'static str,
}

impl FeatureDef {
    /// Whether the feature belongs to the sampled second stage ([`crate::series`]), computed at
    /// each snapshot from the series of the dataflow's features, rather than by the dataflow.
    pub fn is_sampled(&self) -> bool {
        self.formula.starts_with("sampled") || self.formula.starts_with("at each snapshot")
    }

    /// The engine window a feature needs filled before its value is complete (ns): its own
    /// window for windowed trade, liquidation and open-interest features; `None` for
    /// instantaneous state, running totals and the venue's own 24 h ticker.
    pub fn warm_up_ns(&self) -> Option<u64> {
        // The venue's own 24 h ticker is complete on arrival.
        if self.window == "24h" {
            return None;
        }
        let w = self.window;
        let (n, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit())?);
        let n: u64 = n.parse().ok()?;
        let secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return None,
        };
        Some(n * secs * 1_000_000_000)
    }
}

macro_rules! features {
    ($( $id:ident = $n:literal : $name:literal, $group:ident, $unit:literal, $window:literal, $formula:literal; )*) => {
        /// Feature id constants.
        pub mod ids {
            use super::FeatureId;
            $(
                #[doc = $formula]
                pub const $id: FeatureId = FeatureId($n);
            )*
        }
        /// Every feature, by id.
        pub static CATALOGUE: &[FeatureDef] = &[
            $( FeatureDef { id: FeatureId($n), name: $name, group: Group::$group, unit: $unit, window: $window, formula: $formula }, )*
        ];
    };
}

// Notation: b_i, a_i = size of the i-th best bid / ask level (i = 1 best); pb_i, pa_i = prices;
// B_k = Σ_{i≤k} b_i, A_k = Σ_{i≤k} a_i. Windows count trades with receive time t in (T − W, T].
features! {
    BEST_BID = 0: "best_bid", Prices, "price", "-", "pb_1";
    BEST_ASK = 1: "best_ask", Prices, "price", "-", "pa_1";
    MID_PRICE = 2: "mid_price", Prices, "price", "-", "(pb_1 + pa_1) / 2";
    SPREAD = 3: "spread", Prices, "price", "-", "pa_1 − pb_1";
    SPREAD_BPS = 4: "spread_bps", Prices, "bps", "-", "10⁴ · spread / mid_price";
    MICROPRICE = 5: "microprice", Prices, "price", "-", "(pb_1·a_1 + pa_1·b_1) / (b_1 + a_1)";
    MICROPRICE_DEVIATION = 6: "microprice_deviation", Prices, "bps", "-", "10⁴ · (microprice − mid_price) / mid_price";
    BID_DEPTH_5 = 7: "bid_depth_5", Orderbook, "base", "-", "B_5";
    ASK_DEPTH_5 = 8: "ask_depth_5", Orderbook, "base", "-", "A_5";
    BID_DEPTH_10 = 9: "bid_depth_10", Orderbook, "base", "-", "B_10";
    ASK_DEPTH_10 = 10: "ask_depth_10", Orderbook, "base", "-", "A_10";
    BID_DEPTH_20 = 11: "bid_depth_20", Orderbook, "base", "-", "B_20";
    ASK_DEPTH_20 = 12: "ask_depth_20", Orderbook, "base", "-", "A_20";
    DEPTH_IMBALANCE_1 = 13: "depth_imbalance_1", Orderbook, "ratio [-1,1]", "-", "(B_1 − A_1) / (B_1 + A_1)";
    DEPTH_IMBALANCE_5 = 14: "depth_imbalance_5", Orderbook, "ratio [-1,1]", "-", "(B_5 − A_5) / (B_5 + A_5)";
    DEPTH_IMBALANCE_10 = 15: "depth_imbalance_10", Orderbook, "ratio [-1,1]", "-", "(B_10 − A_10) / (B_10 + A_10)";
    DEPTH_IMBALANCE_20 = 16: "depth_imbalance_20", Orderbook, "ratio [-1,1]", "-", "(B_20 − A_20) / (B_20 + A_20)";
    CUMULATIVE_DEPTH_IMBALANCE = 17: "cumulative_depth_imbalance", Orderbook, "ratio [-1,1]", "-", "mean over k = 1..10 of (B_k − A_k) / (B_k + A_k)";
    BID_WALL_PRICE = 18: "bid_wall_price", Orderbook, "price", "-", "price of the largest bid level among the best 20 (best price on ties)";
    BID_WALL_SIZE = 19: "bid_wall_size", Orderbook, "base", "-", "size of that level";
    ASK_WALL_PRICE = 20: "ask_wall_price", Orderbook, "price", "-", "price of the largest ask level among the best 20 (best price on ties)";
    ASK_WALL_SIZE = 21: "ask_wall_size", Orderbook, "base", "-", "size of that level";
    VWAP_DEPTH = 22: "vwap_depth", Orderbook, "price", "-", "Σ_{i≤10} (pb_i·b_i + pa_i·a_i) / (B_10 + A_10)";
    LIQUIDITY_CONCENTRATION_IDX = 23: "liquidity_concentration_idx", Orderbook, "ratio (0,1]", "-", "Herfindahl index of the 20 sizes b_1..b_10, a_1..a_10: Σ s² / (Σ s)²";
    LIQUIDITY_GRADIENT = 24: "liquidity_gradient", Orderbook, "ratio", "-", "(B_20 + A_20) / (B_5 + A_5): how fast depth builds away from the touch";
    PRESSURE_RATIO = 25: "pressure_ratio", Prices, "ratio", "-", "bid_pressure / ask_pressure = bid notional / ask notional within 10 levels";
    BID_PRESSURE = 26: "bid_pressure", Prices, "ratio [0,1]", "-", "bid notional within 10 levels / (bid + ask notional within 10 levels)";
    ASK_PRESSURE = 27: "ask_pressure", Prices, "ratio [0,1]", "-", "1 − bid_pressure";
    SUPPORT_STRENGTH = 28: "support_strength", Orderbook, "ratio", "-", "bid_wall_size / mean bid level size over the best 20";
    RESISTANCE_STRENGTH = 29: "resistance_strength", Orderbook, "ratio", "-", "ask_wall_size / mean ask level size over the best 20";
    TRADE_COUNT_10S = 30: "trade_count_10s", Trades, "count", "10s", "number of trades";
    VOLUME_10S = 31: "volume_10s", Trades, "base", "10s", "Σ size";
    BUY_VOLUME_10S = 32: "buy_volume_10s", Trades, "base", "10s", "Σ size of buyer-initiated trades";
    SELL_VOLUME_10S = 33: "sell_volume_10s", Trades, "base", "10s", "Σ size of seller-initiated trades";
    NET_FLOW_10S = 34: "net_flow_10s", Trades, "base", "10s", "buy_volume − sell_volume (aggressive delta)";
    AGGRESSIVE_RATIO_10S = 35: "aggressive_ratio_10s", Trades, "ratio [0,1]", "10s", "buy_volume / volume";
    VWAP_10S = 36: "vwap_10s", Trades, "price", "10s", "Σ price·size / Σ size";
    RETURN_BPS_10S = 37: "return_bps_10s", Trades, "bps", "10s", "10⁴ · Σ rᵢ with rᵢ = ln(pᵢ / pᵢ₋₁) between consecutive trades = log return from the trade before the window to the last trade";
    REALIZED_VOL_BPS_10S = 38: "realized_vol_bps_10s", Trades, "bps", "10s", "10⁴ · sqrt(Σ rᵢ²)";
    TRADE_INTENSITY_10S = 39: "trade_intensity_10s", Trades, "trades/s", "10s", "trade_count / 10";
    TRADE_COUNT_1M = 40: "trade_count_1m", Trades, "count", "1m", "number of trades";
    VOLUME_1M = 41: "volume_1m", Trades, "base", "1m", "Σ size";
    BUY_VOLUME_1M = 42: "buy_volume_1m", Trades, "base", "1m", "Σ size of buyer-initiated trades";
    SELL_VOLUME_1M = 43: "sell_volume_1m", Trades, "base", "1m", "Σ size of seller-initiated trades";
    NET_FLOW_1M = 44: "net_flow_1m", Trades, "base", "1m", "buy_volume − sell_volume (aggressive delta)";
    AGGRESSIVE_RATIO_1M = 45: "aggressive_ratio_1m", Trades, "ratio [0,1]", "1m", "buy_volume / volume";
    VWAP_1M = 46: "vwap_1m", Trades, "price", "1m", "Σ price·size / Σ size";
    RETURN_BPS_1M = 47: "return_bps_1m", Trades, "bps", "1m", "10⁴ · Σ rᵢ (see return_bps_10s)";
    REALIZED_VOL_BPS_1M = 48: "realized_vol_bps_1m", Trades, "bps", "1m", "10⁴ · sqrt(Σ rᵢ²)";
    TRADE_INTENSITY_1M = 49: "trade_intensity_1m", Trades, "trades/s", "1m", "trade_count / 60";
    TRADE_COUNT_5M = 50: "trade_count_5m", Trades, "count", "5m", "number of trades";
    VOLUME_5M = 51: "volume_5m", Trades, "base", "5m", "Σ size";
    BUY_VOLUME_5M = 52: "buy_volume_5m", Trades, "base", "5m", "Σ size of buyer-initiated trades";
    SELL_VOLUME_5M = 53: "sell_volume_5m", Trades, "base", "5m", "Σ size of seller-initiated trades";
    NET_FLOW_5M = 54: "net_flow_5m", Trades, "base", "5m", "buy_volume − sell_volume (aggressive delta)";
    AGGRESSIVE_RATIO_5M = 55: "aggressive_ratio_5m", Trades, "ratio [0,1]", "5m", "buy_volume / volume";
    VWAP_5M = 56: "vwap_5m", Trades, "price", "5m", "Σ price·size / Σ size";
    RETURN_BPS_5M = 57: "return_bps_5m", Trades, "bps", "5m", "10⁴ · Σ rᵢ (see return_bps_10s)";
    REALIZED_VOL_BPS_5M = 58: "realized_vol_bps_5m", Trades, "bps", "5m", "10⁴ · sqrt(Σ rᵢ²)";
    TRADE_INTENSITY_5M = 59: "trade_intensity_5m", Trades, "trades/s", "5m", "trade_count / 300";
    CVD = 60: "cvd", Trades, "base", "since start", "cumulative volume delta: Σ buy size − Σ sell size";
    TRADE_COUNT_TOTAL = 61: "trade_count_total", Trades, "count", "since start", "number of trades";
    LAST_PRICE = 62: "last_price", Prices, "price", "-", "price of the latest trade";
    PRICE_VS_VWAP_10S = 63: "price_vs_vwap_10s", Prices, "bps", "10s", "10⁴ · (last_price − vwap_10s) / vwap_10s";
    PRICE_VS_VWAP_1M = 64: "price_vs_vwap_1m", Prices, "bps", "1m", "10⁴ · (last_price − vwap_1m) / vwap_1m";
    PRICE_VS_VWAP_5M = 65: "price_vs_vwap_5m", Prices, "bps", "5m", "10⁴ · (last_price − vwap_5m) / vwap_5m";
    MARK_PRICE = 66: "mark_price", MarkPrices, "price", "-", "latest mark price";
    INDEX_PRICE = 67: "index_price", MarkPrices, "price", "-", "latest index price (absent if the venue sends none)";
    MARK_INDEX_BASIS_BPS = 68: "mark_index_basis_bps", MarkPrices, "bps", "-", "10⁴ · (mark_price − index_price) / index_price";
    FUNDING_RATE = 69: "funding_rate", Funding, "fraction per interval", "-", "latest (predicted) funding rate";
    FUNDING_RATE_ANNUALIZED = 70: "funding_rate_annualized", Funding, "fraction per year", "-", "funding_rate · 8760 / h, h = the venue's funding interval in hours (`venues.<id>.funding_interval_h`: 8 on Binance, Bybit, OKX, Gate.io, Deribit; 1 on Kraken and Hyperliquid)";
    OPEN_INTEREST = 71: "open_interest", OpenInterest, "base", "-", "latest open interest";
    TRADE_COUNT_15M = 72: "trade_count_15m", Trades, "count", "15m", "number of trades";
    VOLUME_15M = 73: "volume_15m", Trades, "base", "15m", "Σ size";
    BUY_VOLUME_15M = 74: "buy_volume_15m", Trades, "base", "15m", "Σ size of buyer-initiated trades";
    SELL_VOLUME_15M = 75: "sell_volume_15m", Trades, "base", "15m", "Σ size of seller-initiated trades";
    NET_FLOW_15M = 76: "net_flow_15m", Trades, "base", "15m", "buy_volume − sell_volume (aggressive delta)";
    AGGRESSIVE_RATIO_15M = 77: "aggressive_ratio_15m", Trades, "ratio [0,1]", "15m", "buy_volume / volume";
    VWAP_15M = 78: "vwap_15m", Trades, "price", "15m", "Σ price·size / Σ size";
    RETURN_BPS_15M = 79: "return_bps_15m", Trades, "bps", "15m", "10⁴ · Σ rᵢ (see return_bps_10s)";
    REALIZED_VOL_BPS_15M = 80: "realized_vol_bps_15m", Trades, "bps", "15m", "10⁴ · sqrt(Σ rᵢ²)";
    TRADE_INTENSITY_15M = 81: "trade_intensity_15m", Trades, "trades/s", "15m", "trade_count / 900";
    PRICE_VS_VWAP_15M = 82: "price_vs_vwap_15m", Prices, "bps", "15m", "10⁴ · (last_price − vwap_15m) / vwap_15m";
    TRADE_COUNT_1H = 83: "trade_count_1h", Trades, "count", "1h", "number of trades";
    VOLUME_1H = 84: "volume_1h", Trades, "base", "1h", "Σ size";
    BUY_VOLUME_1H = 85: "buy_volume_1h", Trades, "base", "1h", "Σ size of buyer-initiated trades";
    SELL_VOLUME_1H = 86: "sell_volume_1h", Trades, "base", "1h", "Σ size of seller-initiated trades";
    NET_FLOW_1H = 87: "net_flow_1h", Trades, "base", "1h", "buy_volume − sell_volume (aggressive delta)";
    AGGRESSIVE_RATIO_1H = 88: "aggressive_ratio_1h", Trades, "ratio [0,1]", "1h", "buy_volume / volume";
    VWAP_1H = 89: "vwap_1h", Trades, "price", "1h", "Σ price·size / Σ size";
    RETURN_BPS_1H = 90: "return_bps_1h", Trades, "bps", "1h", "10⁴ · Σ rᵢ (see return_bps_10s)";
    REALIZED_VOL_BPS_1H = 91: "realized_vol_bps_1h", Trades, "bps", "1h", "10⁴ · sqrt(Σ rᵢ²)";
    TRADE_INTENSITY_1H = 92: "trade_intensity_1h", Trades, "trades/s", "1h", "trade_count / 3600";
    PRICE_VS_VWAP_1H = 93: "price_vs_vwap_1h", Prices, "bps", "1h", "10⁴ · (last_price − vwap_1h) / vwap_1h";
    LONG_LIQ_COUNT_1M = 94: "long_liquidation_count_1m", Liquidations, "count", "1m", "number of liquidations of long positions (sell liquidation orders)";
    SHORT_LIQ_COUNT_1M = 95: "short_liquidation_count_1m", Liquidations, "count", "1m", "number of liquidations of short positions (buy liquidation orders)";
    TOTAL_LIQ_COUNT_1M = 96: "total_liquidation_count_1m", Liquidations, "count", "1m", "long + short liquidation count";
    LONG_LIQ_VALUE_1M = 97: "long_liquidation_value_1m", Liquidations, "quote", "1m", "Σ price·size of long liquidations";
    SHORT_LIQ_VALUE_1M = 98: "short_liquidation_value_1m", Liquidations, "quote", "1m", "Σ price·size of short liquidations";
    TOTAL_LIQ_VALUE_1M = 99: "total_liquidation_value_1m", Liquidations, "quote", "1m", "long + short liquidation value";
    LIQ_IMBALANCE_1M = 100: "liquidation_imbalance_1m", Liquidations, "ratio [-1,1]", "1m", "(long value − short value) / total value: > 0 when longs are being flushed";
    LONG_LIQ_COUNT_5M = 101: "long_liquidation_count_5m", Liquidations, "count", "5m", "number of liquidations of long positions (sell liquidation orders)";
    SHORT_LIQ_COUNT_5M = 102: "short_liquidation_count_5m", Liquidations, "count", "5m", "number of liquidations of short positions (buy liquidation orders)";
    TOTAL_LIQ_COUNT_5M = 103: "total_liquidation_count_5m", Liquidations, "count", "5m", "long + short liquidation count";
    LONG_LIQ_VALUE_5M = 104: "long_liquidation_value_5m", Liquidations, "quote", "5m", "Σ price·size of long liquidations";
    SHORT_LIQ_VALUE_5M = 105: "short_liquidation_value_5m", Liquidations, "quote", "5m", "Σ price·size of short liquidations";
    TOTAL_LIQ_VALUE_5M = 106: "total_liquidation_value_5m", Liquidations, "quote", "5m", "long + short liquidation value";
    LIQ_IMBALANCE_5M = 107: "liquidation_imbalance_5m", Liquidations, "ratio [-1,1]", "5m", "(long value − short value) / total value: > 0 when longs are being flushed";
    LONG_LIQ_COUNT_15M = 108: "long_liquidation_count_15m", Liquidations, "count", "15m", "number of liquidations of long positions (sell liquidation orders)";
    SHORT_LIQ_COUNT_15M = 109: "short_liquidation_count_15m", Liquidations, "count", "15m", "number of liquidations of short positions (buy liquidation orders)";
    TOTAL_LIQ_COUNT_15M = 110: "total_liquidation_count_15m", Liquidations, "count", "15m", "long + short liquidation count";
    LONG_LIQ_VALUE_15M = 111: "long_liquidation_value_15m", Liquidations, "quote", "15m", "Σ price·size of long liquidations";
    SHORT_LIQ_VALUE_15M = 112: "short_liquidation_value_15m", Liquidations, "quote", "15m", "Σ price·size of short liquidations";
    TOTAL_LIQ_VALUE_15M = 113: "total_liquidation_value_15m", Liquidations, "quote", "15m", "long + short liquidation value";
    LIQ_IMBALANCE_15M = 114: "liquidation_imbalance_15m", Liquidations, "ratio [-1,1]", "15m", "(long value − short value) / total value: > 0 when longs are being flushed";
    PRICE_CHANGE_PCT_24H = 115: "price_change_pct_24h", Ticker, "%", "24h", "100 · (last − open) / open of the venue's 24 h ticker";
    HIGH_LOW_RANGE_BPS_24H = 116: "high_low_range_bps_24h", Ticker, "bps", "24h", "10⁴ · (high − low) / last of the 24 h ticker";
    RANGE_POSITION_24H = 117: "range_position_24h", Ticker, "ratio [0,1]", "24h", "(last − low) / (high − low): where the last price sits in the 24 h range";
    VOLUME_24H = 118: "volume_24h", Ticker, "base", "24h", "the 24 h ticker's base volume";
    QUOTE_VOLUME_24H = 119: "quote_volume_24h", Ticker, "quote", "24h", "the 24 h ticker's quote volume";
    AVG_TRADE_SIZE_10S = 120: "avg_trade_size_10s", Trades, "base", "10s", "volume / trade_count";
    BUY_SELL_RATIO_10S = 121: "buy_sell_ratio_10s", Trades, "ratio", "10s", "buy_volume / sell_volume (ask hits over bid hits; absent when nothing was sold)";
    AVG_TRADE_SIZE_1M = 122: "avg_trade_size_1m", Trades, "base", "1m", "volume / trade_count";
    BUY_SELL_RATIO_1M = 123: "buy_sell_ratio_1m", Trades, "ratio", "1m", "buy_volume / sell_volume (ask hits over bid hits; absent when nothing was sold)";
    AVG_TRADE_SIZE_5M = 124: "avg_trade_size_5m", Trades, "base", "5m", "volume / trade_count";
    BUY_SELL_RATIO_5M = 125: "buy_sell_ratio_5m", Trades, "ratio", "5m", "buy_volume / sell_volume (ask hits over bid hits; absent when nothing was sold)";
    AVG_TRADE_SIZE_15M = 126: "avg_trade_size_15m", Trades, "base", "15m", "volume / trade_count";
    BUY_SELL_RATIO_15M = 127: "buy_sell_ratio_15m", Trades, "ratio", "15m", "buy_volume / sell_volume (ask hits over bid hits; absent when nothing was sold)";
    AVG_TRADE_SIZE_1H = 128: "avg_trade_size_1h", Trades, "base", "1h", "volume / trade_count";
    BUY_SELL_RATIO_1H = 129: "buy_sell_ratio_1h", Trades, "ratio", "1h", "buy_volume / sell_volume (ask hits over bid hits; absent when nothing was sold)";
    MARK_VS_LAST_BPS = 130: "mark_vs_last_bps", MarkPrices, "bps", "-", "10⁴ · (mark_price − last_price) / last_price";
    MARK_VS_MID_BPS = 131: "mark_vs_mid_bps", MarkPrices, "bps", "-", "10⁴ · (mark_price − mid_price) / mid_price";
    LAST_VS_INDEX_BPS = 132: "last_vs_index_bps", MarkPrices, "bps", "-", "10⁴ · (last_price − index_price) / index_price (absent without an index)";
    OI_NOTIONAL = 133: "oi_notional", OpenInterest, "quote", "-", "open_interest · mark_price";
    FUNDING_RATE_8H = 134: "funding_rate_8h", Funding, "fraction per 8 h", "-", "funding_rate · 8 / h: the rate on a common 8-hour basis, comparable across venues";
    OI_DELTA_5M = 135: "oi_delta_5m", OpenInterest, "base", "5m", "open_interest − the open interest in force 5m ago (the last update at or before T − 5m); absent until then";
    OI_DELTA_PCT_5M = 136: "oi_delta_pct_5m", OpenInterest, "%", "5m", "100 · oi_delta_5m / the open interest in force 5m ago";
    OI_DELTA_15M = 137: "oi_delta_15m", OpenInterest, "base", "15m", "open_interest − the open interest in force 15m ago (the last update at or before T − 15m); absent until then";
    OI_DELTA_PCT_15M = 138: "oi_delta_pct_15m", OpenInterest, "%", "15m", "100 · oi_delta_15m / the open interest in force 15m ago";
    OI_DELTA_1H = 139: "oi_delta_1h", OpenInterest, "base", "1h", "open_interest − the open interest in force 1h ago (the last update at or before T − 1h); absent until then";
    OI_DELTA_PCT_1H = 140: "oi_delta_pct_1h", OpenInterest, "%", "1h", "100 · oi_delta_1h / the open interest in force 1h ago";
    MICROPRICE_ZSCORE = 141: "microprice_zscore", Prices, "z", "5m", "sampled: z-score of microprice_deviation over the 5m samples";
    SPREAD_ZSCORE = 142: "spread_zscore", Prices, "z", "5m", "sampled: z-score of spread_bps over the 5m samples";
    SPREAD_COMPRESSION_VELOCITY = 143: "spread_compression_velocity", Prices, "bps/s", "10s", "sampled: (spread_bps₍T−10s₎ − spread_bps_T) / 10: > 0 while the spread narrows";
    SPREAD_EXPANSION_SPIKE = 144: "spread_expansion_spike", Prices, "flag {0,1}", "5m", "sampled: 1 when spread_zscore ≥ 3, else 0";
    PRICE_EFFICIENCY = 145: "price_efficiency", Prices, "ratio [0,1]", "1m", "sampled: |m_T − m₍T−1m₎| / Σ |mᵢ − mᵢ₋₁| over the mid_price samples of the window (Kaufman efficiency; absent without movement)";
    TICK_REVERSAL_RATE = 146: "tick_reversal_rate", Prices, "ratio [0,1]", "5m", "sampled: share of consecutive non-zero mid_price changes (sample to sample, in the window) whose sign flips";
    MID_PRICE_ENTROPY = 147: "mid_price_entropy", Prices, "ratio [0,1]", "5m", "sampled: Shannon entropy of the up / down / flat signs of the mid_price changes in the window, / ln 3";
    HURST_EXPONENT = 148: "hurst_exponent", Prices, "H", "15m", "sampled: slope of ln σ_k on ln k over k ∈ {1,2,4,8,16}, σ_k = population std of the sums of k consecutive mid log returns in non-overlapping blocks ending at T; a k needs ≥ 8 blocks, the slope ≥ 3 such k (0.5 = random walk, > 0.5 trending, < 0.5 mean-reverting)";
    REALIZED_VOL_MID_BPS_1M = 149: "realized_vol_mid_bps_1m", Prices, "bps", "1m", "sampled: 10⁴ · sqrt(Σ rᵢ²), rᵢ = ln(mᵢ / mᵢ₋₁) between consecutive mid_price samples (one per snapshot, 1 s by default): no bid-ask bounce";
    REALIZED_VOL_MID_BPS_5M = 150: "realized_vol_mid_bps_5m", Prices, "bps", "5m", "sampled: as realized_vol_mid_bps_1m over 5m";
    REALIZED_VOL_MID_BPS_15M = 151: "realized_vol_mid_bps_15m", Prices, "bps", "15m", "sampled: as realized_vol_mid_bps_1m over 15m";
    QUEUE_POSITION_DRIFT = 152: "queue_position_drift", Orderbook, "log ratio", "10s", "sampled: ln((b_1 + a_1)_T / (b_1 + a_1)₍T−10s₎): growth (> 0) or depletion of the queues at the touch";
    ADD_CANCEL_RATIO = 153: "add_cancel_ratio", Orderbook, "ratio", "1m", "sampled: Σ size added / Σ size removed, comparing each sampled book (best 20 per side) with the previous sample level by level (a new level adds its size, a vanished one removes it); absent when nothing was removed";
    ABSORPTION_RATIO = 154: "absorption_ratio", Orderbook, "base/bps", "1m", "sampled: volume_1m / max(1, |10⁴ · ln(m_T / m₍T−1m₎)|): volume absorbed per bps of mid move";
    REPLENISHMENT_SPEED = 155: "replenishment_speed", Orderbook, "base/s", "1m", "sampled: Σ of the increases of b_1 (a_1) between consecutive samples while pb_1 (pa_1) held, / 60";
    LIQUIDITY_PERSISTENCE_SCORE = 156: "liquidity_persistence_score", Orderbook, "ratio [0,1]", "10s", "sampled: share of the best-10 level prices of both sides at T − 10s still among the best-10 prices of their side at T";
    LIQUIDITY_MIGRATION_VELOCITY = 157: "liquidity_migration_velocity", Orderbook, "bps/s", "10s", "sampled: (c_T − c₍T−10s₎) / 10 with c = 10⁴ · (vwap_depth − mid_price) / mid_price: depth moving up (> 0) or down";
    PULL_WALL_DETECTED = 158: "pull_wall_detected", Orderbook, "flag {0,1}", "-", "sampled: 1 when the previous sample's bid (ask) wall has kept < 50 % of its size at its price while best_bid stayed above (best_ask below) it: liquidity pulled, not traded through";
    PUSH_WALL_DETECTED = 159: "push_wall_detected", Orderbook, "flag {0,1}", "-", "sampled: 1 when a wall moved toward the touch since the previous sample (bid_wall_price up, or ask_wall_price down) with at least the previous wall's size";
    CVD_SLOPE = 160: "cvd_slope", Trades, "base/s", "1m", "sampled: (cvd_T − cvd₍T−1m₎) / 60";
    CVD_ACCELERATION = 161: "cvd_acceleration", Trades, "base/s²", "2m", "sampled: (cvd_T − 2·cvd₍T−1m₎ + cvd₍T−2m₎) / 3600: the change of cvd_slope over a minute, per second";
    MARKET_IMPACT_PER_VOLUME = 162: "market_impact_per_volume", Trades, "bps/base", "1m", "sampled: |return_bps_1m| / volume_1m (absent without volume)";
    SLIPPAGE_ESTIMATOR = 163: "slippage_estimator", Trades, "bps", "5m", "sampled: for Q = 10 · avg_trade_size_5m, mean over the buy and sell side of 10⁴ · |VWAP of filling Q against the best 20 levels − mid_price| / mid_price (a side that cannot fill Q is left out)";
    TRADE_CLUSTERING_INDEX = 164: "trade_clustering_index", Trades, "ratio", "1m", "sampled: variance / mean of the trades between consecutive samples (differences of trade_count_total) in the window: 1 ≈ Poisson arrivals, > 1 clustered";
    FUNDING_ZSCORE = 165: "funding_zscore", Funding, "z", "1h", "sampled: z-score of funding_rate_8h over the 1h samples";
    FUNDING_MOMENTUM = 166: "funding_momentum", Funding, "fraction per 8 h", "15m", "sampled: funding_rate_8h_T − funding_rate_8h₍T−15m₎";
    FUNDING_VELOCITY = 167: "funding_velocity", Funding, "fraction per 8 h per hour", "5m", "sampled: (funding_rate_8h_T − funding_rate_8h₍T−5m₎) · 12";
    FUNDING_SKEW = 168: "funding_skew", Funding, "skewness", "1h", "sampled: population skewness Σ(x − μ)³ / n / σ³ of the funding_rate_8h samples (absent when constant)";
    FUNDING_STRESS = 169: "funding_stress", Funding, "multiple", "-", "at each snapshot: |funding_rate_8h| / 0.0001: multiples of the 0.01 % per 8 h baseline rate";
    FUNDING_ANOMALY = 170: "funding_anomaly", Funding, "flag {0,1}", "1h", "sampled: 1 when |funding_zscore| ≥ 3, else 0";
    NEXT_FUNDING_PREDICTION = 171: "next_funding_prediction", Funding, "fraction per interval", "1h", "sampled: mean of funding_rate over the 1h samples (venues settle on an interval average of the premium; a smoothed forecast of the next settlement)";
    FUNDING_REVERSAL_PROBABILITY = 172: "funding_reversal_probability", Funding, "score [0,1]", "1h", "sampled, heuristic (not calibrated): min(1, |funding_zscore| / 3) when funding_momentum has the opposite sign of funding_rate_8h (moving back toward 0), else 0";
    CARRY_YIELD = 173: "carry_yield", Funding, "% per year", "1h", "sampled: 100 · 3 · 365 · mean of funding_rate_8h over the 1h samples: the annualised carry of short perp / long spot at the hour's average rate";
    FUNDING_HOUR_BIAS = 174: "funding_hour_bias", Funding, "fraction per 8 h", "-", "sampled, since start: mean funding_rate_8h of the samples in T's UTC hour of day − mean of all samples";
    FUNDING_DOW_BIAS = 175: "funding_dow_bias", Funding, "fraction per 8 h", "-", "sampled, since start: mean funding_rate_8h of the samples on T's UTC day of week − mean of all samples";
    OI_VELOCITY = 176: "oi_velocity", OpenInterest, "base/s", "1m", "sampled: (open_interest_T − open_interest₍T−1m₎) / 60";
    OI_ACCELERATION = 177: "oi_acceleration", OpenInterest, "base/s²", "2m", "sampled: (oi_T − 2·oi₍T−1m₎ + oi₍T−2m₎) / 3600";
    OI_PRICE_DELTA_PRODUCT = 178: "oi_price_delta_product", OpenInterest, "%²", "5m", "sampled: 100 · (oi_T / oi₍T−5m₎ − 1) · 100 · ln(m_T / m₍T−5m₎): > 0 when positions are added in the direction of the move";
    OI_PRICE_CORRELATION = 179: "oi_price_correlation", OpenInterest, "corr [-1,1]", "15m", "sampled: Pearson correlation of open_interest and mid_price over the samples holding both";
    OI_VOLUME_CORRELATION = 180: "oi_volume_correlation", OpenInterest, "corr [-1,1]", "15m", "sampled: Pearson correlation of open_interest and volume_1m over the samples holding both";
    OI_DIVERGENCE_SCORE = 181: "oi_divergence_score", OpenInterest, "%", "15m", "sampled: 100 · (oi_T / oi₍T−15m₎ − 1) − 100 · ln(m_T / m₍T−15m₎): OI rising while price falls (or the reverse) scores high";
    LEVERAGE_INDEX = 182: "leverage_index", OpenInterest, "ratio", "-", "at each snapshot: oi_notional / quote_volume_24h: open positions per unit of a day's turnover";
    LEVERAGE_EXPANSION = 183: "leverage_expansion", OpenInterest, "%", "1h", "sampled: 100 · (leverage_index_T / leverage_index₍T−1h₎ − 1)";
    LEVERAGE_STRESS = 184: "leverage_stress", OpenInterest, "z", "1h", "sampled: z-score of leverage_index over the 1h samples";
    LIQUIDATION_CASCADE_RISK = 185: "liquidation_cascade_risk", OpenInterest, "ratio [0,1]", "5m", "at each snapshot: min(1, total_liquidation_value_5m / (0.001 · oi_notional)): 5 minutes' liquidations against 0.1 % of open interest";
    OI_VELOCITY_SPIKE = 186: "oi_velocity_spike", OpenInterest, "flag {0,1}", "15m", "sampled: 1 when the z-score of oi_velocity over the 15m samples is ≥ 3 in magnitude";
    POSITION_INTENT = 187: "position_intent", OpenInterest, "code", "5m", "sampled, over 5m: +1 OI up and mid up (new longs), −1 OI up and mid down (new shorts), +0.5 OI down and mid up (short covering), −0.5 OI down and mid down (long exits), 0 when either is unchanged";
    INTENT_SCORE = 188: "intent_score", OpenInterest, "score [-1,1]", "5m", "sampled: position_intent · min(1, |100 · (oi_T / oi₍T−5m₎ − 1)|): the intent weighted by the OI change in % (full at 1 %)";
    OI_ABSORPTION = 189: "oi_absorption", OpenInterest, "ratio", "5m", "sampled: (oi_T − oi₍T−5m₎) / volume_5m: share of the traded volume that opened (> 0) or closed positions";
    LIQ_CLUSTER_DETECTED = 190: "liquidation_cluster_detected", Liquidations, "flag {0,1}", "1m", "at each snapshot: 1 when total_liquidation_count_1m ≥ 3, else 0";
    LIQ_CLUSTER_SIZE = 191: "liquidation_cluster_size", Liquidations, "count", "1m", "at each snapshot: total_liquidation_count_1m while a cluster is detected, else 0";
    LIQ_CLUSTER_VALUE = 192: "liquidation_cluster_value", Liquidations, "quote", "1m", "at each snapshot: total_liquidation_value_1m while a cluster is detected, else 0";
    LIQ_CLUSTER_DURATION = 193: "liquidation_cluster_duration", Liquidations, "s", "-", "sampled: seconds since the first of the consecutive samples with a cluster detected that end at T (0 without a cluster)";
    LIQ_CASCADE_ACCELERATION = 194: "liquidation_cascade_acceleration", Liquidations, "ratio", "5m", "at each snapshot: (total_liquidation_value_1m − v₅ / 5) / (v₅ / 5), v₅ = total_liquidation_value_5m: the last minute against the 5-minute rate (absent when v₅ = 0)";
    LIQ_CASCADE_PROBABILITY = 195: "liquidation_cascade_probability", Liquidations, "score [0,1]", "5m", "at each snapshot: heuristic (not calibrated): (1 − e^(−n₁/3)) · clamp(0.5 + a/4, 0, 1), n₁ = total_liquidation_count_1m, a = liquidation_cascade_acceleration (0 when absent)";
    LIQ_CASCADE_SEVERITY = 196: "liquidation_cascade_severity", Liquidations, "ratio", "1m", "at each snapshot: total_liquidation_value_1m / (volume_1m · mid_price): liquidations as a share of the traded notional";
    ABSORPTION_AFTER_LIQ = 197: "absorption_after_liq", Liquidations, "bps", "1m", "sampled: sign(liquidation_imbalance_1m) · 10⁴ · ln(m_T / m₍T−1m₎): > 0 when price moved against the liquidations' pressure (absorbed); absent without liquidations in the minute";
    EXHAUSTION_SIGNAL = 198: "exhaustion_signal", Liquidations, "flag {0,1}", "5m", "at each snapshot: 1 when total_liquidation_count_5m ≥ 3 and total_liquidation_count_1m = 0: a cascade that has stopped";
    MARK_SPOT_BASIS = 199: "mark_spot_basis", MarkPrices, "price", "-", "at each snapshot: mark_price − index_price";
    BASIS_PCT = 200: "basis_pct", MarkPrices, "%", "-", "at each snapshot: 100 · (mark_price − index_price) / index_price";
    BASIS_ZSCORE = 201: "basis_zscore", MarkPrices, "z", "15m", "sampled: z-score of mark_index_basis_bps over the 15m samples";
    BASIS_MEAN_REVERSION_SPEED = 202: "basis_mean_reversion_speed", MarkPrices, "1/s", "15m", "sampled: −ln φ / Δ with φ = Σ (xᵢ₋₁ − x̄)(xᵢ − x̄) / Σ (xᵢ₋₁ − x̄)² over consecutive mark_index_basis_bps samples, Δ = mean sample spacing (s); absent unless 0 < φ < 1 (half-life = ln 2 / speed)";
    INDEX_DIVERGENCE = 203: "index_divergence", MarkPrices, "bps", "-", "at each snapshot: 10⁴ · (mid_price − index_price) / index_price";
    INDEX_DIVERGENCE_RISK = 204: "index_divergence_risk", MarkPrices, "z", "15m", "sampled: |z-score of index_divergence over the 15m samples|";
    MARK_VELOCITY = 205: "mark_velocity", MarkPrices, "bps/s", "10s", "sampled: 10⁴ · ln(mark_T / mark₍T−10s₎) / 10";
    VOLUME_ACCELERATION = 206: "volume_acceleration", Ticker, "ratio", "5m", "at each snapshot: (volume_1m − volume_5m / 5) / (volume_5m / 5): the last minute against the 5-minute rate (absent when volume_5m = 0)";
    VOLUME_PERCENTILE = 207: "volume_percentile", Ticker, "% [0,100]", "1h", "sampled: 100 · share of the 1h samples of volume_1m that are ≤ volume_1m at T";
    VOLUME_PROFILE_SKEW = 208: "volume_profile_skew", Ticker, "ratio [-1,1]", "1h", "sampled: (vwap_1h − (H + L) / 2) / ((H − L) / 2), H, L = highest / lowest mid_price sample of the hour: where the hour's volume sits in its range";
    RANGE_EXPANSION = 209: "range_expansion", Ticker, "ratio", "1h", "sampled: R5_T / mean of R5 over the 1h samples, R5 = 10⁴ · (max − min) / min of the mid_price samples of the last 5m";
    RANGE_VS_ATR = 210: "range_vs_atr", Ticker, "ratio", "1h", "sampled: R1_T / mean of R1 over the 1h samples (the average 1-minute true range), R1 = 10⁴ · (max − min) / min of the mid_price samples of the last 1m";
    VOLATILITY_COMPRESSION = 211: "volatility_compression", Ticker, "ratio [0,1]", "15m", "sampled: max(0, 1 − v), v = realized_vol_mid_bps_1m · √15 / realized_vol_mid_bps_15m";
    VOLATILITY_EXPANSION = 212: "volatility_expansion", Ticker, "ratio ≥ 0", "15m", "sampled: max(0, v − 1), v as in volatility_compression";
    PRICE_CHANGE_ZSCORE = 213: "price_change_zscore", Ticker, "z", "1h", "sampled: z-score of the 1-minute mid return 10⁴ · ln(m_t / m₍t−1m₎) over the 1h samples";
    TRADE_COUNT_PERCENTILE = 214: "trade_count_percentile", Ticker, "% [0,100]", "1h", "sampled: 100 · share of the 1h samples of trade_count_1m that are ≤ trade_count_1m at T";
    INSTITUTIONAL_INTEREST_IDX = 215: "institutional_interest_idx", Ticker, "ratio", "1h", "at each snapshot: avg_trade_size_5m / avg_trade_size_1h: trades larger than the hour's usual size (> 1)";
    WHALE_TRADE_DETECTED = 216: "whale_trade_detected", Trades, "flag {0,1}", "1m", "1 when the window holds a whale trade (notional price·size ≥ engine.whale_notional, 100 000 quote by default), else 0";
    WHALE_COUNT_1M = 217: "whale_count_1m", Trades, "count", "1m", "number of whale trades (notional ≥ engine.whale_notional)";
    WHALE_AVG_SIZE_1M = 218: "whale_avg_size_1m", Trades, "base", "1m", "Σ size of whale trades / whale_count_1m (absent without whales)";
    WHALE_DIRECTION_1M = 219: "whale_direction_1m", Trades, "ratio [-1,1]", "1m", "(buyer-initiated − seller-initiated whale volume) / whale volume (absent without whales)";
    TRADE_CONCENTRATION_1M = 220: "trade_concentration_1m", Trades, "ratio (0,1]", "1m", "Herfindahl index of the trade sizes: Σ size² / (Σ size)²; 1 = a single trade, → 0 for many equal trades";
    AGGRESSIVE_DELTA_1M = 221: "aggressive_delta_1m", Trades, "quote", "1m", "Σ price·size of buyer-initiated − seller-initiated trades (net flow in quote)";
    AGGRESSIVE_DELTA_RATIO_1M = 222: "aggressive_delta_ratio_1m", Trades, "ratio [-1,1]", "1m", "aggressive_delta_1m / Σ price·size";
    BID_HIT_VOLUME_1M = 223: "bid_hit_volume_1m", Trades, "base", "1m", "Σ size of trades at or below the best bid of the book when they arrived (quote rule, independent of the venue's aggressor flag)";
    ASK_HIT_VOLUME_1M = 224: "ask_hit_volume_1m", Trades, "base", "1m", "Σ size of trades at or above the best ask of the book when they arrived (and above the best bid)";
    HIT_VOLUME_RATIO_1M = 225: "hit_volume_ratio_1m", Trades, "ratio", "1m", "ask_hit_volume_1m / bid_hit_volume_1m (absent when no bid was hit)";
    SWEEP_DETECTED = 226: "sweep_detected", Trades, "flag {0,1}", "1m", "1 when the window holds a sweep: consecutive trades of one aggressor with the same exchange timestamp (one taker order) reaching a third distinct price";
    ICEBERG_PROBABILITY_1M = 227: "iceberg_probability", Trades, "ratio [0,1]", "1m", "share of the window's trades that are iceberg fills: a fill at the same price and passive side as the fills right before it (a run restarts at another price, or when the level is not shown) that brings the run's executed size above the largest size the book showed at that price during the run — more was traded than was ever displayed";
    SESSION_VWAP_ASIA = 228: "session_vwap_asia", Prices, "price", "session", "Σ price·size / Σ size of the trades received in the current Asia session (`sessions.asia`, UTC hours; the latest instance that has trades: developing while open, the last one's after it closes)";
    SESSION_HIGH_ASIA = 229: "session_high_asia", Prices, "price", "session", "highest trade price of that Asia session instance";
    SESSION_LOW_ASIA = 230: "session_low_asia", Prices, "price", "session", "lowest trade price of that Asia session instance";
    SESSION_VWAP_LONDON = 231: "session_vwap_london", Prices, "price", "session", "Σ price·size / Σ size of the trades received in the current London session (`sessions.london`, UTC hours; the latest instance that has trades: developing while open, the last one's after it closes)";
    SESSION_HIGH_LONDON = 232: "session_high_london", Prices, "price", "session", "highest trade price of that London session instance";
    SESSION_LOW_LONDON = 233: "session_low_london", Prices, "price", "session", "lowest trade price of that London session instance";
    SESSION_VWAP_NEW_YORK = 234: "session_vwap_new_york", Prices, "price", "session", "Σ price·size / Σ size of the trades received in the current New York session (`sessions.new_york`, UTC hours; the latest instance that has trades: developing while open, the last one's after it closes)";
    SESSION_HIGH_NEW_YORK = 235: "session_high_new_york", Prices, "price", "session", "highest trade price of that New York session instance";
    SESSION_LOW_NEW_YORK = 236: "session_low_new_york", Prices, "price", "session", "lowest trade price of that New York session instance";
}

/// Looks a feature up by name.
pub fn by_name(name: &str) -> Option<&'static FeatureDef> {
    CATALOGUE.iter().find(|d| d.name == name)
}

/// The catalogue as the Markdown document `docs/features.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Feature catalogue\n\n\
         Generated from `engine/dataflow/src/catalogue.rs` (`cargo test -p orderflow-dataflow` checks that this file is current;\n\
         regenerate with `UPDATE_DOCS=1 cargo test -p orderflow-dataflow catalogue`).\n\n\
         Every feature is maintained incrementally per (venue, symbol) by the differential dataflow in\n\
         `engine/dataflow`, and `tests/incremental_vs_scratch.rs` checks each against a from-scratch batch\n\
         computation written independently of the incremental code (`engine/dataflow/src/reference.rs`: its own\n\
         book, window scan and formulas; values must agree within 1e-9 relative).\n\n\
         **Sampled features** (definition starting with *sampled* or *at each snapshot*) are the graph's second stage: at every\n\
         feature snapshot (`storage.feature_snapshot_ms`, 1 s by default) each input feature of a pair becomes a\n\
         series of (snapshot time, value) samples, and z-scores, velocities, mid-quote volatility, percentiles,\n\
         correlations, entropy and the Hurst exponent are computed over its window (samples with time in\n\
         (T − W, T]; x₍T−W₎ is the latest sample at or before T − W) by `engine/dataflow/src/series.rs`. They\n\
         change once per snapshot, replay exactly like the snapshots they come from, and\n\
         `engine/dataflow/tests/series_vs_reference.rs` checks them against a from-scratch recomputation over the\n\
         whole sample history (`reference_series.rs`, within 10⁻⁶ relative). A z-score needs ≥ 10 samples and is\n\
         absent over a flat series (σ ≤ 10⁻⁹·\\|μ\\|); thresholds on it (≥ 3) compare it rounded to 9 decimals.\n\n\
         Notation: b_i, a_i = size of the i-th best bid / ask level (i = 1 is the touch); pb_i, pa_i = their prices;\n\
         B_k = Σ_{i≤k} b_i, A_k = Σ_{i≤k} a_i. The book seen by the features is the venue's book, synchronised by\n\
         the venue plugin's snapshot+diff rule, truncated to its best 20 levels per side. Sizes are in base units;\n\
         prices in quote units. An empty window of a pair that has traded (had a liquidation, for the liquidation\n\
         windows) gives 0 for counts, sums, net flow, return, realized volatility and intensity; ratios and averages\n\
         over it (vwap, aggressive_ratio, avg_trade_size, buy_sell_ratio, price_vs_vwap, liquidation_imbalance) are\n\
         0/0 and stay absent, as does every feature whose inputs never arrived (e.g. an empty book side, or\n\
         liquidations on a venue that publishes none).\n\n\
         **Clock.** Windows are on the host's *receive time*, not the venues' exchange time: every venue sends a\n\
         receive time for every input (exchange timestamps are missing on some streams and REST answers, differ\n\
         in meaning between venues and drift with each venue's clock), and one receive clock for all venues\n\
         (`IngestClock`: each input stamped `max(wall clock, previous + 1)`, decoded, recorded and handed to the\n\
         engine under one lock) makes the times strictly increasing and the engine's arrival order equal to the\n\
         times' order — so no event is ever late, and the recording holds the same order. The cost is that network\n\
         delay jitter enters the windows. A trade received at t is inside the window W at time T iff\n\
         T − W < t ≤ T at every snapshot time T; between snapshots, the windows of 1m and longer let a trade\n\
         leave at the end of its snapshot interval + W (up to one interval late), so that their state is one\n\
         sum per interval — bounded by W / interval, not by the trade rate. Feature snapshots (the `features` table, every `storage.feature_snapshot_ms`, which must\n\
         divide 10 s) are cut at exact grid times T: the state at T holds every input received at or before T\n\
         and nothing later; an engine step never spans a grid time, and since every window is a whole number of\n\
         snapshot intervals, window membership at T is decided by each event's own receive time — however the\n\
         events were batched. A replay of a recording therefore reproduces the live run's snapshots row for row\n\
         (`tests/record_replay.rs`), and `tests/incremental_vs_scratch.rs` checks that two different batchings\n\
         give identical snapshots equal to the from-scratch computation with every event at its own time. Between\n\
         snapshots, live values are those of the latest engine step (a few ms in the live engine).\n\n\
         **Age and warm-up.** `GET /features/{symbol}?venue=` (and the feature tools) give every feature its\n\
         `ages_ms` (time since its value last changed) and list under `warming_up` the windowed features whose\n\
         window (the `window` column; the OI deltas' look-back) has not yet elapsed since the pair's first data —\n\
         their values cover less than the window; `warm` is true once none is left.\n\n\
         | # | name | group | unit | window | definition |\n|---|---|---|---|---|---|\n",
    );
    for d in CATALOGUE {
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} |\n",
            d.id.0,
            d.name,
            d.group.name(),
            d.unit,
            d.window,
            d.formula.replace('|', "\\|")
        ));
    }
    s
}

#[cfg(test)]
mod warm_up_tests {
    use super::*;

    #[test]
    fn warm_up_windows() {
        let w = |id: FeatureId| id.def().warm_up_ns();
        assert_eq!(w(ids::VOLUME_5M), Some(300_000_000_000));
        assert_eq!(w(ids::TRADE_COUNT_10S), Some(10_000_000_000));
        assert_eq!(w(ids::OI_DELTA_1H), Some(3_600_000_000_000));
        assert_eq!(w(ids::MID_PRICE), None);
        assert_eq!(w(ids::CVD), None);
        assert_eq!(w(ids::VOLUME_24H), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_names_unique() {
        for (i, d) in CATALOGUE.iter().enumerate() {
            assert_eq!(usize::from(d.id.0), i, "{} out of order", d.name);
        }
        let mut names: Vec<_> = CATALOGUE.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        assert!(CATALOGUE.len() >= 30);
    }

    #[test]
    fn catalogue_doc_is_current() {
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../../docs/features.md");
        let want = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/features.md is stale: run UPDATE_DOCS=1 cargo test -p orderflow-dataflow catalogue"
        );
    }
}
