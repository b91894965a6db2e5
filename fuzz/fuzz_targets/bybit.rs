//! The bybit codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_bybit::codec::BybitCodec;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut c) = BybitCodec::new(cfg("bybit", "BTCUSDT")) {
        drive(&mut c, data);
    }
    if let Ok(mut c) = BybitCodec::new(cfg("bybit_spot", "BTCUSDT")) {
        drive(&mut c, data);
    }
});
