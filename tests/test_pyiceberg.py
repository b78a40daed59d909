"""PyIceberg 0.12 HiveCatalog against the metastore: namespaces, table create,
two appends (two commits through lock -> get_table -> alter_table -> unlock),
read back, list, rename, drop."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyiceberg.exceptions import (
    NamespaceAlreadyExistsError,
    NamespaceNotEmptyError,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

from hms_helpers import norm_location

SCHEMA = Schema(
    NestedField(field_id=1, name="id", field_type=LongType(), required=False),
    NestedField(field_id=2, name="name", field_type=StringType(), required=False),
)
ARROW_SCHEMA = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])


def batch(ids, names) -> pa.Table:
    return pa.Table.from_pydict({"id": ids, "name": names}, schema=ARROW_SCHEMA)


def rows(tbl: pa.Table) -> list:
    return sorted(zip(tbl.column("id").to_pylist(), tbl.column("name").to_pylist()))


@pytest.fixture
def catalog(iceberg_catalog_factory):
    return iceberg_catalog_factory()


@pytest.fixture
def namespace(catalog, unique_name):
    ns = unique_name("ice")
    catalog.create_namespace(ns)
    yield ns
    # best-effort cleanup through the catalog
    try:
        for ident in catalog.list_tables(ns):
            catalog.drop_table(ident)
        catalog.drop_namespace(ns)
    except Exception:  # noqa: BLE001
        pass


def test_namespaces(strata_server, catalog, unique_name):
    ns = unique_name("ice_ns")
    catalog.create_namespace(ns, {"comment": "made by pyiceberg", "team": "strata"})
    try:
        assert (ns,) in catalog.list_namespaces()
        assert ("default",) in catalog.list_namespaces()
        props = catalog.load_namespace_properties(ns)
        assert props["comment"] == "made by pyiceberg"
        assert props["team"] == "strata"
        assert norm_location(props["location"]) == norm_location(f"{strata_server.warehouse_uri}/{ns}.db")

        with pytest.raises(NamespaceAlreadyExistsError):
            catalog.create_namespace(ns)

        summary = catalog.update_namespace_properties(ns, removals={"team"}, updates={"owner": "me"})
        assert summary.removed == ["team"]
        assert summary.updated == ["owner"]
        props = catalog.load_namespace_properties(ns)
        assert props["owner"] == "me"
        assert "team" not in props
    finally:
        catalog.drop_namespace(ns)
    assert (ns,) not in catalog.list_namespaces()
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties(ns)


def test_create_append_read_drop(strata_server, catalog, iceberg_catalog_factory, namespace, hms):
    ident = (namespace, "events")
    table = catalog.create_table(ident, schema=SCHEMA)
    expected_location = norm_location(f"{strata_server.warehouse_uri}/{namespace}.db/events")
    assert norm_location(table.location()) == expected_location
    assert table.scan().to_arrow().num_rows == 0
    assert catalog.list_tables(namespace) == [ident]
    assert catalog.table_exists(ident)
    with pytest.raises(TableAlreadyExistsError):
        catalog.create_table(ident, schema=SCHEMA)

    # what the metastore stored for it
    hive = hms.get_table(namespace, "events")
    assert hive.tableType == "EXTERNAL_TABLE"
    assert hive.parameters["EXTERNAL"] == "TRUE"
    assert hive.parameters["table_type"] == "ICEBERG"
    first_metadata = hive.parameters["metadata_location"]
    assert first_metadata == table.metadata_location

    # first commit
    table.append(batch([1, 2], ["a", "b"]))
    assert rows(table.scan().to_arrow()) == [(1, "a"), (2, "b")]
    assert len(table.metadata.snapshots) == 1
    after_first = table.metadata_location
    assert hms.get_table(namespace, "events").parameters["metadata_location"] == after_first

    # second commit, through a fresh catalog (new connections, state only in the metastore)
    other = iceberg_catalog_factory("other")
    t2 = other.load_table(ident)
    assert rows(t2.scan().to_arrow()) == [(1, "a"), (2, "b")]
    t2.append(batch([3], ["c"]))

    reloaded = catalog.load_table(ident)
    result = reloaded.scan().to_arrow()
    assert result.num_rows == 3
    assert rows(result) == [(1, "a"), (2, "b"), (3, "c")]
    assert len(reloaded.metadata.snapshots) == 2
    assert reloaded.current_snapshot().snapshot_id == t2.current_snapshot().snapshot_id

    hive = hms.get_table(namespace, "events")
    assert hive.parameters["metadata_location"] == reloaded.metadata_location
    assert hive.parameters["metadata_location"] != first_metadata
    assert hive.parameters["previous_metadata_location"] == after_first

    # no lock is left behind by the two commits
    from hmsclient.genthrift.hive_metastore.ttypes import ShowLocksRequest
    leftover = [e for e in (hms.show_locks(ShowLocksRequest()).locks or [])
                if e.dbname == namespace]
    assert leftover == []

    # a namespace with a table cannot be dropped
    with pytest.raises(NamespaceNotEmptyError):
        catalog.drop_namespace(namespace)

    catalog.drop_table(ident)
    assert catalog.list_tables(namespace) == []
    assert not catalog.table_exists(ident)
    with pytest.raises(NoSuchTableError):
        catalog.load_table(ident)

    catalog.drop_namespace(namespace)
    assert (namespace,) not in catalog.list_namespaces()


def test_list_and_rename_tables(catalog, namespace):
    catalog.create_table((namespace, "t_b"), schema=SCHEMA)
    t = catalog.create_table((namespace, "t_a"), schema=SCHEMA)
    t.append(batch([7], ["x"]))
    assert sorted(catalog.list_tables(namespace)) == [(namespace, "t_a"), (namespace, "t_b")]

    location_before = t.location()
    catalog.rename_table((namespace, "t_a"), (namespace, "t_renamed"))
    assert sorted(catalog.list_tables(namespace)) == [(namespace, "t_b"), (namespace, "t_renamed")]
    with pytest.raises(NoSuchTableError):
        catalog.load_table((namespace, "t_a"))
    renamed = catalog.load_table((namespace, "t_renamed"))
    # an Iceberg table is an external table: the data stays where it is
    assert renamed.location() == location_before
    assert rows(renamed.scan().to_arrow()) == [(7, "x")]
