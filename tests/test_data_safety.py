"""Data safety, attacked as a careless or hostile client would, on SQLite and PostgreSQL.

Strata may move data only strictly inside the roots it owns (the warehouse by default), deletes
only in `strata gc --apply`, and never loses what a live table or partition needs, whatever the
spelling of a location, shared directories, or a `kill -9` in the middle of a big add or drop.

Every victim directory holds a checksummed file; each case checks it after the attack and after
`gc --older-than 0s --apply`. Paths outside the warehouse are directories this test creates (never
system paths). Sizes are kept small for CI (2,000 partitions for the crash cases).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    AlreadyExistsException,
    Database,
    InvalidObjectException,
    InvalidOperationException,
    MetaException,
    NoSuchObjectException,
    Partition,
    PrincipalType,
)

import conftest
from conftest import BACKENDS, strata_binary
from hms_helpers import make_table, norm_location

pytestmark = pytest.mark.partitions
RawClient = ThriftHiveMetastore.Client

LEASE_SECS = 1.5
CRASH_PARTITIONS = 2_000


# --------------------------------------------------------------------------- server


class Safe:
    """A strata server of this module's own (so it can be killed and restarted)."""

    def __init__(self, backend: str, workdir: Path):
        self.backend = backend
        self.workdir = workdir
        self.warehouse = workdir / "warehouse"
        self.warehouse.mkdir()
        self.pg_db = None
        if backend == "sqlite":
            self.database_url = f"sqlite://{workdir}/strata.db"
        else:
            self.pg_db = f"strata_t_{uuid.uuid4().hex[:12]}"
            conftest._psql(f"CREATE DATABASE {self.pg_db}")
            self.database_url = f"{conftest.PG_ADMIN_URL.rsplit('/', 1)[0]}/{self.pg_db}"
        self.server = None
        self.start()

    def start(self):
        self.server = conftest._start_strata(
            self.backend, strata_binary(), self.database_url, self.warehouse, self.workdir, None,
            extra_env={"STRATA_STORAGE__MOVE_LEASE_SECS": str(LEASE_SECS)})

    def kill9(self):
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait(10)

    def stop(self):
        if self.server.process.poll() is None:
            conftest._stop_strata(self.server)
        if self.pg_db:
            conftest._psql(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")

    def client(self):
        from hmsclient.hmsclient import HMSClient

        c = HMSClient(host=self.server.host, port=self.server.port)
        c.open()
        return c

    def cli(self, *args, ok=True):
        cmd = [str(strata_binary()), "--database-url", self.database_url, "--warehouse",
               f"file://{self.warehouse}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "STRATA_LOG": "warn"})
        if ok:
            assert proc.returncode == 0, f"{args}: rc={proc.returncode}\n{proc.stderr}"
        return proc

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def gc_apply(self):
        """`gc --older-than 0s`: the dry run, then --apply, which must delete exactly that."""
        listed = sorted(c["location"] for c in self.cli_json("gc", "--older-than", "0s"))
        deleted = sorted(c["location"] for c in self.cli_json("gc", "--older-than", "0s", "--apply"))
        assert deleted == listed, "gc --apply deletes exactly what the dry run lists"
        return deleted


@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "external"])
def safe(request, tmp_path_factory):
    binary = strata_binary()
    if not binary.exists():
        if os.environ.get("STRATA_TEST_REQUIRE_BIN") == "1":
            pytest.fail(f"strata binary not found at {binary}", pytrace=False)
        pytest.skip(f"strata binary not found at {binary}")
    s = Safe(request.param, tmp_path_factory.mktemp(f"safety-{request.param}").resolve())
    yield s
    s.stop()


@pytest.fixture
def client(safe):
    c = safe.client()
    yield c
    try:
        c.close()
    except Exception:  # noqa: BLE001 - the server may have been killed
        pass


@pytest.fixture
def db(client):
    name = f"s_{uuid.uuid4().hex[:10]}"
    client.create_database(Database(name=name, description=None, locationUri=None, parameters={},
                                    ownerName="tester", ownerType=PrincipalType.USER))
    return name


# --------------------------------------------------------------------------- victims


def victim(path: Path) -> str:
    """A directory holding one checksummed file; returns the checksum."""
    path.mkdir(parents=True, exist_ok=True)
    data = uuid.uuid4().hex.encode() * 64
    (path / "part-00000").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def intact(path: Path, checksum: str) -> bool:
    f = path / "part-00000"
    return f.is_file() and hashlib.sha256(f.read_bytes()).hexdigest() == checksum


def local(location: str) -> Path:
    return Path(norm_location(location)[len("file:"):])


def part(t, values, location=None) -> Partition:
    sd = copy.deepcopy(t.sd)
    sd.location = location
    return Partition(values=list(values), dbName=t.dbName, tableName=t.tableName, sd=sd, parameters={},
                     createTime=0, lastAccessTime=0)


def spellings(path: Path):
    """Every spelling of one local directory a client may send."""
    p = str(path)
    head, tail = p.rsplit("/", 1)
    return {
        "file:///": f"file://{p}",
        "file:/": f"file:{p}",
        "localhost": f"file://localhost{p}",
        "double slash": f"file://{head}//{tail}",
        "dot": f"file://{head}/./{tail}",
        "dotdot": f"file://{head}/x/../{tail}",
        "trailing slash": f"file://{p}/",
    }


# --------------------------------------------------------------------------- spelling


def test_every_spelling_is_one_location(safe, client, db):
    """Live partitions set through every alias spelling survive gc; enforce sees through the
    spellings; what is stored is the canonical form."""
    client.create_table(make_table(db, "t", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "t")
    table_dir = local(t.sd.location)
    sums = {}
    for i, kind in enumerate(spellings(table_dir)):
        p = RawClient.add_partition(client, part(t, [f"p{i}"]))
        first = local(p.sd.location)
        victim(first)
        fresh = table_dir / f"ds=p{i}" / "20300101000000"
        sums[kind] = (fresh, victim(fresh))
        p.sd.location = spellings(fresh)[kind]
        client.alter_partition(db, "t", p)
        stored = client.get_partition(db, "t", [f"p{i}"]).sd.location
        assert stored == f"file://{fresh}", f"{kind}: stored canonical, got {stored}"
        # Back to the first batch under any spelling: refused (used before).
        for back in spellings(first).values():
            p.sd.location = back
            with pytest.raises(InvalidOperationException) as e:
                client.alter_partition(db, "t", p)
            assert "used it before" in e.value.message, back
    safe.gc_apply()
    for kind, (path, checksum) in sums.items():
        assert intact(path, checksum), f"live partition spelled {kind!r} lost its data to gc"


def test_bad_locations_are_refused_with_hms_exceptions(client, db):
    for bad in ("file:///../escape", "file:///a/../../b", "file:///a\x00b", "file:///a\nb"):
        with pytest.raises(InvalidObjectException):
            client.create_table(make_table(db, f"bad_{uuid.uuid4().hex[:6]}", location=bad))
    client.create_table(make_table(db, "ok", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "ok")
    with pytest.raises(InvalidObjectException):
        RawClient.add_partition(client, part(t, ["x"], "file:///../x"))
    p = RawClient.add_partition(client, part(t, ["y"]))
    p.sd.location = "file:///../y"
    with pytest.raises(InvalidOperationException):
        client.alter_partition(db, "ok", p)
    assert client.get_all_tables(db) == ["ok"], "nothing was half-created"


# --------------------------------------------------------------------------- roots


def test_outside_the_warehouse_is_never_moved_or_deleted(safe, client, db, tmp_path):
    outside = tmp_path / "outside" / "v"
    checksum = victim(outside)
    # Spelled through the warehouse with `..`, a managed table outside it.
    rel = os.path.relpath(outside, safe.warehouse)
    client.create_table(make_table(db, "m", location=f"file://{safe.warehouse}/{rel}"))
    assert local(client.get_table(db, "m").sd.location) == outside
    # An external table reading the same directory.
    client.create_table(make_table(db, "e", location=f"file://{outside}", table_type="EXTERNAL_TABLE",
                                   params={"EXTERNAL": "TRUE"}))
    # The managed table moves elsewhere: its old directory is not garbage Strata may delete.
    m = client.get_table(db, "m")
    elsewhere = safe.warehouse / f"{db}.db" / "m_new"
    victim(elsewhere)
    m.sd.location = f"file://{elsewhere}"
    client.alter_table(db, "m", m)
    safe.gc_apply()
    assert intact(outside, checksum)
    # A managed table outside: drop and rename leave the directory where it is.
    client.create_table(make_table(db, "m2", location=f"file://{outside}"))
    m2 = client.get_table(db, "m2")
    m2.tableName = "m2_renamed"
    client.alter_table(db, "m2", m2)
    assert local(client.get_table(db, "m2_renamed").sd.location) == outside
    client.drop_table(db, "m2_renamed", True)
    client.drop_table(db, "e", True)
    assert intact(outside, checksum)
    safe.gc_apply()
    assert intact(outside, checksum)
    rows = safe.cli_json("history", f"{db}.m2_renamed")
    drops = [r for r in rows if r["operation"] == "drop_table"]
    assert drops and drops[-1]["new_location"] is None, "the history records the data left in place"


def test_system_paths_are_never_touched(safe, client, db, tmp_path):
    """A table at file:/// and a partition at a directory outside the warehouse (standing in
    for /etc): drops leave them alone and the server stays up."""
    system = tmp_path / "etc"
    checksum = victim(system)
    client.create_table(make_table(db, "root", location="file:///"))
    assert client.get_table(db, "root").sd.location == "file:///"
    client.drop_table(db, "root", True)
    client.create_table(make_table(db, "t", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "t")
    RawClient.add_partition(client, part(t, ["etc"], f"file:{system}"))
    client.drop_partition(db, "t", ["etc"], True)
    assert intact(system, checksum)
    safe.gc_apply()
    assert intact(system, checksum)
    assert safe.server.process.poll() is None


def test_shared_directories_stay_with_their_live_owner(safe, client, db):
    wh = safe.warehouse / f"{db}.db"
    # A managed table sharing the directory of a live external table.
    shared = wh / "shared"
    s_sum = victim(shared)
    client.create_table(make_table(db, "ext", location=f"file://{shared}", table_type="EXTERNAL_TABLE",
                                   params={"EXTERNAL": "TRUE"}))
    client.create_table(make_table(db, "man", location=f"file://{shared}/"))
    client.drop_table(db, "man", True)
    assert intact(shared, s_sum), "drop took a live external table's directory"
    # A partition located at another live table's directory.
    other = wh / "other"
    client.create_table(make_table(db, "other", location=f"file://{other}"))
    o_sum = victim(other)
    client.create_table(make_table(db, "p", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "p")
    RawClient.add_partition(client, part(t, ["x"], f"file://{other}"))
    client.drop_partition(db, "p", ["x"], True)
    assert intact(other, o_sum), "drop_partition took another table's directory"
    # A partition at its own table's root, with live siblings under it.
    root = local(t.sd.location)
    siblings = {}
    for v in ("a", "b"):
        p = RawClient.add_partition(client, part(t, [v]))
        siblings[v] = (local(p.sd.location), victim(local(p.sd.location)))
    RawClient.add_partition(client, part(t, ["root"], f"file://{root}"))
    client.drop_partition(db, "p", ["root"], True)
    for v, (path, checksum) in siblings.items():
        assert intact(path, checksum), f"dropping the partition at the table root took sibling {v}"
    safe.gc_apply()
    assert intact(shared, s_sum) and intact(other, o_sum)
    for path, checksum in siblings.values():
        assert intact(path, checksum)


# --------------------------------------------------------------------------- crashes


def _open_moves(safe):
    return safe.cli_json("moves")


def _wait_settled(safe, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        open_moves = _open_moves(safe)
        if not open_moves:
            return time.monotonic()
        assert time.monotonic() < deadline, f"moves still open after {timeout}s: {open_moves[:3]}"
        time.sleep(0.25)


def _big_table(client, db, name, n):
    client.create_table(make_table(db, name, partition_keys=(("ds", "string"),)))
    t = client.get_table(db, name)
    for start in range(0, n, 500):
        RawClient.add_partitions(client, [part(t, [f"{i:05d}"]) for i in range(start, min(n, start + 500))])
    return t


def test_kill_during_a_big_drop_settles_by_itself(safe, client, db):
    t = _big_table(client, db, "big", CRASH_PARTITIONS)
    parts = client.get_partitions(db, "big", -1)
    sums = {p.values[0]: (local(p.sd.location), None) for p in parts}
    for v, (path, _) in list(sums.items()):
        sums[v] = (path, victim(path))
    retained = safe.warehouse / ".strata-retained" / f"{db}.db" / "big"
    errors = []

    def drop():
        try:
            c = safe.client()
            c.drop_table(db, "big", True)
        except Exception as e:  # noqa: BLE001 - the server is killed under it
            errors.append(e)

    th = threading.Thread(target=drop, daemon=True)
    th.start()
    deadline = time.monotonic() + 60
    while not (retained.exists() and any(retained.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.005)
    safe.kill9()
    killed_at = time.monotonic()
    th.join(30)
    safe.start()
    settled_at = _wait_settled(safe)
    print(f"{safe.backend}: a drop killed mid-way settled {settled_at - killed_at:.1f}s after the kill")
    client = safe.client()
    try:
        exists = db in client.get_all_databases() and "big" in client.get_all_tables(db)
        if exists:
            # The drop did not commit: every partition is live, with its data where it was.
            live = client.get_partitions(db, "big", -1)
            assert len(live) == CRASH_PARTITIONS
            for p in live:
                path, checksum = sums[p.values[0]]
                assert local(p.sd.location) == path and intact(path, checksum), p.values
        else:
            # It committed: every partition's data is in the retained area, none left behind.
            files = list(retained.rglob("part-00000"))
            assert len(files) == CRASH_PARTITIONS
            assert not any(path.exists() for path, _ in sums.values())
    finally:
        client.close()


def test_kill_during_a_big_add_leaves_no_partition_without_its_directory(safe, client, db):
    client.create_table(make_table(db, "adds", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "adds")
    table_dir = local(t.sd.location)

    def add():
        try:
            c = safe.client()
            RawClient.add_partitions(c, [part(t, [f"{i:05d}"]) for i in range(CRASH_PARTITIONS)])
        except Exception:  # noqa: BLE001 - killed under it
            pass

    th = threading.Thread(target=add, daemon=True)
    th.start()
    deadline = time.monotonic() + 60
    while not (table_dir.exists() and any(table_dir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.002)
    safe.kill9()
    th.join(30)
    safe.start()
    client = safe.client()
    try:
        live = client.get_partitions(db, "adds", -1)
        assert all(local(p.sd.location).is_dir() for p in live), "a committed partition has no directory"
    finally:
        client.close()


# --------------------------------------------------------------------------- churn


def test_concurrent_create_drop_of_one_name_keeps_journal_and_history(safe, client, db):
    name = "churn"
    unexpected = []

    def churn():
        c = safe.client()
        try:
            for _ in range(8):
                try:
                    c.create_table(make_table(db, name))
                except AlreadyExistsException:
                    pass
                try:
                    c.drop_table(db, name, True)
                except NoSuchObjectException:
                    pass
        except (MetaException, InvalidOperationException, InvalidObjectException) as e:
            unexpected.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not unexpected, [getattr(e, "message", e) for e in unexpected]
    assert not _open_moves(safe), "no move is left open"
    # Every move that moved data has the history row of the drop that made it; the others
    # found nothing to move (another drop got there first) or were undone.
    moves = [m for m in safe.cli_json("moves", "--all") if f"/{db}.db/" in m["from_location"]]
    assert moves
    rows = safe.cli_json("history", f"{db}.{name}")
    recorded = {(r["previous_location"], r["new_location"]) for r in rows if r["operation"] == "drop_table"}
    for m in moves:
        if m["state"] == "done" and m["detail"] == "moved":
            assert (m["from_location"], m["to_location"]) in recorded, m
        else:
            assert (m["state"], m["detail"]) in {("done", "nothing to move"), ("undone", "moved back: the change failed")}, m
    # And every drop that moved data is a finished move.
    finished = {(m["from_location"], m["to_location"]) for m in moves if m["detail"] == "moved"}
    assert {r for r in recorded if r[1] is not None} <= finished
