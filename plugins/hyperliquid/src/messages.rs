//! Hyperliquid WebSocket messages as they arrive: `{"channel": …, "data": …}`, with `data` read
//! by the channel's own type in the same pass's second step (the envelope keeps it raw). See
//! <https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/subscriptions>.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Every frame.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `l2Book`, `trades`, `activeAssetCtx`, `subscriptionResponse`, `pong`, `error`.
    #[serde(borrow)]
    pub channel: &'a str,
    /// The channel's payload.
    #[serde(default, borrow)]
    pub data: Option<&'a RawValue>,
}

/// One book level.
#[derive(Debug, Deserialize)]
pub struct Level<'a> {
    /// Price.
    #[serde(borrow)]
    pub px: &'a str,
    /// Size (base).
    #[serde(borrow)]
    pub sz: &'a str,
    /// Number of orders.
    #[serde(default)]
    pub n: Option<u64>,
}

/// `l2Book` data: a full book image (bids, then asks), every message.
#[derive(Debug, Deserialize)]
pub struct L2Book<'a> {
    /// Coin, e.g. `BTC`.
    #[serde(borrow)]
    pub coin: &'a str,
    /// Block time, ms.
    pub time: u64,
    /// `[bids, asks]`, best first.
    #[serde(borrow)]
    pub levels: [Vec<Level<'a>>; 2],
}

/// One `trades` trade.
#[derive(Debug, Deserialize)]
pub struct WsTrade<'a> {
    /// Coin.
    #[serde(borrow)]
    pub coin: &'a str,
    /// Taker side: `B` (bought) or `A` (sold).
    #[serde(borrow)]
    pub side: &'a str,
    /// Price.
    #[serde(borrow)]
    pub px: &'a str,
    /// Size (base).
    #[serde(borrow)]
    pub sz: &'a str,
    /// Time, ms.
    pub time: u64,
    /// Trade id (increasing).
    pub tid: u64,
}

/// `activeAssetCtx` data.
#[derive(Debug, Deserialize)]
pub struct AssetCtxMsg<'a> {
    /// Coin.
    #[serde(borrow)]
    pub coin: &'a str,
    /// The context.
    #[serde(borrow)]
    pub ctx: AssetCtx<'a>,
}

/// A perpetual's context (prices and sizes as decimal strings).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetCtx<'a> {
    /// Hourly funding rate (fraction).
    #[serde(borrow)]
    pub funding: &'a str,
    /// Open interest (base).
    #[serde(borrow)]
    pub open_interest: &'a str,
    /// Oracle (index) price.
    #[serde(borrow)]
    pub oracle_px: &'a str,
    /// Mark price.
    #[serde(borrow)]
    pub mark_px: &'a str,
    /// Previous day's price.
    #[serde(default, borrow)]
    pub prev_day_px: Option<&'a str>,
    /// Day notional volume.
    #[serde(default, borrow)]
    pub day_ntl_vlm: Option<&'a str>,
}
