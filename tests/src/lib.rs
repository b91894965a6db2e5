//! Workspace integration tests live under `tests/` as explicit `[[test]]` targets.
