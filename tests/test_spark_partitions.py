"""Spark 4.3 partitions, functions and statistics against the metastore.

The SQL runs in tests/spark_partitions_scenario.py (one Python/JVM process per backend);
the tests below assert on its JSON report. Expectations were checked against the real
Apache HMS 2.3.10. Marker ``partitions`` (STRATA_TEST_PARTITIONS=1 runs it against
strata); skipped when STRATA_TEST_SKIP_SPARK=1.
"""

from __future__ import annotations

import os
import uuid

import pytest

from hms_helpers import norm_location

pytestmark = [
    pytest.mark.partitions,
    pytest.mark.skipif(os.environ.get("STRATA_TEST_SKIP_SPARK") == "1", reason="STRATA_TEST_SKIP_SPARK=1"),
]


@pytest.fixture(scope="module")
def report(strata_server, spark_partitions_runner):
    prefix = f"spp_{uuid.uuid4().hex[:10]}"
    return spark_partitions_runner(strata_server, prefix)


def ok(report, step):
    entry = report[step]
    if not entry["ok"]:
        pytest.fail(f"spark step {step!r} failed: {entry['error']}\n{entry.get('traceback', '')}"
                    f"\n(full Spark output: {report['_meta'].get('log')})", pytrace=False)
    return entry["result"]


def table_location(server, db, table):
    return norm_location(f"{server.warehouse_uri}/{db}.db/{table}")


HS_PARTS = ["ds=2024-01-01", "ds=2024-01-02", "ds=2024-01-03", "ds=2024-01-04", "ds=x-1", "ds=xy"]


def test_hive_static_insert(strata_server, report):
    db = report["_meta"]["db"]
    ok(report, "setup")
    r = ok(report, "hive_static_insert")
    assert r["partitions"] == ["ds=2024-01-01", "ds=2024-01-02", "ds=2024-01-03"]
    assert r["rows"] == [[1, "a", "2024-01-01"], [2, "b", "2024-01-01"], [3, "c", "2024-01-02"],
                         [4, "d", "2024-01-03"]]
    assert norm_location(r["table_location"]) == table_location(strata_server, db, "hs")
    assert norm_location(r["location_0101"]) == table_location(strata_server, db, "hs") + "/ds=2024-01-01"


def test_hive_dynamic_insert(report):
    r = ok(report, "hive_dynamic_insert")
    assert r["partitions"] == HS_PARTS
    assert r["rows"] == [[1, "a", "2024-01-01"], [2, "b", "2024-01-01"], [3, "c", "2024-01-02"],
                         [4, "d", "2024-01-03"], [5, "e", "x-1"], [6, "f", "xy"], [7, "g", "2024-01-04"],
                         [8, "h", "x-1"]]


def test_hive_insert_overwrite_partition(report):
    r = ok(report, "hive_insert_overwrite")
    assert r["partitions"] == HS_PARTS
    assert r["rows"] == [[30, "cc"], [31, "cd"]]
    assert r["count"] == [[9]]


def test_hive_pruned_selects(report):
    r = ok(report, "hive_selects")
    assert r == {"eq": [1, 2], "range": [4, 30, 31], "in": [1, 2, 7], "like": [5, 6, 8],
                 "not_eq": [4, 5, 6, 7, 8, 30, 31], "non_partition": [2], "mixed": [4, 7, 30, 31],
                 "or": [4, 6], "none": []}


def test_hive_add_partition_with_location(report):
    r = ok(report, "hive_add_partition_location")
    assert norm_location(r["location"]) == norm_location(r["given"])
    assert r["rows"] == [[40, "ext1"], [41, "ext2"]]
    assert r["duplicate_error"] and "PARTITIONS_ALREADY_EXIST" in r["duplicate_error"]
    assert r["partitions"] == sorted(HS_PARTS + ["ds=2024-02-01"])


def test_hive_set_partition_location(report):
    r = ok(report, "hive_set_location")
    assert norm_location(r["location"]) == norm_location(r["given"])
    assert r["rows"] == [[50, "moved"]]


def test_hive_rename_partition(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "hive_rename_partition")
    assert "ds=x-2" in r["partitions"] and "ds=x-1" not in r["partitions"]
    assert r["rows"] == [[5, "e"], [8, "h"]]
    assert r["old_rows"] == []
    assert norm_location(r["location"]) == table_location(strata_server, db, "hs") + "/ds=x-2"


def test_hive_drop_partition_and_reinsert(report):
    r = ok(report, "hive_drop_reinsert")
    assert "ds=2024-01-01" not in r["after_drop"]
    assert r["rows_after_drop"] == []
    assert r["drop_missing_error"] and "PARTITIONS_NOT_FOUND" in r["drop_missing_error"]
    # the old rows (1, 2) must not come back
    assert r["rows"] == [[100, "new"]]
    assert norm_location(r["location_after"]) == norm_location(r["location_before"])
    assert r["files_after"] is not None and len(r["files_after"]) == 1


def test_hive_int_and_date_keys(report):
    r = ok(report, "hive_int_date")
    assert r["partitions"] == ["n=1/d=2024-01-01", "n=10/d=2024-02-01", "n=10/d=2024-03-01",
                               "n=2/d=2024-01-15", "n=5/d=2023-12-31"]
    assert r["rows"] == [[1, "a", 1, "2024-01-01"], [2, "b", 2, "2024-01-15"], [3, "c", 10, "2024-02-01"],
                         [4, "d", 10, "2024-03-01"], [5, "e", 5, "2023-12-31"]]
    assert r["n_eq"] == [3, 4]
    assert r["n_gt"] == [3, 4, 5]
    assert r["n_range"] == [2, 5]
    assert r["n_in"] == [1, 5]
    assert r["d_eq"] == [2]
    assert r["d_gt"] == [3, 4]
    assert r["d_range"] == [1, 2]
    assert r["n_and_d"] == [3]
    assert r["non_partition"] == [1, 5]
    assert r["show_partial"] == ["n=10/d=2024-02-01", "n=10/d=2024-03-01"]


def test_datasource_partitioned_write(strata_server, report):
    db = report["_meta"]["db"]
    r = ok(report, "ds_write")
    assert r["partitions"] == HS_PARTS
    assert r["details"]["Provider"] == "parquet"
    assert r["details"]["Partition Provider"] == "Catalog"
    assert norm_location(r["details"]["Location"]) == table_location(strata_server, db, "dsp")
    assert [row[0] for row in r["rows"]] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_datasource_append_and_overwrite(report):
    r = ok(report, "ds_append_overwrite")
    assert r["partitions"] == sorted(HS_PARTS + ["ds=2024-01-05"])
    assert r["rows"] == [[1, "a", "2024-01-01"], [2, "b", "2024-01-01"], [4, "d", "2024-01-03"],
                         [5, "e", "x-1"], [6, "f", "xy"], [7, "g", "2024-01-04"], [8, "h", "x-1"],
                         [9, "i", "2024-01-05"], [30, "cc", "2024-01-02"]]


def test_datasource_pruned_selects(report):
    r = ok(report, "ds_selects")
    assert r == {"eq": [1, 2], "range": [4, 30], "in": [1, 2, 7], "like": [5, 6, 8],
                 "not_eq": [4, 5, 6, 7, 8, 9, 30], "non_partition": [2], "mixed": [4, 7, 9, 30],
                 "or": [4, 6], "none": []}


def test_datasource_partition_ddl(report):
    r = ok(report, "ds_partition_ddl")
    assert norm_location(r["added_location"]) == norm_location(r["given"])
    assert r["added_rows"] == [[40, "ext1"]]
    assert r["renamed_rows"] == [[5], [8]]
    assert "ds=2024-01-01" not in r["after_drop"]
    assert r["reinserted"] == [[100, "new"]]
    assert r["partitions"] == ["ds=2024-01-01", "ds=2024-01-02", "ds=2024-01-03", "ds=2024-01-04",
                               "ds=2024-01-05", "ds=2024-02-01", "ds=x-2", "ds=xy"]


def test_functions(report):
    db = report["_meta"]["db"]
    r = ok(report, "functions")
    assert r["applied"] == [["F"]]
    assert r["listed"] == [f"spark_catalog.{db}.my_upper"]
    assert "Class: org.apache.hadoop.hive.ql.udf.generic.GenericUDFUpper" in r["described"]
    assert r["duplicate_error"] and "ROUTINE_ALREADY_EXISTS" in r["duplicate_error"]
    assert r["listed_after"] == []
    assert r["gone_error"] and "UNRESOLVED_ROUTINE" in r["gone_error"]
    assert r["drop_missing_error"] and "ROUTINE_NOT_FOUND" in r["drop_missing_error"]


def test_analyze_statistics(report):
    r = ok(report, "analyze")
    assert r["table_stats"] and r["table_stats"].endswith(" bytes, 5 rows")
    assert r["partition_stats"] and r["partition_stats"].endswith(" bytes, 1 rows")
    col = r["column_id"]
    assert (col["min"], col["max"], col["num_nulls"], col["distinct_count"]) == ("1", "5", "0", "5")


def test_drop_database_cascade(report):
    db = report["_meta"]["db"]
    r = ok(report, "drop_database")
    assert db not in r["databases"]
