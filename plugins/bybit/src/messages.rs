//! Bybit v5 public WebSocket messages as they arrive (borrowed strings; prices and sizes stay
//! decimal strings until parsed exactly). See
//! <https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook> and the sibling pages
//! for trade, ticker and all-liquidation.

use serde::Deserialize;

/// Every frame: an operation answer (`op`, `success`, `ret_msg`) or a push (`topic`, `type`,
/// `ts` in ms, `data`).
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `subscribe`, `unsubscribe`, `ping`, `pong`.
    #[serde(default, borrow)]
    pub op: Option<&'a str>,
    /// Outcome of an operation.
    #[serde(default)]
    pub success: Option<bool>,
    /// Reason of a refused operation.
    #[serde(default, borrow)]
    pub ret_msg: Option<&'a str>,
    /// Push topic, e.g. `orderbook.50.BTCUSDT`.
    #[serde(default, borrow)]
    pub topic: Option<&'a str>,
    /// `snapshot` or `delta`.
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<&'a str>,
    /// Push time, ms.
    #[serde(default)]
    pub ts: Option<u64>,
    /// The topic's payload, decoded by its parse function.
    #[serde(default, borrow)]
    pub data: Option<&'a serde_json::value::RawValue>,
}

/// `orderbook.<depth>.<S>` data: `[price, size]` rows, absolute sizes, `u` the update id.
#[derive(Debug, Deserialize)]
pub struct BookData<'a> {
    /// Bids.
    #[serde(borrow)]
    pub b: Vec<[&'a str; 2]>,
    /// Asks.
    #[serde(borrow)]
    pub a: Vec<[&'a str; 2]>,
    /// Update id (consecutive; 1 after a service restart).
    pub u: u64,
}

/// One `publicTrade.<S>` trade.
#[derive(Debug, Deserialize)]
pub struct TradeData<'a> {
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub time: u64,
    /// Taker side, `Buy`/`Sell`.
    #[serde(rename = "S")]
    pub side: &'a str,
    /// Size (base).
    pub v: &'a str,
    /// Price.
    pub p: &'a str,
    /// Trade id (a UUID).
    pub i: &'a str,
}

/// `tickers.<S>` data: a snapshot, then deltas with only the changed fields.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickerData<'a> {
    /// Last price.
    #[serde(default, borrow)]
    pub last_price: Option<&'a str>,
    /// Price 24 h ago.
    #[serde(default, borrow)]
    pub prev_price24h: Option<&'a str>,
    /// 24 h high.
    #[serde(default, borrow)]
    pub high_price24h: Option<&'a str>,
    /// 24 h low.
    #[serde(default, borrow)]
    pub low_price24h: Option<&'a str>,
    /// 24 h base volume.
    #[serde(default, borrow)]
    pub volume24h: Option<&'a str>,
    /// 24 h quote turnover.
    #[serde(default, borrow)]
    pub turnover24h: Option<&'a str>,
    /// Mark price (linear only).
    #[serde(default, borrow)]
    pub mark_price: Option<&'a str>,
    /// Index price (linear only).
    #[serde(default, borrow)]
    pub index_price: Option<&'a str>,
    /// Open interest, base (linear only).
    #[serde(default, borrow)]
    pub open_interest: Option<&'a str>,
    /// Funding rate (linear only).
    #[serde(default, borrow)]
    pub funding_rate: Option<&'a str>,
    /// Next funding time, ms (linear only).
    #[serde(default, borrow)]
    pub next_funding_time: Option<&'a str>,
}

/// One `allLiquidation.<S>` liquidation.
#[derive(Debug, Deserialize)]
pub struct LiquidationData<'a> {
    /// Time, ms.
    #[serde(rename = "T")]
    pub time: u64,
    /// The liquidated *position's* side (`Buy` = a long).
    #[serde(rename = "S")]
    pub side: &'a str,
    /// Size (base).
    pub v: &'a str,
    /// Bankruptcy price.
    pub p: &'a str,
}
