//! Gate.io futures WebSocket v4 and REST messages as they arrive, borrowed and read in one pass.
//! Numbers stay raw JSON text (strings or numbers, by field and API version) until parsed
//! exactly. See <https://www.gate.io/docs/developers/futures/ws/en/>.
//!
//! Samples: `{"time":1,"time_ms":1,"channel":"futures.order_book_update","event":"update",
//! "result":{"t":1,"s":"BTC_USDT","U":5,"u":9,"b":[{"p":"1.1","s":0}],"a":[]}}`;
//! `{"channel":"futures.trades","event":"subscribe","result":{"status":"success"}}`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One frame: `channel`, `event` (`subscribe`, `unsubscribe`, `update`, `all`), `result` (kept
/// raw: its shape depends on the channel), `error` on a refused request.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Channel, e.g. `futures.trades`.
    #[serde(default, borrow)]
    pub channel: Option<&'a str>,
    /// Event.
    #[serde(default, borrow)]
    pub event: Option<&'a str>,
    /// Message time, ms.
    #[serde(default)]
    pub time_ms: Option<u64>,
    /// The payload.
    #[serde(default, borrow)]
    pub result: Option<&'a RawValue>,
    /// Error of a refused request.
    #[serde(default, borrow)]
    pub error: Option<WsError<'a>>,
}

/// A request error.
#[derive(Debug, Deserialize)]
pub struct WsError<'a> {
    /// Code.
    #[serde(default)]
    pub code: i64,
    /// Text.
    #[serde(default, borrow)]
    pub message: &'a str,
}

/// One price level `{"p": "…", "s": …}` (size absolute, in contracts).
#[derive(Debug, Deserialize)]
pub struct Level<'a> {
    /// Price.
    #[serde(borrow)]
    pub p: &'a RawValue,
    /// Size in contracts.
    #[serde(borrow)]
    pub s: &'a RawValue,
}

/// `futures.order_book_update` result.
#[derive(Debug, Deserialize)]
pub struct BookUpdateMsg<'a> {
    /// Book time, ms.
    pub t: u64,
    /// Contract.
    #[serde(borrow)]
    pub s: &'a str,
    /// First update id.
    #[serde(rename = "U")]
    pub first: u64,
    /// Last update id.
    #[serde(rename = "u")]
    pub last: u64,
    /// Changed bids.
    #[serde(default, borrow)]
    pub b: Vec<Level<'a>>,
    /// Changed asks.
    #[serde(default, borrow)]
    pub a: Vec<Level<'a>>,
}

/// One trade of `futures.trades` (and of REST `/trades`).
#[derive(Debug, Deserialize)]
pub struct TradeMsg<'a> {
    /// Contracts, signed: positive = taker bought.
    #[serde(borrow)]
    pub size: &'a RawValue,
    /// Trade id.
    pub id: u64,
    /// Time, ms.
    #[serde(default)]
    pub create_time_ms: Option<u64>,
    /// Time, s (older messages).
    #[serde(default)]
    pub create_time: Option<u64>,
    /// Price.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Contract.
    #[serde(borrow)]
    pub contract: &'a str,
}

/// One contract of `futures.tickers`.
#[derive(Debug, Deserialize)]
pub struct TickerMsg<'a> {
    /// Contract.
    #[serde(borrow)]
    pub contract: &'a str,
    /// Last price.
    #[serde(default, borrow)]
    pub last: Option<&'a RawValue>,
    /// 24 h change, percent.
    #[serde(default, borrow)]
    pub change_percentage: Option<&'a RawValue>,
    /// Funding rate of the current period (a fraction per funding interval, 8 h by default).
    #[serde(default, borrow)]
    pub funding_rate: Option<&'a RawValue>,
    /// Mark price.
    #[serde(default, borrow)]
    pub mark_price: Option<&'a RawValue>,
    /// Index price.
    #[serde(default, borrow)]
    pub index_price: Option<&'a RawValue>,
    /// Open interest, contracts.
    #[serde(default, borrow)]
    pub total_size: Option<&'a RawValue>,
    /// 24 h volume, base.
    #[serde(default, borrow)]
    pub volume_24h_base: Option<&'a RawValue>,
    /// 24 h volume, quote.
    #[serde(default, borrow)]
    pub volume_24h_quote: Option<&'a RawValue>,
    /// 24 h high.
    #[serde(default, borrow)]
    pub high_24h: Option<&'a RawValue>,
    /// 24 h low.
    #[serde(default, borrow)]
    pub low_24h: Option<&'a RawValue>,
}

/// One liquidation of `futures.public_liquidates`.
#[derive(Debug, Deserialize)]
pub struct LiquidationMsg<'a> {
    /// Price.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Contracts, signed: negative = a sell order (a long liquidated).
    #[serde(borrow)]
    pub size: &'a RawValue,
    /// Time, ms.
    pub time_ms: u64,
    /// Contract.
    #[serde(borrow)]
    pub contract: &'a str,
}

/// REST `order_book?with_id=true`.
#[derive(Debug, Deserialize)]
pub struct BookSnapshotMsg<'a> {
    /// Book id: the update id the snapshot includes.
    pub id: u64,
    /// Asks.
    #[serde(default, borrow)]
    pub asks: Vec<Level<'a>>,
    /// Bids.
    #[serde(default, borrow)]
    pub bids: Vec<Level<'a>>,
}

/// One REST contract (only the fields the codec needs).
#[derive(Debug, Deserialize)]
pub struct ContractMsg<'a> {
    /// Contract name.
    #[serde(borrow)]
    pub name: &'a str,
    /// Base units per contract.
    #[serde(borrow)]
    pub quanto_multiplier: &'a RawValue,
    /// Funding interval, s.
    #[serde(default)]
    pub funding_interval: Option<u64>,
}
