//! Routes and handlers.

use crate::mcp::McpHandler;
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use orderflow_dataflow::FeatureId;
use orderflow_plugin_host::now_ns;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

type St = State<Arc<AppState>>;

/// The MCP streamable-HTTP service over the state's registry.
fn mcp_service(st: &AppState) -> StreamableHttpService<McpHandler, LocalSessionManager> {
    let (registry, page) = (st.registry.clone(), st.options.mcp_page_size);
    let o = &st.options;
    StreamableHttpService::new(
        move || Ok(McpHandler::new(registry.clone(), page)),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default()
            .with_allowed_hosts(o.allowed_hosts.clone())
            .with_allowed_origins(o.allowed_origins.clone())
            .with_max_request_body_bytes(o.max_body_bytes)
            .with_cancellation_token(o.shutdown.child_token()),
    )
}

/// The router.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .nest_service("/mcp", mcp_service(&state))
        .route("/health", get(health))
        .route("/tools", get(list_tools))
        .route("/tools/{name}", post(call_tool).get(describe_tool))
        .route("/features/{symbol}", get(features))
        .route("/exchanges", get(exchanges))
        .route("/symbols/{exchange}", get(symbols))
        .route("/streaming/status", get(streaming_status))
        .route("/plugins", get(plugins))
        .route("/plugins/{name}/{action}", post(plugin_action))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ))
        .layer(RequestBodyLimitLayer::new(state.options.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(State(st): St) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "uptime_s": st.started.elapsed().as_secs_f64(),
        "events": st.engine.events.load(Ordering::Relaxed),
        "tools": st.registry.len(),
        "plugins": st.plugins,
        "storage": st.history.is_some(),
    }))
}

async fn list_tools(State(st): St) -> Json<Value> {
    let tools = st.registry.list();
    Json(json!({"count": tools.len(), "tools": tools}))
}

async fn describe_tool(State(st): St, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let t = st
        .registry
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("unknown tool {name:?}")))?;
    Ok(Json(json!(t)))
}

async fn call_tool(
    State(st): St,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    if st.registry.get(&name).is_none() {
        return Err(ApiError::NotFound(format!("unknown tool {name:?}")));
    }
    let args: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("body is not JSON: {e}")))?
    };
    if !args.is_object() {
        return Err(ApiError::BadRequest(
            "arguments must be a JSON object".into(),
        ));
    }
    Ok(Json(st.registry.call(&name, args).await?))
}

#[derive(Debug, Deserialize)]
struct VenueQuery {
    venue: Option<String>,
}

/// Features of a pair as JSON (shared with the feature tools).
pub(crate) fn features_json(
    st: &AppState,
    symbol: &str,
    venue: Option<&str>,
    filter: impl Fn(FeatureId) -> bool,
) -> Result<Value, ApiError> {
    let symbol = symbol.to_ascii_uppercase();
    let inst = match venue {
        Some(v) => st.universe.find(v, &symbol),
        None => st
            .universe
            .iter()
            .find(|i| i.symbol == symbol)
            .map(|i| i.id),
    }
    .ok_or_else(|| {
        ApiError::NotFound(format!(
            "{symbol} is not configured{}",
            venue.map(|v| format!(" on {v}")).unwrap_or_default()
        ))
    })?;
    let info = st
        .universe
        .get(inst)
        .ok_or_else(|| ApiError::NotFound(symbol.clone()))?;
    let fv = st.features.get(inst);
    let mut map = Map::new();
    let (time, stale) = match &fv {
        Some(fv) => {
            for (id, v) in &fv.values {
                if filter(*id) {
                    map.insert(id.name().to_owned(), json!(v));
                }
            }
            (
                Some(fv.time),
                Some((now_ns().saturating_sub(fv.time)) as f64 / 1e6),
            )
        }
        None => (None, None),
    };
    Ok(json!({
        "symbol": info.symbol, "venue": info.venue,
        "time_ns": time, "age_ms": stale,
        "count": map.len(),
        "features": map,
        "note": if fv.is_none() { Some("no data for this pair yet") } else { None },
    }))
}

async fn features(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<VenueQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(features_json(
        &st,
        &symbol,
        q.venue.as_deref(),
        |_| true,
    )?))
}

async fn exchanges(State(st): St) -> Json<Value> {
    Json(exchanges_json(&st))
}

pub(crate) fn exchanges_json(st: &AppState) -> Value {
    let now = now_ns();
    let list: Vec<Value> = st
        .universe
        .venues()
        .into_iter()
        .map(|v| {
            let status = st
                .venues
                .iter()
                .find(|s| s.venue == v)
                .map(|s| s.to_json(now));
            json!({"id": v, "symbols": st.universe.of_venue(v).count(), "status": status})
        })
        .collect();
    json!({"count": list.len(), "exchanges": list})
}

async fn symbols(State(st): St, Path(exchange): Path<String>) -> Result<Json<Value>, ApiError> {
    symbols_json(&st, &exchange).map(Json)
}

pub(crate) fn symbols_json(st: &AppState, exchange: &str) -> Result<Value, ApiError> {
    let list: Vec<Value> = st
        .universe
        .of_venue(exchange)
        .map(|i| json!({"symbol": i.symbol, "venue_symbol": i.venue_symbol}))
        .collect();
    if list.is_empty() {
        return Err(ApiError::NotFound(format!(
            "exchange {exchange:?} is not configured"
        )));
    }
    Ok(json!({"exchange": exchange, "count": list.len(), "symbols": list}))
}

pub(crate) fn streaming_json(st: &AppState) -> Value {
    let now = now_ns();
    let lat = st.engine.latency_ns.lock();
    json!({
        "venues": st.venues.iter().map(|s| s.to_json(now)).collect::<Vec<_>>(),
        "engine": {
            "events": st.engine.events.load(Ordering::Relaxed),
            "batches": st.engine.batches.load(Ordering::Relaxed),
            "engine_time_ns": st.engine.time.load(Ordering::Relaxed),
            "latency_us": {
                "p50": lat.value_at_quantile(0.5) as f64 / 1e3,
                "p99": lat.value_at_quantile(0.99) as f64 / 1e3,
                "max": lat.max() as f64 / 1e3,
                "samples": lat.len(),
            },
        },
    })
}

async fn streaming_status(State(st): St) -> Json<Value> {
    Json(streaming_json(&st))
}

async fn plugins(State(st): St) -> Json<Value> {
    let enabled: std::collections::BTreeMap<String, bool> =
        st.registry.plugins().into_iter().collect();
    let list: Vec<Value> = st
        .plugins
        .iter()
        .map(|p| {
            let mut v = json!(p);
            v["enabled"] = json!(enabled.get(&p.name).copied().unwrap_or(true));
            v
        })
        .collect();
    Json(json!({ "plugins": list }))
}

/// `POST /plugins/{name}/enable|disable`: shows or hides a plugin's tools (MCP clients get
/// `notifications/tools/list_changed`). Its venue feeds keep running.
async fn plugin_action(
    State(st): St,
    Path((name, action)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let enabled = match action.as_str() {
        "enable" => true,
        "disable" => false,
        other => {
            return Err(ApiError::NotFound(format!(
                "unknown action {other:?} (enable or disable)"
            )));
        }
    };
    let changed = st.registry.set_plugin_enabled(&name, enabled)?;
    Ok(Json(json!({
        "plugin": name,
        "enabled": enabled,
        "changed": changed,
        "tools": st.registry.len(),
    })))
}
