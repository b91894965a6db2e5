//! Shared driver of the fuzz targets. One target per venue plugin: each plugin exports the same
//! abi_stable root-module symbols, so two plugins cannot be linked into one binary.

pub mod tools;

use orderflow_tool_sdk::{Codec, CodecConfig, HostAction, HttpResponse, InstrumentMapping};

/// The configuration the demo gives a codec: BTC under the venue's own symbol.
pub fn cfg(venue: &str, venue_symbol: &str) -> CodecConfig {
    CodecConfig::new(
        venue.to_owned(),
        vec![InstrumentMapping {
            symbol: "BTCUSDT".into(),
            venue_symbol: venue_symbol.into(),
        }],
    )
}

/// Connects `codec`, then feeds it `data`: as a WebSocket frame (first byte even) or as the
/// answer to every REST request it issued (first byte odd; the byte also picks the status),
/// then the same text again as a frame, then a timer tick. Any input must give events or an
/// error — a panic is a finding.
pub fn drive(codec: &mut dyn Codec, data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let out = codec.on_connected(0, 1);
    let tags: Vec<u64> = out
        .actions
        .iter()
        .filter_map(|a| match a {
            HostAction::Http { tag, .. } => Some(*tag),
            _ => None,
        })
        .collect();
    let text = String::from_utf8_lossy(rest);
    if mode % 2 == 1 {
        let status = if mode < 128 {
            200
        } else {
            400 + u16::from(mode % 100)
        };
        for tag in tags {
            let resp = HttpResponse {
                status,
                body: text.as_ref().into(),
            };
            let _ = codec.on_http(tag, &resp, 2);
        }
    }
    let _ = codec.on_frame(0, &text, 3);
    // Twice: state a first decoding left behind (a half-applied book) must not panic either.
    let _ = codec.on_frame(0, &text, 4);
    let _ = codec.on_timer(5);
    let _ = codec.on_disconnected(0, 6);
}
