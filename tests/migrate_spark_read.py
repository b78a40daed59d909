"""Read one partitioned Hive table with Spark's built-in Hive client (pyspark) through the
metastore at --uri and write what was read as JSON (used by tests/test_migrate.py to compare
the real HMS and Strata after an import):

    python tests/migrate_spark_read.py --uri thrift://127.0.0.1:9083 --table db.t \
        --warehouse file:///abs/wh --out read.json

Keys: rows (every row, sorted), partitions (SHOW PARTITIONS), pruned_rows and
pruned_partitions (the rows of `dt = DATE'2024-01-02' AND hr >= 1`, and the partitions the
Hive table scan kept after partition pruning, which Spark asks the metastore for with
get_partitions_by_filter).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spark_scenario import build_spark  # noqa: E402


def _rows(df) -> list:
    return sorted([[None if v is None else str(v) for v in r] for r in df.collect()])


def _scanned_partitions(df) -> list:
    """Names of the partitions the Hive table scan reads (after pruning)."""
    plan = df._jdf.queryExecution().executedPlan()
    leaves = plan.collectLeaves()
    names = []
    for i in range(leaves.size()):
        node = leaves.apply(i)
        if node.getClass().getSimpleName() == "HiveTableScanExec":
            parts = node.prunedPartitions()
            for j in range(parts.size()):
                names.append(parts.apply(j).getName())
    return sorted(names)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    spark = build_spark(args.uri, args.warehouse, "strata-migrate-read")
    # a plain physical plan (no adaptive wrapper) so the scan node can be inspected
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    t = args.table
    out = {
        "rows": _rows(spark.sql(f"SELECT id, price, CAST(dt AS STRING), hr FROM {t}")),
        "partitions": sorted(r[0] for r in spark.sql(f"SHOW PARTITIONS {t}").collect()),
    }
    pruned = spark.sql(f"SELECT id, price, CAST(dt AS STRING), hr FROM {t} WHERE dt = DATE'2024-01-02' AND hr >= 1")
    out["pruned_rows"] = _rows(pruned)
    out["pruned_partitions"] = _scanned_partitions(pruned)
    Path(args.out).write_text(json.dumps(out))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
