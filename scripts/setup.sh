#!/usr/bin/env bash
# One-time (idempotent) set-up of everything orderflow needs that cargo does not fetch:
#   * Debian packages for TLS (reqwest / tokio-tungstenite use the system OpenSSL),
#   * the official prebuilt DuckDB 1.5.6 shared library (npm package, pinned by version and
#     sha256) into .deps/duckdb — compiling DuckDB from C++ ("bundled") takes ~30 min here,
#   * the dashboard's npm packages (ECharts, playwright-core) and Debian's Chromium for its tests.
# Nothing is silently skipped: a failed step stops the script with a message.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

DUCKDB_NPM_PKG="@duckdb/node-bindings-linux-x64@1.5.6-r.1"
DUCKDB_NPM_SHA256="1b9f82478539bb9a1d1df44bd103121a12ae52142c07158dc52b97d2ec1d69ff"
DUCKDB_DIR="$root/.deps/duckdb"

need_apt=()
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
# Headless Chromium for the dashboard's browser tests (driven by npm playwright-core; the
# browser is Debian's, never downloaded by Playwright).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -f "$DUCKDB_DIR/libduckdb.so" ] || [ "$(cat "$DUCKDB_DIR/.pkg" 2>/dev/null)" != "$DUCKDB_NPM_PKG" ]; then
  echo "setup: fetching $DUCKDB_NPM_PKG (prebuilt libduckdb.so)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$DUCKDB_NPM_PKG" >/dev/null)
  tgz="$(ls "$tmp"/*.tgz)"
  echo "$DUCKDB_NPM_SHA256  $tgz" | sha256sum -c --quiet - || { echo "setup: sha256 mismatch for $tgz" >&2; exit 1; }
  tar -xzf "$tgz" -C "$tmp"
  mkdir -p "$DUCKDB_DIR"
  cp "$tmp/package/libduckdb.so" "$DUCKDB_DIR/"
  # libduckdb-sys needs the C header only for buildtime bindgen, which we do not use.
  echo "$DUCKDB_NPM_PKG" > "$DUCKDB_DIR/.pkg"
fi
# The official Python MCP SDK, used by the integration tests as a real MCP client, and pyarrow,
# with which they read the Parquet export back.
PY_DIR="$root/.deps/py"
MCP_PY_PKG="mcp==2.3.0 pyarrow==26.0.1"
if [ ! -x "$PY_DIR/bin/python" ] || [ "$(cat "$PY_DIR/.pkg" 2>/dev/null)" != "$MCP_PY_PKG" ]; then
  echo "setup: installing Python $MCP_PY_PKG into $PY_DIR"
  command -v python3 >/dev/null 2>&1 || { echo "setup: python3 is required" >&2; exit 1; }
  python3 -m venv "$PY_DIR"
  "$PY_DIR/bin/pip" install --quiet --disable-pip-version-check $MCP_PY_PKG
  echo "$MCP_PY_PKG" > "$PY_DIR/.pkg"
fi
# The MCP Inspector CLI (npm), used by the integration tests as a second real MCP client.
INSPECTOR_DIR="$root/.deps/inspector"
INSPECTOR_PKG="@modelcontextprotocol/inspector@2.12.0"
if [ ! -x "$INSPECTOR_DIR/node_modules/.bin/mcp-inspector" ] || [ "$(cat "$INSPECTOR_DIR/.pkg" 2>/dev/null)" != "$INSPECTOR_PKG" ]; then
  echo "setup: installing $INSPECTOR_PKG into $INSPECTOR_DIR"
  mkdir -p "$INSPECTOR_DIR"
  (cd "$INSPECTOR_DIR" && npm install --silent --no-audit --no-fund --prefix "$INSPECTOR_DIR" "$INSPECTOR_PKG")
  echo "$INSPECTOR_PKG" > "$INSPECTOR_DIR/.pkg"
fi
# The dashboard's npm packages, pinned: ECharts (embedded in the binary by
# engine/dashboard/build.rs) and playwright-core (drives Chromium in tests/dashboard).
WEB_DIR="$root/.deps/web"
WEB_PKG="echarts@5.6.0 playwright-core@1.65.1"
if [ ! -f "$WEB_DIR/node_modules/echarts/dist/echarts.min.js" ] || [ "$(cat "$WEB_DIR/.pkg" 2>/dev/null)" != "$WEB_PKG" ]; then
  echo "setup: installing npm $WEB_PKG into $WEB_DIR"
  mkdir -p "$WEB_DIR"
  (cd "$WEB_DIR" && npm install --silent --no-audit --no-fund --save-exact --prefix "$WEB_DIR" $WEB_PKG)
  echo "$WEB_PKG" > "$WEB_DIR/.pkg"
fi
# ONNX Runtime for the forecast_onnx plugin (`ort` with load-dynamic): the shared library of the
# official PyPI wheel, pinned by version and sha256 (the wheel's minor must be at least the `ort`
# API level the plugin is built with, 1.31).
ORT_VERSION="1.32.0"
ORT_WHEEL="onnxruntime-$ORT_VERSION-cp311-cp311-manylinux_2_28_x86_64.whl"
ORT_SHA256="5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d"
ORT_DIR="$root/.deps/onnxruntime"
if [ ! -f "$ORT_DIR/libonnxruntime.so.$ORT_VERSION" ] || [ "$(cat "$ORT_DIR/.pkg" 2>/dev/null)" != "$ORT_WHEEL" ]; then
  echo "setup: fetching $ORT_WHEEL (libonnxruntime.so)"
  tmp_ort="$(mktemp -d)"
  "$PY_DIR/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_28_x86_64 -d "$tmp_ort" "onnxruntime==$ORT_VERSION"
  echo "$ORT_SHA256  $tmp_ort/$ORT_WHEEL" | sha256sum -c --quiet - || { echo "setup: sha256 mismatch for $ORT_WHEEL" >&2; exit 1; }
  mkdir -p "$ORT_DIR"
  python3 - "$tmp_ort/$ORT_WHEEL" "$ORT_DIR" "$ORT_VERSION" <<'PY'
import sys, zipfile
whl, out, ver = sys.argv[1:4]
with zipfile.ZipFile(whl) as z:
    name = f"onnxruntime/capi/libonnxruntime.so.{ver}"
    with z.open(name) as src, open(f"{out}/libonnxruntime.so.{ver}", "wb") as dst:
        dst.write(src.read())
PY
  rm -rf "$tmp_ort"
  echo "$ORT_WHEEL" > "$ORT_DIR/.pkg"
fi
# cargo-fuzz (pinned) for the fuzz smoke run of the test command; the fuzz targets build with
# the nightly toolchain (sanitizers), which must be installed.
CARGO_FUZZ_VERSION="0.13.2"
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "setup: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
fi
rustup toolchain list 2>/dev/null | grep -q '^nightly' || {
  echo "setup: the nightly toolchain is required for the fuzz targets: rustup toolchain install nightly" >&2
  exit 1
}
echo "setup: ok (dashboard packages in $WEB_DIR, DuckDB in $DUCKDB_DIR, ONNX Runtime in $ORT_DIR, Python MCP SDK in $PY_DIR, MCP Inspector in $INSPECTOR_DIR)"
