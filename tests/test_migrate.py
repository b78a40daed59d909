"""Moving from Apache HMS: `strata import`, `import --watch`, `verify` and `export` against a
real Apache HMS 2.3.10 on PostgreSQL (started by this module from shared/anchor-hms, as
test_differential.py does), and Strata as a source (its notification log).

The source, filled once per session over Thrift: two databases, a managed and an external
table, a view, a function, table and partition column statistics, and an external table
with PARTS (default 2,000; STRATA_TEST_MIGRATE_PARTS) partitions over a date and an int
key. The 20,000-partition figures of the README were measured by hand with the same module
(STRATA_TEST_MIGRATE_PARTS=20000).

STRATA_TEST_SKIP_DIFFERENTIAL=1 or STRATA_TEST_SKIP_MIGRATE=1 skips it.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import PG_ADMIN_URL, _psql, strata_binary
from hms_helpers import make_table, norm_location
from test_differential import START_TIMEOUT_S, SETUP_TIMEOUT_S, anchor_dir, free_port, port_accepts

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    ColumnStatistics,
    ColumnStatisticsData,
    ColumnStatisticsDesc,
    ColumnStatisticsObj,
    Database,
    FieldSchema,
    Function,
    FunctionType,
    LongColumnStatsData,
    Partition,
    PrincipalType,
    ResourceType,
    ResourceUri,
    StringColumnStatsData,
)
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport

pytestmark = pytest.mark.skipif(
    os.environ.get("STRATA_TEST_SKIP_DIFFERENTIAL") == "1" or os.environ.get("STRATA_TEST_SKIP_MIGRATE") == "1",
    reason="STRATA_TEST_SKIP_DIFFERENTIAL=1 or STRATA_TEST_SKIP_MIGRATE=1")

PARTS = int(os.environ.get("STRATA_TEST_MIGRATE_PARTS", "2000"))
HOURS = 20
PREFIX = f"mig{uuid.uuid4().hex[:6]}"
DB_A, DB_B = f"{PREFIX}_sales", f"{PREFIX}_ref"
PATTERN = f"{PREFIX}_*"
CLI_TIMEOUT_S = 600


# --------------------------------------------------------------------------- helpers


class Raw:
    """A raw Thrift client (binary, buffered) to any metastore."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        sock = TSocket.TSocket(host, port)
        sock.setTimeout(300_000)
        self.transport = TTransport.TBufferedTransport(sock)
        self.client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(self.transport))
        self.transport.open()

    def __getattr__(self, name):
        return getattr(self.client, name)

    def close(self):
        self.transport.close()


def start_hms(backend: str, work: Path, extra_env: dict) -> tuple:
    if not shutil.which("java"):
        pytest.skip("java (17) is needed to run the real HMS")
    anchor = anchor_dir()
    anchor_home = Path(os.environ.get("ANCHOR_HOME", Path.home() / ".cache" / "strata-anchor-hms"))
    if not (anchor_home / "venv" / "bin" / "python").exists():
        proc = subprocess.run(["bash", str(anchor / "setup.sh")], capture_output=True, text=True,
                              timeout=SETUP_TIMEOUT_S)
        assert proc.returncode == 0, f"setup.sh failed: {proc.stderr[-3000:]}"
    warehouse = work / "warehouse"
    warehouse.mkdir(parents=True)
    for attempt in range(3):
        # another process may take the free port before the JVM binds it: try again
        port = free_port()
        env = dict(os.environ, HMS_FRESH="1", HMS_WAREHOUSE=f"file://{warehouse}",
                   HMS_STATE=str(work / f"state{attempt}"), HMS_START_TIMEOUT=str(START_TIMEOUT_S), **extra_env)
        proc = subprocess.run(["bash", str(anchor / "hms-start.sh"), backend, str(port)], env=env,
                              capture_output=True, text=True, timeout=START_TIMEOUT_S + 60)
        pid = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        if proc.returncode == 0 and pid.isdigit():
            return port, pid, warehouse, anchor
        if pid.isdigit():
            subprocess.run(["bash", str(anchor / "hms-stop.sh"), pid], capture_output=True)
        if "Address already in use" not in proc.stderr:
            break
    pytest.fail(f"real HMS ({backend}) did not start: {proc.stderr[-3000:]}", pytrace=False)


def stop_hms(anchor: Path, pid: str) -> None:
    subprocess.run(["bash", str(anchor / "hms-stop.sh"), pid], capture_output=True, timeout=90)


def strata_cli(database_url: str, warehouse: str, *args, timeout=CLI_TIMEOUT_S, check=True):
    cmd = [str(strata_binary()), "--database-url", database_url, "--warehouse", warehouse, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd[1:])} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}",
                    pytrace=False)
    return proc


def report_of(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fresh_database(backend: str, tmp_path: Path) -> tuple:
    """An empty Strata database of the backend: (url, cleanup)."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path}/target.db", lambda: None
    name = f"strata_m_{uuid.uuid4().hex[:10]}"
    _psql(f"CREATE DATABASE {name}")
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}", lambda: _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def count_partitions(database_url: str) -> int:
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url[len("sqlite://"):], timeout=30) as c:
            return c.execute("select count(*) from partitions").fetchone()[0]
    out = subprocess.run(["psql", database_url, "-qAt", "-c", "select count(*) from partitions"],
                         capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip() or 0)


def tree(root: Path) -> list:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --------------------------------------------------------------------------- the source


def _long_stats(db, table, part, col, low, high):
    return ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=part is None, dbName=db, tableName=table, partName=part),
        statsObj=[ColumnStatisticsObj(colName=col, colType="bigint", statsData=ColumnStatisticsData(
            longStats=LongColumnStatsData(lowValue=low, highValue=high, numNulls=0, numDVs=high - low + 1)))])


def fill_source(c: Raw, data_root: Path) -> dict:
    """The source metastore's objects. Returns what was made."""
    for db in (DB_A, DB_B):
        c.create_database(Database(name=db, description=f"{db} for the migration test", locationUri=None,
                                   parameters={"owner.team": "data"}, ownerName="etl", ownerType=PrincipalType.USER))
    # managed, unpartitioned, with table stats
    c.create_table(make_table(DB_A, "customers", columns=(("id", "bigint"), ("name", "string"))))
    c.update_table_column_statistics(_long_stats(DB_A, "customers", None, "id", 1, 500))
    # external, PARTS partitions over a date and an int key
    big = make_table(DB_A, "sold_items", columns=(("id", "bigint"), ("price", "double")),
                     partition_keys=(("dt", "date"), ("hr", "int")), params={"EXTERNAL": "TRUE"},
                     location=f"file://{data_root}/sold_items", table_type="EXTERNAL_TABLE")
    c.create_table(big)
    big = c.get_table(DB_A, "sold_items")
    day0 = datetime.date(2024, 1, 1)
    names = []
    batch = []
    for i in range(PARTS):
        dt = (day0 + datetime.timedelta(days=i // HOURS)).isoformat()
        hr = str(i % HOURS)
        sd = big.sd.__class__(**{k: getattr(big.sd, k) for k in big.sd.__dict__})
        sd.location = f"file://{data_root}/sold_items/dt={dt}/hr={hr}"
        batch.append(Partition(values=[dt, hr], dbName=DB_A, tableName="sold_items", sd=sd,
                               parameters={"source": "etl"}))
        names.append(f"dt={dt}/hr={hr}")
        if len(batch) == 500:
            c.add_partitions(batch)
            batch = []
    if batch:
        c.add_partitions(batch)
    for name in names[:5]:
        c.update_partition_column_statistics(_long_stats(DB_A, "sold_items", name, "id", 1, 10))
    # a view
    view = make_table(DB_A, "recent_items", columns=(("id", "bigint"),), table_type="VIRTUAL_VIEW")
    view.sd.location = None
    view.viewOriginalText = f"select id from {DB_A}.sold_items"
    view.viewExpandedText = f"select `sold_items`.`id` from `{DB_A}`.`sold_items`"
    c.create_table(view)
    # a function
    c.create_function(Function(functionName="to_cents", dbName=DB_A, className="com.example.ToCents",
                               ownerName="etl", ownerType=PrincipalType.USER, createTime=int(time.time()),
                               functionType=FunctionType.JAVA,
                               resourceUris=[ResourceUri(resourceType=ResourceType.JAR,
                                                         uri=f"file://{data_root}/udf.jar")]))
    # a string-keyed external table with partition stats of a string column
    codes = make_table(DB_B, "country_codes", columns=(("code", "string"),), partition_keys=(("region", "string"),),
                       params={"EXTERNAL": "TRUE"}, location=f"file://{data_root}/codes",
                       table_type="EXTERNAL_TABLE")
    c.create_table(codes)
    codes = c.get_table(DB_B, "country_codes")
    parts = []
    for region in ("emea", "apac", "amer"):
        sd = codes.sd.__class__(**{k: getattr(codes.sd, k) for k in codes.sd.__dict__})
        sd.location = f"file://{data_root}/codes/region={region}"
        parts.append(Partition(values=[region], dbName=DB_B, tableName="country_codes", sd=sd, parameters={}))
    c.add_partitions(parts)
    c.update_partition_column_statistics(ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=False, dbName=DB_B, tableName="country_codes",
                                       partName="region=emea"),
        statsObj=[ColumnStatisticsObj(colName="code", colType="string", statsData=ColumnStatisticsData(
            stringStats=StringColumnStatsData(maxColLen=2, avgColLen=2.0, numNulls=0, numDVs=40)))]))
    return {"partitions": PARTS + 3, "tables": 3, "views": 1}


class Source:
    def __init__(self, port, pid, warehouse, anchor, data_root, work, pg_db):
        self.port, self.pid, self.warehouse, self.anchor, self.data_root = port, pid, warehouse, anchor, data_root
        self.work, self.pg_db = work, pg_db

    @property
    def uri(self):
        return f"thrift://127.0.0.1:{self.port}"

    def stop(self):
        stop_hms(self.anchor, self.pid)

    def start_again(self):
        """The same HMS (same database, same port) started again."""
        env = dict(os.environ, HMS_PG_DB=self.pg_db, HMS_WAREHOUSE=f"file://{self.warehouse}",
                   HMS_STATE=str(self.work / "restarted"), HMS_START_TIMEOUT=str(START_TIMEOUT_S))
        env.pop("HMS_FRESH", None)
        proc = subprocess.run(["bash", str(self.anchor / "hms-start.sh"), "postgres", str(self.port)], env=env,
                              capture_output=True, text=True, timeout=START_TIMEOUT_S + 60)
        pid = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        assert proc.returncode == 0 and pid.isdigit(), f"the HMS did not start again: {proc.stderr[-3000:]}"
        self.pid = pid


@pytest.fixture(scope="module")
def source_hms(tmp_path_factory):
    work = tmp_path_factory.mktemp("migrate-hms").resolve()
    pg_db = f"hms_mig_{uuid.uuid4().hex[:8]}"
    port, pid, warehouse, anchor = start_hms("postgres", work, {"HMS_PG_DB": pg_db})
    data_root = work / "data"
    data_root.mkdir()
    source = Source(port, pid, warehouse, anchor, data_root, work, pg_db)
    try:
        c = Raw(port)
        t0 = time.monotonic()
        made = fill_source(c, data_root)
        print(f"source filled in {time.monotonic() - t0:.1f} s")
        c.close()
        yield source, made
    finally:
        source.stop()  # the pid of the last start (a test restarts it)
        subprocess.run(["su", "postgres", "-c", f"psql -qAt -c 'drop database if exists {pg_db}'"],
                       capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def imported(source_hms, strata_server):
    """The source imported into the session's Strata (per backend), with the first report."""
    source, made = source_hms
    before = tree(source.data_root) + tree(strata_server.warehouse_dir)
    proc = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "import", "--from", source.uri,
                      "--databases", PATTERN, "--json")
    report = report_of(proc)
    after = tree(source.data_root) + tree(strata_server.warehouse_dir)
    return source, made, report, before, after


# --------------------------------------------------------------------------- tests


def test_import_copies_everything_and_touches_no_file(imported, strata_server):
    source, made, report, before, after = imported
    assert report["errors"] == []
    assert report["databases"]["created"] == 2
    assert report["tables"]["created"] == made["tables"]
    assert report["views"]["created"] == made["views"]
    assert report["partitions"]["created"] == made["partitions"]
    assert report["functions"]["created"] == 1
    assert report["table_stats"]["created"] == 1
    assert report["partition_stats"]["created"] == 6
    assert report["partitions_per_second"] > 0
    print(f"import ({strata_server.backend}): {made['partitions']} partitions, "
          f"{report['partitions_per_second']:.0f} partitions/s, peak RSS {report['peak_rss_kb']} kB")
    # metadata only: no directory created, moved or removed on either side
    assert before == after

    s = Raw(strata_server.port)
    try:
        t = s.get_table(DB_A, "sold_items")
        assert t.tableType == "EXTERNAL_TABLE"
        assert norm_location(t.sd.location) == norm_location(f"file://{source.data_root}/sold_items")
        names = s.get_partition_names(DB_A, "sold_items", -1)
        assert len(names) == PARTS
        p = s.get_partition_by_name(DB_A, "sold_items", names[-1])
        assert norm_location(p.sd.location) == norm_location(f"file://{source.data_root}/sold_items/{names[-1]}")
        # int and date keys work in filters after the import
        assert len(s.get_partitions_by_filter(DB_A, "sold_items", "hr = 3", -1)) == PARTS // HOURS
        assert s.get_function(DB_A, "to_cents").className == "com.example.ToCents"
        v = s.get_table(DB_A, "recent_items")
        assert v.tableType == "VIRTUAL_VIEW" and v.viewExpandedText.startswith("select")
    finally:
        s.close()
    # each partition's history starts with one `import` row
    hist = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "history",
                      f"{DB_A}.sold_items", "--json")
    rows = json.loads(hist.stdout)
    imports = [r for r in rows if r["operation"] == "import" and r.get("partition_name")]
    assert len(imports) == PARTS
    assert len({r["partition_name"] for r in imports}) == PARTS


def test_import_again_changes_nothing_and_verify_is_clean(imported, strata_server):
    source, made, _, _, _ = imported
    again = report_of(strata_cli(strata_server.database_url, strata_server.warehouse_uri, "import", "--from",
                                 source.uri, "--databases", PATTERN, "--json"))
    for kind in ("databases", "tables", "views", "partitions", "functions", "table_stats", "partition_stats"):
        assert again[kind]["created"] == 0 and again[kind]["updated"] == 0, (kind, again[kind])
    assert again["partitions"]["unchanged"] == made["partitions"]
    proc = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "verify", "--against", source.uri,
                      "--databases", PATTERN, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no differences" in proc.stdout


def test_verify_reports_a_difference_with_exit_1(imported, strata_server):
    source, _, _, _, _ = imported
    s = Raw(strata_server.port)
    try:
        t = s.get_table(DB_B, "country_codes")
        t.parameters["comment"] = "changed in strata"
        s.alter_table(DB_B, "country_codes", t)
        proc = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "verify", "--against",
                          source.uri, "--databases", PATTERN, "--json", check=False)
        assert proc.returncode == 1
        diffs = report_of(proc)["differences"]
        assert {"object": f"{DB_B}.country_codes", "field": "parameters.comment", "source": "(none)",
                "target": "changed in strata"} in diffs, diffs
    finally:
        del t.parameters["comment"]
        s.alter_table(DB_B, "country_codes", t)
        s.close()


def test_interrupted_import_resumes_to_the_same_result(source_hms, strata_server, tmp_path):
    source, made = source_hms
    url, cleanup = fresh_database(strata_server.backend, tmp_path)
    wh = f"file://{tmp_path}/wh"
    try:
        strata_cli(url, wh, "migrate")
        cmd = [str(strata_binary()), "--database-url", url, "--warehouse", wh, "import", "--from", source.uri,
               "--databases", PATTERN, "--concurrency", "1", "--page", "50", "--json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        seen = 0
        while time.monotonic() < deadline and proc.poll() is None:
            seen = count_partitions(url)
            if seen >= 200:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait(30)
        partial = count_partitions(url)
        assert 0 < partial < made["partitions"], f"killed at {partial} partitions (saw {seen})"
        again = report_of(strata_cli(url, wh, "import", "--from", source.uri, "--databases", PATTERN, "--json"))
        assert again["errors"] == []
        assert again["partitions"]["created"] == made["partitions"] - partial
        assert count_partitions(url) == made["partitions"]
        verify = strata_cli(url, wh, "verify", "--against", source.uri, "--databases", PATTERN, check=False)
        assert verify.returncode == 0, verify.stdout
        # the same history as an uninterrupted import: one import row per partition
        rows = json.loads(strata_cli(url, wh, "history", f"{DB_A}.sold_items", "--json").stdout)
        names = [r["partition_name"] for r in rows if r["operation"] == "import" and r.get("partition_name")]
        assert len(names) == len(set(names)) == PARTS
    finally:
        cleanup()


def _wait(what, check, timeout=120):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last is True:
                return last
        except Exception as e:  # noqa: BLE001 - the target may be mid-write
            last = e
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})", pytrace=False)


def test_watch_follows_hms_changes_and_reports_conflicts(source_hms, strata_server):
    """HMS 2.3 without DbNotificationListener: the re-diff path."""
    source, _ = source_hms
    db = f"w{PREFIX}_{strata_server.backend[:2]}"  # outside PATTERN: the other tests import PATTERN
    h = Raw(source.port)
    h.create_database(Database(name=db, description="watched", parameters={}))
    t = make_table(db, "events", partition_keys=(("ds", "string"),), params={"EXTERNAL": "TRUE"},
                   location=f"file://{source.data_root}/{db}/events", table_type="EXTERNAL_TABLE")
    h.create_table(t)
    t = h.get_table(db, "events")

    def part(ds):
        sd = t.sd.__class__(**{k: getattr(t.sd, k) for k in t.sd.__dict__})
        sd.location = f"{t.sd.location}/ds={ds}"
        return Partition(values=[ds], dbName=db, tableName="events", sd=sd, parameters={})

    h.add_partitions([part(f"d{i}") for i in range(5)])
    cmd = [str(strata_binary()), "--database-url", strata_server.database_url, "--warehouse",
           strata_server.warehouse_uri, "import", "--from", source.uri, "--databases", db, "--watch", "1s"]
    watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s = Raw(strata_server.port)
    try:
        _wait("the first copy", lambda: len(s.get_partition_names(db, "events", -1)) == 5)
        # Strata-side change to d1 (a new location), and an HMS-side change to the same partition
        p1 = s.get_partition(db, "events", ["d1"])
        p1.sd.location = p1.sd.location + "/strata-batch"
        s.alter_partition(db, "events", p1)
        h1 = h.get_partition(db, "events", ["d1"])
        h1.sd.location = h1.sd.location + "/hms-rewrite"
        h.alter_partition(db, "events", h1)
        # HMS: add two, drop one, alter the table
        h.add_partitions([part("d5"), part("d6")])
        h.drop_partition(db, "events", ["d0"], False)
        t2 = h.get_table(db, "events")
        t2.parameters["owner.team"] = "payments"
        h.alter_table(db, "events", t2)
        _wait("the watch to copy the changes", lambda: sorted(s.get_partition_names(db, "events", -1))
              == ["ds=d1", "ds=d2", "ds=d3", "ds=d4", "ds=d5", "ds=d6"]
              and s.get_table(db, "events").parameters.get("owner.team") == "payments")
        # the conflicting partition keeps Strata's change
        assert s.get_partition(db, "events", ["d1"]).sd.location.endswith("/strata-batch")
    finally:
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=60)
        s.close()
        h.close()
    assert watch.returncode == 0, err
    assert "re-diffing" in err
    assert "conflict" in out and "ds=d1" in out, out


def test_strata_to_strata_follows_the_notification_log(strata_server, tmp_path):
    db = f"s{PREFIX}_{strata_server.backend[:2]}"  # outside PATTERN
    src = Raw(strata_server.port)
    src.create_database(Database(name=db, description="from strata", parameters={}))
    t = make_table(db, "logs", partition_keys=(("day", "int"),), params={"EXTERNAL": "TRUE"},
                   location=f"file://{tmp_path}/logs", table_type="EXTERNAL_TABLE")
    src.create_table(t)
    t = src.get_table(db, "logs")

    def part(day):
        sd = t.sd.__class__(**{k: getattr(t.sd, k) for k in t.sd.__dict__})
        sd.location = f"{t.sd.location}/day={day}"
        return Partition(values=[str(day)], dbName=db, tableName="logs", sd=sd, parameters={})

    src.add_partitions([part(d) for d in range(3)])
    url, cleanup = fresh_database(strata_server.backend, tmp_path)
    wh = f"file://{tmp_path}/wh2"
    # migrate first: the watch and the verify calls below would otherwise both create the schema
    strata_cli(url, wh, "migrate")
    cmd = [str(strata_binary()), "--database-url", url, "--warehouse", wh, "import", "--from",
           strata_server.uri, "--databases", db, "--watch", "1s"]
    watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def clean():
            proc = strata_cli(url, wh, "verify", "--against", strata_server.uri, "--databases", db, check=False)
            return proc.returncode == 0 or (proc.stdout[-2000:] + proc.stderr[-2000:] + watch_state())

        def watch_state():
            return "" if watch.poll() is None else f" [watch exited {watch.returncode}]"

        _wait("the first copy", clean)
        src.add_partitions([part(d) for d in range(3, 6)])
        src.drop_partition(db, "logs", ["0"], False)
        src.create_table(make_table(db, "later", columns=(("x", "int"),)))
        _wait("the watch to follow the events", lambda: clean() is True and count_partitions(url) == 5)
    finally:
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=60)
        src.close()
        cleanup()
    assert watch.returncode == 0, err
    assert "notification log" in err


def test_export_into_an_empty_hms_then_verify(imported, strata_server, tmp_path):
    """Strata → a second, empty Apache HMS (Derby, to start quickly), then verify against it.
    Run on one backend only (CI time): the HMS writes dominate, and both backends' reads are
    already exercised by verify above."""
    if strata_server.backend != "sqlite":
        pytest.skip("export is checked on the sqlite backend only (CI time)")
    work = tmp_path / "hms2"
    port, pid, _, anchor = start_hms("derby", work, {})
    try:
        target = f"thrift://127.0.0.1:{port}"
        report = report_of(strata_cli(strata_server.database_url, strata_server.warehouse_uri, "export", "--to",
                                      target, "--databases", PATTERN, "--json"))
        assert report["errors"] == []
        assert report["partitions"]["created"] >= PARTS
        proc = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "verify", "--against", target,
                          "--databases", PATTERN, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        h = Raw(port)
        try:
            assert len(h.get_partition_names(DB_A, "sold_items", -1)) == PARTS
            assert h.get_function(DB_A, "to_cents").className == "com.example.ToCents"
        finally:
            h.close()
    finally:
        stop_hms(anchor, pid)


# --------------------------------------------------------------------------- restarts


def _text_of(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _hms_part(t, db, table, value):
    sd = t.sd.__class__(**{k: getattr(t.sd, k) for k in t.sd.__dict__})
    sd.location = f"{t.sd.location}/{t.partitionKeys[0].name}={value}"
    return Partition(values=[str(value)], dbName=db, tableName=table, sd=sd, parameters={})


def test_watch_keeps_running_while_the_hms_restarts(source_hms, strata_server, tmp_path):
    """The re-diff path: the source HMS stops while `import --watch` runs; every cycle in the
    outage is logged as failed and retried; after the HMS is back, changes made then are
    copied. One backend (CI time): the watch loop does not depend on the target's backend."""
    if strata_server.backend != "sqlite":
        pytest.skip("checked on the sqlite backend only (CI time)")
    source, _ = source_hms
    db = f"r{PREFIX}"  # outside PATTERN
    h = Raw(source.port)
    h.create_database(Database(name=db, description="restarts", parameters={}))
    h.create_table(make_table(db, "events", partition_keys=(("ds", "string"),), params={"EXTERNAL": "TRUE"},
                              location=f"file://{source.data_root}/{db}/events", table_type="EXTERNAL_TABLE"))
    t = h.get_table(db, "events")
    h.add_partitions([_hms_part(t, db, "events", f"d{i}") for i in range(2)])
    h.close()
    err_path = tmp_path / "watch.err"
    cmd = [str(strata_binary()), "--database-url", strata_server.database_url, "--warehouse",
           strata_server.warehouse_uri, "import", "--from", source.uri, "--databases", db, "--watch", "1s"]
    with open(err_path, "w") as err_file:
        watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True)
    s = Raw(strata_server.port)
    try:
        _wait("the first copy", lambda: len(s.get_partition_names(db, "events", -1)) == 2)
        source.stop()
        _wait("the watch to log the outage", lambda: "this cycle failed" in _text_of(err_path))
        assert watch.poll() is None, _text_of(err_path)
        source.start_again()
        h = Raw(source.port)
        h.add_partitions([_hms_part(t, db, "events", "d2")])
        h.drop_partition(db, "events", ["d0"], False)
        t2 = h.get_table(db, "events")
        t2.parameters["owner.team"] = "after-restart"
        h.alter_table(db, "events", t2)
        h.close()
        _wait("the watch to copy the changes made after the restart",
              lambda: sorted(s.get_partition_names(db, "events", -1)) == ["ds=d1", "ds=d2"]
              and s.get_table(db, "events").parameters.get("owner.team") == "after-restart")
        assert watch.poll() is None, _text_of(err_path)
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.communicate(timeout=60)
        s.close()
    assert watch.returncode == 0, _text_of(err_path)


def _serve_strata(binary, port: int, url: str, warehouse: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, STRATA_ADMIN__LISTEN=f"127.0.0.1:{free_port()}")
    with open(log, "ab") as f:
        proc = subprocess.Popen([str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url,
                                 "--warehouse", warehouse], stdout=f, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not port_accepts("127.0.0.1", port):
        assert proc.poll() is None, _text_of(log)[-3000:]
        assert time.monotonic() < deadline, "strata did not start"
        time.sleep(0.1)
    return proc


def test_watch_follows_the_event_log_across_a_strata_source_restart(strata_server, tmp_path):
    """The notification-log path: a Strata source stops and starts again (same database, same
    port) while the watch runs; the events made after the restart are followed from the last
    event id seen, nothing is skipped."""
    if strata_server.backend != "sqlite":
        pytest.skip("checked on the sqlite backend only (CI time)")
    binary = strata_binary()
    src_url, src_wh = f"sqlite://{tmp_path}/source.db", f"file://{tmp_path}/src-wh"
    dst_url, dst_wh = f"sqlite://{tmp_path}/target.db", f"file://{tmp_path}/dst-wh"
    strata_cli(src_url, src_wh, "migrate")
    strata_cli(dst_url, dst_wh, "migrate")
    port = free_port()
    log = tmp_path / "source.log"
    server = _serve_strata(binary, port, src_url, src_wh, log)
    db = "restarting"
    c = Raw(port)
    c.create_database(Database(name=db, description="", parameters={}))
    c.create_table(make_table(db, "logs", partition_keys=(("day", "int"),), params={"EXTERNAL": "TRUE"},
                              location=f"file://{tmp_path}/logs", table_type="EXTERNAL_TABLE"))
    t = c.get_table(db, "logs")
    c.add_partitions([_hms_part(t, db, "logs", d) for d in range(2)])
    c.close()
    err_path = tmp_path / "watch.err"
    cmd = [str(binary), "--database-url", dst_url, "--warehouse", dst_wh, "import", "--from",
           f"thrift://127.0.0.1:{port}", "--databases", db, "--watch", "1s"]
    with open(err_path, "w") as err_file:
        watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True)
    try:
        _wait("the first copy", lambda: count_partitions(dst_url) == 2)
        assert "notification log" in _text_of(err_path)
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        _wait("the watch to log the outage", lambda: "this cycle failed" in _text_of(err_path))
        assert watch.poll() is None, _text_of(err_path)
        server = _serve_strata(binary, port, src_url, src_wh, log)
        c = Raw(port)
        c.add_partitions([_hms_part(t, db, "logs", d) for d in range(2, 5)])
        c.drop_partition(db, "logs", ["0"], False)
        c.close()
        _wait("the watch to follow the events made after the restart",
              lambda: count_partitions(dst_url) == 4
              and strata_cli(dst_url, dst_wh, "verify", "--against", f"thrift://127.0.0.1:{port}",
                             "--databases", db, check=False).returncode == 0)
        assert watch.poll() is None, _text_of(err_path)
        # the log went on from where it was: no re-diff of everything
        assert "went back" not in _text_of(err_path)
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.communicate(timeout=60)
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    assert watch.returncode == 0, _text_of(err_path)


# --------------------------------------------------------------------------- Spark


SPARK_READ = Path(__file__).with_name("migrate_spark_read.py")


def _spark_read(uri: str, table: str, workdir: Path) -> dict:
    out = workdir / f"read-{uri.rsplit(':', 1)[1]}.json"
    proc = subprocess.run([sys.executable, str(SPARK_READ), "--uri", uri, "--warehouse",
                           f"file://{workdir}/spark-wh", "--table", table, "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=str(workdir))
    assert proc.returncode == 0 and out.exists(), f"spark read via {uri} failed:\n{proc.stderr[-5000:]}"
    return json.loads(out.read_text())


@pytest.mark.skipif(os.environ.get("STRATA_TEST_SKIP_SPARK") == "1", reason="STRATA_TEST_SKIP_SPARK=1")
def test_spark_reads_the_same_rows_through_strata_as_through_hms(source_hms, strata_server, tmp_path):
    """A partitioned text table with real data files in the source HMS, imported; Spark's
    built-in Hive client (one session per metastore) reads the same rows, and prunes to the
    same partitions, through the HMS and through Strata. One backend (CI time)."""
    if strata_server.backend != "sqlite":
        pytest.skip("checked on the sqlite backend only (CI time)")
    source, _ = source_hms
    db = f"k{PREFIX}"  # outside PATTERN
    root = source.data_root / db / "sales"
    h = Raw(source.port)
    h.create_database(Database(name=db, description="spark read-through", parameters={}))
    h.create_table(make_table(db, "sales", columns=(("id", "bigint"), ("price", "double")),
                              partition_keys=(("dt", "date"), ("hr", "int")), params={"EXTERNAL": "TRUE"},
                              location=f"file://{root}", table_type="EXTERNAL_TABLE"))
    t = h.get_table(db, "sales")
    parts, n = [], 0
    for dt in ("2024-01-01", "2024-01-02"):
        for hr in range(3):
            d = root / f"dt={dt}" / f"hr={hr}"
            d.mkdir(parents=True)
            lines = []
            for _ in range(2):
                n += 1
                lines.append(f"{n}\x01{n * 1.5}")
            (d / "000000_0").write_text("\n".join(lines) + "\n")
            sd = t.sd.__class__(**{k: getattr(t.sd, k) for k in t.sd.__dict__})
            sd.location = f"file://{d}"
            parts.append(Partition(values=[dt, str(hr)], dbName=db, tableName="sales", sd=sd, parameters={}))
    h.add_partitions(parts)
    h.close()
    strata_cli(strata_server.database_url, strata_server.warehouse_uri, "import", "--from", source.uri,
               "--databases", db, "--json")
    via_hms = _spark_read(source.uri, f"{db}.sales", tmp_path)
    via_strata = _spark_read(strata_server.uri, f"{db}.sales", tmp_path)
    assert len(via_hms["rows"]) == n == 12
    assert via_strata["rows"] == via_hms["rows"]
    assert via_strata["partitions"] == via_hms["partitions"] and len(via_hms["partitions"]) == 6
    # dt = 2024-01-02 and hr >= 1: two partitions, four rows
    assert len(via_hms["pruned_rows"]) == 4
    assert via_strata["pruned_rows"] == via_hms["pruned_rows"]
    assert via_hms["pruned_partitions"] == ["dt=2024-01-02/hr=1", "dt=2024-01-02/hr=2"]
    assert via_strata["pruned_partitions"] == via_hms["pruned_partitions"]


# --------------------------------------------------------------------------- TLS


def _tls_material(d: Path) -> tuple:
    """A CA and an HMS server certificate for 127.0.0.1 signed by it, made with Java's keytool:
    (the HMS keystore, the CA certificate as PEM)."""
    if not shutil.which("keytool"):
        pytest.skip("keytool (Java 17) is needed to make the HMS keystore")
    d.mkdir(parents=True, exist_ok=True)
    pw = ["-storepass", "changeit", "-keypass", "changeit"]

    def keytool(*args):
        proc = subprocess.run(["keytool", *args], cwd=d, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"keytool {' '.join(args)}: {proc.stdout}{proc.stderr}"

    keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=strata test CA",
            "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12", "-storetype", "PKCS12", *pw)
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-storepass", "changeit",
            "-file", "ca.pem")
    keytool("-genkeypair", "-alias", "hms", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
            "-validity", "2", "-keystore", "hms.p12", "-storetype", "PKCS12", *pw)
    keytool("-certreq", "-alias", "hms", "-keystore", "hms.p12", "-storepass", "changeit", "-file", "hms.csr")
    keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", "changeit", "-infile", "hms.csr",
            "-outfile", "hms.pem", "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
            "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth")
    keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", "hms.p12", "-storepass", "changeit",
            "-file", "ca.pem")
    keytool("-importcert", "-alias", "hms", "-keystore", "hms.p12", "-storepass", "changeit", "-file", "hms.pem")
    return d / "hms.p12", d / "ca.pem"


def test_export_import_and_verify_over_tls_with_a_real_hms(imported, strata_server, tmp_path):
    """Apache HMS 2.3.10 serving TLS (hive.metastore.use.SSL, a keystore made here):
    `export --to`, `verify --against` and `import --from` with --tls-ca; a client that does
    not trust the CA is refused at the handshake. One backend (CI time)."""
    if strata_server.backend != "sqlite":
        pytest.skip("checked on the sqlite backend only (CI time)")
    keystore, ca = _tls_material(tmp_path / "tls")
    opts = (f"-Xmx512m -Dhive.metastore.use.SSL=true -Dhive.metastore.keystore.path={keystore}"
            " -Dhive.metastore.keystore.password=changeit")
    port, pid, _, anchor = start_hms("derby", tmp_path / "hms-tls", {"HMS_JAVA_OPTS": opts})
    try:
        uri = f"thrift://127.0.0.1:{port}"
        tls = ["--tls-ca", str(ca)]
        report = report_of(strata_cli(strata_server.database_url, strata_server.warehouse_uri, "export", "--to", uri,
                                      "--databases", DB_B, "--json", *tls))
        assert report["errors"] == [] and report["partitions"]["created"] == 3
        proc = strata_cli(strata_server.database_url, strata_server.warehouse_uri, "verify", "--against", uri,
                          "--databases", DB_B, *tls, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        url, wh = f"sqlite://{tmp_path}/back.db", f"file://{tmp_path}/back-wh"
        back = report_of(strata_cli(url, wh, "import", "--from", uri, "--databases", DB_B, "--json", *tls))
        assert back["errors"] == [] and back["partitions"]["created"] == 3
        # the system's CAs do not include the test CA: refused, with a TLS error
        refused = strata_cli(url, wh, "verify", "--against", uri, "--databases", DB_B, "--tls", check=False,
                             timeout=120)
        assert refused.returncode != 0
        assert "certificate" in refused.stderr.lower(), refused.stderr
    finally:
        stop_hms(anchor, pid)
