//! Record and replay: a demo run records every codec input; two replays of the recording write
//! identical feature and book snapshots, reproduce exactly the events the live run produced,
//! honour `--from`, and survive a truncated file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline::{self, Mode, Options};
use orderflow_node::replay::{self, ReplayArgs, Speed};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::target_dir;

fn query(db: &Path, sql: &str) -> Vec<Vec<serde_json::Value>> {
    let conn = orderflow_sink_duckdb::open_read_only(db).unwrap();
    orderflow_sink_duckdb::History::from_connection(conn)
        .query(sql, 100)
        .unwrap()
        .rows
}

fn args(dir: &Path, data: Option<&Path>) -> ReplayArgs {
    ReplayArgs {
        dir: dir.to_path_buf(),
        data_dir: data.map(Path::to_path_buf),
        speed: Speed::Max,
        from: None,
        to: None,
        workers: 1,
        plugin_dirs: orderflow_node::pipeline::PluginDirs {
            builtin: Some(target_dir()),
            extra: Vec::new(),
        },
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_deterministic_and_reproduce_the_live_run() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    let cfg = Config::load(None).unwrap();
    let mut opts = Options::new(cfg.clone(), Mode::Demo);
    opts.http = Some(([127, 0, 0, 1], 0).into());
    opts.plugin_dirs.builtin = Some(target_dir());
    opts.no_storage = true;
    opts.record_dir = Some(rec.clone());
    let running = pipeline::start(opts).await.unwrap();
    let venues: Vec<String> = running.emulators.keys().cloned().collect();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let m = running.engine.metrics();
    running.shutdown().await.unwrap();
    let live_events = m.events.load(Ordering::Relaxed);
    assert!(live_events > 1_000, "{live_events}");

    let meta = orderflow_plugin_host::record::read_meta(&rec).unwrap();
    // Every venue that ran was recorded.
    assert_eq!(meta.venues.keys().cloned().collect::<Vec<_>>(), venues);
    assert!(venues.len() >= 5, "{venues:?}");

    let (d1, d2) = (tmp.path().join("r1"), tmp.path().join("r2"));
    let r1 = tokio::task::block_in_place(|| replay::run(&cfg, &args(&rec, Some(&d1)))).unwrap();
    let r2 = tokio::task::block_in_place(|| replay::run(&cfg, &args(&rec, Some(&d2)))).unwrap();
    assert!(r1.problems.is_empty(), "{:?}", r1.problems);
    assert_eq!(r1.decode_errors, 0);
    // The codecs are pure: the recorded inputs give back exactly the live run's events.
    assert_eq!(r1.events, live_events);
    assert_eq!(r2.events, live_events);

    let fingerprint = |d: &Path| {
        let db = d.join("orderflow.duckdb");
        (
            query(
                &db,
                "SELECT count(*), sum(hash(ts_ns, venue, symbol, feature, value)) FROM features",
            ),
            query(
                &db,
                "SELECT count(*), sum(hash(ts_ns, venue, symbol, side, level, price, size)) FROM orderbook",
            ),
            query(
                &db,
                "SELECT count(*), sum(hash(ts_recv_ns, venue, symbol, price, size, side)) FROM trades",
            ),
        )
    };
    let (f1, f2) = (fingerprint(&d1), fingerprint(&d2));
    assert!(f1.0[0][0].as_i64().unwrap() > 100, "{f1:?}");
    assert_eq!(f1, f2, "two replays wrote different snapshots");

    // --from: only later inputs.
    let files = orderflow_plugin_host::record::input_files(&rec).unwrap();
    let mut ts = Vec::new();
    orderflow_plugin_host::record::read_records(&rec, |r| {
        ts.push(r.t);
        true
    })
    .unwrap();
    let mid = ts[ts.len() / 2];
    let mut a = args(&rec, None);
    a.from = Some(mid);
    let half = tokio::task::block_in_place(|| replay::run(&cfg, &a)).unwrap();
    assert!(half.inputs < r1.inputs && half.inputs > 0);

    // A truncated file: what precedes the damage is replayed, the damage is reported.
    let last = files.last().unwrap();
    let bytes = std::fs::read(last).unwrap();
    std::fs::write(last, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let cut = tokio::task::block_in_place(|| replay::run(&cfg, &args(&rec, None))).unwrap();
    assert_eq!(cut.problems.len(), 1, "{:?}", cut.problems);
    assert!(cut.inputs > 0 && cut.inputs < r1.inputs);
}
