"""The batch-ID layer end to end: pyspark (built-in Hive client) and the `strata` CLI against a
running strata whose tables are under `strata.batch.mode=enforce`.

    python tests/spark_batch_scenario.py --uri thrift://127.0.0.1:9083 --warehouse file:///wh \
        --strata-bin target/debug/strata --database-url sqlite:///tmp/strata.db --prefix sb_1 \
        [--out result.json]

Writes one partition three times with `strata_batch.store_dataframe`, reads the history with
`strata history --json`, rolls the partition back to the first batch, checks that an enforce
violation from Spark gets the documented error, rolls the whole table back to a time, drops a
partition, re-creates it empty and undrops the old data. Each step records its result or its
error; tests/test_batch_spark.py asserts on the JSON report.
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
for p in (TESTS_DIR, TESTS_DIR.parent / "python"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from spark_scenario import build_spark  # noqa: E402

SPARK_TIMEOUT_S = 900


def run_scenario(spark, prefix: str, cli) -> dict:
    from strata_batch import load_dataframe, store_dataframe

    db, table = f"{prefix}_db", "sales"
    name = f"{db}.{table}"
    report: dict = {"_meta": {"db": db}}

    def step(key, fn):
        try:
            report[key] = {"ok": True, "result": fn()}
        except Exception as e:  # noqa: BLE001 - recorded for the assertions
            report[key] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:4000],
                           "traceback": traceback.format_exc()[-4000:]}

    def rows(df):
        return sorted([list(r) for r in df.collect()])

    def sql_rows(text):
        return spark.sql(text)

    def frame(data):
        return spark.createDataFrame(data, "id INT, item STRING")

    def day(ds):
        return rows(load_dataframe(spark, db, table, {"ds": ds}).select("id", "item"))

    state: dict = {}

    def setup():
        spark.sql(f"CREATE DATABASE {db}")
        spark.sql(f"CREATE TABLE {name} (id INT, item STRING) PARTITIONED BY (ds STRING) STORED AS PARQUET")
        return True

    def three_writes():
        b1 = store_dataframe(frame([(1, "a")]), db, table, {"ds": "2024-01-01"})
        time.sleep(1.2)
        state["t1"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        time.sleep(1.2)
        b2 = store_dataframe(frame([(2, "b")]), db, table, {"ds": "2024-01-01"})
        b3 = store_dataframe(frame([(3, "c")]), db, table, {"ds": "2024-01-01"})
        store_dataframe(frame([(10, "x")]), db, table, {"ds": "2024-01-02"})
        state.update(b1=b1, b2=b2, b3=b3)
        return {"batches": [b1, b2, b3], "now": day("2024-01-01"),
                "partitions": rows(spark.sql(f"SHOW PARTITIONS {name}"))}

    def time_travel():
        b1, b2 = (state[k].rstrip("/").rsplit("/", 1)[1] for k in ("b1", "b2"))
        out = {
            "at_b1": rows(sql_rows(f"SELECT id, item, ds FROM {db}.`{table}@{b1}`")),
            "at_b2": rows(sql_rows(f"SELECT id, item, ds FROM {db}.`{table}@{b2}`")),
            "at_t1": rows(sql_rows(f"SELECT id, item, ds FROM {db}.`{table}@{state['t1']}`")),
            "helper_b1": rows(load_dataframe(spark, db, table, {"ds": "2024-01-01"}, as_of=b1).select("id", "item")),
            "pruned_b2": rows(sql_rows(f"SELECT id FROM {db}.`{table}@{b2}` WHERE ds = '2024-01-01'")),
            "partitions_b1": rows(sql_rows(f"SHOW PARTITIONS {db}.`{table}@{b1}`")),
            "now": day("2024-01-01"),
        }
        cli("tag", name, "first_load", "--at", state["t1"], "--json")
        out["at_tag"] = rows(sql_rows(f"SELECT id, item, ds FROM {db}.`{table}@first_load`"))
        out["tags"] = [t["name"] for t in cli("tag", name, "--json")]
        try:
            spark.sql(f"ALTER TABLE {db}.`{table}@{b1}` ADD PARTITION (ds='2030-01-01')")
            out["write"] = "accepted"
        except Exception as e:  # noqa: BLE001
            out["write"] = str(e)[:2000]
        return out

    def history():
        return cli("history", name, "--partition", "ds=2024-01-01", "--json")

    def rollback_partition():
        first = state["b1"].rstrip("/").rsplit("/", 1)[1]
        out = cli("rollback", name, "--partition", "ds=2024-01-01", "--to", first, "--json")
        return {"cli": out, "rows": day("2024-01-01"), "batch": first}

    def enforce_violation():
        try:
            spark.sql(f"ALTER TABLE {name} PARTITION (ds='2024-01-01') SET LOCATION '{state['b2']}'")
        except Exception as e:  # noqa: BLE001
            return {"refused": True, "error": str(e)[:2000], "rows": day("2024-01-01")}
        return {"refused": False}

    def rollback_table():
        # Back to b3 first (a rollback may reuse a location; a plain swap may not), then the
        # whole table to t1: ds=2024-01-01 back to b1, ds=2024-01-02 (added after t1) dropped.
        third = state["b3"].rstrip("/").rsplit("/", 1)[1]
        cli("rollback", name, "--partition", "ds=2024-01-01", "--to", third, "--json")
        plan = cli("rollback", name, "--to", state["t1"], "--dry-run", "--json")
        done = cli("rollback", name, "--to", state["t1"], "--json")
        return {"plan": plan, "done": done, "all": rows(load_dataframe(spark, db, table)),
                "partitions": rows(spark.sql(f"SHOW PARTITIONS {name}"))}

    def drop_recreate_undrop():
        spark.sql(f"ALTER TABLE {name} DROP PARTITION (ds='2024-01-01')")
        after_drop = rows(spark.sql(f"SHOW PARTITIONS {name}"))
        store_dataframe(frame([(99, "new")]), db, table, {"ds": "2024-01-01"})
        recreated = day("2024-01-01")
        out = cli("undrop", name, "--partition", "ds=2024-01-01", "--json")
        return {"after_drop": after_drop, "recreated": recreated, "cli": out, "undropped": day("2024-01-01")}

    def full_history():
        return cli("history", name, "--json")

    def drop_table_recreate_undrop():
        before = rows(load_dataframe(spark, db, table))
        spark.sql(f"DROP TABLE {name}")
        spark.sql(f"CREATE TABLE {name} (id INT, item STRING) PARTITIONED BY (ds STRING) STORED AS PARQUET")
        store_dataframe(frame([(77, "fresh")]), db, table, {"ds": "2024-03-01"})
        recreated = rows(load_dataframe(spark, db, table))
        out = cli("undrop", name, "--json")
        spark.catalog.refreshTable(name)
        return {"before": before, "recreated": recreated, "cli": out, "undropped": rows(load_dataframe(spark, db, table)),
                "partitions": rows(spark.sql(f"SHOW PARTITIONS {name}"))}

    for key, fn in [("setup", setup), ("three_writes", three_writes),
                    ("time_travel", time_travel), ("history", history),
                    ("rollback_partition", rollback_partition), ("enforce_violation", enforce_violation),
                    ("rollback_table", rollback_table), ("drop_recreate_undrop", drop_recreate_undrop),
                    ("full_history", full_history), ("drop_table_recreate_undrop", drop_table_recreate_undrop)]:
        step(key, fn)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--strata-bin", required=True)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--out")
    args = ap.parse_args(argv)

    def cli(*cmd):
        full = [args.strata_bin, "--database-url", args.database_url, "--warehouse", args.warehouse, *cmd]
        proc = subprocess.run(full, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "STRATA_LOG": "warn"})
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return json.loads(proc.stdout)

    spark = build_spark(args.uri, args.warehouse, app="strata-batch-tests")
    spark.sparkContext.setLogLevel("WARN")
    try:
        report = run_scenario(spark, args.prefix, cli)
    finally:
        spark.stop()
    text = json.dumps(report, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


def run_in_subprocess(server, strata_bin: str, prefix: str, workdir: Path) -> dict:
    """Run this file in a fresh interpreter (cwd = workdir) and return its report."""
    workdir = Path(workdir)
    out, log = workdir / "spark-batch-report.json", workdir / "spark-batch-output.log"
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.pop("SPARK_HOME", None)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--uri", server.uri, "--warehouse", server.warehouse_uri,
           "--strata-bin", strata_bin, "--database-url", server.database_url, "--prefix", prefix, "--out", str(out)]
    with open(log, "wb") as fh:
        proc = subprocess.run(cmd, cwd=str(workdir), stdout=fh, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env, timeout=SPARK_TIMEOUT_S)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"spark batch scenario failed (rc={proc.returncode}); output tail:\n"
                           f"{log.read_text(errors='replace')[-8000:]}")
    report = json.loads(out.read_text())
    report["_meta"]["log"] = str(log)
    return report


if __name__ == "__main__":
    sys.exit(main())
