//! `orderflow bench mcp`: a closed-loop load generator for MCP `tools/call` over streamable
//! HTTP. N concurrent clients (one keep-alive connection each) send stateless 2026-07-28
//! requests (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` headers and per-request `_meta`)
//! to any MCP server — orderflow or a peer — and the latency of every answered call goes into an
//! hdrhistogram. A call counts as ok when the answer is a JSON-RPC result without `isError`.
//!
//! With `session` each client speaks the session-based 2025-11-25 revision instead: it opens a
//! session first (`initialize`, then `notifications/initialized`, not measured) and sends its
//! calls with the session's `Mcp-Session-Id`, as clients of that era do.
//!
//! With `rate` the load is an **open loop** instead: the clients together start `rate` calls per
//! second on a fixed schedule (client `c` at `t0 + c/rate + k·N/rate`). When a client is still
//! waiting for its previous answer at a call's scheduled start, that call's latency is measured
//! from the scheduled start, so a server that falls behind is charged for the queueing it causes
//! (no coordinated omission). When the client was idle, it is measured from the moment the
//! client's timer fired: tokio's timers have millisecond granularity and fire up to a
//! millisecond after the instant asked for, a delay of the generator, not of the server (the
//! report gives that timer slack separately). Each client first makes one unmeasured call,
//! all at once (opening the connections); the schedule starts when all are answered.

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings.
#[derive(Clone, Debug)]
pub struct McpLoadArgs {
    /// Endpoint, e.g. `http://127.0.0.1:8000/mcp`.
    pub url: String,
    /// Tool to call.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// Clients in flight.
    pub concurrency: usize,
    /// Measured seconds.
    pub duration: f64,
    /// Open loop: calls per second over all clients (see the module docs); `None`: closed loop.
    pub rate: Option<f64>,
    /// Session-based 2025-11-25 clients instead of stateless 2026-07-28 requests.
    pub session: bool,
}

/// The protocol revision of session-based clients.
const SESSION_VERSION: &str = "2025-11-25";

/// One run.
#[derive(Clone, Debug, Serialize)]
pub struct McpLoadReport {
    /// Endpoint.
    pub url: String,
    /// Clients.
    pub concurrency: usize,
    /// Open loop: the calls per second asked for (`None`: closed loop).
    pub target_rate: Option<f64>,
    /// Open loop: calls that started more than 1 ms after their scheduled time, because their
    /// client was still waiting for its previous answer.
    pub late_starts: u64,
    /// Open loop: the slowest of the clients' first calls (made all at once, connection set-up
    /// included, not measured), µs.
    pub warmup_max_us: f64,
    /// Open loop: how late the clients' timers fired after a scheduled start when the client
    /// was idle (not counted in the latency), median and p99, µs.
    pub timer_slack_p50_us: f64,
    /// p99 of the timer slack.
    pub timer_slack_p99_us: f64,
    /// Calls answered with a result.
    pub ok: u64,
    /// Transport failures, JSON-RPC errors and `isError` results.
    pub errors: u64,
    /// ok / second.
    pub calls_per_sec: f64,
    /// Latency, µs.
    pub p50_us: f64,
    /// p90.
    pub p90_us: f64,
    /// p99.
    pub p99_us: f64,
    /// max.
    pub max_us: f64,
}

/// The request body of call `id`: everything but the id is rendered once.
#[derive(Debug)]
struct BodyTemplate {
    /// `{"method": …, "params": …}` without its opening brace.
    rest: String,
}

impl BodyTemplate {
    /// A stateless call carries its protocol version, capabilities and client in `_meta`; a
    /// call in a session does not (the session negotiated them).
    fn new(tool: &str, args: &Value, session: bool) -> Self {
        let rest = if session {
            json!({"method": "tools/call", "params": {"name": tool, "arguments": args}})
        } else {
            json!({"method": "tools/call", "params": {
            "name": tool, "arguments": args,
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {},
                      "io.modelcontextprotocol/clientInfo": {"name": "orderflow-bench", "version": "1"}}}})
        }
        .to_string();
        Self {
            rest: rest.get(1..).unwrap_or_default().to_owned(),
        }
    }

    fn render(&self, id: u64) -> Bytes {
        Bytes::from(format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},{}", self.rest))
    }
}

/// What a call's answer must show: a JSON-RPC result that is not an `isError` result. The
/// result's content is skipped, not built.
#[derive(Deserialize)]
struct Reply {
    result: Option<ReplyResult>,
}

#[derive(Deserialize)]
struct ReplyResult {
    #[serde(rename = "isError", default)]
    is_error: bool,
}

/// Whether an answer (plain JSON, or the `data:` lines of an SSE stream) is a result without
/// `isError`.
fn answered_ok(body: &[u8]) -> bool {
    if let Ok(r) = serde_json::from_slice::<Reply>(body) {
        return r.result.is_some_and(|r| !r.is_error);
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Reply>(d.trim()).ok())
        .find_map(|r| r.result)
        .is_some_and(|r| !r.is_error)
}

/// One client's keep-alive connection, hyper's HTTP/1 client without a pool: the generator
/// should spend as little of the machine as it can (with reqwest it took ~40 µs of CPU per
/// call, two thirds of what the server under test took).
struct Client {
    /// The request target in origin form (`/mcp`): the form a server must accept from a
    /// client that is not a proxy.
    path: http::Uri,
    authority: String,
    tool: String,
    body: Arc<BodyTemplate>,
    conn: Option<SendRequest<Full<Bytes>>>,
    /// Session-based clients: whether to open one, and its id once open.
    session: bool,
    session_id: Option<String>,
}

impl Client {
    fn new(a: &McpLoadArgs, body: Arc<BodyTemplate>) -> anyhow::Result<Self> {
        let url: http::Uri = a.url.parse()?;
        anyhow::ensure!(
            url.scheme_str() == Some("http"),
            "--url must be an http:// URL"
        );
        let authority = url
            .authority()
            .map(ToString::to_string)
            .ok_or_else(|| anyhow::anyhow!("--url has no host"))?;
        let path = url
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str)
            .parse()?;
        Ok(Self {
            path,
            authority,
            tool: a.tool.clone(),
            body,
            conn: None,
            session: a.session,
            session_id: None,
        })
    }

    /// One POST of `body` on `send`, with the session's headers when there is one.
    async fn post(
        &self,
        send: &mut SendRequest<Full<Bytes>>,
        body: Bytes,
        method: &str,
    ) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
        send.ready().await?;
        let mut req = http::Request::post(self.path.clone())
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json, text/event-stream");
        req = match &self.session_id {
            Some(id) => req
                .header("mcp-protocol-version", SESSION_VERSION)
                .header("mcp-session-id", id),
            None if self.session => req,
            None => req
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", method)
                .header("mcp-name", &self.tool),
        };
        Ok(send.send_request(req.body(Full::new(body))?).await?)
    }

    /// Opens a 2025-11-25 session: `initialize`, its `Mcp-Session-Id`, then
    /// `notifications/initialized`.
    async fn open_session(&mut self, send: &mut SendRequest<Full<Bytes>>) -> anyhow::Result<()> {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": SESSION_VERSION, "capabilities": {},
            "clientInfo": {"name": "orderflow-bench", "version": "1"}}});
        let resp = self
            .post(send, Bytes::from(init.to_string()), "initialize")
            .await?;
        let id = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("initialize answered without Mcp-Session-Id"))?;
        let status = resp.status();
        let _ = resp.into_body().collect().await?;
        anyhow::ensure!(status.is_success(), "initialize answered {status}");
        self.session_id = Some(id);
        let done = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let resp = self
            .post(
                send,
                Bytes::from(done.to_string()),
                "notifications/initialized",
            )
            .await?;
        let status = resp.status();
        let _ = resp.into_body().collect().await?;
        anyhow::ensure!(
            status.is_success(),
            "notifications/initialized answered {status}"
        );
        Ok(())
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let (send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(send)
    }

    /// One `tools/call`; true when answered with a result that is not an error. A failed
    /// connection is opened again on the next call.
    async fn call(&mut self, id: u64) -> bool {
        let r = self.try_call(id).await;
        if r.is_err() {
            self.conn = None;
        }
        r.unwrap_or(false)
    }

    async fn try_call(&mut self, id: u64) -> anyhow::Result<bool> {
        let mut send = match self.conn.take() {
            Some(c) if !c.is_closed() => c,
            _ => self.connect().await?,
        };
        if self.session && self.session_id.is_none() {
            self.open_session(&mut send).await?;
        }
        let resp = self
            .post(&mut send, self.body.render(id), "tools/call")
            .await?;
        if resp.status() == http::StatusCode::NOT_FOUND && self.session {
            // The session expired: open a new one on the next call.
            self.session_id = None;
        }
        let body = resp.into_body().collect().await?.to_bytes();
        self.conn = Some(send);
        Ok(answered_ok(&body))
    }
}

/// Runs the load.
///
/// # Errors
/// HTTP client construction.
pub async fn run(a: &McpLoadArgs) -> anyhow::Result<McpLoadReport> {
    if let Some(r) = a.rate {
        anyhow::ensure!(r.is_finite() && r > 0.0, "--rate must be a positive number");
    }
    let a = Arc::new(a.clone());
    let template = Arc::new(BodyTemplate::new(&a.tool, &a.args, a.session));
    let mut clients = Vec::with_capacity(a.concurrency);
    for _ in 0..a.concurrency {
        clients.push(Client::new(&a, template.clone())?);
    }
    // Open loop: every client makes one unmeasured call (opening its connection), all at once;
    // the schedule starts once all have been answered.
    let mut warmup_max_us = 0.0f64;
    if a.rate.is_some() {
        let mut warm = Vec::new();
        for (c, mut client) in clients.into_iter().enumerate() {
            warm.push(tokio::spawn(async move {
                let t = Instant::now();
                let _ = client.call((c as u64) << 32).await;
                (client, t.elapsed().as_secs_f64() * 1e6)
            }));
        }
        clients = Vec::with_capacity(a.concurrency);
        for w in warm {
            let (client, us) = w.await?;
            warmup_max_us = warmup_max_us.max(us);
            clients.push(client);
        }
    }
    let t0 = Instant::now() + Duration::from_millis(if a.rate.is_some() { 50 } else { 0 });
    let deadline = t0 + Duration::from_secs_f64(a.duration);
    let mut tasks = Vec::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let mut slack = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let mut idle_since = Instant::now();
            let (mut ok, mut errors, mut late, mut id) = (0u64, 0u64, 0u64, (c as u64) << 32);
            // Open loop: this client's schedule.
            let schedule = a.rate.map(|r| {
                let every = Duration::from_secs_f64(a.concurrency as f64 / r);
                (t0 + Duration::from_secs_f64(c as f64 / r), every)
            });
            let mut k = 0u32;
            loop {
                let t = match schedule {
                    Some((first, every)) => {
                        let at = first + every * k;
                        k += 1;
                        if at >= deadline {
                            break;
                        }
                        if idle_since > at {
                            // Still busy with the previous call: the server's delay.
                            if idle_since > at + Duration::from_millis(1) {
                                late += 1;
                            }
                            at
                        } else {
                            tokio::time::sleep_until(at.into()).await;
                            let fired = Instant::now();
                            if let Some(s) = slack.as_mut() {
                                let us = fired.saturating_duration_since(at).as_micros();
                                let _ = s.record(u64::try_from(us).unwrap_or(u64::MAX).max(1));
                            }
                            fired
                        }
                    }
                    None if Instant::now() < deadline => Instant::now(),
                    None => break,
                };
                id += 1;
                if client.call(id).await {
                    ok += 1;
                    if let Some(h) = h.as_mut() {
                        let _ = h.record(t.elapsed().as_micros().max(1) as u64);
                    }
                } else {
                    errors += 1;
                }
                idle_since = Instant::now();
            }
            (ok, errors, late, h, slack)
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut slack = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut ok, mut errors, mut late_starts) = (0, 0, 0);
    for t in tasks {
        let (o, e, l, h, s) = t.await?;
        ok += o;
        errors += e;
        late_starts += l;
        if let Some(h) = h {
            total.add(h)?;
        }
        if let Some(s) = s {
            slack.add(s)?;
        }
    }
    let secs = t0.elapsed().as_secs_f64().max(a.duration);
    Ok(McpLoadReport {
        url: a.url.clone(),
        concurrency: a.concurrency,
        target_rate: a.rate,
        late_starts,
        warmup_max_us,
        timer_slack_p50_us: slack.value_at_quantile(0.5) as f64,
        timer_slack_p99_us: slack.value_at_quantile(0.99) as f64,
        ok,
        errors,
        calls_per_sec: ok as f64 / secs,
        p50_us: total.value_at_quantile(0.5) as f64,
        p90_us: total.value_at_quantile(0.9) as f64,
        p99_us: total.value_at_quantile(0.99) as f64,
        max_us: total.max() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::{BodyTemplate, answered_ok};
    use serde_json::{Value, json};

    #[test]
    fn the_body_is_the_whole_request_with_its_id() {
        let t = BodyTemplate::new(
            "binance_get_book_ticker",
            &json!({"symbol": "BTCUSDT"}),
            false,
        );
        let v: Value = serde_json::from_slice(&t.render(42)).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], 42);
        assert_eq!(v["method"], "tools/call");
        assert_eq!(v["params"]["name"], "binance_get_book_ticker");
        assert_eq!(v["params"]["arguments"]["symbol"], "BTCUSDT");
        assert_eq!(
            v["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        let s = BodyTemplate::new("list_features", &json!({}), true);
        let v: Value = serde_json::from_slice(&s.render(7)).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["params"]["name"], "list_features");
        assert!(
            v["params"].get("_meta").is_none(),
            "a session negotiated it"
        );
    }

    #[test]
    fn only_a_result_without_is_error_counts_as_answered() {
        let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{}"}],"structuredContent":{"bid":1}}}"#;
        assert!(answered_ok(ok));
        let failed = br#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#;
        assert!(!answered_ok(failed));
        let error = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#;
        assert!(!answered_ok(error));
        assert!(!answered_ok(b"not json"));
        let sse =
            b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}\n\n";
        assert!(answered_ok(sse));
        let sse_error = b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"isError\":true}}\n\n";
        assert!(!answered_ok(sse_error));
    }
}
