//! `GET /live`: the dashboard's live stream (server-sent events). Every `interval_ms` the server
//! pushes one `snapshot` event with the requested topics for one symbol (and venue), read from
//! the engine's in-memory stores — the same JSON the REST routes answer, so a page never polls
//! each tool. Streams are capped (`server.max_live_streams`), end at shutdown, and each refused
//! one is counted (`limits.http.live_streams_refused` in `/streaming/status`).
//!
//! Topics: `status` (streaming status and health), `features` (one venue), `features_all` (the
//! feature values and their time for every venue that lists the symbol; `null` before data), `signals`, `regimes`, `cross`
//! (cross-venue features), `book` (top 20 levels and the last 30 trades of one venue),
//! `latency` (the engine's frame→feature latency histogram, last minute and since start).

use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use orderflow_plugin_host::now_ns;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Every topic `GET /live` knows.
pub const TOPICS: &[&str] = &[
    "status",
    "features",
    "features_all",
    "signals",
    "regimes",
    "cross",
    "book",
    "latency",
];

/// Query parameters of `GET /live`.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// Symbol (required by every topic but `status` and `latency`).
    pub symbol: Option<String>,
    /// Venue (default: the first venue that lists the symbol).
    pub venue: Option<String>,
    /// Comma-separated topics (default `status`).
    pub topics: Option<String>,
    /// Milliseconds between snapshots, 250–10,000 (default 1,000).
    pub interval_ms: Option<u64>,
}

/// A validated request.
#[derive(Clone, Debug)]
struct Plan {
    symbol: Option<String>,
    venue: Option<String>,
    topics: Vec<&'static str>,
}

fn plan(st: &AppState, q: &LiveQuery) -> Result<Plan, ApiError> {
    let mut topics = Vec::new();
    for t in q.topics.as_deref().unwrap_or("status").split(',') {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        let known = TOPICS.iter().find(|k| **k == t).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown topic {:?}; topics: {}",
                t.chars().take(64).collect::<String>(),
                TOPICS.join(", ")
            ))
        })?;
        if !topics.contains(known) {
            topics.push(*known);
        }
    }
    if topics.is_empty() {
        return Err(ApiError::BadRequest("no topic requested".into()));
    }
    let symbol = q.symbol.as_ref().map(|s| s.to_ascii_uppercase());
    let needs_symbol = topics.iter().any(|t| !matches!(*t, "status" | "latency"));
    let symbol = match symbol {
        Some(s) => {
            if !st.universe.iter().any(|i| i.symbol == s) {
                return Err(ApiError::NotFound(format!("{s} is not configured")));
            }
            Some(s)
        }
        None if needs_symbol => {
            return Err(ApiError::BadRequest(
                "symbol is required for these topics".into(),
            ));
        }
        None => None,
    };
    let venue = match (&symbol, &q.venue) {
        (Some(s), Some(v)) => {
            if st.universe.find(v, s).is_none() {
                return Err(ApiError::NotFound(format!("{s} is not configured on {v}")));
            }
            Some(v.clone())
        }
        (Some(s), None) => st
            .universe
            .iter()
            .find(|i| &i.symbol == s)
            .map(|i| i.venue.clone()),
        (None, _) => None,
    };
    Ok(Plan {
        symbol,
        venue,
        topics,
    })
}

/// Buckets `[upper bound µs, count]` of a latency histogram (ns), doubling from 1 µs.
fn buckets(h: &hdrhistogram::Histogram<u64>) -> Vec<[f64; 2]> {
    if h.is_empty() {
        return Vec::new();
    }
    h.iter_log(1_000, 2.0)
        .map(|v| {
            [
                v.value_iterated_to() as f64 / 1e3,
                v.count_since_last_iteration() as f64,
            ]
        })
        .collect()
}

fn book_json(st: &AppState, venue: &str, symbol: &str) -> Value {
    let mut out = Map::new();
    for (part, kind, limit) in [("book", "book", 20), ("trades", "trades", 30)] {
        let req =
            json!({"op": "live", "venue": venue, "symbol": symbol, "kind": kind, "limit": limit});
        out.insert(
            part.into(),
            st.live
                .query_value(&req)
                .unwrap_or_else(|e| json!({"error": e.to_string()})),
        );
    }
    Value::Object(out)
}

/// One snapshot of `plan`'s topics; a topic that fails is under `errors` with the reason.
fn snapshot(st: &AppState, plan: &Plan) -> Value {
    let mut topics = Map::new();
    let mut errors = Map::new();
    let symbol = plan.symbol.as_deref().unwrap_or_default();
    let venue = plan.venue.as_deref();
    for t in &plan.topics {
        let v: Result<Value, ApiError> = match *t {
            "status" => {
                let mut s = crate::routes::streaming_json(st);
                s["uptime_s"] = json!(st.started.elapsed().as_secs_f64());
                s["storage_enabled"] = json!(st.history.is_some());
                Ok(s)
            }
            "features" => crate::routes::features_json(st, symbol, venue, |_| true),
            "features_all" => {
                let venues: Map<String, Value> = st
                    .universe
                    .iter()
                    .filter(|i| i.symbol == symbol)
                    .map(|i| {
                        let values = st.features.get(i.id).map(|fv| {
                            let values: Map<_, _> = fv
                                .values
                                .iter()
                                .map(|(id, v)| (id.name().to_owned(), json!(v)))
                                .collect();
                            json!({"time_ns": fv.time, "values": values})
                        });
                        (i.venue.clone(), json!(values))
                    })
                    .collect();
                Ok(json!({"symbol": symbol, "venues": venues}))
            }
            "signals" => crate::routes::signals_json(st, symbol, venue),
            "regimes" => crate::routes::regimes_json(st, symbol, None),
            "cross" => crate::cross_tools::cross_venue_json(st, symbol),
            "book" => Ok(venue.map_or(Value::Null, |v| book_json(st, v, symbol))),
            "latency" => {
                let minute = buckets(&st.engine.latency_minute.lock().last);
                let total = buckets(&st.engine.latency_ns.lock());
                Ok(
                    json!({"unit": "µs (upper bound of each bucket)", "last_minute": minute, "since_start": total}),
                )
            }
            _ => Err(ApiError::BadRequest(format!("unknown topic {t}"))),
        };
        match v {
            Ok(v) => {
                topics.insert((*t).to_owned(), v);
            }
            Err(e) => {
                errors.insert((*t).to_owned(), json!(e.to_string()));
            }
        }
    }
    json!({"time_ns": now_ns(), "symbol": plan.symbol, "venue": plan.venue,
           "topics": topics, "errors": errors})
}

/// Decrements the open-stream count when a stream ends (client gone or shutdown).
struct OpenStream(Arc<crate::LimitCounters>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.live_streams_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /live?symbol=&venue=&topics=&interval_ms=`.
#[utoipa::path(get, path = "/live", tag = "features",
    params(("symbol" = Option<String>, Query, description = "e.g. BTCUSDT (required but for status/latency)"),
        ("venue" = Option<String>, Query, description = "venue for features/book/signals (default: the first listing the symbol)"),
        ("topics" = Option<String>, Query, description = "comma-separated: status, features, features_all, signals, regimes, cross, book, latency"),
        ("interval_ms" = Option<u64>, Query, description = "between snapshots, 250–10000 (default 1000)")),
    responses((status = 200, description = "text/event-stream of `snapshot` events: {time_ns, symbol, venue, topics, errors}"),
        (status = 400, description = "unknown topic, missing symbol"), (status = 404, description = "symbol or pair not configured"),
        (status = 429, description = "too many open live streams (server.max_live_streams)")))]
pub(crate) async fn live(State(st): State<Arc<AppState>>, Query(q): Query<LiveQuery>) -> Response {
    let plan = match plan(&st, &q) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let limits = st.limits.clone();
    let max = st.options.max_live_streams as u64;
    if limits
        .live_streams_open
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < max).then_some(n + 1)
        })
        .is_err()
    {
        limits.live_streams_refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::Tool(orderflow_plugin_host::ToolError::Busy(format!(
            "{max} live streams are open (server.max_live_streams); close one and retry"
        )))
        .into_response();
    }
    let open = OpenStream(limits);
    let every = Duration::from_millis(q.interval_ms.unwrap_or(1_000).clamp(250, 10_000));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = st.options.shutdown.clone();
    let stream = futures_util::stream::unfold(
        (st, plan, ticker, shutdown, open),
        |(st, plan, mut ticker, shutdown, open)| async move {
            tokio::select! {
                _ = ticker.tick() => {}
                () = shutdown.cancelled() => return None,
            }
            let data = snapshot(&st, &plan);
            let event = Event::default()
                .event("snapshot")
                .json_data(&data)
                .unwrap_or_else(|e| Event::default().event("error").data(e.to_string()));
            Some((
                Ok::<_, Infallible>(event),
                (st, plan, ticker, shutdown, open),
            ))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Masks the values of secret-looking keys (token, secret, password, passphrase, API key,
/// private key) anywhere in `v`.
pub fn mask_secrets(v: &mut Value) {
    const SECRET: &[&str] = &[
        "token",
        "secret",
        "password",
        "passphrase",
        "api_key",
        "apikey",
        "private",
        "credential",
    ];
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let key = k.to_ascii_lowercase();
                if SECRET.iter().any(|s| key.contains(s)) && !x.is_null() {
                    *x = json!("••• (set, hidden)");
                } else {
                    mask_secrets(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

/// `GET /settings`: the running configuration (secrets masked), read-only, with the plugins and
/// whether each is enabled.
#[utoipa::path(get, path = "/settings", tag = "system", responses((status = 200, description = "configuration with secrets masked, server limits, plugins")))]
pub(crate) async fn settings(State(st): State<Arc<AppState>>) -> axum::Json<Value> {
    let o = &st.options;
    let enabled: std::collections::BTreeMap<String, bool> =
        st.registry.plugins().into_iter().collect();
    let plugins: Vec<Value> = st
        .plugins
        .iter()
        .map(|p| {
            json!({"name": p.name, "version": p.version, "sdk_version": p.sdk_version,
                   "venues": p.venues, "tools": p.tools,
                   "enabled": enabled.get(&p.name).copied().unwrap_or(true)})
        })
        .collect();
    let mut config = o.config_view.clone();
    mask_secrets(&mut config);
    axum::Json(json!({
        "config": config,
        "server": {
            "auth": if o.bearer_token.is_some() { "bearer token required" } else { "none (loopback only)" },
            "allowed_hosts": o.allowed_hosts, "allowed_origins": o.allowed_origins,
            "max_body_bytes": o.max_body_bytes, "max_json_depth": o.max_json_depth,
            "mcp_max_sessions": o.mcp_max_sessions, "mcp_session_idle_s": o.mcp_session_idle.as_secs(),
            "max_connections": o.max_connections, "max_live_streams": o.max_live_streams,
        },
        "storage": st.history.is_some(),
        "symbols": st.universe.iter().map(|i| json!({"venue": i.venue, "symbol": i.symbol})).collect::<Vec<_>>(),
        "plugins": plugins,
        "tools": st.registry.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_at_any_depth() {
        let mut v = json!({"server": {"auth_token": "s3cret", "bind": "127.0.0.1:8000"},
                           "venues": {"okx": {"api_key": "k", "Passphrase": "p", "depth": 5,
                                              "private_key_path": null}}});
        mask_secrets(&mut v);
        let text = v.to_string();
        assert!(!text.contains("s3cret") && !text.contains("\"k\"") && !text.contains("\"p\""));
        assert_eq!(v["server"]["bind"], "127.0.0.1:8000");
        assert_eq!(v["venues"]["okx"]["depth"], 5);
        assert!(
            v["venues"]["okx"]["private_key_path"].is_null(),
            "unset stays unset"
        );
    }
}
