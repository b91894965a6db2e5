//! Read-only SQL over the history, safe to expose as a tool.
//!
//! Three layers: the database is opened with external access disabled (no files, network,
//! ATTACH, INSTALL, COPY — DuckDB refuses them); a statement must be a single query, which
//! DuckDB's own parser confirms through `json_serialize_sql` (it serializes only SELECT
//! statements); and results are capped in rows.

use crate::{Result, SinkError};
use duckdb::Connection;
use duckdb::types::{TimeUnit, Value};
use parking_lot::Mutex;
use serde_json::{Value as Json, json};
use std::sync::Arc;

/// Rows and columns of a query.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows (JSON values; DECIMAL as numbers, TIMESTAMP as ISO-8601 strings).
    pub rows: Vec<Vec<Json>>,
    /// True when more rows existed than the cap.
    pub truncated: bool,
}

/// A read connection to the sink's database.
#[derive(Clone, Debug)]
pub struct History {
    conn: Arc<Mutex<Connection>>,
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
    Ok(())
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
        Self {
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    /// A reader over an already opened connection (e.g. a read-only one).
    pub fn from_connection(conn: Connection) -> Self {
        Self::new(conn)
    }

    /// Runs one read-only query, returning at most `max_rows` rows.
    ///
    /// # Errors
    /// [`SinkError::Refused`] for a statement that is not a single query; DuckDB errors (bad SQL,
    /// unknown table, refused external access).
    pub fn query(&self, sql: &str, max_rows: usize) -> Result<QueryResult> {
        let conn = self.conn.lock();
        check_read_only(&conn, sql)?;
        let mut stmt = conn.prepare(sql.trim().trim_end_matches(';'))?;
        let mut rows_out = Vec::new();
        let mut truncated = false;
        let mut rows = stmt.query([])?;
        let mut columns: Option<Vec<String>> = None;
        while let Some(row) = rows.next()? {
            let stmt_ref = row.as_ref();
            let n = stmt_ref.column_count();
            if columns.is_none() {
                columns = Some(stmt_ref.column_names());
            }
            if rows_out.len() >= max_rows {
                truncated = true;
                break;
            }
            let mut r = Vec::with_capacity(n);
            for i in 0..n {
                r.push(to_json(row.get::<_, Value>(i)?));
            }
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
            truncated,
        })
    }
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
