//! Panic containment for plugin entry points: no unwinding ever crosses the FFI boundary.

use crate::abi::{ErrorKind, SdkError};
use abi_stable::std_types::RResult;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Runs `f`, turning a panic into [`SdkError`] of kind [`ErrorKind::Panicked`].
///
/// Every `extern "C"` entry point of a plugin must wrap its body in this (or [`guard_result`]).
pub fn guard<T>(f: impl FnOnce() -> T) -> RResult<T, SdkError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => RResult::ROk(v),
        Err(payload) => RResult::RErr(SdkError::new(
            ErrorKind::Panicked,
            format!("plugin panicked: {}", panic_message(payload.as_ref())),
        )),
    }
}

/// Like [`guard`] for bodies that already return a `Result`.
pub fn guard_result<T>(f: impl FnOnce() -> Result<T, SdkError>) -> RResult<T, SdkError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e),
        Err(payload) => RResult::RErr(SdkError::new(
            ErrorKind::Panicked,
            format!("plugin panicked: {}", panic_message(payload.as_ref())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::panic)]
    fn panic_becomes_error() {
        let r: RResult<u32, SdkError> = guard(|| panic!("boom"));
        let e = r.into_result().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Panicked);
        assert!(e.message.as_str().contains("boom"));
    }
}
