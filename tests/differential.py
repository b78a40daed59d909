"""Differential driver: the same scripted raw Thrift calls against two metastores,
replies compared field by field after normalising what legitimately differs.

Used by tests/test_differential.py (strata vs a real Apache HMS 2.3.10 the test starts
itself). By hand, against any two servers:

    target/pyenv/bin/python tests/differential.py \
        --a thrift://127.0.0.1:9083 --a-warehouse /abs/wh_a \
        --b thrift://127.0.0.1:9084 --b-warehouse /abs/wh_b [--section tables ...]

A *section* is a function ``section(run)`` that drives one server through ``run``
(a ``Runner``): every ``run.call(label, method, *args)`` is recorded as
(label, call, normalised outcome) and also returns the raw result (None when the call
raised) so the script can build later calls from what that server answered. The two
recordings must be equal step by step.

Normalisation (the explicit ignore-list; tests/README.md documents it):

* times: ``createTime``, ``lastAccessTime``, ``lastAnalyzed``, ``acquiredat``,
  ``lastheartbeat`` and the ``transient_lastDdlTime`` parameter become ``<now>`` when
  within a day of now (seconds or milliseconds); 0 stays 0.
* ids: ``lockid``/``blockedByExtId`` become ``<lock1>``, ``<lock2>``... in order of first
  appearance per server (likewise ``lockIdInternal``/``blockedByIntId``, ``txnid``,
  ``eventId``, each family numbered on its own).
* locations, in every string: ``file:///x`` == ``file:/x``; the server's warehouse root
  becomes ``<WH>``, the run's scratch directory ``<EXT>``; a batch directory after a
  partition directory (``.../ds=a/20240101000000``, where Strata's default batch mode puts a
  partition added without a location) is cut.
* ``catName`` / ``catalogName`` are dropped (2.3 has no catalogs).
* fields only one side fills with defaults are dropped when empty/false/unset:
  ``DEFAULT_FILLED`` below.
* table/partition parameters the Java server derives from the file system
  (``STATS_PARAMS``: numFiles, totalSize, ...) are dropped.
* exception messages that embed a Java ``toString()`` of a Thrift struct
  (``Partition already exists: Partition(values:[...], ...)``) are cut after the values.
* replies of calls the real HMS answers in no particular order (``UNORDERED``) are sorted.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore  # noqa: E402
from hmsclient.genthrift.hive_metastore.ttypes import (  # noqa: E402
    AddPartitionsRequest,
    BooleanColumnStatsData,
    CheckLockRequest,
    ColumnStatistics,
    ColumnStatisticsData,
    ColumnStatisticsDesc,
    ColumnStatisticsObj,
    Database,
    DoubleColumnStatsData,
    DropPartitionsRequest,
    EnvironmentContext,
    FieldSchema,
    Function,
    FunctionType,
    GetTableRequest,
    GetTablesRequest,
    HiveObjectRef,
    HiveObjectType,
    LockComponent,
    LockLevel,
    LockRequest,
    LockType,
    LongColumnStatsData,
    Partition,
    PartitionsStatsRequest,
    PrincipalType,
    RequestPartsSpec,
    ResourceType,
    ResourceUri,
    ShowLocksRequest,
    StringColumnStatsData,
    TableStatsRequest,
    UnlockRequest,
)
from thrift.Thrift import TApplicationException  # noqa: E402
from thrift.transport.TTransport import TTransportException  # noqa: E402

from hms_helpers import make_table  # noqa: E402

RawClient = ThriftHiveMetastore.Client

TIME_FIELDS = {"createTime", "lastAccessTime", "lastAnalyzed", "acquiredat", "lastheartbeat"}
TIME_PARAMS = {"transient_lastDdlTime"}
# id fields -> id family (ids of one family share one numbering)
ID_FIELDS = {"lockid": "lock", "blockedByExtId": "lock", "lockIdInternal": "intlock",
             "blockedByIntId": "intlock", "txnid": "txn", "eventId": "event"}
DROPPED_FIELDS = {"catName", "catalogName"}
# struct fields that one side may leave unset where the other sends an empty default
DEFAULT_FILLED = {"skewedInfo", "storedAsSubDirectories", "temporary", "rewriteEnabled",
                  "privileges", "bitVectors", "heartbeatCount"}
# parameters the Java server computes from the files under a location
STATS_PARAMS = {"numFiles", "totalSize", "numRows", "rawDataSize", "COLUMN_STATS_ACCURATE"}
# calls whose list reply the real HMS returns in no defined order
UNORDERED = {"get_partitions_ps", "get_partitions_ps_with_auth", "get_partition_names_ps",
             "get_all_functions", "get_table_statistics_req", "get_partitions_statistics_req",
             "drop_partitions_req", "get_aggr_stats_for", "show_locks",
             # HMS 2.3 reads these with a JDO query that has no ordering: its order varies by run.
             "get_table_objects_by_name", "get_table_objects_by_name_req"}
DAY_S = 86400
# a batch directory right after a partition directory (`/ds=a/20240101000000`)
BATCH_DIR = re.compile(r"(/[^/\s'\"]+=[^/\s'\"]*)/20\d{12}(?=$|[/\s'\",)\]])")


# --------------------------------------------------------------------------- normalising


class Normaliser:
    def __init__(self, warehouse: str, scratch: str):
        self.now = time.time()
        self.ids: Dict[tuple, str] = {}
        self.paths = []
        for root, tag in ((warehouse, "<WH>"), (scratch, "<EXT>")):
            p = str(root)
            for pre in ("file://", "file:"):
                if p.startswith(pre):
                    p = p[len(pre):]
            p = "/" + p.strip("/")
            self.paths.append((p, tag))
        # longest first, so a scratch dir inside the warehouse (or vice versa) wins
        self.paths.sort(key=lambda x: -len(x[0]))

    def text(self, s: str) -> str:
        s = s.replace("file:///", "file:/").replace("file://localhost/", "file:/")
        for p, tag in self.paths:
            s = s.replace(p, tag)
        # Strata (batch mode enforce, its default) places a partition added without a location
        # in a batch directory under HMS's default one: <table>/<k=v>/<YYYYMMDDHHMMSS>.
        return BATCH_DIR.sub(r"\1", s)

    def _time(self, v):
        if isinstance(v, str) and v.lstrip("-").isdigit():
            v = int(v)
        if isinstance(v, int) and v:
            for scale in (1, 1000):
                if abs(v / scale - self.now) < DAY_S:
                    return "<now>"
        return v

    def _id(self, family: str, v):
        if v is None or v == 0:
            return v
        key = (family, v)
        if key not in self.ids:
            n = sum(1 for f, _ in self.ids if f == family) + 1
            self.ids[key] = f"<{family}{n}>"
        return self.ids[key]

    def value(self, v, key: Optional[str] = None):
        if hasattr(v, "thrift_spec") and not isinstance(v, type):
            out = {}
            for k, fv in sorted(vars(v).items()):
                if k in DROPPED_FIELDS:
                    continue
                if k in DEFAULT_FILLED and _emptyish(fv):
                    continue
                out[k] = self.value(fv, k)
            return out
        if isinstance(v, dict):
            out = {}
            for k, fv in v.items():
                if key == "parameters" and k in STATS_PARAMS:
                    continue
                nk = self.text(k) if isinstance(k, str) else k
                out[nk] = self._time(fv) if k in TIME_PARAMS else self.value(fv)
            return dict(sorted(out.items(), key=lambda kv: str(kv[0])))
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if isinstance(v, bytes):
            return "0x" + v.hex()
        if isinstance(v, str):
            return self.text(v)
        if key in TIME_FIELDS:
            return self._time(v)
        if key in ID_FIELDS:
            return self._id(ID_FIELDS[key], v)
        if isinstance(v, float):
            return round(v, 9)
        return v

    def exception(self, e: BaseException) -> dict:
        if isinstance(e, TApplicationException):
            return {"exception": "TApplicationException", "type": e.type,
                    "message": self.text(e.message or "")}
        msg = getattr(e, "message", None)
        if msg is None:
            msg = str(e)
        msg = self.text(msg)
        # JVM exception class prefixes and ANTLR parser internals are not behaviour: a filter
        # parse error is compared by its documented prefix only.
        msg = re.sub(r"^java\.[\w.$]+: ", "", msg)
        if msg.startswith("Error parsing partition filter"):
            msg = "Error parsing partition filter …"
        m = re.match(r"^(Partition already exists: ?Partition\(values:\[[^\]]*\]).*$", msg, re.S)
        if m:
            msg = m.group(1) + ", …)"
        m = re.match(r"^(Partition does not belong to target table [^:]*: Partition\(values:\[[^\]]*\]).*$",
                     msg, re.S)
        if m:
            msg = m.group(1) + ", …)"
        m = re.match(r"^(.*Duplicate partitions in the list: Partition\(values:\[[^\]]*\]).*$", msg, re.S)
        if m:
            msg = m.group(1) + ", …)"
        return {"exception": type(e).__name__, "message": msg}


def _emptyish(v) -> bool:
    if v is None or v is False or v == 0 or v == [] or v == {}:
        return True
    if hasattr(v, "thrift_spec"):
        return all(_emptyish(x) for x in vars(v).values())
    return False


# --------------------------------------------------------------------------- runner


@dataclass
class Step:
    label: str
    call: str
    outcome: Any


class Runner:
    """Drives one server; records every call's normalised outcome."""

    def __init__(self, host: str, port: int, warehouse: str, scratch: Path, names: dict):
        self.host, self.port = host, port
        self.warehouse = warehouse
        self.scratch = Path(scratch)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.names = names          # identical on both sides: db / table names of the run
        self.norm = Normaliser(warehouse, str(self.scratch))
        self.steps: List[Step] = []
        self._clients: Dict[int, Any] = {}

    # clients ------------------------------------------------------------------
    def client(self, n: int = 1):
        from hmsclient.hmsclient import HMSClient

        if n not in self._clients:
            c = HMSClient(host=self.host, port=self.port)
            c.open()
            self._clients[n] = c
        return self._clients[n]

    def close(self):
        for c in self._clients.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()

    # calls ----------------------------------------------------------------------
    def call(self, label: str, method: str, *args, conn: int = 1,
             post: Optional[Callable[[Any], Any]] = None, unordered: Optional[bool] = None):
        client = self.client(conn)
        fn = getattr(RawClient, method)
        shown = f"{method}({', '.join(_short(a) for a in args)})"
        try:
            result = fn(client, *args)
        except TTransportException as e:
            self._clients.pop(conn, None)  # the connection is unusable; reconnect next time
            self.steps.append(Step(label, shown, {"exception": "TTransportException",
                                                  "message": str(e)}))
            return None
        except Exception as e:  # noqa: BLE001 - Thrift exceptions are outcomes
            self.steps.append(Step(label, shown, self.norm.exception(e)))
            return None
        shown_result = post(result) if post else result
        outcome = self.norm.value(shown_result)
        if (unordered if unordered is not None else method in UNORDERED):
            outcome = _sorted_top(outcome)
        self.steps.append(Step(label, shown, {"ok": outcome}))
        return result

    def note(self, label: str, value):
        """Record a locally computed fact (e.g. files on disk) as a step."""
        self.steps.append(Step(label, "(local)", {"ok": self.norm.value(value)}))

    def ext(self, name: str) -> str:
        return f"file://{self.scratch / name}"


def _sorted_top(v):
    """Sort a list reply, or the lists directly inside a struct/map reply (not deeper:
    a partition's values keep their order)."""
    def key(x):
        return json.dumps(x, sort_keys=True, default=str)

    if isinstance(v, list):
        return sorted(v, key=key)
    if isinstance(v, dict):
        return {k: sorted(x, key=key) if isinstance(x, list) else _sorted_top(x) if isinstance(x, dict) else x
                for k, x in v.items()}
    return v


def _short(a) -> str:
    if hasattr(a, "thrift_spec"):
        name = type(a).__name__
        for attr in ("tableName", "name", "functionName", "dbName"):
            if getattr(a, attr, None):
                return f"{name}({attr}={getattr(a, attr)!r}, …)"
        return f"{name}(…)"
    if isinstance(a, list) and a and hasattr(a[0], "thrift_spec"):
        return f"[{', '.join(_short(x) for x in a)}]"
    return repr(a)


# --------------------------------------------------------------------------- comparing


def _drop_fields(v, names):
    if isinstance(v, dict):
        return {k: _drop_fields(x, names) for k, x in v.items() if k not in names}
    if isinstance(v, list):
        return [_drop_fields(x, names) for x in v]
    return v


def compare(a: Runner, b: Runner, a_name: str = "a", b_name: str = "b",
            known: Optional[Dict[str, Any]] = None):
    """Returns (differences, tolerated): human-readable texts. ``known`` maps a step
    label to the reason of a known difference: the step is tolerated when it differs
    (``{"fields": [...], "reason": ...}`` tolerates only those fields)."""
    known = known or {}
    diffs, tolerated = [], []
    for i, (sa, sb) in enumerate(zip(a.steps, b.steps)):
        if sa.label != sb.label:
            diffs.append(f"step {i}: the scripts diverged ({sa.label!r} vs {sb.label!r})")
            break
        if sa.outcome == sb.outcome:
            continue
        text = f"[{sa.label}] {sa.call}\n  {a_name}: {_dump(sa.outcome)}\n  {b_name}: {_dump(sb.outcome)}"
        k = known.get(sa.label)
        if k is not None:
            fields = k.get("fields") if isinstance(k, dict) else None
            if fields is None or _drop_fields(sa.outcome, set(fields)) == _drop_fields(sb.outcome, set(fields)):
                reason = k.get("reason") if isinstance(k, dict) else k
                tolerated.append(f"{text}\n  (known difference: {reason})")
                continue
        diffs.append(text)
    if len(a.steps) != len(b.steps):
        diffs.append(f"step count differs: {a_name} {len(a.steps)}, {b_name} {len(b.steps)}")
    return diffs, tolerated


def _dump(v) -> str:
    return json.dumps(v, sort_keys=True, default=str, ensure_ascii=False)


# --------------------------------------------------------------------------- helpers for sections


def db_obj(name, **kw) -> Database:
    return Database(name=name, description=kw.get("description"), locationUri=kw.get("locationUri"),
                    parameters=kw.get("parameters", {}), ownerName=kw.get("ownerName", "diff_tester"),
                    ownerType=kw.get("ownerType", PrincipalType.USER))


def new_part(table, values, location=None) -> Partition:
    sd = copy.deepcopy(table.sd)
    sd.location = location
    return Partition(values=list(values), dbName=table.dbName, tableName=table.tableName, sd=sd,
                     parameters={}, createTime=0, lastAccessTime=0)


def _table_or_local(run: Runner, db: str, name: str, fallback):
    t = run.call(f"get_table {name} (for later calls)", "get_table", db, name)
    return t if t is not None else fallback


def _files(run: Runner, location: Optional[str]):
    if not location:
        return None
    p = location
    for pre in ("file://", "file:"):
        if p.startswith(pre):
            p = p[len(pre):]
            break
    path = Path(p)
    return sorted(x.name for x in path.iterdir()) if path.is_dir() else None


# --------------------------------------------------------------------------- sections


def section_databases(run: Runner):
    n = run.names
    a, b = f"{n['prefix']}_a", f"{n['prefix']}_b"
    run.call("default db", "get_database", "default")
    run.call("create mixed case", "create_database",
             db_obj(f"{n['prefix'].upper()}_A", description="first", parameters={"k": "v"},
                    ownerName="alice", ownerType=PrincipalType.USER))
    run.call("get created", "get_database", a)
    run.call("get upper case", "get_database", a.upper())
    run.call("create duplicate", "create_database", db_obj(a))
    run.call("create with location", "create_database",
             db_obj(b, locationUri=run.ext("dbloc"), ownerName="bob", ownerType=PrincipalType.ROLE))
    run.call("get with location", "get_database", b)
    run.call("get missing", "get_database", f"{n['prefix']}_nope")
    run.call("pattern prefix", "get_databases", f"{n['prefix']}*")
    run.call("pattern alternatives", "get_databases", f"{b}|{a}")
    run.call("pattern case-insensitive", "get_databases", f"{n['prefix'].upper()}_A*")
    run.call("pattern partial", "get_databases", n["prefix"])
    run.call("pattern regex", "get_databases", f"{n['prefix']}_.")
    d = run.call("get for alter", "get_database", a)
    if d is not None:
        d.parameters = {"k2": "v2"}
        run.call("alter parameters", "alter_database", a, d)
        run.call("get altered", "get_database", a)
    run.call("alter missing", "alter_database", f"{n['prefix']}_nope", db_obj(f"{n['prefix']}_nope"))
    run.call("create invalid name", "create_database", db_obj("bad name!"))
    run.call("drop default", "drop_database", "default", True, False)
    run.call("drop a", "drop_database", a, True, False)
    run.call("get dropped", "get_database", a)
    run.call("drop b", "drop_database", b, True, True)
    run.call("pattern after drop", "get_databases", f"{n['prefix']}*")


def section_tables(run: Runner):
    n = run.names
    db = f"{n['prefix']}_t"
    run.call("create db", "create_database", db_obj(db))
    mt = make_table(db, "MyTable", columns=[("id", "int"), ("Name", "string")])
    run.call("create mixed case", "create_table", mt)
    run.call("get", "get_table", db, "mytable")
    run.call("get upper case", "get_table", db.upper(), "MYTABLE")
    run.call("get_table_req", "get_table_req", GetTableRequest(dbName=db, tblName="mytable"))
    run.call("create duplicate", "create_table", mt)
    run.call("create in missing db", "create_table", make_table(f"{n['prefix']}_nodb", "t"))
    run.call("get missing table", "get_table", db, "nope")
    run.call("get missing db", "get_table", f"{n['prefix']}_nodb", "nope")
    run.call("fields", "get_fields", db, "mytable")
    run.call("schema", "get_schema", db, "mytable")

    run.call("create zz", "create_table", make_table(db, "zz"))
    run.call("create aa (partitioned)", "create_table",
             make_table(db, "aa", partition_keys=[("ds", "string"), ("hr", "int")]))
    run.call("get partitioned", "get_table", db, "aa")
    run.call("schema partitioned", "get_schema", db, "aa")
    run.call("fields partitioned", "get_fields", db, "aa")
    run.call("all tables", "get_all_tables", db)
    run.call("tables *", "get_tables", db, "*")
    run.call("tables pattern", "get_tables", db, "a*|ZZ")
    run.call("tables regex", "get_tables", db, ".*")
    run.call("all tables missing db", "get_all_tables", f"{n['prefix']}_nodb")
    run.call("objects by name", "get_table_objects_by_name", db, ["zz", "nope", "aa"])
    run.call("objects by name req", "get_table_objects_by_name_req",
             GetTablesRequest(dbName=db, tblNames=["zz", "nope", "aa"]))

    t = _table_or_local(run, db, "mytable", mt)
    t = copy.deepcopy(t)
    t.sd.cols.append(FieldSchema(name="extra", type="string", comment="added"))
    t.parameters["k"] = "v"
    t.parameters.pop("transient_lastDdlTime", None)
    run.call("alter add column", "alter_table", db, "mytable", t)
    run.call("get altered", "get_table", db, "mytable")
    run.call("alter missing", "alter_table", db, "nope", make_table(db, "nope"))

    t = _table_or_local(run, db, "mytable", mt)
    t = copy.deepcopy(t)
    t.tableName = "renamed"
    run.call("rename", "alter_table", db, "mytable", t)
    run.call("get renamed", "get_table", db, "renamed")
    run.call("get old name", "get_table", db, "mytable")

    ext = make_table(db, "ext", params={"EXTERNAL": "TRUE"}, table_type="EXTERNAL_TABLE",
                     location=run.ext("ext_t"))
    run.call("create external", "create_table", ext)
    run.call("get external", "get_table", db, "ext")
    e = _table_or_local(run, db, "ext", ext)
    e = copy.deepcopy(e)
    e.tableName = "ext2"
    run.call("rename external", "alter_table", db, "ext", e)
    run.call("get renamed external", "get_table", db, "ext2")
    coerced = make_table(db, "coerced", params={"EXTERNAL": "TRUE"}, table_type="MANAGED_TABLE",
                         location=run.ext("coerced_t"))
    run.call("create MANAGED with EXTERNAL=TRUE", "create_table", coerced)
    run.call("get coerced", "get_table", db, "coerced")

    run.call("drop zz", "drop_table", db, "zz", True)
    run.call("drop missing", "drop_table", db, "zz", True)
    run.call("tables after drop", "get_all_tables", db)
    run.call("drop non-empty db", "drop_database", db, True, False)
    run.call("drop db cascade", "drop_database", db, True, True)
    run.call("db gone", "get_database", db)


def section_locks(run: Runner):
    n = run.names
    db = f"{n['prefix']}_l"
    run.call("create db", "create_database", db_obj(db))
    run.call("create table", "create_table", make_table(db, "t"))

    def request():
        return LockRequest(component=[LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE,
                                                    dbname=db, tablename="t")],
                           user="diff_tester", hostname="diffhost")

    first = run.call("lock", "lock", request())
    second = run.call("lock again (2nd connection)", "lock", request(), conn=2)
    if second is not None:
        run.call("check waiting", "check_lock", CheckLockRequest(lockid=second.lockid))

    def ours(resp):
        return [x for x in (resp.locks or []) if x.dbname == db]

    run.call("show locks", "show_locks", ShowLocksRequest(), post=ours)
    if first is not None:
        run.call("unlock first", "unlock", UnlockRequest(lockid=first.lockid))
    if second is not None:
        run.call("check acquired", "check_lock", CheckLockRequest(lockid=second.lockid))
        run.call("unlock second", "unlock", UnlockRequest(lockid=second.lockid), conn=2)
        run.call("unlock again", "unlock", UnlockRequest(lockid=second.lockid))
    run.call("show locks after", "show_locks", ShowLocksRequest(), post=ours)
    run.call("check unknown", "check_lock", CheckLockRequest(lockid=987654321))
    run.call("drop db", "drop_database", db, True, True)


def section_partitions(run: Runner):
    n = run.names
    db = f"{n['prefix']}_p"
    run.call("create db", "create_database", db_obj(db))
    pt = make_table(db, "p", partition_keys=[("ds", "string"), ("hr", "int")])
    run.call("create table", "create_table", pt)
    t = _table_or_local(run, db, "p", pt)

    run.call("add", "add_partition", new_part(t, ["2024-01-01", "1"]))
    run.call("add duplicate", "add_partition", new_part(t, ["2024-01-01", "1"]))
    run.call("add too few values", "add_partition", new_part(t, ["2024-01-01"]))
    run.call("add with location", "add_partition", new_part(t, ["loc", "1"], location=run.ext("ploc")))
    run.call("add escaped", "add_partition", new_part(t, ["a/b:c=d%e#f?g h", "7"]))
    run.call("add empty value", "add_partition", new_part(t, ["", "8"]))
    run.call("add explicit default name", "add_partition", new_part(t, ["__HIVE_DEFAULT_PARTITION__", "8"]))
    run.call("add_partitions", "add_partitions", [new_part(t, ["b", "10"]), new_part(t, ["b", "2"])])
    run.call("add_partitions empty", "add_partitions", [])
    run.call("add_partitions one exists", "add_partitions", [new_part(t, ["c", "1"]), new_part(t, ["b", "2"])])
    run.call("add_partitions duplicate in list", "add_partitions",
             [new_part(t, ["dup", "1"]), new_part(t, ["dup", "1"])])
    run.call("add_partitions_req ifNotExists", "add_partitions_req", AddPartitionsRequest(
        dbName=db, tblName="p", parts=[new_part(t, ["b", "2"]), new_part(t, ["c", "3"])],
        ifNotExists=True, needResult=True))
    run.call("add_partitions_req exists", "add_partitions_req", AddPartitionsRequest(
        dbName=db, tblName="p", parts=[new_part(t, ["c", "3"])], ifNotExists=False, needResult=True))
    run.call("add_partitions_req no result", "add_partitions_req", AddPartitionsRequest(
        dbName=db, tblName="p", parts=[new_part(t, ["c", "4"])], ifNotExists=False, needResult=False))
    orphan = new_part(t, ["z", "1"])
    orphan.tableName = "nope"
    run.call("add to missing table", "add_partition", orphan)
    run.call("add_partitions to missing table", "add_partitions", [orphan])
    run.call("append", "append_partition", db, "p", ["d", "1"])
    run.call("append duplicate", "append_partition", db, "p", ["d", "1"])
    run.call("append by name", "append_partition_by_name", db, "p", "ds=d/hr=2")
    run.call("append by name reordered", "append_partition_by_name", db, "p", "hr=3/ds=d")
    run.call("append by name incomplete", "append_partition_by_name", db, "p", "ds=d")
    run.call("append to missing table", "append_partition", db, "nope", ["d", "1"])

    run.call("get", "get_partition", db, "p", ["2024-01-01", "1"])
    run.call("get by name", "get_partition_by_name", db, "p", "ds=a%2Fb%3Ac%3Dd%25e%23f%3Fg h/hr=7")
    run.call("get with auth", "get_partition_with_auth", db, "p", ["b", "10"], "alice", ["g"])
    run.call("get missing", "get_partition", db, "p", ["nope", "1"])
    run.call("get wrong arity", "get_partition", db, "p", ["nope"])
    run.call("get by bad name", "get_partition_by_name", db, "p", "garbage")
    run.call("get missing table", "get_partition", db, "nope", ["a", "1"])
    run.call("list", "get_partitions", db, "p", -1)
    run.call("list max 2", "get_partitions", db, "p", 2)
    run.call("list max 0", "get_partitions", db, "p", 0)
    run.call("list with auth", "get_partitions_with_auth", db, "p", -1, "alice", ["g"])
    run.call("names", "get_partition_names", db, "p", -1)
    run.call("names max 3", "get_partition_names", db, "p", 3)
    run.call("names max 0", "get_partition_names", db, "p", 0)
    run.call("list missing table", "get_partitions", db, "nope", -1)
    run.call("ps", "get_partitions_ps", db, "p", ["b"], -1)
    run.call("ps wildcard", "get_partitions_ps", db, "p", ["", "1"], -1)
    run.call("ps with auth", "get_partitions_ps_with_auth", db, "p", ["d", ""], -1, "alice", ["g"])
    run.call("names ps", "get_partition_names_ps", db, "p", ["b"], -1)
    run.call("names ps all", "get_partition_names_ps", db, "p", ["", ""], -1)
    run.call("ps too many values", "get_partitions_ps", db, "p", ["a", "1", "x"], -1)
    run.call("by names", "get_partitions_by_names", db, "p", ["ds=b/hr=10", "ds=nope/hr=1", "ds=b/hr=2"])
    run.call("by names empty", "get_partitions_by_names", db, "p", [])
    run.call("name_to_vals", "partition_name_to_vals", "ds=a%2Fb%3Ac%3Dd%25e/hr=7")
    run.call("name_to_spec", "partition_name_to_spec", "ds=a%2Fb%3Ac%3Dd%25e/hr=7")
    run.call("name_to_vals garbage", "partition_name_to_vals", "garbage")
    run.call("valid characters", "partition_name_has_valid_characters", ["a", "b/c"], False)

    p = run.call("get for alter", "get_partition", db, "p", ["b", "10"])
    if p is not None:
        p.sd.location = run.ext("moved")
        p.parameters["k"] = "v"
        run.call("alter", "alter_partition", db, "p", p)
        run.call("get altered", "get_partition", db, "p", ["b", "10"])
        q = copy.deepcopy(p)
        q.values = ["nope", "1"]
        run.call("alter missing", "alter_partition", db, "p", q)
    ps = run.call("get two for alter_partitions", "get_partitions_by_names", db, "p", ["ds=c/hr=1", "ds=c/hr=3"])
    if ps:
        for x in ps:
            x.parameters["x"] = "y"
        run.call("alter_partitions", "alter_partitions", db, "p", ps)
        run.call("get after alter_partitions", "get_partitions_by_names", db, "p", ["ds=c/hr=1", "ds=c/hr=3"])
    r = run.call("get for rename", "get_partition", db, "p", ["d", "1"])
    if r is not None:
        old_loc = r.sd.location
        Path(_local(old_loc)).mkdir(parents=True, exist_ok=True)
        (Path(_local(old_loc)) / "f.txt").write_text("x")
        r.values = ["e", "1"]
        run.call("rename", "rename_partition", db, "p", ["d", "1"], r)
        moved = run.call("get renamed", "get_partition", db, "p", ["e", "1"])
        run.note("renamed files", _files(run, moved.sd.location) if moved else None)
        run.note("old dir exists", Path(_local(old_loc)).exists())
        clash = copy.deepcopy(r)
        clash.values = ["d", "2"]
        run.call("rename onto existing", "rename_partition", db, "p", ["e", "1"], clash)
        run.call("rename missing", "rename_partition", db, "p", ["nope", "1"], r)

    g = run.call("get for drop", "get_partition", db, "p", ["c", "3"])
    if g is not None:
        Path(_local(g.sd.location)).mkdir(parents=True, exist_ok=True)
        (Path(_local(g.sd.location)) / "old.txt").write_text("old")
    run.call("drop deleteData", "drop_partition", db, "p", ["c", "3"], True)
    if g is not None:
        run.note("files after drop", _files(run, g.sd.location))
    run.call("drop missing", "drop_partition", db, "p", ["c", "3"], True)
    run.call("drop wrong arity", "drop_partition", db, "p", ["c"], True)
    run.call("re-add", "add_partition", new_part(t, ["c", "3"]))
    if g is not None:
        run.note("re-added files", _files(run, g.sd.location))
    k = run.call("get for keep", "get_partition", db, "p", ["c", "4"])
    if k is not None:
        Path(_local(k.sd.location)).mkdir(parents=True, exist_ok=True)
        (Path(_local(k.sd.location)) / "kept.txt").write_text("kept")
    run.call("drop keep data", "drop_partition", db, "p", ["c", "4"], False)
    if k is not None:
        run.note("files kept", _files(run, k.sd.location))
    run.call("drop by name", "drop_partition_by_name", db, "p", "ds=d/hr=2", True)
    run.call("drop by name missing", "drop_partition_by_name", db, "p", "ds=d/hr=2", True)
    run.call("drop by bad name", "drop_partition_by_name", db, "p", "garbage", True)
    run.call("drop_partitions_req", "drop_partitions_req", DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=b/hr=2", "ds=2024-01-01/hr=1"]),
        deleteData=True, needResult=True))
    run.call("drop_partitions_req ifExists", "drop_partitions_req", DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=zz/hr=1"]), deleteData=True,
        needResult=True))
    run.call("drop_partitions_req missing", "drop_partitions_req", DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=zz/hr=1"]), deleteData=True,
        needResult=True, ifExists=False))
    run.call("drop from missing table", "drop_partition", db, "nope", ["c", "1"], True)
    run.call("names at end", "get_partition_names", db, "p", -1)
    run.call("drop db", "drop_database", db, True, True)


def _local(location: str) -> str:
    for pre in ("file://", "file:"):
        if location.startswith(pre):
            return location[len(pre):]
    return location


FILTERS = [
    'ds = "2024-01-02"', "ds = '2024-01-02'", '"2024-01-02" = ds', 'ds <> "2024-01-02"',
    'ds < "2024-01-02"', 'ds <= "2024-01-02"', 'ds > "2024-01-03"', 'ds >= "2024-01-03"',
    'ds like "ab.*"', 'ds like "ab%"', 'ds like ".*-02"', 'ds between "2024-01-01" and "2024-01-02"',
    'ds not between "2024-01-01" and "2024-01-02"', '(ds) in ("abc", "2024-01-03")',
    '(ds) not in ("abc", "2024-01-03")', "hr = 10", "hr > 2", "hr < 10", "hr between 2 and 5",
    "(hr) in (1, 10)", 'ds = "2024-01-01" and hr = 1', 'ds = "abc" or hr = 10',
    '(ds = "abc" or ds = "abd") and hr = 5', 'DS = "abc"', "ds = 2024-01-01", "",
    'nokey = "x"', "ds = ", 'ds == "x"', 'ds in ("abc")', "hr = 1.5", '"ab.*" like ds',
    'hr = "10"', 'hr like "1.*"',
]
DATE_FILTERS = ['d = "2024-01-01"', "d = 2024-01-01", 'd > "2024-01-01"', "d < 2024-02-29",
                'd between "2024-01-01" and "2024-03-01"', '(d) in ("2024-02-29", "2023-12-31")',
                'd >= "2024-2-29"', 'd like "2024.*"', 'd = "x"']


def section_partition_filters(run: Runner):
    n = run.names
    db = f"{n['prefix']}_f"
    run.call("create db", "create_database", db_obj(db))
    pt = make_table(db, "p", partition_keys=[("ds", "string"), ("hr", "int")])
    dt = make_table(db, "d", partition_keys=[("d", "date")])
    run.call("create p", "create_table", pt)
    run.call("create d", "create_table", dt)
    t = _table_or_local(run, db, "p", pt)
    td = _table_or_local(run, db, "d", dt)
    parts = [new_part(t, [ds, hr]) for ds in ("2024-01-01", "2024-01-02", "2024-01-03")
             for hr in ("1", "2", "10")]
    parts += [new_part(t, [ds, "5"]) for ds in ("abc", "abd", "xa_c")]
    run.call("add p", "add_partitions", parts)
    dparts = [new_part(td, [day]) for day in ("2023-12-31", "2024-01-01", "2024-02-29", "2024-10-05",
                                               "__HIVE_DEFAULT_PARTITION__")]
    run.call("add d", "add_partitions", dparts)

    def values(ps):
        return [x.values for x in ps]

    for flt in FILTERS:
        run.call(f"filter p: {flt}", "get_partitions_by_filter", db, "p", flt, -1, post=values)
        run.call(f"count p: {flt}", "get_num_partitions_by_filter", db, "p", flt)
    for flt in DATE_FILTERS:
        run.call(f"filter d: {flt}", "get_partitions_by_filter", db, "d", flt, -1, post=values)
    run.call("filter max 2", "get_partitions_by_filter", db, "p", "hr > 1", 2, post=values)
    run.call("filter max 0", "get_partitions_by_filter", db, "p", "hr > 1", 0, post=values)
    run.call("filter missing table", "get_partitions_by_filter", db, "nope", "hr > 1", -1)
    run.call("drop db", "drop_database", db, True, True)


def section_functions(run: Runner):
    n = run.names
    db = f"{n['prefix']}_fn"
    run.call("create db", "create_database", db_obj(db))

    def fn(name, cls="org.apache.hadoop.hive.ql.udf.generic.GenericUDFUpper", dbname=db):
        return Function(functionName=name, dbName=dbname, className=cls, ownerName="alice",
                        ownerType=PrincipalType.USER, createTime=0, functionType=FunctionType.JAVA,
                        resourceUris=[ResourceUri(resourceType=ResourceType.JAR, uri="file:///tmp/x.jar")])

    run.call("create", "create_function", fn("my_upper"))
    run.call("create other", "create_function", fn("other_fn"))
    run.call("create duplicate", "create_function", fn("my_upper"))
    run.call("create in missing db", "create_function", fn("f", dbname=f"{n['prefix']}_nodb"))
    run.call("create bad name", "create_function", fn("bad name"))
    run.call("create without class", "create_function", fn("noclass", cls=None))
    run.call("get", "get_function", db, "my_upper")
    run.call("get upper case", "get_function", db, "MY_UPPER")
    run.call("get missing", "get_function", db, "nope")
    run.call("list *", "get_functions", db, "*")
    run.call("list pattern", "get_functions", db, "MY*")
    run.call("list alternatives", "get_functions", db, "other_fn|my_upper")
    run.call("list missing db", "get_functions", f"{n['prefix']}_nodb", "*")
    run.call("all functions (ours)", "get_all_functions",
             post=lambda r: [f for f in (r.functions or []) if f.dbName == db])
    f = run.call("get for alter", "get_function", db, "my_upper")
    if f is not None:
        f.className = "org.apache.hadoop.hive.ql.udf.generic.GenericUDFLower"
        run.call("alter", "alter_function", db, "my_upper", f)
        run.call("get altered", "get_function", db, "my_upper")
    run.call("alter missing", "alter_function", db, "nope", fn("nope"))
    run.call("drop db with functions", "drop_database", db, True, False)
    run.call("drop", "drop_function", db, "my_upper")
    run.call("drop missing", "drop_function", db, "my_upper")
    run.call("list after drop", "get_functions", db, "*")
    run.call("drop db", "drop_database", db, True, True)


def section_column_stats(run: Runner):
    n = run.names
    db = f"{n['prefix']}_cs"
    run.call("create db", "create_database", db_obj(db))
    run.call("create t", "create_table", make_table(db, "t", columns=[
        ("id", "bigint"), ("name", "string"), ("score", "double"), ("flag", "boolean")]))
    pt = make_table(db, "p", columns=[("id", "bigint"), ("name", "string")], partition_keys=[("ds", "string")])
    run.call("create p", "create_table", pt)
    t = _table_or_local(run, db, "p", pt)
    run.call("add partitions", "add_partitions", [new_part(t, ["a"]), new_part(t, ["b"])])

    def obj(col, typ, **data):
        return ColumnStatisticsObj(colName=col, colType=typ, statsData=ColumnStatisticsData(**data))

    tbl = ColumnStatistics(statsDesc=ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="t"), statsObj=[
        obj("id", "bigint", longStats=LongColumnStatsData(lowValue=1, highValue=100, numNulls=0, numDVs=100)),
        obj("name", "string", stringStats=StringColumnStatsData(maxColLen=10, avgColLen=4.5, numNulls=2, numDVs=50)),
        obj("score", "double", doubleStats=DoubleColumnStatsData(lowValue=0.5, highValue=9.5, numNulls=1, numDVs=20)),
        obj("flag", "boolean", booleanStats=BooleanColumnStatsData(numTrues=3, numFalses=4, numNulls=0))])
    run.call("update table stats", "update_table_column_statistics", tbl)
    run.call("get table stats id", "get_table_column_statistics", db, "t", "id")
    run.call("get table stats req", "get_table_statistics_req",
             TableStatsRequest(dbName=db, tblName="t", colNames=["id", "name", "score", "flag", "nocol"]))
    run.call("update unknown column", "update_table_column_statistics", ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="t"),
        statsObj=[obj("nocol", "bigint", longStats=LongColumnStatsData(numNulls=0, numDVs=1))]))
    run.call("stats of missing table", "get_table_statistics_req",
             TableStatsRequest(dbName=db, tblName="nope", colNames=["id"]))
    for pn, lo in (("ds=a", 1), ("ds=b", 10)):
        run.call(f"update partition stats {pn}", "update_partition_column_statistics", ColumnStatistics(
            statsDesc=ColumnStatisticsDesc(isTblLevel=False, dbName=db, tableName="p", partName=pn),
            statsObj=[obj("id", "bigint", longStats=LongColumnStatsData(lowValue=lo, highValue=lo + 5,
                                                                       numNulls=1, numDVs=6))]))
    run.call("get partition stats", "get_partition_column_statistics", db, "p", "ds=a", "id")
    run.call("get partitions stats req", "get_partitions_statistics_req", PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id"], partNames=["ds=a", "ds=b", "ds=zz"]))
    run.call("aggr", "get_aggr_stats_for", PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id"], partNames=["ds=a", "ds=b"]))
    run.call("update missing partition", "update_partition_column_statistics", ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=False, dbName=db, tableName="p", partName="ds=zz"),
        statsObj=[obj("id", "bigint", longStats=LongColumnStatsData(numNulls=0, numDVs=1))]))
    run.call("delete partition stats", "delete_partition_column_statistics", db, "p", "ds=a", "id")
    run.call("delete partition stats again", "delete_partition_column_statistics", db, "p", "ds=a", "id")
    run.call("delete table stats", "delete_table_column_statistics", db, "t", "id")
    run.call("delete table stats again", "delete_table_column_statistics", db, "t", "id")
    run.call("table stats after delete", "get_table_statistics_req",
             TableStatsRequest(dbName=db, tblName="t", colNames=["id", "name"]))
    run.call("drop db", "drop_database", db, True, True)


# keys clients read with get_config_value (Trino: hive.txn.timeout); the server answers its
# configuration's HiveConf defaults, not the client's fallback
CONFIG_KEYS = ["hive.txn.timeout", "hive.txn.manager", "hive.txn.max.open.batch", "hive.support.concurrency",
               "hive.compactor.initiator.on", "hive.metastore.server.max.message.size",
               "hive.metastore.execute.setugi", "hive.metastore.dml.events", "hive.metastore.fastpath",
               "hive.security.authorization.enabled", "hive.stats.autogather",
               "hive.exec.dynamic.partition.mode", "hive.exec.max.dynamic.partitions", "hive.default.fileformat",
               "hive.metastore.try.direct.sql", "hive.exec.default.partition.name",
               "hive.metastore.partition.name.whitelist.pattern", "hive.metastore.batch.retrieve.max",
               "hive.metastore.client.socket.timeout"]


def section_drop_in(run: Runner):
    """What new users' clients tripped over (issue 18), on the server's default configuration:
    a swap to a fresh directory, partition-key changes, exchange of nothing, a database without
    an owner type, configuration values, roles and privileges."""
    n = run.names
    db = f"{n['prefix']}_d"
    bare = Database(name=db, description=None, locationUri=None, parameters={}, ownerName=None, ownerType=None)
    run.call("create db without owner", "create_database", bare)
    run.call("db owner type defaults to USER", "get_database", db)
    owned = Database(name=f"{db}_o", description=None, locationUri=None, parameters={}, ownerName="carol",
                     ownerType=None)
    run.call("create db with owner name only", "create_database", owned)
    run.call("owner name only: USER", "get_database", f"{db}_o")
    run.call("drop db with owner name only", "drop_database", f"{db}_o", True, True)

    pt = make_table(db, "p", partition_keys=[("ds", "string"), ("hr", "int"), ("m", "string")])
    run.call("create table with 3 keys", "create_table", pt)
    t = _table_or_local(run, db, "p", pt)
    run.call("add partition", "add_partition", new_part(t, ["a", "1", "x"], location=run.ext("p_a1x")))

    # A swap to a directory that does not exist yet, then to an existing empty one: accepted
    # by default (clients relocate first and write after).
    p = run.call("get for swap", "get_partition", db, "p", ["a", "1", "x"])
    if p is not None:
        p.sd.location = run.ext("fresh_never_created")
        run.call("alter_partition to a missing directory", "alter_partition", db, "p", p)
        run.call("get after swap to a missing directory", "get_partition", db, "p", ["a", "1", "x"])
        empty = run.scratch / "fresh_empty"
        empty.mkdir(parents=True, exist_ok=True)
        p.sd.location = run.ext("fresh_empty")
        run.call("alter_partitions to an empty directory", "alter_partitions", db, "p", [p])
        run.call("get after swap to an empty directory", "get_partition", db, "p", ["a", "1", "x"])
    t = _table_or_local(run, db, "p", pt)
    run.call("SET LOCATION of a table to a missing directory", "alter_table", db, "p",
             _with(t, lambda x: setattr(x.sd, "location", run.ext("table_moved"))))

    t = _table_or_local(run, db, "p", pt)
    run.call("alter: 3 keys to 1", "alter_table", db, "p", _with(t, lambda x: x.partitionKeys.__delitem__(slice(1, 3))))
    run.call("alter: drop the last key", "alter_table", db, "p", _with(t, lambda x: x.partitionKeys.pop()))
    run.call("alter: no keys", "alter_table", db, "p", _with(t, lambda x: setattr(x, "partitionKeys", [])))
    run.call("alter: key renamed", "alter_table", db, "p",
             _with(t, lambda x: setattr(x.partitionKeys[2], "name", "n")))
    run.call("alter: key type changed", "alter_table", db, "p",
             _with(t, lambda x: setattr(x.partitionKeys[1], "type", "bigint")))
    run.call("alter: keys reordered", "alter_table", db, "p",
             _with(t, lambda x: x.partitionKeys.reverse()))
    run.call("alter: key added", "alter_table", db, "p",
             _with(t, lambda x: x.partitionKeys.append(FieldSchema(name="z", type="string", comment=None))))
    run.call("alter: key comment changed (allowed)", "alter_table", db, "p",
             _with(t, lambda x: setattr(x.partitionKeys[0], "comment", "the day")))
    run.call("keys after the alters", "get_table", db, "p", post=lambda x: x.partitionKeys)
    run.call("partitions after the alters", "get_partition_names", db, "p", -1)
    ut = make_table(db, "u")
    run.call("create unpartitioned", "create_table", ut)
    u = _table_or_local(run, db, "u", ut)
    run.call("alter: key added to an unpartitioned table", "alter_table", db, "u",
             _with(u, lambda x: setattr(x, "partitionKeys", [FieldSchema(name="ds", type="string", comment=None)])))

    run.call("create exchange target", "create_table",
             make_table(db, "dst", partition_keys=[("ds", "string"), ("hr", "int"), ("m", "string")]))
    run.call("exchange_partition of nothing", "exchange_partition", {"ds": "nope"}, db, "p", db, "dst")
    run.call("exchange_partition of nothing (two keys)", "exchange_partition", {"ds": "a", "hr": "9"},
             db, "p", db, "dst")
    run.call("exchange_partitions of nothing", "exchange_partitions", {"ds": "nope"}, db, "p", db, "dst")

    _fast_stats_cases(run, db)

    for key in CONFIG_KEYS:
        run.call(f"config {key}", "get_config_value", key, "client-fallback")
    run.call("config unknown hive key", "get_config_value", "hive.strata.no.such.key", "client-fallback")

    run.call("role names", "get_role_names")
    run.call("roles of a user", "list_roles", "diff_tester", PrincipalType.USER)
    run.call("roles of a role", "list_roles", "public", PrincipalType.ROLE)
    run.call("roles of a group", "list_roles", "g", PrincipalType.GROUP)
    run.call("privileges of a user on the server", "list_privileges", "diff_tester", PrincipalType.USER,
             HiveObjectRef(objectType=HiveObjectType.GLOBAL, dbName=None, objectName=None, partValues=None,
                           columnName=None))
    run.call("privileges of a user on a table", "list_privileges", "diff_tester", PrincipalType.USER,
             HiveObjectRef(objectType=HiveObjectType.TABLE, dbName=db, objectName="p", partValues=None,
                           columnName=None))
    run.call("drop db", "drop_database", db, True, True)


def _fast(x):
    """numFiles / totalSize of a table or partition (as pairs: the normaliser drops these
    parameters from whole objects)."""
    params = x.parameters or {}
    return [["files", params.get("numFiles")], ["bytes", params.get("totalSize")]]


def _fast_stats_cases(run: Runner, db: str):
    """HMS's fast stats: counted from the files (hidden ones and directories aside) on create
    and add when the directory existed, recounted on every alter of an unpartitioned table
    unless DO_NOT_UPDATE_STATS, and on alter of a partition that comes without them."""
    data = run.scratch / "fast_t"
    (data / "sub").mkdir(parents=True, exist_ok=True)
    (data / "part-0").write_bytes(b"x" * 100)
    (data / "sub" / "part-1").write_bytes(b"y" * 20)
    (data / "_SUCCESS").write_bytes(b"")
    (data / ".part-0.crc").write_bytes(b"cc")
    ft = make_table(db, "fast_t", location=run.ext("fast_t"))
    run.call("fast stats: create on a directory with files", "create_table", ft)
    run.call("fast stats after create", "get_table", db, "fast_t", post=_fast)
    run.call("fast stats: create a managed table (new directory)", "create_table", make_table(db, "fast_m"))
    run.call("fast stats of a new directory", "get_table", db, "fast_m", post=_fast)
    (data / "part-2").write_bytes(b"z" * 7)
    t = _table_or_local(run, db, "fast_t", ft)
    run.call("fast stats: alter after a write", "alter_table", db, "fast_t", _with(t, lambda x: None))
    run.call("fast stats recounted by the alter", "get_table", db, "fast_t", post=_fast)
    (data / "part-3").write_bytes(b"w" * 3)
    t = _table_or_local(run, db, "fast_t", ft)
    run.call("fast stats: alter with DO_NOT_UPDATE_STATS", "alter_table_with_environment_context", db, "fast_t",
             _with(t, lambda x: None), EnvironmentContext(properties={"DO_NOT_UPDATE_STATS": "true"}))
    run.call("fast stats kept by DO_NOT_UPDATE_STATS", "get_table", db, "fast_t", post=_fast)

    pt = make_table(db, "fast_p", partition_keys=[("ds", "string")])
    run.call("fast stats: create a partitioned table", "create_table", pt)
    run.call("fast stats: none on a partitioned table", "get_table", db, "fast_p", post=_fast)
    pdir = run.scratch / "fast_p_a"
    pdir.mkdir(parents=True, exist_ok=True)
    (pdir / "f").write_bytes(b"q" * 5)
    t = _table_or_local(run, db, "fast_p", pt)
    run.call("fast stats: add a partition on a directory with files", "add_partition",
             new_part(t, ["a"], location=run.ext("fast_p_a")))
    run.call("fast stats of the added partition", "get_partition", db, "fast_p", ["a"], post=_fast)
    (pdir / "g").write_bytes(b"r" * 6)
    p = run.call("fast stats: get the partition", "get_partition", db, "fast_p", ["a"])
    if p is not None:
        p.parameters.pop("numFiles", None)
        p.parameters.pop("totalSize", None)
        run.call("fast stats: alter a partition sent without them", "alter_partition", db, "fast_p", p)
        run.call("fast stats recounted for the partition", "get_partition", db, "fast_p", ["a"], post=_fast)


def _with(obj, change):
    """A deep copy of a Thrift object with ``change`` applied (and the DDL time removed, so
    the server sets it)."""
    c = copy.deepcopy(obj)
    if getattr(c, "parameters", None):
        c.parameters.pop("transient_lastDdlTime", None)
    change(c)
    return c


SECTIONS: Dict[str, Callable[[Runner], None]] = {
    "databases": section_databases,
    "tables": section_tables,
    "locks": section_locks,
    "partitions": section_partitions,
    "partition_filters": section_partition_filters,
    "functions": section_functions,
    "column_stats": section_column_stats,
    "drop_in": section_drop_in,
}
# Differences between strata and the real HMS 2.3.10 that are known and reported
# (tests/README.md): section -> step label -> reason, or {"fields": [...], "reason": ...}
# to tolerate only those fields. A tolerated difference is a warning, not a failure.
KNOWN_DIFFERENCES: Dict[str, Dict[str, Any]] = {
    "databases": {
        "alter missing": "alter_database of a missing database: the real HMS 2.3.10 answers "
                         "success (a no-op), strata NoSuchObjectException",
    },
    "drop_in": {
        label: "exchange_partition* of a spec no partition matches: HMS 2.3.10 tries the move and "
               "answers MetaException('Got exception: java.io.FileNotFoundException File <source "
               "dir>/<spec> does not exist'); strata answers the MetaException of HMS 3.0+ ('No "
               "partition is found with the values {k=v} for the table <t>') without touching files"
        for label in ("exchange_partition of nothing", "exchange_partition of nothing (two keys)",
                      "exchange_partitions of nothing")
    },
    "partitions": {
        label: "rename_partition of a partition added without a location: under the default batch "
               "mode (enforce) it sits in a batch directory <table>/<k=v>/<batch id>, which the rename "
               "keeps (docs/compatibility.md); HMS moves <table>/<old k=v> to <table>/<new k=v>"
        for label in ("get renamed", "old dir exists")
    },
    "locks": {
        "show locks": {"fields": ["blockedByExtId", "blockedByIntId", "lockIdInternal"],
                       "reason": "show_locks: strata leaves blockedByExtId / blockedByIntId / "
                                 "lockIdInternal unset; the real HMS fills them"},
    },
}

# sections that need the server's partition (and function / statistics) methods
PARTITION_SECTIONS = {"partitions", "partition_filters", "functions", "column_stats", "drop_in"}


def run_section(name: str, host: str, port: int, warehouse: str, scratch: Path, names: dict) -> Runner:
    runner = Runner(host, port, warehouse, scratch, names)
    try:
        SECTIONS[name](runner)
    finally:
        runner.close()
    return runner


def main(argv=None) -> int:
    import uuid

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="thrift://host:port")
    ap.add_argument("--a-warehouse", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--b-warehouse", required=True)
    ap.add_argument("--section", action="append", choices=sorted(SECTIONS))
    ap.add_argument("--scratch", default="/tmp/strata-differential")
    args = ap.parse_args(argv)
    failed = 0
    for name in args.section or list(SECTIONS):
        names = {"prefix": f"dif_{uuid.uuid4().hex[:8]}"}
        sides = []
        for side, uri, wh in (("a", args.a, args.a_warehouse), ("b", args.b, args.b_warehouse)):
            host, _, port = uri[len("thrift://"):].rpartition(":")
            sides.append(run_section(name, host, int(port), wh, Path(args.scratch) / names["prefix"] / side,
                                     names))
        diffs, tolerated = compare(sides[0], sides[1], "a", "b", KNOWN_DIFFERENCES.get(name))
        print(f"== {name}: {len(sides[0].steps)} steps, {len(diffs)} differences, "
              f"{len(tolerated)} known")
        for d in diffs + tolerated:
            print(d)
        failed += bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
