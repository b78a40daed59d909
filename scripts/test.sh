#!/usr/bin/env bash
# The test command of Strata: builds the workspace, runs the Rust tests, then the
# real-client tests (Python Thrift client, PyIceberg, Spark) against `strata serve`
# on SQLite and on PostgreSQL.
#
#   scripts/test.sh                 everything (what CI runs)
#   STRATA_TEST_SKIP_SPARK=1 scripts/test.sh     skip the Spark tests (quicker)
#   STRATA_TEST_SKIP_RUST=1 scripts/test.sh      skip the Rust tests (still builds the binary)
#   scripts/test.sh -k locks        extra arguments go to pytest
#
# Needs: cargo, python3 (3.10+) with venv, Java 17 (Spark), PostgreSQL on 127.0.0.1:5432
# with trust auth for the postgres user; Debian's chromium (installed here with apt-get when
# missing and running as root). Idempotent; the Python venv is cached in
# target/pyenv and rebuilt only when tests/requirements.txt changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf '\n==> %s\n' "$*" >&2; }

# --- PostgreSQL --------------------------------------------------------------------
if ! pg_isready -h 127.0.0.1 -q; then
  log "PostgreSQL is not accepting on 127.0.0.1; starting the local cluster"
  for ver in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  done
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -q && break; sleep 0.5; done
  pg_isready -h 127.0.0.1 || { echo "PostgreSQL did not come up" >&2; exit 1; }
fi
export STRATA_TEST_PG_URL=${STRATA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export STRATA_TEST_PG_ADMIN_URL=${STRATA_TEST_PG_ADMIN_URL:-$STRATA_TEST_PG_URL}

# --- Generated Thrift code matches the IDL ---------------------------------------------
log "scripts/check-thrift-drift.sh"
bash scripts/check-thrift-drift.sh

# --- Rust ----------------------------------------------------------------------------
log "cargo fmt --check, cargo clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "cargo build --workspace"
cargo build --workspace

if [ "${STRATA_TEST_SKIP_RUST:-0}" != 1 ]; then
  if cargo nextest --version >/dev/null 2>&1; then
    log "cargo nextest run --workspace"
    # --no-tests=warn: a workspace without tests yet is not an error of this script
    cargo nextest run --workspace --no-tests=warn
  else
    log "cargo test --workspace"
    cargo test --workspace
  fi
fi

BIN=${STRATA_BIN:-$ROOT/target/debug/strata}
if [ -x "$BIN" ]; then
  export STRATA_BIN=$BIN
  export STRATA_TEST_REQUIRE_BIN=1   # from here on a server that will not start is a failure
else
  log "WARNING: no strata binary at $BIN: the real-client tests will be SKIPPED"
fi

# --- Python venv (cached) -------------------------------------------------------------
VENV=$ROOT/target/pyenv
REQ=$ROOT/tests/requirements.txt
PYTHON=${PYTHON:-python3}
want_hash=$( (sha256sum "$REQ"; "$PYTHON" --version 2>&1) | sha256sum | cut -d' ' -f1)
have_hash=$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)
if [ "$want_hash" != "$have_hash" ] || [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV from tests/requirements.txt"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  echo "$want_hash" >"$VENV/.requirements.sha256"
else
  log "reusing $VENV (tests/requirements.txt unchanged)"
fi

# --- headless browser for the history UI test (tests/test_admin.py) -------------------
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    log "WARNING: no chromium and cannot apt-get install it: the UI test will fail"
  fi
fi

# --- real-client tests ------------------------------------------------------------------
command -v java >/dev/null || [ "${STRATA_TEST_SKIP_SPARK:-0}" = 1 ] ||
  { echo "java (17) is needed for the Spark tests (or set STRATA_TEST_SKIP_SPARK=1)" >&2; exit 1; }

log "pytest tests/"
set +e
"$VENV/bin/python" -m pytest tests/ -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
