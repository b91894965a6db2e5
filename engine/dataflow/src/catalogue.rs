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
    /// The engine window a feature needs filled before its value is complete (ns): its own
    /// window for windowed trade, liquidation and open-interest features; `None` for
    /// instantaneous state, running totals and the venue's own 24 h ticker.
    pub fn warm_up_ns(&self) -> Option<u64> {
        if self.group == Group::Ticker {
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
    PRESSURE_RATIO = 25: "pressure_ratio", Prices, "ratio", "-", "B_10 / A_10";
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
         T − W < t ≤ T. Feature snapshots (the `features` table, every `storage.feature_snapshot_ms`, which must\n\
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
