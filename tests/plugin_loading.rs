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
            assert!(expected.starts_with("0.1"), "{expected}");
            assert!(found.starts_with("1.0.0"), "{found}");
        }
        other => panic!("expected AbiMismatch, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains("1.0.0") && msg.contains("0.1.0"), "{msg}");
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
