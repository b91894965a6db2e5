//! Loading real plugin libraries: the good one works; every kind of bad one is a typed error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_plugin_host::PluginError;
use orderflow_plugin_host::loader::{load, load_dir};
use support::{plugin_lib, target_dir};

#[test]
fn binance_plugin_loads_with_manifest_and_tools() {
    let p = load(&plugin_lib("orderflow_plugin_binance")).unwrap();
    assert_eq!(p.name(), "binance");
    assert_eq!(
        p.manifest.sdk_version.as_str(),
        orderflow_tool_sdk::SDK_VERSION
    );
    assert!(p.serves("binance"));
    let names: Vec<String> = p.tools.iter().map(|t| t.name.to_string()).collect();
    for want in [
        "binance_get_ticker",
        "binance_get_orderbook",
        "binance_get_recent_trades",
        "binance_get_funding_rate",
        "binance_get_open_interest",
        "binance_get_mark_price",
        "binance_get_liquidations",
        "binance_get_klines",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing");
    }
    for t in &p.tools {
        let schema: serde_json::Value = serde_json::from_str(t.input_schema.as_str()).unwrap();
        assert_eq!(schema["type"], "object", "{}", t.name);
    }
}

#[test]
fn plugin_built_against_another_abi_version_is_refused_naming_both_versions() {
    let e = load(&plugin_lib("orderflow_plugin_fixture_abi_v1")).unwrap_err();
    match &e {
        PluginError::AbiMismatch {
            expected, found, ..
        } => {
            assert_eq!(expected, orderflow_tool_sdk::SDK_VERSION);
            assert_eq!(found, "2.0.0");
        }
        other => panic!("expected AbiMismatch, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("2.0.0") && msg.contains(orderflow_tool_sdk::SDK_VERSION),
        "{msg}"
    );
}

#[tokio::test]
async fn plugin_built_on_the_previous_sdk_minor_loads_and_serves_its_tools() {
    // It claims 1.0.0 and answers no query; this host speaks 1.1.
    let p = std::sync::Arc::new(load(&plugin_lib("orderflow_plugin_fixture_sdk_1_0")).unwrap());
    assert_eq!(p.name(), "fixture_sdk_1_0");
    assert_eq!(p.tools.len(), 1);
    // The query 1.1 added is absent for it, not an error.
    assert!(p.venue_defaults().is_none());
    // A current plugin has it.
    let current = load(&plugin_lib("orderflow_plugin_binance")).unwrap();
    assert!(current.venue_defaults().is_some());
    // 1.4's heap query: the fixture does not know it, a current plugin counts its heap, and
    // the count moves when the plugin allocates (here, building its tool list).
    assert!(p.heap().is_none());
    let before = current.heap().unwrap();
    assert!(before.live_bytes > 0, "{before:?}");
    let tools = (current.module.tools())();
    assert!(!tools.is_empty());
    let after = current.heap().unwrap();
    assert!(
        after.allocations > before.allocations,
        "{before:?} → {after:?}"
    );

    let universe = std::sync::Arc::new(orderflow_model::Universe::default());
    let live = std::sync::Arc::new(orderflow_plugin_host::live::LiveStore::new(universe));
    let mut reg = orderflow_plugin_host::registry::ToolRegistry::new(live, Default::default());
    assert!(reg.add_plugin(p, &[]).is_empty());
    let out = reg
        .call("sdk10_echo", serde_json::json!({"text": "still here"}))
        .await
        .unwrap();
    assert_eq!(out["echo"], "still here");
    assert_eq!(out["sdk"], "1.0");
}

#[test]
fn plugin_with_another_layout_is_refused() {
    let e = load(&plugin_lib("orderflow_plugin_fixture_bad_layout")).unwrap_err();
    assert!(matches!(e, PluginError::Incompatible { .. }), "{e:?}");
}

#[test]
fn missing_and_foreign_libraries_are_open_errors() {
    let e = load(&target_dir().join("liborderflow_plugin_nope.so")).unwrap_err();
    assert!(matches!(e, PluginError::Open { .. }), "{e:?}");
    // A real shared library that is not an orderflow plugin (DuckDB's).
    let duck = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../.deps/duckdb/libduckdb.so");
    let e = load(&duck).unwrap_err();
    assert!(matches!(e, PluginError::Open { .. }), "{e:?}");
}

#[test]
fn loading_a_folder_keeps_good_plugins_and_reports_bad_ones() {
    let (ok, failed) = load_dir(&target_dir(), None).unwrap();
    assert!(ok.iter().any(|p| p.name() == "binance"));
    assert_eq!(failed.len(), 2, "{failed:?}");
    let (ok, failed) = load_dir(&target_dir(), Some(&["binance".to_owned()])).unwrap();
    assert_eq!((ok.len(), failed.len()), (1, 0));
}
