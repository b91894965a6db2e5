//! The okx codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_okx::codec::OkxCodec;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut c) = OkxCodec::new(cfg("okx", "BTC-USDT-SWAP")) {
        drive(&mut c, data);
    }
});
