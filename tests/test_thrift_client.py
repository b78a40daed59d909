"""The plain Python Thrift client (hmsclient 0.1.1: generated Hive 2.x bindings,
TBinaryProtocol over a buffered TSocket) against the metastore.

Expected answers are the ones the real Apache Hive Metastore 2.3.10 gave
(tests/README.md lists them).
"""

from __future__ import annotations

import copy
import time

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import (
    AlreadyExistsException,
    CheckLockRequest,
    Database,
    FieldSchema,
    InvalidObjectException,
    InvalidOperationException,
    LockComponent,
    LockLevel,
    LockRequest,
    LockState,
    LockType,
    MetaException,
    NoSuchLockException,
    NoSuchObjectException,
    PrincipalType,
    ShowLocksRequest,
    UnlockRequest,
)
from thrift.Thrift import TApplicationException, TMessageType

from hms_helpers import col_pairs, make_table, norm_location

CLOCK_SLACK_S = 120


def db_location(server, db: str) -> str:
    return norm_location(f"{server.warehouse_uri}/{db}.db")


def create_db(hms, name: str, **kw) -> None:
    hms.create_database(Database(name=name, description=kw.get("description"),
                                 locationUri=kw.get("locationUri"),
                                 parameters=kw.get("parameters", {}),
                                 ownerName=kw.get("ownerName", "strata_tester"),
                                 ownerType=kw.get("ownerType", PrincipalType.USER)))


@pytest.fixture
def db(hms, unique_name):
    """A fresh, empty database; dropped (cascade) at the end."""
    name = unique_name("db")
    create_db(hms, name)
    yield name
    try:
        hms.drop_database(name, True, True)
    except NoSuchObjectException:
        pass
    except MetaException:  # real HMS 2.3 answers a missing db with a MetaException (NPE)
        pass


# --------------------------------------------------------------------------- databases


def test_default_database_exists(strata_server, hms):
    d = hms.get_database("default")
    assert d.name == "default"
    assert norm_location(d.locationUri) == norm_location(strata_server.warehouse_uri)
    assert d.description == "Default Hive database"
    assert d.ownerName == "public"
    assert d.ownerType == PrincipalType.ROLE
    assert "default" in hms.get_all_databases()
    assert "default" in hms.get_databases("*")


def test_create_and_get_database(strata_server, hms, unique_name):
    name = unique_name("Db_Mixed")  # names are stored lower-case
    create_db(hms, name, description="a test database", parameters={"k1": "v1", "k2": "v2"},
              ownerName="alice", ownerType=PrincipalType.USER)
    try:
        d = hms.get_database(name.lower())
        assert d.name == name.lower()
        assert norm_location(d.locationUri) == db_location(strata_server, name.lower())
        assert d.description == "a test database"
        assert d.parameters == {"k1": "v1", "k2": "v2"}
        assert d.ownerName == "alice"
        assert d.ownerType == PrincipalType.USER
        # lookups are case-insensitive
        assert hms.get_database(name.upper()).name == name.lower()
        assert name.lower() in hms.get_all_databases()
    finally:
        hms.drop_database(name.lower(), True, True)


def test_get_databases_patterns(hms, unique_name):
    prefix = unique_name("pat")
    names = [f"{prefix}_alpha", f"{prefix}_beta", f"{prefix}_gamma"]
    for n in reversed(names):
        create_db(hms, n)
    try:
        everything = hms.get_databases("*")
        assert set(names) <= set(everything)
        assert "default" in everything
        assert set(names) <= set(hms.get_all_databases())
        # `*` is a wildcard; results come back sorted by name
        assert hms.get_databases(f"{prefix}_*") == names
        assert hms.get_databases(f"{prefix}_a*") == [names[0]]
        # alternatives with `|`, in any order; the answer is sorted
        assert hms.get_databases(f"{prefix}_gamma|{prefix}_alpha") == [names[0], names[2]]
        # matching is case-insensitive and must cover the whole name
        assert hms.get_databases(f"{prefix.upper()}_BETA") == [names[1]]
        assert hms.get_databases(prefix) == []
        assert hms.get_databases(f"{prefix}_nothing*") == []
    finally:
        for n in names:
            hms.drop_database(n, True, True)


def test_create_duplicate_database(hms, db):
    with pytest.raises(AlreadyExistsException) as ei:
        create_db(hms, db)
    assert ei.value.message == f"Database {db} already exists"


def test_get_missing_database(hms, unique_name):
    missing = unique_name("nodb")
    with pytest.raises(NoSuchObjectException) as ei:
        hms.get_database(missing)
    # real HMS 2.3.10 answers with the bare name as the message
    assert missing in ei.value.message


def test_drop_database_not_empty_then_cascade(hms, unique_name):
    name = unique_name("db")
    create_db(hms, name)
    hms.create_table(make_table(name, "t1"))
    hms.create_table(make_table(name, "t2"))

    with pytest.raises(InvalidOperationException) as ei:
        hms.drop_database(name, True, False)
    assert ei.value.message == f"Database {name} is not empty. One or more tables exist."
    assert hms.get_database(name).name == name
    assert sorted(hms.get_all_tables(name)) == ["t1", "t2"]

    hms.drop_database(name, True, True)
    assert name not in hms.get_all_databases()
    with pytest.raises(NoSuchObjectException):
        hms.get_database(name)
    with pytest.raises(NoSuchObjectException):
        hms.get_table(name, "t1")


def test_drop_empty_database(hms, unique_name):
    name = unique_name("db")
    create_db(hms, name)
    hms.drop_database(name, True, False)
    assert name not in hms.get_all_databases()
    # the name can be used again
    create_db(hms, name)
    assert hms.get_all_tables(name) == []
    hms.drop_database(name, True, False)


def test_drop_default_database_is_refused(hms):
    with pytest.raises(MetaException) as ei:
        hms.drop_database("default", True, True)
    assert ei.value.message == "Can not drop default database"
    assert hms.get_database("default").name == "default"


def test_alter_database_parameters(strata_server, hms, db):
    before = hms.get_database(db)
    assert before.parameters == {}
    changed = copy.deepcopy(before)
    changed.parameters = {"owner_team": "data", "retention": "30"}
    hms.alter_database(db, changed)

    after = hms.get_database(db)
    assert after.parameters == {"owner_team": "data", "retention": "30"}
    assert after.name == db
    assert norm_location(after.locationUri) == db_location(strata_server, db)

    changed = copy.deepcopy(after)
    changed.parameters["retention"] = "31"
    hms.alter_database(db, changed)
    assert hms.get_database(db).parameters == {"owner_team": "data", "retention": "31"}


# --------------------------------------------------------------------------- tables


def test_create_managed_table_defaults(strata_server, hms, db):
    t0 = int(time.time())
    hms.create_table(make_table(db, "MyTable", columns=[("id", "int"), ("Name", "string")],
                                partition_keys=[("ds", "string")], params={"p": "1"}))
    t1 = int(time.time())

    t = hms.get_table(db, "mytable")
    assert t.tableName == "mytable"          # lower-cased
    assert t.dbName == db
    assert t.owner == "strata_tester"
    assert t.tableType == "MANAGED_TABLE"
    assert norm_location(t.sd.location) == f"{db_location(strata_server, db)}/mytable"
    assert t0 - CLOCK_SLACK_S <= t.createTime <= t1 + CLOCK_SLACK_S  # set by the server
    ddl_time = int(t.parameters["transient_lastDdlTime"])
    assert t0 - CLOCK_SLACK_S <= ddl_time <= t1 + CLOCK_SLACK_S
    assert t.parameters["p"] == "1"
    assert col_pairs(t.sd.cols) == [("id", "int"), ("name", "string")]  # column names too
    assert col_pairs(t.partitionKeys) == [("ds", "string")]
    assert t.sd.inputFormat == "org.apache.hadoop.mapred.TextInputFormat"
    assert t.sd.serdeInfo.serializationLib == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

    # lookups are case-insensitive
    assert hms.get_table(db.upper(), "MYTABLE").tableName == "mytable"
    assert hms.get_all_tables(db) == ["mytable"]


def test_create_table_in_default_database(strata_server, hms, unique_name):
    name = unique_name("deft")
    hms.create_table(make_table("default", name))
    try:
        t = hms.get_table("default", name)
        # tables of `default` live directly under the warehouse root
        assert norm_location(t.sd.location) == norm_location(f"{strata_server.warehouse_uri}/{name}")
    finally:
        hms.drop_table("default", name, True)


def test_get_missing_table(hms, db, unique_name):
    with pytest.raises(NoSuchObjectException) as ei:
        hms.get_table(db, "nope")
    assert ei.value.message == f"{db}.nope table not found"
    missing_db = unique_name("nodb")
    with pytest.raises(NoSuchObjectException) as ei:
        hms.get_table(missing_db, "x")
    assert ei.value.message == f"{missing_db}.x table not found"


def test_create_duplicate_table(hms, db):
    hms.create_table(make_table(db, "dup"))
    with pytest.raises(AlreadyExistsException) as ei:
        hms.create_table(make_table(db, "dup", columns=[("other", "string")]))
    assert ei.value.message == "Table dup already exists"
    assert col_pairs(hms.get_table(db, "dup").sd.cols) == [("id", "int"), ("name", "string")]


def test_create_table_in_missing_database(hms, unique_name):
    missing_db = unique_name("nodb")
    with pytest.raises(InvalidObjectException):
        hms.create_table(make_table(missing_db, "t"))
    assert missing_db not in hms.get_all_databases()


def test_list_tables(hms, db, unique_name):
    for n in ["zz_last", "aa_first", "mm_middle"]:
        hms.create_table(make_table(db, n))
    assert hms.get_all_tables(db) == ["aa_first", "mm_middle", "zz_last"]
    assert hms.get_tables(db, "*") == ["aa_first", "mm_middle", "zz_last"]
    assert hms.get_tables(db, "aa*") == ["aa_first"]
    assert hms.get_tables(db, "ZZ_*|aa_first") == ["aa_first", "zz_last"]
    assert hms.get_tables(db, ".*") == ["aa_first", "mm_middle", "zz_last"]  # Hive's getAllTables
    assert hms.get_tables(db, "nothing*") == []
    # a missing database has no tables (real HMS 2.3: empty list, no exception)
    assert hms.get_all_tables(unique_name("nodb")) == []

    objs = hms.get_table_objects_by_name(db, ["zz_last", "does_not_exist", "aa_first"])
    assert sorted(t.tableName for t in objs) == ["aa_first", "zz_last"]  # missing ones omitted
    for t in objs:
        assert t.dbName == db
        assert col_pairs(t.sd.cols) == [("id", "int"), ("name", "string")]


def test_get_fields_and_schema(hms, db):
    hms.create_table(make_table(db, "fs", columns=[("a", "int"), ("b", "string"), ("c", "double")],
                                partition_keys=[("ds", "string"), ("hr", "int")]))
    assert col_pairs(hms.get_fields(db, "fs")) == [("a", "int"), ("b", "string"), ("c", "double")]
    assert col_pairs(hms.get_schema(db, "fs")) == [
        ("a", "int"), ("b", "string"), ("c", "double"), ("ds", "string"), ("hr", "int")]


def test_alter_table_add_column_and_parameter(hms, db):
    hms.create_table(make_table(db, "alt", params={"keep": "yes", "change": "old"}))
    t = hms.get_table(db, "alt")
    new = copy.deepcopy(t)
    new.sd.cols.append(FieldSchema(name="extra", type="bigint", comment="added"))
    new.parameters["change"] = "new"
    new.parameters["added"] = "1"
    hms.alter_table(db, "alt", new)

    got = hms.get_table(db, "alt")
    assert col_pairs(got.sd.cols) == [("id", "int"), ("name", "string"), ("extra", "bigint")]
    assert got.sd.cols[2].comment == "added"
    assert got.parameters["keep"] == "yes"
    assert got.parameters["change"] == "new"
    assert got.parameters["added"] == "1"
    assert "transient_lastDdlTime" in got.parameters
    assert got.createTime == t.createTime
    assert got.sd.location == t.sd.location
    assert col_pairs(hms.get_fields(db, "alt"))[-1] == ("extra", "bigint")


def test_alter_missing_table(hms, db):
    with pytest.raises(InvalidOperationException):
        hms.alter_table(db, "nope", make_table(db, "nope"))


def test_rename_managed_table(strata_server, hms, db):
    hms.create_table(make_table(db, "before", params={"p": "1"}))
    t = hms.get_table(db, "before")
    assert norm_location(t.sd.location) == f"{db_location(strata_server, db)}/before"

    renamed = copy.deepcopy(t)
    renamed.tableName = "after"
    hms.alter_table(db, "before", renamed)

    got = hms.get_table(db, "after")
    assert got.tableName == "after"
    assert got.parameters["p"] == "1"
    assert col_pairs(got.sd.cols) == [("id", "int"), ("name", "string")]
    # a managed table at its default location moves to the new default location
    assert norm_location(got.sd.location) == f"{db_location(strata_server, db)}/after"
    with pytest.raises(NoSuchObjectException):
        hms.get_table(db, "before")
    assert hms.get_all_tables(db) == ["after"]


def test_drop_table_and_recreate(hms, db):
    hms.create_table(make_table(db, "again", params={"generation": "1"}))
    hms.drop_table(db, "again", True)
    with pytest.raises(NoSuchObjectException):
        hms.get_table(db, "again")
    assert hms.get_all_tables(db) == []
    with pytest.raises(NoSuchObjectException) as ei:
        hms.drop_table(db, "again", True)
    assert "again" in ei.value.message

    hms.create_table(make_table(db, "again", columns=[("only", "string")]))
    t = hms.get_table(db, "again")
    assert col_pairs(t.sd.cols) == [("only", "string")]
    assert "generation" not in t.parameters
    assert hms.get_all_tables(db) == ["again"]


def test_external_table(strata_server, hms, db, tmp_path):
    ext_dir = tmp_path / "ext_data"
    location = f"file://{ext_dir}"
    hms.create_table(make_table(db, "ext", params={"EXTERNAL": "TRUE"}, location=location,
                                table_type="EXTERNAL_TABLE"))
    t = hms.get_table(db, "ext")
    assert t.tableType == "EXTERNAL_TABLE"
    assert t.parameters["EXTERNAL"] == "TRUE"
    assert norm_location(t.sd.location) == norm_location(location)

    # renaming an external table keeps its location
    renamed = copy.deepcopy(t)
    renamed.tableName = "ext_renamed"
    hms.alter_table(db, "ext", renamed)
    got = hms.get_table(db, "ext_renamed")
    assert got.tableType == "EXTERNAL_TABLE"
    assert got.parameters["EXTERNAL"] == "TRUE"
    assert norm_location(got.sd.location) == norm_location(location)


# --------------------------------------------------------------------------- protocol


def test_unknown_method_keeps_connection_usable(hms):
    """An unknown method gets a TApplicationException UNKNOWN_METHOD, exactly as the Java
    processor sends it, and the connection stays usable (Spark greps the text)."""
    prot = hms._oprot
    method = "strata_no_such_method"
    prot.writeMessageBegin(method, TMessageType.CALL, 4242)
    prot.writeStructBegin(f"{method}_args")
    prot.writeFieldStop()
    prot.writeStructEnd()
    prot.writeMessageEnd()
    prot.trans.flush()

    iprot = hms._iprot
    name, mtype, seqid = iprot.readMessageBegin()
    assert (name, mtype, seqid) == (method, TMessageType.EXCEPTION, 4242)
    exc = TApplicationException()
    exc.read(iprot)
    iprot.readMessageEnd()
    assert exc.type == TApplicationException.UNKNOWN_METHOD
    assert exc.message == f"Invalid method name: '{method}'"

    # the same connection answers a normal call afterwards
    assert "default" in hms.get_all_databases()
    assert hms.get_database("default").name == "default"


# --------------------------------------------------------------------------- locks


def _table_lock(db: str, table: str) -> LockRequest:
    return LockRequest(
        component=[LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE,
                                 dbname=db, tablename=table)],
        user="strata_tester", hostname="localhost")


def _our_locks(hms, lockids):
    resp = hms.show_locks(ShowLocksRequest())
    return {e.lockid: e for e in (resp.locks or []) if e.lockid in lockids}


def test_table_locks(hms_client_factory, db):
    a = hms_client_factory()
    b = hms_client_factory()
    a.create_table(make_table(db, "locked"))

    first = a.lock(_table_lock(db, "locked"))
    assert first.state == LockState.ACQUIRED
    second = b.lock(_table_lock(db, "locked"))
    assert second.state == LockState.WAITING
    assert second.lockid != first.lockid
    assert b.check_lock(CheckLockRequest(lockid=second.lockid)).state == LockState.WAITING

    listed = _our_locks(a, {first.lockid, second.lockid})
    assert set(listed) == {first.lockid, second.lockid}
    assert listed[first.lockid].state == LockState.ACQUIRED
    assert listed[second.lockid].state == LockState.WAITING
    for e in listed.values():
        assert (e.dbname, e.tablename) == (db, "locked")
        assert e.type == LockType.EXCLUSIVE
        assert e.user == "strata_tester"
        assert e.hostname == "localhost"

    a.unlock(UnlockRequest(lockid=first.lockid))
    assert b.check_lock(CheckLockRequest(lockid=second.lockid)).state == LockState.ACQUIRED
    b.unlock(UnlockRequest(lockid=second.lockid))
    assert _our_locks(a, {first.lockid, second.lockid}) == {}

    # a lock on another table does not wait
    other = a.lock(_table_lock(db, "other_table"))
    assert other.state == LockState.ACQUIRED
    a.unlock(UnlockRequest(lockid=other.lockid))


def test_unknown_lock_ids(hms):
    with pytest.raises(NoSuchLockException) as ei:
        hms.check_lock(CheckLockRequest(lockid=987654321))
    assert ei.value.message == "No such lock lockid:987654321"
    # real HMS 2.3.10: unlock of an unknown (or already released) id succeeds silently
    hms.unlock(UnlockRequest(lockid=987654321))
