#!/usr/bin/env python3
"""How much of glibc's heap DuckDB keeps per byte it stores, without orderflow.

The soak (benches/soak) finds glibc's heap, less the plugins' own heaps, growing in step with
the database. This script tells whether DuckDB by itself does that: it drives the very
`libduckdb.so` orderflow links (.deps/duckdb, through the C API with ctypes) with the soak's
write pattern — the `features` table's schema, appended in commits of CHUNK rows with the
writer's `memory_limit` of 1 GB — and after each step reads glibc's heap (`mallinfo2`) and
the database's size (after a CHECKPOINT). It prints one JSON line per step and a summary: the
heap's growth per MB stored and per million rows, to set beside the soak's ratios.

    python3 benches/soak/duckdb_metadata.py [DIR] [STEPS=40] [CHUNKS_PER_STEP=50] [CHUNK=50000]
"""
import ctypes
import json
import os
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
lib = ctypes.CDLL(os.path.join(root, ".deps", "duckdb", "libduckdb.so"))
libc = ctypes.CDLL("libc.so.6")


class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


libc.mallinfo2.restype = MallInfo2
vp = ctypes.c_void_p
lib.duckdb_create_config.argtypes = [ctypes.POINTER(vp)]
lib.duckdb_set_config.argtypes = [vp, ctypes.c_char_p, ctypes.c_char_p]
lib.duckdb_open_ext.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp), vp, ctypes.POINTER(ctypes.c_char_p)]
lib.duckdb_connect.argtypes = [vp, ctypes.POINTER(vp)]
lib.duckdb_query.argtypes = [vp, ctypes.c_char_p, ctypes.c_void_p]
lib.duckdb_result_error.argtypes = [ctypes.c_void_p]
lib.duckdb_result_error.restype = ctypes.c_char_p
lib.duckdb_destroy_result.argtypes = [ctypes.c_void_p]


def glibc_heap_mb():
    m = libc.mallinfo2()
    return (m.uordblks + m.hblkhd) / 2**20


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    per_step = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 50000
    path = os.path.join(folder, "metadata.duckdb")
    for suffix in ("", ".wal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    cfg, db, conn = vp(), vp(), vp()
    lib.duckdb_create_config(ctypes.byref(cfg))
    lib.duckdb_set_config(cfg, b"memory_limit", b"1GB")
    err = ctypes.c_char_p()
    if lib.duckdb_open_ext(path.encode(), ctypes.byref(db), cfg, ctypes.byref(err)) != 0:
        sys.exit(f"open failed: {err.value}")
    lib.duckdb_connect(db, ctypes.byref(conn))
    result = ctypes.create_string_buffer(256)

    def q(sql):
        if lib.duckdb_query(conn, sql.encode(), result) != 0:
            msg = lib.duckdb_result_error(result)
            lib.duckdb_destroy_result(result)
            sys.exit(f"query failed: {msg}")
        lib.duckdb_destroy_result(result)

    q("CREATE TABLE features (ts TIMESTAMP, ts_ns BIGINT, venue VARCHAR, symbol VARCHAR, "
      "feature VARCHAR, value DOUBLE)")
    base_heap, base_rss, rows = glibc_heap_mb(), rss_mb(), 0
    points = []
    started = time.time()
    for step in range(1, steps + 1):
        for _ in range(per_step):
            # 63 (venue, symbol) pairs x 237 feature names, one value per second per series,
            # like the engine's snapshots.
            q(f"INSERT INTO features SELECT to_timestamp(1.7e9 + (r // 14931)), "
              f"(1.7e18 + (r // 14931) * 1e9)::BIGINT, 'venue' || (r % 9), 'SYM' || ((r // 9) % 7), "
              f"'feature_' || ((r // 63) % 237), sin(r) FROM range({rows}, {rows + chunk}) t(r)")
            rows += chunk
        q("CHECKPOINT")
        db_mb = sum(os.path.getsize(path + s) for s in ("", ".wal") if os.path.exists(path + s)) / 2**20
        p = {"step": step, "rows": rows, "db_mb": round(db_mb, 1),
             "glibc_heap_mb": round(glibc_heap_mb() - base_heap, 2),
             "rss_mb": round(rss_mb() - base_rss, 1), "seconds": round(time.time() - started, 1)}
        points.append(p)
        print(json.dumps(p), flush=True)
    half = points[len(points) // 2:]
    d_db = half[-1]["db_mb"] - half[0]["db_mb"]
    d_heap = half[-1]["glibc_heap_mb"] - half[0]["glibc_heap_mb"]
    print(json.dumps({"summary": True, "rows": rows, "db_mb": points[-1]["db_mb"],
                      "glibc_heap_growth_mb": points[-1]["glibc_heap_mb"],
                      "second_half_heap_per_db_mb": round(d_heap / d_db, 4) if d_db else None,
                      "second_half_heap_mb_per_million_rows": round(
                          d_heap / ((half[-1]["rows"] - half[0]["rows"]) / 1e6), 4)}))


if __name__ == "__main__":
    main()
