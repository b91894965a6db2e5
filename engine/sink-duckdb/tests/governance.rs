//! Query governance: every limit of the read side is enforced inside DuckDB, answered with its
//! own error, counted, and leaves the pool usable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_sink_duckdb::{History, QueryLimits, SinkError};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn history(limits: QueryLimits) -> (tempfile::TempDir, History) {
    let dir = tempfile::tempdir().unwrap();
    let conn = orderflow_sink_duckdb::open(&dir.path().join("g.duckdb")).unwrap();
    conn.execute_batch("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        .unwrap();
    (dir, History::with_limits(conn, limits))
}

fn limits() -> QueryLimits {
    QueryLimits {
        timeout: Duration::from_millis(400),
        max_concurrent: 1,
        queue_wait: Duration::from_millis(100),
        max_rows: 1_000,
        max_result_bytes: 1 << 20,
    }
}

/// Runs for minutes unless interrupted.
const ENDLESS: &str = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                       SELECT count(*) FROM r";

#[test]
fn a_query_past_the_time_limit_is_interrupted_and_the_connection_serves_the_next() {
    let (_d, h) = history(limits());
    let t0 = Instant::now();
    let e = h.query(ENDLESS, 10).unwrap_err();
    assert!(matches!(e, SinkError::Timeout { .. }), "{e}");
    assert!(e.to_string().contains("timeout_ms"), "{e}");
    // Interrupted, not abandoned: the call returns near the limit.
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    let c = h.counters();
    assert_eq!(c.timed_out.load(Ordering::Relaxed), 1);
    // The same (only) connection answers the next query.
    let r = h.query("SELECT count(*) FROM t", 10).unwrap();
    assert_eq!(r.rows[0][0], serde_json::json!(1000));
    // A cross join far too large to materialise: the cap inside the query stops it early.
    let r = h
        .query("SELECT * FROM range(100000000) a, range(100000) b", 5)
        .unwrap();
    assert_eq!(r.rows.len(), 5);
    assert_eq!(r.truncated_by, Some("rows"));
    assert_eq!(c.truncated_rows.load(Ordering::Relaxed), 1);
}

#[test]
fn a_cancelled_query_stops_and_a_busy_pool_refuses_at_once() {
    let mut l = limits();
    l.timeout = Duration::from_secs(60);
    let (_d, h) = history(l);
    let h2 = h.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        h2.query_with(ENDLESS, 10, |i| {
            tx.send(i).unwrap();
        })
    });
    let interrupter = rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // The only connection is busy: a second query is refused after the queue wait.
    let t0 = Instant::now();
    let e = h.query("SELECT 1", 1).unwrap_err();
    assert!(matches!(e, SinkError::Busy { .. }), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    interrupter.interrupt();
    let e = runner.join().unwrap().unwrap_err();
    assert!(matches!(e, SinkError::Cancelled), "{e}");
    let c = h.counters();
    assert_eq!(c.busy.load(Ordering::Relaxed), 1);
    assert_eq!(c.cancelled.load(Ordering::Relaxed), 1);
    // An interrupt that arrives after its query ended cannot touch the next one.
    interrupter.interrupt();
    assert_eq!(
        h.query("SELECT 42", 1).unwrap().rows[0][0],
        serde_json::json!(42)
    );
}

#[test]
fn answers_are_capped_in_bytes_and_side_effects_are_refused() {
    let (_d, h) = history(limits());
    // 100 rows of 100 kB: about 10 fit in 1 MiB.
    let r = h
        .query("SELECT repeat('x', 100000) AS s FROM range(100)", 1_000)
        .unwrap();
    assert_eq!(r.truncated_by, Some("bytes"));
    assert!((5..=10).contains(&r.rows.len()), "{}", r.rows.len());
    // One cell larger than the whole answer may be.
    let e = h.query("SELECT repeat('x', 5000000) AS s", 10).unwrap_err();
    assert!(matches!(e, SinkError::ResultTooLarge { .. }), "{e}");
    for sql in [
        "SELECT force_checkpoint()",
        "SELECT * FROM checkpoint()",
        "SELECT * FROM force_checkpoint()",
        "SELECT * FROM query('SELECT 1')",
    ] {
        let e = h.query(sql, 1).unwrap_err();
        assert!(matches!(e, SinkError::Refused { .. }), "{sql}: {e}");
    }
    // The caller's limit can only lower the hard row cap.
    let r = h.query("SELECT * FROM range(5000)", 1_000_000).unwrap();
    assert_eq!(r.rows.len(), 1_000);
    assert!(r.truncated);
    let c = h.counters();
    assert_eq!(c.refused.load(Ordering::Relaxed), 4);
    assert_eq!(c.truncated_bytes.load(Ordering::Relaxed), 2);
}
