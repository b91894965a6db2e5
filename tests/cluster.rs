//! Scale-out on timely's cluster mode: one recording replayed by one process with one worker
//! and by a local cluster of two processes with two workers each writes the same `features`
//! (and signals, books, regimes, cross-venue) tables — each process its own venues' rows, in
//! its own database, read back as one by `orderflow query`'s cluster view.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use orderflow_node::config::Config;
use orderflow_node::pipeline;
use orderflow_node::replay;
use std::process::Command;
use std::time::Duration;
use support::orderflow_bin;

fn rows(conn: &duckdb::Connection, sql: &str) -> Vec<Vec<serde_json::Value>> {
    orderflow_sink_duckdb::History::from_connection(conn.try_clone().unwrap())
        .query(sql, 1_000)
        .unwrap()
        .rows
}

/// Row count and an order-independent hash of every row of each snapshot table.
fn fingerprint(conn: &duckdb::Connection) -> Vec<(String, Vec<Vec<serde_json::Value>>)> {
    [
        ("features", "ts_ns, venue, symbol, feature, value"),
        ("signals", "ts_ns, venue, symbol, signal, value, confidence"),
        (
            "orderbook",
            "ts_ns, venue, symbol, side, level, price, size",
        ),
        ("cross_venue", "ts_ns, symbol, feature, value"),
        (
            "regimes",
            "ts_ns, venue, symbol, regime, previous, trend, vol_ratio",
        ),
        ("trades", "ts_recv_ns, venue, symbol, price, size, side"),
    ]
    .iter()
    .map(|(t, cols)| {
        (
            (*t).to_owned(),
            rows(
                conn,
                &format!("SELECT count(*), sum(hash({cols})) FROM {t}"),
            ),
        )
    })
    .collect()
}

/// Records 4 s of the demo (every configured venue, no storage) into `rec`; returns its venues.
async fn record_demo(cfg: &Config, rec: &std::path::Path) -> Vec<String> {
    let mut opts = support::recording_demo(cfg, rec);
    opts.no_storage = true;
    let running = pipeline::start(opts).await.unwrap();
    let venues: Vec<String> = running.emulators.keys().cloned().collect();
    tokio::time::sleep(Duration::from_secs(4)).await;
    running.shutdown().await.unwrap();
    venues
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_process_cluster_writes_the_same_tables_as_one_process() {
    let _one_cluster_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    let cfg = Config::load(None).unwrap();
    let venues = record_demo(&cfg, &rec).await;
    assert!(venues.len() >= 4, "{venues:?}");

    // One process, one worker, in this test's process.
    let single = tmp.path().join("single");
    let a = support::replay_args(&rec, Some(&single));
    let r1 = tokio::task::block_in_place(|| replay::run(&cfg, &a)).unwrap();
    assert!(r1.events > 1_000, "{}", r1.events);

    // Two processes × two workers: the binary starts process 1 itself.
    let clustered = tmp.path().join("cluster");
    let out = cluster_replay(tmp.path(), &rec, &clustered, 2);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each process decoded its own venues: together, every event once.
    let events: u64 = stdout
        .lines()
        .filter_map(|l| {
            l.split(" → ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(
        stdout.contains("process 0: ") && stdout.contains("process 1: "),
        "{stdout}"
    );
    assert_eq!(events, r1.events, "{stdout}");

    let one = orderflow_node::cluster::open_query(&single).unwrap();
    let two = orderflow_node::cluster::open_query(&clustered).unwrap();
    let (f1, f2) = (fingerprint(&one), fingerprint(&two));
    let features = f1[0].1[0][0].as_i64().unwrap();
    assert!(features > 10_000, "{f1:?}");
    assert_eq!(f1, f2, "1×1 and 2×2 wrote different tables");

    // Each process stored its own venues' rows only, and every venue is stored by one.
    let per_process = |i: usize| -> Vec<String> {
        let conn = orderflow_sink_duckdb::open_read_only(
            &clustered
                .join(format!("process-{i}"))
                .join("orderflow.duckdb"),
        )
        .unwrap();
        rows(&conn, "SELECT DISTINCT venue FROM features ORDER BY 1")
            .into_iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect()
    };
    let (p0, p1) = (per_process(0), per_process(1));
    assert!(!p0.is_empty() && !p1.is_empty(), "{p0:?} {p1:?}");
    assert!(p0.iter().all(|v| !p1.contains(v)), "{p0:?} {p1:?}");
    let mut all = [p0, p1].concat();
    all.sort();
    let stored = rows(&one, "SELECT DISTINCT venue FROM features ORDER BY 1");
    assert_eq!(
        all,
        stored
            .iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    // The cluster view answers queries across processes like one database.
    let q = Command::new(orderflow_bin())
        .args(["query", "--json", "--data"])
        .arg(&clustered)
        .arg("SELECT count(DISTINCT venue) AS venues FROM features")
        .output()
        .unwrap();
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let v: serde_json::Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(v["rows"][0][0], serde_json::json!(all.len()), "{v}");
    // Nothing reads a foreign file through the view.
    assert!(
        orderflow_sink_duckdb::History::from_connection(two.try_clone().unwrap())
            .query("SELECT * FROM read_csv('/etc/passwd')", 1)
            .is_err()
    );
}

/// `orderflow replay REC --data OUT --workers W --local-cluster 2` (the binary starts process 1
/// itself), with its output in files under `tmp`. A replay of a few seconds of data takes
/// seconds; a stuck cluster fails the test after 240 s instead of hanging it.
fn cluster_replay(
    tmp: &std::path::Path,
    rec: &std::path::Path,
    out: &std::path::Path,
    workers: usize,
) -> std::process::Output {
    tokio::task::block_in_place(|| {
        let mut child = Command::new(orderflow_bin())
            .arg("replay")
            .arg(rec)
            .arg("--data")
            .arg(out)
            .args(["--workers", &workers.to_string(), "--local-cluster", "2"])
            // Files, not pipes: nobody reads a pipe while this waits.
            .stdout(std::fs::File::create(tmp.join("replay.out")).unwrap())
            .stderr(std::fs::File::create(tmp.join("replay.err")).unwrap())
            .spawn()
            .unwrap();
        let read = |name: &str| std::fs::read(tmp.join(name)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(240);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let _ = Command::new("pkill")
                    .args(["-f", &format!("replay {}", rec.display())])
                    .status();
                panic!(
                    "cluster replay still running after 240 s\n{}",
                    String::from_utf8_lossy(&read("replay.err"))
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        std::process::Output {
            status: child.wait().unwrap(),
            stdout: read("replay.out"),
            stderr: read("replay.err"),
        }
    })
}

/// A process whose venues start after another process's first grid time skips that grid time.
/// When its first engine step then reached its own first grid time, it waited for the other
/// process's inputs there, while the other waited in its book exchange for this process's
/// parts: the cluster deadlocked for good (found 2026-12-03 by `benches/cluster/netns.sh`, when
/// a recording began just before a grid time with the first process's venues alone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_whose_venues_start_a_grid_time_later_does_not_stall_the_cluster() {
    use orderflow_plugin_host::record::{Recorder, Rotation, read_meta, read_records};
    let _one_cluster_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    let cfg = Config::load(None).unwrap();
    record_demo(&cfg, &live).await;

    // The same recording with process 1's venues moved later: they begin 0.2 s before the
    // second grid time after the recording's first record (process 0's venues start before
    // the first).
    let meta = read_meta(&live).unwrap();
    let all: Vec<String> = meta.venues.keys().cloned().collect();
    let second = orderflow_dataflow::ClusterConfig {
        process: 1,
        addresses: vec!["a:1".into(), "b:2".into()],
    };
    let late = |v: &str| orderflow_node::cluster::owns(Some(&second), &all, v);
    let mut records = Vec::new();
    read_records(&live, |r| {
        records.push(r);
        true
    })
    .unwrap();
    let grid = cfg.storage.feature_snapshot_ms * 1_000_000;
    let first = records.iter().map(|r| r.t).min().unwrap();
    let first_late = records
        .iter()
        .filter(|r| late(&r.v))
        .map(|r| r.t)
        .min()
        .unwrap();
    let target = (first / grid + 2) * grid - 200_000_000;
    for r in records.iter_mut().filter(|r| late(&r.v)) {
        r.t = r.t - first_late + target;
    }
    records.sort_by_key(|r| r.t);
    let rec = tmp.path().join("rec");
    let recorder = Recorder::start(&rec, Rotation::default()).unwrap();
    for (venue, vm) in meta.venues {
        recorder.venue(&venue, vm);
    }
    for r in records {
        recorder.record(r);
    }
    recorder.finish().unwrap();

    let single = tmp.path().join("single");
    let a = support::replay_args(&rec, Some(&single));
    tokio::task::block_in_place(|| replay::run(&cfg, &a)).unwrap();
    let clustered = tmp.path().join("cluster");
    let out = cluster_replay(tmp.path(), &rec, &clustered, 1);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let one = orderflow_node::cluster::open_query(&single).unwrap();
    let two = orderflow_node::cluster::open_query(&clustered).unwrap();
    assert_eq!(fingerprint(&one), fingerprint(&two));
}

/// The cluster tests start several processes each: one at a time, so neither runs on a machine
/// the other is saturating.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Free loopback ports (bound, then released).
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Two consecutive free loopback ports (a cluster's process I serves HTTP on `--http` + I).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two consecutive free ports");
}

/// A live two-process cluster (`demo --processes 2 --process I --hostfile F`, each process
/// started here): both answer features of every venue, including the other process's; when
/// process 1 is killed, process 0 stops by itself with the documented error instead of
/// serving stale features.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_cluster_serves_every_venue_and_stops_when_a_process_is_lost() {
    let _one_cluster_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let http_base = free_port_pair();
    let hostfile = tmp.path().join("hostfile");
    std::fs::write(
        &hostfile,
        format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1]),
    )
    .unwrap();
    let mut procs: Vec<std::process::Child> = (0..2)
        .map(|i| {
            Command::new(orderflow_bin())
                .arg("demo")
                // Both get the same `--http`: process I binds its port + I.
                .args(["--http", &format!("127.0.0.1:{http_base}")])
                .args(["--rate", "100", "--duration", "120"])
                .args(["--processes", "2", "--process", &i.to_string()])
                .arg("--hostfile")
                .arg(&hostfile)
                .arg("--data")
                .arg(tmp.path().join("data"))
                .arg("--record")
                .arg(tmp.path().join("rec"))
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(tmp.path().join(format!("p{i}.log"))).unwrap())
                .spawn()
                .unwrap()
        })
        .collect();
    let log = |i: usize| std::fs::read_to_string(tmp.path().join(format!("p{i}.log"))).unwrap();
    let http = reqwest::Client::new();
    // Venues of both processes (sorted venues dealt round-robin: binance and okx to process 0,
    // binance_spot and gateio to process 1) answer on both.
    let venues = ["binance", "binance_spot", "okx", "gateio"];
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    'ready: loop {
        assert!(
            std::time::Instant::now() < deadline,
            "cluster not serving every venue within 60 s\n{}\n{}",
            log(0),
            log(1)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        for port in [http_base, http_base + 1] {
            for v in venues {
                let url = format!("http://127.0.0.1:{port}/features/BTCUSDT?venue={v}");
                let ok = match http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        body["features"].as_object().is_some_and(|f| f.len() > 100)
                    }
                    _ => false,
                };
                if !ok {
                    continue 'ready;
                }
            }
        }
        break;
    }
    // Lose process 1: process 0 must stop with the cluster error, not hang or keep serving.
    procs[1].kill().unwrap();
    procs[1].wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = procs[0].try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            procs[0].kill().unwrap();
            panic!(
                "process 0 still running 30 s after process 1 was killed\n{}",
                log(0)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!status.success(), "{}", log(0));
    let err = log(0);
    assert!(
        err.contains("another process was lost"),
        "process 0 did not say why it stopped:\n{err}"
    );

    // The cluster's recording (`rec/process-0`, `rec/process-1`: each process its own venues)
    // replays as one, both processes' venues in one database (the files cut short by the
    // loss end at their last sync point and are reported, not fatal).
    let data = tmp.path().join("replayed");
    let a = support::replay_args(&tmp.path().join("rec"), Some(&data));
    let cfg = Config::load(None).unwrap();
    let r = tokio::task::block_in_place(|| replay::run(&cfg, &a)).unwrap();
    assert!(r.events > 1_000, "{r:?}");
    let conn = orderflow_node::cluster::open_query(&data).unwrap();
    // Book events, not feature snapshots: the recording is a few seconds long, and a venue that
    // connected after its last grid time has events but no snapshot row.
    let stored: Vec<String> = rows(&conn, "SELECT DISTINCT venue FROM book_updates ORDER BY 1")
        .iter()
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect();
    for v in venues {
        assert!(
            stored.iter().any(|s| s == v),
            "{v} not replayed: {stored:?}\n{r:?}\n{}\n{}",
            log(0),
            log(1)
        );
    }
}
