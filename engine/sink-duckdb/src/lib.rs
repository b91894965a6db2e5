//! DuckDB storage: typed tables, batched appender thread, per-pair views, read-only SQL
