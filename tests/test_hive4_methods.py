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

    # alter_partitions_req swaps a location; rename_partition_req moves a default-located one.
    a1 = client.get_partition(db, "p", ["a", "1"])
    a1.sd.location = f"file://{tmp_path}/a1_batch2"
    client.alter_partitions_req(t.AlterPartitionsRequest(dbName=db, tableName="p", partitions=[a1]))
    assert client.get_partition(db, "p", ["a", "1"]).sd.location.rstrip("/").endswith("/a1_batch2")
    a2 = client.get_partition(db, "p", ["a", "2"])
    a2.values = ["c", "2"]
    client.rename_partition_req(t.RenamePartitionRequest(dbName=db, tableName="p", partVals=["a", "2"], newPart=a2))
    moved = client.get_partition(db, "p", ["c", "2"])
    assert moved.sd.location.rstrip("/") == f"{tloc}/ds=c/hr=2".replace("file:///", "file:///")
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
