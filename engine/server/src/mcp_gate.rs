//! Limits in front of the MCP transport (`/mcp`), answered in JSON-RPC so that MCP clients can
//! show them: a body over `max_body_bytes` → 413 with a JSON-RPC error; a body that is not
//! UTF-8 or not JSON → 400 with `-32700 Parse error`; JSON nested deeper than `max_json_depth`
//! → 400 `-32600`; an `initialize` with a client info over [`MAX_CLIENT_INFO_BYTES`] → 400
//! `-32602` (it would be kept for the session's life); an `initialize` while
//! `mcp_max_sessions` sessions are open → 503 `-32000`. Each is counted in
//! [`LimitCounters`](crate::LimitCounters). A stateless JSON `tools/call` that passes is
//! answered here ([`mcp_fast`](crate::mcp_fast)); other requests are handed on unchanged.

use crate::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header::CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orderflow_request_guard::{BodyLimits, BodyRefusal, inspect_json_body};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The MCP session manager of the running router, for the session count.
#[derive(Debug, Default)]
pub struct McpSessions(parking_lot::Mutex<Option<Arc<LocalSessionManager>>>);

impl McpSessions {
    pub(crate) fn set(&self, m: Arc<LocalSessionManager>) {
        *self.0.lock() = Some(m);
    }

    /// Open sessions (2025-11-25 era; 2026-07-28 requests hold none).
    pub async fn open(&self) -> usize {
        let m = self.0.lock().clone();
        match m {
            Some(m) => m.sessions.read().await.len(),
            None => 0,
        }
    }
}

/// Largest `params.clientInfo` (serialized) an `initialize` may carry.
pub const MAX_CLIENT_INFO_BYTES: usize = 4096;

fn rpc_error(status: StatusCode, id: Value, code: i64, message: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
            .to_string(),
    )
        .into_response()
}

pub(crate) async fn gate(st: &AppState, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let o = &st.options;
    let c = &st.limits;
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, o.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            c.body_too_large.fetch_add(1, Ordering::Relaxed);
            return rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Value::Null,
                -32600,
                format!(
                    "request body exceeds {} bytes (server.max_body_bytes)",
                    o.max_body_bytes
                ),
            );
        }
    };
    let json_body = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(orderflow_request_guard::is_json_content_type);
    if json_body {
        let limits = BodyLimits {
            max_depth: o.max_json_depth,
            max_client_info_bytes: MAX_CLIENT_INFO_BYTES,
        };
        let inspected = match inspect_json_body(&bytes, limits) {
            Ok(i) => i,
            Err(refusal) => {
                let counter = match refusal {
                    BodyRefusal::NotUtf8 | BodyRefusal::Parse(_) => &c.bad_json,
                    BodyRefusal::TooDeep { .. } => &c.too_deep,
                    BodyRefusal::ClientInfoTooLarge { .. } => &c.mcp_client_info_too_large,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    refusal.id(),
                    refusal.rpc_code(),
                    refusal.to_string(),
                );
            }
        };
        if o.mcp_fast_path
            && let Some(call) = crate::mcp_fast::eligible(&parts.headers, &inspected.message)
        {
            return crate::mcp_fast::answer(st, call).await;
        }
        for id in inspected.initialize_ids {
            let open = st.mcp_sessions.open().await;
            if open >= o.mcp_max_sessions {
                c.mcp_sessions_refused.fetch_add(1, Ordering::Relaxed);
                return rpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    id,
                    -32000,
                    format!(
                        "{open} MCP sessions are open, the limit (server.mcp_max_sessions); close one (DELETE /mcp) or retry after idle sessions expire ({} s)",
                        o.mcp_session_idle.as_secs()
                    ),
                );
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
