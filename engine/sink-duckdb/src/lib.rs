//! # orderflow-sink-duckdb — the only crate that touches DuckDB
//!
//! * [`schema`]: typed tables per data kind (venue/symbol/time columns, exact `DECIMAL` prices)
//!   and, for every (symbol, venue) pair of the config matrix, views named as the original
//!   system named its tables (`btcusdt_binance_trades`, `…_orderbook`, `…_funding`, …).
//! * [`Sink`]: a writer thread that buffers rows and appends them in batches through DuckDB's
//!   Appender (one commit per flush), so rows already flushed survive a crash; a clean shutdown
//!   flushes everything.
//! * [`History`]: read-only SQL over the same database while the sink writes: single `SELECT` /
//!   `WITH` statements only, external access (files, network, ATTACH, INSTALL, COPY) disabled.
//!
//! Must not depend on: the dataflow, tokio, plugins.

mod error;
pub mod export;
pub mod gaps;
mod history;
pub mod schema;
mod writer;

pub use error::{Result, SinkError};
pub use export::{ExportOptions, ExportedTable, export_parquet};
pub use gaps::{GapLedger, GapRow};
pub use history::{
    ArrowResult, History, Interrupter, QueryCounters, QueryLimits, QueryResult, check_read_only,
};
pub use writer::{
    BookSnapshotRow, CrossVenueRows, DEFAULT_QUEUE_CAPACITY, FeatureRows, ForecastRow,
    ModelScoreRow, RegimeRow, SignalRows, Sink, SinkConfig, SinkMsg, SinkStats, SinkTx,
    SymbolRegimeRow,
};

use std::path::Path;

/// Opens (creating if needed) the database file with the settings orderflow relies on:
/// no external access and no extension auto-install/auto-load.
///
/// # Errors
/// [`SinkError::Duckdb`] when the file cannot be opened.
pub fn open(path: &Path) -> Result<duckdb::Connection> {
    open_with(path, MEMORY_LIMIT)
}

/// [`open`] with DuckDB's `memory_limit` for the database instance (writer and readers share
/// it; DuckDB has no per-connection limit). Spilling to disk is capped at
/// [`MAX_TEMP_DIRECTORY_SIZE`].
///
/// # Errors
/// [`SinkError::Duckdb`] when the file cannot be opened or a setting is refused.
pub fn open_with(path: &Path, memory_limit: &str) -> Result<duckdb::Connection> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|source| SinkError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let cfg = duckdb::Config::default()
        .enable_external_access(false)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?
        .with("memory_limit", memory_limit)?
        .with("max_temp_directory_size", MAX_TEMP_DIRECTORY_SIZE)?;
    Ok(duckdb::Connection::open_with_flags(path, cfg)?)
}

/// DuckDB's buffer-pool limit for the live database (its default is 80 % of the machine, and a
/// database written at tens of thousands of rows per second keeps its freshly written blocks
/// cached up to that limit: the process then grows with the database).
pub const MEMORY_LIMIT: &str = "1GB";

/// Cap on what DuckDB may spill to its temporary directory (a sort or join larger than memory).
pub const MAX_TEMP_DIRECTORY_SIZE: &str = "4GB";

/// Wall clock, Unix ns (gap intervals of storage-side losses).
pub(crate) fn gaps_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Opens an existing database read-only (for `orderflow query` on a stopped database).
///
/// # Errors
/// [`SinkError::Duckdb`] when the file is missing or locked by a writer.
pub fn open_read_only(path: &Path) -> Result<duckdb::Connection> {
    if !path.exists() {
        return Err(SinkError::Missing {
            path: path.to_path_buf(),
        });
    }
    let cfg = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)?
        .enable_external_access(false)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?;
    Ok(duckdb::Connection::open_with_flags(path, cfg)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn the_live_database_has_a_bounded_buffer_pool() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::open(&dir.path().join("x.duckdb")).unwrap();
        let limit: String = conn
            .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .unwrap();
        // DuckDB reports the limit in its own units (e.g. "953.6 MiB" for 1 GB).
        assert!(limit.contains("MiB") || limit.contains("GiB"), "{limit}");
        let mib: f64 = limit.split_whitespace().next().unwrap().parse().unwrap();
        let mib = if limit.contains("GiB") {
            mib * 1024.0
        } else {
            mib
        };
        assert!((900.0..=1100.0).contains(&mib), "{limit}");
    }
}
