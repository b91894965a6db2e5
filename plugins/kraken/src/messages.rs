//! Kraken Futures WebSocket v1 messages as they arrive: one flat, borrowed struct read in one
//! pass (events, book snapshot and delta, trades, ticker, heartbeat share it). Numbers stay raw
//! JSON text until parsed exactly. See <https://docs.kraken.com/api/docs/futures-api/websocket/>.
//!
//! Samples: `{"feed":"book","product_id":"PF_XBTUSD","side":"buy","seq":7,"price":34892.5,
//! "qty":6385,"timestamp":1612269825817}`; `{"event":"subscribed","feed":"book",
//! "product_ids":["PF_XBTUSD"]}`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One frame.
#[derive(Debug, Default, Deserialize)]
pub struct Msg<'a> {
    /// `info`, `subscribed`, `unsubscribed`, `subscribed_failed`, `error`, `alert`.
    #[serde(default, borrow)]
    pub event: Option<&'a str>,
    /// `book_snapshot`, `book`, `trade_snapshot`, `trade`, `ticker`, `heartbeat`.
    #[serde(default, borrow)]
    pub feed: Option<&'a str>,
    /// Instrument, e.g. `PF_XBTUSD`.
    #[serde(default, borrow)]
    pub product_id: Option<&'a str>,
    /// Error text.
    #[serde(default, borrow)]
    pub message: Option<&'a str>,
    /// Book sequence number (consecutive per product), or the trade's sequence number.
    #[serde(default)]
    pub seq: Option<u64>,
    /// Book time, ms.
    #[serde(default)]
    pub timestamp: Option<u64>,
    /// Trade or ticker time, ms.
    #[serde(default)]
    pub time: Option<u64>,
    /// Book delta side or trade taker side, `buy`/`sell`.
    #[serde(default, borrow)]
    pub side: Option<&'a str>,
    /// Book delta or trade price.
    #[serde(default, borrow)]
    pub price: Option<&'a RawValue>,
    /// Book delta absolute size (0 removes the level) or trade size.
    #[serde(default, borrow)]
    pub qty: Option<&'a RawValue>,
    /// Trade kind: `fill`, `liquidation`, `termination`, `block`.
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<&'a str>,
    /// Trade id (UUID).
    #[serde(default, borrow)]
    pub uid: Option<&'a str>,
    /// Book snapshot bids.
    #[serde(default, borrow)]
    pub bids: Vec<Level<'a>>,
    /// Book snapshot asks.
    #[serde(default, borrow)]
    pub asks: Vec<Level<'a>>,
    /// `trade_snapshot` trades.
    #[serde(default, borrow)]
    pub trades: Vec<Msg<'a>>,
    /// Ticker: last price.
    #[serde(default, borrow)]
    pub last: Option<&'a RawValue>,
    /// Ticker: 24 h open.
    #[serde(default, borrow)]
    pub open: Option<&'a RawValue>,
    /// Ticker: 24 h high.
    #[serde(default, borrow)]
    pub high: Option<&'a RawValue>,
    /// Ticker: 24 h low.
    #[serde(default, borrow)]
    pub low: Option<&'a RawValue>,
    /// Ticker: 24 h volume (contracts; 1 contract = 1 base unit on `PF_` perpetuals).
    #[serde(default, borrow)]
    pub volume: Option<&'a RawValue>,
    /// Ticker: 24 h quote volume.
    #[serde(rename = "volumeQuote", default, borrow)]
    pub volume_quote: Option<&'a RawValue>,
    /// Ticker: index price.
    #[serde(default, borrow)]
    pub index: Option<&'a RawValue>,
    /// Ticker: mark price.
    #[serde(rename = "markPrice", default, borrow)]
    pub mark_price: Option<&'a RawValue>,
    /// Ticker: open interest (contracts).
    #[serde(rename = "openInterest", default, borrow)]
    pub open_interest: Option<&'a RawValue>,
    /// Ticker: funding rate as a fraction of the position's value per funding period (hourly).
    #[serde(default, borrow)]
    pub relative_funding_rate: Option<&'a RawValue>,
    /// Ticker: next funding time, ms.
    #[serde(default, borrow)]
    pub next_funding_rate_time: Option<&'a RawValue>,
}

/// One book level of a snapshot.
#[derive(Debug, Deserialize)]
pub struct Level<'a> {
    /// Price.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Absolute size.
    #[serde(borrow)]
    pub qty: &'a RawValue,
}
