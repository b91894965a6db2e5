//! `GET /metrics`: Prometheus text exposition (prometheus-client's encoder), read at scrape time
//! from the same counters `/streaming/status` shows, so the two never disagree and the hot paths
//! pay nothing extra. Counter names get their `_total` suffix from the encoder. Request counts per (route template, method, status) are kept by the
//! [`count_requests`] middleware; routes are axum's matched templates (`/tools/{name}`), so the
//! label set stays bounded whatever clients send.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Error as FmtError;
use std::sync::{Arc, Weak};
use std::time::Instant;

/// Upper bounds (seconds) of the receive → feature latency histogram's buckets.
pub const LATENCY_BUCKETS_S: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

/// An hdrhistogram of ns put into the fixed buckets (seconds): `(buckets, sum, count)`.
fn fixed_buckets(h: &hdrhistogram::Histogram<u64>) -> (Vec<(f64, u64)>, f64, u64) {
    let mut per = vec![0u64; LATENCY_BUCKETS_S.len() + 1];
    let mut sum = 0.0;
    for v in h.iter_recorded() {
        #[allow(clippy::cast_precision_loss)]
        let s = v.value_iterated_to() as f64 / 1e9;
        let n = v.count_at_value();
        #[allow(clippy::cast_precision_loss)]
        {
            sum += s * n as f64;
        }
        let i = LATENCY_BUCKETS_S
            .iter()
            .position(|&b| s <= b)
            .unwrap_or(LATENCY_BUCKETS_S.len());
        if let Some(c) = per.get_mut(i) {
            *c += n;
        }
    }
    let mut buckets: Vec<(f64, u64)> = LATENCY_BUCKETS_S
        .iter()
        .copied()
        .zip(per.iter().copied())
        .collect();
    buckets.push((f64::MAX, per.last().copied().unwrap_or(0))); // the encoder writes f64::MAX as +Inf
    (buckets, sum, h.len())
}

/// Most distinct (route, method, status) keys kept; more are counted under `route="other"`.
const MAX_REQUEST_KEYS: usize = 512;

/// (route template, method, status).
type RequestKey = (String, String, u16);

/// Requests per (route template, method, status): count and total seconds.
#[derive(Debug, Default)]
pub struct RequestCounters(Mutex<BTreeMap<RequestKey, (u64, f64)>>);

impl RequestCounters {
    fn add(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut m = self.0.lock();
        let key = (route.to_owned(), method.to_owned(), status);
        let key = if m.len() >= MAX_REQUEST_KEYS && !m.contains_key(&key) {
            ("other".to_owned(), method.to_owned(), status)
        } else {
            key
        };
        let e = m.entry(key).or_default();
        e.0 += 1;
        e.1 += seconds;
    }
}

/// Counts every request by its matched route, method and final status (outermost layer, so
/// refusals by the guard count too).
pub(crate) async fn count_requests(
    State(st): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(
        || {
            if req.uri().path().starts_with("/mcp") {
                "/mcp".to_owned()
            } else {
                "unmatched".to_owned()
            }
        },
        |p| p.as_str().to_owned(),
    );
    let method = req.method().as_str().to_owned();
    let t0 = Instant::now();
    let resp = next.run(req).await;
    st.requests.add(
        &route,
        &method,
        resp.status().as_u16(),
        t0.elapsed().as_secs_f64(),
    );
    resp
}

/// The collector: holds the state weakly (the state owns the registry).
#[derive(Debug)]
struct StateCollector(Weak<AppState>);

/// One metric family: a single unlabelled series is written as `name v` (not `name{} v`).
fn encode_series(
    e: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    ty: MetricType,
    series: &[(Vec<(&str, String)>, f64)],
) -> Result<(), FmtError> {
    let one = |v: f64, m: prometheus_client::encoding::MetricEncoder<'_>| match ty {
        MetricType::Counter => ConstCounter::new(v).encode(m),
        _ => ConstGauge::new(v).encode(m),
    };
    let mut m = e.encode_descriptor(name, help, None, ty)?;
    if let [(labels, v)] = series
        && labels.is_empty()
    {
        return one(*v, m);
    }
    for (labels, v) in series {
        one(*v, m.encode_family(labels)?)?;
    }
    Ok(())
}

fn enc_counter(
    e: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: &[(Vec<(&str, String)>, f64)],
) -> Result<(), FmtError> {
    encode_series(e, name, help, MetricType::Counter, series)
}

fn enc_gauge(
    e: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: &[(Vec<(&str, String)>, f64)],
) -> Result<(), FmtError> {
    encode_series(e, name, help, MetricType::Gauge, series)
}

fn num(v: &Value, key: &str) -> f64 {
    match v.get(key) {
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(x) => x.as_f64().unwrap_or(0.0),
        None => 0.0,
    }
}

/// Per-venue counters: (status key, metric name, help).
const VENUE_COUNTERS: [(&str, &str, &str); 9] = [
    (
        "frames",
        "orderflow_venue_frames",
        "WebSocket frames received",
    ),
    (
        "events",
        "orderflow_venue_events",
        "normalized events decoded",
    ),
    ("gaps", "orderflow_venue_gaps", "sequence gaps detected"),
    (
        "resyncs",
        "orderflow_venue_resyncs",
        "book resynchronisations",
    ),
    ("reconnects", "orderflow_venue_reconnects", "reconnections"),
    (
        "connect_failures",
        "orderflow_venue_connect_failures",
        "failed connection attempts",
    ),
    (
        "decode_errors",
        "orderflow_venue_decode_errors",
        "frames or REST answers that could not be decoded",
    ),
    (
        "rejected_events",
        "orderflow_venue_rejected_events",
        "decoded events refused by the host (unknown symbol, invalid values)",
    ),
    (
        "http_requests",
        "orderflow_venue_rest_requests",
        "REST requests made for the venue",
    ),
];

const STORAGE_COUNTERS: [(&str, &str, &str); 6] = [
    (
        "rows_written",
        "orderflow_storage_rows_written",
        "rows committed to DuckDB",
    ),
    (
        "rows_dropped",
        "orderflow_storage_rows_dropped",
        "rows of failed flushes (recorded as gaps)",
    ),
    ("flushes", "orderflow_storage_flushes", "flushes"),
    (
        "queue_dropped",
        "orderflow_storage_queue_dropped",
        "messages refused by the full writer queue (recorded as gaps)",
    ),
    (
        "gaps_recorded",
        "orderflow_storage_gap_records",
        "incomplete intervals recorded (a lost batch per instrument, a resync, a disconnect …), before they merge into gaps table rows",
    ),
    (
        "reopened",
        "orderflow_storage_reopened",
        "times the database was opened again after a failure",
    ),
];

impl StateCollector {
    fn venues(st: &AppState, e: &mut DescriptorEncoder<'_>) -> Result<(), FmtError> {
        let now = orderflow_plugin_host::now_ns();
        let venues: Vec<Value> = st.venues.iter().map(|s| s.to_json(now)).collect();
        let label = |v: &Value| vec![("venue", v["venue"].as_str().unwrap_or("").to_owned())];
        for (key, name, help) in VENUE_COUNTERS {
            let series: Vec<_> = venues.iter().map(|v| (label(v), num(v, key))).collect();
            enc_counter(e, name, help, &series)?;
        }
        let mut notices = Vec::new();
        for v in &venues {
            if let Some(m) = v["notices"].as_object() {
                for (kind, n) in m {
                    let mut l = label(v);
                    l.push(("kind", kind.clone()));
                    notices.push((l, n.as_f64().unwrap_or(0.0)));
                }
            }
        }
        enc_counter(
            e,
            "orderflow_venue_notices",
            "codec notices by kind (gaps, resyncs, checksum mismatches, stale drops, …)",
            &notices,
        )?;
        let gauge = |key: &str, scale: f64| -> Vec<_> {
            venues
                .iter()
                .map(|v| (label(v), num(v, key) * scale))
                .collect()
        };
        enc_gauge(
            e,
            "orderflow_venue_connected",
            "1 while every planned connection is open",
            &gauge("connected", 1.0),
        )?;
        enc_gauge(
            e,
            "orderflow_venue_connections_open",
            "open connections",
            &gauge("connections_open", 1.0),
        )?;
        enc_gauge(
            e,
            "orderflow_venue_last_message_age_seconds",
            "seconds since the venue's last frame",
            &gauge("last_message_age_ms", 1e-3),
        )?;
        enc_gauge(
            e,
            "orderflow_venue_messages_per_second",
            "frames per second (recent)",
            &gauge("msgs_per_sec", 1.0),
        )
    }

    fn engine(st: &AppState, e: &mut DescriptorEncoder<'_>) -> Result<(), FmtError> {
        use std::sync::atomic::Ordering::Relaxed;
        let m = &st.engine;
        let none = Vec::new;
        for (name, help, v) in [
            (
                "orderflow_engine_events",
                "events entered into the dataflow",
                m.events.load(Relaxed),
            ),
            (
                "orderflow_engine_batches",
                "dataflow steps",
                m.batches.load(Relaxed),
            ),
            (
                "orderflow_engine_dropped_events",
                "events dropped at the full engine queue (recorded as gaps)",
                m.dropped_events.load(Relaxed),
            ),
            (
                "orderflow_engine_late_events",
                "events that arrived behind engine time",
                m.late_events.load(Relaxed),
            ),
        ] {
            #[allow(clippy::cast_precision_loss)]
            enc_counter(e, name, help, &[(none(), v as f64)])?;
        }
        for (name, help, v) in [
            (
                "orderflow_engine_queue_depth",
                "commands waiting in the engine's input queue",
                m.queue_depth.load(Relaxed),
            ),
            (
                "orderflow_engine_snapshot_queue_depth",
                "feature snapshots waiting for their consumer",
                m.snapshot_queue_depth.load(Relaxed),
            ),
        ] {
            #[allow(clippy::cast_precision_loss)]
            enc_gauge(e, name, help, &[(none(), v as f64)])?;
        }
        for (hist, name, help) in [
            (
                &m.latency_ns,
                "orderflow_engine_latency_seconds",
                "receive → feature-visible latency of every event",
            ),
            (
                &m.grid_ns,
                "orderflow_engine_grid_cut_seconds",
                "wall time of each grid cut (snapshot), during which the engine takes no input",
            ),
        ] {
            let (buckets, sum, count) = fixed_buckets(&hist.lock());
            let mut me = e.encode_descriptor(name, help, None, MetricType::Histogram)?;
            me.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                sum, count, &buckets, None,
            )?;
        }
        Ok(())
    }

    fn storage(st: &AppState, e: &mut DescriptorEncoder<'_>) -> Result<(), FmtError> {
        let none = Vec::new;
        if let Some(s) = &st.sink_stats {
            let v = s.to_json();
            for (key, name, help) in STORAGE_COUNTERS {
                enc_counter(e, name, help, &[(none(), num(&v, key))])?;
            }
            enc_counter(
                e,
                "orderflow_storage_flush_seconds",
                "time spent in flushes that wrote rows",
                &[(none(), num(&v, "flush_seconds_total"))],
            )?;
            enc_gauge(
                e,
                "orderflow_storage_last_flush_seconds",
                "duration of the last flush",
                &[(none(), num(&v, "last_flush_ms") * 1e-3)],
            )?;
            enc_gauge(
                e,
                "orderflow_storage_queue_depth",
                "messages waiting in the writer's queue",
                &[(none(), num(&v, "queue_depth"))],
            )?;
            enc_gauge(
                e,
                "orderflow_storage_duckdb_memory_bytes",
                "memory held by DuckDB's buffer manager (duckdb_memory(); bounded by storage.memory_limit)",
                &[(none(), num(&v, "duckdb_memory_bytes"))],
            )?;
            enc_gauge(
                e,
                "orderflow_storage_duckdb_temp_bytes",
                "temporary storage DuckDB spilled to disk (duckdb_memory())",
                &[(none(), num(&v, "duckdb_temp_bytes"))],
            )?;
            enc_gauge(
                e,
                "orderflow_storage_available",
                "1 while the database is open for writing",
                &[(none(), num(&v, "available"))],
            )?;
        }
        if let Some(h) = &st.history {
            let v = h.counters().to_json();
            let series: Vec<_> = v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, n)| (vec![("outcome", k.clone())], n.as_f64().unwrap_or(0.0)))
                .collect();
            enc_counter(
                e,
                "orderflow_history_queries",
                "history queries by outcome (started, completed, timed_out, busy, cancelled, …)",
                &series,
            )?;
        }
        Ok(())
    }

    fn http(st: &AppState, e: &mut DescriptorEncoder<'_>) -> Result<(), FmtError> {
        let limits = st.limits.to_json();
        let series: Vec<_> = limits
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, n)| (vec![("limit", k.clone())], n.as_f64().unwrap_or(0.0)))
            .collect();
        enc_counter(
            e,
            "orderflow_http_limit_hits",
            "requests refused or cut by a server limit",
            &series,
        )?;
        let (per_tool, unknown) = st.registry.call_counts();
        #[allow(clippy::cast_precision_loss)]
        let calls: Vec<_> = per_tool
            .into_iter()
            .map(|(tool, outcome, n)| {
                (
                    vec![("tool", tool), ("outcome", outcome.to_owned())],
                    n as f64,
                )
            })
            .collect();
        enc_counter(
            e,
            "orderflow_tool_calls",
            "tool calls that reached the tool registry (HTTP, MCP, internal) by tool and outcome: ok, an error code, or cancelled (dropped before an answer); an MCP call whose tool fails is still HTTP 200",
            &calls,
        )?;
        #[allow(clippy::cast_precision_loss)]
        enc_counter(
            e,
            "orderflow_tool_unknown_calls",
            "tool calls that reached the registry naming no enabled tool (an HTTP call of one is refused before, as a 404)",
            &[(Vec::new(), unknown as f64)],
        )?;
        #[allow(clippy::cast_precision_loss)]
        enc_counter(
            e,
            "orderflow_mcp_fast_path_calls",
            "MCP tools/call requests answered directly instead of through rmcp's per-request service",
            &[(
                Vec::new(),
                st.mcp_fast_calls.load(std::sync::atomic::Ordering::Relaxed) as f64,
            )],
        )?;
        let snapshot: Vec<_> = st
            .requests
            .0
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let labels = |(route, method, status): &RequestKey| {
            vec![
                ("route", route.clone()),
                ("method", method.clone()),
                ("status", status.to_string()),
            ]
        };
        #[allow(clippy::cast_precision_loss)]
        let counts: Vec<_> = snapshot
            .iter()
            .map(|(k, v)| (labels(k), v.0 as f64))
            .collect();
        enc_counter(
            e,
            "orderflow_http_requests",
            "HTTP and MCP requests by route template, method and status",
            &counts,
        )?;
        let secs: Vec<_> = snapshot.iter().map(|(k, v)| (labels(k), v.1)).collect();
        enc_counter(
            e,
            "orderflow_http_request_seconds",
            "time spent answering, by route template, method and status",
            &secs,
        )
    }
}

impl Collector for StateCollector {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> Result<(), FmtError> {
        let Some(st) = self.0.upgrade() else {
            return Ok(());
        };
        enc_gauge(
            &mut e,
            "orderflow_uptime_seconds",
            "seconds since start",
            &[(Vec::new(), st.started.elapsed().as_secs_f64())],
        )?;
        Self::venues(&st, &mut e)?;
        Self::engine(&st, &mut e)?;
        Self::storage(&st, &mut e)?;
        if let Some(probe) = st.memory {
            let reading = probe();
            let series: Vec<_> = reading
                .parts
                .into_iter()
                .map(|(part, v)| (vec![("part", part.to_owned())], v))
                .collect();
            enc_gauge(
                &mut e,
                "orderflow_process_memory_bytes",
                "the process's memory by part: rss, rss_anon, rss_file, rust_heap_committed, duckdb_heap_*, glibc_heap_*",
                &series,
            )?;
            if !reading.plugin_heaps.is_empty() {
                let series: Vec<_> = reading
                    .plugin_heaps
                    .into_iter()
                    .map(|(plugin, v)| (vec![("plugin", plugin)], v))
                    .collect();
                enc_gauge(
                    &mut e,
                    "orderflow_plugin_heap_bytes",
                    "live heap bytes of each plugin library that counts its heap (inside glibc_heap_allocated)",
                    &series,
                )?;
            }
        }
        Self::http(&st, &mut e)
    }
}

/// The text of one scrape.
pub(crate) fn render(st: &Arc<AppState>) -> Result<String, FmtError> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(StateCollector(Arc::downgrade(st))));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    match render(&st) {
        Ok(text) => (
            [(
                CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be encoded",
        )
            .into_response(),
    }
}
