#!/usr/bin/env python3
"""Run this test suite against the REAL Apache Hive Metastore 2.3.10 (the anchor).

    target/pyenv/bin/python tests/run_against_real_hms.py [pytest args / test paths...]

Starts a fresh Derby-backed HMS from the pyspark wheel's jars with
shared/anchor-hms/hms-start.sh on a free port and a temporary warehouse, runs
`pytest tests/` with STRATA_TEST_TARGET / STRATA_TEST_WAREHOUSE pointing at it,
and stops it. Needs `bash shared/anchor-hms/setup.sh` once (ANCHOR_DIR overrides
where the scripts are; default: ../shared/anchor-hms next to the repo, then
/work/shared/anchor-hms).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def anchor_dir() -> Path:
    for cand in (os.environ.get("ANCHOR_DIR"), ROOT.parent / "shared" / "anchor-hms",
                 Path("/work/shared/anchor-hms")):
        if cand and (Path(cand) / "hms-start.sh").exists():
            return Path(cand)
    sys.exit("anchor-hms scripts not found (set ANCHOR_DIR)")


def main() -> int:
    anchor = anchor_dir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    warehouse = Path(tempfile.mkdtemp(prefix="real-hms-wh-")).resolve()
    env = dict(os.environ, HMS_FRESH="1", HMS_WAREHOUSE=f"file://{warehouse}",
               HMS_STATE=str(Path(tempfile.mkdtemp(prefix="real-hms-state-"))))
    pid = subprocess.run(["bash", str(anchor / "hms-start.sh"), "derby", str(port)], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    print(f"real HMS pid={pid} port={port} warehouse={warehouse}", flush=True)
    try:
        test_env = dict(os.environ, STRATA_TEST_TARGET=f"thrift://127.0.0.1:{port}",
                        STRATA_TEST_WAREHOUSE=str(warehouse))
        args = sys.argv[1:]
        if not any(Path(a.split("::")[0]).exists() for a in args if not a.startswith("-")):
            args = [str(TESTS), *args]
        return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=str(ROOT), env=test_env)
    finally:
        subprocess.run(["bash", str(anchor / "hms-stop.sh"), pid], check=False)


if __name__ == "__main__":
    sys.exit(main())
