//! Read-only SQL over the history, safe to expose as a tool, governed so that no query can take
//! the server down.
//!
//! Safety: the database is opened with external access disabled (no files, network, ATTACH,
//! INSTALL, COPY — DuckDB refuses them); a statement must be a single query, which DuckDB's own
//! parser confirms through `json_serialize_sql` (it serializes only SELECT statements); functions
//! with side effects (`checkpoint`, `force_checkpoint`, dynamic `query`, …) are refused.
//!
//! Governance ([`QueryLimits`]): a small pool of read connections (`max_concurrent`; a query
//! that finds none free within `queue_wait` is refused as busy, it does not queue without
//! bound); a per-query time limit enforced by a watchdog that *interrupts* the query inside
//! DuckDB; cancellation from the caller (a client that went away) through the same interrupt;
//! the row cap applied inside the query (`SELECT * FROM (q) LIMIT n+1`, so DuckDB never
//! materialises more); a cap on the bytes of the answer. Memory is bounded by DuckDB's
//! `memory_limit` of the database instance (shared by the writer and the readers: DuckDB has no
//! per-connection limit), with spilling capped by `max_temp_directory_size`. Every limit hit is
//! a typed [`SinkError`] and a [`QueryCounters`] count.

use crate::{Result, SinkError};
use duckdb::Connection;
use duckdb::types::{TimeUnit, Value};
use parking_lot::{Condvar, Mutex};
use serde_json::{Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Rows and columns of a query.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows (JSON values; DECIMAL as numbers, TIMESTAMP as ISO-8601 strings).
    pub rows: Vec<Vec<Json>>,
    /// True when more rows existed than the cap.
    pub truncated: bool,
    /// Which cap cut the answer (`"rows"` or `"bytes"`), when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated_by: Option<&'static str>,
}

/// Limits of the read side (config `[storage.queries]`, documented in docs/operations.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// A query running longer is interrupted inside DuckDB.
    pub timeout: Duration,
    /// Read connections, i.e. queries running at once.
    pub max_concurrent: usize,
    /// How long a query waits for a free connection before it is refused as busy.
    pub queue_wait: Duration,
    /// Hard row cap (a caller's own `limit` can only be lower).
    pub max_rows: usize,
    /// Cap on the answer's size (JSON bytes, estimated while rows are read).
    pub max_result_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_concurrent: 2,
            queue_wait: Duration::from_secs(2),
            max_rows: 100_000,
            max_result_bytes: 16 << 20,
        }
    }
}

/// What the read side did (monotonic counters, shown in `/streaming/status`).
#[derive(Debug, Default)]
pub struct QueryCounters {
    /// Queries that started running.
    pub started: AtomicU64,
    /// Queries that returned rows.
    pub completed: AtomicU64,
    /// Statements refused by the guard.
    pub refused: AtomicU64,
    /// Queries interrupted at the time limit.
    pub timed_out: AtomicU64,
    /// Queries interrupted because their caller went away.
    pub cancelled: AtomicU64,
    /// Queries refused because every read connection stayed busy.
    pub busy: AtomicU64,
    /// Queries that hit DuckDB's memory limit.
    pub out_of_memory: AtomicU64,
    /// Answers cut at the row cap.
    pub truncated_rows: AtomicU64,
    /// Answers cut at the byte cap (or refused: first row over it).
    pub truncated_bytes: AtomicU64,
    /// Other DuckDB errors (bad SQL, unknown table).
    pub failed: AtomicU64,
}

impl QueryCounters {
    /// The counters as JSON.
    pub fn to_json(&self) -> Json {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "started": g(&self.started), "completed": g(&self.completed),
            "refused": g(&self.refused), "timed_out": g(&self.timed_out),
            "cancelled": g(&self.cancelled), "busy": g(&self.busy),
            "out_of_memory": g(&self.out_of_memory),
            "truncated_rows": g(&self.truncated_rows),
            "truncated_bytes": g(&self.truncated_bytes), "failed": g(&self.failed),
        })
    }
}

/// Interrupts the query it was handed for; given to a caller's cancellation hook.
#[derive(Clone)]
pub struct Interrupter {
    handle: Arc<duckdb::InterruptHandle>,
    cancelled: Arc<AtomicBool>,
}

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupter").finish_non_exhaustive()
    }
}

impl Interrupter {
    /// Stops the query (it fails with [`SinkError::Cancelled`]).
    pub fn interrupt(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.handle.interrupt();
    }
}

/// The pool's connections and who holds them. A new database instance (the writer reopened it
/// after a fatal error) is a new generation: connections of an older one are dropped when they
/// come back, never reused.
#[derive(Default)]
struct Slots {
    idle: Vec<Connection>,
    leased: usize,
    generation: u64,
    /// Why there is no database (none opened yet, or retired after a fatal error).
    unavailable: Option<String>,
}

struct Pool {
    slots: Mutex<Slots>,
    freed: Condvar,
    limits: QueryLimits,
    counters: Arc<QueryCounters>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A connection borrowed from the pool, returned on drop.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
    generation: u64,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut slots = self.pool.slots.lock();
        slots.leased = slots.leased.saturating_sub(1);
        if let Some(c) = self.conn.take()
            && slots.generation == self.generation
        {
            slots.idle.push(c);
        }
        drop(slots);
        self.pool.freed.notify_all();
    }
}

/// Read connections to the sink's database, governed by [`QueryLimits`].
#[derive(Clone, Debug)]
pub struct History {
    pool: Arc<Pool>,
}

/// Table and scalar functions a read-only tool must not call: they write (checkpoints), run
/// SQL the guard has not seen (`query`), or read the environment.
const DENIED_FUNCTIONS: &[&str] = &[
    "checkpoint",
    "force_checkpoint",
    "query",
    "query_table",
    "getenv",
    "nextval",
    "enable_logging",
    "disable_logging",
    "truncate_duckdb_logs",
];

fn function_names(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                if k == "function_name"
                    && let Some(s) = x.as_str()
                {
                    out.push(s.to_ascii_lowercase());
                }
                function_names(x, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| function_names(x, out)),
        _ => {}
    }
}

/// Checks that `sql` is one read-only query; returns the reason otherwise.
///
/// # Errors
/// [`SinkError::Refused`] with the reason.
pub fn check_read_only(conn: &Connection, sql: &str) -> Result<()> {
    let s = sql.trim().trim_end_matches(';').trim();
    if s.is_empty() {
        return Err(SinkError::Refused {
            reason: "empty statement".into(),
        });
    }
    let first = s
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    if !matches!(first.as_str(), "SELECT" | "WITH" | "FROM" | "(" | "VALUES")
        && !first.starts_with('(')
    {
        return Err(SinkError::Refused {
            reason: format!("only SELECT/WITH queries are allowed, not {first}"),
        });
    }
    let ser: String = conn
        .query_row("SELECT json_serialize_sql(CAST(? AS VARCHAR))", [s], |r| {
            r.get(0)
        })
        .map_err(|e| SinkError::Refused {
            reason: format!("cannot parse: {e}"),
        })?;
    let v: Json = serde_json::from_str(&ser).map_err(|e| SinkError::Refused {
        reason: format!("parser answer: {e}"),
    })?;
    if v.get("error").and_then(Json::as_bool) == Some(true) {
        let msg = v
            .get("error_message")
            .and_then(Json::as_str)
            .unwrap_or("not a query");
        return Err(SinkError::Refused {
            reason: msg.to_owned(),
        });
    }
    let n = v
        .get("statements")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    if n != 1 {
        return Err(SinkError::Refused {
            reason: format!("exactly one statement is allowed, got {n}"),
        });
    }
    let mut names = Vec::new();
    function_names(&v, &mut names);
    if let Some(f) = names
        .iter()
        .find(|f| DENIED_FUNCTIONS.contains(&f.as_str()))
    {
        return Err(SinkError::Refused {
            reason: format!("function {f}() is not allowed in a read-only query"),
        });
    }
    Ok(())
}

/// Estimated JSON size of a DuckDB value, taken before conversion so that an oversized cell is
/// refused before it is copied again.
fn raw_len(v: &Value) -> usize {
    match v {
        Value::Text(s) => s.len() + 2,
        Value::Blob(b) => b.len() * 2,
        Value::List(a) | Value::Array(a) => 2 + a.iter().map(|x| raw_len(x) + 1).sum::<usize>(),
        _ => 12,
    }
}

fn civil(days: i64) -> (i64, i64, i64) {
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats Unix microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub(crate) fn iso_micros(us: i64) -> String {
    let days = us.div_euclid(86_400_000_000);
    let rem = us.rem_euclid(86_400_000_000);
    let (y, m, d) = civil(days);
    let (h, mi, s, f) = (
        rem / 3_600_000_000,
        rem / 60_000_000 % 60,
        rem / 1_000_000 % 60,
        rem % 1_000_000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:06}Z")
}

fn to_json(v: Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::TinyInt(i) => json!(i),
        Value::SmallInt(i) => json!(i),
        Value::Int(i) => json!(i),
        Value::BigInt(i) => json!(i),
        Value::HugeInt(i) => i64::try_from(i).map_or_else(|_| json!(i.to_string()), |x| json!(x)),
        Value::UTinyInt(i) => json!(i),
        Value::USmallInt(i) => json!(i),
        Value::UInt(i) => json!(i),
        Value::UBigInt(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Double(f) => json!(f),
        Value::Decimal(d) => d
            .to_string()
            .parse::<f64>()
            .map_or_else(|_| json!(d.to_string()), |f| json!(f)),
        Value::Timestamp(unit, t) => {
            let us = match unit {
                TimeUnit::Second => t.saturating_mul(1_000_000),
                TimeUnit::Millisecond => t.saturating_mul(1_000),
                TimeUnit::Microsecond => t,
                TimeUnit::Nanosecond => t / 1_000,
            };
            json!(iso_micros(us))
        }
        Value::Text(s) => json!(s),
        Value::List(items) | Value::Array(items) => {
            Json::Array(items.into_iter().map(to_json).collect())
        }
        other => json!(format!("{other:?}")),
    }
}

impl History {
    pub(crate) fn new(conn: Connection) -> Self {
        Self::with_limits(conn, QueryLimits::default())
    }

    /// A reader over an already opened connection (e.g. a read-only one), default limits.
    pub fn from_connection(conn: Connection) -> Self {
        Self::new(conn)
    }

    /// A reader whose pool holds `limits.max_concurrent` clones of `conn`.
    pub fn with_limits(conn: Connection, limits: QueryLimits) -> Self {
        let h = Self::unavailable(limits, "not opened");
        h.install(conn);
        h
    }

    /// A reader without a database yet (queries answer [`SinkError::Unavailable`]).
    pub fn unavailable(limits: QueryLimits, reason: &str) -> Self {
        Self {
            pool: Arc::new(Pool {
                slots: Mutex::new(Slots {
                    unavailable: Some(reason.to_owned()),
                    ..Slots::default()
                }),
                freed: Condvar::new(),
                limits,
                counters: Arc::new(QueryCounters::default()),
            }),
        }
    }

    /// Serves queries from `conn`'s database from now on (a new generation of connections).
    pub fn install(&self, conn: Connection) {
        let want = self.pool.limits.max_concurrent.max(1);
        let mut idle = Vec::with_capacity(want);
        for _ in 1..want {
            match conn.try_clone() {
                Ok(c) => idle.push(c),
                Err(e) => {
                    tracing::warn!(error = %e, "could not open another read connection");
                    break;
                }
            }
        }
        idle.push(conn);
        let mut slots = self.pool.slots.lock();
        slots.generation += 1;
        slots.idle = idle;
        slots.unavailable = None;
        drop(slots);
        self.pool.freed.notify_all();
    }

    /// Stops serving the current database (it failed fatally): drops the idle connections,
    /// interrupts nothing, and waits up to `wait` for the leased ones to come back (they are
    /// dropped then). True when none is left, i.e. the database instance can be closed and the
    /// file opened again.
    pub fn retire(&self, reason: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut slots = self.pool.slots.lock();
        slots.generation += 1;
        slots.idle.clear();
        slots.unavailable = Some(reason.to_owned());
        while slots.leased > 0 {
            if self.pool.freed.wait_until(&mut slots, deadline).timed_out() {
                return slots.leased == 0;
            }
        }
        true
    }

    /// The limits in force.
    pub fn limits(&self) -> &QueryLimits {
        &self.pool.limits
    }

    /// The read side's counters.
    pub fn counters(&self) -> Arc<QueryCounters> {
        self.pool.counters.clone()
    }

    fn lease(&self) -> Result<Lease<'_>> {
        let pool = &*self.pool;
        let deadline = Instant::now() + pool.limits.queue_wait;
        let mut slots = pool.slots.lock();
        loop {
            if let Some(reason) = &slots.unavailable {
                return Err(SinkError::Unavailable {
                    reason: reason.clone(),
                });
            }
            if let Some(c) = slots.idle.pop() {
                slots.leased += 1;
                return Ok(Lease {
                    pool,
                    conn: Some(c),
                    generation: slots.generation,
                });
            }
            if pool.freed.wait_until(&mut slots, deadline).timed_out() && slots.idle.is_empty() {
                pool.counters.busy.fetch_add(1, Ordering::Relaxed);
                return Err(SinkError::Busy {
                    running: pool.limits.max_concurrent,
                    waited: pool.limits.queue_wait,
                });
            }
        }
    }

    /// Runs one read-only query, returning at most `max_rows` rows, under the limits.
    ///
    /// # Errors
    /// See [`History::query_with`].
    pub fn query(&self, sql: &str, max_rows: usize) -> Result<QueryResult> {
        self.query_with(sql, max_rows, |_| ())
    }

    /// Like [`History::query`], handing `watch` an [`Interrupter`] before the query starts; what
    /// `watch` returns is dropped when the query has ended (before its connection serves anyone
    /// else), so a cancellation hook registered there cannot reach a later query.
    ///
    /// # Errors
    /// [`SinkError::Refused`] for a statement that is not a single read-only query;
    /// [`SinkError::Busy`], [`SinkError::Timeout`], [`SinkError::Cancelled`],
    /// [`SinkError::ResultTooLarge`], [`SinkError::OutOfMemory`] for the limits; DuckDB errors
    /// (bad SQL, unknown table, refused external access).
    pub fn query_with<G>(
        &self,
        sql: &str,
        max_rows: usize,
        watch: impl FnOnce(Interrupter) -> G,
    ) -> Result<QueryResult> {
        self.governed(sql, max_rows, watch, |conn, capped, rows, bytes| {
            let r = run_capped(conn, capped, rows, bytes)?;
            let by = r.truncated_by;
            Ok((r, by))
        })
    }

    /// Like [`History::query_with`] (same guard, limits and counters), the answer as Arrow
    /// record batches with DuckDB's own column types (for CSV and Parquet downloads).
    ///
    /// # Errors
    /// As [`History::query_with`].
    pub fn query_arrow_with<G>(
        &self,
        sql: &str,
        max_rows: usize,
        watch: impl FnOnce(Interrupter) -> G,
    ) -> Result<ArrowResult> {
        self.governed(sql, max_rows, watch, |conn, capped, rows, bytes| {
            let r = run_capped_arrow(conn, capped, rows, bytes)?;
            let by = r.truncated_by;
            Ok((r, by))
        })
    }

    fn governed<G, T>(
        &self,
        sql: &str,
        max_rows: usize,
        watch: impl FnOnce(Interrupter) -> G,
        read: impl FnOnce(&Connection, &str, usize, usize) -> Result<(T, Option<&'static str>)>,
    ) -> Result<T> {
        let counters = &self.pool.counters;
        let limits = &self.pool.limits;
        let lease = self.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(SinkError::Stopped);
        };
        if let Err(e) = check_read_only(conn, sql) {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
        let max_rows = max_rows.min(limits.max_rows);
        let inner = sql.trim().trim_end_matches(';');
        // The cap inside the query: DuckDB stops producing rows at n+1 (one more, to know
        // whether the answer was cut).
        let capped = format!(
            "SELECT * FROM ({inner}\n) AS orderflow_query LIMIT {}",
            max_rows.saturating_add(1)
        );
        let timed_out = Arc::new(AtomicBool::new(false));
        let interrupter = Interrupter {
            handle: conn.interrupt_handle(),
            cancelled: Arc::new(AtomicBool::new(false)),
        };
        counters.started.fetch_add(1, Ordering::Relaxed);
        let hook = watch(interrupter.clone());
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (limit, flag, handle) = (
            limits.timeout,
            timed_out.clone(),
            interrupter.handle.clone(),
        );
        let watchdog = std::thread::Builder::new()
            .name("query-watchdog".into())
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(limit)
                {
                    flag.store(true, Ordering::SeqCst);
                    handle.interrupt();
                }
            })
            .map_err(|source| SinkError::Io {
                path: "<query-watchdog>".into(),
                source,
            })?;
        let out = read(conn, &capped, max_rows, limits.max_result_bytes);
        // The query has ended: release the hooks before the connection serves anyone else.
        drop(hook);
        drop(done_tx);
        let _ = watchdog.join();
        let elapsed_limit = limits.timeout;
        match out {
            Ok((r, truncated_by)) => {
                counters.completed.fetch_add(1, Ordering::Relaxed);
                match truncated_by {
                    Some("rows") => counters.truncated_rows.fetch_add(1, Ordering::Relaxed),
                    Some(_) => counters.truncated_bytes.fetch_add(1, Ordering::Relaxed),
                    None => 0,
                };
                Ok(r)
            }
            Err(e) if timed_out.load(Ordering::SeqCst) => {
                counters.timed_out.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(limit_s = elapsed_limit.as_secs_f64(), error = %e, "history query interrupted at its time limit");
                Err(SinkError::Timeout {
                    limit: elapsed_limit,
                })
            }
            Err(_) if interrupter.cancelled.load(Ordering::SeqCst) => {
                counters.cancelled.fetch_add(1, Ordering::Relaxed);
                Err(SinkError::Cancelled)
            }
            Err(e @ SinkError::ResultTooLarge { .. }) => {
                counters.truncated_bytes.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
            Err(SinkError::Duckdb(e)) if e.to_string().contains("Out of Memory") => {
                counters.out_of_memory.fetch_add(1, Ordering::Relaxed);
                Err(SinkError::OutOfMemory {
                    detail: e.to_string(),
                })
            }
            Err(e) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

/// An answer as Arrow record batches.
#[derive(Debug)]
pub struct ArrowResult {
    /// The batches (possibly none), all of `schema`.
    pub batches: Vec<duckdb::arrow::record_batch::RecordBatch>,
    /// Their schema.
    pub schema: duckdb::arrow::datatypes::SchemaRef,
    /// Which cap cut the answer (`"rows"` or `"bytes"`), if any.
    pub truncated_by: Option<&'static str>,
}

impl ArrowResult {
    /// Rows in all batches.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

fn run_capped_arrow(
    conn: &Connection,
    sql: &str,
    max_rows: usize,
    max_bytes: usize,
) -> Result<ArrowResult> {
    let mut stmt = conn.prepare(sql)?;
    let arrow = stmt.query_arrow([])?;
    let schema = arrow.get_schema();
    let (mut batches, mut rows, mut bytes, mut truncated_by) = (Vec::new(), 0usize, 0usize, None);
    for batch in arrow {
        let room = max_rows.saturating_sub(rows);
        let batch = if batch.num_rows() > room {
            truncated_by = Some("rows");
            batch.slice(0, room)
        } else {
            batch
        };
        let size = batch.get_array_memory_size();
        if bytes.saturating_add(size) > max_bytes {
            if batches.is_empty() {
                return Err(SinkError::ResultTooLarge {
                    limit: max_bytes,
                    row_bytes: size / batch.num_rows().max(1),
                });
            }
            truncated_by = Some("bytes");
            break;
        }
        bytes += size;
        rows += batch.num_rows();
        if batch.num_rows() > 0 {
            batches.push(batch);
        }
        if truncated_by.is_some() {
            break;
        }
    }
    Ok(ArrowResult {
        batches,
        schema,
        truncated_by,
    })
}

fn run_capped(
    conn: &Connection,
    sql: &str,
    max_rows: usize,
    max_bytes: usize,
) -> Result<QueryResult> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows_out = Vec::new();
    let mut truncated_by = None;
    let mut bytes = 0usize;
    let mut rows = stmt.query([])?;
    let mut columns: Option<Vec<String>> = None;
    while let Some(row) = rows.next()? {
        let stmt_ref = row.as_ref();
        let n = stmt_ref.column_count();
        if columns.is_none() {
            columns = Some(stmt_ref.column_names());
        }
        if rows_out.len() >= max_rows {
            truncated_by = Some("rows");
            break;
        }
        let mut r = Vec::with_capacity(n);
        let mut row_bytes = 2usize;
        for i in 0..n {
            let v = row.get::<_, Value>(i)?;
            row_bytes = row_bytes.saturating_add(raw_len(&v));
            if bytes.saturating_add(row_bytes) > max_bytes {
                break;
            }
            r.push(to_json(v));
        }
        if bytes.saturating_add(row_bytes) > max_bytes {
            if rows_out.is_empty() {
                return Err(SinkError::ResultTooLarge {
                    limit: max_bytes,
                    row_bytes,
                });
            }
            truncated_by = Some("bytes");
            break;
        }
        bytes += row_bytes;
        rows_out.push(r);
    }
    drop(rows);
    let columns = match columns {
        Some(c) => c,
        None => stmt.column_names(),
    };
    Ok(QueryResult {
        columns,
        rows: rows_out,
        truncated: truncated_by.is_some(),
        truncated_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_formatting() {
        assert_eq!(iso_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            iso_micros(1_562_305_380_000_123),
            "2019-07-05T05:43:00.000123Z"
        );
    }
}
