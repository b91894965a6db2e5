"""Soak: run `orderflow demo` for a long time with storage on and clients calling tools, sample
the process each interval into a CSV, then plot it (matplotlib).

Started by benches/soak/run.sh (which builds the release binary and pins matplotlib); every
connection is to 127.0.0.1.

Per sample (default every 60 s) the CSV holds: resident memory and CPU of the orderflow process,
venue frames/s and engine events/s over the interval, engine receive→feature latency (p50/p99
of the samples of this interval, from the engine's histogram), client latencies over the interval
(HTTP tool calls, MCP tools/call in a 2025-11-25 session, a small `query_history` each time), the
queue depths (engine input, snapshots, storage writer), database size on disk, rows written, and
the loss counters (dropped events, storage rows dropped, gaps recorded, decode errors), and where
the memory is (from `/metrics`: anonymous and file-backed RSS, the Rust heap's committed memory
(mimalloc), DuckDB's allocator (its jemalloc: allocated and resident) and DuckDB's buffer manager
(`duckdb_memory()`, bounded by `storage.memory_limit`)), so RSS growth can be attributed.
"""

import argparse
import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_json(url, body=None, headers=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    req.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return r.status, dict(r.headers), raw


def sse_or_json(raw, headers):
    """An MCP answer is JSON or one SSE event carrying JSON."""
    ctype = headers.get("Content-Type", headers.get("content-type", ""))
    text = raw.decode()
    if "text/event-stream" in ctype:
        for line in text.splitlines():
            if line.startswith("data:"):
                payload = line[5:].strip()
                if payload:
                    return json.loads(payload)
        raise ValueError("no data in SSE answer")
    return json.loads(text)


class Latencies:
    """Client latencies and errors per kind, drained at each sample."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ms = {}
        self.errors = {}

    def add(self, kind, ms, ok):
        with self.lock:
            self.ms.setdefault(kind, []).append(ms)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1

    def drain(self):
        with self.lock:
            ms, errors = self.ms, self.errors
            self.ms, self.errors = {}, {}
        return ms, errors


def pct(xs, q):
    if not xs:
        return ""
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 3)


def http_client(base, lat, stop, pace):
    calls = [
        ("http_tool", "/tools/binance_get_orderbook", {"symbol": "BTCUSDT", "depth": 20}),
        ("http_tool", "/tools/get_signal_dashboard", {"symbol": "BTCUSDT"}),
        ("http_features", "/features/BTCUSDT?venue=binance", None),
        ("history", "/tools/query_history",
         {"sql": "SELECT venue, count(*) AS n, max(price) AS hi FROM trades "
                 "WHERE symbol = 'ETHUSDT' GROUP BY venue ORDER BY venue", "limit": 20}),
    ]
    i = 0
    while not stop.is_set():
        kind, path, body = calls[i % len(calls)]
        i += 1
        t0 = time.perf_counter()
        ok = True
        try:
            status, _, _ = http_json(base + path, body)
            ok = status == 200
        except (urllib.error.URLError, OSError, ValueError):
            ok = False
        lat.add(kind, (time.perf_counter() - t0) * 1e3, ok)
        stop.wait(pace)


def mcp_client(base, lat, stop, pace, session_s):
    """A 2025-11-25 session (initialize, initialized, tools/call …), renewed every session_s."""
    url = base + "/mcp"
    accept = {"accept": "application/json, text/event-stream"}
    sid, born, rid = None, 0.0, 0
    while not stop.is_set():
        try:
            if sid is None or time.monotonic() - born > session_s:
                if sid is not None:
                    req = urllib.request.Request(url, method="DELETE",
                                                 headers={"mcp-session-id": sid})
                    try:
                        urllib.request.urlopen(req, timeout=10).read()
                    except (urllib.error.URLError, OSError):
                        pass
                _, h, raw = http_json(url, {
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                               "clientInfo": {"name": "orderflow-soak", "version": "1"}}},
                    accept)
                sse_or_json(raw, h)
                sid = h.get("Mcp-Session-Id") or h.get("mcp-session-id")
                hdr = dict(accept, **{"mcp-session-id": sid,
                                      "mcp-protocol-version": "2025-11-25"})
                http_json(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, hdr)
                born = time.monotonic()
            rid += 1
            t0 = time.perf_counter()
            _, h, raw = http_json(url, {
                "jsonrpc": "2.0", "id": rid, "method": "tools/call",
                "params": {"name": "binance_get_book_ticker", "arguments": {"symbol": "BTCUSDT"}}},
                hdr)
            answer = sse_or_json(raw, h)
            ok = "result" in answer and not answer["result"].get("isError", False)
            lat.add("mcp_tool", (time.perf_counter() - t0) * 1e3, ok)
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            lat.add("mcp_tool", 0.0, False)
            print(f"mcp client: {e}", file=sys.stderr)
            sid = None
        stop.wait(pace)


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu_ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return rss_kb / 1024.0, cpu_ticks / CLK_TCK


def db_bytes(data_dir):
    total = 0
    for name in os.listdir(data_dir):
        if name.startswith("orderflow.duckdb"):
            total += os.path.getsize(os.path.join(data_dir, name))
    return total


MEMORY_PARTS = {
    "rss_anon": "rss_anon_mb", "rss_file": "rss_file_mb", "rust_heap_committed": "rust_heap_mb",
    "duckdb_heap_allocated": "duckdb_heap_allocated_mb",
    "duckdb_heap_resident": "duckdb_heap_resident_mb",
    "glibc_heap_allocated": "glibc_heap_mb",
}


def memory_parts(base):
    """The process's memory parts (MB) from one /metrics scrape."""
    text = http_json(base + "/metrics")[2].decode()
    out = {}
    plugins, counted = 0.0, False
    for line in text.splitlines():
        if line.startswith("orderflow_process_memory_bytes{"):
            part = line.split('part="', 1)[1].split('"', 1)[0]
            if part in MEMORY_PARTS:
                out[MEMORY_PARTS[part]] = round(float(line.rsplit(" ", 1)[1]) / 2**20, 1)
        elif line.startswith("orderflow_storage_duckdb_memory_bytes "):
            out["duckdb_buffer_mb"] = round(float(line.rsplit(" ", 1)[1]) / 2**20, 1)
        elif line.startswith("orderflow_plugin_heap_bytes{"):
            plugins += float(line.rsplit(" ", 1)[1])
            counted = True
    if counted:
        # The plugins (cdylibs on the system allocator) count their own heaps; glibc's heap
        # less theirs is DuckDB's C++ objects outside its buffer manager (and libraries').
        out["plugins_heap_mb"] = round(plugins / 2**20, 2)
        if "glibc_heap_mb" in out:
            out["glibc_not_plugins_mb"] = round(out["glibc_heap_mb"] - plugins / 2**20, 1)
    if "rss_anon_mb" in out and "rust_heap_mb" in out and "duckdb_heap_resident_mb" in out:
        # Anonymous memory neither allocator accounts for (stacks, glibc malloc — reported
        # beside it as glibc_heap_mb where the build reads it; mimalloc's committed-but-untouched
        # pages make it smaller, even negative).
        out["other_anon_mb"] = round(out["rss_anon_mb"] - out["rust_heap_mb"]
                                     - out["duckdb_heap_resident_mb"], 1)
    return out


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


COLUMNS = [
    "minute", "rss_mb", "rss_anon_mb", "rss_file_mb", "rust_heap_mb", "duckdb_heap_allocated_mb",
    "duckdb_heap_resident_mb", "duckdb_buffer_mb", "other_anon_mb", "glibc_heap_mb", "plugins_heap_mb", "glibc_not_plugins_mb", "cpu_pct", "frames_per_s", "events_per_s",
    "engine_p50_ms", "engine_p99_ms",
    "http_tool_p50_ms", "http_tool_p99_ms", "http_features_p99_ms",
    "mcp_tool_p50_ms", "mcp_tool_p99_ms", "history_p50_ms", "history_p99_ms",
    "client_calls", "client_errors",
    "engine_queue", "snapshot_queue", "storage_queue",
    "db_mb", "rows_written", "flush_ms_last",
    "dropped_events", "storage_rows_dropped", "storage_queue_dropped", "gap_records",
    "venue_gaps", "decode_errors", "reconnects",
]


MEMORY_COLUMNS = ["rss_anon_mb", "rss_file_mb", "rust_heap_mb", "duckdb_heap_allocated_mb",
                  "duckdb_heap_resident_mb", "duckdb_buffer_mb", "other_anon_mb", "glibc_heap_mb",
                  "plugins_heap_mb", "glibc_not_plugins_mb"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-csv", help="only rebuild <out>.json and <out>.png from this CSV "
                    "(e.g. of a run stopped early); minutes = its last sample")
    ap.add_argument("--bin")
    ap.add_argument("--plugins")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--total-rate", type=float, default=20000,
                    help="target venue frames/s over all demo venues")
    ap.add_argument("--frames-per-msg", type=float, default=1.44,
                    help="venue frames per emulator message (measured: 9 venues at 2,222 "
                         "msgs/s each gave 28.8 k frames/s)")
    ap.add_argument("--sample-s", type=float, default=60)
    ap.add_argument("--warmup-min", type=float, default=10)
    ap.add_argument("--data")
    ap.add_argument("--out", required=True, help="output prefix (.csv, .png, .json are added)")
    a = ap.parse_args()
    if a.from_csv:
        rows = read_csv(a.from_csv)
        a.minutes = rows[-1]["minute"] if rows else 0
        summary = summarize(rows, a)
        with open(a.out + ".json", "w") as f:
            json.dump(summary, f, indent=1)
        print(json.dumps(summary, indent=1))
        plot(rows, a.out + ".png", summary)
        return
    if not (a.bin and a.plugins and a.data):
        sys.exit("--bin, --plugins and --data are required to run a soak")

    venues = 9  # the demo's venue ids (config/default.toml)
    per_venue = a.total_rate / venues / a.frames_per_msg
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.makedirs(a.data, exist_ok=True)
    log = open(a.out + ".log", "w")
    demo = subprocess.Popen(
        [a.bin, "--plugins", a.plugins, "demo", "--http", f"127.0.0.1:{port}",
         "--data", a.data, "--rate", str(per_venue),
         "--duration", str(a.minutes * 60 + 120)],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                if http_json(base + "/health")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        else:
            sys.exit("demo did not answer /health within 120 s")
        status = json.loads(http_json(base + "/streaming/status")[2])
        venues = len(status["venues"])
        print(f"demo up on {base}: {venues} venues × {per_venue:.0f} msgs/s", flush=True)

        lat = Latencies()
        stop = threading.Event()
        threads = [
            threading.Thread(target=http_client, args=(base, lat, stop, 0.1), daemon=True),
            threading.Thread(target=mcp_client, args=(base, lat, stop, 0.1, 60), daemon=True),
        ]
        for t in threads:
            t.start()

        rows = []
        t_start = time.monotonic()
        prev = None
        with open(a.out + ".csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            n_samples = int(a.minutes * 60 / a.sample_s)
            for k in range(n_samples + 1):
                time.sleep(max(0.0, t_start + k * a.sample_s - time.monotonic()))
                if demo.poll() is not None:
                    sys.exit(f"demo exited early with {demo.returncode}")
                now = time.monotonic()
                rss, cpu = proc_sample(demo.pid)
                st = json.loads(http_json(base + "/streaming/status")[2])
                eng, sto = st["engine"], st["storage"] or {}
                frames = sum(v["frames"] for v in st["venues"])
                ms, errors = lat.drain()
                cur = {"t": now, "cpu": cpu, "frames": frames, "events": eng["events"]}
                if prev is None:
                    prev = cur
                    continue
                dt = cur["t"] - prev["t"]
                recent = eng.get("last_minute_latency_us", {})
                row = {
                    "minute": round((now - t_start) / 60, 2),
                    "rss_mb": round(rss, 1),
                    "cpu_pct": round(100 * (cur["cpu"] - prev["cpu"]) / dt, 1),
                    "frames_per_s": round((cur["frames"] - prev["frames"]) / dt),
                    "events_per_s": round((cur["events"] - prev["events"]) / dt),
                    "engine_p50_ms": round(recent.get("p50", 0) / 1e3, 3),
                    "engine_p99_ms": round(recent.get("p99", 0) / 1e3, 3),
                    "http_tool_p50_ms": pct(ms.get("http_tool", []), 0.5),
                    "http_tool_p99_ms": pct(ms.get("http_tool", []), 0.99),
                    "http_features_p99_ms": pct(ms.get("http_features", []), 0.99),
                    "mcp_tool_p50_ms": pct(ms.get("mcp_tool", []), 0.5),
                    "mcp_tool_p99_ms": pct(ms.get("mcp_tool", []), 0.99),
                    "history_p50_ms": pct(ms.get("history", []), 0.5),
                    "history_p99_ms": pct(ms.get("history", []), 0.99),
                    "client_calls": sum(len(v) for v in ms.values()),
                    "client_errors": sum(errors.values()),
                    "engine_queue": eng.get("queue_depth", ""),
                    "snapshot_queue": eng.get("snapshot_queue_depth", ""),
                    "storage_queue": sto.get("queue_depth", ""),
                    "db_mb": round(db_bytes(a.data) / 2**20, 1),
                    "rows_written": sto.get("rows_written", 0),
                    "flush_ms_last": sto.get("last_flush_ms", ""),
                    "dropped_events": eng["dropped_events"],
                    "storage_rows_dropped": sto.get("rows_dropped", 0),
                    "storage_queue_dropped": sto.get("queue_dropped", 0),
                    "gap_records": sto.get("gaps_recorded", 0),
                    "venue_gaps": sum(v["gaps"] for v in st["venues"]),
                    "decode_errors": sum(v["decode_errors"] for v in st["venues"]),
                    "reconnects": sum(v["reconnects"] for v in st["venues"]),
                }
                try:
                    mem = memory_parts(base)
                except (urllib.error.URLError, OSError, ValueError, IndexError) as e:
                    print(f"metrics: {e}", file=sys.stderr)
                    mem = {}
                row.update({k: mem.get(k, "") for k in MEMORY_COLUMNS})
                prev = cur
                rows.append(row)
                w.writerow(row)
                f.flush()
                print(json.dumps(row), flush=True)
        stop.set()
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
        log.close()

    summary = summarize(rows, a)
    with open(a.out + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))
    plot(rows, a.out + ".png", summary)


def read_csv(path):
    """The samples of a soak CSV, numbers parsed (empty cells stay empty strings)."""
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            row = {}
            for k, v in r.items():
                try:
                    row[k] = int(v)
                except ValueError:
                    try:
                        row[k] = float(v)
                    except ValueError:
                        row[k] = v
            rows.append(row)
    return rows


def part_slopes(rows):
    """Slope (MB/min) of each memory part over the rows that have it."""
    out = {}
    for key in MEMORY_COLUMNS:
        pts = [(r["minute"], r[key]) for r in rows if r.get(key, "") != ""]
        if len(pts) >= 5:
            out[key] = round(slope([p[0] for p in pts], [p[1] for p in pts]), 3)
    return out


def summarize(rows, a):
    warm = [r for r in rows if r["minute"] >= a.warmup_min]
    xs = [r["minute"] for r in warm]
    rss_slope = slope(xs, [r["rss_mb"] for r in warm])
    db_slope = slope(xs, [r["db_mb"] for r in warm])

    def med(key):
        vals = [r[key] for r in warm if r[key] != ""]
        return round(statistics.median(vals), 3) if vals else None

    # Slopes over consecutive 30-minute windows, and after the longest feature window (60 min)
    # has filled: a run longer than an hour shows whether memory settles once it has.
    windows = []
    for lo in range(0, int(a.minutes), 30):
        part = [r for r in rows if lo <= r["minute"] < lo + 30]
        if len(part) >= 5:
            windows.append({"from_min": lo, "to_min": lo + 30,
                            "rss_slope_mb_per_min": round(slope([r["minute"] for r in part],
                                                                [r["rss_mb"] for r in part]), 3),
                            "db_slope_mb_per_min": round(slope([r["minute"] for r in part],
                                                               [r["db_mb"] for r in part]), 3),
                            "rss_mb_end": part[-1]["rss_mb"],
                            "memory_part_slopes_mb_per_min": part_slopes(part)})
    settled = [r for r in rows if r["minute"] >= 60]
    settled_slope = (round(slope([r["minute"] for r in settled], [r["rss_mb"] for r in settled]), 3)
                     if len(settled) >= 5 else None)

    last = rows[-1] if rows else {}
    return {
        "memory_part_slopes_mb_per_min_after_60min": part_slopes(settled) if settled else None,
        "memory_part_slopes_mb_per_min_after_warmup": part_slopes(warm),
        "memory_parts_mb_last": {k: last.get(k) for k in MEMORY_COLUMNS if k in last},
        "rss_slope_mb_per_min_after_60min": settled_slope,
        "rss_mb_min_after_60min": min((r["rss_mb"] for r in settled), default=None),
        "rss_mb_max_after_60min": max((r["rss_mb"] for r in settled), default=None),
        "slopes_by_30min": windows,
        "minutes": a.minutes, "target_total_rate": a.total_rate, "samples": len(rows),
        "warmup_min": a.warmup_min,
        "rss_mb_first_after_warmup": warm[0]["rss_mb"] if warm else None,
        "rss_mb_last": last.get("rss_mb"),
        "rss_slope_mb_per_min_after_warmup": round(rss_slope, 3),
        "db_slope_mb_per_min_after_warmup": round(db_slope, 3),
        "median_frames_per_s": med("frames_per_s"),
        "median_events_per_s": med("events_per_s"),
        "median_cpu_pct": med("cpu_pct"),
        "median_engine_p99_ms": med("engine_p99_ms"),
        "median_http_tool_p99_ms": med("http_tool_p99_ms"),
        "median_mcp_tool_p99_ms": med("mcp_tool_p99_ms"),
        "median_history_p99_ms": med("history_p99_ms"),
        "client_calls": sum(r["client_calls"] for r in rows),
        "client_errors": sum(r["client_errors"] for r in rows),
        "max_engine_queue": max((r["engine_queue"] for r in rows if r["engine_queue"] != ""),
                                default=None),
        "max_storage_queue": max((r["storage_queue"] for r in rows if r["storage_queue"] != ""),
                                 default=None),
        "db_mb_last": last.get("db_mb"),
        "rows_written": last.get("rows_written"),
        "dropped_events": last.get("dropped_events"),
        "storage_rows_dropped": last.get("storage_rows_dropped"),
        "storage_queue_dropped": last.get("storage_queue_dropped"),
        "gap_records": last.get("gap_records"),
        "venue_gaps": last.get("venue_gaps"),
        "decode_errors": last.get("decode_errors"),
        "reconnects": last.get("reconnects"),
    }


def plot(rows, path, summary):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = [r["minute"] for r in rows]

    def col(key):
        return [float(r[key]) if r.get(key, "") != "" else float("nan") for r in rows]

    fig, ax = plt.subplots(4, 2, figsize=(13, 13), sharex=True)
    a = ax[0][0]
    a.plot(m, col("rss_mb"), label="RSS (MB)")
    a.plot(m, col("db_mb"), label="database on disk (MB)")
    a.set_title("memory and stored data")
    a.legend()
    a = ax[0][1]
    a.plot(m, col("frames_per_s"), label="venue frames/s")
    a.plot(m, col("events_per_s"), label="engine events/s")
    a.set_title("throughput")
    a.legend()
    a = ax[1][0]
    a.plot(m, col("cpu_pct"), label="orderflow CPU % (of one core)")
    a.set_title("CPU")
    a.legend()
    a = ax[1][1]
    a.plot(m, col("engine_p50_ms"), label="engine p50")
    a.plot(m, col("engine_p99_ms"), label="engine p99")
    a.set_yscale("log")
    a.set_title("receive → feature latency (ms, per interval)")
    a.legend()
    a = ax[2][0]
    for key, label in [("http_tool_p99_ms", "HTTP tool p99"), ("mcp_tool_p99_ms", "MCP tools/call p99"),
                       ("history_p99_ms", "query_history p99"), ("http_tool_p50_ms", "HTTP tool p50")]:
        a.plot(m, col(key), label=label)
    a.set_yscale("log")
    a.set_title("client latency (ms, per interval)")
    a.legend()
    a = ax[2][1]
    a.plot(m, col("engine_queue"), label="engine input queue")
    a.plot(m, col("snapshot_queue"), label="snapshot queue")
    a.plot(m, col("storage_queue"), label="storage queue")
    a.set_title("queue depths (messages, sampled)")
    a.legend()
    a = ax[3][0]
    for key, label in [("rss_mb", "RSS"), ("rss_anon_mb", "anonymous RSS"),
                       ("rust_heap_mb", "Rust heap (mimalloc committed)"),
                       ("duckdb_heap_resident_mb", "DuckDB allocator resident"),
                       ("duckdb_buffer_mb", "DuckDB buffer manager"),
                       ("rss_file_mb", "file-backed RSS")]:
        a.plot(m, col(key), label=label)
    a.set_title("where the memory is (MB)")
    a.set_xlabel("minute")
    a.legend(fontsize=8)
    a = ax[3][1]
    a.plot(m, col("duckdb_heap_allocated_mb"), label="DuckDB allocator allocated")
    a.plot(m, col("other_anon_mb"), label="anonymous RSS not in either allocator")
    a.plot(m, col("glibc_heap_mb"), label="glibc malloc in use")
    a.plot(m, col("plugins_heap_mb"), label="plugins' heaps (in glibc's)")
    a.plot(m, col("glibc_not_plugins_mb"), label="glibc malloc less the plugins")
    a.set_title("DuckDB allocations and the unattributed rest (MB)")
    a.set_xlabel("minute")
    a.legend(fontsize=8)
    fig.suptitle(
        f"orderflow demo soak: {summary['minutes']:.0f} min at {summary['target_total_rate']:.0f} msgs/s "
        f"target; RSS slope after warm-up {summary['rss_slope_mb_per_min_after_warmup']} MB/min")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
