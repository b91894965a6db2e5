//! The binance codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`);
//! an input that starts with 0xFF calls one of its tools instead (`orderflow_fuzz::tools`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_binance::codec::FuturesCodec;

fuzz_target!(|data: &[u8]| {
    if let Some((&0xFF, rest)) = data.split_first() {
        orderflow_fuzz::tools::call_one::<orderflow_plugin_binance::BinancePlugin>(rest);
        return;
    }
    if let Ok(mut c) = FuturesCodec::new(cfg("binance", "BTCUSDT")) {
        drive(&mut c, data);
    }
    if let Ok(mut c) = FuturesCodec::new(cfg("binance_spot", "BTCUSDT")) {
        drive(&mut c, data);
    }
});
