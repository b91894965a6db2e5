//! Tables, views and their DDL.
//!
//! Prices and rates are `DECIMAL(18,8)`, sizes and open interest `DECIMAL(38,8)` (exact, the
//! engine's 8-place fixed point). `ts` is the exchange time (µs precision), `ts_event_ns` and
//! `ts_recv_ns` the exact exchange and local receive times in Unix ns.

use crate::Result;
use duckdb::Connection;

/// Schema version, recorded in `orderflow_meta`.
pub const SCHEMA_VERSION: i64 = 1;

/// Typed tables and their per-pair view suffixes (the original system's table names).
pub const TABLES: [(&str, &str); 9] = [
    ("trades", "trades"),
    ("book_updates", "book_updates"),
    ("orderbook", "orderbook"),
    ("funding", "funding"),
    ("open_interest", "oi"),
    ("liquidations", "liquidations"),
    ("mark_prices", "mark"),
    ("tickers", "prices"),
    ("features", "features"),
];

const DDL: &str = "
CREATE TABLE IF NOT EXISTS orderflow_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS trades (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    price DECIMAL(18,8), size DECIMAL(38,8), side VARCHAR, trade_id UBIGINT);
CREATE TABLE IF NOT EXISTS book_updates (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    sequence UBIGINT, is_snapshot BOOLEAN, side VARCHAR, price DECIMAL(18,8), size DECIMAL(38,8));
CREATE TABLE IF NOT EXISTS orderbook (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, side VARCHAR, level INTEGER,
    price DECIMAL(18,8), size DECIMAL(38,8));
CREATE TABLE IF NOT EXISTS funding (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    funding_rate DECIMAL(18,8), next_funding_time TIMESTAMP);
CREATE TABLE IF NOT EXISTS open_interest (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    open_interest DECIMAL(38,8));
CREATE TABLE IF NOT EXISTS liquidations (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    side VARCHAR, price DECIMAL(18,8), size DECIMAL(38,8));
CREATE TABLE IF NOT EXISTS mark_prices (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    mark_price DECIMAL(18,8), index_price DECIMAL(18,8));
CREATE TABLE IF NOT EXISTS tickers (
    ts TIMESTAMP, ts_event_ns BIGINT, ts_recv_ns BIGINT, venue VARCHAR, symbol VARCHAR,
    last_price DECIMAL(18,8), open_price DECIMAL(18,8), high_price DECIMAL(18,8), low_price DECIMAL(18,8),
    volume DOUBLE, quote_volume DOUBLE, trade_count UBIGINT);
CREATE TABLE IF NOT EXISTS features (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, feature VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS regimes (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, regime VARCHAR, previous VARCHAR,
    trend DOUBLE, vol_ratio DOUBLE);
CREATE TABLE IF NOT EXISTS cross_venue (
    ts TIMESTAMP, ts_ns BIGINT, symbol VARCHAR, feature VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS gaps (
    ts_from TIMESTAMP, ts_to TIMESTAMP, from_ns BIGINT, to_ns BIGINT, venue VARCHAR,
    symbol VARCHAR, stream VARCHAR, reason VARCHAR, detail VARCHAR, lost BIGINT);
CREATE TABLE IF NOT EXISTS forecasts (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, interval_s INTEGER, series VARCHAR,
    model VARCHAR, step INTEGER, target_ts TIMESTAMP, mean DOUBLE, lower DOUBLE, upper DOUBLE,
    level DOUBLE);
CREATE TABLE IF NOT EXISTS model_registry (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, interval_s INTEGER, series VARCHAR,
    model VARCHAR, horizon INTEGER, folds INTEGER, mase DOUBLE, smape DOUBLE, coverage DOUBLE,
    grade VARCHAR, fit_ms DOUBLE, chosen BOOLEAN);
CREATE TABLE IF NOT EXISTS signals (
    ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, signal VARCHAR, value DOUBLE,
    confidence DOUBLE);
";

fn ident(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The view name for a pair and table suffix, e.g. `btcusdt_binance_trades`.
pub fn view_name(symbol: &str, venue: &str, suffix: &str) -> String {
    format!("{}_{}_{}", ident(symbol), ident(venue), suffix)
}

/// Creates tables (idempotent), records the schema version, and (re)creates the per-pair views.
///
/// # Errors
/// DuckDB errors.
pub fn migrate(conn: &Connection, pairs: &[(String, String)]) -> Result<()> {
    conn.execute_batch(DDL)?;
    conn.execute(
        "INSERT OR REPLACE INTO orderflow_meta VALUES ('schema_version', ?)",
        [SCHEMA_VERSION.to_string()],
    )?;
    let mut sql = String::new();
    for (venue, symbol) in pairs {
        for (table, suffix) in TABLES {
            sql.push_str(&format!(
                "CREATE OR REPLACE VIEW {} AS SELECT * FROM {table} WHERE venue = {} AND symbol = {};\n",
                view_name(symbol, venue, suffix),
                literal(venue),
                literal(symbol)
            ));
        }
    }
    conn.execute_batch(&sql)?;
    Ok(())
}
