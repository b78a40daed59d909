"""Partitions, functions, column statistics and notifications through the plain Python
Thrift client (hmsclient 0.1.1: generated Hive 2.x bindings, binary protocol).

Every expectation below is what the real Apache Hive Metastore 2.3.10 answered
(tests/README.md, "Partitions, functions, statistics"). The module carries the
``partitions`` marker: STRATA_TEST_PARTITIONS=0 skips it against strata.

hmsclient overrides ``add_partition(table, values)`` with a helper that computes the
location itself; the raw Thrift call is used instead (``add`` below). The Hive 2.x
IDL of hmsclient has no ``get_partition_values``.
"""

from __future__ import annotations

import copy
import os
import time
import uuid
from pathlib import Path
from typing import List, Optional

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    AddPartitionsRequest,
    AlreadyExistsException,
    BinaryColumnStatsData,
    BooleanColumnStatsData,
    ColumnStatistics,
    ColumnStatisticsData,
    ColumnStatisticsDesc,
    ColumnStatisticsObj,
    Database,
    Date,
    DateColumnStatsData,
    Decimal,
    DecimalColumnStatsData,
    DoubleColumnStatsData,
    DropPartitionsRequest,
    Function,
    FunctionType,
    InvalidObjectException,
    InvalidOperationException,
    LongColumnStatsData,
    MetaException,
    NoSuchObjectException,
    NotificationEventRequest,
    Partition,
    PartitionsStatsRequest,
    PrincipalType,
    RequestPartsSpec,
    ResourceType,
    ResourceUri,
    SetPartitionsStatsRequest,
    StringColumnStatsData,
    Table,
    TableStatsRequest,
)
from thrift.Thrift import TApplicationException

from hms_helpers import make_table, norm_location, part_default

pytestmark = pytest.mark.partitions

CLOCK_SLACK_S = 120
RawClient = ThriftHiveMetastore.Client
DEFAULT_PART = "__HIVE_DEFAULT_PARTITION__"


# --------------------------------------------------------------------------- helpers


def new_part(table: Table, values: List[str], location: Optional[str] = None,
             params: Optional[dict] = None) -> Partition:
    """A partition as a Hive client sends it: the table's SD, no location, createTime 0."""
    sd = copy.deepcopy(table.sd)
    sd.location = location
    return Partition(values=list(values), dbName=table.dbName, tableName=table.tableName, sd=sd,
                     parameters=dict(params or {}), createTime=0, lastAccessTime=0)


def add(hms, part: Partition) -> Partition:
    """The raw Thrift add_partition (hmsclient shadows it with a helper)."""
    return RawClient.add_partition(hms, part)


def vals(parts) -> list:
    return [p.values for p in parts]


def local_path(location: str) -> Path:
    loc = norm_location(location)
    assert loc.startswith("file:/"), loc
    return Path(loc[len("file:"):])


def files_in(location: str) -> Optional[list]:
    path = local_path(location)
    return sorted(os.listdir(path)) if path.is_dir() else None


def expect(exc_type, call, *args, message=None, startswith=None, contains=None):
    """Call and assert the exception type (and the exact message / its start)."""
    with pytest.raises(exc_type) as info:
        call(*args)
    msg = getattr(info.value, "message", None)
    if message is not None:
        assert msg == message
    if startswith is not None:
        assert msg is not None and msg.startswith(startswith), msg
    if contains is not None:
        assert msg is not None and contains in msg, msg
    return info.value


def create_db(hms, name: str) -> None:
    hms.create_database(Database(name=name, description=None, locationUri=None, parameters={},
                                 ownerName="strata_tester", ownerType=PrincipalType.USER))


def drop_db(hms, name: str) -> None:
    try:
        hms.drop_database(name, True, True)
    except (NoSuchObjectException, MetaException):
        pass


@pytest.fixture
def db(hms, unique_name):
    name = unique_name("pdb")
    create_db(hms, name)
    yield name
    drop_db(hms, name)


def make_ptable(hms, db: str, name: str = "p", keys=(("ds", "string"), ("hr", "int")),
                **kw) -> Table:
    hms.create_table(make_table(db, name, partition_keys=keys, **kw))
    return hms.get_table(db, name)


@pytest.fixture
def ptable(hms, db) -> Table:
    """<db>.p partitioned by (ds string, hr int)."""
    return make_ptable(hms, db)


def table_loc(table: Table) -> str:
    return norm_location(table.sd.location)


# --------------------------------------------------------------------------- add / get


def test_add_partition_defaults(strata_server, hms, db, ptable):
    before = int(time.time())
    p = add(hms, new_part(ptable, ["2024-01-01", "1"]))
    assert p.values == ["2024-01-01", "1"]
    assert (p.dbName, p.tableName) == (db, "p")
    assert abs(p.createTime - before) < CLOCK_SLACK_S
    assert part_default(p.sd.location) == f"{table_loc(ptable)}/ds=2024-01-01/hr=1"
    assert part_default(p.sd.location) == norm_location(
        f"{strata_server.warehouse_uri}/{db}.db/p/ds=2024-01-01/hr=1")
    assert "transient_lastDdlTime" in p.parameters
    assert [c.name for c in p.sd.cols] == ["id", "name"]
    assert local_path(p.sd.location).is_dir()

    got = hms.get_partition(db, "p", ["2024-01-01", "1"])
    assert got.values == p.values
    assert norm_location(got.sd.location) == norm_location(p.sd.location)
    assert got.createTime == p.createTime
    assert got.parameters["transient_lastDdlTime"] == p.parameters["transient_lastDdlTime"]

    by_name = hms.get_partition_by_name(db, "p", "ds=2024-01-01/hr=1")
    with_auth = hms.get_partition_with_auth(db, "p", ["2024-01-01", "1"], "alice", ["g"])
    for other in (by_name, with_auth):
        assert other.values == p.values
        assert norm_location(other.sd.location) == norm_location(p.sd.location)


def test_add_partition_with_location(hms, db, ptable, tmp_path):
    where = tmp_path / "custom"
    p = add(hms, new_part(ptable, ["c", "1"], location=f"file://{where}"))
    assert norm_location(p.sd.location) == norm_location(f"file://{where}")
    got = hms.get_partition(db, "p", ["c", "1"])
    assert norm_location(got.sd.location) == norm_location(f"file://{where}")


def test_add_partitions_returns_count(hms, db, ptable):
    assert hms.add_partitions([new_part(ptable, ["2024-01-02", "2"]),
                               new_part(ptable, ["2024-01-03", "3"])]) == 2
    assert hms.add_partitions([]) == 0
    assert hms.get_partition_names(db, "p", -1) == ["ds=2024-01-02/hr=2", "ds=2024-01-03/hr=3"]
    for name in ("ds=2024-01-02/hr=2", "ds=2024-01-03/hr=3"):
        p = hms.get_partition_by_name(db, "p", name)
        assert part_default(p.sd.location) == f"{table_loc(ptable)}/{name}"


def test_add_partitions_is_all_or_nothing(hms, db, ptable):
    add(hms, new_part(ptable, ["a", "10"]))
    expect(AlreadyExistsException, hms.add_partitions,
           [new_part(ptable, ["new1", "1"]), new_part(ptable, ["a", "10"])],
           startswith="Partition already exists:", contains="[a, 10]")
    assert hms.get_partition_names(db, "p", -1) == ["ds=a/hr=10"]


def test_add_partitions_req(hms, db, ptable):
    add(hms, new_part(ptable, ["2024-01-03", "3"]))
    res = hms.add_partitions_req(AddPartitionsRequest(
        dbName=db, tblName="p", parts=[new_part(ptable, ["2024-01-03", "3"]),
                                       new_part(ptable, ["2024-01-04", "4"])],
        ifNotExists=True, needResult=True))
    # only the partitions actually added come back
    assert vals(res.partitions) == [["2024-01-04", "4"]]
    assert part_default(res.partitions[0].sd.location) == f"{table_loc(ptable)}/ds=2024-01-04/hr=4"
    assert res.partitions[0].createTime > 0

    expect(AlreadyExistsException, hms.add_partitions_req,
           AddPartitionsRequest(dbName=db, tblName="p", parts=[new_part(ptable, ["2024-01-04", "4"])],
                                ifNotExists=False, needResult=True),
           startswith="Partition already exists:", contains="[2024-01-04, 4]")

    res = hms.add_partitions_req(AddPartitionsRequest(
        dbName=db, tblName="p", parts=[new_part(ptable, ["2024-01-05", "5"])],
        ifNotExists=False, needResult=False))
    assert not res.partitions  # the real HMS leaves it unset
    assert hms.get_partition_names(db, "p", -1) == [
        "ds=2024-01-03/hr=3", "ds=2024-01-04/hr=4", "ds=2024-01-05/hr=5"]


def test_add_partition_errors(hms, db, ptable):
    add(hms, new_part(ptable, ["2024-01-01", "1"]))
    e = expect(AlreadyExistsException, add, hms, new_part(ptable, ["2024-01-01", "1"]),
               startswith="Partition already exists: ")
    assert "[2024-01-01, 1]" in e.message
    expect(MetaException, add, hms, new_part(ptable, ["2024-01-01"]),
           message="Invalid partition key & values; keys [ds, hr, ], values [2024-01-01, ]")
    expect(MetaException, add, hms, new_part(ptable, ["a", "b", "c"]),
           message="Invalid partition key & values; keys [ds, hr, ], values [a, b, c, ]")
    # the partition says another table than the request
    other = new_part(ptable, ["z", "1"])
    other.tableName = "other"
    expect(MetaException, hms.add_partitions_req,
           AddPartitionsRequest(dbName=db, tblName="p", parts=[other], ifNotExists=True, needResult=True),
           startswith=f"Partition does not belong to target table {db}.p: ")
    # the same partition twice in one call
    expect(MetaException, hms.add_partitions,
           [new_part(ptable, ["dup", "1"]), new_part(ptable, ["dup", "1"])],
           contains="Duplicate partitions in the list: ")
    assert hms.get_partition_names(db, "p", -1) == ["ds=2024-01-01/hr=1"]


def test_partitions_of_missing_table(hms, db, ptable):
    orphan = new_part(ptable, ["z", "1"])
    orphan.tableName = "nope"
    expect(InvalidObjectException, add, hms, orphan,
           message="Unable to add partition because table or database do not exist")
    expect(InvalidObjectException, hms.add_partitions, [orphan],
           message=f"Unable to add partitions because database or table {db}.nope does not exist")
    expect(InvalidObjectException, hms.add_partitions_req,
           AddPartitionsRequest(dbName=db, tblName="nope", parts=[orphan], ifNotExists=True, needResult=True),
           message=f"Unable to add partitions because database or table {db}.nope does not exist")
    expect(InvalidObjectException, hms.append_partition, db, "nope", ["a", "1"],
           message="Unable to add partition because table or database do not exist")
    expect(NoSuchObjectException, hms.get_partitions, db, "nope", -1,
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.get_partitions, "nodb_x", "nope", -1,
           message="nodb_x.nope table not found")
    expect(NoSuchObjectException, hms.get_partition, db, "nope", ["a", "1"],
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.get_partitions_ps, db, "nope", ["a"], -1,
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.get_partition_names_ps, db, "nope", ["a"], -1,
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.get_partitions_by_filter, db, "nope", 'ds = "a"', -1,
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.get_partitions_by_names, db, "nope", ["ds=a/hr=1"],
           message=f"{db}.nope table not found")
    expect(NoSuchObjectException, hms.drop_partition, db, "nope", ["a", "1"], True)
    expect(InvalidOperationException, hms.alter_partition, db, "nope", orphan,
           message="Unable to alter partition because table or database does not exist.")
    # get_partition_names of a missing table: the real HMS 2.3.10 answers a
    # TApplicationException (INTERNAL_ERROR, null result); not asserted.


def test_append_partition(hms, db, ptable):
    p = hms.append_partition(db, "p", ["2024-02-01", "10"])
    assert p.values == ["2024-02-01", "10"]
    assert part_default(p.sd.location) == f"{table_loc(ptable)}/ds=2024-02-01/hr=10"
    assert p.createTime > 0 and local_path(p.sd.location).is_dir()

    q = hms.append_partition_by_name(db, "p", "ds=2024-02-02/hr=11")
    assert q.values == ["2024-02-02", "11"]
    assert part_default(q.sd.location) == f"{table_loc(ptable)}/ds=2024-02-02/hr=11"
    # keys in another order are matched by name
    r = hms.append_partition_by_name(db, "p", "hr=12/ds=2024-02-03")
    assert r.values == ["2024-02-03", "12"]
    assert part_default(r.sd.location) == f"{table_loc(ptable)}/ds=2024-02-03/hr=12"
    # escaped values in the name are decoded
    s = hms.append_partition_by_name(db, "p", "ds=x%2Fy/hr=1")
    assert s.values == ["x/y", "1"]

    expect(AlreadyExistsException, hms.append_partition, db, "p", ["2024-02-01", "10"],
           startswith="Partition already exists:", contains="[2024-02-01, 10]")
    expect(AlreadyExistsException, hms.append_partition_by_name, db, "p", "ds=2024-02-02/hr=11",
           startswith="Partition already exists:", contains="[2024-02-02, 11]")
    expect(InvalidObjectException, hms.append_partition_by_name, db, "p", "ds=2024-02-04",
           message="incomplete partition name - missing hr")
    expect(MetaException, hms.append_partition, db, "p", ["a"],
           message="Invalid partition key & values; keys [ds, hr, ], values [a, ]")
    assert hms.get_partition_names(db, "p", -1) == [
        "ds=2024-02-01/hr=10", "ds=2024-02-02/hr=11", "ds=2024-02-03/hr=12", "ds=x%2Fy/hr=1"]


def test_get_partition_errors(hms, db, ptable):
    add(hms, new_part(ptable, ["2024-01-01", "1"]))
    expect(NoSuchObjectException, hms.get_partition, db, "p", ["nope", "1"],
           message="partition values=[nope, 1]")
    expect(MetaException, hms.get_partition, db, "p", ["nope"],
           message="Invalid partition key & values; keys [ds, hr, ], values [nope, ]")
    expect(NoSuchObjectException, hms.get_partition_by_name, db, "p", "ds=nope/hr=1",
           message="partition values=[nope, 1]")
    expect(NoSuchObjectException, hms.get_partition_by_name, db, "p", "garbage",
           message="incomplete partition name - missing ds")
    expect(NoSuchObjectException, hms.get_partition_with_auth, db, "p", ["2024-01-01", "3"],
           "alice", ["g"], message="partition values=[2024-01-01, 3]")


# --------------------------------------------------------------------------- listing


SCRAMBLED = [("b", "10"), ("a", "2"), ("b", "1"), ("a", "10"), ("a", "1"), ("b", "2")]
BY_NAME = ["ds=a/hr=1", "ds=a/hr=10", "ds=a/hr=2", "ds=b/hr=1", "ds=b/hr=10", "ds=b/hr=2"]


@pytest.fixture
def six(hms, db, ptable):
    """<db>.p with six partitions, added out of order."""
    for v in SCRAMBLED:
        add(hms, new_part(ptable, list(v)))
    return ptable


def names_of(parts) -> list:
    return ["ds=%s/hr=%s" % tuple(p.values) for p in parts]


def test_list_partitions_ordered_by_name(hms, db, six):
    assert names_of(hms.get_partitions(db, "p", -1)) == BY_NAME
    assert names_of(hms.get_partitions(db, "p", 2)) == BY_NAME[:2]
    assert hms.get_partitions(db, "p", 0) == []
    assert names_of(hms.get_partitions_with_auth(db, "p", -1, "alice", ["g"])) == BY_NAME
    assert names_of(hms.get_partitions_with_auth(db, "p", 1, "alice", ["g"])) == BY_NAME[:1]
    assert hms.get_partition_names(db, "p", -1) == BY_NAME
    assert hms.get_partition_names(db, "p", 3) == BY_NAME[:3]
    # 2.3 applies a limit to get_partition_names only when max > 0
    assert hms.get_partition_names(db, "p", 0) == BY_NAME


def test_partial_specs(hms, db, six):
    """The real HMS answers the *_ps calls in no particular order: compared sorted."""
    a_names = ["ds=a/hr=1", "ds=a/hr=10", "ds=a/hr=2"]

    def ps(spec, max_parts=-1):
        return sorted(names_of(hms.get_partitions_ps(db, "p", spec, max_parts)))

    def ps_auth(spec, max_parts=-1):
        return sorted(names_of(hms.get_partitions_ps_with_auth(db, "p", spec, max_parts, "alice", ["g"])))

    def ps_names(spec, max_parts=-1):
        return sorted(hms.get_partition_names_ps(db, "p", spec, max_parts))

    for spec in (["a"], ["a", ""]):
        assert ps(spec) == a_names
        assert ps_auth(spec) == a_names
        assert ps_names(spec) == a_names
    for spec in (["", "10"],):
        assert ps(spec) == ps_auth(spec) == ps_names(spec) == ["ds=a/hr=10", "ds=b/hr=10"]
    for spec in ([""], ["", ""]):
        assert ps(spec) == ps_auth(spec) == ps_names(spec) == BY_NAME
    assert ps(["a", "10"]) == ps_names(["a", "10"]) == ["ds=a/hr=10"]
    assert ps(["c"]) == ps_names(["c"]) == []
    for call in (ps, ps_auth, ps_names):
        one = call(["a"], 1)
        assert len(one) == 1 and one[0] in a_names
    assert ps(["a"], 0) == []
    expect(MetaException, hms.get_partitions_ps, db, "p", ["a", "1", "x"], -1,
           message="Incorrect number of partition values. numPartKeys=2, part_val=3")


def test_get_partitions_by_names(hms, db, six):
    got = hms.get_partitions_by_names(db, "p", ["ds=b/hr=10", "ds=nope/hr=1", "ds=a/hr=1", "garbage"])
    # missing names are omitted; the result is ordered by name, not by request
    assert vals(got) == [["a", "1"], ["b", "10"]]
    assert hms.get_partitions_by_names(db, "p", []) == []


def test_unpartitioned_table(hms, db):
    hms.create_table(make_table(db, "u"))
    table = hms.get_table(db, "u")
    assert hms.get_partitions(db, "u", -1) == []
    assert hms.get_partition_names(db, "u", -1) == []
    expect(MetaException, add, hms, new_part(table, []),
           message="Invalid partition key & values; keys [], values []")
    expect(MetaException, add, hms, new_part(table, ["x"]),
           message="Invalid partition key & values; keys [], values [x, ]")
    expect(MetaException, hms.get_partitions_by_filter, db, "u", 'x = "a"', -1,
           message="Specified key <x> is not a partitioning key for the table")


def test_partition_keys_lower_cased_values_not_validated(hms, db):
    table = make_ptable(hms, db, "mixed", keys=(("DS", "string"), ("Hr", "int")))
    assert [k.name for k in table.partitionKeys] == ["ds", "hr"]
    p = add(hms, new_part(table, ["Mixed Case", "notint"]))
    # values keep their case; an int key does not validate its value (2.3)
    assert p.values == ["Mixed Case", "notint"]
    assert hms.get_partition_names(db, "mixed", -1) == ["ds=Mixed Case/hr=notint"]


# --------------------------------------------------------------------------- names, escaping


def test_partition_name_helpers(hms):
    assert hms.partition_name_to_vals("ds=a%2Fb%3Ac%3Dd%25e/hr=7") == ["a/b:c=d%e", "7"]
    assert hms.partition_name_to_spec("ds=a%2Fb%3Ac%3Dd%25e/hr=7") == {"ds": "a/b:c=d%e", "hr": "7"}
    assert hms.partition_name_to_vals("ds=2024-01-01") == ["2024-01-01"]
    assert hms.partition_name_to_vals("garbage") == []
    assert hms.partition_name_to_vals("") == []
    assert hms.partition_name_to_spec("a=1/b") == {"a": "1"}
    # no hive.metastore.partition.name.whitelist.pattern configured: everything is valid
    assert hms.partition_name_has_valid_characters(["a", "b/c", "x y"], False) is True
    assert hms.partition_name_has_valid_characters(["a"], True) is True


WEIRD = "a/b:c=d%e#f?g h"
WEIRD_ESCAPED = "a%2Fb%3Ac%3Dd%25e%23f%3Fg h"


def test_escaped_values(hms, db, ptable):
    p = add(hms, new_part(ptable, [WEIRD, "7"]))
    name = f"ds={WEIRD_ESCAPED}/hr=7"
    assert p.values == [WEIRD, "7"]
    assert part_default(p.sd.location) == f"{table_loc(ptable)}/{name}"
    assert local_path(p.sd.location).is_dir()
    assert hms.get_partition_names(db, "p", -1) == [name]
    assert hms.get_partition(db, "p", [WEIRD, "7"]).values == [WEIRD, "7"]
    assert hms.get_partition_by_name(db, "p", name).values == [WEIRD, "7"]
    assert vals(hms.get_partitions_by_names(db, "p", [name])) == [[WEIRD, "7"]]
    assert vals(hms.get_partitions_ps(db, "p", [WEIRD], -1)) == [[WEIRD, "7"]]
    assert hms.get_partition_names_ps(db, "p", [WEIRD], -1) == [name]
    assert vals(hms.get_partitions_by_filter(db, "p", f'ds = "{WEIRD}"', -1)) == [[WEIRD, "7"]]
    assert hms.drop_partition_by_name(db, "p", name, True) is True
    assert hms.get_partition_names(db, "p", -1) == []


def test_empty_value_is_default_partition(hms, db, ptable):
    p = add(hms, new_part(ptable, ["", "8"]))
    name = f"ds={DEFAULT_PART}/hr=8"
    assert p.values == ["", "8"]
    assert part_default(p.sd.location) == f"{table_loc(ptable)}/{name}"
    assert hms.get_partition_names(db, "p", -1) == [name]
    assert vals(hms.get_partitions(db, "p", -1)) == [["", "8"]]
    assert hms.get_partition(db, "p", ["", "8"]).values == ["", "8"]
    # the explicit default-partition value names the same partition
    expect(AlreadyExistsException, add, hms, new_part(ptable, [DEFAULT_PART, "8"]),
           startswith="Partition already exists:")
    assert hms.drop_partition_by_name(db, "p", name, True) is True
    q = add(hms, new_part(ptable, [DEFAULT_PART, "8"]))
    assert q.values == [DEFAULT_PART, "8"]
    assert hms.get_partition_names(db, "p", -1) == [name]


# --------------------------------------------------------------------------- filters


@pytest.fixture(scope="module")
def filter_tables(strata_server):
    """One database for the (read-only) filter tests: p(ds string, hr int), d(d date),
    i(hr int), dp(d date) with a __HIVE_DEFAULT_PARTITION__."""
    from hmsclient.hmsclient import HMSClient

    client = HMSClient(host=strata_server.host, port=strata_server.port)
    client.open()
    name = f"pf_{uuid.uuid4().hex[:10]}"
    create_db(client, name)
    p = make_ptable(client, name, "p")
    for ds in ("2024-01-01", "2024-01-02", "2024-01-03"):
        for hr in ("1", "2", "10"):
            add(client, new_part(p, [ds, hr]))
    for ds in ("abc", "abd", "xa_c"):
        add(client, new_part(p, [ds, "5"]))
    d = make_ptable(client, name, "d", keys=(("d", "date"),))
    dp = make_ptable(client, name, "dp", keys=(("d", "date"),))
    for day in ("2023-12-31", "2024-01-01", "2024-02-29", "2024-10-05"):
        add(client, new_part(d, [day]))
        add(client, new_part(dp, [day]))
    add(client, new_part(dp, [DEFAULT_PART]))
    i = make_ptable(client, name, "i", keys=(("hr", "int"),))
    for hr in ("1", "2", "10", DEFAULT_PART):
        add(client, new_part(i, [hr]))
    yield client, name
    drop_db(client, name)
    client.close()


D1, D2, D3 = "2024-01-01", "2024-01-02", "2024-01-03"


def _ds(*days_hours):
    """Expected value lists, in partition-name order (hr=1 < hr=10 < hr=2)."""
    out = []
    for day, hours in days_hours:
        for hr in hours:
            out.append([day, hr])
    return out


ALL_DATES = ("1", "10", "2")
ABC = [["abc", "5"], ["abd", "5"], ["xa_c", "5"]]

STRING_INT_FILTERS = [
    ('ds = "2024-01-02"', _ds((D2, ALL_DATES))),
    ("ds = '2024-01-02'", _ds((D2, ALL_DATES))),
    ('ds="abc"', [["abc", "5"]]),
    ('"2024-01-02" = ds', _ds((D2, ALL_DATES))),
    ('ds <> "2024-01-02"', _ds((D1, ALL_DATES), (D3, ALL_DATES)) + ABC),
    ('ds != "2024-01-02"', _ds((D1, ALL_DATES), (D3, ALL_DATES)) + ABC),
    ('ds < "2024-01-02"', _ds((D1, ALL_DATES))),
    ('ds <= "2024-01-02"', _ds((D1, ALL_DATES), (D2, ALL_DATES))),
    ('ds > "2024-01-03"', ABC),
    ('ds >= "2024-01-03"', _ds((D3, ALL_DATES)) + ABC),
    # LIKE is a regex on the whole value; % and _ are literal characters in 2.3. Only
    # '.' and '.*' are reliable (README: DataNucleus turns the regex into SQL LIKE)
    ('ds like "ab.*"', [["abc", "5"], ["abd", "5"]]),
    ('ds LIKE "a.c"', [["abc", "5"]]),
    ('ds like "ab%"', []),
    ('ds like "xa_c"', [["xa_c", "5"]]),
    ('ds like ".*-02"', _ds((D2, ALL_DATES))),
    ('ds like "2024-01-0."', _ds((D1, ALL_DATES), (D2, ALL_DATES), (D3, ALL_DATES))),
    ('ds like ".*b.*"', [["abc", "5"], ["abd", "5"]]),
    ('ds between "2024-01-01" and "2024-01-02"', _ds((D1, ALL_DATES), (D2, ALL_DATES))),
    ('ds not between "2024-01-01" and "2024-01-02"', _ds((D3, ALL_DATES)) + ABC),
    ('(ds) in ("abc", "2024-01-03")', _ds((D3, ALL_DATES)) + [["abc", "5"]]),
    ('(ds) not in ("abc", "2024-01-03")', _ds((D1, ALL_DATES), (D2, ALL_DATES)) + [["abd", "5"], ["xa_c", "5"]]),
    ("hr = 10", _ds((D1, ["10"]), (D2, ["10"]), (D3, ["10"]))),
    ("hr <> 10", _ds((D1, ["1", "2"]), (D2, ["1", "2"]), (D3, ["1", "2"])) + ABC),
    # integer comparison is numeric (10 > 2), not lexicographic
    ("hr > 2", _ds((D1, ["10"]), (D2, ["10"]), (D3, ["10"])) + ABC),
    ("2 < hr", _ds((D1, ["10"]), (D2, ["10"]), (D3, ["10"])) + ABC),
    ("hr < 10", _ds((D1, ["1", "2"]), (D2, ["1", "2"]), (D3, ["1", "2"])) + ABC),
    ("hr >= 2 and hr <= 5", _ds((D1, ["2"]), (D2, ["2"]), (D3, ["2"])) + ABC),
    ("hr between 2 and 5", _ds((D1, ["2"]), (D2, ["2"]), (D3, ["2"])) + ABC),
    ("(hr) in (1, 10)", _ds((D1, ["1", "10"]), (D2, ["1", "10"]), (D3, ["1", "10"]))),
    ('ds = "2024-01-01" and hr = 1', [[D1, "1"]]),
    ('ds = "abc" or hr = 10', _ds((D1, ["10"]), (D2, ["10"]), (D3, ["10"])) + [["abc", "5"]]),
    ('(ds = "abc" or ds = "abd") and hr = 5', [["abc", "5"], ["abd", "5"]]),
    ('ds = "2024-01-01" and (hr = 1 or hr = 2)', [[D1, "1"], [D1, "2"]]),
    ('DS = "abc" OR HR = 10', _ds((D1, ["10"]), (D2, ["10"]), (D3, ["10"])) + [["abc", "5"]]),
    # an unquoted date literal against a string key compares as the string
    ("ds = 2024-01-01", _ds((D1, ALL_DATES))),
    ('ds = "1999-01-01"', []),
    ("", _ds((D1, ALL_DATES), (D2, ALL_DATES), (D3, ALL_DATES)) + ABC),
]


@pytest.mark.parametrize("flt,expected", STRING_INT_FILTERS, ids=[f[0] or "<empty>" for f in STRING_INT_FILTERS])
def test_filter_string_and_int_keys(filter_tables, flt, expected):
    client, name = filter_tables
    assert vals(client.get_partitions_by_filter(name, "p", flt, -1)) == expected
    assert client.get_num_partitions_by_filter(name, "p", flt) == len(expected)


DATE_FILTERS = [
    ('d = "2024-01-01"', [["2024-01-01"]]),
    ("d = 2024-01-01", [["2024-01-01"]]),
    ('d > "2024-01-01"', [["2024-02-29"], ["2024-10-05"]]),
    ("d > 2024-01-01", [["2024-02-29"], ["2024-10-05"]]),
    ("d < 2024-02-29", [["2023-12-31"], ["2024-01-01"]]),
    ('d <> "2024-01-01"', [["2023-12-31"], ["2024-02-29"], ["2024-10-05"]]),
    ('d between "2024-01-01" and "2024-03-01"', [["2024-01-01"], ["2024-02-29"]]),
    ('(d) in ("2024-02-29", "2023-12-31")', [["2023-12-31"], ["2024-02-29"]]),
    # compared as dates, not strings: "2024-2-29" is 2024-02-29
    ('d >= "2024-2-29"', [["2024-02-29"], ["2024-10-05"]]),
]


@pytest.mark.parametrize("table", ["d", "dp"])
@pytest.mark.parametrize("flt,expected", DATE_FILTERS, ids=[f[0] for f in DATE_FILTERS])
def test_filter_date_key(filter_tables, table, flt, expected):
    """dp also has a __HIVE_DEFAULT_PARTITION__ partition, which never matches."""
    client, name = filter_tables
    assert vals(client.get_partitions_by_filter(name, table, flt, -1)) == expected
    assert client.get_num_partitions_by_filter(name, table, flt) == len(expected)


def test_filter_int_key_with_default_partition(filter_tables):
    client, name = filter_tables
    assert vals(client.get_partitions_by_filter(name, "i", "hr = 10", -1)) == [["10"]]
    # ordered by name: hr=10 before hr=2
    assert vals(client.get_partitions_by_filter(name, "i", "hr > 1", -1)) == [["10"], ["2"]]
    assert vals(client.get_partitions_by_filter(name, "i", "hr <> 10", -1)) == [["1"], ["2"]]


def test_filter_limits(filter_tables):
    client, name = filter_tables
    assert vals(client.get_partitions_by_filter(name, "p", "hr > 1", 2)) == [[D1, "10"], [D1, "2"]]
    assert client.get_partitions_by_filter(name, "p", "hr > 1", 0) == []
    assert client.get_num_partitions_by_filter(name, "p", "hr > 1") == 9


def test_filter_errors(filter_tables):
    client, name = filter_tables
    expect(MetaException, client.get_partitions_by_filter, name, "p", 'nokey = "x"', -1,
           message="Specified key <nokey> is not a partitioning key for the table")
    expect(MetaException, client.get_num_partitions_by_filter, name, "p", 'nokey = "x"',
           message="Specified key <nokey> is not a partitioning key for the table")
    for malformed in ('ds = ', 'ds = "x" and', 'ds == "x"', 'ds in ("abc")', "ds is null",
                      'not ds = "abc"', "hr = 1.5"):
        expect(MetaException, client.get_partitions_by_filter, name, "p", malformed, -1,
               startswith="Error parsing partition filter")
    expect(MetaException, client.get_partitions_by_filter, name, "p", '"ab.*" like ds', -1,
           startswith="Value should be on the RHS for LIKE operator")
    # what the directSQL path cannot do falls back to JDO, which only filters string keys
    for unsupported in ('hr = "10"', 'hr like "1.*"'):
        expect(MetaException, client.get_partitions_by_filter, name, "p", unsupported, -1,
               message="Filtering is supported only on partition keys of type string")
    for unsupported in ('d like "2024.*"', 'd = "x"', 'd = "2024-02-30"', "d = 5"):
        expect(MetaException, client.get_partitions_by_filter, name, "d", unsupported, -1,
               message="Filtering is supported only on partition keys of type string")


# --------------------------------------------------------------------------- alter / rename


def test_alter_partition(hms, db, ptable, tmp_path):
    p = add(hms, new_part(ptable, ["2024-01-01", "1"]))
    changed = copy.deepcopy(p)
    changed.sd.location = f"file://{tmp_path / 'moved1'}"
    changed.parameters["k"] = "v"
    assert hms.alter_partition(db, "p", changed) is None
    got = hms.get_partition(db, "p", ["2024-01-01", "1"])
    assert norm_location(got.sd.location) == norm_location(f"file://{tmp_path / 'moved1'}")
    assert got.parameters["k"] == "v"
    assert got.createTime == p.createTime
    assert "transient_lastDdlTime" in got.parameters

    missing = copy.deepcopy(got)
    missing.values = ["nope", "1"]
    expect(InvalidOperationException, hms.alter_partition, db, "p", missing,
           message="alter is not possible")
    missing.values = ["nope"]
    expect(MetaException, hms.alter_partition, db, "p", missing,
           message="Invalid partition key & values; keys [ds, hr, ], values [nope, ]")


def test_alter_partitions(hms, db, ptable, tmp_path):
    for hr in ("1", "2"):
        add(hms, new_part(ptable, ["a", hr]))
    a = hms.get_partition(db, "p", ["a", "1"])
    b = hms.get_partition(db, "p", ["a", "2"])
    a.parameters["x"] = "1"
    a.sd.location = f"file://{tmp_path / 'moved2'}"
    b.parameters["x"] = "2"
    assert hms.alter_partitions(db, "p", [a, b]) is None
    got = {tuple(p.values): p for p in hms.get_partitions(db, "p", -1)}
    assert got[("a", "1")].parameters["x"] == "1"
    assert norm_location(got[("a", "1")].sd.location) == norm_location(f"file://{tmp_path / 'moved2'}")
    assert got[("a", "2")].parameters["x"] == "2"
    assert part_default(got[("a", "2")].sd.location) == f"{table_loc(ptable)}/ds=a/hr=2"

    bad = copy.deepcopy(b)
    bad.values = ["zz", "1"]
    expect(InvalidOperationException, hms.alter_partitions, db, "p", [a, bad],
           startswith="Alter partition operation failed: ")
    assert hms.alter_partitions(db, "p", []) is None


def test_rename_partition_moves_data(hms, db):
    # HMS moves a partition that sits at <table>/<name> to the new name's directory. Under the
    # default batch mode (enforce) a partition added without a location sits in a batch
    # directory below that, which a rename keeps (test_hive4_methods checks it); this table
    # opts into `track` (HMS's placement) to check the move itself.
    ptable = make_ptable(hms, db, params={"strata.batch.mode": "track"})
    add(hms, new_part(ptable, ["2024-01-01", "2"]))
    old = add(hms, new_part(ptable, ["2024-01-02", "1"]))
    (local_path(old.sd.location) / "f.txt").write_text("x")
    renamed = copy.deepcopy(old)
    renamed.values = ["2024-03-01", "1"]
    assert hms.rename_partition(db, "p", ["2024-01-02", "1"], renamed) is None

    got = hms.get_partition(db, "p", ["2024-03-01", "1"])
    assert norm_location(got.sd.location) == f"{table_loc(ptable)}/ds=2024-03-01/hr=1"
    assert files_in(got.sd.location) == ["f.txt"]
    assert not local_path(old.sd.location).exists()
    expect(NoSuchObjectException, hms.get_partition, db, "p", ["2024-01-02", "1"],
           message="partition values=[2024-01-02, 1]")

    clash = copy.deepcopy(got)
    clash.values = ["2024-01-01", "2"]
    expect(InvalidOperationException, hms.rename_partition, db, "p", ["2024-03-01", "1"], clash,
           message=f"Partition already exists:{db}.p.[2024-01-01, 2]")
    lost = copy.deepcopy(got)
    lost.values = ["2024-05-01", "1"]
    expect(InvalidOperationException, hms.rename_partition, db, "p", ["nope", "1"], lost,
           message="Unable to rename partition because old partition does not exist")
    assert hms.get_partition_names(db, "p", -1) == ["ds=2024-01-01/hr=2", "ds=2024-03-01/hr=1"]


# --------------------------------------------------------------------------- drop


def test_drop_partition_delete_data_and_readd(hms, db, ptable):
    p = add(hms, new_part(ptable, ["a", "1"]))
    (local_path(p.sd.location) / "data.txt").write_text("old")
    assert hms.drop_partition(db, "p", ["a", "1"], True) is True
    assert files_in(p.sd.location) in (None, [])
    expect(NoSuchObjectException, hms.get_partition, db, "p", ["a", "1"],
           message="partition values=[a, 1]")
    # re-added at the same default location: none of the old files
    again = add(hms, new_part(ptable, ["a", "1"]))
    assert norm_location(again.sd.location) == norm_location(p.sd.location)
    assert files_in(again.sd.location) in (None, [])

    expect(NoSuchObjectException, hms.drop_partition, db, "p", ["zz", "1"], True,
           message="partition values=[zz, 1]")
    expect(MetaException, hms.drop_partition, db, "p", ["a"], True,
           message="Invalid partition key & values; keys [ds, hr, ], values [a, ]")


def test_drop_partition_keep_data(hms, db, ptable):
    p = add(hms, new_part(ptable, ["a", "2"]))
    (local_path(p.sd.location) / "data.txt").write_text("kept")
    assert hms.drop_partition(db, "p", ["a", "2"], False) is True
    assert files_in(p.sd.location) == ["data.txt"]
    assert hms.get_partition_names(db, "p", -1) == []


def test_drop_partition_of_external_table_keeps_data(hms, db, tmp_path):
    table = make_ptable(hms, db, "ext", keys=(("ds", "string"),), params={"EXTERNAL": "TRUE"},
                        table_type="EXTERNAL_TABLE", location=f"file://{tmp_path / 'extloc'}")
    p = add(hms, new_part(table, ["a"]))
    assert part_default(p.sd.location) == norm_location(f"file://{tmp_path / 'extloc'}/ds=a")
    (local_path(p.sd.location) / "f").write_text("x")
    assert hms.drop_partition(db, "ext", ["a"], True) is True
    assert files_in(p.sd.location) == ["f"]


def test_drop_partition_by_name(hms, db, ptable):
    p = add(hms, new_part(ptable, ["a", "2"]))
    (local_path(p.sd.location) / "data.txt").write_text("old")
    assert hms.drop_partition_by_name(db, "p", "ds=a/hr=2", True) is True
    assert files_in(p.sd.location) in (None, [])
    expect(NoSuchObjectException, hms.drop_partition_by_name, db, "p", "ds=a/hr=2", True,
           message="partition values=[a, 2]")
    expect(NoSuchObjectException, hms.drop_partition_by_name, db, "p", "garbage", True,
           message="incomplete partition name - missing ds")


def test_drop_partitions_req(hms, db, six):
    res = hms.drop_partitions_req(DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=b/hr=1", "ds=b/hr=2"]),
        deleteData=True, needResult=True))
    assert sorted(vals(res.partitions)) == [["b", "1"], ["b", "2"]]
    res = hms.drop_partitions_req(DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=b/hr=10"]),
        deleteData=True, needResult=False))
    assert not res.partitions
    # ifExists (default true): missing names are ignored
    res = hms.drop_partitions_req(DropPartitionsRequest(
        dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=zz/hr=10"]),
        deleteData=True, needResult=True))
    assert res.partitions == []
    expect(NoSuchObjectException, hms.drop_partitions_req,
           DropPartitionsRequest(dbName=db, tblName="p", parts=RequestPartsSpec(names=["ds=zz/hr=10"]),
                                 deleteData=True, needResult=True, ifExists=False),
           message="Some partitions to drop are missing")
    assert hms.get_partition_names(db, "p", -1) == ["ds=a/hr=1", "ds=a/hr=10", "ds=a/hr=2"]


def test_exchange_partition(hms, db):
    src = make_ptable(hms, db, "src", keys=(("ds", "string"),))
    make_ptable(hms, db, "dst", keys=(("ds", "string"),))
    add(hms, new_part(src, ["a"]))
    add(hms, new_part(src, ["b"]))
    loc = hms.get_partition(db, "src", ["a"]).sd.location
    (local_path(loc) / "f").write_text("x")
    hms.exchange_partition({"ds": "a"}, db, "src", db, "dst")
    assert hms.get_partition_names(db, "src", -1) == ["ds=b"]
    assert hms.get_partition_names(db, "dst", -1) == ["ds=a"]
    moved = hms.get_partition(db, "dst", ["a"])
    assert norm_location(moved.sd.location) == norm_location(
        hms.get_table(db, "dst").sd.location + "/ds=a")
    assert files_in(moved.sd.location) == ["f"]


# --------------------------------------------------------------------------- functions

UPPER = "org.apache.hadoop.hive.ql.udf.generic.GenericUDFUpper"
LOWER = "org.apache.hadoop.hive.ql.udf.generic.GenericUDFLower"


def make_function(db: str, name: str, cls: Optional[str] = UPPER) -> Function:
    return Function(functionName=name, dbName=db, className=cls, ownerName="alice",
                    ownerType=PrincipalType.USER, createTime=0, functionType=FunctionType.JAVA,
                    resourceUris=[ResourceUri(resourceType=ResourceType.JAR, uri="file:///tmp/x.jar")])


def test_functions(hms, db):
    before = int(time.time())
    assert hms.create_function(make_function(db, "my_upper")) is None
    hms.create_function(make_function(db, "other_fn"))
    f = hms.get_function(db, "my_upper")
    assert (f.functionName, f.dbName, f.className) == ("my_upper", db, UPPER)
    assert (f.ownerName, f.ownerType, f.functionType) == ("alice", PrincipalType.USER, FunctionType.JAVA)
    assert f.resourceUris == [ResourceUri(resourceType=ResourceType.JAR, uri="file:///tmp/x.jar")]
    assert abs(f.createTime - before) < CLOCK_SLACK_S
    # lookups are case-insensitive
    assert hms.get_function(db, "MY_UPPER").functionName == "my_upper"
    assert hms.get_function(db.upper(), "my_upper").functionName == "my_upper"

    assert hms.get_functions(db, "*") == ["my_upper", "other_fn"]
    assert hms.get_functions(db, "my*") == ["my_upper"]
    assert hms.get_functions(db, "MY*") == ["my_upper"]
    assert hms.get_functions(db, "o.*") == ["other_fn"]
    assert hms.get_functions(db, "my_upper|other_fn") == ["my_upper", "other_fn"]
    assert hms.get_functions("nodb_x", "*") == []
    ours = sorted(x.functionName for x in hms.get_all_functions().functions if x.dbName == db)
    assert ours == ["my_upper", "other_fn"]

    changed = copy.deepcopy(f)
    changed.className = LOWER
    changed.ownerName = "bob"
    assert hms.alter_function(db, "my_upper", changed) is None
    g = hms.get_function(db, "my_upper")
    assert (g.className, g.ownerName, g.createTime) == (LOWER, "bob", f.createTime)
    renamed = copy.deepcopy(g)
    renamed.functionName = "renamed_fn"
    hms.alter_function(db, "my_upper", renamed)
    assert hms.get_functions(db, "*") == ["other_fn", "renamed_fn"]

    expect(InvalidOperationException, hms.drop_database, db, True, False,
           message=f"Database {db} is not empty. One or more functions exist.")
    assert hms.drop_function(db, "renamed_fn") is None
    assert hms.get_functions(db, "*") == ["other_fn"]


def test_function_errors(hms, db):
    hms.create_function(make_function(db, "my_upper"))
    expect(AlreadyExistsException, hms.create_function, make_function(db, "my_upper"),
           message="Function my_upper already exists")
    expect(NoSuchObjectException, hms.get_function, db, "nope",
           message=f"Function {db}.nope does not exist")
    expect(NoSuchObjectException, hms.get_function, "nodb_x", "nope",
           message="Function nodb_x.nope does not exist")
    expect(NoSuchObjectException, hms.drop_function, db, "nope",
           message="Function nope does not exist")
    expect(MetaException, hms.alter_function, db, "nope", make_function(db, "nope"),
           message="function nope doesn't exist")
    expect(NoSuchObjectException, hms.create_function, make_function("nodb_x", "f"),
           message="nodb_x")
    expect(InvalidObjectException, hms.create_function, make_function(db, "bad name"),
           message="bad name is not a valid object name")
    expect(InvalidObjectException, hms.create_function, make_function(db, "noclass", cls=None),
           message="Function class name cannot be null")


# --------------------------------------------------------------------------- column statistics


def _obj(col, typ, **data):
    return ColumnStatisticsObj(colName=col, colType=typ, statsData=ColumnStatisticsData(**data))


TABLE_STATS = [
    _obj("id", "bigint", longStats=LongColumnStatsData(lowValue=1, highValue=100, numNulls=0, numDVs=100)),
    _obj("name", "string", stringStats=StringColumnStatsData(maxColLen=10, avgColLen=4.5, numNulls=2, numDVs=50)),
    _obj("score", "double", doubleStats=DoubleColumnStatsData(lowValue=0.5, highValue=9.5, numNulls=1, numDVs=20)),
    _obj("flag", "boolean", booleanStats=BooleanColumnStatsData(numTrues=3, numFalses=4, numNulls=0)),
    _obj("d", "date", dateStats=DateColumnStatsData(lowValue=Date(19000), highValue=Date(19500),
                                                    numNulls=0, numDVs=10)),
    _obj("amt", "decimal(10,2)", decimalStats=DecimalColumnStatsData(
        lowValue=Decimal(unscaled=b"\x01", scale=2), highValue=Decimal(unscaled=b"\x27\x10", scale=2),
        numNulls=0, numDVs=5)),
    _obj("b", "binary", binaryStats=BinaryColumnStatsData(maxColLen=8, avgColLen=3.0, numNulls=1)),
]


def _stats_table(hms, db):
    hms.create_table(make_table(db, "t", columns=[(o.colName, o.colType) for o in TABLE_STATS]))


def _by_col(objs) -> dict:
    return {o.colName: o for o in objs}


def test_table_column_statistics_round_trip(hms, db):
    _stats_table(hms, db)
    desc = ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="t", lastAnalyzed=1700000000)
    assert hms.update_table_column_statistics(ColumnStatistics(statsDesc=desc, statsObj=TABLE_STATS)) is True

    for expected in TABLE_STATS:
        got = hms.get_table_column_statistics(db, "t", expected.colName)
        assert got.statsDesc.isTblLevel is True
        assert (got.statsDesc.dbName, got.statsDesc.tableName) == (db, "t")
        assert got.statsObj == [expected]
    # column names are case-insensitive
    assert hms.get_table_column_statistics(db, "t", "ID").statsObj == [TABLE_STATS[0]]

    res = hms.get_table_statistics_req(TableStatsRequest(
        dbName=db, tblName="t", colNames=[o.colName for o in TABLE_STATS] + ["nocol"]))
    assert _by_col(res.tableStats) == _by_col(TABLE_STATS)
    assert hms.get_table_statistics_req(TableStatsRequest(dbName=db, tblName="t", colNames=[])).tableStats == []

    # an update replaces the column's statistics
    new_id = _obj("id", "bigint", longStats=LongColumnStatsData(lowValue=5, highValue=50, numNulls=3, numDVs=7))
    hms.update_table_column_statistics(ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="t"), statsObj=[new_id]))
    assert hms.get_table_column_statistics(db, "t", "id").statsObj == [new_id]

    assert hms.delete_table_column_statistics(db, "t", "id") is True
    expect(NoSuchObjectException, hms.delete_table_column_statistics, db, "t", "id",
           message=f"Column stats doesn't exist for db={db} table=t col=id")
    left = hms.get_table_statistics_req(TableStatsRequest(dbName=db, tblName="t", colNames=["id", "name"]))
    assert [o.colName for o in left.tableStats] == ["name"]
    # a column without statistics: the real HMS answers a null result
    # (TApplicationException MISSING_RESULT); NoSuchObjectException is accepted too
    with pytest.raises((TApplicationException, NoSuchObjectException)):
        hms.get_table_column_statistics(db, "t", "id")
    # no column name: all of the table's statistics
    assert hms.delete_table_column_statistics(db, "t", None) is True
    assert hms.get_table_statistics_req(TableStatsRequest(
        dbName=db, tblName="t", colNames=["id", "name"])).tableStats == []


def test_table_column_statistics_errors(hms, db):
    _stats_table(hms, db)
    expect(MetaException, hms.update_table_column_statistics, ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="t"),
        statsObj=[_obj("nocol", "bigint", longStats=LongColumnStatsData(numNulls=0, numDVs=1))]),
        message=f"Column nocol doesn't exist in table t in database {db}")
    expect(NoSuchObjectException, hms.update_table_column_statistics, ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="nope"),
        statsObj=[TABLE_STATS[0]]),
        message=f"Specified database/table does not exist : {db}.nope")
    expect(NoSuchObjectException, hms.get_table_column_statistics, db, "nope", "id",
           message=f"Specified database/table does not exist : {db}.nope")
    expect(NoSuchObjectException, hms.get_table_statistics_req,
           TableStatsRequest(dbName=db, tblName="nope", colNames=["id"]),
           message=f"Specified database/table does not exist : {db}.nope")
    expect(NoSuchObjectException, hms.delete_table_column_statistics, db, "t", "nocol",
           message=f"Column stats doesn't exist for db={db} table=t col=nocol")


def _part_stats(db, part_name, lo):
    return ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=False, dbName=db, tableName="p", partName=part_name),
        statsObj=[_obj("id", "bigint", longStats=LongColumnStatsData(lowValue=lo, highValue=lo + 5,
                                                                       numNulls=1, numDVs=6)),
                  _obj("name", "string", stringStats=StringColumnStatsData(maxColLen=lo, avgColLen=2.0,
                                                                           numNulls=0, numDVs=3))])


def test_partition_column_statistics(hms, db):
    hms.create_table(make_table(db, "p", columns=[("id", "bigint"), ("name", "string")],
                                partition_keys=[("ds", "string")]))
    table = hms.get_table(db, "p")
    for v in ("a", "b"):
        add(hms, new_part(table, [v]))
    sa, sb = _part_stats(db, "ds=a", 1), _part_stats(db, "ds=b", 10)
    assert hms.update_partition_column_statistics(sa) is True
    assert hms.update_partition_column_statistics(sb) is True

    got = hms.get_partition_column_statistics(db, "p", "ds=a", "id")
    assert got.statsDesc.isTblLevel is False
    assert (got.statsDesc.dbName, got.statsDesc.tableName, got.statsDesc.partName) == (db, "p", "ds=a")
    assert got.statsObj == [sa.statsObj[0]]

    res = hms.get_partitions_statistics_req(PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id", "name"], partNames=["ds=a", "ds=b", "ds=zz"]))
    assert sorted(res.partStats) == ["ds=a", "ds=b"]
    assert _by_col(res.partStats["ds=a"]) == _by_col(sa.statsObj)
    assert _by_col(res.partStats["ds=b"]) == _by_col(sb.statsObj)

    aggr = hms.get_aggr_stats_for(PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id", "name"], partNames=["ds=a", "ds=b"]))
    assert aggr.partsFound == 2
    agg = _by_col(aggr.colStats)
    ids = agg["id"].statsData.longStats
    assert (ids.lowValue, ids.highValue, ids.numNulls) == (1, 15, 2)
    assert ids.numDVs >= 6
    names = agg["name"].statsData.stringStats
    assert (names.maxColLen, names.numNulls) == (10, 0)

    expect(NoSuchObjectException, hms.update_partition_column_statistics, _part_stats(db, "ds=zz", 1),
           message="Partition for which stats is gathered doesn't exist.")

    assert hms.delete_partition_column_statistics(db, "p", "ds=a", "id") is True
    expect(NoSuchObjectException, hms.delete_partition_column_statistics, db, "p", "ds=a", "id",
           message=f"Column stats doesn't exist for db={db} table=p partition=ds=a col=id")
    res = hms.get_partitions_statistics_req(PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id", "name"], partNames=["ds=a", "ds=b"]))
    assert [o.colName for o in res.partStats["ds=a"]] == ["name"]

    # dropping a partition drops its statistics; a re-added partition has none
    hms.drop_partition(db, "p", ["b"], True)
    add(hms, new_part(table, ["b"]))
    res = hms.get_partitions_statistics_req(PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id", "name"], partNames=["ds=a", "ds=b"]))
    assert sorted(res.partStats) == ["ds=a"]

    new_b = ColumnStatistics(
        statsDesc=ColumnStatisticsDesc(isTblLevel=False, dbName=db, tableName="p", partName="ds=b"),
        statsObj=[_obj("id", "bigint", longStats=LongColumnStatsData(lowValue=3, highValue=4, numNulls=0, numDVs=2))])
    assert hms.set_aggr_stats_for(SetPartitionsStatsRequest(colStats=[new_b])) is True
    res = hms.get_partitions_statistics_req(PartitionsStatsRequest(
        dbName=db, tblName="p", colNames=["id", "name"], partNames=["ds=b"]))
    assert res.partStats["ds=b"] == new_b.statsObj


# --------------------------------------------------------------------------- notifications


def test_notification_event_ids(strata_server, hms, db):
    """The real HMS 2.3.10 here has no DbNotificationListener (its class is not in the
    pyspark wheel): the id stays 0 and there are no events. Strata keeps a gap-free
    log: one event per DDL, ids contiguous."""
    before = hms.get_current_notificationEventId().eventId
    hms.create_table(make_table(db, "n1"))
    mid = hms.get_current_notificationEventId().eventId
    hms.drop_table(db, "n1", True)
    after = hms.get_current_notificationEventId().eventId
    assert 0 <= before <= mid <= after
    events = hms.get_next_notification(NotificationEventRequest(lastEvent=before, maxEvents=100)).events
    if strata_server.is_external:
        return
    # strata only
    assert mid == before + 1
    assert after == mid + 1
    assert [e.eventId for e in events] == list(range(before + 1, after + 1))
    assert [(e.eventType, e.dbName, e.tableName) for e in events] == [
        ("CREATE_TABLE", db, "n1"), ("DROP_TABLE", db, "n1")]
    limited = hms.get_next_notification(NotificationEventRequest(lastEvent=before, maxEvents=1)).events
    assert [e.eventId for e in limited] == [before + 1]
