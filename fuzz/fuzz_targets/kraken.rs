//! The kraken codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_kraken::codec::KrakenCodec;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut c) = KrakenCodec::new(cfg("kraken", "PF_XBTUSD")) {
        drive(&mut c, data);
    }
});
