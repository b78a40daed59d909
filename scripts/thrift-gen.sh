#!/usr/bin/env bash
# Regenerate crates/strata-thrift/src/{hive_metastore.rs,methods.rs} from
# thrift/hive_metastore.thrift:
#   thrift --gen rs  ->  scripts/thrift_postprocess.py  ->  rustfmt (edition 2021)
# The result is deterministic; scripts/check-thrift-drift.sh verifies it.
#
# Usage: scripts/thrift-gen.sh [OUT_DIR]   (default: crates/strata-thrift/src)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IDL="$ROOT/thrift/hive_metastore.thrift"
OUT_DIR="${1:-$ROOT/crates/strata-thrift/src}"
EXPECTED_THRIFT="0.17.0"

if ! command -v thrift >/dev/null 2>&1; then
  echo "thrift-gen: the Apache Thrift compiler is not installed." >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y thrift-compiler   (provides 'thrift' $EXPECTED_THRIFT on bookworm)" >&2
  exit 2
fi
for tool in python3 rustfmt; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "thrift-gen: '$tool' is required but not installed." >&2
    exit 2
  fi
done

version="$(thrift --version | awk '{print $3}')"
if [[ "$version" != "$EXPECTED_THRIFT" ]]; then
  echo "thrift-gen: warning: thrift $version found, the checked-in code was made with $EXPECTED_THRIFT;" >&2
  echo "            the output may differ (scripts/check-thrift-drift.sh will tell)." >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

thrift --gen rs -out "$tmp" "$IDL"
python3 "$ROOT/scripts/thrift_postprocess.py" \
  --idl "$IDL" \
  --input "$tmp/hive_metastore.rs" \
  --output "$tmp/out_hive_metastore.rs" \
  --methods-output "$tmp/out_methods.rs"

# Format with the repository's rustfmt config, if any, so `cargo fmt --check` agrees.
fmt_args=(--edition 2021)
if [[ -f "$ROOT/rustfmt.toml" || -f "$ROOT/.rustfmt.toml" ]]; then
  fmt_args+=(--config-path "$ROOT")
fi
rustfmt "${fmt_args[@]}" "$tmp/out_hive_metastore.rs" "$tmp/out_methods.rs"

mkdir -p "$OUT_DIR"
cp "$tmp/out_hive_metastore.rs" "$OUT_DIR/hive_metastore.rs"
cp "$tmp/out_methods.rs" "$OUT_DIR/methods.rs"
echo "thrift-gen: wrote $OUT_DIR/hive_metastore.rs and $OUT_DIR/methods.rs" >&2
