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
import sqlite3
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

# Short leases keep CI quick; set STRATA_TEST_SAFETY_LEASE_SECS=30 to see the default's settle time.
LEASE_SECS = float(os.environ.get("STRATA_TEST_SAFETY_LEASE_SECS", "1.5"))
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

    def shutdown(self):
        """Stop the server (SIGTERM), keeping its database."""
        if self.server.process.poll() is None:
            conftest._stop_strata(self.server)

    def sql(self, *statements: str):
        """Raw SQL on the server's database (the server stopped, for SQLite)."""
        if self.backend == "sqlite":
            con = sqlite3.connect(str(self.workdir / "strata.db"))
            try:
                for st in statements:
                    con.execute(st)
                con.commit()
            finally:
                con.close()
        else:
            conftest._psql("; ".join(statements), self.database_url)

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


def _odd(path: Path, how: str) -> str:
    """`path` spelled as rows written before migration 0010 may be: `//`, `/./` or `..` inside."""
    head, tail = str(path).rsplit("/", 1)
    return {"//": f"file://{head}//{tail}", "/./": f"file://{head}/./{tail}",
            "..": f"file://{head}/zz/../{tail}"}[how]


def test_locations_stored_before_0010_are_rewritten_by_the_migration(safe, client, db):
    """Rows spelled as before 0010 (raw SQL: `//`, `/./`, `..` inside the path, the history
    included) are rewritten to the canonical form by schema version 11 at startup, so the indexed
    reuse check refuses a swap back and gc keeps a live directory."""
    client.create_table(make_table(db, "old", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "old")
    p = RawClient.add_partition(client, part(t, ["a"]))
    first = local(p.sd.location)
    victim(first)
    second = local(t.sd.location) / "ds=a" / "20300101000000"
    second_sum = victim(second)
    p.sd.location = f"file://{second}"
    client.alter_partition(db, "old", p)
    # A table moved away from X leaves X superseded (a gc candidate); a live partition reads X.
    client.create_table(make_table(db, "moved"))
    m = client.get_table(db, "moved")
    x = local(m.sd.location)
    x_sum = victim(x)
    m.sd.location = f"file://{safe.warehouse / f'{db}.db' / 'moved_y'}"
    client.alter_table(db, "moved", m)
    RawClient.add_partition(client, part(t, ["x"], f"file://{x}"))
    client.close()
    safe.shutdown()
    a, a_odd = f"file://{first}", _odd(first, "..")
    if safe.backend == "postgres":
        history = [
            "ALTER TABLE history_changes DISABLE TRIGGER history_changes_no_update",
            f"UPDATE history_changes SET previous_locations = array_replace(previous_locations, '{a}', '{a_odd}'), "
            f"new_locations = array_replace(new_locations, '{a}', '{a_odd}') WHERE db_name = '{db}'",
            "ALTER TABLE history_changes ENABLE TRIGGER history_changes_no_update",
        ]
    else:
        con = sqlite3.connect(str(safe.workdir / "strata.db"))
        (trigger,) = con.execute("SELECT sql FROM sqlite_master WHERE name = 'location_history_no_update'").fetchone()
        con.close()
        history = [
            "DROP TRIGGER location_history_no_update",
            f"UPDATE location_history SET previous_location = '{a_odd}' WHERE previous_location = '{a}'",
            f"UPDATE location_history SET new_location = '{a_odd}' WHERE new_location = '{a}'",
            trigger,
        ]
    safe.sql(
        *history,
        f"UPDATE partitions SET location = '{_odd(second, '//')}' WHERE location = 'file://{second}'",
        f"UPDATE partitions SET location = '{_odd(x, '/./')}' WHERE location = 'file://{x}'",
        # As it is right after migration 0011 ran: the rewrite pending.
        "UPDATE strata_meta SET value = 'pending' WHERE key = 'canonical_locations'",
    )
    safe.start()
    client = safe.client()
    try:
        assert client.get_partition(db, "old", ["a"]).sd.location == f"file://{second}"
        assert client.get_partition(db, "old", ["x"]).sd.location == f"file://{x}"
        rows = safe.cli_json("history", f"{db}.old")
        spelled = [loc for r in rows for loc in (r["previous_location"], r["new_location"]) if loc]
        assert a in spelled and a_odd not in spelled, "the history is rewritten too"
        # The reuse rule sees the old history row: the swap back to the first batch is refused.
        p = client.get_partition(db, "old", ["a"])
        p.sd.location = a
        with pytest.raises(InvalidOperationException) as e:
            client.alter_partition(db, "old", p)
        assert "used it before" in e.value.message
        safe.gc_apply()
        assert intact(x, x_sum), "gc deleted the directory of a live partition stored as spelled before 0010"
        assert intact(second, second_sum)
    finally:
        client.close()


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


def _truncate(client, db, table, part_names=None):
    """`truncate_table(dbName, tableName, partNames)`, written by hand: hmsclient's IDL predates it."""
    from thrift.Thrift import TApplicationException, TMessageType, TType

    out, inp = client._oprot, client._iprot
    out.writeMessageBegin("truncate_table", TMessageType.CALL, 0)
    out.writeStructBegin("truncate_table_args")
    for fid, value in ((1, db), (2, table)):
        out.writeFieldBegin("", TType.STRING, fid)
        out.writeString(value)
        out.writeFieldEnd()
    if part_names is not None:
        out.writeFieldBegin("partNames", TType.LIST, 3)
        out.writeListBegin(TType.STRING, len(part_names))
        for n in part_names:
            out.writeString(n)
        out.writeListEnd()
        out.writeFieldEnd()
    out.writeFieldStop()
    out.writeStructEnd()
    out.writeMessageEnd()
    out.trans.flush()
    _, mtype, _ = inp.readMessageBegin()
    if mtype == TMessageType.EXCEPTION:
        x = TApplicationException()
        x.read(inp)
        inp.readMessageEnd()
        raise x
    inp.readStructBegin()
    error = None
    while True:
        _, ftype, fid = inp.readFieldBegin()
        if ftype == TType.STOP:
            break
        if fid == 1 and ftype == TType.STRUCT:
            error = MetaException()
            error.read(inp)
        else:
            inp.skip(ftype)
        inp.readFieldEnd()
    inp.readStructEnd()
    inp.readMessageEnd()
    if error is not None:
        raise error


def test_truncate_moves_only_what_strata_owns(safe, client, db, tmp_path):
    """TRUNCATE of a managed table sharing a live external table's directory, of one outside the
    warehouse, and of a partition at another table's directory: nothing moves, nothing is lost."""
    wh = safe.warehouse / f"{db}.db"
    shared = wh / "shared_t"
    shared_sum = victim(shared)
    client.create_table(make_table(db, "ext_t", location=f"file://{shared}", table_type="EXTERNAL_TABLE",
                                   params={"EXTERNAL": "TRUE"}))
    client.create_table(make_table(db, "man_t", location=f"file://{shared}"))
    _truncate(client, db, "man_t")
    assert intact(shared, shared_sum), "truncate took a live external table's directory"
    outside = tmp_path / "outside_t"
    outside_sum = victim(outside)
    client.create_table(make_table(db, "out_t", location=f"file://{outside}"))
    _truncate(client, db, "out_t")
    assert intact(outside, outside_sum), "truncate moved a directory outside the warehouse"
    other = wh / "other_t"
    client.create_table(make_table(db, "other_t", location=f"file://{other}"))
    other_sum = victim(other)
    client.create_table(make_table(db, "pt", partition_keys=(("ds", "string"),)))
    RawClient.add_partition(client, part(client.get_table(db, "pt"), ["x"], f"file://{other}"))
    _truncate(client, db, "pt", ["ds=x"])
    assert intact(other, other_sum), "truncating a partition took another table's directory"
    # A table Strata owns alone: truncate retains its data, as before.
    client.create_table(make_table(db, "own_t"))
    own = local(client.get_table(db, "own_t").sd.location)
    own_sum = victim(own)
    _truncate(client, db, "own_t")
    assert not (own / "part-00000").exists()
    kept = list((safe.warehouse / ".strata-retained" / f"{db}.db" / "own_t").rglob("part-00000"))
    assert len(kept) == 1 and intact(kept[0].parent, own_sum)
    safe.gc_apply()
    assert intact(shared, shared_sum) and intact(outside, outside_sum) and intact(other, other_sum)


def test_storage_roots_from_the_environment(safe, db, tmp_path):
    """`STRATA_STORAGE__MANAGED_ROOTS` / `__ALLOWED_ROOTS` (comma-separated): a managed table in
    a managed root outside the warehouse is retained on drop like one in the warehouse; a new
    table outside every allowed and managed root is refused."""
    lake, allowed = tmp_path / "lake", tmp_path / "allowed"
    lake.mkdir()
    allowed.mkdir()
    workdir = safe.workdir / f"roots-{uuid.uuid4().hex[:6]}"
    workdir.mkdir()
    server = conftest._start_strata(
        safe.backend, strata_binary(), safe.database_url, safe.warehouse, workdir, "enforce",
        extra_env={"STRATA_STORAGE__MOVE_LEASE_SECS": str(LEASE_SECS),
                   "STRATA_STORAGE__MANAGED_ROOTS": f"file:{lake}/, s3a://strata-test-bucket/raw",
                   "STRATA_STORAGE__ALLOWED_ROOTS": f"file://{allowed}"})
    from hmsclient.hmsclient import HMSClient

    c = HMSClient(host=server.host, port=server.port)
    c.open()
    try:
        checksum = victim(lake / "t")
        c.create_table(make_table(db, "in_lake", location=f"file://{lake}/t"))
        c.drop_table(db, "in_lake", True)
        assert not (lake / "t").exists(), "a managed root's table is retained on drop"
        retained = list((safe.warehouse / ".strata-retained" / f"{db}.db" / "in_lake").rglob("part-00000"))
        assert len(retained) == 1 and intact(retained[0].parent, checksum)
        c.create_table(make_table(db, "in_allowed", location=f"file://{allowed}/t"))
        with pytest.raises(InvalidObjectException) as e:
            c.create_table(make_table(db, "nowhere", location=f"file://{tmp_path}/nowhere"))
        assert "allowed_roots" in e.value.message
    finally:
        c.close()
        conftest._stop_strata(server)


def test_exchange_partition_moves_only_what_strata_owns(safe, client, db, tmp_path):
    """exchange_partition moves a partition's directory only as drop and rename would: not one
    outside the owned roots, not one that is another live table's directory."""
    wh = safe.warehouse / f"{db}.db"
    keys = (("ds", "string"),)
    client.create_table(make_table(db, "xs", partition_keys=keys))
    client.create_table(make_table(db, "xd", partition_keys=keys))
    xs = client.get_table(db, "xs")
    other = wh / "other_x"
    client.create_table(make_table(db, "other_x", location=f"file://{other}"))
    other_sum = victim(other)
    outside = tmp_path / "outside_x"
    outside_sum = victim(outside)
    RawClient.add_partition(client, part(xs, ["shared"], f"file://{other}"))
    RawClient.add_partition(client, part(xs, ["out"], f"file:{outside}"))
    own = local(RawClient.add_partition(client, part(xs, ["own"])).sd.location)
    own_sum = victim(own)
    for value, path in (("shared", other), ("out", outside)):
        client.exchange_partition({"ds": value}, db, "xs", db, "xd")
        moved = client.get_partition(db, "xd", [value])
        assert local(moved.sd.location) == path, f"{value}: the partition keeps its directory"
    assert intact(other, other_sum), "exchange took another live table's directory"
    assert intact(outside, outside_sum), "exchange moved a directory outside the warehouse"
    # One Strata owns moves to the destination's default location, as before.
    client.exchange_partition({"ds": "own"}, db, "xs", db, "xd")
    moved = client.get_partition(db, "xd", ["own"])
    dest = local(client.get_table(db, "xd").sd.location) / "ds=own"
    assert local(moved.sd.location) == dest and intact(dest, own_sum) and not own.exists()
    safe.gc_apply()
    assert intact(other, other_sum) and intact(outside, outside_sum) and intact(dest, own_sum)


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


def _check_all_or_nothing(safe, db, name, sums, retained):
    """The table is fully present with its data where it was, or fully dropped with all its
    data in the retained area."""
    client = safe.client()
    try:
        if db in client.get_all_databases() and name in client.get_all_tables(db):
            live = client.get_partitions(db, name, -1)
            assert len(live) == len(sums)
            for p in live:
                path, checksum = sums[p.values[0]]
                assert local(p.sd.location) == path and intact(path, checksum), p.values
            return "present"
        assert len(list(retained.rglob("part-00000"))) == len(sums)
        assert not any(path.exists() for path, _ in sums.values())
        return "dropped"
    finally:
        client.close()


def test_lost_database_mid_drop_errors_and_settles_by_itself(safe, client, db):
    """The database goes away in the middle of a drop of a big partitioned table (PostgreSQL:
    its connections are terminated and it refuses new ones while the drop's transaction waits,
    its data already moved; SQLite: the file is locked by another process): the client gets a
    MetaException, no directory is lost, and once the database is back the move settles by
    itself and the table is whole."""
    name = "lost"
    _big_table(client, db, name, CRASH_PARTITIONS)
    sums = {p.values[0]: (local(p.sd.location), None) for p in client.get_partitions(db, name, -1)}
    for v, (path, _) in list(sums.items()):
        sums[v] = (path, victim(path))
    retained = safe.warehouse / ".strata-retained" / f"{db}.db" / name
    outcome = {}

    def drop():
        c = safe.client()
        try:
            c.drop_table(db, name, True)
            outcome["ok"] = True
        except Exception as e:  # noqa: BLE001 - checked below
            outcome["error"] = e
        finally:
            c.close()

    th = threading.Thread(target=drop, daemon=True)
    if safe.backend == "postgres":
        # Hold the lock the drop's transaction needs (its first write is the undrop copy), so
        # the database is lost while that transaction waits, after the data moved.
        holder = subprocess.Popen(["psql", safe.database_url, "-qAt", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        holder.stdin.write("BEGIN; LOCK TABLE dropped_tables IN EXCLUSIVE MODE; SELECT 'locked';\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "locked"
        th.start()
        deadline = time.monotonic() + 60
        while not (retained.exists() and any(retained.iterdir())):
            assert time.monotonic() < deadline and th.is_alive(), outcome
            time.sleep(0.01)
        time.sleep(0.3)
        conftest._psql(f"ALTER DATABASE {safe.pg_db} ALLOW_CONNECTIONS false")
        conftest._psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{safe.pg_db}' AND pid <> pg_backend_pid()")
        th.join(60)
        holder.kill()
        holder.wait(10)
        time.sleep(1.0)
        conftest._psql(f"ALTER DATABASE {safe.pg_db} ALLOW_CONNECTIONS true")
    else:
        con = sqlite3.connect(str(safe.workdir / "strata.db"), timeout=0, isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        th.start()
        th.join(60)
        con.execute("ROLLBACK")
        con.close()
    assert not th.is_alive(), "the drop hung"
    assert isinstance(outcome.get("error"), MetaException), outcome
    assert safe.server.process.poll() is None, "the server stays up"
    _wait_settled(safe)
    assert _check_all_or_nothing(safe, db, name, sums, retained) == "present"
    # The name works again: a second drop goes through and retains everything.
    c = safe.client()
    try:
        c.drop_table(db, name, True)
    finally:
        c.close()
    assert len(list(retained.rglob("part-00000"))) == len(sums)


# --------------------------------------------------------------------------- churn


def _churn(safe, db, servers, clients=16, rounds=6):
    """`clients` clients, split over `servers`, create and drop one table name at once; then the
    journal and the history must agree."""
    name = "churn"
    unexpected = []

    def churn(server):
        from hmsclient.hmsclient import HMSClient

        c = HMSClient(host=server.host, port=server.port)
        c.open()
        try:
            for _ in range(rounds):
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

    threads = [threading.Thread(target=churn, args=(servers[i % len(servers)],)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads), "a client hung"
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
    # Nothing was moved into the directory of a table that no longer exists: the name's
    # default directory is empty or absent unless the table exists.
    c = safe.client()
    try:
        exists = name in c.get_all_tables(db)
    finally:
        c.close()
    table_dir = safe.warehouse / f"{db}.db" / name
    assert exists or not table_dir.exists() or not any(table_dir.iterdir()), "data moved into a dropped table's directory"


def test_concurrent_create_drop_of_one_name_keeps_journal_and_history(safe, client, db):
    _churn(safe, db, [safe.server], clients=8, rounds=8)


def test_create_drop_of_one_name_is_serialised_across_servers(safe, client, db):
    """Two servers on one database (for SQLite, one file), 16 clients churning one name split
    over both: the name's lock is the database's, not a process's."""
    second_dir = safe.workdir / f"second-{uuid.uuid4().hex[:6]}"
    second_dir.mkdir()
    second = conftest._start_strata(
        safe.backend, strata_binary(), safe.database_url, safe.warehouse, second_dir, "enforce",
        extra_env={"STRATA_STORAGE__MOVE_LEASE_SECS": str(LEASE_SECS)})
    try:
        _churn(safe, db, [safe.server, second], clients=16, rounds=4)
    finally:
        conftest._stop_strata(second)
