#!/usr/bin/env bash
# The test command of the README and of CI: set-up, build everything (plugins are cdylibs that
# the integration tests load), lints, tests, and a smoke run of every fuzz target.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderflow-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
./scripts/setup.sh
cargo fmt --all -- --check
cargo build --workspace --all-targets
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
# Fuzz smoke: every venue codec's fuzz target for a few seconds (long runs: benches/README.md).
./scripts/fuzz.sh 5
