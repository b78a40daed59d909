"""Spark 4.3 (pyspark, built-in Hive 2.3.10 metastore client) against the metastore.

The SQL runs in tests/spark_scenario.py, once per backend, in its own Python/JVM
process (a Hive-enabled SparkSession is a per-JVM singleton); the tests below assert
on its JSON report. Skipped when STRATA_TEST_SKIP_SPARK=1.
"""

from __future__ import annotations

import os
import uuid

import pytest

from hms_helpers import norm_location

pytestmark = pytest.mark.skipif(os.environ.get("STRATA_TEST_SKIP_SPARK") == "1",
                                reason="STRATA_TEST_SKIP_SPARK=1")


@pytest.fixture(scope="module")
def report(strata_server, spark_scenario_runner):
    prefix = f"sp_{uuid.uuid4().hex[:10]}"
    return spark_scenario_runner(strata_server, prefix)


def ok(report, step):
    entry = report[step]
    if not entry["ok"]:
        pytest.fail(f"spark step {step!r} failed: {entry['error']}\n{entry.get('traceback', '')}"
                    f"\n(full Spark output: {report['_meta'].get('log')})", pytrace=False)
    return entry["result"]


def table_location(server, db, table):
    return norm_location(f"{server.warehouse_uri}/{db}.db/{table}")


def test_create_and_show_database(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "create_database")
    assert db in r["databases"]
    assert "default" in r["databases"]
    assert r["like"] == [db]
    assert r["describe"]["Namespace Name"] == db
    assert r["describe"]["Comment"] == "strata spark test"
    assert norm_location(r["describe"]["Location"]) == norm_location(
        f"{strata_server.warehouse_uri}/{db}.db")


def test_hive_format_parquet_table(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "hive_table")
    assert r["rows"] == [[1, "a"], [2, "b"], [3, "c"]]
    d = r["details"]
    assert d["Type"] == "MANAGED"
    assert d["Provider"] == "hive"
    assert d["Serde Library"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert norm_location(d["Location"]) == table_location(strata_server, db, "hive_t")


def test_hive_format_text_table(report):
    r = ok(report, "text_table")
    assert r["rows"] == [[10, "x"], [20, "y"]]
    assert r["details"]["Provider"] == "hive"
    assert r["details"]["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"


def test_datasource_parquet_table(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "datasource_table")
    assert r["rows"] == [[1, "one"], [2, "two"]]
    assert r["details"]["Provider"] == "parquet"
    assert r["details"]["Type"] == "MANAGED"
    assert norm_location(r["details"]["Location"]) == table_location(strata_server, db, "ds_t")


def test_show_tables(report):
    assert ok(report, "show_tables") == ["ds_t", "hive_t", "text_t"]


def test_set_tblproperties(report):
    r = ok(report, "set_tblproperties")
    assert r["first"]["strata.k"] == "v1"
    assert r["first"]["other"] == "x"
    assert r["second"]["strata.k"] == "v2"
    assert r["second"]["other"] == "x"
    assert r["ds"]["ds.k"] == "dv"
    assert r["rows"] == [[3]]


def test_add_columns(report):
    r = ok(report, "add_columns")
    assert r["hive_describe"] == [["id", "int"], ["name", "string"], ["extra", "string"]]
    assert r["hive_rows"] == [[1, "a", None], [2, "b", None], [3, "c", None], [4, "d", "e4"]]
    assert r["ds_describe"] == [["id", "int"], ["name", "string"], ["score", "double"]]
    assert r["ds_rows"] == [[1, "one", None], [2, "two", None], [3, "three", 0.5]]


def test_rename_table(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "rename")
    assert r["tables"] == ["ds_renamed", "hive_renamed", "text_t"]
    # the data moved with the (managed) tables
    assert r["ds_rows"] == [[1, "one"], [2, "two"], [3, "three"]]
    assert r["hive_rows"] == [[1, "a", None], [2, "b", None], [3, "c", None], [4, "d", "e4"]]
    assert r["hive_props"]["strata.k"] == "v2"
    assert norm_location(r["ds_details"]["Location"]) == table_location(strata_server, db, "ds_renamed")
    assert norm_location(r["hive_details"]["Location"]) == table_location(strata_server, db, "hive_renamed")
    gone = ok(report, "old_name_gone")
    assert gone["error"] is not None and "TABLE_OR_VIEW_NOT_FOUND" in gone["error"]


def test_drop_and_recreate_table_is_empty(report):
    r = ok(report, "drop_and_recreate")
    assert r["after_drop"] == ["hive_renamed", "text_t"]
    assert r["ds_count"] == [[0]]
    assert r["text_count"] == [[0]]
    assert r["text_rows"] == [[99, "new"]]
    assert r["tables"] == ["ds_renamed", "hive_renamed", "text_t"]


def test_drop_database_cascade(report):
    db = report["_meta"]["db"]
    r = ok(report, "drop_database_cascade")
    assert db not in r["databases"]
    assert "default" in r["databases"]
    missing = ok(report, "drop_missing_database")
    assert missing["plain"] is not None and "SCHEMA_NOT_FOUND" in missing["plain"]
    assert missing["if_exists"] == "ok"
