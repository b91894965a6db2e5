//! Record and replay: a demo run records every codec input; two replays of the recording write
//! identical feature and book snapshots, reproduce exactly the events the live run produced and
//! the live run's own `features` snapshots row for row, honour `--from`, and survive a truncated
//! file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline;
use orderflow_node::replay;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::replay_args;

fn query(db: &Path, sql: &str) -> Vec<Vec<serde_json::Value>> {
    let conn = orderflow_sink_duckdb::open_read_only(db).unwrap();
    orderflow_sink_duckdb::History::from_connection(conn)
        .query(sql, 100)
        .unwrap()
        .rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_deterministic_and_reproduce_the_live_run() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    let cfg = Config::load(None).unwrap();
    let mut opts = support::recording_demo(&cfg, &rec);
    let live_dir = tmp.path().join("live");
    opts.data_dir = Some(live_dir.clone());
    let running = pipeline::start(opts).await.unwrap();
    let venues: Vec<String> = running.emulators.keys().cloned().collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Faults whose intervals go to `gaps`: the replay must write the same rows.
    // A Binance book gap, until its interval (ending at the REST snapshot the book resyncs
    // from) has been stored. (Disconnect rows are checked live in tests/hardening.rs.)
    let history = running.state.history.clone().unwrap();
    for (fault, reason) in [(
        r#"{"op":"fault","kind":"gap","symbol":"BTCUSDT"}"#,
        "book_resync",
    )] {
        running.emulators["binance"].control(fault).unwrap();
        let t0 = std::time::Instant::now();
        loop {
            let r = history
                .query(
                    &format!("SELECT count(*) FROM gaps WHERE reason = '{reason}'"),
                    1,
                )
                .unwrap();
            if r.rows[0][0] != 0 {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "no {reason} gap stored"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let m = running.engine.metrics();
    running.shutdown().await.unwrap();
    let live_events = m.events.load(Ordering::Relaxed);
    assert!(live_events > 1_000, "{live_events}");
    // One receive clock for every venue: no event reached the engine behind its time.
    assert_eq!(m.late_events.load(Ordering::Relaxed), 0);

    let meta = orderflow_plugin_host::record::read_meta(&rec).unwrap();
    // Every venue that ran was recorded.
    assert_eq!(meta.venues.keys().cloned().collect::<Vec<_>>(), venues);
    assert!(venues.len() >= 5, "{venues:?}");

    let (d1, d2) = (tmp.path().join("r1"), tmp.path().join("r2"));
    let r1 =
        tokio::task::block_in_place(|| replay::run(&cfg, &replay_args(&rec, Some(&d1)))).unwrap();
    let r2 =
        tokio::task::block_in_place(|| replay::run(&cfg, &replay_args(&rec, Some(&d2)))).unwrap();
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
    // The venue gaps of the live run, reproduced by the replay (same intervals, same stamps).
    let gaps = |d: &Path| {
        query(
            &d.join("orderflow.duckdb"),
            "SELECT venue, symbol, stream, from_ns, to_ns, reason, detail FROM gaps \
             WHERE reason IN ('disconnect', 'book_resync') ORDER BY ALL",
        )
    };
    let live_gaps = gaps(&live_dir);
    assert!(
        live_gaps.iter().any(|r| r[5] == "book_resync"),
        "the book gap recorded live: {live_gaps:?}"
    );
    assert_eq!(gaps(&d1), live_gaps);

    let (f1, f2) = (fingerprint(&d1), fingerprint(&d2));
    assert!(f1.0[0][0].as_i64().unwrap() > 100, "{f1:?}");
    assert_eq!(f1, f2, "two replays wrote different snapshots");

    // The replay reproduces the live run's feature snapshots row for row, at every snapshot
    // time both runs have (the live run's last ones, taken by clock ticks after the last event,
    // have no counterpart in the replay).
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "ATTACH '{}' AS live (READ_ONLY); ATTACH '{}' AS rep (READ_ONLY);",
        live_dir.join("orderflow.duckdb").display(),
        d1.join("orderflow.duckdb").display()
    ))
    .unwrap();
    let (times, rows, only_live, only_replay): (i64, i64, i64, i64) = conn
        .query_row(
            "WITH t AS (SELECT DISTINCT ts_ns FROM live.features INTERSECT SELECT DISTINCT ts_ns FROM rep.features),
                  l AS (SELECT ts_ns, venue, symbol, feature, value FROM live.features WHERE ts_ns IN (SELECT ts_ns FROM t)),
                  r AS (SELECT ts_ns, venue, symbol, feature, value FROM rep.features WHERE ts_ns IN (SELECT ts_ns FROM t))
             SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM l),
                    (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM r)),
                    (SELECT count(*) FROM (SELECT * FROM r EXCEPT ALL SELECT * FROM l))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    if std::env::var_os("DEBUG_DIFF").is_some() {
        let mut st = conn.prepare("WITH t AS (SELECT DISTINCT ts_ns FROM live.features INTERSECT SELECT DISTINCT ts_ns FROM rep.features),
            l AS (SELECT ts_ns, venue, symbol, feature, value FROM live.features WHERE ts_ns IN (SELECT ts_ns FROM t)),
            r AS (SELECT ts_ns, venue, symbol, feature, value FROM rep.features WHERE ts_ns IN (SELECT ts_ns FROM t)),
            d AS (SELECT * FROM l EXCEPT ALL SELECT * FROM r)
            SELECT feature || ' ' || venue || ' ' || symbol || ' ' || ts_ns::VARCHAR || ' live=' || value::VARCHAR || ' rep=' || coalesce((SELECT max(value)::VARCHAR FROM r WHERE r.ts_ns = d.ts_ns AND r.venue = d.venue AND r.symbol = d.symbol AND r.feature = d.feature), 'none'), 1::BIGINT FROM d WHERE feature IN ('trade_count_10s', 'trade_count_total') ORDER BY 1 LIMIT 40").unwrap();
        let rows: Vec<(String, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        eprintln!("DIFF {rows:?}");
    }
    let live_times: i64 = conn
        .query_row("SELECT count(DISTINCT ts_ns) FROM live.features", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        times >= 2 && times + 2 >= live_times,
        "{times} common of {live_times} live snapshot times"
    );
    assert!(rows > 1_000, "{rows}");
    assert_eq!(
        (only_live, only_replay),
        (0, 0),
        "of {rows} live feature rows at {times} common snapshot times"
    );

    // --from: only later inputs.
    let files = orderflow_plugin_host::record::input_files(&rec).unwrap();
    let mut ts = Vec::new();
    orderflow_plugin_host::record::read_records(&rec, |r| {
        ts.push(r.t);
        true
    })
    .unwrap();
    let mid = ts[ts.len() / 2];
    let mut a = replay_args(&rec, None);
    a.from = Some(mid);
    let half = tokio::task::block_in_place(|| replay::run(&cfg, &a)).unwrap();
    assert!(half.inputs < r1.inputs && half.inputs > 0);

    // A truncated file: what precedes the damage is replayed, the damage is reported.
    let last = files.last().unwrap();
    let bytes = std::fs::read(last).unwrap();
    std::fs::write(last, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let cut = tokio::task::block_in_place(|| replay::run(&cfg, &replay_args(&rec, None))).unwrap();
    assert_eq!(cut.problems.len(), 1, "{:?}", cut.problems);
    assert!(cut.inputs > 0 && cut.inputs < r1.inputs);
}
