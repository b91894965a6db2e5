//! `orderflow export`: a stopped database's tables as Hive-partitioned Parquet
//! (`<out>/<table>/venue=<v>/symbol=<s>/date=<YYYY-MM-DD>/data_0.parquet`), written by DuckDB's
//! own Parquet writer, so DuckDB, Polars, pandas/pyarrow and Spark read it back with its types
//! (`hive_partitioning` restores the partition columns). A table partitions by those of
//! `venue`, `symbol` and the date of `ts` it has; `--from`/`--to` select on `ts`.

use crate::{Result, SinkError};
use duckdb::Connection;
use std::path::Path;

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Tables (empty: every table of the database).
    pub tables: Vec<String>,
    /// Rows with `ts` at or after this time (anything DuckDB casts to TIMESTAMP).
    pub from: Option<String>,
    /// Rows with `ts` before this time.
    pub to: Option<String>,
}

/// One exported table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportedTable {
    /// Table name (also the folder under the output).
    pub table: String,
    /// Rows written.
    pub rows: u64,
    /// Partition columns, outermost first.
    pub partitioned_by: Vec<String>,
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A time bound checked by DuckDB itself and written back in its canonical form.
fn timestamp(conn: &Connection, what: &str, s: &str) -> Result<String> {
    conn.query_row("SELECT CAST(CAST(? AS TIMESTAMP) AS VARCHAR)", [s], |r| {
        r.get::<_, String>(0)
    })
    .map_err(|e| SinkError::Export(format!("--{what} {s:?} is not a time: {e}")))
}

/// Opens `db` read-only with file access for the Parquet writer (the live database never has
/// it) and writes every selected table under `out`.
///
/// # Errors
/// [`SinkError::Missing`] for a missing database, [`SinkError::Export`] for an unknown table or
/// time bound, [`SinkError::Duckdb`] when DuckDB fails.
pub fn export_parquet(db: &Path, out: &Path, opts: &ExportOptions) -> Result<Vec<ExportedTable>> {
    if !db.exists() {
        return Err(SinkError::Missing {
            path: db.to_path_buf(),
        });
    }
    let cfg = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?;
    let conn = Connection::open_with_flags(db, cfg)?;
    std::fs::create_dir_all(out).map_err(|source| SinkError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut stmt = conn.prepare(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name",
    )?;
    let all: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    let tables = if opts.tables.is_empty() {
        all.clone()
    } else {
        for t in &opts.tables {
            if !all.contains(t) {
                return Err(SinkError::Export(format!(
                    "no table {t:?} in the database (it has: {})",
                    all.join(", ")
                )));
            }
        }
        opts.tables.clone()
    };
    let from = opts
        .from
        .as_deref()
        .map(|s| timestamp(&conn, "from", s))
        .transpose()?;
    let to = opts
        .to
        .as_deref()
        .map(|s| timestamp(&conn, "to", s))
        .transpose()?;
    let mut done = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(
            "SELECT column_name, data_type FROM duckdb_columns() \
             WHERE schema_name = 'main' AND table_name = ?",
        )?;
        let cols: Vec<(String, String)> = stmt
            .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        let has = |c: &str| cols.iter().any(|(n, _)| n == c);
        let has_ts = cols
            .iter()
            .any(|(n, ty)| n == "ts" && ty.starts_with("TIMESTAMP"));
        let mut filters = Vec::new();
        if has_ts {
            if let Some(f) = &from {
                filters.push(format!("ts >= TIMESTAMP {}", quote_literal(f)));
            }
            if let Some(t) = &to {
                filters.push(format!("ts < TIMESTAMP {}", quote_literal(t)));
            }
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", filters.join(" AND "))
        };
        let name = quote_ident(&table);
        let rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {name}{filter}"), [], |r| {
                r.get(0)
            })?;
        let mut partitioned_by: Vec<String> = ["venue", "symbol"]
            .iter()
            .filter(|c| has(c))
            .map(|c| (*c).to_owned())
            .collect();
        let select = if has_ts && !has("date") {
            partitioned_by.push("date".into());
            format!("SELECT *, CAST(ts AS DATE) AS date FROM {name}{filter}")
        } else {
            format!("SELECT * FROM {name}{filter}")
        };
        let dir = out.join(&table);
        let target = if partitioned_by.is_empty() {
            std::fs::create_dir_all(&dir).map_err(|source| SinkError::Io {
                path: dir.clone(),
                source,
            })?;
            dir.join("data_0.parquet")
        } else {
            dir
        };
        let target = quote_literal(&target.to_string_lossy());
        let options = if partitioned_by.is_empty() {
            "FORMAT parquet, COMPRESSION zstd".to_owned()
        } else {
            format!(
                "FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({}), OVERWRITE_OR_IGNORE true",
                partitioned_by.join(", ")
            )
        };
        if rows > 0 || partitioned_by.is_empty() {
            conn.execute_batch(&format!("COPY ({select}) TO {target} ({options})"))?;
        }
        tracing::info!(table, rows, "exported");
        done.push(ExportedTable {
            table,
            rows: u64::try_from(rows).unwrap_or(0),
            partitioned_by,
        });
    }
    Ok(done)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tables_come_back_with_their_rows_types_and_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("o.duckdb");
        {
            let c = crate::open(&db).unwrap();
            crate::schema::migrate(&c, &[("BTCUSDT".into(), "binance".into())]).unwrap();
            c.execute_batch(
                "INSERT INTO trades SELECT TIMESTAMP '2026-12-01 23:59:58' + to_seconds(i), i, i, \
                 CASE WHEN i % 2 = 0 THEN 'binance' ELSE 'okx' END, 'BTCUSDT', 100000.5 + i, 0.25, 'buy', i \
                 FROM range(4) t(i)",
            )
            .unwrap();
        }
        let out = dir.path().join("pq");
        let opts = ExportOptions {
            tables: vec!["trades".into(), "gaps".into()],
            from: Some("2026-12-01".into()),
            to: None,
        };
        let done = export_parquet(&db, &out, &opts).unwrap();
        assert_eq!(done[0].rows, 4);
        assert_eq!(done[0].partitioned_by, ["venue", "symbol", "date"]);
        assert!(
            out.join("trades/venue=okx/symbol=BTCUSDT/date=2026-12-02")
                .is_dir()
        );
        let c = duckdb::Connection::open_in_memory().unwrap();
        let glob = out.join("trades/**/*.parquet");
        let (n, sum, ty): (i64, f64, String) = c
            .query_row(
                &format!(
                    "SELECT count(*), sum(price)::DOUBLE, any_value(typeof(price)) \
                     FROM read_parquet('{}', hive_partitioning = true) WHERE venue = 'okx'",
                    glob.display()
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((n, sum), (2, 100001.5 + 100003.5));
        assert_eq!(ty, "DECIMAL(18,8)");
        // An unknown table and a bad time are clear errors.
        let bad = ExportOptions {
            tables: vec!["nope".into()],
            ..ExportOptions::default()
        };
        assert!(
            export_parquet(&db, &out, &bad)
                .unwrap_err()
                .to_string()
                .contains("no table \"nope\"")
        );
        let bad = ExportOptions {
            from: Some("yesterday'; DROP TABLE trades; --".into()),
            ..ExportOptions::default()
        };
        assert!(
            export_parquet(&db, &out, &bad)
                .unwrap_err()
                .to_string()
                .contains("is not a time")
        );
    }
}
