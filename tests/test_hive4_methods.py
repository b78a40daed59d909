"""The Hive 3/4 request-style methods (`*_req`, partition specs, catalogs) that the Hive 2.x
bindings of hmsclient do not have, through Python bindings generated at test time from Strata's
own IDL (`thrift --gen py thrift/hive_metastore.thrift`). Each call's answer is checked."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from thrift.protocol import TBinaryProtocol
from thrift.Thrift import TApplicationException
from thrift.transport import TSocket, TTransport

from conftest import REPO_ROOT


@pytest.fixture(scope="session")
def hive4(tmp_path_factory):
    """The generated `ThriftHiveMetastore` module and `ttypes` of Strata's IDL."""
    thrift = shutil.which("thrift")
    if thrift is None:
        pytest.fail("the Apache Thrift compiler is needed (apt-get install thrift-compiler; "
                    "scripts/test.sh installs it)")
    out = tmp_path_factory.mktemp("hive4_py")
    subprocess.run([thrift, "--gen", "py", "-out", str(out), str(REPO_ROOT / "thrift" / "hive_metastore.thrift")],
                   check=True)
    sys.path.insert(0, str(out))
    try:
        service = importlib.import_module("hive_metastore.ThriftHiveMetastore")
        ttypes = importlib.import_module("hive_metastore.ttypes")
    finally:
        sys.path.remove(str(out))
    return service, ttypes


@pytest.fixture
def client(hive4, strata_server):
    if strata_server.is_external:
        pytest.skip("the Hive 4 methods are checked against strata (Apache HMS 2.3 has few of them)")
    service, _ = hive4
    sock = TSocket.TSocket(strata_server.host, strata_server.port)
    sock.setTimeout(60_000)
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    yield service.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.close()


def _sd(t, location=None):
    return t.StorageDescriptor(
        cols=[t.FieldSchema(name="id", type="bigint", comment=None)],
        location=location,
        inputFormat="org.apache.hadoop.mapred.TextInputFormat",
        outputFormat="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        compressed=False, numBuckets=-1,
        serdeInfo=t.SerDeInfo(name=None, serializationLib="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                              parameters={}),
        bucketCols=[], sortCols=[], parameters={})


def test_requests_for_databases_tables_and_catalogs(client, hive4, unique_name, strata_server):
    _, t = hive4
    db = unique_name("h4db")
    assert client.get_catalogs().names == ["hive"]
    assert client.get_catalog(t.GetCatalogRequest(name="hive")).catalog.name == "hive"
    client.create_database_req(t.CreateDatabaseRequest(databaseName=db, description="d", parameters={"a": "1"}))
    got = client.get_database_req(t.GetDatabaseRequest(name=db, catalogName="hive"))
    assert (got.name, got.description, got.parameters) == (db, "d", {"a": "1"})
    got.parameters = {"a": "2"}
    client.alter_database_req(t.AlterDatabaseRequest(oldDbName=db, newDb=got))
    assert client.get_database(db).parameters == {"a": "2"}
    table = t.Table(tableName="t", dbName=db, owner="me", sd=_sd(t),
                    partitionKeys=[t.FieldSchema(name="ds", type="string")], parameters={},
                    tableType="MANAGED_TABLE")
    client.create_table_req(t.CreateTableRequest(table=table))
    got = client.get_table_req(t.GetTableRequest(dbName=db, tblName="t")).table
    assert got.sd.location.endswith(f"/{db}.db/t")
    fields = client.get_fields_req(t.GetFieldsRequest(dbName=db, tblName="t")).fields
    assert [f.name for f in fields] == ["id"]
    schema = client.get_schema_req(t.GetSchemaRequest(dbName=db, tblName="t")).fields
    assert [f.name for f in schema] == ["id", "ds"]
    objs = client.get_table_objects_by_name_req(t.GetTablesRequest(dbName=db, tblNames=["t", "nope"])).tables
    assert [o.tableName for o in objs] == ["t"]
    with pytest.raises(t.UnknownDBException):
        client.get_table_objects_by_name_req(t.GetTablesRequest(dbName="nodb_h4", tblNames=["t"]))
    got.parameters["k"] = "v"
    client.alter_table_req(t.AlterTableRequest(dbName=db, tableName="t", table=got))
    assert client.get_table(db, "t").parameters["k"] == "v"
    client.drop_database_req(t.DropDatabaseRequest(name=db, ignoreUnknownDb=False, deleteData=True, cascade=True))
    with pytest.raises(t.NoSuchObjectException):
        client.get_database(db)
    # ignoreUnknownDb: dropping a missing database is fine.
    client.drop_database_req(t.DropDatabaseRequest(name=db, ignoreUnknownDb=True, deleteData=True, cascade=True))


def test_partition_requests(client, hive4, unique_name, tmp_path):
    _, t = hive4
    db = unique_name("h4p")
    client.create_database(t.Database(name=db, parameters={}))
    table = t.Table(tableName="p", dbName=db, owner="me", sd=_sd(t),
                    partitionKeys=[t.FieldSchema(name="ds", type="string"), t.FieldSchema(name="hr", type="int")],
                    parameters={}, tableType="MANAGED_TABLE")
    client.create_table(table)
    tloc = client.get_table(db, "p").sd.location

    def part(ds, hr):
        return t.Partition(values=[ds, hr], dbName=db, tableName="p", sd=_sd(t), parameters={})

    # add_partitions_pspec: one list spec and one shared-descriptor spec.
    listed = t.PartitionSpec(dbName=db, tableName="p", partitionList=t.PartitionListComposingSpec(
        partitions=[part("a", "1"), part("a", "2")]))
    shared = t.PartitionSpec(dbName=db, tableName="p", rootPath=f"file://{tmp_path}/shared",
                             sharedSDPartitionSpec=t.PartitionSpecWithSharedSD(
                                 sd=_sd(t), partitions=[t.PartitionWithoutSD(values=["b", "1"], relativePath="/b1",
                                                                             parameters={})]))
    assert client.add_partitions_pspec([listed, shared]) == 3
    b1 = client.get_partition(db, "p", ["b", "1"])
    assert b1.sd.location.rstrip("/").endswith("/shared/b1")

    names = ["ds=a/hr=1", "ds=a/hr=2", "ds=b/hr=1"]
    assert client.get_partition_names_ps_req(t.GetPartitionNamesPsRequest(
        dbName=db, tblName="p", partValues=["a"], maxParts=-1)).names == names[:2]
    got = client.get_partitions_req(t.PartitionsRequest(dbName=db, tblName="p", maxParts=-1)).partitions
    assert [p.values for p in got] == [["a", "1"], ["a", "2"], ["b", "1"]]
    got = client.get_partitions_by_names_req(t.GetPartitionsByNamesRequest(
        db_name=db, tbl_name="p", names=["ds=b/hr=1", "ds=zz/hr=9"])).partitions
    assert [p.values for p in got] == [["b", "1"]]
    got = client.get_partitions_ps_with_auth_req(t.GetPartitionsPsWithAuthRequest(
        dbName=db, tblName="p", partVals=["", "1"], maxParts=-1)).partitions
    assert sorted(p.values for p in got) == [["a", "1"], ["b", "1"]]
    got = client.get_partitions_by_filter_req(t.GetPartitionsByFilterRequest(
        dbName=db, tblName="p", filter="hr > 1", maxParts=-1))
    assert [p.values for p in got] == [["a", "2"]]
    specs = client.get_partitions_pspec(db, "p", -1)
    assert sorted(p.values for s in specs for p in s.partitionList.partitions) == [["a", "1"], ["a", "2"], ["b", "1"]]
    values = client.get_partition_values(t.PartitionValuesRequest(
        dbName=db, tblName="p", partitionKeys=[t.FieldSchema(name="ds", type="string")], applyDistinct=True))
    assert [r.row for r in values.partitionValues] == [["a"], ["b"]]

    # alter_partitions_req swaps a location; rename_partition_req renames. A partition in a batch
    # directory (the default batch mode's place for one added without a location) keeps it:
    # Apache HMS moves a partition at <table>/<name> to the new name's directory.
    a1 = client.get_partition(db, "p", ["a", "1"])
    a1.sd.location = f"file://{tmp_path}/a1_batch2"
    client.alter_partitions_req(t.AlterPartitionsRequest(dbName=db, tableName="p", partitions=[a1]))
    assert client.get_partition(db, "p", ["a", "1"]).sd.location.rstrip("/").endswith("/a1_batch2")
    a2 = client.get_partition(db, "p", ["a", "2"])
    a2.values = ["c", "2"]
    client.rename_partition_req(t.RenamePartitionRequest(dbName=db, tableName="p", partVals=["a", "2"], newPart=a2))
    moved = client.get_partition(db, "p", ["c", "2"])
    assert moved.sd.location.rstrip("/").startswith(f"{tloc}/ds=a/hr=2/")
    assert moved.sd.location == a2.sd.location
    assert Path(moved.sd.location.split("file://", 1)[1]).is_dir()

    # exchange_partitions moves the matching partitions to a table with the same keys.
    table.tableName = "dst"
    table.sd = _sd(t)
    client.create_table(table)
    moved = client.exchange_partitions({"ds": "c"}, db, "p", db, "dst")
    assert [p.values for p in moved] == [["c", "2"]]
    assert client.get_partition_names(db, "dst", -1) == ["ds=c/hr=2"]
    assert "ds=c/hr=2" not in client.get_partition_names(db, "p", -1)

    # drop_partitions_req by names, with the dropped partitions in the answer.
    res = client.drop_partitions_req(t.DropPartitionsRequest(
        dbName=db, tblName="p", parts=t.RequestPartsSpec(names=["ds=b/hr=1"]), deleteData=True, needResult=True))
    assert [p.values for p in res.partitions] == [["b", "1"]]
    with pytest.raises(t.NoSuchObjectException):
        client.drop_partitions_req(t.DropPartitionsRequest(
            dbName=db, tblName="p", parts=t.RequestPartsSpec(names=["ds=zz/hr=1"]), ifExists=False))
    client.drop_database(db, True, True)


def test_expression_pruning_is_left_to_the_client(client, hive4, unique_name):
    """`get_partitions_by_expr` and `get_partition_names_req` carry a Kryo-serialized Hive
    expression: Strata answers UNKNOWN_METHOD so Hive prunes on the client side."""
    _, t = hive4
    with pytest.raises(TApplicationException) as info:
        client.get_partition_names_req(t.PartitionsByExprRequest(dbName="default", tblName="x", expr=b"\x01"))
    assert info.value.type == TApplicationException.UNKNOWN_METHOD
    assert info.value.message == "Invalid method name: 'get_partition_names_req'"
    # The connection is still usable.
    assert client.get_database("default").name == "default"


@pytest.fixture
def default_client(hive4, batch_server):
    """A client of the server started with its default configuration."""
    service, _ = hive4
    sock = TSocket.TSocket(batch_server.host, batch_server.port)
    sock.setTimeout(60_000)
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    yield service.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.close()


@pytest.mark.partitions
def test_single_partition_requests(default_client, hive4, unique_name):
    """The Hive 4 request forms of get/append/drop partition, partition names and specs by
    filter (no Java expression in any of them)."""
    client = default_client
    _, t = hive4
    db = unique_name("h4s")
    client.create_database(t.Database(name=db, parameters={}))
    client.create_table(t.Table(tableName="p", dbName=db, owner="me", sd=_sd(t),
                                partitionKeys=[t.FieldSchema(name="ds", type="string"),
                                               t.FieldSchema(name="hr", type="int")],
                                parameters={}, tableType="MANAGED_TABLE"))
    added = client.append_partition_req(t.AppendPartitionsRequest(dbName=db, tableName="p", partVals=["a", "1"]))
    assert added.values == ["a", "1"]
    added = client.append_partition_req(t.AppendPartitionsRequest(dbName=db, tableName="p", name="ds=b/hr=2"))
    assert added.values == ["b", "2"]
    with pytest.raises(t.AlreadyExistsException):
        client.append_partition_req(t.AppendPartitionsRequest(dbName=db, tableName="p", partVals=["a", "1"]))
    got = client.get_partition_req(t.GetPartitionRequest(dbName=db, tblName="p", partVals=["b", "2"])).partition
    assert (got.values, got.tableName) == (["b", "2"], "p")
    with pytest.raises(t.NoSuchObjectException):
        client.get_partition_req(t.GetPartitionRequest(dbName=db, tblName="p", partVals=["zz", "9"]))
    assert client.fetch_partition_names_req(t.PartitionsRequest(dbName=db, tblName="p")) == ["ds=a/hr=1", "ds=b/hr=2"]
    assert client.fetch_partition_names_req(t.PartitionsRequest(dbName=db, tblName="p", maxParts=1)) == ["ds=a/hr=1"]
    specs = client.get_part_specs_by_filter(db, "p", "hr > 1", -1)
    assert [p.values for s in specs for p in s.partitionList.partitions] == [["b", "2"]]
    assert client.get_part_specs_by_filter(db, "p", 'ds = "none"', -1) == []
    with pytest.raises(t.MetaException):
        client.get_part_specs_by_filter(db, "p", "nokey = 1", -1)
    assert client.drop_partition_req(t.DropPartitionRequest(dbName=db, tblName="p", partVals=["a", "1"]))
    assert client.drop_partition_req(t.DropPartitionRequest(dbName=db, tblName="p", partName="ds=b/hr=2",
                                                            deleteData=True))
    with pytest.raises(t.NoSuchObjectException):
        client.drop_partition_req(t.DropPartitionRequest(dbName=db, tblName="p", partName="ds=b/hr=2"))
    assert client.fetch_partition_names_req(t.PartitionsRequest(dbName=db, tblName="p")) == []
    client.drop_database(db, True, True)


def test_roles_privileges_and_constraints_of_a_fresh_metastore(default_client, hive4):
    """Trino with `hive.security=sql-standard` and Hive 3/4 clients call these; Strata answers as a
    fresh Apache HMS does (no authorization, no constraints)."""
    client = default_client
    _, t = hive4
    assert client.get_role_names() == ["admin", "public"]
    roles = client.list_roles("alice", t.PrincipalType.USER)
    assert [(r.roleName, r.ownerName) for r in roles] == [("public", "public")]
    assert client.list_roles("admin", t.PrincipalType.ROLE) == []
    everything = t.HiveObjectRef(objectType=t.HiveObjectType.GLOBAL)
    assert client.list_privileges("alice", t.PrincipalType.USER, everything) == []
    pset = client.get_privilege_set(everything, "alice", ["staff"])
    assert (pset.userPrivileges, pset.groupPrivileges) == ({"alice": []}, {"staff": []})
    grants = client.get_role_grants_for_principal(t.GetRoleGrantsForPrincipalRequest(
        principal_name="alice", principal_type=t.PrincipalType.USER)).principalGrants
    assert [(g.roleName, g.principalName) for g in grants] == [("public", "alice")]
    assert client.get_principals_in_role(t.GetPrincipalsInRoleRequest(roleName="public")).principalGrants == []
    assert client.get_primary_keys(t.PrimaryKeysRequest(db_name="default", tbl_name="x")).primaryKeys == []
    assert client.get_foreign_keys(t.ForeignKeysRequest(foreign_db_name="default",
                                                        foreign_tbl_name="x")).foreignKeys == []
    assert client.get_unique_constraints(t.UniqueConstraintsRequest(
        catName="hive", db_name="default", tbl_name="x")).uniqueConstraints == []
    assert client.get_not_null_constraints(t.NotNullConstraintsRequest(
        catName="hive", db_name="default", tbl_name="x")).notNullConstraints == []
    assert client.get_default_constraints(t.DefaultConstraintsRequest(
        catName="hive", db_name="default", tbl_name="x")).defaultConstraints == []
    assert client.get_check_constraints(t.CheckConstraintsRequest(
        catName="hive", db_name="default", tbl_name="x")).checkConstraints == []
    all_ = client.get_all_table_constraints(t.AllTableConstraintsRequest(
        dbName="default", tblName="x", catName="hive")).allTableConstraints
    assert all_.primaryKeys == [] and all_.checkConstraints == []
    # Trino reads the transaction timeout; the answer is HMS's default, not the fallback.
    assert client.get_config_value("hive.txn.timeout", "") == "300s"


def test_transactions_without_acid_tables(client, hive4, unique_name):
    """Hive 3/4 (`DbTxnManager`) open and commit a transaction around every query, also on
    non-ACID tables; Trino and Spark read the open list. Ids grow, states follow HMS, and no
    write id is ever allocated (Strata has no ACID tables)."""
    _, t = hive4
    before = client.get_open_txns()
    ids = client.open_txns(t.OpenTxnRequest(num_txns=3, user="hive", hostname="h1", agentInfo="test")).txn_ids
    assert len(ids) == 3 and ids == sorted(ids) and ids[0] > before.txn_high_water_mark
    opened = client.get_open_txns()
    assert set(ids) <= set(opened.open_txns)
    assert opened.txn_high_water_mark >= ids[-1]
    info = {x.id: x for x in client.get_open_txns_info().open_txns}
    assert (info[ids[0]].state, info[ids[0]].user, info[ids[0]].hostname) == (t.TxnState.OPEN, "hive", "h1")

    client.heartbeat(t.HeartbeatRequest(txnid=ids[0]))
    client.commit_txn(t.CommitTxnRequest(txnid=ids[0]))
    client.abort_txn(t.AbortTxnRequest(txnid=ids[1]))
    with pytest.raises(t.TxnAbortedException) as aborted:
        client.commit_txn(t.CommitTxnRequest(txnid=ids[1]))
    assert aborted.value.message == f"Transaction txnid:{ids[1]} already aborted"
    with pytest.raises(t.NoSuchTxnException) as missing:
        client.commit_txn(t.CommitTxnRequest(txnid=7))
    assert missing.value.message == "No such transaction txnid:7"
    with pytest.raises(t.NoSuchTxnException):
        client.heartbeat(t.HeartbeatRequest(txnid=ids[0]))
    ranged = client.heartbeat_txn_range(t.HeartbeatTxnRangeRequest(min=ids[0], max=ids[2]))
    assert (ranged.aborted, ranged.nosuch) == ({ids[1]}, {ids[0]})
    client.abort_txns(t.AbortTxnsRequest(txn_ids=[ids[2]]))
    assert not set(ids) & set(client.get_open_txns().open_txns)

    db = unique_name("txn")
    client.create_database(t.Database(name=db, parameters={}))
    client.create_table(t.Table(tableName="t", dbName=db, owner="me", sd=_sd(t), partitionKeys=[],
                                parameters={}, tableType="MANAGED_TABLE"))
    valid = client.get_valid_write_ids(t.GetValidWriteIdsRequest(fullTableNames=[f"{db}.t"])).tblValidWriteIds
    assert [(v.fullTableName, v.writeIdHighWaterMark, v.invalidWriteIds) for v in valid] == [(f"{db}.t", 0, [])]
    txn = client.open_txns(t.OpenTxnRequest(num_txns=1, user="hive", hostname="h1")).txn_ids[0]
    with pytest.raises(t.MetaException) as refused:
        client.allocate_table_write_ids(t.AllocateTableWriteIdsRequest(dbName=db, tableName="t", txnIds=[txn]))
    assert "transactional (ACID) tables" in refused.value.message
    client.abort_txn(t.AbortTxnRequest(txnid=txn))
    client.drop_database(db, True, True)


def test_tables_ext_drop_table_req_and_metastore_uuid(client, hive4, unique_name):
    _, t = hive4
    uuid_ = client.get_metastore_db_uuid()
    assert len(uuid_) == 36 and client.get_metastore_db_uuid() == uuid_
    db = unique_name("ext")
    client.create_database(t.Database(name=db, parameters={}))
    for name in ("a1", "a2", "b1"):
        client.create_table(t.Table(tableName=name, dbName=db, owner="me", sd=_sd(t), partitionKeys=[],
                                    parameters={}, tableType="MANAGED_TABLE"))
    got = client.get_tables_ext(t.GetTablesExtRequest(catalog="hive", database=db, tableNamePattern="a*",
                                                      requestedFields=t.GetTablesExtRequestFields.ALL))
    assert [(x.tblName, x.accessType) for x in got] == [("a1", 8), ("a2", 8)]
    got = client.get_tables_ext(t.GetTablesExtRequest(catalog="hive", database=db, tableNamePattern="*",
                                                      requestedFields=0, limit=2))
    assert [(x.tblName, x.accessType) for x in got] == [("a1", None), ("a2", None)]
    assert client.get_tables_ext(t.GetTablesExtRequest(catalog="hive", database="no_db_ext",
                                                       tableNamePattern="*", requestedFields=1)) == []
    client.drop_table_req(t.DropTableRequest(dbName=db, tableName="a1", deleteData=True))
    assert sorted(client.get_all_tables(db)) == ["a2", "b1"]
    with pytest.raises(t.NoSuchObjectException):
        client.drop_table_req(t.DropTableRequest(dbName=db, tableName="a1"))
    client.drop_database(db, True, True)


def _local(location: str) -> Path:
    """The local path of a `file:` location (`file:/a`, `file:///a`)."""
    return Path("/" + location.split(":", 1)[1].lstrip("/"))


@pytest.mark.partitions
def test_fast_stats_are_counted_as_hms_does(client, hive4, unique_name, tmp_path):
    """numFiles/totalSize on create/add from a directory that exists, recounted on alter (not
    with DO_NOT_UPDATE_STATS), never for a partitioned table itself; values a client sends on
    create are kept."""
    _, t = hive4
    db = unique_name("fst")
    client.create_database(t.Database(name=db, parameters={}))

    def table(name, location=None, keys=(), params=None):
        client.create_table(t.Table(tableName=name, dbName=db, owner="me", sd=_sd(t, location),
                                    partitionKeys=[t.FieldSchema(name=k, type="string") for k in keys],
                                    parameters=params or {}, tableType="EXTERNAL_TABLE" if location else "MANAGED_TABLE"))
        return client.get_table(db, name)

    data = tmp_path / "ext"
    data.mkdir()
    (data / "part-0").write_bytes(b"x" * 100)
    (data / "sub").mkdir()
    (data / "sub" / "part-1").write_bytes(b"y" * 20)
    (data / "_SUCCESS").write_bytes(b"")
    got = table("ext", location=f"file://{data}")
    assert (got.parameters.get("numFiles"), got.parameters.get("totalSize")) == ("2", "120")

    fresh = table("fresh")  # its directory is created by the call: nothing to count
    assert "numFiles" not in fresh.parameters and "totalSize" not in fresh.parameters
    sent = table("sent", location=f"file://{data}", params={"numFiles": "9", "totalSize": "99"})
    assert (sent.parameters["numFiles"], sent.parameters["totalSize"]) == ("9", "99")

    (_local(fresh.sd.location) / "000000_0").write_bytes(b"z" * 7)
    fresh.parameters["comment"] = "written"
    client.alter_table(db, "fresh", fresh)
    got = client.get_table(db, "fresh").parameters
    assert (got["numFiles"], got["totalSize"]) == ("1", "7")
    (_local(fresh.sd.location) / "000001_0").write_bytes(b"z" * 3)
    quiet = client.get_table(db, "fresh")
    client.alter_table_with_environment_context(db, "fresh", quiet, t.EnvironmentContext(
        properties={"DO_NOT_UPDATE_STATS": "true"}))
    assert client.get_table(db, "fresh").parameters["numFiles"] == "1"
    client.alter_table(db, "fresh", client.get_table(db, "fresh"))
    got = client.get_table(db, "fresh").parameters
    assert (got["numFiles"], got["totalSize"]) == ("2", "10")

    parted = table("p", keys=["ds"])
    assert "numFiles" not in parted.parameters
    given = tmp_path / "given"
    given.mkdir()
    (given / "f").write_bytes(b"q" * 5)
    client.add_partitions([
        t.Partition(values=["a"], dbName=db, tableName="p", sd=_sd(t, f"file://{given}"), parameters={}),
        t.Partition(values=["b"], dbName=db, tableName="p", sd=_sd(t), parameters={}),
    ])
    a = client.get_partition(db, "p", ["a"])
    assert (a.parameters.get("numFiles"), a.parameters.get("totalSize")) == ("1", "5")
    b = client.get_partition(db, "p", ["b"])
    assert "numFiles" not in b.parameters, "a directory the call made has nothing to count"
    (_local(b.sd.location) / "000000_0").write_bytes(b"w" * 11)
    client.alter_partition(db, "p", b)
    b = client.get_partition(db, "p", ["b"])
    assert (b.parameters["numFiles"], b.parameters["totalSize"]) == ("1", "11")
    assert "numFiles" not in client.get_table(db, "p").parameters
    client.drop_database(db, True, True)


def test_sail_call_sequence(hms_client_factory, unique_name, hive4):
    """Sail's HMS catalog (`sail-catalog-hms`, Rust, volo-thrift, buffered binary) as it calls:
    databases by pattern and one by one, tables created with Spark's metadata, listed with
    get_all_tables + get_table_objects_by_name, altered by get_table + alter_table, views, and
    DROP TABLE ... PURGE as drop_table_with_environment_context(deleteData=false, ifPurge)."""
    from hmsclient.genthrift.hive_metastore import ttypes as h

    client = hms_client_factory()
    db = unique_name("sail")
    client.create_database(h.Database(name=db, description="d", parameters={}))
    assert client.get_databases(db) == [db]
    assert db in client.get_all_databases()
    assert client.get_database(db).name == db
    cols = [h.FieldSchema(name="id", type="bigint", comment=None)]
    sd = h.StorageDescriptor(cols=cols, location=None,
                             inputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                             outputFormat="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                             serdeInfo=h.SerDeInfo(serializationLib="org.apache.hadoop.hive.ql.io.parquet.serde."
                                                                    "ParquetHiveSerDe", parameters={}),
                             parameters={}, bucketCols=[], sortCols=[], numBuckets=-1, compressed=False)
    client.create_table(h.Table(tableName="t", dbName=db, owner="sail", sd=sd, partitionKeys=[],
                                parameters={"spark.sql.sources.provider": "parquet", "EXTERNAL": "FALSE"},
                                tableType="MANAGED_TABLE"))
    client.create_table(h.Table(tableName="v", dbName=db, owner="sail", sd=sd, partitionKeys=[], parameters={},
                                viewOriginalText="SELECT 1", viewExpandedText="SELECT 1", tableType="VIRTUAL_VIEW"))
    names = client.get_all_tables(db)
    assert sorted(names) == ["t", "v"]
    assert sorted(x.tableName for x in client.get_table_objects_by_name(db, names)) == ["t", "v"]
    table = client.get_table(db, "t")
    table.parameters["owner_note"] = "x"
    client.alter_table(db, "t", table)
    assert client.get_table(db, "t").parameters["owner_note"] == "x"
    client.drop_table_with_environment_context(db, "t", False, h.EnvironmentContext(properties={"ifPurge": "TRUE"}))
    client.drop_table(db, "v", False)
    client.drop_database(db, False, True)
    assert db not in client.get_all_databases()
