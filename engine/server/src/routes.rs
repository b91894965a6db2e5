//! Routes and handlers.

use crate::mcp::McpHandler;
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
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
    // Legacy-era sessions expire when idle and must initialize promptly; the count is capped
    // in front of the transport (mcp_gate).
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(o.mcp_session_idle);
    sessions.session_config.init_timeout = Some(std::time::Duration::from_secs(10));
    let sessions = Arc::new(sessions);
    st.mcp_sessions.set(sessions.clone());
    StreamableHttpService::new(
        move || Ok(McpHandler::new(registry.clone(), page)),
        sessions,
        StreamableHttpServerConfig::default()
            .with_allowed_hosts(o.allowed_hosts.clone())
            .with_allowed_origins(o.allowed_origins.clone())
            .with_max_request_body_bytes(o.max_body_bytes)
            // A stateless (2026-07-28) call whose only message is its answer gets it as
            // `application/json` instead of a one-event SSE stream; one that sends progress or
            // other messages first still streams (rmcp falls back to SSE).
            .with_json_response(true)
            .with_cancellation_token(o.shutdown.child_token()),
    )
}

/// The router.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/tools", get(list_tools))
        .route("/tools/{name}", post(call_tool).get(describe_tool))
        .route("/features/{symbol}", get(features))
        .route("/exchanges", get(exchanges))
        .route("/symbols/{exchange}", get(symbols))
        .route("/streaming/status", get(streaming_status))
        .route("/dashboard/{symbol}", get(dashboard))
        .route("/signals/{symbol}", get(signals))
        .route("/regimes/{symbol}", get(regimes))
        .route("/forecast/{symbol}", get(forecast))
        .route("/openapi.json", get(openapi))
        .route("/plugins", get(plugins))
        .route("/plugins/{name}/{action}", post(plugin_action))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/live", get(crate::live::live))
        .route("/settings", get(crate::live::settings))
        .merge(orderflow_dashboard::routes())
        .layer(RequestBodyLimitLayer::new(state.options.max_body_bytes))
        // MCP reads its body in the gate (guard → mcp_gate), which answers limits in JSON-RPC.
        .nest_service("/mcp", mcp_service(&state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::count_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, description = "status, uptime, event count, plugins, storage")))]
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

#[utoipa::path(get, path = "/tools", tag = "tools", responses((status = 200, description = "every enabled tool with its JSON Schemas")))]
async fn list_tools(State(st): St) -> Json<Value> {
    let tools = st.registry.list();
    Json(json!({"count": tools.len(), "tools": tools}))
}

#[utoipa::path(get, path = "/tools/{name}", tag = "tools", params(("name" = String, Path, description = "tool name")), responses((status = 200, description = "one tool"), (status = 404, description = "unknown tool")))]
async fn describe_tool(State(st): St, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let t = st
        .registry
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("unknown tool {name:?}")))?;
    Ok(Json(json!(t)))
}

#[utoipa::path(post, path = "/tools/{name}", tag = "tools", params(("name" = String, Path, description = "tool name")), request_body(content = serde_json::Value, description = "arguments (JSON object, see the tool input schema)", content_type = "application/json"), responses((status = 200, description = "the tool result"), (status = 400, description = "invalid arguments, with every schema violation"), (status = 404, description = "unknown tool"), (status = 502, description = "the venue failed"), (status = 503, description = "no data yet")))]
async fn call_tool(
    State(st): St,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if st.registry.get(&name).is_none() {
        return Err(ApiError::NotFound(format!("unknown tool {name:?}")));
    }
    let depth = orderflow_request_guard::json_depth(&body);
    if depth > st.options.max_json_depth {
        st.limits.too_deep.fetch_add(1, Ordering::Relaxed);
        return Err(ApiError::BadRequest(format!(
            "arguments nested {depth} deep; at most {} levels are accepted (server.max_json_depth)",
            st.options.max_json_depth
        )));
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
    let out = st.registry.call(&name, args).await?;
    if name == "query_history"
        && let Some(format) = out["format"].as_str()
    {
        return download(format, &out);
    }
    Ok(Json(out).into_response())
}

/// A `query_history` answer in `format` as the file itself: `text/csv` or Parquet, with the
/// row count and truncation in headers.
fn download(format: &str, out: &Value) -> Result<Response, ApiError> {
    use base64::Engine as _;
    let (ctype, body) = match format {
        "csv" => (
            "text/csv; charset=utf-8",
            out["content"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        ),
        _ => (
            "application/vnd.apache.parquet",
            base64::engine::general_purpose::STANDARD
                .decode(out["content_base64"].as_str().unwrap_or_default())
                .map_err(|e| {
                    ApiError::Tool(orderflow_plugin_host::ToolError::Internal(format!(
                        "download encoding: {e}"
                    )))
                })?,
        ),
    };
    let headers = [
        (axum::http::header::CONTENT_TYPE, ctype.to_owned()),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"query.{format}\""),
        ),
        (
            axum::http::HeaderName::from_static("x-orderflow-rows"),
            out["rows"].to_string(),
        ),
        (
            axum::http::HeaderName::from_static("x-orderflow-truncated"),
            out["truncated_by"].as_str().unwrap_or("no").to_owned(),
        ),
    ];
    Ok((headers, body).into_response())
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
    // Each feature's age (since its value last changed) and whether its window has filled
    // since the pair's first data (engine time).
    let now = now_ns();
    let engine_now = st.engine.time.load(Ordering::Relaxed);
    let mut ages = Map::new();
    let mut warming = Vec::new();
    if let Some(times) = st.features.times(inst) {
        for (id, t) in &times.changed {
            if !map.contains_key(id.name()) {
                continue;
            }
            ages.insert(
                id.name().to_owned(),
                json!(now.saturating_sub(*t) as f64 / 1e6),
            );
            if id
                .def()
                .warm_up_ns()
                .is_some_and(|w| engine_now.saturating_sub(times.first) < w)
            {
                warming.push(id.name());
            }
        }
    }
    Ok(json!({
        "symbol": info.symbol, "venue": info.venue,
        "time_ns": time, "age_ms": stale,
        "count": map.len(),
        "features": map,
        "ages_ms": ages,
        "warming_up": warming,
        "warm": fv.is_some() && warming.is_empty(),
        "note": if fv.is_none() { Some("no data for this pair yet") } else { None },
    }))
}

#[utoipa::path(get, path = "/features/{symbol}", tag = "features", params(("symbol" = String, Path, description = "e.g. BTCUSDT"), ("venue" = Option<String>, Query, description = "venue id; without it: the cross-venue features of the symbol over every venue that lists it")), responses((status = 200, description = "current features with engine time and age (one venue), or the cross-venue features (no venue)"), (status = 404, description = "pair not configured"), (status = 503, description = "no snapshot yet")))]
async fn features(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<VenueQuery>,
) -> Result<Json<Value>, ApiError> {
    match q.venue.as_deref() {
        Some(venue) => Ok(Json(features_json(&st, &symbol, Some(venue), |_| true)?)),
        None => Ok(Json(crate::cross_tools::cross_venue_json(&st, &symbol)?)),
    }
}

#[utoipa::path(get, path = "/exchanges", tag = "venues", responses((status = 200, description = "configured venues with symbol counts and connection status")))]
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
            let mut e = capability_json(st, v);
            e["id"] = json!(v);
            e["symbols"] = json!(st.universe.of_venue(v).count());
            e["status"] = json!(status);
            e
        })
        .collect();
    json!({"count": list.len(), "exchanges": list})
}

/// A venue's capability block: the streams its plugin declares, those it cannot offer (with
/// the reason), how its books are kept in sync, and the tools registered for it.
fn capability_json(st: &AppState, venue: &str) -> Value {
    let declared = st
        .plugins
        .iter()
        .flat_map(|p| p.capabilities.iter())
        .find(|c| c["venue"] == venue);
    let prefix = format!("{venue}_get_");
    let tools: Vec<String> = st
        .registry
        .list()
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n.starts_with(&prefix))
        .collect();
    let plugin = st
        .plugins
        .iter()
        .find(|p| p.venues.iter().any(|v| v == venue))
        .map(|p| p.name.clone());
    match declared {
        Some(c) => {
            json!({"plugin": plugin, "streams": c["streams"], "unavailable": c["unavailable"],
                          "book_sync": c["book_sync"], "tools": tools})
        }
        None => json!({"plugin": plugin, "streams": Value::Null,
                       "unavailable": {"*": "the plugin declares no capabilities (SDK < 1.2)"}, "tools": tools}),
    }
}

#[utoipa::path(get, path = "/symbols/{exchange}", tag = "venues", params(("exchange" = String, Path, description = "venue id")), responses((status = 200, description = "symbols and venue instrument names"), (status = 404, description = "venue not configured")))]
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
    Ok(
        json!({"exchange": exchange, "count": list.len(), "symbols": list,
              "capabilities": capability_json(st, exchange)}),
    )
}

pub(crate) fn streaming_json(st: &AppState) -> Value {
    let now = now_ns();
    let lat = st.engine.latency_ns.lock();
    let minute = &st.engine.latency_minute.lock().last;
    json!({
        "limits": {
            "http": st.limits.to_json(),
            "history_queries": st.history.as_ref().map(|h| h.counters().to_json()),
        },
        "storage": st.sink_stats.as_ref().map(|s| s.to_json()),
        "venues": st.venues.iter().map(|s| s.to_json(now)).collect::<Vec<_>>(),
        "engine": {
            "events": st.engine.events.load(Ordering::Relaxed),
            "batches": st.engine.batches.load(Ordering::Relaxed),
            "engine_time_ns": st.engine.time.load(Ordering::Relaxed),
            "dropped_events": st.engine.dropped_events.load(Ordering::Relaxed),
            "queue_depth": st.engine.queue_depth.load(Ordering::Relaxed),
            "snapshot_queue_depth": st.engine.snapshot_queue_depth.load(Ordering::Relaxed),
            "latency_us": {
                "p50": lat.value_at_quantile(0.5) as f64 / 1e3,
                "p99": lat.value_at_quantile(0.99) as f64 / 1e3,
                "max": lat.max() as f64 / 1e3,
                "samples": lat.len(),
            },
            "last_minute_latency_us": {
                "p50": minute.value_at_quantile(0.5) as f64 / 1e3,
                "p99": minute.value_at_quantile(0.99) as f64 / 1e3,
                "max": minute.max() as f64 / 1e3,
                "samples": minute.len(),
            },
        },
    })
}

#[utoipa::path(get, path = "/streaming/status", tag = "venues", responses((status = 200, description = "per venue: connected, msgs/s, last message age, gaps, resyncs, reconnects, decode errors; engine latency")))]
async fn streaming_status(State(st): St) -> Json<Value> {
    Json(streaming_json(&st))
}

#[utoipa::path(get, path = "/plugins", tag = "tools", responses((status = 200, description = "loaded plugins, enabled or not")))]
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
#[utoipa::path(post, path = "/plugins/{name}/{action}", tag = "tools", params(("name" = String, Path, description = "plugin name"), ("action" = String, Path, description = "enable or disable")), responses((status = 200, description = "new state; MCP clients get tools/list_changed"), (status = 404, description = "unknown plugin or action")))]
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

#[derive(Debug, Deserialize)]
struct DashQuery {
    venue: Option<String>,
    depth: Option<u64>,
    trades: Option<u64>,
}

/// `GET /dashboard/{symbol}?venue=&depth=&trades=`: everything a dashboard page shows for one
/// pair in one call — features, top of book, recent trades, ticker, mark, funding, open
/// interest, the venue's connection status. A part with no data yet is `null` and listed under
/// `missing` with the reason.
#[utoipa::path(get, path = "/dashboard/{symbol}", tag = "features", params(("symbol" = String, Path, description = "e.g. BTCUSDT"), ("venue" = Option<String>, Query, description = "venue id"), ("depth" = Option<u64>, Query, description = "book levels"), ("trades" = Option<u64>, Query, description = "recent trades")), responses((status = 200, description = "features, book, trades, ticker, mark, funding, OI, venue status; missing parts listed"), (status = 404, description = "pair not configured")))]
async fn dashboard(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Json<Value>, ApiError> {
    let venue = match q.venue {
        Some(v) => v,
        None => st
            .universe
            .iter()
            .find(|i| i.symbol == symbol)
            .map(|i| i.venue.clone())
            .ok_or_else(|| ApiError::NotFound(format!("symbol {symbol:?} is not configured")))?,
    };
    if st.universe.find(&venue, &symbol).is_none() {
        return Err(ApiError::NotFound(format!(
            "{symbol} is not configured on {venue}"
        )));
    }
    let mut missing = Vec::new();
    let features = crate::routes::features_json(&st, &symbol, Some(&venue), |_| true)
        .map_err(|e| missing.push(json!({"part": "features", "reason": e.to_string()})))
        .ok();
    let mut live = Map::new();
    for (part, kind, limit) in [
        ("book", "book", q.depth.unwrap_or(10).clamp(1, 100)),
        ("trades", "trades", q.trades.unwrap_or(50).clamp(1, 1000)),
        ("ticker", "ticker", 1),
        ("mark_price", "mark_price", 1),
        ("funding", "funding", 1),
        ("open_interest", "open_interest", 1),
        ("liquidations", "liquidations", 20),
    ] {
        let req =
            json!({"op": "live", "venue": venue, "symbol": symbol, "kind": kind, "limit": limit});
        match st.live.query_value(&req) {
            Ok(v) => {
                live.insert(part.into(), v);
            }
            Err(e) => {
                missing.push(json!({"part": part, "reason": e.to_string()}));
                live.insert(part.into(), Value::Null);
            }
        }
    }
    let now = now_ns();
    let status = st
        .venues
        .iter()
        .find(|s| s.venue == venue)
        .map(|s| s.to_json(now));
    Ok(Json(json!({
        "symbol": symbol,
        "venue": venue,
        "features": features,
        "live": live,
        "venue_status": status,
        "signals": signals_json(&st, &symbol, Some(&venue)).ok().map(|v| v["venues"][0].clone()),
        "missing": missing,
    })))
}

#[utoipa::path(get, path = "/signals/{symbol}", tag = "features", params(("symbol" = String, Path, description = "e.g. BTCUSDT"), ("venue" = Option<String>, Query, description = "one venue; default: every venue listing the symbol")), responses((status = 200, description = "the 15 composite signals (value, confidence, components) and the aggregator's recommendation, per venue"), (status = 404, description = "symbol or pair not configured")))]
async fn signals(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<VenueQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(signals_json(&st, &symbol, q.venue.as_deref())?))
}

/// The signals of a symbol on one venue or on every venue that lists it (shared with the
/// signal tools).
pub(crate) fn signals_json(
    st: &AppState,
    symbol: &str,
    venue: Option<&str>,
) -> Result<Value, ApiError> {
    let symbol = symbol.to_ascii_uppercase();
    let insts: Vec<_> = st
        .universe
        .iter()
        .filter(|i| i.symbol == symbol && venue.is_none_or(|v| i.venue == v))
        .collect();
    if insts.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{symbol} is not configured{}",
            venue.map(|v| format!(" on {v}")).unwrap_or_default()
        )));
    }
    let now = now_ns();
    let venues: Vec<Value> = insts
        .iter()
        .map(|i| match st.features.get(i.id) {
            Some(fv) => {
                let ctx = orderflow_signals::Context {
                    regime_age_s: st
                        .regimes
                        .lock()
                        .get(&i.id)
                        .map(|r| r.evaluated.saturating_sub(r.since) as f64 / 1e9),
                    arbitrage_net_bps: st
                        .cross_venue
                        .lock()
                        .get(&i.symbol)
                        .and_then(|c| c.net_edge_for(&i.venue)),
                };
                let signals = orderflow_signals::compute_with(&fv.values, &ctx);
                let recommendation = orderflow_signals::aggregate(&signals);
                json!({"venue": i.venue, "time_ns": fv.time,
                       "age_ms": now.saturating_sub(fv.time) as f64 / 1e6,
                       "count": signals.len(), "signals": signals, "recommendation": recommendation})
            }
            None => json!({"venue": i.venue, "signals": [], "note": "no data for this pair yet"}),
        })
        .collect();
    Ok(json!({"symbol": symbol, "venues": venues}))
}

#[utoipa::path(get, path = "/regimes/{symbol}", tag = "features", params(("symbol" = String, Path, description = "e.g. BTCUSDT"), ("venue" = Option<String>, Query, description = "one venue; default: every venue listing the symbol")), responses((status = 200, description = "current regime per venue (since when, classifier inputs), the votes, and the symbol's own cross-venue classification"), (status = 404, description = "symbol or pair not configured")))]
async fn regimes(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<VenueQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(regimes_json(&st, &symbol, q.venue.as_deref())?))
}

/// The regimes of a symbol per venue and across venues (regimes are classified at
/// each feature snapshot; see `engine/dataflow/src/regime.rs`).
pub(crate) fn regimes_json(
    st: &AppState,
    symbol: &str,
    venue: Option<&str>,
) -> Result<Value, ApiError> {
    let symbol = symbol.to_ascii_uppercase();
    let insts: Vec<_> = st
        .universe
        .iter()
        .filter(|i| i.symbol == symbol && venue.is_none_or(|v| i.venue == v))
        .collect();
    if insts.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{symbol} is not configured{}",
            venue.map(|v| format!(" on {v}")).unwrap_or_default()
        )));
    }
    let states = st.regimes.lock().clone();
    let mut votes: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let venues: Vec<Value> = insts
        .iter()
        .map(|i| match states.get(&i.id) {
            Some(s) => {
                *votes.entry(s.regime.name()).or_default() += 1;
                json!({"venue": i.venue, "regime": s.regime, "since_ns": s.since,
                       "evaluated_ns": s.evaluated, "trend": s.inputs.trend, "vol_ratio": s.inputs.vol_ratio})
            }
            None => json!({"venue": i.venue, "regime": null,
                           "note": "not classified yet: the 15-minute windows are filling"}),
        })
        .collect();
    // The symbol's own classifier across venues (median inputs, with hysteresis).
    let across = st.symbol_regimes.lock().get(&symbol).copied();
    let overall = across.map_or(Value::Null, |s| json!(s.regime));
    let across = across.map_or_else(
        || json!({"regime": null, "note": "not classified yet: no venue of the symbol is classified"}),
        |s| json!({"regime": s.regime, "since_ns": s.since, "evaluated_ns": s.evaluated,
                   "trend": s.inputs.trend, "vol_ratio": s.inputs.vol_ratio, "venues": s.venues,
                   "method": "the per-venue rules and hysteresis on the median trend and vol_ratio of the venues classified at the snapshot"}),
    );
    Ok(
        json!({"symbol": symbol, "overall": overall, "across_venues": across, "votes": votes, "venues": venues}),
    )
}

#[utoipa::path(get, path = "/forecast/{symbol}", tag = "features",
    params(("symbol" = String, Path, description = "e.g. BTCUSDT"),
        ("venue" = Option<String>, Query, description = "venue (default: the first that lists the symbol)"),
        ("horizon" = Option<u64>, Query, description = "steps ahead (default 12)"),
        ("interval" = Option<String>, Query, description = "bar interval: seconds or 30s / 1m / 1h (default 60)"),
        ("priority" = Option<String>, Query, description = "router priority: realtime, fast (default), balanced, accurate, research"),
        ("model" = Option<String>, Query, description = "a model of list_forecast_models instead of the router"),
        ("level" = Option<f64>, Query, description = "interval coverage (default 0.9)")),
    responses((status = 200, description = "forecast with interval per step, the model and why it was chosen"),
        (status = 404, description = "unknown symbol or venue"),
        (status = 503, description = "no forecasting plugin, or too little data yet")))]
async fn forecast(
    State(st): St,
    Path(symbol): Path<String>,
    Query(q): Query<crate::forecast::ForecastQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(crate::forecast::answer(&st, &symbol, &q).await?))
}

/// The OpenAPI document of the routes above, generated from their `#[utoipa::path]`
/// annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "orderflow",
        description = "Crypto market microstructure engine and tool server. Every tool is also served over MCP at /mcp."
    ),
    paths(
        health,
        list_tools,
        describe_tool,
        call_tool,
        features,
        exchanges,
        symbols,
        streaming_status,
        plugins,
        plugin_action,
        dashboard,
        crate::live::live,
        crate::live::settings,
        signals,
        regimes,
        forecast
    )
)]
pub(crate) struct ApiDoc;

/// `GET /openapi.json`: the generated document, plus one `POST /tools/<name>` operation per
/// registered tool with that tool's input schema as the request body, so HTTP clients see the
/// same catalogue as MCP clients.
async fn openapi(State(st): St) -> Json<Value> {
    use utoipa::OpenApi as _;
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for t in st.registry.list() {
            paths.insert(
                format!("/tools/{}", t.name),
                json!({"post": {
                    "tags": [format!("tool: {}", t.category)],
                    "operationId": t.name,
                    "summary": t.description,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": t.input_schema}}},
                    "responses": {
                        "200": {"description": "result", "content": {"application/json": {"schema": t.output_schema.clone().unwrap_or_else(|| json!({}))}}},
                        "400": {"description": "invalid arguments"},
                        "503": {"description": "no data yet"}
                    }
                }}),
            );
        }
    }
    Json(doc)
}
