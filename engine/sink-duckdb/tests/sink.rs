//! Sink round trip: events in, typed rows and per-pair views out; the SQL guard refuses writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orderflow_model::{Event, EventKind, Fixed, InstrumentId, Level, Side, Universe};
use orderflow_sink_duckdb::{FeatureRows, Sink, SinkConfig, SinkError, SinkMsg};
use std::sync::Arc;
use std::time::Duration;

fn universe() -> Arc<Universe> {
    Arc::new(
        Universe::new([
            ("binance", "BTCUSDT", "BTCUSDT"),
            ("binance", "ETHUSDT", "ETHUSDT"),
        ])
        .unwrap(),
    )
}

fn ev(inst: u32, t: u64, kind: EventKind) -> Event {
    Event {
        inst: InstrumentId(inst),
        ts_event: t,
        ts_recv: t + 5,
        kind,
    }
}

#[test]
fn events_land_in_tables_and_views() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db/orderflow.duckdb");
    let sink = Sink::start(
        SinkConfig {
            path: path.clone(),
            flush_interval: Duration::from_millis(50),
            flush_rows: 10_000,
            ..SinkConfig::new("")
        },
        universe(),
    )
    .unwrap();
    let p = |s: &str| Fixed::from_parts(orderflow_tool_sdk_free_parse(s), 8).unwrap();
    let events = vec![
        ev(
            0,
            1_700_000_000_000_000_000,
            EventKind::Trade {
                price: p("11794.15"),
                size: p("0.001"),
                aggressor: Side::Buy,
                trade_id: 7,
            },
        ),
        ev(
            1,
            1_700_000_000_000_000_001,
            EventKind::Trade {
                price: p("2000.5"),
                size: p("1"),
                aggressor: Side::Sell,
                trade_id: 8,
            },
        ),
        ev(
            0,
            1_700_000_000_000_000_002,
            EventKind::Book {
                snapshot: true,
                sequence: 9,
                levels: vec![
                    Level {
                        side: Side::Buy,
                        price: p("11794.1"),
                        size: p("2"),
                    },
                    Level {
                        side: Side::Sell,
                        price: p("11794.2"),
                        size: p("3"),
                    },
                ],
            },
        ),
        ev(
            0,
            1_700_000_000_000_000_003,
            EventKind::Funding {
                rate: p("0.00038167"),
                next_funding_ns: 1_700_000_100_000_000_000,
            },
        ),
        ev(
            0,
            1_700_000_000_000_000_004,
            EventKind::OpenInterest {
                open_interest: p("90000000000"),
            },
        ),
    ];
    let tx = sink.sender();
    assert!(tx.send(SinkMsg::Events(Arc::new(events))));
    assert!(tx.send(SinkMsg::Features(FeatureRows {
        time: 1_700_000_001_000_000_000,
        rows: vec![(InstrumentId(0), "spread_bps", 0.0847)],
    })));
    sink.flush().unwrap();
    let h = sink.history();

    // 1. exact decimals in the per-pair view, named as the seed system named its tables
    let r = h
        .query(
            "SELECT price, size, side, trade_id FROM btcusdt_binance_trades",
            100,
        )
        .unwrap();
    assert_eq!(
        r.rows,
        vec![vec![
            serde_json::json!(11794.15),
            serde_json::json!(0.001),
            serde_json::json!("buy"),
            serde_json::json!(7)
        ]]
    );
    let r = h
        .query(
            "SELECT CAST(price AS VARCHAR) FROM trades WHERE symbol = 'BTCUSDT'",
            10,
        )
        .unwrap();
    assert_eq!(
        r.rows[0][0],
        serde_json::json!("11794.15000000"),
        "DECIMAL keeps every digit"
    );
    // 2. other kinds and views
    assert_eq!(
        h.query("SELECT count(*) FROM btcusdt_binance_orderbook", 1)
            .unwrap()
            .columns
            .len(),
        1
    );
    let r = h
        .query("SELECT count(*) FROM book_updates WHERE is_snapshot", 1)
        .unwrap();
    assert_eq!(r.rows[0][0], serde_json::json!(2));
    let r = h
        .query(
            "SELECT CAST(funding_rate AS VARCHAR) FROM btcusdt_binance_funding",
            1,
        )
        .unwrap();
    assert_eq!(r.rows[0][0], serde_json::json!("0.00038167"));
    let r = h
        .query(
            "SELECT CAST(open_interest AS VARCHAR) FROM btcusdt_binance_oi",
            1,
        )
        .unwrap();
    assert_eq!(
        r.rows[0][0],
        serde_json::json!("90000000000.00000000"),
        "sizes beyond DECIMAL(18,8) fit"
    );
    let r = h
        .query("SELECT feature, value FROM btcusdt_binance_features", 5)
        .unwrap();
    assert_eq!(
        r.rows,
        vec![vec![
            serde_json::json!("spread_bps"),
            serde_json::json!(0.0847)
        ]]
    );
    let r = h.query("SELECT ts FROM ethusdt_binance_trades", 5).unwrap();
    assert_eq!(
        r.rows[0][0],
        serde_json::json!("2023-11-14T22:13:20.000000Z")
    );
    // 3. row cap
    let r = h.query("SELECT * FROM range(100)", 10).unwrap();
    assert!(r.truncated);
    assert_eq!(r.rows.len(), 10);

    // 4. refused statements name the reason
    for bad in [
        "DELETE FROM trades",
        "DROP TABLE trades",
        "INSERT INTO trades SELECT * FROM trades",
        "SELECT 1; DROP TABLE trades",
        "ATTACH 'x.db'",
        "INSTALL httpfs",
        "COPY trades TO '/tmp/x.csv'",
        "PRAGMA version",
        "",
    ] {
        let e = h.query(bad, 10).unwrap_err();
        assert!(matches!(e, SinkError::Refused { .. }), "{bad:?} gave {e}");
    }
    // 5. a query that reads files is refused by DuckDB itself (external access disabled)
    let e = h
        .query("SELECT * FROM read_csv('/etc/passwd')", 10)
        .unwrap_err();
    assert!(
        e.to_string().to_lowercase().contains("disabled")
            || e.to_string().to_lowercase().contains("permission"),
        "{e}"
    );
    assert_eq!(
        h.query("SELECT count(*) FROM trades", 1).unwrap().rows[0][0],
        serde_json::json!(2),
        "nothing was deleted"
    );
    sink.shutdown();

    // 6. flushed rows survive and can be read by a fresh read-only connection
    let conn = orderflow_sink_duckdb::open_read_only(&path).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM trades", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

/// Parses a decimal string into a mantissa at scale 8 (test helper).
fn orderflow_tool_sdk_free_parse(s: &str) -> i64 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = format!("{frac:0<8}");
    int.parse::<i64>().unwrap() * 100_000_000 + frac.parse::<i64>().unwrap()
}

#[test]
fn a_full_queue_drops_counts_and_records_the_lost_interval_as_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(
        SinkConfig {
            path: dir.path().join("orderflow.duckdb"),
            flush_interval: Duration::from_millis(50),
            flush_rows: 10_000,
            queue_capacity: 16,
            ..SinkConfig::new("")
        },
        universe(),
    )
    .unwrap();
    let tx = sink.sender();
    // Hold the writer: it blocks answering a flush nobody receives yet.
    let (ack_tx, ack_rx) = crossbeam_channel::bounded(0);
    assert!(tx.send(SinkMsg::Flush(ack_tx)));
    std::thread::sleep(Duration::from_millis(200));
    let trade = |i: u64| {
        ev(
            0,
            1_700_000_000_000_000_000 + i,
            EventKind::Trade {
                price: Fixed::from_parts(100, 0).unwrap(),
                size: Fixed::from_parts(1, 0).unwrap(),
                aggressor: Side::Buy,
                trade_id: i,
            },
        )
    };
    let (mut accepted, mut dropped) = (0u64, 0u64);
    for i in 0..40 {
        if tx.send(SinkMsg::Events(Arc::new(vec![
            trade(2 * i),
            trade(2 * i + 1),
        ]))) {
            accepted += 1;
        } else {
            dropped += 1;
        }
    }
    assert_eq!(accepted, 16, "the queue holds its capacity");
    assert_eq!(dropped, 24);
    let stats = sink.stats();
    assert_eq!(
        stats
            .gaps
            .queue_dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        24
    );
    drop(ack_rx);
    sink.flush().unwrap();
    let r = sink
        .history()
        .query(
            "SELECT venue, symbol, stream, reason, lost, from_ns, to_ns FROM gaps",
            10,
        )
        .unwrap();
    assert_eq!(r.rows.len(), 1, "{r:?}");
    let g = &r.rows[0];
    assert_eq!(g[0], "binance");
    assert_eq!(g[1], "BTCUSDT");
    assert_eq!(g[2], "events");
    assert_eq!(g[3], "sink_backpressure");
    assert_eq!(g[4], 48, "two events per dropped message");
    // The interval spans exactly the lost events' receive times.
    assert_eq!(g[5], 1_700_000_000_000_000_000i64 + 32 + 5);
    assert_eq!(g[6], 1_700_000_000_000_000_000i64 + 79 + 5);
    // Nothing else was lost: the accepted messages are stored.
    let n = sink
        .history()
        .query("SELECT count(*) FROM trades", 1)
        .unwrap();
    assert_eq!(n.rows[0][0], 32);
    sink.shutdown();
}

#[test]
fn a_database_that_cannot_be_opened_is_retried_and_the_lost_interval_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orderflow.duckdb");
    // A directory where the file should be: DuckDB cannot open it (as with a locked or
    // unreadable file), and the sink must start anyway.
    std::fs::create_dir(&path).unwrap();
    let sink = Sink::start(
        SinkConfig {
            path: path.clone(),
            flush_interval: Duration::from_millis(50),
            flush_rows: 10_000,
            ..SinkConfig::new("")
        },
        universe(),
    )
    .unwrap();
    let stats = sink.stats();
    assert!(!stats.available.load(std::sync::atomic::Ordering::Relaxed));
    let e = sink.history().query("SELECT 1", 1).unwrap_err();
    assert!(matches!(e, SinkError::Unavailable { .. }), "{e}");
    let trade = |i: u64| {
        ev(
            1,
            1_700_000_000_000_000_000 + i,
            EventKind::Trade {
                price: Fixed::from_parts(100, 0).unwrap(),
                size: Fixed::from_parts(1, 0).unwrap(),
                aggressor: Side::Sell,
                trade_id: i,
            },
        )
    };
    let tx = sink.sender();
    assert!(tx.send(SinkMsg::Events(Arc::new((0..10).map(trade).collect()))));
    sink.flush().unwrap();
    assert_eq!(
        stats
            .rows_dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        10
    );
    // The obstacle goes away: the writer opens the database at its next attempt (≤ 5 s).
    std::fs::remove_dir(&path).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !stats.available.load(std::sync::atomic::Ordering::Relaxed) {
        assert!(
            std::time::Instant::now() < deadline,
            "storage never reopened"
        );
        sink.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(tx.send(SinkMsg::Events(Arc::new((10..15).map(trade).collect()))));
    sink.flush().unwrap();
    let h = sink.history();
    let n = h.query("SELECT count(*) FROM trades", 1).unwrap();
    assert_eq!(n.rows[0][0], 5, "events after the reopening are stored");
    let g = h
        .query(
            "SELECT symbol, stream, reason, lost FROM gaps ORDER BY reason",
            10,
        )
        .unwrap();
    assert_eq!(g.rows.len(), 2, "{g:?}");
    assert_eq!(g.rows[0][0], "ETHUSDT");
    assert_eq!(g.rows[0][2], "storage_error");
    assert_eq!(g.rows[0][3], 10, "the ten lost trades");
    assert_eq!(g.rows[1][2], "storage_unavailable");
    assert_eq!(stats.reopened.load(std::sync::atomic::Ordering::Relaxed), 1);
    sink.shutdown();
}
