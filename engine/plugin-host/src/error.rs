//! Host-side errors.

use orderflow_tool_sdk::{ErrorKind, SdkError};
use std::path::PathBuf;

/// Loading or talking to a plugin failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The file could not be opened as a library.
    #[error("cannot open plugin {path}: {reason}")]
    Open {
        /// Path.
        path: PathBuf,
        /// Loader message.
        reason: String,
    },
    /// The plugin was built against another ABI version.
    #[error(
        "plugin {path} was built against orderflow-tool-sdk {found}, but this host speaks {expected}; rebuild the plugin against {expected}"
    )]
    AbiMismatch {
        /// Path.
        path: PathBuf,
        /// Host's ABI version.
        expected: String,
        /// Plugin's ABI version.
        found: String,
    },
    /// The plugin's root module has an incompatible layout or is not an orderflow plugin.
    #[error("plugin {path} is incompatible: {reason}")]
    Incompatible {
        /// Path.
        path: PathBuf,
        /// Loader message.
        reason: String,
    },
    /// A plugin call returned an error.
    #[error("plugin error ({kind:?}): {message}")]
    Call {
        /// Kind.
        kind: ErrorKind,
        /// Message.
        message: String,
    },
    /// No loaded plugin serves this venue.
    #[error("no loaded plugin serves venue {venue:?}")]
    NoVenue {
        /// Venue.
        venue: String,
    },
    /// The plugin folder could not be read.
    #[error("cannot read plugin folder {path}: {source}")]
    Dir {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl From<SdkError> for PluginError {
    fn from(e: SdkError) -> Self {
        Self::Call {
            kind: e.kind,
            message: e.message.into(),
        }
    }
}

/// A tool call failed. Maps to HTTP statuses and MCP errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// No such tool.
    #[error("unknown tool {0:?}")]
    NotFound(String),
    /// Arguments fail the schema or the tool's own checks.
    #[error("invalid arguments: {0}")]
    InvalidArgs(String),
    /// The data is not available (yet), e.g. no live state for that symbol.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The venue (or its emulator) failed.
    #[error("upstream: {0}")]
    Upstream(String),
    /// Anything else (including a caught plugin panic).
    #[error("internal: {0}")]
    Internal(String),
    /// A concurrency limit is reached; retry later (HTTP 429).
    #[error("busy: {0}")]
    Busy(String),
    /// The call hit a resource limit: time, memory, answer size (HTTP 422).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}

impl ToolError {
    /// Stable code string for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::InvalidArgs(_) => "invalid_arguments",
            Self::Unavailable(_) => "unavailable",
            Self::Upstream(_) => "upstream_error",
            Self::Internal(_) => "internal_error",
            Self::Busy(_) => "busy",
            Self::LimitExceeded(_) => "limit_exceeded",
        }
    }
}

impl From<SdkError> for ToolError {
    fn from(e: SdkError) -> Self {
        let m = e.message.to_string();
        match e.kind {
            ErrorKind::InvalidArgs => Self::InvalidArgs(m),
            ErrorKind::NotFound => Self::NotFound(m),
            ErrorKind::Unavailable => Self::Unavailable(m),
            ErrorKind::Upstream => Self::Upstream(m),
            ErrorKind::Decode | ErrorKind::Panicked | ErrorKind::Internal => Self::Internal(m),
        }
    }
}
