//! The read-only SQL guard and the query limits of `query_history` (`History::query`), on a
//! database opened with the live settings and the orderflow schema. Any SQL text must be
//! refused or answered within the row cap; nothing it does may change the database (rows,
//! tables, settings) — checked after every input through a second connection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_sink_duckdb::{History, QueryLimits, open_with, schema};
use std::time::Duration;

const MAX_ROWS: usize = 50;
const TRADES: i64 = 200;

struct Db {
    history: History,
    checker: duckdb::Connection,
    baseline: String,
    _dir: std::path::PathBuf,
}

fn fingerprint(c: &duckdb::Connection) -> String {
    let q = "SELECT (SELECT count(*) FROM trades)::VARCHAR || '/' || \
             (SELECT count(*) FROM duckdb_tables())::VARCHAR || '/' || \
             (SELECT count(*) FROM duckdb_views())::VARCHAR || '/' || \
             current_setting('memory_limit') || '/' || \
             current_setting('enable_external_access')::VARCHAR";
    c.query_row(q, [], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("fingerprint query failed: {e}"))
}

fn open_db() -> Db {
    {
        let dir = std::env::temp_dir().join(format!("orderflow-fuzz-sql-{}", std::process::id()));
        let conn =
            open_with(&dir.join("fuzz.duckdb"), "256MB").unwrap_or_else(|e| panic!("open: {e}"));
        schema::migrate(&conn, &[("BTCUSDT".into(), "binance".into())])
            .unwrap_or_else(|e| panic!("migrate: {e}"));
        conn.execute_batch(&format!(
            "INSERT INTO trades SELECT TIMESTAMP '2026-01-01' + to_microseconds(i), i, i, \
             'binance', 'BTCUSDT', 100000 + i, 0.01, 'buy', i FROM range({TRADES}) t(i)"
        ))
        .unwrap_or_else(|e| panic!("seed rows: {e}"));
        let checker = conn.try_clone().unwrap_or_else(|e| panic!("clone: {e}"));
        let baseline = fingerprint(&checker);
        let limits = QueryLimits {
            timeout: Duration::from_millis(50),
            max_concurrent: 1,
            queue_wait: Duration::from_secs(5),
            max_rows: MAX_ROWS,
            max_result_bytes: 256 << 10,
        };
        Db {
            history: History::with_limits(conn, limits),
            checker,
            baseline,
            _dir: dir,
        }
    }
}

thread_local! {
    // libFuzzer calls the target from one thread; DuckDB connections are not `Sync`.
    static DB: Db = open_db();
}

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    DB.with(|db| {
        if let Ok(answer) = db.history.query(sql, MAX_ROWS) {
            assert!(
                answer.rows.len() <= MAX_ROWS,
                "{} rows for {sql:?}",
                answer.rows.len()
            );
        }
        let now = fingerprint(&db.checker);
        assert_eq!(now, db.baseline, "the database changed after {sql:?}");
    });
});
