//! The direct path for the commonest MCP request: a stateless (2026-07-28) `tools/call` that
//! wants its answer as JSON.
//!
//! rmcp answers every such request by building a service for it, spawning a task that serves
//! a one-message transport, and waiting on a channel for the answer, which about halved the
//! calls per second `/mcp` can answer next to `POST /tools/{name}` (benches/README.md). This
//! path answers the same request in the gate, with the same checks, the same shared
//! [`call_tool`](crate::mcp::call_tool) and rmcp's own types for the answer, so the bytes on
//! the wire are the ones rmcp would send (`tests/mcp_fast_path.rs` compares the two answers
//! request by request).
//!
//! It takes a request only when every part of it has one meaning; anything else goes on to
//! rmcp unchanged, which stays the reference for the protocol:
//! - `POST` with `Content-Type: application/json`, an `Accept` naming both
//!   `application/json` and `text/event-stream` (not weighted `q=0`), no `Mcp-Session-Id`, no
//!   `Mcp-Param-*` headers;
//! - exactly one `MCP-Protocol-Version: 2026-07-28`, one `Mcp-Method: tools/call` and one
//!   `Mcp-Name` equal to the body's tool name;
//! - a body that is one JSON-RPC 2.0 request (`jsonrpc`, `id` a string or an integer,
//!   `method: "tools/call"`, `params`) whose `params` hold only `name`, optional object
//!   `arguments` and `_meta`; whose `_meta` holds only the protocol version (`2026-07-28`), the
//!   client capabilities and optionally the client info, each as rmcp reads them. A progress
//!   token, a task, a log level, input responses: rmcp.
//!
//! Turned off with `server.mcp_fast_path = false`. Each answer it gives is counted
//! (`orderflow_mcp_fast_path_calls`).

use crate::AppState;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    ClientCapabilities, Implementation, NumberOrString, ServerJsonRpcMessage, ServerResult,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;

const PROTOCOL_VERSION: &str = "2026-07-28";
const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// A request this path answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FastCall {
    id: NumberOrString,
    name: String,
    args: Value,
}

/// The single value of `name` as text; `None` when absent, repeated or not text.
fn one<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// Whether the `Accept` values name both `application/json` and `text/event-stream`, leaving
/// out types weighted `q=0` (as rmcp reads them).
fn accepts_json_and_sse(headers: &HeaderMap) -> bool {
    let (mut json, mut sse) = (false, false);
    for value in headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        if value.contains('"') {
            // Quoted parameters may hide separators: such headers are rmcp's to read.
            return false;
        }
        for entry in value.split(',') {
            let mut parts = entry.split(';');
            let essence = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q")
                        && v.trim().parse::<f64>().is_ok_and(|q| q <= 0.0)
                })
            });
            if refused {
                continue;
            }
            json |= essence.eq_ignore_ascii_case("application/json");
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    json && sse
}

fn headers_qualify(headers: &HeaderMap) -> bool {
    let content_type = one(headers, CONTENT_TYPE.as_str()).is_some_and(|c| {
        c.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/json")
    });
    content_type
        && accepts_json_and_sse(headers)
        && !headers.contains_key("mcp-session-id")
        && one(headers, "mcp-protocol-version") == Some(PROTOCOL_VERSION)
        && one(headers, "mcp-method") == Some("tools/call")
        && !headers
            .keys()
            .any(|k: &HeaderName| k.as_str().starts_with("mcp-param-"))
}

fn only_keys(o: &Map<String, Value>, allowed: &[&str]) -> bool {
    o.keys().all(|k| allowed.contains(&k.as_str()))
}

fn meta_qualifies(meta: &Map<String, Value>) -> bool {
    only_keys(
        meta,
        &[
            META_PROTOCOL_VERSION,
            META_CLIENT_CAPABILITIES,
            META_CLIENT_INFO,
        ],
    ) && meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str) == Some(PROTOCOL_VERSION)
        && meta
            .get(META_CLIENT_CAPABILITIES)
            .is_some_and(|c| ClientCapabilities::deserialize(c).is_ok())
        && meta
            .get(META_CLIENT_INFO)
            .is_none_or(|i| Implementation::deserialize(i).is_ok())
}

/// The request this path answers, or `None`: rmcp's.
pub(crate) fn eligible(headers: &HeaderMap, message: &Value) -> Option<FastCall> {
    if !headers_qualify(headers) {
        return None;
    }
    let m = message.as_object()?;
    if m.len() != 4
        || m.get("jsonrpc")?.as_str()? != "2.0"
        || m.get("method")?.as_str()? != "tools/call"
    {
        return None;
    }
    let id = match m.get("id")? {
        Value::String(s) => NumberOrString::String(s.as_str().into()),
        Value::Number(n) => NumberOrString::Number(n.as_i64()?),
        _ => return None,
    };
    let params = m.get("params")?.as_object()?;
    if !only_keys(params, &["name", "arguments", "_meta"]) {
        return None;
    }
    let name = params.get("name")?.as_str()?;
    if one(headers, "mcp-name") != Some(name) {
        return None;
    }
    let args = match params.get("arguments") {
        None => Value::Object(Map::new()),
        Some(a @ Value::Object(_)) => a.clone(),
        Some(_) => return None,
    };
    if !meta_qualifies(params.get("_meta")?.as_object()?) {
        return None;
    }
    Some(FastCall {
        id,
        name: name.to_owned(),
        args,
    })
}

/// Answers `call` as rmcp would: `200` with the JSON-RPC response (a result, or the `-32602`
/// error of an unknown tool or bad arguments) as `application/json`.
pub(crate) async fn answer(st: &AppState, call: FastCall) -> Response {
    let FastCall { id, name, args } = call;
    let outcome = crate::mcp::call_tool(
        &st.registry,
        &name,
        args,
        st.options.shutdown.cancelled(),
        "the server is shutting down",
    )
    .await;
    st.mcp_fast_calls.fetch_add(1, Ordering::Relaxed);
    let message = match outcome {
        Ok(response) => ServerJsonRpcMessage::response(ServerResult::from(response), id),
        Err(error) => ServerJsonRpcMessage::error(error, Some(id)),
    };
    match serde_json::to_vec(&message) {
        Ok(body) => (StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "MCP answer does not serialize");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    const GOOD: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "list_features"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = headers(GOOD);
        for (k, v) in extra {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn without(name: &str) -> HeaderMap {
        let mut h = headers(GOOD);
        h.remove(name);
        h
    }

    fn body() -> Value {
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "list_features", "arguments": {"group": "prices"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}}}})
    }

    #[test]
    fn the_plain_stateless_call_is_taken_with_its_id_name_and_arguments() {
        let call = eligible(&headers(GOOD), &body()).unwrap_or_else(|| unreachable!());
        assert_eq!(call.id, NumberOrString::Number(7));
        assert_eq!(call.name, "list_features");
        assert_eq!(call.args, json!({"group": "prices"}));
        let mut b = body();
        b["id"] = json!("abc");
        b["params"]
            .as_object_mut()
            .unwrap_or_else(|| unreachable!())
            .remove("arguments");
        let call = eligible(&headers(GOOD), &b).unwrap_or_else(|| unreachable!());
        assert_eq!(call.id, NumberOrString::String("abc".into()));
        assert_eq!(call.args, json!({}), "no arguments: an empty object");
        let lenient = with(&[("accept", "text/html")]);
        assert!(eligible(&lenient, &body()).is_some(), "more accepted types");
    }

    #[test]
    fn headers_outside_the_one_shape_go_to_rmcp() {
        let refused = [
            ("no Accept", without("accept")),
            ("no version header", without("mcp-protocol-version")),
            ("no Mcp-Method", without("mcp-method")),
            ("no Mcp-Name", without("mcp-name")),
            ("no content type", without("content-type")),
            ("session", with(&[("mcp-session-id", "s1")])),
            (
                "two versions",
                with(&[("mcp-protocol-version", "2026-07-28")]),
            ),
            ("Mcp-Param header", with(&[("mcp-param-group", "prices")])),
        ];
        for (what, h) in refused {
            assert!(eligible(&h, &body()).is_none(), "{what}");
        }
        for (name, value) in [
            ("accept", "application/json"),
            ("accept", "application/json, text/event-stream;q=0"),
            (
                "accept",
                "application/json;profile=\"a,b\", text/event-stream",
            ),
            ("mcp-protocol-version", "2025-11-25"),
            ("mcp-method", "tools/list"),
            ("mcp-name", "list_signals"),
            ("content-type", "text/plain"),
        ] {
            let mut h = without(name);
            h.insert(name, HeaderValue::from_static(value));
            assert!(eligible(&h, &body()).is_none(), "{name}: {value}");
        }
    }

    #[test]
    fn bodies_outside_the_one_shape_go_to_rmcp() {
        type Edit = fn(&mut Value);
        let edits: [(&str, Edit); 12] = [
            ("batch", |b| *b = json!([b.clone()])),
            ("float id", |b| b["id"] = json!(7.5)),
            ("null id", |b| b["id"] = Value::Null),
            ("jsonrpc 1.0", |b| b["jsonrpc"] = json!("1.0")),
            ("other method", |b| b["method"] = json!("tools/list")),
            ("extra member", |b| b["extra"] = json!(1)),
            ("array arguments", |b| b["params"]["arguments"] = json!([1])),
            ("a task", |b| b["params"]["task"] = json!({"ttl": 1})),
            ("progress token", |b| {
                b["params"]["_meta"]["progressToken"] = json!(1)
            }),
            ("older version in _meta", |b| {
                b["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] =
                    json!("2025-11-25");
            }),
            ("capabilities not an object", |b| {
                b["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!(3);
            }),
            ("no _meta", |b| {
                b["params"]
                    .as_object_mut()
                    .unwrap_or_else(|| unreachable!())
                    .remove("_meta");
            }),
        ];
        for (what, edit) in edits {
            let mut b = body();
            edit(&mut b);
            assert!(eligible(&headers(GOOD), &b).is_none(), "{what}");
        }
    }
}
