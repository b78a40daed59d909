"""Writer helpers for the batch-ID pattern with PySpark: make the right thing the easy thing.

``store_dataframe`` writes a partition's rows to a fresh batch directory
(``<table location>/<k=v...>/<YYYYMMDDHHMMSS>``) and then swaps that directory in through
the metastore (``ALTER TABLE ... ADD PARTITION ... LOCATION`` or ``... SET LOCATION``), so
the previous batch stays untouched: readers see either the old or the new data, never a mix,
and ``strata rollback`` can always go back. ``load_dataframe`` reads a table (optionally a
few partitions) after refreshing Spark's cached file listing, which an out-of-Spark change
such as ``strata rollback`` makes stale.

Works with any Spark session whose catalog is a Strata metastore; only public Spark SQL is
used to change the metastore.
"""

from __future__ import annotations

import datetime as _dt
from typing import Dict, Optional

__all__ = ["store_dataframe", "load_dataframe", "batch_location"]

# Characters Hive escapes in partition path names (FileUtils.escapePathName).
_ESCAPED = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(0x01, 0x20)}


def _escape(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPED else ch for ch in value)


def _quote(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _table_info(spark, db: str, table: str):
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {_ident(db)}.{_ident(table)}").collect()
    info = {r[0].strip(): (r[1] or "").strip() for r in rows if r[0]}
    keys = [c.name for c in spark.catalog.listColumns(table, db) if c.isPartition]
    if not keys:
        raise ValueError(f"{db}.{table} is not partitioned")
    location = info.get("Location")
    if not location:
        raise ValueError(f"{db}.{table} has no location")
    fmt = (info.get("Provider") or "").lower()
    if fmt in ("", "hive"):
        serde = (info.get("InputFormat", "") + info.get("Serde Library", "")).lower()
        fmt = "orc" if "orc" in serde else "parquet"
    return location.rstrip("/"), keys, fmt


def _fs_exists(spark, location: str) -> bool:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return bool(fs.exists(path))


def batch_location(spark, db: str, table: str, partitions: Dict[str, object],
                   now: Optional[_dt.datetime] = None) -> str:
    """A fresh batch directory for one partition: ``<table>/<k=v...>/<UTC YYYYMMDDHHMMSS>``,
    one second later while that directory already exists (the server's collision rule)."""
    location, keys, _ = _table_info(spark, db, table)
    return _fresh_location(spark, location, keys, partitions, now)


def _fresh_location(spark, location, keys, partitions, now):
    missing = [k for k in keys if k not in partitions]
    if missing or len(partitions) != len(keys):
        raise ValueError(f"partitions must give exactly the keys {keys}, got {sorted(partitions)}")
    part_path = "/".join(f"{k}={_escape(str(partitions[k]))}" for k in keys)
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0)
    while True:
        candidate = f"{location}/{part_path}/{stamp:%Y%m%d%H%M%S}"
        if not _fs_exists(spark, candidate):
            return candidate
        stamp += _dt.timedelta(seconds=1)


def store_dataframe(df, db: str, table: str, partitions: Dict[str, object]) -> str:
    """Write ``df`` as the new content of one partition (``partitions`` maps every partition
    key to its value; partition columns in ``df`` are dropped) and swap it in. Returns the
    batch location. The previous content is kept where it was."""
    spark = df.sparkSession
    location, keys, fmt = _table_info(spark, db, table)
    target = _fresh_location(spark, location, keys, partitions, None)
    data_columns = [c for c in df.columns if c not in keys]
    df.select(*data_columns).write.mode("errorifexists").format(fmt).save(target)
    spec = ", ".join(f"{_ident(k)}={_quote(partitions[k])}" for k in keys)
    name = f"{_ident(db)}.{_ident(table)}"
    exists = spark.sql(f"SHOW PARTITIONS {name} PARTITION ({spec})").count() > 0
    if exists:
        spark.sql(f"ALTER TABLE {name} PARTITION ({spec}) SET LOCATION {_quote(target)}")
    else:
        spark.sql(f"ALTER TABLE {name} ADD PARTITION ({spec}) LOCATION {_quote(target)}")
    spark.catalog.refreshTable(f"{db}.{table}")
    return target


def load_dataframe(spark, db: str, table: str, partitions: Optional[Dict[str, object]] = None,
                   as_of: Optional[str] = None):
    """Read a table, or the rows of some partitions (``{"ds": "2024-01-01"}``), as the
    metastore describes it now, or as it was at ``as_of`` (a batch id ``YYYYMMDDHHMMSS`` or an
    ISO 8601 time: read through the time-travel name ``TABLE@as_of``). Spark's cached file
    listing is refreshed first, so changes made outside Spark (``strata rollback``,
    ``strata undrop``) are seen."""
    name = f"{table}@{as_of}" if as_of is not None else table
    if as_of is None:
        spark.catalog.refreshTable(f"{db}.{table}")
    df = spark.table(f"{_ident(db)}.{_ident(name)}")
    for key, value in (partitions or {}).items():
        df = df.where(df[key] == value)
    return df
