//! Hardening of the serving side, against a running demo on loopback: history queries are
//! governed (time limit → 422, concurrency → 429, a client that goes away or an MCP
//! `notifications/cancelled` cancels its query)
//! while health, live tools and MCP keep answering; adversarial HTTP/MCP inputs get a clear 4xx
//! (or 503 at the session cap), are counted, and leave the server serving.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::{mcp_stateless, meta_2026, start_demo_with, stateless_call, wait_for};

/// Runs until interrupted.
const ENDLESS: &str = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                       SELECT count(*) FROM r";

async fn status(c: &reqwest::Client, base: &str) -> Value {
    c.get(format!("{base}/streaming/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until the demo at `base` has a Binance BTCUSDT book (live tools need one).
async fn wait_for_book(c: &reqwest::Client, base: &str) {
    wait_for(Duration::from_secs(60), || async {
        let r = c
            .post(format!("{base}/tools/binance_get_orderbook"))
            .json(&json!({"symbol": "BTCUSDT", "depth": 5}))
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())
    })
    .await
    .expect("a BTCUSDT book");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_queries_are_interrupted_refused_and_cancelled_while_the_rest_answers() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_demo_with(Some(dir.path()), 300.0, |cfg| {
        cfg.storage.queries.timeout_ms = 4_000;
        cfg.storage.queries.max_concurrent = 1;
        cfg.storage.queries.queue_wait_ms = 200;
    })
    .await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    let q = |sql: &str| json!({"sql": sql, "limit": 10});
    // Data first (a live tool needs a book).
    wait_for_book(&c, &base).await;

    // The heaviest query there is: it runs until the watchdog interrupts it.
    let heavy = {
        let (c, base, body) = (c.clone(), base.clone(), q(ENDLESS));
        tokio::spawn(async move {
            let t0 = Instant::now();
            let r = c
                .post(format!("{base}/tools/query_history"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap(),
                t0.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Meanwhile: the only read connection is busy → 429 at once, not a queue.
    let r = c
        .post(format!("{base}/tools/query_history"))
        .json(&q("SELECT 1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "busy", "{v}");
    // … and health, a live tool and MCP's tool list answer.
    for _ in 0..3 {
        let t0 = Instant::now();
        let h = c.get(format!("{base}/health")).send().await.unwrap();
        assert!(h.status().is_success());
        let b = c
            .post(format!("{base}/tools/binance_get_orderbook"))
            .json(&json!({"symbol": "BTCUSDT", "depth": 5.0}))
            .send()
            .await
            .unwrap();
        // `5.0` is an integer to JSON Schema, so it is one to the tool too.
        assert!(b.status().is_success(), "{}", b.text().await.unwrap());
        let b: Value = b.json().await.unwrap();
        assert_eq!(b["data"]["bids"].as_array().unwrap().len(), 5, "{b}");
        // A liveness bound, not a speed target: a blocked server would take seconds.
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }
    let (code, body, took) = heavy.await.unwrap();
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["error"]["code"], "limit_exceeded", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time limit"),
        "{body}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");

    // A client that goes away: its query is interrupted long before the time limit.
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gone = short
        .post(format!("{base}/tools/query_history"))
        .json(&q(ENDLESS))
        .send()
        .await;
    assert!(gone.is_err(), "the client timed out");
    let cancelled = wait_for(Duration::from_secs(3), || async {
        let s = status(&c, &base).await;
        let n = s["limits"]["history_queries"]["cancelled"].as_u64()?;
        (n >= 1).then_some(s)
    })
    .await
    .expect("the query of a client that went away is cancelled");
    let hq = &cancelled["limits"]["history_queries"];
    assert_eq!(hq["timed_out"], 1, "{hq}");
    assert!(hq["busy"].as_u64().unwrap() >= 1, "{hq}");

    // MCP: `notifications/cancelled` for a running tools/call interrupts its query too.
    let init = c
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize("cancel-test"))
        .send()
        .await
        .unwrap();
    assert!(init.status().is_success());
    let sid = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = init.text().await;
    let session_post = |body: Value| {
        c.post(format!("{base}/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &sid)
            .header("mcp-protocol-version", "2025-11-25")
            .body(body.to_string())
            .send()
    };
    let r = session_post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await
        .unwrap();
    assert!(r.status().is_success());
    let call = tokio::spawn(session_post(
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "query_history", "arguments": q(ENDLESS)}}),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let r = session_post(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 7, "reason": "test"}}),
    )
    .await
    .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let after_mcp = wait_for(Duration::from_secs(3), || async {
        let s = status(&c, &base).await;
        let n = s["limits"]["history_queries"]["cancelled"].as_u64()?;
        (n >= 2).then_some(s)
    })
    .await
    .expect("the cancelled MCP call's query is interrupted");
    // Well before the 4 s time limit, and not counted as a timeout.
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        after_mcp["limits"]["history_queries"]["timed_out"], 1,
        "{after_mcp}"
    );
    call.abort();
    // The pool is free again.
    let r = c
        .post(format!("{base}/tools/query_history"))
        .json(&q("SELECT count(*) AS n FROM trades"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    running.shutdown().await.unwrap();
}

/// Sends raw bytes, returns the status code of the answer (0 when the server closed).
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A server may answer (and stop reading) before the whole request is sent.
    let _ = s.write_all(request);
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if got.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

async fn mcp_post(c: &reqwest::Client, base: &str, body: Vec<u8>, ctype: &str) -> (u16, Value) {
    let r = c
        .post(format!("{base}/mcp"))
        .header("authorization", "Bearer t0k")
        .header("content-type", ctype)
        .header("accept", "application/json, text/event-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn initialize(name: &str) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": name, "version": "1"}}})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adversarial_http_and_mcp_inputs_get_clear_4xx_and_are_counted() {
    let running = start_demo_with(None, 100.0, |cfg| {
        cfg.server.auth_token = Some("t0k".into());
        cfg.server.mcp_max_sessions = 3;
        cfg.server.header_read_timeout_s = 1;
        cfg.server.max_connections = 48;
    })
    .await;
    let addr = running.http_addr;
    let base = format!("http://{addr}");
    let c = reqwest::Client::new();

    // Tokens: the scheme in any case; a wrong or missing token is 401; /health is open.
    for (auth, want) in [
        (None, 401),
        (Some("Bearer nope"), 401),
        (Some("Bearer t0k"), 200),
        (Some("bearer t0k"), 200),
    ] {
        let mut r = c.get(format!("{base}/tools"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        assert_eq!(r.send().await.unwrap().status().as_u16(), want, "{auth:?}");
    }
    assert_eq!(
        c.get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Host and Origin fail closed: foreign, repeated or not text.
    let auth = "Authorization: Bearer t0k\r\n";
    for (what, req) in [
        ("foreign host", format!("GET /tools HTTP/1.1\r\nHost: evil.example\r\n{auth}\r\n").into_bytes()),
        ("two hosts", format!("GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n{auth}\r\n").into_bytes()),
        ("foreign origin", format!("GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n{auth}\r\n").into_bytes()),
        ("two origins", format!("GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:1\r\nOrigin: http://evil.example\r\n{auth}\r\n").into_bytes()),
        ("non-UTF-8 origin", [format!("GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Origin: http://").into_bytes(), vec![0xff, 0xfe], b"\r\n\r\n".to_vec()].concat()),
    ] {
        let (code, text) = raw(addr, &req);
        assert_eq!(code, 403, "{what}: {text}");
    }
    let (code, _) = raw(
        addr,
        format!("GET /tools HTTP/1.1\r\nHost: 127.0.0.1:1\r\n{auth}\r\n").as_bytes(),
    );
    assert_eq!(code, 200, "an allowed host passes");

    // MCP bodies: oversized → 413, not UTF-8 or not JSON → -32700, too deep → -32600,
    // wrong content type → 415; each a JSON-RPC error.
    // (raw: the server answers before it has read the whole body, which HTTP clients report
    // as a broken pipe)
    let (code, text) = raw(
        addr,
        &[
            format!("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n", 2 << 20).into_bytes(),
            vec![b' '; 2 << 20],
        ]
        .concat(),
    );
    assert_eq!(code, 413, "{text}");
    let (code, v) = mcp_post(&c, &base, vec![b'{', 0xff, 0xfe, b'}'], "application/json").await;
    assert_eq!(
        (code, v["error"]["code"].as_i64()),
        (400, Some(-32700)),
        "{v}"
    );
    let (code, v) = mcp_post(&c, &base, b"{\"jsonrpc\": ".to_vec(), "application/json").await;
    assert_eq!(
        (code, v["error"]["code"].as_i64()),
        (400, Some(-32700)),
        "{v}"
    );
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let (code, v) = mcp_post(&c, &base, deep.clone().into_bytes(), "application/json").await;
    assert_eq!(
        (code, v["error"]["code"].as_i64()),
        (400, Some(-32600)),
        "{v}"
    );
    let (code, _) = mcp_post(&c, &base, initialize("x"), "text/plain").await;
    assert_eq!(code, 415);
    // The same nesting on a tool route: a 400 naming the problem.
    let r = c
        .post(format!("{base}/tools/binance_get_orderbook"))
        .header("authorization", "Bearer t0k")
        .body(format!("{{\"symbol\": {deep}}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // A 900 kB client name is refused, not kept for the session's life (nor logged).
    let (code, v) = mcp_post(
        &c,
        &base,
        initialize(&"n".repeat(900_000)),
        "application/json",
    )
    .await;
    assert_eq!(
        (code, v["error"]["code"].as_i64()),
        (400, Some(-32602)),
        "{v}"
    );

    // Sessions: three open, the fourth initialize is refused with a reason.
    for i in 0..3 {
        let (code, v) = mcp_post(&c, &base, initialize(&format!("c{i}")), "application/json").await;
        assert_eq!(code, 200, "session {i}: {v}");
    }
    let (code, v) = mcp_post(&c, &base, initialize("c4"), "application/json").await;
    assert_eq!(code, 503, "{v}");
    assert_eq!(v["error"]["code"], -32000, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mcp_max_sessions"),
        "{v}"
    );

    // Idle sockets: a client that sends nothing is disconnected at the header-read timeout, and
    // connections over the cap are closed at once.
    let t0 = Instant::now();
    let (code, _) = raw(addr, b"");
    assert_eq!(code, 0, "an idle connection is closed");
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    let idle: Vec<TcpStream> = (0..60).map(|_| TcpStream::connect(addr).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(idle);

    // Still serving, and every refusal counted.
    let s = wait_for(Duration::from_secs(10), || async {
        let r = c
            .get(format!("{base}/streaming/status"))
            .header("authorization", "Bearer t0k")
            .send()
            .await
            .ok()?;
        r.json::<Value>().await.ok()
    })
    .await
    .unwrap();
    let l = &s["limits"]["http"];
    for (k, at_least) in [
        ("unauthorized", 2),
        ("forbidden_host", 2),
        ("forbidden_origin", 3),
        ("body_too_large", 1),
        ("bad_json", 2),
        ("too_deep", 1),
        ("mcp_client_info_too_large", 1),
        ("mcp_sessions_refused", 1),
        ("connections_refused", 1),
    ] {
        assert!(l[k].as_u64().unwrap() >= at_least, "{k}: {l}");
    }
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disconnects_and_book_resyncs_are_recorded_in_the_gaps_table_and_tool() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_demo_with(Some(dir.path()), 200.0, |cfg| {
        // Two venues are enough here (and keep the machine for the faults).
        for (name, v) in cfg.venues.iter_mut() {
            v.enabled = name == "binance" || name == "okx";
        }
    })
    .await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    let gaps = |args: Value| {
        let (c, base) = (c.clone(), base.clone());
        async move {
            let r = c
                .post(format!("{base}/tools/get_data_gaps"))
                .json(&args)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            r.json::<Value>().await.unwrap()
        }
    };
    // Both venues flowing, no gaps yet.
    wait_for(Duration::from_secs(60), || async {
        let s = status(&c, &base).await;
        let flowing = s["venues"]
            .as_array()?
            .iter()
            .filter(|v| v["connected"] == true && v["frames"].as_u64() > Some(50))
            .count();
        (flowing == 2).then_some(())
    })
    .await
    .expect("binance and okx flowing");
    // Rows of a kind (start-up may already have some: a book synced late, a first connect).
    let count = |rows: &[Value], venue: &str, symbol: &str, stream: &str, reason: &str| {
        rows.iter()
            .filter(|r| r[0] == venue && r[1] == symbol && r[2] == stream && r[6] == reason)
            .count()
    };
    let before = gaps(json!({})).await["gaps"].as_array().unwrap().clone();
    let disconnects = count(&before, "binance", "*", "all", "disconnect");
    let book_gaps = count(&before, "okx", "BTCUSDT", "book", "book_resync");

    running.emulators["binance"]
        .control(r#"{"op":"fault","kind":"disconnect"}"#)
        .unwrap();
    running.emulators["okx"]
        .control(r#"{"op":"fault","kind":"checksum","symbol":"BTC-USDT-SWAP"}"#)
        .unwrap();
    let rows = wait_for(Duration::from_secs(60), || async {
        let g = gaps(json!({})).await;
        let rows = g["gaps"].as_array()?.clone();
        (count(&rows, "binance", "*", "all", "disconnect") > disconnects
            && count(&rows, "okx", "BTCUSDT", "book", "book_resync") > book_gaps)
            .then_some(rows)
    })
    .await
    .expect("a disconnect gap for binance and a book gap for okx BTCUSDT");
    for r in &rows {
        // from ≤ to, and the interval is short (the emulators reconnect/resync at once).
        let secs = r[5].as_f64().unwrap();
        assert!((0.0..30.0).contains(&secs), "{r:?}");
    }
    // Filters keep venue-wide rows of the venue only.
    let okx = gaps(json!({"venue": "okx"})).await;
    assert!(
        okx["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r[0] == "okx" || r[0] == "*"),
        "{okx}"
    );
    let bad = c
        .post(format!("{base}/tools/get_data_gaps"))
        .json(&json!({"venue": "nowhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    running.shutdown().await.unwrap();
}

/// `orderflow_mcp_fast_path_calls` of the server at `base`, read from its `/metrics`.
async fn fast_path_calls(c: &reqwest::Client, base: &str) -> u64 {
    let metrics = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find(|l| l.starts_with("orderflow_mcp_fast_path_calls"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
        .expect("orderflow_mcp_fast_path_calls in /metrics")
}

/// The same shape: equal, except that numbers only need to be numbers (live values move).
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => true,
        (Value::String(x), Value::String(y)) => {
            // Text content holds the live JSON again.
            match (
                serde_json::from_str::<Value>(x),
                serde_json::from_str::<Value>(y),
            ) {
                (Ok(p), Ok(q)) if p.is_object() => same_shape(&p, &q),
                _ => x == y,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        _ => a == b,
    }
}

/// The direct `tools/call` path (`server.mcp_fast_path`) answers exactly as rmcp does: two
/// demos, one with the path and one without, get the same requests and must give the same
/// status, content type and body; requests outside the path's shape go to rmcp in both, and
/// only the ones the path takes are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_direct_tools_call_path_answers_byte_for_byte_as_rmcp() {
    let fast = start_demo_with(None, 100.0, |cfg| cfg.server.mcp_fast_path = true).await;
    let rmcp = start_demo_with(None, 100.0, |cfg| cfg.server.mcp_fast_path = false).await;
    let (fb, rb) = (
        format!("http://{}", fast.http_addr),
        format!("http://{}", rmcp.http_addr),
    );
    let c = reqwest::Client::new();
    for base in [&fb, &rb] {
        wait_for_book(&c, base).await;
    }
    let both = "application/json, text/event-stream";
    let btc = Some(json!({"symbol": "BTCUSDT"}));
    // (what, Mcp-Name, body, header edit, the path takes it, live answer)
    type Edit = fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder;
    let with_accept: Edit = |r| r.header("accept", "application/json, text/event-stream");
    let cases: Vec<(&str, &str, Value, Edit, bool, bool)> = vec![
        (
            "static tool, integer id",
            "list_features",
            stateless_call(json!(1), "list_features", Some(json!({})), meta_2026()),
            with_accept,
            true,
            false,
        ),
        (
            "string id, no arguments",
            "list_signals",
            stateless_call(json!("x-2"), "list_signals", None, meta_2026()),
            with_accept,
            true,
            false,
        ),
        (
            "tool that fails (storage off): isError",
            "query_history",
            stateless_call(
                json!(3),
                "query_history",
                Some(json!({"sql": "SELECT 1"})),
                meta_2026(),
            ),
            with_accept,
            true,
            false,
        ),
        (
            "unknown tool: -32602",
            "no_such_tool",
            stateless_call(json!(4), "no_such_tool", Some(json!({})), meta_2026()),
            with_accept,
            true,
            false,
        ),
        (
            "arguments off the schema: -32602",
            "binance_get_book_ticker",
            stateless_call(
                json!(5),
                "binance_get_book_ticker",
                Some(json!({"symbol": "NOPEUSDT"})),
                meta_2026(),
            ),
            with_accept,
            true,
            false,
        ),
        (
            "live plugin tool",
            "binance_get_book_ticker",
            stateless_call(
                json!(6),
                "binance_get_book_ticker",
                btc.clone(),
                meta_2026(),
            ),
            with_accept,
            true,
            true,
        ),
        (
            "Mcp-Name differs from the body",
            "list_signals",
            stateless_call(json!(7), "list_features", None, meta_2026()),
            with_accept,
            false,
            false,
        ),
        (
            "_meta without client capabilities",
            "list_features",
            stateless_call(
                json!(8),
                "list_features",
                None,
                json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"}),
            ),
            with_accept,
            false,
            false,
        ),
        (
            "_meta with a progress token",
            "list_features",
            stateless_call(json!(9), "list_features", None, {
                let mut m = meta_2026();
                m["progressToken"] = json!("p1");
                m
            }),
            with_accept,
            false,
            false,
        ),
        (
            "Accept without event streams: 406",
            "list_features",
            stateless_call(json!(10), "list_features", None, meta_2026()),
            |r| r.header("accept", "application/json"),
            false,
            false,
        ),
        (
            "a session id",
            "list_features",
            stateless_call(json!(11), "list_features", None, meta_2026()),
            |r| {
                r.header("accept", "application/json, text/event-stream")
                    .header("mcp-session-id", "nope")
            },
            false,
            false,
        ),
    ];
    let mut taken = 0;
    for (what, tool, body, edit, fast_takes, live) in cases {
        let a = mcp_stateless(&c, &fb, tool, &body, edit).await;
        let b = mcp_stateless(&c, &rb, tool, &body, edit).await;
        assert_eq!(
            (a.0, &a.1),
            (b.0, &b.1),
            "{what}: status and content type\n{a:?}\n{b:?}"
        );
        let short = |t: &str| t.chars().take(600).collect::<String>();
        if live {
            let json = |t: &str| serde_json::from_str::<Value>(t).unwrap();
            let (x, y) = (json(&a.2), json(&b.2));
            assert!(
                same_shape(&x, &y),
                "{what}:\n{}\n{}",
                short(&a.2),
                short(&b.2)
            );
            assert_eq!(x["result"]["isError"], false, "{what}: {}", short(&a.2));
        } else {
            // The very bytes.
            assert!(a.2 == b.2, "{what}:\n{}\n{}", short(&a.2), short(&b.2));
        }
        if fast_takes {
            taken += 1;
        }
        assert_eq!(
            fast_path_calls(&c, &fb).await,
            taken,
            "{what}: taken by the direct path?"
        );
    }
    assert_eq!(
        fast_path_calls(&c, &rb).await,
        0,
        "mcp_fast_path = false answers nothing directly"
    );
    // Sanity of the cases themselves: the failing tool is an isError result, the bad calls are
    // JSON-RPC errors.
    let (_, _, v) = mcp_stateless(
        &c,
        &fb,
        "query_history",
        &stateless_call(
            json!(3),
            "query_history",
            Some(json!({"sql": "SELECT 1"})),
            meta_2026(),
        ),
        |r| r.header("accept", both),
    )
    .await;
    let v: Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["result"]["isError"], true, "{v}");
    let (_, _, v) = mcp_stateless(
        &c,
        &fb,
        "no_such_tool",
        &stateless_call(json!(4), "no_such_tool", None, meta_2026()),
        |r| r.header("accept", both),
    )
    .await;
    let v: Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["error"]["code"], -32602, "{v}");

    // The load generator (`orderflow bench mcp`) in both eras against the same server: its
    // stateless calls are the path's, its session calls (2025-11-25) rmcp's, and all are
    // answered with results.
    let load = |session: bool| orderflow_node::mcp_load::McpLoadArgs {
        url: format!("{fb}/mcp"),
        tool: "binance_get_book_ticker".into(),
        args: json!({"symbol": "BTCUSDT"}),
        concurrency: 4,
        duration: 1.0,
        rate: None,
        session,
    };
    let before = fast_path_calls(&c, &fb).await;
    let stateless = orderflow_node::mcp_load::run(&load(false)).await.unwrap();
    assert!(stateless.ok > 0 && stateless.errors == 0, "{stateless:?}");
    let after = fast_path_calls(&c, &fb).await;
    assert_eq!(
        after - before,
        stateless.ok,
        "every stateless call took the path"
    );
    let sessions = orderflow_node::mcp_load::run(&load(true)).await.unwrap();
    assert!(sessions.ok > 0 && sessions.errors == 0, "{sessions:?}");
    assert_eq!(
        fast_path_calls(&c, &fb).await,
        after,
        "session calls are rmcp's"
    );
}
