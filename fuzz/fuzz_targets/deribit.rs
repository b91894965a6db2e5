//! The deribit codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_deribit::codec::DeribitCodec;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut c) = DeribitCodec::new(cfg("deribit", "BTC-PERPETUAL")) {
        drive(&mut c, data);
    }
});
