//! Tools: descriptors, the sans-IO call protocol and the host's read-only view.

use crate::abi::{codec::HttpRequest, error::SdkError};
use abi_stable::{
    StableAbi, sabi_trait,
    sabi_types::RRef,
    std_types::{RResult, RStr, RString},
};

/// Describes one tool for `GET /tools` and MCP `tools/list`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct ToolDescriptor {
    /// Unique name (MCP charset), e.g. `binance_get_ticker`.
    pub name: RString,
    /// What the tool returns and when to use it, for an agent to act on.
    pub description: RString,
    /// JSON Schema (draft 2020-12) of the arguments object.
    pub input_schema: RString,
    /// JSON Schema of the result, or empty when the shape is not fixed.
    pub output_schema: RString,
}

/// One step of a tool call.
///
/// A tool either answers at once ([`ToolStep::Done`]) or asks the host to perform an HTTP request
/// ([`ToolStep::Fetch`]); the host then calls `resume_tool` with the opaque `state` and the
/// response. Plugins therefore never need an async runtime or a socket.
#[repr(u8)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub enum ToolStep {
    /// The JSON result.
    Done(RString),
    /// Perform `request`, then resume with `state`.
    Fetch {
        /// The request.
        request: HttpRequest,
        /// Opaque continuation state, passed back verbatim.
        state: RString,
    },
}

/// The host's read-only view of live state, handed to every tool call.
///
/// `query` takes a JSON request and answers JSON. Supported requests:
/// `{"op":"live","venue":V,"symbol":S,"kind":K,"limit":N}` with `K` one of `ticker`, `book`,
/// `trades`, `funding`, `open_interest`, `mark_price`, `liquidations`. The answer is
/// `{"venue","symbol","kind","age_ms","ts_recv","data":…}`; no data yet is an
/// [`crate::ErrorKind::Unavailable`] error.
#[sabi_trait]
pub trait HostView {
    /// Answers a JSON query.
    #[sabi(last_prefix_field)]
    fn query(&self, request: RStr<'_>) -> RResult<RString, SdkError>;
}

/// A borrowed host view as passed to tool entry points.
pub type HostViewRef<'a> = HostView_TO<'a, RRef<'a, ()>>;
