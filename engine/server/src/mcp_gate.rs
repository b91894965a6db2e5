//! Limits in front of the MCP transport (`/mcp`), answered in JSON-RPC so that MCP clients can
//! show them: a body over `max_body_bytes` → 413 with a JSON-RPC error; a body that is not
//! UTF-8 or not JSON → 400 with `-32700 Parse error`; JSON nested deeper than `max_json_depth`
//! → 400 `-32600`; an `initialize` with a client info over [`MAX_CLIENT_INFO_BYTES`] → 400
//! `-32602` (it would be kept for the session's life); an `initialize` while
//! `mcp_max_sessions` sessions are open → 503 `-32000`. Each is counted in
//! [`LimitCounters`](crate::LimitCounters). Requests that pass are handed on unchanged.

use crate::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header::CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// Deepest nesting of arrays/objects in a JSON text (strings skipped), without parsing it.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn initializes(v: &Value) -> Vec<&Value> {
    let one = |m: &'_ Value| m.get("method").and_then(Value::as_str) == Some("initialize");
    match v {
        Value::Array(a) => a.iter().filter(|m| one(m)).collect(),
        m if one(m) => vec![m],
        _ => Vec::new(),
    }
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
        .is_some_and(|h| {
            h.split(';')
                .next()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"))
        });
    if json_body {
        if std::str::from_utf8(&bytes).is_err() {
            c.bad_json.fetch_add(1, Ordering::Relaxed);
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                -32700,
                "Parse error: the body is not valid UTF-8".into(),
            );
        }
        let depth = json_depth(&bytes);
        if depth > o.max_json_depth {
            c.too_deep.fetch_add(1, Ordering::Relaxed);
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                -32600,
                format!(
                    "JSON nested {depth} deep; at most {} levels are accepted (server.max_json_depth)",
                    o.max_json_depth
                ),
            );
        }
        let msg: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                c.bad_json.fetch_add(1, Ordering::Relaxed);
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    Value::Null,
                    -32700,
                    format!("Parse error: {e}"),
                );
            }
        };
        for init in initializes(&msg) {
            let id = init.get("id").cloned().unwrap_or(Value::Null);
            let info = init
                .pointer("/params/clientInfo")
                .map_or(0, |v| v.to_string().len());
            if info > MAX_CLIENT_INFO_BYTES {
                c.mcp_client_info_too_large.fetch_add(1, Ordering::Relaxed);
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    id,
                    -32602,
                    format!(
                        "clientInfo is {info} bytes; at most {MAX_CLIENT_INFO_BYTES} are accepted"
                    ),
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_inside_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#), 3);
        assert_eq!(json_depth(br#""\"[""#), 0);
        assert_eq!(json_depth(b"[[[[]]]]"), 4);
    }
}
