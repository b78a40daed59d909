"""Spark SQL (pyspark, built-in Hive 2.3.10 client) scenario against a metastore.

A SparkSession with Hive support is a per-JVM singleton whose Hive client keeps its
metastore URI, so each backend runs this script in its own Python process:

    python tests/spark_scenario.py --uri thrift://127.0.0.1:9083 \
        --warehouse file:///abs/warehouse --prefix sp_1234 [--out result.json]

Each step runs SQL and records its result (rows as lists) or its error text; a
failing step does not stop the later ones. The JSON report maps step name ->
{"ok": bool, "result": ..., "error": str}. tests/test_spark.py asserts on it.
``run_in_subprocess`` is the helper the pytest fixture uses.
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

SPARK_TIMEOUT_S = 900


def build_spark(uri: str, warehouse: str, app: str = "strata-tests"):
    """A small local SparkSession whose catalog is the metastore at `uri`."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName(app)
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.hadoop.hive.metastore.uris", uri)
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # fail fast instead of retrying a broken metastore for minutes
        .config("spark.hadoop.hive.metastore.failure.retries", "1")
        .config("spark.hadoop.hive.metastore.client.connect.retry.delay", "1s")
        .config("spark.hadoop.hive.metastore.client.socket.timeout", "120s")
        .enableHiveSupport()
        .getOrCreate()
    )


def _rows(df) -> list:
    return [list(r) for r in df.collect()]


def run_scenario(spark, prefix: str) -> dict:
    db = f"{prefix}_db"
    report: dict = {"_meta": {"db": db, "spark": spark.version}}

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

    def show_databases():
        return sorted(r[0] for r in q("SHOW DATABASES"))

    def show_tables():
        return sorted(r[1] for r in q(f"SHOW TABLES IN {db}"))

    def tblprops(table):
        return {r[0]: r[1] for r in q(f"SHOW TBLPROPERTIES {db}.{table}")}

    def describe(table):
        return [[r[0], r[1]] for r in q(f"DESCRIBE {db}.{table}")
                if r[0] and not r[0].startswith("#")]

    def details(table):
        """The '# Detailed Table Information' part of DESCRIBE TABLE EXTENDED."""
        out, seen = {}, False
        for r in q(f"DESCRIBE TABLE EXTENDED {db}.{table}"):
            if r[0] == "# Detailed Table Information":
                seen = True
            elif seen and r[0]:
                out[r[0]] = r[1]
        return out

    def create_database():
        sql(f"CREATE DATABASE {db} COMMENT 'strata spark test'")
        return {"databases": show_databases(),
                "like": [r[0] for r in q(f"SHOW DATABASES LIKE '{db}'")],
                "describe": {r[0]: r[1] for r in q(f"DESCRIBE DATABASE {db}")}}

    step("create_database", create_database)

    def hive_table():
        sql(f"CREATE TABLE {db}.hive_t (id INT, name STRING) STORED AS PARQUET")
        sql(f"INSERT INTO {db}.hive_t VALUES (1, 'a'), (2, 'b')")
        sql(f"INSERT INTO {db}.hive_t VALUES (3, 'c')")
        return {"rows": q(f"SELECT id, name FROM {db}.hive_t ORDER BY id"),
                "details": details("hive_t")}

    step("hive_table", hive_table)

    def text_table():
        sql(f"CREATE TABLE {db}.text_t (id INT, name STRING) STORED AS TEXTFILE")
        sql(f"INSERT INTO {db}.text_t VALUES (10, 'x'), (20, 'y')")
        return {"rows": q(f"SELECT id, name FROM {db}.text_t ORDER BY id"),
                "details": details("text_t")}

    step("text_table", text_table)

    def datasource_table():
        sql(f"CREATE TABLE {db}.ds_t (id INT, name STRING) USING parquet")
        sql(f"INSERT INTO {db}.ds_t VALUES (1, 'one'), (2, 'two')")
        return {"rows": q(f"SELECT id, name FROM {db}.ds_t ORDER BY id"),
                "details": details("ds_t")}

    step("datasource_table", datasource_table)

    step("show_tables", show_tables)

    def set_tblproperties():
        sql(f"ALTER TABLE {db}.hive_t SET TBLPROPERTIES ('strata.k' = 'v1', 'other' = 'x')")
        first = tblprops("hive_t")
        sql(f"ALTER TABLE {db}.hive_t SET TBLPROPERTIES ('strata.k' = 'v2')")
        sql(f"ALTER TABLE {db}.ds_t SET TBLPROPERTIES ('ds.k' = 'dv')")
        return {"first": first, "second": tblprops("hive_t"), "ds": tblprops("ds_t"),
                "rows": q(f"SELECT count(*) FROM {db}.hive_t")}

    step("set_tblproperties", set_tblproperties)

    def add_columns():
        sql(f"ALTER TABLE {db}.hive_t ADD COLUMNS (extra STRING)")
        sql(f"INSERT INTO {db}.hive_t VALUES (4, 'd', 'e4')")
        sql(f"ALTER TABLE {db}.ds_t ADD COLUMNS (score DOUBLE)")
        sql(f"INSERT INTO {db}.ds_t VALUES (3, 'three', 0.5)")
        return {"hive_describe": describe("hive_t"),
                "hive_rows": q(f"SELECT id, name, extra FROM {db}.hive_t ORDER BY id"),
                "ds_describe": describe("ds_t"),
                "ds_rows": q(f"SELECT id, name, score FROM {db}.ds_t ORDER BY id")}

    step("add_columns", add_columns)

    def rename():
        sql(f"ALTER TABLE {db}.ds_t RENAME TO {db}.ds_renamed")
        sql(f"ALTER TABLE {db}.hive_t RENAME TO {db}.hive_renamed")
        return {"tables": show_tables(),
                "ds_rows": q(f"SELECT id, name FROM {db}.ds_renamed ORDER BY id"),
                "hive_rows": q(f"SELECT id, name, extra FROM {db}.hive_renamed ORDER BY id"),
                "hive_props": tblprops("hive_renamed"),
                "ds_details": details("ds_renamed"),
                "hive_details": details("hive_renamed")}

    step("rename", rename)

    def old_name_gone():
        try:
            q(f"SELECT * FROM {db}.ds_t")
        except Exception as e:  # noqa: BLE001
            return {"error": f"{type(e).__name__}: {e}"[:2000]}
        return {"error": None}

    step("old_name_gone", old_name_gone)

    def drop_and_recreate():
        sql(f"DROP TABLE {db}.ds_renamed")
        after_drop = show_tables()
        sql(f"CREATE TABLE {db}.ds_renamed (id INT, name STRING) USING parquet")
        ds_count = q(f"SELECT count(*) FROM {db}.ds_renamed")
        sql(f"DROP TABLE {db}.text_t")
        sql(f"CREATE TABLE {db}.text_t (id INT, name STRING) STORED AS TEXTFILE")
        text_count = q(f"SELECT count(*) FROM {db}.text_t")
        sql(f"INSERT INTO {db}.text_t VALUES (99, 'new')")
        return {"after_drop": after_drop, "ds_count": ds_count, "text_count": text_count,
                "text_rows": q(f"SELECT id, name FROM {db}.text_t"),
                "tables": show_tables()}

    step("drop_and_recreate", drop_and_recreate)

    def drop_database():
        sql(f"DROP DATABASE {db} CASCADE")
        return {"databases": show_databases()}

    step("drop_database_cascade", drop_database)

    def drop_missing():
        out = {}
        try:
            sql(f"DROP DATABASE {db}")
            out["plain"] = None
        except Exception as e:  # noqa: BLE001
            out["plain"] = f"{type(e).__name__}: {e}"[:2000]
        sql(f"DROP DATABASE IF EXISTS {db}")
        out["if_exists"] = "ok"
        return out

    step("drop_missing_database", drop_missing)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--out", help="write the JSON report here (default: stdout)")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    spark = build_spark(args.uri, args.warehouse)
    spark.sparkContext.setLogLevel("WARN")
    started = time.monotonic() - t0
    try:
        report = run_scenario(spark, args.prefix)
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
    out = Path(workdir) / "spark-report.json"
    log = Path(workdir) / "spark-output.log"
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.pop("SPARK_HOME", None)  # use the pyspark wheel's own Spark
    cmd = [sys.executable, str(Path(__file__).resolve()), "--uri", uri,
           "--warehouse", warehouse, "--prefix", prefix, "--out", str(out)]
    with open(log, "wb") as fh:
        proc = subprocess.run(cmd, cwd=str(workdir), stdout=fh, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env, timeout=SPARK_TIMEOUT_S)
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-8000:]
        raise RuntimeError(f"spark scenario failed (rc={proc.returncode}); output tail:\n{tail}")
    report = json.loads(out.read_text())
    report["_meta"]["log"] = str(log)
    return report


if __name__ == "__main__":
    sys.exit(main())
