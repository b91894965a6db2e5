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
    /// The writer thread is gone.
    #[error("the sink writer has stopped")]
    Stopped,
}

impl SinkError {
    /// True for errors caused by the caller's SQL (answer 400), false for server faults.
    pub fn is_client_error(&self) -> bool {
        matches!(self, Self::Refused { .. }) || matches!(self, Self::Duckdb(_))
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, SinkError>;
