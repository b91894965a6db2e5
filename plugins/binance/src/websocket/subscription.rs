//! Stream names and SUBSCRIBE frames.
//!
//! Binance futures: one connection may carry at most 200 streams; a connection may send at most
//! 10 incoming messages per second, so streams are subscribed in few, large requests.

use serde_json::json;

/// Streams per connection the codec will use (venue limit: 200).
pub const MAX_STREAMS_PER_CONNECTION: usize = 200;
/// Streams per SUBSCRIBE request.
const STREAMS_PER_REQUEST: usize = 100;

/// A market data channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// `@aggTrade`.
    AggTrade,
    /// `@depth@<speed>`.
    Depth,
    /// `@markPrice@1s`.
    MarkPrice,
    /// `@forceOrder`.
    ForceOrder,
    /// `@ticker`.
    Ticker,
}

impl Channel {
    /// All channels the codec subscribes per instrument.
    pub const ALL: [Channel; 5] = [
        Self::AggTrade,
        Self::Depth,
        Self::MarkPrice,
        Self::ForceOrder,
        Self::Ticker,
    ];
    /// The channels spot has (no mark price, no liquidations).
    pub const SPOT: [Channel; 3] = [Self::AggTrade, Self::Depth, Self::Ticker];

    /// The channels of a market.
    pub fn of(market: crate::common::Market) -> &'static [Channel] {
        match market {
            crate::common::Market::Futures => &Self::ALL,
            crate::common::Market::Spot => &Self::SPOT,
        }
    }
}

/// Stream name for a symbol and channel, e.g. `btcusdt@depth@100ms`.
pub fn stream_name(venue_symbol: &str, channel: Channel, depth_speed: &str) -> String {
    let s = venue_symbol.to_ascii_lowercase();
    match channel {
        Channel::AggTrade => format!("{s}@aggTrade"),
        Channel::Depth if depth_speed.is_empty() => format!("{s}@depth"),
        Channel::Depth => format!("{s}@depth@{depth_speed}"),
        Channel::MarkPrice => format!("{s}@markPrice@1s"),
        Channel::ForceOrder => format!("{s}@forceOrder"),
        Channel::Ticker => format!("{s}@ticker"),
    }
}

/// SUBSCRIBE frames for `streams`, with request ids starting at `first_id`.
pub fn subscribe_frames(streams: &[String], first_id: u64) -> Vec<(u64, String)> {
    streams
        .chunks(STREAMS_PER_REQUEST)
        .zip(first_id..)
        .map(|(chunk, id)| {
            (
                id,
                json!({"method": "SUBSCRIBE", "params": chunk, "id": id}).to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_frames() {
        assert_eq!(
            stream_name("BTCUSDT", Channel::Depth, "100ms"),
            "btcusdt@depth@100ms"
        );
        assert_eq!(
            stream_name("BTCUSDT", Channel::MarkPrice, ""),
            "btcusdt@markPrice@1s"
        );
        let streams: Vec<String> = (0..150).map(|i| format!("s{i}@aggTrade")).collect();
        let frames = subscribe_frames(&streams, 5);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].0, 6);
        let v: serde_json::Value = serde_json::from_str(&frames[0].1).unwrap();
        assert_eq!(v["method"], "SUBSCRIBE");
        assert_eq!(v["params"].as_array().unwrap().len(), 100);
    }
}
