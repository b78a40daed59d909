"""Differential test: the scripted raw Thrift calls of tests/differential.py run against
strata (each backend) AND against a real Apache HMS 2.3.10 that this module starts
itself (Derby, fresh, temporary warehouse; stopped at the end). Replies are compared
field by field after normalisation (see the docstring of tests/differential.py and
tests/README.md); any other difference fails with the call and both replies.

Sections: databases, tables, locks (run now) and partitions, partition_filters,
functions, column_stats (marker ``partitions``; STRATA_TEST_PARTITIONS=0 skips them).

Needs Java 17 and the anchor venv (~/.cache/strata-anchor-hms/venv; created by
shared/anchor-hms/setup.sh, which this module runs when the venv is missing).
STRATA_TEST_SKIP_DIFFERENTIAL=1 skips it. Under run_against_real_hms.py (an external
target) it compares two real metastores, which checks the normalisation itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from differential import KNOWN_DIFFERENCES, PARTITION_SECTIONS, SECTIONS, compare, run_section

pytestmark = pytest.mark.skipif(os.environ.get("STRATA_TEST_SKIP_DIFFERENTIAL") == "1",
                                reason="STRATA_TEST_SKIP_DIFFERENTIAL=1")

REPO_ROOT = Path(__file__).resolve().parent.parent
SETUP_TIMEOUT_S = 1800
START_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class DifferentialWarning(UserWarning):
    """A known, reported difference between strata and the real HMS."""


def anchor_dir() -> Path:
    for cand in (os.environ.get("ANCHOR_DIR"), REPO_ROOT.parent / "shared" / "anchor-hms",
                 Path("/work/shared/anchor-hms")):
        if cand and (Path(cand) / "hms-start.sh").exists():
            return Path(cand)
    pytest.skip("shared/anchor-hms not found (next to the repo or /work/shared; or set ANCHOR_DIR)")


@dataclass
class RealHms:
    host: str
    port: int
    warehouse_dir: Path
    pid: str
    state: Path


@pytest.fixture(scope="session")
def real_hms(tmp_path_factory):
    """One real HMS for the session (shared by the sqlite and postgres runs; every section
    uses its own database names)."""
    if not shutil.which("java"):
        pytest.skip("java (17) is needed to run the real HMS")
    anchor = anchor_dir()
    anchor_home = Path(os.environ.get("ANCHOR_HOME", Path.home() / ".cache" / "strata-anchor-hms"))
    if not (anchor_home / "venv" / "bin" / "python").exists():
        proc = subprocess.run(["bash", str(anchor / "setup.sh")], capture_output=True, text=True,
                              timeout=SETUP_TIMEOUT_S)
        if proc.returncode != 0:
            pytest.fail(f"{anchor}/setup.sh failed (rc={proc.returncode}):\n"
                        f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}", pytrace=False)

    work = tmp_path_factory.mktemp("real-hms").resolve()
    warehouse = work / "warehouse"
    state = work / "state"
    warehouse.mkdir()
    port = free_port()
    env = dict(os.environ, HMS_FRESH="1", HMS_WAREHOUSE=f"file://{warehouse}", HMS_STATE=str(state),
               HMS_START_TIMEOUT=str(START_TIMEOUT_S))
    proc = subprocess.run(["bash", str(anchor / "hms-start.sh"), "derby", str(port)], env=env,
                          capture_output=True, text=True, timeout=START_TIMEOUT_S + 60)
    pid = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not pid.isdigit():
        if pid.isdigit():
            subprocess.run(["bash", str(anchor / "hms-stop.sh"), pid], check=False, capture_output=True)
        log = state / "logs" / "stdout.log"
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        pytest.fail(f"real HMS did not start (rc={proc.returncode}): {proc.stderr[-4000:]}\n{tail}",
                    pytrace=False)
    server = RealHms(host="127.0.0.1", port=port, warehouse_dir=warehouse, pid=pid, state=state)
    try:
        yield server
    finally:
        subprocess.run(["bash", str(anchor / "hms-stop.sh"), pid], check=False, capture_output=True,
                       timeout=60)


def _sections():
    for name in SECTIONS:
        marks = [pytest.mark.partitions] if name in PARTITION_SECTIONS else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("section", list(_sections()))
def test_differential(strata_server, real_hms, section, tmp_path):
    """Every section against the server's default configuration (``strata_server``)."""
    _differential(strata_server, real_hms, section, tmp_path)


def _differential(strata_server, real_hms, section, tmp_path):
    assert port_accepts(real_hms.host, real_hms.port), "the real HMS stopped accepting connections"
    names = {"prefix": f"dif_{uuid.uuid4().hex[:8]}"}
    strata = run_section(section, strata_server.host, strata_server.port, str(strata_server.warehouse_dir),
                         tmp_path / "strata", names)
    hms = run_section(section, real_hms.host, real_hms.port, str(real_hms.warehouse_dir),
                      tmp_path / "hms", names)
    diffs, tolerated = compare(strata, hms, f"strata ({strata_server.backend})", "real HMS",
                               KNOWN_DIFFERENCES.get(section))
    for text in tolerated:
        warnings.warn(DifferentialWarning(text))
    if diffs:
        pytest.fail(f"section {section!r}: {len(diffs)} difference(s) between strata and the real "
                    f"HMS 2.3.10 (of {len(hms.steps)} steps)\n\n" + "\n\n".join(diffs), pytrace=False)
