"""The batch-ID layer against a running strata with the default configuration (batch mode
`enforce`, no data required before a swap), on SQLite and PostgreSQL: the policy seen through Thrift, 32 concurrent location
swaps on one partition, the admin CLI, and pyspark with the `strata_batch` writer helpers.

Marker ``partitions``; the Spark part is skipped when STRATA_TEST_SKIP_SPARK=1.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    Database,
    InvalidOperationException,
    MetaException,
    Partition,
    PrincipalType,
)

from conftest import _start_strata, _stop_strata, strata_binary
from hms_helpers import make_table, norm_location

pytestmark = pytest.mark.partitions
RawClient = ThriftHiveMetastore.Client


def local(location: str) -> Path:
    return Path(norm_location(location)[len("file:"):])


def write_batch(location: str, rows: str = "1\x01a\n") -> None:
    path = local(location)
    path.mkdir(parents=True, exist_ok=True)
    (path / "part-00000").write_text(rows)


def cli(server, *args, ok=True, env=None):
    cmd = [str(strata_binary()), "--database-url", server.database_url, "--warehouse", server.warehouse_uri, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "STRATA_LOG": "warn", **(env or {})})
    if ok:
        assert proc.returncode == 0, f"{args}: rc={proc.returncode}\n{proc.stderr}"
    return proc


def cli_json(server, *args, env=None):
    return json.loads(cli(server, *args, "--json", env=env).stdout)


@pytest.fixture
def client(batch_server):
    from hmsclient.hmsclient import HMSClient

    c = HMSClient(host=batch_server.host, port=batch_server.port)
    c.open()
    yield c
    c.close()


@pytest.fixture
def table(client, batch_server):
    db = f"bdb_{uuid.uuid4().hex[:10]}"
    client.create_database(Database(name=db, description=None, locationUri=None, parameters={},
                                    ownerName="tester", ownerType=PrincipalType.USER))
    t = make_table(db, "events", partition_keys=(("ds", "string"),))
    client.create_table(t)
    t = client.get_table(db, "events")
    yield t
    client.drop_database(db, True, True)


def part(t, ds, location=None) -> Partition:
    sd = copy.deepcopy(t.sd)
    sd.location = location
    return Partition(values=[ds], dbName=t.dbName, tableName=t.tableName, sd=sd, parameters={},
                     createTime=0, lastAccessTime=0)


def test_new_partitions_get_batch_directories(batch_server, client, table):
    added = RawClient.add_partition(client, part(table, "2024-01-01"))
    loc = norm_location(added.sd.location)
    parent, batch = loc.rsplit("/", 1)
    assert parent == norm_location(table.sd.location) + "/ds=2024-01-01"
    assert len(batch) == 14 and batch.isdigit(), loc
    rows = cli_json(batch_server, "history", f"{table.dbName}.events")
    adds = [r for r in rows if r["operation"] == "add"]
    assert [(a["partition_name"], a["batch_id"]) for a in adds] == [("ds=2024-01-01", batch)]


def test_enforce_refuses_reused_locations(client, table, batch_server):
    p = RawClient.add_partition(client, part(table, "a"))
    first = p.sd.location
    write_batch(first)
    second = norm_location(table.sd.location) + "/ds=a/20240101000002"
    # A fresh directory that does not exist yet is accepted by default, as Apache HMS does:
    # engines relocate a partition first and write into it after.
    p.sd.location = second
    client.alter_partition(table.dbName, "events", p)
    assert norm_location(client.get_partition(table.dbName, "events", ["a"]).sd.location) == norm_location(second)
    write_batch(second)
    # Back to the first batch by a plain swap: refused, and the message names the fix.
    p.sd.location = first
    with pytest.raises(InvalidOperationException) as e:
        client.alter_partition(table.dbName, "events", p)
    msg = e.value.message
    assert "used it before" in msg and f"strata rollback {table.dbName}.events --partition ds=a --to BATCH_ID" in msg
    # Another live partition's directory is refused too.
    other = RawClient.add_partition(client, part(table, "b"))
    write_batch(other.sd.location)
    p.sd.location = other.sd.location
    with pytest.raises(InvalidOperationException) as e:
        client.alter_partition(table.dbName, "events", p)
    assert "partition ds=b" in e.value.message
    assert norm_location(client.get_partition(table.dbName, "events", ["a"]).sd.location) == norm_location(second)
    # The rollback command does it, and records it.
    batch = first.rstrip("/").rsplit("/", 1)[1]
    out = cli_json(batch_server, "rollback", f"{table.dbName}.events", "--partition", "ds=a", "--to", batch)
    assert [c["action"] for c in out] == ["swap"]
    assert norm_location(client.get_partition(table.dbName, "events", ["a"]).sd.location) == norm_location(first)
    ops = [r["operation"] for r in cli_json(batch_server, "history", f"{table.dbName}.events", "--partition", "ds=a")]
    assert ops == ["add", "alter", "rollback"]


def test_track_mode_per_table_allows_reuse(client, table):
    table.parameters["strata.batch.mode"] = "track"
    client.alter_table(table.dbName, "events", table)
    p = RawClient.add_partition(client, part(table, "a"))
    assert norm_location(p.sd.location) == norm_location(table.sd.location) + "/ds=a", "track: HMS default location"
    first = p.sd.location
    p.sd.location = first + "_v2"
    client.alter_partition(table.dbName, "events", p)
    p.sd.location = first
    client.alter_partition(table.dbName, "events", p)  # reuse allowed, still recorded
    table.parameters["strata.batch.mode"] = "sometimes"
    with pytest.raises(InvalidOperationException) as e:
        client.alter_table(table.dbName, "events", table)
    assert "strata.batch.mode" in e.value.message


def test_invalid_mode_on_create_is_a_meta_exception(client, table):
    t = make_table(table.dbName, "bad", partition_keys=(("ds", "string"),), params={"strata.batch.mode": "x"})
    with pytest.raises(MetaException) as e:
        client.create_table(t)
    assert "'x'" in e.value.message


def test_32_concurrent_swaps_keep_an_exact_chain(batch_server, client, table):
    from hmsclient.hmsclient import HMSClient

    RawClient.add_partition(client, part(table, "hot"))
    base = norm_location(table.sd.location) + "/ds=hot"
    targets = [f"{base}/2024010100{i:04d}" for i in range(32)]
    for t in targets:
        write_batch(t)
    errors = []

    def swap(loc):
        try:
            c = HMSClient(host=batch_server.host, port=batch_server.port)
            c.open()
            try:
                p = c.get_partition(table.dbName, "events", ["hot"])
                p.sd.location = loc
                c.alter_partition(table.dbName, "events", p)
            finally:
                c.close()
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(e))

    threads = [threading.Thread(target=swap, args=(t,)) for t in targets]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    rows = cli_json(batch_server, "history", f"{table.dbName}.events", "--partition", "ds=hot")
    assert [r["operation"] for r in rows] == ["add"] + ["alter"] * 32
    for prev, cur in zip(rows, rows[1:]):
        assert cur["previous_location"] == prev["new_location"], rows
    assert sorted(norm_location(r["new_location"]) for r in rows[1:]) == sorted(targets)
    now = client.get_partition(table.dbName, "events", ["hot"]).sd.location
    assert norm_location(now) == norm_location(rows[-1]["new_location"])


def test_cli_errors_name_the_fix(batch_server, client, table):
    RawClient.add_partition(client, part(table, "a"))
    name = f"{table.dbName}.events"
    r = cli(batch_server, "rollback", name, "--partition", "ds=a", "--to", "20000101000000", ok=False)
    assert r.returncode != 0 and f"strata history {name} --partition ds=a" in r.stderr
    r = cli(batch_server, "rollback", name, "--partition", "ds=a", "--to", "whenever", ok=False)
    assert r.returncode != 0 and "ISO 8601" in r.stderr
    r = cli(batch_server, "history", "events", ok=False)
    assert r.returncode != 0 and "DB.TABLE" in r.stderr
    r = cli(batch_server, "rollback", name, "--partition", "nope=1", "--to", "20000101000000", ok=False)
    assert r.returncode != 0 and "must give exactly the keys" in r.stderr


def test_tags_name_a_state(batch_server, client, table):
    name = f"{table.dbName}.events"
    a = RawClient.add_partition(client, part(table, "a"))
    tag = cli_json(batch_server, "tag", name, "v1")
    assert tag[0]["name"] == "v1"
    RawClient.add_partition(client, part(table, "b"))
    past = client.get_partitions(table.dbName, "events@v1", -1)
    assert [p.values for p in past] == [["a"]] and norm_location(past[0].sd.location) == norm_location(a.sd.location)
    assert client.get_table(table.dbName, "events@v1").parameters["strata.as_of"].endswith("Z")
    assert [p.values for p in client.get_partitions(table.dbName, "events", -1)] == [["a"], ["b"]]
    r = cli(batch_server, "tag", name, "v1", ok=False)
    assert r.returncode != 0 and "already exists" in r.stderr
    r = cli(batch_server, "tag", name, "20240101000000", ok=False)
    assert r.returncode != 0 and "Invalid tag name" in r.stderr
    assert [t["name"] for t in cli_json(batch_server, "tag", name)] == ["v1"]
    cli_json(batch_server, "tag", name, "v1", "--delete")
    assert cli_json(batch_server, "tag", name) == []
    from hmsclient.genthrift.hive_metastore.ttypes import NoSuchObjectException
    with pytest.raises(NoSuchObjectException) as e:
        client.get_table(table.dbName, "events@v1")
    assert "strata tag" in e.value.message


def test_batch_new_and_commit(batch_server, client, table):
    name = f"{table.dbName}.events"
    loc = cli(batch_server, "batch", "new", name, "--partition", "ds=2024-02-01").stdout.strip()
    assert norm_location(loc).startswith(norm_location(table.sd.location) + "/ds=2024-02-01/")
    write_batch(loc)
    out = cli_json(batch_server, "batch", "commit", name, "--partition", "ds=2024-02-01", "--location", loc)
    assert out[0]["action"] == "add"
    nxt = cli_json(batch_server, "batch", "new", name, "--partition", "ds=2024-02-01")
    assert nxt["batch_id"] > loc.rstrip("/").rsplit("/", 1)[1], "a later batch id than any the partition had"
    write_batch(nxt["location"])
    out = cli_json(batch_server, "batch", "commit", name, "--partition", "ds=2024-02-01", "--location", nxt["location"])
    assert out[0]["action"] == "swap" and norm_location(out[0]["from"]) == norm_location(loc)
    ops = [r["operation"] for r in cli_json(batch_server, "history", name)]
    assert ops[-2:] == ["batch_commit", "batch_commit"]


@pytest.fixture(scope="module")
def require_data_server(tmp_path_factory):
    """A server with `batch.require_data = true` (the setting under test; SQLite: the check
    reads storage, not the database)."""
    if os.environ.get("STRATA_TEST_TARGET"):
        pytest.skip("needs a strata started by the tests")
    workdir = tmp_path_factory.mktemp("strata-require-data").resolve()
    (workdir / "warehouse").mkdir()
    server = _start_strata("sqlite", strata_binary(), f"sqlite://{workdir}/strata.db", workdir / "warehouse",
                           workdir, None, extra_env={"STRATA_BATCH__REQUIRE_DATA": "true"})
    try:
        yield server
    finally:
        _stop_strata(server)


def test_require_data_refuses_empty_locations(require_data_server):
    from hmsclient.hmsclient import HMSClient

    client = HMSClient(host=require_data_server.host, port=require_data_server.port)
    client.open()
    try:
        db = f"rdb_{uuid.uuid4().hex[:10]}"
        client.create_database(Database(name=db, description=None, locationUri=None, parameters={},
                                        ownerName="tester", ownerType=PrincipalType.USER))
        client.create_table(make_table(db, "events", partition_keys=(("ds", "string"),)))
        t = client.get_table(db, "events")
        p = RawClient.add_partition(client, part(t, "a"))
        write_batch(p.sd.location)
        empty = norm_location(t.sd.location) + "/ds=a/20240101000002"
        # An empty (or missing) location is refused: the data must be written before the swap.
        p.sd.location = empty
        with pytest.raises(InvalidOperationException) as e:
            client.alter_partition(db, "events", p)
        assert "is empty or does not exist" in e.value.message
        write_batch(empty)
        client.alter_partition(db, "events", p)
        assert norm_location(client.get_partition(db, "events", ["a"]).sd.location) == norm_location(empty)
        # The CLI's batch commit follows the same setting.
        name = f"{db}.events"
        env = {"STRATA_BATCH__REQUIRE_DATA": "true"}
        loc = cli(require_data_server, "batch", "new", name, "--partition", "ds=b", env=env).stdout.strip()
        r = cli(require_data_server, "batch", "commit", name, "--partition", "ds=b", "--location", loc, ok=False,
                env=env)
        assert r.returncode != 0 and "is empty or does not exist" in r.stderr
        write_batch(loc)
        assert cli_json(require_data_server, "batch", "commit", name, "--partition", "ds=b",
                        "--location", loc, env=env)[0]["action"] == "add"
    finally:
        client.close()


# --------------------------------------------------------------------------- pyspark


@pytest.fixture(scope="module")
def spark_report(batch_server, tmp_path_factory):
    if os.environ.get("STRATA_TEST_SKIP_SPARK") == "1":
        pytest.skip("STRATA_TEST_SKIP_SPARK=1")
    from spark_batch_scenario import run_in_subprocess

    workdir = tmp_path_factory.mktemp(f"spark-batch-{batch_server.backend}")
    return run_in_subprocess(batch_server, str(strata_binary()), f"sb_{uuid.uuid4().hex[:8]}", workdir)


def ok(report, step):
    entry = report[step]
    if not entry["ok"]:
        pytest.fail(f"spark step {step!r} failed: {entry['error']}\n{entry.get('traceback', '')}"
                    f"\n(full output: {report['_meta'].get('log')})", pytrace=False)
    return entry["result"]


def test_spark_three_batches_and_history(spark_report):
    ok(spark_report, "setup")
    w = ok(spark_report, "three_writes")
    assert w["now"] == [[3, "c"]]
    assert w["partitions"] == [["ds=2024-01-01"], ["ds=2024-01-02"]]
    h = ok(spark_report, "history")
    assert [r["operation"] for r in h] == ["add", "alter", "alter"]
    assert [norm_location(r["new_location"]) for r in h] == [norm_location(b) for b in w["batches"]]
    assert h[1]["previous_location"] == h[0]["new_location"] and h[2]["previous_location"] == h[1]["new_location"]
    assert [r["batch_id"] for r in h] == [b.rstrip("/").rsplit("/", 1)[1] for b in w["batches"]]
    assert all(r["actor"] for r in h)


def test_spark_time_travel_by_batch_id_and_time(spark_report):
    r = ok(spark_report, "time_travel")
    assert r["at_b1"] == [[1, "a", "2024-01-01"]], "ds=2024-01-02 did not exist yet"
    assert r["at_b2"] == [[2, "b", "2024-01-01"]]
    assert r["at_t1"] == [[1, "a", "2024-01-01"]]
    assert r["helper_b1"] == [[1, "a"]]
    assert r["pruned_b2"] == [[2]]
    assert r["partitions_b1"] == [["ds=2024-01-01"]]
    assert r["at_tag"] == [[1, "a", "2024-01-01"]]
    assert r["tags"] == ["first_load"]
    assert r["now"] == [[3, "c"]], "reading the past changes nothing"
    assert "read-only view" in r["write"], r["write"]


def test_spark_reads_a_partition_rolled_back_to_its_first_batch(spark_report):
    r = ok(spark_report, "rollback_partition")
    assert r["rows"] == [[1, "a"]]
    assert r["cli"][0]["action"] == "swap"


def test_spark_enforce_violation_gets_the_documented_error(spark_report):
    r = ok(spark_report, "enforce_violation")
    assert r["refused"], r
    assert "used it before" in r["error"] and "strata rollback" in r["error"]
    assert r["rows"] == [[1, "a"]], "nothing changed"


def test_spark_whole_table_rollback_to_a_time(spark_report):
    r = ok(spark_report, "rollback_table")
    assert sorted((c["action"], c["partition"]) for c in r["plan"]) == [("drop", "ds=2024-01-02"),
                                                                        ("swap", "ds=2024-01-01")]
    assert r["done"] == r["plan"]
    assert r["partitions"] == [["ds=2024-01-01"]]
    assert r["all"] == [[1, "a", "2024-01-01"]]


def test_spark_drop_recreate_then_undrop(spark_report):
    r = ok(spark_report, "drop_recreate_undrop")
    assert r["after_drop"] == []
    assert r["recreated"] == [[99, "new"]], "a re-created partition starts empty"
    assert r["undropped"] == [[1, "a"]]
    ops = [(h["operation"], h["partition_name"]) for h in ok(spark_report, "full_history")]
    assert ("rollback_drop", "ds=2024-01-02") in ops
    assert ops[-1] == ("undrop", "ds=2024-01-01")


# --------------------------------------------------------------------------- audit SQL


def audit_query(server, sql: str) -> list:
    """Run a read-only query against the server's own database (the audit views)."""
    url = server.database_url
    if url.startswith("sqlite://"):
        import sqlite3

        conn = sqlite3.connect(f"file:{url[len('sqlite://'):]}?mode=ro", uri=True)
        try:
            return [list(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()
    out = subprocess.run(["psql", url, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def test_audit_views_answer_the_common_questions(batch_server, client, table):
    db = table.dbName
    p = RawClient.add_partition(client, part(table, "a"))
    first = p.sd.location
    second = norm_location(table.sd.location) + "/ds=a/20240101000009"
    write_batch(first)
    write_batch(second)
    p.sd.location = second
    client.alter_partition(db, "events", p)
    RawClient.add_partition(client, part(table, "b"))
    batch = first.rstrip("/").rsplit("/", 1)[1]
    cli_json(batch_server, "rollback", f"{db}.events", "--partition", "ds=a", "--to", batch)

    per_day = audit_query(batch_server, f"SELECT operation, changes FROM audit_changes_per_day "
                                        f"WHERE db_name = '{db}' AND table_name = 'events' ORDER BY operation")
    assert [[op, int(n)] for op, n in per_day] == [["add", 2], ["alter", 1], ["create_table", 1], ["rollback", 1]]
    locs = audit_query(batch_server, f"SELECT partition_name, current_location, previous_location, last_operation "
                                     f"FROM audit_partition_locations WHERE db_name = '{db}' ORDER BY partition_name")
    assert [r[0] for r in locs] == ["ds=a", "ds=b"]
    assert norm_location(locs[0][1]) == norm_location(first) and norm_location(locs[0][2]) == norm_location(second)
    assert locs[0][3] == "rollback" and locs[1][3] == "add"
    replaced = audit_query(batch_server, f"SELECT operation, partition_name FROM audit_replacements "
                                         f"WHERE db_name = '{db}' AND at_utc >= '2000-01-01' ORDER BY id")
    assert replaced == [["alter", "ds=a"], ["rollback", "ds=a"]]
    who = audit_query(batch_server, f"SELECT DISTINCT actor FROM audit_history WHERE db_name = '{db}'")
    assert len(who) >= 1 and all(w[0] for w in who)


def test_spark_drop_table_recreate_then_undrop_the_table(spark_report):
    r = ok(spark_report, "drop_table_recreate_undrop")
    assert r["recreated"] == [[77, "fresh", "2024-03-01"]], "a re-created table starts empty"
    assert r["undropped"] == r["before"] and r["before"], r
    assert r["partitions"] == [["ds=2024-01-01"]]


def test_undrop_table_restores_definition_partitions_and_data(batch_server, client, table):
    db, name = table.dbName, f"{table.dbName}.events"
    a = RawClient.add_partition(client, part(table, "a"))
    write_batch(a.sd.location)
    outside = str(batch_server.warehouse_uri) + f"/elsewhere_{db}/c"
    write_batch(outside)
    c = RawClient.add_partition(client, part(table, "c", outside))
    client.drop_table(db, "events", True)
    assert not local(a.sd.location).exists() and not local(outside).exists(), "moved to the retained area"
    t2 = make_table(db, "events", partition_keys=(("ds", "string"),), params={"fresh": "yes"})
    client.create_table(t2)
    RawClient.add_partition(client, part(client.get_table(db, "events"), "z"))
    out = cli_json(batch_server, "undrop", name)
    assert {c_["action"] for c_ in out} == {"restore"}
    restored = client.get_table(db, "events")
    assert "fresh" not in restored.parameters and restored.createTime == table.createTime
    parts = client.get_partitions(db, "events", -1)
    assert [p.values for p in parts] == [["a"], ["c"]]
    assert [norm_location(p.sd.location) for p in parts] == [norm_location(a.sd.location), norm_location(c.sd.location)]
    for p in parts:
        assert (local(p.sd.location) / "part-00000").exists()
    ops = [(r["operation"], r["partition_name"]) for r in cli_json(batch_server, "history", name)]
    assert ("drop_table", None) in ops and ops[-3:] == [("undrop", None), ("undrop", "ds=a"), ("undrop", "ds=c")]
    r = cli(batch_server, "undrop", f"{db}.never", ok=False)
    assert r.returncode != 0 and "was never dropped" in r.stderr


def test_gc_dry_run_then_apply_deletes_only_what_it_listed(batch_server, client, table):
    db, name = table.dbName, f"{table.dbName}.events"
    a = RawClient.add_partition(client, part(table, "a"))
    l1 = a.sd.location
    write_batch(l1)
    base = norm_location(table.sd.location) + "/ds=a"
    l2, l3 = f"{base}/20240101000002", f"{base}/20240101000003"
    for loc in (l2, l3):
        write_batch(loc)
    a.sd.location = l2
    client.alter_partition(db, "events", a)
    cli_json(batch_server, "tag", name, "keep_l2")
    a.sd.location = l3
    client.alter_partition(db, "events", a)
    b = RawClient.add_partition(client, part(table, "b"))
    write_batch(b.sd.location)
    client.drop_partition(db, "events", ["b"], True)
    retained = [r["new_location"] for r in cli_json(batch_server, "history", name, "--partition", "ds=b")
                if r["operation"] == "drop"][0]
    assert local(retained).is_dir()

    def mine(listed):
        return sorted((c["kind"], norm_location(c["location"])) for c in listed if c["db_name"] == db)

    assert mine(cli_json(batch_server, "gc", "--older-than", "1h")) == [], "inside the retention window"
    listed = mine(cli_json(batch_server, "gc", "--older-than", "0s"))
    assert listed == sorted([("superseded", norm_location(l1)), ("retained", norm_location(retained))])
    assert mine(cli_json(batch_server, "gc", "--older-than", "0s", "--table", name)) == listed
    # Scoped to this table: the other tests' data on this server is not touched.
    deleted = mine(cli_json(batch_server, "gc", "--older-than", "0s", "--table", name, "--apply"))
    assert deleted == listed
    assert not local(l1).exists() and not local(retained).exists()
    for kept in (l2, l3):  # a tag's state and the live location
        assert (local(kept) / "part-00000").exists()
    assert mine(cli_json(batch_server, "gc", "--older-than", "0s")) == []
    gc_rows = [r for r in cli_json(batch_server, "history", name) if r["operation"] == "gc"]
    assert sorted(norm_location(r["previous_location"]) for r in gc_rows) == sorted(loc for _, loc in listed)
