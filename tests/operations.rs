//! Operations against a running demo on loopback: `GET /metrics` is Prometheus/OpenMetrics
//! text whose counters move with the feed, whose latency histogram is cumulative and complete,
//! which counts requests by route template and status, and which has every metric the shipped
//! Grafana dashboard (docs/grafana/orderflow-dashboard.json) queries; then the stopped
//! database exports to Hive-partitioned Parquet that DuckDB and pyarrow read back whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{mcp_stateless, meta_2026, start_demo_with, stateless_call, wait_for};

/// Samples (`name{labels}` → value) and the declared type of each family.
struct Scrape {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

fn parse(text: &str) -> Scrape {
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics text ends with # EOF"
    );
    let (mut samples, mut types, mut helps) = (BTreeMap::new(), BTreeMap::new(), BTreeSet::new());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').unwrap();
            types.insert(name.to_owned(), ty.to_owned());
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            helps.insert(rest.split_once(' ').unwrap().0.to_owned());
        } else if line.starts_with("# UNIT") || line == "# EOF" {
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
            let name = series.split('{').next().unwrap();
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "metric name {name:?}"
            );
            if let Some(labels) = series.split_once('{').map(|(_, l)| l) {
                assert!(labels.ends_with('}') && labels.contains("=\""), "{line}");
            }
            let family = ["_total", "_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| types.contains_key(*f)))
                .unwrap_or(name);
            assert!(types.contains_key(family), "{name} has a # TYPE");
            assert!(helps.contains(family), "{name} has a # HELP");
            samples.insert(series.to_owned(), value);
        }
    }
    Scrape { samples, types }
}

async fn scrape(c: &reqwest::Client, base: &str) -> Scrape {
    let r = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert!(r.status().is_success());
    let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    parse(&r.text().await.unwrap())
}

fn get(s: &Scrape, series: &str) -> f64 {
    *s.samples.get(series).unwrap_or_else(|| {
        panic!(
            "{series} missing; have e.g. {:?}",
            s.samples.keys().take(20).collect::<Vec<_>>()
        )
    })
}

/// One stateless (2026-07-28) MCP `tools/call`, its JSON-RPC answer.
async fn mcp_call(
    c: &reqwest::Client,
    base: &str,
    tool: &str,
    arguments: serde_json::Value,
) -> serde_json::Value {
    let body = stateless_call(json!(1), tool, Some(arguments), meta_2026());
    let (status, _, text) = mcp_stateless(c, base, tool, &body, |r| {
        r.header("accept", "application/json, text/event-stream")
    })
    .await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_move_with_the_feed_and_the_history_exports_to_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_demo_with(Some(dir.path()), 300.0, |_| {}).await;
    let base = format!("http://{}", running.http_addr);
    let c = reqwest::Client::new();
    wait_for(Duration::from_secs(60), || async {
        let s = scrape(&c, &base).await;
        (get(&s, "orderflow_storage_rows_written_total") > 0.0).then_some(())
    })
    .await
    .expect("rows stored");
    let first = scrape(&c, &base).await;
    // Tool calls by outcome: two answered (over HTTP, then over MCP, where even a failing tool
    // would be HTTP 200), one refused by the schema.
    let r = c
        .post(format!("{base}/tools/binance_get_book_ticker"))
        .json(&json!({"symbol": "BTCUSDT"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let r = c
        .post(format!("{base}/tools/binance_get_book_ticker"))
        .json(&json!({"symbol": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let answer = mcp_call(
        &c,
        &base,
        "binance_get_book_ticker",
        json!({"symbol": "BTCUSDT"}),
    )
    .await;
    assert!(
        answer["result"]["structuredContent"]["bid_price"].is_number()
            && answer["result"]["isError"] != true,
        "{answer}"
    );
    // An unknown tool over MCP reaches the registry (over HTTP it is a 404 before that).
    let answer = mcp_call(&c, &base, "no_such_tool", json!({})).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    // Requests that are counted by route template and status.
    let r = c
        .post(format!("{base}/tools/no_such_tool"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = c
        .post(format!("{base}/tools/query_history"))
        .json(&json!({"sql": "SELECT count(*) FROM trades"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // query_history answers as downloads, encoded from the query's own column types.
    let sql = "SELECT venue, count(*) AS n, max(price) AS hi, max(ts) AS last FROM trades GROUP BY venue ORDER BY venue";
    // The first flushes may hold trades of only some venues: wait until five have some.
    let (status, headers, text) = wait_for(Duration::from_secs(60), || async {
        let r = c
            .post(format!("{base}/tools/query_history"))
            .json(&json!({"sql": sql, "format": "csv"}))
            .send()
            .await
            .ok()?;
        let (status, headers) = (r.status(), r.headers().clone());
        let text = r.text().await.ok()?;
        (!status.is_success() || text.lines().count() > 5).then_some((status, headers, text))
    })
    .await
    .expect("trades of five venues stored within 60 s");
    assert!(status.is_success(), "{text}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let csv_rows: usize = headers["x-orderflow-rows"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "venue,n,hi,last");
    assert_eq!(lines.len(), csv_rows + 1);
    assert!(csv_rows >= 5, "{text}");
    let pq = c
        .post(format!("{base}/tools/query_history"))
        .json(&json!({"sql": "SELECT * FROM trades", "limit": 50, "format": "parquet"}))
        .send()
        .await
        .unwrap();
    assert!(pq.status().is_success());
    assert_eq!(
        pq.headers()["content-type"],
        "application/vnd.apache.parquet"
    );
    assert_eq!(pq.headers()["x-orderflow-truncated"], "rows");
    let bytes = pq.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let file = dir.path().join("answer.parquet");
    std::fs::write(&file, &bytes).unwrap();
    let (n, price_type): (i64, String) = duckdb::Connection::open_in_memory()
        .unwrap()
        .query_row(
            &format!(
                "SELECT count(*), any_value(typeof(price)) FROM read_parquet('{}')",
                file.display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(n, 50);
    assert_eq!(price_type, "DECIMAL(18,8)");

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second = scrape(&c, &base).await;

    // Counters move with the feed.
    for series in [
        "orderflow_venue_frames_total{venue=\"binance\"}",
        "orderflow_venue_events_total{venue=\"binance\"}",
        "orderflow_engine_events_total",
        "orderflow_engine_batches_total",
        "orderflow_storage_rows_written_total",
        "orderflow_storage_flushes_total",
    ] {
        assert!(
            get(&second, series) > get(&first, series),
            "{series}: {} then {}",
            get(&first, series),
            get(&second, series)
        );
    }
    assert_eq!(
        first.types["orderflow_venue_frames"], "counter",
        "counters are typed as counters"
    );
    assert_eq!(first.types["orderflow_engine_queue_depth"], "gauge");
    assert_eq!(get(&second, "orderflow_storage_available"), 1.0);
    assert_eq!(
        get(&second, "orderflow_venue_connected{venue=\"okx\"}"),
        1.0
    );
    assert!(
        get(
            &second,
            "orderflow_venue_last_message_age_seconds{venue=\"bybit\"}"
        ) < 30.0
    );

    // Requests by route template (not raw path) and status.
    assert_eq!(
        get(
            &second,
            "orderflow_http_requests_total{route=\"/tools/{name}\",method=\"POST\",status=\"404\"}"
        ),
        1.0
    );
    assert!(
        get(
            &second,
            "orderflow_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}"
        ) >= 2.0
    );
    assert!(
        get(
            &second,
            "orderflow_history_queries_total{outcome=\"completed\"}"
        ) >= 1.0
    );

    // Each tool call counted once, by outcome (the MCP path validates, then runs: one count).
    let calls = |outcome: &str| {
        get(
            &second,
            &format!(
                "orderflow_tool_calls_total{{tool=\"binance_get_book_ticker\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(calls("ok"), 2.0);
    assert_eq!(calls("invalid_arguments"), 1.0);
    assert_eq!(get(&second, "orderflow_tool_unknown_calls_total"), 1.0);
    assert!(
        get(
            &second,
            "orderflow_tool_calls_total{tool=\"query_history\",outcome=\"ok\"}"
        ) >= 3.0
    );

    // The latency histogram: cumulative buckets, +Inf = count = the engine's events.
    assert_eq!(
        second.types["orderflow_engine_latency_seconds"],
        "histogram"
    );
    let buckets: Vec<(f64, f64)> = second
        .samples
        .iter()
        .filter_map(|(k, v)| {
            let le = k
                .strip_prefix("orderflow_engine_latency_seconds_bucket{le=\"")?
                .strip_suffix("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            Some((le, *v))
        })
        .collect();
    let mut sorted = buckets.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(sorted.len() >= 10, "{sorted:?}");
    assert!(
        sorted.windows(2).all(|w| w[0].1 <= w[1].1),
        "cumulative: {sorted:?}"
    );
    let count = get(&second, "orderflow_engine_latency_seconds_count");
    assert_eq!(sorted.last().unwrap(), &(f64::INFINITY, count));
    assert!(count > 0.0 && get(&second, "orderflow_engine_latency_seconds_sum") > 0.0);

    // Grid cuts are timed: one per second of engine time.
    assert!(get(&second, "orderflow_engine_grid_cut_seconds_count") >= 1.0);
    // Where the memory is: the kernel's parts add up, DuckDB's allocator and buffer manager
    // hold the open database.
    let part = |p: &str| {
        get(
            &second,
            &format!("orderflow_process_memory_bytes{{part=\"{p}\"}}"),
        )
    };
    assert!(part("rss") > 0.0 && part("rss_anon") + part("rss_file") <= part("rss") + 1.0);
    assert!(part("duckdb_heap_allocated") > 0.0);
    assert!(part("duckdb_heap_resident") >= part("duckdb_heap_allocated"));
    assert!(get(&second, "orderflow_storage_duckdb_memory_bytes") > 0.0);
    // The plugins count their own heaps, which live inside glibc's.
    let plugin_heaps: Vec<f64> = second
        .samples
        .iter()
        .filter(|(k, _)| k.starts_with("orderflow_plugin_heap_bytes{"))
        .map(|(_, v)| *v)
        .collect();
    assert!(plugin_heaps.len() >= 5, "{plugin_heaps:?}");
    assert!(get(&second, "orderflow_plugin_heap_bytes{plugin=\"binance\"}") > 0.0);
    assert!(plugin_heaps.iter().sum::<f64>() <= part("glibc_heap_allocated"));

    // Every metric the shipped Grafana dashboard queries exists.
    let dash = std::fs::read_to_string(
        std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../docs/grafana/orderflow-dashboard.json"),
    )
    .unwrap();
    let dash: serde_json::Value = serde_json::from_str(&dash).unwrap();
    let names: BTreeSet<String> = second
        .samples
        .keys()
        .map(|k| k.split('{').next().unwrap().to_owned())
        .collect();
    let mut queried = 0;
    for panel in dash["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("orderflow_") {
                    queried += 1;
                    assert!(
                        names.contains(word),
                        "the dashboard queries {word}, which /metrics lacks"
                    );
                }
            }
        }
    }
    assert!(queried >= 20, "{queried}");
    running.shutdown().await.unwrap();

    // The stopped database as Parquet.
    let db = dir.path().join("orderflow.duckdb");
    let stored: i64 = {
        let c = duckdb::Connection::open(&db).unwrap();
        c.query_row("SELECT count(*) FROM trades", [], |r| r.get(0))
            .unwrap()
    };
    assert!(stored > 0);
    let out = dir.path().join("parquet");
    let run = std::process::Command::new(support::orderflow_bin())
        .args([
            "export",
            "--json",
            "--tables",
            "trades,features,gaps",
            "--data",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary[0]["table"], "trades");
    assert_eq!(summary[0]["rows"], stored, "{summary}");
    assert_eq!(
        summary[0]["partitioned_by"],
        json!(["venue", "symbol", "date"])
    );
    let c = duckdb::Connection::open_in_memory().unwrap();
    let (n, venues): (i64, i64) = c
        .query_row(
            &format!(
                "SELECT count(*), count(DISTINCT venue) FROM read_parquet('{}/trades/**/*.parquet', hive_partitioning = true)",
                out.display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(n, stored);
    assert!(venues >= 5, "{venues}");
    let python = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../.deps/py/bin/python");
    let py = std::process::Command::new(python)
        .arg("-c")
        .arg(
            "import sys, json, pyarrow.dataset as ds\n\
             t = ds.dataset(sys.argv[1] + '/trades', format='parquet', partitioning='hive').to_table()\n\
             print(json.dumps({'rows': t.num_rows, 'price': str(t.schema.field('price').type),\n\
                               'venues': len(set(t.column('venue').to_pylist()))}))",
        )
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(got["rows"], stored, "{got}");
    assert_eq!(got["price"], "decimal128(18, 8)", "{got}");
    assert_eq!(got["venues"], venues, "{got}");
}
