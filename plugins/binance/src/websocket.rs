//! WebSocket side of Binance USD-M futures: wire messages, subscriptions and parsing.
//!
//! Docs: <https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>

mod messages;
mod parse;
mod subscription;

pub use messages::*;
pub use parse::{Decoded, DepthDiff, decode_frame, depth_levels};
pub use subscription::{Channel, MAX_STREAMS_PER_CONNECTION, stream_name, subscribe_frames};
