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
# (see docs/plugins.md).
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
# The dependency versions orderflow itself is built and tested with.
cp "$root/Cargo.lock" "$dir/Cargo.lock"
echo "new-plugin: wrote $kind plugin '$name' (orderflow-plugin-$name) in $dir"
echo "  build:  (cd $dir && cargo build --release)"
echo "  run:    orderflow demo --plugins $dir/target/release     # or: orderflow plugins --plugins …"
