"""Spark SQL partition scenario (pyspark, built-in Hive 2.3.10 client) against a metastore.

Same pattern as tests/spark_scenario.py (one SparkSession with Hive support per JVM, so
each backend runs this script in its own Python process):

    python tests/spark_partitions_scenario.py --uri thrift://127.0.0.1:9083 \
        --warehouse file:///abs/warehouse --prefix spp_1234 [--out result.json]

Covers Hive-format tables partitioned by a string key and by an int + a date key, and
a `USING parquet` table written with ``df.write.partitionBy(...).saveAsTable``:
static/dynamic INSERT, INSERT OVERWRITE of a partition, SHOW PARTITIONS, ADD PARTITION
... LOCATION, SET LOCATION, RENAME PARTITION, DROP PARTITION + re-INSERT, pruned
SELECTs (=, ranges, IN, LIKE 'x%', non-partition predicates), CREATE/DROP FUNCTION
and ANALYZE TABLE. Each step records its result or its error; a failing step does
not stop the later ones. tests/test_spark_partitions.py asserts on the JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from spark_scenario import build_spark  # noqa: E402

SPARK_TIMEOUT_S = 900


def _rows(df) -> list:
    return [[v.isoformat() if hasattr(v, "isoformat") else v for v in r] for r in df.collect()]


def run_scenario(spark, prefix: str, scratch: Path) -> dict:
    db = f"{prefix}_db"
    report: dict = {"_meta": {"db": db, "spark": spark.version, "scratch": str(scratch)}}

    def step(name, fn):
        t0 = time.monotonic()
        try:
            result = fn()
            report[name] = {"ok": True, "result": result}
        except Exception as e:  # noqa: BLE001 - recorded for the assertions
            msg = f"{type(e).__name__}: {e}"
            report[name] = {"ok": False, "error": msg[:4000],
                            "traceback": traceback.format_exc()[-4000:]}
        report[name]["seconds"] = round(time.monotonic() - t0, 2)

    sql = spark.sql

    def q(text):
        return _rows(sql(text))

    def parts(table):
        return sorted(r[0] for r in q(f"SHOW PARTITIONS {db}.{table}"))

    def part_location(table, spec):
        for r in q(f"DESCRIBE TABLE EXTENDED {db}.{table} PARTITION ({spec})"):
            if r[0] == "Location":
                return r[1]
        return None

    def details(table):
        out, seen = {}, False
        for r in q(f"DESCRIBE TABLE EXTENDED {db}.{table}"):
            if r[0] == "# Detailed Table Information":
                seen = True
            elif seen and r[0]:
                out[r[0]] = r[1]
        return out

    def files_under(uri):
        path = uri
        for pre in ("file://", "file:"):
            if path.startswith(pre):
                path = path[len(pre):]
                break
        if not os.path.isdir(path):
            return None
        return sorted(f for f in os.listdir(path) if not f.startswith((".", "_")))

    def scratch_dir(name):
        return f"file://{scratch / name}"

    def setup():
        sql(f"CREATE DATABASE {db}")
        return None

    step("setup", setup)

    # ------------------------------------------------------- Hive table, string key
    hs = f"{db}.hs"

    def hive_static_insert():
        sql(f"CREATE TABLE {hs} (id INT, name STRING) PARTITIONED BY (ds STRING) STORED AS PARQUET")
        sql(f"INSERT INTO {hs} PARTITION (ds='2024-01-01') VALUES (1, 'a'), (2, 'b')")
        sql(f"INSERT INTO {hs} PARTITION (ds='2024-01-02') VALUES (3, 'c')")
        sql(f"INSERT INTO {hs} PARTITION (ds='2024-01-03') VALUES (4, 'd')")
        return {"partitions": parts("hs"),
                "rows": q(f"SELECT id, name, ds FROM {hs} ORDER BY id"),
                "location_0101": part_location("hs", "ds='2024-01-01'"),
                "table_location": details("hs").get("Location")}

    step("hive_static_insert", hive_static_insert)

    def hive_dynamic_insert():
        sql("SET hive.exec.dynamic.partition=true")
        sql("SET hive.exec.dynamic.partition.mode=nonstrict")
        sql(f"INSERT INTO {hs} PARTITION (ds) VALUES (5, 'e', 'x-1'), (6, 'f', 'xy'), "
            f"(7, 'g', '2024-01-04'), (8, 'h', 'x-1')")
        return {"partitions": parts("hs"),
                "rows": q(f"SELECT id, name, ds FROM {hs} ORDER BY id")}

    step("hive_dynamic_insert", hive_dynamic_insert)

    def hive_insert_overwrite():
        sql(f"INSERT OVERWRITE TABLE {hs} PARTITION (ds='2024-01-02') VALUES (30, 'cc'), (31, 'cd')")
        return {"partitions": parts("hs"),
                "rows": q(f"SELECT id, name FROM {hs} WHERE ds = '2024-01-02' ORDER BY id"),
                "count": q(f"SELECT count(*) FROM {hs}")}

    step("hive_insert_overwrite", hive_insert_overwrite)

    def pruned_selects(table):
        def ids(where):
            return [r[0] for r in q(f"SELECT id FROM {db}.{table} WHERE {where} ORDER BY id")]

        return {
            "eq": ids("ds = '2024-01-01'"),
            "range": ids("ds >= '2024-01-02' AND ds < '2024-01-04'"),
            "in": ids("ds IN ('2024-01-01', '2024-01-04')"),
            "like": ids("ds LIKE 'x%'"),
            "not_eq": ids("ds <> '2024-01-01'"),
            "non_partition": ids("name = 'b'"),
            "mixed": ids("ds LIKE '2024-%' AND id > 3"),
            "or": ids("ds = 'xy' OR ds = '2024-01-03'"),
            "none": ids("ds = '1999-01-01'"),
        }

    step("hive_selects", lambda: pruned_selects("hs"))

    def hive_add_partition_location():
        ext = scratch_dir("hs_added")
        spark.createDataFrame([(40, "ext1"), (41, "ext2")], "id INT, name STRING") \
            .coalesce(1).write.mode("overwrite").parquet(ext)
        sql(f"ALTER TABLE {hs} ADD PARTITION (ds='2024-02-01') LOCATION '{ext}'")
        err = None
        try:
            sql(f"ALTER TABLE {hs} ADD PARTITION (ds='2024-02-01')")
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {e}"[:2000]
        sql(f"ALTER TABLE {hs} ADD IF NOT EXISTS PARTITION (ds='2024-02-01')")
        return {"given": ext, "location": part_location("hs", "ds='2024-02-01'"),
                "rows": q(f"SELECT id, name FROM {hs} WHERE ds = '2024-02-01' ORDER BY id"),
                "duplicate_error": err, "partitions": parts("hs")}

    step("hive_add_partition_location", hive_add_partition_location)

    def hive_set_location():
        moved = scratch_dir("hs_moved")
        spark.createDataFrame([(50, "moved")], "id INT, name STRING") \
            .coalesce(1).write.mode("overwrite").parquet(moved)
        sql(f"ALTER TABLE {hs} PARTITION (ds='2024-01-03') SET LOCATION '{moved}'")
        return {"given": moved, "location": part_location("hs", "ds='2024-01-03'"),
                "rows": q(f"SELECT id, name FROM {hs} WHERE ds = '2024-01-03' ORDER BY id")}

    step("hive_set_location", hive_set_location)

    def hive_rename_partition():
        sql(f"ALTER TABLE {hs} PARTITION (ds='x-1') RENAME TO PARTITION (ds='x-2')")
        return {"partitions": parts("hs"),
                "rows": q(f"SELECT id, name FROM {hs} WHERE ds = 'x-2' ORDER BY id"),
                "old_rows": q(f"SELECT id FROM {hs} WHERE ds = 'x-1'"),
                "location": part_location("hs", "ds='x-2'")}

    step("hive_rename_partition", hive_rename_partition)

    def hive_drop_reinsert():
        loc = part_location("hs", "ds='2024-01-01'")
        sql(f"ALTER TABLE {hs} DROP PARTITION (ds='2024-01-01')")
        after_drop = parts("hs")
        rows_after_drop = q(f"SELECT id FROM {hs} WHERE ds = '2024-01-01'")
        err = None
        try:
            sql(f"ALTER TABLE {hs} DROP PARTITION (ds='2024-01-01')")
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {e}"[:2000]
        sql(f"ALTER TABLE {hs} DROP IF EXISTS PARTITION (ds='2024-01-01')")
        sql(f"INSERT INTO {hs} PARTITION (ds='2024-01-01') VALUES (100, 'new')")
        return {"after_drop": after_drop, "rows_after_drop": rows_after_drop,
                "drop_missing_error": err,
                "rows": q(f"SELECT id, name FROM {hs} WHERE ds = '2024-01-01' ORDER BY id"),
                "location_before": loc,
                "location_after": part_location("hs", "ds='2024-01-01'"),
                "files_after": files_under(part_location("hs", "ds='2024-01-01'"))}

    step("hive_drop_reinsert", hive_drop_reinsert)

    # --------------------------------------------------- Hive table, int + date keys
    hid = f"{db}.hid"

    def hive_int_date():
        sql(f"CREATE TABLE {hid} (id INT, v STRING) PARTITIONED BY (n INT, d DATE) STORED AS PARQUET")
        sql(f"INSERT INTO {hid} PARTITION (n=1, d='2024-01-01') VALUES (1, 'a')")
        sql(f"INSERT INTO {hid} PARTITION (n, d) VALUES (2, 'b', 2, DATE'2024-01-15'), "
            f"(3, 'c', 10, DATE'2024-02-01'), (4, 'd', 10, DATE'2024-03-01'), (5, 'e', 5, DATE'2023-12-31')")

        def ids(where):
            return [r[0] for r in q(f"SELECT id FROM {hid} WHERE {where} ORDER BY id")]

        return {
            "partitions": parts("hid"),
            "rows": q(f"SELECT id, v, n, d FROM {hid} ORDER BY id"),
            "n_eq": ids("n = 10"),
            "n_gt": ids("n > 2"),
            "n_range": ids("n >= 2 AND n <= 5"),
            "n_in": ids("n IN (1, 5)"),
            "d_eq": ids("d = DATE'2024-01-15'"),
            "d_gt": ids("d > DATE'2024-01-15'"),
            "d_range": ids("d BETWEEN DATE'2024-01-01' AND DATE'2024-01-31'"),
            "n_and_d": ids("n = 10 AND d < DATE'2024-03-01'"),
            "non_partition": ids("v IN ('a', 'e')"),
            "show_partial": sorted(r[0] for r in q(f"SHOW PARTITIONS {hid} PARTITION (n=10)")),
        }

    step("hive_int_date", hive_int_date)

    # ---------------------------------------------------- datasource (USING parquet)
    dsp = f"{db}.dsp"

    def ds_write():
        df = spark.createDataFrame(
            [(1, "a", "2024-01-01"), (2, "b", "2024-01-01"), (3, "c", "2024-01-02"),
             (4, "d", "2024-01-03"), (5, "e", "x-1"), (6, "f", "xy"), (7, "g", "2024-01-04"),
             (8, "h", "x-1")],
            "id INT, name STRING, ds STRING")
        df.write.format("parquet").partitionBy("ds").saveAsTable(dsp)
        return {"partitions": parts("dsp"), "details": details("dsp"),
                "rows": q(f"SELECT id, name, ds FROM {dsp} ORDER BY id")}

    step("ds_write", ds_write)

    def ds_append_overwrite():
        spark.createDataFrame([(9, "i", "2024-01-05")], "id INT, name STRING, ds STRING") \
            .write.mode("append").format("parquet").partitionBy("ds").saveAsTable(dsp)
        sql(f"INSERT OVERWRITE TABLE {dsp} PARTITION (ds='2024-01-02') VALUES (30, 'cc')")
        return {"partitions": parts("dsp"),
                "rows": q(f"SELECT id, name, ds FROM {dsp} ORDER BY id")}

    step("ds_append_overwrite", ds_append_overwrite)

    step("ds_selects", lambda: pruned_selects("dsp"))

    def ds_partition_ddl():
        ext = scratch_dir("dsp_added")
        spark.createDataFrame([(40, "ext1")], "id INT, name STRING") \
            .coalesce(1).write.mode("overwrite").parquet(ext)
        sql(f"ALTER TABLE {dsp} ADD PARTITION (ds='2024-02-01') LOCATION '{ext}'")
        added = q(f"SELECT id, name FROM {dsp} WHERE ds = '2024-02-01' ORDER BY id")
        sql(f"ALTER TABLE {dsp} PARTITION (ds='x-1') RENAME TO PARTITION (ds='x-2')")
        renamed = q(f"SELECT id FROM {dsp} WHERE ds = 'x-2' ORDER BY id")
        sql(f"ALTER TABLE {dsp} DROP PARTITION (ds='2024-01-01')")
        after_drop = parts("dsp")
        sql(f"INSERT INTO {dsp} PARTITION (ds='2024-01-01') VALUES (100, 'new')")
        return {"added_location": part_location("dsp", "ds='2024-02-01'"), "given": ext,
                "added_rows": added, "renamed_rows": renamed, "after_drop": after_drop,
                "reinserted": q(f"SELECT id, name FROM {dsp} WHERE ds = '2024-01-01' ORDER BY id"),
                "partitions": parts("dsp")}

    step("ds_partition_ddl", ds_partition_ddl)

    # ------------------------------------------------------------------ functions
    def functions():
        fn = f"{db}.my_upper"
        sql(f"CREATE FUNCTION {fn} AS 'org.apache.hadoop.hive.ql.udf.generic.GenericUDFUpper'")
        dup = None
        try:
            sql(f"CREATE FUNCTION {fn} AS 'org.apache.hadoop.hive.ql.udf.generic.GenericUDFUpper'")
        except Exception as e:  # noqa: BLE001
            dup = f"{type(e).__name__}: {e}"[:2000]
        applied = q(f"SELECT {fn}(name) FROM {hs} WHERE ds = 'xy'")
        listed = sorted(r[0] for r in q(f"SHOW USER FUNCTIONS IN {db}"))
        described = [r[0] for r in q(f"DESCRIBE FUNCTION {fn}")]
        sql(f"DROP FUNCTION {fn}")
        listed_after = sorted(r[0] for r in q(f"SHOW USER FUNCTIONS IN {db}"))
        gone = None
        try:
            q(f"SELECT {fn}('x')")
        except Exception as e:  # noqa: BLE001
            gone = f"{type(e).__name__}: {e}"[:2000]
        drop_missing = None
        try:
            sql(f"DROP FUNCTION {fn}")
        except Exception as e:  # noqa: BLE001
            drop_missing = f"{type(e).__name__}: {e}"[:2000]
        sql(f"DROP FUNCTION IF EXISTS {fn}")
        return {"applied": applied, "listed": listed, "described": described,
                "duplicate_error": dup, "listed_after": listed_after, "gone_error": gone,
                "drop_missing_error": drop_missing}

    step("functions", functions)

    # ------------------------------------------------------------------ statistics
    def analyze():
        sql(f"ANALYZE TABLE {hid} COMPUTE STATISTICS")
        sql(f"ANALYZE TABLE {hid} PARTITION (n=10, d) COMPUTE STATISTICS")
        sql(f"ANALYZE TABLE {hid} COMPUTE STATISTICS FOR COLUMNS id, v")
        col = {r[0]: r[1] for r in q(f"DESCRIBE EXTENDED {hid} id")}
        part_stats = None
        for r in q(f"DESCRIBE TABLE EXTENDED {hid} PARTITION (n=10, d='2024-02-01')"):
            if r[0] == "Partition Statistics":
                part_stats = r[1]
        return {"table_stats": details("hid").get("Statistics"), "column_id": col,
                "partition_stats": part_stats}

    step("analyze", analyze)

    def drop_database():
        sql(f"DROP DATABASE {db} CASCADE")
        return {"databases": sorted(r[0] for r in q("SHOW DATABASES"))}

    step("drop_database", drop_database)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--scratch", help="directory for data written outside the warehouse "
                                      "(default: ./scratch)")
    ap.add_argument("--out", help="write the JSON report here (default: stdout)")
    args = ap.parse_args(argv)

    scratch = Path(args.scratch or "scratch").resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    spark = build_spark(args.uri, args.warehouse, app="strata-partition-tests")
    spark.sparkContext.setLogLevel("WARN")
    started = time.monotonic() - t0
    try:
        report = run_scenario(spark, args.prefix, scratch)
    finally:
        spark.stop()
    report["_meta"]["session_start_seconds"] = round(started, 2)
    report["_meta"]["total_seconds"] = round(time.monotonic() - t0, 2)
    text = json.dumps(report, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


def run_in_subprocess(uri: str, warehouse: str, prefix: str, workdir: Path) -> dict:
    """Run this file in a fresh interpreter (cwd = workdir) and return its report."""
    workdir = Path(workdir)
    out = workdir / "spark-partitions-report.json"
    log = workdir / "spark-partitions-output.log"
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.pop("SPARK_HOME", None)  # use the pyspark wheel's own Spark
    cmd = [sys.executable, str(Path(__file__).resolve()), "--uri", uri,
           "--warehouse", warehouse, "--prefix", prefix, "--scratch", str(workdir / "scratch"),
           "--out", str(out)]
    with open(log, "wb") as fh:
        proc = subprocess.run(cmd, cwd=str(workdir), stdout=fh, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env, timeout=SPARK_TIMEOUT_S)
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-8000:]
        raise RuntimeError(f"spark partition scenario failed (rc={proc.returncode}); output tail:\n{tail}")
    report = json.loads(out.read_text())
    report["_meta"]["log"] = str(log)
    return report


if __name__ == "__main__":
    sys.exit(main())
