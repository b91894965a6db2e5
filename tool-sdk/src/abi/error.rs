//! The one error type that crosses the boundary.

use abi_stable::{StableAbi, std_types::RString};
use std::fmt;

/// Coarse class of a plugin error; the host maps it to its own typed errors.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input (frame, REST body) could not be decoded.
    Decode = 0,
    /// Tool arguments were invalid (host answers 400 / JSON-RPC -32602).
    InvalidArgs = 1,
    /// Unknown tool, venue or instrument.
    NotFound = 2,
    /// The venue answered with an error.
    Upstream = 3,
    /// The data needed is not available (yet): e.g. no live state for that symbol.
    Unavailable = 4,
    /// The plugin panicked; the panic was caught.
    Panicked = 5,
    /// Anything else.
    Internal = 6,
}

/// Error returned by every fallible plugin entry point.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct SdkError {
    /// Class of the error.
    pub kind: ErrorKind,
    /// Human-readable message (no secrets).
    pub message: RString,
}

impl SdkError {
    /// Builds an error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: RString::from(message.into()),
        }
    }
    /// Shorthand for [`ErrorKind::Decode`].
    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, message)
    }
    /// Shorthand for [`ErrorKind::InvalidArgs`].
    pub fn invalid_args(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgs, message)
    }
}

impl fmt::Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for SdkError {}
