//! The orderflow binary: demo, serve, query, parse, plugins, bench latency
