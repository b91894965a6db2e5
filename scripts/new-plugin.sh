#!/usr/bin/env bash
# Writes a new orderflow plugin crate, outside this workspace, from the template kept in
# tool-sdk/template/ (and tested in CI by tests/plugin_template.rs).
#
#   scripts/new-plugin.sh NAME DIR [--kind venue|tools] [--sdk-version VERSION]
#
#   NAME   plugin (and venue) name: lower case, [a-z][a-z0-9_]*, e.g. `acme`; the library is
#          liborderflow_plugin_NAME.so and its tools are named NAME_*.
#   DIR    a new (or empty) folder for the crate.
#   --kind venue (default): a minimal working venue — sans-IO codec, emulator, two tools.
#          tools: a forecasting-style, tool-only plugin skeleton.
#   --sdk-version V: depend on orderflow-tool-sdk by version instead of by path to this checkout
#          (the emulator core and market are path dependencies either way).
#
# Then: cd DIR && cargo build --release, and run orderflow with `--plugins DIR/target/release`
# (see docs/plugins.md). A DIR directly under this repository's plugins/ makes an in-tree plugin
# instead: a workspace member (workspace dependencies, lints and profiles) that
# `cargo build --workspace` builds beside the others; add its name to `plugins.load`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { sed -n '4,14p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
name="$1"; dir="$2"; shift 2
kind=venue; sdk_version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kind) kind="${2:-}"; shift 2 ;;
    --sdk-version) sdk_version="${2:-}"; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$name" =~ ^[a-z][a-z0-9_]{0,30}$ ]] || { echo "new-plugin: NAME must match [a-z][a-z0-9_]* (got '$name')" >&2; exit 2; }
case "$kind" in venue|tools) ;; *) echo "new-plugin: --kind must be venue or tools" >&2; exit 2 ;; esac
template="$root/tool-sdk/template/$kind"
[ -d "$template" ] || { echo "new-plugin: template $template missing" >&2; exit 1; }
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "new-plugin: $dir exists and is not empty" >&2; exit 1
fi

# CamelCase type prefix: acme_perp -> AcmePerp.
camel="$(echo "$name" | awk -F_ '{for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2)}')"
if [ -n "$sdk_version" ]; then
  sdk_dep="\"$sdk_version\""
else
  sdk_dep="{ path = \"$root/tool-sdk\" }"
fi
common_dep="{ path = \"$root/plugins/common\" }"
sim_dep="{ path = \"$root/plugins/market-sim\" }"

mkdir -p "$dir"
(cd "$template" && find . -type f) | while read -r f; do
  mkdir -p "$dir/$(dirname "$f")"
  sed -e "s|{{name}}|$name|g" -e "s|{{Name}}|$camel|g" \
      -e "s|{{sdk_dep}}|$sdk_dep|g" -e "s|{{common_dep}}|$common_dep|g" -e "s|{{sim_dep}}|$sim_dep|g" \
      "$template/$f" > "$dir/$f"
done
if [ "$(cd "$dir/.." && pwd)" = "$root/plugins" ]; then
  # In-tree: a workspace member takes its versions, lints and profiles from the workspace.
  awk -v ws_deps='orderflow-tool-sdk.workspace = true|orderflow-plugin-common.workspace = true|orderflow-market-sim.workspace = true|serde.workspace = true|serde_json.workspace = true' '
    /^\[workspace\]/ || /^\[profile/ { skip = 1; next }
    /^\[/ { skip = 0 }
    skip { next }
    /^version = / { print "version.workspace = true\nedition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true"; next }
    /^edition = / { next }
    /^# Its own workspace/ { next }
    /^\[dependencies\]/ { print; n = split(ws_deps, d, "|"); for (i = 1; i <= n; i++) print d[i]; indeps = 1; next }
    indeps && /^(orderflow-|serde)/ { next }
    indeps && /^#/ { next }
    { print }
    END { print "\n[lints]\nworkspace = true" }
  ' "$dir/Cargo.toml" > "$dir/Cargo.toml.new" && mv "$dir/Cargo.toml.new" "$dir/Cargo.toml"
  [ "$kind" = tools ] && sed -i '/orderflow-plugin-common.workspace\|orderflow-market-sim.workspace\|^serde.workspace/d' "$dir/Cargo.toml"
else
  # The dependency versions orderflow itself is built and tested with.
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
fi
echo "new-plugin: wrote $kind plugin '$name' (orderflow-plugin-$name) in $dir"
echo "  build:  (cd $dir && cargo build --release)"
echo "  run:    orderflow demo --plugins $dir/target/release     # or: orderflow plugins --plugins …"
