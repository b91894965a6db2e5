//! The okx codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`);
//! an input that starts with 0xFF calls one of its tools instead (`orderflow_fuzz::tools`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_okx::codec::OkxCodec;

fuzz_target!(|data: &[u8]| {
    if let Some((&0xFF, rest)) = data.split_first() {
        orderflow_fuzz::tools::call_one::<orderflow_plugin_okx::OkxPlugin>(rest);
        return;
    }
    if let Ok(mut c) = OkxCodec::new(cfg("okx", "BTC-USDT-SWAP")) {
        drive(&mut c, data);
    }
});
