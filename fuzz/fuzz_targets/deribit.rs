//! The deribit codec's WebSocket frame and REST answer decoding (see `orderflow_fuzz::drive`);
//! an input that starts with 0xFF calls one of its tools instead (`orderflow_fuzz::tools`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_fuzz::{cfg, drive};
use orderflow_plugin_deribit::codec::DeribitCodec;

fuzz_target!(|data: &[u8]| {
    if let Some((&0xFF, rest)) = data.split_first() {
        orderflow_fuzz::tools::call_one::<orderflow_plugin_deribit::DeribitPlugin>(rest);
        return;
    }
    if let Ok(mut c) = DeribitCodec::new(cfg("deribit", "BTC-PERPETUAL")) {
        drive(&mut c, data);
    }
});
