//! Deribit JSON-RPC 2.0 messages as they arrive, borrowed and read in one pass. Numbers stay raw
//! JSON text until parsed exactly. See <https://docs.deribit.com/> (notifications, `book`,
//! `trades`, `ticker` channels, `public/set_heartbeat`).
//!
//! Samples: `{"jsonrpc":"2.0","method":"subscription","params":{"channel":
//! "book.BTC-PERPETUAL.100ms","data":{"type":"change","change_id":2,"prev_change_id":1,…}}}`;
//! `{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}`;
//! `{"jsonrpc":"2.0","id":2,"result":["book.BTC-PERPETUAL.100ms"]}`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One frame: a notification (`method`), or the answer to a request (`id` + `result`/`error`).
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Request id of an answer.
    #[serde(default)]
    pub id: Option<u64>,
    /// `subscription` or `heartbeat` for notifications.
    #[serde(default, borrow)]
    pub method: Option<&'a str>,
    /// Notification parameters.
    #[serde(default, borrow)]
    pub params: Option<Params<'a>>,
    /// A successful answer's result (kept raw).
    #[serde(default, borrow)]
    pub result: Option<&'a RawValue>,
    /// A failed answer's error.
    #[serde(default, borrow)]
    pub error: Option<RpcError<'a>>,
}

/// Notification parameters.
#[derive(Debug, Deserialize)]
pub struct Params<'a> {
    /// Channel, e.g. `trades.BTC-PERPETUAL.100ms`.
    #[serde(default, borrow)]
    pub channel: Option<&'a str>,
    /// Heartbeat kind: `heartbeat` or `test_request`.
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<&'a str>,
    /// Channel data (object or array, by channel).
    #[serde(default, borrow)]
    pub data: Option<&'a RawValue>,
}

/// JSON-RPC error.
#[derive(Debug, Deserialize)]
pub struct RpcError<'a> {
    /// Error code.
    #[serde(default)]
    pub code: i64,
    /// Error text.
    #[serde(default, borrow)]
    pub message: &'a str,
}

/// `book.{instrument}.{interval}` data.
#[derive(Debug, Deserialize)]
pub struct BookData<'a> {
    /// `snapshot` (first message after subscribing) or `change`.
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<&'a str>,
    /// Instrument.
    #[serde(borrow)]
    pub instrument_name: &'a str,
    /// Book time, ms.
    pub timestamp: u64,
    /// This message's change id.
    pub change_id: u64,
    /// The change id of the previous message (absent or null on a snapshot).
    #[serde(default)]
    pub prev_change_id: Option<u64>,
    /// `[action, price, amount]` rows; action `new`, `change` or `delete`.
    #[serde(default, borrow)]
    pub bids: Vec<(&'a str, &'a RawValue, &'a RawValue)>,
    /// Same for asks.
    #[serde(default, borrow)]
    pub asks: Vec<(&'a str, &'a RawValue, &'a RawValue)>,
}

/// One trade of `trades.{instrument}.{interval}` (or of `get_last_trades_by_instrument`).
#[derive(Debug, Deserialize)]
pub struct TradeData<'a> {
    /// Instrument.
    #[serde(borrow)]
    pub instrument_name: &'a str,
    /// Trade time, ms.
    pub timestamp: u64,
    /// Per-instrument trade sequence number (the de-duplication key).
    pub trade_seq: u64,
    /// Trade id (text).
    #[serde(default, borrow)]
    pub trade_id: Option<&'a str>,
    /// Price.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Amount: USD for inverse instruments, base for linear ones.
    #[serde(borrow)]
    pub amount: &'a RawValue,
    /// Taker side, `buy`/`sell`.
    #[serde(borrow)]
    pub direction: &'a str,
    /// `M`, `T` or `MT` when a liquidated side took part.
    #[serde(default, borrow)]
    pub liquidation: Option<&'a str>,
}

/// 24 h statistics of a ticker.
#[derive(Debug, Default, Deserialize)]
pub struct Stats<'a> {
    /// 24 h high.
    #[serde(default, borrow)]
    pub high: Option<&'a RawValue>,
    /// 24 h low.
    #[serde(default, borrow)]
    pub low: Option<&'a RawValue>,
    /// 24 h change, percent.
    #[serde(default, borrow)]
    pub price_change: Option<&'a RawValue>,
    /// 24 h volume in the base currency.
    #[serde(default, borrow)]
    pub volume: Option<&'a RawValue>,
    /// 24 h volume in USD.
    #[serde(default, borrow)]
    pub volume_usd: Option<&'a RawValue>,
}

/// `ticker.{instrument}.{interval}` data.
#[derive(Debug, Deserialize)]
pub struct TickerData<'a> {
    /// Instrument.
    #[serde(borrow)]
    pub instrument_name: &'a str,
    /// Time, ms.
    pub timestamp: u64,
    /// 24 h statistics.
    #[serde(default, borrow)]
    pub stats: Stats<'a>,
    /// Last trade price.
    #[serde(default, borrow)]
    pub last_price: Option<&'a RawValue>,
    /// Mark price.
    #[serde(default, borrow)]
    pub mark_price: Option<&'a RawValue>,
    /// Index price.
    #[serde(default, borrow)]
    pub index_price: Option<&'a RawValue>,
    /// Open interest: USD for inverse instruments, base for linear ones.
    #[serde(default, borrow)]
    pub open_interest: Option<&'a RawValue>,
    /// Funding over 8 h at the current rate (a fraction of position value).
    #[serde(default, borrow)]
    pub funding_8h: Option<&'a RawValue>,
}
