"""Fixtures for the real-client tests of Strata.

Every real-client test runs against each *backend* of the session-scoped,
parametrized fixture ``strata_server``:

* ``sqlite``   -- ``strata serve`` with ``sqlite://<tmp>/strata.db``
* ``postgres`` -- ``strata serve`` with a fresh ``strata_t_<random>`` database
                  on ``127.0.0.1:5432`` (created with psql, dropped afterwards)
* ``external`` -- only when ``STRATA_TEST_TARGET=thrift://HOST:PORT`` is set
                  (plus ``STRATA_TEST_WAREHOUSE=<dir or file:// uri>``, the
                  server's warehouse root). Nothing is started; the tests run
                  against that server. This is how the suite is validated against
                  the real Apache Hive Metastore 2.3.10 (see tests/README.md).

Environment knobs:

* ``STRATA_BIN``               path of the server binary (default target/debug/strata)
* ``STRATA_TEST_BACKENDS``     comma list, subset of ``sqlite,postgres`` (default both)
* ``STRATA_TEST_REQUIRE_BIN=1``  a missing binary is an error instead of a skip
                               (scripts/test.sh sets it when cargo built the binary)
* ``STRATA_TEST_PG_ADMIN_URL`` libpq URL used to create/drop the per-session
                               database (default postgres://postgres@127.0.0.1:5432/postgres)
* ``STRATA_TEST_SKIP_SPARK=1`` skip tests/test_spark.py (and tests/test_spark_partitions.py)
* ``STRATA_TEST_PARTITIONS=0``  skip the tests marked ``partitions`` (partitions,
                               functions, column statistics, notifications) against strata,
                               for a quick run of the database/table tests only
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

START_TIMEOUT_S = float(os.environ.get("STRATA_TEST_START_TIMEOUT", "20"))
STOP_TIMEOUT_S = 20.0
PG_ADMIN_URL = os.environ.get(
    "STRATA_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)

EXTERNAL_TARGET = os.environ.get("STRATA_TEST_TARGET", "").strip()
EXTERNAL_WAREHOUSE = os.environ.get("STRATA_TEST_WAREHOUSE", "").strip()


def _backends() -> List[str]:
    if EXTERNAL_TARGET:
        return ["external"]
    wanted = os.environ.get("STRATA_TEST_BACKENDS", "sqlite,postgres")
    names = [b.strip() for b in wanted.split(",") if b.strip()]
    unknown = [b for b in names if b not in ("sqlite", "postgres")]
    if unknown or not names:
        raise pytest.UsageError(f"STRATA_TEST_BACKENDS: unknown backend(s) {unknown or wanted!r}")
    return names


BACKENDS = _backends()

PARTITIONS_ENABLED = bool(EXTERNAL_TARGET) or os.environ.get("STRATA_TEST_PARTITIONS", "1") != "0"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "partitions: partition / function / column-statistics / notification tests; skipped "
        "against strata when STRATA_TEST_PARTITIONS=0 (always run against STRATA_TEST_TARGET)")


def pytest_collection_modifyitems(config, items):
    if PARTITIONS_ENABLED:
        return
    skip = pytest.mark.skip(reason="partitions marker: skipped with STRATA_TEST_PARTITIONS=0")
    for item in items:
        if item.get_closest_marker("partitions") is not None:
            item.add_marker(skip)


def _thrift_socket_timeouts(seconds: float) -> None:
    """Give every Thrift socket of this process (hmsclient, PyIceberg) a read/connect
    timeout, so a server that never answers fails a test instead of hanging CI.
    (thrift's TSocket.open() otherwise forces blocking mode.)"""
    from thrift.transport import TSocket

    original_init = TSocket.TSocket.__init__
    if getattr(original_init, "_strata_timeout", False):
        return

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self._timeout is None:
            self._timeout = seconds

    init._strata_timeout = True
    TSocket.TSocket.__init__ = init


_thrift_socket_timeouts(float(os.environ.get("STRATA_TEST_SOCKET_TIMEOUT", "60")))


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def strata_binary() -> Path:
    env = os.environ.get("STRATA_BIN")
    path = Path(env) if env else REPO_ROOT / "target" / "debug" / "strata"
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _warehouse_from_env(value: str) -> Path:
    path = value[len("file://"):] if value.startswith("file://") else value
    if path.startswith("file:"):
        path = path[len("file:"):]
    return Path(path).resolve()


def _psql(sql: str, url: str = PG_ADMIN_URL) -> None:
    psql = shutil.which("psql")
    if not psql:
        pytest.fail("psql not found: the postgres backend needs a local PostgreSQL "
                    "(or set STRATA_TEST_BACKENDS=sqlite)")
    proc = subprocess.run(
        [psql, url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        capture_output=True, text=True, timeout=60,
    )
    if proc.returncode != 0:
        pytest.fail(f"psql {sql!r} failed (rc={proc.returncode}): {proc.stderr.strip()}")


@dataclass
class Server:
    """A running metastore the tests talk to."""

    backend: str
    host: str
    port: int
    warehouse_dir: Path            # absolute local path of the warehouse root
    database_url: Optional[str] = None
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None
    extra: dict = field(default_factory=dict)
    admin_port: Optional[int] = None   # the admin HTTP listener (health, metrics, UI)

    @property
    def uri(self) -> str:
        return f"thrift://{self.host}:{self.port}"

    @property
    def warehouse_uri(self) -> str:
        return f"file://{self.warehouse_dir}"

    @property
    def is_external(self) -> bool:
        return self.process is None

    def log_tail(self, limit: int = 20000) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no server log)"
        text = self.log_path.read_text(errors="replace")
        return text[-limit:]


def _start_strata(backend: str, binary: Path, database_url: str, warehouse: Path,
                  workdir: Path, batch_mode: Optional[str], warehouse_uri: Optional[str] = None,
                  extra_env: Optional[dict] = None) -> Server:
    port = free_port()
    log_path = workdir / f"strata-{backend}.stderr.log"
    cmd = [
        str(binary), "serve",
        "--listen", f"127.0.0.1:{port}",
        "--database-url", database_url,
        "--warehouse", warehouse_uri or f"file://{warehouse}",
    ]
    if batch_mode is not None:
        cmd += ["--batch-default-mode", batch_mode]
    env = dict(os.environ)
    # Every test server gets its own admin listener port (the default, 9084, would be shared).
    env["STRATA_ADMIN__LISTEN"] = f"127.0.0.1:{free_port()}"
    env.update(extra_env or {})
    env.setdefault("RUST_BACKTRACE", "1")
    admin = env["STRATA_ADMIN__LISTEN"].strip()
    admin_port = int(admin.rsplit(":", 1)[1]) if admin else None
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=str(workdir), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    server = Server(backend=backend, host="127.0.0.1", port=port, warehouse_dir=warehouse,
                    database_url=database_url, process=proc, log_path=log_path,
                    admin_port=admin_port)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if port_accepts("127.0.0.1", port):
            return server
        rc = proc.poll()
        if rc is not None:
            pytest.fail(f"strata ({backend}) exited with {rc} during startup\n"
                        f"command: {' '.join(cmd)}\n--- server output ---\n{server.log_tail()}",
                        pytrace=False)
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            pytest.fail(f"strata ({backend}) did not accept on 127.0.0.1:{port} within "
                        f"{START_TIMEOUT_S:.0f}s\ncommand: {' '.join(cmd)}\n"
                        f"--- server output ---\n{server.log_tail()}", pytrace=False)
        time.sleep(0.05)


def _stop_strata(server: Server) -> None:
    proc = server.process
    assert proc is not None
    if proc.poll() is not None:
        pytest.fail(f"strata ({server.backend}) died during the tests with exit code "
                    f"{proc.returncode}\n--- server output ---\n{server.log_tail()}",
                    pytrace=False)
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        pytest.fail(f"strata ({server.backend}) did not exit within {STOP_TIMEOUT_S:.0f}s "
                    f"of SIGTERM\n--- server output ---\n{server.log_tail()}", pytrace=False)
    if rc != 0:
        pytest.fail(f"strata ({server.backend}) exited with {rc} after SIGTERM (expected 0)"
                    f"\n--- server output ---\n{server.log_tail()}", pytrace=False)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session", params=BACKENDS)
def strata_server(request, tmp_path_factory) -> Iterator[Server]:
    """A metastore for the whole session, one per backend, started with the server's DEFAULT
    configuration (no flag, no ``STRATA_*`` setting besides its ports): what a team that
    points its engines at Strata gets. Tests about a setting start their own server."""
    yield from _session_server(request.param, tmp_path_factory, None)


@pytest.fixture(scope="session")
def batch_server(strata_server) -> Server:
    """The default-configuration server, for tests that need a strata (not an external
    metastore): the batch policy's directory rules are Strata's own."""
    if strata_server.is_external:
        pytest.skip("needs a strata started by the tests")
    return strata_server


def _session_server(backend: str, tmp_path_factory, batch_mode: Optional[str]) -> Iterator[Server]:
    if backend == "external":
        if not EXTERNAL_WAREHOUSE:
            pytest.fail("STRATA_TEST_TARGET needs STRATA_TEST_WAREHOUSE (the server's warehouse root)")
        target = EXTERNAL_TARGET
        if target.startswith("thrift://"):
            target = target[len("thrift://"):]
        host, _, port = target.rpartition(":")
        server = Server(backend="external", host=host or "127.0.0.1", port=int(port),
                        warehouse_dir=_warehouse_from_env(EXTERNAL_WAREHOUSE))
        if not port_accepts(server.host, server.port, timeout=5):
            pytest.fail(f"external metastore {EXTERNAL_TARGET} does not accept connections")
        yield server
        return

    binary = strata_binary()
    if not binary.exists():
        msg = (f"strata binary not found at {binary} (build it with `cargo build`, "
               f"or set STRATA_BIN)")
        if os.environ.get("STRATA_TEST_REQUIRE_BIN") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)

    workdir = tmp_path_factory.mktemp(f"strata-{backend}-{batch_mode or 'default'}").resolve()
    with running_strata(backend, workdir, batch_mode=batch_mode) as server:
        yield server


@contextlib.contextmanager
def running_strata(backend: str, workdir: Path, *, db_prefix: str = "strata_t",
                   batch_mode: Optional[str] = None, extra_env: Optional[dict] = None):
    """A strata server on `backend` with its warehouse under `workdir` and, on PostgreSQL, a
    database of its own (dropped afterwards); stopped when the block ends. Fixtures of tests
    about a setting pass it in `extra_env` (``STRATA_*``)."""
    binary = strata_binary()
    if not binary.exists():
        if os.environ.get("STRATA_TEST_REQUIRE_BIN") == "1":
            pytest.fail(f"strata binary not found at {binary}", pytrace=False)
        pytest.skip(f"no strata binary at {binary}")
    warehouse = workdir / "warehouse"
    warehouse.mkdir(exist_ok=True)
    pg_db = None
    if backend == "sqlite":
        database_url = f"sqlite://{workdir}/strata.db"
    else:
        pg_db = f"{db_prefix}_{uuid.uuid4().hex[:12]}"
        _psql(f"CREATE DATABASE {pg_db}")
        database_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_db}"
    try:
        server = _start_strata(backend, binary, database_url, warehouse, workdir, batch_mode,
                               extra_env=extra_env)
        server.extra["pg_db"] = pg_db
        try:
            yield server
        finally:
            _stop_strata(server)
    finally:
        if pg_db:
            _psql(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """unique_name("db") -> "db_1a2b3c4d": lower case, [a-z0-9_], unique per call."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}_{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def hms_client_factory(strata_server):
    """Returns a function that opens a new hmsclient connection (closed at teardown)."""
    from hmsclient.hmsclient import HMSClient

    opened = []

    def connect() -> HMSClient:
        client = HMSClient(host=strata_server.host, port=strata_server.port)
        client.open()
        opened.append(client)
        return client

    yield connect
    for client in opened:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - best effort
            pass


@pytest.fixture
def hms(hms_client_factory):
    """One open Python Thrift client (hmsclient 0.1.1, binary protocol, buffered)."""
    return hms_client_factory()


@pytest.fixture
def iceberg_catalog_factory(strata_server):
    """Returns a function that builds a PyIceberg HiveCatalog against the server."""
    from pyiceberg.catalog.hive import HiveCatalog

    def make(name: str = "strata", **props) -> HiveCatalog:
        properties = {"uri": strata_server.uri, "warehouse": strata_server.warehouse_uri}
        properties.update(props)
        return HiveCatalog(name, **properties)

    return make


@pytest.fixture(scope="module")
def spark_partitions_runner(tmp_path_factory):
    """Like spark_scenario_runner, for tests/spark_partitions_scenario.py."""
    from spark_partitions_scenario import run_in_subprocess

    def run(server: Server, prefix: str) -> dict:
        workdir = tmp_path_factory.mktemp(f"spark-partitions-{server.backend}")
        return run_in_subprocess(server.uri, server.warehouse_uri, prefix, workdir)

    return run


@pytest.fixture(scope="module")
def spark_scenario_runner(tmp_path_factory):
    """Returns run(server, prefix) -> dict: runs tests/spark_scenario.py in a fresh
    Python process (one SparkSession with the built-in Hive client per JVM, so each
    backend gets its own process) and returns its JSON report."""
    from spark_scenario import run_in_subprocess

    def run(server: Server, prefix: str) -> dict:
        workdir = tmp_path_factory.mktemp(f"spark-{server.backend}")
        return run_in_subprocess(server.uri, server.warehouse_uri, prefix, workdir)

    return run
