//! Raw Binance USD-M futures stream messages, borrowed from the frame (no copies of strings).
//!
//! Units on the wire: prices and quantities are decimal strings; times are Unix milliseconds.

use serde::Deserialize;

/// Combined-stream envelope: `{"stream":"btcusdt@aggTrade","data":{...}}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Stream name.
    #[serde(borrow)]
    pub stream: &'a str,
    /// The event.
    #[serde(borrow)]
    pub data: &'a serde_json::value::RawValue,
}

/// Just the event type, for raw (non-combined) payloads.
#[derive(Debug, Deserialize)]
pub struct EventType<'a> {
    /// `e`: event type.
    #[serde(rename = "e", borrow)]
    pub event_type: Option<&'a str>,
    /// `id` of a request answer (`{"result":null,"id":1}`).
    pub id: Option<u64>,
    /// `lastUpdateId`: present in REST depth snapshots.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: Option<u64>,
}

/// Answer to a SUBSCRIBE/UNSUBSCRIBE request: `{"result":null,"id":1}` or an error.
#[derive(Debug, Deserialize)]
pub struct RequestAnswer<'a> {
    /// Request id.
    pub id: Option<u64>,
    /// Error, if refused (nested form).
    #[serde(borrow)]
    pub error: Option<RequestError<'a>>,
    /// Error code, if refused (documented top-level form: `{"code":0,"msg":"Unknown property","id":1}`).
    pub code: Option<i64>,
    /// Error message of the top-level form.
    #[serde(borrow)]
    pub msg: Option<&'a str>,
}

/// Error object of a refused request.
#[derive(Debug, Deserialize)]
pub struct RequestError<'a> {
    /// Error code.
    pub code: i64,
    /// Message.
    #[serde(borrow)]
    pub msg: &'a str,
}

/// `<symbol>@aggTrade`.
/// `{"e":"aggTrade","E":123456789,"a":5933014,"s":"BTCUSDT","p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true}`
#[derive(Debug, Deserialize)]
pub struct AggTrade<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub agg_id: u64,
    /// Price.
    #[serde(rename = "p", borrow)]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q", borrow)]
    pub qty: &'a str,
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub trade_time: u64,
    /// Buyer is the maker (⇒ seller aggressor).
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// `<symbol>@trade`: `{"e":"trade","E":..,"T":..,"s":..,"t":id,"p":..,"q":..,"X":"MARKET","m":bool}`.
#[derive(Debug, Deserialize)]
pub struct RawTrade<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Trade id.
    #[serde(rename = "t")]
    pub trade_id: u64,
    /// Price.
    #[serde(rename = "p", borrow)]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q", borrow)]
    pub qty: &'a str,
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub trade_time: u64,
    /// Buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
    /// Execution type: `MARKET` (normal), `INSURANCE_FUND`, `ADL`, `NA` (not a public print).
    #[serde(rename = "X", borrow, default)]
    pub exec_type: Option<&'a str>,
}

/// `<symbol>@depth[@100ms|@500ms]`: a diff of absolute level sizes.
#[derive(Debug, Deserialize)]
pub struct DepthUpdate<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Transaction time, ms.
    #[serde(rename = "T", default)]
    pub transaction_time: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// First update id in the event.
    #[serde(rename = "U")]
    pub first_update_id: u64,
    /// Final update id in the event.
    #[serde(rename = "u")]
    pub final_update_id: u64,
    /// Final update id of the previous event (futures only).
    #[serde(rename = "pu")]
    pub prev_final_update_id: Option<u64>,
    /// Bid levels `[price, qty]`.
    #[serde(rename = "b", borrow)]
    pub bids: Vec<[&'a str; 2]>,
    /// Ask levels `[price, qty]`.
    #[serde(rename = "a", borrow)]
    pub asks: Vec<[&'a str; 2]>,
}

/// `<symbol>@markPrice[@1s]`.
#[derive(Debug, Deserialize)]
pub struct MarkPriceUpdate<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Mark price.
    #[serde(rename = "p", borrow)]
    pub mark: &'a str,
    /// Index price.
    #[serde(rename = "i", borrow)]
    pub index: &'a str,
    /// Funding rate.
    #[serde(rename = "r", borrow)]
    pub funding_rate: &'a str,
    /// Next funding time, ms.
    #[serde(rename = "T")]
    pub next_funding_time: u64,
}

/// `<symbol>@forceOrder`.
#[derive(Debug, Deserialize)]
pub struct ForceOrder<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// The liquidation order.
    #[serde(rename = "o", borrow)]
    pub order: ForceOrderDetail<'a>,
}

/// Order of a [`ForceOrder`].
#[derive(Debug, Deserialize)]
pub struct ForceOrderDetail<'a> {
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Side.
    #[serde(rename = "S", borrow)]
    pub side: &'a str,
    /// Original quantity.
    #[serde(rename = "q", borrow)]
    pub orig_qty: &'a str,
    /// Price.
    #[serde(rename = "p", borrow)]
    pub price: &'a str,
    /// Average price.
    #[serde(rename = "ap", borrow)]
    pub avg_price: &'a str,
    /// Filled accumulated quantity.
    #[serde(rename = "z", borrow)]
    pub filled_qty: &'a str,
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub trade_time: u64,
}

/// `<symbol>@ticker`: rolling 24 h statistics.
#[derive(Debug, Deserialize)]
pub struct Ticker24h<'a> {
    /// Event time, ms.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Last price.
    #[serde(rename = "c", borrow)]
    pub last: &'a str,
    /// Open.
    #[serde(rename = "o", borrow)]
    pub open: &'a str,
    /// High.
    #[serde(rename = "h", borrow)]
    pub high: &'a str,
    /// Low.
    #[serde(rename = "l", borrow)]
    pub low: &'a str,
    /// Base volume.
    #[serde(rename = "v", borrow)]
    pub volume: &'a str,
    /// Quote volume.
    #[serde(rename = "q", borrow)]
    pub quote_volume: &'a str,
    /// Trade count.
    #[serde(rename = "n")]
    pub trade_count: u64,
}

/// REST `GET /fapi/v1/depth` answer.
#[derive(Debug, Deserialize)]
pub struct DepthSnapshot<'a> {
    /// Update id the snapshot reflects.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// Transaction time, ms (futures only).
    #[serde(rename = "T", default)]
    pub transaction_time: u64,
    /// Bids `[price, qty]`, best first.
    #[serde(borrow)]
    pub bids: Vec<[&'a str; 2]>,
    /// Asks `[price, qty]`, best first.
    #[serde(borrow)]
    pub asks: Vec<[&'a str; 2]>,
}

/// REST `GET /fapi/v1/openInterest` answer: `{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}`.
#[derive(Debug, Deserialize)]
pub struct OpenInterestAnswer<'a> {
    /// Open interest (base units).
    #[serde(rename = "openInterest", borrow)]
    pub open_interest: &'a str,
    /// Symbol.
    #[serde(borrow)]
    pub symbol: &'a str,
    /// Time, ms.
    pub time: u64,
}

/// REST error body: `{"code":-1121,"msg":"Invalid symbol."}`.
#[derive(Debug, Deserialize)]
pub struct RestError<'a> {
    /// Code.
    pub code: i64,
    /// Message.
    #[serde(borrow)]
    pub msg: &'a str,
}
