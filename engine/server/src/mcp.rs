//! MCP: the same tool registry as `/tools`, served with the official SDK (`rmcp`) over
//! streamable HTTP (`/mcp`, both protocol eras: stateless 2026-07-28 and session-based
//! 2025-11-25) and over stdio (`orderflow mcp`).
//!
//! The handler is written by hand over [`ToolRegistry`] because tools arrive at run time from
//! plugins. Arguments are validated here with the registry's JSON Schema validator so that a
//! bad call is a JSON-RPC `-32602` carrying the schema error; a tool that runs and fails is an
//! `isError` result the agent can read. A change of the tool set (a plugin disabled or enabled)
//! becomes `notifications/tools/list_changed`: for 2026-07-28 clients through
//! `subscriptions/listen`, for 2025-11-25 sessions through the session's peer.

use orderflow_plugin_host::ToolError;
use orderflow_plugin_host::registry::{ToolInfo, ToolRegistry};
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, JsonObject,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
    SubscriptionFilter, Tool, ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// Tools per `tools/list` page.
pub const DEFAULT_PAGE_SIZE: usize = 25;

/// The MCP server handler. Cheap to clone (one per legacy session).
#[derive(Clone, Debug)]
pub struct McpHandler {
    registry: Arc<ToolRegistry>,
    page_size: usize,
}

impl McpHandler {
    /// A handler over `registry`, listing `page_size` tools per page.
    pub fn new(registry: Arc<ToolRegistry>, page_size: usize) -> Self {
        Self {
            registry,
            page_size: page_size.max(1),
        }
    }
}

/// The MCP form of a registry entry.
pub fn to_mcp_tool(t: &ToolInfo) -> Tool {
    let input = match &t.input_schema {
        Value::Object(m) => m.clone(),
        _ => JsonObject::new(),
    };
    let mut tool = Tool::new(t.name.clone(), t.description.clone(), Arc::new(input))
        .with_annotations(
            ToolAnnotations::new()
                .read_only(true)
                // Venue REST calls reach outside the process; live-state tools do not.
                .open_world(t.category != "features" && t.category != "streaming"),
        );
    if let Some(Value::Object(o)) = &t.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(o.clone()));
    }
    tool
}

/// A tool's JSON result as MCP content: structured content (an object; other values are
/// wrapped as `{"result": …}`) plus the same JSON as text for clients that only read text.
pub fn to_call_result(value: Value) -> CallToolResult {
    let structured = match value {
        Value::Object(_) => value,
        other => serde_json::json!({ "result": other }),
    };
    CallToolResult::structured(structured)
}

fn tool_failure(e: &ToolError) -> CallToolResult {
    CallToolResult::structured_error(serde_json::json!({
        "error": e.code(),
        "message": e.to_string(),
    }))
}

fn parse_cursor(cursor: Option<&str>) -> Result<usize, ErrorData> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| ErrorData::invalid_params(format!("invalid cursor {c:?}"), None)),
    }
}

/// One `tools/call`, as both the rmcp handler and the direct path
/// ([`mcp_fast`](crate::mcp_fast)) answer it: an unknown tool or arguments that fail the schema
/// are a JSON-RPC `-32602` carrying the schema error (a protocol fault); a tool that runs and
/// fails is an `isError` result the agent can read. When `cancelled` completes first the call
/// future is dropped, which interrupts what the tool runs (e.g. a history query), and the
/// answer is an `isError` result saying `why`.
pub(crate) async fn call_tool(
    registry: &ToolRegistry,
    name: &str,
    args: Value,
    cancelled: impl std::future::Future<Output = ()>,
    why: &str,
) -> Result<CallToolResponse, ErrorData> {
    match registry.validate(name, &args) {
        Ok(()) => {}
        Err(ToolError::NotFound(_)) => {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}"),
                None,
            ));
        }
        Err(e @ ToolError::InvalidArgs(_)) => {
            return Err(ErrorData::invalid_params(
                e.to_string(),
                Some(serde_json::json!({ "tool": name })),
            ));
        }
        Err(e) => return Ok(tool_failure(&e).into()),
    }
    let outcome = tokio::select! {
        r = registry.call_validated(name, args) => r,
        () = cancelled => Err(ToolError::LimitExceeded(why.to_owned())),
    };
    Ok(match outcome {
        Ok(v) => to_call_result(v).into(),
        Err(e) => tool_failure(&e).into(),
    })
}

impl ServerHandler for McpHandler {
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(&[
            ProtocolVersion::V_2026_07_28,
            ProtocolVersion::V_2025_11_25,
            ProtocolVersion::V_2025_06_18,
            ProtocolVersion::V_2025_03_26,
        ])
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("orderflow", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "orderflow: live crypto order-flow features, venue market data and DuckDB history. \
             Start with get_streaming_status (what is connected and fresh), list_features \
             (what each feature means), then get_all_features / get_orderbook_features for a \
             symbol, venue tools such as binance_get_orderbook, and query_history for SQL over \
             stored trades, books and feature snapshots.",
        )
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let start = parse_cursor(request.as_ref().and_then(|r| r.cursor.as_deref()))?;
        let all = self.registry.list();
        if start > all.len() {
            return Err(ErrorData::invalid_params(
                format!("cursor {start} is past the end ({} tools)", all.len()),
                None,
            ));
        }
        let end = (start + self.page_size).min(all.len());
        let mut page = ListToolsResult::with_all_items(
            all.get(start..end)
                .unwrap_or_default()
                .iter()
                .map(to_mcp_tool)
                .collect(),
        );
        if end < all.len() {
            page.next_cursor = Some(end.to_string());
        }
        Ok(page)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        // `notifications/cancelled` (or the session ending) cancels the request's token:
        // dropping the call future then interrupts what the tool runs (e.g. a history query).
        call_tool(
            &self.registry,
            request.name.as_ref(),
            args,
            context.ct.cancelled(),
            "the request was cancelled by the client",
        )
        .await
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.registry.subscribe();
        changes.mark_unchanged();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                r = changes.changed() => {
                    if r.is_err() {
                        return Ok(());
                    }
                    if let Err(e) = context.sink().notify_tool_list_changed().await {
                        tracing::debug!(error = %e, "list_changed subscriber gone");
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // A 2025-11-25 session: push list_changed on the session's stream until it closes.
        let peer = context.peer;
        let mut changes = self.registry.subscribe();
        changes.mark_unchanged();
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                if peer.notify_tool_list_changed().await.is_err() {
                    break;
                }
            }
        });
    }
}
