//! OKX v5 public WebSocket messages as they arrive (borrowed strings, no float parsing).

use serde::Deserialize;

/// A channel argument: `{"channel": "...", "instId": "..."}` (or `instType` for
/// `liquidation-orders`).
#[derive(Debug, Deserialize)]
pub struct Arg<'a> {
    /// Channel name.
    #[serde(borrow)]
    pub channel: &'a str,
    /// Instrument, when the channel is per instrument.
    #[serde(rename = "instId", default, borrow)]
    pub inst_id: Option<&'a str>,
}

/// Any message: an event (`subscribe`, `unsubscribe`, `error`) or a data push.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Event name for acknowledgements and errors.
    #[serde(default, borrow)]
    pub event: Option<&'a str>,
    /// Error code (as a string) for `error` events.
    #[serde(default, borrow)]
    pub code: Option<&'a str>,
    /// Error message.
    #[serde(default, borrow)]
    pub msg: Option<&'a str>,
    /// The subscription the message belongs to.
    #[serde(default, borrow)]
    pub arg: Option<Arg<'a>>,
    /// `snapshot` or `update` for books.
    #[serde(default, borrow)]
    pub action: Option<&'a str>,
    /// The payload, decoded per channel.
    #[serde(default, borrow)]
    pub data: Option<&'a serde_json::value::RawValue>,
}

/// `trades`.
#[derive(Debug, Deserialize)]
pub struct TradeMsg<'a> {
    /// Trade id.
    #[serde(rename = "tradeId")]
    pub trade_id: &'a str,
    /// Price.
    pub px: &'a str,
    /// Size (contracts for swaps).
    pub sz: &'a str,
    /// Taker side.
    pub side: &'a str,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// One book level on the wire: price, size, deprecated liquidation count, order count.
pub type WireLevel<'a> = (&'a str, &'a str, &'a str, &'a str);

/// `books` (snapshot or update).
#[derive(Debug, Deserialize)]
pub struct BooksMsg<'a> {
    /// `[price, size, "0", orders]` (a fixed 4-tuple: no allocation per level).
    #[serde(borrow)]
    pub asks: Vec<WireLevel<'a>>,
    /// Same for bids.
    #[serde(borrow)]
    pub bids: Vec<WireLevel<'a>>,
    /// Exchange time, ms.
    pub ts: &'a str,
    /// CRC32 of the top 25 levels after this message.
    #[serde(default)]
    pub checksum: Option<i32>,
    /// Sequence id of this message.
    #[serde(rename = "seqId", default)]
    pub seq_id: Option<i64>,
    /// Sequence id of the previous message (-1 on snapshots).
    #[serde(rename = "prevSeqId", default)]
    pub prev_seq_id: Option<i64>,
}

/// `funding-rate`.
#[derive(Debug, Deserialize)]
pub struct FundingMsg<'a> {
    /// Current rate (settled at `fundingTime`).
    #[serde(rename = "fundingRate")]
    pub funding_rate: &'a str,
    /// Next settlement, ms.
    #[serde(rename = "fundingTime")]
    pub funding_time: &'a str,
    /// Exchange time, ms.
    #[serde(default)]
    pub ts: Option<&'a str>,
}

/// `open-interest`.
#[derive(Debug, Deserialize)]
pub struct OpenInterestMsg<'a> {
    /// Contracts.
    pub oi: &'a str,
    /// Base currency.
    #[serde(rename = "oiCcy", default)]
    pub oi_ccy: Option<&'a str>,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// `mark-price`.
#[derive(Debug, Deserialize)]
pub struct MarkMsg<'a> {
    /// Mark price.
    #[serde(rename = "markPx")]
    pub mark_px: &'a str,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// `index-tickers` (instId is the index, e.g. `BTC-USDT`).
#[derive(Debug, Deserialize)]
pub struct IndexMsg<'a> {
    /// Index price.
    #[serde(rename = "idxPx")]
    pub idx_px: &'a str,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// `tickers`.
#[derive(Debug, Deserialize)]
pub struct TickerMsg<'a> {
    /// Last price.
    pub last: &'a str,
    /// 24h open.
    #[serde(rename = "open24h")]
    pub open_24h: &'a str,
    /// 24h high.
    #[serde(rename = "high24h")]
    pub high_24h: &'a str,
    /// 24h low.
    #[serde(rename = "low24h")]
    pub low_24h: &'a str,
    /// 24h volume in base currency (swaps: coin).
    #[serde(rename = "volCcy24h")]
    pub vol_ccy_24h: &'a str,
    /// 24h volume in contracts.
    #[serde(rename = "vol24h")]
    pub vol_24h: &'a str,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// `liquidation-orders`: one instrument's recent liquidations.
#[derive(Debug, Deserialize)]
pub struct LiquidationMsg<'a> {
    /// Instrument.
    #[serde(rename = "instId")]
    pub inst_id: &'a str,
    /// The orders.
    #[serde(borrow)]
    pub details: Vec<LiquidationDetail<'a>>,
}

/// One liquidation order.
#[derive(Debug, Deserialize)]
pub struct LiquidationDetail<'a> {
    /// Order side (`sell` closes a long).
    pub side: &'a str,
    /// Bankruptcy price.
    #[serde(rename = "bkPx")]
    pub bk_px: &'a str,
    /// Contracts.
    pub sz: &'a str,
    /// Exchange time, ms.
    pub ts: &'a str,
}

/// A `books` push parsed in one pass: the hot path skips the generic envelope (which would
/// capture `data` raw and parse it a second time).
#[derive(Debug, Deserialize)]
pub struct BooksPush<'a> {
    /// The subscription.
    #[serde(borrow)]
    pub arg: Arg<'a>,
    /// `snapshot` or `update`.
    #[serde(default, borrow)]
    pub action: Option<&'a str>,
    /// The book messages.
    #[serde(borrow)]
    pub data: Vec<BooksMsg<'a>>,
}

/// True when the frame's head names the `books` channel (checked on the first bytes only).
pub fn is_books_push(text: &str) -> bool {
    let head = text.get(..text.len().min(80)).unwrap_or(text);
    head.contains("\"channel\":\"books\"") && !head.contains("\"event\"")
}
