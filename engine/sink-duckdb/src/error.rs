//! Sink errors.

use std::path::PathBuf;

/// Errors of the DuckDB sink and history reader.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// DuckDB failed.
    #[error("duckdb: {0}")]
    Duckdb(#[from] duckdb::Error),
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// An export that cannot be done as asked (unknown table, bad time bound).
    #[error("export: {0}")]
    Export(String),
    /// The database file does not exist.
    #[error("no database at {path}")]
    Missing {
        /// Path.
        path: PathBuf,
    },
    /// A statement the read-only SQL tool refuses.
    #[error("refused: {reason}")]
    Refused {
        /// Why.
        reason: String,
    },
    /// Every read connection stayed busy for the queue wait.
    #[error(
        "busy: {running} history queries are running (the limit); none finished within {waited:?} — retry later"
    )]
    Busy {
        /// The concurrency limit.
        running: usize,
        /// How long this query waited.
        waited: std::time::Duration,
    },
    /// The query ran past the time limit and was interrupted.
    #[error(
        "the query was interrupted at its time limit of {limit:?} (storage.queries.timeout_ms)"
    )]
    Timeout {
        /// The limit.
        limit: std::time::Duration,
    },
    /// The caller went away; the query was interrupted.
    #[error("the query was cancelled")]
    Cancelled,
    /// A single row is larger than the answer may be.
    #[error(
        "the first row alone is about {row_bytes} bytes, over the {limit}-byte answer limit (storage.queries.max_result_bytes); select fewer or shorter columns"
    )]
    ResultTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The row's estimated size.
        row_bytes: usize,
    },
    /// DuckDB's memory limit was reached.
    #[error(
        "the query needs more memory than the database may use (storage.memory_limit): {detail}"
    )]
    OutOfMemory {
        /// DuckDB's message.
        detail: String,
    },
    /// No database to read: it could not be opened, or failed and is being reopened.
    #[error("storage unavailable: {reason}")]
    Unavailable {
        /// Why (the open or fatal error).
        reason: String,
    },
    /// The writer thread is gone.
    #[error("the sink writer has stopped")]
    Stopped,
}

impl SinkError {
    /// True for errors caused by the caller's SQL (answer 400), false for server faults.
    pub fn is_client_error(&self) -> bool {
        matches!(self, Self::Refused { .. }) || matches!(self, Self::Duckdb(_))
    }

    /// True for a limit the query hit (time, memory, answer size, concurrency, cancellation).
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::Busy { .. }
                | Self::Timeout { .. }
                | Self::Cancelled
                | Self::ResultTooLarge { .. }
                | Self::OutOfMemory { .. }
        )
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, SinkError>;
