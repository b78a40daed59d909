#!/usr/bin/env bash
# Fail (exit 1) when the checked-in generated Thrift code differs from what
# scripts/thrift-gen.sh produces from thrift/hive_metastore.thrift.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/crates/strata-thrift/src"

if ! command -v thrift >/dev/null 2>&1; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "check-thrift-drift: installing thrift-compiler" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq thrift-compiler >/dev/null
  else
    echo "check-thrift-drift: the Apache Thrift compiler is not installed." >&2
    echo "  Install it with: sudo apt-get install -y thrift-compiler" >&2
    echo "  (run as root, this script installs it itself)" >&2
    exit 2
  fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$ROOT/scripts/thrift-gen.sh" "$tmp" 2>"$tmp/gen.log" || { cat "$tmp/gen.log" >&2; exit 1; }

status=0
for f in hive_metastore.rs methods.rs; do
  if [[ ! -f "$SRC/$f" ]]; then
    echo "check-thrift-drift: missing $SRC/$f" >&2
    status=1
  elif ! cmp -s "$tmp/$f" "$SRC/$f"; then
    echo "check-thrift-drift: crates/strata-thrift/src/$f is out of date with thrift/hive_metastore.thrift" >&2
    diff -u "$SRC/$f" "$tmp/$f" | head -n 40 >&2 || true
    status=1
  fi
done

if [[ $status -ne 0 ]]; then
  echo "" >&2
  echo "check-thrift-drift: DRIFT. Run scripts/thrift-gen.sh and commit the result" >&2
  echo "(never edit the generated files by hand)." >&2
  exit 1
fi
echo "check-thrift-drift: OK (generated code matches thrift/hive_metastore.thrift)"
