//! Tool calls counted by outcome, for `/metrics`.
//!
//! An MCP `tools/call` whose tool fails is still an HTTP 200 carrying `isError`, so the request
//! counters by status cannot tell a working tool from a failing one. Each registered tool
//! therefore counts its calls by how they ended: answered, refused (its error code), or dropped
//! before an answer (the client went away, the call was cancelled or timed out).

use crate::ToolError;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every outcome, in counter order: `ok`, each [`ToolError::code`], then `cancelled`.
pub const OUTCOMES: [&str; 9] = [
    "ok",
    "not_found",
    "invalid_arguments",
    "unavailable",
    "upstream_error",
    "internal_error",
    "busy",
    "limit_exceeded",
    "cancelled",
];

const CANCELLED: usize = OUTCOMES.len() - 1;

/// The counter of an outcome. Exhaustive, so that a new error kind needs its own counter (the
/// unit test checks that each lands under its own code).
fn index(r: &Result<(), &ToolError>) -> usize {
    match r {
        Ok(()) => 0,
        Err(ToolError::NotFound(_)) => 1,
        Err(ToolError::InvalidArgs(_)) => 2,
        Err(ToolError::Unavailable(_)) => 3,
        Err(ToolError::Upstream(_)) => 4,
        Err(ToolError::Internal(_)) => 5,
        Err(ToolError::Busy(_)) => 6,
        Err(ToolError::LimitExceeded(_)) => 7,
    }
}

/// One tool's calls by outcome.
#[derive(Debug, Default)]
pub struct ToolCalls([AtomicU64; OUTCOMES.len()]);

impl ToolCalls {
    /// Counts a finished call.
    pub fn record<T>(&self, r: &Result<T, ToolError>) {
        let i = index(&r.as_ref().map(|_| ()));
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    /// `(outcome, calls)` for each outcome seen at least once.
    pub fn nonzero(&self) -> Vec<(&'static str, u64)> {
        OUTCOMES
            .iter()
            .zip(&self.0)
            .map(|(o, n)| (*o, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// A guard for a call in flight: counted as `cancelled` if it is dropped before
    /// [`InFlight::finish`] (the call's future was dropped).
    pub fn start(&self) -> InFlight<'_> {
        InFlight {
            calls: self,
            done: false,
        }
    }
}

/// A call in flight (see [`ToolCalls::start`]).
#[derive(Debug)]
pub struct InFlight<'a> {
    calls: &'a ToolCalls,
    done: bool,
}

impl InFlight<'_> {
    /// Counts the call's outcome and passes it through.
    pub fn finish<T>(mut self, r: Result<T, ToolError>) -> Result<T, ToolError> {
        self.calls.record(&r);
        self.done = true;
        r
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.calls.0[CANCELLED].fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_its_own_outcome() {
        let errors = [
            ToolError::NotFound(String::new()),
            ToolError::InvalidArgs(String::new()),
            ToolError::Unavailable(String::new()),
            ToolError::Upstream(String::new()),
            ToolError::Internal(String::new()),
            ToolError::Busy(String::new()),
            ToolError::LimitExceeded(String::new()),
        ];
        let c = ToolCalls::default();
        c.record(&Ok::<(), ToolError>(()));
        for e in errors {
            let code = e.code();
            c.record(&Err::<(), _>(e));
            assert!(
                c.nonzero().iter().any(|(o, n)| *o == code && *n == 1),
                "{code}: {:?}",
                c.nonzero()
            );
        }
        assert_eq!(
            c.nonzero().len(),
            8,
            "ok and seven codes, nothing cancelled"
        );
    }

    #[test]
    fn a_call_dropped_in_flight_counts_as_cancelled_and_a_finished_one_does_not() {
        let c = ToolCalls::default();
        drop(c.start());
        let r = c.start().finish(Ok::<u8, ToolError>(7));
        assert_eq!(r.ok(), Some(7));
        assert_eq!(c.nonzero(), vec![("ok", 1), ("cancelled", 1)]);
    }
}
