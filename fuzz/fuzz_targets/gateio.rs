//! The gateio codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_gateio::codec::GateioCodec;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut c) = GateioCodec::new(cfg("gateio", "BTC_USDT")) {
        drive(&mut c, data);
    }
});
