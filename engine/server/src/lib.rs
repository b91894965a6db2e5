//! HTTP API (axum): health, tools, features, exchanges, symbols, history SQL
